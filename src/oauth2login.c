/*
 * oauth2login.c — outbox --oauth2-login: RFC 8628 (device authorization
 * grant: show the code, poll at the server's interval) or RFC 6749 4.1
 * with RFC 7636 PKCE and the RFC 8252 7.3 loopback redirect: a listener
 * on 127.0.0.1 at a port the kernel picks; the address the browser is
 * sent back to is also accepted pasted on stdin, for a machine without
 * a browser.  The state parameter is checked (RFC 6749 10.12).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "credentials.h"
#include "log.h"
#include "oauth2.h"
#include "oauth2login.h"
#include "xmalloc.h"

/* The browser's request line and headers we read, at most. */
#define REDIRECT_REQ_MAX	8192
/* How long one browser connection may take to send its request. */
#define REDIRECT_READ_TIMEOUT	10	/* seconds */

/* What came back on the redirect: strings owned. */
struct redirect {
	char *code;
	char *state;
	char *error;
};

static void
redirect_free(struct redirect *r)
{
	if (r->code != NULL)
		freezero(r->code, strlen(r->code) + 1);
	free(r->state);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes (and '+' to space) s[0..n) into a new string. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			*o++ = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/*
 * The query of a redirect target ("/?code=..&state=.." or the whole URL)
 * into r.  1 when it holds a code or an error, else 0.
 */
static int
redirect_parse(const char *target, size_t len, struct redirect *r)
{
	const char *q = memchr(target, '?', len), *end = target + len, *amp;
	const char *eq;
	char **slot;

	memset(r, 0, sizeof(*r));
	if (q == NULL)
		return 0;
	for (q++; q < end; q = amp + 1) {
		if ((amp = memchr(q, '&', (size_t)(end - q))) == NULL)
			amp = end;
		eq = memchr(q, '=', (size_t)(amp - q));
		slot = NULL;
		if (eq != NULL && eq - q == 4 && strncmp(q, "code", 4) == 0)
			slot = &r->code;
		else if (eq != NULL && eq - q == 5 &&
		    strncmp(q, "state", 5) == 0)
			slot = &r->state;
		else if (eq != NULL && eq - q == 5 &&
		    strncmp(q, "error", 5) == 0)
			slot = &r->error;
		if (slot != NULL && *slot == NULL)
			*slot = pct_decode(eq + 1, (size_t)(amp - eq - 1));
		if (amp == end)
			break;
	}
	return r->code != NULL || r->error != NULL;
}

/* 127.0.0.1 on a port the kernel picks; the descriptor, its port. */
static int
listen_loopback(int *port, struct failure *f)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return failure_set(f, F_OS, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return failure_set(f, F_OS, "listening on 127.0.0.1: %s",
		    strerror(errno));
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
send_all(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* One browser connection: 1 with r filled, 0 for another request. */
static int
redirect_accept(int lfd, struct redirect *r)
{
	struct timeval tv = { REDIRECT_READ_TIMEOUT, 0 };
	char req[REDIRECT_REQ_MAX + 1];
	size_t len = 0;
	ssize_t n;
	char *sp, *sp2;
	int fd, got = 0;

	memset(r, 0, sizeof(*r));
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The request line is enough; read until the headers end. */
	while (len < REDIRECT_REQ_MAX) {
		n = recv(fd, req + len, REDIRECT_REQ_MAX - len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n"))
			break;
	}
	req[len] = '\0';
	if (strncmp(req, "GET ", 4) == 0 && (sp = req + 4) != NULL &&
	    (sp2 = strchr(sp, ' ')) != NULL)
		got = redirect_parse(sp, (size_t)(sp2 - sp), r);
	if (got)
		send_all(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
		    "charset=utf-8\r\nConnection: close\r\n\r\noutbox: "
		    "the login is complete; you may close this window.\n");
	else
		send_all(fd, "HTTP/1.0 404 Not Found\r\nConnection: close"
		    "\r\n\r\n");
	explicit_bzero(req, sizeof(req));
	close(fd);
	return got;
}

/*
 * Waits for the redirect on lfd or a pasted address on stdin, at most
 * OAUTH2_LOGIN_WAIT seconds.
 */
static int
redirect_wait(int lfd, struct redirect *r, struct failure *f)
{
	struct pollfd pfd[2];
	time_t deadline = time(NULL) + OAUTH2_LOGIN_WAIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int use_stdin = 1, nfd;

	for (;;) {
		long left = (long)(deadline - time(NULL));

		if (left <= 0)
			return failure_set(f, F_TEMP, "OAuth2 login: no "
			    "answer from the browser within %d s",
			    OAUTH2_LOGIN_WAIT);
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = STDIN_FILENO;
		pfd[1].events = POLLIN;
		nfd = use_stdin ? 2 : 1;
		if (poll(pfd, (nfds_t)nfd, (int)(left * 1000)) == -1) {
			if (errno == EINTR)
				continue;
			return failure_set(f, F_OS, "poll: %s",
			    strerror(errno));
		}
		if (pfd[0].revents & POLLIN) {
			if (redirect_accept(lfd, r))
				break;
			redirect_free(r);
		}
		if (use_stdin && (pfd[1].revents & (POLLIN | POLLHUP))) {
			if ((n = getline(&line, &cap, stdin)) <= 0) {
				use_stdin = 0;	/* EOF: the browser only */
				continue;
			}
			while (n > 0 && (line[n - 1] == '\n' ||
			    line[n - 1] == '\r' || line[n - 1] == ' '))
				line[--n] = '\0';
			if (redirect_parse(line, (size_t)n, r))
				break;
			redirect_free(r);
			fprintf(stderr, "outbox: that is not the address the "
			    "browser was sent to (it has ?code=...); try "
			    "again\n");
		}
	}
	if (line != NULL)
		freezero(line, cap);
	return 0;
}

static int
login_code(const struct server *s, struct oauth2_tokens *t,
    struct failure *f)
{
	char verifier[64], challenge[64], state[32], redirect[64], *url;
	struct redirect r;
	int lfd, port = 0, rc;

	memset(&r, 0, sizeof(r));
	if ((lfd = listen_loopback(&port, f)) == -1)
		return -1;
	snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%d/", port);
	oauth2_pkce(verifier, challenge);
	oauth2_random_state(state);
	if ((url = oauth2_auth_request_url(&s->oauth2, redirect, state,
	    challenge, f)) == NULL) {
		close(lfd);
		return -1;
	}
	printf("Open this address in a web browser and log in:\n\n"
	    "  %s\n\n"
	    "outbox waits for the browser at %s (for %d s).\n"
	    "Without a browser here: open it on another machine, then "
	    "paste below the\naddress the browser ends up at (it starts "
	    "with %s?).\n", url, redirect, OAUTH2_LOGIN_WAIT, redirect);
	fflush(stdout);
	free(url);
	rc = redirect_wait(lfd, &r, f);
	close(lfd);
	if (rc == -1)
		return -1;
	if (r.state == NULL || strcmp(r.state, state) != 0) {
		redirect_free(&r);
		return failure_set(f, F_AUTH, "OAuth2 login: the answer's "
		    "state does not match this login's; start again");
	}
	if (r.error != NULL || r.code == NULL) {
		char e[128];

		log_vis(e, sizeof(e), r.error ? r.error : "", r.error ?
		    strlen(r.error) : 0);
		redirect_free(&r);
		return failure_set(f, F_AUTH, "OAuth2 login: the provider "
		    "refused: %s", e);
	}
	rc = oauth2_exchange_code(&s->oauth2, s->timeout, r.code, verifier,
	    redirect, t, f);
	explicit_bzero(verifier, sizeof(verifier));
	redirect_free(&r);
	return rc;
}

static int
login_device(const struct server *s, struct oauth2_tokens *t,
    struct failure *f)
{
	struct oauth2_device d;
	struct timespec nap;
	long long deadline;
	int rc;

	if (oauth2_device_start(&s->oauth2, s->timeout, &d, f) == -1)
		return -1;
	printf("To log in, open %s in a web browser and enter the code\n\n"
	    "  %s\n\n", d.verification_uri, d.user_code);
	if (d.verification_uri_complete != NULL)
		printf("(or open %s)\n", d.verification_uri_complete);
	printf("outbox waits until the login is done.\n");
	fflush(stdout);
	deadline = d.expires_at;
	if (deadline > (long long)time(NULL) + OAUTH2_LOGIN_WAIT)
		deadline = (long long)time(NULL) + OAUTH2_LOGIN_WAIT;
	for (;;) {
		/* RFC 8628 3.5: wait the interval before each poll. */
		nap.tv_sec = d.interval;
		nap.tv_nsec = 0;
		while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
			;
		if ((long long)time(NULL) >= deadline) {
			oauth2_device_free(&d);
			return failure_set(f, F_AUTH, "OAuth2 device login: "
			    "not finished in time; run --oauth2-login again");
		}
		if ((rc = oauth2_device_poll(&s->oauth2, s->timeout, &d, t,
		    f)) != 1)
			break;
		log_info("OAuth2: waiting for the login (next poll in %d s)",
		    d.interval);
	}
	oauth2_device_free(&d);
	return rc;
}

int
oauth2login_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f)
{
	struct oauth2_endpoints e;
	struct oauth2_tokens t;
	struct settings set;
	char where[PATH_MAX];
	int rc;

	(void)rep;
	if (config_settings(cfg, o->account, &set, f) == -1)
		return -1;
	if (set.smtp.oauth2.provider == OAUTH2_PROVIDER_NONE &&
	    set.smtp.oauth2.token_url == NULL)
		return failure_set(f, F_CONFIG, "--oauth2-login: no OAuth2 "
		    "client configured%s%s; set oauth2-provider and "
		    "oauth2-client-id (see outboxrc(5))", o->account ?
		    " for account " : "", o->account ? o->account : "");
	if (oauth2_endpoints(&set.smtp.oauth2, &e, f) == -1)
		return -1;
	/* Tokens are about to be held: no core file, no ptrace. */
	credentials_protect();
	memset(&t, 0, sizeof(t));
	if (e.device_url != NULL)
		rc = login_device(&set.smtp, &t, f);
	else
		rc = login_code(&set.smtp, &t, f);
	if (rc == 0)
		rc = oauth2_store_tokens(&set.smtp.oauth2, set.smtp.timeout,
		    &t, f);
	oauth2_tokens_free(&t);
	if (rc == -1)
		return -1;
	if (set.smtp.oauth2.store_cmd != NULL)
		strlcpy(where, "oauth2-token-store-cmd", sizeof(where));
	else if (oauth2_store_path(&set.smtp.oauth2, where, sizeof(where),
	    f) == -1)
		return -1;
	printf("Logged in: the tokens of account %s are in %s.\n",
	    o->account ? o->account : "default", where);
	return 0;
}
