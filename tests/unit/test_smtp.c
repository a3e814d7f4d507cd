/*
 * test_smtp.c — the SMTP reply parser, EHLO extension parsing, and whole
 * plaintext dialogues against a scripted server in a child process on
 * 127.0.0.1 (exact client bytes, pipelining in one read, dot-stuffing,
 * mixed recipient outcomes, the 452 split, failures and their texts).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "failure.h"
#include "smtp.h"
#include "smtp_reply.h"
#include "tap.h"

/* Feeds input to the parser through a socketpair; the writer closes. */
static int
parse(const char *input, size_t len, struct smtp_reply *rp,
    struct failure *f)
{
	struct conn *c;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	if (write(sv[1], input, len) != (ssize_t)len)
		abort();
	close(sv[1]);
	c = conn_fdopen(sv[0], 2);
	failure_clear(f);
	rc = smtp_read_reply(c, rp, f);
	conn_close(c);
	return rc;
}

static void
test_parser(void)
{
	struct smtp_reply rp;
	struct failure f;
	char *big;
	size_t i, n;

	ok(parse("250 ok\r\n", 8, &rp, &f) == 0, "single line");
	is_int(rp.code, 250, "single: code");
	is_str(rp.text, "ok", "single: text");
	is_int(rp.nlines, 1, "single: one line");
	is_str(rp.esc, "", "single: no enhanced code");
	smtp_reply_free(&rp);

	ok(parse("220\r\n", 5, &rp, &f) == 0, "code alone");
	is_str(rp.text, "", "code alone: empty text");
	smtp_reply_free(&rp);

	ok(parse("250-a\r\n250-b c\r\n250 d\r\n", 23, &rp, &f) == 0,
	    "multi-line");
	is_str(rp.text, "a\nb c\nd", "multi-line: text joined");
	is_int(rp.nlines, 3, "multi-line: three lines");
	smtp_reply_free(&rp);

	ok(parse("550 5.1.1 no such user\r\n", 24, &rp, &f) == 0,
	    "enhanced code");
	is_int(rp.code, 550, "enhanced: code");
	is_str(rp.esc, "5.1.1", "enhanced: split out");
	smtp_reply_free(&rp);

	ok(parse("451 5.1.1 mismatch\r\n", 20, &rp, &f) == 0,
	    "enhanced class differs");
	is_str(rp.esc, "", "enhanced: class must match");
	smtp_reply_free(&rp);

	ok(parse("250 2.0.0\r\n", 11, &rp, &f) == 0, "enhanced code alone");
	is_str(rp.esc, "2.0.0", "enhanced alone: split out");
	smtp_reply_free(&rp);

	ok(parse("250 ok\n", 7, &rp, &f) == 0, "bare LF line end");
	smtp_reply_free(&rp);

	ok(parse("250-a\r\n251 b\r\n", 14, &rp, &f) == -1, "mismatched codes");
	is_int(f.kind, F_PROTO, "mismatched: F_PROTO");
	is_str(f.text, "garbled reply (251 b)", "mismatched: text");

	ok(parse("250+ok\r\n", 8, &rp, &f) == -1, "bad separator");
	is_int(f.kind, F_PROTO, "bad separator: F_PROTO");
	ok(parse("2x0 ok\r\n", 8, &rp, &f) == -1, "non-digit");
	is_int(f.kind, F_PROTO, "non-digit: F_PROTO");
	ok(parse("150 ok\r\n", 8, &rp, &f) == -1, "first digit 1");
	is_int(f.kind, F_PROTO, "first digit 1: F_PROTO");
	ok(parse("650 ok\r\n", 8, &rp, &f) == -1, "first digit 6");
	is_int(f.kind, F_PROTO, "first digit 6: F_PROTO");
	ok(parse("25\r\n", 4, &rp, &f) == -1, "two digits");
	ok(parse("\r\n", 2, &rp, &f) == -1, "empty line");
	ok(parse("250 a\x01z\r\n", 9, &rp, &f) == -1, "control character");
	is_str(f.text, "garbled reply (250 a\\001z)", "control: strvis'd");

	/* 100 lines pass, 101 do not. */
	big = malloc(101 * 8 + 1);
	for (i = n = 0; i < 100; i++, n += 7)
		memcpy(big + n, i == 99 ? "250 x\r\n" : "250-x\r\n", 7);
	ok(parse(big, n, &rp, &f) == 0, "100 lines");
	smtp_reply_free(&rp);
	for (i = n = 0; i < 101; i++, n += 7)
		memcpy(big + n, i == 100 ? "250 x\r\n" : "250-x\r\n", 7);
	ok(parse(big, n, &rp, &f) == -1, "101 lines");
	is_int(f.kind, F_PROTO, "101 lines: F_PROTO");
	is_str(f.text, "reply too long", "101 lines: text");
	free(big);

	big = malloc(10 * 1024 + 8);
	memcpy(big, "250 ", 4);
	memset(big + 4, 'x', 10 * 1024);
	memcpy(big + 4 + 10 * 1024, "\r\n", 2);
	ok(parse(big, 10 * 1024 + 6, &rp, &f) == -1, "10 KiB line");
	is_int(f.kind, F_PROTO, "10 KiB line: F_PROTO from conn's cap");
	free(big);

	ok(parse("250-a\r\n250-b\r\n", 14, &rp, &f) == -1, "EOF mid-reply");
	is_int(f.kind, F_TEMP, "EOF mid-reply: F_TEMP");
	ok(strstr(f.text, "closed") != NULL, "EOF mid-reply: says closed");
}

