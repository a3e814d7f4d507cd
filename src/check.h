/*
 * check.h — outbox --check [-A NAME] [--json] [recipient...]: proves a
 * configuration end to end without sending anything (see check.c).
 */
#ifndef OUTBOX_CHECK_H
#define OUTBOX_CHECK_H

#include "cli.h"
#include "config.h"
#include "failure.h"
#include "front.h"

/*
 * Walks the steps, printing one line (or --json object) each on stdout,
 * and stops at the first failure, which it prints with its hint.  0 when
 * every step passed; else -1 with f set to that step's failure (its
 * usual kind: F_CONFIG, F_NOHOST, F_TEMP, F_TLS, F_PERM, F_AUTH,
 * F_NOUSER, F_PROTO, ...).  Sets rep->json_done under --json.
 */
int check_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f);

/*
 * The walk's first step when the configuration did not load: its FAIL
 * line (or --json object) with the hint, for main.c.  Sets
 * rep->json_done under --json.
 */
void check_config_failed(const struct options *o, const struct failure *f,
    struct front_report *rep);

#endif
