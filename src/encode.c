/*
 * encode.c — pure encoders.
 *
 * RFC 2045 section 6.7 (quoted-printable) and 6.8 (base64), RFC 4648
 * (base64 alphabet), RFC 2047 (encoded words in headers), RFC 2231
 * (parameter value continuations and charsets), RFC 5322 section 2.2.3
 * (folding) and RFC 5321 section 4.5.2 (dot-stuffing).
 *
 * Nothing here prints, exits or keeps state outside the caller's structs.
 * Streaming encoders build output in a local buffer and hand it to stdio
 * in large blocks: they are run over whole attachments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "xmalloc.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hexdigits[] = "0123456789ABCDEF";

/* 57 input bytes make one full 76-character base64 line. */
#define B64_LINE_IN	(ENCODE_B64_LINE / 4 * 3)
/* Output block: whole lines, written with one fwrite. */
#define B64_BLOCK_LINES	1024
#define B64_BLOCK	(B64_BLOCK_LINES * (ENCODE_B64_LINE + 1))

/*
 * RFC 2045 section 6.7 rule 5: encoded lines are at most 76 characters.
 * We soft-break before a token would pass column 75, so that the "="
 * of the soft break still fits; hard-broken lines thus carry at most 75.
 */
#define QP_MAXCOL	75
#define QP_BLOCK	16384

/* RFC 5322 section 2.1.1: lines should stay within 78 characters. */
#define HDR_FOLD	78
/* RFC 2047 section 2: an encoded word is at most 75 characters. */
#define EW_MAX		75
/* "=?UTF-8?B?" + "?=" */
#define EW_OVERHEAD	12
/* Words longer than this are encoded so no line can pass 998 octets. */
#define HDR_LONGWORD	900
/* encode_param(): values longer than this use RFC 2231 continuations. */
#define PARAM_PLAIN_MAX	60

/* A growable string for the header and parameter encoders. */
struct sbuf {
	char *s;
	size_t len;
	size_t cap;
};

static void
sb_add(struct sbuf *sb, const char *p, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 128;

		while (sb->len + n + 1 > cap)
			cap *= 2;
		sb->s = xreallocarray(sb->s, cap, 1);
		sb->cap = cap;
	}
	memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

