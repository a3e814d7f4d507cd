/*
 * conn.c — struct conn: a buffered, capped line reader and a coalescing
 * writer over a plain socket (net.c) or a TLS session (tls.c).
 *
 * RFC 5321 4.5.3.1.5 (reply line length, capped at CONN_LINE_MAX),
 * RFC 3207 section 6 and 4.2 (nothing read before the handshake may be
 * trusted: buffered bytes stop STARTTLS, and plaintext state is dropped).
 */
#include <sys/types.h>

#include <sys/socket.h>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"
#include "tls.h"
#include "xmalloc.h"

/*
 * The read buffer holds one TLS record's payload (16 KiB, RFC 8446 5.1)
 * past a partial line of at most the line cap plus CR LF, so a read
 * never has to be shortened to fit.
 */
#define CONN_RECORD 16384
#define CONN_RBUF_SIZE(linemax) (CONN_RECORD + (linemax) + 2)

struct conn {
	int fd;
	int timeout;
	long rdeadline;		/* when the awaited reply is overdue */
	struct tls *tls;
	size_t rpos;		/* first unreturned byte in rbuf */
	size_t rlen;		/* bytes held in rbuf */
	size_t wlen;		/* bytes queued in wbuf */
	int lost;		/* the server closed or reset it */
	size_t linemax;		/* longest line conn_getline() returns */
	size_t rsize;		/* sizeof rbuf: CONN_RBUF_SIZE(linemax) */
	char *rbuf;
	char wbuf[CONN_WBUF_MAX];
};

struct conn *
conn_fdopen(int fd, int timeout)
{
	struct conn *c;

	c = xmalloc(sizeof(*c));
	c->fd = fd;
	c->timeout = timeout;
	c->tls = NULL;
	c->rpos = c->rlen = c->wlen = 0;
	c->lost = 0;
	c->linemax = CONN_LINE_MAX;
	c->rsize = CONN_RBUF_SIZE(c->linemax);
	c->rbuf = xmalloc(c->rsize);
	/*
	 * Non-blocking, with every wait bounded by a deadline, so a server
	 * that trickles bytes cannot stretch a reply past the time-out.
	 */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->rdeadline = net_deadline(timeout);	/* for the greeting */
	return c;
}

struct conn *
conn_open(const char *host, const char *port, int timeout,
    struct failure *f)
{
	return conn_open_watch(host, port, timeout, NULL, f);
}

struct conn *
conn_open_watch(const char *host, const char *port, int timeout,
    const struct net_watch *w, struct failure *f)
{
	int fd;

	if ((fd = net_connect_watch(host, port, timeout, w, f)) == -1)
		return NULL;
	return conn_fdopen(fd, timeout);
}

