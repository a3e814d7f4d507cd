/*
 * filetype.c — libmagic wrapper (see filetype.h).  MAGIC_MIME gives
 * "type/subtype; charset=name" (MAGIC_MIME_TYPE | MAGIC_MIME_ENCODING),
 * which RFC 2045 section 5.1 media types are built from.
 *
 * libmagic runs in a child process.  Matching a file walks the whole
 * compiled database (8 MB on Debian), so in-process it would sit in
 * memory beside the TLS session while a large message streams out; in a
 * child it is gone before the send starts, and a parser bug triggered by
 * a hostile attachment cannot reach the credentials.  The protocol on a
 * socketpair: the child says "ok\n" (or "err TEXT\n") once loaded; then
 * for each path (NUL-terminated) it answers "ok TYPE\tCHARSET\n" or
 * "err TEXT\n". *
 * libmagic's answer is generic for many structured text formats (CSV,
 * Markdown and, in some versions, JSON or SVG come out text/plain) and
 * for binary data it cannot place (application/octet-stream).  Then the
 * extension's type from FILETYPE_MIME_TYPES (Debian's media-types), read
 * once in filetype_open(), is used when it agrees with the kind of
 * content: a textual type for text/plain, a non-text one for
 * application/octet-stream.  A specific answer from libmagic wins.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dynlib.h"
#include "failure.h"
#include "filetype.h"
#include "xmalloc.h"

/*
 * libmagic reads up to 7 MiB of each file by default, all of it held at
 * once; the start of a file is enough for its type, and the content scan
 * in mime.c corrects the charset of text further on.
 */
#define FILETYPE_BYTES_MAX (64 * 1024)

/* A reply line: "ok " + type + tab + charset, or an error text. */
#define FILETYPE_REPLY_MAX (FILETYPE_TYPE_MAX + FILETYPE_CHARSET_MAX + 512)

/* The extension table: mime.types(5) format, "type ext ext...". */
#define FILETYPE_MIME_TYPES "/etc/mime.types"
/* Entries kept at most (Debian's file has about 1,500 extensions). */
#define FILETYPE_EXTS_MAX 20000

struct filetype_ext {
	char *ext;		/* lower case, without the dot */
	char *type;		/* lower case */
};

struct filetype {
	pid_t pid;
	int fd;			/* requests go out here */
	FILE *in;		/* replies come back here */
	struct filetype_ext *exts;	/* sorted by ext */
	size_t nexts;
};

/*
 * libmagic's functions, loaded in the child only (dynlib.h): a run
 * without attachments never maps libmagic and its compressors.
 */
struct magic_api {
	magic_t (*open)(int);
	int (*setparam)(magic_t, int, const void *);
	int (*load)(magic_t, const char *);
	const char *(*file)(magic_t, const char *);
	const char *(*error)(magic_t);
};

static int
magic_api_load(struct magic_api *a, struct failure *f)
{
	static struct dynlib lib = {
		"libmagic.so.1", "libmagic1", "attachment types", NULL
	};
	static const char *const names[] = {
		"magic_open", "magic_setparam", "magic_load", "magic_file",
		"magic_error",
	};
	void *fns[5];

	if (dynlib_load(&lib, names, fns, 5, f) == -1)
		return -1;
	a->open = (__typeof__(a->open))fns[0];
	a->setparam = (__typeof__(a->setparam))fns[1];
	a->load = (__typeof__(a->load))fns[2];
	a->file = (__typeof__(a->file))fns[3];
	a->error = (__typeof__(a->error))fns[4];
	return 0;
}

/* The child: load the database, then answer until the parent hangs up. */
static void __attribute__((noreturn))
filetype_child(int fd)
{
	FILE *in, *out;
	struct magic_api api;
	struct failure lf;
	magic_t m;
	size_t bytes = FILETYPE_BYTES_MAX, cap = 0;
	char *path = NULL;
	const char *r;

	if ((in = fdopen(fd, "r")) == NULL ||
	    (out = fdopen(fcntl(fd, F_DUPFD_CLOEXEC, 0), "w")) == NULL)
		_exit(1);
	failure_clear(&lf);
	if (magic_api_load(&api, &lf) == -1) {
		fprintf(out, "err %s\n", lf.text);
		fflush(out);
		_exit(1);
	}
	m = api.open(MAGIC_MIME | MAGIC_ERROR);
	if (m == NULL || api.setparam(m, MAGIC_PARAM_BYTES_MAX,
	    &bytes) == -1 || api.load(m, NULL) == -1) {
		fprintf(out, "err cannot load the database: %s\n",
		    m && api.error(m) ? api.error(m) : strerror(errno));
		fflush(out);
		_exit(1);
	}
	fputs("ok\n", out);
	fflush(out);
	while (getdelim(&path, &cap, '\0', in) > 0) {
		if ((r = api.file(m, path)) == NULL)
			fprintf(out, "err %s\n", api.error(m) ?
			    api.error(m) : "cannot classify");
		else
			fprintf(out, "ok %s\n", r);
		if (fflush(out) == EOF)
			break;
	}
	_exit(0);
}

