/*
 * recipients.c — address lists to envelope recipients (see recipients.h).
 * mail(1) aliases: a bare name that an alias defines is replaced by the
 * alias's list, recursively.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recipients.h"
#include "xmalloc.h"

static int
recipients_expand_depth(const struct config *cfg, const struct settings *s,
    const char *text, struct address_list *out, int depth, struct failure *f)
{
	struct address_list parsed = { 0 };
	const char *alias, *dom = s->default_domain;
	size_t i;
	int rc = 0;

	if (address_parse_list(text, &parsed, f) == -1)
		return -1;
	for (i = 0; i < parsed.n && rc == 0; i++) {
		struct address *a = &parsed.v[i];

		if (address_has_domain(a->addr)) {
			if (!address_valid(a->addr))
				rc = failure_set(f, F_DATA,
				    "invalid recipient address \"%s\"",
				    a->addr);
			else
				address_list_add(out, a->name, a->addr);
			continue;
		}
		if ((alias = config_alias(cfg, a->addr)) != NULL) {
			if (depth >= RECIPIENTS_ALIAS_DEPTH_MAX)
				rc = failure_set(f, F_CONFIG, "alias \"%s\": "
				    "aliases nest too deep (a loop?)", a->addr);
			else
				rc = recipients_expand_depth(cfg, s, alias,
				    out, depth + 1, f);
			continue;
		}
		if (dom != NULL && *dom != '\0') {
			char *q = xasprintf("%s@%s", a->addr, dom);

			if (!address_valid(q))
				rc = failure_set(f, F_DATA,
				    "invalid recipient address \"%s\"", q);
			else
				address_list_add(out, a->name, q);
			free(q);
			continue;
		}
		rc = failure_set(f, F_NOUSER, "recipient \"%s\" has no domain; "
		    "add \"alias %s you@example.org\" or \"set default-domain="
		    "example.org\" to your outboxrc", a->addr, a->addr);
	}
	address_list_free(&parsed);
	return rc;
}

int
recipients_expand(const struct config *cfg, const struct settings *s,
    const char *text, struct address_list *out, struct failure *f)
{
	return recipients_expand_depth(cfg, s, text, out, 0, f);
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
