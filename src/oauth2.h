/*
 * oauth2.h — the OAuth2 token life cycle of an account (RFC 6749): the
 * token endpoint over HTTPS (libcurl, verified against the system's trust
 * store or oauth2-ca-file), the refresh_token grant, the authorization
 * code grant with PKCE (RFC 7636), the device authorization grant
 * (RFC 8628), and the token store: $XDG_STATE_HOME/outbox/oauth2/ACCOUNT
 * (0600, written atomically) or oauth2-token-store-cmd/-load-cmd, with a
 * lock around the refresh so that concurrent sends refresh once.
 *
 * Tokens go to the server in POST bodies only, never in a URL, a log
 * line or a failure text.  Nothing here prints.
 */
#ifndef OUTBOX_OAUTH2_H
#define OUTBOX_OAUTH2_H

#include "config.h"
#include "failure.h"

/* A cached access token is used unless it expires within this. */
#define OAUTH2_EXPIRY_MARGIN	60	/* seconds */

/* The provider's endpoints and scope, presets filled in; into c. */
struct oauth2_endpoints {
	const char *auth_url;		/* NULL: not configured */
	const char *token_url;
	const char *device_url;		/* NULL: no device grant */
	const char *scope;
	char auth_buf[512];
	char token_buf[512];
	char device_buf[512];
};

/* The tokens one grant returns, or the store holds; strings owned. */
struct oauth2_tokens {
	char *access_token;
	char *refresh_token;
	long long expires_at;		/* seconds since the epoch; 0: unknown */
};

/* What the device authorization endpoint answered (RFC 8628 3.2). */
struct oauth2_device {
	char *device_code;
	char *user_code;
	char *verification_uri;
	char *verification_uri_complete;	/* or NULL */
	long long expires_at;
	int interval;			/* seconds between polls */
};

/*
 * Whether s logs in with an OAuth2 access token outbox obtains itself:
 * smtp-auth xoauth2 or oauthbearer, and oauth2-provider or
 * oauth2-token-url set.
 */
int oauth2_enabled(const struct server *s);

/*
 * c's endpoints into e (valid as long as c and e).  F_CONFIG when no
 * token URL results, or any URL is not https://.
 */
int oauth2_endpoints(const struct oauth2_conf *c, struct oauth2_endpoints *e,
    struct failure *f);

/*
 * A new copy of the account's access token (freezero() it, or
 * credentials_free()): the stored one unless it expires within
 * OAUTH2_EXPIRY_MARGIN, else one from the refresh_token grant, stored
 * with any rotated refresh token.  refused, when not NULL, is a token
 * the server refused: a stored token equal to it is refreshed whatever
 * its expiry.  timeout bounds each request and the wait for the lock.
 * F_AUTH (no token stored, invalid_grant: the text says to run
 * 'outbox --oauth2-login'), F_TEMP (network, 5xx), F_PROTO (bad JSON),
 * F_TLS, F_CONFIG (bad endpoints, a store others may read, a failing
 * command), F_IO, F_CANTCREAT.
 */
char *oauth2_access_token(const struct oauth2_conf *c, int timeout,
    const char *refused, struct failure *f);

/*
 * RFC 7636 S256: a fresh verifier (43 characters of base64url) and its
 * challenge, each into a buffer of at least 64 bytes.
 */
void oauth2_pkce(char *verifier, char *challenge);

/* 22 random base64url characters into buf (>= 32 bytes): the state. */
void oauth2_random_state(char *buf);

/*
 * The URL of the authorization request (RFC 6749 4.1.1 with PKCE);
 * free() it.  NULL with F_CONFIG when no auth URL or client id is set.
 */
char *oauth2_auth_request_url(const struct oauth2_conf *c,
    const char *redirect_uri, const char *state, const char *challenge,
    struct failure *f);

/* Exchanges an authorization code (RFC 6749 4.1.3) for tokens in t. */
int oauth2_exchange_code(const struct oauth2_conf *c, int timeout,
    const char *code, const char *verifier, const char *redirect_uri,
    struct oauth2_tokens *t, struct failure *f);

/* Asks the device endpoint for a user code (RFC 8628 3.1) into d. */
int oauth2_device_start(const struct oauth2_conf *c, int timeout,
    struct oauth2_device *d, struct failure *f);

/*
 * Polls the token endpoint once (RFC 8628 3.4): 0 with t filled, 1 while
 * the user has not finished (authorization_pending; slow_down adds 5 s
 * to d->interval), -1 with f set (expired_token, access_denied: F_AUTH).
 */
int oauth2_device_poll(const struct oauth2_conf *c, int timeout,
    struct oauth2_device *d, struct oauth2_tokens *t, struct failure *f);

/* Stores t as the account's tokens (under the account's lock). */
int oauth2_store_tokens(const struct oauth2_conf *c, int timeout,
    const struct oauth2_tokens *t, struct failure *f);

/* Where the account's tokens are kept, for messages: into buf. */
int oauth2_store_path(const struct oauth2_conf *c, char *buf, size_t sz,
    struct failure *f);

void oauth2_tokens_free(struct oauth2_tokens *t);
void oauth2_device_free(struct oauth2_device *d);

#endif