/*
 * Reads one reply line into buf (line end removed).  0, or -1 with buf
 * empty: a helper that died before answering left nothing to read.
 */
static int
filetype_reply(struct filetype *ft, char *buf, size_t len)
{
	buf[0] = '\0';
	if (fgets(buf, (int)len, ft->in) == NULL) {
		buf[0] = '\0';
		return -1;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
filetype_ext_cmp(const void *a, const void *b)
{
	const struct filetype_ext *x = a, *y = b;

	return strcmp(x->ext, y->ext);
}

static char *
filetype_lower_dup(const char *s, size_t n)
{
	char *d = xstrndup(s, n);
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	return d;
}

/*
 * Reads the extension table at path; a missing or unreadable file
 * leaves it empty (libmagic's answers stand alone).  The first type
 * given for an extension is kept.
 */
static void
filetype_load_exts(struct filetype *ft, const char *path)
{
	char *line = NULL, *p, *type;
	size_t cap = 0, n, tl, i, o;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return;
	}
	while (getline(&line, &cap, fp) != -1 &&
	    ft->nexts < FILETYPE_EXTS_MAX) {
		p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		tl = strcspn(p, " \t\n");
		if (tl == 0 || tl >= FILETYPE_TYPE_MAX ||
		    memchr(p, '/', tl) == NULL)
			continue;
		type = filetype_lower_dup(p, tl);
		for (p += tl; ft->nexts < FILETYPE_EXTS_MAX; p += n) {
			p += strspn(p, " \t\n");
			if ((n = strcspn(p, " \t\n")) == 0)
				break;
			ft->exts = xreallocarray(ft->exts, ft->nexts + 1,
			    sizeof(*ft->exts));
			ft->exts[ft->nexts].ext = filetype_lower_dup(p, n);
			ft->exts[ft->nexts++].type = xstrdup(type);
		}
		free(type);
	}
	free(line);
	fclose(fp);
	if (ft->nexts == 0)
		return;
	/* A stable order keeps the first type of a repeated extension. */
	for (i = 0; i < ft->nexts; i++) {
		char *t = xasprintf("%s\t%08zu", ft->exts[i].ext, i);

		free(ft->exts[i].ext);
		ft->exts[i].ext = t;
	}
	qsort(ft->exts, ft->nexts, sizeof(*ft->exts), filetype_ext_cmp);
	for (i = o = 0; i < ft->nexts; i++) {
		ft->exts[i].ext[strcspn(ft->exts[i].ext, "\t")] = '\0';
		if (o > 0 && strcmp(ft->exts[o - 1].ext, ft->exts[i].ext) == 0) {
			free(ft->exts[i].ext);
			free(ft->exts[i].type);
			continue;
		}
		ft->exts[o++] = ft->exts[i];
	}
	ft->nexts = o;
}

/* The table's type for path's extension, or NULL. */
static const char *
filetype_by_ext(const struct filetype *ft, const char *path)
{
	struct filetype_ext key, *e;
	const char *base = strrchr(path, '/'), *dot;
	char ext[64];
	size_t i;

	base = base ? base + 1 : path;
	if ((dot = strrchr(base, '.')) == NULL || dot == base ||
	    dot[1] == '\0' || strlen(dot + 1) >= sizeof(ext))
		return NULL;
	for (i = 0; dot[1 + i] != '\0'; i++)
		ext[i] = (char)tolower((unsigned char)dot[1 + i]);
	ext[i] = '\0';
	key.ext = ext;
	key.type = NULL;
	e = ft->nexts ? bsearch(&key, ft->exts, ft->nexts, sizeof(*ft->exts),
	    filetype_ext_cmp) : NULL;
	return e ? e->type : NULL;
}

/* A type whose content is text: text/..., XML, JSON, their +suffixes. */
static int
filetype_textual(const char *type)
{
	static const char *const textual[] = {
		"application/json", "application/xml", "application/javascript",
		"application/yaml", "application/x-yaml", "application/sql",
		"application/x-sh", "application/ecmascript",
	};
	size_t n = strlen(type), i;

	if (strncmp(type, "text/", 5) == 0 ||
	    (n > 4 && (strcmp(type + n - 4, "+xml") == 0 ||
	    (n > 5 && strcmp(type + n - 5, "+json") == 0))))
		return 1;
	for (i = 0; i < sizeof(textual) / sizeof(textual[0]); i++)
		if (strcmp(type, textual[i]) == 0)
			return 1;
	return 0;
}

/* libmagic's generic answer refined by the extension (see the top). */
static void
filetype_refine(const struct filetype *ft, const char *path, char *type)
{
	const char *t = filetype_by_ext(ft, path);

	if (t == NULL)
		return;
	if ((strcmp(type, "text/plain") == 0 && filetype_textual(t)) ||
	    (strcmp(type, "application/octet-stream") == 0 &&
	    !filetype_textual(t) && strncmp(t, "multipart/", 10) != 0 &&
	    strncmp(t, "message/", 8) != 0))
		strlcpy(type, t, FILETYPE_TYPE_MAX);
}

struct filetype *
filetype_open(struct failure *f)
{
	struct filetype *ft;
	char line[FILETYPE_REPLY_MAX];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		failure_set(f, F_OS, "libmagic: socketpair: %s",
		    strerror(errno));
		return NULL;
	}
	ft = xcalloc(1, sizeof(*ft));
	if ((ft->pid = fork()) == -1) {
		failure_set(f, F_OS, "libmagic: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(ft);
		return NULL;
	}
	if (ft->pid == 0) {
		close(sv[0]);
		filetype_child(sv[1]);
	}
	close(sv[1]);
	ft->fd = sv[0];
	if ((ft->in = fdopen(fcntl(sv[0], F_DUPFD_CLOEXEC, 0),
	    "r")) == NULL) {
		failure_set(f, F_OS, "libmagic: %s", strerror(errno));
		filetype_close(ft);
		return NULL;
	}
	if (filetype_reply(ft, line, sizeof(line)) == -1 ||
	    strcmp(line, "ok") != 0) {
		failure_set(f, F_CONFIG, "libmagic: %s", strncmp(line, "err ",
		    4) == 0 ? line + 4 : "the helper process failed");
		filetype_close(ft);
		return NULL;
	}
	filetype_load_exts(ft, FILETYPE_MIME_TYPES);
	return ft;
}

/* Lower-cases s in place: media types are case-insensitive (RFC 2045). */
static void
filetype_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = *s - 'A' + 'a';
}

