/*
 * fuzz.h — helpers shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c):
 * property checks that abort with a message, a private temp directory,
 * and small independent decoders (RFC 2045 base64 and quoted-printable,
 * RFC 2047 encoded words, RFC 2231 parameters) used to undo what the
 * encoders made.  Nothing here comes from src/: a decoder that shared
 * the encoder's code would agree with its bugs.
 */
#ifndef OUTBOX_FUZZ_H
#define OUTBOX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, NUL-terminated. */
struct fbuf {
	char *s;
	size_t len;
	size_t cap;
};

void fbuf_add(struct fbuf *b, const void *p, size_t n);
void fbuf_addc(struct fbuf *b, char c);
void fbuf_free(struct fbuf *b);

/* Aborts (a libFuzzer crash) with the message when cond is false. */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);	\
} while (0)
void fuzz_fail(const char *file, int line, const char *cond,
    const char *fmt, ...) __attribute__((noreturn, format(printf, 4, 5)));

/* A copy of data as a NUL-terminated string (NULs kept inside). */
char *fuzz_strndup(const uint8_t *data, size_t len);

/*
 * The harness's own directory, made once per process (under $TMPDIR or
 * /tmp, mode 0700) and removed at exit.
 */
const char *fuzz_tmpdir(void);

/*
 * A scripted peer's side of one connection (fd, non-blocking): sends
 * data, then shuts down its writing side, while everything the client
 * sends is added to got; returns when the client closes, on an error,
 * or after wait_ms.  Closes fd.
 */
void fuzz_peer_exchange(int fd, const uint8_t *data, size_t len,
    struct fbuf *got, int wait_ms);
/* Writes len bytes to path (created 0600, truncated). */
void fuzz_write_file(const char *path, const void *data, size_t len);
/* Removes everything under dir, keeping dir. */
void fuzz_clear_dir(const char *dir);

/*
 * Lines of buf: every one ends in LF (except an unterminated last one,
 * allowed when last_ok), none holds CR or NUL, none is longer than max
 * octets.  Returns NULL when all hold, else a static description.
 */
const char *fuzz_lines_bad(const char *buf, size_t len, size_t max,
    int last_ok);

/* 1 when the len bytes at s are valid UTF-8 (no overlongs, surrogates). */
int fuzz_utf8_valid(const char *s, size_t len);

/* Base64 (RFC 4648, padded; LF ignored) into out.  -1 when malformed. */
int fuzz_b64_decode(const char *s, size_t len, struct fbuf *out);
/*
 * Quoted-printable (RFC 2045 6.7) into out: "=XX" escapes (upper-case
 * hex only, as a strict encoder writes), "=" LF soft breaks, LF kept.
 * -1 when malformed.
 */
int fuzz_qp_decode(const char *s, size_t len, struct fbuf *out);
/*
 * An unstructured header body or phrase as written (folded with LF +
 * white space): unfolded, RFC 2047 encoded words decoded (white space
 * between two adjacent words dropped), and with phrase also quoted
 * strings unquoted.  Only "=?UTF-8?B?" and "=?UTF-8?Q?" words count.
 * -1 when an encoded word is malformed.
 */
int fuzz_header_decode(const char *s, size_t len, int phrase,
    struct fbuf *out);
/*
 * The value of parameter name in text ("; name=value" as encode_param()
 * writes: a token, a quoted string, name*=UTF-8''pct, or name*0*=...
 * continuations; quoted strings holding encoded words are decoded as
 * RFC 2047).  -1 when absent or malformed.
 */
int fuzz_param_decode(const char *text, const char *name, struct fbuf *out);

#endif
