/*
 * net.c — name resolution (getaddrinfo, IPv4 and IPv6), connect with a
 * time-out, and plain socket I/O with time-outs.
 *
 * Sockets stay blocking once connected: the connect itself is
 * non-blocking with poll(2) for its deadline, later reads and writes are
 * bounded by SO_RCVTIMEO/SO_SNDTIMEO (the msmtp net.c approach).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

static long
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long
net_deadline(int timeout)
{
	return timeout > 0 ? net_now_ms() + (long)timeout * 1000 : 0;
}

int
net_wait(int fd, short events, long deadline)
{
	struct pollfd pfd;
	long left;
	int n;

	for (;;) {
		left = -1;
		if (deadline != 0 && (left = deadline - net_now_ms()) < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		return n == 0 ? NET_TIMEOUT : 1;
	}
}

static int
net_set_blocking(int fd, int blocking)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = blocking ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

/*
 * Connects fd to one address within timeout seconds.  Returns 0 or an
 * errno value (ETIMEDOUT when the deadline passed).
 */
static int
net_connect_one(int fd, const struct addrinfo *ai, int timeout)
{
	struct pollfd pfd;
	socklen_t sl;
	long deadline = 0, left;
	int err, n;

	if (net_set_blocking(fd, 0) == -1)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return errno;
	if (timeout > 0)
		deadline = net_now_ms() + (long)timeout * 1000;
	for (;;) {
		left = -1;
		if (timeout > 0 && (left = deadline - net_now_ms()) < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno;
		if (n == 0)
			return ETIMEDOUT;
		break;
	}
	err = 0;
	sl = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		return errno;
	return err;
}

/* "host:port", or "[::1]:587" for an IPv6 address (RFC 3986 3.2.2). */
static const char *
net_hostport(char *buf, size_t sz, const char *host, const char *port)
{
	snprintf(buf, sz, strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s",
	    host, port);
	return buf;
}

static int
net_fail_connect(struct failure *f, const char *host, const char *port,
    int err, int timeout)
{
	char hp[300];

	net_hostport(hp, sizeof(hp), host, port);
	switch (err) {
	case ECONNREFUSED:
		return failure_set(f, F_TEMP,
		    "connect: %s: connection refused", hp);
	case ETIMEDOUT:
		return failure_set(f, F_TEMP,
		    "connect: %s: timed out after %d s", hp, timeout);
	case ENETUNREACH:
		return failure_set(f, F_TEMP,
		    "connect: %s: network unreachable", hp);
	case EHOSTUNREACH:
		return failure_set(f, F_TEMP,
		    "connect: %s: host unreachable", hp);
	default:
		return failure_set(f, F_TEMP, "connect: %s: %s", hp,
		    strerror(err));
	}
}

static int
net_fail_resolve(struct failure *f, const char *host, const char *port,
    int gai)
{
	switch (gai) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return failure_set(f, F_NOHOST, "connect: host %s not found",
		    host);
	case EAI_AGAIN:
		return failure_set(f, F_TEMP,
		    "connect: temporary DNS failure for %s", host);
	case EAI_SERVICE:
		return failure_set(f, F_CONFIG, "connect: unknown port %s",
		    port);
	case EAI_MEMORY:
		return failure_set(f, F_OS, "connect: resolving %s: %s", host,
		    gai_strerror(gai));
	case EAI_SYSTEM:
		return failure_set(f, F_OS, "connect: resolving %s: %s", host,
		    strerror(errno));
	default:
		/* EAI_FAIL and the like: a retry may succeed. */
		return failure_set(f, F_TEMP, "connect: resolving %s: %s",
		    host, gai_strerror(gai));
	}
}

/* ai's address as text: "127.0.0.1" or "::1". */
static void
net_addr_text(const struct addrinfo *ai, char *buf, size_t bufsz)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, (socklen_t)bufsz,
	    NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy(buf, "?", bufsz);
}

