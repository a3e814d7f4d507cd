/*
 * report.c — what outbox prints for people and for scripts: the result
 * of a send (--json), refused recipients, queue listings and what a flush
 * did.  Text that came from a server or a message is made safe with
 * log_vis() first.  JSON strings are escaped as RFC 8259 requires.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "report.h"

/*
 * Refused by its RCPT reply.  A recipient the server accepted may still
 * be undelivered when the transaction failed later; that is no refusal.
 */
static int
rcpt_refused(const struct smtp_rcpt *x)
{
	return !x->accepted && x->code >= 400;
}

void
report_json_str(FILE *out, const char *s)
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

void
report_send_json(const struct report_send *rs)
{
	const struct smtp_result *res = rs->result;
	const struct failure *f = rs->failure;
	size_t i;
	int first;

	printf("{\"status\":%d,\"result\":", rs->status);
	report_json_str(stdout, rs->queue_id && rs->status == 0 ? "queued" :
	    failure_name(f->kind));
	printf(",\"queue_id\":");
	report_json_str(stdout, rs->queue_id);
	printf(",\"message_id\":");
	report_json_str(stdout, rs->message_id);
	printf(",\"accepted\":[");
	for (i = 0, first = 1; res != NULL && i < res->nrcpts; i++) {
		if (!res->rcpts[i].accepted)
			continue;
		printf("%s", first ? "" : ",");
		report_json_str(stdout, res->rcpts[i].addr);
		first = 0;
	}
	printf("],\"refused\":[");
	for (i = 0, first = 1; res != NULL && i < res->nrcpts; i++) {
		if (!rcpt_refused(&res->rcpts[i]))
			continue;
		printf("%s{\"address\":", first ? "" : ",");
		report_json_str(stdout, res->rcpts[i].addr);
		printf(",\"code\":%d,\"reply\":", res->rcpts[i].code);
		report_json_str(stdout, res->rcpts[i].reply);
		printf("}");
		first = 0;
	}
	printf("],\"final_reply\":");
	report_json_str(stdout, res != NULL ? res->final_reply : NULL);
	printf(",\"error\":");
	report_json_str(stdout, f->kind == F_NONE ? NULL : f->text);
	printf(",\"dead_letter\":");
	report_json_str(stdout, rs->dead_letter);
	printf("}\n");
	fflush(stdout);
}

void
report_refusals(const struct smtp_result *res)
{
	char vis[1100];
	size_t i;

	for (i = 0; res != NULL && i < res->nrcpts; i++) {
		const struct smtp_rcpt *x = &res->rcpts[i];

		if (!rcpt_refused(x))
			continue;
		fprintf(stderr, "outbox: RCPT TO <%s>: refused (%s)\n",
		    x->addr, x->reply ? log_vis(vis, sizeof(vis), x->reply,
		    strlen(x->reply)) : "no reply");
	}
}

