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
#include "fetch.h"
#include "filetype.h"
#include "idn.h"
#include "log.h"
#include "message.h"
#include "queue.h"
#include "recipients.h"
#include "report.h"
#include "sendmail.h"
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
	const char **rcpt_addrs;	/* rcpts' addresses, for the job */
	FILE *spool;
	struct message_info info;
	struct smtp_result result;
	int have_result;
	char *dsn_notify;		/* RFC 3461 NOTIFY=, or NULL */
	const char *dsn_ret;		/* RET=, or NULL */
	char *from_ascii;		/* A-label forms, or NULL */
	char **rcpts_ascii;
	struct sendmail_msg sm;		/* sendmail personality: the header */
	char queue_id[QUEUE_ID_MAX];	/* queued: the entry's id */
	struct flush_report flushed;	/* the quiet flush after a send */
	int json_done;			/* a queue mode printed its JSON */
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
	spec.html = r->opt.html;
	spec.html_stdin = r->opt.html_stdin;
	spec.inlines = (const char *const *)r->opt.inlines.v;
	spec.ninlines = r->opt.inlines.n;
	spec.reply_to = r->opt.reply_to;
	/* Test-only pins (tests/README) for reproducible output. */
	if ((pin = getenv("OUTBOX_TEST_DATE")) != NULL)
		spec.date = (time_t)strtonum(pin, 0, LLONG_MAX, NULL);
	spec.message_id = getenv("OUTBOX_TEST_MESSAGE_ID");
	spec.boundary_seed = getenv("OUTBOX_TEST_BOUNDARY");

	if (message_check(&spec, f) == -1)
		return -1;
	/* libmagic is only for attachments; a plain message skips it. */
	ft = NULL;
	if ((spec.nattachments > 0 || spec.ninlines > 0) &&
	    (ft = filetype_open(f)) == NULL)
		return -1;
	if ((r->spool = spool_temp(f)) == NULL) {
		filetype_close(ft);
		return -1;
	}
	rc = message_compose(&spec, ft, r->spool, &r->info, f);
	filetype_close(ft);
	if (rc == 0 && r->info.warning[0] != '\0')
		log_warnx("%s", r->info.warning);
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
	size_t i;

	if (idn_resolve(r, f) == -1)
		return -1;
	if (r->rcpt_addrs == NULL) {
		r->rcpt_addrs = xcalloc(r->rcpts.n ? r->rcpts.n : 1,
		    sizeof(*r->rcpt_addrs));
		for (i = 0; i < r->rcpts.n; i++)
			r->rcpt_addrs[i] = r->rcpts.v[i].addr;
	}
	memset(&job, 0, sizeof(job));
	job.set = &r->set;
	job.env.from = r->from.addr;
	job.env.rcpts = r->rcpt_addrs;
	job.env.nrcpts = r->rcpts.n;
	job.msg = r->spool;
	job.env.eightbit = r->info.eightbit;
	job.env.utf8_headers = r->info.utf8_headers;
	job.env.from_ascii = r->from_ascii;
	job.env.rcpts_ascii = (const char *const *)r->rcpts_ascii;
	job.env.dsn_notify = r->dsn_notify;
	job.env.dsn_ret = r->dsn_ret;
	/* RFC 3461 4.4: the Message-ID identifies the message in notices. */
	job.env.dsn_envid = r->dsn_notify || r->dsn_ret ?
	    r->info.message_id : NULL;
	if (r->opt.dsn_envid != NULL)		/* sendmail -V */
		job.env.dsn_envid = r->opt.dsn_envid;
	job.env.dsn_required = r->opt.dsn_required;
	job.queue_only = r->opt.queue;
	job.queue_id = r->queue_id;
	flush_report_free(&r->flushed);
	job.flushed = &r->flushed;
	r->have_result = 1;
	return deliver(&job, &r->result, f);
}

/* The outcome of this run as one JSON object (--json). */
static void
report_json(const struct run *r, const struct failure *f, int status,
    const char *saved)
{
	struct report_send rs;

	memset(&rs, 0, sizeof(rs));
	rs.status = status;
	rs.failure = f;
	rs.queue_id = r->queue_id[0] ? r->queue_id : NULL;
	rs.message_id = r->info.message_id[0] ? r->info.message_id : NULL;
	rs.result = r->have_result ? &r->result : NULL;
	rs.dead_letter = saved;
	report_send_json(&rs);
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
	free(r->rcpt_addrs);
	free(r->dsn_notify);
	if (r->have_result)
		smtp_result_free(&r->result);
	flush_report_free(&r->flushed);
	if (r->spool != NULL)
		fclose(r->spool);
	free(r->from.name);
	free(r->from.addr);
	sendmail_msg_free(&r->sm);
	address_list_free(&r->to);
	address_list_free(&r->cc);
	address_list_free(&r->bcc);
	address_list_free(&r->rcpts);
	config_free(&r->cfg);
	cli_free(&r->opt);
}

