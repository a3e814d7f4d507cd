/*
 * pop3.h — POP3 retrieval (RFC 1939, 2449 CAPA and response codes, 2595
 * STLS, 3206 SYS/AUTH codes, 5034 SASL, 8314 implicit TLS) over conn.c.
 *
 * The engine never prints (except the -v transcript through log.c) and
 * never exits; every wait is under the connection's time-out.  Message
 * bodies stream to a sink, so memory stays flat whatever their size.
 */
#ifndef OUTBOX_POP3_H
#define OUTBOX_POP3_H

#include <stddef.h>

#include "failure.h"
#include "sasl.h"
#include "tls.h"

enum pop3_security {
	POP3_SEC_STLS,		/* mandatory STLS (RFC 2595) */
	POP3_SEC_TLS,		/* implicit TLS, port 995 (RFC 8314) */
	POP3_SEC_NONE		/* plaintext: only when set explicitly */
};

enum pop3_login {
	POP3_LOGIN_AUTO,	/* the best SASL mechanism, else USER/PASS */
	POP3_LOGIN_USER,	/* USER/PASS */
	POP3_LOGIN_APOP,	/* APOP: only when asked (MD5, weak) */
	POP3_LOGIN_SASL		/* AUTH with pop3_params.mech */
};

/* Capabilities from CAPA (RFC 2449). */
#define POP3_CAP_STLS		0x01
#define POP3_CAP_UIDL		0x02
#define POP3_CAP_TOP		0x04
#define POP3_CAP_PIPELINING	0x08
#define POP3_CAP_USER		0x10
#define POP3_CAP_SASL		0x20
#define POP3_CAP_RESP_CODES	0x40
#define POP3_CAP_LOGIN_DELAY	0x80
#define POP3_CAP_EXPIRE		0x100
#define POP3_SASL_LIST_MAX	256
#define POP3_CAP_ARG_MAX	64

/* What the last CAPA listed. */
struct pop3_capa {
	int flags;			/* POP3_CAP_* */
	char sasl[POP3_SASL_LIST_MAX];	/* the SASL mechanisms, or "" */
	char login_delay[POP3_CAP_ARG_MAX];	/* LOGIN-DELAY's argument */
	char expire[POP3_CAP_ARG_MAX];	/* EXPIRE's argument */
	char implementation[POP3_CAP_ARG_MAX];	/* IMPLEMENTATION's */
};

/*
 * What pop3_open() and the commands after it report as they go, for
 * --check: the caller prints; the engine only tells.  Pointers are valid
 * during the call only; reply is the server's status line, printable.
 */
enum pop3_event_kind {
	POP3_EV_RESOLVED,		/* text: every address found */
	POP3_EV_TRIED,			/* text: one address; err: 0 connected,
					   else the errno value */
	POP3_EV_TLS,			/* tls: the handshake's facts; err: 0,
					   or -1 when it failed */
	POP3_EV_GREETING,		/* reply; text: the APOP timestamp
					   "<...>", or NULL */
	POP3_EV_CAPA,			/* capa; tls_on; text: NULL, or
					   "login" for the CAPA after it */
	POP3_EV_STLS,			/* reply (+OK) */
	POP3_EV_LOGIN,			/* text: the way in that worked
					   ("USER/PASS", "APOP", "AUTH PLAIN") */
	POP3_EV_REPLY			/* text: the command (STAT, QUIT);
					   reply */
};

struct pop3_event {
	enum pop3_event_kind kind;
	const char *text;
	const char *reply;
	int err;
	int tls_on;
	const struct pop3_capa *capa;
	const struct tls_info *tls;
};

struct pop3_watch {
	void (*fn)(void *arg, const struct pop3_event *ev);
	void *arg;
};

struct pop3_params {
	const char *host;
	const char *port;
	enum pop3_security security;
	enum pop3_login login;
	enum sasl_mech mech;		/* with POP3_LOGIN_SASL */
	const char *user;
	const char *password;		/* wiped by the caller */
	const char *ca_file;		/* NULL: the system store */
	const char *fingerprint;	/* "sha256:..." pin, or NULL */
	int timeout;			/* seconds for each reply */
	const struct pop3_watch *watch;	/* told each step, or NULL */
};

/* One parsed status line: "+OK [CODE] text" or "-ERR [CODE] text". */
#define POP3_CODE_MAX 64
struct pop3_status {
	int ok;				/* 1: +OK */
	char code[POP3_CODE_MAX];	/* RFC 2449 response code, or "" */
	const char *text;		/* after the code; points into line */
};

/*
 * Parses one status line (pure; for the unit tests too).  "+ " (a SASL
 * continuation) is ok = 2 with text the challenge.  -1 with F_PROTO for
 * anything else, or an unterminated "[".
 */
int pop3_parse_status(const char *line, size_t len, struct pop3_status *st,
    struct failure *f);

struct pop3_session;

