/*
 * mime.c — the MIME part tree, the content scan and the streaming writer.
 *
 * RFC 2045 (Content-Type, Content-Transfer-Encoding, section 6.8 base64
 * canonical form), RFC 2046 section 5.1 (multipart, boundaries), RFC 2183
 * (Content-Disposition), RFC 2231 and 2047 through encode.c, RFC 1428
 * (unknown-8bit), RFC 5322 section 2.1.1 (998-octet lines).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "encode.h"
#include "mime.h"
#include "xmalloc.h"

const char *const mime_cte_names[MIME_CTE_MAX] = {
	[MIME_7BIT] = "7bit",
	[MIME_QP] = "quoted-printable",
	[MIME_BASE64] = "base64",
};

/* Header lines are folded before this column where possible. */
#define MIME_FOLD_COL 78

void
mime_scan_init(struct mime_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->last = -1;
}

/* One line ended: remember the longest. */
static void
mime_scan_eol(struct mime_scan *s)
{
	if (s->linelen > s->maxline)
		s->maxline = s->linelen;
	s->linelen = 0;
}

/* RFC 3629 section 4: the lead byte fixes the length and the range of
 * the first continuation byte, which rules out overlongs and surrogates. */
static void
mime_scan_utf8_byte(struct mime_scan *s, unsigned char c)
{
	if (s->utf8_bad)
		return;
	if (s->utf8_need > 0) {
		if (c < s->utf8_lo || c > s->utf8_hi) {
			s->utf8_bad = 1;
			return;
		}
		s->utf8_need--;
		s->utf8_lo = 0x80;
		s->utf8_hi = 0xbf;
		return;
	}
	if (c < 0x80)
		return;
	s->utf8_lo = 0x80;
	s->utf8_hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		s->utf8_need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		s->utf8_need = 2;
		if (c == 0xe0)
			s->utf8_lo = 0xa0;
		else if (c == 0xed)
			s->utf8_hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		s->utf8_need = 3;
		if (c == 0xf0)
			s->utf8_lo = 0x90;
		else if (c == 0xf4)
			s->utf8_hi = 0x8f;
	} else
		s->utf8_bad = 1;
}

void
mime_scan_update(struct mime_scan *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (s->cr) {
			s->cr = 0;
			if (c == '\n') {
				s->crlf++;
				mime_scan_eol(s);
				continue;
			}
			/* The held CR was bare: it stays on the line. */
			s->barecr++;
			s->linelen++;
		}
		if (c == '\r')
			s->cr = 1;
		else if (c == '\n') {
			s->lf++;
			mime_scan_eol(s);
		} else {
			s->linelen++;
			if (c == '\0')
				s->nul++;
			else if (c >= 0x80)
				s->hibit++;
		}
		if (c >= 0x80 || s->utf8_need > 0)
			mime_scan_utf8_byte(s, c);
	}
	s->total += len;
	if (len > 0)
		s->last = p[len - 1];
}

void
mime_scan_final(struct mime_scan *s)
{
	if (s->final)
		return;
	s->final = 1;
	if (s->cr) {
		s->cr = 0;
		s->barecr++;
		s->linelen++;
	}
	mime_scan_eol(s);
	if (s->utf8_need > 0)
		s->utf8_bad = 1;
}

int
mime_scan_utf8(const struct mime_scan *s)
{
	return !s->utf8_bad && s->utf8_need == 0;
}

int
mime_scan_ends_eol(const struct mime_scan *s)
{
	return s->total == 0 || s->last == '\n';
}

/* Quoted-printable is the smaller form while escaped bytes are few. */
static enum mime_cte
mime_choose_qp_b64(const struct mime_scan *s)
{
	unsigned long long esc = s->hibit + s->nul + s->barecr;

	if (esc <= s->total / MIME_QP_RATIO)
		return MIME_QP;
	return MIME_BASE64;
}

enum mime_cte
mime_choose(const struct mime_scan *s, int exact)
{
	if (s->total == 0)
		return exact ? MIME_BASE64 : MIME_7BIT;
	if (exact) {
		/* Any CR would be turned into a line end by a reader. */
		if (s->nul || s->barecr || s->crlf ||
		    s->maxline > MIME_LINE_MAX || s->last != '\n')
			return MIME_BASE64;
		if (s->hibit == 0)
			return MIME_7BIT;
		return mime_choose_qp_b64(s);
	}
	if (s->hibit == 0 && s->nul == 0 && s->barecr == 0 &&
	    s->maxline <= MIME_LINE_MAX && mime_scan_ends_eol(s))
		return MIME_7BIT;
	return mime_choose_qp_b64(s);
}