/* An age for people: "45s", "12m", "3h05m", "2d04h". */
static void
age_fmt(char *buf, size_t sz, long long s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, sz, "%llds", s);
	else if (s < 3600)
		snprintf(buf, sz, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, sz, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, sz, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static void
report_queue_json(const char *dir, const struct queue_entry *v, size_t n,
    time_t now)
{
	size_t i, j;

	printf("{\"status\":0,\"result\":\"listed\",\"queue_dir\":");
	report_json_str(stdout, dir);
	printf(",\"entries\":[");
	for (i = 0; i < n; i++) {
		printf("%s{\"id\":", i ? "," : "");
		report_json_str(stdout, v[i].id);
		printf(",\"state\":\"%s\",\"created\":%lld,\"age\":%lld,"
		    "\"size\":%lld,\"attempts\":%d,\"next_attempt\":%lld,"
		    "\"account\":", v[i].failed ? "failed" : "queued",
		    (long long)v[i].created, (long long)(now - v[i].created),
		    (long long)v[i].size, v[i].attempts,
		    (long long)v[i].next);
		report_json_str(stdout, v[i].account);
		printf(",\"from\":");
		report_json_str(stdout, v[i].env.from);
		printf(",\"recipients\":[");
		for (j = 0; j < v[i].env.nrcpts; j++) {
			printf("%s", j ? "," : "");
			report_json_str(stdout, v[i].env.rcpts[j]);
		}
		printf("],\"last_reply\":");
		report_json_str(stdout, v[i].last_reply);
		printf("}");
	}
	printf("]}\n");
}

/* mailq-like: a line per entry, recipients and last reply below it. */
static void
report_queue_text(const char *dir, const struct queue_entry *v, size_t n,
    time_t now)
{
	char age[32], next[32], vis[1100];
	size_t i, j;

	if (n == 0) {
		printf("The queue is empty (%s).\n", dir);
		return;
	}
	printf("%-26s %7s %9s %5s  %s\n", "ID", "AGE", "SIZE", "TRIES",
	    "STATE");
	for (i = 0; i < n; i++) {
		age_fmt(age, sizeof(age), (long long)(now - v[i].created));
		if (v[i].failed)
			strlcpy(next, "failed", sizeof(next));
		else if (v[i].next <= now)
			strlcpy(next, "due now", sizeof(next));
		else {
			strlcpy(next, "retry in ", sizeof(next));
			age_fmt(next + 9, sizeof(next) - 9,
			    (long long)(v[i].next - now));
		}
		printf("%-26s %7s %9lld %5d  %s\n", v[i].id, age,
		    (long long)v[i].size, v[i].attempts, next);
		printf("    to:");
		for (j = 0; j < v[i].env.nrcpts; j++)
			printf("%s %s", j ? "," : "", log_vis(vis, sizeof(vis),
			    v[i].env.rcpts[j], strlen(v[i].env.rcpts[j])));
		printf("\n");
		if (v[i].last_reply != NULL)
			printf("    last reply: %s\n", log_vis(vis, sizeof(vis),
			    v[i].last_reply, strlen(v[i].last_reply)));
	}
}

void
report_queue(const char *dir, const struct queue_entry *v, size_t n,
    time_t now, int json)
{
	if (json)
		report_queue_json(dir, v, n, now);
	else
		report_queue_text(dir, v, n, now);
}

/*
 * The lines a flush leaves: failures always (stderr and syslog, for a
 * message given up must not go unnoticed), deferrals unless quiet,
 * deliveries with -v.
 */
void
report_flush(const struct flush_report *rep, int quiet)
{
	char vis[FAILURE_TEXT_MAX * 4], next[32];
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct flush_event *ev = &rep->v[i];

		if (ev->text != NULL)
			log_vis(vis, sizeof(vis), ev->text, strlen(ev->text));
		switch (ev->kind) {
		case FLUSH_SENT:
			log_info("queue %s: sent", ev->id);
			break;
		case FLUSH_DEFERRED:
			if (quiet)
				break;
			age_fmt(next, sizeof(next),
			    (long long)(ev->next - time(NULL)));
			fprintf(stderr, "outbox: queue %s: deferred: %s; next "
			    "attempt in %s\n", ev->id, vis, next);
			break;
		case FLUSH_FAILED:
			fprintf(stderr, "outbox: queue %s: undeliverable, moved "
			    "to the failed area: %s\n", ev->id, vis);
			openlog("outbox", LOG_PID, LOG_MAIL);
			syslog(LOG_WARNING, "queue %s: undeliverable: %s",
			    ev->id, vis);
			closelog();
			break;
		}
	}
}

void
report_flush_json(const struct flush_report *rep, int status)
{
	static const char *const names[] = {
		[FLUSH_SENT] = "sent",
		[FLUSH_DEFERRED] = "deferred",
		[FLUSH_FAILED] = "failed"
	};
	size_t i, k;
	int first;

	printf("{\"status\":%d,\"result\":\"flushed\",\"busy\":%s", status,
	    rep->busy ? "true" : "false");
	for (k = 0; k < 3; k++) {
		printf(",\"%s\":[", names[k]);
		for (i = 0, first = 1; i < rep->n; i++) {
			if (rep->v[i].kind != (enum flush_kind)k)
				continue;
			printf("%s{\"id\":", first ? "" : ",");
			report_json_str(stdout, rep->v[i].id);
			if (k == FLUSH_DEFERRED)
				printf(",\"next_attempt\":%lld",
				    (long long)rep->v[i].next);
			printf(",\"reply\":");
			report_json_str(stdout, rep->v[i].text);
			printf("}");
			first = 0;
		}
		printf("]");
	}
	printf("}\n");
}
