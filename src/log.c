/*
 * log.c — diagnostics and the redacted SMTP transcript.
 *
 * The verbosity is the one piece of file-scope state outside main.c: it is
 * set once, before any work starts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <vis.h>

#include "log.h"

static enum log_level level = LOG_L_QUIET;

void
log_init(enum log_level l)
{
	level = l;
}

enum log_level
log_level(void)
{
	return level;
}

static void
log_vprint(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "outbox: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("warning: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_L_VERBOSE)
		return;
	va_start(ap, fmt);
	log_vprint("", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_L_DEBUG)
		return;
	va_start(ap, fmt);
	log_vprint("debug: ", fmt, ap);
	va_end(ap);
}

void
log_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("internal error: ", fmt, ap);
	va_end(ap);
	exit(EX_SOFTWARE);
}

char *
log_vis(char *buf, size_t bufsz, const char *text, size_t len)
{
	size_t i, o = 0;
	char one[8];

	if (bufsz == 0)
		return buf;
	for (i = 0; i < len; i++) {
		size_t n;

		vis(one, (unsigned char)text[i], VIS_SAFE | VIS_NL | VIS_CSTYLE |
		    VIS_OCTAL, i + 1 < len ? (unsigned char)text[i + 1] : 0);
		n = strlen(one);
		if (o + n >= bufsz)
			break;
		memcpy(buf + o, one, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}

void
log_transcript(char dir, const char *line, size_t len, int secret)
{
	char buf[1100];
	size_t keep = len;

	if (level < LOG_L_VERBOSE)
		return;
	if (secret) {
		/* Keep "AUTH MECH" (two words) or nothing of a bare token. */
		size_t i, words = 0;

		keep = 0;
		if (len >= 5 && strncasecmp(line, "AUTH ", 5) == 0) {
			for (i = 0; i < len; i++) {
				if (line[i] == ' ' && ++words == 2)
					break;
			}
			keep = i;
		}
	}
	log_vis(buf, sizeof(buf), line, keep);
	fprintf(stderr, "%c: %s%s%s\n", dir, buf,
	    secret && keep ? " " : "", secret ? "<redacted>" : "");
	fflush(stderr);
}
