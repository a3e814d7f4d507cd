/*
 * maildrop.c — the system maildrop (see maildrop.h): a local user's
 * message handed to root's flush through a sticky, unlistable directory.
 *
 * Trust: the file's owner (st_uid) is the only thing believed about its
 * sender; the envelope sender is made from it, never read from the
 * file.  Everything else in the file is checked as hostile input:
 * opened without following links, a regular file with one link (no
 * hard link to another user's file), a size cap, bounded lines.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "maildrop.h"
#include "recipients.h"
#include "sendmail_msg.h"
#include "spool.h"
#include "xmalloc.h"

#define MAILDROP_MAGIC "outbox-maildrop 1"
#define MAILDROP_TMP ".tmp-"
/* Envelope lines: "rcpt " and an address of at most 320 octets. */
#define MAILDROP_LINE_MAX 400
/* A temporary file this old is a crashed writer's. */
#define MAILDROP_TMP_AGE 3600
#define MAILDROP_REJECTED "maildrop-rejected"

int
maildrop_config_unreadable(const char *path)
{
	int fd;

	if (path == NULL)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) != -1) {
		close(fd);
		return 0;
	}
	return errno == EACCES;
}

int
maildrop_bare_name(const char *name)
{
	size_t n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._+-");

	return n > 0 && n <= 64 && name[n] == '\0' && name[0] != '-' &&
	    name[0] != '.';
}

static void
maildrop_new_id(char *id)
{
	struct tm tm;
	time_t now = time(NULL);
	char stamp[16];		/* YYYYMMDDTHHMMSS */

	gmtime_r(&now, &tm);
	if (strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0)
		stamp[0] = '\0';
	snprintf(id, QUEUE_ID_MAX, "%.15s-%08x", stamp, arc4random());
}

static int
maildrop_write(FILE *out, FILE *msg, const char *const *rcpts, size_t n)
{
	char buf[65536];
	size_t i, k;

	if (fprintf(out, "%s\n", MAILDROP_MAGIC) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (fprintf(out, "rcpt %s\n", rcpts[i]) < 0)
			return -1;
	if (fputs("end\n", out) == EOF)
		return -1;
	rewind(msg);
	while ((k = fread(buf, 1, sizeof(buf), msg)) > 0)
		if (fwrite(buf, 1, k, out) != k)
			return -1;
	if (ferror(msg) || fflush(out) == EOF || fsync(fileno(out)) == -1)
		return -1;
	return 0;
}

int
maildrop_put(const char *dir, FILE *msg, const char *const *rcpts,
    size_t nrcpts, char *id, struct failure *f)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	FILE *out;
	size_t i;
	int fd, dfd, e;

	for (i = 0; i < nrcpts; i++)
		if (strpbrk(rcpts[i], "\r\n") != NULL ||
		    strlen(rcpts[i]) > MAILDROP_LINE_MAX - 8)
			return failure_set(f, F_DATA, "recipient \"%s\" cannot "
			    "go to the system maildrop", rcpts[i]);
	maildrop_new_id(id);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s%s", dir, MAILDROP_TMP,
	    id) >= sizeof(tmp) || (size_t)snprintf(dst, sizeof(dst), "%s/%s",
	    dir, id) >= sizeof(dst))
		return failure_set(f, F_CANTCREAT, "%s: path too long", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0600);
	if (fd == -1)
		return failure_set(f, F_CANTCREAT, "the system maildrop %s: %s",
		    dir, strerror(errno));
	if ((out = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return failure_set(f, F_OS, "fdopen: %s", strerror(errno));
	}
	if (maildrop_write(out, msg, rcpts, nrcpts) == -1) {
		e = errno;
		fclose(out);
		unlink(tmp);
		return failure_set(f, F_IO, "writing to the system maildrop "
		    "%s: %s", dir, strerror(e));
	}
	if (fclose(out) == EOF) {
		e = errno;
		unlink(tmp);
		return failure_set(f, F_IO, "writing to the system maildrop "
		    "%s: %s", dir, strerror(e));
	}
	/* No replacing: the id is fresh, and a clash is an error. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) == -1 &&
	    (errno != EINVAL || rename(tmp, dst) == -1)) {
		e = errno;
		unlink(tmp);
		return failure_set(f, F_CANTCREAT, "the system maildrop %s: %s",
		    dir, strerror(e));
	}
	/*
	 * The directory cannot be opened to fsync it (mode 1733 lets
	 * nobody read it); the file itself is synced.  Best effort.
	 */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* The envelope lines at the start of the file into rcpts. */
static int
maildrop_read_env(FILE *fp, char ***rcpts, size_t *n, char *why, size_t whysz)
{
	char line[MAILDROP_LINE_MAX + 2];
	size_t len;
	int first = 1;

	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(why, whysz, "an envelope line is too long");
			return -1;
		}
		line[--len] = '\0';
		if (first) {
			if (strcmp(line, MAILDROP_MAGIC) != 0) {
				snprintf(why, whysz, "not a maildrop file");
				return -1;
			}
			first = 0;
			continue;
		}
		if (strcmp(line, "end") == 0)
			return *n > 0 ? 0 : (snprintf(why, whysz,
			    "no recipients"), -1);
		if (strncmp(line, "rcpt ", 5) != 0 ||
		    (!address_valid(line + 5) &&
		    !maildrop_bare_name(line + 5))) {
			snprintf(why, whysz, "a bad envelope line");
			return -1;
		}
		if (*n >= MAILDROP_RCPTS_MAX) {
			snprintf(why, whysz, "more than %d recipients",
			    MAILDROP_RCPTS_MAX);
			return -1;
		}
		*rcpts = xreallocarray(*rcpts, *n + 1, sizeof(**rcpts));
		(*rcpts)[(*n)++] = xstrdup(line + 5);
	}
	snprintf(why, whysz, "the envelope is cut short");
	return -1;
}

