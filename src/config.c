/*
 * config.c — the rc file: a subset of mail(1)'s .mailrc grammar (DESIGN.md
 * "Configuration"), accounts, aliases, the refusal of a password-holding
 * file that others can read (msmtp's check_secure), and the resolution of
 * one account into struct settings.
 *
 * Ports follow RFC 6409 (submission, 587, STARTTLS per RFC 3207) and
 * RFC 8314 (submissions, 465, implicit TLS).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sendlog.h"
#include "xmalloc.h"

#define SYSTEM_RC	"/etc/outboxrc"

/* Longest rc line: long alias lists fit, a runaway file does not. */
#define CONFIG_LINE_MAX	65536

/* Room for a word quoted back in an error message. */
#define ECHO_MAX	64

/* "sha256:" and 32 hex pairs joined by colons. */
#define FPR_PREFIX	"sha256:"
#define FPR_BYTES	32
#define FPR_LEN		(sizeof(FPR_PREFIX) - 1 + FPR_BYTES * 3 - 1)

#define TIMEOUT_MIN	1
#define TIMEOUT_MAX	3600

static const char *const security_names[] = {
	[SEC_STARTTLS] = "starttls",
	[SEC_TLS] = "tls",
	[SEC_NONE] = "none",
};
#define NSECURITY (sizeof(security_names) / sizeof(security_names[0]))

static const char *const auth_names[] = {
	[AUTH_AUTO] = "auto",
	[AUTH_PLAIN] = "plain",
	[AUTH_LOGIN] = "login",
	[AUTH_CRAM_MD5] = "cram-md5",
	[AUTH_SCRAM_SHA_256] = "scram-sha-256",
	[AUTH_XOAUTH2] = "xoauth2",
	[AUTH_OAUTHBEARER] = "oauthbearer",
	[AUTH_NONE] = "none",
};
#define NAUTH (sizeof(auth_names) / sizeof(auth_names[0]))

static const char *const provider_names[] = {
	[OAUTH2_PROVIDER_NONE] = NULL,
	[OAUTH2_PROVIDER_GOOGLE] = "google",
	[OAUTH2_PROVIDER_MICROSOFT] = "microsoft",
	[OAUTH2_PROVIDER_CUSTOM] = "custom",
};
#define NPROVIDER (sizeof(provider_names) / sizeof(provider_names[0]))

/* One line split into words, quotes removed. */
struct words {
	char **v;
	size_t *off;		/* where each word starts in the line */
	long *eq;		/* offset of the first unquoted '=', or -1 */
	size_t n;
	size_t end;		/* end of the last word (a comment follows) */
};

/* The state of parsing one file. */
struct parse {
	struct config *cfg;
	const char *path;
	int line;
	long account;		/* index into cfg->accounts, -1 outside */
	int account_line;
	const char *secret_key;	/* the first secret key set, or NULL */
	struct failure *f;
};

/* A split smtp URL. */
enum url_scheme { URL_NONE, URL_SMTP, URL_SMTPS };

struct url {
	enum url_scheme scheme;
	char host[256];
	char user[256];
	char port[8];		/* "" when not given */
};

/*
 * One row per key: the whole of what outbox knows about it.  At read
 * time (kw_set) valid() checks the value and may rewrite it into its
 * normal form (freeing the old one); at resolve time (config_settings)
 * apply() stores the value into the struct settings field at off.  Both
 * return NULL or why the value is bad.  dflt, when not NULL, is applied
 * first, so a default goes through the same parser as a value.  Adding
 * a key is one row (and its documentation).
 */
typedef const char *(*key_validator)(char **value);
typedef const char *(*key_apply)(struct settings *s, size_t off,
    const char *value);

/* What a value is; a KT_BOOL key may be set bare ("set key" = yes). */
enum key_type { KT_STRING, KT_BOOL, KT_NUMBER, KT_ENUM, KT_URL };

struct key {
	enum key_type type;
	const char *name;
	key_validator valid;
	key_apply apply;
	size_t off;		/* offsetof(struct settings, ...) */
	const char *dflt;	/* applied when unset, or NULL */
	int flags;
};
#define KEY_TOP		0x2	/* read at the top level only */
#define KEY_SECRET	0x4	/* marks the file as holding a password */

static const char *valid_text(char **);
static const char *valid_secret(char **);
static const char *valid_url(char **);
static const char *valid_security(char **);
static const char *valid_auth(char **);
static const char *valid_fingerprint(char **);
static const char *valid_hostname(char **);
static const char *valid_timeout(char **);
static const char *valid_bool(char **);
static const char *valid_max_age(char **);
static const char *valid_from_rewrite(char **);
static const char *valid_syslog(char **);
static const char *valid_provider(char **);
static const char *valid_pop3_url(char **);
static const char *valid_pop3_security(char **);
static const char *valid_pop3_auth(char **);
static const char *valid_size(char **);

static const char *apply_str(struct settings *, size_t, const char *);
static const char *apply_url(struct settings *, size_t, const char *);
static const char *apply_security(struct settings *, size_t, const char *);
static const char *apply_auth(struct settings *, size_t, const char *);
static const char *apply_timeout(struct settings *, size_t, const char *);
static const char *apply_bool(struct settings *, size_t, const char *);
static const char *apply_max_age(struct settings *, size_t, const char *);
static const char *apply_provider(struct settings *, size_t, const char *);

#define OFF(field) offsetof(struct settings, field)

/*
 * Every known key; the man page and config.example document each.
 * Applied in this order: smtp-user before smtp (a user in the URL, when
 * given, is the same: settings_user_conflict()), smtp before
 * smtp-security (an explicit security wins over the URL's).
 */
