/*
 * xmalloc.h — allocation that cannot fail: on exhaustion it prints one
 * line and exits EX_OSERR (the only exit outside main.c).
 */
#ifndef OUTBOX_XMALLOC_H
#define OUTBOX_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
