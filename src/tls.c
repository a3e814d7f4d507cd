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
#include <sys/stat.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
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

/* The first bytes the server sent, to tell plaintext from TLS. */
#define TLS_SEEN_MAX 48

struct tls {
	SSL_CTX *ctx;
	SSL *ssl;
	unsigned char seen[TLS_SEEN_MAX];
	size_t nseen;
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

/* SHA-256 of a certificate's SubjectPublicKeyInfo (DER). */
static int
tls_cert_pin(X509 *cert, unsigned char pin[TLS_PIN_LEN])
{
	EVP_PKEY *pk;
	unsigned char *der = NULL, *p;
	unsigned int mdlen = 0;
	int len, rv = -1;

	if ((pk = X509_get0_pubkey(cert)) != NULL &&
	    (len = i2d_PUBKEY(pk, NULL)) > 0) {
		der = p = xmalloc((size_t)len);
		if (i2d_PUBKEY(pk, &p) == len &&
		    EVP_Digest(der, (size_t)len, pin, &mdlen, EVP_sha256(),
		    NULL) == 1 && mdlen == TLS_PIN_LEN)
			rv = 0;
		free(der);
	}
	return rv;
}

/* SHA-256 of the peer certificate's SubjectPublicKeyInfo (DER). */
static int
tls_peer_pin(SSL *ssl, unsigned char pin[TLS_PIN_LEN])
{
	X509 *cert;
	int rv;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return -1;
	rv = tls_cert_pin(cert, pin);
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

/* Does DIR hold c_rehash names (8 hex digits, a dot, a digit)? */
static int
tls_hashed_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	const char *n;
	size_t i;
	int found = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		n = e->d_name;
		for (i = 0; i < 8 && isxdigit((unsigned char)n[i]); i++)
			continue;
		found = i == 8 && n[8] == '.' &&
		    isdigit((unsigned char)n[9]);
	}
	closedir(d);
	return found;
}

/* Do A and B name the same file (after links)? */
static int
tls_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * The system trust store, as OpenSSL's default paths define it (a
 * bundle file and a directory, which SSL_CERT_FILE and SSL_CERT_DIR
 * override), but read lazily.  Loading the bundle costs on Debian about
 * 140 certificates parsed (35-40 ms of CPU, most of a MiB) for every
 * connection, though a handshake needs one issuer.  When the bundle is
 * the system's default one and the default directory is hashed
 * (c_rehash names: update-ca-certificates writes both from the same
 * certificates), the directory stands in for the bundle, and OpenSSL
 * reads from it, by subject name, only the issuers a chain names.  Any
 * other bundle is loaded whole, as OpenSSL would.  Load failures are
 * ignored, as OpenSSL's default paths ignore them: verification then
 * fails and says what it could not find.
 */
static void
tls_system_store(SSL_CTX *ctx)
{
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());
	const char *deffile = X509_get_default_cert_file();
	const char *defdir = X509_get_default_cert_dir();

	if (file == NULL || *file == '\0')
		file = deffile;
	if (dir == NULL || *dir == '\0')
		dir = defdir;
	if (tls_same_file(file, deffile) && tls_hashed_dir(defdir))
		(void)SSL_CTX_load_verify_dir(ctx, defdir);
	else
		(void)SSL_CTX_load_verify_file(ctx, file);
	if (strcmp(dir, defdir) != 0)
		(void)SSL_CTX_load_verify_dir(ctx, dir);
	ERR_clear_error();
}

