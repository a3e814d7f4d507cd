/*
 * hint.c — the hint table (see hint.h).  Rows are tried in order; the
 * first whose every given field matches wins, so the provider-specific
 * rows come before the general ones.  Codes and texts are those the
 * providers are known to send (RFC 3463 enhanced codes where they have
 * them); a text pattern is a case-insensitive substring of the server's
 * reply or of our own failure text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hint.h"

struct hint_rule {
	const char *step;	/* the failure's step ("AUTH"), or NULL */
	enum failure_kind kind;	/* F_NONE: any */
	int code;		/* the reply code, or 0 */
	const char *esc;	/* the enhanced status code, or NULL */
	const char *text;	/* a pattern in the text, or NULL */
	const char *hint;
};

static const struct hint_rule hint_rules[] = {
	/* The port and the security setting disagree. */
	{ "greeting", F_CONFIG, 0, NULL, "speaks TLS at once",
	    "this port speaks implicit TLS (as 465 does): set "
	    "smtp-security=tls, or use the STARTTLS port (587)" },
	{ "TLS", F_CONFIG, 0, NULL, "answered in plaintext",
	    "this port greets in plaintext (as 587 and 25 do): set "
	    "smtp-security=starttls, or use the implicit-TLS port (465)" },
	{ "STARTTLS", F_PERM, 0, NULL, "does not offer STARTTLS",
	    "the server offers no STARTTLS here: use its implicit-TLS port "
	    "with set smtp-security=tls (465); smtp-security=none only on a "
	    "network you trust, and never with a password" },
	/* Certificates. */
	{ "TLS", F_TLS, 0, NULL, "the certificate is for",
	    "the certificate is for another name: put one of its names in "
	    "smtp=, or pin its key with tls-fingerprint (outbox --check "
	    "prints the line)" },
	{ "TLS", F_TLS, 0, NULL, "; issuer",
	    "the certificate's issuer is not trusted here: set "
	    "tls-ca-file=/path/to/that-ca.pem, or pin the key with "
	    "tls-fingerprint (outbox --check prints the line)" },
	{ "TLS", F_TLS, 0, NULL, "certificate has expired",
	    "the server's certificate has expired: tell its operator; a "
	    "tls-fingerprint pin of its key is accepted meanwhile" },
	{ "TLS", F_TLS, 0, NULL, "does not match the pinned one",
	    "the server's key changed: if that is expected, replace "
	    "tls-fingerprint with the value outbox --check prints" },
	/* AUTH: mechanisms, then what providers say. */
	{ "AUTH", F_PERM, 0, NULL, "does not offer",
	    "smtp-auth names a mechanism the server does not offer: set "
	    "smtp-auth to one it lists, or smtp-auth=auto" },
	{ "AUTH", F_PERM, 0, NULL, "without TLS",
	    "credentials never go over plaintext: set smtp-security=starttls "
	    "or smtp-security=tls" },
	{ "AUTH", F_PERM, 0, NULL, "no supported mechanism",
	    "the server offers no mechanism outbox speaks: ask its operator, "
	    "or check the port (submission is 587 or 465)" },
	{ "AUTH", F_PERM, 0, NULL, "offers no authentication",
	    "the server offers no AUTH here (after STARTTLS on a submission "
	    "port it should): check the port, or unset smtp-user for a relay "
	    "that needs no login" },
	{ NULL, F_NONE, 534, "5.7.9", NULL,
	    "Gmail wants an app password, not the account password: turn on "
	    "2-Step Verification, create an app password in the Google "
	    "account's security settings and use it as the password" },
	{ NULL, F_NONE, 0, NULL, "application-specific password",
	    "the provider wants an app password, not the account password: "
	    "create one in the account's security settings" },
	{ NULL, F_NONE, 0, "5.7.139", NULL,
	    "Microsoft 365 has basic authentication (SMTP AUTH) turned off "
	    "for this tenant or mailbox: use OAuth2 (set smtp-auth=xoauth2 "
	    "with a token from smtp-password-cmd), or ask the admin to "
	    "enable authenticated SMTP" },
	{ NULL, F_NONE, 535, "5.7.3", NULL,
	    "Microsoft 365 refused the login; if basic authentication is "
	    "disabled for the tenant, use OAuth2 (set smtp-auth=xoauth2 with "
	    "a token from smtp-password-cmd)" },
	{ NULL, F_NONE, 0, NULL, "basic authentication is disabled",
	    "basic authentication is disabled for this account: use OAuth2 "
	    "(set smtp-auth=xoauth2 with a token from smtp-password-cmd)" },
	{ NULL, F_NONE, 0, NULL, "authorization code",
	    "this provider wants an authorization code (授权码), not the "
	    "login password: turn on SMTP in the mailbox's settings, "
	    "generate the code and use it as the password" },
	{ NULL, F_NONE, 0, NULL, "授权码",
	    "this provider wants an authorization code (授权码), not the "
	    "login password: turn on SMTP in the mailbox's settings, "
	    "generate the code and use it as the password" },
	/* Throttling: wait, and let the queue keep the messages. */
	{ NULL, F_NONE, 0, NULL, "too many login attempts",
	    "the provider is throttling logins: retry later; keep "
	    "queue-on-failure=yes so messages wait in the queue" },
	{ NULL, F_NONE, 0, NULL, "sending limit",
	    "the account reached its sending limit: retry later (often the "
	    "next day); keep queue-on-failure=yes so messages wait in the "
	    "queue" },
	{ NULL, F_NONE, 0, NULL, "rate limit",
	    "the provider is rate-limiting this account: retry later; keep "
	    "queue-on-failure=yes so messages wait in the queue" },
	/* The sender: providers let a login send only as its own address. */
	{ "MAIL FROM", F_NONE, 0, NULL, "sender address rejected",
	    "the server does not let this login send as this address: set "
	    "from to the account's own address" },
	{ "MAIL FROM", F_NONE, 0, NULL, "not owned",
	    "the server does not let this login send as this address: set "
	    "from to the account's own address" },
	{ "MAIL FROM", F_NONE, 0, NULL, "sendasdenied",
	    "the server does not let this login send as this address: set "
	    "from to the account's own address" },
	{ "MAIL FROM", F_NONE, 0, NULL, "not allowed",
	    "the server does not let this login send as this address: set "
	    "from to the account's own address" },
	{ "MAIL FROM", F_NONE, 553, "5.7.1", NULL,
	    "the server does not let this login send as this address: set "
	    "from to the account's own address" },
	{ "MAIL FROM", F_NONE, 550, "5.7.1", NULL,
	    "the server does not let this login send as this address: set "
	    "from to the account's own address" },
	{ "MAIL FROM", F_PERM, 530, NULL, NULL,
	    "the server wants a login first: set smtp-user (and the "
	    "password)" },
	/* The configuration. */
	{ NULL, F_CONFIG, 0, NULL, "OUTBOXRC names a file that cannot be",
	    "create that file, or point OUTBOXRC at the right one (unset "
	    "it to use ~/.outboxrc)" },
	/* The general cases last. */
	{ "AUTH", F_AUTH, 0, NULL, NULL,
	    "check smtp-user (often the full address) and the password; many "
	    "providers want an app password or authorization code instead" },
	{ "connect", F_NOHOST, 0, NULL, NULL,
	    "the host name does not resolve: check smtp= in the config" },
	{ "connect", F_TEMP, 0, NULL, "connection refused",
	    "nothing listens there: check the port in smtp= (587 for "
	    "STARTTLS, 465 for implicit TLS)" },
};

