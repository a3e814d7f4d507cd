/*
 * sendlog.c — the log line of every send (see sendlog.h).
 *
 * RFC 3164 (the BSD syslog packet: "<PRI>TIMESTAMP TAG[PID]: MSG" sent
 * as one datagram to the local socket).  syslog(3) is not used: its
 * socket path cannot be chosen (the tests bind their own), and it keeps
 * a descriptor open in the library.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "sendlog.h"

#define SENDLOG_SOCKET "/dev/log"

static const struct {
	const char *name;
	int facility;
} sendlog_facilities[] = {
	{ "yes", LOG_MAIL }, { "mail", LOG_MAIL }, { "user", LOG_USER },
	{ "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

int
sendlog_facility(const char *v)
{
	size_t i;

	if (v == NULL)
		return LOG_MAIL;
	if (strcmp(v, "no") == 0)
		return -1;
	for (i = 0; i < sizeof(sendlog_facilities) /
	    sizeof(sendlog_facilities[0]); i++)
		if (strcmp(v, sendlog_facilities[i].name) == 0)
			return sendlog_facilities[i].facility;
	return -2;
}

void
sendlog_init(struct sendlog_cfg *c, const char *syslog_value,
    const char *log_file, const char *socket_path)
{
	c->facility = sendlog_facility(syslog_value);
	if (c->facility == -2)
		c->facility = LOG_MAIL;
	c->file = log_file != NULL && *log_file != '\0' ? log_file : NULL;
	c->socket = socket_path != NULL && *socket_path != '\0' ?
	    socket_path : SENDLOG_SOCKET;
}

/* Appends "key=value" (value escaped; quoted when it holds a space). */
static void
sendlog_field(char *buf, size_t bufsz, const char *key, const char *v)
{
	char vis[SENDLOG_LINE_MAX];
	size_t n = strlen(buf);

	if (v == NULL || n >= bufsz)
		return;
	/* Escape control, 8-bit bytes and the quote itself. */
	strnvis(vis, v, sizeof(vis), VIS_CSTYLE | VIS_TAB | VIS_NL |
	    VIS_OCTAL | VIS_DQ);
	snprintf(buf + n, bufsz - n, "%s%s=%s%s%s", n ? " " : "", key,
	    strpbrk(vis, " =") || *vis == '\0' ? "\"" : "", vis,
	    strpbrk(vis, " =") || *vis == '\0' ? "\"" : "");
}

void
sendlog_format(const struct sendlog_rec *r, char *buf, size_t bufsz)
{
	char num[32], list[512];
	size_t i, n;
	int more = 0;

	buf[0] = '\0';
	sendlog_field(buf, bufsz, "id", r->id ? r->id : "-");
	/* A flush's line knows the entry only: no sender, no count. */
	if (r->from != NULL) {
		sendlog_field(buf, bufsz, "from", *r->from ? r->from : "<>");
		snprintf(num, sizeof(num), "%zu", r->nrcpts);
		sendlog_field(buf, bufsz, "rcpts", num);
	}
	if (r->nrefused > 0) {
		list[0] = '\0';
		for (i = 0; i < r->nrefused; i++) {
			n = strlen(list);
			if (n + strlen(r->refused[i]) + 16 >= sizeof(list)) {
				more = 1;
				break;
			}
			snprintf(list + n, sizeof(list) - n, "%s%s",
			    i ? "," : "", r->refused[i]);
		}
		if (more) {
			n = strlen(list);
			snprintf(list + n, sizeof(list) - n, ",+%zu more",
			    r->nrefused - i);
		}
		sendlog_field(buf, bufsz, "refused", list);
	}
	if (r->size >= 0) {
		snprintf(num, sizeof(num), "%lld", r->size);
		sendlog_field(buf, bufsz, "size", num);
	}
	sendlog_field(buf, bufsz, "server", r->server);
	sendlog_field(buf, bufsz, "result", r->outcome);
	sendlog_field(buf, bufsz, "kept", r->kept);
	snprintf(num, sizeof(num), "%d", r->status);
	sendlog_field(buf, bufsz, "status", num);
	/* The reply last: it is the part that may be cut. */
	sendlog_field(buf, bufsz, "reply", r->reply);
	if (strlen(buf) + 1 >= bufsz && bufsz > 4)
		memcpy(buf + bufsz - 4, "...", 4);
}

/* One datagram; no daemon listening is no error (a bare container). */
static void
sendlog_syslog(const struct sendlog_cfg *c, const char *line)
{
	struct sockaddr_un sun;
	char pkt[SENDLOG_LINE_MAX + 64], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int s, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, c->socket, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return;
	/* RFC 3164 4.1.2: "Mmm dd hh:mm:ss", local time, C locale names. */
	if (localtime_r(&now, &tm) == NULL)
		return;
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(pkt, sizeof(pkt), "<%d>%s outbox[%ld]: %s",
	    c->facility | LOG_INFO, stamp, (long)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(pkt))
		n = sizeof(pkt) - 1;
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)sendto(s, pkt, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&sun,
	    sizeof(sun));
	close(s);
}

static int
sendlog_file(const struct sendlog_cfg *c, const char *line, struct failure *f)
{
	char out[SENDLOG_LINE_MAX + 64], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int fd, n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(out, sizeof(out), "%s outbox[%ld]: %s\n", stamp,
	    (long)getpid(), line);
	if (n < 0 || (size_t)n >= sizeof(out))
		n = sizeof(out) - 1, out[n - 1] = '\n';
	fd = open(c->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd == -1)
		return failure_set(f, F_IO, "log-file %s: %s", c->file,
		    strerror(errno));
	/* O_APPEND and one write(2): lines of concurrent runs stay whole. */
	if (write(fd, out, (size_t)n) != n) {
		close(fd);
		return failure_set(f, F_IO, "log-file %s: %s", c->file,
		    strerror(errno));
	}
	if (close(fd) == -1)
		return failure_set(f, F_IO, "log-file %s: %s", c->file,
		    strerror(errno));
	return 0;
}

int
sendlog_write(const struct sendlog_cfg *c, const struct sendlog_rec *r,
    struct failure *f)
{
	char line[SENDLOG_LINE_MAX - 64];

	sendlog_format(r, line, sizeof(line));
	if (c->facility >= 0)
		sendlog_syslog(c, line);
	if (c->file != NULL)
		return sendlog_file(c, line, f);
	return 0;
}
