/*
 * test_sendmail.c — the sendmail personality: its command line, the
 * header reader, the dot rule, line ends, Bcc removal, added fields and
 * the quoted-printable conversion.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipients.h"
#include "sendmail.h"
#include "sendmail_msg.h"
#include "tap.h"

#define PINNED_ID "<pinned@example.org>"

/* Runs the reader and writer over in; returns the spool's text. */
static char *
convert(const char *in, size_t len, int ignore_dots, struct sendmail_msg *m,
    const char *from_addr)
{
	struct sendmail_add add;
	struct failure f;
	FILE *inf, *out;
	char *buf = NULL;
	size_t n = 0;

	inf = fmemopen((void *)(uintptr_t)in, len, "r");
	out = open_memstream(&buf, &n);
	memset(&add, 0, sizeof(add));
	add.date = 1;
	add.message_id = PINNED_ID;
	add.from_addr = from_addr;
	add.from_name = "Cron Daemon";
	failure_clear(&f);
	if (sendmail_msg_read_header(inf, ignore_dots, m, &f) == -1 ||
	    sendmail_msg_write(inf, ignore_dots, m, &add, out, &f) == -1)
		printf("# error: %s\n", f.text);
	fclose(out);
	fclose(inf);
	return buf;
}

/* The spool text without the Date line (its zone is the machine's). */
static char *
no_date(char *s)
{
	char *d = strstr(s, "Date: ");

	if (d != NULL)
		memmove(d, strchr(d, '\n') + 1, strlen(strchr(d, '\n') + 1) + 1);
	return s;
}

static void
check(const char *name, const char *in, int ignore_dots, const char *want)
{
	struct sendmail_msg m;
	char *got = convert(in, strlen(in), ignore_dots, &m, "a@example.org");

	is_str(no_date(got), want, name);
	free(got);
	sendmail_msg_free(&m);
}

static void
test_convert(void)
{
	struct sendmail_msg m;
	const char *in;
	char *got, *v;

	check("LF message, Message-ID and From added",
	    "Subject: x\n\nbody\n", 0,
	    "Subject: x\nMessage-ID: " PINNED_ID "\n"
	    "From: Cron Daemon <a@example.org>\n\nbody\n");
	check("CRLF and bare CR become LF",
	    "From: a@b.c\r\nSubject: x\r\n\r\none\rtwo\r\nthree", 0,
	    "From: a@b.c\nSubject: x\nMessage-ID: " PINNED_ID "\n\n"
	    "one\ntwo\nthree");
	check("a lone dot ends the input",
	    "From: a@b.c\n\nbefore\n.\nafter\n", 0,
	    "From: a@b.c\nMessage-ID: " PINNED_ID "\n\nbefore\n");
	check("a lone dot with CRLF ends the input",
	    "From: a@b.c\n\nbefore\r\n.\r\nafter\n", 0,
	    "From: a@b.c\nMessage-ID: " PINNED_ID "\n\nbefore\n");
	check("-i: a lone dot is text",
	    "From: a@b.c\n\nbefore\n.\n..\nafter\n", 1,
	    "From: a@b.c\nMessage-ID: " PINNED_ID "\n\nbefore\n.\n..\nafter\n");
	check("a dot line in the header ends the input",
	    "From: a@b.c\n.\nSubject: no\n", 0,
	    "From: a@b.c\nMessage-ID: " PINNED_ID "\n\n");
	check("lines starting with a dot stay",
	    "From: a@b.c\n\n.x\n..\n", 0,
	    "From: a@b.c\nMessage-ID: " PINNED_ID "\n\n.x\n..\n");
	check("Bcc and Resent-Bcc removed with continuations",
	    "From: a@b.c\nBcc: x@y.z,\n\tw@y.z\nTo: t@y.z\n"
	    "resent-bcc: q@y.z\n\nb\n", 0,
	    "From: a@b.c\nTo: t@y.z\nMessage-ID: " PINNED_ID "\n\nb\n");
	check("a body line without the empty line",
	    "From: a@b.c\nnot a header line\nmore\n", 0,
	    "From: a@b.c\nMessage-ID: " PINNED_ID "\n\nnot a header line\n"
	    "more\n");
	check("a leading mbox From line is dropped",
	    "From a@b.c Mon Nov 23 01:00:00 2026\nFrom: a@b.c\n\nx\n", 0,
	    "From: a@b.c\nMessage-ID: " PINNED_ID "\n\nx\n");
	check("an existing Message-ID is kept",
	    "Message-Id: <k@x>\nFrom: a@b.c\n\nx\n", 0,
	    "Message-Id: <k@x>\nFrom: a@b.c\n\nx\n");

	in = "To: a@x,\n b@y\nSubject:  folded\n  text \n\ncaf\xc3\xa9\n";
	got = convert(in, strlen(in), 0, &m, "a@example.org");
	v = sendmail_msg_header(&m, "subject", 0);
	is_str(v, "folded  text", "unfolded, trimmed value");
	free(v);
	v = sendmail_msg_header(&m, "TO", 0);
	is_str(v, "a@x, b@y", "To unfolded");
	free(v);
	ok(sendmail_msg_header(&m, "To", 1) == NULL, "one To only");
	ok(m.eightbit_body && !m.eightbit_header, "8-bit body detected");
	ok(m.utf8_body, "valid UTF-8");
	is_str(m.message_id, PINNED_ID, "message_id recorded");
	free(got);
	sendmail_msg_free(&m);

	got = convert("Subject: x\n\n\xff\n", 14, 0, &m, "a@example.org");
	ok(m.eightbit_body && !m.utf8_body, "Latin-1 is not UTF-8");
	free(got);
	sendmail_msg_free(&m);
}

