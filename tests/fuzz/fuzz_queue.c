/*
 * fuzz_queue.c — the queue's .env reader (queue_list), through the real
 * files: the input is written as DIR/ID.env beside an ID.msg.
 *
 * Properties: an entry that is listed has a sender, recipients without
 * line breaks, attempts with room for one more failed attempt, and it
 * survives what a flush does to it: rewritten (queue_update) with one
 * more attempt, it is listed again; read and rewritten again, the file
 * and the envelope are the same (the writer's form is a fixed point).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "queue.h"

#define ID "20261201T000000-0badf00d"

static const char *
qdir(void)
{
	static char dir[512];

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/queue", fuzz_tmpdir());
		if (mkdir(dir, 0700) == -1)
			abort();
	}
	return dir;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
check_same(const struct queue_entry *a, const struct queue_entry *b)
{
	size_t i;

	FUZZ_CHECK(same(a->env.from, b->env.from), "%s", "from");
	FUZZ_CHECK(same(a->env.from_ascii, b->env.from_ascii), "%s",
	    "from-ascii");
	FUZZ_CHECK(same(a->account, b->account), "%s", "account");
	FUZZ_CHECK(a->created == b->created && a->next == b->next, "%s",
	    "times");
	FUZZ_CHECK(a->env.nrcpts == b->env.nrcpts, "rcpts %zu, then %zu",
	    a->env.nrcpts, b->env.nrcpts);
	for (i = 0; i < a->env.nrcpts; i++) {
		FUZZ_CHECK(same(a->env.rcpts[i], b->env.rcpts[i]), "rcpt %zu",
		    i);
		FUZZ_CHECK(same(a->env.rcpts_ascii[i], b->env.rcpts_ascii[i]),
		    "rcpt-ascii %zu", i);
	}
	FUZZ_CHECK(a->env.eightbit == b->env.eightbit &&
	    a->env.utf8_headers == b->env.utf8_headers &&
	    a->env.dsn_required == b->env.dsn_required, "%s", "flags");
	FUZZ_CHECK(same(a->env.dsn_notify, b->env.dsn_notify) &&
	    same(a->env.dsn_ret, b->env.dsn_ret) &&
	    same(a->env.dsn_envid, b->env.dsn_envid), "%s", "dsn");
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	FILE *out = open_memstream(&buf, &cap);
	int c;

	if (fp == NULL || out == NULL)
		abort();
	while ((c = getc(fp)) != EOF)
		putc(c, out);
	fclose(fp);
	fclose(out);
	*len = cap;
	return buf;
}

static void
check_entry(const char *dir, struct queue_entry *e)
{
	struct queue_entry *v2 = NULL, *v3 = NULL;
	struct failure f;
	char path[600], *one, *two;
	size_t i, n2 = 0, n3 = 0, l1, l2;

	FUZZ_CHECK(e->env.from != NULL, "%s", "no sender");
	FUZZ_CHECK(strcmp(e->id, ID) == 0, "id %s", e->id);
	FUZZ_CHECK(e->attempts >= 0 && e->attempts <= QUEUE_ATTEMPTS_MAX,
	    "attempts %d: no room for another", e->attempts);
	for (i = 0; i < e->env.nrcpts; i++)
		FUZZ_CHECK(strpbrk(e->env.rcpts[i], "\r\n") == NULL,
		    "rcpt %zu has a line break", i);
	/* A failed attempt, as the flush records it. */
	e->attempts++;
	FUZZ_CHECK(queue_update(dir, e, &f) == 0, "update: %s", f.text);
	FUZZ_CHECK(queue_list(dir, 0, &v2, &n2, &f) == 0, "list: %s", f.text);
	FUZZ_CHECK(n2 == 1, "%s", "the entry vanished after an update");
	FUZZ_CHECK(v2[0].attempts == (e->attempts > QUEUE_ATTEMPTS_MAX ?
	    QUEUE_ATTEMPTS_MAX : e->attempts), "attempts %d, want %d",
	    v2[0].attempts, e->attempts);
	snprintf(path, sizeof(path), "%s/%s.env", dir, ID);
	FUZZ_CHECK(queue_update(dir, &v2[0], &f) == 0, "update: %s", f.text);
	one = slurp(path, &l1);
	FUZZ_CHECK(queue_list(dir, 0, &v3, &n3, &f) == 0 && n3 == 1, "%s",
	    "list");
	FUZZ_CHECK(queue_update(dir, &v3[0], &f) == 0, "update: %s", f.text);
	two = slurp(path, &l2);
	FUZZ_CHECK(l1 == l2 && memcmp(one, two, l1) == 0, "%s",
	    "the rewritten file is not a fixed point");
	check_same(&v2[0], &v3[0]);
	free(one);
	free(two);
	queue_entries_free(v2, n2);
	queue_entries_free(v3, n3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = qdir();
	struct queue_entry *v = NULL;
	struct failure f;
	char path[600];
	size_t n = 0;

	if (size > 64 * 1024)
		return 0;
	fuzz_clear_dir(dir);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	if (mkdir(path, 0700) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/%s.msg", dir, ID);
	fuzz_write_file(path, "Subject: x\n\nbody\n", 17);
	snprintf(path, sizeof(path), "%s/%s.env", dir, ID);
	fuzz_write_file(path, data, size);
	FUZZ_CHECK(queue_list(dir, 0, &v, &n, &f) == 0, "list: %s", f.text);
	FUZZ_CHECK(n <= 1, "%zu entries", n);
	if (n == 1)
		check_entry(dir, &v[0]);
	queue_entries_free(v, n);
	return 0;
}
