/*
 * dynlib.c — a shared library loaded when it is first needed (see
 * dynlib.h).
 *
 * dlsym() returns an object pointer that is converted to the function
 * pointer type it holds: POSIX requires that conversion to work.
 */
#include <dlfcn.h>
#include <string.h>

#include "dynlib.h"
#include "failure.h"

#define DYNLIB_MAX 16		/* symbols looked up in one call */

int
dynlib_load(struct dynlib *l, const char *const *names, void **fns, int n,
    struct failure *f)
{
	void *got[DYNLIB_MAX];
	const char *err = NULL;
	int i;

	if (n > DYNLIB_MAX)
		return failure_set(f, F_INTERNAL, "%s: too many symbols",
		    l->soname);
	dlerror();
	/*
	 * RTLD_NODELETE: a library's global state (libmagic's, libidn2's)
	 * may outlive the first user, so it is never unmapped.
	 */
	if (l->h == NULL)
		l->h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (l->h == NULL)
		err = dlerror();
	for (i = 0; err == NULL && i < n; i++)
		if ((got[i] = dlsym(l->h, names[i])) == NULL &&
		    (err = dlerror()) == NULL)
			err = names[i];	/* a symbol whose value is NULL */
	if (err != NULL)
		return failure_set(f, F_CONFIG, "%s need %s (package %s): %s",
		    l->purpose, l->soname, l->package, err);
	for (i = 0; i < n; i++)
		fns[i] = got[i];
	return 0;
}
