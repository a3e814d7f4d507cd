/*
 * fuzz_compose.c — the address parser and the composer's header (and
 * body) writer: address_parse_list, message_check, message_compose.
 *
 * Input: byte 0's low bit says the body is HTML (--html from stdin);
 * the rest is split at NUL bytes into From, To, Cc, Subject, -H headers
 * (one a line), Reply-To and the body.  Properties: parsed addresses
 * hold no line break; what message_check() takes message_compose()
 * writes; the message has no CR or NUL, no line over 998 octets, no
 * 8-bit byte unless it says so, no Bcc field, one Date, From,
 * Message-ID and MIME-Version, each ASCII recipient in its field, and a
 * Subject that decodes (RFC 2047) back to the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "failure.h"
#include "fuzz.h"
#include "message.h"

#define NPARTS 7

static void
check_list(const struct address_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		FUZZ_CHECK(l->v[i].addr != NULL, "%s", "no addr");
		FUZZ_CHECK(strpbrk(l->v[i].addr, "\r\n") == NULL &&
		    (l->v[i].name == NULL ||
		    strpbrk(l->v[i].name, "\r\n") == NULL), "%s",
		    "a line break in an address");
		FUZZ_CHECK((address_domain(l->v[i].addr) != NULL) ==
		    (strchr(l->v[i].addr, '@') != NULL), "%s", "domain");
	}
}

static int
parse(const char *text, struct address_list *l)
{
	struct failure f;

	memset(l, 0, sizeof(*l));
	failure_clear(&f);
	if (address_parse_list(text, l, &f) == -1) {
		FUZZ_CHECK(f.kind == F_DATA, "kind %d", f.kind);
		address_list_free(l);
		return -1;
	}
	check_list(l);
	return 0;
}

/* The unfolded-and-decoded value of the first field called name. */
static int
field(const char *hdr, size_t hlen, const char *name, struct fbuf *v,
    size_t *count)
{
	size_t nl = strlen(name), i = 0, s, e;
	int found = 0;

	*count = 0;
	while (i < hlen) {
		e = i;
		while (e < hlen && hdr[e] != '\n')
			e++;
		if (e - i > nl && strncasecmp(hdr + i, name, nl) == 0 &&
		    hdr[i + nl] == ':') {
			(*count)++;
			if (!found) {
				s = i + nl + 1;
				if (s < hlen && hdr[s] == ' ')
					s++;
				while (e + 1 < hlen && (hdr[e + 1] == ' ' ||
				    hdr[e + 1] == '\t'))
					for (e++; e < hlen && hdr[e] != '\n';
					    e++)
						;
				fbuf_add(v, hdr + s, e - s);
				found = 1;
			}
		}
		i = e + 1;
	}
	return found;
}