static void
sb_addc(struct sbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

static void
sb_adds(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static char *
sb_finish(struct sbuf *sb)
{
	if (sb->s == NULL)
		return xstrdup("");
	return sb->s;
}

/* Base64 */

void
encode_base64_init(struct encode_b64 *st)
{
	memset(st, 0, sizeof(*st));
}

static void
b64_group(const unsigned char *in, char *out)
{
	out[0] = b64_alphabet[in[0] >> 2];
	out[1] = b64_alphabet[((in[0] & 0x03) << 4) | (in[1] >> 4)];
	out[2] = b64_alphabet[((in[1] & 0x0f) << 2) | (in[2] >> 6)];
	out[3] = b64_alphabet[in[2] & 0x3f];
}

static int
b64_flush(char *buf, size_t *n, FILE *out)
{
	if (*n > 0 && fwrite(buf, 1, *n, out) != *n) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	*n = 0;
	return 0;
}

/* One group onto the current line, ending the line when it is full. */
static void
b64_put_group(struct encode_b64 *st, const unsigned char *in, char *buf,
    size_t *n)
{
	b64_group(in, buf + *n);
	*n += 4;
	st->col += 4;
	if (st->col >= ENCODE_B64_LINE) {
		buf[(*n)++] = '\n';
		st->col = 0;
	}
}

int
encode_base64_update(struct encode_b64 *st, const void *in, size_t len,
    FILE *out)
{
	char buf[B64_BLOCK];
	const unsigned char *p = in;
	size_t n = 0, i;

	while (st->npend > 0 && st->npend < 3 && len > 0) {
		st->pend[st->npend++] = *p++;
		len--;
	}
	if (st->npend == 3) {
		b64_put_group(st, st->pend, buf, &n);
		st->npend = 0;
	}
	while (len >= 3) {
		if (st->col == 0 && len >= B64_LINE_IN) {
			/* Fast path: whole lines straight into the block. */
			while (len >= B64_LINE_IN &&
			    n + ENCODE_B64_LINE + 1 <= sizeof(buf)) {
				for (i = 0; i < B64_LINE_IN; i += 3)
					b64_group(p + i, buf + n + i / 3 * 4);
				n += ENCODE_B64_LINE;
				buf[n++] = '\n';
				p += B64_LINE_IN;
				len -= B64_LINE_IN;
			}
		} else {
			b64_put_group(st, p, buf, &n);
			p += 3;
			len -= 3;
		}
		if (n + ENCODE_B64_LINE + 1 > sizeof(buf) &&
		    b64_flush(buf, &n, out) == -1)
			return -1;
	}
	while (len > 0) {
		st->pend[st->npend++] = *p++;
		len--;
	}
	return b64_flush(buf, &n, out);
}

int
encode_base64_final(struct encode_b64 *st, FILE *out)
{
	unsigned char g[3] = { 0, 0, 0 };
	char buf[8];
	size_t n = 0;

	if (st->npend > 0) {
		memcpy(g, st->pend, st->npend);
		b64_group(g, buf);
		if (st->npend == 1)
			buf[2] = '=';
		buf[3] = '=';
		n = 4;
		st->col += 4;
	}
	if (st->col > 0)
		buf[n++] = '\n';
	st->npend = 0;
	st->col = 0;
	return b64_flush(buf, &n, out);
}

char *
encode_base64_buf(const void *in, size_t len)
{
	const unsigned char *p = in;
	unsigned char g[3];
	size_t i, n = 0, rest;
	char *out;

	out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 3 <= len; i += 3, n += 4)
		b64_group(p + i, out + n);
	rest = len - i;
	if (rest > 0) {
		memset(g, 0, sizeof(g));
		memcpy(g, p + i, rest);
		b64_group(g, out + n);
		if (rest == 1)
			out[n + 2] = '=';
		out[n + 3] = '=';
		n += 4;
	}
	out[n] = '\0';
	return out;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict: the length is a multiple of 4 and "=" appears only as the
 * final padding (RFC 4648 section 3.3: reject what is not the alphabet).
 */
unsigned char *
encode_base64_decode(const char *text, size_t len, size_t *outlen)
{
	unsigned char *out;
	size_t i, n = 0, pad = 0;
	int v[4], k;

	if (len % 4 != 0)
		return NULL;
	if (len > 0 && text[len - 1] == '=')
		pad++;
	if (len > 1 && text[len - 2] == '=')
		pad++;
	out = xmalloc(len / 4 * 3 + 1);
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (i + k >= len - pad)
				v[k] = 0;
			else if ((v[k] = b64_value(text[i + k])) < 0) {
				free(out);
				return NULL;
			}
		}
		out[n++] = (v[0] << 2) | (v[1] >> 4);
		out[n++] = ((v[1] & 0x0f) << 4) | (v[2] >> 2);
		out[n++] = ((v[2] & 0x03) << 6) | v[3];
	}
	n -= pad;
	/* Non-canonical padding bits are refused (RFC 4648 section 3.5). */
	if ((pad == 1 && (v[2] & 0x03) != 0) ||
	    (pad == 2 && (v[1] & 0x0f) != 0)) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* Quoted-printable */

void
encode_qp_init(struct encode_qp *st)
{
	memset(st, 0, sizeof(*st));
	st->pend = -1;
	st->bol = 1;
	st->cr = 0;
}

/* The output block of one encode_qp_update() call. */
struct qp_out {
	char buf[QP_BLOCK];
	size_t n;
	FILE *fp;
};

static int
qp_flush(struct qp_out *o)
{
	return b64_flush(o->buf, &o->n, o->fp);
}

static int
qp_room(struct qp_out *o)
{
	/* Largest single emission: "=" LF + "=XX" or "=46rom". */
	if (o->n + 16 > sizeof(o->buf))
		return qp_flush(o);
	return 0;
}

static int
qp_literal_ok(unsigned char c)
{
	return c >= 33 && c <= 126 && c != '=';
}

/*
 * Puts byte c, literally when allowed, breaking the line softly first
 * when it would not fit.  After a soft break a "." or "F" is encoded too,
 * so the new line cannot look like an SMTP end or an mbox "From ".
 */
static int
qp_put(struct encode_qp *st, struct qp_out *o, unsigned char c, int literal)
{
	size_t w;

	if (qp_room(o) == -1)
		return -1;
	w = literal ? 1 : 3;
	if (st->col + w > QP_MAXCOL) {
		o->buf[o->n++] = '=';
		o->buf[o->n++] = '\n';
		st->col = 0;
		if (c == '.' || c == 'F')
			literal = 0;
		w = literal ? 1 : 3;
	}
	if (literal)
		o->buf[o->n++] = c;
	else {
		o->buf[o->n++] = '=';
		o->buf[o->n++] = hexdigits[c >> 4];
		o->buf[o->n++] = hexdigits[c & 0x0f];
	}
	st->col += w;
	return 0;
}

/* A held space or tab, now known not to end a line. */
static int
qp_release(struct encode_qp *st, struct qp_out *o)
{
	int c = st->pend, r = 0;

	if (c != -1) {
		st->pend = -1;
		r = qp_put(st, o, (unsigned char)c, 1);
	}
	if (r == 0 && st->cr) {
		st->cr = 0;
		r = qp_put(st, o, '\r', 0);
	}
	return r;
}

/* A byte that is neither LF nor part of a held "From ". */
static int
qp_byte(struct encode_qp *st, struct qp_out *o, unsigned char c)
{
	int literal;

	if (c == '\r') {
		/* Held: a CR before LF is the line end, a bare one =0D. */
		if (st->cr && qp_release(st, o) == -1)
			return -1;
		st->cr = 1;
		return 0;
	}
	if (qp_release(st, o) == -1)
		return -1;
	if (c == ' ' || c == '\t') {
		/* RFC 2045 6.7 rule 3: white space at a line end is encoded. */
		st->pend = c;
		st->bol = 0;
		return 0;
	}
	literal = qp_literal_ok(c) && !(st->bol && c == '.');
	st->bol = 0;
	return qp_put(st, o, c, literal);
}

static int
qp_newline(struct encode_qp *st, struct qp_out *o)
{
	if (st->pend != -1) {
		if (qp_put(st, o, (unsigned char)st->pend, 0) == -1)
			return -1;
		st->pend = -1;
	}
	st->cr = 0;
	if (qp_room(o) == -1)
		return -1;
	o->buf[o->n++] = '\n';
	st->col = 0;
	st->bol = 1;
	return 0;
}

/* Releases a partial "From " match as ordinary bytes. */
static int
qp_unhold(struct encode_qp *st, struct qp_out *o)
{
	size_t i, n = st->nhold;

	st->nhold = 0;
	for (i = 0; i < n; i++)
		if (qp_byte(st, o, (unsigned char)st->hold[i]) == -1)
			return -1;
	return 0;
}

int
encode_qp_update(struct encode_qp *st, const void *in, size_t len, FILE *out)
{
	static const char from[] = "From ";
	const unsigned char *p = in;
	struct qp_out o;
	size_t i;

	o.n = 0;
	o.fp = out;
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (st->nhold == 0 && st->pend == -1 && !st->cr && !st->bol) {
			/*
			 * Fast path: bytes that fit on the current line and
			 * need no look-ahead.  A blank followed by a literal
			 * byte is not trailing.  Line ends, CR, and soft
			 * breaks go the slow way below.
			 */
			size_t j = i;

			for (; j < len; j++) {
				unsigned char b = p[j];
				size_t w;

				if (qp_literal_ok(b) || ((b == ' ' ||
				    b == '\t') && j + 1 < len &&
				    qp_literal_ok(p[j + 1])))
					w = 1;
				else if (b != '\n' && b != '\r' && b != ' ' &&
				    b != '\t')
					w = 3;
				else
					break;
				if (st->col + w > QP_MAXCOL)
					break;
				if (qp_room(&o) == -1)
					return -1;
				if (w == 1)
					o.buf[o.n++] = b;
				else {
					o.buf[o.n++] = '=';
					o.buf[o.n++] = hexdigits[b >> 4];
					o.buf[o.n++] = hexdigits[b & 0x0f];
				}
				st->col += w;
			}
			if (j > i) {
				i = j - 1;
				continue;
			}
		}

		if (st->nhold > 0 || (st->bol && c == 'F' && st->pend == -1 &&
		    !st->cr)) {
			if (c == (unsigned char)from[st->nhold]) {
				st->hold[st->nhold++] = c;
				if (st->nhold < sizeof(from) - 1)
					continue;
				/* "From " at a line start: encode the F. */
				st->nhold = 0;
				st->bol = 0;
				if (qp_put(st, &o, 'F', 0) == -1)
					return -1;
				for (size_t k = 1; k < 4; k++)
					if (qp_put(st, &o, from[k], 1) == -1)
						return -1;
				st->pend = ' ';
				continue;
			}
			if (qp_unhold(st, &o) == -1)
				return -1;
		}
		if (c == '\n') {
			if (qp_newline(st, &o) == -1)
				return -1;
		} else if (qp_byte(st, &o, c) == -1)
			return -1;
	}
	return qp_flush(&o);
}