static void
test_ehlo(void)
{
	struct smtp_reply rp;
	struct smtp_ext ext;
	char text[] = "mail.example Hello\nsize 1000\nauth=login plain\n"
	    "AUTH CRAM-MD5\npipelining\n8bitmime\nStartTLS\n"
	    "ENHANCEDSTATUSCODES\nX-UNKNOWN foo\nSMTPUTF8\nDSN";

	memset(&rp, 0, sizeof(rp));
	rp.code = 250;
	rp.text = text;
	rp.len = strlen(text);
	smtp_ehlo_parse(&rp, &ext);
	is_int(ext.size, 1000, "EHLO: SIZE value");
	ok(ext.flags & SMTP_EXT_SIZE, "EHLO: SIZE");
	ok(ext.flags & SMTP_EXT_AUTH, "EHLO: AUTH");
	is_str(ext.auth, "LOGIN PLAIN CRAM-MD5", "EHLO: AUTH= and AUTH lists");
	ok(ext.flags & SMTP_EXT_PIPELINING, "EHLO: PIPELINING");
	ok(ext.flags & SMTP_EXT_8BITMIME, "EHLO: 8BITMIME");
	ok(ext.flags & SMTP_EXT_STARTTLS, "EHLO: STARTTLS, any case");
	ok(ext.flags & SMTP_EXT_ENHANCEDSTATUSCODES,
	    "EHLO: ENHANCEDSTATUSCODES");
	ok(ext.flags & SMTP_EXT_SMTPUTF8, "EHLO: SMTPUTF8");
	ok(ext.flags & SMTP_EXT_DSN, "EHLO: DSN");

	strlcpy(text, "mail.example\nSIZE\nSTARTTLSX", sizeof(text));
	rp.len = strlen(text);
	smtp_ehlo_parse(&rp, &ext);
	ok(ext.flags == SMTP_EXT_SIZE, "EHLO: SIZE without a limit only");
	is_int(ext.size, 0, "EHLO: SIZE without a number is no limit");

	strlcpy(text, "STARTTLS", sizeof(text));
	rp.len = strlen(text);
	smtp_ehlo_parse(&rp, &ext);
	is_int(ext.flags, 0, "EHLO: the greeting line is no extension");
}

/*
 * The scripted server: after reading nlines client lines (-1: up to the
 * line "."), it sends reply (NULL: closes the connection).  oneread: the
 * lines must have come in one read(2).
 */
struct step {
	int nlines;
	const char *reply;
	int oneread;
};

struct server {
	pid_t pid;
	char port[16];
	FILE *log;
};

