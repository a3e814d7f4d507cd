/*
 * fuzz_session.c — a whole SMTP session (smtp_open, smtp_send, smtp_close;
 * plain text, no TLS, no AUTH) against a scripted server: a thread
 * accepts the connection on 127.0.0.1 and sends the fuzz input as its
 * replies, all at once, reading whatever the client sends, then closes
 * its side; so every reply the client waits for either is in the input
 * or is the end of the connection, and no run waits for a time-out.
 *
 * Input: byte 0 picks options (bit 0: a second message over the same
 * session; bit 1: DSN parameters; bit 2: an 8-bit message and a UTF-8
 * recipient; bit 3: dsn_required), the rest is the server's bytes.
 * Properties: a failure has a kind and a reason; the result is
 * consistent (accepted <= recipients, success means all accepted);
 * everything the client sent is CRLF lines (no bare CR or LF) of at most
 * 8 KiB, and a message reported sent went out whole, dot-stuffed and
 * ended by ".".
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "failure.h"
#include "fuzz.h"
#include "smtp.h"

/* The command cap of STYLE.md section 5 (AUTH tokens exceed 512). */
#define CMD_MAX 8192
/* No wait in the peer outlasts this (milliseconds). */
#define PEER_WAIT 5000

static int lfd = -1;
static char port[16];

struct peer {
	const uint8_t *data;
	size_t len;
	struct fbuf got;	/* what the client sent */
};

static void *
peer_run(void *arg)
{
	struct peer *p = arg;
	struct pollfd pfd;
	int fd;

	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, PEER_WAIT) != 1 ||
	    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) ==
	    -1)
		return NULL;
	fuzz_peer_exchange(fd, p->data, p->len, &p->got, PEER_WAIT);
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) == -1) {
		perror("listen");
		abort();
	}
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	return 0;
}

static const char msg1[] =
    "From: a@example.org\nTo: b@example.net\nSubject: fuzz\n\nline\n"
    ".dot line\n..two\n.\nlast line without an end";
static const char msg8[] =
    "From: a@example.org\nTo: j@example.net\nSubject: fuzz\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n\ncaf\xc3\xa9\r\n.\r\n";

/* The message as it must appear on the wire: CRLF, stuffed, ".". */
static void
wire_form(const char *m, struct fbuf *w)
{
	int bol = 1;

	for (; *m != '\0'; m++) {
		if (*m == '\r' && m[1] == '\n')
			continue;
		if (bol && *m == '.')
			fbuf_addc(w, '.');
		if (*m == '\n') {
			fbuf_add(w, "\r\n", 2);
			bol = 1;
			continue;
		}
		fbuf_addc(w, *m);
		bol = 0;
	}
	if (!bol)
		fbuf_add(w, "\r\n", 2);
	fbuf_add(w, ".\r\n", 3);
}

static void
check_result(int rc, const struct smtp_result *r, const struct failure *f,
    size_t nrcpts)
{
	size_t i, acc = 0;

	FUZZ_CHECK(r->nrcpts == nrcpts || (rc == -1 && r->nrcpts == 0),
	    "nrcpts %zu", r->nrcpts);
	for (i = 0; i < r->nrcpts; i++)
		if (r->rcpts[i].accepted)
			acc++;
	FUZZ_CHECK(acc == r->naccepted, "naccepted %zu, counted %zu",
	    r->naccepted, acc);
	if (rc == 0) {
		FUZZ_CHECK(r->naccepted == nrcpts, "%s",
		    "success with a refused recipient");
		FUZZ_CHECK(!r->uncertain, "%s", "success and uncertain");
	} else {
		FUZZ_CHECK(rc == -1, "rc %d", rc);
		FUZZ_CHECK(f->kind != F_NONE && f->text[0] != '\0', "%s",
		    "a failure without kind or reason");
		FUZZ_CHECK(f->kind != F_NOUSER || r->naccepted < nrcpts,
		    "%s", "F_NOUSER with every recipient accepted");
	}
}

