/*
 * fuzz_encode.c — the encoders of encode.h, each undone by an independent
 * decoder (fuzz.c) and compared with its input.
 *
 * Input: byte 0 picks the encoder, byte 1 its parameters (the chunking of
 * the streaming ones, the start column, phrase, legacy, dot-stuffing),
 * the rest is the data.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "fuzz.h"

/* Chunk sizes for a streaming encoder: 1..64, from seed. */
static size_t
next_chunk(unsigned int *seed, size_t left)
{
	size_t n;

	*seed = *seed * 1103515245u + 12345u;
	n = 1 + (*seed >> 16) % 64;
	return n < left ? n : left;
}

static FILE *
mem_out(char **buf, size_t *len)
{
	FILE *fp = open_memstream(buf, len);

	if (fp == NULL)
		abort();
	return fp;
}

static void
check_base64_stream(const uint8_t *d, size_t n, unsigned int seed)
{
	struct encode_b64 st;
	struct fbuf dec = { 0 };
	char *out = NULL;
	size_t olen = 0, i, k, col = 0;
	FILE *fp = mem_out(&out, &olen);

	encode_base64_init(&st);
	for (i = 0; i < n; i += k) {
		k = next_chunk(&seed, n - i);
		FUZZ_CHECK(encode_base64_update(&st, d + i, k, fp) == 0, "%s",
		    "update");
	}
	FUZZ_CHECK(encode_base64_final(&st, fp) == 0, "%s", "final");
	fclose(fp);
	/* Lines of exactly 76 characters, but the last. */
	for (i = 0; i < olen; i++) {
		if (out[i] != '\n') {
			col++;
			continue;
		}
		FUZZ_CHECK(col == ENCODE_B64_LINE || i + 1 == olen,
		    "line of %zu at %zu", col, i);
		col = 0;
	}
	FUZZ_CHECK(olen == 0 || out[olen - 1] == '\n', "%s", "no LF");
	FUZZ_CHECK(fuzz_b64_decode(out, olen, &dec) == 0, "%s", "undecodable");
	FUZZ_CHECK(dec.len == n && memcmp(dec.s, d, n) == 0,
	    "decoded %zu bytes of %zu differ", dec.len, n);
	fbuf_free(&dec);
	free(out);
}

static void
check_base64_buf(const uint8_t *d, size_t n)
{
	struct fbuf dec = { 0 };
	unsigned char *back;
	char *b64, *again;
	size_t blen;

	b64 = encode_base64_buf(d, n);
	FUZZ_CHECK(strlen(b64) == (n + 2) / 3 * 4, "%s", "length");
	FUZZ_CHECK(fuzz_b64_decode(b64, strlen(b64), &dec) == 0 &&
	    dec.len == n && memcmp(dec.s, d, n) == 0, "%s", "round trip");
	back = encode_base64_decode(b64, strlen(b64), &blen);
	FUZZ_CHECK(back != NULL && blen == n && memcmp(back, d, n) == 0,
	    "%s", "encode_base64_decode round trip");
	free(back);
	free(b64);
	fbuf_free(&dec);
	/* The strict decoder on raw input: what it takes is canonical. */
	if ((back = encode_base64_decode((const char *)d, n, &blen)) != NULL) {
		again = encode_base64_buf(back, blen);
		FUZZ_CHECK(strlen(again) == n && memcmp(again, d, n) == 0,
		    "%s", "accepted non-canonical base64");
		free(again);
		free(back);
	}
}

