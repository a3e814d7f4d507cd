/*
 * test_config.c — the rc parser, accounts, aliases, the smtp URL, the
 * permission rule, and credentials from smtp-password-cmd.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "credentials.h"
#include "tap.h"

static char dir[256];
static int nfile;

/* Writes text to a new file in dir with mode; returns its path (static). */
static const char *
put(const char *text, mode_t mode)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/rc%d", dir, ++nfile);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	return path;
}

/* Loads text; returns 0/-1 and leaves cfg loaded (caller frees). */
static int
load(struct config *cfg, const char *text, struct failure *f)
{
	memset(cfg, 0, sizeof(*cfg));
	failure_clear(f);
	return config_load_file(cfg, put(text, 0600), f);
}

/* Expects text to fail with F_CONFIG and "rcN:LINE: " + want inside. */
static void
bad(const char *text, int line, const char *want, const char *name)
{
	struct config cfg;
	struct failure f;
	char where[64];
	int r;

	r = load(&cfg, text, &f);
	snprintf(where, sizeof(where), "/rc%d:%d: ", nfile, line);
	if (!ok(r == -1 && f.kind == F_CONFIG && strstr(f.text, where) &&
	    strstr(f.text, want), name))
		printf("#   got [%s], want [%s%s]\n", f.text, where, want);
	config_free(&cfg);
}

static void
good(const char *text, const char *name)
{
	struct config cfg;
	struct failure f;

	if (!ok(load(&cfg, text, &f) == 0, name))
		printf("#   %s\n", f.text);
	config_free(&cfg);
}

static void
test_grammar(void)
{
	struct config cfg;
	struct failure f;

	ok(load(&cfg, "# comment\n\n   \t\n"
	    "set from=\"Alice Example <alice@example.org>\"   # trailing\n"
	    "set tls-ca-file='/it''s'\n"
	    "set smtp-user=bob#notcomment\n"
	    "set queue-on-failure\n"
	    "set timeout=30 default-domain=example.org\r\n"
	    "set smtp-password-cmd=\"printf '%s\\\\n' \\\"x\\\"\"\n",
	    &f) == 0, "grammar loads");
	is_str(config_get(&cfg, NULL, "from"),
	    "Alice Example <alice@example.org>", "double quotes");
	is_str(config_get(&cfg, NULL, "tls-ca-file"), "/its",
	    "adjacent single quotes join");
	is_str(config_get(&cfg, NULL, "smtp-user"), "bob#notcomment",
	    "# inside a word is literal");
	is_str(config_get(&cfg, NULL, "queue-on-failure"), "yes",
	    "set key means yes");
	is_str(config_get(&cfg, NULL, "timeout"), "30", "two sets, one line");
	is_str(config_get(&cfg, NULL, "default-domain"), "example.org",
	    "second set on the line, CRLF line end");
	is_str(config_get(&cfg, NULL, "smtp-password-cmd"),
	    "printf '%s\\n' \"x\"", "escapes \\\\ and \\\"");
	config_free(&cfg);
	config_free(&cfg);	/* twice is fine */

	good("set smtp-password-cmd=\"a\\tb\"\n", "\\t allowed in a command");
	good("set from='Bob \"B\" <b@x>'\n", "single quotes are literal");
	good("set from=\"x # y <a@b>\"\n", "# inside quotes");
}

