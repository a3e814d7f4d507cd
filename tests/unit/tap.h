/*
 * tap.h — a tiny TAP producer for the unit tests (in the spirit of mblaze's
 * t/lib.sh): ok(), is_str(), is_int(), is_mem(), then done_testing().
 * Header-only; each test program includes it once.
 */
#ifndef OUTBOX_TAP_H
#define OUTBOX_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *file, int line, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return cond;
}

#define ok(cond, name) tap_ok(!!(cond), __FILE__, __LINE__, (name))

#define is_int(got, want, name) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!tap_ok(g_ == w_, __FILE__, __LINE__, (name)))		\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)

#define is_str(got, want, name) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int c_ = (g_ == NULL && w_ == NULL) ||				\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	if (!tap_ok(c_, __FILE__, __LINE__, (name)))			\
		printf("#   got  [%s]\n#   want [%s]\n",			\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

#define is_mem(got, glen, want, wlen, name)				\
	tap_ok((glen) == (wlen) && memcmp((got), (want), (wlen)) == 0,	\
	    __FILE__, __LINE__, (name))

/* Prints the plan and returns the exit status for main(). */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif
