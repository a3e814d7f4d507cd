/*
 * test_encode.c — base64 (RFC 4648 vectors), quoted-printable, RFC 2047
 * words, RFC 2231 parameters and the wire form.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "tap.h"

/* A small deterministic generator, so failures repeat. */
static uint32_t rng_state = 2463534242u;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static int
is_mem_ok(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* The streamed form of a one-line vector: the text and a line end. */
static char *
xasprintf_test(const char *v)
{
	char *s = malloc(strlen(v) + 2);

	memcpy(s, v, strlen(v) + 1);
	if (*v != '\0') {
		s[strlen(v)] = '\n';
		s[strlen(v) + 1] = '\0';
	}
	return s;
}

struct mem {
	char *s;
	size_t len;
	FILE *fp;
};

static void
mem_open(struct mem *m)
{
	m->s = NULL;
	m->len = 0;
	m->fp = open_memstream(&m->s, &m->len);
}

static void
mem_close(struct mem *m)
{
	fclose(m->fp);
}

/* Base64 of in, streamed in chunks of the given sizes (cycled). */
static char *
b64_stream(const unsigned char *in, size_t len, const size_t *chunks,
    size_t nchunks, size_t *outlen)
{
	struct encode_b64 st;
	struct mem m;
	size_t pos = 0, k = 0, c;

	mem_open(&m);
	encode_base64_init(&st);
	while (pos < len) {
		c = chunks[k++ % nchunks];
		if (c > len - pos)
			c = len - pos;
		encode_base64_update(&st, in + pos, c, m.fp);
		pos += c;
	}
	encode_base64_final(&st, m.fp);
	mem_close(&m);
	*outlen = m.len;
	return m.s;
}

static void
test_base64(void)
{
	static const char *vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const size_t one[] = { (size_t)-1 };
	static const size_t odd[] = { 1, 2, 5, 7, 56, 57, 58, 1000, 3 };
	unsigned char all[256], *big, *dec;
	char *s, *t, *line, *joined;
	size_t i, n, m, dlen, jn;
	int bad;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		s = encode_base64_buf(vec[i][0], strlen(vec[i][0]));
		is_str(s, vec[i][1], "RFC 4648 base64 vector");
		free(s);
		dec = encode_base64_decode(vec[i][1], strlen(vec[i][1]), &dlen);
		ok(dec != NULL && dlen == strlen(vec[i][0]) &&
		    memcmp(dec, vec[i][0], dlen) == 0, "RFC 4648 decode");
		free(dec);
		s = b64_stream((const unsigned char *)vec[i][0],
		    strlen(vec[i][0]), one, 1, &n);
		t = xasprintf_test(vec[i][1]);
		is_str(s, t, "streamed vector with line end");
		free(s);
		free(t);
	}
	ok(encode_base64_decode("Zg=", 3, &dlen) == NULL, "decode: bad length");
	ok(encode_base64_decode("Zm9v!A==", 8, &dlen) == NULL,
	    "decode: bad character");
	ok(encode_base64_decode("Z===", 4, &dlen) == NULL,
	    "decode: too much padding");
	ok(encode_base64_decode("Zh==", 4, &dlen) == NULL,
	    "decode: non-canonical bits");
	ok(encode_base64_decode("Zg==Zg==", 8, &dlen) == NULL,
	    "decode: padding in the middle");

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	s = encode_base64_buf(all, 256);
	dec = encode_base64_decode(s, strlen(s), &dlen);
	ok(dec != NULL && is_mem_ok(dec, dlen, all, 256),
	    "all 256 byte values round trip");
	free(s);
	free(dec);

	n = 100003;
	big = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = rng() & 0xff;
	s = b64_stream(big, n, one, 1, &m);
	t = b64_stream(big, n, odd, sizeof(odd) / sizeof(odd[0]), &dlen);
	ok(m == dlen && memcmp(s, t, m) == 0,
	    "odd chunk sizes give the same output as one call");
	/* Every line 76 but the last; the joined lines decode back. */
	bad = 0;
	joined = malloc(m + 1);
	jn = 0;
	for (line = s; line < s + m;) {
		char *nl = memchr(line, '\n', s + m - line);

		if (nl == NULL) {
			bad = 1;
			break;
		}
		if (nl - line != 76 && nl + 1 != s + m)
			bad = 1;
		memcpy(joined + jn, line, nl - line);
		jn += nl - line;
		line = nl + 1;
	}
	ok(!bad, "lines are 76 columns, LF-terminated");
	dec = encode_base64_decode(joined, jn, &dlen);
	ok(dec != NULL && is_mem_ok(dec, dlen, big, n),
	    "streamed output decodes back");
	free(dec);
	free(joined);
	free(s);
	free(t);
	free(big);
}

