/*
 * test_queue.c — the durable queue: add, list, update, fail, remove,
 * drop, the back-off schedule, the lock, the entry format's round trip.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue.h"
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

/* The whole of a file, NUL-terminated, in buf. */
static void
slurp(const char *path, char *buf, size_t sz)
{
	FILE *fp = fopen(path, "re");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, sz - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
}

static void
spit(const char *path, const char *text)
{
	FILE *fp = fopen(path, "we");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
}

/*
 * The .env format from its one table: every key written, in the order
 * queue.h gives, byte for byte; read back into the same fields; a bad
 * number makes the entry unreadable, an unknown key is ignored.
 */
static void
test_env_format(FILE *msg)
{
	struct queue_entry e, *v;
	struct failure f;
	const char *rcpts[1] = { "r@example.org" };
	char path[512], want[1024], got[1024], id[QUEUE_ID_MAX];
	long long created = 0, next = 0;
	size_t n;

	memset(&e, 0, sizeof(e));
	e.account = "acct";
	e.env.from = "s@example.org";
	e.env.from_ascii = "s@xn--ascii";
	e.env.rcpts = rcpts;
	e.env.nrcpts = 1;
	e.env.dsn_notify = "SUCCESS,FAILURE";
	e.env.dsn_ret = "HDRS";
	e.env.dsn_envid = "id+2B1";
	e.env.dsn_required = 1;
	e.last_reply = "451 later";
	is_int(queue_add(dir, &e, msg, id, &f), 0, "queue_add, every key");
	is_int(queue_list(dir, 0, &v, &n, &f), 0, "read back");
	is_int((int)n, 1, "one entry");
	if (n == 1) {
		created = (long long)v[0].created;
		next = (long long)v[0].next;
		ok(created > 0 && next == created, "created and next: now");
		is_str(v[0].env.from_ascii, "s@xn--ascii", "from-ascii");
		is_str(v[0].env.dsn_notify, "SUCCESS,FAILURE", "dsn-notify");
		is_str(v[0].env.dsn_ret, "HDRS", "dsn-ret");
		is_str(v[0].env.dsn_envid, "id+2B1", "dsn-envid");
		is_int(v[0].env.dsn_required, 1, "dsn-required");
		is_int(v[0].env.utf8_headers, 0, "utf8-headers absent: 0");
		is_int(v[0].env.eightbit, 0, "eightbit 0");
	}
	queue_entries_free(v, n);
	snprintf(path, sizeof(path), "%s/%s.env", dir, id);
	slurp(path, got, sizeof(got));
	snprintf(want, sizeof(want), "outbox-queue 1\ncreated %lld\n"
	    "account acct\nfrom s@example.org\nfrom-ascii s@xn--ascii\n"
	    "eightbit 0\ndsn-notify SUCCESS,FAILURE\ndsn-ret HDRS\n"
	    "dsn-envid id+2B1\ndsn-required 1\nattempts 0\nnext %lld\n"
	    "last-reply 451 later\nrcpt r@example.org\nend\n",
	    created, next);
	is_str(got, want, ".env bytes: every key in order");

	/* Hand-written: an unknown key is ignored, huge attempts capped. */
	spit(path, "outbox-queue 1\ncreated 5\nfrom a@b\nfuture-key x\n"
	    "attempts 99999999999\nnext 7\nrcpt c@d\nend\n");
	is_int(queue_list(dir, 0, &v, &n, &f), 0, "hand-written read");
	is_int((int)n, 1, "readable");
	if (n == 1) {
		is_int(v[0].attempts, QUEUE_ATTEMPTS_MAX, "attempts capped");
		is_int((long long)v[0].next, 7, "next");
		is_int((long long)v[0].created, 5, "created");
	}
	queue_entries_free(v, n);
	spit(path, "outbox-queue 1\ncreated 5\nfrom a@b\nnext soon\n"
	    "rcpt c@d\nend\n");
	is_int(queue_list(dir, 0, &v, &n, &f), 0, "bad number read");
	is_int((int)n, 0, "a bad number: not an entry");
	queue_entries_free(v, n);
	/* Repeated keys: the last wins, the earlier are freed (ASan). */
	spit(path, "outbox-queue 1\ncreated 5\nfrom a@b\nfrom e@f\n"
	    "last-reply one\nlast-reply two\naccount x\naccount y\n"
	    "rcpt c@d\nrcpt-ascii c@d\nrcpt-ascii g@h\nnext 7\nend\n");
	is_int(queue_list(dir, 0, &v, &n, &f), 0, "repeated keys read");
	if (n == 1) {
		is_str(v[0].env.from, "e@f", "  the last from wins");
		is_str(v[0].last_reply, "two", "  the last last-reply wins");
		is_str(v[0].account, "y", "  the last account wins");
	}
	queue_entries_free(v, n);
	is_int(queue_drop(dir, id, &f), 0, "dropped");
}

