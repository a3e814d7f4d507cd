/*
 * envelope.h — the envelope of one message (RFC 5321 3.3, RFC 6531,
 * RFC 3461), shared by the engine (smtp.h), the queue (queue.h) and
 * the delivery (deliver.h) without any of them including another.
 */
#ifndef OUTBOX_ENVELOPE_H
#define OUTBOX_ENVELOPE_H

#include <sys/types.h>

#include <stddef.h>

/*
 * The envelope of one message: the one description of it, embedded in
 * struct job (deliver.h) and struct queue_entry (queue.h), so a new
 * field travels from submission through the queue to the flush.
 */
struct smtp_envelope {
	const char *from;		/* reverse-path, "" for <> */
	const char *const *rcpts;	/* forward-paths, unique */
	size_t nrcpts;
	int eightbit;			/* message has 8-bit bytes */
	off_t size;			/* octets in wire form, for SIZE= */
	/*
	 * International addresses (RFC 6531).  from_ascii and rcpts_ascii[i]
	 * are the all-ASCII forms (IDNA A-label domains) of addresses that
	 * have one, NULL where the address is ASCII already or has none (a
	 * UTF-8 local part); rcpts_ascii itself may be NULL.  When the server
	 * offers SMTPUTF8 the UTF-8 forms go with MAIL ... SMTPUTF8; else the
	 * ASCII forms, and an address without one fails with F_DATA.
	 */
	const char *from_ascii;
	const char *const *rcpts_ascii;
	int utf8_headers;		/* RFC 6532: UTF-8 in the header,
					   SMTPUTF8 declared when offered */
	/*
	 * Delivery status notifications (RFC 3461), used when the server
	 * offers DSN: NOTIFY= on every RCPT ("NEVER" or a comma list of
	 * SUCCESS, FAILURE, DELAY), RET= ("FULL" or "HDRS") and ENVID= on
	 * MAIL (xtext-encoded here).  Without DSN offered: a warning, or
	 * F_PERM when dsn_required.
	 */
	const char *dsn_notify;
	const char *dsn_ret;
	const char *dsn_envid;
	int dsn_required;
};

#endif
