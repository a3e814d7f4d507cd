/*
 * html.c — HTML to plain text and cid: references (see html.h).
 *
 * HTML Living Standard section 13.2 (tokenization, loosely: tags,
 * attributes, comments, raw-text elements, character references),
 * RFC 2392 (cid: URLs), RFC 3629 (UTF-8 for numeric references).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "xmalloc.h"

/* The longest tag or attribute name looked at. */
#define HTML_NAME_MAX 32
/* The longest entity name looked at ("&thetasym;" is 8). */
#define HTML_ENTITY_MAX 10
/* The longest alt text kept. */
#define HTML_ALT_MAX 512

/* The named references in common use; the rest stay as written. */
static const struct {
	unsigned int cp;
	const char *name;
} html_entities[] = {
	{ '&', "amp" }, { '<', "lt" }, { '>', "gt" }, { '"', "quot" },
	{ '\'', "apos" }, { 0xa0, "nbsp" }, { 0xa9, "copy" },
	{ 0xae, "reg" }, { 0x2122, "trade" }, { 0x2026, "hellip" },
	{ 0x2014, "mdash" }, { 0x2013, "ndash" }, { 0x2018, "lsquo" },
	{ 0x2019, "rsquo" }, { 0x201a, "sbquo" }, { 0x201c, "ldquo" },
	{ 0x201d, "rdquo" }, { 0x201e, "bdquo" }, { 0xab, "laquo" },
	{ 0xbb, "raquo" }, { 0x20ac, "euro" }, { 0xa3, "pound" },
	{ 0xa5, "yen" }, { 0xa2, "cent" }, { 0xa7, "sect" },
	{ 0xb0, "deg" }, { 0xb1, "plusmn" }, { 0xd7, "times" },
	{ 0xf7, "divide" }, { 0xb7, "middot" }, { 0x2022, "bull" },
	{ 0xb6, "para" }, { 0xbd, "frac12" }, { 0xbc, "frac14" },
	{ 0xbe, "frac34" }, { 0xad, "shy" }, { 0xb5, "micro" },
	{ 0x2190, "larr" }, { 0x2192, "rarr" }, { 0x2191, "uarr" },
	{ 0x2193, "darr" }, { 0x2264, "le" }, { 0x2265, "ge" },
	{ 0x2260, "ne" }, { 0x2248, "asymp" }, { 0x221e, "infin" },
	{ 0x2212, "minus" }, { 0x2020, "dagger" }, { 0x2030, "permil" },
	{ 0x2009, "thinsp" }, { 0x2002, "ensp" }, { 0x2003, "emsp" },
	{ 0x200d, "zwj" }, { 0x200c, "zwnj" }, { 0x2713, "check" },
	{ 0xe4, "auml" }, { 0xf6, "ouml" }, { 0xfc, "uuml" },
	{ 0xc4, "Auml" }, { 0xd6, "Ouml" }, { 0xdc, "Uuml" },
	{ 0xdf, "szlig" }, { 0xe9, "eacute" }, { 0xe8, "egrave" },
	{ 0xe0, "agrave" }, { 0xe7, "ccedil" }, { 0xc9, "Eacute" },
};

enum html_kind {
	HTML_K_INLINE,		/* no effect on lines */
	HTML_K_LINE,		/* ends the line */
	HTML_K_PARA,		/* ends the paragraph: a blank line */
	HTML_K_SKIP,		/* raw text: content dropped */
	HTML_K_BR,
	HTML_K_HR,
	HTML_K_LI,
	HTML_K_UL,
	HTML_K_OL,
	HTML_K_TR,
	HTML_K_CELL,
	HTML_K_A,
	HTML_K_IMG,
	HTML_K_PRE
};

