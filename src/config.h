/*
 * config.h — the rc file (a subset of mail(1)'s .mailrc grammar, see
 * DESIGN.md "Configuration"), accounts, aliases, and the resolved settings
 * one send uses.
 *
 * Grammar, line based:  # comment | set key=value | set key | unset key |
 * alias name addr[, addr...] | account NAME { ... } | }
 * Values may be double-quoted (with \" \\ \n \t escapes) or single-quoted
 * (literal); an unquoted "#" after white space starts a comment.
 */
#ifndef OUTBOX_CONFIG_H
#define OUTBOX_CONFIG_H

#include <stddef.h>

#include "failure.h"

struct config_var {
	char *key;
	char *value;		/* NULL after "unset key" */
	char *file;		/* where it was set, for messages */
	int line;
};

struct config_scope {
	char *name;		/* account name; NULL for the top level */
	struct config_var *vars;
	size_t nvars;
};

struct config_alias {
	char *name;
	char *addrs;		/* as written: "a@x, b@y" */
};

struct config {
	struct config_scope top;
	struct config_scope *accounts;
	size_t naccounts;
	struct config_alias *aliases;
	size_t naliases;
	char *user_file;	/* the user file that was read, or NULL */
	char **files;		/* every file read, in order (the system
				   file first), for --check and -vv */
	size_t nfiles;
};

/*
 * Reads /etc/outboxrc (unless skip_system; path overridable by the
 * OUTBOX_SYSTEM_RC environment variable for tests) and then the first
 * user file found: explicit (-C; must exist, else F_CONFIG), $OUTBOXRC,
 * $XDG_CONFIG_HOME/outbox/outboxrc (or ~/.config/...), ~/.outboxrc.
 * Later settings override earlier ones.  Fails with F_CONFIG and text
 * "FILE:LINE: what is wrong" for syntax errors, unknown keys, bad values,
 * a key read at the top level only (queue-dir) set in an account, a key
 * that can have no effect where it is set (smtp-password-cmd beside
 * smtp-password in effect, credentials with smtp-auth=none), and for a
 * file that holds a secret (smtp-password, pop3-password,
 * oauth2-client-secret: the text names the first one set) while
 * readable by group or others (the text says to chmod 600); with text
 * naming the file when -C or $OUTBOXRC names one that is missing or
 * unreadable.  Each file read (and each looked for) is logged at debug
 * level (-vv), and listed in cfg->files.
 */
int config_load(struct config *cfg, const char *explicit_path, int skip_system,
    struct failure *f);
/* (config_load zeroes cfg first; on failure cfg is already freed.) */

/* The system file's path: $OUTBOX_SYSTEM_RC, else /etc/outboxrc. */
const char *config_system_path(void);

/*
 * Parses one file into cfg (used by config_load and the unit tests),
 * adding to what is there: cfg must be zeroed before the first call.
 * On failure cfg holds a partial result; config_free() it.  Fails with
 * F_CONFIG only.
 */
int config_load_file(struct config *cfg, const char *path, struct failure *f);

/* Frees everything in cfg and zeroes it; calling it twice is fine. */
void config_free(struct config *cfg);

/*
 * The value of key in account (NULL for the top level), falling back to
 * the top level; NULL when unset.  Points into cfg.
 */
const char *config_get(const struct config *cfg, const char *account,
    const char *key);

/* The account whose name is name, or NULL. */
const struct config_scope *config_account(const struct config *cfg,
    const char *name);

/*
 * The account to use for a sender address: the one whose "from" address
 * equals addr (case-insensitively), else the one whose from's domain
 * equals addr's domain, else NULL (the top level).  Returns its name.
 */
const char *config_account_for_from(const struct config *cfg,
    const char *addr);

/* The alias's address list as written, or NULL. */
const char *config_alias(const struct config *cfg, const char *name);

enum config_security {
	SEC_STARTTLS,		/* mandatory STARTTLS */
	SEC_TLS,		/* implicit TLS (RFC 8314) */
	SEC_NONE		/* plaintext: only when set explicitly */
};

enum config_auth {
	AUTH_AUTO, AUTH_PLAIN, AUTH_LOGIN, AUTH_CRAM_MD5, AUTH_SCRAM_SHA_256,
	AUTH_XOAUTH2, AUTH_OAUTHBEARER, AUTH_NONE
};

/* Defaults. */
#define CONFIG_TIMEOUT_DEFAULT 60	/* seconds per reply */
#define CONFIG_PORT_SUBMISSION "587"	/* RFC 6409 */
#define CONFIG_PORT_SUBMISSIONS "465"	/* RFC 8314 */
#define CONFIG_MAX_AGE_DEFAULT (5 * 86400)	/* queue-max-age: 5 days */
#define CONFIG_MAX_AGE_MAX (365 * 86400LL)

