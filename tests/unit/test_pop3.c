/*
 * test_pop3.c — the POP3 status-line parser (RFC 1939, RFC 2449 response
 * codes), the APOP digest (the RFC 1939 section 7 example), and a whole
 * session over a socketpair: CAPA, USER/PASS, LIST and UIDL, RETR with
 * dot-unstuffing and a line longer than the read buffer, DELE, QUIT.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "pop3.h"
#include "tap.h"
#include "xmalloc.h"

static void
test_status(void)
{
	struct pop3_status st;
	struct failure f;
	const char *l;

	l = "+OK 2 messages (320 octets)";
	ok(pop3_parse_status(l, strlen(l), &st, &f) == 0 && st.ok == 1,
	    "+OK parses");
	is_str(st.text, "2 messages (320 octets)", "+OK text");
	is_str(st.code, "", "no response code");
	l = "-ERR [IN-USE] Do you have another POP session running?";
	ok(pop3_parse_status(l, strlen(l), &st, &f) == 0 && st.ok == 0,
	    "-ERR parses");
	is_str(st.code, "IN-USE", "response code split out");
	is_str(st.text, "Do you have another POP session running?",
	    "text after the code");
	l = "-ERR [SYS/TEMP] busy";
	ok(pop3_parse_status(l, strlen(l), &st, &f) == 0, "SYS/TEMP");
	is_str(st.code, "SYS/TEMP", "hierarchical code");
	l = "+OK";
	ok(pop3_parse_status(l, strlen(l), &st, &f) == 0 && st.ok == 1 &&
	    *st.text == '\0', "bare +OK");
	l = "+ ZGF0YQ==";
	ok(pop3_parse_status(l, strlen(l), &st, &f) == 0 && st.ok == 2,
	    "SASL continuation");
	is_str(st.text, "ZGF0YQ==", "challenge text");
	l = "+OKAY";
	ok(pop3_parse_status(l, strlen(l), &st, &f) == -1 &&
	    f.kind == F_PROTO, "+OKAY is garbled");
	l = "250 OK";
	ok(pop3_parse_status(l, strlen(l), &st, &f) == -1, "SMTP reply");
	l = "-ERR [IN-USE oops";
	ok(pop3_parse_status(l, strlen(l), &st, &f) == -1,
	    "unterminated code");
	ok(pop3_parse_status("", 0, &st, &f) == -1, "empty line");
}

static void
test_apop(void)
{
	struct failure f;
	char d[33];

	ok(pop3_apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf",
	    d, &f) == 0, "APOP digest");
	is_str(d, "c4c9334bac560ecc979e58001b3e22fb", "RFC 1939 example");
}

struct collect {
	char *buf;
	size_t len;
	int pieces;
};

static int
collect(void *arg, const char *d, size_t len, int eol, struct failure *f)
{
	struct collect *c = arg;

	(void)f;
	c->buf = realloc(c->buf, c->len + len + 2);
	memcpy(c->buf + c->len, d, len);
	c->len += len;
	if (eol)
		c->buf[c->len++] = '\n';
	c->buf[c->len] = '\0';
	c->pieces++;
	return 0;
}

#define LONG_LINE 40000

static void
test_session(void)
{
	static const char head[] =
	    "+OK ready <1.2@x>\r\n"
	    "+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n"	/* CAPA */
	    "+OK\r\n+OK\r\n"				/* USER PASS */
	    "+OK\r\nUIDL\r\n.\r\n"			/* CAPA */
	    "+OK\r\n1 30\r\n2 40012\r\n.\r\n"		/* LIST */
	    "+OK\r\n1 abc\r\n2 def\r\n.\r\n"		/* UIDL */
	    "+OK\r\nSubject: x\r\n\r\n..\r\n.a\r\n..b\r\nend\r\n.\r\n";
	struct pop3_params p;
	struct pop3_session *s;
	struct pop3_msg *v;
	struct collect c = { 0 };
	struct failure f;
	size_t n;
	int sv[2], uidl, rc;
	char *big, *want;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		ok(0, "socketpair");
		return;
	}
	/* The server side writes its whole script; a child, since the
	   40 KB line is more than the socket buffer. */
	if ((pid = fork()) == 0) {
		char line[LONG_LINE + 8];

		close(sv[0]);
		memset(line, 'x', LONG_LINE);
		memcpy(line + LONG_LINE, "\r\n", 2);
		(void)!write(sv[1], head, sizeof(head) - 1);
		(void)!write(sv[1], "+OK\r\n.", 6);	/* RETR 2 */
		(void)!write(sv[1], line, LONG_LINE + 2);
		(void)!write(sv[1], ".\r\n+OK\r\n+OK bye\r\n", 17);
		/* Until the client closes, so nothing is cut short. */
		while (read(sv[1], line, sizeof(line)) > 0)
			;
		_exit(0);
	}
	close(sv[1]);
	memset(&p, 0, sizeof(p));
	p.security = POP3_SEC_NONE;
	p.login = POP3_LOGIN_USER;
	p.user = "u";
	p.password = "pw";
	p.timeout = 5;
	s = pop3_start(conn_fdopen(sv[0], 5), &p, &f);
	ok(s != NULL, "session starts, USER/PASS");
	if (s == NULL) {
		printf("# %s\n", f.text);
		return;
	}
	ok(pop3_caps(s) & POP3_CAP_UIDL, "CAPA after login read");
	ok(pop3_scan(s, &v, &n, &uidl, &f) == 0 && n == 2 && uidl,
	    "LIST and UIDL");
	is_int(v[1].size, 40012, "size of 2");
	is_str(v[1].uidl, "def", "uidl of 2");
	pop3_msgs_free(v, n);
	ok(pop3_send_retr(s, 1, -1, &f) == 0 && pop3_send_retr(s, 2, -1,
	    &f) == 0 && pop3_flush(s, &f) == 0, "two RETRs pipelined");
	ok(pop3_read_retr(s, collect, &c, &f) == 0, "RETR 1");
	is_str(c.buf, "Subject: x\n\n.\na\n.b\nend\n", "dots unstuffed");
	free(c.buf);
	memset(&c, 0, sizeof(c));
	rc = pop3_read_retr(s, collect, &c, &f);
	ok(rc == 0, "RETR 2: a line longer than the read buffer");
	big = xmalloc(LONG_LINE + 2);
	memset(big, 'x', LONG_LINE);
	big[LONG_LINE] = '\n';
	big[LONG_LINE + 1] = '\0';
	want = big;
	ok(c.len == LONG_LINE + 1 && memcmp(c.buf, want, c.len) == 0,
	    "the long line whole, its leading dot unstuffed");
	ok(c.pieces > 1, "in several pieces");
	free(big);
	free(c.buf);
	ok(pop3_send_dele(s, 1, &f) == 0 && pop3_flush(s, &f) == 0 &&
	    pop3_read_dele(s, &f) == 0, "DELE");
	ok(pop3_quit(s, &f) == 0, "QUIT");
	pop3_close(s);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	test_status();
	test_apop();
	test_session();
	return done_testing();
}
