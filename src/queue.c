/*
 * queue.c — the durable local queue (see queue.h for the layout and the
 * entry format).
 *
 * Crash safety: every file is created under DIR/tmp with O_EXCL, written,
 * fsynced, renamed into place, and the directory fsynced; the .msg goes
 * first, the .env (which makes it an entry) last.  Removal unlinks the
 * .env first.  So at any instant an entry is absent or whole.
 *
 * What a removal must guarantee is weaker than what an addition must: a
 * removal that a crash undoes brings back an entry the server already
 * has, which is sent again (a duplicate), while an addition that a crash
 * undid would lose a message that was reported queued.  So an addition
 * is synced before it counts, every time; the removals of delivered
 * entries in a flush are synced once per batch (queue_sync()), which
 * saves a directory fsync, the costliest step of the flush, per message.
 * If a crash kept the .msg's unlink and lost the .env's (file systems
 * with a journal keep the order of the two; others may not), what is
 * left is an .env without its message, which cannot be sent and is
 * removed by queue_clean().
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "queue.h"
#include "xmalloc.h"

#define QUEUE_FORMAT "outbox-queue 1"
/* Copy block for the message. */
#define QUEUE_BLOCK 65536
/* Debris older than this is from a crash, not a write in progress. */
#define QUEUE_DEBRIS_AGE 3600
/* A state file is a few lines per recipient; this bounds a bad one. */
#define QUEUE_ENV_MAX (4 * 1024 * 1024)

int
queue_dir_resolve(const char *configured, char *buf, size_t bufsz,
    struct failure *f)
{
	const char *home = getenv("HOME"), *state = getenv("XDG_STATE_HOME");
	int n;

