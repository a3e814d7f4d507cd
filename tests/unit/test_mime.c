/*
 * test_mime.c — the content scan (fed in every chunking), the encoding
 * choice, charset labels, boundaries, part headers and the body writer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encode.h"
#include "mime.h"
#include "spool.h"
#include "tap.h"

/* Scans buf whole, and again in chunks of every size from 1 to 7; all
 * must agree (the state crosses chunk boundaries). */
static struct mime_scan
scan(const char *buf, size_t len)
{
	struct mime_scan whole, part;
	size_t step, i, n;
	int same = 1;

	mime_scan_init(&whole);
	mime_scan_update(&whole, buf, len);
	mime_scan_final(&whole);
	for (step = 1; step < 8; step++) {
		mime_scan_init(&part);
		for (i = 0; i < len; i += n) {
			n = len - i < step ? len - i : step;
			mime_scan_update(&part, buf + i, n);
		}
		mime_scan_final(&part);
		if (memcmp(&part, &whole, sizeof(part)) != 0)
			same = 0;
	}
	ok(same, "scan is the same in every chunking");
	return whole;
}

#define SCAN(lit) scan((lit), sizeof(lit) - 1)

static char *
repeat(int c, size_t n, const char *tail)
{
	char *s = malloc(n + strlen(tail) + 1);

	memset(s, c, n);
	memcpy(s + n, tail, strlen(tail) + 1);
	return s;
}

static void
test_scan(void)
{
	struct mime_scan s;
	char *l;

	s = SCAN("hello\nworld\n");
	is_int(s.lf, 2, "two LF");
	is_int(s.maxline, 5, "longest line");
	is_int(mime_choose(&s, 0), MIME_7BIT, "ASCII body: 7bit");
	is_int(mime_choose(&s, 1), MIME_7BIT, "ASCII LF file: 7bit");

	s = SCAN("a\r\nb\r\n");
	is_int(s.crlf, 2, "CRLF counted");
	is_int(s.barecr, 0, "no bare CR");
	is_int(s.maxline, 1, "CR not in line length");
	is_int(mime_choose(&s, 0), MIME_7BIT, "CRLF body: 7bit");
	is_int(mime_choose(&s, 1), MIME_BASE64, "CRLF file: base64");

	s = SCAN("some text a\rb\n\r");
	is_int(s.barecr, 2, "bare CR inside and at the end");
	is_int(mime_choose(&s, 0), MIME_QP, "bare CR body: QP");

	s = SCAN("some text a\0b\n");
	is_int(s.nul, 1, "NUL counted");
	is_int(mime_choose(&s, 0), MIME_QP, "NUL body: QP");
	is_int(mime_choose(&s, 1), MIME_BASE64, "NUL file: base64");

	s = SCAN("no newline");
	ok(!mime_scan_ends_eol(&s), "no final newline");
	is_int(mime_choose(&s, 0), MIME_QP, "no final newline body: QP");
	is_int(mime_choose(&s, 1), MIME_BASE64, "no final newline file");

	s = SCAN("");
	is_int(mime_choose(&s, 0), MIME_7BIT, "empty body: 7bit");
	ok(mime_scan_ends_eol(&s), "empty ends well");

	l = repeat('x', 998, "\n");
	s = scan(l, strlen(l));
	is_int(s.maxline, 998, "998 octets");
	is_int(mime_choose(&s, 0), MIME_7BIT, "998-octet line: 7bit");
	free(l);
	l = repeat('x', 999, "\r\n");
	s = scan(l, strlen(l));
	is_int(mime_choose(&s, 0), MIME_QP, "999-octet line: QP");
	is_int(mime_choose(&s, 1), MIME_BASE64, "999-octet line file");
	free(l);
	l = repeat('.', 5000, "");
	s = scan(l, strlen(l));
	is_int(s.maxline, 5000, "unterminated line measured");
	free(l);
}

