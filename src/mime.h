/*
 * mime.h — the MIME part tree (RFC 2045, RFC 2046): the content scan that
 * picks a transfer encoding, boundaries, part headers, and the streaming
 * writer.  Content is read twice from its file (scan, then encode) with a
 * fixed buffer; nothing is held whole in memory.  Output lines end in LF.
 *
 * Encoding rules (mime_choose):
 *   text body (line ends are the reader's; LF and CRLF both end a line):
 *     empty, or 7-bit with no NUL, no bare CR, lines <= 998 octets and a
 *     final line end                                  -> 7bit
 *     otherwise, when at most 1 byte in MIME_QP_RATIO needs "=XX" (bytes
 *     >= 0x80, NUL, bare CR)                          -> quoted-printable
 *     otherwise                                       -> base64
 *     A body without a final line end keeps it missing: quoted-printable
 *     ends with a soft break ("=" LF), base64 encodes the bytes as they
 *     are.  In base64 the text's line ends are CRLF (RFC 2045 section
 *     6.8 canonical form); a reader turns them into its own.
 *   exact content (attachments; must decode to the same bytes):
 *     text with LF line ends only (no CR at all), no NUL, lines <= 998
 *     octets and a final LF (or empty): 7bit when ASCII, else
 *     quoted-printable when the ratio above allows; everything else
 *     -> base64.
 * The ratio: quoted-printable spends 3 octets on such a byte, base64
 * spends 4/3 on every byte; 3h + (n - h) <= 4n/3 gives h <= n/6.
 */
#ifndef OUTBOX_MIME_H
#define OUTBOX_MIME_H

#include <stddef.h>
#include <stdio.h>

#include "failure.h"
#include "filetype.h"

/* RFC 5322 section 2.1.1: at most 998 octets per line, without CRLF. */
#define MIME_LINE_MAX 998
/* quoted-printable while escaped bytes are at most 1/MIME_QP_RATIO. */
#define MIME_QP_RATIO 6
/* The read buffer of both passes. */
#define MIME_BUFSZ (64 * 1024)
/* RFC 2046 section 5.1.1: a boundary is 1 to 70 characters. */
#define MIME_BOUNDARY_MAX 71
/* RFC 1428: the label for 8-bit text in a charset nobody named. */
#define MIME_UNKNOWN_8BIT "unknown-8bit"

enum mime_cte {
	MIME_7BIT,
	MIME_QP,
	MIME_BASE64,
	MIME_CTE_MAX
};

/* "7bit", "quoted-printable", "base64". */
extern const char *const mime_cte_names[MIME_CTE_MAX];

/*
 * The content scan (after mutt's update_content_info): fed chunk by chunk,
 * it carries its state across chunk boundaries.
 */
struct mime_scan {
	unsigned long long total;	/* bytes seen */
	unsigned long long hibit;	/* bytes >= 0x80 */
	unsigned long long nul;		/* NUL bytes */
	unsigned long long barecr;	/* CR not followed by LF */
	unsigned long long crlf;	/* CR LF pairs */
	unsigned long long lf;		/* LF without CR before it */
	size_t linelen;			/* octets on the current line */
	size_t maxline;			/* longest line, line end excluded */
	int cr;				/* the last byte was a CR (held) */
	int utf8_need;			/* continuation bytes still due */
	unsigned char utf8_lo, utf8_hi;	/* range of the next one */
	int utf8_bad;			/* not valid UTF-8 */
	int last;			/* last byte, -1 before any */
	int final;			/* mime_scan_final() was called */
};

void mime_scan_init(struct mime_scan *s);
void mime_scan_update(struct mime_scan *s, const void *buf, size_t len);
/* Settles a held CR and an unfinished UTF-8 sequence. */
void mime_scan_final(struct mime_scan *s);
/* 1 when the scanned bytes are valid UTF-8 (ASCII included). */
int mime_scan_utf8(const struct mime_scan *s);
/* 1 when the content ends with a line end (LF, CRLF) or is empty. */
int mime_scan_ends_eol(const struct mime_scan *s);

/* The transfer encoding for scanned content: exact = attachment rules. */
enum mime_cte mime_choose(const struct mime_scan *s, int exact);

