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
 * credentials_free().  Order: s->password, s->password_cmd, prompt on
 * /dev/tty when it can be opened (naming s->user@s->host).  The command
 * runs in its own process group and must print its line within
 * s->timeout seconds, or the group is killed.  Fails with F_PERM, before
 * any of that, when s->security is SEC_NONE (no credentials over
 * plaintext); F_CONFIG when the command fails, prints nothing or runs
 * over, or when no source exists (no terminal to prompt on: the text
 * says to set NAME-password-cmd, NAME being s->name, "smtp" when NULL);
 * F_AUTH when the prompt was answered with nothing.  With OAuth2
 * (credentials_is_token()) the account's access token from oauth2.c,
 * refreshed as needed, failing as oauth2_access_token() does.
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

/*
 * Keeps secrets out of core files and away from debuggers of the same
 * user: the process becomes non-dumpable (PR_SET_DUMPABLE 0) and its soft
 * RLIMIT_CORE 0.  For the rest of the run; credentials_get() calls it,
 * and whoever loads a password some other way should call it first.
 */
void credentials_protect(void);

/* Wipes and frees a password (NULL is fine). */
void credentials_free(char *secret);

#endif
