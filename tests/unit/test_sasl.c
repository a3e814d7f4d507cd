/*
 * test_sasl.c — SASL encoders: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (the
 * RFC 2195 example), SCRAM-SHA-256 (the RFC 7677 example), XOAUTH2,
 * OAUTHBEARER (RFC 7628), mechanism lists and the auto choice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "failure.h"
#include "sasl.h"
#include "tap.h"
#include "xmalloc.h"

/* RFC 7677 section 3. */
#define R7677_NONCE "rOprNGfwEbeRWgbNEkqO"
#define R7677_SFIRST "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," \
	"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define R7677_CFINAL "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)" \
	"hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define R7677_SFINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void
check(char *got, const char *want, const char *name)
{
	is_str(got, want, name);
	if (got != NULL)
		freezero(got, strlen(got) + 1);
}

/* Base64 of a C string; the caller frees. */
static char *
b64(const char *text)
{
	return encode_base64_buf(text, strlen(text));
}

/* Compares the decoded base64 got with want (raw bytes, wantlen). */
static void
check_raw(char *got, const char *want, size_t wantlen, const char *name)
{
	unsigned char *raw = NULL;
	size_t len = 0;

	if (got != NULL)
		raw = encode_base64_decode(got, strlen(got), &len);
	ok(raw != NULL && len == wantlen && memcmp(raw, want, len) == 0,
	    name);
	if (raw != NULL)
		freezero(raw, len + 1);
	if (got != NULL)
		freezero(got, strlen(got) + 1);
}

/* SCRAM up to the client-final, with server-first sfirst (raw). */
static char *
scram_to_final(struct sasl_scram *sc, const char *user, const char *pass,
    const char *sfirst)
{
	char *first, *sf, *fin;

	sasl_scram_init(sc);
	first = sasl_scram_first(sc, user, R7677_NONCE);
	free(first);
	sf = b64(sfirst);
	fin = sasl_scram_final(sc, pass, sf);
	free(sf);
	return fin;
}

