/*
 * sendmail_msg.c — a finished message for the sendmail personality (see
 * sendmail_msg.h): its header read from stdin, and the whole message
 * into the spool with the missing fields added and Bcc removed.
 *
 * RFC 5322 (header fields, unfolding: section 2.2.3; Date, Message-ID,
 * From: section 3.6), RFC 2045 (quoted-printable), RFC 6152 (8BITMIME),
 * RFC 1428 (unknown-8bit).
 *
 * Line ends: LF, CRLF and a bare CR each end a line; the spool holds LF
 * only.  A bare CR is taken as a line end (not dropped, not escaped) so
 * that no text is lost and nothing bare reaches the wire.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "encode.h"
#include "message.h"
#include "sendmail_msg.h"
#include "xmalloc.h"

/* Copying block for the 7-bit conversion. */
#define SENDMAIL_MSG_BLOCK 65536

/* The dot rule and line-end normalisation over the input stream. */
struct sendmail_msg_reader {
	FILE *in;
	int ignore_dots;
	int bol;		/* the next byte starts a line */
	int held;		/* a byte read ahead, or -1 */
	int end;		/* EOF or the "." line was seen */
};

static void
sendmail_msg_reader_init(struct sendmail_msg_reader *rd, FILE *in, int ignore_dots)
{
	rd->in = in;
	rd->ignore_dots = ignore_dots;
	rd->bol = 1;
	rd->held = -1;
	rd->end = 0;
}

static int
sendmail_msg_raw(struct sendmail_msg_reader *rd)
{
	int c;

	if (rd->held != -1) {
		c = rd->held;
		rd->held = -1;
		return c;
	}
	return getc(rd->in);
}

/*
 * The next byte with line ends made LF, or EOF at the end of the input
 * or at a line holding only "." (unless ignore_dots).
 */
static int
sendmail_msg_getc(struct sendmail_msg_reader *rd)
{
	int c, d;

	if (rd->end)
		return EOF;
	c = sendmail_msg_raw(rd);
	if (c == '\r') {
		d = getc(rd->in);
		if (d != '\n' && d != EOF)
			rd->held = d;
		c = '\n';
	} else if (c == '.' && rd->bol && !rd->ignore_dots) {
		d = sendmail_msg_raw(rd);
		if (d == '\r') {
			/* "." then CRLF or a bare CR: the line is done. */
			rd->end = 1;
			return EOF;
		}
		if (d == '\n' || d == EOF) {
			rd->end = 1;
			return EOF;
		}
		rd->held = d;
	}
	if (c == EOF) {
		rd->end = 1;
		return EOF;
	}
	rd->bol = c == '\n';
	return c;
}

static int
sendmail_msg_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* The length of the field name of line, or 0 when it is no field. */
static size_t
sendmail_msg_field_name(const char *line, size_t len)
{
	size_t i, n;

	for (i = 0; i < len && line[i] > 32 && line[i] < 127 &&
	    line[i] != ':'; i++)
		;
	n = i;
	while (i < len && sendmail_msg_is_wsp(line[i]))	/* obs-optional */
		i++;
	return n > 0 && i < len && line[i] == ':' ? n : 0;
}

static int
sendmail_msg_name_is(const struct sendmail_field *fl, const char *name)
{
	return fl->namelen == strlen(name) &&
	    strncasecmp(fl->raw, name, fl->namelen) == 0;
}

static void
sendmail_msg_check_8bit(struct sendmail_msg *m, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			m->eightbit_header = 1;
}

int
sendmail_msg_read_header(FILE *in, int ignore_dots, struct sendmail_msg *m,
    struct failure *f)
{
	struct sendmail_msg_reader rd;
	char *line = NULL;
	size_t len, cap = 0, nlines = 0, rawlen = 0, rawcap = 0;
	int c, eof = 0;