/* Returns 1 when the step's lines are complete in buf[pos..len). */
static int
step_done(const struct step *st, const char *buf, size_t pos, size_t len,
    size_t *end)
{
	size_t i;
	int lines = 0;

	for (i = pos; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		lines++;
		if (st->nlines >= 0 && lines == st->nlines) {
			*end = i + 1;
			return 1;
		}
		if (st->nlines < 0 && i >= 2 && buf[i - 1] == '\r' &&
		    buf[i - 2] == '.' && (i == 2 || buf[i - 3] == '\n')) {
			*end = i + 1;
			return 1;
		}
	}
	return st->nlines == 0 ? (*end = pos, 1) : 0;
}

static void
server_child(int ls, const struct step *steps, size_t nsteps, FILE *log)
{
	static char buf[1 << 20];
	size_t len = 0, pos = 0, end, i;
	int fd, reads, status = 0;
	ssize_t n;

	alarm(20);
	if ((fd = accept(ls, NULL, NULL)) == -1)
		_exit(10);
	for (i = 0; i < nsteps; i++) {
		reads = 0;
		while (!step_done(&steps[i], buf, pos, len, &end)) {
			n = read(fd, buf + len, sizeof(buf) - len);
			if (n <= 0) {
				status = 11;
				goto done;
			}
			len += (size_t)n;
			reads++;
		}
		pos = end;
		if (steps[i].oneread && reads != 1)
			status = 12;
		if (steps[i].reply == NULL) {
			shutdown(fd, SHUT_RDWR);
			break;
		}
		if (write(fd, steps[i].reply, strlen(steps[i].reply)) == -1)
			_exit(13);
	}
	/* Whatever else the client sends before it closes. */
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
done:
	fwrite(buf, 1, len, log);
	fflush(log);
	_exit(status);
}

static void
server_start(struct server *sv, const struct step *steps, size_t nsteps)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int ls;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls == -1 || bind(ls, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(ls, 1) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sin, &slen) == -1)
		abort();
	snprintf(sv->port, sizeof(sv->port), "%u", ntohs(sin.sin_port));
	sv->log = tmpfile();
	fflush(stdout);
	if ((sv->pid = fork()) == -1)
		abort();
	if (sv->pid == 0)
		server_child(ls, steps, nsteps, sv->log);
	close(ls);
}

/* Waits for the server; returns what the client sent, and its status. */
static char *
server_finish(struct server *sv, int *status)
{
	char *s;
	long n;
	int st;

	waitpid(sv->pid, &st, 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 100;
	n = ftell(sv->log);
	s = calloc(1, (size_t)n + 1);
	rewind(sv->log);
	if (fread(s, 1, (size_t)n, sv->log) != (size_t)n)
		abort();
	fclose(sv->log);
	return s;
}

static FILE *
message(const char *text)
{
	FILE *fp = tmpfile();

	fputs(text, fp);
	fflush(fp);
	return fp;
}

static const char *const rcpts3[] = {
	"b@example.org", "c@example.org", "d@example.org"
};

static void
init_params(struct smtp_params *p, const char *port)
{
	memset(p, 0, sizeof(*p));
	p->host = "127.0.0.1";
	p->port = port;
	p->security = SMTP_SEC_NONE;
	p->mech = SASL_NONE;
	p->helo_name = "client.test";
	p->timeout = 5;
}

/* Runs one dialogue; the caller checks r and f, then frees *sent. */
static int
dialogue(const struct step *steps, size_t nsteps,
    const struct smtp_envelope *env, enum smtp_security sec,
    const char *body, struct smtp_result *r, struct failure *f,
    char **sent, int *status)
{
	struct server sv;
	struct smtp_params p;
	FILE *msg = message(body);
	int rc;

	memset(&sv, 0, sizeof(sv));
	server_start(&sv, steps, nsteps);
	init_params(&p, sv.port);
	p.security = sec;
	rc = smtp_submit(&p, env, msg, r, f);
	*sent = server_finish(&sv, status);
	fclose(msg);
	return rc;
}

#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))

static void
test_pipelined_mixed(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example ESMTP\r\n", 0 },
		{ 1, "250-test.example\r\n250-PIPELINING\r\n"
		    "250-SIZE 1000000\r\n250 8BITMIME\r\n", 0 },
		{ 5, "250 2.1.0 ok\r\n550 5.1.1 no such user\r\n"
		    "250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n", 1 },
		{ -1, "250 2.0.0 Ok: queued as ABC\r\n", 0 },
		{ 1, "221 2.0.0 bye\r\n", 0 },
	};
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 3,
	    .eightbit = 0, .size = 42 };
	struct smtp_result r;
	struct failure f;
	char *sent;
	int rc, status;

	rc = dialogue(steps, NSTEPS(steps), &env, SMTP_SEC_NONE,
	    "Subject: t\n\n.hidden\nline\n", &r, &f, &sent, &status);
	is_int(status, 0, "pipelined: server script ran, group in one read");
	is_str(sent, "EHLO client.test\r\n"
	    "MAIL FROM:<a@example.org> SIZE=42\r\n"
	    "RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n"
	    "RCPT TO:<d@example.org>\r\nDATA\r\n"
	    "Subject: t\r\n\r\n..hidden\r\nline\r\n.\r\nQUIT\r\n",
	    "pipelined: client bytes, dot-stuffed");
	is_int(rc, -1, "pipelined: one refusal fails");
	is_int(f.kind, F_NOUSER, "pipelined: F_NOUSER");
	is_str(f.text, "RCPT TO: 1 of 3 recipients refused", "pipelined: text");
	is_int(r.naccepted, 2, "pipelined: two accepted");
	is_int(r.rcpts[0].accepted, 0, "pipelined: b refused");
	is_int(r.rcpts[0].code, 550, "pipelined: b's code");
	is_str(r.rcpts[0].reply, "550 5.1.1 no such user",
	    "pipelined: b's reply");
	is_int(r.rcpts[1].accepted, 1, "pipelined: c accepted");
	is_int(r.rcpts[2].accepted, 1, "pipelined: d accepted");
	is_str(r.final_reply, "250 2.0.0 Ok: queued as ABC",
	    "pipelined: final reply");
	is_int(r.uncertain, 0, "pipelined: certain");
	free(sent);
	smtp_result_free(&r);
}

