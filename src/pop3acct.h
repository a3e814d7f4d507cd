/*
 * pop3acct.h — one account's POP3 side, shared by the --fetch and
 * --check front-ends: the pop3, pop3-* and fetch-* keys resolved (the
 * URL split, defaults from the port, the smtp-* login as the fallback),
 * mapped onto the POP3 engine's words, and a session opened with the
 * account's credentials: a password, or an OAuth2 access token from
 * oauth2.c, renewed once when the server refuses it.
 */
#ifndef OUTBOX_POP3ACCT_H
#define OUTBOX_POP3ACCT_H

#include <limits.h>

#include "config.h"
#include "failure.h"
#include "pop3.h"

#define POP3_PORT "110"
#define POP3S_PORT "995"

/*
 * One account's POP3 settings, resolved.  Strings point into the struct
 * config it came from, or into the buffers here: valid as long as both.
 */
struct pop3acct {
	const char *account;		/* NULL: the top level */
	char name[300];			/* for messages: the account's name,
					   or "default" */
	char host[256];
	char port[8];
	char user[256];
	enum pop3_security security;
	enum pop3_login login;
	enum sasl_mech mech;
	const char *auth;		/* pop3-auth as in effect ("auto") */
	const char *password;
	const char *password_cmd;
	const char *password_key;	/* where they came from: "pop3" or
					   "smtp" (the fallback) */
	const char *ca_file;
	const char *fingerprint;
	int timeout;
	struct oauth2_conf oauth2;	/* the account's, shared with SMTP */
	char to[PATH_MAX];		/* fetch-to: the Maildir or mbox */
	int mbox;
	int delete;			/* fetch-delete */
	unsigned long long max_size;	/* fetch-max-size; 0: no limit */
};

/*
 * Fills a for account (NULL: the top level).  Without pop3-auth, an
 * account whose SMTP side logs in with an OAuth2 token outbox keeps
 * (smtp-auth xoauth2/oauthbearer and oauth2-provider or
 * oauth2-token-url) uses the same mechanism for POP3.  F_CONFIG: no
 * pop3 set ("set pop3=..."), a bad value (the text names the key).
 */
int pop3acct_resolve(const struct config *cfg, const char *account,
    struct pop3acct *a, struct failure *f);

/*
 * The credentials' view of a (credentials.h takes a struct server):
 * name "pop3", the login, the password sources and, with pop3-auth
 * xoauth2 or oauthbearer, the account's OAuth2 client.  Points into a.
 */
void pop3acct_server(const struct pop3acct *a, struct server *srv);

/* The engine's parameters for a with password (may be NULL). */
void pop3acct_params(const struct pop3acct *a, const char *password,
    const struct pop3_watch *w, struct pop3_params *p);

/* Where the password comes from, never the password ("set", ...). */
const char *pop3acct_secret_source(const struct pop3acct *a);

/*
 * Gets the secret (credentials_get(): a password, or an OAuth2 access
 * token refreshed as needed), connects and logs in (pop3_open()) with
 * watch w (NULL: none).  When the server refuses an OAuth2 token
 * (F_AUTH), one fresh token (credentials_renew()) and one more session
 * on a new connection; never more.  The secret is wiped before this
 * returns.  got_secret, when not NULL, is called once the secret is in
 * hand (--check prints that step).  NULL with f set as
 * credentials_get() and pop3_open() fail (F_AUTH with the
 * --oauth2-login hint for a revoked refresh token).
 */
struct pop3_session *pop3acct_open(const struct pop3acct *a,
    const struct pop3_watch *w, void (*got_secret)(void *), void *arg,
    struct failure *f);

#endif
