/*
 * queuecmd.h — the queue commands: --flush (sendmail -q), --queue-list
 * (sendmail -bp) and --queue-drop ID, over queue.c and deliver.c.
 */
#ifndef OUTBOX_QUEUECMD_H
#define OUTBOX_QUEUECMD_H

#include "cli.h"
#include "config.h"
#include "failure.h"
#include "front.h"

/*
 * The front-end of CLI_FLUSH, CLI_QUEUE_LIST and CLI_QUEUE_DROP (see
 * front.h).  F_CONFIG, F_IO, F_CANTCREAT from the queue; F_PERM when a
 * flush moved messages to the failed area.
 */
int queuecmd_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f);

#endif
