/*
 * smtp.c — SMTP submission of spooled messages over one session: RFC
 * 5321 (the dialogue, time-outs, RSET between messages), RFC 3207
 * (STARTTLS), RFC 8314 (implicit TLS), RFC 4954 (AUTH's 334/235 framing;
 * the exchange itself is sasl.c's), RFC 2920 (PIPELINING), RFC 1870
 * (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 3461 (DSN).
 * Replies and EHLO keywords are parsed by smtp_reply.c.
 *
 * One state machine: smtp_run() sends for the current state, reads one
 * reply and hands it to smtp_on_<state>(), which returns the next state.
 * A transaction ends in READY, leaving the connection for the next
 * message; a failure judged from a reply outside a transaction ends with
 * a polite QUIT; an I/O or protocol failure just drops the connection.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "encode.h"
#include "log.h"
#include "sasl.h"
#include "smtp.h"
#include "smtp_reply.h"
#include "xmalloc.h"

/* Message blocks read from the spool, before the wire form. */
#define SMTP_READ_BLOCK (64 * 1024)
/* RFC 5321 4.5.3.1.6: 1000 octets per text line with the CRLF. */
#define SMTP_LINE_MAX 998
/* RFC 5321 4.5.3.2.6: wait at least 10 minutes for the final reply. */
#define SMTP_DATA_TERM_TIMEOUT 600
/* A reply quoted in a failure text: enough for one server line. */
#define SMTP_QUOTE_MAX 200

enum smtp_state {
	SMTP_S_GREETING,
	SMTP_S_EHLO,
	SMTP_S_HELO,
	SMTP_S_STARTTLS,
	SMTP_S_AUTH,
	SMTP_S_AUTH_STEP,
	SMTP_S_MAIL,
	SMTP_S_RCPT,
	SMTP_S_DATA,
	SMTP_S_BODY,
	SMTP_S_QUIT,
	SMTP_S_RSET,
	SMTP_S_READY,
	SMTP_S_DONE,
	SMTP_S_ABORT,
	SMTP_S_MAX
};

static const char *const smtp_state_names[SMTP_S_MAX] = {
	[SMTP_S_GREETING] = "greeting",
	[SMTP_S_EHLO] = "EHLO",
	[SMTP_S_HELO] = "HELO",
	[SMTP_S_STARTTLS] = "STARTTLS",
	[SMTP_S_AUTH] = "AUTH",
	[SMTP_S_AUTH_STEP] = "AUTH-STEP",
	[SMTP_S_MAIL] = "MAIL",
	[SMTP_S_RCPT] = "RCPT",
	[SMTP_S_DATA] = "DATA",
	[SMTP_S_BODY] = "BODY",
	[SMTP_S_QUIT] = "QUIT",
	[SMTP_S_RSET] = "RSET",
	[SMTP_S_READY] = "READY",
	[SMTP_S_DONE] = "DONE",
	[SMTP_S_ABORT] = "ABORT",
};

/* The step named in failure texts, per state. */
static const char *const smtp_step_names[SMTP_S_MAX] = {
	[SMTP_S_GREETING] = "greeting",
	[SMTP_S_EHLO] = "EHLO",
	[SMTP_S_HELO] = "HELO",
	[SMTP_S_STARTTLS] = "STARTTLS",
	[SMTP_S_AUTH] = "AUTH",
	[SMTP_S_AUTH_STEP] = "AUTH",
	[SMTP_S_MAIL] = "MAIL FROM",
	[SMTP_S_RCPT] = "RCPT TO",
	[SMTP_S_DATA] = "DATA",
	[SMTP_S_BODY] = "end of data",
	[SMTP_S_QUIT] = "QUIT",
	[SMTP_S_RSET] = "RSET",
	[SMTP_S_READY] = "ready",
	[SMTP_S_DONE] = "done",
	[SMTP_S_ABORT] = "abort",
};

/* A recipient's standing in the session. */
enum smtp_rcpt_state {
	SMTP_R_PENDING,		/* not yet in a transaction */
	SMTP_R_TXN,		/* RCPT sent in the current transaction */
	SMTP_R_OK,		/* accepted in the current transaction */
	SMTP_R_DEFERRED,	/* 452 after others were accepted */
	SMTP_R_REFUSED,		/* 4xx or 5xx: final for this session */
	SMTP_R_DELIVERED
};

struct smtp_session {
	enum smtp_state state;
	const struct smtp_params *p;
	const struct smtp_envelope *env;
	FILE *msg;
	struct smtp_result *r;
	struct conn *c;
	struct smtp_ext ext;
	struct smtp_reply reply;
	enum smtp_rcpt_state *rst;	/* one per recipient */
	size_t *txn;			/* indices in this transaction */
	size_t ntxn;
	size_t next;			/* next reply within txn[] */
	size_t ntxn_ok;			/* accepted in this transaction */
	int pipelined;			/* MAIL..DATA went as one group */
	int grouped;			/* ... and left with the RSET before
					   it: MAIL has nothing to send */
	int failed;			/* a failure is set; QUIT and end */
	enum sasl_mech mech;
	struct sasl_exchange *sasl;	/* during AUTH */
	char *auth_resp;		/* the next AUTH line (a secret), or
					   NULL: "*" */
	struct failure auth_verdict;	/* our own verdict on the exchange,
					   reported after the server's */
	/*
	 * The connection outlives a message: a transaction ends in READY
	 * instead of QUIT; the next message begins with RSET.  dead: the
	 * connection can carry no more.
	 */
	int dead;
	unsigned long nmsgs;
	void (*dot_hook)(void *);	/* just before the final dot */
	void *dot_arg;
	struct smtp_result scratch;	/* s->r before the first message */
	struct tls_info tls;		/* what the handshake showed */
	struct net_watch nw;		/* p->watch's view of the connect */
};