/* Test-side QP decoder (RFC 2045 6.7); returns NULL on a malformed escape. */
static char *
qp_decode(const char *s, size_t len, size_t *outlen)
{
	char *out = malloc(len + 1);
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '=') {
			out[n++] = s[i];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (i + 2 >= len || !strchr("0123456789ABCDEF", s[i + 1]) ||
		    !strchr("0123456789ABCDEF", s[i + 2])) {
			free(out);
			return NULL;
		}
		out[n++] = (char)strtol((char[]){ s[i + 1], s[i + 2], 0 },
		    NULL, 16);
		i += 2;
	}
	*outlen = n;
	return out;
}

static char *
qp_chunks(const char *in, size_t len, size_t chunk, size_t *outlen)
{
	struct encode_qp st;
	struct mem m;
	size_t pos, c;

	mem_open(&m);
	encode_qp_init(&st);
	for (pos = 0; pos < len; pos += c) {
		c = chunk == 0 ? 1 + rng() % 9 : chunk;
		if (c > len - pos)
			c = len - pos;
		encode_qp_update(&st, in + pos, c, m.fp);
	}
	encode_qp_final(&st, m.fp);
	mem_close(&m);
	*outlen = m.len;
	return m.s;
}

static char *
qp(const char *in)
{
	size_t n;

	return qp_chunks(in, strlen(in), 1000000, &n);
}

/* Checks the shape rules every QP output must follow. */
static int
qp_shape_ok(const char *s, size_t len)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\n') {
			if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
				return 0;
			col = 0;
			continue;
		}
		if (col == 0 && (c == '.' ||
		    (len - i >= 5 && memcmp(s + i, "From ", 5) == 0)))
			return 0;
		if ((c < 32 && c != '\t') || c >= 127)
			return 0;
		if (++col > 76)
			return 0;
	}
	return len == 0 || (s[len - 1] != ' ' && s[len - 1] != '\t');
}

static void
test_qp(void)
{
	static const char *vec[][2] = {
		{ "hello world\n", "hello world\n" },
		{ "trailing  \nx", "trailing =20\nx" },
		{ "tab\t\n", "tab=09\n" },
		{ "end ", "end=20" },
		{ "a=b", "a=3Db" },
		{ "From here\nFrom\nFrom\n", "=46rom here\nFrom\nFrom\n" },
		{ "From ", "=46rom=20" },
		{ "x From y\nFrog\n", "x From y\nFrog\n" },
		{ ".\n..x\na.b\n", "=2E\n=2E.x\na.b\n" },
		{ "caf\xc3\xa9\n", "caf=C3=A9\n" },
		{ "a\rb\r\nc\r", "a=0Db\nc=0D" },
		{ "sp \r\n", "sp=20\n" },
		{ "\x01\x7f", "=01=7F" },
		{ "", "" },
	};
	char in[4096], *s, *d, *want;
	size_t i, n, dn, k, wn;
	int good;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		s = qp(vec[i][0]);
		is_str(s, vec[i][1], "quoted-printable vector");
		free(s);
		s = qp_chunks(vec[i][0], strlen(vec[i][0]), 1, &n);
		is_str(s, vec[i][1], "same, one byte at a time");
		free(s);
	}

	/* A long line is soft-broken, the "=" within 76 columns. */
	memset(in, 'a', 200);
	in[200] = '\n';
	in[201] = '\0';
	s = qp(in);
	ok(qp_shape_ok(s, strlen(s)), "long line: lines within 76");
	ok(strstr(s, "=\n") != NULL, "long line: soft breaks");
	d = qp_decode(s, strlen(s), &dn);
	ok(d != NULL && dn == 201 && memcmp(d, in, dn) == 0,
	    "long line decodes back");
	free(s);
	free(d);
	/* Escapes are never split by a soft break; dot after soft break. */
	for (k = 0; k < 80; k++)
		in[k] = (k % 2) ? '=' : '.';
	in[80] = '\0';
	s = qp(in);
	d = qp_decode(s, strlen(s), &dn);
	ok(qp_shape_ok(s, strlen(s)) && d != NULL && dn == 80 &&
	    memcmp(d, in, 80) == 0, "escapes and dots across soft breaks");
	free(s);
	free(d);

	good = 1;
	for (k = 0; k < 300 && good; k++) {
		static const char alpha[] = "ab. F\t=\r\n\n\xe4\x01From ";
		size_t len = rng() % sizeof(in);

		for (i = 0; i < len; i++) {
			if (rng() % 4 == 0)
				in[i] = (char)(rng() & 0xff);
			else
				in[i] = alpha[rng() % (sizeof(alpha) - 1)];
		}
		s = qp_chunks(in, len, k % 2 ? 0 : 1000000, &n);
		/* CRLF in the input is a line end: expect LF back. */
		want = malloc(len + 1);
		for (i = 0, wn = 0; i < len; i++)
			if (!(in[i] == '\r' && i + 1 < len &&
			    in[i + 1] == '\n'))
				want[wn++] = in[i];
		d = qp_decode(s, n, &dn);
		if (d == NULL || dn != wn || memcmp(d, want, wn) != 0 ||
		    !qp_shape_ok(s, n))
			good = 0;
		free(s);
		free(d);
		free(want);
	}
	ok(good, "300 random inputs: shape rules hold and decode back");
}