static const struct {
	enum html_kind kind;
	const char *name;
} html_tags[] = {
	{ HTML_K_PARA, "p" }, { HTML_K_PARA, "h1" }, { HTML_K_PARA, "h2" },
	{ HTML_K_PARA, "h3" }, { HTML_K_PARA, "h4" }, { HTML_K_PARA, "h5" },
	{ HTML_K_PARA, "h6" }, { HTML_K_PARA, "blockquote" },
	{ HTML_K_PARA, "table" }, { HTML_K_PRE, "pre" },
	{ HTML_K_LINE, "div" }, { HTML_K_LINE, "dl" }, { HTML_K_LINE, "dt" },
	{ HTML_K_LINE, "dd" }, { HTML_K_LINE, "section" },
	{ HTML_K_LINE, "article" }, { HTML_K_LINE, "header" },
	{ HTML_K_LINE, "footer" }, { HTML_K_LINE, "nav" },
	{ HTML_K_LINE, "aside" }, { HTML_K_LINE, "main" },
	{ HTML_K_LINE, "address" }, { HTML_K_LINE, "figure" },
	{ HTML_K_LINE, "figcaption" }, { HTML_K_LINE, "form" },
	{ HTML_K_LINE, "fieldset" }, { HTML_K_LINE, "caption" },
	{ HTML_K_LINE, "thead" }, { HTML_K_LINE, "tbody" },
	{ HTML_K_LINE, "tfoot" }, { HTML_K_LINE, "body" },
	{ HTML_K_LINE, "html" }, { HTML_K_LINE, "center" },
	{ HTML_K_SKIP, "script" }, { HTML_K_SKIP, "style" },
	{ HTML_K_SKIP, "title" }, { HTML_K_SKIP, "template" },
	{ HTML_K_BR, "br" }, { HTML_K_HR, "hr" }, { HTML_K_LI, "li" },
	{ HTML_K_UL, "ul" }, { HTML_K_UL, "menu" }, { HTML_K_OL, "ol" },
	{ HTML_K_TR, "tr" }, { HTML_K_CELL, "td" }, { HTML_K_CELL, "th" },
	{ HTML_K_A, "a" }, { HTML_K_IMG, "img" },
};

struct html_list {
	int ordered;
	long next;		/* the next item's number */
};

struct html_state {
	FILE *out;
	int utf8;
	int err;
	int started;		/* some text was written */
	int bol;		/* at a line start or after a prefix */
	int space;		/* white space pending */
	int nl;			/* line ends pending (at most 2) */
	int pre;		/* inside <pre>, nested */
	int pre_start;		/* just after <pre>: a line end is dropped */
	int cell;		/* cells seen in the current row */
	size_t depth;		/* open lists */
	struct html_list lists[HTML_LIST_MAX];
	char *href;		/* the open link's URL, owned */
	size_t written;		/* bytes of text written */
	int last;		/* the last byte written, -1 before any */
	char *linktext;		/* the link's text so far, owned */
	size_t linklen;
};

struct html_tag {
	char name[HTML_NAME_MAX];
	int end;		/* </name> */
	const char *attrs;	/* between the name and ">" */
	size_t attrslen;
};

static void
html_put(struct html_state *st, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (fwrite(s, 1, n, st->out) != n)
		st->err = 1;
	st->written += n;
	st->last = (unsigned char)s[n - 1];
	if (st->href != NULL && st->linklen < HTML_URL_MAX) {
		size_t k = n;

		if (k > HTML_URL_MAX - st->linklen)
			k = HTML_URL_MAX - st->linklen;
		memcpy(st->linktext + st->linklen, s, k);
		st->linklen += k;
	}
}

/* Settles pending line ends and white space before text. */
static void
html_flush(struct html_state *st)
{
	if (!st->started) {
		st->nl = 0;
		st->space = 0;
		return;
	}
	/* A line that ended in <pre> needs one line end less. */
	if (st->nl > 0 && st->last == '\n')
		st->nl--;
	if (st->nl > 0) {
		html_put(st, "\n\n", (size_t)st->nl);
		st->nl = 0;
		st->space = 0;
		st->bol = 1;
	}
	if (st->space && !st->bol)
		html_put(st, " ", 1);
	st->space = 0;
}

