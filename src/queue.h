/*
 * queue.h — the durable local queue: messages kept until a server takes
 * them or they are given up as undeliverable.
 *
 * Layout of the queue directory (mode 0700, files 0600):
 *
 *	DIR/lock		flock(2)ed by a flush or a drop (LOCK_EX)
 *	DIR/ID.msg		the message as composed (LF lines)
 *	DIR/ID.env		its envelope and state; the entry exists iff
 *				this file does
 *	DIR/failed/ID.msg	given up: 5xx, or older than queue-max-age;
 *	DIR/failed/ID.env	the .env holds the last reply
 *	DIR/tmp/		files being written
 *
 * The in-flight mark is the owner-execute bit of ID.env (mode 0700
 * instead of 0600): set by a chmod(2) just before the final dot of an
 * attempt, and gone once the outcome is recorded, for recording it
 * removes the .env or replaces it with a new 0600 file.  An entry found
 * with it was cut off after the server may have taken the message.  (A
 * mark is one metadata change of a file that exists anyway: no file to
 * create, and none to remove, per message.  The ID.sending file of
 * older versions is turned into it by queue_clean().)
 *
 * Every file is written under tmp/, fsynced, renamed into place and the
 * directory fsynced (the .msg first, the .env last), so a crash at any
 * moment leaves either no entry or a whole one; a .msg without its .env
 * is debris from a crash before the enqueue finished (it was never
 * reported queued) and is removed by a flush once it is an hour old.
 *
 * ID: "YYYYMMDDTHHMMSS-xxxxxxxx", the UTC time of queueing and 32 random
 * bits (arc4random) in hex: unique, sortable by age, safe in a path.
 *
 * The .env file, one "key value" a line (values have no control
 * characters; the writer replaces them with "?"):
 *	outbox-queue 1		format version, first line
 *	created T		seconds since the epoch
 *	account NAME		absent: the top-level settings
 *	from ADDR		reverse-path ("" for <>)
 *	from-ascii ADDR		optional A-label form
 *	eightbit 0|1
 *	utf8-headers 1		optional: UTF-8 in the header (RFC 6532);
 *				absent: 0
 *	dsn-notify, dsn-ret, dsn-envid VALUE, dsn-required 1   optional
 *	attempts N
 *	next T			earliest next attempt
 *	last-reply TEXT		optional: the last failure, one line
 *	rcpt ADDR		one per recipient still pending
 *	rcpt-ascii ADDR		optional, for the rcpt line before it
 *	end			last line: the file is whole
 */
#ifndef OUTBOX_QUEUE_H
#define OUTBOX_QUEUE_H

#include <sys/types.h>

#include <stdio.h>
#include <time.h>

#include "envelope.h"
#include "failure.h"

#define QUEUE_ID_MAX 32

/*
 * attempts is capped here when read (hourly retries for over a century),
 * so the flush's attempts + 1 can never overflow: at INT_MAX it did, and
 * the entry, written with a negative count, vanished from the queue.
 */
#define QUEUE_ATTEMPTS_MAX 1000000

/*
 * An entry: its state and its envelope.  env.rcpts are the recipients
 * still pending, env.rcpts_ascii parallel to them (elements may be
 * NULL); env.size is not used (see size).  An entry read by queue_list
 * owns the strings and arrays it points to (account, last_reply and
 * env's; queue_entry_free() frees them); one built to be written
 * borrows them, and the writers take it const.
 */
struct queue_entry {
	char id[QUEUE_ID_MAX];
	int failed;		/* in the failed area */
	time_t created;
	time_t next;		/* next attempt */
	int attempts;
	const char *account;	/* NULL: top level */
	const char *last_reply;	/* or NULL */
	struct smtp_envelope env;
	off_t size;		/* octets in ID.msg (from queue_list) */
	int sending;		/* carries the in-flight mark (from
				   queue_list); written back by the writers */
	char *subject;		/* the message's Subject, decoded, for
				   listings, or NULL (queuecmd fills it;
				   queue_entry_free() frees it) */
};

/*
 * The default queue directory, in buf: /var/spool/outbox for root, else
 * $XDG_STATE_HOME/outbox/queue, else ~/.local/state/outbox/queue.  A
 * configured dir starting with "~/" is expanded.  F_CONFIG when no home
 * is known or the path is too long.
 */
int queue_dir_resolve(const char *configured, char *buf, size_t bufsz,
    struct failure *f);

