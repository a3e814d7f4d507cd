/*
 * oauth2login.h — outbox --oauth2-login [-A NAME]: the one interactive
 * OAuth2 login of an account.  The device authorization grant (RFC 8628)
 * when a device endpoint is configured, else the authorization code
 * grant with PKCE and a loopback redirect (RFC 8252); the tokens go to
 * the account's store (oauth2.c).
 */
#ifndef OUTBOX_OAUTH2LOGIN_H
#define OUTBOX_OAUTH2LOGIN_H

#include "cli.h"
#include "config.h"
#include "failure.h"
#include "front.h"

/* How long the login waits for the user (the browser, the code). */
#define OAUTH2_LOGIN_WAIT	300	/* seconds */

/*
 * The front-end of CLI_OAUTH2_LOGIN (see front.h): prints what to open
 * on stdout, waits at most OAUTH2_LOGIN_WAIT seconds.  F_CONFIG (no
 * OAuth2 client configured), F_AUTH (refused, state mismatch, expired),
 * F_TEMP, F_PROTO, F_TLS, and the store's failures.
 */
int oauth2login_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f);

#endif