static void
html_text(struct html_state *st, const char *s, size_t n)
{
	if (n == 0)
		return;
	html_flush(st);
	html_put(st, s, n);
	st->started = 1;
	st->bol = 0;
}

/* A prefix ("- ", " | "): text after it needs no space. */
static void
html_prefix(struct html_state *st, const char *s)
{
	html_text(st, s, strlen(s));
	st->bol = 1;
}

static void
html_break(struct html_state *st, int n)
{
	if (!st->started)
		return;
	if (st->nl < n)
		st->nl = n;
	st->space = 0;
}

/* UTF-8 for code point cp into buf (4 bytes); U+FFFD for bad ones. */
static size_t
html_utf8(unsigned int cp, char *buf)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | cp >> 6);
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | cp >> 12);
		buf[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | cp >> 18);
	buf[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	buf[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The character reference at s[0] == '&' (n bytes available): its code
 * point in *cp and its length, or 0 when it is none we know.
 */
static size_t
html_entity(const char *s, size_t n, unsigned int *cp)
{
	char name[HTML_ENTITY_MAX + 1];
	unsigned long v = 0;
	size_t i = 1, k;
	int hex = 0, digits = 0;

	if (n > 1 && s[1] == '#') {
		i = 2;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		for (; i < n && (hex ? isxdigit((unsigned char)s[i]) :
		    isdigit((unsigned char)s[i])); i++, digits++)
			if (v <= 0x10ffff)
				v = v * (hex ? 16 : 10) + (unsigned long)
				    (isdigit((unsigned char)s[i]) ? s[i] - '0' :
				    tolower((unsigned char)s[i]) - 'a' + 10);
		if (digits == 0)
			return 0;
		*cp = v > 0x10ffff ? 0xfffd : (unsigned int)v;
		return i < n && s[i] == ';' ? i + 1 : i;
	}
	for (k = 0; i < n && k < HTML_ENTITY_MAX &&
	    isalnum((unsigned char)s[i]); i++, k++)
		name[k] = s[i];
	name[k] = '\0';
	if (k == 0 || i >= n || s[i] != ';')
		return 0;
	for (k = 0; k < sizeof(html_entities) / sizeof(html_entities[0]); k++)
		if (strcmp(html_entities[k].name, name) == 0) {
			*cp = html_entities[k].cp;
			return i + 1;
		}
	return 0;
}

/* html_decode_ref(): nothing to write, or a space never collapsed. */
#define HTML_REF_NONE ((size_t)-1)
#define HTML_REF_NBSP ((size_t)-2)

/*
 * Decodes the reference at s into buf (4 bytes): its length in *used
 * and the bytes to write, or 0 when it is to stay as written, or
 * HTML_REF_NONE (soft hyphen, joiners) or HTML_REF_NBSP.
 */
static size_t
html_decode_ref(const char *s, size_t n, int utf8, char *buf, size_t *used)
{
	unsigned int cp;

	if ((*used = html_entity(s, n, &cp)) == 0)
		return 0;
	/*
	 * HTML 5 reads NUL, surrogates and values past U+10FFFF as U+FFFD,
	 * which is not ASCII either: in a part of another charset it stays
	 * as written, like any other non-ASCII reference.
	 */
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp == '\r')
		cp = '\n';	/* &#13;: the text's lines end in LF only */
	if (cp == 0xa0)
		return HTML_REF_NBSP;
	if (cp == 0xad || cp == 0x200c || cp == 0x200d)
		return HTML_REF_NONE;
	if (cp >= 0x80 && !utf8)
		return 0;
	return html_utf8(cp, buf);
}

/* A copy of s (n bytes) with character references decoded. */
static char *
html_decode(const char *s, size_t n, int utf8)
{
	char *r = xmalloc(n + 1), buf[4];
	size_t i = 0, o = 0, used, k;

	while (i < n) {
		if (s[i] == '&' && (k = html_decode_ref(s + i, n - i, utf8,
		    buf, &used)) != 0) {
			if (k == HTML_REF_NBSP)
				r[o++] = ' ';
			else if (k != HTML_REF_NONE && o + k <= n) {
				memcpy(r + o, buf, k);
				o += k;
			}
			i += used;
			continue;
		}
		r[o++] = s[i++];
	}
	r[o] = '\0';
	return r;
}

/*
 * The value of attribute name in the tag's attributes, decoded, newly
 * allocated; NULL when absent.
 */
static char *
html_attr(const struct html_tag *t, const char *name, int utf8)
{
	const char *p = t->attrs, *e = t->attrs + t->attrslen, *ns, *vs;
	size_t nl;
	char q;

	while (p < e) {
		while (p < e && (isspace((unsigned char)*p) || *p == '/'))
			p++;
		ns = p;
		while (p < e && !isspace((unsigned char)*p) && *p != '=' &&
		    *p != '/')
			p++;
		nl = (size_t)(p - ns);
		while (p < e && isspace((unsigned char)*p))
			p++;
		vs = NULL;
		if (p < e && *p == '=') {
			p++;
			while (p < e && isspace((unsigned char)*p))
				p++;
			if (p < e && (*p == '"' || *p == '\'')) {
				q = *p++;
				vs = p;
				while (p < e && *p != q)
					p++;
			} else {
				vs = p;
				while (p < e && !isspace((unsigned char)*p))
					p++;
			}
		}
		if (nl == strlen(name) && strncasecmp(ns, name, nl) == 0)
			return vs == NULL ? xstrdup("") :
			    html_decode(vs, (size_t)(p - vs), utf8);
		if (vs != NULL && p < e && (*p == '"' || *p == '\''))
			p++;
		if (nl == 0 && vs == NULL)
			p++;
	}
	return NULL;
}

static enum html_kind
html_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(html_tags) / sizeof(html_tags[0]); i++)
		if (strcmp(html_tags[i].name, name) == 0)
			return html_tags[i].kind;
	return HTML_K_INLINE;
}

