/*
 * sasl.h — SASL client mechanisms for SMTP AUTH (RFC 4954) and POP3 AUTH
 * (RFC 5034): PLAIN
 * (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195),
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), XOAUTH2 (Google's and Microsoft's
 * documentation) and OAUTHBEARER (RFC 7628), and the choice of a
 * mechanism for smtp-auth=auto.
 *
 * Pure: no I/O, no globals.  Every returned string is malloc'd base64
 * that carries a secret; the caller wipes it with
 * freezero(s, strlen(s) + 1).
 *
 * A protocol drives an exchange with the step API and keeps only its own
 * framing ("AUTH MECH ir" / "334 " / "235" in SMTP, "+ " in POP3):
 *
 *	x = sasl_start(mech, &creds, &initial, f);	NULL: failed
 *	for each challenge (base64 text after "334 " or "+ "):
 *		sasl_step(x, challenge, &response, &cancel, f)
 *		    -> send response, or "*" when cancel
 *	on success: sasl_finish(x, success data or NULL, f) == 0
 *	sasl_end(x);					on every path
 */
#ifndef OUTBOX_SASL_H
#define OUTBOX_SASL_H

#include "failure.h"

/* The engine's own mechanism names; the configuration maps onto them. */
enum sasl_mech {
	SASL_NONE, SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5, SASL_SCRAM_SHA_256,
	SASL_XOAUTH2, SASL_OAUTHBEARER
};

/* What a mechanism needs; borrowed, must outlive the exchange. */
struct sasl_creds {
	const char *user;		/* authentication identity */
	const char *secret;		/* password, or the OAuth2 token */
	const char *host, *port;	/* OAUTHBEARER's host= and port= */
};

struct sasl_exchange;			/* opaque; holds SCRAM's state */

/*
 * Starts mech.  *initial is the base64 initial response (the caller
 * wipes it with freezero()), or NULL when the mechanism waits for the
 * server's first challenge (CRAM-MD5).  NULL on failure: F_CONFIG when
 * the user name or secret cannot be encoded (too long, a control
 * character), F_INTERNAL for SASL_NONE.  Release with sasl_end().
 */
struct sasl_exchange *sasl_start(enum sasl_mech mech,
    const struct sasl_creds *creds, char **initial, struct failure *f);

/* sasl_start() with a fixed SCRAM nonce (NULL: random), for tests. */
struct sasl_exchange *sasl_start_nonce(enum sasl_mech mech,
    const struct sasl_creds *creds, const char *nonce, char **initial,
    struct failure *f);

/*
 * Answers one server challenge (base64 text, as after "334 " or "+ "):
 * 0 with *response (base64, possibly empty; freezero() it) or with
 * *cancel set, meaning send "*" (RFC 4954 4, RFC 5034 4): the challenge
 * was one this mechanism cannot answer and the server has the last word.
 * -1 with *cancel set and F_AUTH when the challenge proves the server
 * wrong (SCRAM: a bad nonce, salt or iteration count, a wrong signature,
 * an e= error): send "*", then report f whatever the server says.
 * -1 with F_PROTO, *cancel clear, when no challenge was due (PLAIN after
 * its initial response, more steps than any mechanism takes): the
 * exchange cannot go on.
 */
int sasl_step(struct sasl_exchange *x, const char *challenge,
    char **response, int *cancel, struct failure *f);

/*
 * The server said the exchange succeeded; success_data is what came
 * with it (SMTP: the 235 reply's text; NULL when none).  0 when the
 * mechanism is content: SCRAM-SHA-256 only once the server's signature
 * was verified, in a challenge or in success_data.  -1 with F_AUTH
 * otherwise ("the server accepted without proving it knows the
 * password ...").
 */
int sasl_finish(struct sasl_exchange *x, const char *success_data,
    struct failure *f);

/* Wipes and frees x; NULL is fine. */
void sasl_end(struct sasl_exchange *x);

/* The IANA name of mech ("PLAIN", "LOGIN", "CRAM-MD5", ...). */
const char *sasl_mech_name(enum sasl_mech mech);

/*
 * 1 when the space-separated mechanism list offered (as the EHLO AUTH
 * keyword or the POP3 SASL capability gives it; case-insensitive) names
 * mech.
 */
int sasl_mech_offered(const char *offered, enum sasl_mech mech);

/*
 * The mechanism to use when the user did not choose, among those
 * offered, or SASL_NONE when none we implement is offered.
 * SCRAM-SHA-256 comes first: the password never leaves this machine and
 * the server proves it knows it.  Over TLS the password is otherwise
 * protected by the channel, so PLAIN (one round trip, standard) comes
 * next, then LOGIN, then CRAM-MD5 (which needs the password in the clear
 * on the server, and only resists passive sniffing).  Without TLS only
 * SCRAM-SHA-256 or CRAM-MD5 would be chosen; the protocols never
 * authenticate without TLS anyway.  XOAUTH2 and OAUTHBEARER take a
 * token, not a password: never chosen here.
 */
enum sasl_mech sasl_mech_choose(const char *offered, int tls);

/*
 * The encoders the step API is made of, for tests.
 */

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

#endif