static void
check_message(const char *o, size_t olen, const struct message_info *info,
    const char *subject, const struct address_list *to,
    const struct address_list *cc)
{
	struct fbuf v = { 0 }, dec = { 0 };
	const char *bad, *end;
	size_t hlen, i, n;

	bad = fuzz_lines_bad(o, olen, 998, 0);
	FUZZ_CHECK(bad == NULL, "the message has %s", bad);
	if (!info->eightbit)
		for (i = 0; i < olen; i++)
			FUZZ_CHECK((unsigned char)o[i] < 0x80, "8-bit byte at "
			    "%zu, eightbit not set", i);
	end = memmem(o, olen, "\n\n", 2);
	FUZZ_CHECK(end != NULL, "%s", "no empty line");
	hlen = (size_t)(end - o) + 1;
	field(o, hlen, "Bcc", &v, &n);
	FUZZ_CHECK(n == 0, "%s", "a Bcc field");
	field(o, hlen, "Resent-Bcc", &v, &n);
	FUZZ_CHECK(n == 0, "%s", "a Resent-Bcc field");
	field(o, hlen, "Date", &v, &n);
	FUZZ_CHECK(n == 1, "%zu Date fields", n);
	field(o, hlen, "From", &v, &n);
	FUZZ_CHECK(n == 1, "%zu From fields", n);
	field(o, hlen, "Message-ID", &v, &n);
	FUZZ_CHECK(n == 1, "%zu Message-ID fields", n);
	field(o, hlen, "MIME-Version", &v, &n);
	FUZZ_CHECK(n == 1, "%zu MIME-Version fields", n);
	fbuf_free(&v);
	if (subject != NULL && *subject != '\0') {
		FUZZ_CHECK(field(o, hlen, "Subject", &v, &n) && n == 1,
		    "%zu Subject fields", n);
		FUZZ_CHECK(fuzz_header_decode(v.s, v.len, 0, &dec) == 0,
		    "Subject undecodable: %s", v.s);
		FUZZ_CHECK(strcmp(dec.s, subject) == 0,
		    "Subject \"%s\", want \"%s\"", dec.s, subject);
		fbuf_free(&v);
		fbuf_free(&dec);
	}
	for (i = 0; to != NULL && i < to->n; i++) {
		if (address_is_8bit(to->v[i].addr))
			continue;
		field(o, hlen, "To", &v, &n);
		FUZZ_CHECK(n == 1 && strstr(v.s, to->v[i].addr) != NULL,
		    "To lacks %s", to->v[i].addr);
		fbuf_free(&v);
	}
	for (i = 0; cc != NULL && i < cc->n; i++) {
		if (address_is_8bit(cc->v[i].addr))
			continue;
		field(o, hlen, "Cc", &v, &n);
		FUZZ_CHECK(n == 1 && strstr(v.s, cc->v[i].addr) != NULL,
		    "Cc lacks %s", cc->v[i].addr);
		fbuf_free(&v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct address_list from, to, cc;
	struct message_spec spec;
	struct message_info info;
	struct failure f;
	const char *part[NPARTS] = { 0 }, *headers[16];
	char *copy, *p, *out = NULL, *hl, *save;
	size_t plen[NPARTS] = { 0 }, i, olen = 0, nh = 0;
	FILE *body = NULL, *fp;
	struct address deffrom = { "Fuzz", "fuzz@example.org" };
	int rc;

	if (size < 1 || size > 64 * 1024)
		return 0;
	copy = fuzz_strndup(data + 1, size - 1);
	/* Split at NULs; the last part (the body) keeps its NULs. */
	p = copy;
	for (i = 0; i < NPARTS; i++) {
		char *z;

		part[i] = p;
		if (i == NPARTS - 1 || (z = memchr(p, '\0',
		    (size_t)(copy + size - 1 - p))) == NULL) {
			plen[i] = (size_t)(copy + size - 1 - p);
			for (i++; i < NPARTS; i++)
				part[i] = "";
			break;
		}
		plen[i] = (size_t)(z - p);
		p = z + 1;
	}
	memset(&spec, 0, sizeof(spec));
	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	memset(&cc, 0, sizeof(cc));
	if (*part[0] == '\0' || parse(part[0], &from) == -1 || from.n == 0)
		spec.from = &deffrom;
	else
		spec.from = &from.v[0];
	if (parse(part[1], &to) == -1 || parse(part[2], &cc) == -1)
		goto out;
	spec.to = &to;
	spec.cc = &cc;
	spec.subject = part[3];
	hl = fuzz_strndup((const uint8_t *)part[4], strlen(part[4]));
	for (p = strtok_r(hl, "\n", &save); p != NULL && nh < 16;
	    p = strtok_r(NULL, "\n", &save))
		headers[nh++] = p;
	spec.headers = headers;
	spec.nheaders = nh;
	spec.reply_to = *part[5] != '\0' ? part[5] : NULL;
	if (plen[6] > 0 && (body = fmemopen((void *)(uintptr_t)part[6],
	    plen[6], "r")) == NULL)
		abort();
	spec.body = body;
	spec.html_stdin = data[0] & 1;
	spec.date = 1;
	spec.message_id = "<fuzz@example.org>";
	spec.boundary_seed = "fuzz";
	failure_clear(&f);
	if (message_check(&spec, &f) == 0) {
		memset(&info, 0, sizeof(info));
		if ((fp = open_memstream(&out, &olen)) == NULL)
			abort();
		rc = message_compose(&spec, NULL, fp, &info, &f);
		fclose(fp);
		/*
		 * What message_check() accepts, the composer writes; only
		 * an HTML body, read while composing, can still be refused
		 * (a cid: no --inline provides), and cleanly (65).
		 */
		FUZZ_CHECK(rc == 0 || (spec.html_stdin && f.kind == F_DATA),
		    "checked, then refused: %s", f.text);
		if (rc == 0)
			check_message(out, olen, &info, spec.subject, &to, &cc);
		free(out);
	} else
		FUZZ_CHECK(f.kind != F_NONE && f.text[0] != '\0', "%s",
		    "a failure without a reason");
	if (body != NULL)
		fclose(body);
	free(hl);
out:
	address_list_free(&from);
	address_list_free(&to);
	address_list_free(&cc);
	free(copy);
	return 0;
}
