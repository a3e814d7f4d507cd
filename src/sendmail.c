/*
 * sendmail.c — the sendmail personality (see sendmail.h): sendmail(8)'s
 * command line as cron, Monit, systemd units, git send-email and mailx
 * use it, and its send: the finished message from stdin (sendmail_msg.c)
 * with the envelope from the options or, with -t, from its header.
 *
 * RFC 3461 (DSN: -N, -R, -V), RFC 6152 (8BITMIME: the second try).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "address.h"
#include "log.h"
#include "mailx.h"
#include "message.h"
#include "recipients.h"
#include "sendmail.h"
#include "sendmail_msg.h"
#include "spool.h"
#include "xmalloc.h"

/* -N: "never" or a list of success, failure, delay (RFC 3461 4.1). */
static int
sendmail_valid_notify(const char *v)
{
	const char *p = v;
	size_t n;

	if (strcasecmp(v, "never") == 0)
		return 1;
	while (*p != '\0') {
		n = strcspn(p, ",");
		if (!((n == 7 && strncasecmp(p, "success", n) == 0) ||
		    (n == 7 && strncasecmp(p, "failure", n) == 0) ||
		    (n == 5 && strncasecmp(p, "delay", n) == 0)))
			return 0;
		p += n;
		if (*p == ',' && *++p == '\0')
			return 0;
	}
	return *v != '\0';
}

/* -o with its value: -oi counts, the others are accepted and ignored. */
static int
sendmail_opt_o(struct sendmail_options *so, const char *v, struct failure *f)
{
	static const char *const ignored[] = {
		"db", "di", "dq", "dd", "em", "ep", "ee", "eq", "ew", "m"
	};
	size_t i;

	if (strcmp(v, "i") == 0) {
		so->ignore_dots = 1;
		return 0;
	}
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (strcmp(v, ignored[i]) == 0)
			return 0;
	return failure_set(f, F_USAGE, "unknown sendmail option -o%s", v);
}

/* An option that takes a value: the value is v. */
static int
sendmail_opt_value(struct options *o, struct sendmail_options *so, int c,
    const char *v, struct failure *f)
{
	switch (c) {
	case 'f':
	case 'r':
		so->envelope_from = v;
		return 0;
	case 'F':
		so->fullname = v;
		return 0;
	case 'A':
		/* sendmail's -Ac / -Am pick its own .cf file: ignored. */
		if (strcmp(v, "c") != 0 && strcmp(v, "m") != 0)
			o->account = v;
		return 0;
	case 'C':
		/*
		 * Ignored: an address crafted to carry " -C/upload/x.rc"
		 * (CVE-2016-10033's pattern) would otherwise pick a config
		 * whose smtp-password-cmd runs as the caller.
		 */
		so->ignored_config = v;
		return 0;
	case 'N':
		if (!sendmail_valid_notify(v))
			return failure_set(f, F_USAGE, "-N takes never, or a "
			    "list of success, failure and delay");
		o->dsn_notify = v;
		return 0;
	case 'R':
		if (strcasecmp(v, "full") == 0)
			o->dsn_return = "full";
		else if (strcasecmp(v, "hdrs") == 0)
			o->dsn_return = "hdrs";
		else
			return failure_set(f, F_USAGE, "-R takes full or hdrs");
		return 0;
	case 'V':
		if (*v == '\0' || strlen(v) > 100)
			return failure_set(f, F_USAGE, "-V takes an envelope "
			    "id of 1 to 100 characters");
		so->dsn_envid = v;
		return 0;
	case 'o':
		return sendmail_opt_o(so, v, f);
	case 'B':
		if (strcasecmp(v, "8BITMIME") != 0 && strcasecmp(v, "7BIT") != 0)
			return failure_set(f, F_USAGE, "-B takes 8BITMIME or "
			    "7BIT");
		return 0;
	case 'e':
		if (strchr("mepqw", *v) == NULL || v[1] != '\0')
			return failure_set(f, F_USAGE, "unknown sendmail "
			    "option -e%s", v);
		return 0;
	case 'b':
		if (strcmp(v, "m") == 0)
			o->mode = CLI_SEND;
		else if (strcmp(v, "p") == 0)
			o->mode = CLI_QUEUE_LIST;
		else
			return failure_set(f, F_USAGE, "-b%s is not supported "
			    "(only -bm and -bp)", v);
		return 0;
	}
	return failure_set(f, F_INTERNAL, "sendmail option -%c", c);
}

