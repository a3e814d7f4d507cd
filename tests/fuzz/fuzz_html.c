/*
 * fuzz_html.c — the HTML to text converter and the cid: collector.
 *
 * Input: byte 0's low bit is html_to_text()'s utf8 flag, the rest the
 * HTML.  Properties: the text is LF lines without CR (nor NUL, unless
 * the HTML had one), ending in
 * LF unless empty; with utf8 0 and ASCII HTML the text is ASCII (no
 * bytes the part's charset label would not cover); with utf8 1 and
 * valid UTF-8 HTML the text is valid UTF-8; html_cids() gives distinct
 * non-empty references.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct html_cids c = { 0 };
	const char *html = (const char *)data + 1, *bad;
	char *out = NULL;
	size_t olen = 0, len, i, j;
	int utf8, ascii = 1;
	FILE *fp;

	if (size < 1 || size > 256 * 1024)
		return 0;
	utf8 = data[0] & 1;
	len = size - 1;
	if ((fp = open_memstream(&out, &olen)) == NULL)
		abort();
	FUZZ_CHECK(html_to_text(html, len, utf8, fp) == 0, "%s", "failed");
	fclose(fp);
	/* A NUL in the HTML may pass through (garbage in); none is made. */
	bad = fuzz_lines_bad(out, olen, (size_t)-1, 0);
	FUZZ_CHECK(bad == NULL || (strcmp(bad, "a NUL") == 0 &&
	    memchr(html, '\0', len) != NULL), "text has %s", bad);
	for (i = 0; i < len; i++)
		if ((unsigned char)html[i] >= 0x80)
			ascii = 0;
	if (!utf8 && ascii)
		for (i = 0; i < olen; i++)
			FUZZ_CHECK((unsigned char)out[i] < 0x80,
			    "byte 0x%02x from ASCII HTML in another charset",
			    (unsigned char)out[i]);
	if (utf8 && fuzz_utf8_valid(html, len))
		FUZZ_CHECK(fuzz_utf8_valid(out, olen), "%s",
		    "invalid UTF-8 from valid UTF-8");
	free(out);

	html_cids(html, len, &c);
	for (i = 0; i < c.n; i++) {
		FUZZ_CHECK(c.v[i] != NULL && c.v[i][0] != '\0',
		    "empty cid %zu", i);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(c.v[i], c.v[j]) != 0,
			    "cid \"%s\" twice", c.v[i]);
	}
	html_cids_free(&c);
	return 0;
}