static void
test_utf8(void)
{
	struct mime_scan s;
	char *l;

	s = SCAN("\xe4\xb8\xad\xe6\x96\x87\n");
	ok(mime_scan_utf8(&s), "Chinese is UTF-8");
	is_int(s.hibit, 6, "6 high bytes");
	is_int(mime_choose(&s, 0), MIME_BASE64, "mostly 8-bit: base64");
	l = repeat('a', 60, "\xc3\xa9t\xc3\xa9\n");
	s = scan(l, strlen(l));
	ok(mime_scan_utf8(&s), "accents are UTF-8");
	is_int(mime_choose(&s, 0), MIME_QP, "mostly ASCII: QP");
	is_int(mime_choose(&s, 1), MIME_QP, "mostly ASCII file: QP");
	free(l);
	s = SCAN("\xf0\x9f\x98\x80\n");
	ok(mime_scan_utf8(&s), "4-byte sequence");
	s = SCAN("\xc0\x80");
	ok(!mime_scan_utf8(&s), "overlong refused");
	s = SCAN("\xed\xa0\x80");
	ok(!mime_scan_utf8(&s), "surrogate refused");
	s = SCAN("ab\xe4\xb8");
	ok(!mime_scan_utf8(&s), "truncated at the end refused");
	s = SCAN("\xe4\xb8x");
	ok(!mime_scan_utf8(&s), "broken sequence refused");
	s = SCAN("\xd6\xd0\xce\xc4\n");	/* "中文" in GB18030 */
	ok(!mime_scan_utf8(&s), "GB18030 is not UTF-8");
	s = SCAN("\xff\n");
	ok(!mime_scan_utf8(&s), "0xff refused");
}

static void
test_charset(void)
{
	struct mime_scan s;

	s = SCAN("plain\n");
	is_str(mime_text_charset(&s, "GB18030", "UTF-8"), "us-ascii",
	    "ASCII is us-ascii");
	s = SCAN("\xd6\xd0\xce\xc4\n");
	is_str(mime_text_charset(&s, "GB18030", "UTF-8"), "GB18030",
	    "--charset wins");
	is_str(mime_text_charset(&s, NULL, "UTF-8"), "unknown-8bit",
	    "UTF-8 locale does not label non-UTF-8");
	is_str(mime_text_charset(&s, NULL, "ANSI_X3.4-1968"), "unknown-8bit",
	    "C locale: unknown-8bit");
	is_str(mime_text_charset(&s, NULL, "GB18030"), "GB18030",
	    "locale's codeset");
	is_str(mime_text_charset(&s, "utf-8", NULL), "unknown-8bit",
	    "--charset utf-8 on non-UTF-8 refused");
	s = SCAN("\xe4\xb8\xad\n");
	is_str(mime_text_charset(&s, NULL, "GB18030"), "utf-8",
	    "valid UTF-8 is utf-8");
}

/* A text/plain attachment part with content buf and libmagic's lm. */
static void
att(struct mime_part *p, const char *buf, const char *lm)
{
	memset(p, 0, sizeof(*p));
	strlcpy(p->type, "text/plain", sizeof(p->type));
	strlcpy(p->magic_charset, lm, sizeof(p->magic_charset));
	p->path = (char *)(uintptr_t)"f.txt";
	p->scan = scan(buf, strlen(buf));
}

