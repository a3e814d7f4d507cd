/*
 * deliver.c — a finished message to the configured server, or to the
 * durable queue; and the queue flush (see deliver.h).  The password is
 * fetched only now, after every input was read, and wiped as soon as the
 * session no longer needs it.
 *
 * Duplicates: a message is removed from the queue only after the server
 * answered 250 to its final dot.  When the connection dies after the dot
 * and before that reply (smtp_result.uncertain), the server may or may
 * not have it: the entry is kept and sent again, so the recipient may
 * get it twice; the entry's last reply says so.  A flush killed between
 * the 250 and the removal of the entry (made moments later, flush_rm)
 * does the same, and so does a crash of the machine before the flush
 * syncs its removals (once per FLUSH_SYNC_BATCH delivered entries and at
 * the end: a removal a crash undoes sends a message twice, never loses
 * one; see queue.c).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "credentials.h"
#include "deliver.h"
#include "sendmail_msg.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"

/* Delivered entries removed between two syncs of the queue directory. */
#define FLUSH_SYNC_BATCH 64

/* The configuration's words for security, in the engine's. */
static enum smtp_security
deliver_security(enum config_security sec)
{
	switch (sec) {
	case SEC_TLS:
		return SMTP_SEC_TLS;
	case SEC_NONE:
		return SMTP_SEC_NONE;
	case SEC_STARTTLS:
		break;
	}
	return SMTP_SEC_STARTTLS;
}

/* smtp-auth's value as a SASL mechanism; auto is SASL_NONE (choose). */
static enum sasl_mech
deliver_mech(enum config_auth auth)
{
	switch (auth) {
	case AUTH_PLAIN:
		return SASL_PLAIN;
	case AUTH_LOGIN:
		return SASL_LOGIN;
	case AUTH_CRAM_MD5:
		return SASL_CRAM_MD5;
	case AUTH_SCRAM_SHA_256:
		return SASL_SCRAM_SHA_256;
	case AUTH_XOAUTH2:
		return SASL_XOAUTH2;
	case AUTH_OAUTHBEARER:
		return SASL_OAUTHBEARER;
	case AUTH_AUTO:
	case AUTH_NONE:
		break;
	}
	return SASL_NONE;
}

/*
 * The session parameters of set, with password (may be NULL: no AUTH;
 * deliver_password() fetches one only when set authenticates).
 */
void
deliver_params(const struct settings *set, const char *password,
    struct smtp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->host = set->smtp.host;
	p->port = set->smtp.port;
	p->security = deliver_security(set->smtp.security);
	p->mech = deliver_mech(set->smtp.auth);
	p->user = password ? set->smtp.user : NULL;
	p->password = password;
	p->ca_file = set->smtp.ca_file;
	p->fingerprint = set->smtp.fingerprint;
	p->helo_name = set->hostname;
	p->timeout = set->smtp.timeout;
}

int
deliver_password(const struct settings *set, char **password,
    struct failure *f)
{
	*password = NULL;
	if (set->smtp.host == NULL)
		return failure_set(f, F_CONFIG, "no SMTP server configured: "
		    "set smtp=host:port in your outboxrc");
	if (set->smtp.user != NULL && set->smtp.auth != AUTH_NONE &&
	    (*password = credentials_get(&set->smtp, f)) == NULL)
		return -1;
	return 0;
}

/*
 * The server refused an OAuth2 token (F_AUTH): one fresh token, once.
 * 0 with *password and p renewed, else -1 with f kept or set.
 */
static int
deliver_renew(const struct settings *set, char **password,
    struct smtp_params *p, struct failure *f)
{
	struct failure rf;
	char *fresh;

	if (f->kind != F_AUTH || *password == NULL ||
	    !credentials_is_token(&set->smtp))
		return -1;
	log_info("the server refused the OAuth2 access token; refreshing "
	    "it once");
	failure_clear(&rf);
	if ((fresh = credentials_renew(&set->smtp, *password, &rf)) == NULL) {
		*f = rf;
		return -1;
	}
	credentials_free(*password);
	*password = fresh;
	deliver_params(set, *password, p);
	failure_clear(f);
	return 0;
}

static int deliver_enqueue(const struct job *, const int *, const char *,
    char *, struct failure *);

