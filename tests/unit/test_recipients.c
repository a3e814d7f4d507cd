/*
 * test_recipients.c — recipients_expand() through an aliases-file (LF and
 * CRLF line ends), a bad address after good ones (no leak under ASan),
 * and recipients_unique() (first of each kept, order kept, any case).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipients.h"
#include "tap.h"

/* Writes text to a new temporary file; returns its path (static). */
static const char *
aliases_file(const char *text)
{
	static char path[] = "/tmp/test_recipients.XXXXXX";
	FILE *fp;
	int fd;

	strlcpy(path, "/tmp/test_recipients.XXXXXX", sizeof(path));
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		perror("mkstemp");
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* Expands text with the aliases-file holding file_text; "a, b" or NULL. */
static char *
expand(const char *file_text, const char *text, struct failure *f)
{
	struct config cfg;
	struct settings s;
	struct address_list out = { 0 };
	char *joined = NULL, *t;
	const char *path = aliases_file(file_text);
	size_t i;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	memset(&s, 0, sizeof(s));
	s.aliases_file = path;
	rc = recipients_expand(&cfg, &s, text, &out, f);
	unlink(path);
	for (i = 0; rc == 0 && i < out.n; i++) {
		if (asprintf(&t, "%s%s%s", joined ? joined : "",
		    joined ? ", " : "", out.v[i].addr) == -1)
			exit(1);
		free(joined);
		joined = t;
	}
	address_list_free(&out);
	return joined;
}

static void
test_aliases_file(void)
{
	struct failure f;
	char *r;

	r = expand("# team\nops: a@example.org,\n  b@example.org\n", "ops", &f);
	is_str(r, "a@example.org, b@example.org", "LF aliases file");
	free(r);
	r = expand("# team\r\nops: a@example.org,\r\n  b@example.org\r\n"
	    "dev: c@example.org\r\n", "ops, dev", &f);
	is_str(r, "a@example.org, b@example.org, c@example.org",
	    "CRLF aliases file");
	free(r);
}

static void
test_bad_after_good(void)
{
	struct failure f;
	char *r;

	/* ASan's leak check (make sanitize) sees the parsed list freed. */
	r = expand("", "a@example.org, b@example.org, <bad", &f);
	ok(r == NULL && f.kind == F_DATA, "a bad address fails the list");
	free(r);
}

static void
test_unique(void)
{
	struct address_list l = { 0 };
	const char *in[] = { "a@x.org", "B@x.org", "c@x.org", "b@X.org",
	    "A@x.org", "d@x.org", "c@x.org" };
	const char *want[] = { "a@x.org", "B@x.org", "c@x.org", "d@x.org" };
	size_t i;
	int same;
	char name[64];

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		address_list_add(&l, i == 1 ? "Bee" : NULL, in[i]);
	recipients_unique(&l);
	is_int(l.n, 4, "four distinct addresses");
	same = l.n == 4;
	for (i = 0; same && i < 4; i++)
		same = strcmp(l.v[i].addr, want[i]) == 0;
	ok(same, "the first of each, in order");
	is_str(l.n > 1 ? l.v[1].name : NULL, "Bee", "its name kept");
	address_list_free(&l);

	/* Many: every tenth repeats an earlier one. */
	for (i = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "u%zu@example.net",
		    i % 10 == 9 ? i - 5 : i);
		address_list_add(&l, NULL, name);
	}
	recipients_unique(&l);
	is_int(l.n, 45000, "50000 with 5000 repeats: 45000 kept");
	is_str(l.v[l.n - 1].addr, "u49998@example.net", "last one in place");
	address_list_free(&l);
}

int
main(void)
{
	test_aliases_file();
	test_bad_after_good();
	test_unique();
	return done_testing();
}
