/*
 * test_sasl.c — SASL encoders: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (the
 * RFC 2195 example), mechanism lists and the auto choice.
 */
#include <stdlib.h>
#include <string.h>

#include "sasl.h"
#include "tap.h"

static void
check(char *got, const char *want, const char *name)
{
	is_str(got, want, name);
	if (got != NULL)
		freezero(got, strlen(got) + 1);
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

	is_str(sasl_name(AUTH_CRAM_MD5), "CRAM-MD5", "name CRAM-MD5");
	is_int(sasl_offered("LOGIN PLAIN", AUTH_PLAIN), 1, "offered PLAIN");
	is_int(sasl_offered("login plain", AUTH_LOGIN), 1,
	    "offered: case-insensitive");
	is_int(sasl_offered("PLAINX LOGIN", AUTH_PLAIN), 0,
	    "offered: whole words only");
	is_int(sasl_offered("", AUTH_PLAIN), 0, "offered: empty list");
	is_int(sasl_offered(NULL, AUTH_PLAIN), 0, "offered: NULL list");

	is_int(sasl_choose("CRAM-MD5 LOGIN PLAIN", 1), AUTH_PLAIN,
	    "auto over TLS: PLAIN first");
	is_int(sasl_choose("CRAM-MD5 LOGIN", 1), AUTH_LOGIN,
	    "auto over TLS: then LOGIN");
	is_int(sasl_choose("CRAM-MD5 XOAUTH2", 1), AUTH_CRAM_MD5,
	    "auto over TLS: then CRAM-MD5");
	is_int(sasl_choose("GSSAPI NTLM", 1), AUTH_NONE,
	    "auto: nothing we know");
	is_int(sasl_choose("PLAIN LOGIN", 0), AUTH_NONE,
	    "auto without TLS: no password in the clear");
	is_int(sasl_choose("PLAIN CRAM-MD5", 0), AUTH_CRAM_MD5,
	    "auto without TLS: CRAM-MD5 only");
	return done_testing();
}
