/*
 * credentials.c — the SMTP password: smtp-password, else the first line
 * printed by smtp-password-cmd (msmtp's passwordeval), else a prompt on
 * /dev/tty.  Every buffer that held the secret is wiped.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <readpassphrase.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credentials.h"
#include "xmalloc.h"

/*
 * Longest password kept: OAuth tokens run to a few KiB, and the command
 * buffer of smtp.c (8 KiB) must hold its base64 form.
 */
#define SECRET_MAX	4096

/* Reads the command's output, keeping the first line in buf. */
static size_t
read_first_line(int fd, char *buf, size_t bufsz, int *toolong)
{
	char chunk[512];
	size_t len = 0;
	ssize_t n;
	int done = 0;

	*toolong = 0;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Drain past the first line so the child never blocks. */
		if (!done) {
			char *nl = memchr(chunk, '\n', (size_t)n);
			size_t take = nl != NULL ? (size_t)(nl - chunk) :
			    (size_t)n;

			if (len + take >= bufsz) {
				*toolong = 1;
				take = bufsz - 1 - len;
			}
			memcpy(buf + len, chunk, take);
			len += take;
			if (nl != NULL || *toolong)
				done = 1;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return len;
}

/* Runs cmd with /bin/sh -c; its stdin is /dev/null, stdout a pipe. */
static char *
credentials_run(const char *cmd, struct failure *f)
{
	char buf[SECRET_MAX + 1];
	size_t len;
	pid_t pid;
	int fds[2], status, toolong, devnull;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return failure_set(f, F_OS, "smtp-password-cmd: pipe: %s",
		    strerror(errno)), NULL;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return failure_set(f, F_OS, "smtp-password-cmd: fork: %s",
		    strerror(errno)), NULL;
	}
	if (pid == 0) {
		/* The child: stdin is the message, so it must not read it. */
		if ((devnull = open("/dev/null", O_RDONLY)) != -1)
			dup2(devnull, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	len = read_first_line(fds[0], buf, sizeof(buf), &toolong);
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			explicit_bzero(buf, sizeof(buf));
			return failure_set(f, F_OS, "smtp-password-cmd: "
			    "waitpid: %s", strerror(errno)), NULL;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len == 0 ||
	    toolong) {
		explicit_bzero(buf, sizeof(buf));
		/* Name the status, never the output: it may be the secret. */
		if (WIFSIGNALED(status))
			failure_set(f, F_CONFIG, "smtp-password-cmd was killed "
			    "by signal %d", WTERMSIG(status));
		else if (WEXITSTATUS(status) != 0)
			failure_set(f, F_CONFIG, "smtp-password-cmd failed "
			    "with exit status %d", WEXITSTATUS(status));
		else if (toolong)
			failure_set(f, F_CONFIG, "smtp-password-cmd printed a "
			    "line longer than %d bytes", SECRET_MAX);
		else
			failure_set(f, F_CONFIG, "smtp-password-cmd printed "
			    "no password");
		return NULL;
	}
	{
		char *secret = xstrndup(buf, len);

		explicit_bzero(buf, sizeof(buf));
		return secret;
	}
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

char *
credentials_get(const struct server *s, struct failure *f)
{
	char *secret;
	int asked;

	if (s->password != NULL)
		return xstrdup(s->password);
	if (s->password_cmd != NULL)
		return credentials_run(s->password_cmd, f);
	if ((secret = credentials_prompt(s, &asked)) != NULL)
		return secret;
	if (asked)
		return failure_set(f, F_AUTH, "no password given for %s@%s",
		    s->user != NULL ? s->user : "", s->host != NULL ?
		    s->host : ""), NULL;
	return failure_set(f, F_AUTH, "no password for %s@%s and no terminal "
	    "to ask on; set %s-password-cmd in the config",
	    s->user != NULL ? s->user : "", s->host != NULL ? s->host : "",
	    s->name != NULL ? s->name : "smtp"), NULL;
}

void
credentials_free(char *secret)
{
	if (secret == NULL)
		return;
	freezero(secret, strlen(secret) + 1);
}