/*
 * Parses the tag at s[0] == '<' into t; returns its length (up to and
 * with ">"), or 0 when it is not a tag (a lone "<" is text).
 */
static size_t
html_parse_tag(const char *s, size_t n, struct html_tag *t)
{
	size_t i = 1, k = 0;
	char q = 0;

	memset(t, 0, sizeof(*t));
	if (i < n && s[i] == '/') {
		t->end = 1;
		i++;
	}
	if (i >= n || !isalpha((unsigned char)s[i]))
		return 0;
	for (; i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' ||
	    s[i] == ':'); i++)
		if (k < HTML_NAME_MAX - 1)
			t->name[k++] = (char)tolower((unsigned char)s[i]);
	t->name[k] = '\0';
	t->attrs = s + i;
	for (; i < n; i++) {
		if (q != 0) {
			if (s[i] == q)
				q = 0;
		} else if (s[i] == '"' || s[i] == '\'')
			q = s[i];
		else if (s[i] == '>')
			break;
	}
	t->attrslen = (size_t)(s + i - t->attrs);
	return i < n ? i + 1 : n;
}

/* Where the raw text of element name ends: the "</name" or n. */
static size_t
html_raw_end(const char *s, size_t n, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i + 2 + nl <= n; i++)
		if (s[i] == '<' && s[i + 1] == '/' &&
		    strncasecmp(s + i + 2, name, nl) == 0)
			return i;
	return n;
}

static void
html_list_item(struct html_state *st)
{
	struct html_list *l;
	char buf[64];
	size_t i, lvl;

	html_break(st, 1);
	lvl = st->depth == 0 ? 0 : st->depth - 1;
	if (lvl >= HTML_LIST_MAX)
		lvl = HTML_LIST_MAX - 1;
	buf[0] = '\0';
	for (i = 0; i < lvl && i < 8; i++)
		strlcat(buf, "  ", sizeof(buf));
	l = st->depth > 0 ? &st->lists[lvl] : NULL;
	if (l != NULL && l->ordered) {
		char num[24];

		snprintf(num, sizeof(num), "%ld. ", l->next++);
		strlcat(buf, num, sizeof(buf));
	} else
		strlcat(buf, "- ", sizeof(buf));
	html_prefix(st, buf);
}

