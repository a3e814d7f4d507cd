/*
 * queuecmd.c — the queue commands (see queuecmd.h).  Each takes the
 * options, the loaded config and the account's settings.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "deliver.h"
#include "idn.h"
#include "log.h"
#include "mailx.h"
#include "maildrop.h"
#include "queue.h"
#include "queuecmd.h"
#include "recipients.h"
#include "report.h"
#include "sendlog.h"
#include "sendmail_msg.h"
#include "xmalloc.h"

/* Rounds of maildrop intake and flush in one --flush, at most. */
#define QUEUECMD_INTAKE_ROUNDS 8

/* The Subject of each entry, for the listing (item 7 of issue 11). */
static void
queuecmd_subjects(const char *dir, struct queue_entry *v, size_t n)
{
	struct sendmail_msg sm;
	struct failure f;
	char *raw;
	size_t i;
	FILE *fp;

	for (i = 0; i < n; i++) {
		if ((fp = queue_open_msg(dir, &v[i], &f)) == NULL)
			continue;
		if (sendmail_msg_read_header(fp, 1, &sm, &f) == 0 &&
		    (raw = sendmail_msg_header(&sm, "Subject", 0)) != NULL) {
			v[i].subject = sendmail_msg_decode_words(raw);
			free(raw);
		}
		sendmail_msg_free(&sm);
		fclose(fp);
	}
}

static int
queuecmd_list(const struct options *o, const char *dir,
    struct front_report *rep, struct failure *f)
{
	struct queue_entry *v;
	size_t n;
	time_t now = time(NULL);

	size_t i, k;

	if (queue_list(dir, 1, &v, &n, f) == -1)
		return -1;
	/* --failed: the failed area only (queue_list puts it last). */
	for (i = 0; o->failed_only && i < n && !v[i].failed; i++)
		;
	if (i > 0 && o->failed_only) {
		for (k = 0; k < i; k++)
			queue_entry_free(&v[k]);
		memmove(v, v + i, (n - i) * sizeof(*v));
		n -= i;
	}
	queuecmd_subjects(dir, v, n);
	report_queue(dir, v, n, now, o->json);
	rep->json_done = o->json;
	queue_entries_free(v, n);
	return 0;
}

static int
queuecmd_drop(const struct options *o, const char *dir,
    struct front_report *rep, struct failure *f)
{
	int lock;

	/* Wait for a running flush: it may be sending this very entry. */
	if ((lock = queue_lock(dir, 1, f)) < 0)
		return -1;
	if (queue_drop(dir, o->queue_id, f) == -1) {
		close(lock);
		return -1;
	}
	close(lock);
	if (o->json) {
		printf("{\"status\":0,\"result\":\"dropped\",\"queue_id\":");
		report_json_str(stdout, o->queue_id);
		printf("}\n");
		rep->json_done = 1;
	}
	return 0;
}

/*
 * A failed entry kept with recipients unresolved (a bare name: an alias
 * error, or a name nothing resolved; mailx_fail_pending()): the names go
 * through the entry's account's aliases and default-domain again, so a
 * fixed config takes effect, and the entry is rewritten.  0 (nothing to
 * do, or done), or -1 with f (the entry stays as it was).
 */
static int
queuecmd_resolve(const struct config *cfg, const char *dir,
    struct queue_entry *e, struct failure *f)
{
	struct address_list l = { 0 };
	struct settings set;
	char **rcpts, **ascii;
	size_t i, bare = 0;

	for (i = 0; i < e->env.nrcpts; i++)
		bare += !address_has_domain(e->env.rcpts[i]);
	if (bare == 0)
		return 0;
	if (config_settings(cfg, e->account, &set, f) == -1)
		return -1;
	for (i = 0; i < e->env.nrcpts; i++) {
		if (address_has_domain(e->env.rcpts[i]))
			address_list_add(&l, NULL, e->env.rcpts[i]);
		else if (recipients_expand(cfg, &set, e->env.rcpts[i], &l,
		    f) == -1) {
			address_list_free(&l);
			return -1;
		}
	}
	recipients_unique(&l);
	rcpts = xcalloc(l.n ? l.n : 1, sizeof(*rcpts));
	ascii = xcalloc(l.n ? l.n : 1, sizeof(*ascii));
	for (i = 0; i < l.n; i++) {
		rcpts[i] = xstrdup(l.v[i].addr);
		ascii[i] = idn_addr_ascii(l.v[i].addr, f);
		if (ascii[i] == NULL && f->kind != F_NONE) {
			free(rcpts[i]);
			break;
		}
	}
	address_list_free(&l);
	if (f->kind != F_NONE) {
		/* The entry keeps the recipients it had. */
		while (i-- > 0) {
			free(rcpts[i]);
			free(ascii[i]);
		}
		free(rcpts);
		free(ascii);
		return -1;
	}
	queue_entry_set_rcpts(e, rcpts, ascii, i);
	log_info("queue %s: %zu recipient%s resolved again", e->id, bare,
	    bare == 1 ? "" : "s");
	return queue_update(dir, e, f);
}