int
encode_qp_final(struct encode_qp *st, FILE *out)
{
	struct qp_out o;

	o.n = 0;
	o.fp = out;
	if (qp_unhold(st, &o) == -1)
		return -1;
	/* White space at the end of the data is encoded like at a line end. */
	if (st->pend != -1) {
		if (qp_put(st, &o, (unsigned char)st->pend, 0) == -1)
			return -1;
		st->pend = -1;
	}
	if (st->cr) {
		st->cr = 0;
		if (qp_put(st, &o, '\r', 0) == -1)
			return -1;
	}
	return qp_flush(&o);
}

/* RFC 2047 header text */

/* Length of the UTF-8 sequence starting at s (1 for a stray byte). */
static size_t
utf8_len(const unsigned char *s, size_t avail)
{
	size_t n = 1, k;

	if (s[0] >= 0xf0 && s[0] <= 0xf7)
		n = 4;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xc0 && s[0] <= 0xdf)
		n = 2;
	if (n > avail)
		return 1;
	for (k = 1; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 1;
	return n;
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 5322 section 3.2.3 specials, which force quoting in a phrase. */
static int
is_special(unsigned char c)
{
	return strchr("()<>[]:;@\\,.\"", c) != NULL && c != '\0';
}

/*
 * Q-encoding width of a byte.  In a phrase only RFC 2047 section 5(3)
 * characters stay literal; in unstructured text any printable except
 * "=", "?" and "_".  A space is always "_".
 */
static size_t
q_width(unsigned char c, int phrase)
{
	if (c == ' ')
		return 1;
	if (phrase)
		return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("!*+-/", c) != NULL) &&
		    c != '\0' ? 1 : 3;
	return c > 32 && c < 127 && c != '=' && c != '?' && c != '_' ? 1 : 3;
}