static void
test_header_cap(void)
{
	struct sendmail_msg m;
	struct failure f;
	size_t len = SENDMAIL_MSG_HEADER_MAX + 100, i;
	char *in = malloc(len);
	FILE *inf;

	memcpy(in, "X-Big: ", 7);
	for (i = 7; i < len; i++)
		in[i] = i % 70 == 0 ? '\n' : (i % 70 == 1 ? ' ' : 'a');
	inf = fmemopen(in, len, "r");
	failure_clear(&f);
	is_int(sendmail_msg_read_header(inf, 0, &m, &f), -1, "header over 1 MiB");
	is_int(f.kind, F_DATA, "  F_DATA");
	fclose(inf);
	free(in);
	sendmail_msg_free(&m);
}

/*
 * A header line of 2^n-1 octets ending the input without a line end: the
 * LF and NUL the reader adds once overran the buffer (ASan saw it).
 */
static void
test_header_at_eof(void)
{
	static const size_t sizes[] = { 255, 256, 511, 1023, 4095 };
	struct sendmail_msg m;
	struct failure f;
	char *in, *want, name[64];
	FILE *inf;
	size_t i, n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		in = malloc(n + 2);
		memcpy(in, "Subject: ", 9);
		memset(in + 9, 'a', n - 9);
		in[n] = '\0';
		inf = fmemopen(in, n, "r");
		failure_clear(&f);
		snprintf(name, sizeof(name), "%zu-octet field at EOF", n);
		is_int(sendmail_msg_read_header(inf, 0, &m, &f), 0, name);
		want = malloc(n + 2);
		memcpy(want, in, n);
		memcpy(want + n, "\n", 2);
		ok(m.nfields == 1 && strcmp(m.fields[0].raw, want) == 0,
		    "  kept whole, LF added");
		fclose(inf);
		free(want);
		free(in);
		sendmail_msg_free(&m);
	}
}

/* A NUL would cut a field short: bad input. */
static void
test_header_nul(void)
{
	static const char in[] = "Subject: a\0b\nTo: x@y\n\nbody\n";
	struct sendmail_msg m;
	struct failure f;
	FILE *inf;

	inf = fmemopen((void *)(uintptr_t)in, sizeof(in) - 1, "r");
	failure_clear(&f);
	is_int(sendmail_msg_read_header(inf, 0, &m, &f), -1,
	    "NUL in a header line refused");
	is_int(f.kind, F_DATA, "  F_DATA");
	fclose(inf);
	sendmail_msg_free(&m);
}

