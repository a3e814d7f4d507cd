/*
 * conn.h — struct conn: one connection to a server, plain or TLS, with a
 * buffered, capped line reader and a coalescing writer.
 *
 * A reply is due within the connection's time-out after the last byte of
 * what the client sent (or after the connect, for the greeting), however
 * slowly it trickles in; writes are gathered into
 * CONN_WBUF_MAX-byte blocks so a pipelined command group, or 16 KiB of
 * message, leaves in one write(2) and, under TLS, one record.
 */
#ifndef OUTBOX_CONN_H
#define OUTBOX_CONN_H

#include <stddef.h>

#include "failure.h"
#include "net.h"
#include "tls.h"

/*
 * The default line cap: RFC 5321 4.5.3.1.5 allows 512 octets per reply
 * line; allow twice.  A protocol sets its own with conn_set_line_max().
 */
#define CONN_LINE_MAX 1024
/*
 * The largest cap conn_set_line_max() grants: RFC 5322 2.1.1's 998 plus
 * CRLF is the rule for message lines, and servers send longer; 64 KiB
 * bounds what one line may cost us.
 */
#define CONN_LINE_LIMIT 65536
/* One TLS record's payload (RFC 8446 5.1): the unit writes are gathered to. */
#define CONN_WBUF_MAX 16384

struct conn;

struct conn_tls_params {
	const char *servername;		/* SNI and host-name verification */
	const char *ca_file;		/* NULL: the system store */
	const char *fingerprint;	/* "sha256:.." of the SPKI, or NULL */
	struct tls_info *info;		/* filled with what the handshake
					   showed (tls.h), or NULL */
	int implicit;			/* TLS from the first byte (RFC 8314):
					   text already waiting is a plaintext
					   greeting, not an injection */
};

/*
 * Resolves host (IPv4 and IPv6) and connects to each address in order
 * until one answers, each within timeout seconds (<= 0: no limit); sets
 * TCP_NODELAY.  An IPv6 literal is given without brackets.  Fails with
 * F_NOHOST (name does not exist), F_TEMP (temporary DNS failure, refused,
 * unreachable, timed out: text names host:port and the reason), F_CONFIG
 * (unknown port), F_OS (socket creation).
 */
struct conn *conn_open(const char *host, const char *port, int timeout,
    struct failure *f);

/* conn_open() telling w what it resolved and tried (net.h). */
struct conn *conn_open_watch(const char *host, const char *port, int timeout,
    const struct net_watch *w, struct failure *f);

/*
 * Whether a server that has not greeted within CONN_TLS_PROBE_WAIT
 * seconds speaks TLS at once (an implicit-TLS port reached by a
 * plaintext, STARTTLS or STLS client): a second connection to the same
 * address tries a TLS handshake, within CONN_TLS_PROBE_MAX seconds and
 * what is left of timeout (<= 0: no limit).  1 when the server sends a
 * TLS record first or answers that handshake, else 0 (it greeted, could
 * not be told, or timeout leaves no room to ask); c is untouched either
 * way.  A slow plaintext greeter answers the probe in text, and the
 * caller's wait for its greeting goes on.
 */
#define CONN_TLS_PROBE_WAIT 2
#define CONN_TLS_PROBE_MAX 3
int conn_speaks_tls(struct conn *c, int timeout);

/*
 * Wraps an already-connected descriptor (tests use socketpair(2)); the
 * conn owns fd from then on and conn_close() closes it.
 */
struct conn *conn_fdopen(int fd, int timeout);

/* Changes the time-out (seconds) and restarts the wait for a reply. */
void conn_set_timeout(struct conn *c, int timeout);

/*
 * Starts TLS on the connection: TLS 1.2 at least, certificate and host
 * name verified (or the SPKI SHA-256 fingerprint pinned, when given),
 * SNI sent.  Fails with F_PROTO when unread bytes are already buffered
 * (data injected before the handshake: RFC 3207 section 6 / curl test980),
 * or with p->implicit F_CONFIG ("TLS: the server answered in plaintext"),
 * F_TLS with OpenSSL's reason and the verify result for a verification
 * failure, F_TEMP when the peer went away during the handshake, F_CONFIG
 * for a CA file that cannot be loaded or a malformed fingerprint.
 */
int conn_starttls(struct conn *c, const struct conn_tls_params *p,
    struct failure *f);

/*
 * Sets the longest line conn_getline() returns (octets, without CRLF):
 * max is clamped to 1..CONN_LINE_LIMIT; the default is CONN_LINE_MAX.
 * Lines already buffered are kept.
 */
void conn_set_line_max(struct conn *c, size_t max);

/* 1 once TLS is up. */
int conn_is_tls(const struct conn *c);

/*
 * 1 once a read found the connection closed or reset by the server (as
 * opposed to a time-out or a local error).
 */
int conn_lost(const struct conn *c);

/* Bytes received and buffered but not yet returned by conn_getline(). */
size_t conn_pending(const struct conn *c);

/*
 * The next line, without its CRLF (a bare LF also ends it), in *line with
 * its length in *len; NUL-terminated; valid until the next call on c.
 * Fails with F_PROTO for a line over the cap (conn_set_line_max), F_TEMP
 * for a time-out ("timed out after N s") or a closed connection
 * ("connection closed by server").
 */
int conn_getline(struct conn *c, const char **line, size_t *len,
    struct failure *f);

/*
 * A piece of the next line, for data whose lines have no useful cap (a
 * message body): the whole line without its line end and *eol = 1 when
 * its end is buffered, else what is buffered (at least 2 bytes, a CR
 * held back) and *eol = 0; the next call continues the line.  Memory
 * stays that of the read buffer however long the line.  Valid until the
 * next call on c.  F_TEMP as for conn_getline().
 */
int conn_getpiece(struct conn *c, const char **data, size_t *len, int *eol,
    struct failure *f);

/* Queues bytes; sends whenever CONN_WBUF_MAX is reached.  F_TEMP/F_IO. */
int conn_write(struct conn *c, const void *buf, size_t len, struct failure *f);

/* Sends everything queued.  F_TEMP on a time-out or a lost connection. */
int conn_flush(struct conn *c, struct failure *f);

/* Sends close_notify when TLS is up, closes, frees.  NULL is fine. */
void conn_close(struct conn *c);

#endif