/* Test-side RFC 2047 decoder: unfolds, decodes words, drops the white
 * space between adjacent encoded words.  Sets *bad on malformed words. */
static char *
hdr_decode(const char *s, int *bad)
{
	char *out = malloc(strlen(s) * 3 + 1), *u = malloc(strlen(s) + 1);
	size_t n = 0, un = 0;
	const char *p, *q;
	int lastenc = 0;

	for (p = s; *p != '\0'; p++)
		if (*p != '\n')
			u[un++] = *p;
	u[un] = '\0';
	/* A fold right at the start is only FWS after "Name:". */
	p = u;
	if (s[0] == '\n' && *p == ' ')
		p++;
	while (*p != '\0') {
		if (*p == ' ' || *p == '\t') {
			for (q = p; *q == ' ' || *q == '\t'; q++)
				;
			/* RFC 2047 6.2: ignored between encoded words. */
			if (!(lastenc && strncmp(q, "=?UTF-8?", 8) == 0)) {
				memcpy(out + n, p, q - p);
				n += q - p;
			}
			p = q;
			continue;
		}
		if (strncmp(p, "=?UTF-8?", 8) == 0 && (p[8] == 'B' ||
		    p[8] == 'Q') && p[9] == '?') {
			const char *e = strstr(p + 10, "?=");

			if (e == NULL) {
				*bad = 1;
				break;
			}
			if (e + 2 - p > 75)
				*bad = 1;
			if (p[8] == 'B') {
				size_t dl;
				unsigned char *d = encode_base64_decode(p + 10,
				    e - p - 10, &dl);

				if (d == NULL)
					*bad = 1;
				else {
					memcpy(out + n, d, dl);
					n += dl;
				}
				free(d);
			} else {
				for (q = p + 10; q < e; q++) {
					if (*q == '_')
						out[n++] = ' ';
					else if (*q == '=') {
						out[n++] = (char)strtol(
						    (char[]){ q[1], q[2], 0 },
						    NULL, 16);
						q += 2;
					} else
						out[n++] = *q;
				}
			}
			p = e + 2;
			lastenc = 1;
			continue;
		}
		lastenc = 0;
		out[n++] = *p++;
	}
	out[n] = '\0';
	free(u);
	return out;
}

