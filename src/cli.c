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
	OPT_JSON,
	OPT_QUEUE,
	OPT_FLUSH,
	OPT_NOW,
	OPT_QUEUE_LIST,
	OPT_QUEUE_DROP,
	OPT_HTML,
	OPT_INLINE,
	OPT_REPLY_TO,
	OPT_DSN,
	OPT_DSN_RETURN,
	OPT_DSN_REQUIRED,
	OPT_ATTACH_CHARSET,
	OPT_SKIP_EMPTY,
	OPT_QUEUE_RETRY,
	OPT_FAILED,
	OPT_OAUTH2_LOGIN,
	OPT_FETCH,
	OPT_LIST,
	OPT_DELETE,
	OPT_KEEP,
	OPT_CHECK
};

/*
 * No "+": GNU getopt takes options anywhere before "--" (it moves the
 * operands to the end); with POSIXLY_CORRECT set it stops at the first
 * operand, as POSIX mailx does.
 */
static const char shortopts[] = ":s:c:b:a:r:A:C:H:nvhVE";

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
	{ "skip-empty", no_argument, NULL, 'E' },
	{ "queue-retry", required_argument, NULL, OPT_QUEUE_RETRY },
	{ "failed", no_argument, NULL, OPT_FAILED },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "queue", no_argument, NULL, OPT_QUEUE },
	{ "flush", no_argument, NULL, OPT_FLUSH },
	{ "now", no_argument, NULL, OPT_NOW },
	{ "queue-list", no_argument, NULL, OPT_QUEUE_LIST },
	{ "queue-drop", required_argument, NULL, OPT_QUEUE_DROP },
	{ "html", optional_argument, NULL, OPT_HTML },
	{ "inline", required_argument, NULL, OPT_INLINE },
	{ "reply-to", required_argument, NULL, OPT_REPLY_TO },
	{ "dsn", required_argument, NULL, OPT_DSN },
	{ "dsn-return", required_argument, NULL, OPT_DSN_RETURN },
	{ "dsn-required", no_argument, NULL, OPT_DSN_REQUIRED },
	{ "attach-charset", required_argument, NULL, OPT_ATTACH_CHARSET },
	{ "oauth2-login", no_argument, NULL, OPT_OAUTH2_LOGIN },
	{ "fetch", no_argument, NULL, OPT_FETCH },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "delete", no_argument, NULL, OPT_DELETE },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
