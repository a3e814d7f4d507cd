/*
 * mailx.c — the mailx personality's send (see mailx.h).
 *
 * Resolve the account, the sender and the recipients -> check and open
 * every input -> compose into the spool -> (dry run: print it) -> get
 * the password and submit (deliver.c) -> report.  Nothing new is opened
 * from disk once the spool is built.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "filetype.h"
#include "idn.h"
#include "log.h"
#include "maildrop.h"
#include "mailx.h"
#include "recipients.h"
#include "report.h"
#include "sendlog.h"
#include "spool.h"
#include "xmalloc.h"

void
mailx_init(struct mailx_send *s, const struct options *o, struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->opt = o;
	s->cfg = cfg;
	failure_clear(&s->pending);
}

int
mailx_expand(struct mailx_send *s, const char *text,
    struct address_list *out, struct failure *f)
{
	struct address_list l = { 0 };
	/* A dry run shows the message: an alias error stops it at once. */
	struct failure *pending = s->opt->dry_run ? NULL : &s->pending;
	size_t i;
	int rc = 0;

	if (!s->opt->maildrop)
		return recipients_expand_pending(s->cfg, &s->set, text, out,
		    pending, f);
	/* Bare names are for the system's aliases: the intake's. */
	if (address_parse_list(text, &l, f) == -1)
		return -1;
	for (i = 0; rc == 0 && i < l.n; i++)
		if (!address_has_domain(l.v[i].addr) &&
		    maildrop_bare_name(l.v[i].addr))
			address_list_add(out, l.v[i].name, l.v[i].addr);
		else
			rc = recipients_expand_pending(s->cfg, &s->set,
			    l.v[i].addr, out, pending, f);
	address_list_free(&l);
	return rc;
}

static int
mailx_recipients(struct mailx_send *s, struct failure *f)
{
	const struct strlist *lists[] = { &s->opt->to, &s->opt->cc,
	    &s->opt->bcc };
	struct address_list *outs[] = { &s->to, &s->cc, &s->bcc };
	size_t i, j;

	for (i = 0; i < 3; i++) {
		for (j = 0; j < lists[i]->n; j++)
			if (mailx_expand(s, lists[i]->v[j], outs[i], f) == -1)
				return -1;
		for (j = 0; j < outs[i]->n; j++)
			address_list_add(&s->rcpts, NULL, outs[i]->v[j].addr);
	}
	recipients_unique(&s->rcpts);	/* once: O(n log n) */
	if (s->rcpts.n == 0)
		return failure_set(f, F_USAGE, "no recipients given");
	/*
	 * A person at the terminal has not typed the body yet: tell them
	 * now.  From a script the body is there and is kept.
	 */
	if (s->pending.kind != F_NONE && isatty(STDIN_FILENO)) {
		*f = s->pending;
		return -1;
	}
	return 0;
}

/*
 * The sender: -r, else the account's from, else login@host (qualified
 * with default-domain when set), as mailx does.
 */