static void
test_grammar_errors(void)
{
	bad("set from=\"Alice\n", 1, "unbalanced quote", "unbalanced \"");
	bad("\nset from='Alice\n", 2, "unbalanced quote", "unbalanced '");
	bad("set from=\"a\\qb\"\n", 1, "unknown escape", "bad escape");
	bad("set bogus=1\n", 1, "unknown key \"bogus\"", "unknown key");
	bad("set smpt=x\n", 1, "unknown key \"smpt\" (did you mean "
	    "\"smtp\"?)", "did you mean: a swap");
	bad("set timout=5\n", 1, "(did you mean \"timeout\"?)",
	    "did you mean: a letter missing");
	bad("set smtp-pasword-cmd=x\n", 1, "(did you mean "
	    "\"smtp-password-cmd\"?)", "did you mean: the nearest of two");
	bad("unset qeue-dir\n", 1, "(did you mean \"queue-dir\"?)",
	    "did you mean: unset too");
	bad("set x=1\n", 1, "unknown key \"x\"", "one letter: no guess");
	{
		struct config cfg;
		struct failure f;

		load(&cfg, "set bogus=1\n", &f);
		ok(strstr(f.text, "did you mean") == NULL,
		    "a far word gets no guess");
		config_free(&cfg);
		load(&cfg, "set x=1\n", &f);
		ok(strstr(f.text, "did you mean") == NULL,
		    "nor does a one-letter one");
		config_free(&cfg);
	}
	bad("# c\nset from=Alice <a@b>\n", 2, "unexpected \"<a@b>\"",
	    "unquoted blank in value");
	bad("frobnicate x\n", 1, "unknown command \"frobnicate\"",
	    "unknown command");
	bad("set\n", 1, "set needs a key", "bare set");
	bad("set from\n", 1, "from needs a value", "string key without value");
	bad("set from=\n", 1, "empty value for from", "empty value");
	bad("unset nosuch\n", 1, "unknown key", "unset unknown key");
	bad("unset\n", 1, "unset needs a key", "bare unset");
	bad("set smtp-security=ssl\n", 1,
	    "bad value for smtp-security: must be starttls, tls or none",
	    "bad security");
	bad("set smtp-auth=digest-md5\n", 1, "bad value for smtp-auth",
	    "bad auth");
	bad("set timeout=0\n", 1, "bad value for timeout", "timeout 0");
	bad("set timeout=3601\n", 1, "bad value for timeout", "timeout 3601");
	bad("set timeout=abc\n", 1, "bad value for timeout", "timeout abc");
	bad("set queue-on-failure=maybe\n", 1, "must be yes or no", "bad bool");
	bad("set tls-fingerprint=sha256:AB:CD\n", 1,
	    "bad value for tls-fingerprint", "short fingerprint");
	bad("set tls-fingerprint=zz" "00000000000000000000000000000000000000"
	    "000000000000000000000000\n", 1, "bad value for tls-fingerprint",
	    "non-hex fingerprint");
	bad("set hostname=\"a b\"\n", 1, "bad value for hostname",
	    "bad hostname");
	bad("set tls-ca-file=\"/a\\tb\"\n", 1, "control characters",
	    "tab in a path refused");
	bad("set from=\"a\\nBcc: x@y\"\n", 1, "control characters",
	    "newline in from refused");
	bad("account {\n}\n", 1, "account needs a name", "account no name");
	bad("account\n", 1, "account needs a name", "bare account");
	bad("account w\n", 1, "expected \"account w {\"", "account no brace");
	bad("account a {\naccount b {\n}\n}\n", 2, "nested account block",
	    "nested account");
	bad("set timeout=5\n}\n", 2, "} without an account block",
	    "stray close");
	bad("\naccount w {\nset timeout=5\n", 2,
	    "account \"w\" is not closed", "unterminated account");
	bad("account w {\n} x\n", 2, "unexpected text after }",
	    "text after close");
	bad("alias ops\n", 1, "alias needs a name and an address",
	    "alias without address");
	bad("set smtp=smtp://user:secret@host\n", 1,
	    "use smtp-password-cmd", "password in URL refused");
	{
		/* The password must not appear in the message. */
		struct config cfg;
		struct failure f;

		load(&cfg, "set smtp=smtps://u:hunter2@h:465\n", &f);
		ok(strstr(f.text, "hunter2") == NULL,
		    "URL password not echoed");
		config_free(&cfg);
	}
	bad("set smtp=imap://host\n", 1, "smtp:// or smtps://", "bad scheme");
	bad("set smtp=host:99999\n", 1, "out of range", "port range");
	bad("set smtp=host:x\n", 1, "bad port", "port not a number");
	bad("set smtp=::1:25\n", 1, "brackets", "bare IPv6");
	bad("set smtp=[::1:25\n", 1, "missing ]", "unclosed bracket");
	bad("set smtp=smtp://host/path\n", 1, "path", "URL path");
	bad("set smtp=smtps://\n", 1, "no host", "no host");
}