enum config_oauth2_provider {
	OAUTH2_PROVIDER_NONE, OAUTH2_PROVIDER_GOOGLE, OAUTH2_PROVIDER_MICROSOFT,
	OAUTH2_PROVIDER_CUSTOM
};

/*
 * The OAuth2 client of an account (oauth2-* keys): oauth2.c fills the
 * provider's endpoints and scope where these are NULL.  One token per
 * account, shared by its SMTP and POP3 sides.
 */
struct oauth2_conf {
	const char *account;	/* the token store's name; NULL: "default" */
	enum config_oauth2_provider provider;
	const char *client_id;
	const char *client_secret;
	const char *client_secret_cmd;
	const char *auth_url;
	const char *token_url;
	const char *device_url;
	const char *scope;
	const char *tenant;	/* Microsoft: "common" when NULL */
	const char *ca_file;	/* NULL: the system's trust store */
	const char *store_cmd;	/* oauth2-token-store-cmd */
	const char *load_cmd;	/* oauth2-token-load-cmd */
};

/*
 * One server as configured: the connection, its security and the login.
 * Strings point into the struct config it was resolved from, or into
 * the buffers at its end (host and user taken from a URL), so they are
 * valid as long as both.  Embedded in struct settings per protocol
 * (smtp now; pop3 next), so the credentials code takes one server.
 */
struct server {
	const char *name;	/* the keys' prefix: "smtp" */
	const char *host;	/* NULL when none is configured */
	char port[8];		/* "587" etc. */
	enum config_security security;
	enum config_auth auth;
	const char *user;
	const char *password;
	const char *password_cmd;
	const char *ca_file;
	const char *fingerprint;	/* "sha256:AB:CD..." */
	int timeout;		/* seconds */
	struct oauth2_conf oauth2;	/* with auth xoauth2/oauthbearer */
	char host_buf[256];
	char user_buf[256];
};

/*
 * The --fetch keys as written (validated, not resolved: fetch.c maps
 * them onto the POP3 engine's words); NULL when unset.
 */
struct fetch_keys {
	const char *url;		/* pop3 */
	const char *security;		/* pop3-security: stls|tls|none */
	const char *auth;		/* pop3-auth */
	const char *user;		/* pop3-user */
	const char *password;		/* pop3-password */
	const char *password_cmd;	/* pop3-password-cmd */
	const char *fingerprint;	/* pop3-tls-fingerprint */
	const char *to;			/* fetch-to */
	const char *delete;		/* fetch-delete: "yes" or "no" */
	const char *max_size;		/* fetch-max-size, in octets */
};

/*
 * Everything one send needs from the configuration, resolved: the smtp
 * URL split (smtps:// means tls and port 465, smtp:// starttls and 587,
 * a user in the URL becomes smtp-user, a password in it is refused), the
 * security default from the port, numbers parsed.  Strings point into cfg
 * (hostname may point into hostname_buf instead).  Filled by config.c's
 * key table: one row per key.
 */
struct settings {
	const char *account;	/* NULL: top level */
	const char *from;	/* "Name <addr>" as configured, or NULL */
	struct server smtp;	/* smtp, smtp-*, tls-*, timeout */
	const char *hostname;	/* EHLO name: configured, else this
				   machine's (gethostname) */
	int queue_on_failure;	/* default: yes (never lose a message) */
	const char *queue_dir;	/* queue-dir (top level only), or NULL:
				   the default (queue_dir_resolve()) */
	long long queue_max_age;	/* seconds an entry is retried */
	const char *default_domain;
	const char *aliases_file;	/* /etc/aliases format, or NULL */
	const char *from_rewrite;	/* never, local, always; NULL: local */
	const char *syslog;		/* yes, no, a facility; NULL: yes */
	const char *log_file;		/* or NULL */
	struct fetch_keys fetch;	/* pop3, pop3-*, fetch-* */
	char hostname_buf[256];
};

/*
 * Fills s for account (NULL: top level; an unknown name fails with
 * F_CONFIG).  Fails with F_CONFIG for a bad URL, port, number or enum.
 */
int config_settings(const struct config *cfg, const char *account,
    struct settings *s, struct failure *f);

/* Names for messages and the debug dump. */
const char *config_security_name(enum config_security);
const char *config_auth_name(enum config_auth);
const char *config_oauth2_provider_name(enum config_oauth2_provider);

/*
 * Logs s with log_debug(), one "key = value" line each, the password
 * masked.  For -vv.
 */
void config_log_settings(const struct settings *s);

#endif