/* Opens name in dfd as an untrusted file; fills st.  -1: ev->why. */
static FILE *
maildrop_open(int dfd, const char *name, struct stat *st,
    struct maildrop_event *ev)
{
	struct passwd *pw;
	FILE *fp;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		snprintf(ev->why, sizeof(ev->why), "%s", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
		return NULL;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		snprintf(ev->why, sizeof(ev->why), "not a regular file");
		close(fd);
		return NULL;
	}
	if ((pw = getpwuid(st->st_uid)) != NULL)
		strlcpy(ev->user, pw->pw_name, sizeof(ev->user));
	else
		snprintf(ev->user, sizeof(ev->user), "uid %lu",
		    (unsigned long)st->st_uid);
	ev->size = (long long)st->st_size;
	if (pw == NULL)
		snprintf(ev->why, sizeof(ev->why), "its owner is no user");
	else if (st->st_nlink != 1)
		snprintf(ev->why, sizeof(ev->why), "it has %lu links",
		    (unsigned long)st->st_nlink);
	else if (st->st_size > MAILDROP_SIZE_MAX)
		snprintf(ev->why, sizeof(ev->why), "larger than %lld MiB",
		    MAILDROP_SIZE_MAX / (1024 * 1024));
	if (ev->why[0] != '\0' || (fp = fdopen(fd, "r")) == NULL) {
		if (ev->why[0] == '\0')
			snprintf(ev->why, sizeof(ev->why), "%s",
			    strerror(errno));
		close(fd);
		return NULL;
	}
	return fp;
}

/* The message of fp (after its envelope) into a spool, rewritten. */
static FILE *
maildrop_spool(FILE *fp, const struct config *cfg,
    const struct settings *set, const char *from, struct sendmail_msg *sm,
    struct maildrop_event *ev, struct failure *f)
{
	struct sendmail_add add;
	enum sendmail_rewrite mode;
	FILE *spool, *conv;

