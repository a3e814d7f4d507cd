/*
 * message.c — the top-level header block (RFC 5322 section 3.6: Date,
 * From, To, Cc, Subject, Message-ID; RFC 2045 MIME-Version) around the
 * part tree from mime.c.  Bcc is never written (RFC 5322 section 3.6.3
 * allows leaving it out; recipients travel only in the envelope).
 *
 * Extra -H headers may not be ones outbox writes itself: From (use -r),
 * To/Cc/Bcc (recipients, -c, -b), Subject (-s), Date, MIME-Version and
 * Content-* (derived from the body and -a).  -H Message-ID replaces the
 * one outbox makes, so a script can send a stable id; it must be an RFC
 * 5322 msg-id.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <langinfo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encode.h"
#include "html.h"
#include "idn.h"
#include "message.h"
#include "mime.h"
#include "spool.h"
#include "xmalloc.h"

/* RFC 5322 section 2.1.1: fold before 78 columns where possible. */
#define MESSAGE_ADDR_MAX 254	/* octets in an address, without <> */
#define MESSAGE_FOLD_COL 78
/* Random bytes in a Message-ID left part: 128 bits, unique enough. */
#define MESSAGE_ID_RANDOM 16
/* The longest Content-ID kept (RFC 5322 msg-id, well under a line). */
#define MESSAGE_CID_MAX 256

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

/* RFC 5322 section 3.2.3 dot-atom-text: atext runs joined by single dots. */
static int
message_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
			continue;
		}
		if (s[i] == '\0' || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", s[i]) != NULL))
			return 0;
	}
	return 1;
}

/*
 * RFC 5322 section 3.6.4: msg-id = "<" id-left "@" id-right ">", id-left
 * a dot-atom-text, id-right a dot-atom-text or a no-fold-literal
 * ("[" dtext "]"); no white space, at most the size we keep.
 */
static int
message_valid_msgid(const char *v)
{
	size_t n = strlen(v), i;
	const char *at, *right;

	if (n < 5 || n >= sizeof(((struct message_info *)0)->message_id) ||
	    v[0] != '<' || v[n - 1] != '>' ||
	    (at = memchr(v, '@', n)) == NULL)
		return 0;
	if (!message_dot_atom(v + 1, (size_t)(at - v - 1)))
		return 0;
	right = at + 1;
	n = (size_t)(v + n - 1 - right);
	if (n >= 2 && right[0] == '[' && right[n - 1] == ']') {
		for (i = 1; i + 1 < n; i++)
			if (right[i] <= ' ' || right[i] >= 0x7f ||
			    strchr("[]\\", right[i]) != NULL)
				return 0;
		return 1;
	}
	return message_dot_atom(right, n);
}

/* The value of the -H Message-ID, or NULL. */
static const char *
message_header_msgid(const struct message_spec *spec)
{
	const char *value;
	size_t i, n;

	for (i = 0; i < spec->nheaders; i++)
		if (message_split_header(spec->headers[i], &n, &value) == 0 &&
		    n == strlen("message-id") &&
		    strncasecmp(spec->headers[i], "message-id", n) == 0)
			return value;
	return NULL;
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
	if (n == strlen("message-id") && strncasecmp(h, "message-id", n) == 0 &&
	    !message_valid_msgid(value))
		return failure_set(f, F_DATA, "-H %s: not a Message-ID "
		    "(<left@right>, RFC 5322 section 3.6.4)", h);
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
		/*
		 * RFC 5321 4.5.3.1.3: a path is at most 256 octets with its
		 * angle brackets.  A longer address could not be sent, and
		 * one word that long would not fit a header line either.
		 */
		if (strlen(v[i].addr) > MESSAGE_ADDR_MAX)
			return failure_set(f, F_DATA, "%s: address longer than "
			    "%d octets (RFC 5321): %.40s...", field,
			    MESSAGE_ADDR_MAX, v[i].addr);
		if (address_has_domain(v[i].addr) ?
		    !address_valid(v[i].addr) :
		    strpbrk(v[i].addr, " \t<>\"") != NULL)
			return failure_set(f, F_DATA, "%s: bad address: %s",
			    field, v[i].addr);
		/* A domain that has no A-label form cannot be sent. */
		free(idn_addr_ascii(v[i].addr, f));
		if (f->kind != F_NONE)
			return -1;
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

/* what: "attachment", "--html", "--inline", for the message. */
static int
message_check_file(const char *what, const char *path, struct failure *f)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return failure_set(f, F_NOINPUT, "%s %s: %s", what, path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return failure_set(f, F_NOINPUT,
		    "%s %s: not a regular file", what, path);
	}
	close(fd);
	return 0;
}

