/*
 * filetype.c — libmagic wrapper (see filetype.h).  MAGIC_MIME gives
 * "type/subtype; charset=name" (MAGIC_MIME_TYPE | MAGIC_MIME_ENCODING),
 * which RFC 2045 section 5.1 media types are built from.
 *
 * libmagic runs in a child process.  Matching a file walks the whole
 * compiled database (8 MB on Debian), so in-process it would sit in
 * memory beside the TLS session while a large message streams out; in a
 * child it is gone before the send starts, and a parser bug triggered by
 * a hostile attachment cannot reach the credentials.  The protocol on a
 * socketpair: the child says "ok\n" (or "err TEXT\n") once loaded; then
 * for each path (NUL-terminated) it answers "ok TYPE\tCHARSET\n" or
 * "err TEXT\n".
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filetype.h"
#include "xmalloc.h"

/*
 * libmagic reads up to 7 MiB of each file by default, all of it held at
 * once; the start of a file is enough for its type, and the content scan
 * in mime.c corrects the charset of text further on.
 */
#define FILETYPE_BYTES_MAX (64 * 1024)

/* A reply line: "ok " + type + tab + charset, or an error text. */
#define FILETYPE_REPLY_MAX (FILETYPE_TYPE_MAX + FILETYPE_CHARSET_MAX + 512)

struct filetype {
	pid_t pid;
	int fd;			/* requests go out here */
	FILE *in;		/* replies come back here */
};

/* The child: load the database, then answer until the parent hangs up. */
static void __attribute__((noreturn))
filetype_child(int fd)
{
	FILE *in, *out;
	magic_t m;
	size_t bytes = FILETYPE_BYTES_MAX, cap = 0;
	char *path = NULL;
	const char *r;

	if ((in = fdopen(fd, "r")) == NULL ||
	    (out = fdopen(dup(fd), "w")) == NULL)
		_exit(1);
	m = magic_open(MAGIC_MIME | MAGIC_ERROR);
	if (m == NULL || magic_setparam(m, MAGIC_PARAM_BYTES_MAX,
	    &bytes) == -1 || magic_load(m, NULL) == -1) {
		fprintf(out, "err cannot load the database: %s\n",
		    m && magic_error(m) ? magic_error(m) : strerror(errno));
		fflush(out);
		_exit(1);
	}
	fputs("ok\n", out);
	fflush(out);
	while (getdelim(&path, &cap, '\0', in) > 0) {
		if ((r = magic_file(m, path)) == NULL)
			fprintf(out, "err %s\n", magic_error(m) ?
			    magic_error(m) : "cannot classify");
		else
			fprintf(out, "ok %s\n", r);
		if (fflush(out) == EOF)
			break;
	}
	_exit(0);
}

/*
 * Reads one reply line into buf (line end removed).  0, or -1 with buf
 * empty: a helper that died before answering left nothing to read.
 */
static int
filetype_reply(struct filetype *ft, char *buf, size_t len)
{
	buf[0] = '\0';
	if (fgets(buf, (int)len, ft->in) == NULL) {
		buf[0] = '\0';
		return -1;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

struct filetype *
filetype_open(struct failure *f)
{
	struct filetype *ft;
	char line[FILETYPE_REPLY_MAX];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		failure_set(f, F_OS, "libmagic: socketpair: %s",
		    strerror(errno));
		return NULL;
	}
	ft = xcalloc(1, sizeof(*ft));
	if ((ft->pid = fork()) == -1) {
		failure_set(f, F_OS, "libmagic: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(ft);
		return NULL;
	}
	if (ft->pid == 0) {
		close(sv[0]);
		filetype_child(sv[1]);
	}
	close(sv[1]);
	ft->fd = sv[0];
	if ((ft->in = fdopen(dup(sv[0]), "r")) == NULL) {
		failure_set(f, F_OS, "libmagic: %s", strerror(errno));
		filetype_close(ft);
		return NULL;
	}
	if (filetype_reply(ft, line, sizeof(line)) == -1 ||
	    strcmp(line, "ok") != 0) {
		failure_set(f, F_CONFIG, "libmagic: %s", strncmp(line, "err ",
		    4) == 0 ? line + 4 : "the helper process failed");
		filetype_close(ft);
		return NULL;
	}
	return ft;
}

/* Lower-cases s in place: media types are case-insensitive (RFC 2045). */
static void
filetype_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = *s - 'A' + 'a';
}

/* Asks the child about path; *r points into line.  0 or -1. */
static int
filetype_ask(struct filetype *ft, const char *path, char *line, size_t len,
    const char **r, struct failure *f)
{
	size_t n = strlen(path) + 1, off = 0;
	ssize_t w;

	while (off < n) {
		if ((w = write(ft->fd, path + off, n - off)) == -1) {
			if (errno == EINTR)
				continue;
			failure_set(f, F_INTERNAL,
			    "libmagic: the helper process went away");
			return -1;
		}
		off += (size_t)w;
	}
	/* Each path -1 explicitly: *r is set on the 0 path only. */
	if (filetype_reply(ft, line, len) == -1) {
		failure_set(f, F_INTERNAL,
		    "libmagic: the helper process went away");
		return -1;
	}
	if (strncmp(line, "ok ", 3) != 0) {
		failure_set(f, F_NOINPUT, "%s: %s", path,
		    strncmp(line, "err ", 4) == 0 ? line + 4 : line);
		return -1;
	}
	*r = line + 3;
	return 0;
}

int
filetype_guess(struct filetype *ft, const char *path, char *type,
    char *charset, struct failure *f)
{
	char line[FILETYPE_REPLY_MAX];
	const char *r, *semi, *cs;
	size_t n;

	type[0] = '\0';
	charset[0] = '\0';
	if (filetype_ask(ft, path, line, sizeof(line), &r, f) == -1)
		return -1;
	semi = strchr(r, ';');
	n = semi ? (size_t)(semi - r) : strlen(r);
	if (n == 0 || n >= FILETYPE_TYPE_MAX || memchr(r, '/', n) == NULL)
		strlcpy(type, "application/octet-stream", FILETYPE_TYPE_MAX);
	else {
		memcpy(type, r, n);
		type[n] = '\0';
		filetype_lower(type);
	}
	if (strcmp(type, "inode/x-empty") == 0 ||
	    strcmp(type, "application/x-empty") == 0 ||
	    strncmp(type, "inode/", 6) == 0)
		strlcpy(type, "application/octet-stream", FILETYPE_TYPE_MAX);
	if (semi != NULL && (cs = strstr(semi, "charset=")) != NULL) {
		cs += strlen("charset=");
		n = strcspn(cs, "; \t");
		if (n < FILETYPE_CHARSET_MAX) {
			memcpy(charset, cs, n);
			charset[n] = '\0';
			filetype_lower(charset);
		}
		if (strcmp(charset, "binary") == 0)
			charset[0] = '\0';
	}
	return 0;
}

void
filetype_close(struct filetype *ft)
{
	int st;

	if (ft == NULL)
		return;
	if (ft->in != NULL)
		fclose(ft->in);
	close(ft->fd);		/* the child sees end of file and exits */
	while (waitpid(ft->pid, &st, 0) == -1 && errno == EINTR)
		;
	free(ft);
}
