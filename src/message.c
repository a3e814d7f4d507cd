/*
 * message.c — the top-level header block (RFC 5322 section 3.6: Date,
 * From, To, Cc, Subject, Message-ID; RFC 2045 MIME-Version) around the
 * part tree from mime.c.  Bcc is never written (RFC 5322 section 3.6.3
 * allows leaving it out; recipients travel only in the envelope).
 *
 * Extra -H headers may not be ones outbox writes itself: From (use -r),
 * To/Cc/Bcc (recipients, -c, -b), Subject (-s), Date, Message-ID,
 * MIME-Version and Content-* (derived from the body and -a).
 */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encode.h"
#include "message.h"
#include "mime.h"
#include "spool.h"
#include "xmalloc.h"

/* RFC 5322 section 2.1.1: fold before 78 columns where possible. */
#define MESSAGE_FOLD_COL 78
/* Random bytes in a Message-ID left part: 128 bits, unique enough. */
#define MESSAGE_ID_RANDOM 16

static const struct {
	const char *name;	/* lower case; "content-" is a prefix */
	const char *instead;
} message_reserved[] = {
	{ .name = "from", .instead = "use -r or set from in the rc file" },
	{ .name = "to", .instead = "give recipients as arguments" },
	{ .name = "cc", .instead = "use -c" },
	{ .name = "bcc", .instead = "use -b" },
	{ .name = "subject", .instead = "use -s" },
	{ .name = "date", .instead = "outbox writes it" },
	{ .name = "message-id", .instead = "outbox writes it" },
	{ .name = "mime-version", .instead = "outbox writes it" },
	{ .name = "content-", .instead = "outbox derives it from the body and -a" },
};

static int
message_has_eol(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* Splits "Name: value"; *namelen and *value.  -1 when there is no ":". */
static int
message_split_header(const char *h, size_t *namelen, const char **value)
{
	const char *colon = strchr(h, ':');

	if (colon == NULL)
		return -1;
	*namelen = (size_t)(colon - h);
	*value = colon + 1;
	while (**value == ' ' || **value == '\t')
		(*value)++;
	return 0;
}

/* RFC 5322 section 2.2: a field name is printable ASCII but ":". */
static int
message_check_header(const char *h, struct failure *f)
{
	const char *value;
	size_t n, i, k;

	if (message_has_eol(h))
		return failure_set(f, F_DATA,
		    "-H: header contains a line break: refused");
	if (message_split_header(h, &n, &value) == -1 || n == 0)
		return failure_set(f, F_DATA, "-H %s: not \"Name: value\"", h);
	for (i = 0; i < n; i++)
		if (h[i] <= ' ' || h[i] >= 0x7f)
			return failure_set(f, F_DATA,
			    "-H: bad header name \"%.*s\"", (int)n, h);
	for (k = 0; k < sizeof(message_reserved) /
	    sizeof(message_reserved[0]); k++) {
		const char *r = message_reserved[k].name;
		size_t rl = strlen(r);

		if ((r[rl - 1] == '-' ? n >= rl : n == rl) &&
		    strncasecmp(h, r, rl) == 0)
			return failure_set(f, F_DATA, "-H %.*s: refused, %s",
			    (int)n, h, message_reserved[k].instead);
	}
	return 0;
}

static int
message_check_addrs(const char *field, const struct address *v, size_t n,
    struct failure *f)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (message_has_eol(v[i].name) || message_has_eol(v[i].addr))
			return failure_set(f, F_DATA,
			    "%s: address contains a line break: refused",
			    field);
		if (v[i].addr == NULL || *v[i].addr == '\0')
			return failure_set(f, F_DATA, "%s: empty address",
			    field);
		if (address_has_domain(v[i].addr) ?
		    !address_valid(v[i].addr) :
		    strpbrk(v[i].addr, " \t<>\"") != NULL)
			return failure_set(f, F_DATA, "%s: bad address: %s",
			    field, v[i].addr);
	}
	return 0;
}

