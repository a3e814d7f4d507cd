/*
 * recipients.c — address lists to envelope recipients (see recipients.h).
 * mail(1) aliases: a bare name that an alias defines is replaced by the
 * alias's list, recursively; the config's alias lines first, then the
 * aliases-file (sendmail's aliases(5) format), then default-domain.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recipients.h"
#include "xmalloc.h"

/* The names being expanded, outermost first, to report a loop. */
struct chain {
	const char *v[RECIPIENTS_ALIAS_DEPTH_MAX + 1];
	size_t n;
	struct failure *pending;	/* recipients_expand_pending()'s */
};

/* Appends the value text of an aliases(5) entry line to *val. */
static void
aliases_append(char **val, const char *text)
{
	char *old = *val;
	size_t n = strcspn(text, "\r\n");	/* CRLF files too */

	*val = old == NULL ? xstrndup(text, n) :
	    xasprintf("%s %.*s", old, (int)n, text);
	free(old);
}

int
recipients_alias_file(const char *path, const char *name, char **out,
    struct failure *f)
{
	FILE *fp;
	char *line = NULL, *val = NULL, *p;
	size_t cap = 0, n;
	ssize_t len;
	int in_entry = 0, found = 0;

	*out = NULL;
	if ((fp = fopen(path, "re")) == NULL)
		return failure_set(f, F_CONFIG, "aliases-file %s: %s", path,
		    strerror(errno));
	while ((len = getline(&line, &cap, fp)) != -1) {
		/* A file written on Windows: CRLF ends the line too. */
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (line[0] == '#')
			continue;
		/* A line starting with white space continues the entry. */
		if (line[0] == ' ' || line[0] == '\t') {
			if (in_entry)
				aliases_append(&val, line + strspn(line, " \t"));
			continue;
		}
		if (found)
			break;
		in_entry = 0;
		n = strcspn(line, ":\n");
		if (line[n] != ':')
			continue;
		for (p = line + n; p > line && isspace((unsigned char)p[-1]);
		    p--)
			;
		/* aliases(5): names are case-insensitive. */
		if ((size_t)(p - line) == strlen(name) &&
		    strncasecmp(line, name, (size_t)(p - line)) == 0) {
			in_entry = found = 1;
			aliases_append(&val, line + n + 1 +
			    strspn(line + n + 1, " \t"));
		}
	}
	free(line);
	if (ferror(fp)) {
		fclose(fp);
		free(val);
		return failure_set(f, F_CONFIG, "aliases-file %s: %s", path,
		    strerror(errno));
	}
	fclose(fp);
	if (!found)
		return 0;
	if (strpbrk(val, "|/") != NULL || strstr(val, ":include:") != NULL) {
		free(val);
		return failure_set(f, F_CONFIG, "aliases-file %s: alias "
		    "\"%s\" delivers to a file, program or :include:, which "
		    "outbox cannot do", path, name);
	}
	*out = val;
	return 1;
}

static int recipients_expand_chain(const struct config *,
    const struct settings *, const char *, struct address_list *,
    struct chain *, struct failure *);

/* Expands the alias name whose list is text, checking for loops. */
static int
recipients_alias(const struct config *cfg, const struct settings *s,
    const char *name, const char *text, struct address_list *out,
    struct chain *ch, struct failure *f)
{
	char loop[FAILURE_TEXT_MAX] = "";
	size_t i;
	int rc, seen = 0;

	for (i = 0; i < ch->n; i++)
		seen |= strcasecmp(ch->v[i], name) == 0;
	if (seen || ch->n >= RECIPIENTS_ALIAS_DEPTH_MAX) {
		for (i = 0; i < ch->n; i++) {
			strlcat(loop, ch->v[i], sizeof(loop));
			strlcat(loop, " -> ", sizeof(loop));
		}
		strlcat(loop, name, sizeof(loop));
		return failure_set(f, F_CONFIG, "alias \"%s\": %s (%s)", name,
		    seen ? "aliases loop" : "aliases nest too deep", loop);
	}
	ch->v[ch->n++] = name;
	rc = recipients_expand_chain(cfg, s, text, out, ch, f);
	ch->n--;
	/* A bad address in an alias: the config is what is wrong. */
	if (rc == -1 && f->kind == F_DATA) {
		strlcpy(loop, f->text, sizeof(loop));
		failure_set(f, F_CONFIG, "alias \"%s\": %s", name, loop);
	}
	return rc;
}

/* A bare local name: alias lines, the aliases file, default-domain. */
static int
recipients_local(const struct config *cfg, const struct settings *s,
    const struct address *a, struct address_list *out, struct chain *ch,
    struct failure *f)
{
	const char *alias, *dom = s->default_domain;
	char *file_alias;
	int rc;

