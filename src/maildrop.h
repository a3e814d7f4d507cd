/*
 * maildrop.h — the system maildrop: how a local user whose outbox cannot
 * read the system configuration (root's /etc/outboxrc, mode 0600, holds
 * the server's password) still sends through it, without setuid and
 * without seeing the secret.
 *
 * The directory (MAILDROP_DIR, mode 1733 root:root: anyone may create a
 * file, nobody may list it or remove another's) holds one file per
 * message, mode 0600, owned by the user who dropped it: the kernel's
 * ownership is the proof of who sent it.  A file is written under
 * ".tmp-ID", synced and renamed to "ID", so the flush only ever sees
 * whole ones.  A root-run flush takes them in (maildrop_intake()).
 *
 * File format: "outbox-maildrop 1" LF, then "rcpt ADDR" LF for each
 * envelope recipient, "end" LF, then the message as composed (LF
 * lines).  The envelope sender is not in the file: the intake makes it
 * from the owner's user name.
 *
 * ID: "YYYYMMDDTHHMMSS-xxxxxxxx" as for queue entries (queue.h).
 */
#ifndef OUTBOX_MAILDROP_H
#define OUTBOX_MAILDROP_H

#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "failure.h"
#include "queue.h"

/* The directory; install-systemd and the .path unit use the same. */
#define MAILDROP_DIR "/var/spool/outbox-maildrop"

/* Largest file taken in: a message of 50 MiB and its envelope. */
#define MAILDROP_SIZE_MAX (50LL * 1024 * 1024 + 65536)

/* Most recipients of one dropped message. */
#define MAILDROP_RCPTS_MAX 1000

/*
 * Whether the config at path exists but cannot be read by this process
 * (EACCES): then the send goes through the maildrop.
 */
int maildrop_config_unreadable(const char *path);

/*
 * Whether name is a bare local name the intake can resolve (through the
 * system's aliases and default-domain): 1 to 64 of A-Z a-z 0-9 . _ + -,
 * not starting with "-" or ".".
 */
int maildrop_bare_name(const char *name);

/*
 * Writes msg (read from its start) with its envelope recipients into
 * dir (tmp name, fsync, rename, fsync dir); its ID into id
 * (QUEUE_ID_MAX).  F_CANTCREAT when dir is missing or the file cannot be
 * made, F_IO when writing fails, F_DATA for a recipient with a control
 * character.
 */
int maildrop_put(const char *dir, FILE *msg, const char *const *rcpts,
    size_t nrcpts, char *id, struct failure *f);

/* What the intake did with one file. */
struct maildrop_event {
	char name[QUEUE_ID_MAX];	/* the file's name */
	char user[64];			/* its owner's name, or "uid N" */
	char queue_id[QUEUE_ID_MAX];	/* taken: the queue entry, else "" */
	char from[320];			/* taken: the envelope sender */
	size_t nrcpts;
	long long size;
	char why[256];			/* rejected: why, else "" */
};

struct maildrop_report {
	struct maildrop_event *v;
	size_t n;
	size_t taken, rejected;
};

/*
 * Takes every whole file of dir into the queue qdir: checks it (a
 * regular file with one link, owned by a user who exists, at most
 * MAILDROP_SIZE_MAX octets, a well-formed envelope and header block),
 * sets the envelope sender from the owner's user name (qualified with
 * set->default_domain, else set->hostname) or, through from-rewrite, to
 * set->from, rewrites the From field as from-rewrite says, queues the
 * message under set->account and removes the file.  A file that fails
 * the checks is moved to qdir/maildrop-rejected/ (removed when that
 * fails).  Temporary files older than an hour are removed.  A missing
 * dir is an empty one (make install-systemd and the .path unit make
 * it).  Fills rep (maildrop_report_free()).  Returns -1 when dir cannot
 * be read (F_IO) or the queue cannot take a message (as queue_add()).
 */
int maildrop_intake(const char *dir, const char *qdir,
    const struct config *cfg, const struct settings *set,
    struct maildrop_report *rep, struct failure *f);

void maildrop_report_free(struct maildrop_report *rep);

#endif