static void
test_accounts(void)
{
	struct config cfg;
	struct failure f;
	struct settings s;
	const char *rc =
	    "set from=\"Top <top@example.org>\"\n"
	    "set smtp=mail.example.org\n"
	    "set timeout=20\n"
	    "set smtp-user=top\n"
	    "alias ops admin@example.org, \"On, Call\" <oncall@example.org>\n"
	    "alias one solo@example.org   # comment\n"
	    "account work {\n"
	    "\tset from=\"Work <me@work.example>\"\n"
	    "\tset smtp=smtps://worker@work.example\n"
	    "\tunset smtp-user\n"
	    "}\n"
	    "account other {\n"
	    "  set from=other@other.example\n"
	    "  unset timeout\n"
	    "}\n"
	    "account work {\n"
	    "  set timeout=99\n"
	    "}\n"
	    "alias one solo2@example.org\n";

	ok(load(&cfg, rc, &f) == 0, "accounts load");
	is_str(config_get(&cfg, NULL, "from"), "Top <top@example.org>",
	    "top from");
	is_str(config_get(&cfg, "work", "from"), "Work <me@work.example>",
	    "account overrides");
	is_str(config_get(&cfg, "work", "timeout"), "99",
	    "reopened account adds");
	is_str(config_get(&cfg, "other", "smtp"), "mail.example.org",
	    "account falls back to top");
	ok(config_get(&cfg, "other", "timeout") == NULL,
	    "unset in account hides top");
	ok(config_get(&cfg, "work", "smtp-user") == NULL,
	    "unset smtp-user in account");
	ok(config_account(&cfg, "work") != NULL, "config_account finds");
	ok(config_account(&cfg, "nope") == NULL, "config_account misses");
	is_int(cfg.naccounts, 2, "two accounts");
	is_str(config_alias(&cfg, "ops"),
	    "admin@example.org, \"On, Call\" <oncall@example.org>",
	    "alias as written");
	is_str(config_alias(&cfg, "one"), "solo2@example.org",
	    "alias redefined, comment dropped");
	ok(config_alias(&cfg, "none") == NULL, "no such alias");

	is_str(config_account_for_from(&cfg, "ME@work.example"), "work",
	    "account by from address");
	is_str(config_account_for_from(&cfg, "X <x@other.example>"), "other",
	    "account by from domain");
	ok(config_account_for_from(&cfg, "top@example.org") == NULL,
	    "top level for own address");

	ok(config_settings(&cfg, NULL, &s, &f) == 0, "top settings");
	is_str(s.smtp.host, "mail.example.org", "top host");
	is_str(s.smtp.port, "587", "no port: 587");
	is_int(s.smtp.security, SEC_STARTTLS, "587: starttls");
	is_str(s.smtp.user, "top", "smtp-user");
	is_int(s.smtp.timeout, 20, "timeout");
	is_int(s.smtp.auth, AUTH_AUTO, "auth default auto");
	is_int(s.queue_on_failure, 1, "queue-on-failure default yes");

	ok(config_settings(&cfg, "work", &s, &f) == 0, "work settings");
	is_str(s.account, "work", "account name");
	is_str(s.from, "Work <me@work.example>", "work from");
	is_str(s.smtp.host, "work.example", "work host");
	is_str(s.smtp.port, "465", "smtps: 465");
	is_int(s.smtp.security, SEC_TLS, "smtps: tls");
	is_str(s.smtp.user, "worker", "user from the URL");
	is_int(s.smtp.timeout, 99, "work timeout");

	ok(config_settings(&cfg, "other", &s, &f) == 0, "other settings");
	is_int(s.smtp.timeout, CONFIG_TIMEOUT_DEFAULT, "unset timeout: default");

	ok(config_settings(&cfg, "ghost", &s, &f) == -1 && f.kind == F_CONFIG &&
	    strstr(f.text, "ghost"), "unknown account fails");
	config_free(&cfg);
}

/* The settings from a one-line smtp URL (plus extra lines). */
static void
url(const char *rc, const char *host, const char *port,
    enum config_security sec, const char *user, const char *name)
{
	struct config cfg;
	struct failure f;
	struct settings s;
	int r;