int
conn_speaks_tls(struct conn *c, int timeout)
{
	unsigned char first;
	int fd, rv, probe;

	if (c->tls != NULL ||
	    (timeout > 0 && timeout <= CONN_TLS_PROBE_WAIT))
		return 0;
	probe = timeout <= 0 ||
	    timeout - CONN_TLS_PROBE_WAIT > CONN_TLS_PROBE_MAX ?
	    CONN_TLS_PROBE_MAX : timeout - CONN_TLS_PROBE_WAIT;
	if (c->rlen > c->rpos)
		first = (unsigned char)c->rbuf[c->rpos];
	else if (net_wait(c->fd, POLLIN,
	    net_deadline(CONN_TLS_PROBE_WAIT)) == 1) {
		if (recv(c->fd, &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
			return 0;
	} else {
		/* Silence: a TLS server waits for our ClientHello. */
		if ((fd = net_connect_peer(c->fd, probe)) == -1)
			return 0;
		rv = tls_probe(fd, probe);
		close(fd);
		return rv == 1;
	}
	/* RFC 8446 5.1: a handshake (22) or alert (21) record. */
	return first == 22 || first == 21;
}

void
conn_set_timeout(struct conn *c, int timeout)
{
	c->timeout = timeout;
	c->rdeadline = net_deadline(timeout);
}

void
conn_set_line_max(struct conn *c, size_t max)
{
	size_t want;

	if (max < 1)
		max = 1;
	if (max > CONN_LINE_LIMIT)
		max = CONN_LINE_LIMIT;
	c->linemax = max;
	/* Grown, never shrunk: what is buffered stays where it is. */
	want = CONN_RBUF_SIZE(max);
	if (want > c->rsize) {
		c->rbuf = xreallocarray(c->rbuf, want, 1);
		c->rsize = want;
	}
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

int
conn_lost(const struct conn *c)
{
	return c->lost;
}

size_t
conn_pending(const struct conn *c)
{
	return c->rlen - c->rpos + (c->tls != NULL ? tls_pending(c->tls) : 0);
}

/*
 * Implicit TLS, and the server spoke first: a plaintext greeting (a TLS
 * server waits for the ClientHello).  Its first line, printable, goes
 * in the failure.
 */
static int
conn_plaintext_greeting(struct conn *c, const struct conn_tls_params *p,
    struct failure *f)
{
	char buf[64];
	ssize_t n;
	size_t i;

	n = recv(c->fd, buf, sizeof(buf) - 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		n = 0;
	for (i = 0; i < (size_t)n && buf[i] != '\r' && buf[i] != '\n'; i++)
		if ((unsigned char)buf[i] < 0x20 ||
		    (unsigned char)buf[i] > 0x7e)
			buf[i] = '?';
	buf[i] = '\0';
	if (p->info != NULL) {
		memset(p->info, 0, sizeof(*p->info));
		p->info->not_after = -1;
		p->info->plaintext = 1;
		strlcpy(p->info->first, buf, sizeof(p->info->first));
	}
	return failure_set(f, F_CONFIG, "TLS: the server answered in "
	    "plaintext (\"%s\"): this port does not speak implicit TLS", buf);
}

int
conn_starttls(struct conn *c, const struct conn_tls_params *p,
    struct failure *f)
{
	/*
	 * RFC 3207 6: whatever arrived before our ClientHello was not
	 * protected; a server may say nothing between its 220 and the
	 * handshake, so any such bytes are an injection (curl test980).
	 * Checked before any handshake byte is sent: the buffer, then the
	 * kernel's queue.
	 */
	if (c->tls != NULL)
		return failure_set(f, F_INTERNAL,
		    "STARTTLS: TLS is already on");
	if (conn_pending(c) > 0 || net_data_waiting(c->fd)) {
		if (p->implicit)
			return conn_plaintext_greeting(c, p, f);
		return failure_set(f, F_PROTO, "STARTTLS: server sent data "
		    "before the TLS handshake (possible injection)");
	}
	/* RFC 3207 4.2: forget everything learnt over plaintext. */
	c->rpos = c->rlen = c->wlen = 0;
	net_quickack(c->fd);
	c->tls = tls_start_info(c->fd, p->servername, p->ca_file,
	    p->fingerprint, c->timeout, p->info, f);
	return c->tls == NULL ? -1 : 0;
}

/* Reads once into the free end of rbuf.  0, or -1 with f filled. */
static int
conn_fill(struct conn *c, struct failure *f)
{
	ssize_t n;

	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	net_quickack(c->fd);
	if (c->tls != NULL)
		n = tls_read(c->tls, c->rbuf + c->rlen,
		    c->rsize - c->rlen, c->rdeadline, f);
	else
		n = net_read(c->fd, c->rbuf + c->rlen,
		    c->rsize - c->rlen, c->rdeadline, f);
	if (n == NET_TIMEOUT || n == TLS_TIMEOUT)
		return failure_set(f, F_TEMP,
		    "timed out after %d s waiting for the server", c->timeout);
	if (n == 0) {
		c->lost = 1;
		return failure_set(f, F_TEMP, "connection closed by server");
	}
	if (n < 0) {
		/* F_TEMP from a read: a reset connection. */
		c->lost = f->kind == F_TEMP;
		return -1;
	}
	c->rlen += (size_t)n;
	return 0;
}

int
conn_getline(struct conn *c, const char **line, size_t *len,
    struct failure *f)
{
	char *start, *nl;
	size_t n;

	for (;;) {
		start = c->rbuf + c->rpos;
		n = c->rlen - c->rpos;
		if ((nl = memchr(start, '\n', n)) != NULL)
			break;
		/* No end yet: over the cap even if a CR LF came next? */
		if (n > c->linemax + 1)
			return failure_set(f, F_PROTO, "server reply line too "
			    "long (over %zu octets)", c->linemax);
		if (conn_fill(c, f) == -1)
			return -1;
	}
	c->rpos += (size_t)(nl - start) + 1;
	if (nl > start && nl[-1] == '\r')
		nl--;
	n = (size_t)(nl - start);
	if (n > c->linemax)
		return failure_set(f, F_PROTO, "server reply line too long "
		    "(over %zu octets)", c->linemax);
	*nl = '\0';		/* a convenience; callers use *len */
	*line = start;
	*len = n;
	return 0;
}

int
conn_getpiece(struct conn *c, const char **data, size_t *len, int *eol,
    struct failure *f)
{
	char *start, *nl;
	size_t n;

	for (;;) {
		start = c->rbuf + c->rpos;
		n = c->rlen - c->rpos;
		if ((nl = memchr(start, '\n', n)) != NULL) {
			c->rpos += (size_t)(nl - start) + 1;
			if (nl > start && nl[-1] == '\r')
				nl--;
			*data = start;
			*len = (size_t)(nl - start);
			*eol = 1;
			return 0;
		}
		/* A CR at the end may be half of the CR LF: keep it. */
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n >= 2) {
			c->rpos += n;
			*data = start;
			*len = n;
			*eol = 0;
			return 0;
		}
		if (conn_fill(c, f) == -1)
			return -1;
	}
}

/*
 * Sends len bytes from buf now, within the time-out.  The reply to what
 * was sent is due one time-out after its last byte left (RFC 5321
 * 4.5.3.2: the time-outs are per command).  0, or -1 with f filled.
 */
static int
conn_send(struct conn *c, const char *buf, size_t len, struct failure *f)
{
	long deadline = net_deadline(c->timeout);
	int rv;

	if (c->tls != NULL)
		rv = tls_write(c->tls, buf, len, deadline, f);
	else
		rv = net_write(c->fd, buf, len, deadline, f);
	if (rv == NET_TIMEOUT || rv == TLS_TIMEOUT)
		return failure_set(f, F_TEMP,
		    "timed out after %d s sending to the server", c->timeout);
	if (rv != 0)
		return -1;
	c->rdeadline = net_deadline(c->timeout);
	return 0;
}

int
conn_write(struct conn *c, const void *buf, size_t len, struct failure *f)
{
	const char *p = buf;
	size_t room;

	while (len > 0) {
		/* Whole blocks straight from the caller: no copy needed. */
		if (c->wlen == 0 && len >= CONN_WBUF_MAX) {
			if (conn_send(c, p, CONN_WBUF_MAX, f) == -1)
				return -1;
			p += CONN_WBUF_MAX;
			len -= CONN_WBUF_MAX;
			continue;
		}
		room = CONN_WBUF_MAX - c->wlen;
		if (room > len)
			room = len;
		memcpy(c->wbuf + c->wlen, p, room);
		c->wlen += room;
		p += room;
		len -= room;
		if (c->wlen == CONN_WBUF_MAX) {
			c->wlen = 0;
			if (conn_send(c, c->wbuf, CONN_WBUF_MAX, f) == -1)
				return -1;
		}
	}
	return 0;
}

int
conn_flush(struct conn *c, struct failure *f)
{
	size_t n = c->wlen;
	int rv;

	if (n == 0)
		return 0;
	c->wlen = 0;
	rv = conn_send(c, c->wbuf, n, f);
	/* AUTH lines pass through here: leave no secret behind. */
	explicit_bzero(c->wbuf, n);
	return rv;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	tls_close(c->tls);
	if (c->fd != -1)
		close(c->fd);
	explicit_bzero(c->wbuf, sizeof(c->wbuf));
	freezero(c->rbuf, c->rsize);
	free(c);
}