/* RFC 2978 charset names are tokens (RFC 2045 section 5.1). */
static int
message_check_charset(const char *cs)
{
	if (*cs == '\0' || strlen(cs) >= FILETYPE_CHARSET_MAX)
		return -1;
	for (; *cs != '\0'; cs++)
		if (*cs <= ' ' || *cs >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", *cs) != NULL)
			return -1;
	return 0;
}

static int
message_check_file(const char *path, struct failure *f)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return failure_set(f, F_NOINPUT, "attachment %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return failure_set(f, F_NOINPUT,
		    "attachment %s: not a regular file", path);
	}
	close(fd);
	return 0;
}

int
message_check(const struct message_spec *spec, struct failure *f)
{
	size_t i;

	if (spec->from == NULL || spec->from->addr == NULL)
		return failure_set(f, F_CONFIG,
		    "no sender: use -r or set from in the rc file");
	if (message_check_addrs("From", spec->from, 1, f) == -1)
		return -1;
	if (spec->to != NULL &&
	    message_check_addrs("To", spec->to->v, spec->to->n, f) == -1)
		return -1;
	if (spec->cc != NULL &&
	    message_check_addrs("Cc", spec->cc->v, spec->cc->n, f) == -1)
		return -1;
	if (message_has_eol(spec->subject))
		return failure_set(f, F_DATA,
		    "Subject: contains a line break: refused");
	for (i = 0; i < spec->nheaders; i++)
		if (message_check_header(spec->headers[i], f) == -1)
			return -1;
	if (spec->charset != NULL && message_check_charset(spec->charset))
		return failure_set(f, F_USAGE, "--charset %s: not a charset "
		    "name", spec->charset);
	if (spec->message_id != NULL && (spec->message_id[0] != '<' ||
	    spec->message_id[strlen(spec->message_id) - 1] != '>' ||
	    strpbrk(spec->message_id, " \t\r\n") != NULL ||
	    strlen(spec->message_id) >= sizeof(((struct message_info *)0)->
	    message_id)))
		return failure_set(f, F_DATA, "Message-ID %s: not <...>",
		    spec->message_id);
	for (i = 0; i < spec->nattachments; i++)
		if (message_check_file(spec->attachments[i], f) == -1)
			return -1;
	return 0;
}

/*
 * Writes "Name: body" LF.  Refuses a line over 998 octets (RFC 5322
 * section 2.1.1), which only a single unbreakable word can cause.
 */
static int
message_header(FILE *out, const char *name, const char *body,
    struct failure *f)
{
	const char *p, *nl;
	size_t len = strlen(name) + 2;

	for (p = body; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (len + (size_t)(nl - p) > MIME_LINE_MAX)
			break;
		len = 0;
	}
	if (nl != NULL || len + strlen(p) > MIME_LINE_MAX)
		return failure_set(f, F_DATA, "%s: a word too long for a "
		    "header line (998 octets)", name);
	if (fprintf(out, "%s: %s\n", name, body) < 0)
		return failure_set(f, F_IO, "write: %s", strerror(errno));
	return 0;
}

/* RFC 5322 section 3.2.3 atext, plus space between words. */
static int
message_atext_phrase(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~ ", *s) != NULL))
			return 0;
	return 1;
}

static int
message_printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/*
 * A display name as a phrase starting at column col: atoms and encoded
 * words through encode_header_text(), other ASCII as a quoted-string.
 */
static char *
message_phrase(const char *name, size_t col)
{
	char *q;
	size_t i, o;

	if (!message_printable_ascii(name) || message_atext_phrase(name) ||
	    strstr(name, "=?") != NULL)
		return encode_header_text(name, col, 1);
	q = xmalloc(2 * strlen(name) + 3);
	o = 0;
	q[o++] = '"';
	for (i = 0; name[i] != '\0'; i++) {
		if (name[i] == '"' || name[i] == '\\')
			q[o++] = '\\';
		q[o++] = name[i];
	}
	q[o++] = '"';
	q[o] = '\0';
	return q;
}

