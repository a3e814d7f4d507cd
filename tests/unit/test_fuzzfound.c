/*
 * test_fuzzfound.c — what the fuzzers (tests/fuzz/) found, one case each,
 * so a fix stays fixed without running them.  Leaks show under
 * "make sanitize" (LeakSanitizer).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html.h"
#include "message.h"
#include "queue.h"
#include "recipients.h"
#include "sendmail_msg.h"
#include "tap.h"

static char dir[256];

static void
rmrf(const char *d)
{
	pid_t pid;

	if ((pid = fork()) == 0) {
		execl("/bin/rm", "rm", "-rf", d, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (wait(NULL) != pid)
			;
}

static void
put(const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "we")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
}

#define QID "20261201T000000-0badf00d"

/* fuzz_queue: attempts at INT_MAX; repeated keys. */
static void
queue_cases(void)
{
	struct queue_entry *v;
	struct failure f;
	char path[512];
	size_t n;

	snprintf(dir, sizeof(dir), "%s/fuzzfound.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		exit(1);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	mkdir(path, 0700);
	put(QID ".msg", "Subject: x\n\nbody\n");
	put(QID ".env", "outbox-queue 1\ncreated 1\nfrom a@b\n"
	    "attempts 2147483647\nnext 1\nrcpt c@d\nend\n");
	ok(queue_list(dir, 0, &v, &n, &f) == 0 && n == 1,
	    "queue: an entry with attempts INT_MAX is listed");
	if (n == 1) {
		ok(v[0].attempts <= QUEUE_ATTEMPTS_MAX,
		    "queue: attempts capped, room for one more");
		v[0].attempts++;
		ok(queue_update(dir, &v[0], &f) == 0, "queue: updated");
	}
	queue_entries_free(v, n);
	ok(queue_list(dir, 0, &v, &n, &f) == 0 && n == 1,
	    "queue: the entry is still there after one more attempt");
	queue_entries_free(v, n);

	put(QID ".env", "outbox-queue 1\ncreated 1\nfrom a@b\nfrom c@d\n"
	    "account x\naccount y\nfrom-ascii a\nfrom-ascii b\n"
	    "dsn-ret FULL\ndsn-ret HDRS\nlast-reply one\nlast-reply two\n"
	    "attempts 1\nnext 1\nrcpt c@d\nend\n");
	ok(queue_list(dir, 0, &v, &n, &f) == 0 && n == 1,
	    "queue: repeated keys read");
	if (n == 1) {
		is_str(v[0].env.from, "c@d", "queue: the last from wins");
		is_str(v[0].account, "y", "queue: the last account wins");
		is_str(v[0].last_reply, "two", "queue: the last reply wins");
	}
	queue_entries_free(v, n);

	/* A CR in a value: "rcpt a@b>\rDATA" would reach RCPT TO. */
	put(QID ".env", "outbox-queue 1\ncreated 1\nfrom a@b\nattempts 0\n"
	    "next 1\nrcpt e@f>\rDATA\nend\n");
	ok(queue_list(dir, 0, &v, &n, &f) == 0 && n == 0,
	    "queue: an entry with a control character in a value is skipped");
	queue_entries_free(v, n);
}

/* fuzz_config: an aliases file with CRLF line ends. */
static void
aliases_cases(void)
{
	struct failure f;
	char path[512], *out = NULL;

	put("aliases", "postmaster: root\r\nteam: a@example.org,\r\n"
	    "  b@example.org\r\n");
	snprintf(path, sizeof(path), "%s/aliases", dir);
	ok(recipients_alias_file(path, "postmaster", &out, &f) == 1,
	    "aliases CRLF: found");
	is_str(out, "root", "aliases CRLF: no CR in the value");
	free(out);
	out = NULL;
	ok(recipients_alias_file(path, "team", &out, &f) == 1,
	    "aliases CRLF: continued entry found");
	is_str(out, "a@example.org, b@example.org",
	    "aliases CRLF: continuation without CR");
	free(out);
}

/*
 * fuzz_sendmail: a header line of 2^n - 1 octets ending the input without
 * a line end overran its buffer (ASan, under make sanitize); a NUL byte
 * cut a field and glued the next one onto it.
 */
static void
sendmail_cases(void)
{
	static const char nul[] = "Subject: a\0b\nTo: x@example.org\n\nbody\n";
	struct sendmail_msg m;
	struct failure f;
	char buf[300];
	FILE *in;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "Subject: ", 9);
	if ((in = fmemopen(buf, 255, "r")) == NULL)
		exit(1);
	ok(sendmail_msg_read_header(in, 1, &m, &f) == 0 && m.nfields == 1 &&
	    strlen(m.fields[0].raw) == 256,
	    "sendmail: a 255-octet last header line, its line end added");
	sendmail_msg_free(&m);
	fclose(in);

	if ((in = fmemopen((void *)(uintptr_t)nul, sizeof(nul) - 1, "r")) ==
	    NULL)
		exit(1);
	failure_clear(&f);
	ok(sendmail_msg_read_header(in, 1, &m, &f) == -1 && f.kind == F_DATA,
	    "sendmail: a NUL in a header field is refused (65)");
	sendmail_msg_free(&m);
	fclose(in);
}

/* fuzz_compose: a --reply-to list bad after its first address leaked. */
static void
compose_cases(void)
{
	static char long_addr[1100];
	struct address from = { NULL, "a@example.org" };
	struct message_spec spec;
	struct failure f;

	memset(&spec, 0, sizeof(spec));
	spec.from = &from;
	spec.reply_to = "b@example.org, <<bad";
	failure_clear(&f);
	ok(message_check(&spec, &f) == -1 && f.kind == F_DATA,
	    "compose: a bad --reply-to list refused (no leak under ASan)");

	/*
	 * A From without a domain, one word longer than a header line,
	 * passed the check and was refused only while composing.
	 */
	memset(long_addr, '0', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = '\0';
	from.addr = long_addr;
	memset(&spec, 0, sizeof(spec));
	spec.from = &from;
	failure_clear(&f);
	ok(message_check(&spec, &f) == -1 && f.kind == F_DATA &&
	    strstr(f.text, "From: address longer than 254 octets") != NULL,
	    "compose: an address over 254 octets is refused by the check");
	long_addr[254] = '\0';
	failure_clear(&f);
	ok(message_check(&spec, &f) == 0, "compose: 254 octets are fine");
}

/* fuzz_html: &#13; wrote a bare CR; cid:%00 made an empty reference. */
static void
html_cases(void)
{
	static const char h1[] = "<p>a&#13;b&#xD;c</p>";
	static const char h2[] = "<img src=\"cid:a%00b\">";
	struct html_cids c = { 0 };
	char *out = NULL;
	size_t olen = 0;
	FILE *fp;

	if ((fp = open_memstream(&out, &olen)) == NULL)
		exit(1);
	ok(html_to_text(h1, sizeof(h1) - 1, 1, fp) == 0, "html: converted");
	fclose(fp);
	ok(memchr(out, '\r', olen) == NULL, "html: &#13; makes no CR");
	free(out);
	html_cids(h2, sizeof(h2) - 1, &c);
	ok(c.n == 1 && strcmp(c.v[0], "a%00b") == 0,
	    "html: cid:a%00b kept as written, not cut at a NUL");
	html_cids_free(&c);
}

int
main(void)
{
	queue_cases();
	aliases_cases();
	sendmail_cases();
	compose_cases();
	html_cases();
	rmrf(dir);
	return done_testing();
}
