/*
 * filetype.h — the media type and charset of a file, from libmagic.
 *
 * The magic database is opened once (filetype_open) before any file is
 * read, and every attachment is then classified with it.  libmagic runs
 * in a child process that ends with filetype_close().
 */
#ifndef OUTBOX_FILETYPE_H
#define OUTBOX_FILETYPE_H

#include <stddef.h>

#include "failure.h"

struct filetype;		/* opaque: wraps a magic_t */

/* Room for "type/subtype" and for a charset name. */
#define FILETYPE_TYPE_MAX 128
#define FILETYPE_CHARSET_MAX 64

/*
 * Starts the libmagic process and loads the database.  Returns a handle
 * the caller frees with filetype_close().  Fails with F_OS (fork) or
 * F_CONFIG (the database cannot be loaded).
 */
struct filetype *filetype_open(struct failure *f);

/*
 * Guesses the media type ("text/plain", "application/pdf") of the file at
 * path into type (FILETYPE_TYPE_MAX bytes) and its charset into charset
 * (FILETYPE_CHARSET_MAX bytes; "" for binary files, else the name libmagic
 * reports, such as "us-ascii", "utf-8", "iso-8859-1").  Types libmagic
 * uses for empty or unknown content ("inode/x-empty",
 * "application/x-empty") become "application/octet-stream".  Fails with
 * F_NOINPUT naming the file when libmagic cannot read it.
 */
int filetype_guess(struct filetype *ft, const char *path, char *type,
    char *charset, struct failure *f);

/* Closes the database; ft may be NULL. */
void filetype_close(struct filetype *ft);

#endif
