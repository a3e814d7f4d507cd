/*
 * test_filetype.c — the libmagic helper: a guess for a real file, and a
 * helper that dies before its first answer (killed while it waits on
 * a FIFO for its database) giving the "helper process failed"
 * text, not whatever the reply buffer held before (issue 9 item 9: the
 * buffer was read uninitialised).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "filetype.h"
#include "tap.h"

/* Leaves a stale "err ..." text in the stack the next call will reuse. */
static void __attribute__((noinline))
paint_stack(void)
{
	static const char pat[] = "err ";
	volatile char junk[8192];
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = pat[i % (sizeof(pat) - 1)];
}

static void
test_guess(void)
{
	char type[FILETYPE_TYPE_MAX], charset[FILETYPE_CHARSET_MAX];
	struct filetype *ft;
	struct failure f;
	char path[] = "/tmp/test_filetype.XXXXXX";
	int fd;

	ok((ft = filetype_open(&f)) != NULL, "helper starts");
	if (ft == NULL)
		return;
	if ((fd = mkstemp(path)) != -1) {
		if (write(fd, "plain text\n", 11) != 11)
			perror("write");
		close(fd);
	}
	is_int(filetype_guess(ft, path, type, charset, &f), 0, "guess");
	is_str(type, "text/plain", "text/plain");
	is_str(charset, "us-ascii", "us-ascii");
	unlink(path);
	filetype_close(ft);
}

/* Kills the test's children (the helper) from SIGALRM. */
static void
kill_children(int sig)
{
	char path[64], buf[256], *p, *end;
	long pid;
	ssize_t n;
	int fd;

	(void)sig;
	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)getpid());
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; (pid = strtol(p, &end, 10)) > 0; p = end)
		kill((pid_t)pid, SIGKILL);
}

/*
 * The helper dies before its first answer: $MAGIC names a FIFO nobody
 * writes, so the helper blocks in magic_load() (it cannot have answered)
 * until SIGALRM kills it.  The parent must report that, not a stale
 * reply buffer (painted with "err ..." first).
 */
static void
test_helper_dies(void)
{
	struct sigaction sa;
	struct filetype *ft;
	struct failure f;
	char fifo[64];

	snprintf(fifo, sizeof(fifo), "/tmp/test_filetype.%ld.fifo",
	    (long)getpid());
	if (mkfifo(fifo, 0600) == -1) {
		perror(fifo);
		exit(1);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kill_children;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	setenv("MAGIC", fifo, 1);
	fflush(stdout);
	alarm(1);
	paint_stack();
	ft = filetype_open(&f);
	alarm(0);
	unsetenv("MAGIC");
	unlink(fifo);
	ok(ft == NULL, "a helper that dies before answering: open fails");
	is_str(f.text, "libmagic: the helper process failed",
	    "the text says so (no stale buffer)");
	if (ft != NULL)
		filetype_close(ft);
}

int
main(void)
{
	test_guess();
	test_helper_dies();
	return done_testing();
}