/*
 * The sendmail personality: invoked as "sendmail" (a link), or as
 * "outbox --sendmail".
 */
static int
sendmail_personality(int argc, char **argv)
{
	const char *base;

	if (argc > 1 && strcmp(argv[1], "--sendmail") == 0)
		return 1;
	if (argc < 1 || argv[0] == NULL)
		return 0;
	base = strrchr(argv[0], '/');
	return strcmp(base != NULL ? base + 1 : argv[0], "sendmail") == 0;
}

/* The single address of text (From header, -f), or NULL; caller frees. */
static char *
sendmail_one_addr(const char *text)
{
	struct address_list l = { 0 };
	struct failure ignore;
	char *a = NULL;

	if (text != NULL && address_parse_list(text, &l, &ignore) == 0 &&
	    l.n == 1)
		a = xstrdup(l.v[0].addr);
	address_list_free(&l);
	return a;
}

/* The account: -A, else the From header's address, else -f's. */
static int
sendmail_settings(struct run *r, const char *hfrom, struct failure *f)
{
	const char *account = r->opt.account;
	char *a;

	if (account == NULL && (a = sendmail_one_addr(hfrom)) != NULL) {
		account = config_account_for_from(&r->cfg, a);
		free(a);
	}
	if (account == NULL &&
	    (a = sendmail_one_addr(r->opt.envelope_from)) != NULL) {
		account = config_account_for_from(&r->cfg, a);
		free(a);
	}
	return config_settings(&r->cfg, account, &r->set, f);
}

/*
 * The envelope sender: -f (<> is the null sender; a bare name is
 * qualified with default-domain, else the host name), else the
 * configured from, else login@host.
 */
static int
sendmail_sender(struct run *r, struct failure *f)
{
	const char *fa = r->opt.envelope_from, *dom;
	char *q;
	int rc;

	if (fa == NULL || strchr(fa, '@') != NULL || strchr(fa, '<') != NULL)
		rc = sender_resolve(r, fa ? fa : r->set.from, f);
	else {
		dom = r->set.default_domain && *r->set.default_domain ?
		    r->set.default_domain : r->set.hostname;
		q = xasprintf("%s@%s", fa, dom);
		rc = sender_resolve(r, q, f);
		free(q);
	}
	if (rc == -1 && fa != NULL && (strcmp(fa, "<>") == 0 || *fa == '\0')) {
		failure_clear(f);
		free(r->from.name);
		r->from.name = NULL;
		r->from.addr = xstrdup("");
		return 0;
	}
	return rc;
}

/* Arguments, and with -t the To, Cc and Bcc fields of the message. */
static int
sendmail_recipients(struct run *r, struct failure *f)
{
	static const char *const fields[] = { "To", "Cc", "Bcc" };
	struct address_list *outs[] = { &r->to, &r->cc, &r->bcc };
	size_t i, j, k;
	char *v;

	for (j = 0; j < r->opt.to.n; j++)
		if (recipients_expand(&r->cfg, &r->set, r->opt.to.v[j],
		    &r->to, f) == -1)
			return -1;
	for (i = 0; r->opt.extract_recipients && i < 3; i++)
		for (k = 0; (v = sendmail_header(&r->sm, fields[i], k)) !=
		    NULL; k++) {
			if (recipients_expand(&r->cfg, &r->set, v, outs[i],
			    f) == -1) {
				free(v);
				return -1;
			}
			free(v);
		}
	for (i = 0; i < 3; i++)
		for (j = 0; j < outs[i]->n; j++)
			recipients_add_unique(&r->rcpts, outs[i]->v[j].addr);
	if (r->rcpts.n == 0)
		return failure_set(f, F_USAGE, r->opt.extract_recipients ?
		    "no recipients in the arguments or the To, Cc and Bcc "
		    "fields" : "no recipients given");
	return 0;
}

