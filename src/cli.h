/*
 * cli.h — the command line of the mailx personality (getopt_long) into
 * struct options, which the sendmail personality's parser fills too, and
 * usage().
 */
#ifndef OUTBOX_CLI_H
#define OUTBOX_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "failure.h"

enum cli_mode {
	CLI_SEND,		/* compose from flags and stdin, then send */
	CLI_FLUSH,		/* --flush: send what the queue holds */
	CLI_QUEUE_LIST,		/* --queue-list */
	CLI_QUEUE_DROP,		/* --queue-drop ID */
	CLI_CHECK,		/* --check: prove the config, send nothing */
	CLI_QUEUE_RETRY,	/* --queue-retry ID|all */
	CLI_OAUTH2_LOGIN,	/* --oauth2-login [-A NAME] */
	CLI_FETCH,		/* --fetch: POP3 into a Maildir or mbox */
	CLI_HELP,
	CLI_VERSION
};

/* --fetch's --delete and --keep (struct options.fetch_delete). */
#define CLI_FETCH_DELETE 1
#define CLI_FETCH_KEEP 2

struct strlist {
	char **v;		/* points into argv */
	size_t n;
};

struct options {
	enum cli_mode mode;
	const char *subject;
	const char *from;		/* -r */
	const char *account;		/* -A */
	const char *config_file;	/* -C */
	const char *charset;		/* --charset */
	struct strlist to;		/* operands, comma lists allowed */
	struct strlist cc;		/* -c */
	struct strlist bcc;		/* -b */
	struct strlist attach;		/* -a */
	struct strlist attach_charset;	/* per -a: --attach-charset or NULL */
	struct strlist headers;		/* -H */
	int no_system_rc;		/* -n */
	int dry_run;			/* --dry-run */
	int skip_empty;			/* -E: an empty body sends nothing */
	int maildrop;			/* set by main.c, not a flag: the
					   system config is unreadable and
					   skipped; a message goes to the
					   maildrop */
	int verbose;			/* -v, counted */
	int json;			/* --json */
	int queue;			/* --queue: enqueue, do not connect */
	int now;			/* --now: --flush ignores back-off */
	const char *queue_id;		/* --queue-drop ID, --queue-retry ID */
	int failed_only;		/* --failed: --queue-list of failed/ */
	const char *html;		/* --html=FILE */
	int html_stdin;			/* --html alone: stdin is HTML */
	struct strlist inlines;		/* --inline FILE[:ID] */
	const char *reply_to;		/* --reply-to */
	const char *dsn_notify;		/* --dsn never|success,failure,delay */
	const char *dsn_return;		/* --dsn-return full|headers */
	int dsn_required;		/* --dsn-required */
	int fetch_list;			/* --list: show, download nothing */
	int fetch_delete;		/* CLI_FETCH_DELETE/KEEP, or 0: config */
	/* The sendmail personality's own: struct sendmail_options. */
};

/*
 * Whether argv asks for the sendmail personality: invoked as "sendmail"
 * (a link), or as "outbox --sendmail".
 */
int cli_is_sendmail(int argc, char **argv);

/*
 * Parses argv.  Fails with F_USAGE and a one-line text for an unknown
 * option, a missing argument, a bad combination or no recipient when one
 * is needed (not for --flush, --queue-list, --queue-drop).  On failure
 * o->json is set when --json was among the words before "--", so that
 * the usage error is reported as a JSON object too.
 */
int cli_parse(int argc, char **argv, struct options *o, struct failure *f);

/* Frees the lists (not the strings, which point into argv). */
void cli_free(struct options *o);

/* The --help text. */
void cli_usage(FILE *out);

#endif
