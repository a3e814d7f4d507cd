/*
 * sasl.h — SASL client mechanisms for SMTP AUTH (RFC 4954): PLAIN
 * (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195),
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), XOAUTH2 (Google's and Microsoft's
 * documentation) and OAUTHBEARER (RFC 7628), and the choice of a
 * mechanism for smtp-auth=auto.
 *
 * Pure: no I/O, no globals.  Every returned string is malloc'd base64
 * that carries a secret; the caller wipes it with
 * freezero(s, strlen(s) + 1).
 */
#ifndef OUTBOX_SASL_H
#define OUTBOX_SASL_H

#include "config.h"

/*
 * PLAIN initial response: base64 of "" NUL user NUL password (empty
 * authorization identity).  NULL when user or password holds a NUL-free
 * string too long to encode (never in practice) or is NULL.
 */
char *sasl_plain(const char *user, const char *password);

/*
 * LOGIN: base64 of one string, the user name (sent as the initial
 * response) or the password (the answer to the second challenge).
 */
char *sasl_login(const char *text);

/*
 * CRAM-MD5: challenge is the server's base64 text after "334 ".  Returns
 * base64 of "user " + lower-case hex HMAC-MD5(password, challenge), or
 * NULL when the challenge is not valid base64 or empty.
 */
char *sasl_cram_md5(const char *user, const char *password,
    const char *challenge);

/*
 * SCRAM-SHA-256 (RFC 5802 with RFC 7677), client side, without channel
 * binding (GS2 header "n,,").  The state lives in the caller's struct:
 *
 *	sasl_scram_init(&sc);
 *	first = sasl_scram_first(&sc, user, NULL);	AUTH ... first
 *	final = sasl_scram_final(&sc, password, 334 text);
 *	sasl_scram_verify(&sc, 334 text) == 0		server proven
 *	sasl_scram_clear(&sc);				on every path
 *
 * All message arguments and results are base64, as on the SMTP wire.
 */
#define SASL_SCRAM_KEY_LEN 32		/* SHA-256 output */
#define SASL_SCRAM_NONCE_MAX 64		/* our nonce, printable */
#define SASL_SCRAM_ERROR_MAX 64		/* e= text kept for the report */
/* RFC 7677 section 4: at least 4096; the upper bound caps our CPU time. */
#define SASL_SCRAM_ITER_MIN 4096
#define SASL_SCRAM_ITER_MAX 1000000

struct sasl_scram {
	char *client_first_bare;	/* "n=user,r=nonce" */
	char nonce[SASL_SCRAM_NONCE_MAX + 1];
	unsigned char server_sig[SASL_SCRAM_KEY_LEN];	/* expected v= */
	int have_sig;			/* sasl_scram_final() succeeded */
	char error[SASL_SCRAM_ERROR_MAX];	/* server's e= value, raw
						   (not yet made printable) */
};

void sasl_scram_init(struct sasl_scram *sc);

/*
 * The client-first message "n,,n=USER,r=NONCE" in base64.  "=" and ","
 * in user become "=3D" and "=2C" (RFC 5802 5.1).  nonce NULL: 24
 * random base64 characters (arc4random_buf); tests pass a fixed one
 * (printable ASCII without ",", at most SASL_SCRAM_NONCE_MAX).  NULL on
 * a bad argument.  Caller frees.
 */
char *sasl_scram_first(struct sasl_scram *sc, const char *user,
    const char *nonce);

/*
 * Judges the server-first message (base64) and returns the client-final
 * "c=biws,r=NONCE,p=PROOF" in base64, remembering the ServerSignature to
 * expect.  NULL when the message is malformed, asks for a mandatory
 * extension (m=), its nonce does not extend ours, the salt is empty or
 * the iteration count is outside SASL_SCRAM_ITER_MIN..MAX.  Caller wipes
 * the result (freezero).
 */
char *sasl_scram_final(struct sasl_scram *sc, const char *password,
    const char *server_first);

/*
 * Checks the server-final message (base64 "v=..." or "e=..."): 0 when v=
 * is the ServerSignature computed by sasl_scram_final() (the server knows
 * the password), -1 otherwise; an e= value is copied to sc->error.
 */
int sasl_scram_verify(struct sasl_scram *sc, const char *server_final);

/* Wipes and frees everything in sc; sc may then be used again. */
void sasl_scram_clear(struct sasl_scram *sc);

/*
 * XOAUTH2 initial response: base64 of "user=USER\1auth=Bearer TOKEN\1\1".
 * NULL when an argument is NULL or holds a control character.
 */
char *sasl_xoauth2(const char *user, const char *token);

/*
 * OAUTHBEARER (RFC 7628 3.1) initial response: base64 of
 * "n,a=USER,\1host=HOST\1port=PORT\1auth=Bearer TOKEN\1\1", USER
 * escaped as in SCRAM.  NULL when an argument is NULL or holds a control
 * character.
 */
char *sasl_oauthbearer(const char *user, const char *host, const char *port,
    const char *token);

/* The IANA name of mech ("PLAIN", "LOGIN", "CRAM-MD5", ...). */
const char *sasl_name(enum config_auth mech);

/*
 * 1 when the space-separated mechanism list offered (as the EHLO AUTH
 * keyword gives it; case-insensitive) names mech.
 */
int sasl_offered(const char *offered, enum config_auth mech);

/*
 * The mechanism for smtp-auth=auto among those offered, or AUTH_NONE
 * when none we implement is offered.  SCRAM-SHA-256 comes first: the
 * password never leaves this machine and the server proves it knows it.
 * Over TLS the password is otherwise protected by the channel, so PLAIN
 * (one round trip, standard) comes next, then LOGIN, then CRAM-MD5
 * (which needs the password in the clear on the server, and only resists
 * passive sniffing).  Without TLS only SCRAM-SHA-256 or CRAM-MD5 would be
 * chosen; smtp.c never authenticates without TLS anyway.  XOAUTH2 and
 * OAUTHBEARER take a token, not a password: never chosen here.
 */
enum config_auth sasl_choose(const char *offered, int tls);

#endif
