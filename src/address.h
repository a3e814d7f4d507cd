/*
 * address.h — RFC 5322 address lists (section 3.4) to display and envelope
 * forms.  Pure: no printing, no globals.
 */
#ifndef OUTBOX_ADDRESS_H
#define OUTBOX_ADDRESS_H

#include <stddef.h>

#include "failure.h"

struct address {
	char *name;	/* display name, UTF-8, unquoted; NULL when none */
	char *addr;	/* addr-spec "local@domain", or a bare local part */
};

struct address_list {
	struct address *v;
	size_t n;
	size_t cap;
};

/*
 * Parses a comma-separated list ("A <a@x>, b@y, \"Last, First\" <c@z>",
 * groups flattened, comments dropped) and appends each address to list.
 * A bare local part ("root") is accepted; address_has_domain() tells.
 * UTF-8 in display names and in addr-specs is accepted.  CR or LF
 * anywhere is refused.  Fails with F_DATA naming the offending address;
 * list then holds what it held before the call.
 */
int address_parse_list(const char *text, struct address_list *list,
    struct failure *f);

/* Appends a copy of name (may be NULL) and addr. */
void address_list_add(struct address_list *list, const char *name,
    const char *addr);

/* Frees every entry and resets list to empty. */
void address_list_free(struct address_list *list);

/* 1 when addr contains "@" followed by a domain. */
int address_has_domain(const char *addr);

/* 1 when addr has any byte >= 0x80. */
int address_is_8bit(const char *addr);

/*
 * Whether an addr-spec is well formed enough to put on the wire: a
 * local part of atoms or a quoted string, "@", and a domain of labels or
 * a literal.  No space, control character, "<" or ">".
 */
int address_valid(const char *addr);

/*
 * The domain part of addr (after the last "@"), or NULL.  Points into addr.
 */
const char *address_domain(const char *addr);

#endif