static void
q_put(struct sbuf *sb, unsigned char c, int phrase)
{
	char x[3];

	if (c == ' ')
		sb_addc(sb, '_');
	else if (q_width(c, phrase) == 1)
		sb_addc(sb, (char)c);
	else {
		x[0] = '=';
		x[1] = hexdigits[c >> 4];
		x[2] = hexdigits[c & 0x0f];
		sb_add(sb, x, 3);
	}
}

struct hdr {
	struct sbuf sb;
	size_t col;
	int any;		/* a word has been written */
	int phrase;
	int forceb;		/* B encoding only */
	size_t fold;		/* fold column, HDR_FOLD */
};

struct word {
	size_t ws, wslen;	/* white space before the word */
	size_t off, len;
	int enc;
};

/* Plain white space + word, folded before the white space if needed. */
static void
hdr_plain(struct hdr *h, const char *text, const struct word *w)
{
	if (h->any && w->wslen > 0 && w->len > 0 &&
	    h->col + w->wslen + w->len > h->fold) {
		sb_addc(&h->sb, '\n');
		h->col = 0;
	}
	sb_add(&h->sb, text + w->ws, w->wslen + w->len);
	h->col += w->wslen + w->len;
	if (w->len > 0)
		h->any = 1;
}

/*
 * Encoded words for bytes text[off..end): each at most 75 characters,
 * filled to the end of the line, one per line; a UTF-8 sequence is never
 * split.  White space between them is not content (RFC 2047 section
 * 6.2), so spaces inside the run travel inside the words.
 */
