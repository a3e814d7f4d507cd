/*
 * queuecmd.c — the queue commands (see queuecmd.h).  Each takes the
 * options, the loaded config and the account's settings.
 */
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "mailx.h"
#include "queue.h"
#include "queuecmd.h"
#include "report.h"

static int
queuecmd_list(const struct options *o, const char *dir,
    struct front_report *rep, struct failure *f)
{
	struct queue_entry *v;
	size_t n;
	time_t now = time(NULL);

	if (queue_list(dir, 1, &v, &n, f) == -1)
		return -1;
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

/* --flush: -A limits it to one account; --now ignores the back-off. */
static int
queuecmd_flush(const struct options *o, const struct config *cfg,
    const struct settings *set, const char *dir, struct front_report *rep,
    struct failure *f)
{
	struct flush_report fr;
	int rc;

	rc = deliver_flush(cfg, o->account ? set : NULL, dir, o->now, &fr, f);
	if (fr.busy)
		log_warnx("another flush of %s is running; nothing done", dir);
	report_flush(&fr, 0);
	if (rc == 0 && fr.count[FLUSH_FAILED] > 0)
		rc = failure_set(f, F_PERM, "flush: %zu message%s "
		    "undeliverable, kept in %s/failed", fr.count[FLUSH_FAILED],
		    fr.count[FLUSH_FAILED] == 1 ? "" : "s", dir);
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
	default:
		break;
	}
	return failure_set(f, F_INTERNAL, "%s: mode %d", __func__, o->mode);
}