static void
test_452_split(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example ESMTP\r\n", 0 },
		{ 1, "250-test.example\r\n250-SIZE\r\n250 8BITMIME\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "452 4.5.3 too many recipients\r\n", 0 },
		{ 1, "354 go\r\n", 0 },
		{ -1, "250 queued 1\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "354 go\r\n", 0 },
		{ -1, "250 queued 2\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 3,
	    .eightbit = 1, .size = 10 };
	struct smtp_result r;
	struct failure f;
	char *sent;
	int rc, status;

	rc = dialogue(steps, NSTEPS(steps), &env, SMTP_SEC_NONE, "x\n.\n", &r, &f,
	    &sent, &status);
	is_int(status, 0, "452 split: server script ran");
	is_str(sent, "EHLO client.test\r\n"
	    "MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME\r\n"
	    "RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n"
	    "DATA\r\nx\r\n..\r\n.\r\n"
	    "MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME\r\n"
	    "RCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\n"
	    "DATA\r\nx\r\n..\r\n.\r\nQUIT\r\n",
	    "452 split: two transactions, one at a time");
	is_int(rc, 0, "452 split: success");
	is_int(f.kind, F_NONE, "452 split: no failure");
	is_int(r.naccepted, 3, "452 split: all three delivered");
	is_str(r.final_reply, "250 queued 2", "452 split: last final reply");
	free(sent);
	smtp_result_free(&r);
}

static void
test_helo_mail_temp(void)
{
	static const struct step steps[] = {
		{ 0, "220 old.example\r\n", 0 },
		{ 1, "502 5.5.2 what?\r\n", 0 },
		{ 1, "250 old.example\r\n", 0 },
		{ 1, "451 4.3.0 try again later\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 1,
	    .eightbit = 0, .size = 10 };
	struct smtp_result r;
	struct failure f;
	char *sent;
	int rc, status;

	rc = dialogue(steps, NSTEPS(steps), &env, SMTP_SEC_NONE, "x\n", &r, &f,
	    &sent, &status);
	is_int(status, 0, "HELO: server script ran");
	is_str(sent, "EHLO client.test\r\nHELO client.test\r\n"
	    "MAIL FROM:<a@example.org>\r\nQUIT\r\n",
	    "HELO fallback, no SIZE, polite QUIT");
	is_int(rc, -1, "MAIL 451: fails");
	is_int(f.kind, F_TEMP, "MAIL 451: F_TEMP");
	is_str(f.text, "MAIL FROM: temporary failure (451 4.3.0 try again "
	    "later)", "MAIL 451: text");
	free(sent);
	smtp_result_free(&r);
}

static void
test_no_starttls(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250-test.example\r\n250 PIPELINING\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 1,
	    .eightbit = 0, .size = 10 };
	struct smtp_result r;
	struct failure f;
	char *sent;
	int rc, status;

	rc = dialogue(steps, NSTEPS(steps), &env, SMTP_SEC_STARTTLS, "x\n", &r, &f,
	    &sent, &status);
	is_int(status, 0, "no STARTTLS: server script ran");
	is_str(sent, "EHLO client.test\r\nQUIT\r\n",
	    "no STARTTLS: only QUIT follows");
	is_int(rc, -1, "no STARTTLS: fails");
	is_int(f.kind, F_PERM, "no STARTTLS: F_PERM");
	is_str(f.text, "STARTTLS: server does not offer STARTTLS",
	    "no STARTTLS: text");
	free(sent);
	smtp_result_free(&r);
}

static void
test_starttls_injection(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250-test.example\r\n250 STARTTLS\r\n", 0 },
		{ 1, "220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n", 0 },
	};
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 1,
	    .eightbit = 0, .size = 10 };
	struct smtp_result r;
	struct failure f;
	char *sent;
	int rc, status;

	rc = dialogue(steps, NSTEPS(steps), &env, SMTP_SEC_STARTTLS, "x\n", &r, &f,
	    &sent, &status);
	is_int(status, 0, "injection: server script ran");
	is_str(sent, "EHLO client.test\r\nSTARTTLS\r\n",
	    "injection: connection dropped, nothing more sent");
	is_int(rc, -1, "injection: fails");
	is_int(f.kind, F_PROTO, "injection: F_PROTO");
	ok(strncmp(f.text, "STARTTLS: ", 10) == 0, "injection: STARTTLS step");
	free(sent);
	smtp_result_free(&r);
}