static const struct key keys[] = {
	{ KT_STRING, "from", valid_text, apply_str, OFF(from), NULL, 0 },
	{ KT_STRING, "smtp-user", valid_text, apply_str, OFF(smtp.user),
	    NULL, 0 },
	{ KT_URL, "smtp", valid_url, apply_url, OFF(smtp), NULL, 0 },
	{ KT_ENUM, "smtp-security", valid_security, apply_security,
	    OFF(smtp.security), NULL, 0 },
	{ KT_ENUM, "smtp-auth", valid_auth, apply_auth, OFF(smtp.auth),
	    "auto", 0 },
	{ KT_STRING, "smtp-password", valid_secret, apply_str,
	    OFF(smtp.password), NULL, KEY_SECRET },
	{ KT_STRING, "smtp-password-cmd", valid_secret, apply_str,
	    OFF(smtp.password_cmd), NULL, 0 },
	{ KT_STRING, "tls-ca-file", valid_text, apply_str, OFF(smtp.ca_file),
	    NULL, 0 },
	{ KT_STRING, "tls-fingerprint", valid_fingerprint, apply_str,
	    OFF(smtp.fingerprint), NULL, 0 },
	{ KT_STRING, "hostname", valid_hostname, apply_str, OFF(hostname),
	    NULL, 0 },
	{ KT_NUMBER, "timeout", valid_timeout, apply_timeout,
	    OFF(smtp.timeout), "60", 0 },
	{ KT_BOOL, "queue-on-failure", valid_bool, apply_bool,
	    OFF(queue_on_failure), "yes", 0 },
	{ KT_STRING, "queue-dir", valid_text, apply_str, OFF(queue_dir), NULL,
	    KEY_TOP },
	{ KT_NUMBER, "queue-max-age", valid_max_age, apply_max_age,
	    OFF(queue_max_age), "432000", 0 },
	{ KT_STRING, "default-domain", valid_hostname, apply_str,
	    OFF(default_domain), NULL, 0 },
	{ KT_STRING, "aliases-file", valid_text, apply_str, OFF(aliases_file),
	    NULL, 0 },
	{ KT_ENUM, "from-rewrite", valid_from_rewrite, apply_str,
	    OFF(from_rewrite), NULL, 0 },
	{ KT_STRING, "syslog", valid_syslog, apply_str, OFF(syslog), NULL,
	    0 },
	{ KT_STRING, "log-file", valid_text, apply_str, OFF(log_file), NULL,
	    0 },
	{ KT_ENUM, "oauth2-provider", valid_provider, apply_provider,
	    OFF(smtp.oauth2.provider), NULL, 0 },
	{ KT_STRING, "oauth2-client-id", valid_text, apply_str,
	    OFF(smtp.oauth2.client_id), NULL, 0 },
	{ KT_STRING, "oauth2-client-secret", valid_secret, apply_str,
	    OFF(smtp.oauth2.client_secret), NULL, KEY_SECRET },
	{ KT_STRING, "oauth2-client-secret-cmd", valid_secret, apply_str,
	    OFF(smtp.oauth2.client_secret_cmd), NULL, 0 },
	{ KT_STRING, "oauth2-auth-url", valid_text, apply_str,
	    OFF(smtp.oauth2.auth_url), NULL, 0 },
	{ KT_STRING, "oauth2-token-url", valid_text, apply_str,
	    OFF(smtp.oauth2.token_url), NULL, 0 },
	{ KT_STRING, "oauth2-device-url", valid_text, apply_str,
	    OFF(smtp.oauth2.device_url), NULL, 0 },
	{ KT_STRING, "oauth2-scope", valid_text, apply_str,
	    OFF(smtp.oauth2.scope), NULL, 0 },
	{ KT_STRING, "oauth2-tenant", valid_text, apply_str,
	    OFF(smtp.oauth2.tenant), NULL, 0 },
	{ KT_STRING, "oauth2-ca-file", valid_text, apply_str,
	    OFF(smtp.oauth2.ca_file), NULL, 0 },
	{ KT_STRING, "oauth2-token-store-cmd", valid_secret, apply_str,
	    OFF(smtp.oauth2.store_cmd), NULL, 0 },
	{ KT_STRING, "oauth2-token-load-cmd", valid_secret, apply_str,
	    OFF(smtp.oauth2.load_cmd), NULL, 0 },
	/* The --fetch keys, as written; fetch.c resolves them. */
	{ KT_URL, "pop3", valid_pop3_url, apply_str, OFF(fetch.url), NULL, 0 },
	{ KT_ENUM, "pop3-security", valid_pop3_security, apply_str,
	    OFF(fetch.security), NULL, 0 },
	{ KT_ENUM, "pop3-auth", valid_pop3_auth, apply_str, OFF(fetch.auth),
	    NULL, 0 },
	{ KT_STRING, "pop3-user", valid_text, apply_str, OFF(fetch.user), NULL,
	    0 },
	{ KT_STRING, "pop3-password", valid_secret, apply_str,
	    OFF(fetch.password), NULL, KEY_SECRET },
	{ KT_STRING, "pop3-password-cmd", valid_secret, apply_str,
	    OFF(fetch.password_cmd), NULL, 0 },
	{ KT_STRING, "pop3-tls-fingerprint", valid_fingerprint, apply_str,
	    OFF(fetch.fingerprint), NULL, 0 },
	{ KT_STRING, "fetch-to", valid_text, apply_str, OFF(fetch.to), NULL,
	    0 },
	{ KT_BOOL, "fetch-delete", valid_bool, apply_str, OFF(fetch.delete),
	    "no", 0 },
	{ KT_NUMBER, "fetch-max-size", valid_size, apply_str,
	    OFF(fetch.max_size), NULL, 0 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int kw_set(struct parse *, struct words *, const char *);
static int kw_unset(struct parse *, struct words *, const char *);
static int kw_alias(struct parse *, struct words *, const char *);
static int kw_account(struct parse *, struct words *, const char *);
static int kw_close(struct parse *, struct words *, const char *);

/* The commands of the grammar (mail(1) cmdtab.c). */
static const struct keyword {
	const char *name;
	int (*fn)(struct parse *, struct words *, const char *);
} keywords[] = {
	{ .name = "set", .fn = kw_set },
	{ .name = "unset", .fn = kw_unset },
	{ .name = "alias", .fn = kw_alias },
	{ .name = "account", .fn = kw_account },
	{ .name = "}", .fn = kw_close },
};
#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

static int
name_index(const char *const *names, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], v) == 0)
			return (int)i;
	return -1;
}

static const struct key *
key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

/* Values that end up in headers or paths: no control characters. */
static const char *
valid_text(char **v)
{
	if (has_control(*v))
		return "control characters are not allowed";
	return NULL;
}

/* A password or a shell command: anything but a line end. */
static const char *
valid_secret(char **v)
{
	if (strpbrk(*v, "\r\n") != NULL)
		return "line ends are not allowed";
	return NULL;
}

static const char *
valid_security(char **v)
{
	struct settings s;

	return apply_security(&s, OFF(smtp.security), *v);
}

static const char *
valid_from_rewrite(char **v)
{
	if (strcmp(*v, "never") != 0 && strcmp(*v, "local") != 0 &&
	    strcmp(*v, "always") != 0)
		return "must be never, local or always";
	return NULL;
}

static const char *
valid_syslog(char **v)
{
	if (sendlog_facility(*v) == -2)
		return "must be yes, no, or a facility (mail, user, daemon, "
		    "local0 to local7)";
	return NULL;
}

static const char *
valid_auth(char **v)
{
	struct settings s;

	return apply_auth(&s, OFF(smtp.auth), *v);
}

static const char *
valid_provider(char **v)
{
	struct settings s;

	return apply_provider(&s, OFF(smtp.oauth2.provider), *v);
}

static const char *
valid_bool(char **v)
{
	if (strcmp(*v, "yes") != 0 && strcmp(*v, "no") != 0)
		return "must be yes or no";
	return NULL;
}

static const char *
valid_max_age(char **v)
{
	long long n, unit = 1;
	const char *errstr;
	char *num;
	size_t len = strlen(*v);

	/* A number of seconds, or with a unit: 90m, 36h, 5d. */
	if (len > 0 && strchr("smhd", (*v)[len - 1]) != NULL) {
		unit = (*v)[len - 1] == 's' ? 1 : (*v)[len - 1] == 'm' ? 60 :
		    (*v)[len - 1] == 'h' ? 3600 : 86400;
		len--;
	}
	num = xstrdup(*v);
	num[len] = '\0';
	n = strtonum(num, 1, CONFIG_MAX_AGE_MAX / unit, &errstr);
	free(num);
	if (errstr != NULL)
		return "must be a time from 1s to 365d (a number of seconds, "
		    "or with s, m, h or d)";
	free(*v);
	*v = xasprintf("%lld", n * unit);
	return NULL;
}

