/*
 * smtp_reply.h — SMTP replies (RFC 5321 4.2, RFC 3463 enhanced status
 * codes) and EHLO extensions (RFC 5321 4.1.1.1): the parsers the engine
 * reads the server with, on their own so tests and fuzzers reach them.
 */
#ifndef OUTBOX_SMTP_REPLY_H
#define OUTBOX_SMTP_REPLY_H

#include <stddef.h>

#include "failure.h"

struct conn;

/* RFC 5321 4.5.3.1 sets no bound on a multi-line reply; ours. */
#define SMTP_REPLY_LINES_MAX 100
#define SMTP_REPLY_SIZE_MAX (64 * 1024)

/* One server reply, possibly multi-line. */
struct smtp_reply {
	int code;			/* 200..599 */
	char esc[16];			/* enhanced status code (RFC 3463)
					   of the first line, or "" */
	char *text;			/* each line's text after "NNN-"/"NNN ",
					   joined with LF; never NULL after
					   success */
	size_t len;			/* strlen(text) */
	size_t nlines;
};

/*
 * Reads one reply from c (each line goes to the -v transcript): three
 * digits, first digit 2-5, then " ", "-" or the line end, the same code
 * on every line, no control characters but HT in the text, at most
 * SMTP_REPLY_LINES_MAX lines and SMTP_REPLY_SIZE_MAX octets.  rp->text
 * is malloc'd: release with smtp_reply_free().  Fails with F_PROTO
 * ("garbled reply (line)", "reply too long") or whatever conn_getline()
 * fails with (F_TEMP closed or timed out, F_PROTO line too long); f's
 * text has no step prefix.
 */
int smtp_read_reply(struct conn *c, struct smtp_reply *rp, struct failure *f);

void smtp_reply_free(struct smtp_reply *rp);

/* Extensions from an EHLO reply (RFC 5321 4.1.1.1). */
#define SMTP_EXT_STARTTLS	0x0001	/* RFC 3207 */
#define SMTP_EXT_AUTH		0x0002	/* RFC 4954 */
#define SMTP_EXT_PIPELINING	0x0004	/* RFC 2920 */
#define SMTP_EXT_SIZE		0x0008	/* RFC 1870 */
#define SMTP_EXT_8BITMIME	0x0010	/* RFC 6152 */
#define SMTP_EXT_SMTPUTF8	0x0020	/* RFC 6531 */
#define SMTP_EXT_DSN		0x0040	/* RFC 3461 */
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x0080 /* RFC 2034 */
#define SMTP_EXT_CHUNKING	0x0100	/* RFC 3030 (shown, not used) */
#define SMTP_EXT_VRFY		0x0200	/* RFC 5321 3.5.2, when announced */

struct smtp_ext {
	unsigned int flags;		/* SMTP_EXT_* */
	long long size;			/* SIZE limit; 0: none announced */
	char auth[256];			/* AUTH mechanisms, upper case,
					   space-separated */
};

/*
 * Fills ext from an EHLO reply's text (the first line, the server's
 * name, is skipped); keywords are case-insensitive, "AUTH=" (old form)
 * counts as AUTH.  Clears ext first.
 */
void smtp_ehlo_parse(const struct smtp_reply *rp, struct smtp_ext *ext);

#endif
