/*
 * fuzz_sendmail.c — the sendmail personality's message reader and writer
 * (sendmail_msg_read_header, sendmail_msg_write) over stdin-like input.
 *
 * Input: byte 0's low bit is ignore_dots (-i), the rest the message.
 * Properties: reading fails only with F_DATA or F_IO; the spool copy has
 * LF line ends only (no CR, no NUL in the header), no Bcc or Resent-Bcc
 * field, a Date, Message-ID and From, only field lines and folds before
 * the empty line, and a body that is the input's own bytes: a suffix of
 * the input with its line ends made LF, cut at the "." line unless -i
 * (a last line without a line end gets one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "failure.h"
#include "fuzz.h"
#include "sendmail_msg.h"

/* The input as the spool should hold it: LF line ends, the "." cut. */
static void
normalize(const uint8_t *d, size_t n, int ignore_dots, struct fbuf *out)
{
	size_t i, bol = 0;

	fbuf_add(out, "", 0);
	for (i = 0; i < n; i++) {
		if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n')
			continue;
		fbuf_addc(out, d[i] == '\r' ? '\n' : (char)d[i]);
		if (out->s[out->len - 1] != '\n')
			continue;
		if (!ignore_dots && out->len - bol == 2 &&
		    out->s[bol] == '.') {
			out->len = bol;
			out->s[bol] = '\0';
			return;
		}
		bol = out->len;
	}
	if (!ignore_dots && out->len - bol == 1 && out->s[bol] == '.') {
		out->len = bol;
		out->s[bol] = '\0';
	}
}

static int
has_field(const char *hdr, size_t len, const char *name)
{
	size_t nl = strlen(name), i = 0, k;

	while (i < len) {
		if (i + nl < len && strncasecmp(hdr + i, name, nl) == 0) {
			for (k = i + nl; k < len && (hdr[k] == ' ' ||
			    hdr[k] == '\t'); k++)
				;
			if (k < len && hdr[k] == ':')
				return 1;
		}
		while (i < len && hdr[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

static void
check_header(const char *o, size_t hlen)
{
	size_t i = 0, k;

	FUZZ_CHECK(memchr(o, '\0', hlen) == NULL, "%s", "NUL in the header");
	FUZZ_CHECK(!has_field(o, hlen, "Bcc") &&
	    !has_field(o, hlen, "Resent-Bcc"), "%s", "a Bcc field written");
	FUZZ_CHECK(has_field(o, hlen, "Date") &&
	    has_field(o, hlen, "Message-ID") && has_field(o, hlen, "From"),
	    "%s", "Date, Message-ID or From missing");
	while (i < hlen) {
		if (o[i] != ' ' && o[i] != '\t') {
			for (k = i; k < hlen && o[k] > ' ' && o[k] != ':' &&
			    o[k] < 127; k++)
				;
			FUZZ_CHECK(k > i, "not a field line at %zu", i);
			while (k < hlen && (o[k] == ' ' || o[k] == '\t'))
				k++;	/* RFC 5322 4.5.3 obs-optional */
			FUZZ_CHECK(k < hlen && o[k] == ':',
			    "not a field line at %zu", i);
		} else
			FUZZ_CHECK(i > 0, "%s", "a fold first");
		while (i < hlen && o[i] != '\n')
			i++;
		i++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sendmail_add add = { "Fuzz", "fuzz@example.org", 1,
	    "<fuzz@example.org>", "example.org" };
	struct sendmail_msg m;
	struct fbuf want = { 0 };
	struct failure f;
	char *out = NULL;
	const char *body;
	size_t olen = 0, hlen, blen;
	int ignore_dots;
	FILE *in, *fp;

	if (size < 1 || size > 1024 * 1024)
		return 0;
	ignore_dots = data[0] & 1;
	if ((in = fmemopen((void *)(uintptr_t)(data + 1), size - 1, "r")) ==
	    NULL && size > 1)
		abort();
	if (in == NULL)
		return 0;
	failure_clear(&f);
	if (sendmail_msg_read_header(in, ignore_dots, &m, &f) == -1) {
		FUZZ_CHECK(f.kind == F_DATA || f.kind == F_IO, "kind %d",
		    f.kind);
		sendmail_msg_free(&m);
		fclose(in);
		return 0;
	}
	if ((fp = open_memstream(&out, &olen)) == NULL)
		abort();
	FUZZ_CHECK(sendmail_msg_write(in, ignore_dots, &m, &add, fp, &f) == 0,
	    "write: %s", f.text);
	fclose(fp);
	fclose(in);
	FUZZ_CHECK(memchr(out, '\r', olen) == NULL, "%s", "a CR in the spool");
	body = memmem(out, olen, "\n\n", 2);
	FUZZ_CHECK(body != NULL, "%s", "no empty line after the header");
	hlen = (size_t)(body - out) + 1;
	check_header(out, hlen);
	body += 2;
	blen = olen - (size_t)(body - out);
	FUZZ_CHECK(m.body_offset == (off_t)(body - out), "body_offset %lld, "
	    "want %zu", (long long)m.body_offset, (size_t)(body - out));
	normalize(data + 1, size - 1, ignore_dots, &want);
	/* The last line gets its line end. */
	if (blen > 0 && body[blen - 1] == '\n' &&
	    (want.len == 0 || want.s[want.len - 1] != '\n'))
		blen--;
	FUZZ_CHECK(blen <= want.len &&
	    memcmp(body, want.s + want.len - blen, blen) == 0,
	    "the body (%zu bytes) is not the input's end", blen);
	fbuf_free(&want);
	sendmail_msg_free(&m);
	free(out);
	return 0;
}