/*
 * The charset label for scanned text: "us-ascii" for 7-bit text; else
 * given (from --charset) when set, unless it claims UTF-8 for bytes that
 * are not; else "utf-8" for valid UTF-8; else locale (the locale's
 * codeset) when it is neither UTF-8 nor ASCII; else "unknown-8bit".
 * Returns given, locale, or a static string.
 */
const char *mime_text_charset(const struct mime_scan *s, const char *given,
    const char *locale);

/*
 * Fills buf (MIME_BOUNDARY_MAX bytes) with the boundary of the n-th
 * multipart: "=_" + 24 random hex digits, or, when seed is set,
 * "=_" + seed (characters outside RFC 2046 bcharsnospace dropped, cut to
 * fit) + "_" + n, so tests can pin it.  "=_" cannot occur in
 * quoted-printable or base64 text.
 */
void mime_boundary(char *buf, const char *seed, unsigned int n);

struct mime_part {
	char type[FILETYPE_TYPE_MAX];	/* "text/plain", "multipart/mixed" */
	char charset[FILETYPE_CHARSET_MAX];	/* "" for none */
	char magic_charset[FILETYPE_CHARSET_MAX];	/* libmagic's guess */
	enum mime_cte cte;
	int text;		/* line ends are the reader's (the body) */
	char *filename;		/* attachment's base name (UTF-8), owned */
	char *content_id;	/* RFC 2392 id without "<>", owned; an
				   inline part shown by the HTML */
	char *path;		/* content from this file, owned; or */
	FILE *fp;		/* from this seekable stream (not owned) */
	struct mime_scan scan;
	char boundary[MIME_BOUNDARY_MAX];	/* multipart only */
	struct mime_part *parts;	/* multipart children, owned */
	size_t nparts;
};

/*
 * A text body part read from fp (seekable, positioned anywhere; it is
 * rewound) whose content scan s is already done.  charset as from
 * mime_text_charset().
 */
void mime_part_body(struct mime_part *p, FILE *fp, const struct mime_scan *s,
    const char *charset);

/*
 * An attachment part for the file at path: libmagic type (and charset
 * for text, corrected by the scan), the scan pass, the encoding, and the
 * base name as filename.  F_NOINPUT naming the file when it cannot be
 * opened or read.
 */
int mime_part_attachment(struct mime_part *p, const char *path,
    struct filetype *ft, struct failure *f);

/*
 * The charset label of a text attachment after mime_part_attachment()
 * (which applies it with given and fallback NULL); other types are left
 * alone.  In order: given (--attach-charset) when set: F_DATA when it
 * says UTF-8 and the bytes are not; "us-ascii" for 7-bit content that
 * libmagic calls ASCII or UTF-8; "utf-8" for valid UTF-8; fallback
 * (--charset) for other 8-bit text unless it says UTF-8; a charset
 * libmagic knows from a BOM (utf-16*, utf-32*); otherwise none at all,
 * for libmagic's "iso-8859-1" or "unknown-8bit" is only a guess (GB2312
 * text comes out "iso-8859-1") and a wrong label is worse than none.
 */
int mime_attachment_charset(struct mime_part *p, const char *given,
    const char *fallback, struct failure *f);

/*
 * An inline part (RFC 2387 related content, RFC 2183 disposition
 * inline) for the file at path, with Content-ID <id>: as
 * mime_part_attachment() otherwise.
 */
int mime_part_inline(struct mime_part *p, const char *path, const char *id,
    struct filetype *ft, struct failure *f);

/*
 * A multipart part of the given subtype ("mixed", "related",
 * "alternative") with the given boundary; add children after.  A
 * multipart/related gets RFC 2387's type= parameter from its first
 * child.
 */
void mime_part_multipart(struct mime_part *p, const char *subtype,
    const char *boundary);
/* Appends a zeroed child to p and returns it (valid until the next add). */
struct mime_part *mime_part_add(struct mime_part *p);

/*
 * The part's header lines (Content-Type with charset, name or boundary,
 * Content-Transfer-Encoding, Content-Disposition for attachments), each
 * LF-terminated and folded, no blank line after.  Caller frees.
 */
char *mime_part_headers(const struct mime_part *p);

/*
 * Writes the part's headers, a blank line and its encoded content (the
 * second pass over its file) to out.  F_NOINPUT when a file went away,
 * F_IO on a read or write error.
 */
int mime_write(const struct mime_part *p, FILE *out, struct failure *f);

/* Frees what p owns (not p itself). */
void mime_part_free(struct mime_part *p);

#endif