static void
hdr_encode_run(struct hdr *h, const unsigned char *text, size_t off,
    size_t end, const struct word *first)
{
	size_t i, qlen = 0, blen, pos, take, cl, pay, room, need;
	int useq;

	for (i = off; i < end; i++)
		qlen += q_width(text[i], h->phrase);
	blen = (end - off + 2) / 3 * 4;
	useq = qlen <= blen && !h->forceb;

	/* The smallest word: the first character alone. */
	cl = utf8_len(text + off, end - off);
	if (useq) {
		for (i = 0, need = EW_OVERHEAD; i < cl; i++)
			need += q_width(text[off + i], h->phrase);
	} else
		need = EW_OVERHEAD + (cl + 2) / 3 * 4;

	pos = off;
	while (pos < end) {
		if (pos == off) {
			room = h->fold > h->col + first->wslen ?
			    h->fold - h->col - first->wslen : 0;
			if (room < need && h->any &&
			    first->wslen > 0) {
				sb_addc(&h->sb, '\n');
				h->col = 0;
				room = h->fold - first->wslen;
			} else if (room < need && !h->any &&
			    !h->forceb && h->col > 1) {
				/* No room after "Name: ": fold at once. */
				sb_add(&h->sb, "\n ", 2);
				h->col = 1;
				room = h->fold - 1 - first->wslen;
			}
			sb_add(&h->sb, (const char *)text + first->ws,
			    first->wslen);
			h->col += first->wslen;
		} else {
			sb_add(&h->sb, "\n ", 2);
			h->col = 1;
			room = h->fold - 1;
		}
		if (room > EW_MAX)
			room = EW_MAX;
		/* Take whole characters while the word still fits. */
		take = 0;
		pay = 0;
		while (pos + take < end) {
			size_t np = pay;

			cl = utf8_len(text + pos + take, end - pos - take);
			if (useq) {
				for (i = 0; i < cl; i++)
					np += q_width(text[pos + take + i],
					    h->phrase);
			} else
				np = (take + cl + 2) / 3 * 4;
			if (EW_OVERHEAD + np > room && take > 0)
				break;
			pay = np;
			take += cl;
			if (EW_OVERHEAD + np > room)
				break;
		}
		if (useq) {
			sb_adds(&h->sb, "=?UTF-8?Q?");
			for (i = 0; i < take; i++)
				q_put(&h->sb, text[pos + i], h->phrase);
		} else {
			char *b = encode_base64_buf(text + pos, take);

			sb_adds(&h->sb, "=?UTF-8?B?");
			sb_adds(&h->sb, b);
			free(b);
		}
		sb_adds(&h->sb, "?=");
		h->col += EW_OVERHEAD + pay;
		h->any = 1;
		pos += take;
	}
}

/* Splits text into white space + word pairs; returns the count. */
static size_t
hdr_split(const char *text, struct word **wv)
{
	size_t i = 0, n = 0, cap = 8, len = strlen(text);
	struct word *v = xreallocarray(NULL, cap, sizeof(*v));

	while (i < len) {
		if (n == cap) {
			cap *= 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n].ws = i;
		while (i < len && is_wsp((unsigned char)text[i]))
			i++;
		v[n].wslen = i - v[n].ws;
		v[n].off = i;
		while (i < len && !is_wsp((unsigned char)text[i]))
			i++;
		v[n].len = i - v[n].off;
		v[n].enc = 0;
		n++;
	}
	*wv = v;
	return n;
}

static int
word_needs_encoding(const char *text, const struct word *w)
{
	size_t i;

	if (w->len > HDR_LONGWORD)
		return 1;
	for (i = w->off; i < w->off + w->len; i++) {
		unsigned char c = text[i];

		if (c < 32 || c >= 127)
			return 1;
		if (c == '=' && i + 1 < w->off + w->len && text[i + 1] == '?')
			return 1;
	}
	return 0;
}

static int
word_has_special(const char *text, const struct word *w)
{
	size_t i;

	for (i = w->off; i < w->off + w->len; i++)
		if (is_special((unsigned char)text[i]))
			return 1;
	return 0;
}

