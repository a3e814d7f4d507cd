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
#include "dynlib.h"
#include "failure.h"
#include "idn.h"
#include "xmalloc.h"

/*
 * libidn2's functions, loaded for the first non-ASCII domain
 * (dynlib.h): an ASCII-only run never maps libidn2 and libunistring.
 */
struct idn2_api {
	int (*to_ascii_8z)(const char *, char **, int);
	const char *(*strerror)(int);
	void (*free)(void *);
};

static int
idn2_api_load(struct idn2_api *a, struct failure *f)
{
	static struct dynlib lib = {
		"libidn2.so.0", "libidn2-0", "international domain names", NULL
	};
	static const char *const names[] = {
		"idn2_to_ascii_8z", "idn2_strerror", "idn2_free",
	};
	void *fns[3];

	if (dynlib_load(&lib, names, fns, 3, f) == -1)
		return -1;
	a->to_ascii_8z = (__typeof__(a->to_ascii_8z))fns[0];
	a->strerror = (__typeof__(a->strerror))fns[1];
	a->free = (__typeof__(a->free))fns[2];
	return 0;
}

char *
idn_addr_ascii(const char *addr, struct failure *f)
{
	struct idn2_api api;
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
	if (idn2_api_load(&api, f) == -1) {
		free(local);
		return NULL;
	}
	rc = api.to_ascii_8z(dom, &ace, IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		free(local);
		failure_set(f, F_DATA, "%s: not a valid international domain "
		    "name: %s", addr, api.strerror(rc));
		return NULL;
	}
	r = xasprintf("%s@%s", local, ace);
	api.free(ace);
	free(local);
	return r;
}
