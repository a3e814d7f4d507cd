/*
 * test_hint.c — the hint table: each provider reply and our own failure
 * texts find their advice; the general rows do not shadow the specific.
 */
#include <string.h>

#include "../../src/failure.h"
#include "../../src/hint.h"
#include "tap.h"

static const char *
hint(enum failure_kind kind, const char *text)
{
	struct failure f;

	f.kind = kind;
	strlcpy(f.text, text, sizeof(f.text));
	return hint_for(&f);
}

static int
has(const char *h, const char *want)
{
	return h != NULL && strstr(h, want) != NULL;
}

int
main(void)
{
	ok(has(hint(F_CONFIG, "greeting: the server on port 465 speaks TLS "
	    "at once (implicit TLS), not plaintext SMTP"),
	    "set smtp-security=tls"), "implicit-TLS port: smtp-security=tls");
	ok(has(hint(F_CONFIG, "TLS: the server answered in plaintext (\"220 "
	    "x\"): this port does not speak implicit TLS"),
	    "set smtp-security=starttls"), "plaintext port: starttls");
	ok(has(hint(F_AUTH, "AUTH: authentication refused (534 5.7.9 "
	    "Application-specific password required.)"), "Gmail"),
	    "Gmail 534 5.7.9");
	ok(has(hint(F_AUTH, "AUTH: authentication refused (535 5.7.139 "
	    "Authentication unsuccessful, basic authentication is "
	    "disabled.)"), "xoauth2"), "Microsoft 5.7.139");
	ok(has(hint(F_AUTH, "AUTH: authentication refused (535 5.7.3 "
	    "Authentication unsuccessful)"), "OAuth2"), "Microsoft 5.7.3");
	ok(has(hint(F_AUTH, "AUTH: authentication refused (535 Error: "
	    "请使用授权码登录)"), "授权码"), "163's 授权码 text");
	ok(has(hint(F_AUTH, "AUTH: authentication refused (535 Login Fail. "
	    "Please enter your authorization code to login.)"), "授权码"),
	    "QQ's authorization code text");
	ok(has(hint(F_PERM, "MAIL FROM: permanent failure (553 5.7.1 "
	    "<a@b>: Sender address rejected: not owned by user c)"),
	    "set from"), "553 5.7.1 sender not owned");
	ok(has(hint(F_PERM, "MAIL FROM: permanent failure (550 5.7.1 "
	    "Client does not have permissions to send as this sender)"),
	    "set from"), "550 5.7.1 by code alone");
	ok(has(hint(F_TEMP, "AUTH: temporary failure (454 4.7.0 Too many "
	    "login attempts, please try again later.)"), "retry later"),
	    "too many login attempts");
	ok(has(hint(F_NOUSER, "RCPT TO: 1 of 1 recipients refused (550 5.4.5 "
	    "Daily user sending limit exceeded.)"), "sending limit"),
	    "daily sending limit");
	ok(has(hint(F_AUTH, "AUTH: authentication refused (535 5.7.8 "
	    "bad)"), "check smtp-user"), "a plain 535: the general row");
	ok(has(hint(F_PERM, "AUTH: server does not offer CRAM-MD5 (it offers "
	    "PLAIN LOGIN)"), "smtp-auth"), "mechanism not offered");
	ok(has(hint(F_TLS, "TLS: certificate verification failed: hostname "
	    "mismatch; the certificate is for wrong.example"),
	    "another name"), "certificate for another name");
	ok(has(hint(F_TLS, "TLS: certificate verification failed: unable to "
	    "get local issuer certificate; issuer CN=x"), "tls-ca-file"),
	    "unknown CA");
	ok(hint(F_PERM, "RCPT TO: 1 of 1 recipients refused (550 5.1.1 no "
	    "such user)") == NULL, "no hint for an unknown user");
	ok(hint(F_NONE, "") == NULL, "no hint without a failure");
	/* A step name must match whole: "MAIL FROM" is not "MAIL". */
	ok(!has(hint(F_PERM, "RCPT TO: x (553 5.7.1 Sender address "
	    "rejected)"), "set from"), "sender rows only at MAIL FROM");
	/* The POP3 side: --check's engine texts and --fetch's. */
	{
		struct failure f;

		f.kind = F_CONFIG;
		strlcpy(f.text, "greeting: the server on port 995 speaks TLS "
		    "at once (implicit TLS), not plaintext POP3",
		    sizeof(f.text));
		ok(has(hint_for_pop3(&f), "set pop3-security=tls"),
		    "pop3: implicit-TLS port");
		strlcpy(f.text, "TLS: the server answered in plaintext (\"+OK "
		    "x\"): this port does not speak implicit TLS",
		    sizeof(f.text));
		ok(has(hint_for_pop3(&f), "set pop3-security=stls"),
		    "pop3: plaintext port");
		f.kind = F_AUTH;
		strlcpy(f.text, "AUTH PLAIN: -ERR [AUTH] Authentication "
		    "failed.", sizeof(f.text));
		ok(has(hint_for_pop3(&f), "check pop3-user"),
		    "pop3: -ERR [AUTH]");
		f.kind = F_PERM;
		strlcpy(f.text, "AUTH: the server does not offer XOAUTH2",
		    sizeof(f.text));
		ok(has(hint_for_pop3(&f), "pop3-auth"),
		    "pop3: mechanism not offered");
	}
	ok(has(hint(F_TEMP, "fetch work: PASS: -ERR [IN-USE] locked"),
	    "another session"), "fetch: [IN-USE] through hint_for");
	ok(has(hint(F_CONFIG, "fetch default: greeting: the server on port "
	    "995 speaks TLS at once (implicit TLS), not plaintext POP3"),
	    "pop3-security=tls"), "fetch: the port mismatch");
	ok(hint(F_AUTH, "fetch default: OAuth2: the refresh token was "
	    "refused (invalid_grant); run 'outbox --oauth2-login'") == NULL,
	    "fetch: the login hint is in the text already");
	ok(!has(hint(F_AUTH, "fetch default: PASS: -ERR no"), "smtp-user"),
	    "fetch: no SMTP advice");
	ok(has(hint(F_CONFIG, "pop3 default: TLS: the server answered in "
	    "plaintext (\"+OK x\"): this port does not speak implicit TLS"),
	    "pop3-security=stls"), "check's pop3 failure through hint_for");
	done_testing();
}
