/*
 * fuzz_pop3.c — a whole POP3 session (pop3_start with USER/PASS, STAT,
 * pop3_scan's LIST and UIDL, RETR of every listed message, QUIT) against
 * a scripted server: a thread holds one end of a socketpair and sends the
 * fuzz input as the server's bytes, all at once, reading whatever the
 * client sends, then shuts its side for writing; so every reply the
 * client waits for either is in the input or is the end of the
 * connection, and no run waits for a time-out.
 *
 * Properties: a failure has a kind and a reason, and never holds the
 * password (unless the server's own bytes do); everything the client
 * sent is CRLF lines of at most 255 octets (RFC 2449 section 4) with no
 * CR or LF inside, and the password goes out only on the PASS line; a
 * RETR reported successful wrote exactly the message as a model written
 * here reads it from the input (RFC 1939 section 3: the lines after the
 * "+OK" line up to the lone ".", a leading "." removed, each line ended
 * by LF), byte for byte.
 */
#include <sys/socket.h>

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

#include "conn.h"
#include "failure.h"
#include "fuzz.h"
#include "pop3.h"

/* RFC 2449 section 4: a command line is at most 255 octets. */
#define CMD_MAX 255
/* No wait in the peer outlasts this (milliseconds). */
#define PEER_WAIT 5000
/* RETRs per run: more add nothing but time. */
#define RETR_MAX 16

#define USER "fuzzuser"
#define PASSWORD "Pw-7q!zK"

struct peer {
	int fd;
	const uint8_t *data;
	size_t len;
	struct fbuf got;	/* what the client sent */
};

static void *
peer_run(void *arg)
{
	struct peer *p = arg;

	fuzz_peer_exchange(p->fd, p->data, p->len, &p->got, PEER_WAIT);
	return NULL;
}

/*
 * The model: the input as lines (LF ends one, a CR before it goes; an
 * unterminated tail is no line), walked in the order the client reads
 * its replies.
 */
struct model {
	const char *p, *end;
	int broken;		/* the input ran out */
};

static int
m_line(struct model *m, const char **l, size_t *len)
{
	const char *nl;

	if (m->broken || (nl = memchr(m->p, '\n', (size_t)(m->end - m->p))) ==
	    NULL) {
		m->broken = 1;
		return -1;
	}
	*l = m->p;
	*len = (size_t)(nl - m->p);
	if (*len > 0 && nl[-1] == '\r')
		(*len)--;
	m->p = nl + 1;
	return 0;
}

/* RFC 1939 3 / RFC 2449 8: "+OK" alone or followed by a space. */
static int
m_is_ok(const char *l, size_t len)
{
	return len >= 3 && memcmp(l, "+OK", 3) == 0 &&
	    (len == 3 || l[3] == ' ');
}

/* A status line; 1 when it is +OK. */
static int
m_status(struct model *m)
{
	const char *l;
	size_t len;

	if (m_line(m, &l, &len) == -1)
		return 0;
	return m_is_ok(l, len);
}

/* A multi-line body up to the lone "."; unstuffed into out if given. */
static void
m_multi(struct model *m, struct fbuf *out)
{
	const char *l;
	size_t len;

	while (m_line(m, &l, &len) == 0) {
		if (len >= 1 && l[0] == '.') {
			if (len == 1)
				return;
			l++;
			len--;
		}
		if (out != NULL) {
			fbuf_add(out, l, len);
			fbuf_addc(out, '\n');
		}
	}
}

static void
m_capa(struct model *m)
{
	if (m_status(m))
		m_multi(m, NULL);
}

/* The sink: each piece into the temp file, LF after each line. */
static int
sink(void *arg, const char *d, size_t len, int eol, struct failure *f)
{
	int fd = *(int *)arg;

	(void)f;
	if ((len > 0 && write(fd, d, len) != (ssize_t)len) ||
	    (eol && write(fd, "\n", 1) != 1))
		abort();
	return 0;
}

