/*
 * test_html.c — HTML to plain text (blocks, links, entities, lists,
 * tables, dropped script and style, <pre>) and the cid: references.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "tap.h"

/* The text form of html; a static buffer, valid until the next call. */
static const char *
text(const char *html, int utf8)
{
	static char out[4096];
	FILE *fp;
	size_t n;

	if ((fp = tmpfile()) == NULL)
		return NULL;
	if (html_to_text(html, strlen(html), utf8, fp) == -1) {
		fclose(fp);
		return NULL;
	}
	rewind(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	return out;
}

static void
test_blocks(void)
{
	is_str(text("", 1), "", "empty: no text");
	is_str(text("  <p>  </p> ", 1), "", "only white space: no text");
	is_str(text("hello", 1), "hello\n", "plain text ends with a LF");
	is_str(text("<p>one</p><p>two</p>", 1), "one\n\ntwo\n",
	    "paragraphs: a blank line between");
	is_str(text("<div>a</div><div>b</div>", 1), "a\nb\n",
	    "divs: a line each");
	is_str(text("a<br>b<br><br>c", 1), "a\nb\n\nc\n", "<br> breaks lines");
	is_str(text("<h1>Title</h1>text", 1), "Title\n\ntext\n", "heading");
	is_str(text("a  \n\t b   <b>c</b>\n", 1), "a b c\n",
	    "white space collapses");
	is_str(text("a<hr>b", 1),
	    "a\n\n----------------------------------------\n\nb\n", "<hr>");
	is_str(text("<P CLASS=x>Up</P>", 1), "Up\n", "tags in upper case");
	is_str(text("a < b and c>d", 1), "a < b and c>d\n",
	    "a lone < is text");
}

static void
test_dropped(void)
{
	is_str(text("<head><title>T</title><style>p{x:1}</style></head>"
	    "<script>if (a<b) alert('</p>')</script>body", 1), "body\n",
	    "title, style and script dropped");
	is_str(text("a<!-- <p>hidden</p> -->b", 1), "ab\n",
	    "comments dropped");
	is_str(text("<!DOCTYPE html><?xml x?>ok", 1), "ok\n",
	    "doctype and processing instructions dropped");
	is_str(text("<SCRIPT>x</SCRIPT>y", 1), "y\n", "SCRIPT in upper case");
}

static void
test_links(void)
{
	is_str(text("see <a href=\"https://x.org/?a=1&amp;b=2\">the site"
	    "</a>.", 1), "see the site <https://x.org/?a=1&b=2>.\n",
	    "link: text <url>, &amp; decoded");
	is_str(text("<a href='https://x.org'>https://x.org</a>", 1),
	    "https://x.org\n", "link whose text is the url: once");
	is_str(text("<a href=#top>top</a>", 1), "top\n",
	    "fragment link: text only");
	is_str(text("<a name=x>anchor</a>", 1), "anchor\n",
	    "anchor without href");
	is_str(text("<a href=\"mailto:a@b.org\"></a>", 1),
	    "mailto:a@b.org\n", "empty link text: the url");
	is_str(text("x <img src=\"cid:c.png\" alt=\"the chart\"> y", 1),
	    "x [the chart] y\n", "image: [alt]");
	is_str(text("<img src=x.png>", 1), "", "image without alt: nothing");
}

static void
test_entities(void)
{
	is_str(text("&lt;b&gt; &amp; &quot;q&quot; &apos;", 1),
	    "<b> & \"q\" '\n", "basic named entities");
	is_str(text("caf&eacute; &#233; &#xE9; &#x4e2d; &euro;", 1),
	    "caf\xc3\xa9 \xc3\xa9 \xc3\xa9 \xe4\xb8\xad \xe2\x82\xac\n",
	    "named and numeric entities to UTF-8");
	is_str(text("a&nbsp;&nbsp;b", 1), "a  b\n", "&nbsp; never collapses");
	is_str(text("&bogus; &amp &#; &#xZZ;", 1), "&bogus; &amp &#; &#xZZ;\n",
	    "unknown or unfinished references stay");
	is_str(text("&#0; &#x110000; &#xD800;", 1),
	    "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\n",
	    "bad code points: U+FFFD");
	is_str(text("caf&eacute; &amp;", 0), "caf&eacute; &\n",
	    "not UTF-8: non-ASCII references stay as written");
	is_str(text("a&#0;b &#xD800; &#x110000; &#99999999;", 0),
	    "a&#0;b &#xD800; &#x110000; &#99999999;\n",
	    "not UTF-8: bad code points stay as written, no UTF-8 bytes");
	is_str(text("soft&shy;hyphen", 1), "softhyphen\n", "&shy; vanishes");
}

static void
test_lists_tables(void)
{
	is_str(text("<ul><li>one</li><li>two</li></ul>", 1),
	    "- one\n- two\n", "unordered list");
	is_str(text("<ol><li>a<li>b</ol>", 1), "1. a\n2. b\n",
	    "ordered list, unclosed items");
	is_str(text("<ol start=\"7\"><li>g</li></ol>", 1), "7. g\n",
	    "ordered list start=");
	is_str(text("<ul><li>x<ul><li>y</li></ul></li><li>z</li></ul>", 1),
	    "- x\n  - y\n- z\n", "nested list indented");
	is_str(text("<p>intro</p><ul><li>i</li></ul><p>end</p>", 1),
	    "intro\n\n- i\n\nend\n", "list between paragraphs");
	is_str(text("<table><tr><th>Host</th><th>Use</th></tr>"
	    "<tr><td>a</td><td> 93% </td></tr></table>", 1),
	    "Host | Use\na | 93%\n", "table rows, cells separated");
	is_str(text("<pre>\n  x   y\n  1   2\n</pre>after", 1),
	    "  x   y\n  1   2\n\nafter\n", "pre keeps white space");
	is_str(text("<p>a</p>\n<pre>\nb</pre>", 1), "a\n\nb\n",
	    "pre after a paragraph");
}

static void
test_cids(void)
{
	struct html_cids c = { 0 };
	const char *h = "<img src=\"cid:chart.png\"><img src='CID:a%40b'>"
	    "<div style=\"background: url(cid:bg)\"></div>"
	    "<img src=cid:chart.png> text cid:not-this "
	    "<img src=\"http://x/cid:nope\">";

	html_cids(h, strlen(h), &c);
	is_int(c.n, 3, "three distinct cid: references");
	if (c.n == 3) {
		is_str(c.v[0], "chart.png", "src=\"cid:...\"");
		is_str(c.v[1], "a@b", "CID: case-insensitive, percent-decoded");
		is_str(c.v[2], "bg", "CSS url(cid:...)");
	}
	html_cids_free(&c);
	is_int(c.n, 0, "freed");
	html_cids("cid:", 4, &c);
	is_int(c.n, 0, "a bare cid: at the start is no reference");
}

static void
test_cids_many(void)
{
	struct html_cids c = { 0 };
	size_t n = 40000, i, len = 0;
	char *h = malloc(n * 32), id[32];
	int good = 1;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(h + len, 32, "<img src=\"cid:c%zu\">",
		    i % (n / 2));
	html_cids(h, len, &c);
	is_int(c.n, n / 2, "40,000 references, 20,000 distinct");
	for (i = 0; i < c.n && good; i++) {
		snprintf(id, sizeof(id), "c%zu", i);
		good = strcmp(c.v[i], id) == 0;
	}
	ok(good, "in order of first appearance");
	html_cids_free(&c);
	free(h);
}

static void
test_cids_qualify(void)
{
	const char *h = "<img src=\"cid:chart.png\"> <img src='cid:a%40b'> "
	    "url(cid:bg) cid:prose <img src=\"cid:\">";
	size_t n;
	char *q;

	q = html_cids_qualify(h, strlen(h), "@outbox", &n);
	is_str(q, "<img src=\"cid:chart.png@outbox\"> <img src='cid:a%40b'> "
	    "url(cid:bg@outbox) cid:prose <img src=\"cid:\">",
	    "references without @ get the suffix, others stay");
	is_int(n, strlen(q), "length");
	free(q);
}

int
main(void)
{
	test_blocks();
	test_dropped();
	test_links();
	test_entities();
	test_lists_tables();
	test_cids();
	test_cids_many();
	test_cids_qualify();
	return done_testing();
}
