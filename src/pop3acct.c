/*
 * pop3acct.c — one account's POP3 side (see pop3acct.h): the keys of
 * outboxrc(5) "pop3", "pop3-*" and "fetch-*" resolved, the engine's
 * parameters, and the session opened with a password or an OAuth2
 * access token (RFC 6749 via oauth2.c; RFC 7628 and Google's XOAUTH2 on
 * the wire through sasl.c), the token renewed once when refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credentials.h"
#include "log.h"
#include "pop3acct.h"

static int
pop3acct_bad(struct failure *f, const struct pop3acct *a, const char *key,
    const char *why)
{
	return failure_set(f, F_CONFIG, "fetch %s: bad value for %s: %s",
	    a->name, key, why);
}

/* "[pop3s://|pop3://][user@]host[:port]"; *tls set for pop3s. */
static const char *
pop3acct_url(const char *url, struct pop3acct *s, int *tls, int *scheme)
{
	const char *p = url, *at, *host, *hend, *end;
	size_t n;

	*tls = *scheme = 0;
	if (strncasecmp(p, "pop3s://", 8) == 0) {
		*tls = *scheme = 1;
		p += 8;
	} else if (strncasecmp(p, "pop3://", 7) == 0) {
		*scheme = 1;
		p += 7;
	} else if (strstr(p, "://") != NULL)
		return "must start with pop3:// or pop3s://";
	end = p + strlen(p);
	if (end > p && end[-1] == '/')
		end--;
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
		const char *q;

		for (q = at + 1; q < end; q++)
			if (*q == '@')
				at = q;
		if (memchr(p, ':', (size_t)(at - p)) != NULL)
			return "a password in the pop3 URL is refused; use "
			    "pop3-password-cmd instead";
		n = (size_t)(at - p);
		if (n == 0 || n >= sizeof(s->user))
			return "bad user name";
		memcpy(s->user, p, n);
		s->user[n] = '\0';
		p = at + 1;
	}
	if (*p == '[') {
		host = p + 1;
		if ((hend = memchr(host, ']', (size_t)(end - host))) == NULL)
			return "missing ]";
		p = hend + 1;
	} else {
		host = p;
		if ((hend = memchr(p, ':', (size_t)(end - p))) == NULL)
			hend = end;
		p = hend;
	}
	n = (size_t)(hend - host);
	if (n == 0 || n >= sizeof(s->host))
		return "no host, or too long a one";
	memcpy(s->host, host, n);
	s->host[n] = '\0';
	for (n = 0; s->host[n] != '\0'; n++)
		if (!isalnum((unsigned char)s->host[n]) &&
		    strchr("-._:%", s->host[n]) == NULL)
			return "bad host name";
	if (p < end) {
		const char *errstr;

		if (*p != ':' || (size_t)(end - p - 1) >= sizeof(s->port) ||
		    end - p - 1 == 0)
			return "bad port";
		memcpy(s->port, p + 1, (size_t)(end - p - 1));
		s->port[end - p - 1] = '\0';
		(void)strtonum(s->port, 1, 65535, &errstr);
		if (errstr != NULL)
			return "bad port";
	}
	return NULL;
}

static int
pop3acct_auth(struct pop3acct *s, const char *v, struct failure *f)
{
	static const struct {
		const char *name;
		enum pop3_login login;
		enum sasl_mech mech;
	} t[] = {
		{ "auto", POP3_LOGIN_AUTO, SASL_NONE },
		{ "user", POP3_LOGIN_USER, SASL_NONE },
		{ "apop", POP3_LOGIN_APOP, SASL_NONE },
		{ "plain", POP3_LOGIN_SASL, SASL_PLAIN },
		{ "login", POP3_LOGIN_SASL, SASL_LOGIN },
		{ "cram-md5", POP3_LOGIN_SASL, SASL_CRAM_MD5 },
		{ "scram-sha-256", POP3_LOGIN_SASL, SASL_SCRAM_SHA_256 },
		{ "xoauth2", POP3_LOGIN_SASL, SASL_XOAUTH2 },
		{ "oauthbearer", POP3_LOGIN_SASL, SASL_OAUTHBEARER },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(v, t[i].name) == 0) {
			s->login = t[i].login;
			s->mech = t[i].mech;
			return 0;
		}
	return pop3acct_bad(f, s, "pop3-auth", "unknown method");
}