static void
check_sent(const struct fbuf *got)
{
	size_t i, col = 0;

	for (i = 0; i < got->len; i++) {
		if (got->s[i] == '\r') {
			FUZZ_CHECK(i + 1 < got->len && got->s[i + 1] == '\n',
			    "bare CR sent at %zu", i);
			continue;
		}
		if (got->s[i] == '\n') {
			FUZZ_CHECK(i > 0 && got->s[i - 1] == '\r',
			    "bare LF sent at %zu", i);
			col = 0;
			continue;
		}
		FUZZ_CHECK(++col <= CMD_MAX, "a line over %d sent", CMD_MAX);
	}
	FUZZ_CHECK(col == 0, "%s", "the client's last line has no CRLF");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *rcpts[2] = { "b@example.net", "c@example.net" };
	const char *rcpts8[2] = { "j\xc3\xb6rg@example.net", "c@example.net" };
	const char *ascii8[2] = { NULL, NULL };
	struct smtp_params p;
	struct smtp_envelope env;
	struct smtp_result r;
	struct smtp_session *s;
	struct failure f;
	struct peer peer;
	struct fbuf w1 = { 0 }, w2 = { 0 };
	pthread_t th;
	FILE *m1, *m2;
	int opt, rc, sent1 = 0, sent2 = 0;
	const char *body2;

	if (size < 1 || size > 64 * 1024)
		return 0;
	opt = data[0];
	memset(&peer, 0, sizeof(peer));
	peer.data = data + 1;
	peer.len = size - 1;
	fbuf_add(&peer.got, "", 0);
	if (pthread_create(&th, NULL, peer_run, &peer) != 0)
		abort();

	memset(&p, 0, sizeof(p));
	p.host = "127.0.0.1";
	p.port = port;
	p.security = SMTP_SEC_NONE;
	p.helo_name = "fuzz.example.org";
	p.timeout = 10;
	memset(&env, 0, sizeof(env));
	env.from = "a@example.org";
	env.rcpts = rcpts;
	env.nrcpts = 2;
	env.size = (off_t)sizeof(msg1);
	if (opt & 2) {
		env.dsn_notify = "SUCCESS,FAILURE";
		env.dsn_ret = "HDRS";
		env.dsn_envid = "id+1=2";
	}
	env.dsn_required = (opt & 8) != 0;
	body2 = msg1;
	if (opt & 4) {
		env.eightbit = 1;
		env.utf8_headers = 1;
		env.rcpts = rcpts8;
		env.rcpts_ascii = ascii8;
		body2 = msg8;
	}
	wire_form(msg1, &w1);
	wire_form(body2, &w2);
	if ((m1 = fmemopen((void *)(uintptr_t)msg1, strlen(msg1), "r")) ==
	    NULL || (m2 = fmemopen((void *)(uintptr_t)body2, strlen(body2),
	    "r")) == NULL)
		abort();

	failure_clear(&f);
	if ((s = smtp_open(&p, &f)) == NULL)
		FUZZ_CHECK(f.kind != F_NONE && f.text[0] != '\0', "%s",
		    "open failed without a reason");
	else {
		struct smtp_envelope e1 = env;

		e1.rcpts = rcpts;
		e1.rcpts_ascii = NULL;
		e1.eightbit = 0;
		e1.utf8_headers = 0;
		rc = smtp_send(s, &e1, m1, &r, &f);
		check_result(rc, &r, &f, 2);
		sent1 = rc == 0;
		smtp_result_free(&r);
		if ((opt & 1) && smtp_usable(s)) {
			failure_clear(&f);
			rc = smtp_send(s, &env, m2, &r, &f);
			check_result(rc, &r, &f, 2);
			sent2 = rc == 0;
			smtp_result_free(&r);
		}
		smtp_close(s);
	}
	pthread_join(th, NULL);
	if (getenv("FUZZ_DEBUG") != NULL)	/* to read a reproducer */
		fprintf(stderr, "sent %d %d, last failure: %s\n--\n%s--\n",
		    sent1, sent2, f.text, peer.got.s);
	check_sent(&peer.got);
	if (sent1)
		FUZZ_CHECK(memmem(peer.got.s, peer.got.len, w1.s, w1.len) !=
		    NULL, "%s", "message 1 reported sent, not sent whole");
	if (sent2)
		FUZZ_CHECK(memmem(peer.got.s, peer.got.len, w2.s, w2.len) !=
		    NULL, "%s", "message 2 reported sent, not sent whole");
	fclose(m1);
	fclose(m2);
	fbuf_free(&w1);
	fbuf_free(&w2);
	fbuf_free(&peer.got);
	return 0;
}