static void
test_scram(void)
{
	struct sasl_scram sc;
	char *first, *fin, *v, name[64];
	size_t i;
	int good;
	static const char *const bad_first[] = {
		/* nonce not ours */
		"r=XOprNGfwEbeRWgbNEkqO%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		/* nonce not extended */
		"r=" R7677_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		/* iteration count too low, too high, not a number */
		"r=" R7677_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1",
		"r=" R7677_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100000000",
		"r=" R7677_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4k",
		/* mandatory extension, fields out of order, empty salt */
		"m=x,r=" R7677_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" R7677_NONCE "x,i=4096",
		"r=" R7677_NONCE "x,s=,i=4096",
		"r=" R7677_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==",
	};

	/* RFC 7677 section 3. */
	sasl_scram_init(&sc);
	check_raw(sasl_scram_first(&sc, "user", R7677_NONCE),
	    "n,,n=user,r=" R7677_NONCE, 12 + strlen(R7677_NONCE),
	    "SCRAM: RFC 7677 client-first");
	v = b64(R7677_SFIRST);
	fin = sasl_scram_final(&sc, "pencil", v);
	free(v);
	check_raw(fin, R7677_CFINAL, strlen(R7677_CFINAL),
	    "SCRAM: RFC 7677 client-final");
	v = b64(R7677_SFINAL);
	is_int(sasl_scram_verify(&sc, v), 0, "SCRAM: RFC 7677 server-final");
	free(v);
	sasl_scram_clear(&sc);

	/* A server that does not know the password is refused. */
	fin = scram_to_final(&sc, "user", "pencil", R7677_SFIRST);
	free(fin);
	v = b64("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=");
	is_int(sasl_scram_verify(&sc, v), -1, "SCRAM: wrong v= refused");
	free(v);
	v = b64("v=AAAA");
	is_int(sasl_scram_verify(&sc, v), -1, "SCRAM: short v= refused");
	free(v);
	v = b64("e=invalid-proof");
	is_int(sasl_scram_verify(&sc, v), -1, "SCRAM: e= is a failure");
	is_str(sc.error, "invalid-proof", "SCRAM: e= value kept");
	free(v);
	is_int(sasl_scram_verify(&sc, "!!"), -1, "SCRAM: bad base64 v=");
	sasl_scram_clear(&sc);

	/* The wrong password gives another proof: the server says no. */
	fin = scram_to_final(&sc, "user", "pencil2", R7677_SFIRST);
	ok(fin != NULL, "SCRAM: final with another password");
	v = b64(R7677_SFINAL);
	is_int(sasl_scram_verify(&sc, v), -1,
	    "SCRAM: v= for another password refused");
	free(v);
	if (fin != NULL)
		freezero(fin, strlen(fin) + 1);
	sasl_scram_clear(&sc);

	for (i = 0; i < sizeof(bad_first) / sizeof(bad_first[0]); i++) {
		fin = scram_to_final(&sc, "user", "pencil", bad_first[i]);
		snprintf(name, sizeof(name), "SCRAM: bad server-first %zu "
		    "refused", i);
		ok(fin == NULL, name);
		free(fin);
		v = b64(R7677_SFINAL);
		snprintf(name, sizeof(name), "SCRAM: no verify after bad "
		    "server-first %zu", i);
		is_int(sasl_scram_verify(&sc, v), -1, name);
		free(v);
		sasl_scram_clear(&sc);
	}
	sasl_scram_init(&sc);
	is_int(sasl_scram_verify(&sc, "dj0="), -1,
	    "SCRAM: verify before final");

	/* RFC 5802 5.1: "=" and "," escaped in the user name. */
	check_raw(sasl_scram_first(&sc, "a=b,c", "abc"),
	    "n,,n=a=3Db=2Cc,r=abc", 20, "SCRAM: saslname escapes");
	ok(sasl_scram_first(&sc, "u", "a,b") == NULL, "SCRAM: nonce with ,");
	ok(sasl_scram_first(&sc, "", "abc") == NULL, "SCRAM: empty user");
	sasl_scram_clear(&sc);

	/* A random nonce: 24 base64 characters, new each time. */
	first = sasl_scram_first(&sc, "user", NULL);
	good = first != NULL && strlen(sc.nonce) == 24 &&
	    strspn(sc.nonce, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	    "vwxyz0123456789+/") == 24;
	ok(good, "SCRAM: random nonce is 24 printable characters");
	v = xstrdup(sc.nonce);
	free(first);
	first = sasl_scram_first(&sc, "user", NULL);
	ok(strcmp(v, sc.nonce) != 0, "SCRAM: a new nonce each time");
	free(v);
	free(first);
	sasl_scram_clear(&sc);
	ok(sc.client_first_bare == NULL && sc.nonce[0] == '\0' &&
	    !sc.have_sig, "SCRAM: clear wipes the state");
}