static void
test_attachment_charset(void)
{
	struct mime_part p;
	struct failure f;
	const char *gb = "\xd6\xd0\xce\xc4\n";

	att(&p, gb, "iso-8859-1");
	ok(mime_attachment_charset(&p, NULL, NULL, &f) == 0 &&
	    p.charset[0] == '\0', "libmagic's iso-8859-1 guess: no label");
	att(&p, gb, "unknown-8bit");
	mime_attachment_charset(&p, NULL, NULL, &f);
	is_str(p.charset, "", "unknown-8bit: no label");
	att(&p, gb, "iso-8859-1");
	mime_attachment_charset(&p, NULL, "GB2312", &f);
	is_str(p.charset, "GB2312", "--charset for text that is not UTF-8");
	mime_attachment_charset(&p, NULL, "UTF-8", &f);
	is_str(p.charset, "", "--charset UTF-8 does not label it");
	mime_attachment_charset(&p, "GB18030", "GB2312", &f);
	is_str(p.charset, "GB18030", "--attach-charset wins");
	ok(mime_attachment_charset(&p, "utf-8", NULL, &f) == -1 &&
	    f.kind == F_DATA, "--attach-charset utf-8 for non-UTF-8: F_DATA");
	att(&p, "\xe4\xb8\xad\n", "utf-8");
	mime_attachment_charset(&p, NULL, "GB2312", &f);
	is_str(p.charset, "utf-8", "UTF-8 stays utf-8 with --charset");
	att(&p, "plain\n", "us-ascii");
	mime_attachment_charset(&p, NULL, "GB2312", &f);
	is_str(p.charset, "us-ascii", "ASCII stays us-ascii");
	mime_attachment_charset(&p, "ISO-2022-JP", NULL, &f);
	is_str(p.charset, "ISO-2022-JP", "--attach-charset for 7-bit text");
	att(&p, "\xff\xfeh\0i\0\n\0", "utf-16le");
	p.scan = scan("\xff\xfeh\0i\0\n\0", 8);
	mime_attachment_charset(&p, NULL, NULL, &f);
	is_str(p.charset, "utf-16le", "a BOM-based answer stays");
	att(&p, gb, "iso-8859-1");
	strlcpy(p.type, "application/pdf", sizeof(p.type));
	mime_attachment_charset(&p, "GB2312", NULL, &f);
	is_str(p.charset, "", "not text: left alone");
}

static void
test_boundary(void)
{
	char a[MIME_BOUNDARY_MAX], b[MIME_BOUNDARY_MAX];
	char *longseed = repeat('s', 200, "");

	mime_boundary(a, "pin me\"x", 1);
	is_str(a, "=_pinmex_1", "pinned boundary drops bad characters");
	mime_boundary(a, longseed, 12);
	ok(strlen(a) <= 70, "long seed cut to 70");
	ok(strcmp(a + strlen(a) - 3, "_12") == 0, "counter kept");
	mime_boundary(a, NULL, 1);
	mime_boundary(b, NULL, 1);
	is_int(strlen(a), 26, "random boundary length");
	ok(strncmp(a, "=_", 2) == 0, "random boundary starts =_");
	ok(strcmp(a, b) != 0, "random boundaries differ");
	free(longseed);
}

/* Writes a body part for text through mime_write; returns the output. */
static char *
write_body(const char *text, size_t len, const char *charset)
{
	struct mime_part p;
	struct mime_scan s;
	struct failure f;
	FILE *in = tmpfile(), *out = tmpfile();
	char *res;
	long n;

	fwrite(text, 1, len, in);
	mime_scan_init(&s);
	mime_scan_update(&s, text, len);
	mime_part_body(&p, in, &s, charset);
	ok(mime_write(&p, out, &f) == 0, "mime_write");
	n = ftell(out);
	res = calloc(1, n + 1);
	rewind(out);
	if (fread(res, 1, n, out) != (size_t)n)
		res[0] = '\0';
	fclose(in);
	fclose(out);
	mime_part_free(&p);
	return res;
}

