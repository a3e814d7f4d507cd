/*
 * fetch.h — the --fetch personality: POP3 retrieval (pop3.c) into a
 * Maildir or an mboxrd file, each message on disk before it counts, the
 * unique ids fetched remembered per account and server so nothing is
 * fetched twice, DELE only for what is on disk.
 */
#ifndef OUTBOX_FETCH_H
#define OUTBOX_FETCH_H

#include "cli.h"
#include "config.h"
#include "failure.h"
#include "front.h"

/* fetch-max-size's default: no limit. */
#define FETCH_MAX_SIZE_DEFAULT 0

/*
 * outbox --fetch [-A NAME] [--delete|--keep] [--list] [--json]: one
 * account (-A), else every account with pop3 set (and the top level when
 * it has pop3).  Prints the summary line per account on stderr, the
 * listing (--list) on stdout, and with --json one JSON object on stdout
 * (rep->json_done set).  A fetch of an account already running elsewhere is
 * reported and skipped (not a failure).  The failure kinds are pop3.c's
 * plus F_CONFIG (no pop3 server, bad pop3 URL), F_CANTCREAT/F_IO (the
 * Maildir, mbox or state file).
 */
int fetch_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f);

#endif