/* Writes text as folded plain words, or with encoded runs. */
static void
hdr_emit(struct hdr *h, const char *text, int mark_specials)
{
	struct word *w;
	size_t n, i, j;

	n = hdr_split(text, &w);
	for (i = 0; i < n; i++) {
		w[i].enc = word_needs_encoding(text, &w[i]) ||
		    (mark_specials && word_has_special(text, &w[i]));
	}
	for (i = 0; i < n; i++) {
		if (!w[i].enc) {
			hdr_plain(h, text, &w[i]);
			continue;
		}
		for (j = i; j + 1 < n && w[j + 1].enc && w[j + 1].len > 0; j++)
			;
		hdr_encode_run(h, (const unsigned char *)text, w[i].off,
		    w[j].off + w[j].len, &w[i]);
		i = j;
	}
	free(w);
}

/*
 * Adjacent encoded words are separated by LF + space (a fold); the space
 * is not content.  Plain ASCII words keep their white space, which is
 * also where those lines fold.  In a phrase, ASCII with specials becomes
 * a quoted-string; with non-ASCII, words holding specials are encoded.
 */
char *
encode_header_text(const char *text, size_t startcol, int phrase)
{
	struct hdr h;
	struct sbuf q;
	const char *p;
	int needenc = 0, special = 0;
	struct word *w;
	size_t i, n;

	memset(&h, 0, sizeof(h));
	h.col = startcol;
	h.phrase = phrase;
	h.fold = HDR_FOLD;

	n = hdr_split(text, &w);
	for (i = 0; i < n; i++) {
		if (word_needs_encoding(text, &w[i]))
			needenc = 1;
		if (word_has_special(text, &w[i]))
			special = 1;
	}
	free(w);

	if (phrase && special && !needenc) {
		memset(&q, 0, sizeof(q));
		sb_addc(&q, '"');
		for (p = text; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				sb_addc(&q, '\\');
			sb_addc(&q, *p);
		}
		sb_addc(&q, '"');
		hdr_emit(&h, q.s, 0);
		free(q.s);
	} else
		hdr_emit(&h, text, phrase && needenc);
	return sb_finish(&h.sb);
}

/* RFC 2231 parameters */

/* RFC 2045 section 5.1 tspecials, plus space and controls. */
static int
param_needs_quote(const char *v)
{
	if (*v == '\0')
		return 1;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 127 ||
		    strchr("()<>@,;:\\\"/[]?=", *v) != NULL)
			return 1;
	return 0;
}

/* RFC 2231 section 7 attribute-char. */
static int
param_attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

static void
param_quoted(struct sbuf *sb, const char *v)
{
	sb_addc(sb, '"');
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			sb_addc(sb, '\\');
		sb_addc(sb, *v);
	}
	sb_addc(sb, '"');
}

/* Percent-encoded length of the character at s. */
static size_t
param_char_width(const unsigned char *s, size_t cl)
{
	size_t i, w = 0;

	for (i = 0; i < cl; i++)
		w += param_attr_char(s[i]) ? 1 : 3;
	return w;
}

static void
param_2231(struct sbuf *sb, const char *name, const unsigned char *v,
    size_t len)
{
	char head[64];
	size_t pos = 0, sect = 0, cl, i, total = 0, take, w, prefix;

	for (i = 0; i < len; i += cl) {
		cl = utf8_len(v + i, len - i);
		total += param_char_width(v + i, cl);
	}
	/* ";" LF " " name "*=" "UTF-8''" value: one line when it fits. */
	if (1 + strlen(name) + 2 + 7 + total + 1 <= HDR_FOLD) {
		sb_adds(sb, ";\n ");
		sb_adds(sb, name);
		sb_adds(sb, "*=UTF-8''");
		sect = (size_t)-1;
	}
	while (pos < len) {
		if (sect != (size_t)-1) {
			snprintf(head, sizeof(head), "*%zu*=%s", sect,
			    sect == 0 ? "UTF-8''" : "");
			sb_adds(sb, ";\n ");
			sb_adds(sb, name);
			sb_adds(sb, head);
			/* Room for the ";" that follows every section. */
			prefix = 1 + strlen(name) + strlen(head) + 1;
			sect++;
		} else
			prefix = 0;
		w = 0;
		for (take = 0; pos + take < len; take += cl) {
			cl = utf8_len(v + pos + take, len - pos - take);
			if (prefix > 0 && take > 0 && prefix + w +
			    param_char_width(v + pos + take, cl) > HDR_FOLD)
				break;
			w += param_char_width(v + pos + take, cl);
		}
		for (i = 0; i < take; i++) {
			unsigned char c = v[pos + i];

			if (param_attr_char(c))
				sb_addc(sb, (char)c);
			else {
				sb_addc(sb, '%');
				sb_addc(sb, hexdigits[c >> 4]);
				sb_addc(sb, hexdigits[c & 0x0f]);
			}
		}
		pos += take;
	}
}