/*
 * p is copied: its strings (but the password, not kept after the login)
 * must outlive the session.
 *
 * Connects, reads the greeting, starts TLS (implicit, or STLS after
 * CAPA), asks CAPA again over TLS, and logs in.  Fails with F_TEMP
 * (connect, time-out, dropped, [IN-USE], [LOGIN-DELAY], [SYS/TEMP]),
 * F_NOHOST, F_TLS, F_PERM (STLS or a mechanism missing, credentials
 * refused before TLS), F_PROTO (garbled reply, data injected after
 * STLS), F_AUTH (login refused).  The text names the step and the
 * server's words.  F_CONFIG also when the port and p->security
 * disagree, found within seconds rather than after the time-out:
 * "greeting: ... speaks TLS at once" (STLS or none on an implicit-TLS
 * port: a server silent for 2 s answers a TLS handshake on a second
 * connection) or "TLS: the server answered in plaintext" (implicit TLS
 * on a port that greets).  Each step goes to p->watch as it happens.
 */
struct pop3_session *pop3_open(const struct pop3_params *p,
    struct failure *f);

/*
 * The same over a connection already open (tests use conn_fdopen() on a
 * socketpair); the session owns c from then on, even on failure.
 */
struct conn;
struct pop3_session *pop3_start(struct conn *c, const struct pop3_params *p,
    struct failure *f);

/* The CAPA flags (POP3_CAP_*) of the session. */
int pop3_caps(const struct pop3_session *s);

/* What the session's last CAPA listed; valid while s is. */
const struct pop3_capa *pop3_capa_get(const struct pop3_session *s);

/* One message on the server. */
struct pop3_msg {
	unsigned long num;		/* message number (RFC 1939) */
	unsigned long long size;	/* octets as LIST says */
	char *uidl;			/* unique id, or NULL without UIDL */
};

/*
 * LIST, then UIDL when the server has it (no UIDL: every uidl NULL and
 * *have_uidl 0).  *v is freed with pop3_msgs_free().  F_TEMP, F_PROTO,
 * F_PERM (LIST refused).
 */
int pop3_scan(struct pop3_session *s, struct pop3_msg **v, size_t *n,
    int *have_uidl, struct failure *f);
void pop3_msgs_free(struct pop3_msg *v, size_t n);

/*
 * Receives one unstuffed line piece of a message: data (len bytes, no
 * line end); eol is 1 when the line ends after it.  A long line comes in
 * several pieces.  Returns 0, or -1 with f filled to stop the transfer.
 */
typedef int (*pop3_sink)(void *arg, const char *data, size_t len, int eol,
    struct failure *f);

/*
 * Queues "RETR num" (or "TOP num lines" when lines >= 0) without waiting;
 * with PIPELINING several may be queued before their replies are read.
 * pop3_flush() sends what is queued.
 */
int pop3_send_retr(struct pop3_session *s, unsigned long num, long lines,
    struct failure *f);
int pop3_send_dele(struct pop3_session *s, unsigned long num,
    struct failure *f);
int pop3_flush(struct pop3_session *s, struct failure *f);

/*
 * Reads the reply to the oldest queued RETR/TOP and streams the message
 * into sink.  -ERR: F_PERM ("RETR 3: -ERR text"; [IN-USE]-like codes
 * F_TEMP).  A sink failure is returned as is; the session is then
 * unusable (the rest of the message was not read): close it without
 * QUIT, so nothing is deleted.
 */
int pop3_read_retr(struct pop3_session *s, pop3_sink sink, void *arg,
    struct failure *f);

/* Reads the reply to the oldest queued DELE.  F_PERM on -ERR. */
int pop3_read_dele(struct pop3_session *s, struct failure *f);

/*
 * STAT (RFC 1939 5): how many messages, how many octets (its reply goes
 * to the watch).  F_PROTO, F_PERM, F_TEMP.
 */
int pop3_stat(struct pop3_session *s, unsigned long *count,
    unsigned long long *size, struct failure *f);

/* NOOP and RSET, each waiting for its reply. */
int pop3_noop(struct pop3_session *s, struct failure *f);
int pop3_rset(struct pop3_session *s, struct failure *f);

/*
 * QUIT: the server enters UPDATE and removes what DELE marked (RFC 1939
 * section 6).  F_TEMP/F_PERM when it says -ERR (nothing was removed).
 * Its reply goes to the watch.
 */
int pop3_quit(struct pop3_session *s, struct failure *f);

/* Closes the connection (without QUIT: the deletions are dropped). */
void pop3_close(struct pop3_session *s);

/*
 * The APOP digest (RFC 1939 section 7): lower-case hex MD5 of the
 * greeting's "<...>" timestamp followed by the password, into out (33
 * bytes).  -1 with F_INTERNAL when OpenSSL fails.
 */
int pop3_apop_digest(const char *timestamp, const char *password,
    char out[33], struct failure *f);

#endif
