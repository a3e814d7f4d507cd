/*
 * pop3.c — POP3 retrieval over conn.c.
 *
 * RFC 1939 (POP3: the greeting, USER/PASS, APOP, STAT, LIST, UIDL, RETR,
 * TOP, DELE, RSET, NOOP, QUIT; multi-line responses end with "." and
 * lines that start with "." are stuffed), RFC 2449 (CAPA, response codes
 * [IN-USE] and [LOGIN-DELAY], PIPELINING), RFC 3206 ([SYS/TEMP],
 * [SYS/PERM], [AUTH]), RFC 2595 (STLS), RFC 5034 (AUTH with SASL, the
 * "+ " continuation and the initial response), RFC 8314 (implicit TLS).
 */
#include <sys/types.h>

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "conn.h"
#include "log.h"
#include "pop3.h"
#include "sasl.h"
#include "xmalloc.h"

/* RFC 2449 section 4: a command line is at most 255 octets; AUTH's
   initial response may exceed it (RFC 5034 section 4), as in SMTP. */
#define POP3_CMD_MAX 8192
/* RFC 2449 section 4: a response line is at most 512 octets; allow
   twice (message lines are not capped: they stream in pieces). */
#define POP3_LINE_MAX 1024
/* Commands queued ahead of their replies (PIPELINING, RFC 2449 6.6). */
#define POP3_PENDING_MAX 64
/* SASL exchanges with more challenges than this are refused. */
#define POP3_SASL_STEPS_MAX 4
/* The APOP timestamp "<...>" (RFC 1939 section 7) fits a status line. */
#define POP3_STAMP_MAX 256
/* A status line as the watch is shown it. */
#define POP3_REPLY_SHOWN 300

enum pop3_pending_kind { PEND_RETR, PEND_DELE };

struct pop3_session {
	struct conn *c;
	struct pop3_params params;	/* a copy; the password dropped
					   after the login */
	const struct pop3_params *p;	/* &params */
	struct pop3_capa capa;		/* what the last CAPA listed */
	char stamp[POP3_STAMP_MAX];	/* APOP timestamp, or "" */
	struct tls_info tls;		/* what the handshake showed */
	struct net_watch nw;		/* p->watch's view of the connect */
	struct {
		enum pop3_pending_kind kind;
		unsigned long num;
		long lines;
	} pend[POP3_PENDING_MAX];
	size_t npend, pend0;		/* ring: count and oldest index */
};

