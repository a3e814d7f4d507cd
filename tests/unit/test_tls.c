/*
 * test_tls.c — tls_start() and tls_read() against an in-process TLS 1.2
 * server (a forked child over socketpair(2)) with a key made here and
 * pinned by tls-fingerprint: the handshake works, and a renegotiation the
 * server asks for is refused, so no second, unchecked key can come in.
 * And the context kept between connections: each connection is verified
 * against its own trust, whatever was made or prepared before.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net.h"
#include "tls.h"
#include "tap.h"

/* The server's verdicts, as its exit status. */
#define SRV_REFUSED	0	/* the client declined to renegotiate */
#define SRV_RENEGOTIATED 1	/* a second handshake completed */
#define SRV_BROKEN	2	/* the test itself failed */

/* ClientHellos the server received (counted in its info callback). */
static int hellos;

/*
 * After a second handshake, ends the server's side of the stream, so a
 * client that renegotiated reads end of file at once instead of waiting.
 */
static void
on_info(const SSL *ssl, int where, int ret)
{
	(void)ret;
	if ((where & SSL_CB_ACCEPT_LOOP) &&
	    SSL_get_state(ssl) == TLS_ST_SR_CLNT_HELLO)
		hellos++;
	/* (Sending the HelloRequest counts as a handshake "done" too.) */
	if ((where & SSL_CB_HANDSHAKE_DONE) && hellos == 2)
		shutdown(SSL_get_fd(ssl), SHUT_WR);
}

/* A self-signed P-256 certificate for key. */
static X509 *
make_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (x == NULL)
		return NULL;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* "sha256:AA:BB:..." of key's SubjectPublicKeyInfo. */
static void
pin_of(EVP_PKEY *key, char *buf, size_t bufsz)
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0, i;
	int len;
	size_t off;

	len = i2d_PUBKEY(key, &der);
	EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	off = (size_t)snprintf(buf, bufsz, "sha256:");
	for (i = 0; i < mdlen && off + 3 < bufsz; i++)
		off += (size_t)snprintf(buf + off, bufsz - off, "%s%02X",
		    i ? ":" : "", md[i]);
}

/*
 * The server: TLS 1.2 only; says "hello", asks for a renegotiation
 * (HelloRequest), then reads.  A client that refuses sends the
 * no_renegotiation alert, which OpenSSL's server turns into a failed
 * read; one that complies completes a second handshake first.
 */
static int __attribute__((noreturn))
serve(int fd, EVP_PKEY *key, X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL *ssl;
	char buf[64];
	int n;

	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		_exit(SRV_BROKEN);
	SSL_CTX_set_info_callback(ctx, on_info);
	if (SSL_accept(ssl) != 1 || SSL_write(ssl, "hello\n", 6) != 6)
		_exit(SRV_BROKEN);
	if (SSL_renegotiate(ssl) != 1 || SSL_do_handshake(ssl) != 1)
		_exit(SRV_BROKEN);
	n = SSL_read(ssl, buf, sizeof(buf));
	if (hellos >= 2)
		_exit(SRV_RENEGOTIATED);
	_exit(n <= 0 && SSL_renegotiate_pending(ssl) ? SRV_REFUSED :
	    SRV_BROKEN);
}

static void
test_renegotiation_refused(void)
{
	struct failure f;
	struct tls *t;
	EVP_PKEY *key;
	X509 *cert;
	char pin[128], buf[64];
	ssize_t n;
	pid_t pid;
	int sv[2], status = -1;

	key = EVP_EC_gen("P-256");
	cert = key != NULL ? make_cert(key) : NULL;
	if (cert == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		ok(0, "test key, certificate and socket pair");
		return;
	}
	pin_of(key, pin, sizeof(pin));
	if ((pid = fork()) == 0) {
		close(sv[0]);
		serve(sv[1], key, cert);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	t = tls_start(sv[0], "localhost", NULL, pin, 10, &f);
	ok(t != NULL, "pinned TLS 1.2 handshake");
	if (t == NULL) {
		printf("#   %s\n", f.text);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	n = tls_read(t, buf, sizeof(buf), net_deadline(10), &f);
	is_mem(buf, (size_t)(n > 0 ? n : 0), "hello\n", 6, "data before");
	/* Reading now meets the HelloRequest. */
	n = tls_read(t, buf, sizeof(buf), net_deadline(10), &f);
	ok(n == -1, "the connection fails instead of renegotiating");
	tls_close(t);
	close(sv[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		kill(pid, SIGKILL);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, SRV_REFUSED,
	    "the server saw the renegotiation refused");
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* The server for one connection: a handshake, "hi", the end. */
static int __attribute__((noreturn))
serve_once(int fd, EVP_PKEY *key, X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL *ssl;

	if (ctx == NULL || SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		_exit(SRV_BROKEN);
	if (SSL_accept(ssl) == 1) {
		SSL_write(ssl, "hi\n", 3);
		SSL_shutdown(ssl);
	}
	_exit(0);
}

/* One connection to a fresh serve_once(): whether the client verified. */
static int
connect_with(EVP_PKEY *key, X509 *cert, const char *ca_file,
    const char *pin)
{
	struct failure f;
	struct tls *t;
	pid_t pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		serve_once(sv[1], key, cert);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	failure_clear(&f);
	t = tls_start(sv[0], "localhost", ca_file, pin, 10, &f);
	tls_close(t);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return t != NULL;
}

static int
write_pem(const char *path, X509 *cert)
{
	FILE *fp = fopen(path, "w");
	int rc;

	if (fp == NULL)
		return -1;
	rc = PEM_write_X509(fp, cert) == 1 ? 0 : -1;
	return fclose(fp) == 0 ? rc : -1;
}

static void
test_context_per_trust(void)
{
	char dir[] = "/tmp/test_tls.XXXXXX", good[64], other[64], pin[128];
	EVP_PKEY *key, *key2;
	X509 *cert, *cert2;

	key = EVP_EC_gen("P-256");
	key2 = EVP_EC_gen("P-256");
	cert = key != NULL ? make_cert(key) : NULL;
	cert2 = key2 != NULL ? make_cert(key2) : NULL;
	if (cert == NULL || cert2 == NULL || mkdtemp(dir) == NULL) {
		ok(0, "test keys, certificates and directory");
		return;
	}
	snprintf(good, sizeof(good), "%s/good.pem", dir);
	snprintf(other, sizeof(other), "%s/other.pem", dir);
	pin_of(key, pin, sizeof(pin));
	if (write_pem(good, cert) == -1 || write_pem(other, cert2) == -1) {
		ok(0, "CA files written");
		return;
	}
	is_int(connect_with(key, cert, good, NULL), 1,
	    "the server's own certificate as the CA file: verified");
	is_int(connect_with(key, cert, other, NULL), 0,
	    "another CA file next: refused, not verified by the first");
	is_int(connect_with(key, cert, good, NULL), 1,
	    "the first CA file again: verified");
	is_int(connect_with(key, cert, NULL, pin), 1,
	    "the pin next: accepted without a CA");
	tls_prepare(other, NULL);
	is_int(connect_with(key, cert, good, NULL), 1,
	    "after another CA file was prepared: verified by its own");
	tls_prepare(good, NULL);
	is_int(connect_with(key, cert, other, NULL), 0,
	    "after the right CA file was prepared: still refused by another");
	unlink(good);
	unlink(other);
	rmdir(dir);
	X509_free(cert);
	X509_free(cert2);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_renegotiation_refused();
	test_context_per_trust();
	return done_testing();
}