	/* The reader's state lives in the FILE: one byte of lookahead at
	 * most, which sendmail_msg_write() gets back through ungetc(). */
	sendmail_msg_reader_init(&rd, in, ignore_dots);
	memset(m, 0, sizeof(*m));
	while (!eof) {
		len = 0;
		for (;;) {
			c = sendmail_msg_getc(&rd);
			if (c == EOF) {
				eof = 1;
				break;
			}
			if (m->size + len + 2 > SENDMAIL_MSG_HEADER_MAX) {
				free(line);
				return failure_set(f, F_DATA, "the message's "
				    "header is larger than %d KiB",
				    SENDMAIL_MSG_HEADER_MAX / 1024);
			}
			if (c == '\0') {
				/* It would cut the field short (and glue the
				 * next one to it) wherever C strings hold it. */
				free(line);
				return failure_set(f, F_DATA, "the message's "
				    "header holds a NUL byte");
			}
			/* Room for c, the LF added at EOF, and the NUL. */
			if (len + 3 > cap) {
				cap = cap ? cap * 2 : 256;
				line = xreallocarray(line, cap, 1);
			}
			line[len++] = (char)c;
			if (c == '\n')
				break;
		}
		if (len == 0)
			break;
		if (line[len - 1] != '\n')
			line[len++] = '\n';
		line[len] = '\0';
		m->header_lines++;
		if (nlines++ == 0 && len > 5 && memcmp(line, "From ", 5) == 0)
			continue;	/* an mbox separator */
		if (len == 1)
			break;		/* the empty line */
		sendmail_msg_check_8bit(m, line, len);
		if (sendmail_msg_is_wsp(line[0]) && m->nfields > 0) {
			struct sendmail_field *fl = &m->fields[m->nfields - 1];

			/* The last field's length and room are kept, so a
			 * field folded 300,000 times is read in linear time. */
			if (rawlen + len + 1 > rawcap) {
				rawcap = 2 * (rawlen + len + 1);
				fl->raw = xreallocarray(fl->raw, rawcap, 1);
			}
			memcpy(fl->raw + rawlen, line, len + 1);
			rawlen += len;
		} else if (sendmail_msg_field_name(line, len) > 0) {
			m->fields = xreallocarray(m->fields, m->nfields + 1,
			    sizeof(*m->fields));
			rawlen = len;
			rawcap = len + 1;
			m->fields[m->nfields].raw = xstrdup(line);
			m->fields[m->nfields++].namelen =
			    sendmail_msg_field_name(line, len);
		} else {
			/* No field: the body starts here, without the
			 * empty line; the writer adds it. */
			m->first_body = line;
			m->first_body_len = len;
			m->header_lines--;	/* it is body line 1 */
			line = NULL;
			break;
		}
		m->size += len;
	}
	free(line);
	if (ferror(in))
		return failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
	/* Hand the lookahead back (see above). */
	if (rd.held != -1 && ungetc(rd.held, in) == EOF)
		return failure_set(f, F_IO, "reading the message");
	m->ended = rd.end;
	return 0;
}

char *
sendmail_msg_header(const struct sendmail_msg *m, const char *name, size_t n)
{
	const char *p;
	char *v, *w;
	size_t i;

	for (i = 0; i < m->nfields; i++) {
		if (!sendmail_msg_name_is(&m->fields[i], name) || n-- > 0)
			continue;
		p = strchr(m->fields[i].raw, ':') + 1;
		v = xmalloc(strlen(p) + 1);
		/* RFC 5322 2.2.3: unfolding removes the line breaks. */
		for (w = v; *p != '\0'; p++)
			if (*p != '\n')
				*w++ = *p;
		*w = '\0';
		while (w > v && isspace((unsigned char)w[-1]))
			*--w = '\0';
		for (w = v; sendmail_msg_is_wsp(*w); w++)
			;
		memmove(v, w, strlen(w) + 1);
		return v;
	}
	return NULL;
}

static int
sendmail_msg_has(const struct sendmail_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nfields; i++)
		if (sendmail_msg_name_is(&m->fields[i], name))
			return 1;
	return 0;
}

/* The header fields that are missing, as sendmail adds them. */
static int
sendmail_msg_write_added(struct sendmail_msg *m, const struct sendmail_add *add,
    FILE *out)
{
	char date[128], *v;

	if (!sendmail_msg_has(m, "Date")) {
		encode_date(add->date ? add->date : time(NULL),
		    ENCODE_DATE_RFC5322, date, sizeof(date));
		if (fprintf(out, "Date: %s\n", date) < 0)
			return -1;
	}
	if ((v = sendmail_msg_header(m, "Message-ID", 0)) != NULL) {
		strlcpy(m->message_id, v, sizeof(m->message_id));
		free(v);
	} else {
		message_make_id(add->id_domain, add->message_id,
		    m->message_id, sizeof(m->message_id));
		if (fprintf(out, "Message-ID: %s\n", m->message_id) < 0)
			return -1;
	}
	if (!sendmail_msg_has(m, "From") && add->from_addr != NULL) {
		if (add->from_name != NULL && *add->from_name != '\0') {
			v = encode_header_text(add->from_name, 6, 1);
			if (fprintf(out, "From: %s <%s>\n", v,
			    add->from_addr) < 0) {
				free(v);
				return -1;
			}
			free(v);
		} else if (fprintf(out, "From: %s\n", add->from_addr) < 0)
			return -1;
	}
	return 0;
}