/* Tells the watch, if any, about one step; st: the reply, or NULL. */
static void
pop3_emit(struct pop3_session *s, enum pop3_event_kind kind,
    const char *text, const struct pop3_status *st, int err)
{
	struct pop3_event ev;
	char reply[POP3_REPLY_SHOWN + POP3_CODE_MAX + 16],
	    vis[POP3_REPLY_SHOWN];

	if (s->p->watch == NULL || s->p->watch->fn == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.text = text;
	ev.err = err;
	ev.tls_on = s->c != NULL && conn_is_tls(s->c);
	ev.capa = &s->capa;
	ev.tls = &s->tls;
	if (st != NULL) {
		log_vis(vis, sizeof(vis), st->text ? st->text : "",
		    st->text ? strlen(st->text) : 0);
		snprintf(reply, sizeof(reply), "%s%s%s%s%s%s",
		    st->ok ? "+OK" : "-ERR", st->code[0] || vis[0] ? " " : "",
		    st->code[0] ? "[" : "", st->code, st->code[0] ? "] " : "",
		    vis);
		ev.reply = reply;
	}
	s->p->watch->fn(s->p->watch->arg, &ev);
}

/*
 * The handshake's facts (names, issuer, the key's pin) cost an encoder
 * pass over the server's key; only a watcher (--check) reads them.
 */
static struct tls_info *
pop3_tls_info(struct pop3_session *s)
{
	if (s->p->watch == NULL || s->p->watch->fn == NULL)
		return NULL;
	return &s->tls;
}

static void
pop3_watch_resolved(void *arg, const char *addrs)
{
	pop3_emit(arg, POP3_EV_RESOLVED, addrs, NULL, 0);
}

static void
pop3_watch_tried(void *arg, const char *addr, int err)
{
	pop3_emit(arg, POP3_EV_TRIED, addr, NULL, err);
}

static int
pop3_fail_status(enum failure_kind kind, const char *what,
    const struct pop3_status *st, struct failure *f)
{
	char vis[300];

	/* RFC 2449 8.1.1/8.1.2, RFC 3206 4: these may pass in time. */
	if (strcasecmp(st->code, "IN-USE") == 0 ||
	    strcasecmp(st->code, "LOGIN-DELAY") == 0 ||
	    strcasecmp(st->code, "SYS/TEMP") == 0)
		kind = F_TEMP;
	else if (strcasecmp(st->code, "AUTH") == 0)
		kind = F_AUTH;
	log_vis(vis, sizeof(vis), st->text ? st->text : "",
	    st->text ? strlen(st->text) : 0);
	return failure_set(f, kind, "%s: -ERR %s%s%s%s", what,
	    st->code[0] ? "[" : "", st->code, st->code[0] ? "] " : "", vis);
}

int
pop3_parse_status(const char *line, size_t len, struct pop3_status *st,
    struct failure *f)
{
	const char *p, *end = line + len, *close;
	size_t n;

	memset(st, 0, sizeof(*st));
	if (len >= 3 && strncmp(line, "+OK", 3) == 0 &&
	    (len == 3 || line[3] == ' ')) {
		st->ok = 1;
		p = line + 3;
	} else if (len >= 4 && strncmp(line, "-ERR", 4) == 0 &&
	    (len == 4 || line[4] == ' ')) {
		p = line + 4;
	} else if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
		st->ok = 2;
		st->text = len > 1 ? line + 2 : line + 1;
		return 0;
	} else
		return failure_set(f, F_PROTO, "malformed server reply "
		    "(neither +OK nor -ERR)");
	if (p < end)
		p++;
	/* RFC 2449 section 8: "[" resp-code "]" opens the text. */
	if (p < end && *p == '[') {
		if ((close = memchr(p, ']', (size_t)(end - p))) == NULL)
			return failure_set(f, F_PROTO, "malformed server reply "
			    "(unterminated response code)");
		n = (size_t)(close - p - 1);
		if (n >= sizeof(st->code))
			n = sizeof(st->code) - 1;
		memcpy(st->code, p + 1, n);
		st->code[n] = '\0';
		p = close + 1;
		while (p < end && *p == ' ')
			p++;
	}
	st->text = p;
	return 0;
}

/* Sends one command line; secret: the transcript hides its argument. */
static int
pop3_cmd(struct pop3_session *s, const char *cmd, int secret,
    struct failure *f)
{
	size_t len = strlen(cmd);

	if (len + 2 > POP3_CMD_MAX || strpbrk(cmd, "\r\n") != NULL)
		return failure_set(f, F_INTERNAL, "%s: bad command", __func__);
	if (secret) {
		/* "PASS", "APOP user", "AUTH MECH" stay; the secret goes. */
		char shown[128];
		size_t keep = 0, words = 0, want;

		want = strncasecmp(cmd, "PASS ", 5) == 0 ? 1 :
		    strncasecmp(cmd, "APOP ", 5) == 0 ||
		    strncasecmp(cmd, "AUTH ", 5) == 0 ? 2 : 0;
		while (want > 0 && keep < len && keep < 100) {
			if (cmd[keep] == ' ' && ++words == want)
				break;
			keep++;
		}
		snprintf(shown, sizeof(shown), "%.*s%s<redacted>", (int)keep,
		    cmd, keep ? " " : "");
		log_transcript('C', shown, strlen(shown), 0);
	} else
		log_transcript('C', cmd, len, 0);
	if (conn_write(s->c, cmd, len, f) == -1 ||
	    conn_write(s->c, "\r\n", 2, f) == -1)
		return -1;
	return 0;
}

/* Reads one status line into st (text valid until the next read). */
static int
pop3_read_status(struct pop3_session *s, const char *what,
    struct pop3_status *st, struct failure *f)
{
	const char *line;
	size_t len;

	if (conn_getline(s->c, &line, &len, f) == -1) {
		char t[FAILURE_TEXT_MAX];

		strlcpy(t, f->text, sizeof(t));
		failure_set(f, f->kind, "%s: %s", what, t);
		return -1;
	}
	log_transcript('S', line, len, 0);
	if (pop3_parse_status(line, len, st, f) == -1) {
		char vis[120];

		log_vis(vis, sizeof(vis), line, len);
		failure_set(f, F_PROTO, "%s: malformed reply \"%s\"", what,
		    vis);
		return -1;
	}
	return 0;
}

