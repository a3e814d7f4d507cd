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
 * /dev/tty when it can be opened (naming s->user@s->host).  Fails with
 * F_CONFIG when the command fails or prints nothing, F_AUTH when no
 * source exists (the text says to set NAME-password-cmd, NAME being
 * s->name, "smtp" when NULL).
 */
char *credentials_get(const struct server *s, struct failure *f);

/* Wipes and frees a password (NULL is fine). */
void credentials_free(char *secret);

#endif
