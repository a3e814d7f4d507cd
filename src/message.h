/*
 * message.h — the composer: top-level headers (RFC 5322: From, To, Cc,
 * Subject, Date, Message-ID, MIME-Version) around the MIME body built by
 * mime.c.  A Bcc header is never written.
 *
 * Output lines end in LF (encode_wire() makes them CRLF); every line is
 * at most 998 octets and the result is 7-bit, so any server takes it,
 * with one exception: an address whose local part is not ASCII cannot be
 * encoded (RFC 2047 section 5 forbids encoded words in an addr-spec), so
 * it is written as raw UTF-8 (RFC 6532) and info.eightbit is set; such a
 * message needs a server with SMTPUTF8 anyway, for its envelope.  A
 * non-ASCII domain with an ASCII local part is written as IDNA A-labels
 * (RFC 5891), which every reader and server takes.
 *
 * The body structure (each container only when needed, RFC 2046 and
 * RFC 2387):
 *   mixed( related( alternative(plain, html), inline... ), attachment... )
 */
#ifndef OUTBOX_MESSAGE_H
#define OUTBOX_MESSAGE_H

#include <stdio.h>
#include <time.h>

#include "address.h"
#include "failure.h"

struct filetype;

struct message_spec {
	const struct address *from;
	const struct address_list *to;
	const struct address_list *cc;
	const char *subject;		/* or NULL */
	const char *const *headers;	/* extra "Name: value" (-H) */
	size_t nheaders;
	FILE *body;			/* the text body; NULL: empty */
	const char *charset;		/* body charset when not UTF-8 or
					   ASCII (--charset, else locale's) */
	const char *const *attachments;	/* paths (-a) */
	const char *const *attach_charsets;	/* per attachment, NULL
					   entries (or array) for none:
					   --attach-charset */
	size_t nattachments;
	const char *html;		/* --html=FILE: the text/html
					   alternative of body (an empty
					   body: text made from the HTML) */
	int html_stdin;			/* --html: body is HTML; the
					   text/plain alternative is made */
	const char *const *inlines;	/* --inline "FILE" or "FILE:ID" */
	size_t ninlines;
	const char *reply_to;		/* --reply-to address list or NULL */
	/*
	 * Pinned by main.c from test-only environment variables so output
	 * is reproducible; 0/NULL means "now" and random values.
	 */
	time_t date;
	const char *message_id;		/* full "<...>" */
	const char *boundary_seed;	/* boundaries derived from it */
};

/* The largest HTML body read (it is held in memory for the cid check). */
#define MESSAGE_HTML_MAX (16 * 1024 * 1024)

struct message_info {
	char message_id[256];		/* "<...>" as written */
	int eightbit;			/* 1 when any byte >= 0x80 was written */
	int utf8_headers;		/* 1 when a header address is UTF-8
					   (RFC 6532) */
	char warning[512];		/* for main.c to print, or "" */
};

/*
 * A new Message-ID (RFC 5322 3.6.4), "<128 random bits in hex@domain>",
 * into buf; pinned (a whole "<...>", from a test-only variable) is used
 * as is when not NULL.  A missing or unusable domain (not ASCII, or
 * holding "<>\" " or white space) gives way to this machine's name.
 */
void message_make_id(const char *domain, const char *pinned, char *buf,
    size_t sz);

/*
 * Header text (subject, display names, -H values, --reply-to) is in the
 * input charset: charset when set (--charset), else the locale's.  It
 * is converted to UTF-8 with iconv(3) before RFC 2047 encoding, so the
 * words' "UTF-8" label is true; text that is not valid in the input
 * charset (or UTF-8 that is not valid in a UTF-8 or ASCII locale) is
 * F_DATA naming the field.
 *
 * Validates the spec (header values from the command line may not hold
 * CR or LF: F_DATA; attachments must be readable: F_NOINPUT, naming the
 * file) and writes the whole message to out.  Attachments and the body
 * are streamed; none is held whole in memory, except an HTML body (at
 * most MESSAGE_HTML_MAX, else F_DATA), scanned for its cid: references:
 * one no --inline provides is F_DATA naming it; an --inline never
 * referred to is a warning in info->warning.  F_IO when out fails.
 */
int message_compose(const struct message_spec *spec, struct filetype *ft,
    FILE *out, struct message_info *info, struct failure *f);

/*
 * Header text in (display names, a subject) from the input charset,
 * charset or, when NULL, the locale's, as UTF-8 in *out, newly allocated
 * (the caller frees it), as message_compose() converts its own; for the
 * sendmail personality's -F.  F_DATA naming what when in is not valid
 * in that charset.
 */
int message_text_utf8(const char *charset, const char *what, const char *in,
    char **out, struct failure *f);

/*
 * Checks everything message_compose() would refuse before any work is
 * done (so the phases stay in order): header injection, addresses,
 * unreadable attachments.
 */
int message_check(const struct message_spec *spec, struct failure *f);

#endif
