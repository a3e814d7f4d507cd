/*
 * main.c — outbox's dispatch, the one error report, the exit status.
 *
 * Parse the command line of the personality (mailx or sendmail) ->
 * --help, --version -> read the config -> the front-end of the mode
 * (mailx.c, sendmail.c, queuecmd.c, check.c) -> one line on stderr for its
 * failure, and the exit status from its failure kind.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "config.h"
#include "credentials.h"
#include "failure.h"
#include "fetch.h"
#include "front.h"
#include "hint.h"
#include "log.h"
#include "maildrop.h"
#include "mailx.h"
#include "oauth2login.h"
#include "queuecmd.h"
#include "report.h"
#include "sendmail.h"

#define OUTBOX_VERSION "0.1.0"

struct main_run {
	int sendmail;			/* the sendmail personality */
	struct options opt;
	struct sendmail_options smopt;
	struct config cfg;
	struct front_report rep;
};

/* The front-end of the mode: adding a mode is a case here. */
static int
main_dispatch(struct main_run *m, struct failure *f)
{
	switch (m->opt.mode) {
	case CLI_SEND:
		if (m->sendmail)
			return sendmail_run(&m->opt, &m->smopt, &m->cfg,
			    &m->rep, f);
		return mailx_run(&m->opt, &m->cfg, &m->rep, f);
	case CLI_FLUSH:
	case CLI_QUEUE_LIST:
	case CLI_QUEUE_DROP:
	case CLI_QUEUE_RETRY:
		return queuecmd_run(&m->opt, &m->cfg, &m->rep, f);
	case CLI_CHECK:
		return check_run(&m->opt, &m->cfg, &m->rep, f);
	case CLI_OAUTH2_LOGIN:
		return oauth2login_run(&m->opt, &m->cfg, &m->rep, f);
	case CLI_FETCH:
		return fetch_run(&m->opt, &m->cfg, &m->rep, f);
	case CLI_HELP:
	case CLI_VERSION:
		break;
	}
	return failure_set(f, F_INTERNAL, "%s: mode %d", __func__,
	    m->opt.mode);
}

static int
main_phases(struct main_run *m, int argc, char **argv, struct failure *f)
{
	if ((m->sendmail = cli_is_sendmail(argc, argv))) {
		if (sendmail_parse(argc, argv, &m->opt, &m->smopt, f) == -1)
			return -1;
	} else if (cli_parse(argc, argv, &m->opt, f) == -1)
		return -1;
	if (m->opt.mode == CLI_HELP) {
		cli_usage(stdout);
		return 0;
	}
	if (m->opt.mode == CLI_VERSION) {
		printf("outbox %s\n", OUTBOX_VERSION);
		return 0;
	}
	log_init(m->opt.verbose > 1 ? LOG_L_DEBUG :
	    m->opt.verbose ? LOG_L_VERBOSE : LOG_L_QUIET);
	/*
	 * A system config this user cannot read (root's, holding the
	 * password): the user's own files only, for every mode (their own
	 * queue, fetch and check work as if there were none), and a message
	 * sent without a server of their own goes to the system maildrop
	 * (maildrop.h).
	 */
	if (!m->opt.no_system_rc &&
	    maildrop_config_unreadable(config_system_path())) {
		m->opt.no_system_rc = 1;
		m->opt.maildrop = 1;
	}
	if (config_load(&m->cfg, m->opt.config_file, m->opt.no_system_rc,
	    f) == -1) {
		if (m->opt.mode == CLI_CHECK)
			check_config_failed(&m->opt, f, &m->rep);
		return -1;
	}
	return main_dispatch(m, f);
}

/*
 * With -vv: the peak memory of this process and of the largest child
 * (the libmagic helper), apart, for the benchmarks.
 */
static void
main_log_peak_memory(void)
{
	struct rusage self, kids;

	if (log_level() < LOG_L_DEBUG || getrusage(RUSAGE_SELF, &self) == -1 ||
	    getrusage(RUSAGE_CHILDREN, &kids) == -1)
		return;
	log_debug("peak RSS: %ld KiB in outbox, %ld KiB in its largest child",
	    self.ru_maxrss, kids.ru_maxrss);
}

static void
main_free(struct main_run *m)
{
	main_log_peak_memory();
	config_free(&m->cfg);
	cli_free(&m->opt);
}

/*
 * The one error report: a line on stderr; --json's object on stdout
 * unless the front-end printed its own (usage errors included: a script
 * reading the object always gets one).
 */
static void
main_report(const struct main_run *m, const struct failure *f, int status)
{
	struct report_send rs;
	const char *hint;

	if (f->kind == F_USAGE)
		fprintf(stderr, "outbox: %s; see %s\n", f->text, m->sendmail ?
		    "SENDMAIL COMPATIBILITY in outbox(1)" : "'outbox --help'");
	else if (m->rep.saved[0] != '\0')
		fprintf(stderr, "outbox: %s; message saved in %s\n", f->text,
		    m->rep.saved);
	else
		fprintf(stderr, "outbox: %s\n", f->text);
	/* What to change, for the causes people hit (hint.c). */
	if ((hint = hint_for(f)) != NULL)
		fprintf(stderr, "outbox: hint: %s\n", hint);
	if (m->rep.kept_id[0] != '\0')
		fprintf(stderr, "outbox: kept as %s/%s: run 'outbox "
		    "--queue-retry %s' once fixed\n", m->rep.kept_area,
		    m->rep.kept_id, m->rep.kept_id);
	if (m->opt.json && !m->rep.json_done) {
		memset(&rs, 0, sizeof(rs));
		rs.status = status;
		rs.failure = f;
		report_send_json(&rs);
	}
}

int
main(int argc, char *argv[])
{
	struct main_run m;
	struct failure f;
	int status = 0;

	setlocale(LC_ALL, "");
	umask(077);
	/* Any run may read a password (an rc file may hold one): no dumps. */
	credentials_protect();
	/* A peer that goes away is an error to report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit, write(2) fails (EFBIG): report it. */
	signal(SIGXFSZ, SIG_IGN);
	memset(&m, 0, sizeof(m));
	failure_clear(&f);

	if (main_phases(&m, argc, argv, &f) == -1) {
		status = failure_exitcode(f.kind);
		main_report(&m, &f, status);
	}
	main_free(&m);
	return status;
}