static void
test_write(void)
{
	struct mime_part p, *c;
	char *h, *w;

	memset(&p, 0, sizeof(p));
	strlcpy(p.type, "text/plain", sizeof(p.type));
	strlcpy(p.charset, "us-ascii", sizeof(p.charset));
	h = mime_part_headers(&p);
	is_str(h, "Content-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: 7bit\n", "text part headers");
	free(h);
	mime_part_multipart(&p, "mixed", "=_b_1");
	h = mime_part_headers(&p);
	is_str(h, "Content-Type: multipart/mixed; boundary=\"=_b_1\"\n",
	    "multipart headers");
	free(h);
	memset(&p, 0, sizeof(p));
	strlcpy(p.type, "application/pdf", sizeof(p.type));
	p.cte = MIME_BASE64;
	p.filename = strdup("report.pdf");
	h = mime_part_headers(&p);
	ok(strstr(h, "Content-Transfer-Encoding: base64\n") != NULL,
	    "attachment encoding");
	ok(strstr(h, "Content-Disposition: attachment; filename=") != NULL,
	    "attachment disposition");
	free(h);
	mime_part_free(&p);

	/* RFC 2387: related carries the root's type; inline parts an id. */
	mime_part_multipart(&p, "related", "=_b_2");
	c = mime_part_add(&p);
	mime_part_multipart(c, "alternative", "=_b_3");
	c = mime_part_add(&p);
	strlcpy(c->type, "image/png", sizeof(c->type));
	c->cte = MIME_BASE64;
	c->filename = strdup("chart.png");
	c->content_id = strdup("chart.png");
	h = mime_part_headers(&p);
	is_str(h, "Content-Type: multipart/related; "
	    "type=\"multipart/alternative\";\n boundary=\"=_b_2\"\n",
	    "related: type= of its first part");
	free(h);
	h = mime_part_headers(&p.parts[0]);
	is_str(h, "Content-Type: multipart/alternative; boundary=\"=_b_3\"\n",
	    "alternative headers");
	free(h);
	h = mime_part_headers(&p.parts[1]);
	is_str(h, "Content-Type: image/png; name=chart.png\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-ID: <chart.png>\n"
	    "Content-Disposition: inline; filename=chart.png\n",
	    "inline part: Content-ID and disposition inline");
	free(h);
	mime_part_free(&p);

	w = write_body("a\r\nb\n", 5, "us-ascii");
	ok(strstr(w, "\n\na\nb\n") != NULL && w[strlen(w) - 2] == 'b',
	    "7bit body: CRLF becomes LF");
	free(w);
	w = write_body("a\r\nb", 4, "us-ascii");
	ok(strstr(w, "quoted-printable\n\na\nb=\n") != NULL,
	    "no final newline: soft break");
	free(w);
	w = write_body("some text x\ry\0z\n", 16, "us-ascii");
	ok(strstr(w, "\n\nsome text x=0Dy=00z\n") != NULL,
	    "bare CR and NUL in QP");
	free(w);
	/* "中\n" -> base64 of "中\r\n" = "5Lit DQo=" */
	w = write_body("\xe4\xb8\xad\n", 4, "utf-8");
	ok(strstr(w, "base64\n\n5LitDQo=\n") != NULL,
	    "base64 text has CRLF line ends");
	free(w);
	w = write_body("", 0, "us-ascii");
	ok(strlen(w) > 6 && strcmp(w + strlen(w) - 6, "7bit\n\n") == 0,
	    "empty body");
	free(w);
}

static void
test_spool(void)
{
	struct failure f;
	struct stat st;
	char path[] = "/tmp/test_mime_dl.XXXXXX", buf[512];
	FILE *msg, *in;
	size_t n;
	int fd;

	msg = spool_temp(&f);
	ok(msg != NULL, "spool_temp");
	fputs("Subject: x\r\n\r\nFrom here\r\n>From there\r\nend", msg);
	fflush(msg);
	ok(fstat(fileno(msg), &st) == 0 && st.st_nlink == 0,
	    "spool file is unlinked");
	fd = mkstemp(path);
	close(fd);
	unlink(path);
	ok(spool_dead_letter(path, msg, "a@example.org", &f) == 0,
	    "dead.letter written");
	ok(spool_dead_letter(path, msg, NULL, &f) == 0, "and appended");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "dead.letter is 0600");
	in = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, in);
	buf[n] = '\0';
	fclose(in);
	ok(strncmp(buf, "From a@example.org ", 19) == 0, "separator line");
	ok(strstr(buf, "\n\n>From here\n>>From there\nend\n\nFrom "
	    "MAILER-DAEMON ") != NULL, "mboxrd quoting, LF, blank line");
	ok(strchr(buf, '\r') == NULL, "no CR in the mbox");
	unlink(path);
	fclose(msg);
}

int
main(void)
{
	test_scan();
	test_utf8();
	test_charset();
	test_attachment_charset();
	test_boundary();
	test_write();
	test_spool();
	return done_testing();
}