int
sendmail_parse(int argc, char **argv, struct options *o,
    struct sendmail_options *so, struct failure *f)
{
	const char *arg, *v;
	int i, stop = 0;

	memset(o, 0, sizeof(*o));
	memset(so, 0, sizeof(*so));
	o->mode = CLI_SEND;
	i = 1;
	if (i < argc && strcmp(argv[i], "--sendmail") == 0)
		i++;
	for (; i < argc; i++) {
		arg = argv[i];
		if (stop || arg[0] != '-' || arg[1] == '\0') {
			o->to.v = xreallocarray(o->to.v, o->to.n + 1,
			    sizeof(*o->to.v));
			o->to.v[o->to.n++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			stop = 1;
			continue;
		}
		/* Ours, not sendmail's: the version and the help. */
		if (strcmp(arg, "--version") == 0) {
			o->mode = CLI_VERSION;
			return 0;
		}
		if (strcmp(arg, "--help") == 0) {
			o->mode = CLI_HELP;
			return 0;
		}
		for (arg++; *arg != '\0'; arg++) {
			switch (*arg) {
			case 'i':
				so->ignore_dots = 1;
				continue;
			case 't':
				so->extract_recipients = 1;
				continue;
			case 'v':
				o->verbose++;
				continue;
			case 'n':
				o->no_system_rc = 1;
				continue;
			case 'G':
			case 'U':
				continue;
			case 'q':
				/* -q, -q30m: one run of the queue. */
				o->mode = CLI_FLUSH;
				break;
			case 'f': case 'r': case 'F': case 'A': case 'C':
			case 'N': case 'R': case 'V': case 'o': case 'B':
			case 'e': case 'b':
				v = arg[1] != '\0' ? arg + 1 :
				    i + 1 < argc ? argv[++i] : NULL;
				if (v == NULL)
					return failure_set(f, F_USAGE,
					    "option -%c needs a value", *arg);
				if (sendmail_opt_value(o, so, *arg,
				    v, f) == -1)
					return -1;
				break;
			default:
				return failure_set(f, F_USAGE, "unknown "
				    "sendmail option -%c", *arg);
			}
			break;
		}
	}
	if (o->mode == CLI_SEND && o->to.n == 0 && !so->extract_recipients)
		return failure_set(f, F_USAGE, "no recipients given (name "
		    "them, or use -t)");
	return 0;
}


/* A send of the sendmail personality: the mailx phases' state and ours. */
struct sendmail_send {
	struct mailx_send s;
	const struct sendmail_options *so;
	struct sendmail_msg sm;		/* the message's header */
};

/* The account: -A, else the From header's address, else -f's. */
static int
sendmail_settings(struct sendmail_send *r, const char *hfrom,
    struct failure *f)
{
	const char *account = r->s.opt->account;
	char *a;

