/*
 * credentials.c — the SMTP password: smtp-password, else the first line
 * printed by smtp-password-cmd (msmtp's passwordeval), else a prompt on
 * /dev/tty.  Every buffer that held the secret is wiped.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <readpassphrase.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "credentials.h"
#include "log.h"
#include "oauth2.h"
#include "xmalloc.h"

/*
 * Longest password kept: OAuth tokens run to a few KiB, and the command
 * buffer of smtp.c (8 KiB) must hold its base64 form.
 */
#define SECRET_MAX	4096

/*
 * The helper's budget: it must print its line and exit within the
 * configured timeout (the same seconds a server gets per reply); when it
 * runs over, its whole process group is killed, so a grandchild holding
 * the pipe cannot keep outbox (and a flush's queue lock) waiting.
 */

/* Milliseconds on the monotonic clock. */
static long
credentials_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * /dev/tty when our process group holds the terminal's foreground, else
 * -1: the helper runs in its own group and gets the foreground for its
 * run, so one that asks on the terminal is not stopped by SIGTTIN.
 */
static int
credentials_tty_open(void)
{
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	if (tcgetpgrp(fd) != getpgrp()) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Gives the terminal's foreground to pgrp (SIGTTOU ignored meanwhile). */
static void
credentials_tty_give(int tty, pid_t pgrp)
{
	struct sigaction ign, old;

	if (tty == -1)
		return;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGTTOU, &ign, &old);
	(void)tcsetpgrp(tty, pgrp);
	sigaction(SIGTTOU, &old, NULL);
}

/* The helper's state while it runs. */
struct helper {
	pid_t pid;
	int out;		/* read end of its stdout; -1 once closed */
	int pidfd;		/* readable once it exited; -1 if unavailable */
	int status;
	int reaped;
	char *buf;		/* SECRET_MAX + 1 bytes */
	size_t len;
	int line;		/* a whole first line is in buf */
	int toolong;
};

/*
 * Appends what the pipe has, up to the first line end.  1 while more may
 * come; 0 at the line end, end of file, an error, or (non-blocking) an
 * empty pipe.
 */
static int
helper_read(struct helper *h)
{
	char chunk[512], *nl;
	size_t take;
	ssize_t n;

	do
		n = read(h->out, chunk, sizeof(chunk));
	while (n == -1 && errno == EINTR);
	if (n <= 0)		/* end of file, error, or drained */
		return 0;
	nl = memchr(chunk, '\n', (size_t)n);
	take = nl != NULL ? (size_t)(nl - chunk) : (size_t)n;
	if (h->len + take > SECRET_MAX) {
		h->toolong = 1;
		take = SECRET_MAX - h->len;
	}
	memcpy(h->buf + h->len, chunk, take);
	h->len += take;
	explicit_bzero(chunk, sizeof(chunk));
	if (nl != NULL || h->toolong)
		h->line = 1;
	return !h->line;
}