static void
read_file(const char *path, struct fbuf *b)
{
	char buf[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		abort();
	fbuf_add(b, "", 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fbuf_add(b, buf, (size_t)n);
	close(fd);
}

static void
check_failure(const struct failure *f, int pw_in_input)
{
	FUZZ_CHECK(f->kind != F_NONE && f->text[0] != '\0', "%s",
	    "a failure without kind or reason");
	if (!pw_in_input)
		FUZZ_CHECK(strstr(f->text, PASSWORD) == NULL,
		    "the password in an error: %s", f->text);
}

static void
check_sent(const struct fbuf *got)
{
	size_t i, start = 0;

	for (i = 0; i < got->len; i++) {
		if (got->s[i] == '\r') {
			FUZZ_CHECK(i + 1 < got->len && got->s[i + 1] == '\n',
			    "bare CR sent at %zu", i);
			continue;
		}
		if (got->s[i] != '\n')
			continue;
		FUZZ_CHECK(i > 0 && got->s[i - 1] == '\r',
		    "bare LF sent at %zu", i);
		FUZZ_CHECK(i - 1 - start <= CMD_MAX,
		    "a command of %zu octets sent", i - 1 - start);
		if (memmem(got->s + start, i - 1 - start, PASSWORD,
		    strlen(PASSWORD)) != NULL)
			FUZZ_CHECK(i - 1 - start == strlen("PASS " PASSWORD) &&
			    memcmp(got->s + start, "PASS " PASSWORD,
			    i - 1 - start) == 0,
			    "the password sent outside PASS: %.*s",
			    (int)(i - 1 - start), got->s + start);
		start = i + 1;
	}
	FUZZ_CHECK(start == got->len, "%s",
	    "the client's last line has no CRLF");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_params p;
	struct pop3_session *s;
	struct pop3_msg *v = NULL;
	struct failure f;
	struct peer peer;
	struct model m;
	struct fbuf want, got;
	unsigned long count;
	unsigned long long octets;
	char path[4096];
	pthread_t th;
	size_t n = 0, i;
	int sv[2], uidl, fd, rc, ok, pw_in_input, retrs = 0, checked = 0;

	if (size > 64 * 1024)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	pw_in_input = memmem(data, size, PASSWORD, strlen(PASSWORD)) != NULL;
	snprintf(path, sizeof(path), "%s/retr", fuzz_tmpdir());
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
	memset(&peer, 0, sizeof(peer));
	peer.fd = sv[1];
	peer.data = data;
	peer.len = size;
	fbuf_add(&peer.got, "", 0);
	if (pthread_create(&th, NULL, peer_run, &peer) != 0)
		abort();

	memset(&p, 0, sizeof(p));
	p.host = "pop.example.org";
	p.port = "110";
	p.security = POP3_SEC_NONE;
	p.login = POP3_LOGIN_USER;
	p.user = USER;
	p.password = PASSWORD;
	p.timeout = 10;
	m.p = (const char *)data;
	m.end = (const char *)data + size;
	m.broken = 0;

	failure_clear(&f);
	s = pop3_start(conn_fdopen(sv[0], p.timeout), &p, &f);
	if (s == NULL) {
		check_failure(&f, pw_in_input);
		goto out;
	}
	/* greeting, CAPA, USER, PASS, CAPA */
	(void)m_status(&m);
	m_capa(&m);
	(void)m_status(&m);
	(void)m_status(&m);
	m_capa(&m);

	failure_clear(&f);
	rc = pop3_stat(s, &count, &octets, &f);
	(void)m_status(&m);
	if (rc == -1) {
		check_failure(&f, pw_in_input);
		/* -ERR: the line was read whole, the session goes on. */
		if (f.kind != F_PERM)
			goto close;
	}
	failure_clear(&f);
	if (pop3_scan(s, &v, &n, &uidl, &f) == -1) {
		check_failure(&f, pw_in_input);
		goto close;
	}
	FUZZ_CHECK(uidl == 0 || uidl == 1, "have_uidl %d", uidl);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(v[i].num >= 1 && (!uidl || v[i].uidl != NULL),
		    "message %zu: number %lu", i, v[i].num);
	/* LIST, UIDL */
	if (m_status(&m))
		m_multi(&m, NULL);
	if (m_status(&m))
		m_multi(&m, NULL);

	for (i = 0; i < n && retrs < RETR_MAX; i++, retrs++) {
		failure_clear(&f);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600)) == -1)
			abort();
		ok = pop3_send_retr(s, v[i].num, -1, &f) == 0 &&
		    pop3_flush(s, &f) == 0 &&
		    pop3_read_retr(s, sink, &fd, &f) == 0;
		close(fd);
		memset(&want, 0, sizeof(want));
		fbuf_add(&want, "", 0);
		if (m_status(&m))
			m_multi(&m, &want);
		if (ok) {
			memset(&got, 0, sizeof(got));
			read_file(path, &got);
			FUZZ_CHECK(!m.broken && got.len == want.len &&
			    memcmp(got.s, want.s, got.len) == 0,
			    "RETR %lu: wrote %zu octets, the model %zu",
			    v[i].num, got.len, want.len);
			fbuf_free(&got);
			checked++;
		}
		fbuf_free(&want);
		if (!ok) {
			check_failure(&f, pw_in_input);
			if (f.kind != F_PERM)
				goto close;
		}
	}
	failure_clear(&f);
	if (pop3_quit(s, &f) == -1)
		check_failure(&f, pw_in_input);
close:
	pop3_msgs_free(v, n);
	pop3_close(s);
out:
	pthread_join(th, NULL);
	if (getenv("FUZZ_DEBUG") != NULL)	/* to read a reproducer */
		fprintf(stderr, "%d RETR checked, last failure: %s\n--\n%s--\n",
		    checked, f.text, peer.got.s);
	check_sent(&peer.got);
	fbuf_free(&peer.got);
	return 0;
}
