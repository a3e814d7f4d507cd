/*
 * fetch.c — outbox --fetch: POP3 into a Maildir or mboxrd, never twice,
 * never losing one.
 *
 * The order that makes a kill at any moment safe: a message is written
 * to Maildir tmp/, fsynced, renamed into new/, and only once new/ is
 * fsynced (once per batch of up to FETCH_WINDOW messages) is its unique
 * id appended to the account's journal; the
 * journal is fsynced before any DELE, DELE is only sent for ids on disk,
 * and QUIT commits them (RFC 1939 section 6).  Before each rename a
 * "?UIDL PATH" journal line names the file to be, so a kill between the
 * rename and the id line is recognised too: a kill loses nothing and
 * re-fetches only a message that was not yet on disk.  At the end the journal is
 * folded into the state file, written tmp -> fsync -> rename -> fsync.
 *
 * Maildir: https://cr.yp.to/proto/maildir.html; mboxrd: ">" added before
 * every line matching ^>*From , the message followed by an empty line.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "atomic.h"
#include "encode.h"
#include "fetch.h"
#include "log.h"
#include "pop3.h"
#include "pop3acct.h"
#include "xmalloc.h"

/* RETRs in flight with PIPELINING: enough to fill the pipe, few enough
   that the commands never fill the server's receive buffer. */
#define FETCH_WINDOW 32
/* A header field kept for --list (Date, From, Subject), after unfolding. */
#define FETCH_FIELD_MAX 256
/* Tries, one second apart, to lock an mbox another program holds. */
#define FETCH_MBOX_LOCK_TRIES 10

/* The unique ids already fetched: a sorted array. */
struct fetch_seen {
	char **v;
	size_t n;
};

struct fetch_run {
	const struct pop3acct *set;
	char statedir[PATH_MAX];
	char state[PATH_MAX];		/* the state file */
	char journal[PATH_MAX];		/* ids appended since the last fold */
	int journal_fd;
	struct fetch_seen seen;
	struct pop3_session *pop;
	struct pop3_msg *msgs;
	size_t nmsgs;
	int have_uidl;
	char *fetched;			/* per message: 1 now on disk */
	size_t nnew, nold, nleft, ndeleted;
	size_t *unsettled;		/* renamed, new/ not yet fsynced */
	size_t nunsettled;
	int quit_ok;
	json_t *jdelivered;		/* file names, for --json */
	unsigned long seq;		/* Maildir name counter */
};

/* One message being delivered. */
struct fetch_out {
	FILE *fp;
	int fd;
	char tmp[PATH_MAX];
	char dst[PATH_MAX];
	int bol;			/* at the start of a line */
	char pre[16];			/* mboxrd: ">*From " prefix so far */
	size_t npre;
	int mbox;
	off_t mbox_start;
	const char *uidl;		/* the message's id, or NULL */
};

/* --- files ---------------------------------------------------------- */

/* mkdir -p with mode 0700 for what is made. */
static int
fetch_mkdirs(const char *path, struct failure *f)
{
	char buf[PATH_MAX], *p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return failure_set(f, F_CANTCREAT, "%s: too long", path);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0700) == -1 && errno != EEXIST)
				return failure_set(f, F_CANTCREAT,
				    "cannot make %s: %s", buf,
				    strerror(errno));
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	return 0;
}

/* $XDG_STATE_HOME/outbox, else ~/.local/state/outbox. */
static int
fetch_state_dir(char *buf, size_t sz, struct failure *f)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (x != NULL && x[0] == '/')
		n = snprintf(buf, sz, "%s/outbox", x);
	else if (home != NULL)
		n = snprintf(buf, sz, "%s/.local/state/outbox", home);
	else
		return failure_set(f, F_CANTCREAT, "no state directory: set "
		    "HOME or XDG_STATE_HOME");
	if (n < 0 || (size_t)n >= sz)
		return failure_set(f, F_CANTCREAT, "state directory: name "
		    "too long");
	return fetch_mkdirs(buf, f);
}

/*
 * A file-name-safe form of s: letters, digits and "-._@+=" kept, the
 * rest %XX; -1 when it does not fit.
 */
static int
fetch_safe(char *out, size_t sz, const char *s)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._@+=", c) != NULL) {
			if (o + 1 >= sz)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= sz)
				return -1;
			snprintf(out + o, 4, "%%%02X", c);
			o += 3;
		}
	}
	out[o] = '\0';
	return 0;
}

static int
fetch_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
fetch_seen_has(const struct fetch_seen *sn, const char *uidl)
{
	return sn->n > 0 && bsearch(&uidl, sn->v, sn->n, sizeof(*sn->v),
	    fetch_cmp) != NULL;
}