char *
encode_param(const char *name, const char *value, int legacy)
{
	struct sbuf sb;
	const char *p;
	size_t len = strlen(value);
	int ascii = 1;

	(void)legacy;	/* RFC 2231 only: see encode.h */
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p >= 127)
			ascii = 0;
	memset(&sb, 0, sizeof(sb));
	if (ascii && len <= PARAM_PLAIN_MAX) {
		sb_adds(&sb, "; ");
		sb_adds(&sb, name);
		sb_addc(&sb, '=');
		if (param_needs_quote(value))
			param_quoted(&sb, value);
		else
			sb_adds(&sb, value);
		return sb_finish(&sb);
	}
	param_2231(&sb, name, (const unsigned char *)value, len);
	return sb_finish(&sb);
}

/* Dates */

void
encode_date(time_t t, enum encode_date_form form, char *buf, size_t sz)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm tm;
	long off;
	int sign = '+';

	if (localtime_r(&t, &tm) == NULL) {
		gmtime_r(&t, &tm);
		tm.tm_gmtoff = 0;
	}
	if (form == ENCODE_DATE_CTIME) {
		snprintf(buf, sz, "%.3s %.3s %2d %02d:%02d:%02d %d",
		    days[tm.tm_wday % 7], months[tm.tm_mon % 12], tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(buf, sz, "%.3s, %d %.3s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    off / 60, off % 60);
}

/* Wire form */

void
encode_wire_init(struct encode_wire *st, int dotstuff)
{
	memset(st, 0, sizeof(*st));
	st->bol = 1;
	st->dotstuff = dotstuff;
}

static char *
wire_endline(struct encode_wire *st, char *o)
{
	*o++ = '\r';
	*o++ = '\n';
	if (st->linelen > st->maxline)
		st->maxline = st->linelen;
	st->linelen = 0;
	st->lines++;
	st->bol = 1;
	return o;
}

size_t
encode_wire_update(struct encode_wire *st, const char *in, size_t len,
    char *out)
{
	const char *end = in + len, *lf, *cr;
	char *o = out;
	size_t seg;

	if (st->cr && in < end) {
		/* A CR held from the last chunk ends its line either way. */
		st->cr = 0;
		if (*in == '\n')
			in++;
		o = wire_endline(st, o);
	}
	while (in < end) {
		if (st->bol) {
			if (st->dotstuff && *in == '.') {
				*o++ = '.';
				st->linelen++;
			}
			st->bol = 0;
		}
		lf = memchr(in, '\n', end - in);
		seg = lf != NULL ? (size_t)(lf - in) : (size_t)(end - in);
		cr = memchr(in, '\r', seg);
		if (cr != NULL)
			seg = cr - in;
		memcpy(o, in, seg);
		o += seg;
		st->linelen += seg;
		in += seg;
		if (cr != NULL) {
			if (cr + 1 == end) {
				st->cr = 1;
				break;
			}
			in += cr[1] == '\n' ? 2 : 1;
			o = wire_endline(st, o);
		} else if (lf != NULL) {
			in++;
			o = wire_endline(st, o);
		}
	}
	return o - out;
}

size_t
encode_wire_final(struct encode_wire *st, char *out)
{
	char *o = out;

	if (st->cr || !st->bol)
		o = wire_endline(st, o);
	st->cr = 0;
	return o - out;
}