int
mailx_sender(struct mailx_send *s, const char *text, struct failure *f)
{
	struct address_list l = { 0 };

	if (text == NULL) {
		struct passwd *pw = getpwuid(getuid());
		const char *dom = s->set.default_domain;

		s->from.addr = xasprintf("%s@%s", pw ? pw->pw_name : "root",
		    dom && *dom ? dom : s->set.hostname);
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
	s->from.name = l.v[0].name ? xstrdup(l.v[0].name) : NULL;
	s->from.addr = xstrdup(l.v[0].addr);
	address_list_free(&l);
	return 0;
}

/* The account: -A, else the one whose from matches -r, else top level. */
int
mailx_settings(const struct options *o, struct config *cfg,
    struct settings *set, struct failure *f)
{
	const char *account = o->account;

	if (account == NULL && o->from != NULL) {
		struct address_list l = { 0 };
		struct failure ignore;

		if (address_parse_list(o->from, &l, &ignore) == 0 &&
		    l.n == 1)
			account = config_account_for_from(cfg, l.v[0].addr);
		address_list_free(&l);
	}
	if (config_settings(cfg, account, set, f) == -1)
		return -1;
	config_log_settings(set);
	return 0;
}

static int
mailx_compose(struct mailx_send *s, struct failure *f)
{
	struct message_spec spec;
	struct filetype *ft;
	const char *pin;
	int rc;

	memset(&spec, 0, sizeof(spec));
	spec.from = &s->from;
	spec.to = &s->to;
	spec.cc = &s->cc;
	spec.subject = s->opt->subject;
	spec.headers = (const char *const *)s->opt->headers.v;
	spec.nheaders = s->opt->headers.n;
	spec.body = stdin;
	spec.charset = s->opt->charset;
	spec.attachments = (const char *const *)s->opt->attach.v;
	spec.attach_charsets =
	    (const char *const *)s->opt->attach_charset.v;
	spec.nattachments = s->opt->attach.n;
	spec.html = s->opt->html;
	spec.html_stdin = s->opt->html_stdin;
	spec.inlines = (const char *const *)s->opt->inlines.v;
	spec.ninlines = s->opt->inlines.n;
	spec.reply_to = s->opt->reply_to;
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
	if ((s->spool = spool_temp(f)) == NULL) {
		filetype_close(ft);
		return -1;
	}
	rc = message_compose(&spec, ft, s->spool, &s->info, f);
	filetype_close(ft);
	if (rc == 0 && s->info.warning[0] != '\0')
		log_warnx("%s", s->info.warning);
	if (rc == 0 && fflush(s->spool) == EOF)
		rc = failure_set(f, F_IO, "writing the spool: %s",
		    strerror(errno));
	return rc;
}

/*
 * --dsn and --dsn-return in RFC 3461's words: NOTIFY=NEVER or a list of
 * SUCCESS, FAILURE, DELAY; RET=FULL or HDRS.
 */
int
mailx_dsn(struct mailx_send *s, struct failure *f)
{
	const char *n = s->opt->dsn_notify;
	char *copy, *w, *save = NULL;
	size_t i;

	if (s->opt->dsn_return != NULL)
		s->dsn_ret = strcmp(s->opt->dsn_return, "full") == 0 ?
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
	s->dsn_notify = xstrdup(n);
	for (i = 0; s->dsn_notify[i] != '\0'; i++)
		s->dsn_notify[i] = (char)toupper((unsigned char)
		    s->dsn_notify[i]);
	return 0;
}

/* The A-label forms of the envelope, for servers without SMTPUTF8. */
static int
mailx_idn(struct mailx_send *s, struct failure *f)
{
	size_t i;

	if ((s->from_ascii = idn_addr_ascii(s->from.addr, f)) == NULL &&
	    f->kind != F_NONE)
		return -1;
	s->rcpts_ascii = xcalloc(s->rcpts.n ? s->rcpts.n : 1,
	    sizeof(*s->rcpts_ascii));
	for (i = 0; i < s->rcpts.n; i++)
		if ((s->rcpts_ascii[i] = idn_addr_ascii(s->rcpts.v[i].addr,
		    f)) == NULL && f->kind != F_NONE)
			return -1;
	return 0;
}

/* Forgets the A-label forms (a second submit makes them again). */
static void
mailx_idn_free(struct mailx_send *s)
{
	size_t i;

	for (i = 0; s->rcpts_ascii != NULL && i < s->rcpts.n; i++)
		free(s->rcpts_ascii[i]);
	free(s->rcpts_ascii);
	free(s->from_ascii);
	s->rcpts_ascii = NULL;
	s->from_ascii = NULL;
}

/* The system maildrop: its directory (test-only override, tests/README). */
static int
mailx_maildrop(struct mailx_send *s, struct failure *f)
{
	const char *dir = getenv("OUTBOX_TEST_MAILDROP");

	if (dir == NULL || *dir == '\0')
		dir = MAILDROP_DIR;
	log_info("%s is not readable: handing the message to the system "
	    "sender through %s", config_system_path(), dir);
	return maildrop_put(dir, s->spool, s->rcpt_addrs, s->rcpts.n,
	    s->drop_id, f);
}

static void mailx_job(const struct mailx_send *, struct job *);

/* The envelope's address forms (A-labels, the job's array), anew. */
static int
mailx_envelope(struct mailx_send *s, struct failure *f)
{
	size_t i;

	mailx_idn_free(s);
	if (mailx_idn(s, f) == -1)
		return -1;
	if (s->rcpt_addrs == NULL) {
		s->rcpt_addrs = xcalloc(s->rcpts.n ? s->rcpts.n : 1,
		    sizeof(*s->rcpt_addrs));
		for (i = 0; i < s->rcpts.n; i++)
			s->rcpt_addrs[i] = s->rcpts.v[i].addr;
	}
	return 0;
}

int
mailx_fail_pending(struct mailx_send *s, struct failure *f)
{
	if (mailx_envelope(s, f) == -1)
		return -1;
	*f = s->pending;
	return -1;
}

int
mailx_submit(struct mailx_send *s, struct failure *f)
{
	struct job job;

	if (s->have_result) {
		smtp_result_free(&s->result);
		s->have_result = 0;
	}
	if (mailx_envelope(s, f) == -1)
		return -1;
	/* No config of our own: root's flush sends it (maildrop.h). */
	if (s->opt->maildrop && s->set.smtp.host == NULL)
		return mailx_maildrop(s, f);
	mailx_job(s, &job);
	deliver_result_free(&s->dres);
	s->have_result = 1;
	return deliver(&job, &s->result, &s->dres, f);
}

/* The job (deliver.h) of this send; it points into s. */
static void
mailx_job(const struct mailx_send *s, struct job *job_out)
{
	struct job job;

	memset(&job, 0, sizeof(job));
	job.set = &s->set;
	job.env.from = s->from.addr;
	job.env.rcpts = s->rcpt_addrs;
	job.env.nrcpts = s->rcpts.n;
	job.msg = s->spool;
	job.env.eightbit = s->info.eightbit;
	job.env.utf8_headers = s->info.utf8_headers;
	job.env.from_ascii = s->from_ascii;
	job.env.rcpts_ascii = (const char *const *)s->rcpts_ascii;
	job.env.dsn_notify = s->dsn_notify;
	job.env.dsn_ret = s->dsn_ret;
	/* RFC 3461 4.4: the Message-ID identifies the message in notices. */
	job.env.dsn_envid = s->dsn_notify || s->dsn_ret ?
	    s->info.message_id : NULL;
	if (s->dsn_envid != NULL)		/* sendmail -V */
		job.env.dsn_envid = s->dsn_envid;
	job.env.dsn_required = s->opt->dsn_required;
	job.queue_only = s->opt->queue;
	*job_out = job;
}

/* The outcome of this send as one JSON object (--json). */
static void
mailx_report_json(const struct mailx_send *s, const struct failure *f,
    int status, const char *saved, const char *kept)
{
	struct report_send rs;
	struct failure note;

	memset(&rs, 0, sizeof(rs));
	rs.status = status;
	rs.failure = f;
	/* Queued on success: the note is the "error" that will be retried. */
	if (status == 0 && s->dres.note[0] != '\0') {
		failure_set(&note, F_TEMP, "%s", s->dres.note);
		rs.failure = &note;
	}
	rs.queue_id = s->dres.queue_id[0] ? s->dres.queue_id :
	    s->drop_id[0] ? s->drop_id : NULL;
	rs.message_id = s->info.message_id[0] ? s->info.message_id : NULL;
	rs.result = s->have_result ? &s->result : NULL;
	rs.dead_letter = saved;
	rs.kept = kept;
	report_send_json(&rs);
}

/*
 * Saves the message to ~/dead.letter when a person typed it (stdin is a
 * terminal), as mail(1) does.  Returns 0 with the path in saved, or -1.
 */
static int
mailx_dead_letter(const struct mailx_send *s, char *saved, size_t sz)
{
	struct failure f;
	const char *home = getenv("HOME");
	char *path;

	if (s->spool == NULL || !isatty(STDIN_FILENO) || home == NULL)
		return -1;
	path = xasprintf("%s/dead.letter", home);
	if (spool_dead_letter(path, s->spool, s->from.addr, &f) == -1) {
		fprintf(stderr, "outbox: %s\n", f.text);
		free(path);
		return -1;
	}
	strlcpy(saved, path, sz);
	free(path);
	return 0;
}

/* The sendlog settings of this run (syslog, log-file; test socket). */
void
mailx_sendlog_cfg(const struct config *cfg, const char *account,
    struct sendlog_cfg *c)
{
	/* Test-only (tests/README): the syslog socket the test binds. */
	sendlog_init(c, config_get(cfg, account, "syslog"),
	    config_get(cfg, account, "log-file"),
	    getenv("OUTBOX_TEST_SYSLOG_SOCKET"));
}

/*
 * The log line of this send (sendlog.h): once the message exists,
 * whatever became of it.
 */
static void
mailx_log(const struct mailx_send *s, int rc, const struct failure *f,
    const char *kept)
{
	struct sendlog_cfg c;
	struct sendlog_rec r;
	struct failure lf;
	struct stat st;
	const char **refused = NULL;
	char server[300];
	size_t i;

	if (s->spool == NULL || s->opt->dry_run)
		return;
	mailx_sendlog_cfg(s->cfg, s->set.account, &c);
	memset(&r, 0, sizeof(r));
	r.id = s->dres.queue_id[0] ? s->dres.queue_id : s->info.message_id[0] ?
	    s->info.message_id : NULL;
	r.from = s->from.addr;
	r.nrcpts = s->rcpts.n;
	if (s->have_result && s->result.nrcpts > 0) {
		refused = xcalloc(s->result.nrcpts, sizeof(*refused));
		for (i = 0; i < s->result.nrcpts; i++)
			if (!s->result.rcpts[i].accepted &&
			    s->result.rcpts[i].code >= 400)
				refused[r.nrefused++] = s->result.rcpts[i].addr;
		r.refused = refused;
	}
	r.size = fstat(fileno(s->spool), &st) == 0 ? (long long)st.st_size :
	    -1;
	if (s->set.smtp.host != NULL) {
		snprintf(server, sizeof(server), "%s:%s", s->set.smtp.host,
		    s->set.smtp.port);
		r.server = server;
	}
	if (rc == 0 && s->drop_id[0] != '\0') {
		r.id = s->drop_id;
		r.outcome = "maildrop";
	} else if (rc == 0 && s->dres.queue_id[0] == '\0') {
		r.outcome = "sent";
		r.reply = s->have_result ? s->result.final_reply : NULL;
	} else {
		r.outcome = rc == 0 ? "queued" : "failed";
		r.reply = rc == 0 && s->dres.note[0] ? s->dres.note : f->text;
	}
	r.kept = kept;
	r.status = rc == 0 ? 0 : failure_exitcode(f->kind);
	if (sendlog_write(&c, &r, &lf) == -1)
		log_warnx("%s", lf.text);
	free(refused);
}

void
mailx_log_flush(const struct config *cfg, const char *account,
    const struct flush_report *fr)
{
	static const char *const kinds[] = { "sent", "deferred", "failed" };
	static const int status[] = { 0, 75, 69 };
	struct sendlog_cfg c;
	struct sendlog_rec r;
	struct failure lf;
	size_t i;

	mailx_sendlog_cfg(cfg, account, &c);
	for (i = 0; i < fr->n; i++) {
		memset(&r, 0, sizeof(r));
		r.id = fr->v[i].id;
		r.size = -1;
		r.outcome = kinds[fr->v[i].kind];
		r.status = status[fr->v[i].kind];
		r.reply = fr->v[i].text;
		if (sendlog_write(&c, &r, &lf) == -1) {
			log_warnx("%s", lf.text);
			break;
		}
	}
}

static void
mailx_free(struct mailx_send *s)
{
	mailx_idn_free(s);
	free(s->rcpt_addrs);
	free(s->dsn_notify);
	if (s->have_result)
		smtp_result_free(&s->result);
	deliver_result_free(&s->dres);
	if (s->spool != NULL)
		fclose(s->spool);
	free(s->from.name);
	free(s->from.addr);
	address_list_free(&s->to);
	address_list_free(&s->cc);
	address_list_free(&s->bcc);
	address_list_free(&s->rcpts);
	memset(s, 0, sizeof(*s));
}

/*
 * Keep what failed (DESIGN "Never lose a message"): a message that
 * exists and was neither queued nor dropped goes to the queue's failed
 * area, whatever the failure and whether or not a person is watching;
 * rep->kept_id names it.  When some recipients were queued (4xx), the
 * ones refused with 5xx get their own failed entry, and f names both.
 * When it cannot be written, f says so and takes its kind (73, 74):
 * the message is lost.
 */
static void
mailx_keep(struct mailx_send *s, struct failure *f, struct front_report *rep)
{
	struct failure kf;
	struct job job;
	char id[QUEUE_ID_MAX], orig[FAILURE_TEXT_MAX];
	int queued = s->dres.queue_id[0] != '\0';

	if (s->spool == NULL || s->opt->dry_run || s->rcpt_addrs == NULL ||
	    s->drop_id[0] != '\0' || (queued && !s->have_result))
		return;
	mailx_job(s, &job);
	failure_clear(&kf);
	strlcpy(orig, f->text, sizeof(orig));
	if (deliver_keep_failed(&job, s->have_result ? &s->result : NULL,
	    queued, f->text, id, &kf) == -1) {
		failure_set(f, kf.kind, "%s; the message was not kept (%s)",
		    orig, kf.text);
		return;
	}
	if (id[0] == '\0')
		return;
	strlcpy(rep->kept_id, id, sizeof(rep->kept_id));
	rep->kept_area = FRONT_KEPT_FAILED;
	if (queued)
		failure_set(f, f->kind, "%s: queued as %s for those refused "
		    "with 4xx, kept as %s/%s for those refused with 5xx", orig,
		    s->dres.queue_id, FRONT_KEPT_FAILED, id);
}

int
mailx_finish(struct mailx_send *s, int rc, struct front_report *rep,
    struct failure *f)
{
	char kept[sizeof(FRONT_KEPT_FAILED) + QUEUE_ID_MAX];
	int status;

	if (rc == -1 && f->kind != F_USAGE)
		mailx_keep(s, f, rep);
	kept[0] = '\0';
	if (rep->kept_id[0] != '\0')
		snprintf(kept, sizeof(kept), "%s/%s", rep->kept_area,
		    rep->kept_id);
	mailx_log(s, rc, f, kept[0] ? kept : NULL);
	mailx_log_flush(s->cfg, s->set.account, &s->dres.flushed);
	if (rc == 0) {
		report_flush(&s->dres.flushed, 1);
		/* Safe in the queue: exit 0, and say so (DESIGN). */
		if (s->dres.queue_id[0] != '\0')
			fprintf(stderr, "outbox: queued %s: %s; will retry\n",
			    s->dres.queue_id, s->dres.note);
		if (s->drop_id[0] != '\0')
			fprintf(stderr, "outbox: queued for the system sender "
			    "(%s)\n", s->drop_id);
		if (s->opt->json && !s->opt->dry_run) {
			mailx_report_json(s, f, 0, NULL, NULL);
			rep->json_done = 1;
		}
	} else if (f->kind != F_USAGE) {
		status = failure_exitcode(f->kind);
		report_refusals(s->have_result ? &s->result : NULL);
		if (s->dres.queue_id[0] != '\0' && kept[0] == '\0')
			fprintf(stderr, "outbox: queued %s for the recipients "
			    "that may still get it; will retry\n",
			    s->dres.queue_id);
		else if (s->dres.queue_id[0] == '\0' && !s->opt->dry_run)
			(void)mailx_dead_letter(s, rep->saved,
			    sizeof(rep->saved));
		if (s->opt->json) {
			mailx_report_json(s, f, status, rep->saved[0] ?
			    rep->saved : NULL, kept[0] ? kept : NULL);
			rep->json_done = 1;
		}
	}
	mailx_free(s);
	return rc;
}

/*
 * -E (s-nail's skipemptybody): is the body on stdin empty?  The byte
 * looked at goes back to stdin.
 */
static int
mailx_body_empty(void)
{
	int c = getc(stdin);

	if (c == EOF)
		return !ferror(stdin);
	ungetc(c, stdin);
	return 0;
}

static int
mailx_phases(struct mailx_send *s, struct failure *f)
{
	if (mailx_settings(s->opt, s->cfg, &s->set, f) == -1)
		return -1;
	if (mailx_sender(s, s->opt->from ? s->opt->from : s->set.from,
	    f) == -1)
		return -1;
	if (mailx_recipients(s, f) == -1)
		return -1;
	if (mailx_dsn(s, f) == -1)
		return -1;
	if (s->opt->skip_empty && mailx_body_empty()) {
		/* No message, nothing to keep: the alias error alone. */
		if (s->pending.kind != F_NONE) {
			*f = s->pending;
			return -1;
		}
		log_info("the body is empty: nothing sent (-E)");
		return 0;
	}
	if (mailx_compose(s, f) == -1)
		return -1;
	if (s->opt->dry_run)
		return spool_wire(s->spool, stdout, 0, NULL, f);
	/* An alias error: the message exists now, and is kept. */
	if (s->pending.kind != F_NONE)
		return mailx_fail_pending(s, f);
	return mailx_submit(s, f);
}

int
mailx_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f)
{
	struct mailx_send s;

	mailx_init(&s, o, cfg);
	return mailx_finish(&s, mailx_phases(&s, f), rep, f);
}
