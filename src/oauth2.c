/*
 * oauth2.c — the OAuth2 token life cycle: RFC 6749 (the token endpoint,
 * the refresh_token and authorization_code grants, error codes 5.2),
 * RFC 7636 (PKCE, S256), RFC 8628 (the device authorization grant),
 * RFC 8252 (native apps: the loopback redirect URI the caller listens on).
 *
 * Requests go through libcurl, HTTPS only, verified against the system's
 * trust store (or oauth2-ca-file), each under the configured time-out,
 * never verbose; secrets travel in POST bodies, whose buffers are wiped.
 * libcurl is not linked: it is dlopen()ed when a request is made, so that
 * a send without OAuth2 (or with a cached token) does not map libcurl and
 * the thirty-odd libraries it needs.  <curl/curl.h> gives only the types
 * and constants.
 * The store is a small JSON object {refresh_token, access_token,
 * expires_at}, kept 0600 in $XDG_STATE_HOME/outbox/oauth2/ACCOUNT (or
 * handed to and read from the configured commands), refreshed under an
 * flock(2) on ACCOUNT.lock beside it.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "atomic.h"
#include "dynlib.h"
#include "log.h"
#include "oauth2.h"
#include "xmalloc.h"

/* A token endpoint's answer is a few KiB; a runaway one is an error. */
#define RESPONSE_MAX	(64 * 1024)
/* The store, and what oauth2-token-load-cmd prints. */
#define STORE_MAX	(64 * 1024)
/* A client secret from oauth2-client-secret-cmd. */
#define SECRET_LINE_MAX	4096
/* RFC 8628 3.5: slow_down adds 5 seconds to the interval. */
#define SLOW_DOWN_STEP	5
/* RFC 8628 3.2: the interval when the server names none. */
#define DEVICE_INTERVAL_DEFAULT	5
/* An access token without expires_in: assume an hour (Google's). */
#define EXPIRES_IN_DEFAULT	3600
/* How often the lock is tried while another process holds it. */
#define LOCK_POLL_MS	50
/* libcurl's soname: Debian's libcurl4 (OpenSSL or GnuTLS flavour). */
#define CURL_SONAME	"libcurl.so.4"

#define GOOGLE_AUTH	"https://accounts.google.com/o/oauth2/v2/auth"
#define GOOGLE_TOKEN	"https://oauth2.googleapis.com/token"
#define GOOGLE_SCOPE	"https://mail.google.com/"
#define MS_BASE		"https://login.microsoftonline.com/"
#define MS_SCOPE	"https://outlook.office.com/SMTP.Send " \
			"https://outlook.office.com/POP.AccessAsUser.All " \
			"offline_access"

/* A growing buffer with a maximum; wiped when freed. */
struct buf {
	char *p;
	size_t len, cap, max;
	int over;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	size_t cap;
	char *np;

