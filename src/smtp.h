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

/*
 * The envelope of one message: the one description of it, embedded in
 * struct job (deliver.h) and struct queue_entry (queue.h), so a new
 * field travels from submission through the queue to the flush.
 */
struct smtp_envelope {
	const char *from;		/* reverse-path, "" for <> */
	const char *const *rcpts;	/* forward-paths, unique */
	size_t nrcpts;
	int eightbit;			/* message has 8-bit bytes */
	off_t size;			/* octets in wire form, for SIZE= */
	/*
	 * International addresses (RFC 6531).  from_ascii and rcpts_ascii[i]
	 * are the all-ASCII forms (IDNA A-label domains) of addresses that
	 * have one, NULL where the address is ASCII already or has none (a
	 * UTF-8 local part); rcpts_ascii itself may be NULL.  When the server
	 * offers SMTPUTF8 the UTF-8 forms go with MAIL ... SMTPUTF8; else the
	 * ASCII forms, and an address without one fails with F_DATA.
	 */
	const char *from_ascii;
	const char *const *rcpts_ascii;
	int utf8_headers;		/* RFC 6532: UTF-8 in the header,
					   SMTPUTF8 declared when offered */
	/*
	 * Delivery status notifications (RFC 3461), used when the server
	 * offers DSN: NOTIFY= on every RCPT ("NEVER" or a comma list of
	 * SUCCESS, FAILURE, DELAY), RET= ("FULL" or "HDRS") and ENVID= on
	 * MAIL (xtext-encoded here).  Without DSN offered: a warning, or
	 * F_PERM when dsn_required.
	 */
	const char *dsn_notify;
	const char *dsn_ret;
	const char *dsn_envid;
	int dsn_required;
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
	int smtputf8;			/* the UTF-8 forms were used */
	int dsn;			/* DSN parameters were sent */
	size_t nrcpts;
	size_t naccepted;
	char *final_reply;		/* reply to the final dot, or NULL */
	int uncertain;			/* lost after the dot, before reply */
	int lacks_8bitmime;		/* refused: 8-bit data, no 8BITMIME */
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

/*
 * A session that carries many messages over one connection (the queue
 * flush): smtp_open() connects, secures and authenticates; each
 * smtp_send() is one transaction (RSET before all but the first, RFC
 * 5321 4.1.1.5); smtp_close() says QUIT when the connection still
 * stands and frees the session.  p must outlive the session.
 *
 * smtp_open() returns NULL with f set as smtp_submit() sets it.
 * smtp_send() fills r and fails as smtp_submit() does; after any
 * failure smtp_usable() tells whether the connection can take the next
 * message (a refused recipient or message leaves it usable; an I/O or
 * protocol failure, or a message lost after the dot, does not).
 */
struct smtp_session;

struct smtp_session *smtp_open(const struct smtp_params *p,
    struct failure *f);
int smtp_send(struct smtp_session *s, const struct smtp_envelope *env,
    FILE *msg, struct smtp_result *r, struct failure *f);
int smtp_usable(const struct smtp_session *s);
void smtp_close(struct smtp_session *s);

/*
 * Has fn(arg) called just before the final dot of each message leaves:
 * from then on the server may hold the message whatever happens to the
 * connection (RFC 5321 4.5.3.2.6 / RFC 1047).  The queue marks the entry
 * so an interrupted flush can be recognised.  fn NULL: no hook.
 */
void smtp_set_dot_hook(struct smtp_session *s, void (*fn)(void *),
    void *arg);

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