/* Tells the watch, if any, about one step. */
static void
smtp_emit(struct smtp_session *s, enum smtp_event_kind kind,
    const char *text, int err)
{
	struct smtp_event ev;

	if (s->p->watch == NULL || s->p->watch->fn == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.text = text;
	ev.err = err;
	ev.tls_on = s->c != NULL && conn_is_tls(s->c);
	ev.reply = &s->reply;
	ev.ext = &s->ext;
	ev.tls = &s->tls;
	s->p->watch->fn(s->p->watch->arg, &ev);
}

/*
 * The handshake's facts (names, issuer, the key's pin) cost an encoder
 * pass over the server's key; only a watcher (--check) reads them.
 */
static struct tls_info *
smtp_tls_info(struct smtp_session *s)
{
	if (s->p->watch == NULL || s->p->watch->fn == NULL)
		return NULL;
	return &s->tls;
}

static void
smtp_watch_resolved(void *arg, const char *addrs)
{
	smtp_emit(arg, SMTP_EV_RESOLVED, addrs, 0);
}

static void
smtp_watch_tried(void *arg, const char *addr, int err)
{
	smtp_emit(arg, SMTP_EV_TRIED, addr, err);
}

static void
smtp_set_state(struct smtp_session *s, enum smtp_state next)
{
	log_debug("smtp: %s -> %s", smtp_state_names[s->state],
	    smtp_state_names[next]);
	s->state = next;
}

/* 1 when a recipient still waits for a transaction (after a 452). */
static int
smtp_rcpts_left(const struct smtp_session *s)
{
	size_t i;

	for (i = 0; i < s->env->nrcpts; i++)
		if (s->rst[i] == SMTP_R_DEFERRED || s->rst[i] == SMTP_R_PENDING)
			return 1;
	return 0;
}

/* Puts "step: " in front of f's text. */
static int
smtp_prefix(struct failure *f, const char *step)
{
	char tmp[FAILURE_TEXT_MAX];
	size_t n = strlen(step);

	/* Lower layers may have named the step already ("TLS: ..."). */
	if (strncmp(f->text, step, n) == 0 && f->text[n] == ':')
		return -1;
	/* Truncation is fine: the text is for people. */
	strlcpy(tmp, f->text, sizeof(tmp));
	strlcpy(f->text, step, sizeof(f->text));
	strlcat(f->text, ": ", sizeof(f->text));
	strlcat(f->text, tmp, sizeof(f->text));
	return -1;
}

/* "421 too busy": the code and the first line of rp, made safe. */
static char *
smtp_quote(const struct smtp_reply *rp, char *buf, size_t bufsz)
{
	char vis[SMTP_QUOTE_MAX];
	size_t n;

	n = strcspn(rp->text, "\n");
	log_vis(vis, sizeof(vis), rp->text, n);
	snprintf(buf, bufsz, "%d%s%s", rp->code, n ? " " : "", vis);
	return buf;
}

/* Fails with "step: what (reply)" and marks the session for QUIT. */
static enum smtp_state
smtp_fail_reply(struct smtp_session *s, struct failure *f,
    enum failure_kind kind, const char *what)
{
	char q[SMTP_QUOTE_MAX + 8];

	failure_set(f, kind, "%s: %s (%s)", smtp_step_names[s->state], what,
	    smtp_quote(&s->reply, q, sizeof(q)));
	s->failed = 1;
	return kind == F_PROTO ? SMTP_S_ABORT : SMTP_S_QUIT;
}

/*
 * The verdict on a reply that is not the hoped-for one, by its class:
 * 5xx is kind5 (what5), 4xx temporary (what4), anything else a protocol
 * error.
 */
static enum smtp_state
smtp_fail_class(struct smtp_session *s, struct failure *f,
    enum failure_kind kind5, const char *what5, const char *what4)
{
	if (s->reply.code >= 500)
		return smtp_fail_reply(s, f, kind5, what5);
	if (s->reply.code >= 400)
		return smtp_fail_reply(s, f, F_TEMP, what4);
	return smtp_fail_reply(s, f, F_PROTO, "unexpected reply");
}

/* The usual verdict: 5xx permanent, 4xx temporary. */
static enum smtp_state
smtp_fail_code(struct smtp_session *s, struct failure *f)
{
	return smtp_fail_class(s, f, F_PERM, "permanent failure",
	    "temporary failure");
}

/* A failure already set without a reply to quote: QUIT politely. */
static enum smtp_state
smtp_quit_failed(struct smtp_session *s)
{
	s->failed = 1;
	return SMTP_S_QUIT;
}

/*
 * Sending
 */

/* Queues one command line (without CRLF), logged unless secret. */
static int
smtp_cmd(struct smtp_session *s, const char *line, struct failure *f)
{
	log_transcript('C', line, strlen(line), 0);
	if (conn_write(s->c, line, strlen(line), f) == -1 ||
	    conn_write(s->c, "\r\n", 2, f) == -1)
		return -1;
	return 0;
}

/*
 * Queues "head" + secret + CRLF; the transcript shows only head's AUTH
 * words.  The secret goes straight from its one buffer to the conn.
 */
static int
smtp_cmd_secret(struct smtp_session *s, const char *head, const char *secret,
    struct failure *f)
{
	char shown[64];

	snprintf(shown, sizeof(shown), "%s*", head);
	log_transcript('C', shown, strlen(shown), 1);
	if (conn_write(s->c, head, strlen(head), f) == -1 ||
	    conn_write(s->c, secret, strlen(secret), f) == -1 ||
	    conn_write(s->c, "\r\n", 2, f) == -1)
		return -1;
	return 0;
}

/* 1 when s holds a byte outside ASCII. */
static int
smtp_is_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/*
 * The form of an address to put on the wire: the ASCII (A-label) form
 * whenever there is one, which every next hop takes; UTF-8 under
 * SMTPUTF8 only for a UTF-8 local part.  NULL when there is none
 * (F_DATA set).
 */
static const char *
smtp_addr_form(const struct smtp_session *s, const char *utf8,
    const char *ascii, const char *cmd, struct failure *f)
{
	if (ascii != NULL)
		return ascii;
	if (!smtp_is_8bit(utf8) || s->r->smtputf8)
		return utf8;
	failure_set(f, F_DATA, "%s: <%s> needs SMTPUTF8, which the server "
	    "does not offer", cmd, utf8);
	return NULL;
}

/* RFC 3461 4: xtext, "+" and hex for "+", "=", controls and non-ASCII. */
static void
smtp_xtext(char *buf, size_t sz, const char *text)
{
	size_t o = 0;

	for (; *text != '\0' && o + 4 < sz; text++) {
		unsigned char c = (unsigned char)*text;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			o += (size_t)snprintf(buf + o, sz - o, "+%02X", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
}

static int
smtp_send_mail_cmd(struct smtp_session *s, struct failure *f)
{
	const struct smtp_envelope *e = s->env;
	char line[CONN_LINE_MAX], size[32] = "", dsn[300] = "", id[200];
	const char *from;

	if ((from = smtp_addr_form(s, e->from, e->from_ascii, "MAIL FROM",
	    f)) == NULL)
		return -1;
	if ((s->ext.flags & SMTP_EXT_SIZE) && e->size > 0)
		snprintf(size, sizeof(size), " SIZE=%lld", (long long)e->size);
	if (s->r->dsn && e->dsn_ret != NULL)
		snprintf(dsn, sizeof(dsn), " RET=%s", e->dsn_ret);
	if (s->r->dsn && e->dsn_envid != NULL) {
		smtp_xtext(id, sizeof(id), e->dsn_envid);
		strlcat(dsn, " ENVID=", sizeof(dsn));
		strlcat(dsn, id, sizeof(dsn));
	}
	if ((size_t)snprintf(line, sizeof(line), "MAIL FROM:<%s>%s%s%s%s",
	    from, size, e->eightbit ? " BODY=8BITMIME" : "",
	    s->r->smtputf8 ? " SMTPUTF8" : "", dsn) >= sizeof(line))
		return failure_set(f, F_DATA, "sender address too long");
	return smtp_cmd(s, line, f);
}

static int
smtp_send_rcpt_cmd(struct smtp_session *s, size_t i, struct failure *f)
{
	const struct smtp_envelope *e = s->env;
	char line[CONN_LINE_MAX], notify[64] = "";
	const char *to;

	if ((to = smtp_addr_form(s, e->rcpts[i], e->rcpts_ascii ?
	    e->rcpts_ascii[i] : NULL, "RCPT TO", f)) == NULL)
		return -1;
	if (s->r->dsn && e->dsn_notify != NULL)
		snprintf(notify, sizeof(notify), " NOTIFY=%s", e->dsn_notify);
	if ((size_t)snprintf(line, sizeof(line), "RCPT TO:<%s>%s", to,
	    notify) >= sizeof(line))
		return failure_set(f, F_DATA, "recipient address too long");
	return smtp_cmd(s, line, f);
}

/*
 * Decides, once the extensions are known, whether the UTF-8 address
 * forms and the DSN parameters go out (RFC 6531 3.4, RFC 3461 4).
 */
static int
smtp_envelope_options(struct smtp_session *s, struct failure *f)
{
	const struct smtp_envelope *e = s->env;
	size_t i;
	/* Only an address without an A-label form needs SMTPUTF8. */
	int utf8 = smtp_is_8bit(e->from) && e->from_ascii == NULL;

	for (i = 0; i < e->nrcpts; i++)
		utf8 |= smtp_is_8bit(e->rcpts[i]) &&
		    (e->rcpts_ascii == NULL || e->rcpts_ascii[i] == NULL);
	/*
	 * RFC 6532 3.7: a header with UTF-8 (an address with a UTF-8 local
	 * part) is declared too.  Without SMTPUTF8 offered such a message
	 * still goes as 8-bit data, as other senders do, when only the
	 * header needs it.
	 */
	s->r->smtputf8 = (utf8 || e->utf8_headers) &&
	    (s->ext.flags & SMTP_EXT_SMTPUTF8);
	if (smtp_addr_form(s, e->from, e->from_ascii, "MAIL FROM", f) == NULL)
		return -1;
	for (i = 0; i < e->nrcpts; i++)
		if (smtp_addr_form(s, e->rcpts[i], e->rcpts_ascii ?
		    e->rcpts_ascii[i] : NULL, "RCPT TO", f) == NULL)
			return -1;
	if (e->dsn_notify == NULL && e->dsn_ret == NULL &&
	    e->dsn_envid == NULL)
		return 0;
	if (s->ext.flags & SMTP_EXT_DSN) {
		s->r->dsn = 1;
		return 0;
	}
	if (e->dsn_required)
		return failure_set(f, F_PERM, "MAIL FROM: the server does not "
		    "offer DSN, which --dsn-required asks for");
	s->r->warnings |= SMTP_WARN_NO_DSN;
	return 0;
}

/* Starts a transaction with the recipients not yet tried. */
static void
smtp_txn_begin(struct smtp_session *s)
{
	size_t i;

	s->ntxn = s->next = s->ntxn_ok = 0;
	for (i = 0; i < s->env->nrcpts; i++) {
		if (s->rst[i] == SMTP_R_DEFERRED)
			s->rst[i] = SMTP_R_PENDING;
		if (s->rst[i] == SMTP_R_PENDING) {
			s->rst[i] = SMTP_R_TXN;
			s->txn[s->ntxn++] = i;
		}
	}
	s->pipelined = (s->ext.flags & SMTP_EXT_PIPELINING) != 0;
}

static int
smtp_send_mail(struct smtp_session *s, struct failure *f)
{
	size_t i;

	smtp_txn_begin(s);
	if (smtp_send_mail_cmd(s, f) == -1)
		return -1;
	if (s->pipelined) {
		/* RFC 2920 3.1: the whole group in one write. */
		for (i = 0; i < s->ntxn; i++)
			if (smtp_send_rcpt_cmd(s, s->txn[i], f) == -1)
				return -1;
		if (smtp_cmd(s, "DATA", f) == -1)
			return -1;
	}
	return 0;
}

/* "AUTH MECH [initial-response]": the exchange starts here. */
static int
smtp_send_auth(struct smtp_session *s, struct failure *f)
{
	const struct smtp_params *p = s->p;
	struct sasl_creds cr;
	char head[64], *ir = NULL;
	int rc;

	memset(&cr, 0, sizeof(cr));
	cr.user = p->user;
	cr.secret = p->password;
	cr.host = p->host;
	cr.port = p->port;
	failure_clear(&s->auth_verdict);
	sasl_end(s->sasl);
	if ((s->sasl = sasl_start(s->mech, &cr, &ir, f)) == NULL)
		return -1;
	if (ir == NULL) {
		snprintf(head, sizeof(head), "AUTH %s",
		    sasl_mech_name(s->mech));
		return smtp_cmd(s, head, f);
	}
	snprintf(head, sizeof(head), "AUTH %s ", sasl_mech_name(s->mech));
	rc = smtp_cmd_secret(s, head, ir, f);
	freezero(ir, strlen(ir) + 1);
	return rc;
}

/* The answer to a 334, worked out by smtp_on_auth(). */
static int
smtp_send_auth_step(struct smtp_session *s, struct failure *f)
{
	int rc;

	if (s->auth_resp == NULL) {
		/* RFC 4954 4: "*" cancels the exchange. */
		log_transcript('C', "*", 1, 0);
		return conn_write(s->c, "*\r\n", 3, f);
	}
	rc = smtp_cmd_secret(s, "", s->auth_resp, f);
	freezero(s->auth_resp, strlen(s->auth_resp) + 1);
	s->auth_resp = NULL;
	return rc;
}

/*
 * The message: LF or CRLF lines from the spool, CRLF and dot-stuffed on
 * the wire (RFC 5321 4.5.2), then the final dot.
 */
static int
smtp_send_body(struct smtp_session *s, struct failure *f)
{
	struct encode_wire st;
	char *in, *out, note[64];
	size_t n, w, o;
	unsigned long long total = 0;
	int rc = -1;

	if (fseeko(s->msg, 0, SEEK_SET) == -1)
		return failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
	in = xmalloc(SMTP_READ_BLOCK);
	out = xmalloc(ENCODE_WIRE_BOUND(SMTP_READ_BLOCK));
	encode_wire_init(&st, 1);
	for (;;) {
		n = fread(in, 1, SMTP_READ_BLOCK, s->msg);
		if (n == 0)
			break;
		w = encode_wire_update(&st, in, n, out);
		if (st.maxline > SMTP_LINE_MAX) {
			/* Dropping the connection before the dot aborts. */
			failure_set(f, F_DATA, "the message has a line longer "
			    "than %d octets", SMTP_LINE_MAX);
			goto out;
		}
		for (o = 0; o < w; o += CONN_WBUF_MAX)
			if (conn_write(s->c, out + o, w - o < CONN_WBUF_MAX ?
			    w - o : CONN_WBUF_MAX, f) == -1)
				goto out;
		total += w;
	}
	if (ferror(s->msg)) {
		failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
		goto out;
	}
	w = encode_wire_final(&st, out);
	total += w;
	snprintf(note, sizeof(note), "<%llu octets of message>", total);
	log_transcript('C', note, strlen(note), 0);
	log_transcript('C', ".", 1, 0);
	memcpy(out + w, ".\r\n", 3);
	w += 3;
	if (s->dot_hook != NULL)
		s->dot_hook(s->dot_arg);
	if (conn_write(s->c, out, w, f) == -1 ||
	    conn_flush(s->c, f) == -1)
		goto out;
	rc = 0;
out:
	free(in);
	free(out);
	return rc;
}

static int
smtp_send_state(struct smtp_session *s, struct failure *f)
{
	switch (s->state) {
	case SMTP_S_GREETING:
		return 0;
	case SMTP_S_EHLO:
	case SMTP_S_HELO: {
		char line[CONN_LINE_MAX];

		snprintf(line, sizeof(line), "%s %s",
		    s->state == SMTP_S_EHLO ? "EHLO" : "HELO", s->p->helo_name);
		return smtp_cmd(s, line, f);
	}
	case SMTP_S_STARTTLS:
		return smtp_cmd(s, "STARTTLS", f);
	case SMTP_S_AUTH:
		return smtp_send_auth(s, f);
	case SMTP_S_AUTH_STEP:
		return smtp_send_auth_step(s, f);
	case SMTP_S_MAIL:
		if (s->grouped) {
			/* Sent with the RSET; the replies come in order. */
			s->grouped = 0;
			return 0;
		}
		return smtp_send_mail(s, f);
	case SMTP_S_RCPT:
		if (s->pipelined)
			return 0;
		return smtp_send_rcpt_cmd(s, s->txn[s->next], f);
	case SMTP_S_DATA:
		if (s->pipelined)
			return 0;
		return smtp_cmd(s, "DATA", f);
	case SMTP_S_BODY:
		return smtp_send_body(s, f);
	case SMTP_S_RSET:
		if (smtp_cmd(s, "RSET", f) == -1)
			return -1;
		/*
		 * RFC 2920 3.1: RSET may open a group, so the next message's
		 * MAIL..DATA leave in the same write; one round trip fewer
		 * per message of a session.
		 */
		if (!(s->ext.flags & SMTP_EXT_PIPELINING))
			return 0;
		s->grouped = 1;
		return smtp_send_mail(s, f);
	case SMTP_S_QUIT:
		return smtp_cmd(s, "QUIT", f);
	default:
		break;
	}
	log_fatalx("%s: bad state %d", __func__, s->state);
}

/*
 * Judging replies
 */

/*
 * What a message needs from the server, checked before MAIL: the
 * address forms, DSN, 8BITMIME, SIZE.
 */
static int
smtp_check_envelope(struct smtp_session *s, struct failure *f)
{
	if (smtp_envelope_options(s, f) == -1)
		return -1;
	/* RFC 6152 3: 8-bit data only to a server that takes it. */
	if (s->env->eightbit && !(s->ext.flags & SMTP_EXT_8BITMIME)) {
		s->r->lacks_8bitmime = 1;
		return failure_set(f, F_PERM, "MAIL FROM: server lacks "
		    "8BITMIME");
	}
	/* RFC 1870 6: no point sending what the server will refuse. */
	if ((s->ext.flags & SMTP_EXT_SIZE) && s->ext.size > 0 &&
	    s->env->size > s->ext.size)
		return failure_set(f, F_PERM, "MAIL FROM: message too large "
		    "(%lld octets, the server takes %lld)",
		    (long long)s->env->size, s->ext.size);
	return 0;
}

/* After EHLO/HELO on the final channel: checks, then AUTH or MAIL. */
static enum smtp_state
smtp_after_hello(struct smtp_session *s, struct failure *f)
{
	const struct smtp_params *p = s->p;

	if (p->security == SMTP_SEC_STARTTLS && !conn_is_tls(s->c)) {
		if (s->ext.flags & SMTP_EXT_STARTTLS)
			return SMTP_S_STARTTLS;
		failure_set(f, F_PERM, "STARTTLS: server does not offer "
		    "STARTTLS");
		return smtp_quit_failed(s);
	}
	/* Each message's envelope is checked as it comes (smtp_send). */
	if (p->user == NULL)
		return SMTP_S_READY;
	if (!conn_is_tls(s->c)) {
		failure_set(f, F_PERM, "AUTH: refusing to send credentials "
		    "without TLS");
		return smtp_quit_failed(s);
	}
	if (!(s->ext.flags & SMTP_EXT_AUTH)) {
		failure_set(f, F_PERM, "AUTH: server offers no authentication");
		return smtp_quit_failed(s);
	}
	if (p->mech == SASL_NONE) {
		s->mech = sasl_mech_choose(s->ext.auth, 1);
		if (s->mech == SASL_NONE) {
			failure_set(f, F_PERM, "AUTH: no supported mechanism "
			    "offered (%s)", s->ext.auth);
			return smtp_quit_failed(s);
		}
	} else {
		s->mech = p->mech;
		if (!sasl_mech_offered(s->ext.auth, s->mech)) {
			failure_set(f, F_PERM, "AUTH: server does not offer %s "
			    "(it offers %s)", sasl_mech_name(s->mech),
			    s->ext.auth[0] ? s->ext.auth : "none");
			return smtp_quit_failed(s);
		}
	}
	return SMTP_S_AUTH;
}

static enum smtp_state
smtp_on_greeting(struct smtp_session *s, struct failure *f)
{
	if (s->reply.code == 220) {
		smtp_emit(s, SMTP_EV_GREETING, NULL, 0);
		return SMTP_S_EHLO;
	}
	return smtp_fail_class(s, f, F_PERM, "service not available",
	    "service not available");
}

static enum smtp_state
smtp_on_ehlo(struct smtp_session *s, struct failure *f)
{
	if (s->reply.code == 250) {
		smtp_ehlo_parse(&s->reply, &s->ext);
		smtp_emit(s, SMTP_EV_EHLO, "EHLO", 0);
		return smtp_after_hello(s, f);
	}
	/* RFC 5321 3.2: a server that knows no EHLO may know HELO. */
	if (s->reply.code >= 500)
		return SMTP_S_HELO;
	return smtp_fail_code(s, f);
}

static enum smtp_state
smtp_on_helo(struct smtp_session *s, struct failure *f)
{
	if (s->reply.code != 250)
		return smtp_fail_code(s, f);
	memset(&s->ext, 0, sizeof(s->ext));
	smtp_emit(s, SMTP_EV_EHLO, "HELO", 0);
	return smtp_after_hello(s, f);
}

static enum smtp_state
smtp_on_starttls(struct smtp_session *s, struct failure *f)
{
	struct conn_tls_params tp;

	if (s->reply.code != 220)
		return smtp_fail_code(s, f);
	smtp_emit(s, SMTP_EV_STARTTLS, NULL, 0);
	/*
	 * RFC 3207 6: nothing may ride along before the handshake;
	 * conn_starttls() looks in its buffer and the kernel's.
	 */
	memset(&tp, 0, sizeof(tp));
	tp.servername = s->p->host;
	tp.ca_file = s->p->ca_file;
	tp.fingerprint = s->p->fingerprint;
	tp.info = smtp_tls_info(s);
	if (conn_starttls(s->c, &tp, f) == -1) {
		smtp_prefix(f, f->kind == F_PROTO ? "STARTTLS" : "TLS");
		if (f->kind != F_PROTO)
			smtp_emit(s, SMTP_EV_TLS, NULL, -1);
		s->failed = 1;
		return SMTP_S_ABORT;
	}
	smtp_emit(s, SMTP_EV_TLS, NULL, 0);
	/* RFC 3207 4.2: forget everything learnt before TLS. */
	memset(&s->ext, 0, sizeof(s->ext));
	return SMTP_S_EHLO;
}

/* The exchange is over, one way or the other. */
static void
smtp_auth_end(struct smtp_session *s)
{
	sasl_end(s->sasl);
	s->sasl = NULL;
	if (s->auth_resp != NULL)
		freezero(s->auth_resp, strlen(s->auth_resp) + 1);
	s->auth_resp = NULL;
	failure_clear(&s->auth_verdict);
}

/*
 * A 334 is a challenge for the mechanism (sasl.c); 235 ends the exchange
 * once the mechanism is content with it.  Our own verdict on a challenge
 * waits for the server's answer to the "*" and is reported whatever that
 * answer is.
 */
static enum smtp_state
smtp_on_auth(struct smtp_session *s, struct failure *f)
{
	struct failure sf;
	enum smtp_state next;
	int cancel;

	failure_clear(&sf);
	if (s->auth_verdict.kind != F_NONE)
		next = smtp_fail_reply(s, f, s->auth_verdict.kind,
		    s->auth_verdict.text);
	else if (s->reply.code == 334) {
		if (sasl_step(s->sasl, s->reply.text, &s->auth_resp, &cancel,
		    &sf) == 0)
			return SMTP_S_AUTH_STEP;
		if (sf.kind != F_PROTO) {
			s->auth_verdict = sf;
			return SMTP_S_AUTH_STEP;
		}
		next = smtp_fail_reply(s, f, F_PROTO, "unexpected reply");
	} else if (s->reply.code == 235) {
		if (sasl_finish(s->sasl, s->reply.text, &sf) == 0) {
			smtp_emit(s, SMTP_EV_AUTH, sasl_mech_name(s->mech), 0);
			next = SMTP_S_READY;
		}
		else
			next = smtp_fail_reply(s, f, sf.kind, sf.text);
	} else
		next = smtp_fail_class(s, f, F_AUTH, "authentication refused",
		    "temporary failure");
	smtp_auth_end(s);
	return next;
}

static enum smtp_state
smtp_on_mail(struct smtp_session *s, struct failure *f)
{
	if (s->reply.code != 250)
		return smtp_fail_code(s, f);
	return SMTP_S_RCPT;
}

static void
smtp_record_rcpt(struct smtp_session *s, size_t i)
{
	struct smtp_rcpt *rc = &s->r->rcpts[i];
	char q[SMTP_QUOTE_MAX + 8];

	rc->code = s->reply.code;
	free(rc->reply);
	rc->reply = xstrdup(smtp_quote(&s->reply, q, sizeof(q)));
}

static enum smtp_state
smtp_on_rcpt(struct smtp_session *s, struct failure *f)
{
	size_t i = s->txn[s->next++], j;
	int code = s->reply.code;

	smtp_record_rcpt(s, i);
	if (code == 250 || code == 251) {
		s->rst[i] = SMTP_R_OK;
		s->ntxn_ok++;
	} else if (code >= 400 && code < 600) {
		s->rst[i] = SMTP_R_REFUSED;
		/*
		 * RFC 5321 4.5.3.1.10: after "452 too many recipients" the
		 * rest go in a later transaction.
		 */
		if (code == 452 && s->ntxn_ok > 0)
			s->rst[i] = SMTP_R_DEFERRED;
	} else
		return smtp_fail_reply(s, f, F_PROTO, "unexpected reply");
	if (s->next < s->ntxn) {
		if (s->rst[i] != SMTP_R_DEFERRED || s->pipelined)
			return SMTP_S_RCPT;
		/* Unpipelined: the rest wait for the next transaction. */
		for (j = s->next; j < s->ntxn; j++)
			s->rst[s->txn[j]] = SMTP_R_PENDING;
		s->ntxn = s->next;
	}
	if (s->ntxn_ok > 0 || s->pipelined)
		return SMTP_S_DATA;
	/* RFC 5321 3.3: no DATA without an accepted recipient. */
	return SMTP_S_QUIT;
}

static enum smtp_state
smtp_on_data(struct smtp_session *s, struct failure *f)
{
	size_t i;

	if (s->ntxn_ok == 0) {
		/*
		 * Pipelined, all refused: RFC 2920 3.1 has the server refuse
		 * DATA; one that says 354 would take an empty message, so
		 * drop the connection instead.
		 */
		if (s->reply.code == 354) {
			s->r->warnings |= SMTP_WARN_DATA_NO_RCPT;
			return SMTP_S_ABORT;
		}
		return SMTP_S_QUIT;
	}
	if (s->reply.code == 354)
		return SMTP_S_BODY;
	/* Recipients said yes, but the message will not go. */
	for (i = 0; i < s->ntxn; i++)
		if (s->rst[s->txn[i]] == SMTP_R_OK)
			s->rst[s->txn[i]] = SMTP_R_TXN;
	return smtp_fail_code(s, f);
}

static enum smtp_state
smtp_on_body(struct smtp_session *s, struct failure *f)
{
	char q[SMTP_QUOTE_MAX + 8];
	size_t i;

	if (s->reply.code != 250)
		return smtp_fail_code(s, f);
	free(s->r->final_reply);
	s->r->final_reply = xstrdup(smtp_quote(&s->reply, q, sizeof(q)));
	for (i = 0; i < s->ntxn; i++) {
		if (s->rst[s->txn[i]] == SMTP_R_OK) {
			s->rst[s->txn[i]] = SMTP_R_DELIVERED;
			s->r->rcpts[s->txn[i]].accepted = 1;
			s->r->naccepted++;
		}
	}
	return smtp_rcpts_left(s) ? SMTP_S_MAIL : SMTP_S_QUIT;
}

static enum smtp_state
smtp_on_reply(struct smtp_session *s, struct failure *f)
{
	switch (s->state) {
	case SMTP_S_GREETING:
		return smtp_on_greeting(s, f);
	case SMTP_S_EHLO:
		return smtp_on_ehlo(s, f);
	case SMTP_S_HELO:
		return smtp_on_helo(s, f);
	case SMTP_S_STARTTLS:
		return smtp_on_starttls(s, f);
	case SMTP_S_AUTH:
	case SMTP_S_AUTH_STEP:
		return smtp_on_auth(s, f);
	case SMTP_S_MAIL:
		return smtp_on_mail(s, f);
	case SMTP_S_RCPT:
		return smtp_on_rcpt(s, f);
	case SMTP_S_DATA:
		return smtp_on_data(s, f);
	case SMTP_S_BODY:
		return smtp_on_body(s, f);
	case SMTP_S_RSET:
		if (s->reply.code == 250)
			return SMTP_S_MAIL;
		/*
		 * With MAIL..DATA behind it, their replies (perhaps a 354)
		 * are still to come: no QUIT into that, just drop.
		 */
		if (s->grouped) {
			smtp_fail_code(s, f);
			return SMTP_S_ABORT;
		}
		return smtp_fail_code(s, f);
	case SMTP_S_QUIT:
		smtp_emit(s, SMTP_EV_REPLY, "QUIT", 0);
		return SMTP_S_DONE;
	default:
		break;
	}
	log_fatalx("%s: bad state %d", __func__, s->state);
}

/* A failure reading the final reply: the server may have the message. */
static void
smtp_lost_after_dot(struct smtp_session *s, struct failure *f)
{
	char tmp[FAILURE_TEXT_MAX];

	s->r->uncertain = 1;
	if (f->kind == F_TEMP && conn_lost(s->c)) {
		failure_set(f, F_TEMP, "end of data: connection lost before "
		    "the server's reply; delivery is uncertain");
		return;
	}
	strlcpy(tmp, f->text, sizeof(tmp));
	strlcat(tmp, "; delivery is uncertain", sizeof(tmp));
	strlcpy(f->text, tmp, sizeof(f->text));
	smtp_prefix(f, "end of data");
}

/* The driver: send, read one reply, judge it; until DONE or ABORT. */
static void
smtp_run(struct smtp_session *s, struct failure *f)
{
	struct failure qf;
	enum smtp_state next;
	int longwait;

	failure_clear(&qf);
	while (s->state != SMTP_S_DONE && s->state != SMTP_S_ABORT &&
	    s->state != SMTP_S_READY) {
		/* After a failure only QUIT is left: ignore its errors. */
		struct failure *cf = s->state == SMTP_S_QUIT ? &qf : f;

		/*
		 * Each state queues its commands; one write sends them, so a
		 * pipelined group leaves as one segment (RFC 2920 3.1).
		 */
		if (smtp_send_state(s, cf) == -1 ||
		    conn_flush(s->c, cf) == -1) {
			if (s->state != SMTP_S_QUIT) {
				/* A grouped RSET fails as MAIL did alone. */
				smtp_prefix(f, s->state == SMTP_S_BODY ?
				    "DATA" : s->grouped ? "MAIL FROM" :
				    smtp_step_names[s->state]);
				s->failed = 1;
			}
			smtp_set_state(s, SMTP_S_ABORT);
			break;
		}
		longwait = s->state == SMTP_S_BODY;
		if (longwait)
			conn_set_timeout(s->c, s->p->timeout >
			    SMTP_DATA_TERM_TIMEOUT ? s->p->timeout :
			    SMTP_DATA_TERM_TIMEOUT);
		if (smtp_read_reply(s->c, &s->reply, cf) == -1) {
			if (s->state == SMTP_S_BODY)
				smtp_lost_after_dot(s, f);
			else if (s->state != SMTP_S_QUIT)
				smtp_prefix(f, smtp_step_names[s->state]);
			if (s->state != SMTP_S_QUIT)
				s->failed = 1;
			smtp_set_state(s, SMTP_S_ABORT);
			break;
		}
		if (longwait)
			conn_set_timeout(s->c, s->p->timeout);
		next = smtp_on_reply(s, f);
		/*
		 * A transaction that ends, well or not, leaves the connection
		 * for the next message -- unless a refused pipelined MAIL
		 * leaves RCPT and DATA replies unread.
		 */
		if (next == SMTP_S_QUIT && ((s->state ==
		    SMTP_S_MAIL && !s->pipelined) || s->state == SMTP_S_RCPT ||
		    s->state == SMTP_S_DATA || s->state == SMTP_S_BODY))
			next = SMTP_S_READY;
		smtp_reply_free(&s->reply);
		smtp_set_state(s, next);
	}
}

/*
 * The session's verdict on its recipients, once the dialogue is over
 * without another failure.
 */
static int
smtp_verdict(struct smtp_session *s, struct failure *f)
{
	size_t i, nref = 0, ntemp = 0, first = 0;

	for (i = 0; i < s->env->nrcpts; i++) {
		if (s->rst[i] != SMTP_R_REFUSED)
			continue;
		if (nref++ == 0)
			first = i;
		if (s->r->rcpts[i].code < 500)
			ntemp++;
	}
	if (nref == 0)
		return 0;
	/*
	 * Nobody got it and every refusal was temporary: the message can
	 * be retried whole, so say "temporary" and let it be queued.
	 */
	if (s->r->naccepted == 0 && ntemp == nref)
		return failure_set(f, F_TEMP, "RCPT TO: temporary failure (%s)",
		    s->r->rcpts[first].reply);
	return failure_set(f, F_NOUSER, "RCPT TO: %zu of %zu recipients "
	    "refused", nref, s->env->nrcpts);
}

/*
 * A plaintext or STARTTLS session whose server stays silent: is it an
 * implicit-TLS port (conn_speaks_tls())?  So a STARTTLS configuration on
 * port 465 fails in seconds, not after the whole time-out.  -1 with f
 * set when it is.
 */
static int
smtp_check_port(struct smtp_session *s, struct failure *f)
{
	if (!conn_speaks_tls(s->c, s->p->timeout))
		return 0;
	return failure_set(f, F_CONFIG, "greeting: the server on port %s "
	    "speaks TLS at once (implicit TLS), not plaintext SMTP",
	    s->p->port);
}

/* Connects and, for implicit TLS, starts TLS.  -1 with f set. */
static int
smtp_connect(struct smtp_session *s, struct failure *f)
{
	const struct smtp_params *p = s->p;
	struct conn_tls_params tp;

	s->nw.resolved = smtp_watch_resolved;
	s->nw.tried = smtp_watch_tried;
	s->nw.arg = s;
	if ((s->c = conn_open_watch(p->host, p->port, p->timeout, &s->nw,
	    f)) == NULL)
		return smtp_prefix(f, "connect");
	if (p->security == SMTP_SEC_TLS) {
		/* RFC 8314 3.3: TLS from the first byte. */
		memset(&tp, 0, sizeof(tp));
		tp.servername = p->host;
		tp.ca_file = p->ca_file;
		tp.fingerprint = p->fingerprint;
		tp.info = smtp_tls_info(s);
		tp.implicit = 1;
		if (conn_starttls(s->c, &tp, f) == -1) {
			smtp_emit(s, SMTP_EV_TLS, NULL, -1);
			return smtp_prefix(f, "TLS");
		}
		smtp_emit(s, SMTP_EV_TLS, NULL, 0);
		return 0;
	}
	/* STARTTLS comes later: make its context while the server greets. */
	if (p->security == SMTP_SEC_STARTTLS)
		tls_prepare(p->ca_file, p->fingerprint);
	return smtp_check_port(s, f);
}

static void
smtp_session_free(struct smtp_session *s)
{
	smtp_auth_end(s);
	conn_close(s->c);
	smtp_reply_free(&s->reply);
	free(s->rst);
	free(s->txn);
	free(s);
}

struct smtp_session *
smtp_open(const struct smtp_params *p, struct failure *f)
{
	struct smtp_session *s;

	failure_clear(f);
	/* No credentials on a plaintext channel, not even a try. */
	if (p->security == SMTP_SEC_NONE && p->user != NULL)
		return failure_set(f, F_PERM, "AUTH: refusing to send "
		    "credentials without TLS"), NULL;
	s = xcalloc(1, sizeof(*s));
	s->state = SMTP_S_GREETING;
	s->p = p;
	s->r = &s->scratch;
	if (smtp_connect(s, f) == -1) {
		smtp_session_free(s);
		return NULL;
	}
	smtp_run(s, f);
	if (s->failed || s->state != SMTP_S_READY) {
		if (f->kind == F_NONE)
			failure_set(f, F_PROTO, "the session ended early");
		smtp_session_free(s);
		return NULL;
	}
	return s;
}

const char *
smtp_warning_text(unsigned int warning)
{
	switch (warning) {
	case SMTP_WARN_NO_DSN:
		return "the server does not offer DSN; no delivery notices "
		    "were asked for";
	case SMTP_WARN_DATA_NO_RCPT:
		return "smtp: the server accepted DATA without recipients; "
		    "closing the connection";
	default:
		break;
	}
	return "unknown warning";
}

int
smtp_usable(const struct smtp_session *s)
{
	return s != NULL && !s->dead && s->state == SMTP_S_READY;
}

void
smtp_result_init(struct smtp_result *r, const struct smtp_envelope *env)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->nrcpts = env->nrcpts;
	r->rcpts = xcalloc(env->nrcpts ? env->nrcpts : 1, sizeof(*r->rcpts));
	for (i = 0; i < env->nrcpts; i++)
		r->rcpts[i].addr = xstrdup(env->rcpts[i]);
}

int
smtp_send(struct smtp_session *s, const struct smtp_envelope *env,
    FILE *msg, struct smtp_result *r, struct failure *f)
{
	int rc;

	failure_clear(f);
	smtp_result_init(r, env);
	if (env->nrcpts == 0)
		return failure_set(f, F_USAGE, "no recipients");
	if (!smtp_usable(s))
		return failure_set(f, F_TEMP, "connect: the connection to "
		    "the server was lost");
	free(s->rst);
	free(s->txn);
	s->env = env;
	s->msg = msg;
	s->r = r;
	s->failed = 0;
	s->pipelined = 0;
	s->grouped = 0;
	s->rst = xcalloc(env->nrcpts, sizeof(*s->rst));
	s->txn = xcalloc(env->nrcpts, sizeof(*s->txn));
	if (smtp_check_envelope(s, f) == -1)
		rc = -1;
	else {
		/* RFC 5321 4.1.1.5: a clean slate between messages. */
		smtp_set_state(s, s->nmsgs++ > 0 ? SMTP_S_RSET : SMTP_S_MAIL);
		smtp_run(s, f);
		if (s->state != SMTP_S_READY)
			s->dead = 1;
		rc = s->failed ? -1 : smtp_verdict(s, f);
	}
	/* r and env are the caller's: forget them. */
	s->r = &s->scratch;
	s->env = NULL;
	s->msg = NULL;
	return rc;
}

int
smtp_submit(const struct smtp_params *p, const struct smtp_envelope *env,
    FILE *msg, struct smtp_result *r, struct failure *f)
{
	struct smtp_session *s;
	int rc;

	failure_clear(f);
	if (env->nrcpts == 0) {
		smtp_result_init(r, env);
		return failure_set(f, F_USAGE, "no recipients");
	}
	if ((s = smtp_open(p, f)) == NULL) {
		smtp_result_init(r, env);
		return -1;
	}
	rc = smtp_send(s, env, msg, r, f);
	smtp_close(s);
	return rc;
}

void
smtp_set_dot_hook(struct smtp_session *s, void (*fn)(void *), void *arg)
{
	if (s == NULL)
		return;
	s->dot_hook = fn;
	s->dot_arg = arg;
}

void
smtp_close(struct smtp_session *s)
{
	struct failure ignore;

	if (s == NULL)
		return;
	if (smtp_usable(s)) {
		failure_clear(&ignore);
		smtp_set_state(s, SMTP_S_QUIT);
		smtp_run(s, &ignore);
	}
	smtp_session_free(s);
}

void
smtp_result_free(struct smtp_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrcpts; i++) {
		free(r->rcpts[i].addr);
		free(r->rcpts[i].reply);
	}
	free(r->rcpts);
	free(r->final_reply);
	memset(r, 0, sizeof(*r));
}

/*
 * One command and its reply, outside the state machine (smtp_probe):
 * the reply in s->reply, told to the watch.  -1 with f set ("STEP: ...")
 * when the connection failed; the session is then dead.
 */
static int
smtp_ask(struct smtp_session *s, const char *line, const char *step,
    struct failure *f)
{
	smtp_reply_free(&s->reply);
	if (smtp_cmd(s, line, f) == -1 || conn_flush(s->c, f) == -1 ||
	    smtp_read_reply(s->c, &s->reply, f) == -1) {
		s->dead = 1;
		return smtp_prefix(f, step);
	}
	smtp_emit(s, SMTP_EV_REPLY, line, 0);
	return 0;
}

/* "RCPT TO: 1 of 2 recipients refused (550 ...)", as for a message. */
static int
smtp_probe_rcpts(struct smtp_session *s, char *const *rcpts, size_t n,
    int vrfy, struct failure *f)
{
	char line[CONN_LINE_MAX], q[SMTP_QUOTE_MAX + 8], first[sizeof(q)];
	size_t i, nref = 0, nperm = 0;

	first[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(line, sizeof(line), "RCPT TO:<%s>",
		    rcpts[i]) >= sizeof(line))
			return failure_set(f, F_DATA, "RCPT TO: recipient "
			    "address too long");
		if (smtp_ask(s, line, "RCPT TO", f) == -1)
			return -1;
		if (s->reply.code != 250 && s->reply.code != 251) {
			if (s->reply.code < 400 || s->reply.code >= 600) {
				s->dead = 1;
				return failure_set(f, F_PROTO, "RCPT TO: "
				    "unexpected reply (%s)",
				    smtp_quote(&s->reply, q, sizeof(q)));
			}
			if (nref++ == 0)
				smtp_quote(&s->reply, first, sizeof(first));
			nperm += s->reply.code >= 500;
		}
		/* For the record only: many servers answer 252. */
		if (vrfy && (s->ext.flags & SMTP_EXT_VRFY)) {
			snprintf(line, sizeof(line), "VRFY %s", rcpts[i]);
			if (smtp_ask(s, line, "VRFY", f) == -1)
				return -1;
		}
	}
	if (nref == 0)
		return 0;
	if (nperm == 0)
		return failure_set(f, F_TEMP, "RCPT TO: temporary failure (%s)",
		    first);
	return failure_set(f, F_NOUSER, "RCPT TO: %zu of %zu recipients "
	    "refused (%s)", nref, n, first);
}