	r = load(&cfg, rc, &f);
	if (r == 0)
		r = config_settings(&cfg, NULL, &s, &f);
	if (!ok(r == 0, name)) {
		printf("#   %s\n", f.text);
		config_free(&cfg);
		return;
	}
	is_str(s.smtp.host, host, "  host");
	is_str(s.smtp.port, port, "  port");
	is_str(config_security_name(s.smtp.security), config_security_name(sec),
	    "  security");
	is_str(s.smtp.user, user, "  user");
	config_free(&cfg);
}

static void
test_urls(void)
{
	struct config cfg;
	struct failure f;
	struct settings s;

	url("set smtp=smtps://alice@smtp.example.org:465\n",
	    "smtp.example.org", "465", SEC_TLS, "alice", "smtps with port");
	url("set smtp=smtp://smtp.example.org\n", "smtp.example.org", "587",
	    SEC_STARTTLS, NULL, "smtp:// without port");
	url("set smtp=smtp.example.org\n", "smtp.example.org", "587",
	    SEC_STARTTLS, NULL, "bare host");
	url("set smtp=smtp.example.org:465\n", "smtp.example.org", "465",
	    SEC_TLS, NULL, "bare host, port 465 means tls");
	url("set smtp=smtp.example.org:2525\n", "smtp.example.org", "2525",
	    SEC_STARTTLS, NULL, "other port means starttls");
	url("set smtp=[::1]:2525\n", "::1", "2525", SEC_STARTTLS, NULL,
	    "IPv6 literal");
	url("set smtp=smtps://[::1]\n", "::1", "465", SEC_TLS, NULL,
	    "smtps IPv6 no port");
	url("set smtp=smtps://alice%40example.org@h.example/\n", "h.example",
	    "465", SEC_TLS, "alice@example.org", "%-encoded user, slash");
	url("set smtp=smtps://a@b@h.example\n", "h.example", "465", SEC_TLS,
	    "a@b", "last @ splits the user");
	url("set smtp=h.example:465\nset smtp-security=starttls\n",
	    "h.example", "465", SEC_STARTTLS, NULL, "explicit security wins");
	url("set smtp=smtps://h.example\nset smtp-security=none\n",
	    "h.example", "465", SEC_NONE, NULL, "explicit none wins");
	url("set smtp-user=bob\nset smtp=smtp://h.example:25\n", "h.example",
	    "25", SEC_STARTTLS, "bob", "smtp-user without URL user");

	ok(load(&cfg, "set from=a@b\n", &f) == 0 &&
	    config_settings(&cfg, NULL, &s, &f) == 0, "no smtp configured");
	ok(s.smtp.host == NULL, "  host is NULL");
	is_str(s.smtp.port, "587", "  port default");
	config_free(&cfg);

	ok(load(&cfg, "set tls-fingerprint=9f86d081884c7d659a2feaa0c55ad015"
	    "a3bf4f1b2b0b822cd15d6c15b0f00a08\nset smtp-auth=cram-md5\n"
	    "set queue-on-failure=no\n", &f) == 0 &&
	    config_settings(&cfg, NULL, &s, &f) == 0, "fingerprint hex");
	is_str(s.smtp.fingerprint, "sha256:9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:"
	    "5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08",
	    "  normalised to sha256:AB:CD");
	is_int(s.smtp.auth, AUTH_CRAM_MD5, "  smtp-auth");
	is_int(s.queue_on_failure, 0, "  queue-on-failure=no");
	is_str(config_auth_name(s.smtp.auth), "cram-md5", "  auth name");
	config_free(&cfg);
	good("set tls-fingerprint=sha256:9f:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:"
	    "C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08\n",
	    "fingerprint in pairs");
}

