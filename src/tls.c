/*
 * tls.c — the TLS client: OpenSSL context, handshake, certificate and
 * host-name verification or public-key pinning, record I/O.
 *
 * RFCs: 8446 and 5246 (TLS 1.3 and 1.2: nothing older is offered),
 * 6066 section 3 (SNI: host names only, never IP literals), 6125 (name
 * checks, left to OpenSSL: no hand-rolled matching), 7469 section 2.4
 * (the SPKI SHA-256 form of a pin), 8314 and 3207 (mail over TLS).
 *
 * The socket is blocking with SO_RCVTIMEO/SO_SNDTIMEO set, so OpenSSL
 * sees an expired time-out as a read or write that "would block"; that is
 * reported as TLS_TIMEOUT.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net.h"
#include "tls.h"
#include "xmalloc.h"

#define TLS_PIN_LEN 32		/* SHA-256 digest length */

struct tls {
	SSL_CTX *ctx;
	SSL *ssl;
};

/*
 * OpenSSL writes to the socket with write(2), which raises SIGPIPE when
 * the server has gone; block it around every call that may write and
 * swallow one raised meanwhile, so a lost server is an error, not death.
 */
struct tls_sigpipe {
	sigset_t old;
	int was_pending;
};

static void
tls_sigpipe_block(struct tls_sigpipe *sp)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pend);
	(void)sigpending(&pend);
	sp->was_pending = sigismember(&pend, SIGPIPE) == 1;
	(void)sigprocmask(SIG_BLOCK, &set, &sp->old);
}

static void
tls_sigpipe_restore(struct tls_sigpipe *sp)
{
	sigset_t set, pend;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pend);
	if (!sp->was_pending && sigpending(&pend) == 0 &&
	    sigismember(&pend, SIGPIPE) == 1)
		(void)sigtimedwait(&set, NULL, &zero);
	(void)sigprocmask(SIG_SETMASK, &sp->old, NULL);
}

/* The first queued OpenSSL error as text, or "" when there is none. */
static const char *
tls_errstr(char *buf, size_t bufsz)
{
	unsigned long e;

	buf[0] = '\0';
	if ((e = ERR_peek_error()) != 0)
		ERR_error_string_n(e, buf, bufsz);
	return buf;
}

static int
tls_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Parses "sha256:AB:CD:..." or 64 hex digits (any case, colons between
 * pairs allowed) into pin.  Returns 0 or -1.
 */
static int
tls_parse_pin(const char *s, unsigned char pin[TLS_PIN_LEN])
{
	size_t n = 0;
	int hi, lo;

	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	while (*s != '\0') {
		if (*s == ':' && n > 0) {
			s++;
			continue;
		}
		if (n == TLS_PIN_LEN || (hi = tls_hexval(s[0])) == -1 ||
		    (lo = tls_hexval(s[1])) == -1)
			return -1;
		pin[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return n == TLS_PIN_LEN ? 0 : -1;
}

/* SHA-256 of the peer certificate's SubjectPublicKeyInfo (DER). */
static int
tls_peer_pin(SSL *ssl, unsigned char pin[TLS_PIN_LEN])
{
	X509 *cert;
	EVP_PKEY *pk;
	unsigned char *der = NULL, *p;
	unsigned int mdlen = 0;
	int len, rv = -1;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return -1;
	if ((pk = X509_get0_pubkey(cert)) != NULL &&
	    (len = i2d_PUBKEY(pk, NULL)) > 0) {
		der = p = xmalloc((size_t)len);
		if (i2d_PUBKEY(pk, &p) == len &&
		    EVP_Digest(der, (size_t)len, pin, &mdlen, EVP_sha256(),
		    NULL) == 1 && mdlen == TLS_PIN_LEN)
			rv = 0;
		free(der);
	}
	X509_free(cert);
	return rv;
}

static int
tls_is_ip(const char *name)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

static int
tls_setup(struct tls *t, int fd, const char *servername,
    const char *ca_file, int pinned, struct failure *f)
{
	char eb[256];

	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return failure_set(f, F_OS, "TLS: cannot create a context: %s",
		    tls_errstr(eb, sizeof(eb)));
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
		return failure_set(f, F_INTERNAL, "TLS: cannot require 1.2");
	/*
	 * A TLS 1.2 renegotiation would bring a second certificate after
	 * the pin (or the chain and name) was checked; SMTP never needs
	 * one, so a server's HelloRequest gets the no_renegotiation alert.
	 */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION);
	/*
	 * With a pin the key itself is the trust anchor: chain and name
	 * failures (a self-signed or renamed server) are not fatal, only a
	 * key that differs from the pin is.  So verification is off and
	 * tls_start() compares the key after the handshake.
	 */
	if (pinned)
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
		if (ca_file != NULL) {
			if (SSL_CTX_load_verify_locations(t->ctx, ca_file,
			    NULL) != 1)
				return failure_set(f, F_CONFIG,
				    "TLS: cannot load CA file %s: %s", ca_file,
				    tls_errstr(eb, sizeof(eb)));
		} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1)
			return failure_set(f, F_CONFIG,
			    "TLS: cannot load the system CA store: %s",
			    tls_errstr(eb, sizeof(eb)));
	}
	if ((t->ssl = SSL_new(t->ctx)) == NULL)
		return failure_set(f, F_OS, "TLS: cannot create a session: %s",
		    tls_errstr(eb, sizeof(eb)));
	if (SSL_set_fd(t->ssl, fd) != 1)
		return failure_set(f, F_OS, "TLS: cannot attach the socket");
	if (servername == NULL || *servername == '\0')
		return 0;
	if (tls_is_ip(servername)) {
		/* RFC 6066 3: no SNI for literals; match an iPAddress SAN. */
		if (!pinned && X509_VERIFY_PARAM_set1_ip_asc(
		    SSL_get0_param(t->ssl), servername) != 1)
			return failure_set(f, F_INTERNAL,
			    "TLS: cannot set the address %s to verify",
			    servername);
		return 0;
	}
	if (SSL_set_tlsext_host_name(t->ssl, servername) != 1)
		return failure_set(f, F_CONFIG, "TLS: bad server name %s",
		    servername);
	if (!pinned) {
		SSL_set_hostflags(t->ssl,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (SSL_set1_host(t->ssl, servername) != 1)
			return failure_set(f, F_INTERNAL,
			    "TLS: cannot set the host name %s to verify",
			    servername);
	}
	return 0;
}