static void
test_lost_after_dot(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250 test.example\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "354 go\r\n", 0 },
		{ -1, NULL, 0 },
	};
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 1,
	    .eightbit = 0, .size = 10 };
	struct smtp_result r;
	struct failure f;
	char *sent;
	int rc, status;

	rc = dialogue(steps, NSTEPS(steps), &env, SMTP_SEC_NONE, "no newline", &r,
	    &f, &sent, &status);
	is_int(status, 0, "lost: server script ran");
	is_str(sent, "EHLO client.test\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\nDATA\r\nno newline\r\n.\r\n",
	    "lost: last line ended, then the dot");
	is_int(rc, -1, "lost: fails");
	is_int(f.kind, F_TEMP, "lost: F_TEMP");
	is_int(r.uncertain, 1, "lost: uncertain");
	is_str(f.text, "end of data: connection lost before the server's "
	    "reply; delivery is uncertain", "lost: text");
	is_int(r.naccepted, 0, "lost: nobody counted as delivered");
	free(sent);
	smtp_result_free(&r);
}

static void
test_all_refused(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250-test.example\r\n250 PIPELINING\r\n", 0 },
		{ 3, "250 ok\r\n550 5.1.1 unknown\r\n"
		    "554 5.5.1 no valid recipients\r\n", 1 },
		{ 1, "221 bye\r\n", 0 },
	};
	static const struct step steps2[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250 test.example\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "550 5.1.1 unknown\r\n", 0 },
		{ 1, "450 4.2.0 greylisted\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	static const struct step steps3[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250 test.example\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "450 4.2.0 greylisted\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 1,
	    .eightbit = 0, .size = 10 };
	struct smtp_result r;
	struct failure f;
	char *sent;
	int rc, status;

	rc = dialogue(steps, NSTEPS(steps), &env, SMTP_SEC_NONE, "x\n", &r, &f,
	    &sent, &status);
	is_int(status, 0, "all refused: server script ran");
	is_str(sent, "EHLO client.test\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\nDATA\r\nQUIT\r\n",
	    "all refused, pipelined: no message");
	is_int(rc, -1, "all refused: fails");
	is_int(f.kind, F_NOUSER, "all refused: F_NOUSER");
	is_str(f.text, "RCPT TO: 1 of 1 recipients refused",
	    "all refused: text");
	free(sent);
	smtp_result_free(&r);

	env.nrcpts = 2;
	rc = dialogue(steps2, NSTEPS(steps2), &env, SMTP_SEC_NONE, "x\n", &r, &f,
	    &sent, &status);
	is_int(status, 0, "all refused, one at a time: server script ran");
	is_str(sent, "EHLO client.test\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nQUIT\r\n",
	    "all refused, one at a time: no DATA");
	is_int(f.kind, F_NOUSER, "5xx and 4xx: F_NOUSER");
	is_str(r.rcpts[1].reply, "450 4.2.0 greylisted", "4xx reply kept");
	free(sent);
	smtp_result_free(&r);

	env.nrcpts = 1;
	rc = dialogue(steps3, NSTEPS(steps3), &env, SMTP_SEC_NONE, "x\n", &r, &f,
	    &sent, &status);
	is_int(f.kind, F_TEMP, "only 4xx refusals: F_TEMP");
	is_str(f.text, "RCPT TO: temporary failure (450 4.2.0 greylisted)",
	    "only 4xx refusals: text");
	free(sent);
	smtp_result_free(&r);
}

