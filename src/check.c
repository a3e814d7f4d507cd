/*
 * check.c — the --check front-end: walks every step a send takes (the
 * config files, the account's settings, resolution, each address tried,
 * TLS and the certificate, the capabilities, AUTH, MAIL FROM, RCPT TO
 * and VRFY for each recipient given, RSET, QUIT), one line per step with
 * its time, and stops at the first that fails, with a hint (hint.c).
 * No message is ever sent: there is no DATA (smtp_probe()).
 *
 * When the account has pop3 set, the walk goes on (after the SMTP side,
 * or alone when no smtp is set) with the POP3 steps up to STAT: resolve,
 * connect, TLS, greeting, CAPA, STLS, TLS, CAPA again, the login, STAT
 * and QUIT.  Nothing is retrieved or deleted: no RETR, TOP or DELE.
 *
 * The engines only tell (struct smtp_watch, struct pop3_watch);
 * everything printed is printed here, as text or, with --json, one JSON
 * object a line (the POP3 steps with "service": "pop3").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "address.h"
#include "check.h"
#include "credentials.h"
#include "deliver.h"
#include "hint.h"
#include "log.h"
#include "pop3.h"
#include "pop3acct.h"
#include "smtp.h"
#include "xmalloc.h"

/* RFC 5280 leaves renewal to the operator; two weeks is time to act. */
#define CHECK_EXPIRY_WARN_DAYS 14
#define CHECK_FACTS_MAX 16
#define CHECK_TEXT_MAX 1024

struct check_fact {
	const char *key;
	char value[CHECK_TEXT_MAX];
	int number;			/* a JSON number: value is digits */
};

struct check {
	int json;
	struct timespec last;		/* when the previous step ended */
	char step[32];			/* the step in progress, for a
					   failure without its own name */
	struct check_fact facts[CHECK_FACTS_MAX];
	size_t nfacts;
	int tls_shown;			/* TLS facts printed for this try */
	const char *proto;		/* "pop3" on the POP3 side, else NULL */
	const char *secret;		/* the POP3 password's source */
};

static long
check_ms_since(struct timespec *last)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - last->tv_sec) * 1000 +
	    (now.tv_nsec - last->tv_nsec) / 1000000;
	*last = now;
	return ms;
}

