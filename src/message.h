/*
 * message.h — the composer: top-level headers (RFC 5322: From, To, Cc,
 * Subject, Date, Message-ID, MIME-Version) around the MIME body built by
 * mime.c.  A Bcc header is never written.
 *
 * Output lines end in LF (encode_wire() makes them CRLF); every line is
 * at most 998 octets and the result is 7-bit, so any server takes it.
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
	const char *subject;		/* UTF-8 or NULL */
	const char *const *headers;	/* extra "Name: value" (-H) */
	size_t nheaders;
	FILE *body;			/* the text body; NULL: empty */
	const char *charset;		/* body charset when not UTF-8 or
					   ASCII (--charset, else locale's) */
	const char *const *attachments;	/* paths (-a) */
	size_t nattachments;
	/*
	 * Pinned by main.c from test-only environment variables so output
	 * is reproducible; 0/NULL means "now" and random values.
	 */
	time_t date;
	const char *message_id;		/* full "<...>" */
	const char *boundary_seed;	/* boundaries derived from it */
};

struct message_info {
	char message_id[256];		/* "<...>" as written */
	int eightbit;			/* 1 when any byte >= 0x80 was written */
};

/*
 * Validates the spec (header values from the command line may not hold
 * CR or LF: F_DATA; attachments must be readable: F_NOINPUT, naming the
 * file) and writes the whole message to out.  Attachments and the body
 * are streamed; none is held whole in memory.  F_IO when out fails.
 */
int message_compose(const struct message_spec *spec, struct filetype *ft,
    FILE *out, struct message_info *info, struct failure *f);

/*
 * Checks everything message_compose() would refuse before any work is
 * done (so the phases stay in order): header injection, addresses,
 * unreadable attachments.
 */
int message_check(const struct message_spec *spec, struct failure *f);

#endif