static void
check_qp(const uint8_t *d, size_t n, unsigned int seed)
{
	struct encode_qp st;
	struct fbuf dec = { 0 }, want = { 0 };
	char *out = NULL;
	size_t olen = 0, i, k, col = 0, bol = 0;
	FILE *fp = mem_out(&out, &olen);

	encode_qp_init(&st);
	for (i = 0; i < n; i += k) {
		k = next_chunk(&seed, n - i);
		FUZZ_CHECK(encode_qp_update(&st, d + i, k, fp) == 0, "%s",
		    "update");
	}
	FUZZ_CHECK(encode_qp_final(&st, fp) == 0, "%s", "final");
	fclose(fp);
	for (i = 0; i <= olen; i++) {
		if (i < olen && out[i] != '\n') {
			unsigned char c = (unsigned char)out[i];

			FUZZ_CHECK((c >= 33 && c <= 126) || c == ' ' ||
			    c == '\t', "byte 0x%02x at %zu", c, i);
			col++;
			continue;
		}
		FUZZ_CHECK(col <= 76, "line of %zu", col);
		if (col > 0) {
			FUZZ_CHECK(out[i - 1] != ' ' && out[i - 1] != '\t',
			    "trailing white space at %zu", i);
			FUZZ_CHECK(out[bol] != '.', "line starts with . at %zu",
			    bol);
			FUZZ_CHECK(col < 5 || memcmp(out + bol, "From ", 5) != 0,
			    "From line at %zu", bol);
		}
		col = 0;
		bol = i + 1;
	}
	/* Decoded: the input with CRLF as LF. */
	for (i = 0; i < n; i++)
		if (!(d[i] == '\r' && i + 1 < n && d[i + 1] == '\n'))
			fbuf_addc(&want, (char)d[i]);
	fbuf_add(&want, "", 0);
	FUZZ_CHECK(fuzz_qp_decode(out, olen, &dec) == 0, "%s", "undecodable");
	FUZZ_CHECK(dec.len == want.len && memcmp(dec.s, want.s, want.len) == 0,
	    "decoded %zu bytes, want %zu", dec.len, want.len);
	fbuf_free(&dec);
	fbuf_free(&want);
	free(out);
}

/* Every line of s within max octets (the first after startcol). */
static void
check_header_lines(const char *s, size_t startcol, size_t max)
{
	size_t col = startcol;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			col = 0;
			continue;
		}
		FUZZ_CHECK(c >= 32 && c < 127 || c == '\t', "byte 0x%02x", c);
		FUZZ_CHECK(++col <= max, "line over %zu", max);
	}
}

static void
check_header(const uint8_t *d, size_t n, unsigned int arg)
{
	char *text = fuzz_strndup(d, n), *out;
	struct fbuf dec = { 0 };
	size_t startcol = arg % 40;
	int phrase = (arg & 0x80) != 0;

	out = encode_header_text(text, startcol, phrase);
	check_header_lines(out, startcol, 998);
	FUZZ_CHECK(fuzz_header_decode(out, strlen(out), phrase, &dec) == 0,
	    "undecodable: %s", out);
	FUZZ_CHECK(strcmp(dec.s, text) == 0, "decoded \"%s\" from \"%s\"",
	    dec.s, out);
	/* Encoded words hold whole UTF-8 characters: none is split. */
	if (fuzz_utf8_valid(text, strlen(text))) {
		const char *p = out;

		while ((p = strstr(p, "=?UTF-8?")) != NULL) {
			struct fbuf w = { 0 };
			const char *e = strstr(p + 10, "?=");

			FUZZ_CHECK(e != NULL, "%s", "unterminated word");
			FUZZ_CHECK(fuzz_header_decode(p, (size_t)(e + 2 - p),
			    phrase, &w) == 0 && fuzz_utf8_valid(w.s, w.len),
			    "word splits a character: %.*s", (int)(e + 2 - p),
			    p);
			fbuf_free(&w);
			p = e + 2;
		}
	}
	fbuf_free(&dec);
	free(out);
	free(text);
}

static void
check_param(const uint8_t *d, size_t n, unsigned int arg)
{
	static const char *names[] = { "name", "filename", "charset", "x" };
	const char *name = names[(arg >> 1) % 4];
	char *value = fuzz_strndup(d, n), *out;
	struct fbuf dec = { 0 };
	int legacy = arg & 1;

	out = encode_param(name, value, legacy);
	check_header_lines(out, 0, strncmp(out, ";\n", 2) == 0 ? 78 : 998);
	FUZZ_CHECK(fuzz_param_decode(out, name, &dec) == 0,
	    "undecodable: %s", out);
	FUZZ_CHECK(strcmp(dec.s, value) == 0, "decoded \"%s\" from \"%s\"",
	    dec.s, out);
	fbuf_free(&dec);
	free(out);
	free(value);
}

