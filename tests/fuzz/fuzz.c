/*
 * fuzz.c — helpers shared by the harnesses; see fuzz.h.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

void
fbuf_add(struct fbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((b->s = realloc(b->s, cap)) == NULL)
			abort();
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
fbuf_addc(struct fbuf *b, char c)
{
	fbuf_add(b, &c, 1);
}

void
fbuf_free(struct fbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: property failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

char *
fuzz_strndup(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

static char tmpdir[256];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

void
fuzz_clear_dir(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
tmpdir_remove(void)
{
	if (tmpdir[0] != '\0') {
		fuzz_clear_dir(tmpdir);
		rmdir(tmpdir);
	}
}

const char *
fuzz_tmpdir(void)
{
	const char *t;

	if (tmpdir[0] != '\0')
		return tmpdir;
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/outbox-fuzz-XXXXXX", t);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(tmpdir_remove);
	return tmpdir;
}

void
fuzz_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1 || (len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    close(fd) == -1) {
		perror(path);
		abort();
	}
}

const char *
fuzz_lines_bad(const char *buf, size_t len, size_t max, int last_ok)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			col = 0;
			continue;
		}
		if (buf[i] == '\r')
			return "a CR";
		if (buf[i] == '\0')
			return "a NUL";
		if (++col > max)
			return "a line over the limit";
	}
	if (col > 0 && !last_ok)
		return "no line end at the end";
	return NULL;
}

int
fuzz_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			n = 1;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			n = 2;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			n = 3;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
b64_val(int c)
{
	const char *a =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;

	if (c == '\0' || (p = strchr(a, c)) == NULL)
		return -1;
	return (int)(p - a);
}

int
fuzz_b64_decode(const char *s, size_t len, struct fbuf *out)
{
	int q[4], n = 0, pad = 0;
	size_t i;

	fbuf_add(out, "", 0);
	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			continue;
		if (pad > 0 && s[i] != '=')
			return -1;
		if (s[i] == '=') {
			if (n < 2)
				return -1;
			pad++;
			q[n++] = 0;
		} else if ((q[n++] = b64_val((unsigned char)s[i])) < 0)
			return -1;
		if (n == 4) {
			fbuf_addc(out, (char)(q[0] << 2 | q[1] >> 4));
			if (pad < 2)
				fbuf_addc(out, (char)((q[1] & 15) << 4 |
				    q[2] >> 2));
			if (pad < 1)
				fbuf_addc(out, (char)((q[2] & 3) << 6 | q[3]));
			n = 0;
			if (pad > 0 && i + 1 + strspn(s + i + 1, "\n") < len)
				return -1;
		}
	}
	return n == 0 ? 0 : -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
fuzz_qp_decode(const char *s, size_t len, struct fbuf *out)
{
	size_t i;
	int h, l;

	fbuf_add(out, "", 0);
	for (i = 0; i < len; i++) {
		if (s[i] != '=') {
			fbuf_addc(out, s[i]);
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (i + 2 >= len || (h = hexval((unsigned char)s[i + 1])) < 0 ||
		    (l = hexval((unsigned char)s[i + 2])) < 0)
			return -1;
		fbuf_addc(out, (char)(h << 4 | l));
		i += 2;
	}
	return 0;
}

/* One encoded word s[0..len) ("=?UTF-8?X?...?="), decoded onto out. */
static int
ew_decode(const char *s, size_t len, int phrase, struct fbuf *out)
{
	const char *text;
	size_t tlen, i;
	int h, l;

	if (len > 75 || len < 12 || strncasecmp(s, "=?UTF-8?", 8) != 0 ||
	    s[9] != '?' || s[len - 2] != '?' || s[len - 1] != '=')
		return -1;
	text = s + 10;
	tlen = len - 12;
	if (s[8] == 'B' || s[8] == 'b') {
		if (tlen == 0)
			return -1;
		return fuzz_b64_decode(text, tlen, out);
	}
	if (s[8] != 'Q' && s[8] != 'q')
		return -1;
	for (i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '_')
			fbuf_addc(out, ' ');
		else if (c == '=') {
			if (i + 2 >= tlen)
				return -1;
			if ((h = hexval((unsigned char)text[i + 1])) < 0 ||
			    (l = hexval((unsigned char)text[i + 2])) < 0)
				return -1;
			fbuf_addc(out, (char)(h << 4 | l));
			i += 2;
		} else if (c <= ' ' || c >= 127 || c == '?')
			return -1;
		else if (phrase && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("!*+-/", c) != NULL))
			return -1;	/* RFC 2047 section 5(3) */
		else
			fbuf_addc(out, (char)c);
	}
	return 0;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t';
}