/*
 * Adds a copy of msg (read from its start) with e's envelope, account
 * and last reply to the queue in dir (to its failed area when e->failed:
 * a message kept after a permanent failure), creating dir as needed; e's id,
 * created, next and attempts are not read (the entry gets a new id,
 * now, now, 0).  The new id goes to id (QUEUE_ID_MAX bytes).
 * F_CANTCREAT when a directory or file cannot be created, F_IO when
 * writing or syncing fails (a full disk).
 */
int queue_add(const char *dir, const struct queue_entry *e, FILE *msg,
    char *id, struct failure *f);

/*
 * Takes the queue's lock (creating dir as needed): blocking when wait,
 * else returns -2 when another process holds it.  Returns the lock's
 * descriptor (close it to release), or -1 with F_CANTCREAT.
 */
int queue_lock(const char *dir, int wait, struct failure *f);

/*
 * Every entry, queued ones then failed ones (failed too), each part
 * oldest first.  *vp is malloc'd: queue_entries_free().  A dir that does
 * not exist is an empty queue.  Unreadable entries are skipped.  F_IO on
 * a directory read error.
 */
int queue_list(const char *dir, int failed, struct queue_entry **vp,
    size_t *np, struct failure *f);
void queue_entries_free(struct queue_entry *v, size_t n);
void queue_entry_free(struct queue_entry *e);

/*
 * Narrows e (read by queue_list) to the recipients i with keep[i] set,
 * freeing the others.
 */
void queue_entry_keep(struct queue_entry *e, const int *keep);

/*
 * Replaces e's recipients (e read by queue_list) with the n addresses
 * rcpts[] and their A-label forms ascii[] (elements may be NULL), taking
 * the strings and both arrays (malloc'd).
 */
void queue_entry_set_rcpts(struct queue_entry *e, char **rcpts, char **ascii,
    size_t n);

/* 1 when dir holds a queued entry (a cheap look, no lock). */
int queue_pending(const char *dir);

/* The message of entry e, opened for reading, or NULL (F_IO). */
FILE *queue_open_msg(const char *dir, const struct queue_entry *e,
    struct failure *f);

/* Rewrites e's state file atomically (F_IO, F_CANTCREAT). */
int queue_update(const char *dir, const struct queue_entry *e,
    struct failure *f);

/*
 * Moves e to the failed area, its .env written from e (whose rcpts are
 * the recipients given up, last_reply why).  When keep, the live entry
 * stays (the caller updates it for the recipients still pending): the
 * message is hard-linked, not moved.
 */
int queue_fail(const char *dir, const struct queue_entry *e, int keep,
    struct failure *f);

/*
 * Moves failed entry e back to the queue, due now, its attempts and age
 * started afresh (--queue-retry).  F_IO, F_CANTCREAT.
 */
int queue_unfail(const char *dir, const struct queue_entry *e,
    struct failure *f);

/*
 * Removes e (queued or failed): the .env first, then the .msg, the
 * removal synced before it returns.
 */
int queue_remove(const char *dir, const struct queue_entry *e,
    struct failure *f);

/*
 * Removes the delivered entry e like queue_remove(), without syncing the
 * directory: queue_sync() does that once for a batch.  Until then a
 * crash of the machine may bring the entry back, and it is sent again
 * (a duplicate, never a loss).
 */
int queue_remove_unsynced(const char *dir, const struct queue_entry *e,
    struct failure *f);

/* Makes the removals before it durable: fsyncs dir.  F_IO. */
int queue_sync(const char *dir, struct failure *f);

/*
 * Removes the entry called id, queued or failed.  F_NOINPUT when there
 * is none, F_DATA for an id that cannot be one.
 */
int queue_drop(const char *dir, const char *id, struct failure *f);

/* Removes crash debris (see above) older than an hour. */
void queue_clean(const char *dir);

/*
 * Seconds to wait after the n-th failed attempt (n >= 1): 1, 5, 15
 * and 60 minutes, then hourly.
 */
time_t queue_backoff(int n);

/*
 * The in-flight mark of entry id (see above): made (on) just before the
 * final dot of a delivery attempt, taken off (off) when the outcome is
 * recorded without rewriting or removing the .env.  Not synced: it
 * outlives a killed process, not necessarily a power cut.  Returns 0 or
 * -1 (errno set).
 */
int queue_mark_sending(const char *dir, const char *id, int on);

/* 1 when entry id carries the in-flight mark of an interrupted attempt. */
int queue_was_sending(const char *dir, const char *id);

#endif
