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

int
sendmail_msg_write(FILE *in, int ignore_dots, struct sendmail_msg *m,
    const struct sendmail_add *add, FILE *out, struct failure *f)
{
	struct sendmail_msg_reader rd;
	size_t i;
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
	if (m->first_body != NULL) {
		if (fwrite(m->first_body, 1, m->first_body_len, out) !=
		    m->first_body_len)
			goto werr;
		for (i = 0; i < m->first_body_len; i++) {
			c = (unsigned char)m->first_body[i];
			m->eightbit_body |= c >= 0x80;
			sendmail_msg_utf8_step(&need, &ok, c);
		}
	}
	/* The header reader stopped at a line start (or at the end). */
	sendmail_msg_reader_init(&rd, in, ignore_dots);
	rd.end = m->ended;
	while ((c = sendmail_msg_getc(&rd)) != EOF) {
		if (putc(c, out) == EOF)
			goto werr;
		if (c >= 0x80)
			m->eightbit_body = 1;
		sendmail_msg_utf8_step(&need, &ok, c);
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

int
sendmail_msg_to_7bit(const struct sendmail_msg *m, FILE *spool, FILE *out,
    struct failure *f)
{
	struct encode_qp qp;
	char *line = NULL, *buf;
	const char *why;
	size_t cap = 0, n;
	ssize_t len;
	int skip = 0, rc = 0;

	if ((why = sendmail_msg_why_not_7bit(m)) != NULL)
		return failure_set(f, F_PERM, "MAIL FROM: the server lacks "
		    "8BITMIME and the message cannot be converted to 7-bit: "
		    "%s", why);
	rewind(spool);
	while (ftello(spool) < m->body_offset &&
	    (len = getline(&line, &cap, spool)) > 0) {
		if (len == 1) {
			/* The empty line: the new MIME fields first. */
			if (!sendmail_msg_has(m, "MIME-Version"))
				fputs("MIME-Version: 1.0\n", out);
			if (!sendmail_msg_has(m, "Content-Type"))
				fprintf(out, "Content-Type: text/plain; "
				    "charset=%s\n", m->utf8_body ? "UTF-8" :
				    "unknown-8bit");
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