/* RFC 3629 well-formedness, a byte at a time. */
static void
sendmail_msg_utf8_step(int *need, int *ok, int c)
{
	if (*need > 0) {
		if ((c & 0xc0) != 0x80)
			*ok = 0;
		(*need)--;
	} else if (c >= 0xc2 && c <= 0xdf)
		*need = 1;
	else if ((c & 0xf0) == 0xe0)
		*need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		*need = 3;
	else if (c >= 0x80)
		*ok = 0;
}

/* Line lengths of the body: the first line over the limit. */
static void
sendmail_msg_count_line(struct sendmail_msg *m, int c, size_t *col,
    size_t *lineno)
{
	if (c == '\n') {
		*col = 0;
		(*lineno)++;
	} else if (++*col == SENDMAIL_MSG_LINE_MAX + 1 && m->long_line == 0)
		m->long_line = *lineno;
}

/*
 * The body copy: sendmail_msg_getc()'s rules (line ends made LF, the
 * end at a "." line unless ignore_dots) applied to blocks from fread()
 * and written out in blocks, since a byte at a time through stdio cost
 * 15 ns a byte.  What would be the reader's look-ahead is state here:
 * cr (the LF of a CRLF is dropped) and dot (a "." at a line start waits
 * for the next byte).
 */
struct sendmail_msg_body {
	struct sendmail_msg *m;
	FILE *out;
	int ignore_dots, bol, cr, dot, end;
	int need, ok;			/* UTF-8 well-formedness so far */
	size_t col, lineno;		/* for the first over-long line */
	unsigned char obuf[32768];
	size_t olen;
};

static int
sendmail_msg_emit(struct sendmail_msg_body *b, int c)
{
	if (b->olen == sizeof(b->obuf)) {
		if (fwrite(b->obuf, 1, b->olen, b->out) != b->olen)
			return -1;
		b->olen = 0;
	}
	b->obuf[b->olen++] = (unsigned char)c;
	if (c >= 0x80) {
		b->m->eightbit_body = 1;
		sendmail_msg_utf8_step(&b->need, &b->ok, c);
	} else if (b->need > 0)
		sendmail_msg_utf8_step(&b->need, &b->ok, c);
	sendmail_msg_count_line(b->m, c, &b->col, &b->lineno);
	b->bol = c == '\n';
	return 0;
}

/* A run of bytes holding no CR or LF, emitted as sendmail_msg_emit() would. */
static int
sendmail_msg_emit_run(struct sendmail_msg_body *b, const unsigned char *p,
    size_t len)
{
	size_t k, room;
	unsigned char hi = 0;

	for (k = 0; k < len; k++)
		hi |= p[k];
	if ((hi & 0x80) || b->need > 0) {
		b->m->eightbit_body |= (hi & 0x80) != 0;
		for (k = 0; k < len; k++)
			sendmail_msg_utf8_step(&b->need, &b->ok, p[k]);
	}
	if (b->col <= SENDMAIL_MSG_LINE_MAX &&
	    b->col + len > SENDMAIL_MSG_LINE_MAX && b->m->long_line == 0)
		b->m->long_line = b->lineno;
	b->col += len;
	b->bol = 0;
	while (len > 0) {
		if (b->olen == sizeof(b->obuf)) {
			if (fwrite(b->obuf, 1, b->olen, b->out) != b->olen)
				return -1;
			b->olen = 0;
		}
		room = sizeof(b->obuf) - b->olen;
		k = len < room ? len : room;
		memcpy(b->obuf + b->olen, p, k);
		b->olen += k;
		p += k;
		len -= k;
	}
	return 0;
}

