/*
 * report.h — what outbox prints on stdout and stderr about a send, the
 * queue and a flush, for people and (--json) for scripts.
 */
#ifndef OUTBOX_REPORT_H
#define OUTBOX_REPORT_H

#include <stddef.h>
#include <time.h>

#include "deliver.h"
#include "failure.h"
#include "queue.h"
#include "smtp.h"

/* The outcome of one send, for --json. */
struct report_send {
	int status;			/* the exit status */
	const struct failure *failure;	/* F_NONE on success */
	const char *queue_id;		/* queued under this id, or NULL */
	const char *message_id;		/* or NULL */
	const struct smtp_result *result;	/* NULL: no server reached */
	const char *dead_letter;	/* saved there, or NULL */
	const char *kept;		/* kept there after a failure
					   ("failed/ID"), or NULL */
};

/*
 * One JSON object on stdout: status, result ("queued" or the failure
 * kind), queue_id, message_id, accepted, refused (address, code, reply),
 * final_reply, error, dead_letter, kept.
 */
void report_send_json(const struct report_send *rs);

/*
 * "outbox: RCPT TO <addr>: refused (reply)" on stderr for each recipient
 * refused by its RCPT reply (res may be NULL).
 */
void report_refusals(const struct smtp_result *res);

/* The queue in dir: mailq-like text, or one JSON object. */
void report_queue(const char *dir, const struct queue_entry *v, size_t n,
    time_t now, int json);

/*
 * What a flush did: failures always (stderr and syslog), deferrals
 * unless quiet, deliveries with -v.
 */
void report_flush(const struct flush_report *rep, int quiet);

/* The same as one JSON object on stdout. */
void report_flush_json(const struct flush_report *rep, int status);

/* JSON string of s (null for NULL) on out. */
void report_json_str(FILE *out, const char *s);

#endif
