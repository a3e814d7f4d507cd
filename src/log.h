/*
 * log.h — diagnostics on stderr and the -v SMTP transcript.
 *
 * Every line is prefixed "outbox: ".  Text that came from a peer or a
 * message goes through log_vis() before it reaches a terminal.
 */
#ifndef OUTBOX_LOG_H
#define OUTBOX_LOG_H

#include <stddef.h>

enum log_level {
	LOG_L_QUIET = 0,	/* warnings and errors only */
	LOG_L_VERBOSE = 1,	/* -v: the transcript and info lines */
	LOG_L_DEBUG = 2		/* -vv: state changes and settings */
};

/* Sets the level; the default is LOG_L_QUIET. */
void log_init(enum log_level level);
enum log_level log_level(void);

/* "outbox: warning: ..." — always printed. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "outbox: ..." — printed with -v. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "outbox: debug: ..." — printed with -vv. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Impossible state: prints "outbox: internal error: ..." and exits 70. */
void log_fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * One transcript line with -v: dir is 'C' (client) or 'S' (server); line
 * has no line end.  When secret is set, only the first word (or two, for
 * "AUTH MECH") is shown, followed by "<redacted>".  Peer text is strvis'd.
 */
void log_transcript(char dir, const char *line, size_t len, int secret);

/*
 * Makes peer text safe for a terminal: valid UTF-8 characters (C1
 * controls excepted) are kept as they are, every other byte goes
 * through vis(3) (VIS_SAFE|VIS_NL|VIS_CSTYLE|VIS_OCTAL): controls,
 * bytes that are not UTF-8.  Truncated to bufsz - 1 bytes, never inside
 * a character or an escape.  Returns buf.
 */
char *log_vis(char *buf, size_t bufsz, const char *text, size_t len);

#endif