static void
test_oauth(void)
{
	static const char xo[] = "user=someuser@example.com\1auth=Bearer "
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\1\1";
	static const char ob[] = "n,a=user@example.com,\1host=server.example"
	    ".com\1port=143\1auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEu"
	    "Y29tCg==\1\1";
	static const char obesc[] = "n,a=a=3Db=2Cc,\1host=h\1port=587\1"
	    "auth=Bearer t\1\1";

	/* Google's XOAUTH2 documentation example. */
	check_raw(sasl_xoauth2("someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"), xo,
	    sizeof(xo) - 1, "XOAUTH2: initial response");
	check(sasl_xoauth2("someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
	    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRm"
	    "dDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
	    "XOAUTH2: Google's example, base64");
	ok(sasl_xoauth2("u", "tok\1en") == NULL, "XOAUTH2: control in token");
	ok(sasl_xoauth2(NULL, "t") == NULL, "XOAUTH2: no user");

	/* RFC 7628 section 4.1. */
	check_raw(sasl_oauthbearer("user@example.com", "server.example.com",
	    "143", "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg=="), ob,
	    sizeof(ob) - 1, "OAUTHBEARER: RFC 7628 example");
	check_raw(sasl_oauthbearer("a=b,c", "h", "587", "t"), obesc,
	    sizeof(obesc) - 1, "OAUTHBEARER: a= escaped");
	ok(sasl_oauthbearer("u", "h", "587", "a\nb") == NULL,
	    "OAUTHBEARER: control in token");
	ok(sasl_oauthbearer("u", NULL, "587", "t") == NULL,
	    "OAUTHBEARER: no host");
}

/*
 * The step API, as smtp.c and pop3 drive it.
 */

/* Decodes base64 got (NULL: fails) and compares it with want. */
static int
raw_is(const char *got, const char *want)
{
	unsigned char *raw;
	size_t len;
	int same;

	if (got == NULL ||
	    (raw = encode_base64_decode(got, strlen(got), &len)) == NULL)
		return 0;
	same = len == strlen(want) && memcmp(raw, want, len) == 0;
	freezero(raw, len + 1);
	return same;
}

static void
wipe(char **s)
{
	if (*s != NULL)
		freezero(*s, strlen(*s) + 1);
	*s = NULL;
}

static void
test_step_simple(void)
{
	struct sasl_creds cr = { "tim", "tanstaaftanstaaf", "h", "587" };
	struct sasl_exchange *x;
	struct failure f;
	char *ir, *resp, *chal;
	int cancel;

	failure_clear(&f);
	x = sasl_start(SASL_PLAIN, &cr, &ir, &f);
	ok(x != NULL, "step PLAIN: started");
	is_str(ir, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "step PLAIN: initial");
	wipe(&ir);
	is_int(sasl_step(x, "", &resp, &cancel, &f), -1,
	    "step PLAIN: no challenge due");
	is_int(f.kind, F_PROTO, "step PLAIN: F_PROTO");
	ok(resp == NULL && !cancel, "step PLAIN: no answer, no cancel");
	is_int(sasl_finish(x, NULL, &f), 0, "step PLAIN: finish");
	sasl_end(x);

	x = sasl_start(SASL_LOGIN, &cr, &ir, &f);
	is_str(ir, "dGlt", "step LOGIN: initial is the user");
	wipe(&ir);
	is_int(sasl_step(x, "UGFzc3dvcmQ6", &resp, &cancel, &f), 0,
	    "step LOGIN: Password: answered");
	is_str(resp, "dGFuc3RhYWZ0YW5zdGFhZg==", "step LOGIN: the password");
	wipe(&resp);
	sasl_step(x, "", &resp, &cancel, &f);
	wipe(&resp);
	sasl_step(x, "", &resp, &cancel, &f);
	wipe(&resp);
	is_int(sasl_step(x, "", &resp, &cancel, &f), -1,
	    "step LOGIN: a fourth challenge is too many");
	is_int(f.kind, F_PROTO, "step LOGIN: too many: F_PROTO");
	sasl_end(x);

	/* RFC 2195 section 2. */
	x = sasl_start(SASL_CRAM_MD5, &cr, &ir, &f);
	ok(x != NULL && ir == NULL, "step CRAM-MD5: the server speaks first");
	chal = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
	is_int(sasl_step(x, chal, &resp, &cancel, &f), 0,
	    "step CRAM-MD5: challenge answered");
	is_str(resp, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
	    "step CRAM-MD5: RFC 2195 response");
	ok(!cancel, "step CRAM-MD5: no cancel");
	wipe(&resp);
	sasl_end(x);

	x = sasl_start(SASL_CRAM_MD5, &cr, &ir, &f);
	is_int(sasl_step(x, "!!!not base64", &resp, &cancel, &f), 0,
	    "step CRAM-MD5: bad challenge, the server has the last word");
	ok(resp == NULL && cancel, "step CRAM-MD5: bad challenge cancels");
	sasl_end(x);

	x = sasl_start(SASL_XOAUTH2, &cr, &ir, &f);
	ok(ir != NULL, "step XOAUTH2: initial");
	wipe(&ir);
	is_int(sasl_step(x, "eyJzdGF0dXMiOiI0MDEifQ==", &resp, &cancel, &f),
	    0, "step XOAUTH2: error challenge");
	is_str(resp, "", "step XOAUTH2: empty answer");
	wipe(&resp);
	sasl_step(x, "", &resp, &cancel, &f);
	ok(resp == NULL && cancel, "step XOAUTH2: then cancel");
	sasl_end(x);

	x = sasl_start(SASL_OAUTHBEARER, &cr, &ir, &f);
	wipe(&ir);
	sasl_step(x, "e30=", &resp, &cancel, &f);
	is_str(resp, "AQ==", "step OAUTHBEARER: %x01 ends a failure");
	wipe(&resp);
	sasl_end(x);

	cr.user = "a\1b";
	ok(sasl_start(SASL_XOAUTH2, &cr, &ir, &f) == NULL && ir == NULL,
	    "step XOAUTH2: control character refused");
	is_int(f.kind, F_CONFIG, "step XOAUTH2: F_CONFIG");
	ok(sasl_start(SASL_NONE, &cr, &ir, &f) == NULL, "step: no mechanism");
	is_int(f.kind, F_INTERNAL, "step: no mechanism: F_INTERNAL");
	sasl_end(NULL);
}

/* SCRAM-SHA-256 up to the client-final through the step API. */
static struct sasl_exchange *
step_scram(const char *pass, char **fin, struct failure *f)
{
	struct sasl_creds cr = { "user", NULL, NULL, NULL };
	struct sasl_exchange *x;
	char *ir, *sf;
	int cancel;

	cr.secret = pass;
	x = sasl_start_nonce(SASL_SCRAM_SHA_256, &cr, R7677_NONCE, &ir, f);
	ok(raw_is(ir, "n,,n=user,r=" R7677_NONCE), "step SCRAM: client-first");
	wipe(&ir);
	sf = b64(R7677_SFIRST);
	is_int(sasl_step(x, sf, fin, &cancel, f), 0,
	    "step SCRAM: server-first answered");
	free(sf);
	return x;
}

static void
test_step_scram(void)
{
	struct sasl_exchange *x;
	struct failure f;
	char *fin, *v, *resp;
	int cancel;

	failure_clear(&f);
	/* RFC 7677 section 3, the server proving itself in a challenge. */
	x = step_scram("pencil", &fin, &f);
	ok(raw_is(fin, R7677_CFINAL), "step SCRAM: RFC 7677 client-final");
	wipe(&fin);
	v = b64(R7677_SFINAL);
	is_int(sasl_step(x, v, &resp, &cancel, &f), 0,
	    "step SCRAM: RFC 7677 server-final verified");
	is_str(resp, "", "step SCRAM: empty answer to server-final");
	wipe(&resp);
	is_int(sasl_finish(x, NULL, &f), 0, "step SCRAM: finish content");
	sasl_end(x);

	/* The signature in the success data instead. */
	x = step_scram("pencil", &fin, &f);
	wipe(&fin);
	is_int(sasl_finish(x, v, &f), 0, "step SCRAM: v= with the success");
	sasl_end(x);

	/* Success without a signature: the server proved nothing. */
	x = step_scram("pencil", &fin, &f);
	wipe(&fin);
	is_int(sasl_finish(x, "2.7.0 Authentication successful", &f), -1,
	    "step SCRAM: success without v= refused");
	is_int(f.kind, F_AUTH, "step SCRAM: no v=: F_AUTH");
	ok(strstr(f.text, "without proving it knows the password") != NULL,
	    "step SCRAM: no v=: text");
	sasl_end(x);
	free(v);

	/* A server that does not know the password: cancel, F_AUTH. */
	x = step_scram("pencil2", &fin, &f);
	wipe(&fin);
	v = b64(R7677_SFINAL);
	is_int(sasl_step(x, v, &resp, &cancel, &f), -1,
	    "step SCRAM: wrong signature refused");
	ok(resp == NULL && cancel, "step SCRAM: wrong signature cancels");
	is_int(f.kind, F_AUTH, "step SCRAM: wrong signature: F_AUTH");
	is_str(f.text, "the server's SCRAM signature is wrong: it does not "
	    "know the password", "step SCRAM: wrong signature: text");
	free(v);
	sasl_end(x);

	x = step_scram("pencil", &fin, &f);
	wipe(&fin);
	v = b64("e=invalid-proof");
	is_int(sasl_step(x, v, &resp, &cancel, &f), -1, "step SCRAM: e=");
	is_str(f.text, "the server reported a SCRAM error: e=invalid-proof",
	    "step SCRAM: e= in the text");
	ok(cancel, "step SCRAM: e= cancels");
	free(v);
	sasl_end(x);

	/* A server-first whose nonce is not ours: cancel before any proof. */
	{
		struct sasl_creds cr = { "user", "pencil", NULL, NULL };
		char *ir;

		x = sasl_start_nonce(SASL_SCRAM_SHA_256, &cr, R7677_NONCE, &ir,
		    &f);
		wipe(&ir);
		v = b64("r=XOprNGfwEbeRWgbNEkqO%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
		    "i=4096");
		is_int(sasl_step(x, v, &resp, &cancel, &f), -1,
		    "step SCRAM: bad challenge refused");
		ok(resp == NULL && cancel, "step SCRAM: bad challenge cancels");
		is_int(f.kind, F_AUTH, "step SCRAM: bad challenge: F_AUTH");
		free(v);
		sasl_end(x);
	}
}

int
main(void)
{
	char longname[300];

	check(sasl_plain("tim", "tanstaaftanstaaf"),
	    "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "PLAIN: tim");
	check(sasl_plain("user@example.org", "p\xc3\xa4ss word"),
	    "AHVzZXJAZXhhbXBsZS5vcmcAcMOkc3Mgd29yZA==",
	    "PLAIN: UTF-8 password");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ok(sasl_plain(longname, "x") == NULL, "PLAIN: authcid over 255 octets");
	ok(sasl_plain(NULL, "x") == NULL, "PLAIN: no user");

	check(sasl_login("tim"), "dGlt", "LOGIN: user");
	check(sasl_login("tanstaaftanstaaf"), "dGFuc3RhYWZ0YW5zdGFhZg==",
	    "LOGIN: password");

	/* RFC 2195 section 2. */
	check(sasl_cram_md5("tim", "tanstaaftanstaaf",
	    "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"),
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
	    "CRAM-MD5: RFC 2195 example");
	ok(sasl_cram_md5("tim", "x", "!!!not base64") == NULL,
	    "CRAM-MD5: bad challenge");
	ok(sasl_cram_md5("tim", "x", "") == NULL, "CRAM-MD5: empty challenge");

	test_scram();
	test_oauth();
	test_step_simple();
	test_step_scram();

	is_str(sasl_mech_name(SASL_CRAM_MD5), "CRAM-MD5", "name CRAM-MD5");
	is_int(sasl_mech_offered("LOGIN PLAIN", SASL_PLAIN), 1, "offered PLAIN");
	is_int(sasl_mech_offered("login plain", SASL_LOGIN), 1,
	    "offered: case-insensitive");
	is_int(sasl_mech_offered("PLAINX LOGIN", SASL_PLAIN), 0,
	    "offered: whole words only");
	is_int(sasl_mech_offered("", SASL_PLAIN), 0, "offered: empty list");
	is_int(sasl_mech_offered(NULL, SASL_PLAIN), 0, "offered: NULL list");

	is_int(sasl_mech_choose("CRAM-MD5 LOGIN PLAIN SCRAM-SHA-256", 1),
	    SASL_SCRAM_SHA_256, "auto over TLS: SCRAM-SHA-256 first");
	is_int(sasl_mech_choose("SCRAM-SHA-1 CRAM-MD5 LOGIN PLAIN", 1), SASL_PLAIN,
	    "auto over TLS: then PLAIN");
	is_int(sasl_mech_choose("CRAM-MD5 LOGIN", 1), SASL_LOGIN,
	    "auto over TLS: then LOGIN");
	is_int(sasl_mech_choose("CRAM-MD5 XOAUTH2", 1), SASL_CRAM_MD5,
	    "auto over TLS: then CRAM-MD5");
	is_int(sasl_mech_choose("GSSAPI NTLM", 1), SASL_NONE,
	    "auto: nothing we know");
	is_int(sasl_mech_choose("XOAUTH2 OAUTHBEARER", 1), SASL_NONE,
	    "auto: never an OAuth mechanism (token, not password)");
	is_int(sasl_mech_choose("PLAIN SCRAM-SHA-256", 0), SASL_SCRAM_SHA_256,
	    "auto without TLS: SCRAM-SHA-256");
	is_int(sasl_mech_choose("PLAIN LOGIN", 0), SASL_NONE,
	    "auto without TLS: no password in the clear");
	is_int(sasl_mech_choose("PLAIN CRAM-MD5", 0), SASL_CRAM_MD5,
	    "auto without TLS: CRAM-MD5 only");
	return done_testing();
}
