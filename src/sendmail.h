/*
 * sendmail.h — the sendmail personality: sendmail(8)'s command line, and
 * the send that reads a finished message from stdin (sendmail_msg.h) and
 * submits it with the mailx personality's phases (mailx.h).
 */
#ifndef OUTBOX_SENDMAIL_H
#define OUTBOX_SENDMAIL_H

#include "cli.h"
#include "config.h"
#include "failure.h"
#include "front.h"

/* What only the sendmail personality's command line holds. */
struct sendmail_options {
	int extract_recipients;		/* -t: To, Cc, Bcc of the message */
	int ignore_dots;		/* -i, -oi: "." does not end input */
	const char *fullname;		/* -F: name for an added From */
	const char *envelope_from;	/* -f, -r: reverse-path; "<>" null */
	const char *dsn_envid;		/* -V: RFC 3461 ENVID */
	const char *ignored_config;	/* -C FILE, ignored (outbox(1)) */
};

/*
 * Parses a sendmail command line into o and so (both zeroed first).
 * argv[1] == "--sendmail" is skipped.  Options may be grouped ("-ti");
 * an option's value may follow it ("-FCron") or be the next word.  -bp
 * sets CLI_QUEUE_LIST, -q CLI_FLUSH.  Operands are recipients (o->to).
 * -C FILE is not taken (o->config_file stays NULL; so->ignored_config
 * names it): words from mail that a program passes to sendmail must not
 * choose a config whose password command would run.  F_USAGE for an
 * unknown option, a missing value, a bad -N or -R value, or no recipient
 * without -t.
 */
int sendmail_parse(int argc, char **argv, struct options *o,
    struct sendmail_options *so, struct failure *f);

/*
 * The sendmail personality's send (CLI_SEND; see front.h): the message
 * on stdin, its recipients from the operands and, with -t, its To, Cc
 * and Bcc; a second try in quoted-printable when the server lacks
 * 8BITMIME.
 */
int sendmail_run(const struct options *o, const struct sendmail_options *so,
    struct config *cfg, struct front_report *rep, struct failure *f);

#endif