static void
html_list_open(struct html_state *st, const struct html_tag *t, int ordered)
{
	struct html_list *l;
	char *start;
	const char *err = NULL;

	html_break(st, st->depth == 0 ? 2 : 1);
	if (st->depth < HTML_LIST_MAX) {
		l = &st->lists[st->depth];
		l->ordered = ordered;
		l->next = 1;
		if (ordered && (start = html_attr(t, "start", st->utf8))) {
			long v = (long)strtonum(start, -1000000, 1000000, &err);

			if (err == NULL)
				l->next = v;
			free(start);
		}
	}
	st->depth++;
}

static void
html_link_close(struct html_state *st)
{
	char *url = st->href, *lt = st->linktext;
	size_t tl = st->linklen;

	if (url == NULL)
		return;
	st->href = NULL;
	/* The pending space or line end written before the text. */
	while (tl > 0 && (*lt == ' ' || *lt == '\n')) {
		lt++;
		tl--;
	}
	if (*url != '\0' && *url != '#' && strlen(url) < HTML_URL_MAX &&
	    strpbrk(url, "\r\n") == NULL &&
	    !(tl == strlen(url) && memcmp(lt, url, tl) == 0)) {
		if (tl > 0) {
			html_text(st, " <", 2);
			html_text(st, url, strlen(url));
			html_text(st, ">", 1);
		} else
			html_text(st, url, strlen(url));
	}
	free(url);
	free(st->linktext);
	st->linktext = NULL;
	st->linklen = 0;
}

static void
html_img(struct html_state *st, const struct html_tag *t)
{
	char *alt = html_attr(t, "alt", st->utf8), *p;

	if (alt == NULL)
		return;
	for (p = alt; *p != '\0'; p++)
		if (isspace((unsigned char)*p))
			*p = ' ';
	if (*alt != '\0' && strlen(alt) < HTML_ALT_MAX) {
		html_text(st, "[", 1);
		html_text(st, alt, strlen(alt));
		html_text(st, "]", 1);
	}
	free(alt);
}

static void
html_on_tag(struct html_state *st, const struct html_tag *t)
{
	switch (html_kind(t->name)) {
	case HTML_K_INLINE:
	case HTML_K_SKIP:
		break;
	case HTML_K_LINE:
		html_break(st, 1);
		break;
	case HTML_K_PARA:
		html_break(st, st->depth > 0 ? 1 : 2);
		break;
	case HTML_K_PRE:
		html_break(st, 2);
		if (t->end) {
			if (st->pre > 0)
				st->pre--;
		} else {
			st->pre++;
			st->pre_start = 1;
		}
		break;
	case HTML_K_BR:
		if (st->started && st->nl < 2)
			st->nl++;
		st->space = 0;
		break;
	case HTML_K_HR:
		html_break(st, 2);
		if (!t->end) {
			html_text(st, "----------------------------------------",
			    40);
			html_break(st, 2);
		}
		break;
	case HTML_K_LI:
		if (t->end)
			html_break(st, 1);
		else
			html_list_item(st);
		break;
	case HTML_K_UL:
	case HTML_K_OL:
		if (t->end) {
			if (st->depth > 0)
				st->depth--;
			html_break(st, st->depth == 0 ? 2 : 1);
		} else
			html_list_open(st, t,
			    html_kind(t->name) == HTML_K_OL);
		break;
	case HTML_K_TR:
		html_break(st, 1);
		st->cell = 0;
		break;
	case HTML_K_CELL:
		if (!t->end && st->cell++ > 0)
			html_prefix(st, " | ");
		break;
	case HTML_K_A:
		html_link_close(st);
		if (!t->end && (st->href = html_attr(t, "href",
		    st->utf8)) != NULL) {
			st->linktext = xmalloc(HTML_URL_MAX);
			st->linklen = 0;
		}
		break;
	case HTML_K_IMG:
		if (!t->end)
			html_img(st, t);
		break;
	}
}

