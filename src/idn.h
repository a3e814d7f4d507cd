/*
 * idn.h — internationalised domain names (RFC 5890, IDNA2008 via
 * libidn2): the all-ASCII form of an address for servers without
 * SMTPUTF8.
 */
#ifndef OUTBOX_IDN_H
#define OUTBOX_IDN_H

#include "failure.h"

/*
 * The address with its domain as IDNA A-labels ("user@xn--..."), newly
 * allocated, when addr has an ASCII local part and a non-ASCII domain.
 * NULL with f->kind F_NONE when there is nothing to convert (all ASCII)
 * or nothing can be done (a UTF-8 local part needs SMTPUTF8); NULL with
 * F_DATA naming the address when the domain is not a valid IDN.
 */
char *idn_addr_ascii(const char *addr, struct failure *f);

#endif
