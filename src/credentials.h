/*
 * credentials.h — the SMTP password: from the config, from a command's
 * first output line (smtp-password-cmd, run with /bin/sh -c, never via
 * argv of outbox), or a prompt on /dev/tty (readpassphrase).  Secrets are
 * wiped after use.
 */
#ifndef OUTBOX_CREDENTIALS_H
#define OUTBOX_CREDENTIALS_H

#include "config.h"
#include "failure.h"

/*
 * A new copy of the password for s->user, to be released with
 * credentials_free().  With OAuth2 (credentials_is_token()) the account's
 * access token from oauth2.c, refreshed as needed.  Order: s->password, s->password_cmd, prompt on
 * /dev/tty when it can be opened (naming s->user@s->host).  Fails with
 * F_CONFIG when the command fails or prints nothing, F_AUTH when no
 * source exists (the text says to set NAME-password-cmd, NAME being
 * s->name, "smtp" when NULL).
 */
char *credentials_get(const struct server *s, struct failure *f);

/*
 * Whether credentials_get() gives s an OAuth2 access token (smtp-auth
 * xoauth2/oauthbearer with oauth2-provider or oauth2-token-url): one
 * the server refused may be renewed once with credentials_renew().
 */
int credentials_is_token(const struct server *s);

/*
 * A fresh access token in place of refused (which the server turned
 * down): refreshed unless the store already holds another valid one.
 * Fails as oauth2_access_token() does.
 */
char *credentials_renew(const struct server *s, const char *refused,
    struct failure *f);

/* Wipes and frees a password (NULL is fine). */
void credentials_free(char *secret);

#endif
