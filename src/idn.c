/*
 * idn.c — IDNA A-labels for addresses (see idn.h).
 *
 * RFC 5890-5891 (IDNA2008) with UTS #46 non-transitional mapping, as
 * libidn2 does it for lookups; RFC 6531 section 3.3 (a non-ASCII local
 * part has no ASCII form: it needs SMTPUTF8).
 */
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "address.h"
#include "idn.h"
#include "xmalloc.h"

char *
idn_addr_ascii(const char *addr, struct failure *f)
{
	const char *dom;
	char *local, *ace = NULL, *r;
	int rc;

	if (f != NULL)
		failure_clear(f);
	if (addr == NULL || !address_is_8bit(addr) ||
	    (dom = address_domain(addr)) == NULL || *dom == '\0')
		return NULL;
	local = xstrndup(addr, (size_t)(dom - 1 - addr));
	if (address_is_8bit(local) || !address_is_8bit(dom)) {
		free(local);
		return NULL;
	}
	rc = idn2_to_ascii_8z(dom, &ace, IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		free(local);
		failure_set(f, F_DATA, "%s: not a valid international domain "
		    "name: %s", addr, idn2_strerror(rc));
		return NULL;
	}
	r = xasprintf("%s@%s", local, ace);
	idn2_free(ace);
	free(local);
	return r;
}