	if (sendmail_msg_read_header(fp, 1, sm, f) == -1 || sm->nfields == 0) {
		strlcpy(ev->why, sm->nfields == 0 && f->kind == F_NONE ?
		    "no header" : f->text, sizeof(ev->why));
		return NULL;
	}
	mode = set->from == NULL ? SM_REWRITE_NEVER :
	    sendmail_msg_rewrite_mode(config_get(cfg, set->account,
	    "from-rewrite"));
	if (sendmail_msg_rewrite_from(sm, mode, set->from, set->hostname,
	    f) == -1) {
		strlcpy(ev->why, f->text, sizeof(ev->why));
		return NULL;
	}
	memset(&add, 0, sizeof(add));
	add.from_addr = from;
	add.id_domain = set->hostname;
	if ((spool = spool_temp(f)) == NULL)
		return NULL;
	if (sendmail_msg_write(fp, 1, sm, &add, spool, f) == -1) {
		fclose(spool);
		return NULL;
	}
	if (sm->long_line == 0)
		return spool;
	if ((conv = spool_temp(f)) == NULL) {
		fclose(spool);
		return NULL;
	}
	if (sendmail_msg_fold_long(sm, spool, conv, f) == -1) {
		if (f->kind == F_DATA)
			strlcpy(ev->why, f->text, sizeof(ev->why));
		fclose(conv);
		conv = NULL;
	} else
		sm->eightbit_body = 0;
	fclose(spool);
	return conv;
}

/* The envelope sender for the owner: from-rewrite, or user@domain. */
static void
maildrop_sender(const struct config *cfg, const struct settings *set,
    const char *user, char *buf, size_t sz)
{
	struct address_list l = { 0 };
	struct failure ignore;
	enum sendmail_rewrite mode;

	mode = set->from == NULL ? SM_REWRITE_NEVER :
	    sendmail_msg_rewrite_mode(config_get(cfg, set->account,
	    "from-rewrite"));
	if (sendmail_msg_rewrites(mode, user, set->hostname) &&
	    address_parse_list(set->from, &l, &ignore) == 0 && l.n == 1) {
		strlcpy(buf, l.v[0].addr, sz);
		address_list_free(&l);
		return;
	}
	address_list_free(&l);
	snprintf(buf, sz, "%s@%s", user, set->default_domain &&
	    *set->default_domain ? set->default_domain : set->hostname);
}

/*
 * Bare names ("root", a cron MAILTO user) through the system's aliases
 * and default-domain; the list made unique.  -1 with ev->why.
 */
static int
maildrop_expand(const struct config *cfg, const struct settings *set,
    char ***rcpts, size_t *n, struct maildrop_event *ev, struct failure *f)
{
	struct address_list l = { 0 }, u = { 0 };
	size_t i;

	for (i = 0; i < *n; i++)
		if (recipients_expand(cfg, set, (*rcpts)[i], &l, f) == -1) {
			strlcpy(ev->why, f->text, sizeof(ev->why));
			address_list_free(&l);
			return -1;
		}
	for (i = 0; i < l.n; i++)
		recipients_add_unique(&u, l.v[i].addr);
	for (i = 0; i < *n; i++)
		free((*rcpts)[i]);
	free(*rcpts);
	*rcpts = xcalloc(u.n ? u.n : 1, sizeof(**rcpts));
	for (i = 0; i < u.n; i++)
		(*rcpts)[i] = xstrdup(u.v[i].addr);
	*n = u.n;
	address_list_free(&l);
	address_list_free(&u);
	return 0;
}

/*
 * One file: 0 taken, 1 rejected (ev->why), -1 the queue failed (the
 * file stays for the next flush).
 */
static int
maildrop_take(int dfd, const char *name, const char *qdir,
    const struct config *cfg, const struct settings *set,
    struct maildrop_event *ev, struct failure *f)
{
	struct sendmail_msg sm;
	struct queue_entry e;
	struct stat st;
	FILE *fp, *spool = NULL;
	char **rcpts = NULL;
	size_t n = 0, i;
	int rc = 1;

