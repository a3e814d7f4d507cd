/*
 * smtp_reply.c — reading one SMTP reply (RFC 5321 4.2, 4.5.3.1; RFC
 * 3463 enhanced status codes) and the EHLO extension list (RFC 5321
 * 4.1.1.1, RFC 4954 AUTH, RFC 1870 SIZE).
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "smtp_reply.h"
#include "xmalloc.h"

/* A reply quoted in a failure text: enough for one server line. */
#define SMTP_QUOTE_MAX 200

/* RFC 3463: class.subject.detail, class 2, 4 or 5, 1-3 digits each. */
static size_t
smtp_parse_esc(const char *t, size_t len, int code)
{
	size_t i = 0, part, n;

	if (len < 5 || t[0] != '0' + code / 100)
		return 0;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (i >= len || t[i] != '.')
			return 0;
		i++;
		for (n = 0; i < len && isdigit((unsigned char)t[i]) && n < 4;
		    n++)
			i++;
		if (n == 0 || n > 3)
			return 0;
	}
	if (i < len && t[i] != ' ')
		return 0;
	return i;
}

static int
smtp_garbled(const char *line, size_t len, struct failure *f)
{
	char vis[SMTP_QUOTE_MAX];

	log_vis(vis, sizeof(vis), line, len);
	return failure_set(f, F_PROTO, "garbled reply (%s)", vis);
}

/* Appends one line's text to rp->text, LF-separated. */
static void
smtp_reply_append(struct smtp_reply *rp, const char *t, size_t n)
{
	rp->text = xreallocarray(rp->text, rp->len + n + 2, 1);
	if (rp->nlines > 0)
		rp->text[rp->len++] = '\n';
	memcpy(rp->text + rp->len, t, n);
	rp->len += n;
	rp->text[rp->len] = '\0';
	rp->nlines++;
}

int
smtp_read_reply(struct conn *c, struct smtp_reply *rp, struct failure *f)
{
	const char *line;
	size_t len, i, total = 0;
	int code, more;

	memset(rp, 0, sizeof(*rp));
	do {
		if (conn_getline(c, &line, &len, f) == -1)
			goto fail;
		log_transcript('S', line, len, 0);
		total += len + 2;
		if (rp->nlines >= SMTP_REPLY_LINES_MAX ||
		    total > SMTP_REPLY_SIZE_MAX) {
			failure_set(f, F_PROTO, "reply too long");
			goto fail;
		}
		if (len < 3 || line[0] < '2' || line[0] > '5' ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-')) {
			smtp_garbled(line, len, f);
			goto fail;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (rp->nlines > 0 && code != rp->code) {
			smtp_garbled(line, len, f);
			goto fail;
		}
		/* Printable text; HT and UTF-8 (RFC 6531) pass, strvis'd. */
		for (i = 4; i < len; i++) {
			unsigned char ch = (unsigned char)line[i];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				smtp_garbled(line, len, f);
				goto fail;
			}
		}
		rp->code = code;
		more = len > 3 && line[3] == '-';
		smtp_reply_append(rp, len > 4 ? line + 4 : "",
		    len > 4 ? len - 4 : 0);
		if (rp->nlines == 1 && len > 4) {
			size_t n = smtp_parse_esc(line + 4, len - 4, code);

			if (n > 0 && n < sizeof(rp->esc)) {
				memcpy(rp->esc, line + 4, n);
				rp->esc[n] = '\0';
			}
		}
	} while (more);
	return 0;
fail:
	smtp_reply_free(rp);
	return -1;
}

void
smtp_reply_free(struct smtp_reply *rp)
{
	free(rp->text);
	memset(rp, 0, sizeof(*rp));
}

static void
smtp_ehlo_auth(struct smtp_ext *ext, const char *list, size_t n)
{
	size_t i, o = strlen(ext->auth);

	for (i = 0; i < n && o + 2 < sizeof(ext->auth); i++) {
		if (o > 0 && i == 0 && ext->auth[o - 1] != ' ')
			ext->auth[o++] = ' ';
		ext->auth[o++] = toupper((unsigned char)list[i]);
	}
	ext->auth[o] = '\0';
}

void
smtp_ehlo_parse(const struct smtp_reply *rp, struct smtp_ext *ext)
{
	static const struct {
		const char *kw;
		unsigned int flag;
	} kws[] = {
		{ "STARTTLS", SMTP_EXT_STARTTLS },
		{ "AUTH", SMTP_EXT_AUTH },
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "SIZE", SMTP_EXT_SIZE },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "DSN", SMTP_EXT_DSN },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
		{ "CHUNKING", SMTP_EXT_CHUNKING },
		{ "VRFY", SMTP_EXT_VRFY },
	};
	const char *p, *end, *arg;
	size_t i, kwlen, arglen;

	memset(ext, 0, sizeof(*ext));
	if (rp->text == NULL)
		return;
	/* The first line greets; extensions follow, one a line. */
	p = strchr(rp->text, '\n');
	while (p != NULL) {
		p++;
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		kwlen = strcspn(p, " =\n");
		if (p + kwlen > end)
			kwlen = (size_t)(end - p);
		arg = p + kwlen;
		if (arg < end)
			arg++;
		arglen = (size_t)(end - arg);
		for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
			if (strlen(kws[i].kw) != kwlen ||
			    strncasecmp(p, kws[i].kw, kwlen) != 0)
				continue;
			ext->flags |= kws[i].flag;
			if (kws[i].flag == SMTP_EXT_AUTH)
				smtp_ehlo_auth(ext, arg, arglen);
			else if (kws[i].flag == SMTP_EXT_SIZE && arglen > 0 &&
			    arglen < 20) {
				char num[20];

				memcpy(num, arg, arglen);
				num[arglen] = '\0';
				ext->size = strtonum(num, 0, LLONG_MAX, NULL);
			}
		}
		p = *end == '\0' ? NULL : end;
	}
}
