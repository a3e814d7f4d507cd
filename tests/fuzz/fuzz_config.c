/*
 * fuzz_config.c — the rc-file parser (config_load_file on a temp file),
 * the settings resolved from what it read, and the aliases(5) reader
 * (recipients_alias_file) on the same bytes.
 *
 * Properties: a failure is F_CONFIG naming "FILE:"; what loads has keys
 * that are words, config_get() gives the last value set, every account
 * can be resolved or fails with F_CONFIG, and resolved settings are sane
 * (a numeric port, a positive timeout); an alias found in the aliases
 * file has no line-end bytes (CRLF files included) and, when it is the
 * first line's, equals that line's value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "failure.h"
#include "fuzz.h"
#include "recipients.h"

static void
check_scope(const struct config *cfg, const struct config_scope *sc)
{
	size_t i, j;
	const char *k, *v;

	for (i = 0; i < sc->nvars; i++) {
		k = sc->vars[i].key;
		FUZZ_CHECK(k != NULL && *k != '\0' &&
		    strpbrk(k, " \t\r\n=\"'#") == NULL, "key \"%s\"", k);
		/* The last setting of a key is what config_get() sees. */
		for (j = sc->nvars; j-- > 0; )
			if (strcmp(sc->vars[j].key, k) == 0)
				break;
		if (sc->name == NULL) {
			v = config_get(cfg, NULL, k);
			FUZZ_CHECK(v == sc->vars[j].value ||
			    (v != NULL && sc->vars[j].value != NULL &&
			    strcmp(v, sc->vars[j].value) == 0),
			    "config_get(%s)", k);
		}
	}
}

static void
check_settings(const struct config *cfg, const char *account)
{
	struct settings s;
	struct failure f;
	const char *p;

	failure_clear(&f);
	if (config_settings(cfg, account, &s, &f) == -1) {
		FUZZ_CHECK(f.kind == F_CONFIG && f.text[0] != '\0',
		    "settings failure %d", f.kind);
		return;
	}
	FUZZ_CHECK(s.smtp.port[0] != '\0', "%s", "empty port");
	for (p = s.smtp.port; *p != '\0'; p++)
		FUZZ_CHECK(*p >= '0' && *p <= '9', "port \"%s\"",
		    s.smtp.port);
	FUZZ_CHECK(s.smtp.timeout > 0, "timeout %d", s.smtp.timeout);
	FUZZ_CHECK(s.smtp.host == NULL ||
	    strpbrk(s.smtp.host, "/@ \r\n") == NULL, "host \"%s\"",
	    s.smtp.host);
}

/* The name and value of the first line when it is "name: value". */
static void
check_aliases(const char *path, const uint8_t *data, size_t size)
{
	struct failure f;
	char name[64], *out = NULL, want[256];
	const uint8_t *colon, *eol;
	size_t n, vs, ve;
	int rc;

	colon = memchr(data, ':', size);
	if (colon == NULL || (n = (size_t)(colon - data)) == 0 ||
	    n >= sizeof(name) || data[0] == '#' || data[0] == ' ' ||
	    data[0] == '\t')
		return;
	memcpy(name, data, n);
	name[n] = '\0';
	if (strpbrk(name, " \t\r\n") != NULL || strlen(name) != n)
		return;
	failure_clear(&f);
	rc = recipients_alias_file(path, name, &out, &f);
	FUZZ_CHECK(rc != -1 || f.kind == F_CONFIG, "kind %d", f.kind);
	if (rc != 1)
		return;
	FUZZ_CHECK(out != NULL && strpbrk(out, "\r\n") == NULL,
	    "alias \"%s\" holds a line end", name);
	/* A one-line entry: its value, less the white space after ":". */
	eol = memchr(colon, '\n', size - n);
	if (memmem(data, size, "\n ", 2) != NULL ||
	    memmem(data, size, "\n\t", 2) != NULL)
		eol = NULL;		/* continuation lines: not modelled */
	if (eol != NULL) {
		vs = n + 1;
		while (vs < size && (data[vs] == ' ' || data[vs] == '\t'))
			vs++;
		/* A CR ends the value too (CRLF files). */
		for (ve = vs; ve < (size_t)(eol - data) && data[ve] != '\r';
		    ve++)
			;
		if (ve >= vs && ve - vs < sizeof(want) &&
		    memchr(data + vs, '\0', ve - vs) == NULL) {
			memcpy(want, data + vs, ve - vs);
			want[ve - vs] = '\0';
			FUZZ_CHECK(strcmp(out, want) == 0,
			    "alias \"%s\" is \"%s\", want \"%s\"", name, out,
			    want);
		}
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[512];
	struct config cfg;
	struct failure f;
	size_t i, plen;

	if (size > 128 * 1024)
		return 0;
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/outboxrc", fuzz_tmpdir());
	fuzz_write_file(path, data, size);
	memset(&cfg, 0, sizeof(cfg));
	failure_clear(&f);
	plen = strlen(path);
	if (config_load_file(&cfg, path, &f) == -1) {
		FUZZ_CHECK(f.kind == F_CONFIG, "kind %d", f.kind);
		FUZZ_CHECK(strncmp(f.text, path, plen) == 0 &&
		    f.text[plen] == ':', "text \"%s\"", f.text);
	} else {
		check_scope(&cfg, &cfg.top);
		for (i = 0; i < cfg.naccounts; i++) {
			FUZZ_CHECK(cfg.accounts[i].name != NULL &&
			    *cfg.accounts[i].name != '\0', "%s",
			    "account without a name");
			check_scope(&cfg, &cfg.accounts[i]);
			check_settings(&cfg, cfg.accounts[i].name);
		}
		for (i = 0; i < cfg.naliases; i++)
			FUZZ_CHECK(cfg.aliases[i].name != NULL &&
			    *cfg.aliases[i].name != '\0' &&
			    cfg.aliases[i].addrs != NULL, "%s", "alias");
		check_settings(&cfg, NULL);
	}
	config_free(&cfg);
	config_free(&cfg);
	check_aliases(path, data, size);
	return 0;
}