static size_t
message_lastline(const char *s)
{
	const char *nl = strrchr(s, '\n');

	return strlen(nl ? nl + 1 : s);
}

/* "phrase <addr>" or "addr", starting at column col. */
static char *
message_addr(const struct address *a, size_t col)
{
	char *ph, *r;

	if (a->name == NULL || *a->name == '\0')
		return xstrdup(a->addr);
	ph = message_phrase(a->name, col);
	if (strchr(ph, '\n') == NULL)
		col += strlen(ph);
	else
		col = message_lastline(ph);
	if (col + 3 + strlen(a->addr) > MESSAGE_FOLD_COL)
		r = xasprintf("%s\n <%s>", ph, a->addr);
	else
		r = xasprintf("%s <%s>", ph, a->addr);
	free(ph);
	return r;
}

/* An address list, folded between addresses at MESSAGE_FOLD_COL. */
static char *
message_addr_list(const char *field, const struct address *v, size_t n)
{
	char *list = xstrdup(""), *item, *t;
	size_t i, col = strlen(field) + 2, first;
	int wrap;

	for (i = 0; i < n; i++) {
		wrap = 0;
		item = message_addr(&v[i], col + (i > 0 ? 2 : 0));
		first = strcspn(item, "\n");
		if (i > 0 && col + 2 + first > MESSAGE_FOLD_COL) {
			free(item);
			item = message_addr(&v[i], 1);
			wrap = 1;
		}
		t = xasprintf("%s%s%s", list, i == 0 ? "" : wrap ? ",\n " :
		    ", ", item);
		free(list);
		list = t;
		col = message_lastline(list);
		if (strchr(list, '\n') == NULL)
			col += strlen(field) + 2;
		free(item);
	}
	return list;
}

/* "<128 random bits in hex@domain>": RFC 5322 section 3.6.4. */
static void
message_id(const struct message_spec *spec, char *buf, size_t sz)
{
	unsigned char rnd[MESSAGE_ID_RANDOM];
	char hex[2 * MESSAGE_ID_RANDOM + 1], host[256];
	const char *dom;
	size_t i;

	if (spec->message_id != NULL) {
		strlcpy(buf, spec->message_id, sz);
		return;
	}
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		hex[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[rnd[i] & 0xf];
	}
	hex[2 * i] = '\0';
	dom = address_domain(spec->from->addr);
	if (dom == NULL || *dom == '\0' || strpbrk(dom, "<>\"") != NULL) {
		if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
			strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		dom = host;
	}
	snprintf(buf, sz, "<%s@%.200s>", hex, dom);
}

static int
message_addrs_8bit(const struct address *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (address_is_8bit(v[i].addr))
			return 1;
	return 0;
}

static int
message_write_headers(const struct message_spec *spec, FILE *out,
    struct message_info *info, struct failure *f)
{
	char date[64], *v;
	const char *value = "";
	size_t i, n = 0;
	int r;

