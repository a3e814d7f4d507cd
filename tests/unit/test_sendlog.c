/*
 * test_sendlog.c — the log line of a send (sendlog.c): its fields,
 * escaping, the cap, the facility names; and the decoding of RFC 2047
 * words for queue listings (sendmail_msg.c).
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "sendlog.h"
#include "sendmail_msg.h"
#include "tap.h"

static void
test_format(void)
{
	struct sendlog_rec r;
	const char *refused[] = { "a@example.net", "b@example.net" };
	char buf[SENDLOG_LINE_MAX];

	memset(&r, 0, sizeof(r));
	r.id = "<x@example.org>";
	r.from = "s@example.org";
	r.nrcpts = 3;
	r.refused = refused;
	r.nrefused = 2;
	r.size = 812;
	r.server = "smtp.example.org:587";
	r.outcome = "failed";
	r.kept = "failed/20260101T000000-00000001";
	r.status = 67;
	r.reply = "RCPT TO: 2 of 3 refused";
	sendlog_format(&r, buf, sizeof(buf));
	is_str(buf, "id=<x@example.org> from=s@example.org rcpts=3 "
	    "refused=a@example.net,b@example.net size=812 "
	    "server=smtp.example.org:587 result=failed "
	    "kept=failed/20260101T000000-00000001 status=67 "
	    "reply=\"RCPT TO: 2 of 3 refused\"", "all the fields, in order");

	/* A reply with a line break, a quote and 8-bit bytes. */
	memset(&r, 0, sizeof(r));
	r.id = "Q1";
	r.size = -1;
	r.outcome = "deferred";
	r.status = 75;
	r.reply = "451 \"busy\"\r\n\xff";
	sendlog_format(&r, buf, sizeof(buf));
	ok(strchr(buf, '\r') == NULL && strchr(buf, '\n') == NULL &&
	    strchr(buf, '\xff') == NULL, "no control or 8-bit byte survives");
	is_str(buf, "id=Q1 result=deferred status=75 "
	    "reply=\"451 \\\"busy\\\"\\r\\n\\377\"", "escaped C-style");

	/* The null sender. */
	memset(&r, 0, sizeof(r));
	r.from = "";
	r.size = -1;
	sendlog_format(&r, buf, sizeof(buf));
	is_str(buf, "id=- from=<> rcpts=0 status=0", "the null sender as <>");
}

static void
test_cap(void)
{
	struct sendlog_rec r;
	const char *many[200];
	char buf[SENDLOG_LINE_MAX];
	size_t i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < 200; i++)
		many[i] = "someone-with-a-long-name@example.net";
	r.refused = many;
	r.nrefused = 200;
	r.nrcpts = 200;
	r.from = "s@example.org";
	r.size = -1;
	sendlog_format(&r, buf, sizeof(buf));
	ok(strlen(buf) < sizeof(buf), "a long refused list stays in the cap");
	ok(strstr(buf, " more") != NULL, "and says how many more");
}

static void
test_facility(void)
{
	is_int(sendlog_facility(NULL), LOG_MAIL, "default: mail");
	is_int(sendlog_facility("yes"), LOG_MAIL, "yes: mail");
	is_int(sendlog_facility("no"), -1, "no");
	is_int(sendlog_facility("local3"), LOG_LOCAL3, "local3");
	is_int(sendlog_facility("daemon"), LOG_DAEMON, "daemon");
	is_int(sendlog_facility("kern"), -2, "kern is refused");
	is_int(sendlog_facility(""), -2, "empty is refused");
}

static void
test_decode(void)
{
	char *s;

	s = sendmail_msg_decode_words("Rapport =?UTF-8?Q?termin=C3=A9?= "
	    "=?utf-8?b?ZHUgam91cg==?=");
	is_str(s, "Rapport terminédu jour", "Q and B; the space between "
	    "two words goes (RFC 2047 6.2)");
	free(s);
	s = sendmail_msg_decode_words("=?ISO-8859-1?Q?caf=E9?= ok");
	is_str(s, "=?ISO-8859-1?Q?caf=E9?= ok", "other charsets stay");
	free(s);
	s = sendmail_msg_decode_words("=?UTF-8?Q?a_b=?= =?UTF-8?X?zz?=");
	is_str(s, "a b= =?UTF-8?X?zz?=", "a bad escape and an unknown "
	    "encoding stay as written");
	free(s);
	s = sendmail_msg_decode_words("=?UTF-8?B?!!!!?=");
	is_str(s, "=?UTF-8?B?!!!!?=", "bad base64 stays");
	free(s);
}

int
main(void)
{
	test_format();
	test_cap();
	test_facility();
	test_decode();
	return done_testing();
}
