/*
 * failure.c — failure kinds and their sysexits codes (DESIGN.md "Exit
 * status"; 4xx maps to EX_TEMPFAIL, unlike msmtp).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "failure.h"

static const struct {
	int code;
	const char *name;
} kinds[F_KIND_MAX] = {
	[F_NONE] = { 0, "ok" },
	[F_USAGE] = { EX_USAGE, "usage" },
	[F_DATA] = { EX_DATAERR, "data" },
	[F_NOINPUT] = { EX_NOINPUT, "noinput" },
	[F_NOUSER] = { EX_NOUSER, "nouser" },
	[F_NOHOST] = { EX_NOHOST, "nohost" },
	[F_PERM] = { EX_UNAVAILABLE, "perm" },
	[F_TLS] = { EX_UNAVAILABLE, "tls" },
	[F_INTERNAL] = { EX_SOFTWARE, "internal" },
	[F_OS] = { EX_OSERR, "os" },
	[F_CANTCREAT] = { EX_CANTCREAT, "cantcreat" },
	[F_IO] = { EX_IOERR, "io" },
	[F_TEMP] = { EX_TEMPFAIL, "temp" },
	[F_PROTO] = { EX_PROTOCOL, "proto" },
	[F_AUTH] = { EX_NOPERM, "auth" },
	[F_CONFIG] = { EX_CONFIG, "config" },
};

int
failure_set(struct failure *f, enum failure_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (f == NULL)
		return -1;
	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	return -1;
}

void
failure_clear(struct failure *f)
{
	f->kind = F_NONE;
	f->text[0] = '\0';
}

int
failure_exitcode(enum failure_kind kind)
{
	if (kind < 0 || kind >= F_KIND_MAX)
		return EX_SOFTWARE;
	return kinds[kind].code;
}

const char *
failure_name(enum failure_kind kind)
{
	if (kind < 0 || kind >= F_KIND_MAX)
		return "internal";
	return kinds[kind].name;
}
