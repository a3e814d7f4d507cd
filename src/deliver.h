/*
 * deliver.h — hands a finished message to the SMTP server: the password,
 * the session parameters from the settings (config's words mapped to the
 * engine's), the wire size, the submission, and the queue around it.
 * Every personality (mailx composer, sendmail drop-in) ends here.
 */
#ifndef OUTBOX_DELIVER_H
#define OUTBOX_DELIVER_H

#include <stdio.h>
#include <time.h>

#include "config.h"
#include "envelope.h"
#include "failure.h"
#include "queue.h"
#include "smtp.h"

/* One message to deliver: its envelope and its bytes.  Input only. */
struct job {
	const struct settings *set;
	struct smtp_envelope env;	/* rcpts unique; size is computed
					   by deliver() */
	FILE *msg;			/* the message, LF or CRLF lines */
	int queue_only;			/* --queue: enqueue, do not connect */
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

/* What deliver() did besides its verdict; release with
   deliver_result_free(). */
struct deliver_result {
	char queue_id[QUEUE_ID_MAX];	/* the entry's id when the message
					   (or some recipients) went to the
					   queue, else "" */
	char note[FAILURE_TEXT_MAX];	/* queued on success: why ("queued
					   by --queue", the send's failure),
					   else "" */
	unsigned int warnings;		/* SMTP_WARN_* of the send, already
					   logged */
	struct flush_report flushed;	/* the quiet flush after a success */
};

/*
 * Delivers job.  r is filled (smtp_result_free() it) and out set (zeroed
 * first) in every case.  Returns 0 when every recipient got the message,
 * else -1 with f set as smtp_send() sets it, or F_CONFIG (no server
 * configured), F_AUTH/F_CONFIG (no password could be had).
 *
 * Queueing (DESIGN "Never lose a message"): with job->queue_only the
 * message goes to the queue without a connection (returns 0, queue_id
 * and note set).  Otherwise, when sending fails for a temporary reason
 * (F_TEMP: refused connection, time-out, temporary DNS failure, 4xx, a
 * connection lost after the dot) and queue-on-failure is on, the
 * recipients that did not get the message and were not refused with 5xx
 * are queued: returns 0 with queue_id and note set, or -1 (F_NOUSER,
 * queue_id set) when some recipients were refused for good.  A queue
 * that cannot be written fails with F_CANTCREAT or F_IO.
 *
 * After a success the due entries of the same account go over the same
 * connection (one connection, one AUTH, the password read once), their
 * outcome in out->flushed.
 */
int deliver(const struct job *job, struct smtp_result *r,
    struct deliver_result *out, struct failure *f);
void deliver_result_free(struct deliver_result *out);

/*
 * Keeps job's message, after a failure that will not be retried, in the
 * queue's failed area (queue.h) with reason (the failure and the
 * server's reply) as its last reply, for the recipients that did not
 * get it (all when r is NULL); its id to id (QUEUE_ID_MAX).  With
 * perm_only (the others were queued for a retry) only the recipients
 * of r refused with 5xx are kept, with the first one's reply as the
 * reason; id is "" when there is none.  "outbox --queue-retry ID" sends
 * it again.  F_CANTCREAT, F_IO when the copy cannot be written.
 */
int deliver_keep_failed(const struct job *job, const struct smtp_result *r,
    int perm_only, const char *reason, char *id, struct failure *f);

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

/* Moves from's events and counts onto the end of to; from is left empty. */
void flush_report_append(struct flush_report *to, struct flush_report *from);
void flush_report_free(struct flush_report *rep);

/*
 * The session parameters of set (config's words in the engine's), with
 * password (NULL: no AUTH); strings point into set.  For --check.
 */
void deliver_params(const struct settings *set, const char *password,
    struct smtp_params *p);

/*
 * The password when set authenticates (credentials_get()), else NULL:
 * 0, or -1 with f set (F_CONFIG: no server configured, or as
 * credentials_get()).  Release with credentials_free().
 */
int deliver_password(const struct settings *set, char **password,
    struct failure *f);

#endif