static void
check_wire(const uint8_t *d, size_t n, unsigned int arg)
{
	struct encode_wire st;
	struct fbuf out = { 0 }, want = { 0 }, undone = { 0 };
	char *tmp = malloc(ENCODE_WIRE_BOUND(64));
	unsigned int seed = arg;
	size_t i, k, w, col = 0, maxline = 0, lines = 0;
	int dotstuff = arg & 1, bol = 1;

	if (tmp == NULL)
		abort();
	encode_wire_init(&st, dotstuff);
	for (i = 0; i < n; i += k) {
		k = next_chunk(&seed, n - i);
		w = encode_wire_update(&st, (const char *)d + i, k, tmp);
		FUZZ_CHECK(w <= ENCODE_WIRE_BOUND(k), "%s", "bound");
		fbuf_add(&out, tmp, w);
	}
	w = encode_wire_final(&st, tmp);
	FUZZ_CHECK(w <= 3, "%s", "final bound");
	fbuf_add(&out, tmp, w);
	free(tmp);
	/* CR only before LF, LF only after CR; undo stuffing and CRLF. */
	for (i = 0; i < out.len; i++) {
		if (out.s[i] == '\r') {
			FUZZ_CHECK(i + 1 < out.len && out.s[i + 1] == '\n',
			    "bare CR at %zu", i);
			continue;
		}
		if (out.s[i] == '\n') {
			FUZZ_CHECK(i > 0 && out.s[i - 1] == '\r',
			    "bare LF at %zu", i);
			fbuf_addc(&undone, '\n');
			maxline = col > maxline ? col : maxline;
			col = 0;
			bol = 1;
			lines++;
			continue;
		}
		col++;
		if (bol && out.s[i] == '.' && dotstuff) {
			FUZZ_CHECK(i + 1 < out.len && out.s[i + 1] == '.',
			    "unstuffed dot at %zu", i);
			i++;
			col++;
		}
		bol = 0;
		fbuf_addc(&undone, out.s[i]);
	}
	FUZZ_CHECK(n == 0 || (out.len >= 2 && out.s[out.len - 1] == '\n'),
	    "%s", "no final CRLF");
	FUZZ_CHECK(st.maxline == maxline, "maxline %zu, counted %zu",
	    st.maxline, maxline);
	FUZZ_CHECK(st.lines == lines, "lines %llu, counted %zu", st.lines,
	    lines);
	/* The input with CRLF and a bare CR as LF, and a final LF. */
	for (i = 0; i < n; i++) {
		if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n')
			continue;
		fbuf_addc(&want, d[i] == '\r' ? '\n' : (char)d[i]);
	}
	if (want.len > 0 && want.s[want.len - 1] != '\n')
		fbuf_addc(&want, '\n');
	fbuf_add(&want, "", 0);
	fbuf_add(&undone, "", 0);
	FUZZ_CHECK(undone.len == want.len &&
	    memcmp(undone.s, want.s, want.len) == 0, "undone %zu, want %zu",
	    undone.len, want.len);
	fbuf_free(&out);
	fbuf_free(&want);
	fbuf_free(&undone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int arg;

	if (size < 2)
		return 0;
	arg = data[1];
	switch (data[0] % 6) {
	case 0:
		check_base64_stream(data + 2, size - 2, arg);
		break;
	case 1:
		check_base64_buf(data + 2, size - 2);
		break;
	case 2:
		check_qp(data + 2, size - 2, arg);
		break;
	case 3:
		check_header(data + 2, size - 2, arg);
		break;
	case 4:
		check_param(data + 2, size - 2, arg);
		break;
	default:
		check_wire(data + 2, size - 2, arg);
		break;
	}
	return 0;
}
