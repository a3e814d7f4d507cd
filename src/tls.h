/*
 * tls.h — a TLS client session over a connected, non-blocking socket
 * (OpenSSL 3); every wait is bounded by a deadline (net_wait()).  Only
 * conn.c uses this module.
 *
 * RFCs: 8446/5246 (TLS 1.3/1.2), 6125 (host-name checks, done by
 * OpenSSL), 6066 section 3 (SNI), 8314 and 3207 (mail over TLS).
 */
#ifndef OUTBOX_TLS_H
#define OUTBOX_TLS_H

#include <sys/types.h>

#include <stddef.h>

#include "failure.h"

/* Returned by tls_read()/tls_write() when the deadline passed. */
#define TLS_TIMEOUT (-2)

struct tls;

/*
 * Runs the client handshake on fd: TLS 1.2 at least, SNI for servername
 * (not for an IP literal), the chain verified against ca_file (NULL: the
 * system store) and the name checked, or, when fingerprint is given, the
 * SHA-256 of the server's SubjectPublicKeyInfo compared with it instead.
 * The whole handshake must finish within timeout seconds.
 * Returns a session the caller frees with tls_close(), or NULL: F_TLS
 * (verification, pin mismatch, handshake refused), F_TEMP (peer went
 * away, time-out), F_CONFIG (unreadable CA file, malformed fingerprint),
 * F_OS (OpenSSL allocation).
 */
struct tls *tls_start(int fd, const char *servername, const char *ca_file,
    const char *fingerprint, int timeout, struct failure *f);

/*
 * Reads up to len decrypted bytes, waiting until deadline (net_deadline();
 * 0: none).  Returns the count, 0 when the peer
 * closed (close_notify or plain end of file), TLS_TIMEOUT, or -1 with f
 * filled (F_TEMP for a reset, F_TLS for a TLS-level error).
 */
ssize_t tls_read(struct tls *t, void *buf, size_t len, long deadline,
    struct failure *f);

/*
 * Writes all len bytes (one record for up to 16 KiB) by deadline.  Returns 0,
 * TLS_TIMEOUT, or -1 with f filled (F_TEMP lost connection, F_TLS).
 */
int tls_write(struct tls *t, const void *buf, size_t len, long deadline,
    struct failure *f);

/* Decrypted bytes buffered inside OpenSSL, not yet read. */
size_t tls_pending(const struct tls *t);

/* What the handshake showed of the server, for --check and hints. */
#define TLS_FACT_MAX 256
#define TLS_PIN_TEXT_MAX (7 + 3 * 32)	/* "sha256:" and 32 "AB:" */

struct tls_info {
	int have_cert;			/* the certificate facts were read */
	char protocol[16];		/* "TLSv1.3"; "" before the handshake
					   finished */
	char cipher[64];
	char subject[TLS_FACT_MAX];	/* RFC 2253 form */
	char issuer[TLS_FACT_MAX];
	char names[512];		/* subjectAltName DNS and IP entries,
					   ", " between */
	long long not_after;		/* seconds since the epoch, or -1 */
	int verified;			/* chain and name (or the pin) good */
	int pinned;			/* a pin was the trust anchor */
	long verify_code;		/* X509_V_* of the chain check */
	char verify[128];		/* its text */
	char pin[TLS_PIN_TEXT_MAX + 1];	/* "sha256:AB:..." of the key */
	int plaintext;			/* the server answered the ClientHello
					   with text ("220 ..."): it does not
					   speak TLS on that port */
	char first[64];			/* that text, made printable */
};

/*
 * tls_start() that also fills info (zeroed first; NULL: none) with what
 * was learnt, on success and on failure alike: a certificate that did not
 * verify still shows its names and issuer.  When the server answers the
 * ClientHello with plaintext (an SMTP or POP3 greeting), fails at once
 * with F_CONFIG, "TLS: the server answered in plaintext (...)", and sets
 * info->plaintext.
 */
struct tls *tls_start_info(int fd, const char *servername,
    const char *ca_file, const char *fingerprint, int timeout,
    struct tls_info *info, struct failure *f);

/*
 * Whether the peer on fd (a fresh connection of its own) speaks TLS: a
 * ClientHello is sent and the first bytes back looked at, within
 * timeout seconds, no certificate checked.  1 TLS, 0 something else
 * (text, or the peer closed), -1 no answer in time.  fd is left open.
 */
int tls_probe(int fd, int timeout);

/*
 * Makes ahead the context a tls_start() with the same ca_file and
 * fingerprint will use (a STARTTLS client calls it while the server
 * composes its greeting); failures are left for the handshake to report.
 */
void tls_prepare(const char *ca_file, const char *fingerprint);

/* Sends close_notify (without waiting for the peer's) and frees t. */
void tls_close(struct tls *t);

#endif