/*
 * A journal's "?UIDL PATH" line: the message was being renamed to PATH
 * (a Maildir new/ file) when the fetch ended.  It is on disk when PATH
 * exists, or its cur/ form (NAME:2,FLAGS: a mail reader saw it).
 */
static int
fetch_pending_exists(const char *path)
{
	struct stat st;
	char pat[PATH_MAX + 8], *slash;
	glob_t g;
	int found;

	if (stat(path, &st) == 0)
		return 1;
	if (strlcpy(pat, path, sizeof(pat)) >= sizeof(pat) ||
	    (slash = strrchr(pat, '/')) == NULL || slash - pat < 4 ||
	    strncmp(slash - 4, "/new", 4) != 0)
		return 0;
	memcpy(slash - 3, "cur", 3);
	if (strlcat(pat, ":*", sizeof(pat)) >= sizeof(pat))
		return 0;
	found = glob(pat, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g) == 0 &&
	    g.gl_pathc > 0;
	globfree(&g);
	return found;
}

/* Adds the id lines of path (missing: nothing) to sn, unsorted. */
static int
fetch_seen_read(struct fetch_seen *sn, const char *path, struct failure *f)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return failure_set(f, F_IO, "%s: %s", path, strerror(errno));
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		/* A kill mid-append leaves a short last line: still an id
		   of a message on disk, or at worst one never matched. */
		if (len == 0)
			continue;
		if (line[0] == '?') {
			char *sp = strchr(line, ' ');

			if (sp == NULL || !fetch_pending_exists(sp + 1))
				continue;
			*sp = '\0';
			memmove(line, line + 1, strlen(line));
		}
		sn->v = xreallocarray(sn->v, sn->n + 1, sizeof(*sn->v));
		sn->v[sn->n++] = xstrdup(line);
	}
	free(line);
	if (ferror(fp)) {
		fclose(fp);
		return failure_set(f, F_IO, "%s: read error", path);
	}
	fclose(fp);
	return 0;
}

static void
fetch_seen_free(struct fetch_seen *sn)
{
	size_t i;

	for (i = 0; i < sn->n; i++)
		free(sn->v[i]);
	free(sn->v);
	sn->v = NULL;
	sn->n = 0;
}

/*
 * Appends one id to the journal (fsynced later, before any DELE); with
 * pending, "?UIDL PENDING": the message is about to become that file.
 */
static int
fetch_journal_add(struct fetch_run *r, const char *uidl, const char *pending,
    struct failure *f)
{
	char *line;
	size_t len;
	ssize_t n;

	if (r->journal_fd == -1 && (r->journal_fd = open(r->journal,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		return failure_set(f, F_CANTCREAT, "%s: %s", r->journal,
		    strerror(errno));
	line = pending != NULL ? xasprintf("?%s %s\n", uidl, pending) :
	    xasprintf("%s\n", uidl);
	len = strlen(line);
	/* One write(2): a kill leaves the line whole or absent. */
	n = write(r->journal_fd, line, len);
	free(line);
	if (n != (ssize_t)len)
		return failure_set(f, F_IO, "%s: %s", r->journal,
		    n == -1 ? strerror(errno) : "short write");
	return 0;
}

static int
fetch_journal_sync(struct fetch_run *r, struct failure *f)
{
	if (r->journal_fd != -1 && fsync(r->journal_fd) == -1)
		return failure_set(f, F_IO, "fsync %s: %s", r->journal,
		    strerror(errno));
	return 0;
}

/*
 * The new state: the ids of the messages still on the server that are
 * on disk (ids of messages gone from the server are forgotten: RFC 1939
 * says a server does not reuse them), written tmp -> fsync -> rename,
 * then the journal goes.
 */
static int
fetch_state_write(struct fetch_run *r, struct failure *f)
{
	struct atomic_file af;
	const char *name = strrchr(r->state, '/') + 1;
	size_t i;

	if (atomic_open(&af, r->statedir, name, 0600, f) == -1)
		return -1;
	for (i = 0; i < r->nmsgs; i++) {
		const char *u = r->msgs[i].uidl;

		if (u == NULL || (!r->fetched[i] &&
		    !fetch_seen_has(&r->seen, u)))
			continue;
		if (r->quit_ok && r->set->delete)
			continue;	/* deleted on the server now */
		if (dprintf(af.fd, "%s\n", u) < 0) {
			int e = errno;

			atomic_abort(&af);
			return failure_set(f, F_IO, "%s: %s", r->state,
			    strerror(e));
		}
	}
	if (atomic_commit(&af, f) == -1)
		return -1;
	if (r->journal_fd != -1) {
		close(r->journal_fd);
		r->journal_fd = -1;
	}
	(void)unlink(r->journal);
	return 0;
}

/* --- delivery ------------------------------------------------------- */

static int
fetch_maildir_prepare(const char *dir, struct failure *f)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	char buf[PATH_MAX];
	size_t i;

	if (fetch_mkdirs(dir, f) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", dir,
		    subs[i]) >= sizeof(buf))
			return failure_set(f, F_CANTCREAT, "%s: name too long",
			    dir);
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return failure_set(f, F_CANTCREAT, "cannot make %s: "
			    "%s", buf, strerror(errno));
	}
	return 0;
}