/*
 * The POP3 side (--fetch, and the POP3 steps of --check): the same
 * causes in POP3's words (RFC 2449 and 3206 response codes).
 */
static const struct hint_rule hint_pop3_rules[] = {
	/* The port and the security setting disagree. */
	{ "greeting", F_CONFIG, 0, NULL, "speaks TLS at once",
	    "this port speaks implicit TLS (as 995 does): set "
	    "pop3-security=tls (or pop3=pop3s://...), or use the STLS port "
	    "(110)" },
	{ "TLS", F_CONFIG, 0, NULL, "answered in plaintext",
	    "this port greets in plaintext (as 110 does): set "
	    "pop3-security=stls, or use the implicit-TLS port (995)" },
	{ "STLS", F_PERM, 0, NULL, "does not offer STLS",
	    "the server offers no STLS here: use its implicit-TLS port with "
	    "pop3=pop3s://... (995); pop3-security=none only on a network "
	    "you trust" },
	/* Certificates. */
	{ "TLS", F_TLS, 0, NULL, "the certificate is for",
	    "the certificate is for another name: put one of its names in "
	    "pop3=, or pin its key with pop3-tls-fingerprint (outbox --check "
	    "prints the line)" },
	{ "TLS", F_TLS, 0, NULL, "; issuer",
	    "the certificate's issuer is not trusted here: set "
	    "tls-ca-file=/path/to/that-ca.pem, or pin the key with "
	    "pop3-tls-fingerprint (outbox --check prints the line)" },
	{ "TLS", F_TLS, 0, NULL, "certificate has expired",
	    "the server's certificate has expired: tell its operator; a "
	    "pop3-tls-fingerprint pin of its key is accepted meanwhile" },
	{ "TLS", F_TLS, 0, NULL, "does not match the pinned one",
	    "the server's key changed: if that is expected, replace "
	    "pop3-tls-fingerprint with the value outbox --check prints" },
	/* The login. */
	{ "AUTH", F_PERM, 0, NULL, "does not offer",
	    "pop3-auth names a mechanism the server does not offer (outbox "
	    "--check lists its SASL line): set pop3-auth to one of those, or "
	    "pop3-auth=auto" },
	{ "APOP", F_PERM, 0, NULL, "no timestamp",
	    "the server does not offer APOP: set pop3-auth=auto (or user)" },
	{ NULL, F_AUTH, 0, NULL, "oauth2-login", NULL },
	{ NULL, F_NONE, 0, NULL, "[IN-USE]",
	    "another session holds the mailbox (a mail reader, or a fetch "
	    "from another machine): close it, or retry later" },
	{ NULL, F_NONE, 0, NULL, "[LOGIN-DELAY]",
	    "the server allows a login only every so often (CAPA "
	    "LOGIN-DELAY): fetch less often, e.g. a longer cron interval" },
	{ NULL, F_NONE, 0, NULL, "[SYS/TEMP]",
	    "the server has a temporary problem: retry later" },
	{ NULL, F_NONE, 0, NULL, "application-specific password",
	    "the provider wants an app password, not the account password: "
	    "create one in the account's security settings" },
	{ NULL, F_NONE, 0, NULL, "authorization code",
	    "this provider wants an authorization code (授权码), not the "
	    "login password: turn on POP3 in the mailbox's settings, "
	    "generate the code and use it as the password" },
	{ NULL, F_NONE, 0, NULL, "授权码",
	    "this provider wants an authorization code (授权码), not the "
	    "login password: turn on POP3 in the mailbox's settings, "
	    "generate the code and use it as the password" },
	{ NULL, F_NONE, 0, NULL, "basic authentication is disabled",
	    "basic authentication is disabled for this account: use OAuth2 "
	    "(set pop3-auth=xoauth2 with oauth2-provider, then outbox "
	    "--oauth2-login)" },
	{ "AUTH", F_AUTH, 0, NULL, "XOAUTH2",
	    "the server refused the OAuth2 access token even fresh: check "
	    "that the login's scope covers POP3 (oauth2-scope; Microsoft's "
	    "POP.AccessAsUser.All) and that POP3 is turned on for the "
	    "mailbox, then outbox --oauth2-login" },
	{ "AUTH", F_AUTH, 0, NULL, "OAUTHBEARER",
	    "the server refused the OAuth2 access token even fresh: check "
	    "that the login's scope covers POP3 (oauth2-scope; Microsoft's "
	    "POP.AccessAsUser.All) and that POP3 is turned on for the "
	    "mailbox, then outbox --oauth2-login" },
	{ NULL, F_AUTH, 0, NULL, "no user or password",
	    "set pop3-user (or smtp-user) and pop3-password-cmd" },
	{ NULL, F_AUTH, 0, NULL, NULL,
	    "check pop3-user (often the full address) and the password "
	    "(pop3-password-cmd; the smtp-* login when unset); many providers "
	    "want an app password or authorization code, and POP3 turned on "
	    "in the mailbox's settings" },
	/* Connecting. */
	{ "connect", F_NOHOST, 0, NULL, NULL,
	    "the host name does not resolve: check pop3= in the config" },
	{ "connect", F_TEMP, 0, NULL, "connection refused",
	    "nothing listens there: check the port in pop3= (995 for "
	    "POP3S, 110 for STLS)" },
};