static void
net_report_resolved(const struct net_watch *w, const struct addrinfo *res)
{
	const struct addrinfo *ai;
	char all[1024] = "", one[NI_MAXHOST];

	if (w == NULL || w->resolved == NULL)
		return;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		net_addr_text(ai, one, sizeof(one));
		if (all[0] != '\0')
			strlcat(all, ", ", sizeof(all));
		strlcat(all, one, sizeof(all));
	}
	w->resolved(w->arg, all);
}

static void
net_report_tried(const struct net_watch *w, const struct addrinfo *ai,
    int err)
{
	char one[NI_MAXHOST];

	if (w == NULL || w->tried == NULL)
		return;
	net_addr_text(ai, one, sizeof(one));
	w->tried(w->arg, one, err);
}

int
net_connect(const char *host, const char *port, int timeout,
    struct failure *f)
{
	return net_connect_watch(host, port, timeout, NULL, f);
}

int
net_connect_watch(const char *host, const char *port, int timeout,
    const struct net_watch *w, struct failure *f)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, gai, err = ECONNREFUSED, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0)
		return net_fail_resolve(f, host, port, gai);
	net_report_resolved(w, res);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			if (err == EAFNOSUPPORT || err == EPROTONOSUPPORT) {
				net_report_tried(w, ai, err);
				continue;
			}
			freeaddrinfo(res);
			return failure_set(f, F_OS, "connect: socket: %s",
			    strerror(err));
		}
		err = net_connect_one(fd, ai, timeout);
		net_report_tried(w, ai, err);
		if (err == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return net_fail_connect(f, host, port, err, timeout);
	/* Commands are small and written whole: no Nagle delay (RFC 2920). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
net_connect_peer(int fd, int timeout)
{
	struct sockaddr_storage ss;
	struct addrinfo ai;
	socklen_t sl = sizeof(ss);
	int nfd;

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	memset(&ai, 0, sizeof(ai));
	ai.ai_family = ss.ss_family;
	ai.ai_addr = (struct sockaddr *)&ss;
	ai.ai_addrlen = sl;
	if ((nfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (net_connect_one(nfd, &ai, timeout) != 0) {
		close(nfd);
		return -1;
	}
	return nfd;
}

ssize_t
net_read(int fd, void *buf, size_t len, long deadline, struct failure *f)
{
	ssize_t n;
	int w;

	for (;;) {
		if ((n = recv(fd, buf, len, MSG_DONTWAIT)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((w = net_wait(fd, POLLIN, deadline)) == 1)
				continue;
			if (w == NET_TIMEOUT)
				return NET_TIMEOUT;
			return failure_set(f, F_IO, "poll: %s",
			    strerror(errno));
		}
		if (errno == ECONNRESET || errno == EPIPE ||
		    errno == ETIMEDOUT)
			return failure_set(f, F_TEMP,
			    "connection reset by server");
		return failure_set(f, F_IO, "read: %s", strerror(errno));
	}
}

int
net_write(int fd, const void *buf, size_t len, long deadline,
    struct failure *f)
{
	const char *p = buf;
	ssize_t n;
	int w;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if ((w = net_wait(fd, POLLOUT, deadline)) == 1)
					continue;
				if (w == NET_TIMEOUT)
					return NET_TIMEOUT;
				return failure_set(f, F_IO, "poll: %s",
				    strerror(errno));
			}
			if (errno == EPIPE || errno == ECONNRESET ||
			    errno == ETIMEDOUT)
				return failure_set(f, F_TEMP,
				    "connection closed by server");
			return failure_set(f, F_IO, "write: %s",
			    strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Why: a server that writes two records back to back without
 * TCP_NODELAY (Postfix after the TLS 1.3 handshake: its session tickets,
 * then the greeting or EHLO reply) holds the second in Nagle's buffer
 * until our ACK of the first, which Linux delays by up to 40 ms.  Quick
 * ACKs end that wait.  The mode lapses when we send (the kernel treats
 * the exchange as interactive again), hence one call per read.
 */
void
net_quickack(int fd)
{
#ifdef TCP_QUICKACK
	int on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
#else
	(void)fd;
#endif
}

int
net_data_waiting(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}
