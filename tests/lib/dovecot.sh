# dovecot.sh — a private Dovecot instance for the tests and benchmarks.
# Source it (POSIX sh; bats files and tests/bench scripts both use it):
#
#   . tests/lib/dovecot.sh
#   dovecot_setup DIR CERTDIR   config under DIR (base_dir, state_dir,
#                               logs, passwd-file, Maildirs); picks ports
#   dovecot_start               starts it (as root), waits for the sockets
#   dovecot_stop                stops it and waits for every process
#   dovecot_fill USER N [FILE]  delivers N messages (FILE, or a small
#                               generated one numbered 1..N) to USER
#   dovecot_maildir USER        prints USER's Maildir path
#   dovecot_user USER PASS      adds a user whose Maildir is DIR/mail/USER
#                               itself (before or after dovecot_start)
#   dovecot_put USER NAME FILE  FILE into USER's Maildir new/ as NAME, the
#                               way a delivery agent leaves it
#   dovecot_count USER          how many messages USER's Maildir holds
#   dovecot_pop3_start          the fetch suite's and the POP3 bench's
#                               instance in one call: set-up under
#                               $DOVECOT_DIR (default
#                               $BATS_TEST_TMPDIR/dovecot) with $CERTS,
#                               users alice and bob with $PASSWORD, start;
#                               sets POP3_PORT, POP3S_PORT, DOVECOT_UID,
#                               DOVECOT_GID
#
# What it serves (loopback only, ports chosen free at set-up time):
#   DOVECOT_POP3_PORT    POP3, 110-style: STLS offered.  Dovecot counts
#                        a loopback connection as secured, so login
#                        before STLS works there; DOVECOT_SSL=required at
#                        set-up refuses any login without TLS
#                        (DOVECOT_PLAINTEXT_AUTH=yes allows plaintext
#                        login also where Dovecot would refuse it)
#   DOVECOT_POP3S_PORT   POP3S, 995-style: implicit TLS
#   DOVECOT_LMTP         LMTP unix socket (mode 0666) delivering into
#                        Maildir (what Postfix's virtual_transport uses)
#   DOVECOT_AUTH         SASL auth unix socket for Postfix (mode 0666)
# Logins: USER/PASS, APOP (the greeting carries its time stamp), and the
# SASL mechanisms PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256
# (DOVECOT_AUTH_MECHANISMS at set-up replaces the list).
# Users (passwd-file, {PLAIN} passwords, mail stored as uid/gid "nobody"):
#   DOVECOT_USER / DOVECOT_PASS     box@local.test — every message the
#                                   test Postfix accepts lands here
#   DOVECOT_SUBMIT_USER / _PASS     sender@example.org — the SASL login
#                                   the SMTP clients use
#   DOVECOT_POP_USER / _PASS        pop@local.test — an empty mailbox for
#                                   the POP3 tests to fill (dovecot_fill)
# The certificate is CERTDIR/good.pem (tests/lib/certs.sh; the CA is
# CERTDIR/ca.pem).  The system's Dovecot, its configuration and its
# state directory are never touched: everything lives under DIR.
# Every function returns non-zero and says why on stderr when it fails.

DOVECOT_USER=box@local.test
DOVECOT_PASS=box-Pw0rd
DOVECOT_SUBMIT_USER=sender@example.org
DOVECOT_SUBMIT_PASS=s3cr3t-Pw0rd
DOVECOT_POP_USER=pop@local.test
DOVECOT_POP_PASS=p0p-Pw0rd

# mta_free_ports N: N distinct free TCP ports on 127.0.0.1, one a line
# (bound together, then released; the servers bind them right after).
mta_free_ports() {
	/usr/bin/python3 -c '
import socket, sys
ss = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
for s in ss:
    print(s.getsockname()[1])
' "$1"
}

# mta_traversable DIR: lets the servers' unprivileged users (postfix,
# dovecot, dovenull, nobody) reach DIR: a+x on DIR and on each parent
# the current user owns (a test's temporary directories are mode 0700).
mta_traversable() {
	_d=$(cd "$1" && pwd) || return 1
	while [ "$_d" != / ] && [ -O "$_d" ]; do
		chmod a+x "$_d" || return 1
		_d=$(dirname "$_d")
	done
}

# mta_wait_port PORT: waits up to 10 s for a listener on 127.0.0.1:PORT.
mta_wait_port() {
	/usr/bin/python3 -c '
import socket, sys, time
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
' "$1"
}