static const char *
valid_pop3_security(char **v)
{
	if (strcmp(*v, "stls") != 0 && strcmp(*v, "tls") != 0 &&
	    strcmp(*v, "none") != 0)
		return "must be stls, tls or none";
	return NULL;
}

static const char *
valid_pop3_auth(char **v)
{
	if (strcmp(*v, "user") == 0 || strcmp(*v, "apop") == 0 ||
	    (name_index(auth_names, NAUTH, *v) != -1 &&
	    strcmp(*v, "none") != 0))
		return NULL;
	return "must be auto, user, apop, plain, login, cram-md5, "
	    "scram-sha-256, xoauth2 or oauthbearer";
}

/* A size in octets, or with a unit: 10k, 5M, 1G (powers of 1024). */
static const char *
valid_size(char **v)
{
	long long n, unit = 1;
	const char *errstr;
	char *num;
	size_t len = strlen(*v);

	if (len > 0 && strchr("kKmMgG", (*v)[len - 1]) != NULL) {
		unit = strchr("kK", (*v)[len - 1]) ? 1024 :
		    strchr("mM", (*v)[len - 1]) ? 1024 * 1024 :
		    1024 * 1024 * 1024;
		len--;
	}
	num = xstrndup(*v, len);
	n = strtonum(num, 0, LLONG_MAX / unit, &errstr);
	free(num);
	if (errstr != NULL)
		return "must be a number of octets, or with k, M or G";
	free(*v);
	*v = xasprintf("%lld", n * unit);
	return NULL;
}

/*
 * "[pop3s://|pop3://][user@]host[:port]": no password, no path; the
 * rest is checked where it is used (fetch.c).
 */
static const char *
valid_pop3_url(char **v)
{
	const char *s = *v, *at;

	if (has_control(s))
		return "control characters are not allowed";
	if (strncasecmp(s, "pop3s://", 8) == 0)
		s += 8;
	else if (strncasecmp(s, "pop3://", 7) == 0)
		s += 7;
	else if (strstr(s, "://") != NULL)
		return "must start with pop3:// or pop3s://";
	if ((at = strrchr(s, '@')) != NULL && memchr(s, ':',
	    (size_t)(at - s)) != NULL)
		return "a password in the pop3 URL is refused; "
		    "use pop3-password-cmd instead";
	if (strchr(s, '/') != NULL && strchr(s, '/')[1] != '\0')
		return "the pop3 URL must not have a path";
	if (*s == '\0' || *s == '@' || (at != NULL && at[1] == '\0'))
		return "no host in the pop3 URL";
	return NULL;
}

static const char *
valid_timeout(char **v)
{
	struct settings s;

	return apply_timeout(&s, OFF(smtp.timeout), *v);
}

/* A host name or an address literal ("[192.0.2.1]"), RFC 5321 4.1.3. */
static const char *
valid_hostname(char **v)
{
	const char *s;

	if (strlen(*v) > 253)
		return "longer than 253 characters";
	for (s = *v; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._[]:", *s) == NULL)
			return "not a host name";
	return NULL;
}

/*
 * "sha256:AB:CD:..." or 64 hex digits (with or without the prefix);
 * normalised to "sha256:" and upper-case pairs joined by colons, the form
 * tls.c compares.
 */
static const char *
valid_fingerprint(char **v)
{
	const char *s = *v, *bad = "must be sha256: and 32 colon-separated "
	    "hex pairs, or 64 hex digits";
	char out[FPR_LEN + 1];
	size_t i, len, o;
	int colons;

	if (strncasecmp(s, FPR_PREFIX, sizeof(FPR_PREFIX) - 1) == 0)
		s += sizeof(FPR_PREFIX) - 1;
	len = strlen(s);
	if (len == FPR_BYTES * 2)
		colons = 0;
	else if (len == FPR_BYTES * 3 - 1)
		colons = 1;
	else
		return bad;
	strlcpy(out, FPR_PREFIX, sizeof(out));
	o = sizeof(FPR_PREFIX) - 1;
	for (i = 0; i < FPR_BYTES; i++) {
		const char *pair = s + i * (colons ? 3 : 2);

		if (!isxdigit((unsigned char)pair[0]) ||
		    !isxdigit((unsigned char)pair[1]))
			return bad;
		if (colons && i + 1 < FPR_BYTES && pair[2] != ':')
			return bad;
		if (i > 0)
			out[o++] = ':';
		out[o++] = (char)toupper((unsigned char)pair[0]);
		out[o++] = (char)toupper((unsigned char)pair[1]);
	}
	out[o] = '\0';
	free(*v);
	*v = xstrdup(out);
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return tolower(c) - 'a' + 10;
}

/* The user part of a URL, %XX decoded (RFC 3986 2.1). */
static const char *
url_user(struct url *u, const char *s, size_t len)
{
	size_t i, o = 0;

	if (memchr(s, ':', len) != NULL)
		return "a password in the smtp URL is refused; "
		    "use smtp-password-cmd instead";
	if (len == 0)
		return "empty user name in the smtp URL";
	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= len)
				return "bad %-escape in the smtp URL user";
			if (!isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]))
				return "bad %-escape in the smtp URL user";
			c = hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]);
			i += 2;
		}
		if (c == '\0' || iscntrl(c))
			return "control characters in the smtp URL user";
		if (o + 1 >= sizeof(u->user))
			return "user name in the smtp URL is too long";
		u->user[o++] = (char)c;
	}
	u->user[o] = '\0';
	return NULL;
}

static const char *
url_port(struct url *u, const char *s, size_t len)
{
	const char *errstr;
	size_t i;

	if (len == 0 || len >= sizeof(u->port))
		return "bad port in the smtp URL";
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return "bad port in the smtp URL";
	memcpy(u->port, s, len);
	u->port[len] = '\0';
	(void)strtonum(u->port, 1, 65535, &errstr);
	if (errstr != NULL)
		return "port in the smtp URL is out of range";
	return NULL;
}

/*
 * Splits "[smtp[s]://][user@]host[:port][/]" where host may be
 * "[IPv6]".  Returns NULL or why the URL is bad; never echoes the URL,
 * which may hold a password.
 */