static void
test_permissions(void)
{
	struct config cfg;
	struct failure f;
	const char *path;

	path = put("set smtp-password=hunter2\n", 0644);
	memset(&cfg, 0, sizeof(cfg));
	ok(config_load_file(&cfg, path, &f) == -1 && f.kind == F_CONFIG &&
	    strstr(f.text, "readable by others") &&
	    strstr(f.text, "chmod 600"), "0644 with password refused");
	ok(strstr(f.text, "hunter2") == NULL, "  password not in message");
	config_free(&cfg);

	path = put("set smtp-password=hunter2\n", 0640);
	memset(&cfg, 0, sizeof(cfg));
	ok(config_load_file(&cfg, path, &f) == -1, "0640 refused");
	config_free(&cfg);

	path = put("set smtp-password=hunter2\n", 0600);
	memset(&cfg, 0, sizeof(cfg));
	ok(config_load_file(&cfg, path, &f) == 0, "0600 with password loads");
	is_str(config_get(&cfg, NULL, "smtp-password"), "hunter2",
	    "  password read");
	config_free(&cfg);

	path = put("account a {\nset smtp-password=x\n}\n", 0604);
	memset(&cfg, 0, sizeof(cfg));
	ok(config_load_file(&cfg, path, &f) == -1, "password in account too");
	config_free(&cfg);

	path = put("set smtp-password-cmd=\"pass x\"\n", 0644);
	memset(&cfg, 0, sizeof(cfg));
	ok(config_load_file(&cfg, path, &f) == 0, "0644 without password ok");
	config_free(&cfg);

	memset(&cfg, 0, sizeof(cfg));
	ok(config_load_file(&cfg, "/nonexistent/rc", &f) == -1 &&
	    f.kind == F_CONFIG && strstr(f.text, "/nonexistent/rc"),
	    "missing file names itself");
	config_free(&cfg);
}

