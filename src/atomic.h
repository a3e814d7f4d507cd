/*
 * atomic.h — a file that appears whole or not at all: written under a
 * temporary name, fsynced, renamed into place, the directory fsynced.
 *
 * Used by the queue (tmp/ then the queue directory), and meant for a
 * Maildir delivery (tmp/ then new/) and a UIDL state file (beside it).
 * The temporary file and the destination must be on one file system.
 */
#ifndef OUTBOX_ATOMIC_H
#define OUTBOX_ATOMIC_H

#include <sys/types.h>

#include <limits.h>

#include "failure.h"

struct atomic_file {
	int fd;			/* open for writing; -1 once closed */
	char tmp[PATH_MAX];	/* the temporary file */
	char dst[PATH_MAX];	/* where atomic_commit() puts it */
	char dir[PATH_MAX];	/* dst's directory, fsynced after the rename */
};

/*
 * Opens DIR/.NAME.tmp-XXXXXXXX (random hex; O_CREAT|O_EXCL|O_CLOEXEC|
 * O_NOFOLLOW, so a planted file or link there is never written through)
 * with mode (umask applies) for writing in af->fd.  name must not
 * contain "/".  Refuses a DIR/NAME that exists and is a symbolic link or
 * not a regular file: the rename would replace the link, not write where
 * it points.  F_CANTCREAT.
 */
int atomic_open(struct atomic_file *af, const char *dir, const char *name,
    mode_t mode, struct failure *f);

/*
 * The same, with the temporary file made in tmpdir (which must be on
 * dir's file system): the queue's and Maildir's tmp/.
 */
int atomic_open_in(struct atomic_file *af, const char *tmpdir,
    const char *dir, const char *name, mode_t mode, struct failure *f);

/*
 * fsyncs and closes af->fd, renames the temporary file to af->dst and
 * fsyncs af->dir.  On a failure before the rename the temporary file is
 * removed; F_IO (a full disk) names the file.  af->fd is -1 afterwards
 * either way.
 */
int atomic_commit(struct atomic_file *af, struct failure *f);

/* Closes af->fd (if open) and removes the temporary file. */
void atomic_abort(struct atomic_file *af);

/* fsyncs a directory, making a rename or unlink in it durable.  F_IO. */
int atomic_fsync_dir(const char *dir, struct failure *f);

#endif