static const char *
url_parse(const char *s, struct url *u)
{
	const char *end, *at, *p, *host, *hend, *why;
	size_t hlen;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "smtps://", 8) == 0) {
		u->scheme = URL_SMTPS;
		s += 8;
	} else if (strncasecmp(s, "smtp://", 7) == 0) {
		u->scheme = URL_SMTP;
		s += 7;
	} else if (strstr(s, "://") != NULL)
		return "the smtp URL must start with smtp:// or smtps://";
	end = s + strlen(s);
	if (end > s && end[-1] == '/')
		end--;
	if (memchr(s, '/', (size_t)(end - s)) != NULL)
		return "the smtp URL must not have a path";
	at = NULL;
	for (p = s; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		if ((why = url_user(u, s, (size_t)(at - s))) != NULL)
			return why;
		s = at + 1;
	}
	if (*s == '[') {
		host = s + 1;
		if ((hend = memchr(host, ']', (size_t)(end - host))) == NULL)
			return "missing ] in the smtp URL";
		for (p = host; p < hend; p++)
			if (!isxdigit((unsigned char)*p) &&
			    strchr(":.%", *p) == NULL)
				return "bad IPv6 address in the smtp URL";
		p = hend + 1;
	} else {
		host = s;
		hend = memchr(s, ':', (size_t)(end - s));
		if (hend == NULL)
			hend = end;
		else if (memchr(hend + 1, ':', (size_t)(end - hend - 1)))
			return "put an IPv6 address in brackets: [::1]:587";
		for (p = host; p < hend; p++)
			if (!isalnum((unsigned char)*p) &&
			    strchr("-._", *p) == NULL)
				return "bad host name in the smtp URL";
		p = hend;
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0)
		return "no host in the smtp URL";
	if (hlen >= sizeof(u->host))
		return "host name in the smtp URL is too long";
	memcpy(u->host, host, hlen);
	u->host[hlen] = '\0';
	if (p < end) {
		if (*p != ':')
			return "unexpected text after the host in the smtp URL";
		if ((why = url_port(u, p + 1, (size_t)(end - p - 1))) != NULL)
			return why;
	}
	return NULL;
}

static const char *
valid_url(char **v)
{
	struct url u;
	const char *why;

	why = url_parse(*v, &u);
	explicit_bzero(&u, sizeof(u));
	return why;
}

/* Frees the words of one line. */
static void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	free(w->off);
	free(w->eq);
	memset(w, 0, sizeof(*w));
}

static void
words_push(struct words *w, const char *buf, size_t len, size_t off, long eq)
{
	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->off = xreallocarray(w->off, w->n + 1, sizeof(*w->off));
	w->eq = xreallocarray(w->eq, w->n + 1, sizeof(*w->eq));
	w->v[w->n] = xstrndup(buf, len);
	w->off[w->n] = off;
	w->eq[w->n] = eq;
	w->n++;
}

/* The character a backslash escape in double quotes stands for, or -1. */
static int
unescape(int c)
{
	switch (c) {
	case '"':
	case '\\':
		return c;
	case 'n':
		return '\n';
	case 't':
		return '\t';
	default:
		return -1;
	}
}

/*
 * Reads one word starting at *sp into buf (quotes removed), advancing
 * *sp past it.  Returns NULL or why the word is bad.
 */
static const char *
word_read(const char **sp, char *buf, size_t *blenp, long *eqp)
{
	const char *s = *sp;
	size_t blen = 0;
	int c;

	*eqp = -1;
	while (*s != '\0' && *s != ' ' && *s != '\t') {
		if (*s == '\'') {
			for (s++; *s != '\''; s++) {
				if (*s == '\0')
					return "unbalanced quote";
				buf[blen++] = *s;
			}
			s++;
			continue;
		}
		if (*s != '"') {
			if (*s == '=' && *eqp == -1)
				*eqp = (long)blen;
			buf[blen++] = *s++;
			continue;
		}
		for (s++; *s != '"'; s++) {
			if (*s == '\0')
				return "unbalanced quote";
			c = *s;
			if (c == '\\') {
				if (*++s == '\0')
					return "unbalanced quote";
				if ((c = unescape(*s)) == -1)
					return "unknown escape in double "
					    "quotes (use \\\" \\\\ \\n or \\t)";
			}
			buf[blen++] = (char)c;
		}
		s++;
	}
	*sp = s;
	*blenp = blen;
	return NULL;
}

/*
 * Splits line into words at unquoted blanks; a word may mix bare and
 * quoted pieces (from="A B <a@b>").  A "#" at the start of a word begins
 * a comment.  Returns NULL or why the line is bad.
 */
static const char *
words_split(const char *line, struct words *w)
{
	const char *s = line, *why = NULL;
	char *buf;
	size_t blen, start;
	long eq;

	buf = xmalloc(strlen(line) + 1);
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			break;
		start = (size_t)(s - line);
		if ((why = word_read(&s, buf, &blen, &eq)) != NULL)
			break;
		words_push(w, buf, blen, start, eq);
		w->end = (size_t)(s - line);
	}
	freezero(buf, strlen(line) + 1);
	return why;
}