/* The message from stdin into the spool, missing fields added. */
static int
sendmail_spool(struct run *r, struct failure *f)
{
	struct sendmail_add add;
	struct address def = { 0 };
	const char *pin;
	int rc;

	/* An added From names the envelope sender, or the configured one. */
	if (r->from.addr[0] == '\0' || r->opt.envelope_from == NULL) {
		struct address save = r->from;

		r->from.name = r->from.addr = NULL;
		rc = sender_resolve(r, r->set.from, f);
		def = r->from;
		r->from = save;
		if (rc == -1)
			return -1;
	}
	memset(&add, 0, sizeof(add));
	add.from_addr = r->from.addr[0] != '\0' ? r->from.addr : def.addr;
	add.from_name = r->opt.fullname != NULL ? r->opt.fullname :
	    def.addr != NULL && strcasecmp(def.addr, add.from_addr) == 0 ?
	    def.name : NULL;
	add.id_domain = address_domain(add.from_addr);
	if (add.id_domain == NULL || strpbrk(add.id_domain, "<>\"") != NULL)
		add.id_domain = r->set.hostname;
	/* Test-only pins (tests/README) for reproducible output. */
	if ((pin = getenv("OUTBOX_TEST_DATE")) != NULL)
		add.date = (time_t)strtonum(pin, 0, LLONG_MAX, NULL);
	add.message_id = getenv("OUTBOX_TEST_MESSAGE_ID");
	rc = -1;
	if ((r->spool = spool_temp(f)) != NULL &&
	    sendmail_write(stdin, r->opt.ignore_dots, &r->sm, &add, r->spool,
	    f) == 0)
		rc = 0;
	free(def.name);
	free(def.addr);
	strlcpy(r->info.message_id, r->sm.message_id,
	    sizeof(r->info.message_id));
	r->info.eightbit = r->sm.eightbit_header || r->sm.eightbit_body;
	r->info.utf8_headers = r->sm.eightbit_header;
	return rc;
}

/*
 * The server lacks 8BITMIME (RFC 6152): the body again in
 * quoted-printable, when the message allows it, and a second try.
 */
static int
sendmail_retry_7bit(struct run *r, struct failure *f)
{
	FILE *conv;
	size_t i;

	if ((conv = spool_temp(f)) == NULL)
		return -1;
	if (sendmail_to_7bit(&r->sm, r->spool, conv, f) == -1) {
		fclose(conv);
		return -1;
	}
	log_info("the server lacks 8BITMIME: sending the body as "
	    "quoted-printable");
	fclose(r->spool);
	r->spool = conv;
	r->info.eightbit = 0;
	for (i = 0; r->rcpts_ascii != NULL && i < r->rcpts.n; i++)
		free(r->rcpts_ascii[i]);
	free(r->rcpts_ascii);
	free(r->from_ascii);
	r->rcpts_ascii = NULL;
	r->from_ascii = NULL;
	smtp_result_free(&r->result);
	r->have_result = 0;
	failure_clear(f);
	return submit(r, f);
}

/* sendmail's send: read the message, resolve, submit. */
static int
sendmail_run(struct run *r, struct failure *f)
{
	char *hfrom;
	int rc;

	if (sendmail_read_header(stdin, r->opt.ignore_dots, &r->sm, f) == -1)
		return -1;
	hfrom = sendmail_header(&r->sm, "From", 0);
	rc = sendmail_settings(r, hfrom, f);
	free(hfrom);
	if (rc == -1)
		return -1;
	config_log_settings(&r->set);
	if (sendmail_sender(r, f) == -1 || sendmail_recipients(r, f) == -1 ||
	    dsn_resolve(r, f) == -1 || sendmail_spool(r, f) == -1)
		return -1;
	if ((rc = submit(r, f)) == -1 && r->have_result &&
	    r->result.lacks_8bitmime)
		rc = sendmail_retry_7bit(r, f);
	return rc;
}

/*
 * The queue modes: --flush (sendmail -q), --queue-list (sendmail -bp),
 * --queue-drop ID.  Each takes the options and the loaded config.
 */

static int
queue_dir_of(const struct run *r, char *dir, size_t sz, struct failure *f)
{
	return queue_dir_resolve(r->set.queue_dir, dir, sz, f);
}

static int
queue_list_mode(struct run *r, struct failure *f)
{
	struct queue_entry *v;
	char dir[PATH_MAX];
	size_t n;
	time_t now = time(NULL);

	if (queue_dir_of(r, dir, sizeof(dir), f) == -1 ||
	    queue_list(dir, 1, &v, &n, f) == -1)
		return -1;
	report_queue(dir, v, n, now, r->opt.json);
	r->json_done = r->opt.json;
	queue_entries_free(v, n);
	return 0;
}

