/*
 * deliver.h — hands a finished message to the SMTP server: the password,
 * the session parameters from the settings, the wire size, the submission.
 * Both personalities (mailx composer, sendmail drop-in) end here.
 */
#ifndef OUTBOX_DELIVER_H
#define OUTBOX_DELIVER_H

#include <stdio.h>
#include <time.h>

#include "config.h"
#include "failure.h"
#include "queue.h"
#include "smtp.h"

/* One message to deliver: its envelope and its bytes. */
struct job {
	const struct settings *set;
	struct smtp_envelope env;	/* rcpts unique; size is computed
					   by deliver() */
	FILE *msg;			/* the message, LF or CRLF lines */
	int queue_only;			/* --queue: enqueue, do not connect */
	char *queue_id;			/* out, QUEUE_ID_MAX bytes or NULL:
					   the id when the message (or some
					   recipients) went to the queue */
	struct flush_report *flushed;	/* out, or NULL: what the quiet
					   flush after a success did */
};

/* What a flush did to one entry. */
enum flush_kind {
	FLUSH_SENT,			/* every recipient took it */
	FLUSH_DEFERRED,			/* kept for a later attempt */
	FLUSH_FAILED			/* moved to the failed area */
};

struct flush_event {
	char id[QUEUE_ID_MAX];
	enum flush_kind kind;
	char *text;			/* why (deferred, failed), or NULL */
	time_t next;			/* deferred: the next attempt */
};

struct flush_report {
	struct flush_event *v;
	size_t n;
	size_t count[3];		/* per enum flush_kind */
	int busy;			/* another flush held the lock */
};

/*
 * Delivers job.  r is filled (smtp_result_free() it) whenever the
 * server was reached.  Returns 0 when every recipient got the message,
 * else -1 with f set as smtp_submit() sets it, or F_CONFIG (no server
 * configured), F_AUTH/F_CONFIG (no password could be had).
 */
int deliver(const struct job *job, struct smtp_result *r, struct failure *f);
/*
 * Queueing (DESIGN "Never lose a message"): with job->queue_only the
 * message goes to the queue without a connection (returns 0, queue_id
 * set, f holds the reason).  Otherwise, when sending fails for a
 * temporary reason (F_TEMP: refused connection, time-out, temporary DNS
 * failure, 4xx, a connection lost after the dot) and queue-on-failure is
 * on, the recipients that did not get the message and were not refused
 * with 5xx are queued: returns 0 with queue_id set and f holding the
 * reason, or -1 (F_NOUSER) when some recipients were refused for good.
 * A queue that cannot be written fails with F_CANTCREAT or F_IO.  After
 * a success the due entries of the same account are flushed quietly.
 */

/*
 * Sends the due entries (all with now) of the queue in dir, one
 * connection per account (RSET between messages), under the queue's
 * lock; another flush holding it sets rep->busy and returns 0.  Entries
 * use their account's settings from cfg; with only, just the entries of
 * only->account, with only.  Back-off after a failed attempt: 1, 5, 15,
 * 60 minutes, then hourly; an entry older than its queue-max-age, or a
 * recipient refused with 5xx, goes to the failed area.  Fills rep
 * (flush_report_free()).  Returns -1 only for a queue that cannot be
 * read or written (F_IO, F_CANTCREAT).
 */
int deliver_flush(const struct config *cfg, const struct settings *only,
    const char *dir, int now, struct flush_report *rep, struct failure *f);

void flush_report_free(struct flush_report *rep);

#endif