/* Formats "FILE:LINE: " plus the text into p->f; returns -1. */
static int __attribute__((format(printf, 2, 3)))
parse_error(struct parse *p, const char *fmt, ...)
{
	char what[FAILURE_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return failure_set(p->f, F_CONFIG, "%s:%d: %s", p->path, p->line,
	    what);
}

/* A word quoted back safely (strvis'd, cut). */
static const char *
echo(char *buf, size_t bufsz, const char *word)
{
	return log_vis(buf, bufsz, word, strlen(word));
}

static struct config_scope *
parse_scope(struct parse *p)
{
	if (p->account == -1)
		return &p->cfg->top;
	return &p->cfg->accounts[p->account];
}

static struct config_var *
scope_find(const struct config_scope *sc, const char *key)
{
	size_t i;

	for (i = 0; i < sc->nvars; i++)
		if (strcmp(sc->vars[i].key, key) == 0)
			return &sc->vars[i];
	return NULL;
}

/* Sets (or with value NULL, unsets) key in sc; takes value. */
static void
scope_set(struct config_scope *sc, const char *key, char *value,
    const char *file, int line)
{
	struct config_var *v;

	if ((v = scope_find(sc, key)) == NULL) {
		sc->vars = xreallocarray(sc->vars, sc->nvars + 1,
		    sizeof(*sc->vars));
		v = &sc->vars[sc->nvars++];
		v->key = xstrdup(key);
	} else {
		if (v->value != NULL)
			freezero(v->value, strlen(v->value) + 1);
		free(v->file);
	}
	v->value = value;
	v->file = xstrdup(file);
	v->line = line;
}

static int
is_key_word(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

/*
 * The optimal string alignment distance between a and b: insertions,
 * deletions, substitutions and swaps of neighbours ("smpt" -> "smtp" is
 * one), each costing 1.  Words longer than KEY_NAME_MAX count as far.
 */
#define KEY_NAME_MAX 32
static size_t
key_distance(const char *a, const char *b)
{
	size_t d[KEY_NAME_MAX + 1][KEY_NAME_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j, c, v;

	if (la > KEY_NAME_MAX || lb > KEY_NAME_MAX)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			v = d[i - 1][j - 1] + c;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/*
 * The known key nearest to word, for "did you mean": at most two edits
 * away and fewer edits than word has letters (so "x" suggests nothing);
 * the first in table order on a tie.  NULL when none is near.
 */
static const char *
key_nearest(const char *word)
{
	size_t i, d, best = SIZE_MAX, len = strlen(word);
	const char *name = NULL;

	for (i = 0; i < NKEYS; i++) {
		d = key_distance(word, keys[i].name);
		if (d < best) {
			best = d;
			name = keys[i].name;
		}
	}
	return best <= 2 && best < len ? name : NULL;
}

/* The key named by word, or NULL with the error filled in. */
static const struct key *
parse_key(struct parse *p, const char *word)
{
	const struct key *k;
	const char *near;
	char e[ECHO_MAX];

	if ((k = key_find(word)) != NULL)
		return k;
	if (!is_key_word(word))
		parse_error(p, "unexpected \"%s\" (quote values that contain "
		    "white space)", echo(e, sizeof(e), word));
	else if ((near = key_nearest(word)) != NULL)
		parse_error(p, "unknown key \"%s\" (did you mean \"%s\"?)",
		    echo(e, sizeof(e), word), near);
	else
		parse_error(p, "unknown key \"%s\"", echo(e, sizeof(e), word));
	return NULL;
}

/* set key=value | set key (a yes/no key) ... */
/* A key the settings read at the top level only, set in an account. */
static int
parse_top_only(struct parse *p, const struct key *k)
{
	char e[ECHO_MAX];

	return parse_error(p, "%s is read at the top level only, so it has "
	    "no effect in account \"%s\"; move it above the account "
	    "blocks", k->name, echo(e, sizeof(e),
	    p->cfg->accounts[p->account].name));
}

static int
kw_set(struct parse *p, struct words *w, const char *line)
{
	const struct key *k;
	const char *why;
	char *word, *value;
	size_t i;

	(void)line;
	if (w->n < 2)
		return parse_error(p, "set needs a key: set key=value");
	for (i = 1; i < w->n; i++) {
		word = w->v[i];
		value = NULL;
		if (w->eq[i] >= 0) {
			word[w->eq[i]] = '\0';
			value = word + w->eq[i] + 1;
		}
		if ((k = parse_key(p, word)) == NULL)
			return -1;
		if (value == NULL) {
			if (k->type != KT_BOOL)
				return parse_error(p, "%s needs a value",
				    k->name);
			value = "yes";
		}
		if (*value == '\0')
			return parse_error(p, "empty value for %s "
			    "(use unset to clear it)", k->name);
		value = xstrdup(value);
		if ((why = k->valid(&value)) != NULL) {
			freezero(value, strlen(value) + 1);
			return parse_error(p, "bad value for %s: %s", k->name,
			    why);
		}
		if ((k->flags & KEY_TOP) && p->account != -1) {
			freezero(value, strlen(value) + 1);
			return parse_top_only(p, k);
		}
		if ((k->flags & KEY_SECRET) && p->secret_key == NULL)
			p->secret_key = k->name;
		scope_set(parse_scope(p), k->name, value, p->path, p->line);
	}
	return 0;
}

/* unset key ... */
static int
kw_unset(struct parse *p, struct words *w, const char *line)
{
	const struct key *k;
	size_t i;

	(void)line;
	if (w->n < 2)
		return parse_error(p, "unset needs a key");
	for (i = 1; i < w->n; i++) {
		if (w->eq[i] >= 0)
			return parse_error(p, "unset takes key names only");
		if ((k = parse_key(p, w->v[i])) == NULL)
			return -1;
		if ((k->flags & KEY_TOP) && p->account != -1)
			return parse_top_only(p, k);
		scope_set(parse_scope(p), k->name, NULL, p->path, p->line);
	}
	return 0;
}

/* alias name addr[, addr...] — the list is kept as written. */
static int
kw_alias(struct parse *p, struct words *w, const char *line)
{
	struct config *cfg = p->cfg;
	struct config_alias *a = NULL;
	char *addrs;
	size_t i;

	if (w->n < 3)
		return parse_error(p, "alias needs a name and an address");
	addrs = xstrndup(line + w->off[2], w->end - w->off[2]);
	if (has_control(addrs)) {
		free(addrs);
		return parse_error(p, "control characters in alias");
	}
	for (i = 0; i < cfg->naliases; i++)
		if (strcmp(cfg->aliases[i].name, w->v[1]) == 0)
			a = &cfg->aliases[i];
	if (a == NULL) {
		cfg->aliases = xreallocarray(cfg->aliases, cfg->naliases + 1,
		    sizeof(*cfg->aliases));
		a = &cfg->aliases[cfg->naliases++];
		a->name = xstrdup(w->v[1]);
	} else
		free(a->addrs);
	a->addrs = addrs;
	return 0;
}

/* account NAME { */
static int
kw_account(struct parse *p, struct words *w, const char *line)
{
	struct config *cfg = p->cfg;
	char e[ECHO_MAX];
	size_t i;

	(void)line;
	if (p->account != -1) {
		return parse_error(p, "nested account block (account "
		    "\"%s\" opened at line %d is not closed)",
		    echo(e, sizeof(e), cfg->accounts[p->account].name),
		    p->account_line);
	}
	if (w->n == 1 || (w->n == 2 && strcmp(w->v[1], "{") == 0))
		return parse_error(p, "account needs a name: account NAME {");
	if (w->n != 3 || strcmp(w->v[2], "{") != 0)
		return parse_error(p, "expected \"account %s {\"",
		    echo(e, sizeof(e), w->v[1]));
	if (has_control(w->v[1]) || strpbrk(w->v[1], " \t") != NULL)
		return parse_error(p, "bad account name");
	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i].name, w->v[1]) == 0)
			break;
	if (i == cfg->naccounts) {
		cfg->accounts = xreallocarray(cfg->accounts,
		    cfg->naccounts + 1, sizeof(*cfg->accounts));
		memset(&cfg->accounts[i], 0, sizeof(cfg->accounts[i]));
		cfg->accounts[i].name = xstrdup(w->v[1]);
		cfg->naccounts++;
	}
	p->account = (long)i;
	p->account_line = p->line;
	return 0;
}

/* } */
static int
kw_close(struct parse *p, struct words *w, const char *line)
{
	(void)line;
	if (p->account == -1)
		return parse_error(p, "} without an account block");
	if (w->n != 1)
		return parse_error(p, "unexpected text after }");
	p->account = -1;
	return 0;
}

static int
parse_line(struct parse *p, const char *line)
{
	struct words w;
	const char *why;
	char e[ECHO_MAX];
	size_t i;
	int r = -1;

	memset(&w, 0, sizeof(w));
	if ((why = words_split(line, &w)) != NULL) {
		parse_error(p, "%s", why);
		goto out;
	}
	if (w.n == 0) {
		r = 0;
		goto out;
	}
	for (i = 0; i < NKEYWORDS; i++)
		if (strcmp(keywords[i].name, w.v[0]) == 0)
			break;
	if (i == NKEYWORDS) {
		parse_error(p, "unknown command \"%s\" (expected set, unset, "
		    "alias, account or })", echo(e, sizeof(e), w.v[0]));
		goto out;
	}
	r = keywords[i].fn(p, &w, line);
out:
	/* Words may hold a password: wipe them. */
	for (i = 0; i < w.n; i++)
		explicit_bzero(w.v[i], strlen(w.v[i]));
	words_free(&w);
	return r;
}

/*
 * Refuses any rc file that someone else could have written, whatever it
 * holds: its commands (smtp-password-cmd) run as the caller, root's cron
 * included.  Owned by the caller or root, writable by neither group nor
 * others.
 */
static int
check_trusted(const char *path, const struct stat *st, struct failure *f)
{
	struct passwd *pw;
	char owner[64], me[64];

	if (st->st_uid != geteuid() && st->st_uid != 0) {
		if ((pw = getpwuid(st->st_uid)) != NULL)
			strlcpy(owner, pw->pw_name, sizeof(owner));
		else
			snprintf(owner, sizeof(owner), "uid %lu",
			    (unsigned long)st->st_uid);
		if ((pw = getpwuid(geteuid())) != NULL)
			strlcpy(me, pw->pw_name, sizeof(me));
		else
			snprintf(me, sizeof(me), "%lu",
			    (unsigned long)geteuid());
		return failure_set(f, F_CONFIG, "%s: belongs to %s, not to "
		    "you or root, who alone may set what it runs; run chown "
		    "%s %s", path, owner, me, path);
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return failure_set(f, F_CONFIG, "%s: writable by %s, who "
		    "could set what it runs; run chmod go-w %s", path,
		    st->st_mode & S_IWOTH ? "others" : "its group", path);
	return 0;
}

/* Refuses a file holding key (a secret) that group or others can read. */
static int
check_secure(const char *path, const char *key, const struct stat *st,
    struct failure *f)
{
	if (st->st_mode & (S_IRGRP | S_IROTH))
		return failure_set(f, F_CONFIG, "%s: holds %s but "
		    "is readable by %s; run chmod 600 %s", path, key,
		    st->st_mode & S_IROTH ? "others" : "its group", path);
	return 0;
}

int
config_load_file(struct config *cfg, const char *path, struct failure *f)
{
	struct parse p;
	struct stat st;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int r = -1;

	if ((fp = fopen(path, "re")) == NULL)
		return failure_set(f, F_CONFIG, "%s: %s", path,
		    strerror(errno));
	if (fstat(fileno(fp), &st) == -1) {
		failure_set(f, F_CONFIG, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		failure_set(f, F_CONFIG, "%s: not a regular file", path);
		goto out;
	}
	if (check_trusted(path, &st, f) == -1)
		goto out;
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.path = path;
	p.account = -1;
	p.f = f;
	while ((len = getline(&line, &cap, fp)) != -1) {
		p.line++;
		if ((size_t)len > CONFIG_LINE_MAX) {
			parse_error(&p, "line too long");
			goto out;
		}
		if (strlen(line) != (size_t)len) {
			parse_error(&p, "NUL byte in line");
			goto out;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (parse_line(&p, line) == -1)
			goto out;
	}
	if (ferror(fp)) {
		failure_set(f, F_CONFIG, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (p.account != -1) {
		char e[ECHO_MAX];

		p.line = p.account_line;
		parse_error(&p, "account \"%s\" is not closed with }",
		    echo(e, sizeof(e), cfg->accounts[p.account].name));
		goto out;
	}
	if (p.secret_key != NULL &&
	    check_secure(path, p.secret_key, &st, f) == -1)
		goto out;
	cfg->files = xreallocarray(cfg->files, cfg->nfiles + 1,
	    sizeof(*cfg->files));
	cfg->files[cfg->nfiles++] = xstrdup(path);
	log_debug("config: read %s", path);
	r = 0;
out:
	if (line != NULL)
		freezero(line, cap);
	fclose(fp);
	return r;
}

/* Opens path when it exists: 1 read, 0 absent, -1 failed. */
static int
load_if_exists(struct config *cfg, const char *path, struct failure *f)
{
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		log_debug("config: %s: not found", path);
		return 0;
	}
	if (config_load_file(cfg, path, f) == -1)
		return -1;
	return 1;
}

static const char *
home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && *home != '\0')
		return home;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_dir;
	return NULL;
}

/*
 * A file named by -C or $OUTBOXRC could not be read: say who named it,
 * unless the text is a FILE:LINE complaint about its contents already.
 */
static int
config_named_failed(struct failure *f, const char *who, const char *path)
{
	char tmp[FAILURE_TEXT_MAX];
	size_t n = strlen(path);

	if (strncmp(f->text, path, n) == 0 && f->text[n] == ':' &&
	    isdigit((unsigned char)f->text[n + 1]))
		return -1;
	strlcpy(tmp, f->text, sizeof(tmp));
	strlcpy(f->text, who, sizeof(f->text));
	strlcat(f->text, " names a file that cannot be read: ", sizeof(f->text));
	strlcat(f->text, tmp, sizeof(f->text));
	return -1;
}

/* The user files in lookup order after -C. */
static int
load_user(struct config *cfg, struct failure *f)
{
	const char *env, *home = home_dir();
	char *path;
	int r;

	/* Named, it must be there: no silent fall-back to ~/.outboxrc. */
	if ((env = getenv("OUTBOXRC")) != NULL && *env != '\0') {
		if (config_load_file(cfg, env, f) == -1)
			return config_named_failed(f, "OUTBOXRC", env);
		cfg->user_file = xstrdup(env);
		return 1;
	}
	env = getenv("XDG_CONFIG_HOME");
	if (env != NULL && *env == '/')
		path = xasprintf("%s/outbox/outboxrc", env);
	else if (home != NULL)
		path = xasprintf("%s/.config/outbox/outboxrc", home);
	else
		path = NULL;
	if (path != NULL) {
		if ((r = load_if_exists(cfg, path, f)) != 0) {
			if (r == 1)
				cfg->user_file = path;
			else
				free(path);
			return r;
		}
		free(path);
	}
	if (home == NULL)
		return 0;
	path = xasprintf("%s/.outboxrc", home);
	if ((r = load_if_exists(cfg, path, f)) == 1)
		cfg->user_file = path;
	else
		free(path);
	return r;
}

/* The variable key set (not unset) in sc itself, or NULL. */
static const struct config_var *
scope_value(const struct config_scope *sc, const char *key)
{
	const struct config_var *v = scope_find(sc, key);

	return v != NULL && v->value != NULL ? v : NULL;
}

/* "FILE:LINE: KEY has no effect: WHY (FILE:LINE)". */
static int
effect_error(struct failure *f, const struct config_var *v, const char *why,
    const struct config_var *because)
{
	return failure_set(f, F_CONFIG, "%s:%d: %s has no effect: %s (%s:%d)",
	    v->file, v->line, v->key, why, because->file, because->line);
}

static const struct config_var *config_var(const struct config *,
    const char *, const char *);

/* The value of key in effect for account (inherited or its own). */
static const struct config_var *
effective(const struct config *cfg, const char *account, const char *key)
{
	const struct config_var *v = config_var(cfg, account, key);

	return v != NULL && v->value != NULL ? v : NULL;
}

/*
 * A key set in a block where the settings in effect there make it
 * useless is a mistake to point out, not to ignore: it was meant to do
 * something.  (An account can "unset" what it inherits.)
 */
static int
scope_check_effect(const struct config *cfg, const struct config_scope *sc,
    struct failure *f)
{
	static const char *const creds[] = { "smtp-user", "smtp-password",
	    "smtp-password-cmd" };
	const struct config_var *v, *w;
	size_t i;

	if ((v = scope_value(sc, "smtp-password-cmd")) != NULL &&
	    (w = effective(cfg, sc->name, "smtp-password")) != NULL)
		return effect_error(f, v, "smtp-password is used first; keep "
		    "one of them (an account can unset smtp-password)", w);
	if ((w = effective(cfg, sc->name, "smtp-auth")) != NULL &&
	    strcmp(w->value, "none") == 0)
		for (i = 0; i < sizeof(creds) / sizeof(creds[0]); i++)
			if ((v = scope_value(sc, creds[i])) != NULL)
				return effect_error(f, v, "smtp-auth=none "
				    "sends no credentials", w);
	return 0;
}

static int
config_check_effect(const struct config *cfg, struct failure *f)
{
	size_t i;

	if (scope_check_effect(cfg, &cfg->top, f) == -1)
		return -1;
	for (i = 0; i < cfg->naccounts; i++)
		if (scope_check_effect(cfg, &cfg->accounts[i], f) == -1)
			return -1;
	return 0;
}

const char *
config_system_path(void)
{
	const char *sys = getenv("OUTBOX_SYSTEM_RC");

	return sys == NULL || *sys == '\0' ? SYSTEM_RC : sys;
}

int
config_load(struct config *cfg, const char *explicit_path, int skip_system,
    struct failure *f)
{
	memset(cfg, 0, sizeof(*cfg));
	if (!skip_system) {
		if (load_if_exists(cfg, config_system_path(), f) == -1)
			goto fail;
	}
	if (explicit_path != NULL) {
		if (config_load_file(cfg, explicit_path, f) == -1) {
			config_named_failed(f, "-C", explicit_path);
			goto fail;
		}
		cfg->user_file = xstrdup(explicit_path);
	} else if (load_user(cfg, f) == -1)
		goto fail;
	if (config_check_effect(cfg, f) == -1)
		goto fail;
	return 0;
fail:
	config_free(cfg);
	return -1;
}

static void
scope_free(struct config_scope *sc)
{
	size_t i;

	for (i = 0; i < sc->nvars; i++) {
		free(sc->vars[i].key);
		if (sc->vars[i].value != NULL)
			freezero(sc->vars[i].value,
			    strlen(sc->vars[i].value) + 1);
		free(sc->vars[i].file);
	}
	free(sc->vars);
	free(sc->name);
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	scope_free(&cfg->top);
	for (i = 0; i < cfg->naccounts; i++)
		scope_free(&cfg->accounts[i]);
	free(cfg->accounts);
	for (i = 0; i < cfg->naliases; i++) {
		free(cfg->aliases[i].name);
		free(cfg->aliases[i].addrs);
	}
	free(cfg->aliases);
	free(cfg->user_file);
	for (i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	memset(cfg, 0, sizeof(*cfg));
}

const struct config_scope *
config_account(const struct config *cfg, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i].name, name) == 0)
			return &cfg->accounts[i];
	return NULL;
}

/* The variable behind key for account, with the top level beneath. */
static const struct config_var *
config_var(const struct config *cfg, const char *account, const char *key)
{
	const struct config_scope *sc;
	const struct config_var *v;

	if ((sc = config_account(cfg, account)) != NULL &&
	    (v = scope_find(sc, key)) != NULL)
		return v;
	return scope_find(&cfg->top, key);
}

const char *
config_get(const struct config *cfg, const char *account, const char *key)
{
	const struct config_var *v = config_var(cfg, account, key);

	return v != NULL ? v->value : NULL;
}

const char *
config_alias(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->naliases; i++)
		if (strcmp(cfg->aliases[i].name, name) == 0)
			return cfg->aliases[i].addrs;
	return NULL;
}

