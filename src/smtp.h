/*
 * smtp.h — SMTP submission (RFC 5321, 3207, 4954, 1870, 2920, 6152, 2034,
 * 3461, 6531) of one spooled message.
 *
 * The engine never prints (except the -v transcript through log.c), never
 * exits, and reads no environment: main.c gives it everything.
 */
#ifndef OUTBOX_SMTP_H
#define OUTBOX_SMTP_H

#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "failure.h"

struct smtp_params {
	const char *host;
	const char *port;
	enum config_security security;
	enum config_auth auth;
	const char *user;		/* NULL: no AUTH */
	const char *password;		/* with user; wiped by the caller */
	const char *ca_file;		/* NULL: system store */
	const char *fingerprint;	/* "sha256:..." pin, or NULL */
	const char *helo_name;		/* EHLO argument */
	int timeout;			/* seconds for each reply */
};

struct smtp_envelope {
	const char *from;		/* reverse-path, "" for <> */
	const char *const *rcpts;	/* forward-paths, unique */
	size_t nrcpts;
	int eightbit;			/* message has 8-bit bytes */
};

/* One recipient's outcome. */
struct smtp_rcpt {
	char *addr;
	int accepted;			/* 1: accepted and message delivered */
	int code;			/* the server's reply code to RCPT */
	char *reply;			/* its text, one line, or NULL */
};

struct smtp_result {
	struct smtp_rcpt *rcpts;	/* one per envelope recipient */
	size_t nrcpts;
	size_t naccepted;
	char *final_reply;		/* reply to the final dot, or NULL */
	int uncertain;			/* lost after the dot, before reply */
};

/*
 * Connects, secures, authenticates and sends msg (LF or CRLF lines, read
 * from its start; encode_wire() makes the wire form).  Returns 0 when
 * every recipient was accepted and the message taken.  Otherwise -1 with
 * f set: F_NOUSER when some or all recipients were refused (r says which;
 * the message went to the others), F_TEMP, F_PERM, F_TLS, F_PROTO,
 * F_AUTH, F_NOHOST, F_OS, F_IO.  f->text is "step: what (server reply)".
 * r is filled in every case; release it with smtp_result_free().
 */
int smtp_submit(const struct smtp_params *p, const struct smtp_envelope *env,
    FILE *msg, struct smtp_result *r, struct failure *f);

void smtp_result_free(struct smtp_result *r);

#endif
