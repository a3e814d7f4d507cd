/*
 * test_conn.c — struct conn over socketpair(2): line splitting, the line
 * cap, end of file, time-outs, pending bytes, write coalescing, the
 * STARTTLS injection check; and conn_open against loopback TCP.
 * Real TLS is exercised by the bats suites.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "tap.h"

static int peer;

static struct conn *
pair(int timeout)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		exit(1);
	}
	peer = sv[1];
	return conn_fdopen(sv[0], timeout);
}

static void
put(const char *s)
{
	if (write(peer, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror("write");
		exit(1);
	}
}

/* Bytes waiting at the peer right now (-1: none). */
static ssize_t
drain(char *buf, size_t len)
{
	return recv(peer, buf, len, MSG_DONTWAIT);
}

static void
test_lines(void)
{
	struct conn *c = pair(5);
	struct failure f;
	const char *l;
	size_t n;

	put("a\r\nb\nc\r\n\r\nx\ry\r\n250-one\r\n250 tw");
	ok(conn_getline(c, &l, &n, &f) == 0 && n == 1 && l[0] == 'a',
	    "CRLF line");
	ok(conn_getline(c, &l, &n, &f) == 0 && n == 1 && l[0] == 'b',
	    "bare LF ends a line");
	ok(conn_getline(c, &l, &n, &f) == 0 && n == 1 && l[0] == 'c',
	    "CRLF after LF");
	ok(conn_getline(c, &l, &n, &f) == 0 && n == 0, "empty line");
	ok(conn_getline(c, &l, &n, &f) == 0, "line with inner CR");
	is_mem(l, n, "x\ry", 3, "inner CR kept");
	ok(conn_getline(c, &l, &n, &f) == 0, "250-one");
	is_str(l, "250-one", "line is NUL-terminated");
	is_int(conn_pending(c), 6, "partial line pending");
	put("o\r");
	put("\n250 three\r\n");
	ok(conn_getline(c, &l, &n, &f) == 0, "line split across reads");
	is_mem(l, n, "250 two", 7, "split line joined");
	is_int(conn_pending(c), 11, "second line still pending");
	ok(conn_getline(c, &l, &n, &f) == 0, "next line");
	is_mem(l, n, "250 three", 9, "next line text");
	is_int(conn_pending(c), 0, "nothing pending");
	conn_close(c);
	close(peer);
}

static void
test_split_child(void)
{
	struct conn *c = pair(5);
	struct failure f;
	const char *l;
	size_t n;
	pid_t pid;

	if ((pid = fork()) == 0) {
		put("220 mail.exa");
		usleep(100000);
		put("mple ESMTP\r");
		usleep(100000);
		put("\n");
		_exit(0);
	}
	ok(conn_getline(c, &l, &n, &f) == 0, "line in three reads");
	is_str(l, "220 mail.example ESMTP", "three reads joined");
	waitpid(pid, NULL, 0);
	conn_close(c);
	close(peer);
}

