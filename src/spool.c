/*
 * spool.c — the composed message on disk: an unlinked temporary file, and
 * appending to dead.letter in mbox form (mboxrd quoting: a line matching
 * ">*From " gets one more ">", so the quoting can be undone).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "spool.h"
#include "xmalloc.h"

/* The block size for copying a message. */
#define SPOOL_BLOCK 65536

FILE *
spool_temp(struct failure *f)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	FILE *fp;
	int fd, n;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	n = snprintf(path, sizeof(path), "%s/outbox.XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return failure_set(f, F_CANTCREAT, "TMPDIR too long"), NULL;
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return failure_set(f, F_CANTCREAT, "%s: %s", path,
		    strerror(errno)), NULL;
	/* Unlinked at once: nothing is left behind, whatever happens. */
	if (unlink(path) == -1 || (fp = fdopen(fd, "w+")) == NULL) {
		failure_set(f, F_CANTCREAT, "%s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return NULL;
	}
	return fp;
}

/* 1 when line (len bytes) matches ">*From ". */
static int
spool_is_from(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] == '>')
		i++;
	return len - i >= 5 && memcmp(line + i, "From ", 5) == 0;
}

int
spool_dead_letter(const char *path, FILE *msg, const char *sender,
    struct failure *f)
{
	char date[128], *line = NULL;
	size_t cap = 0, len;
	ssize_t n;
	FILE *out;
	struct stat st;
	int fd, r = 0, last_nl = 1;

	/*
	 * Never through a symlink, never into a file someone else owns:
	 * either would let another user read, or plant, what we append.
	 */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return failure_set(f, F_CANTCREAT, "%s: %s", path,
		    errno == ELOOP ? "is a symbolic link; not following it" :
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return failure_set(f, F_CANTCREAT, "%s: not a regular file "
		    "owned by you; not writing to it", path);
	}
	if ((out = fdopen(fd, "a")) == NULL) {
		close(fd);
		return failure_set(f, F_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	}
	if (fseeko(msg, 0, SEEK_SET) == -1) {
		fclose(out);
		return failure_set(f, F_IO, "dead.letter: cannot rewind: %s",
		    strerror(errno));
	}
	encode_date(time(NULL), ENCODE_DATE_CTIME, date, sizeof(date));
	if (sender == NULL || *sender == '\0' || strpbrk(sender, " \t\r\n"))
		sender = "MAILER-DAEMON";
	if (fprintf(out, "From %s %s\n", sender, date) < 0)
		r = -1;
	while (r == 0 && (n = getline(&line, &cap, msg)) > 0) {
		len = (size_t)n;
		/* LF inside the mbox: CRLF from the wire form becomes LF. */
		if (len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n') {
			line[len - 2] = '\n';
			len--;
		}
		if (spool_is_from(line, len) && fputc('>', out) == EOF)
			r = -1;
		if (r == 0 && fwrite(line, 1, len, out) != len)
			r = -1;
		last_nl = line[len - 1] == '\n';
	}
	free(line);
	if (r == 0 && ferror(msg)) {
		fclose(out);
		return failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
	}
	if (r == 0 && !last_nl && fputc('\n', out) == EOF)
		r = -1;
	if (r == 0 && fputc('\n', out) == EOF)
		r = -1;
	if (r == 0 && fflush(out) == EOF)
		r = -1;
	if (r == 0 && fsync(fileno(out)) == -1)
		r = -1;
	if (r == -1) {
		failure_set(f, F_IO, "%s: %s", path, strerror(errno));
		fclose(out);
		return -1;
	}
	if (fclose(out) == EOF)
		return failure_set(f, F_IO, "%s: %s", path, strerror(errno));
	return 0;
}

int
spool_wire(FILE *msg, FILE *out, int dotstuff, off_t *size,
    struct failure *f)
{
	char *in, *wire;
	struct encode_wire st;
	off_t total = 0;
	size_t n, w;
	int rc = 0;

	in = xmalloc(SPOOL_BLOCK);
	wire = xmalloc(ENCODE_WIRE_BOUND(SPOOL_BLOCK));
	encode_wire_init(&st, dotstuff);
	rewind(msg);
	for (;;) {
		n = fread(in, 1, SPOOL_BLOCK, msg);
		w = n > 0 ? encode_wire_update(&st, in, n, wire) :
		    encode_wire_final(&st, wire);
		total += (off_t)w;
		if (out != NULL && fwrite(wire, 1, w, out) != w) {
			rc = failure_set(f, F_IO, "writing the message: %s",
			    strerror(errno));
			break;
		}
		if (n == 0)
			break;
	}
	if (rc == 0 && ferror(msg))
		rc = failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
	if (rc == 0 && out != NULL && fflush(out) == EOF)
		rc = failure_set(f, F_IO, "writing the message: %s",
		    strerror(errno));
	free(in);
	free(wire);
	rewind(msg);
	if (size != NULL)
		*size = total;
	return rc;
}