static int
sendmail_msg_copy_body(struct sendmail_msg_body *b, FILE *in)
{
	unsigned char ibuf[32768];
	const unsigned char *e, *nl, *cr;
	size_t n, i;
	int c;

	while (!b->end && (n = fread(ibuf, 1, sizeof(ibuf), in)) > 0) {
		for (i = 0; i < n && !b->end; i++) {
			c = ibuf[i];
			/* The common case: bytes up to the next CR or LF. */
			if (!b->dot && !b->cr && c != '\r' && c != '\n' &&
			    !(c == '.' && b->bol && !b->ignore_dots)) {
				nl = memchr(ibuf + i, '\n', n - i);
				e = nl != NULL ? nl : ibuf + n;
				if ((cr = memchr(ibuf + i, '\r',
				    (size_t)(e - (ibuf + i)))) != NULL)
					e = cr;
				if (sendmail_msg_emit_run(b, ibuf + i,
				    (size_t)(e - (ibuf + i))) == -1)
					return -1;
				i = (size_t)(e - ibuf) - 1;
				continue;
			}
			if (b->dot) {
				b->dot = 0;
				if (c == '\r' || c == '\n') {
					b->end = 1;
					break;
				}
				if (sendmail_msg_emit(b, '.') == -1)
					return -1;
			}
			if (b->cr) {
				b->cr = 0;
				if (c == '\n')
					continue;
			}
			if (c == '\r') {
				if (sendmail_msg_emit(b, '\n') == -1)
					return -1;
				b->cr = 1;
			} else if (c == '.' && b->bol && !b->ignore_dots)
				b->dot = 1;
			else if (sendmail_msg_emit(b, c) == -1)
				return -1;
		}
	}
	/* A "." at a line start and then the end of the input: the end. */
	if (b->olen > 0 && fwrite(b->obuf, 1, b->olen, b->out) != b->olen)
		return -1;
	return 0;
}

int
sendmail_msg_write(FILE *in, int ignore_dots, struct sendmail_msg *m,
    const struct sendmail_add *add, FILE *out, struct failure *f)
{
	size_t i, col = 0, lineno = m->header_lines + 1;
	int c, need = 0, ok = 1;

	for (i = 0; i < m->nfields; i++) {
		/* Bcc recipients are in the envelope, never in a header. */
		if (sendmail_msg_name_is(&m->fields[i], "Bcc") ||
		    sendmail_msg_name_is(&m->fields[i], "Resent-Bcc"))
			continue;
		if (fputs(m->fields[i].raw, out) == EOF)
			goto werr;
	}
	if (sendmail_msg_write_added(m, add, out) == -1 || putc('\n', out) == EOF)
		goto werr;
	m->body_offset = ftello(out);
	m->eightbit_body = 0;
	m->long_line = 0;
	if (m->first_body != NULL) {
		if (fwrite(m->first_body, 1, m->first_body_len, out) !=
		    m->first_body_len)
			goto werr;
		for (i = 0; i < m->first_body_len; i++) {
			c = (unsigned char)m->first_body[i];
			m->eightbit_body |= c >= 0x80;
			sendmail_msg_utf8_step(&need, &ok, c);
			sendmail_msg_count_line(m, c, &col, &lineno);
		}
	}
	/* The header reader stopped at a line start (or at the end). */
	if (!m->ended) {
		struct sendmail_msg_body b;

		memset(&b, 0, sizeof(b));
		b.m = m;
		b.out = out;
		b.ignore_dots = ignore_dots;
		b.bol = 1;
		b.need = need;
		b.ok = ok;
		b.col = col;
		b.lineno = lineno;
		if (sendmail_msg_copy_body(&b, in) == -1)
			goto werr;
		need = b.need;
		ok = b.ok;
	}
	if (ferror(in))
		return failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
	m->utf8_body = ok && need == 0;
	if (fflush(out) == EOF)
		goto werr;
	return 0;
werr:
	return failure_set(f, F_IO, "writing the spool: %s", strerror(errno));
}