/*
 * An OAuth2 login that no longer works (invalid_grant, no token, a token
 * refused after a refresh): the message waits in the queue for the next
 * login and flush, and the failure stays (77).  Returns -1.
 */
static int
deliver_keep_for_login(const struct job *job, struct deliver_result *out,
    struct failure *f)
{
	struct failure qf;

	if (f->kind != F_AUTH || !job->set->queue_on_failure ||
	    !credentials_is_token(&job->set->smtp))
		return -1;
	failure_clear(&qf);
	if (deliver_enqueue(job, NULL, f->text, out->queue_id, &qf) == -1)
		log_warnx("cannot queue the message: %s", qf.text);
	return -1;
}

/* An envelope narrowed to some recipients; it owns only the arrays. */
struct deliver_subset {
	struct smtp_envelope env;
	const char **rcpts;		/* env.rcpts */
	const char **ascii;		/* env.rcpts_ascii */
};

/*
 * sub->env = *src with only the recipients i for which take[i] is set
 * (all when take is NULL); the strings are src's.  Free the arrays with
 * deliver_subset_free().
 */
static void
deliver_subset(const struct smtp_envelope *src, const int *take,
    struct deliver_subset *sub)
{
	size_t i, n = src->nrcpts ? src->nrcpts : 1, o = 0;

	sub->rcpts = xcalloc(n, sizeof(*sub->rcpts));
	sub->ascii = xcalloc(n, sizeof(*sub->ascii));
	for (i = 0; i < src->nrcpts; i++) {
		if (take != NULL && !take[i])
			continue;
		sub->rcpts[o] = src->rcpts[i];
		sub->ascii[o++] = src->rcpts_ascii ? src->rcpts_ascii[i] :
		    NULL;
	}
	sub->env = *src;
	sub->env.nrcpts = o;
	sub->env.rcpts = sub->rcpts;
	sub->env.rcpts_ascii = sub->ascii;
}

static void
deliver_subset_free(struct deliver_subset *sub)
{
	free(sub->rcpts);
	free(sub->ascii);
}

/* Queues job's recipients for which take[i] is set; the id to id. */
static int
deliver_enqueue(const struct job *job, const int *take, const char *reason,
    char *id, struct failure *f)
{
	struct deliver_subset sub;
	struct queue_entry e;
	char dir[PATH_MAX];
	int rc;

	if (queue_dir_resolve(job->set->queue_dir, dir, sizeof(dir), f) == -1)
		return -1;
	memset(&e, 0, sizeof(e));
	e.account = job->set->account;
	e.last_reply = reason;
	deliver_subset(&job->env, take, &sub);
	e.env = sub.env;
	rc = queue_add(dir, &e, job->msg, id, f);
	deliver_subset_free(&sub);
	return rc;
}

int
deliver_keep_failed(const struct job *job, const struct smtp_result *r,
    int perm_only, const char *reason, char *id, struct failure *f)
{
	struct deliver_subset sub;
	struct queue_entry e;
	char dir[PATH_MAX], why[FAILURE_TEXT_MAX];
	int *take, rc, any = 0;
	size_t i;

	id[0] = '\0';
	/*
	 * The recipients that did not get it: a retry goes to them only.
	 * perm_only: those refused with 5xx (the 4xx ones are queued).
	 */
	take = xcalloc(job->env.nrcpts ? job->env.nrcpts : 1, sizeof(*take));
	for (i = 0; i < job->env.nrcpts; i++) {
		const struct smtp_rcpt *x = r != NULL && i < r->nrcpts ?
		    &r->rcpts[i] : NULL;

		if (perm_only)
			take[i] = x != NULL && !x->accepted && x->code >= 500;
		else
			take[i] = x == NULL || !x->accepted;
		/* The reason of a 5xx share: the first refusal's reply. */
		if (perm_only && take[i] && !any)
			snprintf(why, sizeof(why), "RCPT TO <%s>: %s", x->addr,
			    x->reply ? x->reply : "refused");
		any |= take[i];
	}
	if (!any) {
		free(take);
		return 0;
	}
	if (perm_only)
		reason = why;
	if (queue_dir_resolve(job->set->queue_dir, dir, sizeof(dir), f) == -1) {
		free(take);
		return -1;
	}
	memset(&e, 0, sizeof(e));
	e.failed = 1;
	e.account = job->set->account;
	e.last_reply = reason;
	deliver_subset(&job->env, take, &sub);
	e.env = sub.env;
	rc = queue_add(dir, &e, job->msg, id, f);
	deliver_subset_free(&sub);
	free(take);
	return rc;
}