/* Text between tags: references decoded, white space collapsed. */
static void
html_on_text(struct html_state *st, const char *s, size_t n)
{
	char buf[4];
	size_t i = 0, j, k, used;

	/* HTML 13.2.6.4.7: a line end right after <pre> is not content. */
	if (st->pre_start && n > 0) {
		if (s[0] == '\n')
			i = 1;
		else if (n > 1 && s[0] == '\r' && s[1] == '\n')
			i = 2;
	}
	st->pre_start = 0;
	while (i < n) {
		if (s[i] == '&' && (k = html_decode_ref(s + i, n - i,
		    st->utf8, buf, &used)) != 0) {
			if (k == HTML_REF_NBSP)
				html_text(st, " ", 1);
			else if (k != HTML_REF_NONE)
				html_text(st, buf, k);
			i += used;
			continue;
		}
		if (st->pre > 0 && (s[i] == '\n' || s[i] == '\r')) {
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
			html_flush(st);
			html_put(st, "\n", 1);
			st->started = 1;
			st->bol = 1;
			i++;
			continue;
		}
		if (st->pre == 0 && isspace((unsigned char)s[i])) {
			if (st->started)
				st->space = 1;
			i++;
			continue;
		}
		for (j = i; j < n && s[j] != '&' && !isspace((unsigned char)
		    s[j]); j++)
			;
		if (j == i)
			j = i + 1;
		html_text(st, s + i, j - i);
		i = j;
	}
}

int
html_to_text(const char *html, size_t len, int utf8, FILE *out)
{
	struct html_state st;
	struct html_tag t;
	size_t i = 0, j, k;
	enum html_kind kind;
	const char *e;

	memset(&st, 0, sizeof(st));
	st.out = out;
	st.utf8 = utf8;
	st.bol = 1;
	st.last = -1;
	while (i < len && !st.err) {
		if (html[i] != '<') {
			e = memchr(html + i, '<', len - i);
			j = e == NULL ? len : (size_t)(e - html);
			html_on_text(&st, html + i, j - i);
			i = j;
			continue;
		}
		if (len - i >= 4 && memcmp(html + i, "<!--", 4) == 0) {
			for (j = i + 4; j + 3 <= len &&
			    memcmp(html + j, "-->", 3) != 0; j++)
				;
			i = j + 3 <= len ? j + 3 : len;
			continue;
		}
		if (i + 1 < len && (html[i + 1] == '!' || html[i + 1] == '?')) {
			e = memchr(html + i, '>', len - i);
			i = e == NULL ? len : (size_t)(e - html) + 1;
			continue;
		}
		if ((k = html_parse_tag(html + i, len - i, &t)) == 0) {
			html_on_text(&st, "<", 1);
			i++;
			continue;
		}
		i += k;
		html_on_tag(&st, &t);
		kind = html_kind(t.name);
		if (kind == HTML_K_SKIP && !t.end)
			i += html_raw_end(html + i, len - i, t.name);
	}
	html_link_close(&st);
	if (st.started && !st.err && st.last != '\n')
		html_put(&st, "\n", 1);
	free(st.linktext);
	return st.err ? -1 : 0;
}

static int
html_hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	return tolower(c) - 'a' + 10;
}

/*
 * Whether a cid: reference starts at html[i] (in an attribute value or a
 * CSS url(), not in prose); its URL text ends at *end.
 */
static int
html_cid_at(const char *html, size_t len, size_t i, size_t *end)
{
	size_t j;
	char prev;

	if (i == 0 || i + 4 > len || strncasecmp(html + i, "cid:", 4) != 0)
		return 0;
	prev = html[i - 1];
	if (prev != '"' && prev != '\'' && prev != '=' && prev != '(')
		return 0;
	for (j = i + 4; j < len && !isspace((unsigned char)html[j]) &&
	    strchr("\"'<>()", html[j]) == NULL; j++)
		;
	*end = j;
	return 1;
}

