/*
 * recipients.h — from what the user wrote to envelope recipients: address
 * lists parsed, config aliases expanded (bounded, loops reported), bare
 * local names qualified with default-domain, duplicates dropped.
 */
#ifndef OUTBOX_RECIPIENTS_H
#define OUTBOX_RECIPIENTS_H

#include "address.h"
#include "config.h"
#include "failure.h"

/* Alias chains deeper than this are reported as loops. */
#define RECIPIENTS_ALIAS_DEPTH_MAX 8

/*
 * Parses text (an address list) and appends each address to out.  A bare
 * name resolves through cfg's alias lines, then s->aliases_file, then
 * s->default_domain.  Fails with F_DATA (unparsable or invalid address,
 * naming it), F_CONFIG (alias loop, shown as "a -> b -> a"; chains deeper
 * than RECIPIENTS_ALIAS_DEPTH_MAX; an unreadable aliases-file; an alias
 * to a file or program; an alias to an invalid address) or F_NOUSER (a
 * bare name nothing resolves; the text says how to add an alias).
 */
int recipients_expand(const struct config *cfg, const struct settings *s,
    const char *text, struct address_list *out, struct failure *f);

/*
 * recipients_expand(), but a bare name of text that fails with F_CONFIG
 * or F_NOUSER (what a fixed alias, aliases-file or default-domain cures)
 * is appended to out as written and its failure copied to *pending (the
 * first only: when pending->kind is F_NONE); that is no failure.  The
 * message can then be made and kept with the name unresolved, for a
 * retry to resolve once the config is fixed.  NULL pending: as
 * recipients_expand().
 */
int recipients_expand_pending(const struct config *cfg,
    const struct settings *s, const char *text, struct address_list *out,
    struct failure *pending, struct failure *f);

/*
 * Looks name up (case-insensitively) in path, in aliases(5) format:
 * "name: addr, addr", "#" comments, continuation lines starting with
 * white space.  Returns 1 with *out the list (caller frees), 0 when name
 * is not there, -1 with F_CONFIG when path cannot be read or the entry
 * is a file, a program or an :include:.
 */
int recipients_alias_file(const char *path, const char *name, char **out,
    struct failure *f);

/*
 * Appends addr to rcpts unless it is there already (case-insensitive).
 * Linear in rcpts->n: for many addresses, add them all and call
 * recipients_unique() once.
 */
void recipients_add_unique(struct address_list *rcpts, const char *addr);

/*
 * Drops every address that appears earlier in rcpts (case-insensitive),
 * keeping the order of the rest.  O(n log n).
 */
void recipients_unique(struct address_list *rcpts);

#endif
