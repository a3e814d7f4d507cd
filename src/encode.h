/*
 * encode.h — pure encoders: base64 and quoted-printable (RFC 2045, both
 * streaming), RFC 2047 encoded words, RFC 2231 parameters, and the wire
 * form (CRLF line ends, dot-stuffing: RFC 5321 section 4.5.2).
 *
 * Inside the program lines end in LF; encode_wire() is the one place that
 * turns them into CRLF.  No function here prints, exits or keeps globals.
 */
#ifndef OUTBOX_ENCODE_H
#define OUTBOX_ENCODE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* RFC 2045 section 6.8: at most 76 characters per encoded line. */
#define ENCODE_B64_LINE 76

struct encode_b64 {
	unsigned char pend[3];	/* bytes waiting for a full group */
	size_t npend;
	size_t col;		/* characters on the current output line */
};

void encode_base64_init(struct encode_b64 *st);
/*
 * Encodes len bytes of in onto out as 76-column LF-terminated lines,
 * carrying partial groups in st across calls.  Returns 0, or -1 when a
 * write to out failed (errno set).
 */
int encode_base64_update(struct encode_b64 *st, const void *in, size_t len,
    FILE *out);
/* Flushes the last group with padding and ends the last line.  0 or -1. */
int encode_base64_final(struct encode_b64 *st, FILE *out);

/*
 * Base64 of a buffer on one line, no line breaks, NUL-terminated (for SASL
 * and RFC 2047).  Caller frees (freezero when it held a secret).
 */
char *encode_base64_buf(const void *in, size_t len);
/*
 * Decodes base64 text (no line breaks) into a new buffer of *outlen bytes,
 * NUL-terminated for convenience.  NULL when text is not valid base64:
 * strict RFC 4648 (length a multiple of 4, "=" only as final padding,
 * no characters outside the alphabet, no stray bits in the last group).
 */
unsigned char *encode_base64_decode(const char *text, size_t len,
    size_t *outlen);

struct encode_qp {
	size_t col;		/* characters on the current output line */
	int pend;		/* a held space or tab (-1: none) */
	int bol;		/* at the start of an input line */
	char hold[5];		/* start of line held to catch "From " */
	size_t nhold;
	int cr;			/* a CR is held: CRLF is a line end */
};

void encode_qp_init(struct encode_qp *st);
/*
 * Quoted-printable (RFC 2045 section 6.7) of text whose line ends are LF:
 * LF is a hard line break, and so is CRLF (the CR is dropped); lines are
 * soft-broken ("=" LF) so that no output line passes 76 columns with the
 * "=" counted (content lines carry at most 75); an escape is never split.
 * Trailing white space (before a line end or at the end of the data),
 * "=", control bytes, bytes >= 0x80 and a bare CR (=0D) are encoded; a
 * line starting "From " has its F encoded (=46) and a line starting with
 * "." has the dot encoded (=2E), also after a soft break, so no mbox or
 * SMTP quirk can change the text.  Output lines end in LF.  Returns 0, or
 * -1 on a write error (errno set).
 */
int encode_qp_update(struct encode_qp *st, const void *in, size_t len,
    FILE *out);
/* Flushes held bytes; does not add a line end.  0 or -1. */
int encode_qp_final(struct encode_qp *st, FILE *out);

/*
 * Header field body for "Name: " + text, folded (LF + space) so lines stay
 * within 78 columns where possible.  startcol is the column where text
 * begins (strlen(name) + 2).  Printable ASCII text without "=?" is folded
 * at white space only (an LF is put before existing white space, so
 * unfolding gives the text back; a word without spaces stays whole).
 * Otherwise each run of words that need it (non-ASCII, controls, "=?",
 * words over 900 bytes) becomes RFC 2047 "=?UTF-8?B?...?=" or
 * "=?UTF-8?Q?...?=" words (whichever is shorter for the run), each at
 * most 75 characters and filled to the fold column, never splitting a
 * UTF-8 sequence.  Adjacent encoded words are separated by LF + space,
 * which decoders drop (RFC 2047 section 6.2): spaces between non-ASCII
 * words travel inside the words.  White space between an encoded word
 * and a plain word stays literal.  When there is no room for even one
 * encoded word after startcol, the result starts with LF + space.
 *
 * phrase (display names): Q words use only the RFC 2047 section 5(3)
 * set; ASCII text holding RFC 5322 specials (",;<>@\"().[]:") becomes a
 * quoted-string with \" and \\ escapes; with non-ASCII present, words
 * holding specials are encoded instead.  Returns a new string without a
 * final line end ("" for "").
 */
char *encode_header_text(const char *text, size_t startcol, int phrase);

/*
 * A MIME parameter "; name=value" (leading "; " included), folded.  ASCII
 * values of at most 60 characters are a token, or a quoted-string when
 * they hold tspecials or spaces: "; name=value".  Non-ASCII or longer
 * values use RFC 2231 and start on a new line: ";" LF " name*=UTF-8''%E5"
 * when that fits in 78 columns, else ";" LF " name*0*=UTF-8''..." ";" LF
 * " name*1*=..." continuations, each line within 78 columns, never
 * splitting a UTF-8 sequence.  legacy is ignored: the RFC 2047 word
 * inside a quoted name="..." that old readers took is forbidden by RFC
 * 2047 section 5 and flagged by strict parsers, so both Content-Type
 * name= and Content-Disposition filename= use RFC 2231 only.  Returns a
 * new string.
 */
char *encode_param(const char *name, const char *value, int legacy);

enum encode_date_form {
	ENCODE_DATE_RFC5322,	/* "Mon, 23 Nov 2026 08:05:09 +0800" */
	ENCODE_DATE_CTIME	/* "Mon Nov 23 08:05:09 2026", mbox From lines */
};

/*
 * t in the local zone in the given form, with English day and month
 * names whatever the locale (RFC 5322 section 3.3).  Writes at most sz
 * bytes, NUL-terminated.
 */
void encode_date(time_t t, enum encode_date_form form, char *buf, size_t sz);

/*
 * The wire form.  Input lines end in LF or CRLF; output lines end in CRLF,
 * and a bare CR (not followed by LF) also ends a line, so no bare CR or LF
 * reaches the wire.  With dotstuff, a line that starts with "." gets a
 * second "." (RFC 5321 section 4.5.2).
 */
struct encode_wire {
	int bol;		/* next byte starts a line */
	int cr;			/* a CR was seen and is held */
	int dotstuff;
	unsigned long long lines;	/* lines completed so far */
	size_t linelen;		/* octets on the current line */
	size_t maxline;		/* longest line seen, without CRLF */
};

void encode_wire_init(struct encode_wire *st, int dotstuff);
/*
 * Converts len bytes of in into out, which must hold ENCODE_WIRE_BOUND(len)
 * bytes.  Returns the number of bytes written to out.  A CR at the end of
 * a chunk is held until the next byte is known.  lines counts lines ended;
 * linelen and maxline count wire octets, a stuffed dot included.
 */
#define ENCODE_WIRE_BOUND(len) (2 * (len) + 2)
size_t encode_wire_update(struct encode_wire *st, const char *in, size_t len,
    char *out);
/*
 * Ends the data: a held CR is written, and when the data did not end with
 * a line end, CRLF is added.  Writes at most 3 bytes to out; returns the
 * count.
 */
size_t encode_wire_final(struct encode_wire *st, char *out);

#endif