/* Tells the user what the engine noticed (it prints nothing itself). */
static void
deliver_warn(unsigned int warnings)
{
	if (warnings & SMTP_WARN_NO_DSN)
		log_warnx("%s", smtp_warning_text(SMTP_WARN_NO_DSN));
	if (warnings & SMTP_WARN_DATA_NO_RCPT)
		log_info("%s", smtp_warning_text(SMTP_WARN_DATA_NO_RCPT));
}

/* 1 when a recipient of r was refused with 5xx. */
static int
deliver_any_perm(const struct smtp_result *r)
{
	size_t i;

	for (i = 0; i < r->nrcpts; i++)
		if (!r->rcpts[i].accepted && r->rcpts[i].code >= 500)
			return 1;
	return 0;
}

/*
 * After a failed send: queues what may still go, when it may.  Returns
 * 1 when something was queued, 0 when nothing was, -1 when the queue
 * could not be written (f then says why, the send's failure added).
 */
static int
deliver_queue_failure(const struct job *job, const struct smtp_result *r,
    struct deliver_result *out, struct failure *f)
{
	struct failure qf;
	char why[FAILURE_TEXT_MAX];
	int *take, any = 0;
	size_t i;

	if (!job->set->queue_on_failure ||
	    (f->kind != F_TEMP && f->kind != F_NOUSER))
		return 0;
	take = xcalloc(job->env.nrcpts ? job->env.nrcpts : 1, sizeof(*take));
	for (i = 0; i < job->env.nrcpts; i++) {
		const struct smtp_rcpt *x = i < r->nrcpts ? &r->rcpts[i] :
		    NULL;

		if (x != NULL && x->accepted)
			continue;
		/* 5xx is final; with F_NOUSER only 4xx refusals wait. */
		if (x != NULL && x->code >= 500)
			continue;
		if (f->kind == F_NOUSER && (x == NULL || x->code < 400))
			continue;
		take[i] = 1;
		any = 1;
	}
	if (!any) {
		free(take);
		return 0;
	}
	/* The reason kept with the entry: the first such recipient's reply. */
	strlcpy(why, f->text, sizeof(why));
	for (i = 0; f->kind == F_NOUSER && i < job->env.nrcpts; i++)
		if (i < r->nrcpts && take[i] && r->rcpts[i].reply != NULL) {
			snprintf(why, sizeof(why), "RCPT TO <%s>: %s",
			    r->rcpts[i].addr, r->rcpts[i].reply);
			break;
		}
	failure_clear(&qf);
	if (deliver_enqueue(job, take, why, out->queue_id, &qf) == -1) {
		strlcpy(why, f->text, sizeof(why));
		failure_set(f, qf.kind, "cannot queue the message: %s "
		    "(sending failed: %s)", qf.text, why);
		free(take);
		return -1;
	}
	free(take);
	/* Only 4xx refusals: the notice names the reason, not the count. */
	if (f->kind == F_NOUSER && !deliver_any_perm(r))
		failure_set(f, F_TEMP, "%s", why);
	return 1;
}

/* A session for the flush to carry on with (deliver() after a send). */
struct flush_shared {
	const struct smtp_params *p;
	struct smtp_session *sess;	/* in, and out: it may be replaced */
};

static int flush_run(const struct config *, const struct settings *,
    const char *, int, struct flush_shared *, struct flush_report *,
    struct failure *);

int
deliver(const struct job *job, struct smtp_result *r,
    struct deliver_result *out, struct failure *f)
{
	const struct settings *set = job->set;
	struct flush_shared shared;
	struct smtp_session *sess;
	struct smtp_params p;
	struct smtp_envelope env;
	struct failure ignore;
	char *password = NULL, dir[PATH_MAX];
	int rc;

	memset(r, 0, sizeof(*r));
	memset(out, 0, sizeof(*out));
	failure_clear(f);
	if (job->queue_only) {
		if (deliver_enqueue(job, NULL, "queued by --queue",
		    out->queue_id, f) == -1)
			return -1;
		strlcpy(out->note, "queued by --queue", sizeof(out->note));
		return 0;
	}
	if (deliver_password(set, &password, f) == -1)
		return deliver_keep_for_login(job, out, f);
	deliver_params(set, password, &p);

