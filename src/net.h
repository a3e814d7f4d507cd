/*
 * net.h — resolve a host, connect with a time-out, and plain socket I/O
 * on a non-blocking descriptor, each wait bounded by a deadline (poll),
 * so a server that trickles bytes cannot stretch a wait.  Only conn.c and
 * tls.c use this module.
 */
#ifndef OUTBOX_NET_H
#define OUTBOX_NET_H

#include <sys/types.h>

#include <stddef.h>

#include "failure.h"

/* Returned by net_read()/net_write()/net_wait() when the deadline passed. */
#define NET_TIMEOUT (-2)

/*
 * Resolves host (AF_UNSPEC) and tries every address in order, each
 * connect bounded by timeout seconds (<= 0: no limit).  Returns a
 * non-blocking descriptor with TCP_NODELAY set, or -1.  Text begins
 * "connect: ".  F_NOHOST (name not found), F_TEMP
 * (temporary DNS failure, refused, unreachable, timed out), F_CONFIG
 * (unknown port), F_OS (socket creation).
 */
int net_connect(const char *host, const char *port, int timeout,
    struct failure *f);

/*
 * Who is told, as net_connect_watch() goes: resolved() once with every
 * address found ("127.0.0.1, ::1"), tried() for each address tried, err
 * 0 when it answered, else the errno value.  Either may be NULL.
 */
struct net_watch {
	void (*resolved)(void *arg, const char *addrs);
	void (*tried)(void *arg, const char *addr, int err);
	void *arg;
};

/* net_connect() reporting to w (NULL: nobody). */
int net_connect_watch(const char *host, const char *port, int timeout,
    const struct net_watch *w, struct failure *f);

/*
 * A new connection to the address fd is connected to, within timeout
 * seconds: a descriptor (non-blocking, O_CLOEXEC), or -1.
 */
int net_connect_peer(int fd, int timeout);

/*
 * A deadline timeout seconds from now on the monotonic clock, in ms; 0
 * (no deadline) when timeout <= 0.
 */
long net_deadline(int timeout);

/*
 * Waits until fd is ready for events (POLLIN/POLLOUT) or the deadline
 * (0: none) passes.  Returns 1, NET_TIMEOUT, or -1 with errno set.
 */
int net_wait(int fd, short events, long deadline);

/*
 * One successful recv(2), waiting for data until deadline.  Returns the
 * byte count, 0 at end of file, NET_TIMEOUT, or -1 with f filled (F_TEMP
 * for a reset connection, F_IO otherwise).
 */
ssize_t net_read(int fd, void *buf, size_t len, long deadline,
    struct failure *f);

/*
 * Sends all len bytes by deadline (MSG_NOSIGNAL: a closed peer is an
 * error, not a signal).  Returns 0, NET_TIMEOUT, or -1 with f filled
 * (F_TEMP for a lost connection, F_IO otherwise).
 */
int net_write(int fd, const void *buf, size_t len, long deadline,
    struct failure *f);

/*
 * Asks the kernel to acknowledge received segments at once rather than
 * after the delayed-ACK timer (TCP_QUICKACK, where the platform has it;
 * elsewhere nothing).  The kernel drops back to delayed ACKs on its own,
 * so callers re-arm it before every read.  Changes no byte on the wire;
 * errors are ignored (the only cost of failing is the old latency).
 */
void net_quickack(int fd);

/* 1 when received bytes wait unread in the kernel (end of file: 0). */
int net_data_waiting(int fd);

#endif