	if (account == NULL && (a = sendmail_msg_one_addr(hfrom)) != NULL) {
		account = config_account_for_from(r->s.cfg, a);
		free(a);
	}
	if (account == NULL &&
	    (a = sendmail_msg_one_addr(r->so->envelope_from)) != NULL) {
		account = config_account_for_from(r->s.cfg, a);
		free(a);
	}
	return config_settings(r->s.cfg, account, &r->s.set, f);
}

/* from-rewrite of the settings' account (nothing without a from). */
static enum sendmail_rewrite
sendmail_rewrite_mode(const struct mailx_send *s)
{
	if (s->set.from == NULL)
		return SM_REWRITE_NEVER;
	return sendmail_msg_rewrite_mode(config_get(s->cfg, s->set.account,
	    "from-rewrite"));
}

/* Whether from-rewrite applies to addr (a From or -f address). */
static int
sendmail_rewrites(const struct mailx_send *s, const char *addr)
{
	return sendmail_msg_rewrites(sendmail_rewrite_mode(s), addr,
	    s->set.hostname);
}

static int
sendmail_rewrite_from(struct sendmail_send *r, struct failure *f)
{
	struct mailx_send *s = &r->s;

	int rc;

	rc = sendmail_msg_rewrite_from(&r->sm, sendmail_rewrite_mode(s),
	    s->set.from, s->set.hostname, f);
	if (rc == 1)
		log_info("from-rewrite: From is now the account's, %s",
		    s->set.from);
	return rc == -1 ? -1 : 0;
}

/*
 * The envelope sender: -f (<> is the null sender; a bare name is
 * qualified with default-domain, else the host name), else the
 * configured from, else login@host.
 */
static int
sendmail_sender(struct sendmail_send *r, struct failure *f)
{
	struct mailx_send *s = &r->s;
	const char *fa = r->so->envelope_from, *dom;
	char *q;
	int rc;

	/* from-rewrite: the envelope follows the header. */
	if (fa != NULL && strcmp(fa, "<>") != 0 && *fa != '\0' &&
	    sendmail_rewrites(s, fa))
		fa = NULL;
	if (fa == NULL || strchr(fa, '@') != NULL || strchr(fa, '<') != NULL)
		rc = mailx_sender(s, fa ? fa : s->set.from, f);
	else {
		dom = s->set.default_domain && *s->set.default_domain ?
		    s->set.default_domain : s->set.hostname;
		q = xasprintf("%s@%s", fa, dom);
		rc = mailx_sender(s, q, f);
		free(q);
	}
	if (rc == -1 && fa != NULL && (strcmp(fa, "<>") == 0 || *fa == '\0')) {
		failure_clear(f);
		free(s->from.name);
		s->from.name = NULL;
		s->from.addr = xstrdup("");
		return 0;
	}
	return rc;
}

/* Arguments, and with -t the To, Cc and Bcc fields of the message. */
static int
sendmail_recipients(struct sendmail_send *r, struct failure *f)
{
	static const char *const fields[] = { "To", "Cc", "Bcc" };
	struct mailx_send *s = &r->s;
	struct address_list *outs[] = { &s->to, &s->cc, &s->bcc };
	size_t i, j, k;
	char *v;

	for (j = 0; j < s->opt->to.n; j++)
		if (mailx_expand(s, s->opt->to.v[j], &s->to, f) == -1)
			return -1;
	for (i = 0; r->so->extract_recipients && i < 3; i++)
		for (k = 0; (v = sendmail_msg_header(&r->sm, fields[i], k)) !=
		    NULL; k++) {
			if (mailx_expand(s, v, outs[i], f) == -1) {
				free(v);
				return -1;
			}
			free(v);
		}
	for (i = 0; i < 3; i++)
		for (j = 0; j < outs[i]->n; j++)
			address_list_add(&s->rcpts, NULL, outs[i]->v[j].addr);
	recipients_unique(&s->rcpts);	/* once: O(n log n) */
	if (s->rcpts.n == 0)
		return failure_set(f, F_USAGE, r->so->extract_recipients ?
		    "no recipients in the arguments or the To, Cc and Bcc "
		    "fields" : "no recipients given");
	return 0;
}

/* The message from stdin into the spool, missing fields added. */
static int
sendmail_spool(struct sendmail_send *r, struct failure *f)
{
	struct mailx_send *s = &r->s;
	struct sendmail_add add;
	struct address def = { 0 };
	const char *pin;
	char *fname = NULL;
	int rc;

	/* An added From names the envelope sender, or the configured one. */
	if (s->from.addr[0] == '\0' || r->so->envelope_from == NULL) {
		struct address save = s->from;

		s->from.name = s->from.addr = NULL;
		rc = mailx_sender(s, s->set.from, f);
		def = s->from;
		s->from = save;
		if (rc == -1)
			return -1;
	}
	memset(&add, 0, sizeof(add));
	add.from_addr = s->from.addr[0] != '\0' ? s->from.addr : def.addr;
	add.from_name = r->so->fullname != NULL ? r->so->fullname :
	    def.addr != NULL && strcasecmp(def.addr, add.from_addr) == 0 ?
	    def.name : NULL;
	/* Its encoded words say UTF-8: the locale's charset converted. */
	if (add.from_name != NULL && message_text_utf8(NULL,
	    r->so->fullname != NULL ? "-F" : "From: display name",
	    add.from_name, &fname, f) == -1) {
		free(def.name);
		free(def.addr);
		return -1;
	}
	add.from_name = fname;
	add.id_domain = address_domain(add.from_addr);
	if (add.id_domain == NULL || strpbrk(add.id_domain, "<>\"") != NULL)
		add.id_domain = s->set.hostname;
	/* Test-only pins (tests/README) for reproducible output. */
	if ((pin = getenv("OUTBOX_TEST_DATE")) != NULL)
		add.date = (time_t)strtonum(pin, 0, LLONG_MAX, NULL);
	add.message_id = getenv("OUTBOX_TEST_MESSAGE_ID");
	rc = -1;
	if ((s->spool = spool_temp(f)) != NULL &&
	    sendmail_msg_write(stdin, r->so->ignore_dots, &r->sm, &add,
	    s->spool, f) == 0)
		rc = 0;
	free(fname);
	free(def.name);
	free(def.addr);
	strlcpy(s->info.message_id, r->sm.message_id,
	    sizeof(s->info.message_id));
	s->info.eightbit = r->sm.eightbit_header || r->sm.eightbit_body;
	s->info.utf8_headers = r->sm.eightbit_header;
	return rc;
}

/*
 * A body line over 998 octets (RFC 5322 2.1.1) cannot go as it is: a
 * single-part body goes in quoted-printable instead.
 */
static int
sendmail_fold_long(struct sendmail_send *r, struct failure *f)
{
	struct mailx_send *s = &r->s;
	FILE *conv;

	if (r->sm.long_line == 0)
		return 0;
	if ((conv = spool_temp(f)) == NULL)
		return -1;
	if (sendmail_msg_fold_long(&r->sm, s->spool, conv, f) == -1) {
		fclose(conv);
		return -1;
	}
	log_info("line %zu is longer than %d octets: sending the body as "
	    "quoted-printable", r->sm.long_line, SENDMAIL_MSG_LINE_MAX);
	fclose(s->spool);
	s->spool = conv;
	/* The body is 7-bit now; the header is as it came. */
	s->info.eightbit = r->sm.eightbit_header;
	return 0;
}

/*
 * The server lacks 8BITMIME (RFC 6152): the body again in
 * quoted-printable, when the message allows it, and a second try.
 */
static int
sendmail_retry_7bit(struct sendmail_send *r, struct failure *f)
{
	struct mailx_send *s = &r->s;
	FILE *conv;

	if ((conv = spool_temp(f)) == NULL)
		return -1;
	if (sendmail_msg_to_7bit(&r->sm, s->spool, conv, f) == -1) {
		fclose(conv);
		return -1;
	}
	log_info("the server lacks 8BITMIME: sending the body as "
	    "quoted-printable");
	fclose(s->spool);
	s->spool = conv;
	s->info.eightbit = 0;
	failure_clear(f);
	return mailx_submit(s, f);
}

/* sendmail's send: read the message, resolve, submit. */
static int
sendmail_phases(struct sendmail_send *r, struct failure *f)
{
	struct mailx_send *s = &r->s;
	char *hfrom;
	int rc;

	if (sendmail_msg_read_header(stdin, r->so->ignore_dots, &r->sm,
	    f) == -1)
		return -1;
	hfrom = sendmail_msg_header(&r->sm, "From", 0);
	rc = sendmail_settings(r, hfrom, f);
	free(hfrom);
	if (rc == -1)
		return -1;
	config_log_settings(&s->set);
	if (sendmail_sender(r, f) == -1 || sendmail_rewrite_from(r, f) == -1 ||
	    sendmail_recipients(r, f) == -1 ||
	    mailx_dsn(s, f) == -1 || sendmail_spool(r, f) == -1 ||
	    sendmail_fold_long(r, f) == -1)
		return -1;
	/* An alias error: the message is read now, and is kept. */
	if (s->pending.kind != F_NONE)
		return mailx_fail_pending(s, f);
	if ((rc = mailx_submit(s, f)) == -1 && s->have_result &&
	    s->result.lacks_8bitmime)
		rc = sendmail_retry_7bit(r, f);
	return rc;
}

int
sendmail_run(const struct options *o, const struct sendmail_options *so,
    struct config *cfg, struct front_report *rep, struct failure *f)
{
	struct sendmail_send r;
	int rc;

	memset(&r, 0, sizeof(r));
	mailx_init(&r.s, o, cfg);
	r.so = so;
	r.s.dsn_envid = so->dsn_envid;
	if (so->ignored_config != NULL)
		log_info("ignoring -C %s: the sendmail personality reads the "
		    "usual config files only", so->ignored_config);
	rc = sendmail_phases(&r, f);
	sendmail_msg_free(&r.sm);
	return mailx_finish(&r.s, rc, rep, f);
}
