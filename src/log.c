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

/*
 * The length of the valid UTF-8 sequence of two to four bytes at s (at
 * most n bytes), or 0 (RFC 3629 section 4: no overlongs, surrogates or
 * values past U+10FFFF).  C1 controls (U+0080-U+009F) count as invalid:
 * a terminal acts on them.
 */
static size_t
log_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	if (s[0] == 0xc2 && s[1] <= 0x9f)
		return 0;
	return need + 1;
}

char *
log_vis(char *buf, size_t bufsz, const char *text, size_t len)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t i, o = 0, n;
	char one[8];

	if (bufsz == 0)
		return buf;
	for (i = 0; i < len; i += n) {
		/* Valid UTF-8 is shown as it is; the rest is escaped. */
		if (t[i] >= 0x80 && (n = log_utf8_len(t + i, len - i)) > 0) {
			if (o + n >= bufsz)
				break;
			memcpy(buf + o, t + i, n);
			o += n;
			continue;
		}
		n = 1;
		/* vis(3) may pass such a byte through in a UTF-8 locale. */
		if (t[i] >= 0x80)
			snprintf(one, sizeof(one), "\\%03o", t[i]);
		else
			vis(one, t[i], VIS_SAFE | VIS_NL | VIS_CSTYLE |
			    VIS_OCTAL, i + 1 < len ? t[i + 1] : 0);
		if (o + strlen(one) >= bufsz)
			break;
		memcpy(buf + o, one, strlen(one));
		o += strlen(one);
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