/* One command and its single-line reply; -ERR is a failure of kind. */
static int
pop3_simple(struct pop3_session *s, const char *cmd, const char *what,
    enum failure_kind kind, struct pop3_status *st, struct failure *f)
{
	if (cmd != NULL && (pop3_cmd(s, cmd, 0, f) == -1 ||
	    conn_flush(s->c, f) == -1))
		return -1;
	if (pop3_read_status(s, what, st, f) == -1)
		return -1;
	if (st->ok == 2)
		return failure_set(f, F_PROTO, "%s: unexpected continuation",
		    what);
	if (!st->ok)
		return pop3_fail_status(kind, what, st, f);
	return 0;
}

/*
 * Streams the lines of a message (RETR, TOP) up to the lone ".",
 * unstuffed (RFC 1939 section 3), into sink, in pieces: a message line
 * has no cap here, memory stays that of the connection's buffer.
 */
static int
pop3_read_body(struct pop3_session *s, const char *what, pop3_sink sink,
    void *arg, struct failure *f)
{
	const char *d;
	size_t len;
	int eol, bol = 1;

	for (;;) {
		if (conn_getpiece(s->c, &d, &len, &eol, f) == -1) {
			char t[FAILURE_TEXT_MAX];

			strlcpy(t, f->text, sizeof(t));
			return failure_set(f, f->kind, "%s: %s", what, t);
		}
		if (bol && len >= 1 && d[0] == '.') {
			if (len == 1 && eol)
				return 0;
			d++;
			len--;
		}
		if (sink(arg, d, len, eol, f) == -1)
			return -1;
		bol = eol;
	}
}

/* A multi-line listing (CAPA, LIST, UIDL): each line, capped. */
typedef int (*pop3_linefn)(struct pop3_session *, void *, const char *,
    size_t, struct failure *);

static int
pop3_read_lines(struct pop3_session *s, const char *what, pop3_linefn fn,
    void *arg, struct failure *f)
{
	const char *line;
	size_t len;

	for (;;) {
		if (conn_getline(s->c, &line, &len, f) == -1) {
			char t[FAILURE_TEXT_MAX];

			strlcpy(t, f->text, sizeof(t));
			return failure_set(f, f->kind, "%s: %s", what, t);
		}
		log_transcript('S', line, len, 0);
		if (len >= 1 && line[0] == '.') {
			if (len == 1)
				return 0;
			line++;
			len--;
		}
		if (fn(s, arg, line, len, f) == -1)
			return -1;
	}
}

static int
pop3_on_capa(struct pop3_session *s, void *arg, const char *line, size_t len,
    struct failure *f)
{
	static const struct {
		const char *name;
		int flag;
		size_t arg;		/* where its argument goes, or 0 */
	} caps[] = {
		{ "STLS", POP3_CAP_STLS, 0 }, { "UIDL", POP3_CAP_UIDL, 0 },
		{ "TOP", POP3_CAP_TOP, 0 },
		{ "PIPELINING", POP3_CAP_PIPELINING, 0 },
		{ "USER", POP3_CAP_USER, 0 },
		{ "SASL", POP3_CAP_SASL, offsetof(struct pop3_capa, sasl) },
		{ "RESP-CODES", POP3_CAP_RESP_CODES, 0 },
		{ "LOGIN-DELAY", POP3_CAP_LOGIN_DELAY,
		    offsetof(struct pop3_capa, login_delay) },
		{ "EXPIRE", POP3_CAP_EXPIRE,
		    offsetof(struct pop3_capa, expire) },
		{ "IMPLEMENTATION", 0,
		    offsetof(struct pop3_capa, implementation) },
	};
	size_t i, n, sz;
	char *dst;

	(void)arg;
	(void)f;
	n = strcspn(line, " ");
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (strlen(caps[i].name) != n ||
		    strncasecmp(line, caps[i].name, n) != 0)
			continue;
		s->capa.flags |= caps[i].flag;
		if (caps[i].arg == 0 || len <= n + 1)
			continue;
		/* The argument, capped; printed only through log_vis. */
		dst = (char *)&s->capa + caps[i].arg;
		sz = caps[i].arg == offsetof(struct pop3_capa, sasl) ?
		    sizeof(s->capa.sasl) : POP3_CAP_ARG_MAX;
		if (len - n - 1 >= sz)
			len = n + sz;
		memcpy(dst, line + n + 1, len - n - 1);
		dst[len - n - 1] = '\0';
	}
	return 0;
}

/*
 * CAPA (RFC 2449 section 5); a server without it (-ERR) gets the
 * RFC 1939 command set and no extensions.
 */