static int
mime_is_utf8_name(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0;
}

static int
mime_is_ascii_name(const char *cs)
{
	return strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0 ||
	    strcasecmp(cs, "ANSI_X3.4-1968") == 0;
}

const char *
mime_text_charset(const struct mime_scan *s, const char *given,
    const char *locale)
{
	int utf8 = mime_scan_utf8(s);

	if (s->hibit == 0)
		return "us-ascii";
	if (given != NULL && *given != '\0') {
		if (mime_is_utf8_name(given) && !utf8)
			return MIME_UNKNOWN_8BIT;
		return given;
	}
	if (utf8)
		return "utf-8";
	if (locale != NULL && *locale != '\0' && !mime_is_utf8_name(locale) &&
	    !mime_is_ascii_name(locale))
		return locale;
	return MIME_UNKNOWN_8BIT;
}

/* RFC 2046 section 5.1.1 bcharsnospace. */
static int
mime_bchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("'()+_,-./:=?", c) != NULL;
}

void
mime_boundary(char *buf, const char *seed, unsigned int n)
{
	unsigned char rnd[12];
	char suffix[16];
	size_t i, o, room;

	if (seed == NULL) {
		arc4random_buf(rnd, sizeof(rnd));
		o = 0;
		buf[o++] = '=';
		buf[o++] = '_';
		for (i = 0; i < sizeof(rnd); i++) {
			buf[o++] = "0123456789abcdef"[rnd[i] >> 4];
			buf[o++] = "0123456789abcdef"[rnd[i] & 0xf];
		}
		buf[o] = '\0';
		return;
	}
	snprintf(suffix, sizeof(suffix), "_%u", n);
	room = MIME_BOUNDARY_MAX - 1 - 2 - strlen(suffix);
	o = 0;
	buf[o++] = '=';
	buf[o++] = '_';
	for (i = 0; seed[i] != '\0' && o - 2 < room; i++)
		if (mime_bchar((unsigned char)seed[i]))
			buf[o++] = seed[i];
	buf[o] = '\0';
	strlcat(buf, suffix, MIME_BOUNDARY_MAX);
}

