/*
 * mailx.h — the mailx personality's send: recipients, sender, account
 * settings, compose into the spool, DSN, IDN, submit, and dead.letter
 * when it fails.  The sendmail personality (sendmail.c) reuses the
 * phases it shares through struct mailx_send.
 */
#ifndef OUTBOX_MAILX_H
#define OUTBOX_MAILX_H

#include <stdio.h>

#include "address.h"
#include "cli.h"
#include "config.h"
#include "deliver.h"
#include "failure.h"
#include "front.h"
#include "message.h"
#include "queue.h"
#include "smtp.h"

/* One send, from the options to the server's answer. */
struct mailx_send {
	const struct options *opt;
	struct config *cfg;
	struct settings set;
	struct address from;		/* header From */
	struct address_list to, cc, bcc;
	struct address_list rcpts;	/* envelope, unique */
	const char **rcpt_addrs;	/* rcpts' addresses, for the job */
	FILE *spool;
	struct message_info info;
	struct smtp_result result;
	int have_result;
	char *dsn_notify;		/* RFC 3461 NOTIFY=, or NULL */
	const char *dsn_ret;		/* RET=, or NULL */
	const char *dsn_envid;		/* ENVID= given (sendmail -V), or
					   NULL: the Message-ID */
	char *from_ascii;		/* A-label forms, or NULL */
	char **rcpts_ascii;
	struct deliver_result dres;	/* queue id, note, the quiet flush */
	char drop_id[QUEUE_ID_MAX];	/* in the system maildrop: its id */
	struct failure pending;		/* a recipient that failed for a
					   reason a fixed config cures
					   (recipients_expand_pending()),
					   put off until the message exists;
					   F_NONE: none */
};

/*
 * The mailx front-end (see front.h): compose from the options and stdin,
 * then send, or print with --dry-run.
 */
int mailx_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f);

/* s zeroed, for o and cfg (which must outlive it). */
void mailx_init(struct mailx_send *s, const struct options *o,
    struct config *cfg);

/*
 * The account's settings into set: -A, else the account whose from
 * matches -r, else the top level; logged with -vv.  F_CONFIG.
 */
int mailx_settings(const struct options *o, struct config *cfg,
    struct settings *set, struct failure *f);

/*
 * s->from from text (one address), or login@host when text is NULL.
 * F_DATA for an invalid address.
 */
int mailx_sender(struct mailx_send *s, const char *text, struct failure *f);

/*
 * text (an address list) into out as recipients_expand_pending() does,
 * into s->pending (but not for a dry run): a name an alias error or
 * nothing resolves stays as written, so that the message can be made and
 * kept (mailx_fail_pending()); for the maildrop (o->maildrop) a bare
 * name is kept bare, for the system's aliases and default-domain at the
 * intake.
 */
int mailx_expand(struct mailx_send *s, const char *text,
    struct address_list *out, struct failure *f);

/*
 * Once the message is in s->spool: the recipient failure put off
 * (s->pending) becomes f, with the envelope made so that mailx_finish()
 * keeps the message in the failed area, the unresolved names as
 * recipients ("outbox --queue-retry" resolves them again).  Returns -1.
 */
int mailx_fail_pending(struct mailx_send *s, struct failure *f);

/* --dsn and --dsn-return into s->dsn_notify, s->dsn_ret.  F_USAGE. */
int mailx_dsn(struct mailx_send *s, struct failure *f);

/*
 * s->spool to the server (deliver()): fills s->result and s->dres
 * (queue id, note, the quiet flush).  Fails as deliver() does.
 */
int mailx_submit(struct mailx_send *s, struct failure *f);

/*
 * The syslog and log-file settings (sendlog.h) of account (NULL: top
 * level) into c; strings point into cfg.
 */
struct sendlog_cfg;
void mailx_sendlog_cfg(const struct config *cfg, const char *account,
    struct sendlog_cfg *c);

/* The log line (sendlog.h) of every entry a flush sent, deferred or
 * gave up. */
void mailx_log_flush(const struct config *cfg, const char *account,
    const struct flush_report *fr);

/*
 * After a send that returned rc (f its failure): the notices, the
 * refusals, dead.letter (rep->saved) and the --json object
 * (rep->json_done); then frees s.  Returns rc.
 */
int mailx_finish(struct mailx_send *s, int rc, struct front_report *rep,
    struct failure *f);

#endif
