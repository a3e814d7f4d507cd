/*
 * fuzz_reply.c — the SMTP reply reader and the EHLO keyword parser.
 *
 * The input is what a server sends: it is written into one end of a
 * socketpair, whose other end is a struct conn (conn_fdopen), and
 * smtp_read_reply() reads replies until one fails.  Each result is
 * compared with a model of RFC 5321 4.2 written here from the header's
 * contract (three digits, first 2-5, " "/"-"/end, one code on every line,
 * printable text and HT, the line, line-count and size caps, the RFC 3463
 * enhanced code of the first line), and every reply also goes through
 * smtp_ehlo_parse(), compared with a model of its keywords.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conn.h"
#include "failure.h"
#include "fuzz.h"
#include "smtp_reply.h"

struct model {
	const char *p, *end;	/* unread input */
};

struct mreply {
	int code;
	char esc[16];
	struct fbuf text;
	size_t nlines;
};

/* conn_getline()'s contract: 0 line, -1 F_PROTO (too long), -2 EOF. */
static int
model_line(struct model *m, const char **line, size_t *len)
{
	const char *nl = memchr(m->p, '\n', (size_t)(m->end - m->p));
	size_t n;

	if (nl == NULL)
		return (size_t)(m->end - m->p) > CONN_LINE_MAX + 1 ? -1 : -2;
	*line = m->p;
	m->p = nl + 1;
	n = (size_t)(nl - *line);
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	if (n > CONN_LINE_MAX)
		return -1;
	*len = n;
	return 0;
}

/* RFC 3463: class "." subject "." detail, 1-3 digits each. */
static size_t
model_esc(const char *t, size_t len, int code)
{
	size_t i = 0, part, n;

	if (len == 0 || t[0] != '0' + code / 100)
		return 0;
	for (i = 1, part = 0; part < 2; part++) {
		if (i >= len || t[i++] != '.')
			return 0;
		for (n = 0; i < len && isdigit((unsigned char)t[i]); n++, i++)
			;
		if (n < 1 || n > 3)
			return 0;
	}
	return i == len || t[i] == ' ' ? i : 0;
}

/* One reply: 0, or -1 when smtp_read_reply() must fail. */
static int
model_reply(struct model *m, struct mreply *r)
{
	const char *line;
	size_t len, i, total = 0, n;
	int code, more;

	memset(r, 0, sizeof(*r));
	fbuf_add(&r->text, "", 0);
	do {
		if (model_line(m, &line, &len) != 0)
			return -1;
		total += len + 2;
		if (r->nlines >= SMTP_REPLY_LINES_MAX ||
		    total > SMTP_REPLY_SIZE_MAX)
			return -1;
		if (len < 3 || line[0] < '2' || line[0] > '5' ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-'))
			return -1;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (r->nlines > 0 && code != r->code)
			return -1;
		for (i = 4; i < len; i++)
			if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
			    line[i] == 0x7f)
				return -1;
		r->code = code;
		more = len > 3 && line[3] == '-';
		if (r->nlines > 0)
			fbuf_addc(&r->text, '\n');
		if (len > 4)
			fbuf_add(&r->text, line + 4, len - 4);
		if (r->nlines == 0 && len > 4 &&
		    (n = model_esc(line + 4, len - 4, code)) > 0 &&
		    n < sizeof(r->esc))
			memcpy(r->esc, line + 4, n);
		r->nlines++;
	} while (more);
	return 0;
}