void
mime_part_body(struct mime_part *p, FILE *fp, const struct mime_scan *s,
    const char *charset)
{
	memset(p, 0, sizeof(*p));
	strlcpy(p->type, "text/plain", sizeof(p->type));
	strlcpy(p->charset, charset, sizeof(p->charset));
	p->scan = *s;
	mime_scan_final(&p->scan);
	p->cte = mime_choose(&p->scan, 0);
	p->text = 1;
	p->fp = fp;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
mime_utf8_len(const unsigned char *s, size_t n)
{
	struct mime_scan sc;
	size_t i;

	mime_scan_init(&sc);
	for (i = 0; i < n && i < 4; i++) {
		mime_scan_update(&sc, &s[i], 1);
		if (sc.utf8_bad)
			return 0;
		if (sc.utf8_need == 0)
			return i + 1;
	}
	return 0;
}

/*
 * The attachment's name for Content-Disposition: the base name, with
 * control characters and bytes that are not UTF-8 replaced by "_" so the
 * name is honest UTF-8 and cannot break a header.
 */
static char *
mime_filename(const char *path)
{
	const char *base, *e;
	unsigned char *name;
	size_t i, n, k;

	e = path + strlen(path);
	while (e > path && e[-1] == '/')
		e--;
	base = e;
	while (base > path && base[-1] != '/')
		base--;
	n = (size_t)(e - base);
	if (n == 0)
		return xstrdup("attachment");
	name = (unsigned char *)xstrndup(base, n);
	for (i = 0; i < n; i += k) {
		k = 1;
		if (name[i] < 0x20 || name[i] == 0x7f)
			name[i] = '_';
		else if (name[i] >= 0x80 &&
		    (k = mime_utf8_len(&name[i], n - i)) == 0) {
			name[i] = '_';
			k = 1;
		}
	}
	return (char *)name;
}

/*
 * libmagic's charset answers that rest on evidence: a BOM (UTF-16,
 * UTF-32).  "iso-8859-1" and "unknown-8bit" only mean 8-bit text that is
 * not UTF-8 (GB2312 text comes out "iso-8859-1"); us-ascii and utf-8
 * the scan checks itself.
 */
static int
mime_reliable_magic(const char *cs)
{
	return strncmp(cs, "utf-16", 6) == 0 || strncmp(cs, "utf-32", 6) == 0;
}

int
mime_attachment_charset(struct mime_part *p, const char *given,
    const char *fallback, struct failure *f)
{
	const char *lm = p->magic_charset, *cs = "";
	int utf8 = mime_scan_utf8(&p->scan) && p->scan.nul == 0;

	if (strncmp(p->type, "text/", 5) != 0)
		return 0;
	if (given != NULL && *given != '\0') {
		if (mime_is_utf8_name(given) && !utf8)
			return failure_set(f, F_DATA, "--attach-charset %s: %s "
			    "is not valid UTF-8", given, p->path);
		cs = given;
	} else if (p->scan.hibit == 0 && p->scan.nul == 0 &&
	    (*lm == '\0' || mime_is_ascii_name(lm) || mime_is_utf8_name(lm)))
		cs = "us-ascii";
	else if (utf8 && !mime_reliable_magic(lm))
		cs = "utf-8";
	else if (fallback != NULL && *fallback != '\0' &&
	    !mime_is_utf8_name(fallback))
		cs = fallback;
	else if (mime_reliable_magic(lm))
		cs = lm;
	/* Otherwise no label: a wrong one would be worse (RFC 2046 4.1.2). */
	strlcpy(p->charset, cs, sizeof(p->charset));
	return 0;
}

static int
mime_scan_file(struct mime_part *p, FILE *fp, struct failure *f)
{
	unsigned char *buf;
	size_t n;

	buf = xmalloc(MIME_BUFSZ);
	while ((n = fread(buf, 1, MIME_BUFSZ, fp)) > 0)
		mime_scan_update(&p->scan, buf, n);
	free(buf);
	if (ferror(fp))
		return failure_set(f, F_NOINPUT, "%s: %s", p->path,
		    strerror(errno));
	mime_scan_final(&p->scan);
	return 0;
}

int
mime_part_attachment(struct mime_part *p, const char *path,
    struct filetype *ft, struct failure *f)
{
	char lmcs[FILETYPE_CHARSET_MAX];
	struct stat st;
	FILE *fp;
	int text, message;

	memset(p, 0, sizeof(*p));
	p->path = xstrdup(path);
	p->filename = mime_filename(path);
	mime_scan_init(&p->scan);
	if ((fp = fopen(path, "rbe")) == NULL)
		return failure_set(f, F_NOINPUT, "%s: %s", path,
		    strerror(errno));
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return failure_set(f, F_NOINPUT, "%s: not a regular file",
		    path);
	}
	if (ft == NULL || filetype_guess(ft, path, p->type, lmcs, f) == -1) {
		if (ft != NULL) {
			fclose(fp);
			return -1;
		}
		strlcpy(p->type, "application/octet-stream", sizeof(p->type));
		lmcs[0] = '\0';
	}
	text = strncmp(p->type, "text/", 5) == 0;
	message = strncmp(p->type, "message/", 8) == 0;
	if (strncmp(p->type, "multipart/", 10) == 0)
		strlcpy(p->type, "application/octet-stream", sizeof(p->type));
	p->cte = MIME_BASE64;
	/* Only text can take another encoding; binary needs no scan. */
	if (text || message) {
		if (mime_scan_file(p, fp, f) == -1) {
			fclose(fp);
			return -1;
		}
		p->cte = mime_choose(&p->scan, 1);
		strlcpy(p->magic_charset, lmcs, sizeof(p->magic_charset));
		if (text)
			(void)mime_attachment_charset(p, NULL, NULL, f);
		else if (p->cte != MIME_7BIT)	/* RFC 2046 section 5.2.1 */
			strlcpy(p->type, "application/octet-stream",
			    sizeof(p->type));
	}
	fclose(fp);
	return 0;
}