/* Lines holding encoded words fit in max columns (plain words may not). */
static int
enc_lines_within(const char *s, size_t startcol, size_t max)
{
	const char *line = s, *nl;
	size_t len;

	for (;;) {
		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		/* Trailing blanks of the text cannot be folded away. */
		while (nl == NULL && len > 0 &&
		    (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (len + (line == s ? startcol : 0) > max &&
		    memmem(line, len, "=?", 2) != NULL)
			return 0;
		if (nl == NULL)
			return 1;
		line = nl + 1;
	}
}

/* Undoes a quoted-string (after unfolding) in place. */
static void
unquote(char *d)
{
	char *w = d, *r = d + 1;
	size_t n = strlen(d);

	if (n < 2 || d[0] != '"' || d[n - 1] != '"')
		return;
	d[n - 1] = '\0';
	for (; *r != '\0'; r++) {
		if (*r == '\\' && r[1] != '\0')
			r++;
		*w++ = *r;
	}
	*w = '\0';
}

/* 1 when every line (with startcol on the first) fits in max columns. */
static int
lines_within(const char *s, size_t startcol, size_t max)
{
	size_t col = startcol;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			if (s[1] != ' ' && s[1] != '\t')
				return 0;	/* a fold starts with WSP */
			col = 0;
		} else if (++col > max)
			return 0;
	}
	return 1;
}

static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, l;

	while (i < n) {
		if (s[i] < 0x80)
			l = 1;
		else if ((s[i] & 0xe0) == 0xc0)
			l = 2;
		else if ((s[i] & 0xf0) == 0xe0)
			l = 3;
		else if ((s[i] & 0xf8) == 0xf0)
			l = 4;
		else
			return 0;
		if (i + l > n)
			return 0;
		for (k = 1; k < l; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += l;
	}
	return 1;
}

/* Every B word decodes on its own to whole UTF-8 characters. */
static int
words_whole_utf8(const char *s)
{
	const char *p = s, *e;
	unsigned char *d;
	size_t dl;
	int r = 1;

	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		e = strstr(p + 10, "?=");
		d = encode_base64_decode(p + 10, e - p - 10, &dl);
		if (d == NULL || !valid_utf8(d, dl))
			r = 0;
		free(d);
		p = e + 2;
	}
	return r;
}

static void
check_header(const char *text, size_t startcol, int phrase, const char *name)
{
	char *s, *d, label[128];
	int bad = 0;

	s = encode_header_text(text, startcol, phrase);
	d = hdr_decode(s, &bad);
	snprintf(label, sizeof(label), "%s: decodes back", name);
	ok(!bad && strcmp(d, text) == 0, label);
	if (bad || strcmp(d, text) != 0)
		printf("#   got [%s]\n#   dec [%s]\n", s, d);
	snprintf(label, sizeof(label), "%s: lines within 78", name);
	ok(lines_within(s, startcol, 78), label);
	snprintf(label, sizeof(label), "%s: words hold whole characters", name);
	ok(words_whole_utf8(s), label);
	free(s);
	free(d);
}

