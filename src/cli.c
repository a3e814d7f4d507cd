/*
 * cli.c — the mailx personality's command line (POSIX mailx -s -c -b,
 * s-nail's -a -r -A -C, mail(1)'s -n) into struct options.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "xmalloc.h"

enum {
	OPT_CHARSET = 256,
	OPT_DRY_RUN,
	OPT_JSON
};

static const char shortopts[] = "+:s:c:b:a:r:A:C:H:nvhV";

static const struct option longopts[] = {
	{ "subject", required_argument, NULL, 's' },
	{ "cc", required_argument, NULL, 'c' },
	{ "bcc", required_argument, NULL, 'b' },
	{ "attach", required_argument, NULL, 'a' },
	{ "from", required_argument, NULL, 'r' },
	{ "account", required_argument, NULL, 'A' },
	{ "config", required_argument, NULL, 'C' },
	{ "header", required_argument, NULL, 'H' },
	{ "no-system-config", no_argument, NULL, 'n' },
	{ "charset", required_argument, NULL, OPT_CHARSET },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
strlist_add(struct strlist *l, char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

/* "option -s needs a value", naming the option as the user wrote it. */
static int
cli_missing_value(char **argv, struct failure *f)
{
	const char *arg = argv[optind - 1];

	if (arg != NULL && strncmp(arg, "--", 2) == 0)
		return failure_set(f, F_USAGE, "option %.*s needs a value",
		    (int)strcspn(arg, "="), arg);
	return failure_set(f, F_USAGE, "option -%c needs a value", optopt);
}

int
cli_parse(int argc, char **argv, struct options *o, struct failure *f)
{
	int ch, i;

	memset(o, 0, sizeof(*o));
	o->mode = CLI_SEND;
	opterr = 0;
	optind = 1;
	/*
	 * "+" stops at the first operand, as POSIX mailx does, so a
	 * recipient that starts with "-" after one is never read as a flag;
	 * options may still come in any order before the recipients.
	 */
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->subject = optarg;
			break;
		case 'c':
			strlist_add(&o->cc, optarg);
			break;
		case 'b':
			strlist_add(&o->bcc, optarg);
			break;
		case 'a':
			strlist_add(&o->attach, optarg);
			break;
		case 'r':
			o->from = optarg;
			break;
		case 'A':
			o->account = optarg;
			break;
		case 'C':
			o->config_file = optarg;
			break;
		case 'H':
			strlist_add(&o->headers, optarg);
			break;
		case 'n':
			o->no_system_rc = 1;
			break;
		case OPT_CHARSET:
			o->charset = optarg;
			break;
		case OPT_DRY_RUN:
			o->dry_run = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case 'h':
			o->mode = CLI_HELP;
			return 0;
		case 'V':
			o->mode = CLI_VERSION;
			return 0;
		case ':':
			return cli_missing_value(argv, f);
		default:
			if (optopt != 0)
				return failure_set(f, F_USAGE,
				    "unknown option -%c", optopt);
			return failure_set(f, F_USAGE, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	for (i = optind; i < argc; i++)
		strlist_add(&o->to, argv[i]);
	if (o->to.n == 0 && o->cc.n == 0 && o->bcc.n == 0)
		return failure_set(f, F_USAGE, "no recipients given");
	return 0;
}

void
cli_free(struct options *o)
{
	free(o->to.v);
	free(o->cc.v);
	free(o->bcc.v);
	free(o->attach.v);
	free(o->headers.v);
	memset(o, 0, sizeof(*o));
}

void
cli_usage(FILE *out)
{
	fputs(
"usage: outbox [options] [--] recipient...\n"
"Compose a message from the options and standard input and send it.\n"
"\n"
"  -s, --subject TEXT        the Subject\n"
"  -c, --cc ADDRS            Cc recipients (repeatable, comma-separated)\n"
"  -b, --bcc ADDRS           Bcc recipients: envelope only, never a header\n"
"  -a, --attach FILE         attach FILE (repeatable)\n"
"  -r, --from ADDR           the From address and envelope sender\n"
"  -A, --account NAME        use the account NAME of the config file\n"
"  -C, --config FILE         read FILE instead of the user config file\n"
"  -H, --header 'N: V'       add the header N with value V (repeatable)\n"
"  -n, --no-system-config    do not read /etc/outboxrc\n"
"      --charset NAME        charset of a body that is not UTF-8\n"
"      --dry-run             print the message that would be sent; send nothing\n"
"  -v, --verbose             show the SMTP dialogue (passwords redacted)\n"
"      --json                print the result as one JSON object\n"
"  -h, --help                show this help\n"
"  -V, --version             show the version\n"
"\n"
"Exit status: 0 sent; 64 usage; 65 bad input; 66 missing file; 67 recipient\n"
"refused; 68 unknown host; 69 refused by server; 75 temporary failure, try\n"
"again later; 76 protocol error; 77 authentication refused; 78 config error.\n"
"See outbox(1) and outboxrc(5).\n", out);
}