/* Adds "key: value" below the next step line (or to its JSON object). */
static void
check_fact(struct check *ck, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
check_fact(struct check *ck, const char *key, const char *fmt, ...)
{
	va_list ap;
	struct check_fact *cf;

	if (ck->nfacts == CHECK_FACTS_MAX)
		return;
	cf = &ck->facts[ck->nfacts++];
	cf->key = key;
	cf->number = 0;
	va_start(ap, fmt);
	vsnprintf(cf->value, sizeof(cf->value), fmt, ap);
	va_end(ap);
}

/* A fact that --json gives as a number. */
static void
check_fact_int(struct check *ck, const char *key, long long n)
{
	check_fact(ck, key, "%lld", n);
	if (ck->nfacts > 0 && ck->facts[ck->nfacts - 1].key == key)
		ck->facts[ck->nfacts - 1].number = 1;
}

/*
 * One step: "STATUS STEP (N ms) TEXT", then the facts gathered, one a
 * line; or one JSON object {"step", "status", "ms", "text", facts...}.
 * status is ok, warn, skip, no (one address of several) or FAIL.
 */
static void
check_step(struct check *ck, const char *status, const char *step,
    const char *text)
{
	long ms = check_ms_since(&ck->last);
	json_t *o;
	size_t i;

	if (ck->json) {
		o = json_object();
		json_object_set_new(o, "step", json_string(step));
		json_object_set_new(o, "status", json_string(status));
		json_object_set_new(o, "ms", json_integer(ms));
		json_object_set_new(o, "text", json_string(text));
		if (ck->proto != NULL)
			json_object_set_new(o, "service",
			    json_string(ck->proto));
		for (i = 0; i < ck->nfacts; i++)
			json_object_set_new(o, ck->facts[i].key,
			    ck->facts[i].number ?
			    json_integer(strtoll(ck->facts[i].value, NULL,
			    10)) : json_string(ck->facts[i].value));
		json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("%-4s %-9s %5ld ms  %s\n", status, step, ms, text);
		for (i = 0; i < ck->nfacts; i++)
			printf("%24s%s: %s\n", "", ck->facts[i].key,
			    ck->facts[i].value);
	}
	fflush(stdout);
	ck->nfacts = 0;
}

/* The failure line and its hint; f's text names its own step. */
static void
check_fail(struct check *ck, const struct failure *f)
{
	char step[32];
	const char *hint;
	size_t n = strcspn(f->text, ":");

	/* "FILE:LINE: ..." is the config step's, not a step named FILE;
	   "fetch NAME: ..." the POP3 settings'; the token's own words
	   ("OAuth2 token refresh: ...") the POP3 password step's. */
	if (strcmp(ck->step, "config") == 0 || strcmp(ck->step, "pop3") == 0 ||
	    (ck->proto != NULL && strcmp(ck->step, "password") == 0))
		strlcpy(step, ck->step, sizeof(step));
	else if (n > 0 && n < sizeof(step) && f->text[n] == ':')
		snprintf(step, sizeof(step), "%.*s", (int)n, f->text);
	else
		strlcpy(step, ck->step, sizeof(step));
	if ((hint = ck->proto != NULL ? hint_for_pop3(f) : hint_for(f)) !=
	    NULL)
		check_fact(ck, "hint", "%s", hint);
	check_fact(ck, "kind", "%s", failure_name(f->kind));
	check_fact_int(ck, "exit", failure_exitcode(f->kind));
	check_step(ck, "FAIL", step, f->text);
}

/* "10 MiB" for SIZE. */
static void
check_human_size(long long n, char *buf, size_t bufsz)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB",
	    "TiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, bufsz, "%lld bytes", n);
	else
		snprintf(buf, bufsz, "%.4g %s (%lld bytes)", v, unit[u], n);
}

/* The first line of a reply, code and text, made printable. */
static void
check_reply_text(const struct smtp_reply *rp, char *buf, size_t bufsz)
{
	char vis[CHECK_TEXT_MAX - 16];
	size_t n = rp->text ? strcspn(rp->text, "\n") : 0;

	log_vis(vis, sizeof(vis), rp->text ? rp->text : "", n);
	snprintf(buf, bufsz, "%d %s", rp->code, vis);
}