	env = job->env;
	if (spool_wire(job->msg, NULL, 1, &env.size, f) == -1) {
		credentials_free(password);
		return -1;
	}
	if ((sess = smtp_open(&p, f)) == NULL &&
	    deliver_renew(set, &password, &p, f) == 0)
		sess = smtp_open(&p, f);
	if (sess == NULL) {
		smtp_result_init(r, &env);
		rc = -1;
	} else
		rc = smtp_send(sess, &env, job->msg, r, f);
	out->warnings = r->warnings;
	deliver_warn(r->warnings);
	/*
	 * The server is up: what waits for it may go now, quietly, over the
	 * same connection and with the same password.
	 */
	failure_clear(&ignore);
	if (rc == 0 && queue_dir_resolve(set->queue_dir, dir, sizeof(dir),
	    &ignore) == 0 && queue_pending(dir)) {
		shared.p = &p;
		shared.sess = sess;
		flush_run(NULL, set, dir, 0, &shared, &out->flushed, &ignore);
		sess = shared.sess;
	}
	smtp_close(sess);
	credentials_free(password);
	if (rc == 0)
		return 0;
	if (f->kind == F_AUTH)
		return deliver_keep_for_login(job, out, f);
	if (deliver_queue_failure(job, r, out, f) <= 0)
		return -1;
	/* Queued; refusals for good still make it a failure (67). */
	if (f->kind == F_NOUSER)
		return -1;
	strlcpy(out->note, f->text, sizeof(out->note));
	failure_clear(f);
	return 0;
}

void
deliver_result_free(struct deliver_result *out)
{
	flush_report_free(&out->flushed);
	memset(out, 0, sizeof(*out));
}

/*
 * The flush
 */

static void
flush_event(struct flush_report *rep, const char *id, enum flush_kind kind,
    const char *text, time_t next)
{
	struct flush_event *ev;

	rep->v = xreallocarray(rep->v, rep->n + 1, sizeof(*rep->v));
	ev = &rep->v[rep->n++];
	memset(ev, 0, sizeof(*ev));
	strlcpy(ev->id, id, sizeof(ev->id));
	ev->kind = kind;
	ev->text = text ? xstrdup(text) : NULL;
	ev->next = next;
	rep->count[kind]++;
}