	memset(&sm, 0, sizeof(sm));
	strlcpy(ev->name, name, sizeof(ev->name));
	if ((fp = maildrop_open(dfd, name, &st, ev)) == NULL)
		return 1;
	if (maildrop_read_env(fp, &rcpts, &n, ev->why, sizeof(ev->why)) == 0) {
		maildrop_sender(cfg, set, ev->user, ev->from,
		    sizeof(ev->from));
		failure_clear(f);
		spool = maildrop_spool(fp, cfg, set, ev->from, &sm, ev, f);
	}
	if (spool != NULL && maildrop_expand(cfg, set, &rcpts, &n, ev,
	    f) == -1) {
		fclose(spool);
		spool = NULL;
	}
	if (spool != NULL) {
		memset(&e, 0, sizeof(e));
		e.account = (char *)(uintptr_t)set->account;
		e.env.from = ev->from;
		e.env.rcpts = (const char *const *)rcpts;
		e.env.nrcpts = n;
		e.env.eightbit = sm.eightbit_header || sm.eightbit_body;
		e.env.utf8_headers = sm.eightbit_header;
		rc = queue_add(qdir, &e, spool, e.id, f) == 0 ? 0 : -1;
		if (rc == 0) {
			strlcpy(ev->queue_id, e.id, sizeof(ev->queue_id));
			ev->nrcpts = n;
			if (unlinkat(dfd, name, 0) == -1) {
				/* Taken twice is worse than not removed:
				 * drop the new entry again. */
				(void)queue_remove(qdir, &e, f);
				rc = failure_set(f, F_IO, "maildrop %s: %s",
				    name, strerror(errno));
			}
		}
		fclose(spool);
	} else if (ev->why[0] == '\0') {
		/* No spool for a local reason: try again next time. */
		rc = -1;
	}
	fclose(fp);
	for (i = 0; i < n; i++)
		free(rcpts[i]);
	free(rcpts);
	sendmail_msg_free(&sm);
	return rc;
}

/* A rejected file out of the way, for root to look at. */
static void
maildrop_reject(int dfd, const char *name, const char *qdir)
{
	char rdir[PATH_MAX], dst[PATH_MAX];

	if ((size_t)snprintf(rdir, sizeof(rdir), "%s/%s", qdir,
	    MAILDROP_REJECTED) < sizeof(rdir) &&
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s", rdir, name) <
	    sizeof(dst) && (mkdir(rdir, 0700) == 0 || errno == EEXIST) &&
	    renameat(dfd, name, AT_FDCWD, dst) == 0)
		return;
	(void)unlinkat(dfd, name, 0);
}

static int
maildrop_is_id(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= QUEUE_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!(name[i] >= '0' && name[i] <= '9') &&
		    !(name[i] >= 'a' && name[i] <= 'f') && name[i] != 'T' &&
		    name[i] != '-')
			return 0;
	return 1;
}

int
maildrop_intake(const char *dir, const char *qdir, const struct config *cfg,
    const struct settings *set, struct maildrop_report *rep,
    struct failure *f)
{
	struct maildrop_event ev;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd, rc = 0, r;

	memset(rep, 0, sizeof(*rep));
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return failure_set(f, F_IO, "%s: %s", dir, strerror(errno));
	}
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			if (strncmp(de->d_name, MAILDROP_TMP,
			    strlen(MAILDROP_TMP)) == 0 &&
			    fstatat(dfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    st.st_mtime + MAILDROP_TMP_AGE < time(NULL))
				(void)unlinkat(dfd, de->d_name, 0);
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		if (!maildrop_is_id(de->d_name)) {
			strlcpy(ev.name, "?", sizeof(ev.name));
			snprintf(ev.why, sizeof(ev.why), "a name that is no "
			    "maildrop id");
			r = 1;
		} else
			r = maildrop_take(dfd, de->d_name, qdir, cfg, set, &ev,
			    f);
		if (r == -1) {
			rc = -1;
			break;
		}
		if (r == 1)
			maildrop_reject(dfd, de->d_name, qdir);
		rep->v = xreallocarray(rep->v, rep->n + 1, sizeof(*rep->v));
		rep->v[rep->n++] = ev;
		if (r == 0)
			rep->taken++;
		else
			rep->rejected++;
	}
	closedir(d);
	return rc;
}

void
maildrop_report_free(struct maildrop_report *rep)
{
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}
