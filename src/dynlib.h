/*
 * dynlib.h — a shared library loaded when it is first needed.
 *
 * Each library linked into outbox costs every run its mapping and its
 * relocations, needed or not.  libmagic (with liblzma, libbz2 and zlib)
 * serves only attachments and libidn2 (with libunistring) only
 * non-ASCII domains, so they are loaded by name when that work comes.
 */
#ifndef OUTBOX_DYNLIB_H
#define OUTBOX_DYNLIB_H

struct failure;

struct dynlib {
	const char *soname;	/* e.g. "libmagic.so.1" */
	const char *package;	/* the package that ships it, for errors */
	const char *purpose;	/* what needs it: "attachment types" */
	void *h;		/* NULL until loaded */
};

/*
 * Loads l (once; it stays loaded) and looks up each of the n symbols
 * names[i] into fns[i].  0, or -1 with f (F_CONFIG): "PURPOSE need
 * SONAME (package PACKAGE): dlerror()'s text"; then no fns[i] is set.
 */
int dynlib_load(struct dynlib *l, const char *const *names, void **fns,
    int n, struct failure *f);

#endif