/* A new client context: TLS 1.2 at least, and the trust to verify by. */
static SSL_CTX *
tls_ctx_new(const char *ca_file, int pinned, struct failure *f)
{
	SSL_CTX *ctx;
	char eb[256];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		failure_set(f, F_OS, "TLS: cannot create a context: %s",
		    tls_errstr(eb, sizeof(eb)));
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(ctx);
		failure_set(f, F_INTERNAL, "TLS: cannot require 1.2");
		return NULL;
	}
	/*
	 * A TLS 1.2 renegotiation would bring a second certificate after
	 * the pin (or the chain and name) was checked; SMTP never needs
	 * one, so a server's HelloRequest gets the no_renegotiation alert.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	/*
	 * With a pin the key itself is the trust anchor: chain and name
	 * failures (a self-signed or renamed server) are not fatal, only a
	 * key that differs from the pin is.  So verification is off and
	 * tls_start() compares the key after the handshake.
	 */
	if (pinned)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (ca_file != NULL) {
			if (SSL_CTX_load_verify_locations(ctx, ca_file,
			    NULL) != 1) {
				failure_set(f, F_CONFIG,
				    "TLS: cannot load CA file %s: %s", ca_file,
				    tls_errstr(eb, sizeof(eb)));
				SSL_CTX_free(ctx);
				return NULL;
			}
		} else
			tls_system_store(ctx);
	}
	return ctx;
}

/*
 * The context of the last (ca_file, pinned) asked for, kept for the rest
 * of the run: making one costs about 3 ms of CPU (OpenSSL's algorithm
 * fetches and the CA file), which tls_prepare() can spend while a server
 * is still composing its greeting, and which a second connection (a
 * flush that reconnects, --check's probe) then does not pay again.  It
 * holds no per-connection state: names, pins and sessions are set on
 * each SSL.
 */
static struct {
	SSL_CTX *ctx;
	char *ca_file;
	int pinned;
} tls_cache;

/* The context for (ca_file, pinned), a reference of the caller's own. */
static SSL_CTX *
tls_ctx_get(const char *ca_file, int pinned, struct failure *f)
{
	SSL_CTX *ctx;

	if (tls_cache.ctx != NULL && tls_cache.pinned == pinned &&
	    (tls_cache.ca_file == NULL ? ca_file == NULL : ca_file != NULL &&
	    strcmp(tls_cache.ca_file, ca_file) == 0)) {
		SSL_CTX_up_ref(tls_cache.ctx);
		return tls_cache.ctx;
	}
	if ((ctx = tls_ctx_new(ca_file, pinned, f)) == NULL)
		return NULL;
	SSL_CTX_free(tls_cache.ctx);
	free(tls_cache.ca_file);
	tls_cache.ctx = ctx;
	tls_cache.ca_file = ca_file != NULL ? xstrdup(ca_file) : NULL;
	tls_cache.pinned = pinned;
	SSL_CTX_up_ref(ctx);
	return ctx;
}

void
tls_prepare(const char *ca_file, const char *fingerprint)
{
	struct failure ignore;
	SSL_CTX *ctx;

	/* A failure here comes back, and is reported, at the handshake. */
	failure_clear(&ignore);
	ctx = tls_ctx_get(ca_file, fingerprint != NULL && *fingerprint != '\0',
	    &ignore);
	SSL_CTX_free(ctx);
	ERR_clear_error();
}