/* The EHLO keywords of text (lines after the first) against ext. */
static void
check_ehlo(const char *text, const struct smtp_ext *ext)
{
	static const struct {
		const char *kw;
		unsigned int flag;
	} kws[] = {
		{ "STARTTLS", SMTP_EXT_STARTTLS },
		{ "AUTH", SMTP_EXT_AUTH },
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "SIZE", SMTP_EXT_SIZE },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "DSN", SMTP_EXT_DSN },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
		{ "CHUNKING", SMTP_EXT_CHUNKING },
		{ "VRFY", SMTP_EXT_VRFY },
	};
	struct fbuf auth = { 0 };
	const char *p = strchr(text, '\n'), *e, *a;
	unsigned int flags = 0;
	size_t i, k, alen;

	fbuf_add(&auth, "", 0);
	while (p != NULL) {
		p++;
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		for (k = 0; p + k < e && p[k] != ' ' && p[k] != '='; k++)
			;
		a = p + k < e ? p + k + 1 : e;
		for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
			if (strlen(kws[i].kw) == k &&
			    strncasecmp(p, kws[i].kw, k) == 0)
				flags |= kws[i].flag;
		if (k == 4 && strncasecmp(p, "AUTH", 4) == 0) {
			if (auth.len > 0 && auth.s[auth.len - 1] != ' ' &&
			    e > a)
				fbuf_addc(&auth, ' ');
			for (; a < e; a++)
				fbuf_addc(&auth, (char)toupper((unsigned char)*a));
		}
		p = *e == '\0' ? NULL : e;
	}
	FUZZ_CHECK(ext->flags == flags, "flags %#x, want %#x", ext->flags,
	    flags);
	alen = strlen(ext->auth);
	FUZZ_CHECK(alen < sizeof(ext->auth), "%s", "auth overflow");
	FUZZ_CHECK(alen <= auth.len && memcmp(ext->auth, auth.s, alen) == 0,
	    "auth \"%s\", want \"%s\"", ext->auth, auth.s);
	FUZZ_CHECK(alen == auth.len || alen + 3 >= sizeof(ext->auth),
	    "auth \"%s\" cut short of \"%s\"", ext->auth, auth.s);
	FUZZ_CHECK(ext->size >= 0, "size %lld", ext->size);
	FUZZ_CHECK(ext->size == 0 || (flags & SMTP_EXT_SIZE), "%s",
	    "size without SIZE");
	fbuf_free(&auth);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply rp;
	struct smtp_ext ext;
	struct mreply mr;
	struct failure f;
	struct model m;
	struct conn *c;
	int sv[2], buf = 1 << 20, rc, mrc;
	size_t off = 0;
	ssize_t w;

	if (size > 256 * 1024)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)fcntl(sv[1], F_SETFL, O_NONBLOCK);
	while (off < size && (w = write(sv[1], data + off, size - off)) > 0)
		off += (size_t)w;
	close(sv[1]);
	/* The model sees what the socket took. */
	m.p = (const char *)data;
	m.end = (const char *)data + off;
	c = conn_fdopen(sv[0], 5);
	for (;;) {
		failure_clear(&f);
		rc = smtp_read_reply(c, &rp, &f);
		mrc = model_reply(&m, &mr);
		FUZZ_CHECK(rc == mrc, "read %d (%s), model %d", rc, f.text,
		    mrc);
		if (rc == -1) {
			FUZZ_CHECK(f.kind == F_PROTO || f.kind == F_TEMP,
			    "failure kind %d", f.kind);
			FUZZ_CHECK(f.text[0] != '\0', "%s", "no failure text");
			fbuf_free(&mr.text);
			break;
		}
		FUZZ_CHECK(rp.code == mr.code, "code %d, want %d", rp.code,
		    mr.code);
		FUZZ_CHECK(rp.text != NULL && rp.len == strlen(rp.text) &&
		    rp.len == mr.text.len &&
		    memcmp(rp.text, mr.text.s, rp.len) == 0,
		    "text \"%s\", want \"%s\"", rp.text, mr.text.s);
		FUZZ_CHECK(rp.nlines == mr.nlines, "nlines %zu, want %zu",
		    rp.nlines, mr.nlines);
		FUZZ_CHECK(strcmp(rp.esc, mr.esc) == 0, "esc \"%s\", want "
		    "\"%s\"", rp.esc, mr.esc);
		smtp_ehlo_parse(&rp, &ext);
		check_ehlo(rp.text, &ext);
		smtp_reply_free(&rp);
		fbuf_free(&mr.text);
	}
	conn_close(c);
	return 0;
}