int
mime_part_inline(struct mime_part *p, const char *path, const char *id,
    struct filetype *ft, struct failure *f)
{
	if (mime_part_attachment(p, path, ft, f) == -1)
		return -1;
	p->content_id = xstrdup(id);
	return 0;
}

void
mime_part_multipart(struct mime_part *p, const char *subtype,
    const char *boundary)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->type, sizeof(p->type), "multipart/%s", subtype);
	strlcpy(p->boundary, boundary, sizeof(p->boundary));
	p->cte = MIME_7BIT;
}

struct mime_part *
mime_part_add(struct mime_part *p)
{
	struct mime_part *c;

	p->parts = xreallocarray(p->parts, p->nparts + 1, sizeof(*p->parts));
	c = &p->parts[p->nparts++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* Length of the last line of s. */
static size_t
mime_lastline(const char *s)
{
	const char *nl = strrchr(s, '\n');

	return strlen(nl ? nl + 1 : s);
}

/*
 * Appends param ("; name=value", maybe folded) to the header line in *h,
 * breaking the line before it when it would pass MIME_FOLD_COL.
 */
static void
mime_add_param(char **h, char *param)
{
	size_t first = strcspn(param, "\n");
	char *n;

	if (mime_lastline(*h) + first > MIME_FOLD_COL &&
	    strncmp(param, "; ", 2) == 0)
		n = xasprintf("%s;\n %s", *h, param + 2);
	else
		n = xasprintf("%s%s", *h, param);
	free(*h);
	free(param);
	*h = n;
}

char *
mime_part_headers(const struct mime_part *p)
{
	char *ct, *cd = NULL, *all;

	ct = xasprintf("Content-Type: %s", p->type);
	if (p->nparts > 0 || p->boundary[0] != '\0') {
		/* RFC 2387 section 3.1: the type of the root part. */
		if (strcmp(p->type, "multipart/related") == 0 &&
		    p->nparts > 0)
			mime_add_param(&ct, xasprintf("; type=\"%s\"",
			    p->parts[0].type));
		mime_add_param(&ct, xasprintf("; boundary=\"%s\"",
		    p->boundary));
		all = xasprintf("%s\n", ct);
		free(ct);
		return all;
	}
	if (p->charset[0] != '\0')
		mime_add_param(&ct, xasprintf("; charset=%s", p->charset));
	if (p->filename != NULL) {
		/* RFC 2231 in both (RFC 2047 section 5: no encoded word
		 * inside a quoted parameter). */
		mime_add_param(&ct, encode_param("name", p->filename, 0));
		cd = xasprintf("Content-Disposition: %s",
		    p->content_id ? "inline" : "attachment");
		mime_add_param(&cd, encode_param("filename", p->filename, 0));
	}
	all = xasprintf("%s\nContent-Transfer-Encoding: %s\n%s%s%s%s%s", ct,
	    mime_cte_names[p->cte], p->content_id ? "Content-ID: <" : "",
	    p->content_id ? p->content_id : "", p->content_id ? ">\n" : "",
	    cd ? cd : "", cd ? "\n" : "");
	free(ct);
	free(cd);
	return all;
}

/*
 * Line ends of body text.  To LF (7bit, quoted-printable): CRLF becomes
 * LF, a bare CR stays.  To CRLF (base64): LF becomes CRLF.  *cr carries a
 * CR across chunks; out holds 2 * len + 1 bytes.
 */
static size_t
mime_eol_lf(int *cr, const unsigned char *in, size_t len, unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (*cr) {
			*cr = 0;
			if (in[i] != '\n')
				out[o++] = '\r';
		}
		if (in[i] == '\r')
			*cr = 1;
		else
			out[o++] = in[i];
	}
	return o;
}

static size_t
mime_eol_crlf(int *cr, const unsigned char *in, size_t len,
    unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n' && !*cr)
			out[o++] = '\r';
		out[o++] = in[i];
		*cr = in[i] == '\r';
	}
	return o;
}

struct mime_enc {
	enum mime_cte cte;
	struct encode_qp qp;
	struct encode_b64 b64;
};

