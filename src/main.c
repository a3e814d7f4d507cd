/*
 * main.c — outbox's phases, the one error report, the exit status.
 *
 * Parse options -> read config -> resolve the sender and recipients ->
 * check and open every input -> compose into the spool -> (dry run: print
 * it) -> get the password -> submit -> report.  Nothing new is opened from
 * disk once the spool is built.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "cli.h"
#include "config.h"
#include "deliver.h"
#include "failure.h"
#include "idn.h"
#include "filetype.h"
#include "log.h"
#include "message.h"
#include "recipients.h"
#include "smtp.h"
#include "spool.h"
#include "xmalloc.h"

#define OUTBOX_VERSION "0.1.0"

struct run {
	struct options opt;
	struct config cfg;
	struct settings set;
	struct address from;		/* header From */
	struct address_list to, cc, bcc;
	struct address_list rcpts;	/* envelope, unique */
	FILE *spool;
	struct message_info info;
	struct smtp_result result;
	int have_result;
	char *dsn_notify;		/* RFC 3461 NOTIFY=, or NULL */
	const char *dsn_ret;		/* RET=, or NULL */
	char *from_ascii;		/* A-label forms, or NULL */
	char **rcpts_ascii;
};

static int
recipients_resolve(struct run *r, struct failure *f)
{
	const struct strlist *lists[] = { &r->opt.to, &r->opt.cc, &r->opt.bcc };
	struct address_list *outs[] = { &r->to, &r->cc, &r->bcc };
	size_t i, j;

	for (i = 0; i < 3; i++) {
		for (j = 0; j < lists[i]->n; j++)
			if (recipients_expand(&r->cfg, &r->set, lists[i]->v[j],
			    outs[i], f) == -1)
				return -1;
		for (j = 0; j < outs[i]->n; j++)
			recipients_add_unique(&r->rcpts, outs[i]->v[j].addr);
	}
	if (r->rcpts.n == 0)
		return failure_set(f, F_USAGE, "no recipients given");
	return 0;
}

/*
 * The sender: -r, else the account's from, else login@host (qualified
 * with default-domain when set), as mailx does.
 */
static int
sender_resolve(struct run *r, const char *text, struct failure *f)
{
	struct address_list l = { 0 };

	if (text == NULL) {
		struct passwd *pw = getpwuid(getuid());
		const char *dom = r->set.default_domain;

		r->from.addr = xasprintf("%s@%s", pw ? pw->pw_name : "root",
		    dom && *dom ? dom : r->set.hostname);
		return 0;
	}
	if (address_parse_list(text, &l, f) == -1)
		return -1;
	if (l.n != 1 || !address_valid(l.v[0].addr) ||
	    !address_has_domain(l.v[0].addr)) {
		address_list_free(&l);
		return failure_set(f, F_DATA, "invalid sender address \"%s\"",
		    text);
	}
	r->from.name = l.v[0].name ? xstrdup(l.v[0].name) : NULL;
	r->from.addr = xstrdup(l.v[0].addr);
	address_list_free(&l);
	return 0;
}

/* The account: -A, else the one whose from matches -r, else top level. */
static int
settings_resolve(struct run *r, struct failure *f)
{
	const char *account = r->opt.account;

	if (account == NULL && r->opt.from != NULL) {
		struct address_list l = { 0 };
		struct failure ignore;

		if (address_parse_list(r->opt.from, &l, &ignore) == 0 &&
		    l.n == 1)
			account = config_account_for_from(&r->cfg,
			    l.v[0].addr);
		address_list_free(&l);
	}
	return config_settings(&r->cfg, account, &r->set, f);
}

static int
compose(struct run *r, struct failure *f)
{
	struct message_spec spec;
	struct filetype *ft;
	const char *pin;
	int rc;

	memset(&spec, 0, sizeof(spec));
	spec.from = &r->from;
	spec.to = &r->to;
	spec.cc = &r->cc;
	spec.subject = r->opt.subject;
	spec.headers = (const char *const *)r->opt.headers.v;
	spec.nheaders = r->opt.headers.n;
	spec.body = stdin;
	spec.charset = r->opt.charset;
	spec.attachments = (const char *const *)r->opt.attach.v;
	spec.nattachments = r->opt.attach.n;
	/* Test-only pins (tests/README) for reproducible output. */
	if ((pin = getenv("OUTBOX_TEST_DATE")) != NULL)
		spec.date = (time_t)strtonum(pin, 0, LLONG_MAX, NULL);
	spec.message_id = getenv("OUTBOX_TEST_MESSAGE_ID");
	spec.boundary_seed = getenv("OUTBOX_TEST_BOUNDARY");

	if (message_check(&spec, f) == -1)
		return -1;
	/* libmagic is only for attachments; a plain message skips it. */
	ft = NULL;
	if (spec.nattachments > 0 && (ft = filetype_open(f)) == NULL)
		return -1;
	if ((r->spool = spool_temp(f)) == NULL) {
		filetype_close(ft);
		return -1;
	}
	rc = message_compose(&spec, ft, r->spool, &r->info, f);
	filetype_close(ft);
	if (rc == 0 && fflush(r->spool) == EOF)
		rc = failure_set(f, F_IO, "writing the spool: %s",
		    strerror(errno));
	return rc;
}

