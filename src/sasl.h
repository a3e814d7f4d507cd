/*
 * sasl.h — SASL client mechanisms for SMTP AUTH (RFC 4954): PLAIN
 * (RFC 4616), LOGIN (draft-murchison-sasl-login) and CRAM-MD5 (RFC 2195),
 * and the choice of a mechanism for smtp-auth=auto.
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

/* The IANA name of mech ("PLAIN", "LOGIN", "CRAM-MD5", ...). */
const char *sasl_name(enum config_auth mech);

/*
 * 1 when the space-separated mechanism list offered (as the EHLO AUTH
 * keyword gives it; case-insensitive) names mech.
 */
int sasl_offered(const char *offered, enum config_auth mech);

/*
 * The mechanism for smtp-auth=auto among those offered, or AUTH_NONE
 * when none we implement is offered.  Over TLS the password is protected
 * by the channel, so PLAIN (one round trip, standard) comes first, then
 * LOGIN, then CRAM-MD5 (which needs the password in the clear on the
 * server, and only resists passive sniffing).  Without TLS only CRAM-MD5
 * would be chosen; smtp.c never authenticates without TLS anyway.
 */
enum config_auth sasl_choose(const char *offered, int tls);

#endif