/* Why an 8-bit message cannot be made 7-bit, or NULL when it can. */
static const char *
sendmail_msg_why_not_7bit(const struct sendmail_msg *m)
{
	char *ct, *cte;
	const char *why = NULL;

	if (m->eightbit_header)
		return "its header has 8-bit bytes";
	ct = sendmail_msg_header(m, "Content-Type", 0);
	cte = sendmail_msg_header(m, "Content-Transfer-Encoding", 0);
	if (ct != NULL && (strncasecmp(ct, "multipart/", 10) == 0 ||
	    strncasecmp(ct, "message/", 8) == 0))
		why = "it is a multipart message with 8-bit parts, which "
		    "outbox does not re-encode";
	else if (cte != NULL && strcasecmp(cte, "8bit") != 0 &&
	    strcasecmp(cte, "7bit") != 0 && strcasecmp(cte, "binary") != 0)
		why = "its body is 8-bit although it claims another "
		    "Content-Transfer-Encoding";
	free(ct);
	free(cte);
	return why;
}

/* The charset of an added Content-Type: what the body holds. */
static const char *
sendmail_msg_charset(const struct sendmail_msg *m)
{
	if (!m->eightbit_body)
		return "us-ascii";
	return m->utf8_body ? "UTF-8" : "unknown-8bit";
}

/* The message with its body in quoted-printable (RFC 2045 6.7). */
static int
sendmail_msg_to_qp(const struct sendmail_msg *m, FILE *spool, FILE *out,
    struct failure *f)
{
	struct encode_qp qp;
	char *line = NULL, *buf;
	size_t cap = 0, n;
	ssize_t len;
	int skip = 0, rc = 0;

	rewind(spool);
	while (ftello(spool) < m->body_offset &&
	    (len = getline(&line, &cap, spool)) > 0) {
		if (len == 1) {
			/* The empty line: the new MIME fields first. */
			if (!sendmail_msg_has(m, "MIME-Version"))
				fputs("MIME-Version: 1.0\n", out);
			if (!sendmail_msg_has(m, "Content-Type"))
				fprintf(out, "Content-Type: text/plain; "
				    "charset=%s\n", sendmail_msg_charset(m));
			fputs("Content-Transfer-Encoding: quoted-printable\n\n",
			    out);
			break;
		}
		if (!sendmail_msg_is_wsp(line[0]))
			skip = sendmail_msg_field_name(line, (size_t)len) == 25 &&
			    strncasecmp(line, "Content-Transfer-Encoding",
			    25) == 0;
		if (!skip && fwrite(line, 1, (size_t)len, out) != (size_t)len)
			rc = -1;
	}
	free(line);
	buf = xmalloc(SENDMAIL_MSG_BLOCK);
	encode_qp_init(&qp);
	if (fseeko(spool, m->body_offset, SEEK_SET) == -1)
		rc = -1;
	while (rc == 0 && (n = fread(buf, 1, SENDMAIL_MSG_BLOCK, spool)) > 0)
		if (encode_qp_update(&qp, buf, n, out) == -1)
			rc = -1;
	free(buf);
	if (rc == 0 && (ferror(spool) || encode_qp_final(&qp, out) == -1 ||
	    fflush(out) == EOF))
		rc = -1;
	if (rc == -1 || ferror(out))
		return failure_set(f, F_IO, "converting the message to "
		    "quoted-printable: %s", strerror(errno));
	return 0;
}

int
sendmail_msg_to_7bit(const struct sendmail_msg *m, FILE *spool, FILE *out,
    struct failure *f)
{
	const char *why;

	if ((why = sendmail_msg_why_not_7bit(m)) != NULL)
		return failure_set(f, F_PERM, "MAIL FROM: the server lacks "
		    "8BITMIME and the message cannot be converted to 7-bit: "
		    "%s", why);
	return sendmail_msg_to_qp(m, spool, out, f);
}

int
sendmail_msg_convert_7bit(FILE *msg, FILE *out, struct failure *f)
{
	struct sendmail_msg m;
	int c, need = 0, ok = 1, rc;

	rewind(msg);
	if (sendmail_msg_read_header(msg, 1, &m, f) == -1) {
		sendmail_msg_free(&m);
		return -1;
	}
	if (m.first_body != NULL) {
		sendmail_msg_free(&m);
		return failure_set(f, F_PERM, "MAIL FROM: the server lacks "
		    "8BITMIME and the queued message has no header/body "
		    "separator to convert at");
	}
	m.body_offset = ftello(msg);
	while ((c = getc(msg)) != EOF) {
		if (c >= 0x80)
			m.eightbit_body = 1;
		sendmail_msg_utf8_step(&need, &ok, c);
	}
	m.utf8_body = ok && need == 0;
	if (ferror(msg)) {
		sendmail_msg_free(&m);
		return failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
	}
	rc = sendmail_msg_to_7bit(&m, msg, out, f);
	sendmail_msg_free(&m);
	return rc;
}

