/*
 * address.c — RFC 5322 section 3.4 address lists: mailboxes, name-addr,
 * addr-spec, groups (flattened) and comments (section 3.2.2, dropped);
 * RFC 5321 section 4.1.2 shapes for what may go on the wire; RFC 6532
 * UTF-8 accepted in names and addresses.
 *
 * Deliberate leniencies: ";" outside a group separates like ","
 * (Outlook users type it); dots in a local part are not checked for
 * doubling (some providers hand out such addresses); obs-phrase (dots
 * in an unquoted display name) is accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "xmalloc.h"

/* Longest entry quoted back in an error message. */
#define ADDR_ERR_SHOW 100

struct abuf {
	char *s;
	size_t len;
	size_t cap;
};

static void
ab_addc(struct abuf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

/* One entry while it is being read. */
struct entry {
	const char *start;	/* for error messages */
	struct abuf name;	/* display name, unquoted */
	struct abuf raw;	/* addr-spec text without comments */
	struct abuf angle;	/* inside <> */
	int has_angle;
	int after_angle;	/* only white space or comments may follow */
	int raw_space;		/* white space is due after raw */
	int raw_split;		/* raw has white space inside */
	int angle_split;	/* so has the text inside <> */
	int name_space;		/* a space is due before the next word */
};

static void
entry_reset(struct entry *e, const char *start)
{
	free(e->name.s);
	free(e->raw.s);
	free(e->angle.s);
	memset(e, 0, sizeof(*e));
	e->start = start;
}

static int
entry_fail(struct entry *e, const char *end, struct failure *f,
    const char *why)
{
	size_t n;

	while (e->start < end && (*e->start == ' ' || *e->start == '\t'))
		e->start++;
	n = end - e->start;
	while (n > 0 && (e->start[n - 1] == ' ' || e->start[n - 1] == '\t'))
		n--;
	if (n > ADDR_ERR_SHOW)
		n = ADDR_ERR_SHOW;
	return failure_set(f, F_DATA, "invalid address \"%.*s\": %s", (int)n,
	    e->start, why);
}

static int
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;	/* RFC 6532 UTF8-non-ascii */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Skips a (possibly nested) comment starting at *pp; -1 if unbalanced. */
static int
skip_comment(const char **pp)
{
	const char *p = *pp;
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0) {
			*pp = p + 1;
			return 0;
		}
	}
	return -1;
}

/*
 * Reads a quoted string starting at *pp; its unescaped content goes to
 * unq (may be NULL) and its literal form to lit (may be NULL).
 */
static int
read_quoted(const char **pp, struct abuf *unq, struct abuf *lit)
{
	const char *p = *pp + 1;

	if (lit != NULL)
		ab_addc(lit, '"');
	for (; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			if (lit != NULL)
				ab_addc(lit, *p);
			p++;
		}
		if (unq != NULL)
			ab_addc(unq, *p);
		if (lit != NULL)
			ab_addc(lit, *p);
	}
	if (*p != '"')
		return -1;
	if (lit != NULL)
		ab_addc(lit, '"');
	*pp = p + 1;
	return 0;
}

static void
name_word_start(struct entry *e)
{
	if (e->name_space && e->name.len > 0)
		ab_addc(&e->name, ' ');
	e->name_space = 0;
	if (e->raw_space)
		e->raw_split = 1;
	e->raw_space = 0;
}

/* Reads "<...>" at *pp into e->angle. */
static int
read_angle(struct entry *e, const char **pp)
{
	const char *p = *pp + 1;
	int space = 0;

	for (;;) {
		if (*p == '\0' || *p == '<')
			return -1;
		if (*p == '>')
			break;
		if (*p == ' ' || *p == '\t' || *p == '(') {
			space = e->angle.len > 0;
		} else if (space) {
			e->angle_split = 1;
			space = 0;
		}
		if (*p == '"') {
			if (read_quoted(&p, NULL, &e->angle) == -1)
				return -1;
			continue;
		}
		if (*p == '(') {
			if (skip_comment(&p) == -1)
				return -1;
			continue;
		}
		if (*p != ' ' && *p != '\t')
			ab_addc(&e->angle, *p);
		p++;
	}
	*pp = p + 1;
	e->has_angle = 1;
	e->after_angle = 1;
	return 0;
}

/* A local part: dot-separated atoms or one quoted string. */
static int
local_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return 0;
		for (i = 1; i < n - 1; i++) {
			unsigned char c = s[i];

			if (c == '\\' && i + 1 < n - 1) {
				i++;
				continue;
			}
			if (c == '"' || c == '\\' || c < 32 || c == 127)
				return 0;
		}
		return 1;
	}
	for (i = 0; i < n; i++)
		if (!is_atext((unsigned char)s[i]) && s[i] != '.')
			return 0;
	return 1;
}

static int
domain_valid(const char *d)
{
	size_t label = 0;
	const char *p;

	if (*d == '[') {
		for (p = d + 1; *p != '\0' && *p != ']'; p++)
			if ((unsigned char)*p <= 32 || *p == '[' ||
			    *p == '\\' || *p == 127)
				return 0;
		return *p == ']' && p[1] == '\0' && p > d + 1;
	}
	for (p = d; *p != '\0'; p++) {
		unsigned char c = *p;

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c >= 0x80)
			label++;
		else
			return 0;
	}
	return label > 0;
}