dovecot_setup() {
	DOVECOT_DIR=${1:?dovecot_setup DIR CERTDIR}
	_certs=${2:?dovecot_setup DIR CERTDIR}
	if [ "$(id -u)" != 0 ]; then
		echo "dovecot_setup: must run as root (a private Dovecot" \
		    "switches to its own users)" >&2
		return 1
	fi
	command -v dovecot >/dev/null || {
		echo "dovecot_setup: dovecot is not installed (make deps)" >&2
		return 1
	}
	mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/mail" ||
	    return 1
	DOVECOT_DIR=$(cd "$DOVECOT_DIR" && pwd)
	mta_traversable "$DOVECOT_DIR" || return 1
	set -- $(mta_free_ports 2)
	DOVECOT_POP3_PORT=$1 DOVECOT_POP3S_PORT=$2
	DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf
	DOVECOT_LMTP=$DOVECOT_DIR/run/lmtp
	DOVECOT_AUTH=$DOVECOT_DIR/run/auth-postfix
	DOVECOT_LOG=$DOVECOT_DIR/dovecot.log
	_uid=$(id -u nobody) _gid=$(id -g nobody)
	: >"$DOVECOT_DIR/passwd"
	for _u in "$DOVECOT_USER:$DOVECOT_PASS" \
	    "$DOVECOT_SUBMIT_USER:$DOVECOT_SUBMIT_PASS" \
	    "$DOVECOT_POP_USER:$DOVECOT_POP_PASS"; do
		_name=${_u%%:*}
		mkdir -p "$DOVECOT_DIR/mail/$_name"
		printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$_name" "${_u#*:}" \
		    "$_uid" "$_gid" "$DOVECOT_DIR/mail/$_name" \
		    >>"$DOVECOT_DIR/passwd"
	done
	chown -R "$_uid:$_gid" "$DOVECOT_DIR/mail" || return 1
	chmod 644 "$DOVECOT_DIR/passwd"
	cp "$_certs/good.pem" "$_certs/good.key" "$DOVECOT_DIR/" || return 1
	chmod 600 "$DOVECOT_DIR/good.key"
	case ${DOVECOT_PLAINTEXT_AUTH:-no} in
	yes) _dpa=no ;;
	*) _dpa=yes ;;
	esac
	cat >"$DOVECOT_CONF" <<EOF
# Generated by tests/lib/dovecot.sh: a private instance, loopback only.
instance_name = outbox-test-$$
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_LOG
info_log_path = $DOVECOT_LOG
protocols = pop3 lmtp
listen = 127.0.0.1
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = $_uid
last_valid_uid = $_uid
first_valid_gid = $_gid
last_valid_gid = $_gid
ssl = ${DOVECOT_SSL:-yes}
ssl_cert = <$DOVECOT_DIR/good.pem
ssl_key = <$DOVECOT_DIR/good.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = $_dpa
auth_mechanisms = ${DOVECOT_AUTH_MECHANISMS:-plain login cram-md5 apop scram-sha-256}
# No failure delay: one test fails a login on purpose and the next
# must not wait for it.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
lmtp_save_to_detail_mailbox = no
pop3_uidl_format = %08Xu%08Xv
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $DOVECOT_DIR/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $DOVECOT_DIR/passwd
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DOVECOT_POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $DOVECOT_POP3S_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
	export DOVECOT_DIR DOVECOT_CONF DOVECOT_LMTP DOVECOT_AUTH DOVECOT_LOG \
	    DOVECOT_POP3_PORT DOVECOT_POP3S_PORT DOVECOT_USER DOVECOT_PASS \
	    DOVECOT_SUBMIT_USER DOVECOT_SUBMIT_PASS DOVECOT_POP_USER \
	    DOVECOT_POP_PASS
}

dovecot_start() {
	if ! dovecot -c "$DOVECOT_CONF" >"$DOVECOT_DIR/start.log" 2>&1; then
		echo "dovecot_start: dovecot would not start:" >&2
		cat "$DOVECOT_DIR/start.log" "$DOVECOT_LOG" >&2 2>/dev/null
		return 1
	fi
	_i=0
	while [ $_i -lt 100 ]; do
		if [ -S "$DOVECOT_LMTP" ] && [ -S "$DOVECOT_AUTH" ] &&
		    mta_wait_port "$DOVECOT_POP3_PORT" &&
		    mta_wait_port "$DOVECOT_POP3S_PORT"; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "dovecot_start: no listeners after 10 s:" >&2
	cat "$DOVECOT_LOG" >&2 2>/dev/null
	return 1
}