	encode_date(spec->date ? spec->date : time(NULL), ENCODE_DATE_RFC5322,
	    date, sizeof(date));
	if (message_header(out, "Date", date, f) == -1)
		return -1;
	v = message_addr_list("From", spec->from, 1);
	r = message_header(out, "From", v, f);
	free(v);
	if (r == -1)
		return -1;
	if ((spec->to == NULL || spec->to->n == 0) &&
	    (spec->cc == NULL || spec->cc->n == 0)) {
		/* Only Bcc recipients: RFC 5322 section 3.6.3's group. */
		if (message_header(out, "To", "undisclosed-recipients:;", f))
			return -1;
	}
	if (spec->to != NULL && spec->to->n > 0) {
		v = message_addr_list("To", spec->to->v, spec->to->n);
		r = message_header(out, "To", v, f);
		free(v);
		if (r == -1)
			return -1;
	}
	if (spec->cc != NULL && spec->cc->n > 0) {
		v = message_addr_list("Cc", spec->cc->v, spec->cc->n);
		r = message_header(out, "Cc", v, f);
		free(v);
		if (r == -1)
			return -1;
	}
	if (spec->subject != NULL) {
		v = encode_header_text(spec->subject, strlen("Subject: "), 0);
		r = message_header(out, "Subject", v, f);
		free(v);
		if (r == -1)
			return -1;
	}
	message_id(spec, info->message_id, sizeof(info->message_id));
	if (message_header(out, "Message-ID", info->message_id, f) == -1)
		return -1;
	for (i = 0; i < spec->nheaders; i++) {
		char *name;

		message_split_header(spec->headers[i], &n, &value);
		name = xstrndup(spec->headers[i], n);
		v = *value == '\0' ? xstrdup("") :
		    encode_header_text(value, n + 2, 0);
		r = message_header(out, name, v, f);
		free(name);
		free(v);
		if (r == -1)
			return -1;
	}
	info->eightbit = address_is_8bit(spec->from->addr) ||
	    (spec->to && message_addrs_8bit(spec->to->v, spec->to->n)) ||
	    (spec->cc && message_addrs_8bit(spec->cc->v, spec->cc->n));
	return message_header(out, "MIME-Version", "1.0", f);
}

/* Copies the body to a seekable spool, scanning it on the way. */
static FILE *
message_spool_body(FILE *in, struct mime_scan *s, struct failure *f)
{
	unsigned char *buf;
	FILE *sp;
	size_t n;

	mime_scan_init(s);
	if (in == NULL)
		return NULL;
	if ((sp = spool_temp(f)) == NULL)
		return NULL;
	buf = xmalloc(MIME_BUFSZ);
	/*
	 * A short count means end of file or an error: stop there, for on a
	 * terminal another read would wait for a second Ctrl-D.
	 */
	do {
		n = fread(buf, 1, MIME_BUFSZ, in);
		mime_scan_update(s, buf, n);
		if (fwrite(buf, 1, n, sp) != n)
			break;
	} while (n == MIME_BUFSZ);
	free(buf);
	if (ferror(in) || ferror(sp) || fflush(sp) == EOF) {
		failure_set(f, ferror(in) ? F_IO : F_CANTCREAT,
		    "spooling the body: %s", strerror(errno));
		fclose(sp);
		return NULL;
	}
	mime_scan_final(s);
	return sp;
}

int
message_compose(const struct message_spec *spec, struct filetype *ft,
    FILE *out, struct message_info *info, struct failure *f)
{
	struct mime_part root, *body;
	struct mime_scan scan;
	char boundary[MIME_BOUNDARY_MAX];
	const char *charset;
	FILE *sp = NULL;
	size_t i;
	int r = -1;

	memset(info, 0, sizeof(*info));
	memset(&root, 0, sizeof(root));
	if (message_check(spec, f) == -1)
		return -1;
	if (spec->body != NULL &&
	    (sp = message_spool_body(spec->body, &scan, f)) == NULL)
		return -1;
	if (spec->body == NULL)
		mime_scan_init(&scan);
	charset = mime_text_charset(&scan, spec->charset,
	    nl_langinfo(CODESET));
	body = &root;
	if (spec->nattachments > 0) {
		mime_boundary(boundary, spec->boundary_seed, 1);
		mime_part_multipart(&root, boundary);
		body = mime_part_add(&root);
	}
	mime_part_body(body, sp, &scan, charset);
	for (i = 0; i < spec->nattachments; i++)
		if (mime_part_attachment(mime_part_add(&root),
		    spec->attachments[i], ft, f) == -1)
			goto out;
	if (message_write_headers(spec, out, info, f) == -1)
		goto out;
	if (mime_write(&root, out, f) == -1)
		goto out;
	if (fflush(out) == EOF || ferror(out)) {
		failure_set(f, F_IO, "write: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	mime_part_free(&root);
	if (sp != NULL)
		fclose(sp);
	return r;
}