static void
test_7bit(void)
{
	struct sendmail_msg m;
	struct failure f;
	char *spool_text, *buf = NULL;
	size_t n = 0;
	FILE *spool, *out;
	const char *in = "Subject: x\nContent-Transfer-Encoding: 8bit\n\n"
	    "caf\xc3\xa9 = ok\n.dot\n";

	spool_text = convert(in, strlen(in), 0, &m, "a@example.org");
	spool = fmemopen(spool_text, strlen(spool_text), "r");
	out = open_memstream(&buf, &n);
	failure_clear(&f);
	is_int(sendmail_msg_to_7bit(&m, spool, out, &f), 0, "to 7-bit");
	fclose(out);
	ok(strstr(buf, "MIME-Version: 1.0\nContent-Type: text/plain; "
	    "charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n"
	    "caf=C3=A9 =3D ok\n=2Edot\n") != NULL, "  QP body, new fields");
	ok(strstr(buf, ": 8bit") == NULL, "  old encoding dropped");
	free(buf);
	fclose(spool);
	free(spool_text);
	sendmail_msg_free(&m);

	in = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n\xc3\xa9\n";
	spool_text = convert(in, strlen(in), 0, &m, "a@example.org");
	spool = fmemopen(spool_text, strlen(spool_text), "r");
	out = open_memstream(&buf, &n);
	is_int(sendmail_msg_to_7bit(&m, spool, out, &f), -1, "multipart refused");
	ok(f.kind == F_PERM && strstr(f.text, "multipart") != NULL,
	    "  F_PERM, says why");
	fclose(out);
	free(buf);
	fclose(spool);
	free(spool_text);
	sendmail_msg_free(&m);
}

static void
parse(const char *name, int want, char **argv, struct options *o,
    struct sendmail_options *so)
{
	struct failure f;
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	failure_clear(&f);
	is_int(sendmail_parse(argc, argv, o, so, &f), want, name);
	if (want == -1)
		is_int(f.kind, F_USAGE, "  F_USAGE");
}

static void
test_parse(void)
{
	struct options o;
	struct sendmail_options so;
	char *cron1[] = { "sendmail", "-FCronDaemon", "-i", "-B8BITMIME",
	    "-oem", "root", NULL };
	char *cron2[] = { "sendmail", "-FCronDaemon", "-i", "-odi", "-oem",
	    "-oi", "-t", "-f", "root", NULL };
	char *dsn[] = { "outbox", "--sendmail", "-N", "success,delay",
	    "-Rhdrs", "-V", "id1", "-ti", "--", "-x@y", NULL };
	char *bad1[] = { "sendmail", "-Z", "a@b", NULL };
	char *bad2[] = { "sendmail", "-f", NULL };
	char *bad3[] = { "sendmail", "-N", "often", "a@b", NULL };
	char *none[] = { "sendmail", "-i", NULL };
	char *bp[] = { "sendmail", "-bp", NULL };
	char *q[] = { "sendmail", "-q30m", NULL };
	char *cfg[] = { "sendmail", "-f", "a@b", "-C/upload/x.rc", "-C", "y",
	    "r@x", NULL };

	parse("cron's first form", 0, cron1, &o, &so);
	is_str(so.fullname, "CronDaemon", "  -F");
	ok(so.ignore_dots && !so.extract_recipients, "  -i");
	ok(o.to.n == 1 && strcmp(o.to.v[0], "root") == 0, "  root");
	free(o.to.v);
	parse("cron's second form", 0, cron2, &o, &so);
	ok(so.extract_recipients && so.ignore_dots && o.to.n == 0, "  -t -oi");
	is_str(so.envelope_from, "root", "  -f root");
	parse("DSN options, --sendmail, grouped, --", 0, dsn, &o, &so);
	is_str(o.dsn_notify, "success,delay", "  -N");
	is_str(o.dsn_return, "hdrs", "  -R");
	is_str(so.dsn_envid, "id1", "  -V");
	ok(o.to.n == 1 && strcmp(o.to.v[0], "-x@y") == 0, "  after --");
	free(o.to.v);
	parse("unknown option", -1, bad1, &o, &so);
	free(o.to.v);
	parse("missing value", -1, bad2, &o, &so);
	parse("bad -N", -1, bad3, &o, &so);
	parse("no recipient without -t", -1, none, &o, &so);
	parse("-bp", 0, bp, &o, &so);
	is_int(o.mode, CLI_QUEUE_LIST, "  queue list");
	parse("-q30m", 0, q, &o, &so);
	is_int(o.mode, CLI_FLUSH, "  flush");
	parse("-C is ignored (CVE-2016-10033's pattern)", 0, cfg, &o, &so);
	ok(o.config_file == NULL, "  no config file taken");
	is_str(so.ignored_config, "y", "  the ignored one named");
	ok(o.to.n == 1 && strcmp(o.to.v[0], "r@x") == 0, "  one recipient");
	free(o.to.v);
}

