/*
 * smtp.h — the SMTP engine: submission (RFC 5321, 3207, 8314, 4954,
 * 1870, 2920, 6152, 2034, 3461, 6531) of spooled messages over one
 * session.
 *
 * The engine never prints (except the -v transcript through log.c), never
 * exits, and reads no environment or configuration: its caller gives it
 * everything and reports what it returns.
 */
#ifndef OUTBOX_SMTP_H
#define OUTBOX_SMTP_H

#include <stdio.h>

#include "envelope.h"
#include "failure.h"
#include "sasl.h"
#include "smtp_reply.h"
#include "tls.h"

enum smtp_security {
	SMTP_SEC_STARTTLS,		/* mandatory STARTTLS (RFC 3207) */
	SMTP_SEC_TLS,			/* implicit TLS (RFC 8314) */
	SMTP_SEC_NONE			/* plaintext: never with AUTH */
};

/*
 * What smtp_open(), smtp_probe() and smtp_close() report as they go,
 * for --check: the caller prints; the engine only tells.  Pointers are
 * valid during the call only.
 */
enum smtp_event_kind {
	SMTP_EV_RESOLVED,		/* text: every address found */
	SMTP_EV_TRIED,			/* text: one address; err: 0 connected,
					   else the errno value */
	SMTP_EV_TLS,			/* tls: the handshake's facts; err: 0,
					   or -1 when it failed */
	SMTP_EV_GREETING,		/* reply */
	SMTP_EV_EHLO,			/* reply, ext; tls_on: over TLS; text:
					   "EHLO" or "HELO" */
	SMTP_EV_STARTTLS,		/* reply (220) */
	SMTP_EV_AUTH,			/* text: the mechanism that worked */
	SMTP_EV_REPLY			/* text: the command sent (MAIL, RCPT,
					   VRFY, RSET, QUIT); reply */
};

struct smtp_event {
	enum smtp_event_kind kind;
	const char *text;
	int err;
	int tls_on;
	const struct smtp_reply *reply;
	const struct smtp_ext *ext;
	const struct tls_info *tls;
};

struct smtp_watch {
	void (*fn)(void *arg, const struct smtp_event *ev);
	void *arg;
};

struct smtp_params {
	const char *host;
	const char *port;
	enum smtp_security security;
	const char *user;		/* NULL: no AUTH */
	const char *password;		/* with user; wiped by the caller */
	enum sasl_mech mech;		/* with user; SASL_NONE: the best
					   offered (sasl_mech_choose) */
	const char *ca_file;		/* NULL: system store */
	const char *fingerprint;	/* "sha256:..." pin, or NULL */
	const char *helo_name;		/* EHLO argument */
	int timeout;			/* seconds for each reply */
	const struct smtp_watch *watch;	/* told each step, or NULL */
};

/* One recipient's outcome. */
struct smtp_rcpt {
	char *addr;
	int accepted;			/* 1: accepted and message delivered */
	int code;			/* the server's reply code to RCPT */
	char *reply;			/* its text, one line, or NULL */
};

/* Things the caller should tell the user; the message went (or not). */
#define SMTP_WARN_NO_DSN	0x01	/* DSN asked for, not offered: sent
					   without (a warning) */
#define SMTP_WARN_DATA_NO_RCPT	0x02	/* 354 to a pipelined DATA after every
					   RCPT was refused: dropped (-v) */

struct smtp_result {
	struct smtp_rcpt *rcpts;	/* one per envelope recipient */
	size_t nrcpts;
	size_t naccepted;
	int smtputf8;			/* the UTF-8 forms were used */
	int dsn;			/* DSN parameters were sent */
	char *final_reply;		/* reply to the final dot, or NULL */
	int uncertain;			/* lost after the dot, before reply */
	int lacks_8bitmime;		/* refused: 8-bit data, no 8BITMIME */
	unsigned int warnings;		/* SMTP_WARN_* */
};