	if ((alias = config_alias(cfg, a->addr)) != NULL)
		return recipients_alias(cfg, s, a->addr, alias, out, ch, f);
	if (s->aliases_file != NULL) {
		rc = recipients_alias_file(s->aliases_file, a->addr,
		    &file_alias, f);
		if (rc == 1) {
			rc = recipients_alias(cfg, s, a->addr, file_alias,
			    out, ch, f);
			free(file_alias);
			return rc;
		}
		if (rc == -1)
			return -1;
	}
	if (dom != NULL && *dom != '\0') {
		char *q = xasprintf("%s@%s", a->addr, dom);

		rc = 0;
		if (!address_valid(q))
			rc = failure_set(f, F_DATA,
			    "invalid recipient address \"%s\"", q);
		else
			address_list_add(out, a->name, q);
		free(q);
		return rc;
	}
	return failure_set(f, F_NOUSER, "recipient \"%s\" has no domain; "
	    "add \"alias %s you@example.org\" or \"set default-domain="
	    "example.org\" to your outboxrc", a->addr, a->addr);
}

static int
recipients_expand_chain(const struct config *cfg, const struct settings *s,
    const char *text, struct address_list *out, struct chain *ch,
    struct failure *f)
{
	struct address_list parsed = { 0 };
	size_t i;
	int rc = 0;

	if (address_parse_list(text, &parsed, f) == -1) {
		/* It may have kept the addresses before the bad one. */
		address_list_free(&parsed);
		return -1;
	}
	for (i = 0; i < parsed.n && rc == 0; i++) {
		struct address *a = &parsed.v[i];

		if (!address_has_domain(a->addr)) {
			rc = recipients_local(cfg, s, a, out, ch, f);
			if (rc == -1 && ch->n == 0 && ch->pending != NULL &&
			    (f->kind == F_CONFIG || f->kind == F_NOUSER)) {
				/* Put off: the name stays as written. */
				if (ch->pending->kind == F_NONE)
					*ch->pending = *f;
				failure_clear(f);
				address_list_add(out, a->name, a->addr);
				rc = 0;
			}
			continue;
		}
		if (!address_valid(a->addr))
			rc = failure_set(f, F_DATA,
			    "invalid recipient address \"%s\"", a->addr);
		else
			address_list_add(out, a->name, a->addr);
	}
	address_list_free(&parsed);
	return rc;
}

int
recipients_expand(const struct config *cfg, const struct settings *s,
    const char *text, struct address_list *out, struct failure *f)
{
	return recipients_expand_pending(cfg, s, text, out, NULL, f);
}

int
recipients_expand_pending(const struct config *cfg, const struct settings *s,
    const char *text, struct address_list *out, struct failure *pending,
    struct failure *f)
{
	struct chain ch;

	ch.n = 0;
	ch.pending = pending;
	return recipients_expand_chain(cfg, s, text, out, &ch, f);
}

/* An address and its place in the list, for sorting. */
struct recipients_key {
	const char *addr;
	size_t i;
};

static int
recipients_key_cmp(const void *a, const void *b)
{
	const struct recipients_key *x = a, *y = b;
	int c = strcasecmp(x->addr, y->addr);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

void
recipients_unique(struct address_list *rcpts)
{
	struct recipients_key *k;
	unsigned char *dup;
	size_t i, j;

	if (rcpts->n < 2)
		return;
	/* Sorted by address, then place: each run's first is the one kept. */
	k = xreallocarray(NULL, rcpts->n, sizeof(*k));
	dup = xcalloc(rcpts->n, 1);
	for (i = 0; i < rcpts->n; i++) {
		k[i].addr = rcpts->v[i].addr;
		k[i].i = i;
	}
	qsort(k, rcpts->n, sizeof(*k), recipients_key_cmp);
	for (i = 1; i < rcpts->n; i++)
		if (strcasecmp(k[i - 1].addr, k[i].addr) == 0)
			dup[k[i].i] = 1;
	free(k);
	for (i = j = 0; i < rcpts->n; i++) {
		if (dup[i]) {
			free(rcpts->v[i].name);
			free(rcpts->v[i].addr);
		} else
			rcpts->v[j++] = rcpts->v[i];
	}
	rcpts->n = j;
	free(dup);
}

void
recipients_add_unique(struct address_list *rcpts, const char *addr)
{
	size_t i;

	for (i = 0; i < rcpts->n; i++)
		if (strcasecmp(rcpts->v[i].addr, addr) == 0)
			return;
	address_list_add(rcpts, NULL, addr);
}