static int
pop3_capa(struct pop3_session *s, const char *when, struct failure *f)
{
	struct pop3_status st;

	memset(&s->capa, 0, sizeof(s->capa));
	if (pop3_cmd(s, "CAPA", 0, f) == -1 || conn_flush(s->c, f) == -1 ||
	    pop3_read_status(s, "CAPA", &st, f) == -1)
		return -1;
	if (st.ok == 1 &&
	    pop3_read_lines(s, "CAPA", pop3_on_capa, NULL, f) == -1)
		return -1;
	pop3_emit(s, POP3_EV_CAPA, when, NULL, 0);
	return 0;
}

/* TLS now: implicit (RFC 8314), or after the +OK to STLS. */
static int
pop3_tls(struct pop3_session *s, int implicit, struct failure *f)
{
	struct conn_tls_params tp;

	memset(&tp, 0, sizeof(tp));
	tp.servername = s->p->host;
	tp.ca_file = s->p->ca_file;
	tp.fingerprint = s->p->fingerprint;
	tp.info = pop3_tls_info(s);
	tp.implicit = implicit;
	if (conn_starttls(s->c, &tp, f) == -1) {
		if (f->kind != F_PROTO)
			pop3_emit(s, POP3_EV_TLS, NULL, NULL, -1);
		return -1;
	}
	pop3_emit(s, POP3_EV_TLS, NULL, NULL, 0);
	return 0;
}

/* STLS (RFC 2595 section 4); then CAPA again, forgetting the old one. */
static int
pop3_stls(struct pop3_session *s, struct failure *f)
{
	struct pop3_status st;

	if (!(s->capa.flags & POP3_CAP_STLS))
		return failure_set(f, F_PERM, "STLS: the server does not "
		    "offer STLS (set pop3-security=tls for port 995, or none "
		    "to send the password in the clear)");
	if (pop3_simple(s, "STLS", "STLS", F_PERM, &st, f) == -1)
		return -1;
	pop3_emit(s, POP3_EV_STLS, NULL, &st, 0);
	if (conn_pending(s->c) > 0)
		return failure_set(f, F_PROTO, "STLS: server sent data before "
		    "the TLS handshake (possible injection)");
	if (pop3_tls(s, 0, f) == -1) {
		if (f->kind == F_PROTO && strncmp(f->text, "STARTTLS:", 9) == 0)
			return failure_set(f, F_PROTO, "STLS: server sent data "
			    "before the TLS handshake (possible injection)");
		return -1;
	}
	return pop3_capa(s, NULL, f);
}

/* The greeting, and the APOP timestamp it may carry. */
static int
pop3_greeting(struct pop3_session *s, struct failure *f)
{
	struct pop3_status st;
	const char *lt, *gt;

	if (pop3_simple(s, NULL, "greeting", F_TEMP, &st, f) == -1)
		return -1;
	if ((lt = strchr(st.text, '<')) != NULL &&
	    (gt = strchr(lt, '>')) != NULL &&
	    (size_t)(gt - lt + 1) < sizeof(s->stamp)) {
		memcpy(s->stamp, lt, (size_t)(gt - lt + 1));
		s->stamp[gt - lt + 1] = '\0';
	}
	pop3_emit(s, POP3_EV_GREETING, s->stamp[0] ? s->stamp : NULL, &st, 0);
	return 0;
}

int
pop3_apop_digest(const char *timestamp, const char *password, char out[33],
    struct failure *f)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return failure_set(f, F_INTERNAL, "APOP: out of memory");
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) == 1 &&
	    EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return failure_set(f, F_INTERNAL, "APOP: MD5 is unavailable");
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(md, sizeof(md));
	return 0;
}

static int
pop3_login_user(struct pop3_session *s, struct failure *f)
{
	struct pop3_status st;
	char *cmd;
	int rc;

	cmd = xasprintf("USER %s", s->p->user);
	rc = pop3_simple(s, cmd, "USER", F_AUTH, &st, f);
	free(cmd);
	if (rc == -1)
		return -1;
	cmd = xasprintf("PASS %s", s->p->password);
	if ((rc = pop3_cmd(s, cmd, 1, f)) == 0)
		rc = conn_flush(s->c, f);
	freezero(cmd, strlen(cmd) + 1);
	if (rc == -1)
		return -1;
	return pop3_simple(s, NULL, "PASS", F_AUTH, &st, f);
}

