/*
 * test_atomic.c — atomic.c against a real directory: a commit makes the
 * file appear whole with its mode and nothing else left behind, an abort
 * leaves nothing, a symbolic link at the destination is refused and its
 * target never written, a temporary file in another directory (the
 * queue's tmp/) is renamed across.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "tap.h"

static char base[256];

/* Entries in dir other than "." and "..". */
static int
count(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
slurp(const char *path, char *buf, size_t sz)
{
	FILE *fp = fopen(path, "re");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, sz - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
}

static void
put(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror("write");
		exit(1);
	}
}

static void
test_commit(void)
{
	struct atomic_file af;
	struct failure f;
	char path[PATH_MAX], buf[64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/state", base);
	is_int(atomic_open(&af, base, "state", 0640, &f), 0, "open");
	ok(af.fd >= 0 && (fcntl(af.fd, F_GETFD) & FD_CLOEXEC), "O_CLOEXEC");
	ok(strncmp(af.tmp, base, strlen(base)) == 0 &&
	    strstr(af.tmp, "/.state.tmp-") != NULL, "tmp is DIR/.NAME.tmp-X");
	ok(access(path, F_OK) == -1, "nothing at dst before the commit");
	put(af.fd, "one\n");
	is_int(atomic_commit(&af, &f), 0, "commit");
	is_int(af.fd, -1, "fd closed");
	slurp(path, buf, sizeof(buf));
	is_str(buf, "one\n", "dst holds what was written");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640,
	    "dst has the mode given");
	is_int(count(base), 1, "no temporary file left");

	/* Replacing: the old contents until the rename, then the new. */
	is_int(atomic_open(&af, base, "state", 0600, &f), 0, "reopen");
	put(af.fd, "two\n");
	slurp(path, buf, sizeof(buf));
	is_str(buf, "one\n", "old contents until the commit");
	is_int(atomic_commit(&af, &f), 0, "commit over the old file");
	slurp(path, buf, sizeof(buf));
	is_str(buf, "two\n", "new contents after it");
	is_int(count(base), 1, "still one file");
}

static void
test_abort(void)
{
	struct atomic_file af;
	struct failure f;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/gone", base);
	is_int(atomic_open(&af, base, "gone", 0600, &f), 0, "open");
	put(af.fd, "never\n");
	atomic_abort(&af);
	ok(access(path, F_OK) == -1 && access(af.tmp, F_OK) == -1,
	    "abort leaves neither dst nor tmp");
	is_int(count(base), 1, "directory as before");
	atomic_abort(&af);	/* twice is harmless */
	ok(1, "second abort harmless");
}

static void
test_symlink(void)
{
	struct atomic_file af;
	struct failure f;
	char target[PATH_MAX], link[PATH_MAX], buf[64];
	int fd;

	snprintf(target, sizeof(target), "%s/target", base);
	snprintf(link, sizeof(link), "%s/link", base);
	fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	put(fd, "precious\n");
	close(fd);
	if (symlink(target, link) == -1) {
		perror("symlink");
		exit(1);
	}
	is_int(atomic_open(&af, base, "link", 0600, &f), -1,
	    "a symbolic link at dst is refused");
	is_int(f.kind, F_CANTCREAT, "F_CANTCREAT");
	ok(strstr(f.text, "symbolic link") != NULL, "the text says why");
	slurp(target, buf, sizeof(buf));
	is_str(buf, "precious\n", "the link's target untouched");
	is_int(atomic_open(&af, base, "a/b", 0600, &f), -1,
	    "a name with a slash is refused");
	is_int(atomic_open(&af, "/nonexistent-dir", "x", 0600, &f), -1,
	    "a missing directory fails");
	is_int(f.kind, F_CANTCREAT, "F_CANTCREAT for it");
	unlink(link);
	unlink(target);
}

static void
test_open_in(void)
{
	struct atomic_file af;
	struct failure f;
	char tmpdir[300], dst[300], path[PATH_MAX], buf[64];

	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", base);
	snprintf(dst, sizeof(dst), "%s/new", base);
	mkdir(tmpdir, 0700);
	mkdir(dst, 0700);
	is_int(atomic_open_in(&af, tmpdir, dst, "msg", 0600, &f), 0,
	    "open in tmp/");
	ok(strncmp(af.tmp, tmpdir, strlen(tmpdir)) == 0, "tmp under tmp/");
	is_int(count(tmpdir), 1, "the temporary file is in tmp/");
	put(af.fd, "mail\n");
	is_int(atomic_commit(&af, &f), 0, "commit across");
	snprintf(path, sizeof(path), "%s/msg", dst);
	slurp(path, buf, sizeof(buf));
	is_str(buf, "mail\n", "it is in new/");
	is_int(count(tmpdir), 0, "tmp/ empty again");
	is_int(atomic_fsync_dir(dst, &f), 0, "fsync_dir");
	is_int(atomic_fsync_dir("/nonexistent-dir", &f), -1,
	    "fsync_dir of a missing directory");
	is_int(f.kind, F_IO, "F_IO for it");
	unlink(path);
	rmdir(tmpdir);
	rmdir(dst);
}

int
main(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(base, sizeof(base), "/tmp/test_atomic.%ld", (long)getpid());
	if (mkdir(base, 0700) == -1 && errno != EEXIST) {
		perror(base);
		return 1;
	}
	umask(022);
	test_commit();
	test_abort();
	test_symlink();
	test_open_in();
	snprintf(cmd, sizeof(cmd), "%s/state", base);
	unlink(cmd);
	rmdir(base);
	return done_testing();
}