/* The handshake's facts; pinkey: the key that pins ("tls-fingerprint"). */
static void
check_tls(struct check *ck, const struct tls_info *t, int err,
    const char *pinkey)
{
	char when[64];
	long long days;
	time_t na;
	struct tm tm;
	const char *status = "ok";

	if (t->plaintext || !t->have_cert)
		return;		/* the failure line says it all */
	if (t->protocol[0] != '\0') {
		check_fact(ck, "protocol", "%s", t->protocol);
		check_fact(ck, "cipher", "%s", t->cipher);
	}
	check_fact(ck, "subject", "%s", t->subject);
	check_fact(ck, "names", "%s", t->names[0] ? t->names : "(none)");
	check_fact(ck, "issuer", "%s", t->issuer);
	if (t->not_after >= 0) {
		na = (time_t)t->not_after;
		gmtime_r(&na, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		days = (t->not_after - (long long)time(NULL)) / 86400;
		if (t->not_after < (long long)time(NULL))
			check_fact(ck, "expires", "%s (expired)", when);
		else if (days < CHECK_EXPIRY_WARN_DAYS) {
			check_fact(ck, "expires", "%s (in %lld days: warning, "
			    "under %d days)", when, days,
			    CHECK_EXPIRY_WARN_DAYS);
			status = "warn";
		} else
			check_fact(ck, "expires", "%s (in %lld days)", when,
			    days);
	}
	if (t->pinned)
		check_fact(ck, "verified", "key %s %s", err == 0 ? "matches" :
		    "does not match", pinkey);
	else
		check_fact(ck, "verified", "%s", t->verify);
	if (t->pin[0] != '\0')
		check_fact(ck, "pin", "set %s=%s", pinkey, t->pin);
	if (err == 0)
		check_step(ck, status, "TLS", t->protocol);
	/* On failure the facts go with the failure line. */
	ck->tls_shown = 1;
}

static void
check_on_ehlo(struct check *ck, const struct smtp_event *ev)
{
	const struct smtp_ext *x = ev->ext;
	char size[64], line[CHECK_TEXT_MAX];
	static const struct {
		unsigned int flag;
		const char *name;
	} yesno[] = {
		{ SMTP_EXT_STARTTLS, "STARTTLS" },
		{ SMTP_EXT_PIPELINING, "PIPELINING" },
		{ SMTP_EXT_8BITMIME, "8BITMIME" },
		{ SMTP_EXT_SMTPUTF8, "SMTPUTF8" },
		{ SMTP_EXT_DSN, "DSN" },
		{ SMTP_EXT_CHUNKING, "CHUNKING" },
		{ SMTP_EXT_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES" },
		{ SMTP_EXT_VRFY, "VRFY" },
	};
	size_t i;

	if (x->flags & SMTP_EXT_SIZE) {
		if (x->size > 0)
			check_human_size(x->size, size, sizeof(size));
		else
			strlcpy(size, "no limit announced", sizeof(size));
		check_fact(ck, "SIZE", "%s", size);
	}
	check_fact(ck, "AUTH", "%s", (x->flags & SMTP_EXT_AUTH) ? x->auth :
	    ev->tls_on ? "(not offered)" : "(not offered before TLS)");
	line[0] = '\0';
	for (i = 0; i < sizeof(yesno) / sizeof(yesno[0]); i++) {
		if (!(x->flags & yesno[i].flag))
			continue;
		if (line[0] != '\0')
			strlcat(line, " ", sizeof(line));
		strlcat(line, yesno[i].name, sizeof(line));
	}
	check_fact(ck, "extensions", "%s", line[0] ? line : "(none)");
	check_reply_text(ev->reply, line, sizeof(line));
	check_step(ck, "ok", ev->tls_on ? "EHLO/TLS" : ev->text, line);
}

/* The engine's steps, as they happen. */
static void
check_on_event(void *arg, const struct smtp_event *ev)
{
	struct check *ck = arg;
	char line[CHECK_TEXT_MAX];

	switch (ev->kind) {
	case SMTP_EV_RESOLVED:
		check_step(ck, "ok", "resolve", ev->text);
		strlcpy(ck->step, "connect", sizeof(ck->step));
		break;
	case SMTP_EV_TRIED:
		snprintf(line, sizeof(line), "%s%s%s", ev->text,
		    ev->err ? ": " : "", ev->err ? strerror(ev->err) : "");
		check_step(ck, ev->err ? "no" : "ok", "connect", line);
		strlcpy(ck->step, "greeting", sizeof(ck->step));
		break;
	case SMTP_EV_TLS:
		check_tls(ck, ev->tls, ev->err, "tls-fingerprint");
		strlcpy(ck->step, "EHLO", sizeof(ck->step));
		break;
	case SMTP_EV_GREETING:
		check_reply_text(ev->reply, line, sizeof(line));
		check_step(ck, "ok", "greeting", line);
		strlcpy(ck->step, "EHLO", sizeof(ck->step));
		break;
	case SMTP_EV_EHLO:
		check_on_ehlo(ck, ev);
		strlcpy(ck->step, "AUTH", sizeof(ck->step));
		break;
	case SMTP_EV_STARTTLS:
		check_reply_text(ev->reply, line, sizeof(line));
		check_step(ck, "ok", "STARTTLS", line);
		strlcpy(ck->step, "TLS", sizeof(ck->step));
		break;
	case SMTP_EV_AUTH:
		check_step(ck, "ok", "AUTH", ev->text);
		break;
	case SMTP_EV_REPLY: {
		char what[16];

		snprintf(what, sizeof(what), "%.*s", (int)strcspn(ev->text,
		    " :<"), ev->text);
		if (strncmp(ev->text, "RCPT", 4) == 0 ||
		    strncmp(ev->text, "MAIL", 4) == 0)
			strlcpy(what, strncmp(ev->text, "RCPT", 4) == 0 ?
			    "RCPT TO" : "MAIL FROM", sizeof(what));
		check_reply_text(ev->reply, line, sizeof(line));
		check_fact(ck, "sent", "%s", ev->text);
		check_step(ck, ev->reply->code < 400 ? "ok" :
		    strcmp(what, "VRFY") == 0 ? "no" : "FAIL", what, line);
		break;
	}
	}
}

/* The password's source, never the password. */
static const char *
check_secret_source(const struct settings *set)
{
	if (set->smtp.user == NULL || set->smtp.auth == AUTH_NONE)
		return "(no login)";
	if (set->smtp.password != NULL)
		return "set";
	if (set->smtp.password_cmd != NULL)
		return "from command";
	return "prompt";
}

static void
check_settings(struct check *ck, const struct settings *set)
{
	const char *unused;

	check_fact(ck, "from", "%s", set->from ? set->from : "(not set)");
	if (set->smtp.host != NULL)
		check_fact(ck, "smtp", "%s:%s", set->smtp.host,
		    set->smtp.port);
	else
		check_fact(ck, "smtp", "(not set)");
	check_fact(ck, "smtp-security", "%s",
	    config_security_name(set->smtp.security));
	check_fact(ck, "smtp-auth", "%s", config_auth_name(set->smtp.auth));
	check_fact(ck, "smtp-user", "%s", set->smtp.user ? set->smtp.user :
	    "(not set)");
	check_fact(ck, "smtp-password", "%s", check_secret_source(set));
	/*
	 * Trust settings the SMTP connection will not use are said so
	 * (tls-ca-file may still serve the POP3 side).
	 */
	unused = set->smtp.security == SEC_NONE ? "smtp-security=none" :
	    set->smtp.fingerprint != NULL ?
	    "the tls-fingerprint pin is the trust anchor" : NULL;
	if (set->smtp.ca_file != NULL && unused != NULL)
		check_fact(ck, "tls-ca-file", "%s (SMTP does not use it: %s)",
		    set->smtp.ca_file, unused);
	else
		check_fact(ck, "tls-ca-file", "%s", set->smtp.ca_file ?
		    set->smtp.ca_file : "(the system store)");
	if (set->smtp.fingerprint != NULL && set->smtp.security == SEC_NONE)
		check_fact(ck, "tls-fingerprint", "%s (no effect: %s)",
		    set->smtp.fingerprint, unused);
	else
		check_fact(ck, "tls-fingerprint", "%s",
		    set->smtp.fingerprint ? set->smtp.fingerprint :
		    "(not set)");
	check_fact(ck, "hostname", "%s", set->hostname);
	check_fact_int(ck, "timeout", set->smtp.timeout);
	check_fact(ck, "queue-on-failure", "%s", set->queue_on_failure ?
	    "yes" : "no");
	check_step(ck, "ok", "settings", set->account ? set->account :
	    "(top level)");
}

/* The envelope sender: the address of the configured from. */
static char *
check_sender(const struct settings *set, struct failure *f)
{
	struct address_list l;
	char *addr;

	if (set->from == NULL)
		return failure_set(f, F_CONFIG, "MAIL FROM: no sender "
		    "configured: set from=\"Name <you@example.org>\""), NULL;
	memset(&l, 0, sizeof(l));
	if (address_parse_list(set->from, &l, f) == -1 || l.n != 1) {
		address_list_free(&l);
		return failure_set(f, F_CONFIG, "MAIL FROM: from is not one "
		    "address: %s", set->from), NULL;
	}
	addr = xstrdup(l.v[0].addr);
	address_list_free(&l);
	return addr;
}

static int
check_session(struct check *ck, const struct options *o,
    const struct settings *set, struct failure *f)
{
	struct smtp_watch w;
	struct smtp_params p;
	struct smtp_session *s;
	char *password = NULL, *from;
	int rc;

	if ((from = check_sender(set, f)) == NULL)
		return -1;
	strlcpy(ck->step, "password", sizeof(ck->step));
	if (deliver_password(set, &password, f) == -1) {
		free(from);
		return -1;
	}
	if (password != NULL)
		check_step(ck, "ok", "password", check_secret_source(set));
	deliver_params(set, password, &p);
	w.fn = check_on_event;
	w.arg = ck;
	p.watch = &w;
	strlcpy(ck->step, "resolve", sizeof(ck->step));
	s = smtp_open(&p, f);
	credentials_free(password);
	if (s == NULL) {
		free(from);
		return -1;
	}
	if (p.user == NULL)
		check_step(ck, "skip", "AUTH", "no smtp-user configured");
	strlcpy(ck->step, "MAIL FROM", sizeof(ck->step));
	rc = smtp_probe(s, from, o->to.v, o->to.n, 1, f);
	free(from);
	/* QUIT is said whatever the verdict, when the session stands. */
	smtp_close(s);
	return rc;
}

/* --- the POP3 side ------------------------------------------------- */

static void
check_on_capa(struct check *ck, const struct pop3_event *ev)
{
	const struct pop3_capa *c = ev->capa;
	char line[CHECK_TEXT_MAX], vis[CHECK_TEXT_MAX];
	static const struct {
		int flag;
		const char *name;
	} yesno[] = {
		{ POP3_CAP_STLS, "STLS" },
		{ POP3_CAP_PIPELINING, "PIPELINING" },
		{ POP3_CAP_UIDL, "UIDL" },
		{ POP3_CAP_TOP, "TOP" },
		{ POP3_CAP_RESP_CODES, "RESP-CODES" },
		{ POP3_CAP_USER, "USER" },
	};
	size_t i;

	log_vis(vis, sizeof(vis), c->sasl, strlen(c->sasl));
	check_fact(ck, "SASL", "%s", (c->flags & POP3_CAP_SASL) ? vis :
	    "(not offered)");
	line[0] = '\0';
	for (i = 0; i < sizeof(yesno) / sizeof(yesno[0]); i++) {
		if (!(c->flags & yesno[i].flag))
			continue;
		if (line[0] != '\0')
			strlcat(line, " ", sizeof(line));
		strlcat(line, yesno[i].name, sizeof(line));
	}
	check_fact(ck, "extensions", "%s", line[0] ? line : "(none)");
	/* RFC 2449 6.5, 6.7: the server's limits on logins and keeping. */
	if (c->flags & POP3_CAP_LOGIN_DELAY) {
		log_vis(vis, sizeof(vis), c->login_delay,
		    strlen(c->login_delay));
		check_fact(ck, "LOGIN-DELAY", "%s", vis[0] ? vis : "(yes)");
	}
	if (c->flags & POP3_CAP_EXPIRE) {
		log_vis(vis, sizeof(vis), c->expire, strlen(c->expire));
		check_fact(ck, "EXPIRE", "%s", vis[0] ? vis : "(yes)");
	}
	if (c->implementation[0] != '\0') {
		log_vis(vis, sizeof(vis), c->implementation,
		    strlen(c->implementation));
		check_fact(ck, "implementation", "%s", vis);
	}
	check_step(ck, "ok", ev->text != NULL ? "CAPA/auth" : ev->tls_on ?
	    "CAPA/TLS" : "CAPA", c->flags ? "+OK" : "(no CAPA: RFC 1939 "
	    "commands only)");
}

/* The POP3 engine's steps, as they happen. */
static void
check_on_pop3(void *arg, const struct pop3_event *ev)
{
	struct check *ck = arg;
	char line[CHECK_TEXT_MAX];

	switch (ev->kind) {
	case POP3_EV_RESOLVED:
		check_step(ck, "ok", "resolve", ev->text);
		strlcpy(ck->step, "connect", sizeof(ck->step));
		break;
	case POP3_EV_TRIED:
		snprintf(line, sizeof(line), "%s%s%s", ev->text,
		    ev->err ? ": " : "", ev->err ? strerror(ev->err) : "");
		check_step(ck, ev->err ? "no" : "ok", "connect", line);
		strlcpy(ck->step, "greeting", sizeof(ck->step));
		break;
	case POP3_EV_TLS:
		check_tls(ck, ev->tls, ev->err, "pop3-tls-fingerprint");
		/* Implicit TLS comes before the greeting; STLS after CAPA. */
		if (strcmp(ck->step, "greeting") != 0)
			strlcpy(ck->step, "CAPA", sizeof(ck->step));
		break;
	case POP3_EV_GREETING:
		/* RFC 1939 7: APOP needs the greeting's timestamp. */
		if (ev->text != NULL) {
			log_vis(line, sizeof(line), ev->text,
			    strlen(ev->text));
			check_fact(ck, "APOP", "offered (timestamp %s)", line);
		} else
			check_fact(ck, "APOP", "not offered (no timestamp)");
		check_step(ck, "ok", "greeting", ev->reply);
		strlcpy(ck->step, "CAPA", sizeof(ck->step));
		break;
	case POP3_EV_CAPA:
		check_on_capa(ck, ev);
		strlcpy(ck->step, ev->text != NULL ? "STAT" : "login",
		    sizeof(ck->step));
		break;
	case POP3_EV_STLS:
		check_step(ck, "ok", "STLS", ev->reply);
		strlcpy(ck->step, "TLS", sizeof(ck->step));
		break;
	case POP3_EV_LOGIN:
		check_step(ck, "ok", "login", ev->text);
		strlcpy(ck->step, "CAPA", sizeof(ck->step));
		break;
	case POP3_EV_REPLY:
		/* STAT is shown with its numbers, by check_pop3(). */
		if (strcmp(ev->text, "QUIT") == 0)
			check_step(ck, "ok", "QUIT", ev->reply);
		break;
	}
}

static void
check_pop3_secret(void *arg)
{
	struct check *ck = arg;

	check_step(ck, "ok", "password", ck->secret);
	strlcpy(ck->step, "resolve", sizeof(ck->step));
}

static void
check_pop3_settings(struct check *ck, const struct pop3acct *a)
{
	static const char *const sec[] = {
		[POP3_SEC_STLS] = "stls", [POP3_SEC_TLS] = "tls",
		[POP3_SEC_NONE] = "none"
	};

	check_fact(ck, "pop3", "%s:%s", a->host, a->port);
	check_fact(ck, "pop3-security", "%s", sec[a->security]);
	check_fact(ck, "pop3-auth", "%s", a->auth);
	check_fact(ck, "pop3-user", "%s", a->user[0] ? a->user :
	    "(not set)");
	check_fact(ck, "pop3-password", "%s", pop3acct_secret_source(a));
	check_fact(ck, "pop3-tls-fingerprint", "%s", a->fingerprint ?
	    a->fingerprint : "(not set)");
	check_fact_int(ck, "timeout", a->timeout);
	check_step(ck, "ok", "pop3", a->name);
}

/*
 * The POP3 side up to STAT.  Never RETR, TOP or DELE: QUIT leaves the
 * mailbox as it was (RFC 1939 6).
 */
static int
check_pop3(struct check *ck, const struct config *cfg, const char *account,
    struct failure *f)
{
	struct pop3acct a;
	struct pop3_watch w;
	struct pop3_session *s;
	unsigned long n;
	unsigned long long size;
	char human[64], line[128];
	int rc;

	ck->proto = "pop3";
	ck->tls_shown = 0;
	strlcpy(ck->step, "pop3", sizeof(ck->step));
	if (pop3acct_resolve(cfg, account, &a, f) == -1)
		return -1;
	check_pop3_settings(ck, &a);
	strlcpy(ck->step, "password", sizeof(ck->step));
	w.fn = check_on_pop3;
	w.arg = ck;
	ck->secret = pop3acct_secret_source(&a);
	if ((s = pop3acct_open(&a, &w, check_pop3_secret, ck, f)) == NULL)
		return -1;
	strlcpy(ck->step, "STAT", sizeof(ck->step));
	if ((rc = pop3_stat(s, &n, &size, f)) == 0) {
		check_human_size((long long)size, human, sizeof(human));
		check_fact_int(ck, "messages", (long long)n);
		check_fact_int(ck, "octets", (long long)size);
		snprintf(line, sizeof(line), "%lu message%s, %s", n,
		    n == 1 ? "" : "s", human);
		check_step(ck, "ok", "STAT", line);
		strlcpy(ck->step, "QUIT", sizeof(ck->step));
		rc = pop3_quit(s, f);
	}
	pop3_close(s);
	return rc;
}

/*
 * The files read, in order ("a, b"); the user file is the last.  A
 * system file skipped because this user cannot read it is named too.
 */
static void
check_config(struct check *ck, const struct config *cfg, int skipped)
{
	char line[CHECK_TEXT_MAX] = "";
	size_t i;

	for (i = 0; i < cfg->nfiles; i++) {
		if (i > 0)
			strlcat(line, ", ", sizeof(line));
		strlcat(line, cfg->files[i], sizeof(line));
	}
	if (cfg->user_file == NULL)
		strlcat(line, cfg->nfiles ? " (no user file)" :
		    "(no file: the defaults)", sizeof(line));
	if (skipped) {
		strlcat(line, "; not readable by you, skipped: ",
		    sizeof(line));
		strlcat(line, config_system_path(), sizeof(line));
	}
	check_step(ck, "ok", "config", line);
}

void
check_config_failed(const struct options *o, const struct failure *f,
    struct front_report *rep)
{
	struct check ck;

	memset(&ck, 0, sizeof(ck));
	ck.json = o->json;
	clock_gettime(CLOCK_MONOTONIC, &ck.last);
	strlcpy(ck.step, "config", sizeof(ck.step));
	rep->json_done = o->json;
	check_fail(&ck, f);
}

int
check_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f)
{
	struct check ck;
	struct settings set;
	int rc, pop3 = 0;

	memset(&ck, 0, sizeof(ck));
	ck.json = o->json;
	clock_gettime(CLOCK_MONOTONIC, &ck.last);
	rep->json_done = o->json;
	check_config(&ck, cfg, o->maildrop);
	strlcpy(ck.step, "settings", sizeof(ck.step));
	if ((rc = config_settings(cfg, o->account, &set, f)) == 0) {
		pop3 = set.fetch.url != NULL;
		check_settings(&ck, &set);
		if (set.smtp.host == NULL && !pop3)
			rc = failure_set(f, F_CONFIG, "settings: no SMTP "
			    "server configured: set smtp=host:port");
		else if (set.smtp.host == NULL)
			check_step(&ck, "skip", "SMTP", "no smtp configured; "
			    "the POP3 side follows");
		else
			rc = check_session(&ck, o, &set, f);
		/* The POP3 side, when the SMTP side passed. */
		if (rc == 0 && pop3)
			rc = check_pop3(&ck, cfg, o->account, f);
	}
	if (rc == -1) {
		check_fail(&ck, f);
		/* main.c's line (and its hint) names the POP3 side. */
		if (ck.proto != NULL && strncmp(f->text, "fetch ", 6) != 0) {
			char t[FAILURE_TEXT_MAX];

			strlcpy(t, f->text, sizeof(t));
			failure_set(f, f->kind, "pop3 %s: %s", o->account ?
			    o->account : "default", t);
		}
		return -1;
	}
	ck.proto = NULL;
	if (pop3)
		check_step(&ck, "ok", "done", set.smtp.host == NULL ?
		    "every step passed; nothing was retrieved or deleted" :
		    o->to.n ? "every step passed; nothing was sent, "
		    "retrieved or deleted" : "every step passed (give "
		    "recipients to try RCPT TO); nothing was sent, retrieved "
		    "or deleted");
	else
		check_step(&ck, "ok", "done", o->to.n ? "every step passed; "
		    "nothing was sent" : "every step passed (give recipients "
		    "to try RCPT TO); nothing was sent");
	return 0;
}