/* The reference html[from..to) percent-decoded, newly allocated. */
static char *
html_cid_decode(const char *html, size_t from, size_t to)
{
	char *ref = xmalloc(to - from + 1);
	size_t o = 0, k;

	for (k = from; k < to; k++) {
		/* %00 stays as written: a NUL would cut the id. */
		if (html[k] == '%' && k + 2 < to &&
		    isxdigit((unsigned char)html[k + 1]) &&
		    isxdigit((unsigned char)html[k + 2]) &&
		    (html[k + 1] != '0' || html[k + 2] != '0')) {
			ref[o++] = (char)(html_hexval((unsigned char)
			    html[k + 1]) * 16 +
			    html_hexval((unsigned char)html[k + 2]));
			k += 2;
		} else
			ref[o++] = html[k];
	}
	ref[o] = '\0';
	return ref;
}

/* FNV-1a, for the set of references seen. */
static size_t
html_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * An open-addressing set of indexes into c->v, so each reference is
 * looked up in constant time (40,000 distinct ones took seconds with a
 * linear search).  Kept at most half full.
 */
struct html_set {
	size_t *slot;		/* index + 1; 0 is empty */
	size_t cap;		/* a power of two */
};

static void
html_set_put(struct html_set *set, const struct html_cids *c, size_t idx)
{
	size_t m = set->cap - 1, k = html_hash(c->v[idx]) & m;

	while (set->slot[k] != 0)
		k = (k + 1) & m;
	set->slot[k] = idx + 1;
}

static void
html_set_grow(struct html_set *set, const struct html_cids *c)
{
	size_t i;

	if (set->cap != 0 && 2 * (c->n + 1) <= set->cap)
		return;
	free(set->slot);
	set->cap = set->cap ? 2 * set->cap : 64;
	while (set->cap < 2 * (c->n + 1))
		set->cap *= 2;
	set->slot = xcalloc(set->cap, sizeof(*set->slot));
	for (i = 0; i < c->n; i++)
		html_set_put(set, c, i);
}

static int
html_set_has(const struct html_set *set, const struct html_cids *c,
    const char *ref)
{
	size_t m = set->cap - 1, k = html_hash(ref) & m;

	for (; set->slot[k] != 0; k = (k + 1) & m)
		if (strcmp(c->v[set->slot[k] - 1], ref) == 0)
			return 1;
	return 0;
}

void
html_cids(const char *html, size_t len, struct html_cids *c)
{
	struct html_set set = { NULL, 0 };
	size_t i, j;
	char *ref;

	html_set_grow(&set, c);
	for (i = 0; i + 4 <= len; i++) {
		if (!html_cid_at(html, len, i, &j))
			continue;
		ref = html_cid_decode(html, i + 4, j);
		if (*ref == '\0' || html_set_has(&set, c, ref)) {
			free(ref);
			continue;
		}
		html_set_grow(&set, c);
		c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
		c->v[c->n++] = ref;
		html_set_put(&set, c, c->n - 1);
	}
	free(set.slot);
}

char *
html_cids_qualify(const char *html, size_t len, const char *suffix,
    size_t *outlen)
{
	size_t i, j, o = 0, cap, sl = strlen(suffix);
	char *out, *ref;
	int add;

	cap = len + 1;
	out = xmalloc(cap);
	for (i = 0; i < len; ) {
		if (!html_cid_at(html, len, i, &j)) {
			out[o++] = html[i++];
			continue;
		}
		ref = html_cid_decode(html, i + 4, j);
		add = *ref != '\0' && strchr(ref, '@') == NULL;
		free(ref);
		if (add && o + (j - i) + sl + (len - j) + 1 > cap) {
			cap = 2 * cap + sl;
			out = xreallocarray(out, cap, 1);
		}
		memcpy(out + o, html + i, j - i);
		o += j - i;
		if (add) {
			memcpy(out + o, suffix, sl);
			o += sl;
		}
		i = j;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

void
html_cids_free(struct html_cids *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