int
main(void)
{
	struct queue_entry e, *v;
	struct failure f;
	const char *rcpts[3] = { "a@example.org", "b@example.org",
	    "c\x01@example.org" };
	const char *ascii[3] = { NULL, "b@xn--example", NULL };
	char path[512], buf[64];
	struct stat st;
	size_t n;
	FILE *msg, *back;
	int lock, lock2;

	is_int((int)queue_backoff(1), 60, "back-off 1: 1 minute");
	is_int((int)queue_backoff(2), 300, "back-off 2: 5 minutes");
	is_int((int)queue_backoff(3), 900, "back-off 3: 15 minutes");
	is_int((int)queue_backoff(4), 3600, "back-off 4: an hour");
	is_int((int)queue_backoff(9), 3600, "back-off 9: hourly");

	snprintf(dir, sizeof(dir), "/tmp/test_queue.%ld/q", (long)getpid());
	msg = tmpfile();
	fputs("Subject: x\n\nbody\n", msg);
	fflush(msg);

	memset(&e, 0, sizeof(e));
	e.env.from = "s@example.org";
	e.account = "work";
	e.env.rcpts = rcpts;
	e.env.rcpts_ascii = ascii;
	e.env.nrcpts = 3;
	e.env.eightbit = 1;
	e.env.utf8_headers = 1;
	e.last_reply = "421 busy\nnow";
	failure_clear(&f);
	is_int(queue_add(dir, &e, msg, e.id, &f), 0, "queue_add");
	ok(strlen(e.id) == 24, "id: YYYYMMDDTHHMMSS-xxxxxxxx");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "dir 0700");
	snprintf(path, sizeof(path), "%s/%s.msg", dir, e.id);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "msg 0600");

	is_int(queue_list(dir, 1, &v, &n, &f), 0, "queue_list");
	is_int((int)n, 1, "one entry");
	if (n == 1) {
		is_str(v[0].account, "work", "account");
		is_str(v[0].env.from, "s@example.org", "from");
		is_int((int)v[0].env.nrcpts, 3, "three recipients");
		is_str(v[0].env.rcpts[2], "c?@example.org", "controls made ?");
		is_str(v[0].env.rcpts_ascii[1], "b@xn--example", "rcpt-ascii");
		ok(v[0].env.rcpts_ascii[0] == NULL, "no ascii form");
		is_str(v[0].last_reply, "421 busy?now", "reply on one line");
		is_int(v[0].env.eightbit, 1, "eightbit");
		is_int(v[0].env.utf8_headers, 1, "utf8-headers");
		is_int((int)v[0].size, 17, "size");
		back = queue_open_msg(dir, &v[0], &f);
		ok(back != NULL && fgets(buf, sizeof(buf), back) != NULL &&
		    strcmp(buf, "Subject: x\n") == 0, "message kept");
		if (back != NULL)
			fclose(back);
		v[0].attempts = 2;
		is_int(queue_update(dir, &v[0], &f), 0, "queue_update");
		is_int(queue_fail(dir, &v[0], 1, &f), 0, "queue_fail, kept");
	}
	queue_entries_free(v, n);
	is_int(queue_list(dir, 1, &v, &n, &f), 0, "queue_list again");
	is_int((int)n, 2, "queued and failed");
	if (n == 2) {
		char **nr = calloc(2, sizeof(*nr)), **na = calloc(2,
		    sizeof(*na));

		is_int(v[0].attempts, 2, "attempts updated");
		is_int(v[1].failed, 1, "failed listed last");
		/* A failed entry's names resolved again (queuecmd.c). */
		nr[0] = strdup("admin@example.org");
		nr[1] = strdup("d@xn--bcher-kva.example");
		na[1] = strdup("d@xn--bcher-kva.example");
		queue_entry_set_rcpts(&v[1], nr, na, 2);
		is_int(queue_update(dir, &v[1], &f), 0,
		    "queue_update of a failed entry");
	}
	queue_entries_free(v, n);
	is_int(queue_list(dir, 1, &v, &n, &f), 0, "queue_list once more");
	if (n == 2) {
		is_int((int)v[1].env.nrcpts, 2, "the new recipients");
		is_str(v[1].env.rcpts[0], "admin@example.org", "first rcpt");
		ok(v[1].env.rcpts_ascii[0] == NULL, "its ascii form: none");
		is_str(v[1].env.rcpts_ascii[1], "d@xn--bcher-kva.example",
		    "the second's ascii form");
		is_int(v[1].failed, 1, "still failed");
		is_int((int)v[0].env.nrcpts, 3, "the queued one unchanged");
	}
	queue_entries_free(v, n);

	lock = queue_lock(dir, 0, &f);
	ok(lock >= 0, "lock taken");
	/* flock locks belong to the open file: a second open conflicts. */
	lock2 = queue_lock(dir, 0, &f);
	is_int(lock2, -2, "second lock: busy");
	close(lock);

	is_int(queue_drop(dir, e.id, &f), 0, "drop the queued one");
	is_int(queue_drop(dir, e.id, &f), 0, "drop the failed one");
	is_int(queue_drop(dir, e.id, &f), -1, "nothing left");
	is_int(f.kind, F_NOINPUT, "F_NOINPUT");
	is_int(queue_drop(dir, "../x", &f), -1, "bad id");
	is_int(f.kind, F_DATA, "F_DATA");
	ok(!queue_pending(dir), "empty");
	test_env_format(msg);

	fclose(msg);
	snprintf(path, sizeof(path), "/tmp/test_queue.%ld", (long)getpid());
	rmrf(path);
	return done_testing();
}