dovecot_stop() {
	[ -n "${DOVECOT_CONF:-}" ] && [ -f "$DOVECOT_DIR/run/master.pid" ] ||
	    return 0
	_pid=$(cat "$DOVECOT_DIR/run/master.pid")
	dovecot -c "$DOVECOT_CONF" stop >/dev/null 2>&1 ||
	    kill "$_pid" 2>/dev/null
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$_pid" 2>/dev/null; then
		kill -9 "$_pid"
	fi
	return 0
}

dovecot_maildir() {
	if [ -f "$DOVECOT_DIR/maildir.$1" ]; then
		cat "$DOVECOT_DIR/maildir.$1"
	else
		printf '%s/mail/%s/Maildir\n' "$DOVECOT_DIR" "$1"
	fi
}

# dovecot_user USER PASS: one more login, its Maildir DIR/mail/USER
# itself (userdb_mail), so a test can fill it with dovecot_put.
dovecot_user() {
	_uid=$(id -u nobody) _gid=$(id -g nobody)
	mkdir -p "$DOVECOT_DIR/mail/$1/new" "$DOVECOT_DIR/mail/$1/cur" \
	    "$DOVECOT_DIR/mail/$1/tmp" || return 1
	chown -R "$_uid:$_gid" "$DOVECOT_DIR/mail/$1" || return 1
	printf '%s:{PLAIN}%s:%s:%s::%s::userdb_mail=maildir:%s\n' "$1" "$2" \
	    "$_uid" "$_gid" "$DOVECOT_DIR/mail/$1" "$DOVECOT_DIR/mail/$1" \
	    >>"$DOVECOT_DIR/passwd"
	printf '%s/mail/%s\n' "$DOVECOT_DIR" "$1" >"$DOVECOT_DIR/maildir.$1"
}

# dovecot_put USER NAME FILE: FILE in USER's Maildir new/ as NAME.
dovecot_put() {
	_md=$(dovecot_maildir "$1")
	mkdir -p "$_md/new" "$_md/cur" "$_md/tmp" &&
	    cp "$3" "$_md/new/$2" &&
	    chown -R "$(id -u nobody):$(id -g nobody)" "$_md"
}

# dovecot_count USER: the messages USER's Maildir holds (new and cur).
dovecot_count() {
	_md=$(dovecot_maildir "$1")
	find "$_md/new" "$_md/cur" -type f 2>/dev/null | wc -l
}

# dovecot_pop3_start: see the top of this file.
dovecot_pop3_start() {
	DOVECOT_DIR=${DOVECOT_DIR:-$BATS_TEST_TMPDIR/dovecot}
	dovecot_setup "$DOVECOT_DIR" "$CERTS" || return 1
	dovecot_user alice "$PASSWORD" && dovecot_user bob "$PASSWORD" ||
	    return 1
	dovecot_start || return 1
	POP3_PORT=$DOVECOT_POP3_PORT POP3S_PORT=$DOVECOT_POP3S_PORT
	DOVECOT_UID=$(id -u nobody) DOVECOT_GID=$(id -g nobody)
	export POP3_PORT POP3S_PORT DOVECOT_UID DOVECOT_GID
}

# dovecot_fill USER N [FILE]: N messages into USER's INBOX through
# dovecot-lda (the same storage code LMTP uses); FILE is delivered as it
# is, or, without FILE, a small message "fill N of M" is made per copy.
dovecot_fill() {
	_user=$1 _n=$2 _file=${3:-}
	_i=1
	while [ $_i -le "$_n" ]; do
		if [ -n "$_file" ]; then
			cat "$_file"
		else
			printf 'From: filler@example.org\r\nTo: %s\r\n' "$_user"
			printf 'Subject: fill %d of %d\r\n' "$_i" "$_n"
			printf 'Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n'
			printf 'Message-ID: <fill.%d@example.org>\r\n\r\n' "$_i"
			printf 'Message %d of %d.\r\n' "$_i" "$_n"
		fi | /usr/lib/dovecot/dovecot-lda -c "$DOVECOT_CONF" \
		    -d "$_user" -f filler@example.org || {
			echo "dovecot_fill: dovecot-lda failed for $_user" >&2
			return 1
		}
		_i=$((_i + 1))
	done
}