static int
pop3_login_apop(struct pop3_session *s, struct failure *f)
{
	struct pop3_status st;
	char digest[33], *cmd;
	int rc;

	if (s->stamp[0] == '\0')
		return failure_set(f, F_PERM, "APOP: the server's greeting "
		    "has no timestamp, so it does not offer APOP");
	if (pop3_apop_digest(s->stamp, s->p->password, digest, f) == -1)
		return -1;
	cmd = xasprintf("APOP %s %s", s->p->user, digest);
	explicit_bzero(digest, sizeof(digest));
	if ((rc = pop3_cmd(s, cmd, 1, f)) == 0 &&
	    (rc = conn_flush(s->c, f)) == 0)
		rc = pop3_simple(s, NULL, "APOP", F_AUTH, &st, f);
	freezero(cmd, strlen(cmd) + 1);
	return rc;
}

/* Cancels the exchange ("*", RFC 5034 4) and reads the server's -ERR. */
static int
pop3_sasl_cancel(struct pop3_session *s, const char *what,
    struct failure *f)
{
	struct pop3_status st;

	if (pop3_cmd(s, "*", 0, f) == -1 || conn_flush(s->c, f) == -1)
		return -1;
	return pop3_read_status(s, what, &st, f);
}

/*
 * AUTH mech with the initial response (RFC 5034 section 4), the "+ "
 * challenges answered by sasl.c's step API.
 */
static int
pop3_login_sasl(struct pop3_session *s, enum sasl_mech mech,
    struct failure *f)
{
	struct sasl_creds cr;
	struct sasl_exchange *x;
	struct pop3_status st;
	struct failure sf;
	char *ir = NULL, *resp, *cmd, what[64];
	int rc, cancel, steps = 0;

	snprintf(what, sizeof(what), "AUTH %s", sasl_mech_name(mech));
	memset(&cr, 0, sizeof(cr));
	cr.user = s->p->user;
	cr.secret = s->p->password;
	cr.host = s->p->host;
	cr.port = s->p->port;
	if ((x = sasl_start(mech, &cr, &ir, f)) == NULL)
		return -1;
	/* An empty initial response is sent as "=". */
	cmd = ir != NULL ? xasprintf("%s %s", what, *ir ? ir : "=") :
	    xstrdup(what);
	if (ir != NULL)
		freezero(ir, strlen(ir) + 1);
	rc = pop3_cmd(s, cmd, ir != NULL, f);
	freezero(cmd, strlen(cmd) + 1);
	if (rc == -1 || (rc = conn_flush(s->c, f)) == -1)
		goto out;
	for (rc = -1;;) {
		if (pop3_read_status(s, what, &st, f) == -1)
			goto out;
		if (st.ok != 2)
			break;
		failure_clear(&sf);
		cancel = 0;
		resp = NULL;
		if (++steps > POP3_SASL_STEPS_MAX) {
			failure_set(f, F_PROTO, "%s: too many challenges",
			    what);
			goto out;
		}
		if (sasl_step(x, st.text, &resp, &cancel, &sf) == -1 &&
		    !cancel) {
			failure_set(f, sf.kind, "%s: %s", what, sf.text);
			goto out;
		}
		if (cancel) {
			/* The server has the last word, unless we know. */
			if (pop3_sasl_cancel(s, what, f) == -1)
				goto out;
			if (sf.kind != F_NONE)
				failure_set(f, sf.kind, "%s: %s", what,
				    sf.text);
			else
				pop3_fail_status(F_AUTH, what, &st, f);
			goto out;
		}
		rc = pop3_cmd(s, resp, 1, f);
		freezero(resp, strlen(resp) + 1);
		if (rc == -1 || (rc = conn_flush(s->c, f)) == -1)
			goto out;
		rc = -1;
	}
	if (!st.ok) {
		pop3_fail_status(F_AUTH, what, &st, f);
		goto out;
	}
	failure_clear(&sf);
	if (sasl_finish(x, *st.text ? st.text : NULL, &sf) == -1) {
		failure_set(f, sf.kind, "%s: %s", what, sf.text);
		goto out;
	}
	rc = 0;
out:
	sasl_end(x);
	return rc;
}