static void
test_header(void)
{
	static const char zh[] = "关于二〇二六年第四季度财务报告的"
	    "审阅意见"
	    "和后续安排请各位同事在周五之前回复";
	static const char ascii[] = "Weekly disk usage report for the "
	    "production database cluster in the Frankfurt data centre, "
	    "generated automatically by cron";
	char longword[200], *s, *u, *p;
	size_t i;

	s = encode_header_text("Hello world", 9, 0);
	is_str(s, "Hello world", "short ASCII subject unchanged");
	free(s);

	s = encode_header_text(ascii, 9, 0);
	ok(strstr(s, "=?") == NULL, "ASCII subject: no encoded words");
	ok(lines_within(s, 9, 78), "ASCII subject folded within 78");
	ok(strchr(s, '\n') != NULL, "ASCII subject was folded");
	u = malloc(strlen(s) + 1);
	for (p = s, i = 0; *p != '\0'; p++)
		if (*p != '\n')
			u[i++] = *p;
	u[i] = '\0';
	is_str(u, ascii, "ASCII subject: folded only at white space");
	free(u);
	free(s);

	memset(longword, 'x', 150);
	longword[150] = '\0';
	s = encode_header_text(longword, 9, 0);
	is_str(s, longword, "long word without spaces stays as is");
	free(s);

	check_header(zh, 9, 0, "Chinese subject");
	s = encode_header_text(zh, 9, 0);
	ok(strchr(s, '\n') != NULL && strncmp(s, "=?UTF-8?B?", 10) == 0,
	    "Chinese subject: B words, folded");
	free(s);
	check_header("Re: 周报 for Monday", 9, 0, "mixed subject");
	check_header("周报 周报  x", 9, 0, "spaces between encoded words");
	check_header("Ünïcödé and the =?x?= trap", 9, 0, "Latin-1 range");
	check_header("a\tb\x01 c", 9, 0, "control character");
	check_header("日本語のテキスト, with a comma", 6, 1, "phrase");
	s = encode_header_text("Müller, Hans", 6, 1);
	ok(strchr(s, ',') == NULL, "phrase: comma not left bare");
	free(s);
	check_header("Ölçü", 70, 0, "no room after a long name");

	/* Random mixes of ASCII, specials, blanks and UTF-8 round trip. */
	{
		static const char *piece[] = { "a", "Re:", " ", "  ", "\t",
		    ",", "\"", "=?", "?=", "_", "é", "周", "报", "😀",
		    "x.y", "(c)", "\x01", "longlonglonglonglonglong" };
		char buf[600], *d;
		int k, good = 1, bad;

		for (k = 0; k < 400; k++) {
			size_t n = 0, cnt = rng() % 40;

			buf[0] = '\0';
			while (cnt-- > 0) {
				const char *pc = piece[rng() %
				    (sizeof(piece) / sizeof(piece[0]))];

				if (n + strlen(pc) + 1 > sizeof(buf))
					break;
				memcpy(buf + n, pc, strlen(pc) + 1);
				n += strlen(pc);
			}
			bad = 0;
			s = encode_header_text(buf, 9 + k % 40, k % 2);
			d = hdr_decode(s, &bad);
			if (k % 2 && s[0] == '"')
				unquote(d);
			if (bad || strcmp(d, buf) != 0 ||
			    !enc_lines_within(s, 9 + k % 40, 78) ||
			    !words_whole_utf8(s)) {
				if (good)
					printf("#   in [%s]\n#   out [%s]\n"
					    "#   dec [%s] k=%d %d%d%d%d\n",
					    buf, s, d,
					    k, bad, strcmp(d, buf) != 0,
					    !enc_lines_within(s,
					    9 + k % 40, 78),
					    !words_whole_utf8(s));
				good = 0;
			}
			free(s);
			free(d);
		}
		ok(good, "400 random header texts round trip within 78");
	}

	s = encode_header_text("Alice Example", 6, 1);
	is_str(s, "Alice Example", "phrase: plain atoms unquoted");
	free(s);
	s = encode_header_text("Last, First", 6, 1);
	is_str(s, "\"Last, First\"", "phrase: specials quoted");
	free(s);
	s = encode_header_text("John \"Q\" Pub\\lic", 6, 1);
	is_str(s, "\"John \\\"Q\\\" Pub\\\\lic\"", "phrase: escapes");
	free(s);
	s = encode_header_text("J. Smith", 6, 1);
	is_str(s, "\"J. Smith\"", "phrase: a dot is quoted");
	free(s);
	s = encode_header_text("Zoë", 6, 1);
	ok(strncmp(s, "=?UTF-8?", 8) == 0, "phrase: non-ASCII encoded");
	/* Q in a phrase: only RFC 2047 5(3) characters literal. */
	if ((p = strstr(s, "?Q?")) != NULL) {
		int good = 1;

		for (p += 3; *p != '?'; p++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
			    "opqrstuvwxyz0123456789!*+-/=_", *p))
				good = 0;
		ok(good, "phrase Q word uses the restricted set");
	} else
		ok(1, "phrase used B");
	free(s);
}

static void
test_param(void)
{
	char name[121], *s;
	size_t i;

	s = encode_param("filename", "report.pdf", 1);
	is_str(s, "; filename=report.pdf", "plain token");
	free(s);
	s = encode_param("filename", "my \"file\".pdf", 1);
	is_str(s, "; filename=\"my \\\"file\\\".pdf\"", "quoted value");
	free(s);
	s = encode_param("filename", "周报 2026.pdf", 0);
	is_str(s, ";\n filename*=UTF-8''%E5%91%A8%E6%8A%A5%202026.pdf",
	    "RFC 2231 form");
	free(s);
	s = encode_param("name", "周报 2026.pdf", 1);
	is_str(s, ";\n name*=UTF-8''%E5%91%A8%E6%8A%A5%202026.pdf",
	    "RFC 2231 only: no encoded word inside a quoted string");
	free(s);

	for (i = 0; i < 120; i++)
		name[i] = "abcdefghij"[i % 10];
	memcpy(name + 116, ".txt", 4);
	name[120] = '\0';
	s = encode_param("filename", name, 1);
	ok(strstr(s, "filename*0*=UTF-8''abc") != NULL &&
	    strstr(s, "filename*1*=") != NULL, "long ASCII: continuations");
	ok(lines_within(s, 0, 78), "long ASCII: lines within 78");
	free(s);

	/* A long non-ASCII name: both forms fold within 78. */
	s = encode_param("filename", "关于二〇二六年第四季度财务报告的"
	    "审阅意见"
	    "和后续安排请各位同事在周五之前回复.pdf", 0);
	ok(lines_within(s, 0, 78), "long UTF-8 name: lines within 78");
	ok(strstr(s, "filename*2*=") != NULL, "long UTF-8 name: sections");
	free(s);
	s = encode_param("name", "关于二〇二六年第四季度财务报告的"
	    "审阅意见"
	    "和后续安排请各位同事在周五之前回复.pdf", 1);
	ok(lines_within(s, 0, 78), "long UTF-8 name=: lines within 78");
	ok(strstr(s, "=?") == NULL && strstr(s, "name*1*=") != NULL,
	    "long UTF-8 name=: RFC 2231 sections, no encoded word");
	free(s);
}