static int
tls_setup(struct tls *t, int fd, const char *servername,
    const char *ca_file, int pinned, struct failure *f)
{
	char eb[256];

	if ((t->ctx = tls_ctx_get(ca_file, pinned, f)) == NULL)
		return -1;
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

/* Records the first bytes the server sends (BIO_set_callback_ex). */
static long
tls_seen_cb(BIO *b, int oper, const char *argp, size_t len, int argi,
    long argl, int ret, size_t *processed)
{
	struct tls *t = (struct tls *)BIO_get_callback_arg(b);
	size_t n;

	(void)len;
	(void)argi;
	(void)argl;
	if (t == NULL || oper != (BIO_CB_READ | BIO_CB_RETURN) || ret <= 0 ||
	    processed == NULL || argp == NULL)
		return ret;
	n = *processed;
	if (n > sizeof(t->seen) - t->nseen)
		n = sizeof(t->seen) - t->nseen;
	memcpy(t->seen + t->nseen, argp, n);
	t->nseen += n;
	return ret;
}

static void
tls_watch_reads(struct tls *t)
{
	BIO *rb = SSL_get_rbio(t->ssl);

	if (rb == NULL)
		return;
	BIO_set_callback_arg(rb, (char *)t);
	BIO_set_callback_ex(rb, tls_seen_cb);
}

/*
 * 1 when the first bytes read are an SMTP reply ("220 ", "220-") or a
 * POP3 one ("+OK", "-ERR"): a plaintext service, not TLS.
 */
static int
tls_seen_plaintext(const struct tls *t)
{
	const unsigned char *s = t->seen;

	if (t->nseen >= 4 && isdigit(s[0]) && isdigit(s[1]) &&
	    isdigit(s[2]) && (s[3] == ' ' || s[3] == '-' || s[3] == '\r'))
		return 1;
	return (t->nseen >= 3 && memcmp(s, "+OK", 3) == 0) ||
	    (t->nseen >= 4 && memcmp(s, "-ERR", 4) == 0);
}

/* The first line of what was seen, printable, into buf. */
static void
tls_seen_text(const struct tls *t, char *buf, size_t bufsz)
{
	size_t i, o = 0;

	for (i = 0; i < t->nseen && o + 1 < bufsz; i++) {
		if (t->seen[i] == '\r' || t->seen[i] == '\n')
			break;
		buf[o++] = isprint(t->seen[i]) ? (char)t->seen[i] : '?';
	}
	buf[o] = '\0';
}

/* An X509 name in RFC 2253 form. */
static void
tls_name_text(const X509_NAME *name, char *buf, size_t bufsz)
{
	BIO *b;
	int n;

	buf[0] = '\0';
	if (name == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(b, buf, (int)bufsz - 1)) > 0)
		buf[n] = '\0';
	BIO_free(b);
}

/* subjectAltName's DNS and IP entries, ", " between. */
static void
tls_san_text(X509 *cert, char *buf, size_t bufsz)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	char one[INET6_ADDRSTRLEN + 1];
	const unsigned char *d;
	int i, len;

	buf[0] = '\0';
	if ((gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		one[0] = '\0';
		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			snprintf(one, sizeof(one), "%.*s", len,
			    (const char *)d);
		} else if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if (len == 4)
				inet_ntop(AF_INET, d, one, sizeof(one));
			else if (len == 16)
				inet_ntop(AF_INET6, d, one, sizeof(one));
		}
		if (one[0] == '\0')
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ", ", bufsz);
		strlcat(buf, one, bufsz);
	}
	GENERAL_NAMES_free(gens);
}

/*
 * The facts of the session into info: the leaf certificate even when the
 * chain check failed (the peer chain is kept before verification).
 */
static void
tls_fill_info(struct tls *t, int pinned, struct tls_info *info)
{
	STACK_OF(X509) *chain;
	X509 *cert;
	unsigned char pin[TLS_PIN_LEN];
	struct tm tm;
	const char *v;

	info->pinned = pinned;
	if (SSL_is_init_finished(t->ssl)) {
		strlcpy(info->protocol, SSL_get_version(t->ssl),
		    sizeof(info->protocol));
		if ((v = SSL_get_cipher_name(t->ssl)) != NULL)
			strlcpy(info->cipher, v, sizeof(info->cipher));
	}
	info->verify_code = SSL_get_verify_result(t->ssl);
	strlcpy(info->verify, X509_verify_cert_error_string(info->verify_code),
	    sizeof(info->verify));
	cert = SSL_get0_peer_certificate(t->ssl);
	if (cert == NULL && (chain = SSL_get_peer_cert_chain(t->ssl)) != NULL &&
	    sk_X509_num(chain) > 0)
		cert = sk_X509_value(chain, 0);
	if (cert == NULL)
		return;
	info->have_cert = 1;
	tls_name_text(X509_get_subject_name(cert), info->subject,
	    sizeof(info->subject));
	tls_name_text(X509_get_issuer_name(cert), info->issuer,
	    sizeof(info->issuer));
	tls_san_text(cert, info->names, sizeof(info->names));
	info->not_after = -1;
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		info->not_after = (long long)timegm(&tm);
	if (tls_cert_pin(cert, pin) == 0)
		tls_format_pin(info->pin, sizeof(info->pin), pin);
}

/*
 * A certificate that did not verify: the facts that tell what to
 * change, added to the text (the names it is for, who issued it).
 */