/* RFC 5322 section 3.2.3 atext, and "." and "@" of a msg-id. */
static int
message_cid_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~.@", c) != NULL);
}

static int
message_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Splits an --inline argument "FILE" or "FILE:ID" into a newly allocated
 * path and Content-ID.  A whole argument naming a file is a FILE (file
 * names may hold ":").  The ID from the base name has bytes a msg-id
 * cannot hold replaced by "_"; a given ID must be valid: F_DATA.
 */
static int
message_inline_split(const char *arg, char **path, char **id,
    struct failure *f)
{
	const char *colon = strrchr(arg, ':'), *base, *e;
	size_t i;

	*path = *id = NULL;
	if (!message_is_file(arg) && colon != NULL && colon != arg &&
	    colon[1] != '\0' && strchr(colon, '/') == NULL) {
		*path = xstrndup(arg, (size_t)(colon - arg));
		*id = xstrdup(colon + 1);
		for (i = 0; (*id)[i] != '\0'; i++)
			if (!message_cid_char((unsigned char)(*id)[i]))
				break;
		if ((*id)[i] != '\0' || i >= MESSAGE_CID_MAX) {
			failure_set(f, F_DATA, "--inline %s: \"%s\" is not a "
			    "Content-ID (letters, digits, !#$%%&'*+-/=?^_`{|}~"
			    ".@)", arg, *id);
			free(*path);
			free(*id);
			*path = *id = NULL;
			return -1;
		}
		return 0;
	}
	*path = xstrdup(arg);
	e = arg + strlen(arg);
	while (e > arg && e[-1] == '/')
		e--;
	for (base = e; base > arg && base[-1] != '/'; base--)
		;
	if (base == e || (size_t)(e - base) >= MESSAGE_CID_MAX)
		*id = xstrdup("inline");
	else
		*id = xstrndup(base, (size_t)(e - base));
	for (i = 0; (*id)[i] != '\0'; i++)
		if (!message_cid_char((unsigned char)(*id)[i]))
			(*id)[i] = '_';
	return 0;
}