/*
 * A Maildir name: TIME.PpidQseqRrand.HOST,U=UIDL — the id lets a
 * message fetched just before a kill be recognised by people and tools.
 */
static int
fetch_maildir_name(struct fetch_run *r, const char *uidl, char *name,
    size_t sz)
{
	char host[128], id[220];
	uint32_t rnd;
	size_t i;

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] == '/' || host[i] == ':' || host[i] == ',')
			host[i] = '_';
	arc4random_buf(&rnd, sizeof(rnd));
	if (uidl == NULL || fetch_safe(id, sizeof(id), uidl) == -1)
		id[0] = '\0';
	return snprintf(name, sz, "%lld.P%ldQ%luR%08x.%s%s%s",
	    (long long)time(NULL), (long)getpid(), ++r->seq, rnd, host,
	    id[0] ? ",U=" : "", id) >= (int)sz ? -1 : 0;
}

static int
fetch_open_maildir(struct fetch_run *r, const char *uidl,
    struct fetch_out *o, struct failure *f)
{
	char name[NAME_MAX];

	memset(o, 0, sizeof(*o));
	o->bol = 1;
	if (fetch_maildir_name(r, uidl, name, sizeof(name)) == -1 ||
	    (size_t)snprintf(o->tmp, sizeof(o->tmp), "%s/tmp/%s",
	    r->set->to, name) >= sizeof(o->tmp) ||
	    (size_t)snprintf(o->dst, sizeof(o->dst), "%s/new/%s",
	    r->set->to, name) >= sizeof(o->dst))
		return failure_set(f, F_CANTCREAT, "%s: name too long",
		    r->set->to);
	if ((o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		return failure_set(f, F_CANTCREAT, "%s: %s", o->tmp,
		    strerror(errno));
	if ((o->fp = fdopen(o->fd, "w")) == NULL) {
		close(o->fd);
		unlink(o->tmp);
		return failure_set(f, F_OS, "fdopen: %s", strerror(errno));
	}
	return 0;
}

/* Locks the mbox (fcntl, as mutt and mail(1) do) and opens it. */
static int
fetch_open_mbox(struct fetch_run *r, struct fetch_out *o, struct failure *f)
{
	struct flock fl;
	struct stat st;
	int i;

	memset(o, 0, sizeof(*o));
	o->bol = 1;
	o->mbox = 1;
	if ((o->fd = open(r->set->to, O_RDWR | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return failure_set(f, F_CANTCREAT, "%s: %s", r->set->to,
		    strerror(errno));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (i = 0; fcntl(o->fd, F_SETLK, &fl) == -1; i++) {
		if ((errno != EAGAIN && errno != EACCES) ||
		    i == FETCH_MBOX_LOCK_TRIES) {
			close(o->fd);
			return failure_set(f, F_TEMP, "%s: cannot lock it: %s",
			    r->set->to, strerror(errno));
		}
		sleep(1);
	}
	if (fstat(o->fd, &st) == -1 || (o->fp = fdopen(o->fd, "a")) == NULL) {
		close(o->fd);
		return failure_set(f, F_IO, "%s: %s", r->set->to,
		    strerror(errno));
	}
	o->mbox_start = st.st_size;
	return 0;
}

static int
fetch_put(struct fetch_out *o, const char *d, size_t len)
{
	return len == 0 || fwrite(d, 1, len, o->fp) == len ? 0 : -1;
}

/*
 * mboxrd quoting of one piece: at a line start, ">"s are held in pre[]
 * until the line shows whether it is ">*From "; pieces are rarely that
 * short, so this costs nothing in the usual case.
 */
static int
fetch_put_mbox(struct fetch_out *o, const char *d, size_t len, int eol)
{
	size_t i;

	for (i = 0; o->bol && i < len; i++) {
		const char *pat = "From ";
		size_t gt = strspn(o->pre, ">"), k = o->npre - gt;

		if (k == 0 && d[i] == '>' && o->npre + 1 < sizeof(o->pre)) {
			o->pre[o->npre++] = '>';
			o->pre[o->npre] = '\0';
			continue;
		}
		if (k < 5 && d[i] == pat[k]) {
			o->pre[o->npre++] = d[i];
			o->pre[o->npre] = '\0';
			if (k + 1 == 5) {
				/* A From line: one more ">". */
				if (fetch_put(o, ">", 1) == -1 ||
				    fetch_put(o, o->pre, o->npre) == -1)
					return -1;
				o->npre = 0;
				o->pre[0] = '\0';
				o->bol = 0;
			}
			continue;
		}
		if (fetch_put(o, o->pre, o->npre) == -1)
			return -1;
		o->npre = 0;
		o->pre[0] = '\0';
		o->bol = 0;
		break;
	}
	if (fetch_put(o, d + i, len - i) == -1)
		return -1;
	if (eol) {
		if (o->npre > 0 && fetch_put(o, o->pre, o->npre) == -1)
			return -1;
		o->npre = 0;
		o->pre[0] = '\0';
		o->bol = 1;
		return fetch_put(o, "\n", 1);
	}
	return 0;
}

/* The sink for RETR: CRLF became LF in pop3.c's pieces; add LF. */
static int
fetch_sink(void *arg, const char *d, size_t len, int eol, struct failure *f)
{
	struct fetch_out *o = arg;
	int rc;

	if (o->mbox)
		rc = fetch_put_mbox(o, d, len, eol);
	else
		rc = fetch_put(o, d, len) == -1 || (eol &&
		    fetch_put(o, "\n", 1) == -1) ? -1 : 0;
	if (rc == -1)
		return failure_set(f, F_IO, "writing %s: %s",
		    o->mbox ? "the mbox" : o->tmp, strerror(errno));
	return 0;
}

/* Gives up on a message: nothing of it stays. */
static void
fetch_out_abort(struct fetch_out *o)
{
	if (o->fp == NULL)
		return;
	if (o->mbox) {
		(void)fflush(o->fp);
		(void)ftruncate(o->fd, o->mbox_start);
	}
	fclose(o->fp);
	o->fp = NULL;
	if (!o->mbox)
		(void)unlink(o->tmp);
}

/* fsync, and for a Maildir rename into new/ and fsync new/. */
static int
fetch_out_commit(struct fetch_run *r, struct fetch_out *o, struct failure *f)
{
	int e;

	if ((o->mbox && fetch_put(o, "\n", 1) == -1) ||
	    fflush(o->fp) == EOF || fsync(o->fd) == -1) {
		e = errno;
		fetch_out_abort(o);
		return failure_set(f, F_IO, "writing %s: %s",
		    o->mbox ? r->set->to : o->tmp, strerror(e));
	}
	if (fclose(o->fp) == EOF) {
		e = errno;
		o->fp = NULL;
		if (!o->mbox)
			unlink(o->tmp);
		return failure_set(f, F_IO, "writing %s: %s",
		    o->mbox ? r->set->to : o->tmp, strerror(e));
	}
	o->fp = NULL;
	if (o->mbox)
		return 0;
	/* A kill between the rename and the id line: still recognised. */
	if (o->uidl != NULL &&
	    fetch_journal_add(r, o->uidl, o->dst, f) == -1) {
		unlink(o->tmp);
		return -1;
	}
	if (rename(o->tmp, o->dst) == -1) {
		e = errno;
		unlink(o->tmp);
		return failure_set(f, F_IO, "rename to %s: %s", o->dst,
		    strerror(e));
	}
	/* new/ is fsynced once per batch, before the ids are journaled. */
	return 0;
}

/*
 * Makes the batch of messages renamed into new/ durable (one fsync of
 * the directory), then journals their ids: an id is never recorded for
 * a rename a crash could still undo.
 */
static int
fetch_settle(struct fetch_run *r, struct failure *f)
{
	char newdir[PATH_MAX];
	size_t i;

	if (r->nunsettled == 0)
		return 0;
	if (!r->set->mbox) {
		if ((size_t)snprintf(newdir, sizeof(newdir), "%s/new",
		    r->set->to) >= sizeof(newdir))
			return failure_set(f, F_IO, "%s: name too long",
			    r->set->to);
		if (atomic_fsync_dir(newdir, f) == -1)
			return -1;
	}
	for (i = 0; i < r->nunsettled; i++) {
		const char *u = r->msgs[r->unsettled[i]].uidl;

		if (u != NULL && fetch_journal_add(r, u, NULL, f) == -1)
			return -1;
	}
	r->nunsettled = 0;
	return 0;
}

/* mboxrd's separator: "From MAILER-DAEMON <ctime date>". */
static int
fetch_mbox_from(struct fetch_out *o)
{
	char date[64];

	encode_date(time(NULL), ENCODE_DATE_CTIME, date, sizeof(date));
	return fprintf(o->fp, "From MAILER-DAEMON %s\n", date) < 0 ? -1 : 0;
}

/* --- the fetch ------------------------------------------------------ */

static int
fetch_wanted(const struct fetch_run *r, size_t i)
{
	const struct pop3_msg *m = &r->msgs[i];

	if (m->uidl != NULL && fetch_seen_has(&r->seen, m->uidl))
		return 0;
	if (r->set->max_size > 0 && m->size > r->set->max_size)
		return 0;
	return 1;
}

/* RETR message i into the target; on disk and journaled when 0. */
static int
fetch_one(struct fetch_run *r, size_t i, struct failure *f)
{
	struct fetch_out o;
	int rc;

	if (r->set->mbox) {
		if (fetch_open_mbox(r, &o, f) == -1)
			return -1;
		if (fetch_mbox_from(&o) == -1) {
			fetch_out_abort(&o);
			return failure_set(f, F_IO, "writing %s: %s",
			    r->set->to, strerror(errno));
		}
	} else if (fetch_open_maildir(r, r->msgs[i].uidl, &o, f) == -1)
		return -1;
	o.uidl = r->msgs[i].uidl;
	rc = pop3_read_retr(r->pop, fetch_sink, &o, f);
	if (rc == -1) {
		fetch_out_abort(&o);
		return -1;
	}
	if (fetch_out_commit(r, &o, f) == -1)
		return -1;
	r->fetched[i] = 1;
	r->nnew++;
	if (r->jdelivered != NULL)
		json_array_append_new(r->jdelivered, json_string(o.mbox ?
		    r->set->to : o.dst));
	r->unsettled[r->nunsettled++] = i;
	return 0;
}

/* Every wanted message, RETRs pipelined when the server allows it. */
static int
fetch_all(struct fetch_run *r, struct failure *f)
{
	size_t window = (pop3_caps(r->pop) & POP3_CAP_PIPELINING) ?
	    FETCH_WINDOW : 1;
	size_t *want, nwant = 0, sent = 0, done = 0, i;
	int rc = 0;

	want = xcalloc(r->nmsgs ? r->nmsgs : 1, sizeof(*want));
	for (i = 0; i < r->nmsgs; i++) {
		if (fetch_wanted(r, i))
			want[nwant++] = i;
		else if (r->msgs[i].uidl != NULL &&
		    fetch_seen_has(&r->seen, r->msgs[i].uidl))
			r->nold++;
		else
			r->nleft++;
	}
	r->unsettled = xcalloc(nwant ? nwant : 1, sizeof(*r->unsettled));
	while (done < nwant) {
		/* Refill the window when half of it is read: few writes. */
		if (sent - done <= window / 2) {
			while (sent < nwant && sent - done < window)
				if (pop3_send_retr(r->pop,
				    r->msgs[want[sent++]].num, -1, f) == -1) {
					rc = -1;
					goto out;
				}
			if (pop3_flush(r->pop, f) == -1) {
				rc = -1;
				goto out;
			}
		}
		if (fetch_one(r, want[done++], f) == -1 ||
		    (r->nunsettled >= FETCH_WINDOW &&
		    fetch_settle(r, f) == -1)) {
			rc = -1;
			goto out;
		}
	}
	rc = fetch_settle(r, f);
out:
	if (rc == -1) {
		struct failure ignore;

		/* What is on disk still counts (the "?" lines cover it). */
		(void)fetch_settle(r, &ignore);
	}
	free(want);
	return rc;
}

/* DELE for every message on disk (now or before), then QUIT. */
static int
fetch_delete(struct fetch_run *r, struct failure *f)
{
	size_t window = (pop3_caps(r->pop) & POP3_CAP_PIPELINING) ?
	    FETCH_WINDOW : 1;
	size_t *del, ndel = 0, sent = 0, done = 0, i;
	int rc = 0;

	/* The ids are on disk before the server may forget a message. */
	if (fetch_journal_sync(r, f) == -1)
		return -1;
	del = xcalloc(r->nmsgs ? r->nmsgs : 1, sizeof(*del));
	for (i = 0; i < r->nmsgs; i++)
		if (r->fetched[i] || (r->msgs[i].uidl != NULL &&
		    fetch_seen_has(&r->seen, r->msgs[i].uidl)))
			del[ndel++] = i;
	while (done < ndel) {
		while (sent < ndel && sent - done < window)
			if (pop3_send_dele(r->pop, r->msgs[del[sent++]].num,
			    f) == -1) {
				rc = -1;
				goto out;
			}
		if (pop3_flush(r->pop, f) == -1 ||
		    pop3_read_dele(r->pop, f) == -1) {
			rc = -1;
			goto out;
		}
		done++;
	}
	r->ndeleted = ndel;
out:
	free(del);
	return rc;
}

/* --- --list --------------------------------------------------------- */

struct fetch_hdr {
	char date[FETCH_FIELD_MAX], from[FETCH_FIELD_MAX],
	    subject[FETCH_FIELD_MAX];
	char *cur;			/* field being read, or NULL */
	size_t curlen;
	int bol, body;
};

/* Collects Date, From and Subject (unfolded, capped) from TOP n 0. */
static int
fetch_hdr_sink(void *arg, const char *d, size_t len, int eol,
    struct failure *f)
{
	struct fetch_hdr *h = arg;
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "date:", offsetof(struct fetch_hdr, date) },
		{ "from:", offsetof(struct fetch_hdr, from) },
		{ "subject:", offsetof(struct fetch_hdr, subject) },
	};
	size_t i, n;

	(void)f;
	if (h->body)
		return 0;
	if (h->bol) {
		if (len == 0 && eol) {
			h->body = 1;
			return 0;
		}
		if (d[0] != ' ' && d[0] != '\t') {
			h->cur = NULL;
			for (i = 0; i < 3; i++) {
				n = strlen(fields[i].name);
				if (len >= n &&
				    strncasecmp(d, fields[i].name, n) == 0 &&
				    *((char *)h + fields[i].off) == '\0') {
					h->cur = (char *)h + fields[i].off;
					h->curlen = 0;
					d += n;
					len -= n;
					break;
				}
			}
		}
	}
	if (h->cur != NULL) {
		while (len > 0 && h->curlen == 0 && (*d == ' ' || *d == '\t')) {
			d++;
			len--;
		}
		for (i = 0; i < len && h->curlen + 1 < FETCH_FIELD_MAX; i++) {
			char c = d[i] == '\t' ? ' ' : d[i];

			h->cur[h->curlen++] = c;
		}
		h->cur[h->curlen] = '\0';
	}
	h->bol = eol;
	return 0;
}

static json_t *
fetch_jstr(const char *s)
{
	json_t *j;
	char vis[FETCH_FIELD_MAX * 4 + 1];

	if ((j = json_string(s)) != NULL)
		return j;
	/* Not UTF-8: the visible form, which is ASCII. */
	return json_string(log_vis(vis, sizeof(vis), s, strlen(s)));
}

static int
fetch_list(struct fetch_run *r, json_t *jmsgs, struct failure *f)
{
	size_t window = (pop3_caps(r->pop) & POP3_CAP_PIPELINING) ?
	    FETCH_WINDOW : 1;
	size_t sent = 0, done = 0;
	struct fetch_hdr h;
	char vf[FETCH_FIELD_MAX * 4], vs[FETCH_FIELD_MAX * 4],
	    vd[FETCH_FIELD_MAX * 4];

	if (jmsgs == NULL)
		printf("%5s %10s %-5s %-31s %-24s %s\n", "NUM", "SIZE",
		    "SEEN", "DATE", "FROM", "SUBJECT");
	while (done < r->nmsgs) {
		const struct pop3_msg *m = &r->msgs[done];
		int seen = m->uidl != NULL && fetch_seen_has(&r->seen, m->uidl);

		while (sent < r->nmsgs && sent - done < window)
			if (pop3_send_retr(r->pop, r->msgs[sent++].num, 0,
			    f) == -1)
				return -1;
		memset(&h, 0, sizeof(h));
		h.bol = 1;
		if (pop3_flush(r->pop, f) == -1 ||
		    pop3_read_retr(r->pop, fetch_hdr_sink, &h, f) == -1)
			return -1;
		done++;
		if (jmsgs != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "number", json_integer(
			    (json_int_t)m->num));
			json_object_set_new(o, "size", json_integer(
			    (json_int_t)m->size));
			json_object_set_new(o, "uidl", m->uidl ?
			    fetch_jstr(m->uidl) : json_null());
			json_object_set_new(o, "date", fetch_jstr(h.date));
			json_object_set_new(o, "from", fetch_jstr(h.from));
			json_object_set_new(o, "subject",
			    fetch_jstr(h.subject));
			json_object_set_new(o, "fetched", json_boolean(seen));
			json_object_set_new(o, "too_large", json_boolean(
			    r->set->max_size > 0 &&
			    m->size > r->set->max_size));
			json_array_append_new(jmsgs, o);
			continue;
		}
		log_vis(vd, sizeof(vd), h.date, strlen(h.date));
		log_vis(vf, sizeof(vf), h.from, strlen(h.from));
		log_vis(vs, sizeof(vs), h.subject, strlen(h.subject));
		printf("%5lu %10llu %-5s %-31.31s %-24.24s %s\n", m->num,
		    m->size, seen ? "yes" : "no", vd, vf, vs);
	}
	return 0;
}

/* --- one account ---------------------------------------------------- */

/* Opens the state for this account and server; 1 when another runs. */
static int
fetch_lock(struct fetch_run *r, int *lockfd, struct failure *f)
{
	char key[600], raw[600], lock[PATH_MAX];
	const struct pop3acct *s = r->set;

	snprintf(raw, sizeof(raw), "%s@%s:%s", s->user, s->host, s->port);
	if (fetch_safe(key, sizeof(key), raw) == -1)
		return failure_set(f, F_CANTCREAT, "fetch %s: state file "
		    "name too long", s->name);
	if (fetch_state_dir(r->statedir, sizeof(r->statedir), f) == -1) {
		char t[FAILURE_TEXT_MAX];

		strlcpy(t, f->text, sizeof(t));
		return failure_set(f, f->kind, "fetch %s: %s", s->name, t);
	}
	if ((size_t)snprintf(r->state, sizeof(r->state), "%s/uidl-%s",
	    r->statedir, key) >= sizeof(r->state) ||
	    (size_t)snprintf(r->journal, sizeof(r->journal), "%s.journal",
	    r->state) >= sizeof(r->journal) ||
	    (size_t)snprintf(lock, sizeof(lock), "%s.lock", r->state) >=
	    sizeof(lock))
		return failure_set(f, F_CANTCREAT, "fetch %s: state file "
		    "name too long", s->name);
	if ((*lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		return failure_set(f, F_CANTCREAT, "%s: %s", lock,
		    strerror(errno));
	if (flock(*lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			return 1;
		return failure_set(f, F_IO, "%s: %s", lock, strerror(errno));
	}
	return 0;
}

/* The server part, after the lock: scan, then list or fetch. */
static int
fetch_session(struct fetch_run *r, const struct options *o, json_t *jacct,
    struct failure *f)
{
	json_t *jmsgs = NULL;
	unsigned long count;
	unsigned long long octets;

	if ((r->pop = pop3acct_open(r->set, NULL, NULL, NULL, f)) == NULL)
		return -1;
	/* An empty mailbox, the usual case from cron: STAT says so. */
	if (pop3_stat(r->pop, &count, &octets, f) == -1)
		return -1;
	if (count == 0)
		r->have_uidl = 1;	/* nothing to tell apart */
	else if (pop3_scan(r->pop, &r->msgs, &r->nmsgs, &r->have_uidl,
	    f) == -1)
		return -1;
	r->fetched = xcalloc(r->nmsgs ? r->nmsgs : 1, 1);
	if (o->fetch_list) {
		if (jacct != NULL) {
			jmsgs = json_array();
			json_object_set_new(jacct, "messages", jmsgs);
		}
		if (fetch_list(r, jmsgs, f) == -1)
			return -1;
		return pop3_quit(r->pop, f);
	}
	if (!r->have_uidl && !r->set->delete)
		return failure_set(f, F_PERM, "the server has no UIDL, so "
		    "fetched messages cannot be told from new ones; set "
		    "fetch-delete=yes (or use --delete) to fetch from it");
	if (!r->have_uidl)
		log_warnx("fetch %s: the server has no UIDL; fetching and "
		    "deleting every message", r->set->name);
	if (r->set->mbox) {
		char dir[PATH_MAX], *sl;

		strlcpy(dir, r->set->to, sizeof(dir));
		if ((sl = strrchr(dir, '/')) != NULL && sl != dir) {
			*sl = '\0';
			if (fetch_mkdirs(dir, f) == -1)
				return -1;
		}
	} else if (fetch_maildir_prepare(r->set->to, f) == -1)
		return -1;
	if (fetch_all(r, f) == -1)
		return -1;
	if (r->set->delete && fetch_delete(r, f) == -1)
		return -1;
	if (pop3_quit(r->pop, f) == -1)
		return -1;
	r->quit_ok = 1;
	return 0;
}

static void
fetch_summary(const struct fetch_run *r, const struct options *o)
{
	if (o->fetch_list)
		return;
	fprintf(stderr, "outbox: fetch %s: %zu new, %zu already here, %zu "
	    "left (too large)", r->set->name, r->nnew, r->nold, r->nleft);
	if (r->ndeleted > 0 && r->quit_ok)
		fprintf(stderr, ", %zu deleted on the server", r->ndeleted);
	fputc('\n', stderr);
}

static int
fetch_account(const struct config *cfg, const char *account,
    const struct options *o, json_t *jaccts, struct failure *f)
{
	struct pop3acct s;
	struct fetch_run r;
	json_t *jacct = NULL;
	int lockfd = -1, rc, busy;

	if (pop3acct_resolve(cfg, account, &s, f) == -1)
		return -1;
	if (o->fetch_delete == CLI_FETCH_DELETE)
		s.delete = 1;
	else if (o->fetch_delete == CLI_FETCH_KEEP)
		s.delete = 0;
	memset(&r, 0, sizeof(r));
	r.set = &s;
	r.journal_fd = -1;
	if (jaccts != NULL) {
		jacct = json_object();
		json_object_set_new(jacct, "account", json_string(s.name));
		json_array_append_new(jaccts, jacct);
		if (!o->fetch_list) {
			r.jdelivered = json_array();
			json_object_set_new(jacct, "delivered", r.jdelivered);
		}
	}
	if ((busy = fetch_lock(&r, &lockfd, f)) != 0) {
		if (lockfd != -1)
			close(lockfd);
		if (busy == 1) {
			log_warnx("fetch %s: another fetch of this account is "
			    "running; nothing done", s.name);
			if (jacct != NULL)
				json_object_set_new(jacct, "busy",
				    json_true());
			return 0;
		}
		return -1;
	}
	rc = fetch_seen_read(&r.seen, r.state, f);
	if (rc == 0)
		rc = fetch_seen_read(&r.seen, r.journal, f);
	if (rc == 0) {
		if (r.seen.n > 0)
			qsort(r.seen.v, r.seen.n, sizeof(*r.seen.v),
			    fetch_cmp);
		rc = fetch_session(&r, o, jacct, f);
	}
	if (rc == 0 && r.pop != NULL && !o->fetch_list && r.have_uidl)
		rc = fetch_state_write(&r, f);
	if (rc == -1) {
		char t[FAILURE_TEXT_MAX];

		strlcpy(t, f->text, sizeof(t));
		failure_set(f, f->kind, "fetch %s: %s", s.name, t);
	}
	if (jacct != NULL) {
		json_object_set_new(jacct, "new", json_integer(
		    (json_int_t)r.nnew));
		json_object_set_new(jacct, "already", json_integer(
		    (json_int_t)r.nold));
		json_object_set_new(jacct, "left", json_integer(
		    (json_int_t)r.nleft));
		json_object_set_new(jacct, "deleted", json_integer(
		    r.quit_ok ? (json_int_t)r.ndeleted : 0));
		if (rc == -1) {
			json_object_set_new(jacct, "error",
			    json_string(failure_name(f->kind)));
			json_object_set_new(jacct, "message", fetch_jstr(
			    f->text));
		}
	}
	/* After a failure, the summary only when something arrived. */
	if (rc == 0 || r.nnew > 0)
		fetch_summary(&r, o);
	pop3_close(r.pop);
	pop3_msgs_free(r.msgs, r.nmsgs);
	free(r.fetched);
	free(r.unsettled);
	fetch_seen_free(&r.seen);
	if (r.journal_fd != -1)
		close(r.journal_fd);
	close(lockfd);
	return rc;
}

/* 1 when the account's own block sets pop3 (not only the top level). */
static int
fetch_has_own_pop3(const struct config_scope *sc)
{
	size_t i;

	for (i = 0; i < sc->nvars; i++)
		if (strcmp(sc->vars[i].key, "pop3") == 0 &&
		    sc->vars[i].value != NULL)
			return 1;
	return 0;
}

int
fetch_run(const struct options *o, struct config *cfg,
    struct front_report *rep, struct failure *f)
{
	json_t *root = NULL, *jaccts = NULL;
	struct failure one;
	const char *names[1 + 256];
	size_t i, n = 0;
	int rc = 0, status;

	if (o->account != NULL) {
		if (config_account(cfg, o->account) == NULL)
			return failure_set(f, F_CONFIG, "no account named "
			    "\"%s\"", o->account);
		names[n++] = o->account;
	} else {
		/* The top level, and every account with its own pop3. */
		if (fetch_has_own_pop3(&cfg->top))
			names[n++] = NULL;
		for (i = 0; i < cfg->naccounts && n < 1 + 256; i++)
			if (fetch_has_own_pop3(&cfg->accounts[i]))
				names[n++] = cfg->accounts[i].name;
	}
	if (n == 0)
		return failure_set(f, F_CONFIG, "fetch: no POP3 server "
		    "configured (set pop3=pop3s://user@host)");
	if (o->json) {
		root = json_object();
		jaccts = json_array();
	}
	for (i = 0; i < n; i++) {
		failure_clear(&one);
		if (fetch_account(cfg, names[i], o, jaccts, &one) == -1) {
			/* Each failure once; main.c reports the last. */
			if (rc == -1)
				fprintf(stderr, "outbox: %s\n", f->text);
			*f = one;
			rc = -1;
		}
	}
	if (root != NULL) {
		status = rc == 0 ? 0 : failure_exitcode(f->kind);
		json_object_set_new(root, "status", json_integer(status));
		json_object_set_new(root, "accounts", jaccts);
		json_dumpf(root, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(root);
		rep->json_done = 1;
	}
	return rc;
}