/* The default Maildir: ~/Maildir. */
static int
pop3acct_target(struct pop3acct *s, const char *v, struct failure *f)
{
	const char *home = getenv("HOME");
	const char *path = v;
	char buf[PATH_MAX];

	if (v != NULL && strncmp(v, "mbox:", 5) == 0) {
		s->mbox = 1;
		path = v + 5;
	}
	if (path == NULL || *path == '\0')
		path = "~/Maildir";
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		if (home == NULL)
			return pop3acct_bad(f, s, "fetch-to", "HOME is not set");
		if ((size_t)snprintf(buf, sizeof(buf), "%s%s", home,
		    path + 1) >= sizeof(buf))
			return pop3acct_bad(f, s, "fetch-to", "too long");
		path = buf;
	}
	if (strlcpy(s->to, path, sizeof(s->to)) >= sizeof(s->to))
		return pop3acct_bad(f, s, "fetch-to", "too long");
	return 0;
}

/*
 * pop3-auth's default: the SMTP side's OAuth2 mechanism when outbox
 * keeps that token (one login serves both: Microsoft's preset scope has
 * POP.AccessAsUser.All beside SMTP.Send, Google's covers all of mail),
 * else auto.
 */
static const char *
pop3acct_default_auth(const struct settings *cs)
{
	if (!credentials_is_token(&cs->smtp))
		return "auto";
	return cs->smtp.auth == AUTH_OAUTHBEARER ? "oauthbearer" : "xoauth2";
}

int
pop3acct_resolve(const struct config *cfg, const char *account,
    struct pop3acct *s, struct failure *f)
{
	struct settings cs;
	const struct fetch_keys *k = &cs.fetch;
	const char *v, *errstr;
	int tls, scheme;

	memset(s, 0, sizeof(*s));
	s->account = account;
	snprintf(s->name, sizeof(s->name), "%s", account ? account : "default");
	if (config_settings(cfg, account, &cs, f) == -1)
		return -1;
	if (k->url == NULL)
		return failure_set(f, F_CONFIG, "fetch %s: no POP3 server "
		    "(set pop3=pop3s://user@host)", s->name);
	if ((v = pop3acct_url(k->url, s, &tls, &scheme)) != NULL)
		return pop3acct_bad(f, s, "pop3", v);
	if (s->port[0] == '\0')
		strlcpy(s->port, tls ? POP3S_PORT : scheme ? POP3_PORT :
		    POP3S_PORT, sizeof(s->port));
	/* RFC 8314: TLS on 995, else STLS; plaintext only when asked. */
	s->security = strcmp(s->port, POP3S_PORT) == 0 || tls ?
	    POP3_SEC_TLS : POP3_SEC_STLS;
	if ((v = k->security) != NULL)
		s->security = strcmp(v, "stls") == 0 ? POP3_SEC_STLS :
		    strcmp(v, "tls") == 0 ? POP3_SEC_TLS : POP3_SEC_NONE;
	s->auth = k->auth ? k->auth : pop3acct_default_auth(&cs);
	if (pop3acct_auth(s, s->auth, f) == -1)
		return -1;
	/* Most providers use one login for both: fall back to smtp-*. */
	if (s->user[0] == '\0' && (v = k->user ? k->user :
	    config_get(cfg, account, "smtp-user")) != NULL)
		strlcpy(s->user, v, sizeof(s->user));
	s->password = k->password;
	s->password_cmd = k->password_cmd;
	s->password_key = "pop3";
	if (s->password == NULL && s->password_cmd == NULL) {
		s->password = cs.smtp.password;
		s->password_cmd = cs.smtp.password_cmd;
		s->password_key = "smtp";
	}
	s->ca_file = cs.smtp.ca_file;
	s->fingerprint = k->fingerprint;
	s->timeout = cs.smtp.timeout > 0 ? cs.smtp.timeout :
	    CONFIG_TIMEOUT_DEFAULT;
	s->oauth2 = cs.smtp.oauth2;
	if (pop3acct_target(s, k->to, f) == -1)
		return -1;
	s->delete = k->delete != NULL && strcmp(k->delete, "yes") == 0;
	if (k->max_size != NULL) {
		s->max_size = (unsigned long long)strtonum(k->max_size, 0,
		    LLONG_MAX, &errstr);
		if (errstr != NULL)
			return pop3acct_bad(f, s, "fetch-max-size",
			    "not a number of octets");
	}
	return 0;
}