static int
smtp_probe_txn(struct smtp_session *s, const char *from, char *const *rcpts,
    size_t nrcpts, int vrfy, struct failure *f)
{
	char line[CONN_LINE_MAX], q[SMTP_QUOTE_MAX + 8];
	struct failure rf;
	int rc;

	if ((size_t)snprintf(line, sizeof(line), "MAIL FROM:<%s>%s", from,
	    smtp_is_8bit(from) && (s->ext.flags & SMTP_EXT_SMTPUTF8) ?
	    " SMTPUTF8" : "") >= sizeof(line))
		return failure_set(f, F_DATA, "MAIL FROM: sender address too "
		    "long");
	if (smtp_ask(s, line, "MAIL FROM", f) == -1)
		return -1;
	if (s->reply.code != 250) {
		smtp_quote(&s->reply, q, sizeof(q));
		if (s->reply.code >= 500)
			return failure_set(f, F_PERM, "MAIL FROM: permanent "
			    "failure (%s)", q);
		if (s->reply.code >= 400)
			return failure_set(f, F_TEMP, "MAIL FROM: temporary "
			    "failure (%s)", q);
		s->dead = 1;
		return failure_set(f, F_PROTO, "MAIL FROM: unexpected reply "
		    "(%s)", q);
	}
	rc = smtp_probe_rcpts(s, rcpts, nrcpts, vrfy, f);
	if (s->dead)
		return -1;
	/* RFC 5321 4.1.1.5: the transaction is dropped, nothing sent. */
	failure_clear(&rf);
	if (smtp_ask(s, "RSET", "RSET", &rf) == -1 ||
	    s->reply.code != 250) {
		if (rc == 0) {
			if (rf.kind == F_NONE) {
				s->dead = 1;
				failure_set(&rf, s->reply.code >= 400 &&
				    s->reply.code < 500 ? F_TEMP : F_PROTO,
				    "RSET: unexpected reply (%s)",
				    smtp_quote(&s->reply, q, sizeof(q)));
			}
			*f = rf;
		}
		return -1;
	}
	return rc;
}

int
smtp_probe(struct smtp_session *s, const char *from, char *const *rcpts,
    size_t nrcpts, int vrfy, struct failure *f)
{
	int rc;

	failure_clear(f);
	if (!smtp_usable(s))
		return failure_set(f, F_TEMP, "connect: the connection to "
		    "the server was lost");
	rc = smtp_probe_txn(s, from, rcpts, nrcpts, vrfy, f);
	smtp_reply_free(&s->reply);
	return rc;
}