/* Reaps the helper without blocking; 1 once it is reaped. */
static int
helper_reap(struct helper *h)
{
	pid_t r;

	if (h->reaped)
		return 1;
	while ((r = waitpid(h->pid, &h->status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (r == h->pid || (r == -1 && errno == ECHILD))
		h->reaped = 1;
	return h->reaped;
}

/*
 * Reads the first line and waits for the helper's exit, both by deadline
 * (ms).  Stops reading at the first line end and closes the pipe: what
 * follows is never read, and a writer gets EPIPE.  Once the helper has
 * exited, what it left in the pipe is read without waiting for an end of
 * file that a grandchild holding stdout may never give.  0, or -1 when
 * the deadline passed first.
 */
static int
helper_wait(struct helper *h, long deadline)
{
	struct pollfd pfd[2];
	nfds_t n;
	long left;
	int r;

	for (;;) {
		if (h->out != -1 && h->line) {
			close(h->out);
			h->out = -1;
		}
		if (helper_reap(h)) {
			/* Exited: take what it wrote, then stop. */
			if (h->out != -1) {
				(void)fcntl(h->out, F_SETFL, O_NONBLOCK);
				while (helper_read(h) && !h->line)
					;
				close(h->out);
				h->out = -1;
			}
			return 0;
		}
		if ((left = deadline - credentials_now_ms()) <= 0)
			return -1;
		n = 0;
		if (h->out != -1) {
			pfd[n].fd = h->out;
			pfd[n++].events = POLLIN;
		}
		if (h->pidfd != -1) {
			pfd[n].fd = h->pidfd;
			pfd[n++].events = POLLIN;
		} else if (left > 100)
			left = 100;	/* no pidfd: look for its exit often */
		r = poll(pfd, n, left > INT_MAX ? INT_MAX : (int)left);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r > 0 && h->out != -1 && pfd[0].revents != 0 &&
		    !helper_read(h) && !h->line) {
			close(h->out);	/* end of file */
			h->out = -1;
		}
	}
}

/* Kills the helper's process group and reaps the helper. */
static void
helper_kill(struct helper *h)
{
	(void)kill(-h->pid, SIGKILL);
	(void)kill(h->pid, SIGKILL);
	while (!h->reaped) {
		if (waitpid(h->pid, &h->status, 0) == h->pid ||
		    errno != EINTR)
			h->reaped = 1;
	}
}

/* The child: own process group, stdin /dev/null, stdout the pipe. */
static void __attribute__((noreturn))
helper_exec(const char *cmd, int out, int tty)
{
	int devnull;

	(void)setpgid(0, 0);
	credentials_tty_give(tty, getpid());
	/* stdin is the message, so the helper must not read it. */
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1)
		dup2(devnull, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/*
 * 1 when status is a death by SIGPIPE, or a shell's report of one (128 +
 * the signal): after a whole first line outbox closed the pipe, so a
 * helper still writing dies of it, and that is no failure of the helper.
 */
static int
helper_sigpipe(int status)
{
	return (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGPIPE);
}

/* The failure for a helper that gave no usable password. */
static void
helper_failed(const struct helper *h, const char *key, int killed,
    struct failure *f)
{
	/* Name the status, never the output: it may be the secret. */
	if (h->toolong)
		failure_set(f, F_CONFIG, "%s printed a "
		    "line longer than %d bytes", key, SECRET_MAX);
	else if (killed)
		failure_set(f, F_CONFIG, "%s printed "
		    "no password", key);
	else if (WIFSIGNALED(h->status))
		failure_set(f, F_CONFIG, "%s was killed "
		    "by signal %d", key, WTERMSIG(h->status));
	else if (WEXITSTATUS(h->status) != 0)
		failure_set(f, F_CONFIG, "%s failed "
		    "with exit status %d", key, WEXITSTATUS(h->status));
	else
		failure_set(f, F_CONFIG, "%s printed "
		    "no password", key);
}

/*
 * Runs cmd (the value of key, e.g. "smtp-password-cmd", for messages)
 * with /bin/sh -c in its own process group, and takes the first
 * line it prints within timeout seconds.  A helper that printed a whole
 * line and then lingers is killed at the deadline and its line used; one
 * that printed none by then is killed and fails.
 */
static char *
credentials_run(const char *key, const char *cmd, int timeout,
    struct failure *f)
{
	char buf[SECRET_MAX + 1], *secret = NULL;
	struct helper h;
	int fds[2], tty, late;

	memset(&h, 0, sizeof(h));
	h.buf = buf;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return failure_set(f, F_OS, "%s: pipe: %s", key,
		    strerror(errno)), NULL;
	tty = credentials_tty_open();
	if ((h.pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		if (tty != -1)
			close(tty);
		return failure_set(f, F_OS, "%s: fork: %s", key,
		    strerror(errno)), NULL;
	}
	if (h.pid == 0)
		helper_exec(cmd, fds[1], tty);
	/* Both sides set the group, so neither order of events races. */
	(void)setpgid(h.pid, h.pid);
	credentials_tty_give(tty, h.pid);
	close(fds[1]);
	h.out = fds[0];
	h.pidfd = (int)syscall(SYS_pidfd_open, h.pid, 0);
	late = helper_wait(&h, credentials_now_ms() +
	    (long)(timeout > 0 ? timeout : CONFIG_TIMEOUT_DEFAULT) * 1000);
	if (late)
		helper_kill(&h);
	credentials_tty_give(tty, getpgrp());
	if (tty != -1)
		close(tty);
	if (h.out != -1)
		close(h.out);
	if (h.pidfd != -1)
		close(h.pidfd);
	if (h.len > 0 && buf[h.len - 1] == '\r')
		h.len--;
	buf[h.len] = '\0';
	if (late && !h.line)
		failure_set(f, F_CONFIG, "%s printed no "
		    "password within %d seconds (timeout); killed it",
		    key, timeout);
	else if (h.len == 0 || h.toolong || !(late ||
	    (WIFEXITED(h.status) && WEXITSTATUS(h.status) == 0) ||
	    (h.line && helper_sigpipe(h.status))))
		helper_failed(&h, key, late, f);
	else {
		/* A whole line, or all it printed before a clean exit. */
		if (late)
			log_warnx("%s was still running after %d "
			    "seconds; killed it", key, timeout);
		secret = xstrndup(buf, h.len);
	}
	explicit_bzero(buf, sizeof(buf));
	return secret;
}

/* Asks on /dev/tty; NULL with *asked = 0 when there is no terminal. */
static char *
credentials_prompt(const struct server *s, int *asked)
{
	char prompt[600], buf[SECRET_MAX + 1];
	char *secret;
	int fd;

	*asked = 0;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return NULL;
	close(fd);
	*asked = 1;
	if (s->user != NULL)
		snprintf(prompt, sizeof(prompt), "Password for %s@%s: ",
		    s->user, s->host != NULL ? s->host : "localhost");
	else
		snprintf(prompt, sizeof(prompt), "Password for %s: ",
		    s->host != NULL ? s->host : "localhost");
	if (readpassphrase(prompt, buf, sizeof(buf), RPP_REQUIRE_TTY) == NULL ||
	    buf[0] == '\0') {
		explicit_bzero(buf, sizeof(buf));
		return NULL;
	}
	secret = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return secret;
}

void
credentials_protect(void)
{
	struct rlimit rl;

	/* No core file, no ptrace by the same user, no /proc/PID/mem. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur != 0) {
		rl.rlim_cur = 0;
		(void)setrlimit(RLIMIT_CORE, &rl);
	}
}

char *
credentials_get(const struct server *s, struct failure *f)
{
	const char *name = s->name != NULL ? s->name : "smtp";
	char key[64], *secret;
	int asked;

	/* Refuse before any command runs or any prompt shows. */
	if (s->security == SEC_NONE)
		return failure_set(f, F_PERM, "AUTH: refusing to send "
		    "credentials without TLS (%s-security=none)", name), NULL;
	credentials_protect();
	/* OAuth2: the secret is an access token outbox keeps fresh. */
	if (oauth2_enabled(s))
		return oauth2_access_token(&s->oauth2, s->timeout, NULL, f);
	if (s->password != NULL)
		return xstrdup(s->password);
	if (s->password_cmd != NULL) {
		snprintf(key, sizeof(key), "%s-password-cmd", name);
		return credentials_run(key, s->password_cmd, s->timeout, f);
	}
	if ((secret = credentials_prompt(s, &asked)) != NULL)
		return secret;
	if (asked)
		return failure_set(f, F_AUTH, "no password given for %s@%s",
		    s->user != NULL ? s->user : "", s->host != NULL ?
		    s->host : ""), NULL;
	/* Nothing the server said: the config lacks a password source. */
	return failure_set(f, F_CONFIG, "no password for %s@%s and no "
	    "terminal to ask on; set %s-password-cmd in the config",
	    s->user != NULL ? s->user : "", s->host != NULL ? s->host : "",
	    name), NULL;
}

int
credentials_is_token(const struct server *s)
{
	return oauth2_enabled(s);
}

char *
credentials_renew(const struct server *s, const char *refused,
    struct failure *f)
{
	if (!oauth2_enabled(s))
		return failure_set(f, F_INTERNAL, "%s: not a token", __func__),
		    NULL;
	return oauth2_access_token(&s->oauth2, s->timeout, refused, f);
}

void
credentials_free(char *secret)
{
	if (secret == NULL)
		return;
	freezero(secret, strlen(secret) + 1);
}