/* Asks the child about path; *r points into line.  0 or -1. */
static int
filetype_ask(struct filetype *ft, const char *path, char *line, size_t len,
    const char **r, struct failure *f)
{
	size_t n = strlen(path) + 1, off = 0;
	ssize_t w;

	while (off < n) {
		if ((w = write(ft->fd, path + off, n - off)) == -1) {
			if (errno == EINTR)
				continue;
			failure_set(f, F_INTERNAL,
			    "libmagic: the helper process went away");
			return -1;
		}
		off += (size_t)w;
	}
	/* Each path -1 explicitly: *r is set on the 0 path only. */
	if (filetype_reply(ft, line, len) == -1) {
		failure_set(f, F_INTERNAL,
		    "libmagic: the helper process went away");
		return -1;
	}
	if (strncmp(line, "ok ", 3) != 0) {
		failure_set(f, F_NOINPUT, "%s: %s", path,
		    strncmp(line, "err ", 4) == 0 ? line + 4 : line);
		return -1;
	}
	*r = line + 3;
	return 0;
}

int
filetype_guess(struct filetype *ft, const char *path, char *type,
    char *charset, struct failure *f)
{
	char line[FILETYPE_REPLY_MAX];
	const char *r, *semi, *cs;
	size_t n;

	type[0] = '\0';
	charset[0] = '\0';
	if (filetype_ask(ft, path, line, sizeof(line), &r, f) == -1)
		return -1;
	semi = strchr(r, ';');
	n = semi ? (size_t)(semi - r) : strlen(r);
	if (n == 0 || n >= FILETYPE_TYPE_MAX || memchr(r, '/', n) == NULL)
		strlcpy(type, "application/octet-stream", FILETYPE_TYPE_MAX);
	else {
		memcpy(type, r, n);
		type[n] = '\0';
		filetype_lower(type);
	}
	if (strcmp(type, "inode/x-empty") == 0 ||
	    strcmp(type, "application/x-empty") == 0 ||
	    strncmp(type, "inode/", 6) == 0)
		strlcpy(type, "application/octet-stream", FILETYPE_TYPE_MAX);
	filetype_refine(ft, path, type);
	if (semi != NULL && (cs = strstr(semi, "charset=")) != NULL) {
		cs += strlen("charset=");
		n = strcspn(cs, "; \t");
		if (n < FILETYPE_CHARSET_MAX) {
			memcpy(charset, cs, n);
			charset[n] = '\0';
			filetype_lower(charset);
		}
		if (strcmp(charset, "binary") == 0)
			charset[0] = '\0';
	}
	return 0;
}

void
filetype_close(struct filetype *ft)
{
	size_t i;
	int st;

	if (ft == NULL)
		return;
	if (ft->in != NULL)
		fclose(ft->in);
	close(ft->fd);		/* the child sees end of file and exits */
	while (waitpid(ft->pid, &st, 0) == -1 && errno == EINTR)
		;
	for (i = 0; i < ft->nexts; i++) {
		free(ft->exts[i].ext);
		free(ft->exts[i].type);
	}
	free(ft->exts);
	free(ft);
}