static void
test_cap(void)
{
	struct conn *c = pair(5);
	struct failure f;
	char big[2100];
	const char *l;
	size_t n;

	memset(big, 'x', sizeof(big));
	memcpy(big + CONN_LINE_MAX, "\r\n", 3);
	put(big);
	ok(conn_getline(c, &l, &n, &f) == 0 && n == CONN_LINE_MAX,
	    "a line of exactly CONN_LINE_MAX octets");
	big[CONN_LINE_MAX] = 'x';
	memcpy(big + CONN_LINE_MAX + 1, "\n", 2);
	put(big);
	ok(conn_getline(c, &l, &n, &f) == -1, "one octet more is refused");
	is_int(f.kind, F_PROTO, "F_PROTO");
	is_str(f.text, "server reply line too long (over 1024 octets)",
	    "cap text");
	conn_close(c);
	close(peer);

	/* No line end at all: refused at once, not after a time-out. */
	c = pair(30);
	memset(big, 'y', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	put(big);
	ok(conn_getline(c, &l, &n, &f) == -1 && f.kind == F_PROTO,
	    "endless line refused without waiting");
	conn_close(c);
	close(peer);
}

/* Writes a line of n 'z' octets and CR LF at the peer. */
static void
put_long(size_t n)
{
	char *b = malloc(n + 3);

	memset(b, 'z', n);
	memcpy(b + n, "\r\n", 3);
	put(b);
	free(b);
}

static void
test_line_max(void)
{
	struct conn *c = pair(5);
	struct failure f;
	const char *l;
	size_t n;

	/* POP3's choice: a message line of 998 octets plus CR LF. */
	put("+OK short\r\n");
	put_long(1000);
	ok(conn_getline(c, &l, &n, &f) == 0 && n == 9,
	    "a line buffered before the change");
	conn_set_line_max(c, 1000);
	ok(conn_getline(c, &l, &n, &f) == 0 && n == 1000 && l[999] == 'z',
	    "a 1000-octet line under a 1000 cap");
	put_long(1001);
	ok(conn_getline(c, &l, &n, &f) == -1, "1001 octets refused");
	is_str(f.text, "server reply line too long (over 1000 octets)",
	    "the text names the cap in force");
	conn_close(c);
	close(peer);

	/* Past the default buffer (16 KiB + 1 KiB): the buffer grows. */
	c = pair(5);
	conn_set_line_max(c, 30000);
	put_long(20000);
	put("next\r\n");
	ok(conn_getline(c, &l, &n, &f) == 0 && n == 20000,
	    "a 20000-octet line under a 30000 cap");
	ok(conn_getline(c, &l, &n, &f) == 0 && strcmp(l, "next") == 0,
	    "the line after it intact");
	/* The default still holds for a conn nobody changed. */
	conn_close(c);
	close(peer);

	/* Clamped to CONN_LINE_LIMIT: bounded whatever a caller asks. */
	c = pair(5);
	conn_set_line_max(c, (size_t)-1);
	put_long(CONN_LINE_LIMIT);
	ok(conn_getline(c, &l, &n, &f) == 0 && n == CONN_LINE_LIMIT,
	    "CONN_LINE_LIMIT octets at the largest cap");
	put_long(CONN_LINE_LIMIT + 1);
	ok(conn_getline(c, &l, &n, &f) == -1 && f.kind == F_PROTO,
	    "one more refused: the cap is clamped");
	conn_close(c);
	close(peer);
}

static void
test_eof_timeout(void)
{
	struct conn *c = pair(5);
	struct failure f;
	const char *l;
	size_t n;
	time_t t0;

	put("250 par");
	shutdown(peer, SHUT_WR);
	ok(conn_getline(c, &l, &n, &f) == -1, "EOF mid-line fails");
	is_int(f.kind, F_TEMP, "EOF is F_TEMP");
	is_str(f.text, "connection closed by server", "EOF text");
	conn_close(c);
	close(peer);

	c = pair(1);
	t0 = time(NULL);
	ok(conn_getline(c, &l, &n, &f) == -1, "silent peer times out");
	is_int(f.kind, F_TEMP, "time-out is F_TEMP");
	is_str(f.text, "timed out after 1 s waiting for the server",
	    "time-out text");
	ok(time(NULL) - t0 <= 3, "time-out took about 1 s");
	conn_close(c);
	close(peer);
}

static void
test_write(void)
{
	struct conn *c = pair(5);
	struct failure f;
	static char buf[65536], big[50000];
	const char *cmd = "RCPT TO:<someone@example.org>\r\n";
	size_t i, total = 0;
	ssize_t n;
	int bad = 0;

	for (i = 0; i < 100; i++) {
		bad += conn_write(c, cmd, strlen(cmd), &f) != 0;
		total += strlen(cmd);
	}
	is_int(bad, 0, "100 small writes");
	is_int(drain(buf, sizeof(buf)), -1, "nothing sent before flush");
	ok(conn_flush(c, &f) == 0, "flush");
	n = drain(buf, sizeof(buf));
	is_int(n, total, "100 commands arrive as one block");
	ok(n > 0 && memcmp(buf + n - strlen(cmd), cmd, strlen(cmd)) == 0,
	    "block content");
	ok(conn_flush(c, &f) == 0, "empty flush");
	is_int(drain(buf, sizeof(buf)), -1, "empty flush sends nothing");

	memset(big, 'm', sizeof(big));
	ok(conn_write(c, "HEAD", 4, &f) == 0, "small write");
	ok(conn_write(c, big, sizeof(big), &f) == 0, "big write");
	n = drain(buf, sizeof(buf));
	is_int(n, 3 * CONN_WBUF_MAX, "whole blocks leave before flush");
	ok(conn_flush(c, &f) == 0, "flush rest");
	is_int(drain(buf, sizeof(buf)), 4 + sizeof(big) - 3 * CONN_WBUF_MAX,
	    "rest after flush");

	close(peer);
	ok(conn_write(c, "QUIT\r\n", 6, &f) == 0, "queued to a gone peer");
	ok(conn_flush(c, &f) == -1 && f.kind == F_TEMP,
	    "flush to a gone peer: F_TEMP, no SIGPIPE");
	conn_close(c);
}

static void
test_starttls(void)
{
	struct conn *c = pair(5);
	struct conn_tls_params p = { "mail.example.org", NULL, NULL, NULL, 0 };
	struct failure f;
	const char *l;
	size_t n;
	char buf[64];

	put("220 go ahead\r\n250 injected\r\n");
	ok(conn_getline(c, &l, &n, &f) == 0, "STARTTLS reply");
	ok(conn_starttls(c, &p, &f) == -1, "buffered bytes stop STARTTLS");
	is_int(f.kind, F_PROTO, "F_PROTO");
	is_str(f.text, "STARTTLS: server sent data before the TLS handshake "
	    "(possible injection)", "injection text");
	is_int(drain(buf, sizeof(buf)), -1, "no handshake byte was sent");
	ok(!conn_is_tls(c), "still plain");
	conn_close(c);
	close(peer);

	/* Injected bytes still in the kernel, not yet read by us. */
	c = pair(5);
	put("220 go ahead\r\n");
	ok(conn_getline(c, &l, &n, &f) == 0, "STARTTLS reply alone");
	put("250 late injection\r\n");
	usleep(10000);
	ok(conn_starttls(c, &p, &f) == -1 && f.kind == F_PROTO,
	    "unread kernel bytes stop STARTTLS");
	is_int(drain(buf, sizeof(buf)), -1, "still no handshake byte");
	conn_close(c);
	close(peer);

	/* Peer closes during the handshake. */
	c = pair(5);
	shutdown(peer, SHUT_WR);
	ok(conn_starttls(c, &p, &f) == -1 && f.kind == F_TEMP,
	    "EOF during the handshake is F_TEMP");
	is_str(f.text, "TLS: connection closed during the handshake",
	    "handshake EOF text");
	conn_close(c);
	close(peer);
	conn_close(NULL);
}

static void
test_open(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct failure f;
	struct conn *c;
	char port[16], want[128];
	const char *l;
	size_t n;
	int ls, as;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls == -1 || bind(ls, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(ls, 1) || getsockname(ls, (struct sockaddr *)&sin, &sl)) {
		perror("listen");
		exit(1);
	}
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	c = conn_open("127.0.0.1", port, 5, &f);
	ok(c != NULL, "conn_open to a listener");
	as = accept(ls, NULL, NULL);
	if (write(as, "220 hi\r\n", 8) != 8)
		perror("write");
	ok(c != NULL && conn_getline(c, &l, &n, &f) == 0 &&
	    strcmp(l, "220 hi") == 0, "greeting over TCP");
	conn_close(c);
	close(as);
	close(ls);

	/* The port is closed now: refused. */
	c = conn_open("127.0.0.1", port, 5, &f);
	ok(c == NULL && f.kind == F_TEMP, "refused is F_TEMP");
	snprintf(want, sizeof(want), "connect: 127.0.0.1:%s: connection "
	    "refused", port);
	is_str(f.text, want, "refused text");
	c = conn_open("127.0.0.1", "no-such-service-name", 5, &f);
	ok(c == NULL && strncmp(f.text, "connect: ", 9) == 0,
	    "unknown port fails with connect: text");
}

int
main(void)
{
	test_lines();
	test_split_child();
	test_cap();
	test_line_max();
	test_eof_timeout();
	test_write();
	test_starttls();
	test_open();
	return done_testing();
}