	if (configured != NULL && *configured != '\0') {
		if (strncmp(configured, "~/", 2) == 0) {
			if (home == NULL || *home == '\0')
				return failure_set(f, F_CONFIG, "queue-dir: "
				    "HOME is not set");
			n = snprintf(buf, bufsz, "%s/%s", home, configured + 2);
		} else
			n = snprintf(buf, bufsz, "%s", configured);
	} else if (geteuid() == 0)
		n = snprintf(buf, bufsz, "/var/spool/outbox");
	else if (state != NULL && *state == '/')
		n = snprintf(buf, bufsz, "%s/outbox/queue", state);
	else if (home != NULL && *home != '\0')
		n = snprintf(buf, bufsz, "%s/.local/state/outbox/queue", home);
	else
		return failure_set(f, F_CONFIG, "no queue directory: set "
		    "queue-dir or HOME");
	if (n < 0 || (size_t)n >= bufsz)
		return failure_set(f, F_CONFIG, "queue directory path too long");
	return 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int
queue_mkdirs(const char *path, struct failure *f)
{
	char tmp[PATH_MAX], *p;

	if (strlcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp))
		return failure_set(f, F_CANTCREAT, "%s: path too long", path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
			return failure_set(f, F_CANTCREAT, "%s: %s", tmp,
			    strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
		return failure_set(f, F_CANTCREAT, "%s: %s", tmp,
		    strerror(errno));
	return 0;
}

static int
queue_path(char *buf, size_t sz, const char *dir, const char *sub,
    const char *id, const char *ext, struct failure *f)
{
	int n;

	n = snprintf(buf, sz, "%s%s%s/%s%s", dir, sub ? "/" : "",
	    sub ? sub : "", id, ext);
	if (n < 0 || (size_t)n >= sz)
		return failure_set(f, F_CANTCREAT, "%s: path too long", dir);
	return 0;
}

/* The login name of uid, or its number, in buf. */
static const char *
queue_user(uid_t uid, char *buf, size_t sz)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		strlcpy(buf, pw->pw_name, sz);
	else
		snprintf(buf, sz, "%lu", (unsigned long)uid);
	return buf;
}

/*
 * Refuses a queue directory that someone else could have planted entries
 * in (a shared path another user made first): a flush would send them
 * through this user's session.  It must be a real directory (lstat: not
 * a symbolic link), owned by the effective user, writable by no one
 * else.  0 when it does not exist yet.  F_CONFIG naming the fix.
 */
static int
queue_trusted(const char *dir, struct failure *f)
{
	struct stat st;
	char who[64], me[64];

	if (lstat(dir, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return failure_set(f, F_CONFIG, "queue directory %s: %s", dir,
		    strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return failure_set(f, F_CONFIG, "queue directory %s is a "
		    "symbolic link; set queue-dir to a directory of your own",
		    dir);
	if (!S_ISDIR(st.st_mode))
		return failure_set(f, F_CONFIG, "queue directory %s is not a "
		    "directory", dir);
	if (st.st_uid != geteuid())
		return failure_set(f, F_CONFIG, "queue directory %s belongs "
		    "to %s, who could plant messages in it; move it away, or "
		    "if what it holds is yours, run chown -R %s %s", dir,
		    queue_user(st.st_uid, who, sizeof(who)),
		    queue_user(geteuid(), me, sizeof(me)), dir);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return failure_set(f, F_CONFIG, "queue directory %s is "
		    "writable by %s, who could plant messages in it; run "
		    "chmod 700 %s", dir, st.st_mode & S_IWOTH ? "others" :
		    "its group", dir);
	return 0;
}

/*
 * Opens an entry's file for reading: a regular file (not a symbolic
 * link: O_NOFOLLOW) owned by the effective user, else NULL (errno
 * EPERM for a stranger's or a special file).  *st gets its status.
 */
static FILE *
queue_open_own(const char *path, struct stat *st)
{
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) ||
	    st->st_uid != geteuid()) {
		close(fd);
		errno = EPERM;
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL)
		close(fd);
	return fp;
}

/* Creates the queue directory and its tmp/ and failed/. */
static int
queue_prepare(const char *dir, struct failure *f)
{
	char p[PATH_MAX];

	if (queue_trusted(dir, f) == -1 || queue_mkdirs(dir, f) == -1 ||
	    queue_trusted(dir, f) == -1)
		return -1;
	if (queue_path(p, sizeof(p), dir, NULL, "tmp", "", f) == -1 ||
	    (mkdir(p, 0700) == -1 && errno != EEXIST))
		return failure_set(f, F_CANTCREAT, "%s: %s", p,
		    strerror(errno));
	if (queue_path(p, sizeof(p), dir, NULL, "failed", "", f) == -1 ||
	    (mkdir(p, 0700) == -1 && errno != EEXIST))
		return failure_set(f, F_CANTCREAT, "%s: %s", p,
		    strerror(errno));
	return 0;
}

/*
 * Starts the file NAME in dir (or dir/sub) through DIR/tmp (atomic.h),
 * with a stdio stream on a duplicate of af->fd for the writing.
 */
static FILE *
queue_tmp_open(struct atomic_file *af, const char *dir, const char *sub,
    const char *name, struct failure *f)
{
	char tmpdir[PATH_MAX], ddir[PATH_MAX];
	FILE *fp;
	int fd;

	if (queue_path(tmpdir, sizeof(tmpdir), dir, NULL, "tmp", "", f) == -1)
		return NULL;
	if (sub == NULL ? strlcpy(ddir, dir, sizeof(ddir)) >= sizeof(ddir) :
	    queue_path(ddir, sizeof(ddir), dir, NULL, sub, "", f) == -1) {
		failure_set(f, F_CANTCREAT, "%s: path too long", dir);
		return NULL;
	}
	if (atomic_open_in(af, tmpdir, ddir, name, 0600, f) == -1)
		return NULL;
	if ((fd = fcntl(af->fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		failure_set(f, F_CANTCREAT, "%s: %s", af->tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		atomic_abort(af);
		return NULL;
	}
	return fp;
}

/*
 * Flushes and closes fp, then commits af (fsync, rename into place,
 * fsync of the directory).  Removes the temporary file on failure.
 */
static int
queue_commit(FILE *fp, struct atomic_file *af, struct failure *f)
{
	int err = 0;

	if (fflush(fp) == EOF || ferror(fp))
		err = errno ? errno : EIO;
	if (fclose(fp) == EOF && err == 0)
		err = errno;
	if (err != 0) {
		atomic_abort(af);
		return failure_set(f, F_IO, "writing the queue entry: %s",
		    strerror(err));
	}
	return atomic_commit(af, f);
}

/* One "key value" line, control characters made "?". */
static void
queue_put(FILE *fp, const char *key, const char *value)
{
	const char *p;

	if (value == NULL)
		return;
	fputs(key, fp);
	fputc(' ', fp);
	for (p = value; *p != '\0'; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, fp);
	fputc('\n', fp);
}

/*
 * The scalar keys of the .env file (queue.h), in the order they are
 * written; the reader and the writer are driven by this one table, so a
 * new key is one row.  rcpt and rcpt-ascii, a list of pairs, are written
 * after these and read apart.
 */
enum env_kind {
	ENV_TIME,	/* time_t, seconds */
	ENV_COUNT,	/* int >= 0, capped at QUEUE_ATTEMPTS_MAX when read */
	ENV_BIT,	/* int 0/1, always written */
	ENV_FLAG,	/* int 0/1, written only when 1 */
	ENV_CSTR	/* const char *, owned when read; written when not NULL */
};

static const struct env_key {
	const char *name;
	enum env_kind kind;
	size_t off;		/* offsetof(struct queue_entry, ...) */
} env_keys[] = {
	{ "created", ENV_TIME, offsetof(struct queue_entry, created) },
	{ "account", ENV_CSTR, offsetof(struct queue_entry, account) },
	{ "from", ENV_CSTR, offsetof(struct queue_entry, env.from) },
	{ "from-ascii", ENV_CSTR, offsetof(struct queue_entry,
	    env.from_ascii) },
	{ "eightbit", ENV_BIT, offsetof(struct queue_entry, env.eightbit) },
	{ "utf8-headers", ENV_FLAG, offsetof(struct queue_entry,
	    env.utf8_headers) },
	{ "dsn-notify", ENV_CSTR, offsetof(struct queue_entry,
	    env.dsn_notify) },
	{ "dsn-ret", ENV_CSTR, offsetof(struct queue_entry, env.dsn_ret) },
	{ "dsn-envid", ENV_CSTR, offsetof(struct queue_entry,
	    env.dsn_envid) },
	{ "dsn-required", ENV_FLAG, offsetof(struct queue_entry,
	    env.dsn_required) },
	{ "attempts", ENV_COUNT, offsetof(struct queue_entry, attempts) },
	{ "next", ENV_TIME, offsetof(struct queue_entry, next) },
	{ "last-reply", ENV_CSTR, offsetof(struct queue_entry,
	    last_reply) },
};
#define NENV_KEYS (sizeof(env_keys) / sizeof(env_keys[0]))

/* The field of e at off, as type. */
#define ENV_FIELD(e, off, type) \
	((type *)(void *)((char *)(uintptr_t)(e) + (off)))

static void
queue_write_env(FILE *fp, const struct queue_entry *e)
{
	const struct smtp_envelope *env = &e->env;
	const struct env_key *k;
	size_t i;
	int bit;

	fprintf(fp, "%s\n", QUEUE_FORMAT);
	for (k = env_keys; k < env_keys + NENV_KEYS; k++) {
		switch (k->kind) {
		case ENV_TIME:
			fprintf(fp, "%s %lld\n", k->name,
			    (long long)*ENV_FIELD(e, k->off, time_t));
			break;
		case ENV_COUNT:
			fprintf(fp, "%s %d\n", k->name,
			    *ENV_FIELD(e, k->off, int));
			break;
		case ENV_BIT:
		case ENV_FLAG:
			bit = *ENV_FIELD(e, k->off, int) != 0;
			if (bit || k->kind == ENV_BIT)
				fprintf(fp, "%s %d\n", k->name, bit);
			break;
		case ENV_CSTR:
			queue_put(fp, k->name,
			    *ENV_FIELD(e, k->off, const char *));
			break;
		}
	}
	for (i = 0; i < env->nrcpts; i++) {
		queue_put(fp, "rcpt", env->rcpts[i]);
		if (env->rcpts_ascii != NULL)
			queue_put(fp, "rcpt-ascii", env->rcpts_ascii[i]);
	}
	fputs("end\n", fp);
}

/* Writes e's .env into dir (or dir/failed) atomically. */
static int
queue_env_commit(const char *dir, const char *sub,
    const struct queue_entry *e, struct failure *f)
{
	struct atomic_file af;
	char name[NAME_MAX + 1];
	FILE *fp;

	snprintf(name, sizeof(name), "%s.env", e->id);
	if ((fp = queue_tmp_open(&af, dir, sub, name, f)) == NULL)
		return -1;
	/* The in-flight mark goes with the entry (queue.h). */
	if (e->sending && fchmod(af.fd, 0700) == -1) {
		failure_set(f, F_IO, "%s: %s", af.tmp, strerror(errno));
		fclose(fp);
		atomic_abort(&af);
		return -1;
	}
	queue_write_env(fp, e);
	return queue_commit(fp, &af, f);
}

/* Copies msg from its start into fp. */
static int
queue_copy(FILE *msg, FILE *fp, struct failure *f)
{
	char *buf;
	size_t n;
	int rc = 0;

	if (fseeko(msg, 0, SEEK_SET) == -1)
		return failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
	buf = xmalloc(QUEUE_BLOCK);
	while ((n = fread(buf, 1, QUEUE_BLOCK, msg)) > 0)
		if (fwrite(buf, 1, n, fp) != n) {
			rc = failure_set(f, F_IO, "writing the queue entry: %s",
			    strerror(errno));
			break;
		}
	if (rc == 0 && ferror(msg))
		rc = failure_set(f, F_IO, "reading the message: %s",
		    strerror(errno));
	free(buf);
	rewind(msg);
	return rc;
}

static void
queue_new_id(char *id, size_t sz, time_t now)
{
	struct tm tm;
	char stamp[32];

	char rnd[16];

	gmtime_r(&now, &tm);
	if (strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0)
		stamp[0] = '\0';
	snprintf(rnd, sizeof(rnd), "-%08x", arc4random());
	strlcpy(id, stamp, sz);
	strlcat(id, rnd, sz);
}

int
queue_add(const char *dir, const struct queue_entry *in, FILE *msg,
    char *id, struct failure *f)
{
	char dst[PATH_MAX], env[PATH_MAX], name[NAME_MAX + 1];
	struct queue_entry w = *in, *e = &w;
	const char *sub = in->failed ? "failed" : NULL;
	struct atomic_file af;
	FILE *fp;
	int i;

	if (queue_prepare(dir, f) == -1)
		return -1;
	e->created = e->next = time(NULL);
	e->attempts = 0;
	e->sending = 0;
	/* A fresh id; O_EXCL on the .msg name catches the unlikely clash. */
	for (i = 0;; i++) {
		queue_new_id(e->id, sizeof(e->id), e->created);
		if (queue_path(dst, sizeof(dst), dir, sub, e->id, ".msg",
		    f) == -1 || queue_path(env, sizeof(env), dir, sub, e->id,
		    ".env", f) == -1)
			return -1;
		if (access(dst, F_OK) == -1 && access(env, F_OK) == -1)
			break;
		if (i > 8)
			return failure_set(f, F_CANTCREAT, "%s: no free "
			    "queue id", dir);
	}
	snprintf(name, sizeof(name), "%s.msg", e->id);
	if ((fp = queue_tmp_open(&af, dir, sub, name, f)) == NULL)
		return -1;
	if (queue_copy(msg, fp, f) == -1) {
		fclose(fp);
		atomic_abort(&af);
		return -1;
	}
	if (queue_commit(fp, &af, f) == -1)
		return -1;
	if (queue_env_commit(dir, sub, e, f) == -1) {
		unlink(dst);
		return -1;
	}
	strlcpy(id, e->id, QUEUE_ID_MAX);
	return 0;
}

int
queue_lock(const char *dir, int wait, struct failure *f)
{
	char path[PATH_MAX];
	int fd;

	if (queue_prepare(dir, f) == -1 ||
	    queue_path(path, sizeof(path), dir, NULL, "lock", "", f) == -1)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return failure_set(f, F_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	/* flock: released by the kernel however the holder dies. */
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			close(fd);
			return -2;
		}
		failure_set(f, F_CANTCREAT, "%s: flock: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 when s can be an id: letters, digits, "-", no dots or slashes. */
static int
queue_id_ok(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
	return n > 0 && n < QUEUE_ID_MAX;
}

/* Frees what a loaded entry's envelope points to (const there). */
static void
queue_free_const(const void *p)
{
	free((void *)(uintptr_t)p);
}

/* Frees the envelope's recipients (both forms) and their arrays. */
static void
queue_free_rcpts(struct smtp_envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++) {
		queue_free_const(env->rcpts[i]);
		if (env->rcpts_ascii != NULL)
			queue_free_const(env->rcpts_ascii[i]);
	}
	queue_free_const(env->rcpts);
	queue_free_const(env->rcpts_ascii);
	env->rcpts = env->rcpts_ascii = NULL;
	env->nrcpts = 0;
}

void
queue_entry_free(struct queue_entry *e)
{
	struct smtp_envelope *env = &e->env;

	queue_free_rcpts(env);
	queue_free_const(env->from);
	queue_free_const(env->from_ascii);
	queue_free_const(env->dsn_notify);
	queue_free_const(env->dsn_ret);
	queue_free_const(env->dsn_envid);
	queue_free_const(e->account);
	queue_free_const(e->last_reply);
	free(e->subject);
	memset(e, 0, sizeof(*e));
}

void
queue_entry_keep(struct queue_entry *e, const int *keep)
{
	struct smtp_envelope *env = &e->env;
	const char **nr, **na;
	size_t i, o;

	nr = xcalloc(env->nrcpts ? env->nrcpts : 1, sizeof(*nr));
	na = xcalloc(env->nrcpts ? env->nrcpts : 1, sizeof(*na));
	for (i = 0, o = 0; i < env->nrcpts; i++) {
		if (keep[i]) {
			nr[o] = env->rcpts[i];
			na[o++] = env->rcpts_ascii ? env->rcpts_ascii[i] : NULL;
		} else {
			queue_free_const(env->rcpts[i]);
			if (env->rcpts_ascii != NULL)
				queue_free_const(env->rcpts_ascii[i]);
		}
	}
	queue_free_const(env->rcpts);
	queue_free_const(env->rcpts_ascii);
	env->rcpts = nr;
	env->rcpts_ascii = na;
	env->nrcpts = o;
}

void
queue_entry_set_rcpts(struct queue_entry *e, char **rcpts, char **ascii,
    size_t n)
{
	struct smtp_envelope *env = &e->env;

	queue_free_rcpts(env);
	env->rcpts = (const char *const *)rcpts;
	env->rcpts_ascii = (const char *const *)ascii;
	env->nrcpts = n;
}

void
queue_entries_free(struct queue_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		queue_entry_free(&v[i]);
	free(v);
}

static long long
queue_num(const char *s)
{
	const char *errstr;
	long long v = strtonum(s, 0, LLONG_MAX, &errstr);

	return errstr != NULL ? -1 : v;
}

static const struct env_key *
queue_env_key(const char *name)
{
	size_t i;

	for (i = 0; i < NENV_KEYS; i++)
		if (strcmp(env_keys[i].name, name) == 0)
			return &env_keys[i];
	return NULL;
}

/* Stores val into e's field for k.  -1 for a bad number. */
static int
queue_env_set(struct queue_entry *e, const struct env_key *k,
    const char *val)
{
	long long num = 0;

	if (k->kind == ENV_TIME || k->kind == ENV_COUNT ||
	    k->kind == ENV_BIT || k->kind == ENV_FLAG) {
		if ((num = queue_num(val)) < 0)
			return -1;
	}
	switch (k->kind) {
	case ENV_TIME:
		*ENV_FIELD(e, k->off, time_t) = (time_t)num;
		break;
	case ENV_COUNT:
		/* Capped so that counting one more never overflows. */
		*ENV_FIELD(e, k->off, int) = num > QUEUE_ATTEMPTS_MAX ?
		    QUEUE_ATTEMPTS_MAX : (int)num;
		break;
	case ENV_BIT:
	case ENV_FLAG:
		*ENV_FIELD(e, k->off, int) = num != 0;
		break;
	case ENV_CSTR:
		queue_free_const(*ENV_FIELD(e, k->off, const char *));
		*ENV_FIELD(e, k->off, const char *) = xstrdup(val);
		break;
	}
	return 0;
}

static int
queue_has_ctl(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Parses one .env file into e.  -1 when it is not a whole entry. */
static int
queue_read_env(FILE *fp, struct queue_entry *e)
{
	struct smtp_envelope *env = &e->env;
	const char **rv = NULL, **av = NULL;
	char *line = NULL, *val;
	size_t cap = 0, len, nr = 0;
	ssize_t n;
	const struct env_key *k;
	int first = 1, end = 0, bad = 0;

	while (!end && !bad && (n = getline(&line, &cap, fp)) > 0) {
		len = (size_t)n;
		if (line[len - 1] != '\n') {
			bad = 1;
			break;
		}
		line[--len] = '\0';
		/* The writer makes control characters "?": a CR, NUL or
		 * other control here is damage (or a plant), refused. */
		if (queue_has_ctl(line, len)) {
			bad = 1;
			break;
		}
		if (first) {
			bad = strcmp(line, QUEUE_FORMAT) != 0;
			first = 0;
			continue;
		}
		if (strcmp(line, "end") == 0) {
			end = 1;
			break;
		}
		if ((val = strchr(line, ' ')) == NULL) {
			bad = 1;
			break;
		}
		*val++ = '\0';
		if ((k = queue_env_key(line)) != NULL) {
			if (queue_env_set(e, k, val) == -1) {
				bad = 1;
				break;
			}
		}		else if (strcmp(line, "rcpt") == 0) {
			rv = xreallocarray(rv, nr + 1, sizeof(*rv));
			av = xreallocarray(av, nr + 1, sizeof(*av));
			rv[nr] = xstrdup(val);
			av[nr++] = NULL;
		} else if (strcmp(line, "rcpt-ascii") == 0 && nr > 0 &&
		    av[nr - 1] == NULL)
			av[nr - 1] = xstrdup(val);
		/* Unknown keys: from a newer outbox; ignored. */
	}
	free(line);
	env->rcpts = rv;
	env->rcpts_ascii = av;
	env->nrcpts = nr;
	if (!end || bad || env->from == NULL || ferror(fp))
		return -1;
	return 0;
}

/* Loads the entry id from dir (or dir/failed). */
static int
queue_load(const char *dir, const char *sub, const char *id,
    struct queue_entry *e)
{
	char path[PATH_MAX];
	struct stat st;
	FILE *fp;
	int rc;

	memset(e, 0, sizeof(*e));
	if (queue_path(path, sizeof(path), dir, sub, id, ".env", NULL) == -1)
		return -1;
	/* A planted or linked entry is never read (see queue_trusted()). */
	if ((fp = queue_open_own(path, &st)) == NULL)
		return -1;
	if (st.st_size > QUEUE_ENV_MAX) {
		fclose(fp);
		return -1;
	}
	rc = queue_read_env(fp, e);
	fclose(fp);
	strlcpy(e->id, id, sizeof(e->id));
	e->failed = sub != NULL;
	e->sending = (st.st_mode & S_IXUSR) != 0;
	if (rc == 0 && queue_path(path, sizeof(path), dir, sub, id, ".msg",
	    NULL) == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid())
		e->size = st.st_size;
	else
		rc = -1;
	if (rc == -1)
		queue_entry_free(e);
	return rc;
}

static int
queue_cmp(const void *a, const void *b)
{
	const struct queue_entry *x = a, *y = b;

	if (x->failed != y->failed)
		return x->failed - y->failed;
	return strcmp(x->id, y->id);
}

/* Adds the entries of dir (or dir/failed) to *vp. */
static int
queue_scan(const char *dir, const char *sub, struct queue_entry **vp,
    size_t *np, struct failure *f)
{
	char path[PATH_MAX], id[QUEUE_ID_MAX];
	struct dirent *de;
	size_t len;
	DIR *d;

	if (sub != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
	else
		strlcpy(path, dir, sizeof(path));
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return failure_set(f, F_IO, "%s: %s", path, strerror(errno));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || len - 4 >= sizeof(id) ||
		    strcmp(de->d_name + len - 4, ".env") != 0)
			continue;
		memcpy(id, de->d_name, len - 4);
		id[len - 4] = '\0';
		if (!queue_id_ok(id))
			continue;
		*vp = xreallocarray(*vp, *np + 1, sizeof(**vp));
		if (queue_load(dir, sub, id, &(*vp)[*np]) == 0)
			(*np)++;
	}
	if (errno != 0) {
		failure_set(f, F_IO, "%s: %s", path, strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

int
queue_list(const char *dir, int failed, struct queue_entry **vp,
    size_t *np, struct failure *f)
{
	*vp = NULL;
	*np = 0;
	if (queue_trusted(dir, f) == -1)
		return -1;
	if (queue_scan(dir, NULL, vp, np, f) == -1 ||
	    (failed && queue_scan(dir, "failed", vp, np, f) == -1)) {
		queue_entries_free(*vp, *np);
		*vp = NULL;
		*np = 0;
		return -1;
	}
	if (*np > 1)
		qsort(*vp, *np, sizeof(**vp), queue_cmp);
	return 0;
}

int
queue_pending(const char *dir)
{
	struct dirent *de;
	size_t len;
	DIR *d;
	int any = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!any && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		any = len > 4 && strcmp(de->d_name + len - 4, ".env") == 0;
	}
	closedir(d);
	return any;
}

FILE *
queue_open_msg(const char *dir, const struct queue_entry *e,
    struct failure *f)
{
	char path[PATH_MAX];
	struct stat st;
	FILE *fp;

	if (queue_path(path, sizeof(path), dir, e->failed ? "failed" : NULL,
	    e->id, ".msg", f) == -1)
		return NULL;
	if ((fp = queue_open_own(path, &st)) == NULL)
		failure_set(f, F_IO, "%s: %s", path, errno == ELOOP ||
		    errno == EPERM ? "not a regular file of yours" :
		    strerror(errno));
	return fp;
}

int
queue_update(const char *dir, const struct queue_entry *e,
    struct failure *f)
{
	return queue_env_commit(dir, e->failed ? "failed" : NULL, e, f);
}

int
queue_fail(const char *dir, const struct queue_entry *in, int keep,
    struct failure *f)
{
	char src[PATH_MAX], dst[PATH_MAX], fdir[PATH_MAX];
	struct queue_entry w = *in, *e = &w;

	/* Its outcome is recorded: a failed entry is never in flight. */
	w.sending = 0;

	if (queue_prepare(dir, f) == -1 ||
	    queue_path(src, sizeof(src), dir, NULL, e->id, ".msg", f) == -1 ||
	    queue_path(dst, sizeof(dst), dir, "failed", e->id, ".msg",
	    f) == -1)
		return -1;
	snprintf(fdir, sizeof(fdir), "%s/failed", dir);
	/* A hard link: the message is never absent from both places. */
	if (link(src, dst) == -1 && errno != EEXIST)
		return failure_set(f, F_IO, "%s: %s", dst, strerror(errno));
	if (atomic_fsync_dir(fdir, f) == -1 ||
	    queue_env_commit(dir, "failed", e, f) == -1)
		return -1;
	if (keep)
		return 0;
	return queue_remove(dir, in, f);
}

int
queue_unfail(const char *dir, const struct queue_entry *e, struct failure *f)
{
	struct queue_entry w = *e;
	char src[PATH_MAX], dst[PATH_MAX];

	if (!e->failed)
		return 0;
	if (queue_prepare(dir, f) == -1 ||
	    queue_path(src, sizeof(src), dir, "failed", e->id, ".msg",
	    f) == -1 ||
	    queue_path(dst, sizeof(dst), dir, NULL, e->id, ".msg", f) == -1)
		return -1;
	/* A hard link, as queue_fail(): never absent from both places. */
	if (link(src, dst) == -1 && errno != EEXIST)
		return failure_set(f, F_IO, "%s: %s", dst, strerror(errno));
	if (atomic_fsync_dir(dir, f) == -1)
		return -1;
	/* A fresh start: due now, and queue-max-age counts from now. */
	w.failed = 0;
	w.sending = 0;
	w.attempts = 0;
	w.created = w.next = time(NULL);
	if (queue_env_commit(dir, NULL, &w, f) == -1)
		return -1;
	return queue_remove(dir, e, f);
}

/*
 * Unlinks e's .env, then its .msg; with sync the directory is fsynced
 * at the end.  The in-flight mark is part of the .env and goes with it.
 */
static int
queue_unlink_entry(const char *dir, const struct queue_entry *e, int sync,
    struct failure *f)
{
	char path[PATH_MAX], ddir[PATH_MAX];
	const char *sub = e->failed ? "failed" : NULL;

	if (sub != NULL)
		snprintf(ddir, sizeof(ddir), "%s/%s", dir, sub);
	else
		strlcpy(ddir, dir, sizeof(ddir));
	if (queue_path(path, sizeof(path), dir, sub, e->id, ".env", f) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT)
		return failure_set(f, F_IO, "%s: %s", path, strerror(errno));
	if (queue_path(path, sizeof(path), dir, sub, e->id, ".msg", f) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT)
		return failure_set(f, F_IO, "%s: %s", path, strerror(errno));
	return sync ? atomic_fsync_dir(ddir, f) : 0;
}

int
queue_remove(const char *dir, const struct queue_entry *e,
    struct failure *f)
{
	return queue_unlink_entry(dir, e, 1, f);
}

int
queue_remove_unsynced(const char *dir, const struct queue_entry *e,
    struct failure *f)
{
	return queue_unlink_entry(dir, e, 0, f);
}

int
queue_sync(const char *dir, struct failure *f)
{
	return atomic_fsync_dir(dir, f);
}

int
queue_drop(const char *dir, const char *id, struct failure *f)
{
	struct queue_entry e;
	char path[PATH_MAX];
	int i;

	if (!queue_id_ok(id))
		return failure_set(f, F_DATA, "\"%s\" is not a queue id", id);
	for (i = 0; i < 2; i++) {
		memset(&e, 0, sizeof(e));
		strlcpy(e.id, id, sizeof(e.id));
		e.failed = i;
		if (queue_path(path, sizeof(path), dir, i ? "failed" : NULL,
		    id, ".env", f) == -1)
			return -1;
		if (access(path, F_OK) == 0)
			return queue_remove(dir, &e, f);
	}
	return failure_set(f, F_NOINPUT, "no queue entry %s in %s", id, dir);
}

/* dir + "/" + the first n bytes of name + ext, checked for room. */
static int
queue_join(char *buf, size_t sz, const char *dir, const char *name,
    size_t n, const char *ext)
{
	size_t d = strlen(dir), e = strlen(ext);

	if (d + 1 + n + e + 1 > sz)
		return -1;
	memcpy(buf, dir, d);
	buf[d] = '/';
	memcpy(buf + d + 1, name, n);
	memcpy(buf + d + 1 + n, ext, e + 1);
	return 0;
}

int
queue_mark_sending(const char *dir, const char *id, int on)
{
	char path[PATH_MAX];

	if (queue_path(path, sizeof(path), dir, NULL, id, ".env",
	    NULL) == -1)
		return -1;
	/*
	 * One metadata change of the entry's own file (queue.h).  chmod
	 * follows a symbolic link, but the .env of an entry being sent was
	 * just read through O_NOFOLLOW under the lock, in a directory only
	 * its owner can write (queue_trusted()).
	 */
	if (chmod(path, on ? 0700 : 0600) == -1)
		return !on && errno == ENOENT ? 0 : -1;
	return 0;
}

int
queue_was_sending(const char *dir, const char *id)
{
	char path[PATH_MAX];
	struct stat st;

	return queue_path(path, sizeof(path), dir, NULL, id, ".env",
	    NULL) == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IXUSR) != 0;
}

/* 1 when name ends in ext (and has a stem before it); *stem its length. */
static int
queue_ends(const char *name, size_t len, const char *ext, size_t *stem)
{
	size_t n = strlen(ext);

	if (len <= n || strcmp(name + len - n, ext) != 0)
		return 0;
	*stem = len - n;
	return 1;
}

/*
 * Removes old files in d matching: every file (tmp), or a .msg or
 * .sending whose entry (.env) is gone, or an .env whose .msg is gone (a
 * removal half undone by a crash, see above: it cannot be sent).  An
 * older version's ID.sending beside its .env becomes the .env's mark.
 */
static void
queue_clean_dir(const char *dir, const char *sub, int orphans, time_t now)
{
	char path[PATH_MAX], other[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t len, stem;
	DIR *d;

	if (sub != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
	else
		strlcpy(path, dir, sizeof(path));
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/* tmp/ holds atomic.c's ".NAME.tmp-X" files. */
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (orphans && de->d_name[0] == '.'))
			continue;
		len = strlen(de->d_name);
		if (orphans) {
			const char *partner;
			int legacy = 0;

			if (queue_ends(de->d_name, len, ".msg", &stem))
				partner = ".env";
			else if (queue_ends(de->d_name, len, ".env", &stem))
				partner = ".msg";
			else if (queue_ends(de->d_name, len, ".sending",
			    &stem)) {
				partner = ".env";
				legacy = 1;
			} else
				continue;
			if (queue_join(other, sizeof(other), path, de->d_name,
			    stem, partner) == -1)
				continue;
			if (access(other, F_OK) == 0) {
				if (!legacy || chmod(other, 0700) == -1 ||
				    queue_join(other, sizeof(other), path,
				    de->d_name, len, "") == -1)
					continue;
				unlink(other);
				continue;
			}
		}
		if (queue_join(other, sizeof(other), path, de->d_name, len,
		    "") == -1)
			continue;
		if (lstat(other, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > QUEUE_DEBRIS_AGE)
			unlink(other);
	}
	closedir(d);
}

void
queue_clean(const char *dir)
{
	time_t now = time(NULL);

	queue_clean_dir(dir, "tmp", 0, now);
	queue_clean_dir(dir, NULL, 1, now);
	queue_clean_dir(dir, "failed", 1, now);
}

time_t
queue_backoff(int n)
{
	static const time_t steps[] = { 60, 5 * 60, 15 * 60, 60 * 60 };
	size_t nsteps = sizeof(steps) / sizeof(steps[0]);

	if (n < 1)
		return 0;
	return (size_t)n <= nsteps ? steps[n - 1] : steps[nsteps - 1];
}