int
sendmail_msg_fold_long(const struct sendmail_msg *m, FILE *spool, FILE *out,
    struct failure *f)
{
	char *ct, *cte;
	const char *why = NULL;

	ct = sendmail_msg_header(m, "Content-Type", 0);
	cte = sendmail_msg_header(m, "Content-Transfer-Encoding", 0);
	if (ct != NULL && (strncasecmp(ct, "multipart/", 10) == 0 ||
	    strncasecmp(ct, "message/", 8) == 0))
		why = "outbox re-encodes a single-part message only";
	else if (cte != NULL && strcasecmp(cte, "8bit") != 0 &&
	    strcasecmp(cte, "7bit") != 0 && strcasecmp(cte, "binary") != 0)
		why = "its body claims another Content-Transfer-Encoding";
	free(ct);
	free(cte);
	if (why != NULL)
		return failure_set(f, F_DATA, "line %zu of the message is "
		    "longer than %d octets and %s", m->long_line,
		    SENDMAIL_MSG_LINE_MAX, why);
	return sendmail_msg_to_qp(m, spool, out, f);
}

void
sendmail_msg_set_field(struct sendmail_msg *m, const char *name,
    const char *value)
{
	size_t i, j, at = m->nfields;

	for (i = j = 0; i < m->nfields; i++) {
		if (sendmail_msg_name_is(&m->fields[i], name)) {
			if (at == m->nfields)
				at = j;
			else {
				m->size -= strlen(m->fields[i].raw);
				free(m->fields[i].raw);
				continue;
			}
		}
		m->fields[j++] = m->fields[i];
	}
	if (at == m->nfields && at == j) {
		m->fields = xreallocarray(m->fields, m->nfields + 1,
		    sizeof(*m->fields));
		j++;
	} else {
		m->size -= strlen(m->fields[at].raw);
		free(m->fields[at].raw);
	}
	m->nfields = j;
	m->fields[at].raw = xasprintf("%s: %s\n", name, value);
	m->fields[at].namelen = strlen(name);
	m->size += strlen(m->fields[at].raw);
}