/* The text for one SMTP_WARN_* bit. */
const char *smtp_warning_text(unsigned int warning);

/*
 * A session carries any number of messages over one connection.
 * smtp_open() connects, secures (implicit TLS or STARTTLS) and
 * authenticates; each smtp_send() is one transaction, RSET before all
 * but the first (RFC 5321 4.1.1.5), its envelope checked against the
 * extensions (address forms, DSN, 8BITMIME, SIZE) before MAIL;
 * smtp_close() says QUIT when the connection still stands and frees the
 * session.  p must outlive the session.
 *
 * smtp_open() returns NULL with f set: F_PERM (no credentials without
 * TLS, STARTTLS or a mechanism not offered, 5xx), F_TEMP, F_TLS,
 * F_PROTO, F_AUTH, F_NOHOST, F_CONFIG, F_OS, F_IO.  F_CONFIG also when
 * the port and p->security disagree, found within seconds rather than
 * after the time-out: "greeting: ... speaks TLS at once" (STARTTLS or
 * none on an implicit-TLS port: a server silent for 2 s answers a TLS
 * handshake on a second connection) or "TLS: the server answered in
 * plaintext" (implicit TLS on a port that greets).  Each step goes to
 * p->watch as it happens.
 *
 * smtp_send() sends msg (LF or CRLF lines, read from its start; the
 * wire form is made here).  Returns 0 when every recipient was accepted
 * and the message taken.  Otherwise -1 with f set: F_NOUSER when some or
 * all recipients were refused (r says which; the message went to the
 * others), F_TEMP (only 4xx refusals, a lost connection), F_PERM,
 * F_DATA, F_PROTO, F_IO.  f->text is "step: what (server reply)".  r is
 * filled in every case; release it with smtp_result_free().  After a
 * failure smtp_usable() tells whether the session can take the next
 * message: a refused recipient or message leaves it usable; an I/O or
 * protocol failure, or a message lost after the dot, does not.
 */
struct smtp_session;

struct smtp_session *smtp_open(const struct smtp_params *p,
    struct failure *f);
int smtp_send(struct smtp_session *s, const struct smtp_envelope *env,
    FILE *msg, struct smtp_result *r, struct failure *f);
int smtp_usable(const struct smtp_session *s);
void smtp_close(struct smtp_session *s);

/*
 * The envelope of a message without the message (--check): MAIL FROM
 * from, RCPT TO each of rcpts (and VRFY each when vrfy is set and the
 * server announced VRFY), then RSET; never DATA.  Each reply goes to
 * the watch.  Returns 0 when the server took the sender and every
 * recipient; -1 with f set: F_PERM or F_TEMP (MAIL refused), F_NOUSER
 * (a recipient refused with 5xx), F_TEMP (only 4xx refusals), F_PROTO,
 * F_IO.  The session stays usable unless the connection failed.
 */
int smtp_probe(struct smtp_session *s, const char *from, char *const *rcpts,
    size_t nrcpts, int vrfy, struct failure *f);

/*
 * One message on its own session: smtp_open(), smtp_send(), smtp_close().
 * r is filled even when the session could not be opened; f as above.
 */
int smtp_submit(const struct smtp_params *p, const struct smtp_envelope *env,
    FILE *msg, struct smtp_result *r, struct failure *f);

/* Fills r for env: one entry per recipient, nothing accepted yet. */
void smtp_result_init(struct smtp_result *r, const struct smtp_envelope *env);
void smtp_result_free(struct smtp_result *r);

/*
 * Has fn(arg) called just before the final dot of each message leaves:
 * from then on the server may hold the message whatever happens to the
 * connection (RFC 5321 4.5.3.2.6 / RFC 1047).  The queue marks the entry
 * so an interrupted flush can be recognised.  fn NULL: no hook.
 */
void smtp_set_dot_hook(struct smtp_session *s, void (*fn)(void *),
    void *arg);

#endif