/* Why addr cannot be used, or NULL when it can. */
static const char *
addr_problem(const char *addr)
{
	const char *at = address_domain(addr);
	const unsigned char *p;

	if (*addr == '\0')
		return "empty address";
	for (p = (const unsigned char *)addr; *p != '\0'; p++) {
		if (*p < 32 || *p == 127)
			return "control character";
		if (*p == '<' || *p == '>')
			return "stray angle bracket";
	}
	if (at == NULL)
		return local_valid(addr, strlen(addr)) ? NULL :
		    "malformed local part";
	if (at - 1 == addr)
		return "missing local part";
	if (addr[0] != '"' && memchr(addr, '@', at - 1 - addr) != NULL)
		return "more than one \"@\"";
	if (*at == '\0')
		return "missing domain";
	if (!local_valid(addr, at - 1 - addr))
		return "malformed local part";
	if (!domain_valid(at))
		return "malformed domain";
	return NULL;
}

/* Ends the entry at end: checks it and appends it to list. */
static int
entry_finish(struct entry *e, const char *end, struct address_list *list,
    struct failure *f)
{
	const char *why;
	const char *addr;

	if (e->has_angle) {
		if (e->angle_split)
			return entry_fail(e, end, f,
			    "white space inside the address");
		addr = e->angle.s != NULL ? e->angle.s : "";
	} else {
		if (e->raw.len == 0)
			return 0;	/* an empty entry: ignored */
		if (e->raw_split)
			return entry_fail(e, end, f,
			    "white space inside the address");
		addr = e->raw.s;
	}
	if ((why = addr_problem(addr)) != NULL)
		return entry_fail(e, end, f, why);
	address_list_add(list, e->has_angle && e->name.len > 0 ? e->name.s :
	    NULL, addr);
	return 0;
}

/*
 * Reads one word of an entry (atom run, quoted string, comment, angle
 * address) at *pp.  Returns -1 with a reason in *why.
 */
static int
entry_word(struct entry *e, const char **pp, const char **why)
{
	const char *p = *pp;

	if (*p == '(') {
		if (skip_comment(&p) == -1) {
			*why = "unbalanced parenthesis";
			return -1;
		}
		/* A comment separates words like white space. */
		e->name_space = 1;
		if (e->raw.len > 0)
			e->raw_space = 1;
	} else if (e->after_angle) {
		*why = "text after \">\"";
		return -1;
	} else if (*p == '"') {
		name_word_start(e);
		if (read_quoted(&p, &e->name, &e->raw) == -1) {
			*why = "unbalanced quote";
			return -1;
		}
	} else if (*p == '<') {
		if (read_angle(e, &p) == -1) {
			*why = "unbalanced angle bracket";
			return -1;
		}
	} else if (*p == '>') {
		*why = "unbalanced angle bracket";
		return -1;
	} else {
		name_word_start(e);
		ab_addc(&e->name, *p);
		ab_addc(&e->raw, *p);
		p++;
	}
	*pp = p;
	return 0;
}

int
address_parse_list(const char *text, struct address_list *list,
    struct failure *f)
{
	struct entry e;
	const char *p, *why;
	size_t n0 = list->n;
	int ingroup = 0, r = 0;

	if (strpbrk(text, "\r\n") != NULL)
		return failure_set(f, F_DATA,
		    "invalid address list: contains a line break");
	memset(&e, 0, sizeof(e));
	e.start = text;
	for (p = text;;) {
		if (*p == '\0' || *p == ',' || *p == ';') {
			if (entry_finish(&e, p, list, f) == -1) {
				r = -1;
				break;
			}
			if (*p == ';')
				ingroup = 0;
			if (*p == '\0')
				break;
			p++;
			entry_reset(&e, p);
		} else if (*p == ':' && !e.has_angle) {
			/* A group's name; its members are flattened. */
			if (ingroup) {
				r = entry_fail(&e, p, f, "nested group");
				break;
			}
			if (e.raw.s != NULL && strchr(e.raw.s, '@') != NULL) {
				r = entry_fail(&e, p + strcspn(p, ","), f,
				    "unexpected \":\"");
				break;
			}
			ingroup = 1;
			p++;
			entry_reset(&e, p);
		} else if (*p == ' ' || *p == '\t') {
			e.name_space = 1;
			if (e.raw.len > 0)
				e.raw_space = 1;
			p++;
		} else if (entry_word(&e, &p, &why) == -1) {
			r = entry_fail(&e, p + strcspn(p, ","), f, why);
			break;
		}
	}
	entry_reset(&e, NULL);
	/* On failure the list is as it was: no half-parsed list to leak. */
	while (r == -1 && list->n > n0) {
		list->n--;
		free(list->v[list->n].name);
		free(list->v[list->n].addr);
	}
	if (r == -1 && n0 == 0)
		address_list_free(list);	/* the array too */
	return r;
}

void
address_list_add(struct address_list *list, const char *name,
    const char *addr)
{
	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 4;
		list->v = xreallocarray(list->v, list->cap, sizeof(*list->v));
	}
	list->v[list->n].name = name != NULL ? xstrdup(name) : NULL;
	list->v[list->n].addr = xstrdup(addr);
	list->n++;
}

void
address_list_free(struct address_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		free(list->v[i].name);
		free(list->v[i].addr);
	}
	free(list->v);
	list->v = NULL;
	list->n = 0;
	list->cap = 0;
}

int
address_has_domain(const char *addr)
{
	const char *d = address_domain(addr);

	return d != NULL && *d != '\0';
}

int
address_is_8bit(const char *addr)
{
	for (; *addr != '\0'; addr++)
		if ((unsigned char)*addr >= 0x80)
			return 1;
	return 0;
}

int
address_valid(const char *addr)
{
	return addr_problem(addr) == NULL && address_has_domain(addr);
}

const char *
address_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : NULL;
}
