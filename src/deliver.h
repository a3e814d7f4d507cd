/*
 * deliver.h — hands a finished message to the SMTP server: the password,
 * the session parameters from the settings, the wire size, the submission.
 * Both personalities (mailx composer, sendmail drop-in) end here.
 */
#ifndef OUTBOX_DELIVER_H
#define OUTBOX_DELIVER_H

#include <stdio.h>

#include "address.h"
#include "config.h"
#include "failure.h"
#include "smtp.h"

/* One message to deliver: its envelope and its bytes. */
struct job {
	const struct settings *set;
	const char *from;		/* reverse-path; "" for <> */
	const struct address_list *rcpts;	/* envelope, unique */
	FILE *msg;			/* the message, LF or CRLF lines */
	int eightbit;			/* the message has 8-bit bytes */
	/* As in struct smtp_envelope: A-label forms and DSN parameters. */
	const char *from_ascii;
	const char *const *rcpts_ascii;	/* parallel to rcpts, or NULL */
	const char *dsn_notify;
	const char *dsn_ret;
	const char *dsn_envid;
	int dsn_required;
};

/*
 * Delivers job.  r is filled (smtp_result_free() it) whenever the
 * server was reached.  Returns 0 when every recipient got the message,
 * else -1 with f set as smtp_submit() sets it, or F_CONFIG (no server
 * configured), F_AUTH/F_CONFIG (no password could be had).
 */
int deliver(const struct job *job, struct smtp_result *r, struct failure *f);

#endif
