/*
 * spool.h — the composed message on disk, and dead.letter.
 *
 * Spool first, then talk: the message is written to an unlinked temporary
 * file (umask 077), which gives its size for SIZE=, bounded memory, and a
 * file to queue (queue.h copies it into the queue) or to save in
 * dead.letter when sending fails.
 */
#ifndef OUTBOX_SPOOL_H
#define OUTBOX_SPOOL_H

#include <sys/types.h>

#include <stdio.h>

#include "failure.h"

/*
 * An anonymous read/write temporary file in $TMPDIR (or /tmp), already
 * unlinked.  F_CANTCREAT on failure.
 */
FILE *spool_temp(struct failure *f);

/*
 * Copies msg (from its start) to out in wire form (CRLF line ends; with
 * dotstuff, RFC 5321 4.5.2 dot-stuffing); out may be NULL to only count.
 * The number of octets is stored in *size when size is not NULL; msg is
 * left rewound.  F_IO on a read or write error.
 */
int spool_wire(FILE *msg, FILE *out, int dotstuff, off_t *size,
    struct failure *f);

/*
 * Appends the message in msg (read from its start; LF or CRLF line ends)
 * to the mbox file path (mode 0600, created when missing), with a
 * "From sender date" separator line, ">From " quoting (mboxrd) and a blank
 * line after it.  The write is fsynced.  F_CANTCREAT when path is a
 * symlink, not a regular file or owned by another user; F_IO on failure.
 */
int spool_dead_letter(const char *path, FILE *msg, const char *sender,
    struct failure *f);

#endif