int
fuzz_header_decode(const char *s, size_t len, int phrase, struct fbuf *out)
{
	struct fbuf u = { 0 }, ws = { 0 };
	size_t i, j;
	int prev_ew = 0, rc = 0;

	fbuf_add(out, "", 0);
	/* A fold made before anything was written is not content. */
	if (len >= 2 && s[0] == '\n' && is_ws((unsigned char)s[1])) {
		s += 2;
		len -= 2;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && i + 1 < len && is_ws((unsigned char)s[i + 1]))
			continue;
		if (s[i] == '\n') {
			fbuf_free(&u);
			return -1;		/* a fold without white space */
		}
		fbuf_addc(&u, s[i]);
	}
	fbuf_add(&u, "", 0);
	if (phrase && u.len > 0 && u.s[0] == '"') {
		for (i = 1; i < u.len && u.s[i] != '"'; i++) {
			if (u.s[i] == '\\' && i + 1 < u.len)
				i++;
			fbuf_addc(out, u.s[i]);
		}
		rc = i + 1 == u.len ? 0 : -1;
		fbuf_free(&u);
		return rc;
	}
	for (i = 0; i < u.len; ) {
		for (j = i; j < u.len && is_ws((unsigned char)u.s[j]); j++)
			;
		fbuf_free(&ws);
		fbuf_add(&ws, u.s + i, j - i);
		i = j;
		for (; j < u.len && !is_ws((unsigned char)u.s[j]); j++)
			;
		if (j - i >= 2 && u.s[i] == '=' && u.s[i + 1] == '?') {
			if (!prev_ew)
				fbuf_add(out, ws.s, ws.len);
			if (ew_decode(u.s + i, j - i, phrase, out) == -1) {
				rc = -1;
				break;
			}
			prev_ew = 1;
		} else {
			fbuf_add(out, ws.s, ws.len);
			fbuf_add(out, u.s + i, j - i);
			prev_ew = 0;
		}
		i = j;
	}
	fbuf_free(&ws);
	fbuf_free(&u);
	return rc;
}

static int
pct_decode(const char *s, size_t len, struct fbuf *out)
{
	size_t i;
	int h, l;

	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			if ((unsigned char)s[i] <= ' ' ||
			    (unsigned char)s[i] >= 127 ||
			    strchr("*'%()<>@,;:\\\"/[]?=", s[i]) != NULL)
				return -1;
			fbuf_addc(out, s[i]);
			continue;
		}
		if (i + 2 >= len)
			return -1;
		if ((h = hexval((unsigned char)s[i + 1])) < 0 ||
		    (l = hexval((unsigned char)s[i + 2])) < 0)
			return -1;
		fbuf_addc(out, (char)(h << 4 | l));
		i += 2;
	}
	return 0;
}

int
fuzz_param_decode(const char *text, const char *name, struct fbuf *out)
{
	const char *p = text, *v, *e;
	size_t nlen = strlen(name), want = 0, sect;
	int found = 0, ext, folded;
	char *end;

	fbuf_add(out, "", 0);
	while (*p != '\0') {
		if (*p != ';')
			return -1;
		p++;
		if ((folded = *p == '\n'))
			p++;
		if (*p != ' ')
			return -1;
		p++;
		if (strncmp(p, name, nlen) != 0)
			return -1;
		p += nlen;
		ext = 0;
		sect = (size_t)-1;
		if (p[0] == '*' && p[1] >= '0' && p[1] <= '9') {
			sect = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (*p == '*') {
			ext = 1;
			p++;
		}
		if (*p++ != '=')
			return -1;
		/* Sections in order; a lone value only once. */
		if ((sect == (size_t)-1 && found) ||
		    (sect != (size_t)-1 && sect != want))
			return -1;
		if (sect != (size_t)-1)
			want++;
		found = 1;
		if (ext && (sect == (size_t)-1 || sect == 0)) {
			if (strncmp(p, "UTF-8''", 7) != 0)
				return -1;
			p += 7;
		}
		if (*p == '"') {
			struct fbuf q = { 0 };
			int rc;

			if (ext)
				return -1;
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				fbuf_addc(&q, *p);
			}
			if (*p++ != '"') {
				fbuf_free(&q);
				return -1;
			}
			fbuf_add(&q, "", 0);
			/* The legacy form: encoded words, on a line of its own. */
			if (folded)
				rc = fuzz_header_decode(q.s, q.len, 1, out);
			else
				rc = (fbuf_add(out, q.s, q.len), 0);
			fbuf_free(&q);
			if (rc == -1)
				return -1;
			continue;
		}
		for (v = p; *p != '\0' && *p != ';'; p++)
			;
		e = p;
		if (v == e)
			return -1;
		if (ext) {
			if (pct_decode(v, (size_t)(e - v), out) == -1)
				return -1;
		} else {
			const char *c;

			for (c = v; c < e; c++)
				if ((unsigned char)*c <= ' ' ||
				    (unsigned char)*c >= 127 ||
				    strchr("()<>@,;:\\\"/[]?=", *c) != NULL)
					return -1;
			fbuf_add(out, v, (size_t)(e - v));
		}
	}
	return found ? 0 : -1;
}

static long
fuzz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
fuzz_peer_exchange(int fd, const uint8_t *data, size_t len,
    struct fbuf *got, int wait_ms)
{
	struct pollfd pfd;
	long deadline = fuzz_now_ms() + wait_ms;
	size_t off = 0;
	char buf[4096];
	ssize_t n;
	int wdone = 0;

	for (;;) {
		if (!wdone && off == len) {
			shutdown(fd, SHUT_WR);
			wdone = 1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN | (wdone ? 0 : POLLOUT);
		if (fuzz_now_ms() > deadline ||
		    poll(&pfd, 1, (int)(deadline - fuzz_now_ms())) <= 0)
			break;
		if (pfd.revents & POLLOUT) {
			n = send(fd, data + off, len - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n == -1 && errno != EAGAIN)
				wdone = 1;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof(buf));
			if (n > 0)
				fbuf_add(got, buf, (size_t)n);
			else if (n == 0 || errno != EAGAIN)
				break;
		}
	}
	close(fd);
}
