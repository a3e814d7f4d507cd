/*
 * html.h — HTML to readable plain text, for the text/plain alternative
 * of an HTML body (RFC 2046 section 5.1.4), and the cid: references of
 * an HTML body (RFC 2392).  Pure: works on a buffer, writes to a FILE,
 * keeps no globals, never prints.
 *
 * The conversion (a small tokenizer, HTML 5's rules loosely):
 *   - script, style, title and template content is dropped, as are
 *     comments, <!DOCTYPE> and <?...?>;
 *   - runs of white space collapse to one space, except inside <pre>;
 *   - block elements (p, div, h1-h6, blockquote, pre, table, tr, ul, ol,
 *     li, dl, dt, dd, hr, section, article, header, footer, ...) end the
 *     line; p, h1-h6, blockquote, pre, table, ul and ol at the outer
 *     level leave a blank line; <br> is a line break; <hr> a line of
 *     dashes;
 *   - list items start with "- " (ul) or "N. " (ol, from start=),
 *     indented two spaces per nesting level;
 *   - table cells of a row are separated by " | ";
 *   - a link is "text <url>" (just "url" when the text is the url;
 *     fragment-only links "#..." keep only their text);
 *   - an image is its alt text in brackets, "[alt]", when it has one;
 *   - entities: the named ones in common use and every numeric one
 *     (&#N; &#xH;); an unknown entity stays as written.  When utf8 is 0
 *     (the HTML is in another charset) an entity for a non-ASCII
 *     character stays as written, so bytes are never mixed.
 * Output lines end in LF; the text ends with one LF unless empty.
 */
#ifndef OUTBOX_HTML_H
#define OUTBOX_HTML_H

#include <stddef.h>
#include <stdio.h>

/* The deepest list nesting tracked; deeper lists share the last level. */
#define HTML_LIST_MAX 16
/* The longest href kept for "text <url>"; longer ones are left out. */
#define HTML_URL_MAX 2048

/*
 * Writes the plain text form of the len bytes at html to out.  Returns
 * 0, or -1 when a write to out failed (errno set).
 */
int html_to_text(const char *html, size_t len, int utf8, FILE *out);

struct html_cids {
	char **v;		/* each reference, percent-decoded, owned */
	size_t n;
};

/*
 * Collects the distinct cid: URLs of the HTML (attribute values such as
 * src="cid:chart.png" and CSS url(cid:...)), "cid:" case-insensitive,
 * the reference percent-decoded (RFC 2392 section 2).  Appends to c;
 * free with html_cids_free().
 */
void html_cids(const char *html, size_t len, struct html_cids *c);
void html_cids_free(struct html_cids *c);

/*
 * A copy of the HTML (newly allocated, NUL-terminated, *outlen bytes)
 * where each cid: reference that html_cids() finds and whose decoded
 * form has no "@" gets suffix (such as "@outbox") appended, so
 * "cid:chart.png" names the Content-ID <chart.png@outbox>, an RFC 2392
 * msg-id with both halves.  Everything else is copied as it is.
 */
char *html_cids_qualify(const char *html, size_t len, const char *suffix,
    size_t *outlen);

#endif
