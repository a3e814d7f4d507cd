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
 * Parses text (an address list) and appends each address to out, with
 * aliases of cfg expanded and bare names qualified with s->default_domain.
 * Fails with F_DATA (unparsable or invalid address, naming it), F_CONFIG
 * (alias loop) or F_NOUSER (a bare name nothing resolves; the text says
 * how to add an alias).
 */
int recipients_expand(const struct config *cfg, const struct settings *s,
    const char *text, struct address_list *out, struct failure *f);

/* Appends addr to rcpts unless it is there already (case-insensitive). */
void recipients_add_unique(struct address_list *rcpts, const char *addr);

#endif
