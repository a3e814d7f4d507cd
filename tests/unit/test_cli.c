/* test_cli.c — the mailx personality's command line. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tap.h"

static int
parse(struct options *o, struct failure *f, int argc, ...)
{
	static char *argv[32];
	va_list ap;
	int i;

	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	argv[argc] = NULL;
	va_end(ap);
	failure_clear(f);
	return cli_parse(argc, argv, o, f);
}

int
main(void)
{
	struct options o;
	struct failure f;

	is_int(parse(&o, &f, 9, "outbox", "-s", "hi", "-c", "a@x", "--cc=b@y",
	    "-a", "f.txt", "rcpt@z"), 0, "flags and one recipient");
	is_str(o.subject, "hi", "subject");
	is_int(o.cc.n, 2, "two -c");
	is_str(o.cc.v[1], "b@y", "--cc=value");
	is_int(o.attach.n, 1, "one attachment");
	is_int(o.to.n, 1, "one operand");
	is_str(o.to.v[0], "rcpt@z", "operand kept as written");
	cli_free(&o);

	is_int(parse(&o, &f, 5, "outbox", "--dry-run", "-v", "-v",
	    "a@x,b@y"), 0, "repeatable -v");
	is_int(o.verbose, 2, "verbose counted");
	is_int(o.dry_run, 1, "--dry-run");
	cli_free(&o);

	is_int(parse(&o, &f, 4, "outbox", "--", "-s", "b@y"), -1,
	    "-- ends the options");
	ok(strstr(f.text, "\"-s\"") != NULL, "  the word after it is named");
	cli_free(&o);

	/* Issue 10 item 7: never a recipient that starts with "-". */
	is_int(parse(&o, &f, 4, "outbox", "--", "-odd@x", "b@y"), -1,
	    "a recipient that starts with - is refused");
	is_int(f.kind, F_USAGE, "  usage error");
	cli_free(&o);

	is_int(parse(&o, &f, 6, "outbox", "-s", "x", "alice@x", "-a",
	    "doc.pdf"), 0, "options after a recipient (GNU style)");
	ok(o.to.n == 1 && strcmp(o.to.v[0], "alice@x") == 0,
	    "  one recipient");
	ok(o.attach.n == 1 && strcmp(o.attach.v[0], "doc.pdf") == 0,
	    "  -a after it attaches");
	cli_free(&o);

	setenv("POSIXLY_CORRECT", "1", 1);
	is_int(parse(&o, &f, 6, "outbox", "-s", "x", "alice@x", "-a",
	    "doc.pdf"), -1, "POSIXLY_CORRECT: the first operand ends them");
	ok(strstr(f.text, "\"-a\"") != NULL, "  and -a is refused, not sent to");
	cli_free(&o);
	unsetenv("POSIXLY_CORRECT");

	is_int(parse(&o, &f, 3, "outbox", "--bogus", "a@x"), -1,
	    "unknown long option");
	is_int(f.kind, F_USAGE, "is a usage error");
	ok(strstr(f.text, "--bogus") != NULL, "names the option");
	cli_free(&o);

	is_int(parse(&o, &f, 3, "outbox", "-Z", "a@x"), -1,
	    "unknown short option");
	ok(strstr(f.text, "-Z") != NULL, "names it");
	cli_free(&o);

	is_int(parse(&o, &f, 2, "outbox", "-s"), -1, "missing value");
	is_str(f.text, "option -s needs a value", "says which");
	cli_free(&o);

	is_int(parse(&o, &f, 2, "outbox", "--subject"), -1,
	    "missing value, long form");
	is_str(f.text, "option --subject needs a value", "says which");
	cli_free(&o);

	is_int(parse(&o, &f, 3, "outbox", "-s", "x"), -1, "no recipient");
	is_int(f.kind, F_USAGE, "is a usage error");
	cli_free(&o);

	is_int(parse(&o, &f, 3, "outbox", "-b", "hidden@x"), 0,
	    "a Bcc alone is a recipient");
	cli_free(&o);

	is_int(parse(&o, &f, 2, "outbox", "--help"), 0, "--help");
	is_int(o.mode, CLI_HELP, "help mode without recipients");
	cli_free(&o);
	is_int(parse(&o, &f, 2, "outbox", "-V"), 0, "-V");
	is_int(o.mode, CLI_VERSION, "version mode");
	cli_free(&o);
	return done_testing();
}