/* The way in, then its event. */
static int
pop3_login_as(struct pop3_session *s, enum sasl_mech mech, struct failure *f)
{
	char what[64];
	int rc;

	if (mech == SASL_NONE) {
		rc = s->p->login == POP3_LOGIN_APOP ? pop3_login_apop(s, f) :
		    pop3_login_user(s, f);
		strlcpy(what, s->p->login == POP3_LOGIN_APOP ? "APOP" :
		    "USER/PASS", sizeof(what));
	} else {
		rc = pop3_login_sasl(s, mech, f);
		snprintf(what, sizeof(what), "AUTH %s", sasl_mech_name(mech));
	}
	if (rc == 0)
		pop3_emit(s, POP3_EV_LOGIN, what, NULL, 0);
	return rc;
}

static int
pop3_login(struct pop3_session *s, struct failure *f)
{
	const struct pop3_params *p = s->p;
	enum sasl_mech mech;

	if (p->user == NULL || p->password == NULL)
		return failure_set(f, F_AUTH, "login: no user or password "
		    "(set pop3-user and pop3-password-cmd)");
	switch (p->login) {
	case POP3_LOGIN_USER:
	case POP3_LOGIN_APOP:
		return pop3_login_as(s, SASL_NONE, f);
	case POP3_LOGIN_SASL:
		if (!sasl_mech_offered(s->capa.sasl, p->mech))
			return failure_set(f, F_PERM, "AUTH: the server does "
			    "not offer %s", sasl_mech_name(p->mech));
		return pop3_login_as(s, p->mech, f);
	case POP3_LOGIN_AUTO:
		mech = (s->capa.flags & POP3_CAP_SASL) ?
		    sasl_mech_choose(s->capa.sasl, conn_is_tls(s->c)) :
		    SASL_NONE;
		return pop3_login_as(s, mech, f);
	}
	return failure_set(f, F_INTERNAL, "%s: login %d", __func__, p->login);
}

/*
 * A STLS or plaintext session whose server stays silent: is it an
 * implicit-TLS port (conn_speaks_tls())?  So a STLS configuration on
 * port 995 fails in seconds, not after the whole time-out.  -1 with f
 * set when it is.
 */
static int
pop3_check_port(struct pop3_session *s, struct failure *f)
{
	if (!conn_speaks_tls(s->c, s->p->timeout))
		return 0;
	return failure_set(f, F_CONFIG, "greeting: the server on port %s "
	    "speaks TLS at once (implicit TLS), not plaintext POP3",
	    s->p->port);
}

/* The dialogue up to the login, on s->c; -1 with f set. */
static int
pop3_begin(struct pop3_session *s, int check_port, struct failure *f)
{
	const struct pop3_params *p = s->p;

	conn_set_line_max(s->c, POP3_LINE_MAX);
	if (p->security == POP3_SEC_TLS) {
		/* RFC 8314 3.3: TLS from the first byte. */
		if (pop3_tls(s, 1, f) == -1)
			return -1;
	} else if (check_port && pop3_check_port(s, f) == -1)
		return -1;
	if (pop3_greeting(s, f) == -1 || pop3_capa(s, NULL, f) == -1)
		return -1;
	if (p->security == POP3_SEC_STLS && pop3_stls(s, f) == -1)
		return -1;
	if (pop3_login(s, f) == -1)
		return -1;
	s->params.password = NULL;	/* the caller wipes it */
	/* CAPA after login may differ (RFC 2449 section 5). */
	return pop3_capa(s, "login", f);
}

struct pop3_session *
pop3_open(const struct pop3_params *p, struct failure *f)
{
	struct pop3_session *s;

	s = xcalloc(1, sizeof(*s));
	s->params = *p;
	s->p = &s->params;
	s->nw.resolved = pop3_watch_resolved;
	s->nw.tried = pop3_watch_tried;
	s->nw.arg = s;
	if ((s->c = conn_open_watch(p->host, p->port, p->timeout, &s->nw,
	    f)) == NULL) {
		pop3_close(s);
		return NULL;
	}
	/* STLS comes later: make its context while the server greets. */
	if (p->security == POP3_SEC_STLS)
		tls_prepare(p->ca_file, p->fingerprint);
	if (pop3_begin(s, 1, f) == -1) {
		pop3_close(s);
		return NULL;
	}
	return s;
}

struct pop3_session *
pop3_start(struct conn *c, const struct pop3_params *p, struct failure *f)
{
	struct pop3_session *s;

	s = xcalloc(1, sizeof(*s));
	s->params = *p;
	s->p = &s->params;
	s->c = c;
	if (pop3_begin(s, 0, f) == -1) {
		pop3_close(s);
		return NULL;
	}
	return s;
}

int
pop3_caps(const struct pop3_session *s)
{
	return s->capa.flags;
}