void
pop3acct_server(const struct pop3acct *a, struct server *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->name = "pop3";
	srv->host = a->host;
	strlcpy(srv->port, a->port, sizeof(srv->port));
	/*
	 * pop3-security=none still logs in (USER/PASS in the clear is
	 * what it is asked for), so the credentials see a secured server.
	 */
	srv->security = a->security == POP3_SEC_TLS ? SEC_TLS : SEC_STARTTLS;
	srv->auth = a->login != POP3_LOGIN_SASL ? AUTH_AUTO :
	    a->mech == SASL_XOAUTH2 ? AUTH_XOAUTH2 :
	    a->mech == SASL_OAUTHBEARER ? AUTH_OAUTHBEARER : AUTH_AUTO;
	srv->user = a->user;
	srv->password = a->password;
	srv->password_cmd = a->password_cmd;
	srv->timeout = a->timeout;
	srv->oauth2 = a->oauth2;
}

void
pop3acct_params(const struct pop3acct *s, const char *password,
    const struct pop3_watch *w, struct pop3_params *p)
{
	memset(p, 0, sizeof(*p));
	p->host = s->host;
	p->port = s->port;
	p->security = s->security;
	p->login = s->login;
	p->mech = s->mech;
	p->user = s->user[0] ? s->user : NULL;
	p->password = password;
	p->ca_file = s->ca_file;
	p->fingerprint = s->fingerprint;
	p->timeout = s->timeout;
	p->watch = w;
}

const char *
pop3acct_secret_source(const struct pop3acct *a)
{
	struct server srv;

	pop3acct_server(a, &srv);
	if (credentials_is_token(&srv))
		return "OAuth2 access token (oauth2-*)";
	if (a->password != NULL)
		return strcmp(a->password_key, "pop3") == 0 ? "set" :
		    "set (smtp-password)";
	if (a->password_cmd != NULL)
		return strcmp(a->password_key, "pop3") == 0 ? "from command" :
		    "from command (smtp-password-cmd)";
	return "prompt";
}

struct pop3_session *
pop3acct_open(const struct pop3acct *a, const struct pop3_watch *w,
    void (*got_secret)(void *), void *arg, struct failure *f)
{
	struct pop3_params pp;
	struct pop3_session *s;
	struct server srv;
	struct failure rf;
	char *pw, *fresh;

	pop3acct_server(a, &srv);
	if ((pw = credentials_get(&srv, f)) == NULL)
		return NULL;
	if (got_secret != NULL)
		got_secret(arg);
	pop3acct_params(a, pw, w, &pp);
	s = pop3_open(&pp, f);
	/* RFC 6750 3.1 invalid_token: one fresh token, one more try. */
	if (s == NULL && f->kind == F_AUTH && credentials_is_token(&srv)) {
		log_info("the POP3 server refused the OAuth2 access token; "
		    "refreshing it once");
		failure_clear(&rf);
		if ((fresh = credentials_renew(&srv, pw, &rf)) == NULL) {
			*f = rf;
		} else {
			credentials_free(pw);
			pw = fresh;
			pop3acct_params(a, pw, w, &pp);
			failure_clear(f);
			s = pop3_open(&pp, f);
		}
	}
	credentials_free(pw);
	return s;
}
