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
	const char *name;
	int code;
} kinds[F_KIND_MAX] = {
	[F_NONE] = { "ok", 0 },
	[F_USAGE] = { "usage", EX_USAGE },
	[F_DATA] = { "data", EX_DATAERR },
	[F_NOINPUT] = { "noinput", EX_NOINPUT },
	[F_NOUSER] = { "nouser", EX_NOUSER },
	[F_NOHOST] = { "nohost", EX_NOHOST },
	[F_PERM] = { "perm", EX_UNAVAILABLE },
	[F_TLS] = { "tls", EX_UNAVAILABLE },
	[F_INTERNAL] = { "internal", EX_SOFTWARE },
	[F_OS] = { "os", EX_OSERR },
	[F_CANTCREAT] = { "cantcreat", EX_CANTCREAT },
	[F_IO] = { "io", EX_IOERR },
	[F_TEMP] = { "temp", EX_TEMPFAIL },
	[F_PROTO] = { "proto", EX_PROTOCOL },
	[F_AUTH] = { "auth", EX_NOPERM },
	[F_CONFIG] = { "config", EX_CONFIG },
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