static void
test_lookup(void)
{
	struct config cfg;
	struct failure f;
	char home[512], path[600], xdg[600];
	FILE *fp;

	snprintf(home, sizeof(home), "%s/home", dir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("OUTBOXRC");
	setenv("OUTBOX_SYSTEM_RC", put("set from=sys@example.org\n"
	    "set timeout=7\n", 0644), 1);

	ok(config_load(&cfg, NULL, 0, &f) == 0, "no user file is fine");
	is_str(config_get(&cfg, NULL, "from"), "sys@example.org",
	    "system file read");
	ok(cfg.user_file == NULL, "  no user file");
	config_free(&cfg);

	snprintf(path, sizeof(path), "%s/.outboxrc", home);
	fp = fopen(path, "w");
	fputs("set from=home@example.org\n", fp);
	fclose(fp);
	ok(config_load(&cfg, NULL, 0, &f) == 0, "~/.outboxrc");
	is_str(config_get(&cfg, NULL, "from"), "home@example.org",
	    "  user file wins");
	is_str(config_get(&cfg, NULL, "timeout"), "7", "  system value kept");
	is_str(cfg.user_file, path, "  user_file");
	config_free(&cfg);

	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	mkdir(xdg, 0700);
	snprintf(path, sizeof(path), "%s/xdg/outbox", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/xdg/outbox/outboxrc", dir);
	fp = fopen(path, "w");
	fputs("set from=xdg@example.org\n", fp);
	fclose(fp);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	ok(config_load(&cfg, NULL, 0, &f) == 0, "XDG");
	is_str(config_get(&cfg, NULL, "from"), "xdg@example.org",
	    "  XDG beats ~/.outboxrc");
	config_free(&cfg);

	setenv("OUTBOXRC", put("set from=env@example.org\n", 0600), 1);
	ok(config_load(&cfg, NULL, 1, &f) == 0, "OUTBOXRC, -n");
	is_str(config_get(&cfg, NULL, "from"), "env@example.org",
	    "  OUTBOXRC beats XDG");
	ok(config_get(&cfg, NULL, "timeout") == NULL, "  -n skips system");
	config_free(&cfg);

	ok(config_load(&cfg, put("set from=c@example.org\n", 0600), 0, &f) ==
	    0, "-C");
	is_str(config_get(&cfg, NULL, "from"), "c@example.org",
	    "  -C beats OUTBOXRC");
	config_free(&cfg);

	ok(config_load(&cfg, "/nonexistent/x", 0, &f) == -1 &&
	    f.kind == F_CONFIG, "-C missing file fails");
	config_free(&cfg);

	setenv("OUTBOX_SYSTEM_RC", put("set nope=1\n", 0644), 1);
	ok(config_load(&cfg, NULL, 0, &f) == -1 && strstr(f.text,
	    ":1: unknown key"), "error in system file");
	ok(config_load(&cfg, NULL, 1, &f) == 0, "  skipped with -n");
	config_free(&cfg);
	unsetenv("OUTBOXRC");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("OUTBOX_SYSTEM_RC");
}

/* credentials_get with a command; returns the secret or NULL. */
static char *
cmd(const char *command, struct failure *f)
{
	struct settings s;

	memset(&s, 0, sizeof(s));
	s.smtp.user = "alice";
	s.smtp.host = "h.example";
	s.smtp.password_cmd = command;
	failure_clear(f);
	return credentials_get(&s.smtp, f);
}

static void
test_credentials(void)
{
	struct settings s;
	struct failure f;
	char *pw;
	pid_t pid;
	int status;

	memset(&s, 0, sizeof(s));
	s.smtp.password = "direct";
	s.smtp.password_cmd = "echo no";
	pw = credentials_get(&s.smtp, &f);
	is_str(pw, "direct", "smtp-password first");
	credentials_free(pw);
	credentials_free(NULL);

	pw = cmd("printf 'line one\\nline two\\n'", &f);
	is_str(pw, "line one", "command: first line only");
	credentials_free(pw);
	pw = cmd("printf 'crlf\\r\\n'", &f);
	is_str(pw, "crlf", "command: CR stripped");
	credentials_free(pw);
	pw = cmd("printf nonl", &f);
	is_str(pw, "nonl", "command: no line end");
	credentials_free(pw);
	pw = cmd("read x; echo \"got[$x]\"", &f);
	is_str(pw, "got[]", "command: stdin is /dev/null");
	credentials_free(pw);

	pw = cmd("echo secret-output; exit 3", &f);
	ok(pw == NULL && f.kind == F_CONFIG && strstr(f.text, "exit status 3"),
	    "failing command: F_CONFIG with status");
	ok(strstr(f.text, "secret-output") == NULL, "  output not shown");
	pw = cmd("true", &f);
	ok(pw == NULL && f.kind == F_CONFIG && strstr(f.text, "no password"),
	    "empty output refused");
	pw = cmd("echo", &f);
	ok(pw == NULL && f.kind == F_CONFIG, "empty first line refused");
	pw = cmd("yes | head -c 100000", &f);
	is_str(pw, "y", "large output drained");
	credentials_free(pw);

	/* No source and no terminal: F_CONFIG naming smtp-password-cmd. */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		setsid();
		memset(&s, 0, sizeof(s));
		s.smtp.user = "alice";
		s.smtp.host = "h.example";
		pw = credentials_get(&s.smtp, &f);
		_exit(pw == NULL && f.kind == F_CONFIG &&
		    strstr(f.text, "smtp-password-cmd") ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "no source, no tty: F_CONFIG");
}

static void
test_example(void)
{
	struct config cfg;
	struct failure f;
	struct settings s;
	const char *src = getenv("OUTBOX_SRCDIR");
	char path[1024];

	snprintf(path, sizeof(path), "%s%sconfig.example",
	    src != NULL ? src : "", src != NULL ? "/" : "");
	memset(&cfg, 0, sizeof(cfg));
	if (!ok(config_load_file(&cfg, path, &f) == 0, "config.example loads"))
		printf("#   %s\n", f.text);
	ok(config_settings(&cfg, NULL, &s, &f) == 0, "  top settings");
	ok(config_settings(&cfg, "work", &s, &f) == 0, "  work settings");
	ok(config_alias(&cfg, "ops") != NULL, "  has an alias");
	config_free(&cfg);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "%s/test_config.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_grammar();
	test_grammar_errors();
	test_accounts();
	test_urls();
	test_permissions();
	test_lookup();
	test_credentials();
	test_example();
	{
		char rm[600];
		pid_t pid;

		/* Clean up the temporary tree with rm(1), forked directly. */
		snprintf(rm, sizeof(rm), "%s", dir);
		if ((pid = fork()) == 0) {
			execl("/bin/rm", "rm", "-rf", rm, (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	return done_testing();
}
