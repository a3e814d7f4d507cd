/*
 * report.c — what outbox prints for people and for scripts: the result
 * of a send (--json), refused recipients, queue listings and what a flush
 * did.  Text that came from a server or a message is made safe with
 * log_vis() first.  JSON (RFC 8259) is written by jansson, so it is
 * always well formed UTF-8: bytes that are not UTF-8 (a server's reply
 * may hold any) become U+FFFD first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "log.h"
#include "report.h"
#include "xmalloc.h"

/*
 * Refused by its RCPT reply.  A recipient the server accepted may still
 * be undelivered when the transaction failed later; that is no refusal.
 */
static int
rcpt_refused(const struct smtp_rcpt *x)
{
	return !x->accepted && x->code >= 400;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
report_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 1;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;
		hi = p[0] == 0xed ? 0x9f : 0xbf;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++, lo = 0x80, hi = 0xbf)
		if (p[i] < lo || p[i] > hi)
			return 0;
	return need + 1;
}

/* A JSON string of s (null for NULL); a byte that is not UTF-8: U+FFFD. */
static json_t *
report_jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i, k, o = 0;
	json_t *j;
	char *fixed;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	len = strlen(s);
	fixed = xmalloc(3 * len + 1);
	for (i = 0; i < len; i += k) {
		if ((k = report_utf8_len(p + i, len - i)) == 0) {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		} else {
			memcpy(fixed + o, p + i, k);
			o += k;
		}
	}
	fixed[o] = '\0';
	j = json_string(fixed);
	free(fixed);
	return j != NULL ? j : json_null();
}

/* Sets key to a new value; the object takes the reference. */
static void
report_set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v != NULL ? v : json_null());
}

/* Prints o as one compact line on stdout and frees it. */
static void
report_print(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(o);
}

void
report_json_str(FILE *out, const char *s)
{
	json_t *j = report_jstr(s);

	json_dumpf(j, out, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(j);
}

void
report_send_json(const struct report_send *rs)
{
	const struct smtp_result *res = rs->result;
	const struct failure *f = rs->failure;
	json_t *o = json_object(), *acc = json_array(), *ref = json_array(),
	    *x;
	size_t i;

	report_set(o, "status", json_integer(rs->status));
	report_set(o, "result", report_jstr(rs->queue_id && rs->status == 0 ?
	    "queued" : failure_name(f->kind)));
	report_set(o, "queue_id", report_jstr(rs->queue_id));
	report_set(o, "message_id", report_jstr(rs->message_id));
	for (i = 0; res != NULL && i < res->nrcpts; i++) {
		if (res->rcpts[i].accepted)
			json_array_append_new(acc,
			    report_jstr(res->rcpts[i].addr));
		if (!rcpt_refused(&res->rcpts[i]))
			continue;
		x = json_object();
		report_set(x, "address", report_jstr(res->rcpts[i].addr));
		report_set(x, "code", json_integer(res->rcpts[i].code));
		report_set(x, "reply", report_jstr(res->rcpts[i].reply));
		json_array_append_new(ref, x);
	}
	report_set(o, "accepted", acc);
	report_set(o, "refused", ref);
	report_set(o, "final_reply", report_jstr(res != NULL ?
	    res->final_reply : NULL));
	report_set(o, "error", report_jstr(f->kind == F_NONE ? NULL :
	    f->text));
	report_set(o, "dead_letter", report_jstr(rs->dead_letter));
	report_set(o, "kept", report_jstr(rs->kept));
	report_print(o);
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
	json_t *o = json_object(), *ents = json_array(), *e, *rc;
	size_t i, j;

	report_set(o, "status", json_integer(0));
	report_set(o, "result", json_string("listed"));
	report_set(o, "queue_dir", report_jstr(dir));
	for (i = 0; i < n; i++) {
		e = json_object();
		report_set(e, "id", report_jstr(v[i].id));
		report_set(e, "state", json_string(v[i].failed ? "failed" :
		    "queued"));
		report_set(e, "created", json_integer(v[i].created));
		report_set(e, "age", json_integer(now - v[i].created));
		report_set(e, "size", json_integer(v[i].size));
		report_set(e, "attempts", json_integer(v[i].attempts));
		report_set(e, "next_attempt", json_integer(v[i].next));
		report_set(e, "account", report_jstr(v[i].account));
		report_set(e, "from", report_jstr(v[i].env.from));
		rc = json_array();
		for (j = 0; j < v[i].env.nrcpts; j++)
			json_array_append_new(rc,
			    report_jstr(v[i].env.rcpts[j]));
		report_set(e, "recipients", rc);
		report_set(e, "last_reply", report_jstr(v[i].last_reply));
		report_set(e, "subject", report_jstr(v[i].subject));
		json_array_append_new(ents, e);
	}
	report_set(o, "entries", ents);
	report_print(o);
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
		if (v[i].subject != NULL)
			printf("    subject: %s\n", log_vis(vis, sizeof(vis),
			    v[i].subject, strlen(v[i].subject)));
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
			/* Its log line is sendlog's, as for every outcome. */
			fprintf(stderr, "outbox: queue %s: undeliverable, moved "
			    "to the failed area: %s\n", ev->id, vis);
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
	json_t *o = json_object(), *a, *e;
	size_t i, k;

	report_set(o, "status", json_integer(status));
	report_set(o, "result", json_string("flushed"));
	report_set(o, "busy", json_boolean(rep->busy));
	for (k = 0; k < 3; k++) {
		a = json_array();
		for (i = 0; i < rep->n; i++) {
			if (rep->v[i].kind != (enum flush_kind)k)
				continue;
			e = json_object();
			report_set(e, "id", report_jstr(rep->v[i].id));
			if (k == FLUSH_DEFERRED)
				report_set(e, "next_attempt",
				    json_integer(rep->v[i].next));
			report_set(e, "reply", report_jstr(rep->v[i].text));
			json_array_append_new(a, e);
		}
		report_set(o, names[k], a);
	}
	report_print(o);
}