const struct pop3_capa *
pop3_capa_get(const struct pop3_session *s)
{
	return &s->capa;
}

/* "n size" (LIST) or "n uid" (UIDL, RFC 1939 7: 0x21..0x7E, <= 70). */
struct pop3_scan_ctx {
	struct pop3_msg *v;
	size_t n, cap, next;		/* next: where UIDL looks first */
	int uidl;
};

static int
pop3_on_scan(struct pop3_session *s, void *arg, const char *line, size_t len,
    struct failure *f)
{
	struct pop3_scan_ctx *x = arg;
	const char *sp, *errstr, *what = x->uidl ? "UIDL" : "LIST";
	char num[24], *rest;
	unsigned long long n;
	size_t i, k;

	(void)s;
	sp = memchr(line, ' ', len);
	if (sp == NULL || (size_t)(sp - line) >= sizeof(num) || sp == line)
		return failure_set(f, F_PROTO, "%s: malformed line", what);
	memcpy(num, line, (size_t)(sp - line));
	num[sp - line] = '\0';
	n = (unsigned long long)strtonum(num, 1, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return failure_set(f, F_PROTO, "%s: bad message number", what);
	rest = xstrndup(sp + 1, len - (size_t)(sp + 1 - line));
	rest[strcspn(rest, " ")] = '\0';
	if (!x->uidl) {
		unsigned long long size;

		size = (unsigned long long)strtonum(rest, 0, LLONG_MAX,
		    &errstr);
		free(rest);
		if (errstr != NULL)
			return failure_set(f, F_PROTO, "LIST: bad size");
		if (x->n == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 64;
			x->v = xreallocarray(x->v, x->cap, sizeof(*x->v));
		}
		x->v[x->n].num = (unsigned long)n;
		x->v[x->n].size = size;
		x->v[x->n].uidl = NULL;
		x->n++;
		return 0;
	}
	for (i = 0; rest[i] != '\0'; i++)
		if ((unsigned char)rest[i] < 0x21 ||
		    (unsigned char)rest[i] > 0x7e)
			break;
	if (rest[i] != '\0' || i == 0 || i > 70) {
		free(rest);
		return failure_set(f, F_PROTO, "UIDL: malformed unique id");
	}
	/* Usually in the same order as LIST: look there first. */
	for (k = 0; k < x->n; k++) {
		i = (x->next + k) % x->n;
		if (x->v[i].num == n)
			break;
	}
	if (k == x->n || x->v[i].uidl != NULL) {
		free(rest);
		return failure_set(f, F_PROTO, "UIDL: message %llu is not "
		    "in LIST, or listed twice", n);
	}
	x->v[i].uidl = rest;
	x->next = i + 1;
	return 0;
}

int
pop3_scan(struct pop3_session *s, struct pop3_msg **v, size_t *n,
    int *have_uidl, struct failure *f)
{
	struct pop3_scan_ctx x;
	struct pop3_status st;
	size_t i;

	memset(&x, 0, sizeof(x));
	*v = NULL;
	*n = 0;
	*have_uidl = 0;
	if (pop3_simple(s, "LIST", "LIST", F_PERM, &st, f) == -1 ||
	    pop3_read_lines(s, "LIST", pop3_on_scan, &x, f) == -1)
		goto fail;
	x.uidl = 1;
	if (pop3_cmd(s, "UIDL", 0, f) == -1 || conn_flush(s->c, f) == -1 ||
	    pop3_read_status(s, "UIDL", &st, f) == -1)
		goto fail;
	if (st.ok == 1) {
		if (pop3_read_lines(s, "UIDL", pop3_on_scan, &x, f) == -1)
			goto fail;
		for (i = 0; i < x.n; i++)
			if (x.v[i].uidl == NULL) {
				failure_set(f, F_PROTO, "UIDL: no unique id "
				    "for message %lu", x.v[i].num);
				goto fail;
			}
		*have_uidl = 1;
	}
	*v = x.v;
	*n = x.n;
	return 0;
fail:
	pop3_msgs_free(x.v, x.n);
	return -1;
}

void
pop3_msgs_free(struct pop3_msg *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].uidl);
	free(v);
}