/* The addr-spec of "Name <addr>" or of a bare address, into buf. */
static const char *
addr_spec(char *buf, size_t bufsz, const char *s)
{
	const char *lt, *gt;
	size_t len;

	if ((lt = strrchr(s, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		s = lt + 1;
		len = (size_t)(gt - s);
	} else {
		while (*s == ' ' || *s == '\t')
			s++;
		len = strcspn(s, " \t");
	}
	if (len >= bufsz)
		len = bufsz - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

const char *
config_account_for_from(const struct config *cfg, const char *addr)
{
	char want[512], have[512];
	const char *from, *wdom, *hdom;
	size_t i;

	if (addr == NULL)
		return NULL;
	addr_spec(want, sizeof(want), addr);
	for (i = 0; i < cfg->naccounts; i++) {
		from = config_get(cfg, cfg->accounts[i].name, "from");
		if (from != NULL && strcasecmp(addr_spec(have, sizeof(have),
		    from), want) == 0)
			return cfg->accounts[i].name;
	}
	if ((wdom = strrchr(want, '@')) == NULL)
		return NULL;
	for (i = 0; i < cfg->naccounts; i++) {
		/* Only an account's own from, not one inherited. */
		const struct config_var *v = scope_find(&cfg->accounts[i],
		    "from");

		if (v == NULL || v->value == NULL)
			continue;
		addr_spec(have, sizeof(have), v->value);
		if ((hdom = strrchr(have, '@')) != NULL &&
		    strcasecmp(hdom, wdom) == 0)
			return cfg->accounts[i].name;
	}
	return NULL;
}

const char *
config_security_name(enum config_security sec)
{
	if ((size_t)sec >= NSECURITY)
		return "?";
	return security_names[sec];
}

const char *
config_auth_name(enum config_auth auth)
{
	if ((size_t)auth >= NAUTH)
		return "?";
	return auth_names[auth];
}

const char *
config_oauth2_provider_name(enum config_oauth2_provider p)
{
	if ((size_t)p >= NPROVIDER || provider_names[p] == NULL)
		return "(unset)";
	return provider_names[p];
}

/* An error about a configured value, placed at its file:line. */
static int
settings_error(struct failure *f, const struct config_var *v,
    const char *why)
{
	return failure_set(f, F_CONFIG, "%s:%d: bad value for %s: %s",
	    v->file, v->line, v->key, why);
}

/* The field of s at off, for the apply functions. */
#define FIELD(s, off, type) ((type *)(void *)((char *)(s) + (off)))

static const char *
apply_str(struct settings *s, size_t off, const char *v)
{
	*FIELD(s, off, const char *) = v;
	return NULL;
}

/*
 * smtp= into host, port, user and the scheme's security: smtps:// (or
 * port 465) means implicit TLS, else STARTTLS.  The URL was checked when
 * read, and is checked again here without being echoed.
 */
static const char *
apply_url(struct settings *s, size_t off, const char *v)
{
	struct server *sv = FIELD(s, off, struct server);
	const char *why;
	struct url u;

	if ((why = url_parse(v, &u)) != NULL) {
		explicit_bzero(&u, sizeof(u));
		return why;
	}
	strlcpy(sv->host_buf, u.host, sizeof(sv->host_buf));
	sv->host = sv->host_buf;
	if (u.port[0] != '\0')
		strlcpy(sv->port, u.port, sizeof(sv->port));
	else if (u.scheme == URL_SMTPS)
		strlcpy(sv->port, CONFIG_PORT_SUBMISSIONS, sizeof(sv->port));
	if (u.user[0] != '\0') {
		strlcpy(sv->user_buf, u.user, sizeof(sv->user_buf));
		sv->user = sv->user_buf;
	}
	sv->security = u.scheme == URL_SMTPS || strcmp(sv->port,
	    CONFIG_PORT_SUBMISSIONS) == 0 ? SEC_TLS : SEC_STARTTLS;
	explicit_bzero(&u, sizeof(u));
	return NULL;
}

static const char *
apply_security(struct settings *s, size_t off, const char *v)
{
	int i;

	if ((i = name_index(security_names, NSECURITY, v)) == -1)
		return "must be starttls, tls or none";
	*FIELD(s, off, enum config_security) = (enum config_security)i;
	return NULL;
}

static const char *
apply_auth(struct settings *s, size_t off, const char *v)
{
	int i;

	if ((i = name_index(auth_names, NAUTH, v)) == -1)
		return "must be auto, plain, login, cram-md5, scram-sha-256, "
		    "xoauth2, oauthbearer or none";
	*FIELD(s, off, enum config_auth) = (enum config_auth)i;
	return NULL;
}

static const char *
apply_provider(struct settings *s, size_t off, const char *v)
{
	int i;

	if ((i = name_index(provider_names, NPROVIDER, v)) == -1)
		return "must be google, microsoft or custom";
	*FIELD(s, off, enum config_oauth2_provider) =
	    (enum config_oauth2_provider)i;
	return NULL;
}

static const char *
apply_timeout(struct settings *s, size_t off, const char *v)
{
	const char *errstr;
	int n;

	n = (int)strtonum(v, TIMEOUT_MIN, TIMEOUT_MAX, &errstr);
	if (errstr != NULL)
		return "must be a number of seconds from 1 to 3600";
	*FIELD(s, off, int) = n;
	return NULL;
}

static const char *
apply_bool(struct settings *s, size_t off, const char *v)
{
	*FIELD(s, off, int) = strcmp(v, "no") != 0;
	return NULL;
}

/* Seconds, as valid_max_age() normalised them. */
static const char *
apply_max_age(struct settings *s, size_t off, const char *v)
{
	const char *errstr;
	long long n;

	n = strtonum(v, 1, CONFIG_MAX_AGE_MAX, &errstr);
	if (errstr != NULL)
		return "must be a number of seconds from 1 to 31536000";
	*FIELD(s, off, long long) = n;
	return NULL;
}

/*
 * A login name in the URL (url_key) and in user_key that differ: which
 * one logs in would be a silent choice (the URL's, once), and editing the
 * other then does nothing; so it is an error naming both.
 */
static int
settings_user_conflict(const struct config *cfg, const char *account,
    const char *url_key, const char *user_key, struct failure *f)
{
	const struct config_var *uv = config_var(cfg, account, url_key);
	const struct config_var *nv = config_var(cfg, account, user_key);
	struct url u;
	int differ;

	if (uv == NULL || uv->value == NULL || nv == NULL ||
	    nv->value == NULL || url_parse(uv->value, &u) != NULL) {
		explicit_bzero(&u, sizeof(u));
		return 0;
	}
	differ = u.user[0] != '\0' && strcmp(u.user, nv->value) != 0;
	if (differ)
		failure_set(f, F_CONFIG, "%s:%d: %s names the user \"%s\" but "
		    "%s (%s:%d) says \"%s\"; keep one of them", uv->file,
		    uv->line, url_key, u.user, user_key, nv->file, nv->line,
		    nv->value);
	explicit_bzero(&u, sizeof(u));
	return differ ? -1 : 0;
}

int
config_settings(const struct config *cfg, const char *account,
    struct settings *s, struct failure *f)
{
	const struct config_var *v;
	const struct key *k;
	const char *why;

	memset(s, 0, sizeof(*s));
	if (account != NULL && config_account(cfg, account) == NULL)
		return failure_set(f, F_CONFIG, "no account named \"%s\"%s%s",
		    account, cfg->user_file ? " in " : "",
		    cfg->user_file ? cfg->user_file : "");
	s->account = account;
	s->smtp.name = "smtp";
	s->smtp.oauth2.account = account;
	strlcpy(s->smtp.port, CONFIG_PORT_SUBMISSION, sizeof(s->smtp.port));
	s->smtp.security = SEC_STARTTLS;
	if (settings_user_conflict(cfg, account, "smtp", "smtp-user",
	    f) == -1)
		return -1;
	for (k = keys; k < keys + NKEYS; k++) {
		v = config_var(cfg, k->flags & KEY_TOP ? NULL : account,
		    k->name);
		if (v != NULL && v->value != NULL) {
			if ((why = k->apply(s, k->off, v->value)) != NULL)
				return settings_error(f, v, why);
		} else if (k->dflt != NULL &&
		    (why = k->apply(s, k->off, k->dflt)) != NULL)
			return failure_set(f, F_INTERNAL, "default of %s: %s",
			    k->name, why);
	}
	if (s->hostname == NULL) {
		if (gethostname(s->hostname_buf, sizeof(s->hostname_buf)) ==
		    -1 || s->hostname_buf[0] == '\0')
			strlcpy(s->hostname_buf, "localhost",
			    sizeof(s->hostname_buf));
		s->hostname_buf[sizeof(s->hostname_buf) - 1] = '\0';
		s->hostname = s->hostname_buf;
	}
	return 0;
}

void
config_log_settings(const struct settings *s)
{
#define STR(x) ((x) != NULL ? (x) : "(unset)")
	log_debug("account = %s", STR(s->account));
	log_debug("from = %s", STR(s->from));
	log_debug("smtp host = %s, port = %s", STR(s->smtp.host), s->smtp.port);
	log_debug("smtp-security = %s", config_security_name(s->smtp.security));
	log_debug("smtp-auth = %s", config_auth_name(s->smtp.auth));
	log_debug("smtp-user = %s", STR(s->smtp.user));
	log_debug("smtp-password = %s", s->smtp.password != NULL ? "********" :
	    "(unset)");
	log_debug("smtp-password-cmd = %s", STR(s->smtp.password_cmd));
	log_debug("tls-ca-file = %s", STR(s->smtp.ca_file));
	log_debug("tls-fingerprint = %s", STR(s->smtp.fingerprint));
	log_debug("hostname = %s", STR(s->hostname));
	log_debug("timeout = %d", s->smtp.timeout);
	log_debug("queue-on-failure = %s", s->queue_on_failure ? "yes" : "no");
	log_debug("default-domain = %s", STR(s->default_domain));
	log_debug("aliases-file = %s", STR(s->aliases_file));
	log_debug("oauth2-provider = %s",
	    config_oauth2_provider_name(s->smtp.oauth2.provider));
	log_debug("oauth2-client-id = %s", STR(s->smtp.oauth2.client_id));
	log_debug("oauth2-client-secret = %s", s->smtp.oauth2.client_secret !=
	    NULL ? "********" : "(unset)");
	log_debug("oauth2-token-url = %s", STR(s->smtp.oauth2.token_url));
#undef STR
}