cli_strlist_add(struct strlist *l, char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

int
cli_is_sendmail(int argc, char **argv)
{
	const char *base;

	if (argc > 1 && strcmp(argv[1], "--sendmail") == 0)
		return 1;
	if (argc < 1 || argv[0] == NULL)
		return 0;
	base = strrchr(argv[0], '/');
	return strcmp(base != NULL ? base + 1 : argv[0], "sendmail") == 0;
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

/* Combinations that cannot mean anything. */
static int
cli_check(const struct options *o, struct failure *f)
{
	int composing = o->mode == CLI_SEND;

	if ((o->fetch_list || o->fetch_delete) && o->mode != CLI_FETCH)
		return failure_set(f, F_USAGE,
		    "--list, --delete and --keep go with --fetch");
	if (o->fetch_delete == -1)
		return failure_set(f, F_USAGE,
		    "--delete and --keep exclude each other");
	if (o->mode == CLI_FETCH && (o->to.n || o->cc.n || o->bcc.n))
		return failure_set(f, F_USAGE, "--fetch takes no recipients");
	if (o->mode == CLI_CHECK && (o->cc.n || o->bcc.n))
		return failure_set(f, F_USAGE, "--check takes recipients as "
		    "operands, not -c or -b");
	if (!composing && o->mode != CLI_CHECK && (o->to.n || o->cc.n ||
	    o->bcc.n))
		return failure_set(f, F_USAGE, "--flush, --queue-list, "
		    "--queue-drop, --queue-retry and --oauth2-login take no "
		    "recipients");
	if (o->now && o->mode != CLI_FLUSH)
		return failure_set(f, F_USAGE, "--now goes with --flush");
	if (o->failed_only && o->mode != CLI_QUEUE_LIST)
		return failure_set(f, F_USAGE, "--failed goes with "
		    "--queue-list");
	if (o->queue && o->dry_run)
		return failure_set(f, F_USAGE,
		    "--queue and --dry-run exclude each other");
	if (o->html != NULL && o->html_stdin)
		return failure_set(f, F_USAGE, "--html given twice");
	if (o->dsn_return != NULL && strcmp(o->dsn_return, "full") != 0 &&
	    strcmp(o->dsn_return, "headers") != 0)
		return failure_set(f, F_USAGE,
		    "--dsn-return takes full or headers");
	if (composing && o->to.n == 0 && o->cc.n == 0 && o->bcc.n == 0)
		return failure_set(f, F_USAGE, "no recipients given");
	return 0;
}

/*
 * --json among the words before "--", for a usage error found before
 * getopt reached it: the object is printed on every failure.
 */
static int
cli_wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return 1;
	return 0;
}

static int cli_parse_words(int, char **, struct options *, struct failure *);

int
cli_parse(int argc, char **argv, struct options *o, struct failure *f)
{
	if (cli_parse_words(argc, argv, o, f) == 0)
		return 0;
	if (cli_wants_json(argc, argv))
		o->json = 1;
	return -1;
}

static int
cli_parse_words(int argc, char **argv, struct options *o, struct failure *f)
{
	char *attach_cs = NULL;	/* --attach-charset for the next -a */
	int ch, i;

	memset(o, 0, sizeof(*o));
	o->mode = CLI_SEND;
	opterr = 0;
	/* 0, not 1: glibc starts over and reads POSIXLY_CORRECT again. */
	optind = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->subject = optarg;
			break;
		case 'c':
			cli_strlist_add(&o->cc, optarg);
			break;
		case 'b':
			cli_strlist_add(&o->bcc, optarg);
			break;
		case 'a':
			cli_strlist_add(&o->attach, optarg);
			cli_strlist_add(&o->attach_charset, attach_cs);
			attach_cs = NULL;
			break;
		case OPT_ATTACH_CHARSET:
			if (attach_cs != NULL)
				return failure_set(f, F_USAGE, "--attach-charset "
				    "given twice before one -a");
			attach_cs = optarg;
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
			cli_strlist_add(&o->headers, optarg);
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
		case 'E':
			o->skip_empty = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_QUEUE:
			o->queue = 1;
			break;
		case OPT_FLUSH:
			o->mode = CLI_FLUSH;
			break;
		case OPT_NOW:
			o->now = 1;
			break;
		case OPT_QUEUE_LIST:
			o->mode = CLI_QUEUE_LIST;
			break;
		case OPT_OAUTH2_LOGIN:
			o->mode = CLI_OAUTH2_LOGIN;
			break;
		case OPT_QUEUE_DROP:
			o->mode = CLI_QUEUE_DROP;
			o->queue_id = optarg;
			break;
		case OPT_QUEUE_RETRY:
			o->mode = CLI_QUEUE_RETRY;
			o->queue_id = optarg;
			break;
		case OPT_FAILED:
			o->failed_only = 1;
			break;
		case OPT_HTML:
			if (optarg != NULL)
				o->html = optarg;
			else
				o->html_stdin = 1;
			break;
		case OPT_INLINE:
			cli_strlist_add(&o->inlines, optarg);
			break;
		case OPT_REPLY_TO:
			o->reply_to = optarg;
			break;
		case OPT_DSN:
			o->dsn_notify = optarg;
			break;
		case OPT_DSN_RETURN:
			o->dsn_return = optarg;
			break;
		case OPT_DSN_REQUIRED:
			o->dsn_required = 1;
			break;
		case OPT_CHECK:
			o->mode = CLI_CHECK;
			break;
		case OPT_FETCH:
			o->mode = CLI_FETCH;
			break;
		case OPT_LIST:
			o->fetch_list = 1;
			break;
		case OPT_DELETE:
		case OPT_KEEP:
			ch = ch == OPT_DELETE ? CLI_FETCH_DELETE :
			    CLI_FETCH_KEEP;
			o->fetch_delete = o->fetch_delete != 0 &&
			    o->fetch_delete != ch ? -1 : ch;
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
	if (attach_cs != NULL)
		return failure_set(f, F_USAGE, "--attach-charset %s: no -a "
		    "follows it", attach_cs);
	for (i = optind; i < argc; i++) {
		/*
		 * An option the parser did not take (after "--", or after
		 * the first operand with POSIXLY_CORRECT) is never a
		 * recipient: "-a@example.org" would be accepted by many
		 * servers and the attachment silently lost.
		 */
		if (argv[i][0] == '-')
			return failure_set(f, F_USAGE, "\"%s\" is an option "
			    "after the recipients or \"--\", not a "
			    "recipient; put options before \"--\"", argv[i]);
		cli_strlist_add(&o->to, argv[i]);
	}
	return cli_check(o, f);
}

void
cli_free(struct options *o)
{
	free(o->to.v);
	free(o->cc.v);
	free(o->bcc.v);
	free(o->attach.v);
	free(o->attach_charset.v);
	free(o->headers.v);
	free(o->inlines.v);
	memset(o, 0, sizeof(*o));
}

void
cli_usage(FILE *out)
{
	fputs(
"usage: outbox [options] [--] recipient...\n"
"       outbox --flush [--now] | --queue-list [--failed] | --queue-drop ID\n"
"       outbox --queue-retry ID|all | --oauth2-login [-A NAME]\n"
"       outbox --check [-A NAME] [--json] [recipient...]\n"
"       outbox --sendmail [sendmail options] [recipient...] < message\n"
"       outbox --fetch [-A NAME] [--delete|--keep] [--list] [-v] [--json]\n"
"Compose a message from the options and standard input and send it.\n"
"Options may follow the recipients, up to \"--\" (POSIXLY_CORRECT: up to\n"
"the first recipient); a word starting with \"-\" is never a recipient.\n"
"\n"
"  -s, --subject TEXT        the Subject\n"
"  -c, --cc ADDRS            Cc recipients (repeatable, comma-separated)\n"
"  -b, --bcc ADDRS           Bcc recipients: envelope only, never a header\n"
"  -a, --attach FILE         attach FILE (repeatable)\n"
"      --attach-charset NAME the charset of the next -a file (text)\n"
"  -r, --from ADDR           the From address and envelope sender\n"
"  -A, --account NAME        use the account NAME of the config file\n"
"  -C, --config FILE         read FILE instead of the user config file\n"
"  -H, --header 'N: V'       add the header N with value V (repeatable)\n"
"  -n, --no-system-config    do not read /etc/outboxrc\n"
"      --charset NAME        charset of the body and header text when not\n"
"                            UTF-8 (default: the locale's)\n"
"      --dry-run             print the message instead of sending it\n"
"  -E, --skip-empty          send nothing (exit 0) when the body is empty\n"
"  -v, --verbose             show the SMTP dialogue (passwords redacted)\n"
"      --json                print the result as one JSON object (also\n"
"                            on a usage error)\n"
"      --html[=FILE]         FILE is the HTML form of the body; alone: the\n"
"                            body on stdin is HTML (a text form is made)\n"
"      --inline FILE[:ID]    show FILE (an image) inside the HTML as cid:ID\n"
"      --reply-to ADDR       the Reply-To header\n"
"      --dsn WHEN            notices: never, or success,failure,delay\n"
"      --dsn-return WHAT     what a notice returns: full or headers\n"
"      --dsn-required        fail (69) when the server offers no DSN\n"
"      --queue               put the message in the queue; do not connect\n"
"      --flush [--now]       send the queue (--now: ignore back-off)\n"
"      --queue-list          list the queue, failed entries too\n"
"      --failed              with --queue-list: the failed entries only\n"
"      --queue-drop ID       remove one message (queued or failed)\n"
"      --queue-retry ID|all  move failed entries back and send them now\n"
"      --check               walk every step of a send (config, DNS,\n"
"                            connect, TLS, EHLO, AUTH, MAIL, RCPT for\n"
"                            the recipients given, RSET) and, with pop3\n"
"                            set, of a fetch up to STAT; sends, fetches\n"
"                            and deletes nothing; a hint follows a failure\n"
"      --oauth2-login        log in once with OAuth2 (-A: the account) and\n"
"                            store its tokens; later sends refresh them\n"
"      --fetch               download new mail over POP3 (see fetch-to)\n"
"      --list                with --fetch: show what waits, fetch nothing\n"
"      --delete, --keep      with --fetch: delete fetched mail on the server,\n"
"                            or keep it (overrides fetch-delete)\n"
"  -h, --help                show this help\n"
"  -V, --version             show the version\n"
"\n"
"Exit status: 0 sent; 64 usage; 65 bad input; 66 missing file; 67 recipient\n"
"refused; 68 unknown host; 69 refused by server; 75 temporary failure, try\n"
"again later; 76 protocol error; 77 authentication refused; 78 config error.\n"
"See outbox(1) and outboxrc(5).\n", out);
}