static void
test_greeting_and_data(void)
{
	static const struct step busy[] = {
		{ 0, "421 too busy\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	static const struct step data554[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250 test.example\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "554 5.7.1 no thanks\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	static const struct step nobit[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250 test.example\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 1,
	    .eightbit = 0, .size = 10 };
	struct smtp_result r;
	struct failure f;
	char *sent;
	int rc, status;

	rc = dialogue(busy, NSTEPS(busy), &env, SMTP_SEC_NONE, "x\n", &r, &f,
	    &sent, &status);
	is_int(f.kind, F_TEMP, "greeting 421: F_TEMP");
	is_str(f.text, "greeting: service not available (421 too busy)",
	    "greeting 421: text");
	is_str(sent, "QUIT\r\n", "greeting 421: QUIT only");
	free(sent);
	smtp_result_free(&r);

	rc = dialogue(data554, NSTEPS(data554), &env, SMTP_SEC_NONE, "x\n", &r, &f,
	    &sent, &status);
	is_int(rc, -1, "DATA 554: fails");
	is_int(f.kind, F_PERM, "DATA 554: F_PERM");
	is_str(f.text, "DATA: permanent failure (554 5.7.1 no thanks)",
	    "DATA 554: text");
	is_int(r.naccepted, 0, "DATA 554: nobody delivered");
	ok(strstr(sent, "x\r\n") == NULL, "DATA 554: body never sent");
	free(sent);
	smtp_result_free(&r);

	env.eightbit = 1;
	rc = dialogue(nobit, NSTEPS(nobit), &env, SMTP_SEC_NONE, "\xc3\xa4\n", &r,
	    &f, &sent, &status);
	is_int(f.kind, F_PERM, "no 8BITMIME: F_PERM");
	is_str(f.text, "MAIL FROM: server lacks 8BITMIME", "no 8BITMIME: text");
	is_str(sent, "EHLO client.test\r\nQUIT\r\n", "no 8BITMIME: no MAIL");
	free(sent);
	smtp_result_free(&r);
}

static void
test_no_auth_plaintext(void)
{
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts3, .nrcpts = 1,
	    .eightbit = 0, .size = 10 };
	struct smtp_params p;
	struct smtp_result r;
	struct failure f;
	FILE *msg = message("x\n");

	/* Port 9 on loopback: nothing may be tried anyway. */
	init_params(&p, "9");
	p.user = "alice";
	p.password = "secret";
	is_int(smtp_submit(&p, &env, msg, &r, &f), -1,
	    "security none with a user: fails");
	is_int(f.kind, F_PERM, "security none with a user: F_PERM");
	is_str(f.text, "AUTH: refusing to send credentials without TLS",
	    "security none with a user: text");
	smtp_result_free(&r);
	fclose(msg);
}

/*
 * The session path: smtp_open, smtp_send N times, smtp_close over one
 * connection to the scripted server.
 */
struct sess_run {
	struct server sv;
	struct smtp_params p;
	struct smtp_session *s;
};

static void
sess_begin(struct sess_run *sr, const struct step *steps, size_t nsteps)
{
	struct failure f;

	memset(sr, 0, sizeof(*sr));
	server_start(&sr->sv, steps, nsteps);
	init_params(&sr->p, sr->sv.port);
	sr->s = smtp_open(&sr->p, &f);
	ok(sr->s != NULL, "session: opened");
	ok(smtp_usable(sr->s), "session: usable once open");
}

static int
sess_msg(struct sess_run *sr, const char *const *rcpts, size_t n,
    const char *body, struct smtp_result *r, struct failure *f)
{
	struct smtp_envelope env = {
	    .from = "a@example.org", .rcpts = rcpts, .nrcpts = n,
	    .eightbit = 0, .size = 0 };
	FILE *msg = message(body);
	int rc;

	rc = smtp_send(sr->s, &env, msg, r, f);
	fclose(msg);
	return rc;
}

static void
test_session_two(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250-test.example\r\n250 PIPELINING\r\n", 0 },
		{ 3, "250 ok\r\n250 ok\r\n354 go\r\n", 1 },
		{ -1, "250 queued 1\r\n", 0 },
		/* RFC 2920: RSET opens the next message's group. */
		{ 4, "250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n", 1 },
		{ -1, "250 queued 2\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	struct sess_run sr;
	struct smtp_result r;
	struct failure f;
	char *sent;
	int status;

	sess_begin(&sr, steps, NSTEPS(steps));
	is_int(sess_msg(&sr, rcpts3, 1, "one\n", &r, &f), 0,
	    "two on one session: first sent");
	is_str(r.final_reply, "250 queued 1", "two: first final reply");
	smtp_result_free(&r);
	ok(smtp_usable(sr.s), "two: usable after the first");
	is_int(sess_msg(&sr, rcpts3 + 1, 1, "two\n", &r, &f), 0,
	    "two on one session: second sent");
	is_str(r.final_reply, "250 queued 2", "two: second final reply");
	is_int(r.naccepted, 1, "two: second accepted");
	smtp_result_free(&r);
	ok(smtp_usable(sr.s), "two: usable after the second");
	smtp_close(sr.s);
	sent = server_finish(&sr.sv, &status);
	is_int(status, 0, "two: server script ran, groups in one read");
	is_str(sent, "EHLO client.test\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
	    "DATA\r\none\r\n.\r\nRSET\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<c@example.org>\r\n"
	    "DATA\r\ntwo\r\n.\r\nQUIT\r\n",
	    "two: one connection, RSET between, one QUIT");
	free(sent);
}

/*
 * RFC 2920: the RSET before the second message opens that message's
 * group (one write); when it is refused, the replies to MAIL..DATA are
 * still on their way (perhaps a 354), so the connection is dropped: no
 * QUIT, no message text.
 */
static void
test_session_rset_refused(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250-test.example\r\n250 PIPELINING\r\n", 0 },
		{ 3, "250 ok\r\n250 ok\r\n354 go\r\n", 1 },
		{ -1, "250 queued 1\r\n", 0 },
		{ 4, "451 4.3.2 busy\r\n250 ok\r\n250 ok\r\n354 go\r\n", 1 },
	};
	struct sess_run sr;
	struct smtp_result r;
	struct failure f;
	char *sent;
	int status;

	sess_begin(&sr, steps, NSTEPS(steps));
	is_int(sess_msg(&sr, rcpts3, 1, "one\n", &r, &f), 0,
	    "rset refused: first sent");
	smtp_result_free(&r);
	is_int(sess_msg(&sr, rcpts3 + 1, 1, "two\n", &r, &f), -1,
	    "rset refused: second fails");
	is_int(f.kind, F_TEMP, "rset refused: F_TEMP (4xx)");
	ok(strncmp(f.text, "RSET: ", 6) == 0, "rset refused: names RSET");
	is_int(r.naccepted, 0, "rset refused: nothing accepted");
	smtp_result_free(&r);
	ok(!smtp_usable(sr.s), "rset refused: the session is done");
	smtp_close(sr.s);
	sent = server_finish(&sr.sv, &status);
	is_int(status, 0, "rset refused: server script ran, group in one read");
	is_str(sent, "EHLO client.test\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
	    "DATA\r\none\r\n.\r\nRSET\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<c@example.org>\r\n"
	    "DATA\r\n",
	    "rset refused: no QUIT and no text after the grouped DATA");
	free(sent);
}

static void
test_session_refused(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250-test.example\r\n250 PIPELINING\r\n", 0 },
		{ 3, "250 ok\r\n550 5.1.1 unknown\r\n"
		    "554 5.5.1 no valid recipients\r\n", 1 },
		/* RFC 2920: RSET opens the next message's group. */
		{ 4, "250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n", 1 },
		{ -1, "250 queued\r\n", 0 },
		{ 1, "221 bye\r\n", 0 },
	};
	struct sess_run sr;
	struct smtp_result r;
	struct failure f;
	char *sent;
	int status;

	sess_begin(&sr, steps, NSTEPS(steps));
	is_int(sess_msg(&sr, rcpts3, 1, "one\n", &r, &f), -1,
	    "refused: first fails");
	is_int(f.kind, F_NOUSER, "refused: F_NOUSER");
	is_int(r.rcpts[0].code, 550, "refused: the code kept");
	smtp_result_free(&r);
	ok(smtp_usable(sr.s), "refused: the session stays usable");
	is_int(sess_msg(&sr, rcpts3 + 1, 1, "two\n", &r, &f), 0,
	    "refused: the next message goes");
	is_int(f.kind, F_NONE, "refused: no failure on the next");
	smtp_result_free(&r);
	smtp_close(sr.s);
	sent = server_finish(&sr.sv, &status);
	is_int(status, 0, "refused: server script ran");
	is_str(sent, "EHLO client.test\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
	    "DATA\r\nRSET\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<c@example.org>\r\n"
	    "DATA\r\ntwo\r\n.\r\nQUIT\r\n",
	    "refused: no body for the refused one, RSET, then the next");
	free(sent);
}