static int
mime_enc_update(struct mime_enc *e, const void *buf, size_t len, FILE *out)
{
	switch (e->cte) {
	case MIME_7BIT:
		return fwrite(buf, 1, len, out) == len ? 0 : -1;
	case MIME_QP:
		return encode_qp_update(&e->qp, buf, len, out);
	default:
		return encode_base64_update(&e->b64, buf, len, out);
	}
}

static int
mime_write_content(const struct mime_part *p, FILE *out, struct failure *f)
{
	struct mime_enc e;
	unsigned char *buf, *cbuf;
	const unsigned char *data;
	FILE *in;
	size_t n;
	int cr = 0, r = 0;

	if (p->path != NULL) {
		if ((in = fopen(p->path, "rbe")) == NULL)
			return failure_set(f, F_NOINPUT, "%s: %s", p->path,
			    strerror(errno));
	} else if ((in = p->fp) == NULL)
		return 0;
	else if (fseeko(in, 0, SEEK_SET) == -1)
		return failure_set(f, F_IO, "body: cannot rewind: %s",
		    strerror(errno));
	memset(&e, 0, sizeof(e));
	e.cte = p->cte;
	encode_qp_init(&e.qp);
	encode_base64_init(&e.b64);
	buf = xmalloc(MIME_BUFSZ);
	cbuf = p->text ? xmalloc(2 * MIME_BUFSZ + 1) : NULL;
	while (r == 0 && (n = fread(buf, 1, MIME_BUFSZ, in)) > 0) {
		data = buf;
		if (p->text) {
			if (p->cte == MIME_BASE64)
				n = mime_eol_crlf(&cr, buf, n, cbuf);
			else
				n = mime_eol_lf(&cr, buf, n, cbuf);
			data = cbuf;
		}
		r = mime_enc_update(&e, data, n, out);
	}
	if (ferror(in))
		r = failure_set(f, F_IO, "%s: %s", p->path ? p->path : "body",
		    strerror(errno));
	else if (r == -1)
		r = failure_set(f, F_IO, "write: %s", strerror(errno));
	if (r == 0 && cr && p->cte != MIME_BASE64)
		r = mime_enc_update(&e, "\r", 1, out);
	if (r == 0) {
		if (e.cte == MIME_QP) {
			r = encode_qp_final(&e.qp, out);
			/* A soft break keeps a missing final line end. */
			if (r == 0 && !mime_scan_ends_eol(&p->scan) &&
			    fputs("=\n", out) == EOF)
				r = -1;
		} else if (e.cte == MIME_BASE64)
			r = encode_base64_final(&e.b64, out);
		else if (!mime_scan_ends_eol(&p->scan) && fputc('\n', out) == EOF)
			r = -1;
		if (r == -1)
			r = failure_set(f, F_IO, "write: %s", strerror(errno));
	}
	free(buf);
	free(cbuf);
	if (p->path != NULL)
		fclose(in);
	return r;
}

int
mime_write(const struct mime_part *p, FILE *out, struct failure *f)
{
	char *h;
	size_t i;
	int r;

	h = mime_part_headers(p);
	r = fprintf(out, "%s\n", h) < 0 ? -1 : 0;
	free(h);
	if (r == -1)
		return failure_set(f, F_IO, "write: %s", strerror(errno));
	if (p->boundary[0] == '\0')
		return mime_write_content(p, out, f);
	if (fputs("This is a multi-part message in MIME format.\n", out) == EOF)
		return failure_set(f, F_IO, "write: %s", strerror(errno));
	for (i = 0; i < p->nparts; i++) {
		/* The LF before "--" belongs to the delimiter (RFC 2046
		 * section 5.1.1), so content keeps its own last line end. */
		if (fprintf(out, "\n--%s\n", p->boundary) < 0)
			return failure_set(f, F_IO, "write: %s",
			    strerror(errno));
		if (mime_write(&p->parts[i], out, f) == -1)
			return -1;
	}
	if (fprintf(out, "\n--%s--\n", p->boundary) < 0)
		return failure_set(f, F_IO, "write: %s", strerror(errno));
	return 0;
}

void
mime_part_free(struct mime_part *p)
{
	size_t i;

	for (i = 0; i < p->nparts; i++)
		mime_part_free(&p->parts[i]);
	free(p->parts);
	free(p->filename);
	free(p->content_id);
	free(p->path);
	memset(p, 0, sizeof(*p));
}
