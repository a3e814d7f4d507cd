/*
 * atomic.c — write to a temporary name, fsync, rename, fsync the
 * directory (see atomic.h).
 *
 * rename(2) is atomic within a file system (POSIX), so a reader sees the
 * old file or the new one; the fsync before it makes the data durable
 * before the name points at it, and the directory fsync after it makes
 * the name durable (a file system may reorder them otherwise).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"

/* Tries at a fresh temporary name before giving up on EEXIST. */
#define ATOMIC_TRIES 8

static int
atomic_join(char *buf, size_t sz, const char *dir, const char *name,
    struct failure *f)
{
	int n = snprintf(buf, sz, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sz)
		return failure_set(f, F_CANTCREAT, "%s: path too long", dir);
	return 0;
}

int
atomic_open_in(struct atomic_file *af, const char *tmpdir, const char *dir,
    const char *name, mode_t mode, struct failure *f)
{
	char tname[NAME_MAX + 1];
	struct stat st;
	int i, n;

	af->fd = -1;
	af->tmp[0] = '\0';
	if (*name == '\0' || strchr(name, '/') != NULL)
		return failure_set(f, F_INTERNAL, "atomic_open: bad name "
		    "\"%s\"", name);
	if (strlcpy(af->dir, dir, sizeof(af->dir)) >= sizeof(af->dir) ||
	    atomic_join(af->dst, sizeof(af->dst), dir, name, f) == -1)
		return failure_set(f, F_CANTCREAT, "%s: path too long", dir);
	if (lstat(af->dst, &st) == 0 && !S_ISREG(st.st_mode))
		return failure_set(f, F_CANTCREAT, "%s: %s", af->dst,
		    S_ISLNK(st.st_mode) ? "is a symbolic link" :
		    "not a regular file");
	for (i = 0; i < ATOMIC_TRIES; i++) {
		n = snprintf(tname, sizeof(tname), ".%s.tmp-%08x", name,
		    arc4random());
		if (n < 0 || (size_t)n >= sizeof(tname))
			return failure_set(f, F_CANTCREAT, "%s: name too long",
			    name);
		if (atomic_join(af->tmp, sizeof(af->tmp), tmpdir, tname,
		    f) == -1)
			return -1;
		af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, mode);
		if (af->fd != -1)
			return 0;
		if (errno != EEXIST)
			break;
	}
	failure_set(f, F_CANTCREAT, "%s: %s", af->tmp, strerror(errno));
	af->tmp[0] = '\0';
	return -1;
}

int
atomic_open(struct atomic_file *af, const char *dir, const char *name,
    mode_t mode, struct failure *f)
{
	return atomic_open_in(af, dir, dir, name, mode, f);
}

int
atomic_fsync_dir(const char *dir, struct failure *f)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return failure_set(f, F_IO, "%s: %s", dir, strerror(errno));
	if (fsync(fd) == -1)
		rc = failure_set(f, F_IO, "%s: fsync: %s", dir,
		    strerror(errno));
	close(fd);
	return rc;
}

int
atomic_commit(struct atomic_file *af, struct failure *f)
{
	int err = 0;

	if (af->fd == -1)
		return failure_set(f, F_INTERNAL, "atomic_commit: not open");
	if (fsync(af->fd) == -1)
		err = errno;
	if (close(af->fd) == -1 && err == 0)
		err = errno;
	af->fd = -1;
	if (err == 0 && rename(af->tmp, af->dst) == -1)
		err = errno;
	if (err != 0) {
		unlink(af->tmp);
		af->tmp[0] = '\0';
		return failure_set(f, F_IO, "%s: %s", af->dst, strerror(err));
	}
	af->tmp[0] = '\0';
	return atomic_fsync_dir(af->dir, f);
}

void
atomic_abort(struct atomic_file *af)
{
	if (af->fd != -1)
		close(af->fd);
	af->fd = -1;
	if (af->tmp[0] != '\0')
		unlink(af->tmp);
	af->tmp[0] = '\0';
}