/*
 * A failed entry whose retry failed before any send says why in its
 * last-reply, as a failed send would; the failure already on its way to
 * the user is what counts, so a write error here is only logged.
 */
static void
queuecmd_note_reply(const char *dir, struct queue_entry *e,
    const char *why)
{
	struct failure wf;
	const char *old = e->last_reply;

	failure_clear(&wf);
	e->last_reply = why;
	if (queue_update(dir, e, &wf) == -1)
		log_warnx("queue %s: %s", e->id, wf.text);
	e->last_reply = old;
}

/*
 * --queue-retry ID|all: failed entries back to the queue, due now; then
 * a flush sends them (and whatever else is due).
 */
static int
queuecmd_retry(const struct options *o, const struct config *cfg,
    const char *dir, struct front_report *rep, struct failure *f)
{
	struct queue_entry *v;
	struct flush_report fr;
	struct failure rf, unresolved;
	size_t n, i, moved = 0, found = 0;
	int lock, rc = 0, all = strcmp(o->queue_id, "all") == 0;

	if ((lock = queue_lock(dir, 1, f)) < 0)
		return -1;
	if (queue_list(dir, 1, &v, &n, f) == -1) {
		close(lock);
		return -1;
	}
	failure_clear(&unresolved);
	for (i = 0; rc == 0 && i < n; i++) {
		if (!v[i].failed || (!all && strcmp(v[i].id, o->queue_id) != 0))
			continue;
		found++;
		/* Its aliases still fail: it stays, and says why. */
		failure_clear(&rf);
		if (queuecmd_resolve(cfg, dir, &v[i], &rf) == -1) {
			if (unresolved.kind == F_NONE)
				failure_set(&unresolved, rf.kind, "retry %s: %s; "
				    "still kept as failed/%s", v[i].id,
				    rf.text, v[i].id);
			queuecmd_note_reply(dir, &v[i], rf.text);
			continue;
		}
		if (queue_unfail(dir, &v[i], f) == -1)
			rc = -1;
		else
			moved++;
	}
	queue_entries_free(v, n);
	close(lock);
	if (rc == -1)
		return -1;
	if (found == 0 && !all)
		return failure_set(f, F_NOINPUT, "no failed entry %s in %s",
		    o->queue_id, dir);
	log_info("%zu failed entr%s back in the queue", moved, moved == 1 ?
	    "y" : "ies");
	rc = deliver_flush(cfg, NULL, dir, 1, &fr, f);
	report_flush(&fr, 0);
	mailx_log_flush(cfg, NULL, &fr);
	if (rc == 0 && fr.count[FLUSH_FAILED] > 0)
		rc = failure_set(f, F_PERM, "retry: %zu message%s "
		    "undeliverable, kept in %s/failed", fr.count[FLUSH_FAILED],
		    fr.count[FLUSH_FAILED] == 1 ? "" : "s", dir);
	if (rc == 0 && unresolved.kind != F_NONE) {
		*f = unresolved;
		rc = -1;
	}
	if (o->json) {
		report_flush_json(&fr, rc == 0 ? 0 :
		    failure_exitcode(f->kind));
		rep->json_done = 1;
	}
	flush_report_free(&fr);
	return rc;
}

/*
 * Failed entries are kept for queue-max-age from when they failed (the
 * time of their .env), then removed, each with a log line.
 */
static void
queuecmd_expire(const struct config *cfg, const struct settings *set,
    const char *dir)
{
	struct queue_entry *v;
	struct sendlog_cfg c;
	struct sendlog_rec r;
	struct failure f, lf;
	struct stat st;
	char path[PATH_MAX];
	size_t n, i;
	time_t now = time(NULL);

	if (queue_list(dir, 1, &v, &n, &f) == -1)
		return;
	mailx_sendlog_cfg(cfg, set->account, &c);
	for (i = 0; i < n; i++) {
		if (!v[i].failed ||
		    (size_t)snprintf(path, sizeof(path), "%s/failed/%s.env",
		    dir, v[i].id) >= sizeof(path) || stat(path, &st) == -1 ||
		    now - st.st_mtime <= set->queue_max_age)
			continue;
		if (queue_remove(dir, &v[i], &f) == -1)
			continue;
		log_info("queue %s: failed entry removed after queue-max-age",
		    v[i].id);
		memset(&r, 0, sizeof(r));
		r.id = v[i].id;
		r.from = v[i].env.from;
		r.nrcpts = v[i].env.nrcpts;
		r.size = (long long)v[i].size;
		r.outcome = "expired";
		r.status = 0;
		r.reply = "failed entry removed after queue-max-age";
		if (sendlog_write(&c, &r, &lf) == -1)
			log_warnx("%s", lf.text);
	}
	queue_entries_free(v, n);
}

/*
 * Root's flush first takes in what local users dropped (maildrop.h),
 * under the queue's lock so two flushes never take a file twice; each
 * file gets a log line.  Returns how many files it took (0 when not
 * root or there is no maildrop).
 */