static int
queue_drop_mode(struct run *r, struct failure *f)
{
	char dir[PATH_MAX];
	int lock;

	if (queue_dir_of(r, dir, sizeof(dir), f) == -1)
		return -1;
	/* Wait for a running flush: it may be sending this very entry. */
	if ((lock = queue_lock(dir, 1, f)) < 0)
		return -1;
	if (queue_drop(dir, r->opt.queue_id, f) == -1) {
		close(lock);
		return -1;
	}
	close(lock);
	if (r->opt.json) {
		printf("{\"status\":0,\"result\":\"dropped\",\"queue_id\":");
		report_json_str(stdout, r->opt.queue_id);
		printf("}\n");
		r->json_done = 1;
	}
	return 0;
}

/* --flush: -A limits it to one account; --now ignores the back-off. */
static int
queue_flush_mode(struct run *r, struct failure *f)
{
	struct flush_report rep;
	char dir[PATH_MAX];
	int rc;

	if (queue_dir_of(r, dir, sizeof(dir), f) == -1)
		return -1;
	rc = deliver_flush(&r->cfg, r->opt.account ? &r->set : NULL, dir,
	    r->opt.now, &rep, f);
	if (rep.busy)
		log_warnx("another flush of %s is running; nothing done", dir);
	report_flush(&rep, 0);
	if (rc == 0 && rep.count[FLUSH_FAILED] > 0)
		rc = failure_set(f, F_PERM, "flush: %zu message%s "
		    "undeliverable, kept in %s/failed", rep.count[FLUSH_FAILED],
		    rep.count[FLUSH_FAILED] == 1 ? "" : "s", dir);
	if (rc == 0)
		log_info("flush: %zu sent, %zu deferred",
		    rep.count[FLUSH_SENT], rep.count[FLUSH_DEFERRED]);
	if (r->opt.json) {
		report_flush_json(&rep, rc == 0 ? 0 :
		    failure_exitcode(f->kind));
		r->json_done = 1;
	}
	flush_report_free(&rep);
	return rc;
}

static int
queue_mode(struct run *r, struct failure *f)
{
	switch (r->opt.mode) {
	case CLI_FLUSH:
		return queue_flush_mode(r, f);
	case CLI_QUEUE_LIST:
		return queue_list_mode(r, f);
	case CLI_QUEUE_DROP:
		return queue_drop_mode(r, f);
	default:
		break;
	}
	return failure_set(f, F_INTERNAL, "%s: mode %d", __func__,
	    r->opt.mode);
}

static int
run_phases(struct run *r, int argc, char **argv, struct failure *f)
{
	if (sendmail_personality(argc, argv)) {
		if (sendmail_parse(argc, argv, &r->opt, f) == -1)
			return -1;
	} else if (cli_parse(argc, argv, &r->opt, f) == -1)
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
	if (r->opt.sendmail && r->opt.mode == CLI_SEND)
		return sendmail_run(r, f);
	if (r->opt.mode == CLI_FETCH)
		return fetch_main(&r->opt, &r->cfg, &r->json_done, f);
	if (settings_resolve(r, f) == -1)
		return -1;
	config_log_settings(&r->set);
	if (r->opt.mode != CLI_SEND)
		return queue_mode(r, f);
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
	/* Past a file size limit, write(2) fails (EFBIG): report it. */
	signal(SIGXFSZ, SIG_IGN);
	memset(&r, 0, sizeof(r));
	failure_clear(&f);

	if (run_phases(&r, argc, argv, &f) == 0) {
		report_flush(&r.flushed, 1);
		/* Safe in the queue: exit 0, and say so (DESIGN). */
		if (r.queue_id[0] != '\0')
			fprintf(stderr, "outbox: queued %s: %s; will retry\n",
			    r.queue_id, f.text);
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
	report_refusals(r.have_result ? &r.result : NULL);
	if (r.queue_id[0] != '\0')
		fprintf(stderr, "outbox: queued %s for the recipients that "
		    "may still get it; will retry\n", r.queue_id);
	else if (!r.opt.dry_run)
		saved = dead_letter(&r);
	if (saved != NULL)
		fprintf(stderr, "outbox: %s; message saved in %s\n", f.text,
		    saved);
	else
		fprintf(stderr, "outbox: %s\n", f.text);
	if (r.opt.json && !r.json_done)
		report_json(&r, &f, status, saved);
	free(saved);
	run_free(&r);
	return status;
}