static void
test_session_io_error(void)
{
	static const struct step steps[] = {
		{ 0, "220 test.example\r\n", 0 },
		{ 1, "250 test.example\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "250 ok\r\n", 0 },
		{ 1, "354 go\r\n", 0 },
		{ -1, "250 queued\r\n", 0 },
		{ 1, NULL, 0 },
	};
	struct sess_run sr;
	struct smtp_result r;
	struct failure f;
	char *sent;
	int status;

	sess_begin(&sr, steps, NSTEPS(steps));
	is_int(sess_msg(&sr, rcpts3, 1, "one\n", &r, &f), 0,
	    "I/O error: the first goes");
	smtp_result_free(&r);
	is_int(sess_msg(&sr, rcpts3 + 1, 1, "two\n", &r, &f), -1,
	    "I/O error: the second fails when the server hangs up");
	is_int(f.kind, F_TEMP, "I/O error: F_TEMP");
	ok(strncmp(f.text, "RSET: ", 6) == 0, "I/O error: at RSET");
	is_int(r.naccepted, 0, "I/O error: nothing delivered");
	smtp_result_free(&r);
	ok(!smtp_usable(sr.s), "I/O error: the session is unusable");
	is_int(sess_msg(&sr, rcpts3 + 2, 1, "three\n", &r, &f), -1,
	    "I/O error: a third is refused at once");
	is_str(f.text, "connect: the connection to the server was lost",
	    "I/O error: the third's text");
	is_int(r.nrcpts, 1, "I/O error: the third's result is filled");
	smtp_result_free(&r);
	smtp_close(sr.s);
	sent = server_finish(&sr.sv, &status);
	is_int(status, 0, "I/O error: server script ran");
	is_str(sent, "EHLO client.test\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\nDATA\r\none\r\n.\r\nRSET\r\n",
	    "I/O error: nothing after RSET, no QUIT on a dead connection");
	free(sent);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_parser();
	test_ehlo();
	test_pipelined_mixed();
	test_452_split();
	test_helo_mail_temp();
	test_no_starttls();
	test_starttls_injection();
	test_lost_after_dot();
	test_all_refused();
	test_greeting_and_data();
	test_no_auth_plaintext();
	test_session_two();
	test_session_refused();
	test_session_rset_refused();
	test_session_io_error();
	return done_testing();
}