	if (b->over || b->len + n + 1 > b->max) {
		b->over = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		/* Not realloc: the old copy may hold a token. */
		np = xmalloc(cap);
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			freezero(b->p, b->cap);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_free(struct buf *b)
{
	if (b->p != NULL)
		freezero(b->p, b->cap);
	memset(b, 0, sizeof(*b));
}

int
oauth2_enabled(const struct server *s)
{
	if (s->auth != AUTH_XOAUTH2 && s->auth != AUTH_OAUTHBEARER)
		return 0;
	return s->oauth2.provider != OAUTH2_PROVIDER_NONE ||
	    s->oauth2.token_url != NULL;
}

static int
https_only(const char *key, const char *url, struct failure *f)
{
	if (url != NULL && strncmp(url, "https://", 8) != 0)
		return failure_set(f, F_CONFIG, "%s: only https:// URLs are "
		    "accepted", key);
	return 0;
}

int
oauth2_endpoints(const struct oauth2_conf *c, struct oauth2_endpoints *e,
    struct failure *f)
{
	const char *tenant = c->tenant != NULL ? c->tenant : "common";

	memset(e, 0, sizeof(*e));
	switch (c->provider) {
	case OAUTH2_PROVIDER_GOOGLE:
		e->auth_url = GOOGLE_AUTH;
		e->token_url = GOOGLE_TOKEN;
		e->scope = GOOGLE_SCOPE;
		break;
	case OAUTH2_PROVIDER_MICROSOFT:
		if (strpbrk(tenant, "/?#&% ") != NULL)
			return failure_set(f, F_CONFIG, "oauth2-tenant: not a "
			    "tenant name or id");
		snprintf(e->auth_buf, sizeof(e->auth_buf),
		    MS_BASE "%s/oauth2/v2.0/authorize", tenant);
		snprintf(e->token_buf, sizeof(e->token_buf),
		    MS_BASE "%s/oauth2/v2.0/token", tenant);
		snprintf(e->device_buf, sizeof(e->device_buf),
		    MS_BASE "%s/oauth2/v2.0/devicecode", tenant);
		e->auth_url = e->auth_buf;
		e->token_url = e->token_buf;
		e->device_url = e->device_buf;
		e->scope = MS_SCOPE;
		break;
	case OAUTH2_PROVIDER_NONE:
	case OAUTH2_PROVIDER_CUSTOM:
		break;
	}
	if (c->auth_url != NULL)
		e->auth_url = c->auth_url;
	if (c->token_url != NULL)
		e->token_url = c->token_url;
	if (c->device_url != NULL)
		e->device_url = c->device_url;
	if (c->scope != NULL)
		e->scope = c->scope;
	if (e->token_url == NULL)
		return failure_set(f, F_CONFIG, "OAuth2: no token endpoint; "
		    "set oauth2-provider or oauth2-token-url");
	if (https_only("oauth2-auth-url", e->auth_url, f) == -1 ||
	    https_only("oauth2-token-url", e->token_url, f) == -1 ||
	    https_only("oauth2-device-url", e->device_url, f) == -1)
		return -1;
	return 0;
}

/*
 * Commands (oauth2-client-secret-cmd, -token-load-cmd, -token-store-cmd)
 */

/*
 * Runs cmd with /bin/sh -c, input (or nothing) on its stdin, its stdout
 * into out (at most max bytes) when out is not NULL, killed after
 * timeout seconds.  key names it in messages, never its output.
 */
static int
run_cmd(const char *key, const char *cmd, const char *input, int timeout,
    struct buf *out, struct failure *f)
{
	int in[2], outp[2], status, rc = 0, killed = 0;
	struct pollfd pfd[2];
	size_t inlen = input ? strlen(input) : 0, inoff = 0;
	struct timespec start, now;
	char chunk[1024];
	ssize_t n;
	pid_t pid;
	long left;

	if (pipe2(in, O_CLOEXEC) == -1)
		return failure_set(f, F_OS, "%s: pipe: %s", key,
		    strerror(errno));
	if (pipe2(outp, O_CLOEXEC) == -1) {
		close(in[0]);
		close(in[1]);
		return failure_set(f, F_OS, "%s: pipe: %s", key,
		    strerror(errno));
	}
	if ((pid = fork()) == -1) {
		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		return failure_set(f, F_OS, "%s: fork: %s", key,
		    strerror(errno));
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(outp[1], STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	if (inlen == 0) {
		close(in[1]);
		in[1] = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (outp[0] != -1 || in[1] != -1) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout * 1000L - ((now.tv_sec - start.tv_sec) * 1000L +
		    (now.tv_nsec - start.tv_nsec) / 1000000L);
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		pfd[0].fd = outp[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = in[1];
		pfd[1].events = POLLOUT;
		if (poll(pfd, 2, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (in[1] != -1 && (pfd[1].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			n = write(in[1], input + inoff, inlen - inoff);
			if (n > 0)
				inoff += (size_t)n;
			if (n <= 0 || inoff == inlen) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (outp[0] != -1 && (pfd[0].revents & (POLLIN | POLLERR |
		    POLLHUP))) {
			n = read(outp[0], chunk, sizeof(chunk));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(outp[0]);
				outp[0] = -1;
			} else if (out != NULL)
				buf_add(out, chunk, (size_t)n);
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (outp[0] != -1)
		close(outp[0]);
	if (in[1] != -1)
		close(in[1]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return failure_set(f, F_OS, "%s: waitpid: %s", key,
			    strerror(errno));
	if (killed)
		rc = failure_set(f, F_CONFIG, "%s did not finish within %d s",
		    key, timeout);
	else if (WIFSIGNALED(status))
		rc = failure_set(f, F_CONFIG, "%s was killed by signal %d",
		    key, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		rc = failure_set(f, F_CONFIG, "%s failed with exit status %d",
		    key, WEXITSTATUS(status));
	else if (out != NULL && out->over)
		rc = failure_set(f, F_CONFIG, "%s printed more than %zu bytes",
		    key, out->max);
	return rc;
}

/* The client secret, when one is configured: *secret (freezero). */
static int
client_secret(const struct oauth2_conf *c, int timeout, char **secret,
    struct failure *f)
{
	struct buf out = { .max = SECRET_LINE_MAX };
	size_t len;

	*secret = NULL;
	if (c->client_secret != NULL) {
		*secret = xstrdup(c->client_secret);
		return 0;
	}
	if (c->client_secret_cmd == NULL)
		return 0;
	if (run_cmd("oauth2-client-secret-cmd", c->client_secret_cmd, NULL,
	    timeout, &out, f) == -1) {
		buf_free(&out);
		return -1;
	}
	len = out.p != NULL ? strcspn(out.p, "\r\n") : 0;
	if (len == 0) {
		buf_free(&out);
		return failure_set(f, F_CONFIG, "oauth2-client-secret-cmd "
		    "printed no secret");
	}
	*secret = xstrndup(out.p, len);
	buf_free(&out);
	return 0;
}

/*
 * HTTP
 */

/*
 * The libcurl functions used here, looked up in the library dlopen()ed
 * for one request; the signatures are curl.h's.
 */
struct curl_api {
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_perform)(CURL *);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void		 (*easy_cleanup)(CURL *);
	char		*(*easy_escape)(CURL *, const char *, int);
	void		 (*free)(void *);
	const char	*(*easy_strerror)(CURLcode);
};

/* One request's handle, with the functions to drive it. */
struct http {
	struct curl_api	 api;
	CURL		*h;
};

/*
 * Loads libcurl into a (dynlib.h).  It stays loaded: curl_easy_init()
 * initialises libcurl's global state once (curl_global_init) and nothing
 * here ever tears it down.  F_CONFIG when it cannot be loaded or lacks
 * a function, with dlerror()'s text.
 */
static int
curl_load(struct curl_api *a, struct failure *f)
{
	static struct dynlib lib = {
		CURL_SONAME, "libcurl4", "OAuth2 requests", NULL
	};
	static const char *const names[] = {
		"curl_easy_init", "curl_easy_setopt", "curl_easy_perform",
		"curl_easy_getinfo", "curl_easy_cleanup", "curl_easy_escape",
		"curl_free", "curl_easy_strerror",
	};
	void *fns[8];

	memset(a, 0, sizeof(*a));
	if (dynlib_load(&lib, names, fns, 8, f) == -1)
		return -1;
	a->easy_init = (__typeof__(a->easy_init))fns[0];
	a->easy_setopt = (__typeof__(a->easy_setopt))fns[1];
	a->easy_perform = (__typeof__(a->easy_perform))fns[2];
	a->easy_getinfo = (__typeof__(a->easy_getinfo))fns[3];
	a->easy_cleanup = (__typeof__(a->easy_cleanup))fns[4];
	a->easy_escape = (__typeof__(a->easy_escape))fns[5];
	a->free = (__typeof__(a->free))fns[6];
	a->easy_strerror = (__typeof__(a->easy_strerror))fns[7];
	return 0;
}

/* A handle for one request, libcurl loaded for it; http_close() it. */
static int
http_open(struct http *x, struct failure *f)
{
	memset(x, 0, sizeof(*x));
	if (curl_load(&x->api, f) == -1)
		return -1;
	if ((x->h = x->api.easy_init()) == NULL) {
		memset(x, 0, sizeof(*x));
		failure_set(f, F_OS, "OAuth2: cannot start libcurl");
		return -1;
	}
	return 0;
}

static void
http_close(struct http *x)
{
	if (x->h != NULL)
		x->api.easy_cleanup(x->h);
	memset(x, 0, sizeof(*x));
}

static size_t
http_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;

	buf_add(b, data, size * nmemb);
	/* Short count: curl stops with CURLE_WRITE_ERROR. */
	return b->over ? 0 : size * nmemb;
}

/* Appends "&name=value" (the value percent-encoded) to the form. */
static void
form_add(struct http *x, struct buf *form, const char *name,
    const char *value)
{
	char *esc;

	if (value == NULL)
		return;
	if (form->len > 0)
		buf_add(form, "&", 1);
	buf_add(form, name, strlen(name));
	buf_add(form, "=", 1);
	if ((esc = x->api.easy_escape(x->h, value, 0)) == NULL)
		log_fatalx("%s: curl_easy_escape failed", __func__);
	buf_add(form, esc, strlen(esc));
	explicit_bzero(esc, strlen(esc));
	x->api.free(esc);
}

static enum failure_kind
http_curl_kind(CURLcode cc)
{
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CONNECT_ERROR:
		return F_TLS;
	case CURLE_COULDNT_RESOLVE_HOST:
		return F_NOHOST;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return F_CONFIG;
	case CURLE_WRITE_ERROR:
		return F_PROTO;
	default:
		return F_TEMP;
	}
}

/*
 * Pulls the text of the "error" member (RFC 6749 5.2) of a JSON object,
 * made safe for a terminal, into buf; "" when none.
 */
static void
oauth_error_code(json_t *j, char *buf, size_t sz)
{
	const char *e = json_is_object(j) ?
	    json_string_value(json_object_get(j, "error")) : NULL;

	buf[0] = '\0';
	if (e != NULL)
		log_vis(buf, sz, e, strlen(e));
}

/*
 * POSTs form (client_id and client_secret added) to url and parses the
 * answer into *json.  Returns the HTTP status (200, 400 ...), or -1 with
 * f set: F_TEMP (network, time-out, 5xx), F_TLS, F_PROTO (no JSON object,
 * too long).  what names the request in messages.
 */
static long
http_post(const struct oauth2_conf *c, int timeout, const char *what,
    const char *url, struct http *x, struct buf *form, json_t **json,
    struct failure *f)
{
	struct buf resp = { .max = RESPONSE_MAX };
	char errbuf[CURL_ERROR_SIZE], *secret = NULL;
	json_error_t jerr;
	CURLcode cc;
	long status = 0;

	*json = NULL;
	if (https_only(what, url, f) == -1)
		return -1;
	form_add(x, form, "client_id", c->client_id);
	if (client_secret(c, timeout, &secret, f) == -1)
		return -1;
	form_add(x, form, "client_secret", secret);
	if (secret != NULL)
		freezero(secret, strlen(secret) + 1);
	if (form->over)
		return failure_set(f, F_INTERNAL, "%s: form too long", what);
	errbuf[0] = '\0';
	x->api.easy_setopt(x->h, CURLOPT_URL, url);
	x->api.easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "https");
	x->api.easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	x->api.easy_setopt(x->h, CURLOPT_TIMEOUT, (long)timeout);
	x->api.easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT, (long)timeout);
	x->api.easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 1L);
	x->api.easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		x->api.easy_setopt(x->h, CURLOPT_CAINFO, c->ca_file);
	x->api.easy_setopt(x->h, CURLOPT_POSTFIELDS, form->p);
	x->api.easy_setopt(x->h, CURLOPT_POSTFIELDSIZE, (long)form->len);
	x->api.easy_setopt(x->h, CURLOPT_WRITEFUNCTION, http_write);
	x->api.easy_setopt(x->h, CURLOPT_WRITEDATA, &resp);
	x->api.easy_setopt(x->h, CURLOPT_ERRORBUFFER, errbuf);
	x->api.easy_setopt(x->h, CURLOPT_USERAGENT, "outbox");
	log_info("OAuth2: %s: POST %s", what, url);
	cc = x->api.easy_perform(x->h);
	if (cc != CURLE_OK) {
		buf_free(&resp);
		if (cc == CURLE_WRITE_ERROR)
			return failure_set(f, F_PROTO, "%s: the answer is "
			    "longer than %d bytes", what, RESPONSE_MAX);
		return failure_set(f, http_curl_kind(cc), "%s: %s", what,
		    errbuf[0] != '\0' ? errbuf : x->api.easy_strerror(cc));
	}
	x->api.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	log_info("OAuth2: %s: HTTP %ld", what, status);
	if (status >= 500) {
		buf_free(&resp);
		return failure_set(f, F_TEMP, "%s: HTTP %ld from the token "
		    "endpoint; try again later", what, status);
	}
	*json = resp.p != NULL ? json_loadb(resp.p, resp.len, 0, &jerr) :
	    NULL;
	buf_free(&resp);
	if (*json == NULL || !json_is_object(*json)) {
		json_decref(*json);
		*json = NULL;
		return failure_set(f, F_PROTO, "%s: HTTP %ld without a JSON "
		    "object in the answer", what, status);
	}
	return status;
}

/* The string member name of j, or NULL. */
static const char *
jstr(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

/* "'outbox --oauth2-login -A NAME'" for c's account. */
static void
login_hint(const struct oauth2_conf *c, char *buf, size_t sz)
{
	if (c->account != NULL)
		snprintf(buf, sz, "run 'outbox --oauth2-login -A %s'",
		    c->account);
	else
		snprintf(buf, sz, "run 'outbox --oauth2-login'");
}

/*
 * The failure an error answer of the token endpoint means: invalid_grant
 * (a revoked or expired refresh token or code) asks for a new login.
 */
static int
token_error(const struct oauth2_conf *c, const char *what, long status,
    json_t *j, struct failure *f)
{
	char code[128], hint[300];

	oauth_error_code(j, code, sizeof(code));
	if (strcmp(code, "invalid_grant") == 0) {
		login_hint(c, hint, sizeof(hint));
		return failure_set(f, F_AUTH, "%s: the OAuth2 grant was "
		    "refused (invalid_grant: revoked or expired): %s", what,
		    hint);
	}
	if (code[0] == '\0')
		return failure_set(f, F_PROTO, "%s: HTTP %ld without an "
		    "access token or an error code", what, status);
	return failure_set(f, F_AUTH, "%s: the token endpoint answered %s "
	    "(HTTP %ld)", what, code, status);
}

/* The tokens of a successful answer (RFC 6749 5.1) into t. */
static int
token_parse(const char *what, json_t *j, struct oauth2_tokens *t,
    struct failure *f)
{
	const char *at = jstr(j, "access_token"), *rt = jstr(j, "refresh_token");
	json_t *exp = json_object_get(j, "expires_in");
	long long in = EXPIRES_IN_DEFAULT;

	memset(t, 0, sizeof(*t));
	if (at == NULL || at[0] == '\0')
		return failure_set(f, F_PROTO, "%s: no access_token in the "
		    "answer", what);
	if (json_is_integer(exp))
		in = json_integer_value(exp);
	else if (json_is_string(exp))
		in = strtonum(json_string_value(exp), 0, LLONG_MAX / 2, NULL);
	t->access_token = xstrdup(at);
	t->refresh_token = rt != NULL && rt[0] != '\0' ? xstrdup(rt) : NULL;
	t->expires_at = (long long)time(NULL) + in;
	return 0;
}

/* One token request: form -> tokens (status 200) or the failure. */
static int
token_request(const struct oauth2_conf *c, int timeout, const char *what,
    struct http *x, struct buf *form, struct oauth2_tokens *t,
    struct failure *f)
{
	struct oauth2_endpoints e;
	json_t *j;
	long status;
	int rc;

	memset(t, 0, sizeof(*t));
	if (oauth2_endpoints(c, &e, f) == -1)
		return -1;
	if ((status = http_post(c, timeout, what, e.token_url, x, form, &j,
	    f)) == -1)
		return -1;
	if (status == 200)
		rc = token_parse(what, j, t, f);
	else
		rc = token_error(c, what, status, j, f);
	json_decref(j);
	return rc;
}

/*
 * The store
 */

int
oauth2_store_path(const struct oauth2_conf *c, char *buf, size_t sz,
    struct failure *f)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	const char *name = c->account != NULL ? c->account : "default";
	int n;

	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
		return failure_set(f, F_CONFIG, "account \"%s\": not a name "
		    "for the token store", name);
	if (state != NULL && state[0] == '/')
		n = snprintf(buf, sz, "%s/outbox/oauth2/%s", state, name);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, sz, "%s/.local/state/outbox/oauth2/%s", home,
		    name);
	else
		return failure_set(f, F_CONFIG, "OAuth2: neither "
		    "XDG_STATE_HOME nor HOME is an absolute path");
	if (n < 0 || (size_t)n >= sz)
		return failure_set(f, F_CONFIG, "OAuth2: the token store's "
		    "path is too long");
	return 0;
}

/* mkdir -p of path's directory, 0700; dir gets it. */
static int
store_dir(const char *path, char *dir, size_t sz, struct failure *f)
{
	char *slash;
	size_t i;

	strlcpy(dir, path, sz);
	if ((slash = strrchr(dir, '/')) == NULL)
		return failure_set(f, F_INTERNAL, "%s: %s", __func__, path);
	*slash = '\0';
	for (i = 1; dir[i] != '\0'; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return failure_set(f, F_CANTCREAT, "%s: %s", dir,
			    strerror(errno));
		dir[i] = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return failure_set(f, F_CANTCREAT, "%s: %s", dir,
		    strerror(errno));
	return 0;
}

/* Parses a store document into t; F_CONFIG when it is not one. */
static int
store_parse(const char *src, const char *text, size_t len,
    struct oauth2_tokens *t, struct failure *f)
{
	json_error_t jerr;
	json_t *j, *exp;
	const char *at, *rt;

	memset(t, 0, sizeof(*t));
	if ((j = json_loadb(text, len, 0, &jerr)) == NULL ||
	    !json_is_object(j)) {
		json_decref(j);
		return failure_set(f, F_CONFIG, "%s: not an OAuth2 token "
		    "store (a JSON object)", src);
	}
	at = jstr(j, "access_token");
	rt = jstr(j, "refresh_token");
	exp = json_object_get(j, "expires_at");
	t->access_token = at != NULL && at[0] != '\0' ? xstrdup(at) : NULL;
	t->refresh_token = rt != NULL && rt[0] != '\0' ? xstrdup(rt) : NULL;
	t->expires_at = json_is_integer(exp) ? json_integer_value(exp) : 0;
	json_decref(j);
	return 0;
}

/*
 * Reads the account's tokens into t (all NULL when there are none yet).
 * A file not owned by us, or readable by others, is refused (F_CONFIG).
 */
static int
store_load(const struct oauth2_conf *c, int timeout, struct oauth2_tokens *t,
    struct failure *f)
{
	struct buf b = { .max = STORE_MAX };
	char path[PATH_MAX], chunk[1024];
	struct stat st;
	ssize_t n;
	int fd, rc;

	memset(t, 0, sizeof(*t));
	if (c->load_cmd != NULL) {
		if (run_cmd("oauth2-token-load-cmd", c->load_cmd, NULL,
		    timeout, &b, f) == -1) {
			buf_free(&b);
			return -1;
		}
		/* Nothing printed: no tokens yet. */
		if (b.len == 0 || strspn(b.p, " \t\r\n") == b.len) {
			buf_free(&b);
			return 0;
		}
		rc = store_parse("oauth2-token-load-cmd", b.p, b.len, t, f);
		buf_free(&b);
		return rc;
	}
	if (oauth2_store_path(c, path, sizeof(path), f) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 0;
		return failure_set(f, errno == ELOOP ? F_CONFIG : F_IO,
		    "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return failure_set(f, F_CONFIG, "%s: not a regular file",
		    path);
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		close(fd);
		return failure_set(f, F_CONFIG, "%s: %s; it holds OAuth2 "
		    "tokens: chmod 600 it (and own it)", path,
		    st.st_uid != geteuid() ? "owned by another user" :
		    "readable or writable by others");
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&b, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	if (n == -1 || b.over) {
		buf_free(&b);
		return failure_set(f, n == -1 ? F_IO : F_CONFIG, "%s: %s",
		    path, n == -1 ? strerror(errno) : "too large");
	}
	rc = store_parse(path, b.p != NULL ? b.p : "", b.len, t, f);
	buf_free(&b);
	return rc;
}

/* The store document of t; freezero(). */
static char *
store_text(const struct oauth2_tokens *t)
{
	json_t *j = json_object();
	char *s, *r;

	if (t->refresh_token != NULL)
		json_object_set_new(j, "refresh_token",
		    json_string(t->refresh_token));
	if (t->access_token != NULL)
		json_object_set_new(j, "access_token",
		    json_string(t->access_token));
	json_object_set_new(j, "expires_at", json_integer(t->expires_at));
	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		log_fatalx("%s: json_dumps failed", __func__);
	json_decref(j);
	r = xasprintf("%s\n", s);
	freezero(s, strlen(s) + 1);
	return r;
}

static int
store_save(const struct oauth2_conf *c, int timeout,
    const struct oauth2_tokens *t, struct failure *f)
{
	struct atomic_file af;
	char path[PATH_MAX], dir[PATH_MAX], *text;
	size_t len, off = 0;
	ssize_t n;
	int rc;

	text = store_text(t);
	len = strlen(text);
	if (c->store_cmd != NULL) {
		rc = run_cmd("oauth2-token-store-cmd", c->store_cmd, text,
		    timeout, NULL, f);
		freezero(text, len + 1);
		return rc;
	}
	if (oauth2_store_path(c, path, sizeof(path), f) == -1 ||
	    store_dir(path, dir, sizeof(dir), f) == -1 ||
	    atomic_open(&af, dir, strrchr(path, '/') + 1, 0600, f) == -1) {
		freezero(text, len + 1);
		return -1;
	}
	while (off < len) {
		if ((n = write(af.fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			rc = errno;
			atomic_abort(&af);
			freezero(text, len + 1);
			return failure_set(f, F_IO, "%s: %s", path,
			    strerror(rc));
		}
		off += (size_t)n;
	}
	freezero(text, len + 1);
	return atomic_commit(&af, f);
}

/*
 * Takes the account's lock (flock on STORE.lock), waiting at most
 * timeout seconds for another process to finish its refresh.  The
 * descriptor, or -1 with f set.
 */
static int
store_lock(const struct oauth2_conf *c, int timeout, struct failure *f)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct timespec nap = { 0, LOCK_POLL_MS * 1000000L };
	long waited = 0;
	int fd;

	if (oauth2_store_path(c, path, sizeof(path), f) == -1 ||
	    store_dir(path, dir, sizeof(dir), f) == -1)
		return -1;
	if (strlcat(path, ".lock", sizeof(path)) >= sizeof(path))
		return failure_set(f, F_CONFIG, "%s: path too long", path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		return failure_set(f, F_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return failure_set(f, F_IO, "%s: flock: %s", path,
			    strerror(errno));
		}
		if (waited >= timeout * 1000L) {
			close(fd);
			return failure_set(f, F_TEMP, "%s: another outbox "
			    "has been refreshing the OAuth2 token for %d s",
			    path, timeout);
		}
		nanosleep(&nap, NULL);
		waited += LOCK_POLL_MS;
	}
	return fd;
}

void
oauth2_tokens_free(struct oauth2_tokens *t)
{
	if (t->access_token != NULL)
		freezero(t->access_token, strlen(t->access_token) + 1);
	if (t->refresh_token != NULL)
		freezero(t->refresh_token, strlen(t->refresh_token) + 1);
	memset(t, 0, sizeof(*t));
}

/* Whether t's access token is good for the margin and not refused. */
static int
token_usable(const struct oauth2_tokens *t, const char *refused)
{
	if (t->access_token == NULL ||
	    t->expires_at - OAUTH2_EXPIRY_MARGIN <= (long long)time(NULL))
		return 0;
	return refused == NULL || strcmp(refused, t->access_token) != 0;
}

/* The refresh_token grant (RFC 6749 6) for stored's refresh token. */
static int
token_refresh(const struct oauth2_conf *c, int timeout,
    const struct oauth2_tokens *stored, struct oauth2_tokens *t,
    struct failure *f)
{
	struct buf form = { .max = STORE_MAX };
	struct http x;
	int rc;

	memset(t, 0, sizeof(*t));
	if (http_open(&x, f) == -1)
		return -1;
	form_add(&x, &form, "grant_type", "refresh_token");
	form_add(&x, &form, "refresh_token", stored->refresh_token);
	rc = token_request(c, timeout, "OAuth2 token refresh", &x, &form, t,
	    f);
	buf_free(&form);
	http_close(&x);
	/* RFC 6749 6: a new refresh token is optional; keep the old one. */
	if (rc == 0 && t->refresh_token == NULL)
		t->refresh_token = xstrdup(stored->refresh_token);
	return rc;
}

char *
oauth2_access_token(const struct oauth2_conf *c, int timeout,
    const char *refused, struct failure *f)
{
	struct oauth2_tokens t, fresh;
	char hint[300], *r;
	int lock;

	if (store_load(c, timeout, &t, f) == -1)
		return NULL;
	if (token_usable(&t, refused)) {
		log_info("OAuth2: the stored access token is still valid");
		r = xstrdup(t.access_token);
		oauth2_tokens_free(&t);
		return r;
	}
	oauth2_tokens_free(&t);
	if ((lock = store_lock(c, timeout, f)) == -1)
		return NULL;
	/* Another process may have refreshed while we waited. */
	if (store_load(c, timeout, &t, f) == -1) {
		close(lock);
		return NULL;
	}
	if (token_usable(&t, refused)) {
		log_info("OAuth2: another outbox refreshed the token");
		close(lock);
		r = xstrdup(t.access_token);
		oauth2_tokens_free(&t);
		return r;
	}
	if (t.refresh_token == NULL) {
		close(lock);
		oauth2_tokens_free(&t);
		login_hint(c, hint, sizeof(hint));
		return failure_set(f, F_AUTH, "OAuth2: no refresh token "
		    "stored for account %s: %s", c->account != NULL ?
		    c->account : "default", hint), NULL;
	}
	if (token_refresh(c, timeout, &t, &fresh, f) == -1 ||
	    store_save(c, timeout, &fresh, f) == -1) {
		close(lock);
		oauth2_tokens_free(&t);
		oauth2_tokens_free(&fresh);
		return NULL;
	}
	close(lock);
	log_info("OAuth2: the access token was refreshed%s",
	    strcmp(fresh.refresh_token, t.refresh_token) != 0 ?
	    " (with a new refresh token)" : "");
	oauth2_tokens_free(&t);
	r = fresh.access_token;
	fresh.access_token = NULL;
	oauth2_tokens_free(&fresh);
	return r;
}

int
oauth2_store_tokens(const struct oauth2_conf *c, int timeout,
    const struct oauth2_tokens *t, struct failure *f)
{
	int lock, rc;

	if ((lock = store_lock(c, timeout, f)) == -1)
		return -1;
	rc = store_save(c, timeout, t, f);
	close(lock);
	return rc;
}

/*
 * The login grants
 */

/* base64url without padding (RFC 7636 appendix A) of n bytes. */
static void
base64url(const unsigned char *in, size_t n, char *out)
{
	char *p;

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	for (p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=') {
			*p = '\0';
			break;
		}
	}
}

void
oauth2_pkce(char *verifier, char *challenge)
{
	unsigned char rnd[32], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	/* 32 random octets: a 43-character verifier (RFC 7636 4.1). */
	arc4random_buf(rnd, sizeof(rnd));
	base64url(rnd, sizeof(rnd), verifier);
	explicit_bzero(rnd, sizeof(rnd));
	if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(),
	    NULL) != 1)
		log_fatalx("%s: SHA-256 failed", __func__);
	base64url(md, mdlen, challenge);
}

void
oauth2_random_state(char *buf)
{
	unsigned char rnd[16];

	arc4random_buf(rnd, sizeof(rnd));
	base64url(rnd, sizeof(rnd), buf);
}

char *
oauth2_auth_request_url(const struct oauth2_conf *c,
    const char *redirect_uri, const char *state, const char *challenge,
    struct failure *f)
{
	struct oauth2_endpoints e;
	struct buf q = { .max = 16384 };
	struct http x;
	char *url;

	if (oauth2_endpoints(c, &e, f) == -1)
		return NULL;
	if (e.auth_url == NULL)
		return failure_set(f, F_CONFIG, "OAuth2: no authorization "
		    "endpoint; set oauth2-auth-url"), NULL;
	if (c->client_id == NULL)
		return failure_set(f, F_CONFIG, "OAuth2: set "
		    "oauth2-client-id (see outboxrc(5) on registering a "
		    "client)"), NULL;
	if (http_open(&x, f) == -1)
		return NULL;
	form_add(&x, &q, "response_type", "code");
	form_add(&x, &q, "client_id", c->client_id);
	form_add(&x, &q, "redirect_uri", redirect_uri);
	form_add(&x, &q, "scope", e.scope);
	form_add(&x, &q, "state", state);
	form_add(&x, &q, "code_challenge", challenge);
	form_add(&x, &q, "code_challenge_method", "S256");
	/* Google hands out a refresh token only when asked for one. */
	if (c->provider == OAUTH2_PROVIDER_GOOGLE) {
		form_add(&x, &q, "access_type", "offline");
		form_add(&x, &q, "prompt", "consent");
	}
	http_close(&x);
	url = xasprintf("%s%c%s", e.auth_url, strchr(e.auth_url, '?') ?
	    '&' : '?', q.p);
	buf_free(&q);
	return url;
}

int
oauth2_exchange_code(const struct oauth2_conf *c, int timeout,
    const char *code, const char *verifier, const char *redirect_uri,
    struct oauth2_tokens *t, struct failure *f)
{
	struct buf form = { .max = STORE_MAX };
	struct http x;
	int rc;

	memset(t, 0, sizeof(*t));
	if (http_open(&x, f) == -1)
		return -1;
	form_add(&x, &form, "grant_type", "authorization_code");
	form_add(&x, &form, "code", code);
	form_add(&x, &form, "redirect_uri", redirect_uri);
	form_add(&x, &form, "code_verifier", verifier);
	rc = token_request(c, timeout, "OAuth2 code exchange", &x, &form, t,
	    f);
	buf_free(&form);
	http_close(&x);
	if (rc == 0 && t->refresh_token == NULL) {
		oauth2_tokens_free(t);
		return failure_set(f, F_AUTH, "OAuth2 code exchange: no "
		    "refresh token granted (the scope needs offline access)");
	}
	return rc;
}

void
oauth2_device_free(struct oauth2_device *d)
{
	if (d->device_code != NULL)
		freezero(d->device_code, strlen(d->device_code) + 1);
	free(d->user_code);
	free(d->verification_uri);
	free(d->verification_uri_complete);
	memset(d, 0, sizeof(*d));
}

int
oauth2_device_start(const struct oauth2_conf *c, int timeout,
    struct oauth2_device *d, struct failure *f)
{
	struct oauth2_endpoints e;
	struct buf form = { .max = STORE_MAX };
	const char *dc, *uc, *uri, *full;
	json_t *j, *v;
	long status;
	struct http x;

	memset(d, 0, sizeof(*d));
	if (oauth2_endpoints(c, &e, f) == -1)
		return -1;
	if (e.device_url == NULL)
		return failure_set(f, F_CONFIG, "OAuth2: no device endpoint");
	if (c->client_id == NULL)
		return failure_set(f, F_CONFIG, "OAuth2: set "
		    "oauth2-client-id (see outboxrc(5) on registering a "
		    "client)");
	if (http_open(&x, f) == -1)
		return -1;
	form_add(&x, &form, "scope", e.scope);
	status = http_post(c, timeout, "OAuth2 device authorization",
	    e.device_url, &x, &form, &j, f);
	buf_free(&form);
	http_close(&x);
	if (status == -1)
		return -1;
	if (status != 200) {
		token_error(c, "OAuth2 device authorization", status, j, f);
		json_decref(j);
		return -1;
	}
	dc = jstr(j, "device_code");
	uc = jstr(j, "user_code");
	/* Google says verification_url. */
	if ((uri = jstr(j, "verification_uri")) == NULL)
		uri = jstr(j, "verification_url");
	full = jstr(j, "verification_uri_complete");
	if (dc == NULL || uc == NULL || uri == NULL) {
		json_decref(j);
		return failure_set(f, F_PROTO, "OAuth2 device authorization: "
		    "no device_code, user_code or verification_uri");
	}
	d->device_code = xstrdup(dc);
	d->user_code = xstrdup(uc);
	d->verification_uri = xstrdup(uri);
	d->verification_uri_complete = full != NULL ? xstrdup(full) : NULL;
	v = json_object_get(j, "interval");
	d->interval = json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) < 3600 ? (int)json_integer_value(v) :
	    DEVICE_INTERVAL_DEFAULT;
	v = json_object_get(j, "expires_in");
	d->expires_at = (long long)time(NULL) + (json_is_integer(v) ?
	    json_integer_value(v) : 600);
	json_decref(j);
	return 0;
}

int
oauth2_device_poll(const struct oauth2_conf *c, int timeout,
    struct oauth2_device *d, struct oauth2_tokens *t, struct failure *f)
{
	struct oauth2_endpoints e;
	struct buf form = { .max = STORE_MAX };
	const char *what = "OAuth2 device login";
	char code[128];
	json_t *j;
	long status;
	struct http x;
	int rc;

	memset(t, 0, sizeof(*t));
	if (oauth2_endpoints(c, &e, f) == -1)
		return -1;
	if (http_open(&x, f) == -1)
		return -1;
	form_add(&x, &form, "grant_type",
	    "urn:ietf:params:oauth:grant-type:device_code");
	form_add(&x, &form, "device_code", d->device_code);
	status = http_post(c, timeout, what, e.token_url, &x, &form, &j, f);
	buf_free(&form);
	http_close(&x);
	if (status == -1)
		return -1;
	if (status == 200) {
		rc = token_parse(what, j, t, f);
		json_decref(j);
		if (rc == 0 && t->refresh_token == NULL) {
			oauth2_tokens_free(t);
			return failure_set(f, F_AUTH, "%s: no refresh token "
			    "granted (the scope needs offline access)", what);
		}
		return rc;
	}
	oauth_error_code(j, code, sizeof(code));
	if (strcmp(code, "authorization_pending") == 0) {
		json_decref(j);
		return 1;
	}
	if (strcmp(code, "slow_down") == 0) {
		d->interval += SLOW_DOWN_STEP;
		json_decref(j);
		return 1;
	}
	if (strcmp(code, "expired_token") == 0) {
		json_decref(j);
		return failure_set(f, F_AUTH, "%s: the code expired before "
		    "the login was finished; run --oauth2-login again", what);
	}
	if (strcmp(code, "access_denied") == 0) {
		json_decref(j);
		return failure_set(f, F_AUTH, "%s: access was denied", what);
	}
	rc = token_error(c, what, status, j, f);
	json_decref(j);
	return rc;
}