static void
tls_failed_facts(struct tls *t, int pinned, struct failure *f)
{
	struct tls_info in;
	char add[FAILURE_TEXT_MAX];

	memset(&in, 0, sizeof(in));
	tls_fill_info(t, pinned, &in);
	if (!in.have_cert)
		return;
	switch (in.verify_code) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		strlcpy(add, "; the certificate is for ", sizeof(add));
		strlcat(add, in.names[0] ? in.names : in.subject, sizeof(add));
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		strlcpy(add, "; issuer ", sizeof(add));
		strlcat(add, in.issuer, sizeof(add));
		break;
	default:
		return;
	}
	strlcat(f->text, add, sizeof(f->text));
}

/* After a failed handshake: plaintext from the server is named as such. */
static void
tls_failed(struct tls *t, int ret, int pinned, int timeout,
    struct tls_info *info, struct failure *f)
{
	char text[sizeof(info->first)];
	ssize_t n;

	if (tls_seen_plaintext(t)) {
		/* The rest of the greeting line, if it is there already. */
		n = recv(SSL_get_fd(t->ssl), t->seen + t->nseen,
		    sizeof(t->seen) - t->nseen, MSG_DONTWAIT);
		if (n > 0)
			t->nseen += (size_t)n;
		tls_seen_text(t, text, sizeof(text));
		if (info != NULL) {
			info->plaintext = 1;
			strlcpy(info->first, text, sizeof(info->first));
		}
		failure_set(f, F_CONFIG, "TLS: the server answered in "
		    "plaintext (\"%s\"): this port does not speak implicit TLS",
		    text);
		return;
	}
	tls_handshake_failed(t, ret, pinned, timeout, f);
	if (f->kind == F_TLS)
		tls_failed_facts(t, pinned, f);
}

struct tls *
tls_start_info(int fd, const char *servername, const char *ca_file,
    const char *fingerprint, int timeout, struct tls_info *info,
    struct failure *f)
{
	struct tls *t;
	struct tls_sigpipe sp;
	unsigned char want[TLS_PIN_LEN], got[TLS_PIN_LEN];
	char shown[8 + 3 * TLS_PIN_LEN];
	int pinned = fingerprint != NULL && *fingerprint != '\0';
	int ret;

	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->not_after = -1;
	}
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
	tls_watch_reads(t);
	tls_sigpipe_block(&sp);
	ret = tls_handshake(t, timeout);
	if (ret != 1)
		tls_failed(t, ret, pinned, timeout, info, f);
	tls_sigpipe_restore(&sp);
	if (info != NULL && !info->plaintext)
		tls_fill_info(t, pinned, info);
	BIO_set_callback_ex(SSL_get_rbio(t->ssl), NULL);
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
	if (info != NULL)
		info->verified = 1;
	return t;
}

struct tls *
tls_start(int fd, const char *servername, const char *ca_file,
    const char *fingerprint, int timeout, struct failure *f)
{
	return tls_start_info(fd, servername, ca_file, fingerprint, timeout,
	    NULL, f);
}

int
tls_probe(int fd, int timeout)
{
	struct tls *t;
	struct tls_sigpipe sp;
	struct failure ignore;
	int ret, rv;

	t = xcalloc(1, sizeof(*t));
	failure_clear(&ignore);
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (t->ssl = SSL_new(t->ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		tls_close(t);
		return -1;
	}
	SSL_set_verify(t->ssl, SSL_VERIFY_NONE, NULL);
	tls_watch_reads(t);
	tls_sigpipe_block(&sp);
	ret = tls_handshake(t, timeout);
	tls_sigpipe_restore(&sp);
	/* RFC 8446 5.1: a record starts with its type, 22 or 21 (alert). */
	if (t->nseen > 0)
		rv = t->seen[0] == 22 || t->seen[0] == 21;
	else if (ret != 1 && errno == EAGAIN)
		rv = -1;
	else
		rv = ret == 1;
	BIO_set_callback_ex(SSL_get_rbio(t->ssl), NULL);
	SSL_free(t->ssl);
	t->ssl = NULL;
	tls_close(t);
	return rv;
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
