/*
 * test_address.c — RFC 5322 address lists: good and bad.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "tap.h"

/*
 * Parses text and compares the result with want, a string of
 * "name|addr" entries separated by "\n" (name empty: none).
 */
static void
good(const char *text, const char *want)
{
	struct address_list l;
	struct failure f;
	char got[2048], label[256];
	size_t i, n = 0;
	int r;

	memset(&l, 0, sizeof(l));
	failure_clear(&f);
	r = address_parse_list(text, &l, &f);
	got[0] = '\0';
	for (i = 0; i < l.n; i++)
		n += snprintf(got + n, sizeof(got) - n, "%s%s|%s",
		    i ? "\n" : "", l.v[i].name ? l.v[i].name : "", l.v[i].addr);
	snprintf(label, sizeof(label), "parses: %s", text);
	ok(r == 0, label);
	if (r != 0)
		printf("#   error: %s\n", f.text);
	is_str(got, want, "  entries");
	address_list_free(&l);
}

static void
bad(const char *text, const char *want_text)
{
	struct address_list l;
	struct failure f;
	char label[256];
	size_t i;
	int r;

	memset(&l, 0, sizeof(l));
	failure_clear(&f);
	r = address_parse_list(text, &l, &f);
	snprintf(label, sizeof(label), "refused: %s", text);
	for (i = 0; label[i] != '\0'; i++)
		if (label[i] == '\r' || label[i] == '\n')
			label[i] = '?';
	ok(r == -1 && f.kind == F_DATA, label);
	if (want_text != NULL)
		is_str(f.text, want_text, "  message");
	address_list_free(&l);
}

/* A failed parse leaves the list as it was (nothing half-added to leak). */
static void
bad_keeps_list(void)
{
	struct address_list l;
	struct failure f;

	memset(&l, 0, sizeof(l));
	address_list_add(&l, NULL, "first@x.example");
	ok(address_parse_list("a@x.example, B <b@y.example>, <bad", &l,
	    &f) == -1, "a bad third address fails the list");
	is_int(l.n, 1, "  the two good ones are not left in the list");
	is_str(l.n > 0 ? l.v[0].addr : NULL, "first@x.example",
	    "  what was there stays");
	address_list_free(&l);
	/* From empty, nothing at all is left: not even the array. */
	ok(address_parse_list("a@x.example, <bad", &l, &f) == -1 &&
	    l.n == 0 && l.v == NULL && l.cap == 0,
	    "a failed parse into an empty list leaves it empty");
}

int
main(void)
{
	struct address_list l;

	good("alice@example.org", "|alice@example.org");
	good("Alice Example <alice@example.org>",
	    "Alice Example|alice@example.org");
	good("<bob@example.org>", "|bob@example.org");
	good("\"Last, First\" <c@z.example>", "Last, First|c@z.example");
	good("\"Quote \\\"me\\\" \\\\ now\" <q@x.example>",
	    "Quote \"me\" \\ now|q@x.example");
	good("A <a@x.example>, b@y.example , \"Last, First\" <c@z.example>",
	    "A|a@x.example\n|b@y.example\nLast, First|c@z.example");
	good("team: a@x.example, Bee <b@y.example>;, c@z.example",
	    "|a@x.example\nBee|b@y.example\n|c@z.example");
	good("undisclosed-recipients:;", "");
	good("a@x.example (Alice), (comment) Bob (the builder) <b@y.example>",
	    "|a@x.example\nBob|b@y.example");
	good("root", "|root");
	good("root, postmaster", "|root\n|postmaster");
	good(",, a@x.example ,,", "|a@x.example");
	good("", "");
	good("张三 <zhang@例子.中国>", "张三|zhang@例子.中国");
	good("Jürgen   Müller <j@x.example>", "Jürgen Müller|j@x.example");
	good("\"john doe\"@x.example", "|\"john doe\"@x.example");
	good("J. R. R. Tolkien <jrr@x.example>",
	    "J. R. R. Tolkien|jrr@x.example");
	good("a+tag@sub.x.example; b@y.example",
	    "|a+tag@sub.x.example\n|b@y.example");
	good("x@[192.0.2.1]", "|x@[192.0.2.1]");
	good("Mixed \"Quoted\" Name <m@x.example>",
	    "Mixed Quoted Name|m@x.example");

	bad("a@", "invalid address \"a@\": missing domain");
	bad("@b", "invalid address \"@b\": missing local part");
	bad("a@@b", "invalid address \"a@@b\": more than one \"@\"");
	bad("ok@x.example, a@", "invalid address \"a@\": missing domain");
	bad("john doe@x.example",
	    "invalid address \"john doe@x.example\": white space inside the "
	    "address");
	bad("\"Alice <a@x.example>", NULL);
	bad("Alice <a@x.example", NULL);
	bad("Alice a@x.example>", NULL);
	bad("Alice <a@x.example> junk", NULL);
	bad("Alice <<a@x.example>>", NULL);
	bad("a@x.example\r\nBcc: evil@x.example", NULL);
	bad("a@x.example\n", NULL);
	bad("Alice <>", NULL);
	bad("(unclosed a@x.example", NULL);
	bad("a@x..example", NULL);
	bad("a@x.example.", NULL);
	bad("a: b: c@x.example;;", NULL);
	bad("Alice <a b@x.example>", NULL);
	bad("x@y.example:z",
	    "invalid address \"x@y.example:z\": unexpected \":\"");

	ok(address_valid("a@x.example"), "valid: plain");
	ok(address_valid("\"a b\"@x.example"), "valid: quoted local part");
	ok(address_valid("δοκιμή@παράδειγμα.δοκιμή"),
	    "valid: UTF-8");
	ok(!address_valid("root"), "not valid: no domain");
	ok(!address_valid("a@x example"), "not valid: space");
	ok(!address_valid("<a@x.example>"), "not valid: brackets");
	ok(!address_valid("a@x\r.example"), "not valid: CR");
	ok(!address_valid(""), "not valid: empty");
	ok(address_has_domain("a@x.example"), "has domain");
	ok(!address_has_domain("root"), "no domain");
	ok(!address_has_domain("a@"), "empty domain");
	ok(address_is_8bit("zhang@例子.中国"), "8bit");
	ok(!address_is_8bit("a@x.example"), "not 8bit");
	is_str(address_domain("\"a@b\"@x.example"), "x.example",
	    "domain after the last @");
	ok(address_domain("root") == NULL, "no domain: NULL");

	memset(&l, 0, sizeof(l));
	address_list_add(&l, NULL, "a@x.example");
	address_list_add(&l, "B", "b@x.example");
	ok(l.n == 2 && l.v[0].name == NULL && strcmp(l.v[1].name, "B") == 0,
	    "address_list_add");
	address_list_free(&l);
	ok(l.n == 0 && l.v == NULL, "address_list_free resets");
	bad_keeps_list();
	return done_testing();
}