/*
 * --dsn and --dsn-return in RFC 3461's words: NOTIFY=NEVER or a list of
 * SUCCESS, FAILURE, DELAY; RET=FULL or HDRS.
 */
static int
dsn_resolve(struct run *r, struct failure *f)
{
	const char *n = r->opt.dsn_notify;
	char *copy, *w, *save = NULL;
	size_t i;

	if (r->opt.dsn_return != NULL)
		r->dsn_ret = strcmp(r->opt.dsn_return, "full") == 0 ?
		    "FULL" : "HDRS";
	if (n == NULL)
		return 0;
	copy = xstrdup(n);
	for (w = strtok_r(copy, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		if (strcasecmp(w, "never") == 0 && strchr(n, ',') == NULL)
			continue;
		if (strcasecmp(w, "success") != 0 &&
		    strcasecmp(w, "failure") != 0 &&
		    strcasecmp(w, "delay") != 0) {
			free(copy);
			return failure_set(f, F_USAGE, "--dsn takes never, or "
			    "a list of success, failure and delay");
		}
	}
	free(copy);
	r->dsn_notify = xstrdup(n);
	for (i = 0; r->dsn_notify[i] != '\0'; i++)
		r->dsn_notify[i] = (char)toupper((unsigned char)
		    r->dsn_notify[i]);
	return 0;
}

/* The A-label forms of the envelope, for servers without SMTPUTF8. */
static int
idn_resolve(struct run *r, struct failure *f)
{
	size_t i;

	if ((r->from_ascii = idn_addr_ascii(r->from.addr, f)) == NULL &&
	    f->kind != F_NONE)
		return -1;
	r->rcpts_ascii = xcalloc(r->rcpts.n ? r->rcpts.n : 1,
	    sizeof(*r->rcpts_ascii));
	for (i = 0; i < r->rcpts.n; i++)
		if ((r->rcpts_ascii[i] = idn_addr_ascii(r->rcpts.v[i].addr,
		    f)) == NULL && f->kind != F_NONE)
			return -1;
	return 0;
}

static int
submit(struct run *r, struct failure *f)
{
	struct job job;

	if (idn_resolve(r, f) == -1)
		return -1;
	memset(&job, 0, sizeof(job));
	job.set = &r->set;
	job.from = r->from.addr;
	job.rcpts = &r->rcpts;
	job.msg = r->spool;
	job.eightbit = r->info.eightbit;
	job.from_ascii = r->from_ascii;
	job.rcpts_ascii = (const char *const *)r->rcpts_ascii;
	job.dsn_notify = r->dsn_notify;
	job.dsn_ret = r->dsn_ret;
	/* RFC 3461 4.4: the Message-ID identifies the message in notices. */
	job.dsn_envid = r->dsn_notify || r->dsn_ret ? r->info.message_id :
	    NULL;
	job.dsn_required = r->opt.dsn_required;
	r->have_result = 1;
	return deliver(&job, &r->result, f);
}

/*
 * Refused by its RCPT reply.  A recipient the server accepted may still
 * be undelivered when the transaction failed later; that is no refusal.
 */
static int
rcpt_refused(const struct smtp_rcpt *x)
{
	return !x->accepted && x->code >= 400;
}

/* A JSON string with the escapes RFC 8259 requires. */
static void
json_str(FILE *out, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
report_json(const struct run *r, const struct failure *f, int status,
    const char *saved)
{
	const struct smtp_result *res = &r->result;
	size_t i;
	int first;

	printf("{\"status\":%d,\"result\":", status);
	json_str(stdout, failure_name(f->kind));
	printf(",\"message_id\":");
	json_str(stdout, r->info.message_id[0] ? r->info.message_id : NULL);
	printf(",\"accepted\":[");
	for (i = 0, first = 1; r->have_result && i < res->nrcpts; i++) {
		if (!res->rcpts[i].accepted)
			continue;
		printf("%s", first ? "" : ",");
		json_str(stdout, res->rcpts[i].addr);
		first = 0;
	}
	printf("],\"refused\":[");
	for (i = 0, first = 1; r->have_result && i < res->nrcpts; i++) {
		if (!rcpt_refused(&res->rcpts[i]))
			continue;
		printf("%s{\"address\":", first ? "" : ",");
		json_str(stdout, res->rcpts[i].addr);
		printf(",\"code\":%d,\"reply\":", res->rcpts[i].code);
		json_str(stdout, res->rcpts[i].reply);
		printf("}");
		first = 0;
	}
	printf("],\"final_reply\":");
	json_str(stdout, r->have_result ? res->final_reply : NULL);
	printf(",\"error\":");
	json_str(stdout, f->kind == F_NONE ? NULL : f->text);
	printf(",\"dead_letter\":");
	json_str(stdout, saved);
	printf("}\n");
	fflush(stdout);
}

/* Each refused recipient on its own line, with the server's reply. */
static void
report_refusals(const struct run *r)
{
	char vis[1100];
	size_t i;

	for (i = 0; r->have_result && i < r->result.nrcpts; i++) {
		const struct smtp_rcpt *x = &r->result.rcpts[i];

		if (!rcpt_refused(x))
			continue;
		fprintf(stderr, "outbox: RCPT TO <%s>: refused (%s)\n",
		    x->addr, x->reply ? log_vis(vis, sizeof(vis), x->reply,
		    strlen(x->reply)) : "no reply");
	}
}

/*
 * Saves the message to ~/dead.letter when a person typed it (stdin is a
 * terminal), as mail(1) does.  Returns the path saved to, or NULL.
 */
static char *
dead_letter(const struct run *r)
{
	struct failure f;
	const char *home = getenv("HOME");
	char *path;

	if (r->spool == NULL || !isatty(STDIN_FILENO) || home == NULL)
		return NULL;
	path = xasprintf("%s/dead.letter", home);
	if (spool_dead_letter(path, r->spool, r->from.addr, &f) == -1) {
		fprintf(stderr, "outbox: %s\n", f.text);
		free(path);
		return NULL;
	}
	return path;
}

/*
 * With -vv: the peak memory of this process and of the largest child
 * (the libmagic helper), apart, for the benchmarks.
 */
static void
log_peak_memory(void)
{
	struct rusage self, kids;

	if (log_level() < LOG_L_DEBUG || getrusage(RUSAGE_SELF, &self) == -1 ||
	    getrusage(RUSAGE_CHILDREN, &kids) == -1)
		return;
	log_debug("peak RSS: %ld KiB in outbox, %ld KiB in its largest child",
	    self.ru_maxrss, kids.ru_maxrss);
}

static void
run_free(struct run *r)
{
	size_t i;

	log_peak_memory();
	for (i = 0; r->rcpts_ascii != NULL && i < r->rcpts.n; i++)
		free(r->rcpts_ascii[i]);
	free(r->rcpts_ascii);
	free(r->from_ascii);
	free(r->dsn_notify);
	if (r->have_result)
		smtp_result_free(&r->result);
	if (r->spool != NULL)
		fclose(r->spool);
	free(r->from.name);
	free(r->from.addr);
	address_list_free(&r->to);
	address_list_free(&r->cc);
	address_list_free(&r->bcc);
	address_list_free(&r->rcpts);
	config_free(&r->cfg);
	cli_free(&r->opt);
}

static int
run_phases(struct run *r, int argc, char **argv, struct failure *f)
{
	if (cli_parse(argc, argv, &r->opt, f) == -1)
		return -1;
	if (r->opt.mode == CLI_HELP) {
		cli_usage(stdout);
		return 0;
	}
	if (r->opt.mode == CLI_VERSION) {
		printf("outbox %s\n", OUTBOX_VERSION);
		return 0;
	}
	log_init(r->opt.verbose > 1 ? LOG_L_DEBUG :
	    r->opt.verbose ? LOG_L_VERBOSE : LOG_L_QUIET);
	if (config_load(&r->cfg, r->opt.config_file, r->opt.no_system_rc,
	    f) == -1)
		return -1;
	if (settings_resolve(r, f) == -1)
		return -1;
	config_log_settings(&r->set);
	if (sender_resolve(r, r->opt.from ? r->opt.from : r->set.from,
	    f) == -1)
		return -1;
	if (recipients_resolve(r, f) == -1)
		return -1;
	if (dsn_resolve(r, f) == -1)
		return -1;
	if (compose(r, f) == -1)
		return -1;
	if (r->opt.dry_run)
		return spool_wire(r->spool, stdout, 0, NULL, f);
	return submit(r, f);
}

int
main(int argc, char *argv[])
{
	struct run r;
	struct failure f;
	char *saved = NULL;
	int status;

	setlocale(LC_ALL, "");
	umask(077);
	/* A peer that goes away is an error to report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	memset(&r, 0, sizeof(r));
	failure_clear(&f);

	if (run_phases(&r, argc, argv, &f) == 0) {
		if (r.opt.json && !r.opt.dry_run && r.opt.mode == CLI_SEND)
			report_json(&r, &f, 0, NULL);
		run_free(&r);
		return 0;
	}
	status = failure_exitcode(f.kind);
	if (f.kind == F_USAGE) {
		fprintf(stderr, "outbox: %s; see 'outbox --help'\n", f.text);
		run_free(&r);
		return status;
	}
	report_refusals(&r);
	if (!r.opt.dry_run)
		saved = dead_letter(&r);
	if (saved != NULL)
		fprintf(stderr, "outbox: %s; message saved in %s\n", f.text,
		    saved);
	else
		fprintf(stderr, "outbox: %s\n", f.text);
	if (r.opt.json)
		report_json(&r, &f, status, saved);
	free(saved);
	run_free(&r);
	return status;
}