static int
message_check_inlines(const struct message_spec *spec, struct failure *f)
{
	char *path, *id;
	size_t i;
	int r;

	if (spec->ninlines > 0 && spec->html == NULL && !spec->html_stdin)
		return failure_set(f, F_USAGE, "--inline goes with --html");
	if (spec->html != NULL && spec->html_stdin)
		return failure_set(f, F_USAGE, "--html given twice");
	if (spec->html != NULL &&
	    message_check_file("--html", spec->html, f) == -1)
		return -1;
	for (i = 0; i < spec->ninlines; i++) {
		if (message_inline_split(spec->inlines[i], &path, &id,
		    f) == -1)
			return -1;
		r = message_check_file("--inline", path, f);
		free(path);
		free(id);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* The Reply-To list, parsed and checked like the recipients. */
static int
message_reply_to(const struct message_spec *spec, struct address_list *l,
    struct failure *f)
{
	memset(l, 0, sizeof(*l));
	if (spec->reply_to == NULL)
		return 0;
	if (message_has_eol(spec->reply_to))
		return failure_set(f, F_DATA,
		    "--reply-to: contains a line break: refused");
	if (address_parse_list(spec->reply_to, l, f) == -1) {
		address_list_free(l);	/* what was parsed before */
		return -1;
	}
	if (l->n == 0) {
		address_list_free(l);
		return failure_set(f, F_DATA, "--reply-to: no address");
	}
	if (message_check_addrs("Reply-To", l->v, l->n, f) == -1) {
		address_list_free(l);
		return -1;
	}
	return 0;
}

static int
message_check_spec(const struct message_spec *spec, struct failure *f)
{
	struct address_list rt;
	size_t i, n = 0;
	const char *value;

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
	for (i = 0; i < spec->nheaders; i++) {
		if (message_check_header(spec->headers[i], f) == -1)
			return -1;
		message_split_header(spec->headers[i], &n, &value);
		if (n == strlen("message-id") && strncasecmp(spec->headers[i],
		    "message-id", n) == 0 && value != message_header_msgid(spec))
			return failure_set(f, F_USAGE, "-H Message-ID given "
			    "twice");
		if (spec->reply_to != NULL && n == strlen("reply-to") &&
		    strncasecmp(spec->headers[i], "reply-to", n) == 0)
			return failure_set(f, F_USAGE, "Reply-To given twice "
			    "(--reply-to and -H)");
	}
	if (message_reply_to(spec, &rt, f) == -1)
		return -1;
	address_list_free(&rt);
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
	for (i = 0; i < spec->nattachments; i++) {
		if (message_check_file("attachment", spec->attachments[i],
		    f) == -1)
			return -1;
		if (spec->attach_charsets != NULL &&
		    spec->attach_charsets[i] != NULL &&
		    message_check_charset(spec->attach_charsets[i]))
			return failure_set(f, F_USAGE, "--attach-charset %s: "
			    "not a charset name", spec->attach_charsets[i]);
	}
	return message_check_inlines(spec, f);
}

static int
message_is_utf8_name(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0;
}

static int
message_is_ascii_name(const char *cs)
{
	return strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0 ||
	    strcasecmp(cs, "ANSI_X3.4-1968") == 0;
}

/*
 * The charset of header text from the command line and the rc file:
 * --charset when given, else the locale's.  *where says which, for
 * error messages.
 */
static const char *
message_input_charset(const struct message_spec *spec, const char **where)
{
	const char *cs;

	if (spec->charset != NULL && *spec->charset != '\0') {
		*where = "--charset";
		return spec->charset;
	}
	*where = "the locale's charset";
	cs = nl_langinfo(CODESET);
	return cs != NULL && *cs != '\0' ? cs : "UTF-8";
}

/* The largest header text converted (a -H value is at most ARG_MAX). */
#define MESSAGE_CONV_MAX (4 * 1024 * 1024)

/*
 * Header text in the input charset cs as UTF-8, newly allocated in *out.
 * RFC 2047 words say "UTF-8", so the bytes must be UTF-8: text in
 * another charset goes through iconv(3); text said to be UTF-8 (or in
 * an ASCII locale, where UTF-8 is what arrives) must be valid UTF-8.
 * F_DATA naming what when the text is not valid in cs, or cs has no
 * converter.
 */
static int
message_to_utf8(const char *cs, const char *where, const char *what,
    const char *in, char **out, struct failure *f)
{
	struct mime_scan sc;
	size_t len = strlen(in), il, ol, cap, done;
	char *ip, *op;
	iconv_t cd;
	int plain = 1, bad = 0;
	const unsigned char *p;

	*out = NULL;
	for (p = (const unsigned char *)in; *p != '\0'; p++)
		if (*p >= 0x80 || *p == 0x1b)
			plain = 0;
	if (plain) {
		*out = xstrdup(in);
		return 0;
	}
	if (message_is_utf8_name(cs) || message_is_ascii_name(cs)) {
		mime_scan_init(&sc);
		mime_scan_update(&sc, in, len);
		mime_scan_final(&sc);
		if (!mime_scan_utf8(&sc))
			return failure_set(f, F_DATA, "%s: not valid UTF-8 "
			    "(%s is %s); name its charset with --charset",
			    what, where, cs);
		*out = xstrdup(in);
		return 0;
	}
	if (len > MESSAGE_CONV_MAX)
		return failure_set(f, F_DATA, "%s: too long", what);
	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return failure_set(f, F_DATA, "%s: cannot convert from %s "
		    "(%s) to UTF-8: %s", what, cs, where, strerror(errno));
	/* Four UTF-8 octets per input octet at most, and room for a NUL. */
	cap = 4 * len + 16;
	*out = xmalloc(cap);
	ip = (char *)(uintptr_t)in;
	il = len;
	op = *out;
	ol = cap - 1;
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
		bad = 1;
	iconv_close(cd);
	done = (size_t)(op - *out);
	if (bad || memchr(*out, '\0', done) != NULL) {
		free(*out);
		*out = NULL;
		return failure_set(f, F_DATA, "%s: not valid %s (%s)", what,
		    cs, strcmp(where, "--charset") == 0 ? "as --charset says" :
		    where);
	}
	(*out)[done] = '\0';
	return 0;
}

int
message_text_utf8(const char *charset, const char *what, const char *in,
    char **out, struct failure *f)
{
	struct message_spec spec;
	const char *where, *cs;

	memset(&spec, 0, sizeof(spec));
	spec.charset = charset;
	cs = message_input_charset(&spec, &where);
	return message_to_utf8(cs, where, what, in, out, f);
}

/* A copy of the spec whose header text is UTF-8 (message_to_utf8()). */
struct message_conv {
	struct message_spec spec;
	struct address from;
	struct address_list to, cc;	/* names owned, addrs borrowed */
	char *subject, *reply_to;
	char **headers;
	size_t nheaders;
};

static void
message_conv_free(struct message_conv *c)
{
	size_t i;

	free(c->from.name);
	for (i = 0; i < c->to.n; i++)
		free(c->to.v[i].name);
	for (i = 0; i < c->cc.n; i++)
		free(c->cc.v[i].name);
	free(c->to.v);
	free(c->cc.v);
	for (i = 0; i < c->nheaders; i++)
		free(c->headers[i]);
	free(c->headers);
	free(c->subject);
	free(c->reply_to);
	memset(c, 0, sizeof(*c));
}

static int
message_conv_list(const char *cs, const char *where, const char *field,
    const struct address_list *in, struct address_list *out,
    struct failure *f)
{
	char what[64];
	size_t i;

	if (in == NULL)
		return 0;
	out->v = xcalloc(in->n + 1, sizeof(*out->v));
	snprintf(what, sizeof(what), "%s: display name", field);
	for (; out->n < in->n; out->n++) {
		i = out->n;
		out->v[i].addr = in->v[i].addr;
		if (in->v[i].name != NULL && message_to_utf8(cs, where, what,
		    in->v[i].name, &out->v[i].name, f) == -1)
			return -1;
	}
	return 0;
}

/* Fills c with the converted copy of spec; message_conv_free() after. */
static int
message_convert(const struct message_spec *spec, struct message_conv *c,
    struct failure *f)
{
	const char *where, *cs = message_input_charset(spec, &where);
	char what[64];
	size_t i, n;
	const char *value;

	memset(c, 0, sizeof(*c));
	c->spec = *spec;
	if (spec->charset != NULL && message_check_charset(spec->charset))
		return failure_set(f, F_USAGE, "--charset %s: not a charset "
		    "name", spec->charset);
	if (spec->from != NULL) {
		c->from.addr = spec->from->addr;
		if (spec->from->name != NULL && message_to_utf8(cs, where,
		    "From: display name", spec->from->name, &c->from.name,
		    f) == -1)
			return -1;
		c->spec.from = &c->from;
	}
	if (message_conv_list(cs, where, "To", spec->to, &c->to, f) == -1 ||
	    message_conv_list(cs, where, "Cc", spec->cc, &c->cc, f) == -1)
		return -1;
	if (spec->to != NULL)
		c->spec.to = &c->to;
	if (spec->cc != NULL)
		c->spec.cc = &c->cc;
	if (spec->subject != NULL && message_to_utf8(cs, where, "Subject",
	    spec->subject, &c->subject, f) == -1)
		return -1;
	c->spec.subject = c->subject;
	if (spec->reply_to != NULL && message_to_utf8(cs, where,
	    "--reply-to", spec->reply_to, &c->reply_to, f) == -1)
		return -1;
	c->spec.reply_to = c->reply_to;
	c->headers = xcalloc(spec->nheaders + 1, sizeof(*c->headers));
	for (; c->nheaders < spec->nheaders; c->nheaders++) {
		i = c->nheaders;
		if (message_split_header(spec->headers[i], &n, &value) == -1)
			n = strcspn(spec->headers[i], ":");
		snprintf(what, sizeof(what), "-H %.*s", (int)(n > 40 ? 40 : n),
		    spec->headers[i]);
		if (message_to_utf8(cs, where, what, spec->headers[i],
		    &c->headers[i], f) == -1)
			return -1;
	}
	c->spec.headers = (const char *const *)c->headers;
	return 0;
}

int
message_check(const struct message_spec *spec, struct failure *f)
{
	struct message_conv c;
	int r;

	r = message_convert(spec, &c, f) == -1 ? -1 :
	    message_check_spec(&c.spec, f);
	message_conv_free(&c);
	return r;
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

/*
 * The addr-spec as written in a header: a non-ASCII domain with an ASCII
 * local part as A-labels (any reader takes them, and the message stays
 * 7-bit); a non-ASCII local part as it is (RFC 6532; see message.h).
 */
static char *
message_hdr_addr(const char *addr)
{
	struct failure f;
	char *a;

	if ((a = idn_addr_ascii(addr, &f)) != NULL)
		return a;
	return xstrdup(addr);
}

/* "phrase <addr>" or "addr", starting at column col. */
static char *
message_addr(const struct address *a, size_t col)
{
	char *ph, *r, *addr;

	if (a->name == NULL || *a->name == '\0')
		return message_hdr_addr(a->addr);
	ph = message_phrase(a->name, col);
	if (strchr(ph, '\n') == NULL)
		col += strlen(ph);
	else
		col = message_lastline(ph);
	addr = message_hdr_addr(a->addr);
	if (col + 3 + strlen(addr) > MESSAGE_FOLD_COL)
		r = xasprintf("%s\n <%s>", ph, addr);
	else
		r = xasprintf("%s <%s>", ph, addr);
	free(ph);
	free(addr);
	return r;
}

/* Appends n bytes of s to the growing string *buf (*len used, *cap). */
static void
message_append(char **buf, size_t *len, size_t *cap, const char *s,
    size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap ? *cap * 2 : 256;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/*
 * An address list, folded between addresses at MESSAGE_FOLD_COL.  Built
 * by appending, with the column kept as it goes: linear in the number of
 * addresses (50,000 recipients took seconds when each step copied the
 * list and measured its last line).
 */
static char *
message_addr_list(const char *field, const struct address *v, size_t n)
{
	char *list = NULL, *item;
	const char *sep, *nl;
	size_t i, len = 0, cap = 0, col = strlen(field) + 2, first;

	message_append(&list, &len, &cap, "", 0);
	for (i = 0; i < n; i++) {
		sep = i == 0 ? "" : ", ";
		item = message_addr(&v[i], col + (i > 0 ? 2 : 0));
		first = strcspn(item, "\n");
		if (i > 0 && col + 2 + first > MESSAGE_FOLD_COL) {
			free(item);
			item = message_addr(&v[i], 1);
			sep = ",\n ";
		}
		message_append(&list, &len, &cap, sep, strlen(sep));
		col = *sep == ',' && sep[1] == '\n' ? 1 : col + strlen(sep);
		message_append(&list, &len, &cap, item, strlen(item));
		if ((nl = strrchr(item, '\n')) != NULL)
			col = strlen(nl + 1);
		else
			col += strlen(item);
		free(item);
	}
	return list;
}

void
message_make_id(const char *domain, const char *pinned, char *buf, size_t sz)
{
	unsigned char rnd[MESSAGE_ID_RANDOM];
	char hex[2 * MESSAGE_ID_RANDOM + 1], host[256];
	size_t i;

	if (pinned != NULL) {
		strlcpy(buf, pinned, sz);
		return;
	}
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		hex[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[rnd[i] & 0xf];
	}
	hex[2 * i] = '\0';
	if (domain == NULL || *domain == '\0' ||
	    strpbrk(domain, "<>\" \t") != NULL || address_is_8bit(domain)) {
		if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
			strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		domain = host;
	}
	snprintf(buf, sz, "<%s@%.200s>", hex, domain);
}

/* The Message-ID of a composed message: the sender's domain, as A-labels. */
static void
message_id(const struct message_spec *spec, char *buf, size_t sz)
{
	char *from = message_hdr_addr(spec->from->addr);
	const char *given = message_header_msgid(spec);

	message_make_id(address_domain(from), given != NULL ? given :
	    spec->message_id, buf, sz);
	free(from);
}

static int
message_addrs_8bit(const struct address *v, size_t n)
{
	char *a;
	size_t i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		a = message_hdr_addr(v[i].addr);
		r = address_is_8bit(a);
		free(a);
	}
	return r;
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
	if (spec->reply_to != NULL) {
		struct address_list rt;

		if (message_reply_to(spec, &rt, f) == -1)
			return -1;
		v = message_addr_list("Reply-To", rt.v, rt.n);
		r = message_header(out, "Reply-To", v, f);
		free(v);
		if (message_addrs_8bit(rt.v, rt.n))
			info->eightbit = info->utf8_headers = 1;
		address_list_free(&rt);
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
		if (value == message_header_msgid(spec))
			continue;	/* written above */
		name = xstrndup(spec->headers[i], n);
		v = *value == '\0' ? xstrdup("") :
		    encode_header_text(value, n + 2, 0);
		r = message_header(out, name, v, f);
		free(name);
		free(v);
		if (r == -1)
			return -1;
	}
	if (message_addrs_8bit(spec->from, 1) ||
	    (spec->to && message_addrs_8bit(spec->to->v, spec->to->n)) ||
	    (spec->cc && message_addrs_8bit(spec->cc->v, spec->cc->n)))
		info->eightbit = info->utf8_headers = 1;
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

/*
 * Reads all of in (at most MESSAGE_HTML_MAX bytes) into *buf, newly
 * allocated, NUL-terminated.  A short read ends it (see above).
 */
static int
message_read_html(FILE *in, const char *what, char **buf, size_t *len,
    struct failure *f)
{
	size_t cap = MIME_BUFSZ, n;

	*buf = xmalloc(cap + 1);
	*len = 0;
	for (;;) {
		if (*len == cap) {
			if (cap >= MESSAGE_HTML_MAX) {
				free(*buf);
				*buf = NULL;
				return failure_set(f, F_DATA, "%s: HTML over "
				    "%d MiB", what, MESSAGE_HTML_MAX >> 20);
			}
			cap *= 2;
			*buf = xreallocarray(*buf, cap + 1, 1);
		}
		n = fread(*buf + *len, 1, cap - *len, in);
		*len += n;
		if (*len < cap)
			break;
	}
	if (ferror(in)) {
		free(*buf);
		*buf = NULL;
		return failure_set(f, F_IO, "%s: %s", what, strerror(errno));
	}
	(*buf)[*len] = '\0';
	return 0;
}

/* Writes len bytes to a new spool file, scanning them. */
static FILE *
message_spool_buf(const char *buf, size_t len, struct mime_scan *s,
    struct failure *f)
{
	FILE *sp;

	mime_scan_init(s);
	mime_scan_update(s, buf, len);
	mime_scan_final(s);
	if ((sp = spool_temp(f)) == NULL)
		return NULL;
	if (fwrite(buf, 1, len, sp) != len || fflush(sp) == EOF) {
		failure_set(f, F_CANTCREAT, "spooling the body: %s",
		    strerror(errno));
		fclose(sp);
		return NULL;
	}
	return sp;
}

/* The text/plain alternative made from the HTML, spooled and scanned. */
static FILE *
message_html_text(const struct message_spec *spec, const char *html,
    size_t len, const struct mime_scan *hs, struct mime_scan *s,
    struct failure *f)
{
	unsigned char *buf;
	FILE *sp;
	size_t n;
	/* Entities become UTF-8 only where the HTML itself is UTF-8. */
	int utf8 = mime_scan_utf8(hs) && (spec->charset == NULL ||
	    message_is_utf8_name(spec->charset));

	mime_scan_init(s);
	if ((sp = spool_temp(f)) == NULL)
		return NULL;
	if (html_to_text(html, len, utf8, sp) == -1 || fflush(sp) == EOF ||
	    fseeko(sp, 0, SEEK_SET) == -1) {
		failure_set(f, F_CANTCREAT, "spooling the text: %s",
		    strerror(errno));
		fclose(sp);
		return NULL;
	}
	buf = xmalloc(MIME_BUFSZ);
	while ((n = fread(buf, 1, MIME_BUFSZ, sp)) > 0)
		mime_scan_update(s, buf, n);
	free(buf);
	mime_scan_final(s);
	if (ferror(sp)) {
		failure_set(f, F_IO, "reading the spooled text: %s",
		    strerror(errno));
		fclose(sp);
		return NULL;
	}
	return sp;
}

static int
message_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted copy of the n pointers in v, for bsearch(). */
static char **
message_sorted(char *const *v, size_t n)
{
	char **s = xcalloc(n + 1, sizeof(*s));

	if (n > 0) {
		memcpy(s, v, n * sizeof(*s));
		qsort(s, n, sizeof(*s), message_strcmp_p);
	}
	return s;
}

static int
message_in(char **sorted, size_t n, const char *key)
{
	return n > 0 && bsearch(&key, sorted, n, sizeof(*sorted),
	    message_strcmp_p) != NULL;
}

/*
 * The cid: check: every reference has its --inline (else F_DATA naming
 * it); an --inline nobody refers to goes to info->warning.  Sorted
 * copies keep it O(n log n): 40,000 references are an ordinary input
 * for a generated report.
 */
static int
message_check_cids(const struct message_spec *spec, const char *html,
    size_t len, char *const *ids, struct message_info *info,
    struct failure *f)
{
	struct html_cids c = { 0 };
	char **sids, **srefs, w[256];
	size_t i, k;
	int r = 0;

	html_cids(html, len, &c);
	sids = message_sorted(ids, spec->ninlines);
	srefs = message_sorted(c.v, c.n);
	for (i = 0; i < c.n; i++)
		if (!message_in(sids, spec->ninlines, c.v[i])) {
			r = failure_set(f, F_DATA, "the HTML shows cid:%s, but "
			    "no --inline provides it", c.v[i]);
			goto out;
		}
	for (k = 0; k < spec->ninlines; k++) {
		if (message_in(srefs, c.n, ids[k]))
			continue;
		snprintf(w, sizeof(w), "%s--inline %s: the HTML never refers "
		    "to cid:%s", info->warning[0] ? "; " : "",
		    spec->inlines[k], ids[k]);
		strlcat(info->warning, w, sizeof(info->warning));
	}
out:
	free(sids);
	free(srefs);
	html_cids_free(&c);
	return r;
}

/* The spooled parts of the body, and the inline files. */
struct message_body {
	FILE *text, *html;	/* spools, owned */
	struct mime_scan ts, hs;
	char **paths, **ids;	/* per --inline, owned */
};

static void
message_body_free(struct message_body *b, size_t ninlines)
{
	size_t i;

	if (b->text != NULL)
		fclose(b->text);
	if (b->html != NULL)
		fclose(b->html);
	for (i = 0; b->paths != NULL && i < ninlines; i++) {
		free(b->paths[i]);
		free(b->ids[i]);
	}
	free(b->paths);
	free(b->ids);
}

/*
 * RFC 2392 section 2 wants a Content-ID in msg-id form, with an "@":
 * an id without one gets this, and so do the HTML's references to it.
 */
#define MESSAGE_CID_DOMAIN "@outbox"

/* The Content-IDs in msg-id form; the HTML's references to match. */
static void
message_qualify_cids(const struct message_spec *spec, struct message_body *b,
    char **html, size_t *len)
{
	char *q;
	size_t i;

	for (i = 0; i < spec->ninlines; i++)
		if (strchr(b->ids[i], '@') == NULL) {
			q = xasprintf("%s%s", b->ids[i], MESSAGE_CID_DOMAIN);
			free(b->ids[i]);
			b->ids[i] = q;
		}
	q = html_cids_qualify(*html, *len, MESSAGE_CID_DOMAIN, len);
	free(*html);
	*html = q;
}

/* Spools the text and HTML bodies; the cid: check. */
static int
message_prepare(const struct message_spec *spec, struct message_body *b,
    struct message_info *info, struct failure *f)
{
	char *html = NULL;
	size_t len = 0, i;
	int r = -1;
	FILE *in;

	memset(b, 0, sizeof(*b));
	mime_scan_init(&b->ts);
	mime_scan_init(&b->hs);
	b->paths = xcalloc(spec->ninlines + 1, sizeof(*b->paths));
	b->ids = xcalloc(spec->ninlines + 1, sizeof(*b->ids));
	for (i = 0; i < spec->ninlines; i++)
		if (message_inline_split(spec->inlines[i], &b->paths[i],
		    &b->ids[i], f) == -1)
			return -1;
	if (!spec->html_stdin && spec->body != NULL &&
	    (b->text = message_spool_body(spec->body, &b->ts, f)) == NULL)
		return -1;
	if (spec->html == NULL && !spec->html_stdin)
		return 0;
	if (spec->html_stdin) {
		if (spec->body != NULL && message_read_html(spec->body,
		    "--html (standard input)", &html, &len, f) == -1)
			return -1;
	} else {
		if ((in = fopen(spec->html, "rbe")) == NULL)
			return failure_set(f, F_NOINPUT, "--html %s: %s",
			    spec->html, strerror(errno));
		r = message_read_html(in, spec->html, &html, &len, f);
		fclose(in);
		if (r == -1)
			return -1;
		r = -1;
	}
	if (html == NULL)
		html = xstrdup("");
	if (message_check_cids(spec, html, len, b->ids, info, f) == -1)
		goto out;
	if (spec->ninlines > 0)
		message_qualify_cids(spec, b, &html, &len);
	if ((b->html = message_spool_buf(html, len, &b->hs, f)) == NULL)
		goto out;
	/* No plain text given: make it from the HTML. */
	if (b->ts.total == 0) {
		if (b->text != NULL)
			fclose(b->text);
		if ((b->text = message_html_text(spec, html, len, &b->hs,
		    &b->ts, f)) == NULL)
			goto out;
	}
	r = 0;
out:
	free(html);
	return r;
}

/*
 * A file name in a non-UTF-8 locale is in the locale's charset (not
 * --charset's, which is the content's): its base name is converted for
 * the RFC 2231 name, where mime.c alone could only replace the bytes
 * that are not UTF-8 with "_".  Names that do not convert keep that.
 */
static void
message_filename(struct mime_part *p, const char *path)
{
	const char *cs = nl_langinfo(CODESET), *base, *e;
	struct failure ignored;
	char *raw, *u;
	size_t i;

	if (cs == NULL || *cs == '\0' || message_is_utf8_name(cs) ||
	    message_is_ascii_name(cs) || p->filename == NULL)
		return;
	e = path + strlen(path);
	while (e > path && e[-1] == '/')
		e--;
	for (base = e; base > path && base[-1] != '/'; base--)
		;
	if (base == e)
		return;
	raw = xstrndup(base, (size_t)(e - base));
	if (message_to_utf8(cs, "", "file name", raw, &u, &ignored) == 0 &&
	    u != NULL) {
		for (i = 0; u[i] != '\0'; i++)
			if ((unsigned char)u[i] < 0x20 || u[i] == 0x7f)
				u[i] = '_';
		free(p->filename);
		p->filename = u;
	}
	free(raw);
}

/*
 * The part tree: mixed( related( alternative(plain, html), inline... ),
 * attachment... ), each container only when needed.
 */
static int
message_tree(const struct message_spec *spec, struct message_body *b,
    struct filetype *ft, struct mime_part *root, struct failure *f)
{
	struct mime_part *body = root, *rel = NULL, *h;
	char boundary[MIME_BOUNDARY_MAX];
	const char *locale = nl_langinfo(CODESET);
	unsigned int nb = 1;
	size_t i;

	if (spec->nattachments > 0) {
		mime_boundary(boundary, spec->boundary_seed, nb++);
		mime_part_multipart(body, "mixed", boundary);
		body = mime_part_add(body);
	}
	if (spec->ninlines > 0) {
		mime_boundary(boundary, spec->boundary_seed, nb++);
		mime_part_multipart(body, "related", boundary);
		rel = body;
		body = mime_part_add(body);
	}
	if (b->html != NULL) {
		mime_boundary(boundary, spec->boundary_seed, nb++);
		mime_part_multipart(body, "alternative", boundary);
		mime_part_body(mime_part_add(body), b->text, &b->ts,
		    mime_text_charset(&b->ts, spec->charset, locale));
		h = mime_part_add(body);
		mime_part_body(h, b->html, &b->hs,
		    mime_text_charset(&b->hs, spec->charset, locale));
		strlcpy(h->type, "text/html", sizeof(h->type));
	} else
		mime_part_body(body, b->text, &b->ts,
		    mime_text_charset(&b->ts, spec->charset, locale));
	for (i = 0; i < spec->ninlines; i++) {
		h = mime_part_add(rel);
		if (mime_part_inline(h, b->paths[i], b->ids[i], ft, f) == -1 ||
		    mime_attachment_charset(h, NULL, spec->charset, f) == -1)
			return -1;
		message_filename(h, b->paths[i]);
	}
	for (i = 0; i < spec->nattachments; i++) {
		h = mime_part_add(root);
		if (mime_part_attachment(h, spec->attachments[i], ft,
		    f) == -1 || mime_attachment_charset(h,
		    spec->attach_charsets ? spec->attach_charsets[i] : NULL,
		    spec->charset, f) == -1)
			return -1;
		message_filename(h, spec->attachments[i]);
	}
	return 0;
}

int
message_compose(const struct message_spec *given, struct filetype *ft,
    FILE *out, struct message_info *info, struct failure *f)
{
	struct mime_part root;
	struct message_body b;
	struct message_conv c;
	const struct message_spec *spec = &c.spec;
	int r = -1;

	memset(info, 0, sizeof(*info));
	memset(&root, 0, sizeof(root));
	memset(&b, 0, sizeof(b));
	if (message_convert(given, &c, f) == -1 ||
	    message_check_spec(spec, f) == -1) {
		message_conv_free(&c);
		return -1;
	}
	if (message_prepare(spec, &b, info, f) == -1)
		goto out;
	if (message_tree(spec, &b, ft, &root, f) == -1)
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
	message_body_free(&b, spec->ninlines);
	message_conv_free(&c);
	return r;
}