static int
sendmail_msg_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * One encoded word at p ("=?cs?B|Q?text?="): its decoded bytes to out
 * (room for the word's length), the length consumed, or 0 when p is no
 * word or its charset is not UTF-8 or ASCII.
 */
static size_t
sendmail_msg_word(const char *p, char *out, size_t *outlen)
{
	const char *cs, *enc, *text, *end;
	unsigned char *b;
	size_t n, i, o = 0;
	int h, l;

	if (strncmp(p, "=?", 2) != 0)
		return 0;
	cs = p + 2;
	if ((enc = strchr(cs, '?')) == NULL || enc[1] == '\0' ||
	    enc[2] != '?')
		return 0;
	text = enc + 3;
	if ((end = strstr(text, "?=")) == NULL || memchr(text, ' ',
	    (size_t)(end - text)) != NULL)
		return 0;
	n = (size_t)(enc - cs);
	/* RFC 2231 5: a language after "*" is allowed and ignored. */
	if (memchr(cs, '*', n) != NULL)
		n = (size_t)((const char *)memchr(cs, '*', n) - cs);
	if (!(n == 5 && strncasecmp(cs, "utf-8", 5) == 0) &&
	    !(n == 8 && strncasecmp(cs, "us-ascii", 8) == 0))
		return 0;
	if (enc[1] == 'B' || enc[1] == 'b') {
		if ((b = encode_base64_decode(text, (size_t)(end - text),
		    &n)) == NULL)
			return 0;
		memcpy(out, b, n);
		free(b);
		o = n;
	} else if (enc[1] == 'Q' || enc[1] == 'q') {
		for (i = 0; text + i < end; i++) {
			if (text[i] == '_')
				out[o++] = ' ';
			else if (text[i] == '=' && text + i + 2 < end &&
			    (h = sendmail_msg_hex(text[i + 1])) != -1 &&
			    (l = sendmail_msg_hex(text[i + 2])) != -1) {
				out[o++] = (char)(h * 16 + l);
				i += 2;
			} else
				out[o++] = text[i];
		}
	} else
		return 0;
	*outlen = o;
	return (size_t)(end + 2 - p);
}

char *
sendmail_msg_decode_words(const char *v)
{
	char *out = xmalloc(strlen(v) + 1);
	size_t o = 0, n, len, ws;
	const char *p = v;
	int prev_word = 0;

	while (*p != '\0') {
		if ((n = sendmail_msg_word(p, out + o, &len)) > 0) {
			o += len;
			p += n;
			prev_word = 1;
			continue;
		}
		/* RFC 2047 6.2: white space between two words goes. */
		ws = strspn(p, " \t");
		if (ws > 0 && prev_word && sendmail_msg_word(p + ws, out + o,
		    &len) > 0) {
			p += ws;
			continue;
		}
		out[o++] = *p++;
		prev_word = 0;
	}
	out[o] = '\0';
	return out;
}

enum sendmail_rewrite
sendmail_msg_rewrite_mode(const char *v)
{
	if (v != NULL && strcmp(v, "never") == 0)
		return SM_REWRITE_NEVER;
	if (v != NULL && strcmp(v, "always") == 0)
		return SM_REWRITE_ALWAYS;
	return SM_REWRITE_LOCAL;
}

static int
sendmail_msg_is_local(const char *addr, const char *hostname)
{
	char host[256];
	const char *dom;

	if (addr == NULL || !address_has_domain(addr))
		return 1;
	dom = address_domain(addr);
	if (strcasecmp(dom, "localhost") == 0 ||
	    strcasecmp(dom, "localhost.localdomain") == 0 ||
	    (hostname != NULL && strcasecmp(dom, hostname) == 0))
		return 1;
	if (gethostname(host, sizeof(host)) == -1)
		return 0;
	host[sizeof(host) - 1] = '\0';
	return strcasecmp(dom, host) == 0;
}

int
sendmail_msg_rewrites(enum sendmail_rewrite mode, const char *addr,
    const char *hostname)
{
	switch (mode) {
	case SM_REWRITE_ALWAYS:
		return 1;
	case SM_REWRITE_LOCAL:
		return sendmail_msg_is_local(addr, hostname);
	case SM_REWRITE_NEVER:
		break;
	}
	return 0;
}

char *
sendmail_msg_one_addr(const char *text)
{
	struct address_list l = { 0 };
	struct failure ignore;
	char *a = NULL;

	if (text != NULL && address_parse_list(text, &l, &ignore) == 0 &&
	    l.n == 1)
		a = xstrdup(l.v[0].addr);
	address_list_free(&l);
	return a;
}

int
sendmail_msg_rewrite_from(struct sendmail_msg *m, enum sendmail_rewrite mode,
    const char *conf_from, const char *hostname, struct failure *f)
{
	char *orig, *a, *conf, *name, *enc, *v;
	size_t hl;
	int local;

	if (mode == SM_REWRITE_NEVER || conf_from == NULL ||
	    (orig = sendmail_msg_header(m, "From", 0)) == NULL)
		return 0;
	a = sendmail_msg_one_addr(orig);
	local = sendmail_msg_is_local(a, hostname);
	if (!sendmail_msg_rewrites(mode, a, hostname)) {
		free(a);
		free(orig);
		return 0;
	}
	free(a);
	if ((conf = sendmail_msg_one_addr(conf_from)) == NULL) {
		free(orig);
		return failure_set(f, F_CONFIG, "from-rewrite: the configured "
		    "from \"%s\" is not one address", conf_from);
	}
	/* The host's first label: "on host01" names the machine. */
	hl = hostname != NULL ? strcspn(hostname, ".") : 0;
	name = local && hl > 0 ? xasprintf("%s on %.*s", orig, (int)hl,
	    hostname) : xstrdup(orig);
	enc = encode_header_text(name, 6, 1);
	v = xasprintf("%s <%s>", enc, conf);
	sendmail_msg_set_field(m, "From", v);
	free(v);
	free(enc);
	free(name);
	free(conf);
	v = encode_header_text(orig, 17, 0);
	sendmail_msg_set_field(m, "X-Original-From", v);
	free(v);
	free(orig);
	return 1;
}

void
sendmail_msg_free(struct sendmail_msg *m)
{
	size_t i;

	for (i = 0; i < m->nfields; i++)
		free(m->fields[i].raw);
	free(m->fields);
	free(m->first_body);
	memset(m, 0, sizeof(*m));
}