static size_t
queuecmd_intake(const struct config *cfg, const struct settings *set,
    const char *dir)
{
	struct maildrop_report mr;
	struct sendlog_cfg c;
	struct sendlog_rec r;
	struct failure f, lf;
	const char *md = getenv("OUTBOX_TEST_MAILDROP");
	char reply[400];
	size_t i;
	int lock;

	if (geteuid() != 0)
		return 0;
	if (md == NULL || *md == '\0')
		md = MAILDROP_DIR;
	/* No maildrop set up (make install-systemd makes it): nothing. */
	if (access(md, F_OK) == -1)
		return 0;
	if ((lock = queue_lock(dir, 1, &f)) < 0) {
		log_warnx("maildrop: %s", f.text);
		return 0;
	}
	failure_clear(&f);
	if (maildrop_intake(md, dir, cfg, set, &mr, &f) == -1)
		log_warnx("maildrop: %s", f.text);
	close(lock);
	mailx_sendlog_cfg(cfg, set->account, &c);
	for (i = 0; i < mr.n; i++) {
		const struct maildrop_event *ev = &mr.v[i];

		memset(&r, 0, sizeof(r));
		r.size = ev->size;
		if (ev->why[0] != '\0') {
			log_warnx("maildrop: %s from %s rejected: %s", ev->name,
			    ev->user, ev->why);
			snprintf(reply, sizeof(reply), "maildrop of %s "
			    "rejected: %s", ev->user, ev->why);
			r.id = ev->name;
			r.outcome = "rejected";
			r.status = 65;
		} else {
			log_info("maildrop: %s from %s queued as %s", ev->name,
			    ev->user, ev->queue_id);
			snprintf(reply, sizeof(reply), "from the maildrop of "
			    "%s (%s)", ev->user, ev->name);
			r.id = ev->queue_id;
			r.from = ev->from;
			r.nrcpts = ev->nrcpts;
			r.outcome = "queued";
		}
		r.reply = reply;
		if (sendlog_write(&c, &r, &lf) == -1)
			log_warnx("%s", lf.text);
	}
	i = mr.n;
	maildrop_report_free(&mr);
	return i;
}

/* --flush: -A limits it to one account; --now ignores the back-off. */
static int
queuecmd_flush(const struct options *o, const struct config *cfg,
    const struct settings *set, const char *dir, struct front_report *rep,
    struct failure *f)
{
	struct flush_report fr, one;
	int rc, round;

	/*
	 * A drop that lands while the flush runs starts no second flush
	 * (systemd's .path unit finds its service still active), so the
	 * maildrop is looked at again after each round, until a look finds
	 * nothing new; the timer catches what lands after the last look.
	 */
	memset(&fr, 0, sizeof(fr));
	queuecmd_intake(cfg, set, dir);
	for (round = 1; ; round++) {
		rc = deliver_flush(cfg, o->account ? set : NULL, dir, o->now,
		    &one, f);
		flush_report_append(&fr, &one);
		if (rc == -1 || fr.busy || round == QUEUECMD_INTAKE_ROUNDS ||
		    queuecmd_intake(cfg, set, dir) == 0)
			break;
	}
	if (fr.busy)
		log_warnx("another flush of %s is running; nothing done", dir);
	report_flush(&fr, 0);
	mailx_log_flush(cfg, set->account, &fr);
	if (rc == 0 && fr.count[FLUSH_FAILED] > 0)
		rc = failure_set(f, F_PERM, "flush: %zu message%s "
		    "undeliverable, kept in %s/failed", fr.count[FLUSH_FAILED],
		    fr.count[FLUSH_FAILED] == 1 ? "" : "s", dir);
	if (rc == 0 || f->kind == F_PERM)
		queuecmd_expire(cfg, set, dir);
	if (rc == 0)
		log_info("flush: %zu sent, %zu deferred",
		    fr.count[FLUSH_SENT], fr.count[FLUSH_DEFERRED]);
	if (o->json) {
		report_flush_json(&fr, rc == 0 ? 0 :
		    failure_exitcode(f->kind));
		rep->json_done = 1;
	}
	flush_report_free(&fr);
	return rc;
}

int
queuecmd_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f)
{
	struct settings set;
	char dir[PATH_MAX];

	/* The account as the mailx personality picks it (-A, -r). */
	if (mailx_settings(o, cfg, &set, f) == -1 ||
	    queue_dir_resolve(set.queue_dir, dir, sizeof(dir), f) == -1)
		return -1;
	switch (o->mode) {
	case CLI_FLUSH:
		return queuecmd_flush(o, cfg, &set, dir, rep, f);
	case CLI_QUEUE_LIST:
		return queuecmd_list(o, dir, rep, f);
	case CLI_QUEUE_DROP:
		return queuecmd_drop(o, dir, rep, f);
	case CLI_QUEUE_RETRY:
		return queuecmd_retry(o, cfg, dir, rep, f);
	default:
		break;
	}
	return failure_set(f, F_INTERNAL, "%s: mode %d", __func__, o->mode);
}
