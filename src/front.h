/*
 * front.h — what a front-end (mailx.c, sendmail.c, queuecmd.c; later a
 * --fetch or --check one) hands back to main.c.  main.c parses the
 * command line, loads the config, calls the front-end of the mode, and
 * makes the one error report and the exit status from its failure.
 *
 * A front-end's run function has the form
 *
 *	int NAME_run(const struct options *o, struct config *cfg,
 *	    struct front_report *rep, struct failure *f);
 *
 * 0 on success, or -1 with f set; it prints what only it knows (its
 * --json object, refused recipients, notices) but never f itself.
 */
#ifndef OUTBOX_FRONT_H
#define OUTBOX_FRONT_H

#include <limits.h>

#include "queue.h"

struct front_report {
	char saved[PATH_MAX];		/* failure: the message was saved
					   there (dead.letter), or "" */
	char kept_id[QUEUE_ID_MAX];	/* failure: the message was kept
					   under this queue id, or "" */
	const char *kept_area;		/* where: FRONT_KEPT_FAILED (the
					   queue's failed area), or NULL */
	int json_done;			/* the front-end printed its --json
					   object; main.c prints none */
};

/* The queue's failed area (queue.h), as "failed/ID" names an entry. */
#define FRONT_KEPT_FAILED "failed"

#endif
