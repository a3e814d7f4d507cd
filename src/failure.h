/*
 * failure.h — the project's one failure taxonomy.
 *
 * Modules never print: they return -1 (or NULL) and fill a caller-provided
 * struct failure.  main.c reports it once and maps the kind to a sysexits
 * code with failure_exitcode().
 */
#ifndef OUTBOX_FAILURE_H
#define OUTBOX_FAILURE_H

enum failure_kind {
	F_NONE = 0,
	F_USAGE,	/* bad flags or flag combination: 64 */
	F_DATA,		/* malformed input, bad address, injection: 65 */
	F_NOINPUT,	/* missing or unreadable input file: 66 */
	F_NOUSER,	/* recipients refused: 67 */
	F_NOHOST,	/* host name does not exist: 68 */
	F_PERM,		/* 5xx, missing required extension: 69 */
	F_TLS,		/* certificate or host-name verification: 69 */
	F_INTERNAL,	/* bug, impossible state: 70 */
	F_OS,		/* OOM, fork, socket: 71 */
	F_CANTCREAT,	/* cannot write queue or dead.letter: 73 */
	F_IO,		/* local I/O error: 74 */
	F_TEMP,		/* 4xx, time-out, refused, temp DNS: 75 */
	F_PROTO,	/* malformed server reply: 76 */
	F_AUTH,		/* authentication refused: 77 */
	F_CONFIG,	/* bad or insecure configuration: 78 */
	F_KIND_MAX
};

/* Room for "step: what (server reply)"; longer text is truncated. */
#define FAILURE_TEXT_MAX 512

struct failure {
	enum failure_kind kind;
	char text[FAILURE_TEXT_MAX];
};

/*
 * Sets kind and formats text (printf-like).  Always returns -1 so callers
 * can write "return failure_set(f, F_IO, ...);".  f may be NULL.
 */
int failure_set(struct failure *f, enum failure_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears f to F_NONE with empty text. */
void failure_clear(struct failure *f);

/* The sysexits code for kind (0 for F_NONE). */
int failure_exitcode(enum failure_kind kind);

/* A short lower-case name for kind ("temp", "perm", ...), for --json. */
const char *failure_name(enum failure_kind kind);

#endif