static int
tls_handshake_failed(struct tls *t, int ret, int pinned, int timeout,
    struct failure *f)
{
	char eb[256];
	long vr;
	unsigned long e;
	int err, saved = errno;

	err = SSL_get_error(t->ssl, ret);
	vr = SSL_get_verify_result(t->ssl);
	e = ERR_peek_error();
	if (!pinned && vr != X509_V_OK) {
		tls_errstr(eb, sizeof(eb));
		return failure_set(f, F_TLS,
		    "TLS: certificate verification failed: %s%s%s%s",
		    X509_verify_cert_error_string(vr), eb[0] ? " (" : "", eb,
		    eb[0] ? ")" : "");
	}
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ||
	    (err == SSL_ERROR_SYSCALL &&
	    (saved == EAGAIN || saved == EWOULDBLOCK)))
		return failure_set(f, F_TEMP,
		    "TLS: timed out after %d s during the handshake", timeout);
	if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ||
	    (err == SSL_ERROR_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING))
		return failure_set(f, F_TEMP,
		    "TLS: connection closed during the handshake");
	return failure_set(f, F_TLS, "TLS: handshake failed: %s",
	    e != 0 ? tls_errstr(eb, sizeof(eb)) : "unknown error");
}

static void
tls_format_pin(char *buf, size_t bufsz, const unsigned char pin[TLS_PIN_LEN])
{
	size_t i, o = 0;

	o = strlcpy(buf, "sha256:", bufsz);
	for (i = 0; i < TLS_PIN_LEN && o + 3 < bufsz; i++)
		o += (size_t)snprintf(buf + o, bufsz - o, "%s%02X",
		    i ? ":" : "", pin[i]);
}

/*
 * Waits for what OpenSSL asked for after ret; 1 to try again, 0 when
 * that is not a wait (or the deadline passed: errno is then EAGAIN).
 */
static int
tls_wait(struct tls *t, int ret, long deadline)
{
	int err = SSL_get_error(t->ssl, ret), w;

	if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
		return 0;
	w = net_wait(SSL_get_fd(t->ssl), err == SSL_ERROR_WANT_READ ?
	    POLLIN : POLLOUT, deadline);
	if (w == 1)
		return 1;
	if (w == NET_TIMEOUT)
		errno = EAGAIN;
	return 0;
}

/* SSL_connect on the non-blocking socket, within timeout seconds. */
static int
tls_handshake(struct tls *t, int timeout)
{
	long deadline = net_deadline(timeout);
	int ret;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((ret = SSL_connect(t->ssl)) == 1 ||
		    !tls_wait(t, ret, deadline))
			return ret;
	}
}