static int
pop3_pend_push(struct pop3_session *s, enum pop3_pending_kind kind,
    unsigned long num, long lines, struct failure *f)
{
	size_t i;

	if (s->npend == POP3_PENDING_MAX)
		return failure_set(f, F_INTERNAL, "%s: too many commands "
		    "in flight", __func__);
	i = (s->pend0 + s->npend) % POP3_PENDING_MAX;
	s->pend[i].kind = kind;
	s->pend[i].num = num;
	s->pend[i].lines = lines;
	s->npend++;
	return 0;
}

int
pop3_send_retr(struct pop3_session *s, unsigned long num, long lines,
    struct failure *f)
{
	char cmd[64];

	if (lines >= 0)
		snprintf(cmd, sizeof(cmd), "TOP %lu %ld", num, lines);
	else
		snprintf(cmd, sizeof(cmd), "RETR %lu", num);
	if (pop3_pend_push(s, PEND_RETR, num, lines, f) == -1)
		return -1;
	return pop3_cmd(s, cmd, 0, f);
}

int
pop3_send_dele(struct pop3_session *s, unsigned long num, struct failure *f)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "DELE %lu", num);
	if (pop3_pend_push(s, PEND_DELE, num, -1, f) == -1)
		return -1;
	return pop3_cmd(s, cmd, 0, f);
}

int
pop3_flush(struct pop3_session *s, struct failure *f)
{
	return conn_flush(s->c, f);
}

/* Takes the oldest pending command, which must be of kind. */
static int
pop3_pend_pop(struct pop3_session *s, enum pop3_pending_kind kind,
    char *what, size_t whatsz, struct failure *f)
{
	if (s->npend == 0 || s->pend[s->pend0].kind != kind)
		return failure_set(f, F_INTERNAL, "%s: no such command in "
		    "flight", __func__);
	if (kind == PEND_DELE)
		snprintf(what, whatsz, "DELE %lu", s->pend[s->pend0].num);
	else if (s->pend[s->pend0].lines >= 0)
		snprintf(what, whatsz, "TOP %lu", s->pend[s->pend0].num);
	else
		snprintf(what, whatsz, "RETR %lu", s->pend[s->pend0].num);
	s->pend0 = (s->pend0 + 1) % POP3_PENDING_MAX;
	s->npend--;
	return 0;
}

int
pop3_read_retr(struct pop3_session *s, pop3_sink sink, void *arg,
    struct failure *f)
{
	struct pop3_status st;
	char what[48];

	if (pop3_pend_pop(s, PEND_RETR, what, sizeof(what), f) == -1 ||
	    pop3_simple(s, NULL, what, F_PERM, &st, f) == -1)
		return -1;
	return pop3_read_body(s, what, sink, arg, f);
}

int
pop3_read_dele(struct pop3_session *s, struct failure *f)
{
	struct pop3_status st;
	char what[48];

	if (pop3_pend_pop(s, PEND_DELE, what, sizeof(what), f) == -1)
		return -1;
	return pop3_simple(s, NULL, what, F_PERM, &st, f);
}

int
pop3_stat(struct pop3_session *s, unsigned long *count,
    unsigned long long *size, struct failure *f)
{
	struct pop3_status st;
	unsigned long long n, z;
	char extra;

	if (pop3_simple(s, "STAT", "STAT", F_PERM, &st, f) == -1)
		return -1;
	pop3_emit(s, POP3_EV_REPLY, "STAT", &st, 0);
	/* RFC 1939 5: "+OK nn mm", maybe followed by more text. */
	if (sscanf(st.text, "%llu %llu%c", &n, &z, &extra) < 2 ||
	    n > ULONG_MAX)
		return failure_set(f, F_PROTO, "STAT: malformed reply");
	*count = (unsigned long)n;
	*size = z;
	return 0;
}

int
pop3_noop(struct pop3_session *s, struct failure *f)
{
	struct pop3_status st;

	return pop3_simple(s, "NOOP", "NOOP", F_PERM, &st, f);
}

int
pop3_rset(struct pop3_session *s, struct failure *f)
{
	struct pop3_status st;

	return pop3_simple(s, "RSET", "RSET", F_PERM, &st, f);
}

int
pop3_quit(struct pop3_session *s, struct failure *f)
{
	struct pop3_status st;

	/* RFC 1939 6: -ERR here means some deletions did not happen. */
	if (pop3_simple(s, "QUIT", "QUIT", F_TEMP, &st, f) == -1)
		return -1;
	pop3_emit(s, POP3_EV_REPLY, "QUIT", &st, 0);
	return 0;
}

void
pop3_close(struct pop3_session *s)
{
	if (s == NULL)
		return;
	conn_close(s->c);
	free(s);
}
