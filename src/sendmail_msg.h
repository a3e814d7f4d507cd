/*
 * sendmail_msg.h — a finished RFC 5322 message, as the sendmail
 * personality takes it on stdin, read into the spool with the headers it
 * lacks (Date, Message-ID, From) added and Bcc removed.
 *
 * Input lines may end in LF, CRLF or a bare CR; in the spool every line
 * ends in LF (encode_wire() makes CRLF), so no bare CR or LF reaches the
 * wire.  Only the header block is held in memory (at most
 * SENDMAIL_MSG_HEADER_MAX octets); the body is streamed.
 */
#ifndef OUTBOX_SENDMAIL_MSG_H
#define OUTBOX_SENDMAIL_MSG_H

#include <sys/types.h>

#include <stdio.h>
#include <time.h>

#include "failure.h"

/* A header block larger than this is refused (F_DATA): 1 MiB. */
#define SENDMAIL_MSG_HEADER_MAX (1024 * 1024)

/* RFC 5322 2.1.1: a line holds at most 998 octets before its CRLF. */
#define SENDMAIL_MSG_LINE_MAX 998

/* One header field as it came: "Name: value" with its folds, LF ends. */
struct sendmail_field {
	char *raw;
	size_t namelen;
};

struct sendmail_msg {
	struct sendmail_field *fields;
	size_t nfields;
	size_t size;			/* octets held by fields */
	char *first_body;		/* a line that ended the header
					   without the empty line, or NULL */
	size_t first_body_len;
	int ended;			/* EOF or the "." line came already */
	int eightbit_header;		/* a byte >= 0x80 in the header */
	int eightbit_body;
	int utf8_body;			/* the body is valid UTF-8 */
	off_t body_offset;		/* where the body starts in the spool */
	size_t header_lines;		/* input lines before the body */
	size_t long_line;		/* the first body line over
					   SENDMAIL_MSG_LINE_MAX octets, as
					   a line number of the input, or 0 */
	char message_id[256];		/* "<...>" as sent */
};

/*
 * Reads the header block of the message on in (up to the empty line,
 * EOF, or the first line that is no header field) into m.  With
 * ignore_dots 0, a line holding a single "." ends the input, as in
 * sendmail.  A leading mbox "From " line is dropped.  F_DATA when the
 * block exceeds SENDMAIL_MSG_HEADER_MAX or holds a NUL byte, F_IO on a
 * read error.
 */
int sendmail_msg_read_header(FILE *in, int ignore_dots, struct sendmail_msg *m,
    struct failure *f);

/*
 * The unfolded value of the n-th (from 0) field called name
 * (case-insensitive), white space at both ends trimmed; NULL when there
 * is none.  Caller frees.
 */
char *sendmail_msg_header(const struct sendmail_msg *m, const char *name,
    size_t n);

/* What the writer adds when the header lacks it. */
struct sendmail_add {
	const char *from_name;		/* display name of a missing From,
					   or NULL */
	const char *from_addr;		/* its address */
	time_t date;			/* 0: now */
	const char *message_id;		/* "<...>", NULL: random */
	const char *id_domain;		/* right side of a made Message-ID */
};

/*
 * Writes the message to out: the header fields without Bcc and
 * Resent-Bcc, the missing Date, Message-ID and From, the empty line, and
 * the rest of in (the body, streamed, same dot rule as the header).
 * Sets m->eightbit_*, m->utf8_body, m->body_offset, m->long_line and
 * m->message_id.
 * F_IO on a read or write error.
 */
int sendmail_msg_write(FILE *in, int ignore_dots, struct sendmail_msg *m,
    const struct sendmail_add *add, FILE *out, struct failure *f);

/*
 * For a server without 8BITMIME (RFC 6152): writes to out a copy of the
 * message in spool (as sendmail_msg_write() made it) with the body in
 * quoted-printable, its Content-Transfer-Encoding replaced (and
 * MIME-Version and a text/plain Content-Type, charset UTF-8 or
 * unknown-8bit, added when missing).  F_PERM, saying why, when the
 * message cannot be converted: 8-bit bytes in the header, a multipart or
 * message body, or a body already encoded otherwise.  F_IO on error.
 */
int sendmail_msg_to_7bit(const struct sendmail_msg *m, FILE *spool, FILE *out,
    struct failure *f);

/*
 * Replaces every field called name (case-insensitive) by one
 * "Name: value" field where the first stood, or adds it at the end when
 * there was none.  value is one line (no LF); a long one is folded by
 * the caller.
 */
void sendmail_msg_set_field(struct sendmail_msg *m, const char *name,
    const char *value);

/*
 * sendmail_msg_to_7bit() for a message already in a file (a queue
 * entry, LF lines, header then empty line then body): parses msg's
 * header and body again and writes the converted copy to out.  Fails as
 * sendmail_msg_to_7bit() does.
 */
int sendmail_msg_convert_7bit(FILE *msg, FILE *out, struct failure *f);

/*
 * For a body with a line over SENDMAIL_MSG_LINE_MAX octets
 * (m->long_line): writes to out a copy of the message in spool with the
 * body in quoted-printable (its lines soft-broken at 76), the MIME
 * fields added or replaced as sendmail_msg_to_7bit() does.  F_DATA,
 * naming the line, for a multipart or message body (its parts are not
 * re-encoded) or a body that claims an encoding other than 7bit, 8bit
 * or binary.  F_IO on error.
 */
int sendmail_msg_fold_long(const struct sendmail_msg *m, FILE *spool,
    FILE *out, struct failure *f);

/*
 * v with its RFC 2047 encoded words in UTF-8 or US-ASCII decoded (words
 * in other charsets are left as they are), for showing a Subject in a
 * listing.  The result is bytes, not necessarily valid UTF-8.  Caller
 * frees.
 */
char *sendmail_msg_decode_words(const char *v);

/* from-rewrite (outboxrc(5)): which From fields become the account's. */
enum sendmail_rewrite { SM_REWRITE_NEVER, SM_REWRITE_LOCAL,
    SM_REWRITE_ALWAYS };

/* The mode named by v ("never", "local", "always"; NULL: local). */
enum sendmail_rewrite sendmail_msg_rewrite_mode(const char *v);

/*
 * Whether mode rewrites the From (or envelope) address addr: always, or
 * for local when addr is a local name: no domain (cron's "root (Cron
 * Daemon)", "MAILER-DAEMON"), or localhost, hostname, or this machine's
 * name as its domain.  addr NULL counts as local.
 */
int sendmail_msg_rewrites(enum sendmail_rewrite mode, const char *addr,
    const char *hostname);

/*
 * The address of text when it holds exactly one (a From field, -f), or
 * NULL; the caller frees it.
 */
char *sendmail_msg_one_addr(const char *text);

/*
 * from-rewrite on m's header: when mode rewrites the From field's
 * address, From becomes conf_from's address (conf_from: one address as
 * configured, "Name <addr>"), with the original as its display name
 * (with " on HOST", hostname's first label, for a local one) and whole
 * in X-Original-From.  No Sender: the new From is the one mailbox that
 * sends (RFC 5322 3.6.2).  Returns 1 when it rewrote, 0 when not, -1
 * with F_CONFIG when conf_from is not one address.
 */
int sendmail_msg_rewrite_from(struct sendmail_msg *m, enum sendmail_rewrite mode,
    const char *conf_from, const char *hostname, struct failure *f);

void sendmail_msg_free(struct sendmail_msg *m);

#endif