/* Runs encode_wire over in split at the given sizes. */
static char *
wire(const char *in, int dot, size_t chunk, struct encode_wire *st,
    size_t *outlen)
{
	size_t len = strlen(in), pos, c, n = 0;
	char *out = malloc(ENCODE_WIRE_BOUND(len) + 3 + 1);

	encode_wire_init(st, dot);
	for (pos = 0; pos < len; pos += c) {
		c = chunk > len - pos ? len - pos : chunk;
		n += encode_wire_update(st, in + pos, c, out + n);
	}
	n += encode_wire_final(st, out + n);
	out[n] = '\0';
	*outlen = n;
	return out;
}

static void
test_wire(void)
{
	static const char *vec[][3] = {
		{ "a\nb\n", "a\r\nb\r\n", "" },
		{ "a\r\nb", "a\r\nb\r\n", "" },
		{ "a\rb\r", "a\r\nb\r\n", "" },
		{ "\r\r\n\n", "\r\n\r\n\r\n", "" },
		{ ".x\n..\n.\nx.\n", "..x\r\n...\r\n..\r\nx.\r\n", "d" },
		{ ".x\n", ".x\r\n", "" },
		{ "a\r\n.b\r.c", "a\r\n..b\r\n..c\r\n", "d" },
		{ "", "", "d" },
		{ "x", "x\r\n", "" },
	};
	struct encode_wire st;
	char *s;
	size_t i, chunk, n;
	int good;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		s = wire(vec[i][0], vec[i][2][0] == 'd', 1000, &st, &n);
		is_str(s, vec[i][1], "wire form");
		free(s);
		good = 1;
		for (chunk = 1; chunk < 6; chunk++) {
			s = wire(vec[i][0], vec[i][2][0] == 'd', chunk, &st,
			    &n);
			if (strcmp(s, vec[i][1]) != 0)
				good = 0;
			free(s);
		}
		ok(good, "same at every chunk size");
	}
	s = wire("ab\r", 1, 3, &st, &n);
	is_str(s, "ab\r\n", "CR held at a chunk end, then final");
	free(s);
	s = wire("one\nthree\r\n.five\nsixsixsix", 1, 4, &st, &n);
	is_int(st.lines, 4, "lines counted");
	is_int(st.maxline, 9, "longest line, with the stuffed dot");
	free(s);
}

static void
test_date(void)
{
	char buf[64];

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	encode_date(1795392309, ENCODE_DATE_RFC5322, buf, sizeof(buf));
	is_str(buf, "Mon, 23 Nov 2026 08:05:09 +0800", "RFC 5322 date, +0800");
	encode_date(1795392309, ENCODE_DATE_CTIME, buf, sizeof(buf));
	is_str(buf, "Mon Nov 23 08:05:09 2026", "ctime form for mbox");
	setenv("TZ", "America/St_Johns", 1);
	tzset();
	encode_date(1795392309, ENCODE_DATE_RFC5322, buf, sizeof(buf));
	is_str(buf, "Sun, 22 Nov 2026 20:35:09 -0330",
	    "a negative zone with minutes");
	unsetenv("TZ");
	tzset();
}

int
main(void)
{
	test_date();
	test_base64();
	test_qp();
	test_header();
	test_param();
	test_wire();
	return done_testing();
}