/* Case-insensitive strstr; byte-wise, so UTF-8 patterns match as is. */
static int
hint_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/*
 * The reply quoted in a failure text: "(CODE[ X.Y.Z] ...)", the last
 * such group.  *code 0 when there is none.
 */
static void
hint_reply(const char *text, int *code, char *esc, size_t escsz)
{
	const char *p, *q;
	size_t n;

	*code = 0;
	esc[0] = '\0';
	for (p = text; (p = strchr(p, '(')) != NULL; p++) {
		if (!isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]) ||
		    !isdigit((unsigned char)p[3]) ||
		    (p[4] != ' ' && p[4] != ')' && p[4] != '-'))
			continue;
		*code = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
		esc[0] = '\0';
		q = p + 5;
		if (p[4] == ' ' && isdigit((unsigned char)*q) && q[1] == '.') {
			n = strspn(q, "0123456789.");
			if (n < escsz) {
				memcpy(esc, q, n);
				esc[n] = '\0';
			}
		}
	}
}

/*
 * The first rule of v[n] matching kind and text; its hint or NULL.
 * words: a step also matches as the first word ("AUTH PLAIN: ..." is
 * the AUTH step of POP3).
 */
static const char *
hint_match(const struct hint_rule *v, size_t n, enum failure_kind kind,
    const char *text, int words)
{
	const struct hint_rule *r;
	char esc[16];
	size_t i, steplen;
	int code;

	hint_reply(text, &code, esc, sizeof(esc));
	for (i = 0; i < n; i++) {
		r = &v[i];
		if (r->step != NULL) {
			steplen = strlen(r->step);
			if (strncmp(text, r->step, steplen) != 0 ||
			    (text[steplen] != ':' && (!words ||
			    text[steplen] != ' ')))
				continue;
		}
		if (r->kind != F_NONE && r->kind != kind)
			continue;
		if (r->code != 0 && r->code != code)
			continue;
		if (r->esc != NULL && strcmp(r->esc, esc) != 0)
			continue;
		if (r->text != NULL && !hint_contains(text, r->text))
			continue;
		return r->hint;
	}
	return NULL;
}

#define HINT_N(v) (sizeof(v) / sizeof((v)[0]))

const char *
hint_for(const struct failure *f)
{
	const char *p;

	if (f == NULL || f->kind == F_NONE)
		return NULL;
	/*
	 * --fetch's "fetch ACCOUNT: STEP: ..." and --check's "pop3
	 * ACCOUNT: STEP: ..." are the POP3 side's.
	 */
	if ((strncmp(f->text, "fetch ", 6) == 0 ||
	    strncmp(f->text, "pop3 ", 5) == 0) &&
	    (p = strstr(f->text, ": ")) != NULL)
		return hint_match(hint_pop3_rules, HINT_N(hint_pop3_rules),
		    f->kind, p + 2, 1);
	return hint_match(hint_rules, HINT_N(hint_rules), f->kind, f->text,
	    0);
}

const char *
hint_for_pop3(const struct failure *f)
{
	if (f == NULL || f->kind == F_NONE)
		return NULL;
	return hint_match(hint_pop3_rules, HINT_N(hint_pop3_rules), f->kind,
	    f->text, 1);
}