void
flush_report_free(struct flush_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		free(rep->v[i].text);
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

void
flush_report_append(struct flush_report *to, struct flush_report *from)
{
	size_t k;

	if (from->n > 0) {
		to->v = xreallocarray(to->v, to->n + from->n, sizeof(*to->v));
		memcpy(to->v + to->n, from->v, from->n * sizeof(*from->v));
		to->n += from->n;
	}
	for (k = 0; k < sizeof(to->count) / sizeof(to->count[0]); k++)
		to->count[k] += from->count[k];
	to->busy |= from->busy;
	free(from->v);
	memset(from, 0, sizeof(*from));
}

/* One account's share of a flush: its settings and open session. */
struct flush_group {
	const char *dir;
	const struct settings *set;
	struct smtp_params p;
	char *password;
	struct smtp_session *sess;
	int shared;			/* sess and p are deliver()'s */
	int renewed;			/* the OAuth2 token was refreshed
					   after a refusal (once a flush) */
	struct failure down;		/* set: the server cannot be had */
	time_t now;
	struct flush_report *rep;
	struct flush_rm *rm;		/* the removals of delivered entries */
};

/*
 * The removal of delivered entries, off the session's path.  A file
 * system may take milliseconds to unlink a file it has just synced (it
 * frees the blocks; seen at 0.1 to 2.6 ms per unlink on a busy ext4),
 * several times the server's reply time, so removals made in line bound
 * the flush at a few hundred messages a second.  Here FLUSH_RM_THREADS
 * threads unlink while the session goes on, and each other's waits
 * overlap.  The ring is bounded (memory stays flat); a full ring makes
 * the flush wait for a slot.  Until its removal an entry's .env keeps
 * the in-flight mark, so a flush killed meanwhile leaves it marked: it
 * is sent again with the warning, the duplicate case of the top.  The
 * removals are synced every FLUSH_SYNC_BATCH and once at the end
 * (flush_rm_finish()).  Without threads (pthread_create failed) the
 * removal is made in line.
 */
#define FLUSH_RM_THREADS 4
#define FLUSH_RM_RING 256

struct flush_rm {
	pthread_mutex_t mu;
	pthread_cond_t more;		/* an id was queued, or stop */
	pthread_cond_t room;		/* a slot was freed */
	const char *dir;
	struct queue_entry ring[FLUSH_RM_RING];	/* id and failed only */
	size_t head, count;
	size_t unsynced;		/* removals since the last sync */
	int stop;
	struct failure fail;		/* the first failure */
	pthread_t th[FLUSH_RM_THREADS];
	size_t nth;
};

static void *
flush_rm_worker(void *arg)
{
	struct flush_rm *rm = arg;
	struct queue_entry e;
	struct failure lf;
	int sync, rc;

	pthread_mutex_lock(&rm->mu);
	for (;;) {
		while (rm->count == 0 && !rm->stop)
			pthread_cond_wait(&rm->more, &rm->mu);
		if (rm->count == 0)
			break;
		e = rm->ring[rm->head];
		rm->head = (rm->head + 1) % FLUSH_RM_RING;
		rm->count--;
		pthread_cond_signal(&rm->room);
		pthread_mutex_unlock(&rm->mu);
		failure_clear(&lf);
		rc = queue_remove_unsynced(rm->dir, &e, &lf);
		pthread_mutex_lock(&rm->mu);
		sync = rc == 0 && ++rm->unsynced >= FLUSH_SYNC_BATCH;
		if (sync)
			rm->unsynced = 0;
		if (sync) {
			pthread_mutex_unlock(&rm->mu);
			rc = queue_sync(rm->dir, &lf);
			pthread_mutex_lock(&rm->mu);
		}
		if (rc == -1 && rm->fail.kind == F_NONE)
			rm->fail = lf;
	}
	pthread_mutex_unlock(&rm->mu);
	return NULL;
}

/* Starts the removers; NULL when no thread could be had. */
static struct flush_rm *
flush_rm_start(const char *dir)
{
	struct flush_rm *rm = xcalloc(1, sizeof(*rm));

	rm->dir = dir;
	failure_clear(&rm->fail);
	if (pthread_mutex_init(&rm->mu, NULL) != 0) {
		free(rm);
		return NULL;
	}
	pthread_cond_init(&rm->more, NULL);
	pthread_cond_init(&rm->room, NULL);
	for (; rm->nth < FLUSH_RM_THREADS; rm->nth++)
		if (pthread_create(&rm->th[rm->nth], NULL, flush_rm_worker,
		    rm) != 0)
			break;
	return rm;
}

/*
 * Hands the delivered entry e to the removers (in line when there are
 * none).  -1 with f when a removal failed (this one or an earlier).
 */
static int
flush_rm_push(struct flush_group *g, const struct queue_entry *e,
    struct failure *f)
{
	struct flush_rm *rm;
	struct queue_entry *slot;
	int rc = 0;

	if (g->rm == NULL)
		g->rm = flush_rm_start(g->dir);
	if ((rm = g->rm) == NULL || rm->nth == 0) {
		if (queue_remove_unsynced(g->dir, e, f) == -1)
			return -1;
		return queue_sync(g->dir, f);
	}
	pthread_mutex_lock(&rm->mu);
	while (rm->count == FLUSH_RM_RING && rm->fail.kind == F_NONE)
		pthread_cond_wait(&rm->room, &rm->mu);
	if (rm->fail.kind != F_NONE) {
		*f = rm->fail;
		rc = -1;
	} else {
		slot = &rm->ring[(rm->head + rm->count) % FLUSH_RM_RING];
		memset(slot, 0, sizeof(*slot));
		strlcpy(slot->id, e->id, sizeof(slot->id));
		slot->failed = e->failed;
		rm->count++;
		pthread_cond_signal(&rm->more);
	}
	pthread_mutex_unlock(&rm->mu);
	return rc;
}

/*
 * Waits for the removals handed over, syncs them, ends the removers.
 * -1 with f when one failed.
 */
static int
flush_rm_finish(struct flush_group *g, struct failure *f)
{
	struct flush_rm *rm = g->rm;
	size_t i;
	int rc = 0;

	if (rm == NULL)
		return 0;
	g->rm = NULL;
	pthread_mutex_lock(&rm->mu);
	rm->stop = 1;
	pthread_cond_broadcast(&rm->more);
	pthread_mutex_unlock(&rm->mu);
	for (i = 0; i < rm->nth; i++)
		pthread_join(rm->th[i], NULL);
	if (rm->fail.kind != F_NONE) {
		*f = rm->fail;
		rc = -1;
	} else if (rm->unsynced > 0)
		rc = queue_sync(rm->dir, f);
	pthread_cond_destroy(&rm->more);
	pthread_cond_destroy(&rm->room);
	pthread_mutex_destroy(&rm->mu);
	free(rm);
	return rc;
}

/* The failure kinds that say the message itself will never go. */
static int
flush_is_perm(enum failure_kind k)
{
	return k == F_PERM || k == F_DATA;
}

/* Gives the whole entry up: to failed/, with why. */
static int
flush_give_up(struct flush_group *g, struct queue_entry *e, const char *why,
    struct failure *f)
{
	struct queue_entry w = *e;

	w.last_reply = why;
	if (queue_fail(g->dir, &w, 0, f) == -1)
		return -1;
	flush_event(g->rep, e->id, FLUSH_FAILED, why, 0);
	return 0;
}

/*
 * Keeps the recipients in keep[] for a later attempt; the others are
 * gone (delivered) or in perm[] (given up, written to failed/ first).
 */
static int
flush_settle(struct flush_group *g, struct queue_entry *e, const int *keep,
    const int *perm, const char *why, struct failure *f)
{
	struct deliver_subset sub;
	struct queue_entry part;
	size_t i, nkeep = 0, nperm = 0;
	int rc;

	for (i = 0; i < e->env.nrcpts; i++) {
		nkeep += keep[i] != 0;
		nperm += perm[i] != 0;
	}
	if (nperm > 0) {
		part = *e;
		deliver_subset(&e->env, perm, &sub);
		part.env = sub.env;
		part.last_reply = why;
		rc = queue_fail(g->dir, &part, nkeep > 0, f);
		deliver_subset_free(&sub);
		if (rc == -1)
			return -1;
		flush_event(g->rep, e->id, FLUSH_FAILED, why, 0);
	}
	if (nkeep == 0) {
		if (nperm == 0) {
			/* Delivered: removed off the path (flush_rm). */
			if (flush_rm_push(g, e, f) == -1)
				return -1;
			flush_event(g->rep, e->id, FLUSH_SENT, NULL, 0);
		}
		return 0;
	}
	queue_entry_keep(e, keep);
	e->attempts++;
	e->next = g->now + queue_backoff(e->attempts);
	part = *e;
	part.last_reply = why;
	if (queue_update(g->dir, &part, f) == -1)
		return -1;
	flush_event(g->rep, e->id, FLUSH_DEFERRED, why, e->next);
	return 0;
}

/* Why recipient x did not get it, or the session's failure. */
static void
flush_reason(char *buf, size_t sz, const struct smtp_result *r,
    const struct failure *sf)
{
	size_t i;

	if (sf->kind == F_NOUSER)
		for (i = 0; i < r->nrcpts; i++)
			if (!r->rcpts[i].accepted && r->rcpts[i].reply) {
				snprintf(buf, sz, "RCPT TO <%s>: %s",
				    r->rcpts[i].addr, r->rcpts[i].reply);
				return;
			}
	strlcpy(buf, sf->text, sz);
	if (r->uncertain)
		strlcat(buf, " (sent again: the recipient may get it twice)",
		    sz);
}

/* One entry over the group's session. */
/* The entry an attempt is about to hand over, for the dot hook. */
struct flush_mark {
	const char *dir;
	const char *id;
};

/* Just before the final dot: from now on the server may hold it. */
static void
flush_mark_sending(void *arg)
{
	const struct flush_mark *m = arg;

	if (queue_mark_sending(m->dir, m->id, 1) == -1)
		log_warnx("queue entry %s: cannot mark it in flight: %s",
		    m->id, strerror(errno));
}

/*
 * The group's connection, made again.  A server that refuses the OAuth2
 * token (F_AUTH) gets one fresh token and one more connection, as a
 * direct send does (deliver_renew()), once in a flush: a fresh token
 * refused too is not tried again.  NULL with f set.
 */
static struct smtp_session *
flush_open(struct flush_group *g, struct failure *f)
{
	struct smtp_session *sess;

	if ((sess = smtp_open(&g->p, f)) != NULL || g->shared || g->renewed ||
	    f->kind != F_AUTH || !credentials_is_token(&g->set->smtp))
		return sess;
	g->renewed = 1;
	if (deliver_renew(g->set, &g->password, &g->p, f) == -1)
		return NULL;
	return smtp_open(&g->p, f);
}

/*
 * The server lacks 8BITMIME (RFC 6152): the queued message converted to
 * quoted-printable as a direct send converts it (sendmail_msg.h), and a
 * second try; *msg becomes the converted copy.  When the message cannot
 * be converted, *sf says why (F_PERM).
 */
static void
flush_retry_7bit(struct flush_group *g, struct smtp_envelope *env, FILE **msg,
    struct flush_mark *mark, struct smtp_result *r, struct failure *sf)
{
	struct failure cf;
	FILE *conv;

	failure_clear(&cf);
	if ((conv = spool_temp(&cf)) == NULL)
		return;
	if (sendmail_msg_convert_7bit(*msg, conv, &cf) == -1) {
		if (cf.kind == F_PERM)
			*sf = cf;
		fclose(conv);
		return;
	}
	log_info("queue %s: the server lacks 8BITMIME: sending the body as "
	    "quoted-printable", mark->id);
	fclose(*msg);
	*msg = conv;
	env->eightbit = 0;
	smtp_result_free(r);
	memset(r, 0, sizeof(*r));
	failure_clear(sf);
	if (!smtp_usable(g->sess)) {
		smtp_close(g->sess);
		if ((g->sess = flush_open(g, sf)) == NULL) {
			g->down = *sf;
			return;
		}
	}
	if (spool_wire(*msg, NULL, 1, &env->size, sf) == -1)
		return;
	smtp_set_dot_hook(g->sess, flush_mark_sending, mark);
	smtp_send(g->sess, env, *msg, r, sf);
	smtp_set_dot_hook(g->sess, NULL, NULL);
	deliver_warn(r->warnings);
}

static int
flush_one(struct flush_group *g, struct queue_entry *e, struct failure *f)
{
	struct flush_mark mark = { g->dir, e->id };
	struct smtp_envelope env;
	struct smtp_result r;
	struct failure sf;
	char why[FAILURE_TEXT_MAX + 64];
	int *keep, *perm, rc;
	size_t i;
	FILE *msg;

	if (g->now - e->created >= g->set->queue_max_age) {
		snprintf(why, sizeof(why), "expired after %d attempts; last "
		    "reply: %s", e->attempts, e->last_reply ?
		    e->last_reply : "none");
		return flush_give_up(g, e, why, f);
	}
	if ((msg = queue_open_msg(g->dir, e, f)) == NULL)
		return -1;
	memset(&r, 0, sizeof(r));
	failure_clear(&sf);
	env = e->env;
	if (g->down.kind == F_NONE && !smtp_usable(g->sess)) {
		smtp_close(g->sess);
		if ((g->sess = flush_open(g, &g->down)) != NULL)
			failure_clear(&g->down);
	}
	/*
	 * An earlier flush died after its final dot and before it recorded
	 * the reply (the mark is still there): the server may have the
	 * message already.  It is sent again, for a duplicate is better
	 * than a loss, and the user is told.
	 */
	if (e->sending)
		log_warnx("queue entry %s: an earlier attempt was cut off "
		    "after the message was sent; the server may have it "
		    "already, so this one may deliver a duplicate", e->id);
	if (g->down.kind != F_NONE)
		sf = g->down;
	else if (spool_wire(msg, NULL, 1, &env.size, &sf) == 0) {
		smtp_set_dot_hook(g->sess, flush_mark_sending, &mark);
		smtp_send(g->sess, &env, msg, &r, &sf);
		smtp_set_dot_hook(g->sess, NULL, NULL);
		deliver_warn(r.warnings);
		if (r.lacks_8bitmime)
			flush_retry_7bit(g, &env, &msg, &mark, &r, &sf);
	}
	fclose(msg);
	keep = xcalloc(e->env.nrcpts ? e->env.nrcpts : 1, sizeof(*keep));
	perm = xcalloc(e->env.nrcpts ? e->env.nrcpts : 1, sizeof(*perm));
	for (i = 0; i < e->env.nrcpts; i++) {
		const struct smtp_rcpt *x = i < r.nrcpts ? &r.rcpts[i] : NULL;

		if (x != NULL && x->accepted)
			continue;
		if ((x != NULL && x->code >= 500) ||
		    (flush_is_perm(sf.kind) && g->down.kind == F_NONE))
			perm[i] = 1;
		else
			keep[i] = 1;
	}
	flush_reason(why, sizeof(why), &r, &sf);
	/*
	 * Recording the outcome removes the .env or writes a new one
	 * without the mark: the attempt is no longer in flight, and taking
	 * the mark off costs nothing more.
	 */
	e->sending = 0;
	rc = flush_settle(g, e, keep, perm, why, f);
	free(keep);
	free(perm);
	smtp_result_free(&r);
	return rc;
}

static int
flush_same_account(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Every due entry of v[first]'s account. */
static int
flush_group(const struct config *cfg, const struct settings *only,
    const char *dir, struct queue_entry *v, size_t n, size_t first,
    int *done, struct flush_shared *shared, struct flush_report *rep,
    struct failure *f)
{
	struct flush_group g;
	struct settings set;
	struct failure ignore;
	size_t i;
	int rc = 0;

	memset(&g, 0, sizeof(g));
	g.dir = dir;
	g.now = time(NULL);
	g.rep = rep;
	failure_clear(&g.down);
	failure_clear(&ignore);
	if (only != NULL)
		g.set = only;
	else if (config_settings(cfg, v[first].account, &set, &g.down) == 0)
		g.set = &set;
	else {
		/* An account gone from the config: keep, retry, age out. */
		memset(&set, 0, sizeof(set));
		set.queue_max_age = CONFIG_MAX_AGE_DEFAULT;
		g.set = &set;
	}
	if (shared != NULL) {
		/* only's account, its password already had. */
		g.shared = 1;
		g.p = *shared->p;
		g.sess = shared->sess;
	} else if (g.down.kind == F_NONE &&
	    deliver_password(g.set, &g.password, &g.down) == 0)
		deliver_params(g.set, g.password, &g.p);
	for (i = first; i < n && rc == 0; i++) {
		if (done[i] || !flush_same_account(v[i].account,
		    v[first].account))
			continue;
		done[i] = 1;
		rc = flush_one(&g, &v[i], f);
	}
	if (flush_rm_finish(&g, rc == 0 ? f : &ignore) == -1)
		rc = -1;
	if (shared != NULL)	/* g.shared, in words the analyzer follows */
		shared->sess = g.sess;
	else
		smtp_close(g.sess);
	credentials_free(g.password);
	return rc;
}

int
deliver_flush(const struct config *cfg, const struct settings *only,
    const char *dir, int now, struct flush_report *rep, struct failure *f)
{
	return flush_run(cfg, only, dir, now, NULL, rep, f);
}

/* deliver_flush(), over shared's session when given (only is then set). */
static int
flush_run(const struct config *cfg, const struct settings *only,
    const char *dir, int now, struct flush_shared *shared,
    struct flush_report *rep, struct failure *f)
{
	struct queue_entry *v;
	size_t n, i;
	time_t t = time(NULL);
	int lock, *done, rc = 0;

	memset(rep, 0, sizeof(*rep));
	if ((lock = queue_lock(dir, 0, f)) == -2) {
		rep->busy = 1;
		return 0;
	}
	if (lock == -1)
		return -1;
	queue_clean(dir);
	if (queue_list(dir, 0, &v, &n, f) == -1) {
		close(lock);
		return -1;
	}
	done = xcalloc(n ? n : 1, sizeof(*done));
	for (i = 0; i < n; i++)
		done[i] = (!now && v[i].next > t) || (only != NULL &&
		    !flush_same_account(v[i].account, only->account));
	for (i = 0; i < n && rc == 0; i++)
		if (!done[i])
			rc = flush_group(cfg, only, dir, v, n, i, done, shared,
			    rep, f);
	free(done);
	queue_entries_free(v, n);
	close(lock);
	return rc;
}