struct tls *
tls_start(int fd, const char *servername, const char *ca_file,
    const char *fingerprint, int timeout, struct failure *f)
{
	struct tls *t;
	struct tls_sigpipe sp;
	unsigned char want[TLS_PIN_LEN], got[TLS_PIN_LEN];
	char shown[8 + 3 * TLS_PIN_LEN];
	int pinned = fingerprint != NULL && *fingerprint != '\0';
	int ret;

	if (pinned && tls_parse_pin(fingerprint, want) == -1) {
		failure_set(f, F_CONFIG, "TLS: bad fingerprint %s (want "
		    "sha256: and 64 hex digits)", fingerprint);
		return NULL;
	}
	ERR_clear_error();
	t = xcalloc(1, sizeof(*t));
	if (tls_setup(t, fd, servername, ca_file, pinned, f) == -1) {
		tls_close(t);
		return NULL;
	}
	tls_sigpipe_block(&sp);
	ret = tls_handshake(t, timeout);
	if (ret != 1)
		tls_handshake_failed(t, ret, pinned, timeout, f);
	tls_sigpipe_restore(&sp);
	if (ret != 1) {
		SSL_free(t->ssl);	/* no close_notify after a failure */
		t->ssl = NULL;
		tls_close(t);
		return NULL;
	}
	if (pinned) {
		if (tls_peer_pin(t->ssl, got) == -1) {
			failure_set(f, F_TLS,
			    "TLS: cannot read the server key");
			tls_close(t);
			return NULL;
		}
		if (CRYPTO_memcmp(got, want, TLS_PIN_LEN) != 0) {
			tls_format_pin(shown, sizeof(shown), got);
			failure_set(f, F_TLS, "TLS: server key fingerprint %s "
			    "does not match the pinned one", shown);
			tls_close(t);
			return NULL;
		}
	} else if (SSL_get_verify_result(t->ssl) != X509_V_OK) {
		/* Unreachable with SSL_VERIFY_PEER; kept as a safety net. */
		failure_set(f, F_TLS, "TLS: certificate verification failed");
		tls_close(t);
		return NULL;
	}
	return t;
}

/* Maps a failed SSL_read/SSL_write; 1 means "interrupted, try again". */
static int
tls_io_failed(struct tls *t, int ret, int saved, struct failure *f)
{
	char eb[256];
	unsigned long e = ERR_peek_error();

	switch (SSL_get_error(t->ssl, ret)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return saved == EINTR ? 1 : TLS_TIMEOUT;
	case SSL_ERROR_SYSCALL:
		if (saved == EINTR)
			return 1;
		if (saved == EAGAIN || saved == EWOULDBLOCK)
			return TLS_TIMEOUT;
		if (saved == 0 || saved == EPIPE)
			return 0;
		if (saved == ECONNRESET)
			return failure_set(f, F_TEMP,
			    "connection reset by server");
		return failure_set(f, F_IO, "TLS: %s", strerror(saved));
	case SSL_ERROR_SSL:
		if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return 0;
		/* FALLTHROUGH */
	default:
		return failure_set(f, F_TLS, "TLS: %s",
		    e != 0 ? tls_errstr(eb, sizeof(eb)) : "unknown error");
	}
}

ssize_t
tls_read(struct tls *t, void *buf, size_t len, long deadline,
    struct failure *f)
{
	int n, rv;

	if (len > INT_MAX)
		len = INT_MAX;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((n = SSL_read(t->ssl, buf, (int)len)) > 0)
			return n;
		if (tls_wait(t, n, deadline))
			continue;
		if ((rv = tls_io_failed(t, n, errno, f)) != 1)
			return rv;
	}
}

int
tls_write(struct tls *t, const void *buf, size_t len, long deadline,
    struct failure *f)
{
	struct tls_sigpipe sp;
	const char *p = buf;
	int n, rv = 0, chunk;

	tls_sigpipe_block(&sp);
	while (len > 0) {
		chunk = len > INT_MAX ? INT_MAX : (int)len;
		ERR_clear_error();
		errno = 0;
		if ((n = SSL_write(t->ssl, p, chunk)) > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (tls_wait(t, n, deadline))
			continue;
		if ((rv = tls_io_failed(t, n, errno, f)) == 1)
			continue;
		if (rv == 0)
			rv = failure_set(f, F_TEMP,
			    "connection closed by server");
		break;
	}
	tls_sigpipe_restore(&sp);
	return len == 0 ? 0 : rv;
}

size_t
tls_pending(const struct tls *t)
{
	int n = SSL_pending(t->ssl);

	return n > 0 ? (size_t)n : 0;
}

void
tls_close(struct tls *t)
{
	struct tls_sigpipe sp;

	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		tls_sigpipe_block(&sp);
		(void)SSL_shutdown(t->ssl);
		tls_sigpipe_restore(&sp);
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}