static void
test_aliases_file(void)
{
	char path[] = "/tmp/outbox-aliases.XXXXXX", *v;
	struct failure f;
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("# comment\nPostmaster : root\nroot: a@x,\n\tb@y,\n  c@z\n"
	    "pipe: |/bin/cat\n", fp);
	fclose(fp);
	is_int(recipients_alias_file(path, "postmaster", &v, &f), 1,
	    "aliases(5): case-insensitive name");
	is_str(v, "root", "  value");
	free(v);
	is_int(recipients_alias_file(path, "root", &v, &f), 1, "continued");
	is_str(v, "a@x, b@y, c@z", "  joined");
	free(v);
	is_int(recipients_alias_file(path, "nobody", &v, &f), 0, "absent");
	is_int(recipients_alias_file(path, "pipe", &v, &f), -1, "a pipe");
	is_int(f.kind, F_CONFIG, "  F_CONFIG");
	unlink(path);
	is_int(recipients_alias_file(path, "root", &v, &f), -1, "no file");
}

/*
 * The body's rules, one byte at a time, as a model: CRLF and a bare CR
 * become LF; a line holding only "." ends the input (unless ignore_dots).
 */
static size_t
model_body(const char *in, size_t len, int ignore_dots, char *out)
{
	size_t i, o = 0;
	int bol = 1;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c == '.' && bol && !ignore_dots &&
		    (i + 1 == len || in[i + 1] == '\r' || in[i + 1] == '\n'))
			break;
		if (c == '\r') {
			if (i + 1 < len && in[i + 1] == '\n')
				i++;
			c = '\n';
		}
		out[o++] = c;
		bol = c == '\n';
	}
	return o;
}

/*
 * The body is copied in blocks: each awkward sequence is put across
 * every offset near a block boundary, and the spool's body must be the
 * model's.
 */
static void
test_body_blocks(void)
{
	static const char *const tails[] = {
		"\r\n.\r\nnot this", "\n.\nnot this", "\r.x\r\r\ny",
		"\n..\n.a\n", "\r\n\r\n", "\n.", "\r", "\xc3\xa9\r\n\xe2\x82",
	};
	const size_t head = strlen("Subject: x\n\n");
	size_t t, off, len, blen, mlen, bad = 0, cases = 0;
	char *in, *out, *body, *model;
	int dots;

	in = malloc(70000);
	model = malloc(70000);
	if (in == NULL || model == NULL)
		exit(1);
	for (dots = 0; dots < 2; dots++)
	for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++)
	for (off = 32760; off < 32776; off++) {
		struct sendmail_msg m;

		memcpy(in, "Subject: x\n\n", head);
		memset(in + head, 'a', off);
		for (len = 40; len < off; len += 41)
			in[head + len] = '\n';
		len = head + off;
		memcpy(in + len, tails[t], strlen(tails[t]));
		len += strlen(tails[t]);
		memset(&m, 0, sizeof(m));
		out = convert(in, len, dots, &m, NULL);
		cases++;
		body = out != NULL ? strstr(out, "\n\n") : NULL;
		mlen = model_body(in + head, len - head, dots, model);
		blen = body != NULL ? strlen(body + 2) : 0;
		if (body == NULL || blen != mlen ||
		    memcmp(body + 2, model, mlen) != 0)
			bad++;
		sendmail_msg_free(&m);
		free(out);
	}
	if (bad > 0)
		printf("# %zu of %zu boundary cases differ\n", bad, cases);
	ok(bad == 0 && cases == 256, "body copied in blocks: every "
	    "sequence across a block boundary follows the byte rules");
	free(in);
	free(model);
}

int
main(void)
{
	test_body_blocks();
	test_convert();
	test_header_cap();
	test_header_at_eof();
	test_header_nul();
	test_7bit();
	test_parse();
	test_aliases_file();
	return done_testing();
}
