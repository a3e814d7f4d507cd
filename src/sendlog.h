/*
 * sendlog.h — one log line for every message sent, queued or kept, for
 * the operator of a machine where nobody reads the stderr of cron jobs
 * and daemons: to syslog (RFC 3164 datagrams on the local socket,
 * syslog=yes|no|FACILITY) and/or appended to a file (log-file=PATH).
 *
 * The line names the message (queue id or Message-ID), its sender, the
 * number of recipients and the refused ones, its size, the server and
 * its last reply, the outcome and the exit status.  It never holds a
 * password or any of the message's content.
 */
#ifndef OUTBOX_SENDLOG_H
#define OUTBOX_SENDLOG_H

#include <stddef.h>

#include "failure.h"

/* Longest line handed to syslog (RFC 3164 4.1: 1024 octets). */
#define SENDLOG_LINE_MAX 1024

/* Where lines go. */
struct sendlog_cfg {
	int facility;			/* LOG_MAIL etc., or -1: no syslog */
	const char *file;		/* log-file, or NULL */
	const char *socket;		/* the syslog socket: /dev/log */
};

/* One message and what became of it. */
struct sendlog_rec {
	const char *id;			/* queue id or Message-ID, or NULL */
	const char *from;		/* envelope sender, or NULL (then
					   no sender and no count) */
	size_t nrcpts;
	const char *const *refused;	/* refused recipients */
	size_t nrefused;
	long long size;			/* octets, or -1 */
	const char *server;		/* "host:port", or NULL */
	const char *reply;		/* final reply or failure, or NULL */
	const char *outcome;		/* "sent", "queued", "failed" ... */
	const char *kept;		/* where the message was kept, or
					   NULL */
	int status;			/* the exit status */
};

/*
 * The facility named by v ("yes": mail; "mail", "user", "daemon",
 * "local0".."local7"), -1 for "no", -2 for anything else.  NULL is the
 * default, yes.
 */
int sendlog_facility(const char *v);

/*
 * Fills c from the syslog and log-file values (either may be NULL) and
 * the socket path (NULL: /dev/log).  Strings must outlive c.
 */
void sendlog_init(struct sendlog_cfg *c, const char *syslog_value,
    const char *log_file, const char *socket_path);

/*
 * The line for r (no time stamp, no tag), made safe: control and 8-bit
 * bytes escaped, at most SENDLOG_LINE_MAX - 64 octets (a long refused
 * list ends "+N more").  buf has bufsz octets.
 */
void sendlog_format(const struct sendlog_rec *r, char *buf, size_t bufsz);

/*
 * Writes r's line: a datagram to the syslog socket (a machine without a
 * syslog daemon is not an error) and a line appended to the log file
 * (created 0600).  Returns 0, or -1 with F_IO when the file cannot be
 * written.
 */
int sendlog_write(const struct sendlog_cfg *c, const struct sendlog_rec *r,
    struct failure *f);

#endif
