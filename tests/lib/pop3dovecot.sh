# pop3dovecot.sh — a Dovecot POP3 instance of the test's own, sourced by
# tests/fetch.bats (bash).  Written for the fetch suite until a shared
# tests/lib/dovecot.sh lands; the lead may unify the two.
#
# start_dovecot: its own config, base_dir, state_dir, log and Maildirs
# under $DOVECOT_DIR (default $BATS_TEST_TMPDIR/dovecot), listening on
# 127.0.0.1 with STLS on $POP3_PORT and implicit TLS on $POP3S_PORT
# (free high ports found at start), certificates from $CERTS (certs.sh).
# Users (passwd-file, {PLAIN} so APOP and CRAM-MD5 work): alice with
# $PASSWORD; their mail is owned by nobody (Dovecot refuses UID 0).
# stop_dovecot: stops it (the master takes its children along).
# dovecot_put USER NAME FILE: a message into USER's Maildir new/ as
# NAME, the way a delivery agent leaves it.  dovecot_count USER: how
# many messages the server holds for USER.

DOVECOT_UID=65534
DOVECOT_GID=65534

# free_port: a port nothing listens on now (the kernel's choice).
free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Lets the unprivileged Dovecot processes walk down to $1.
dovecot_open_path() {
	local d=$1
	while [ "$d" != / ] && [ -n "$d" ]; do
		chmod o+x "$d" 2>/dev/null || true
		d=$(dirname "$d")
	done
}

start_dovecot() {
	local d=${DOVECOT_DIR:-$BATS_TEST_TMPDIR/dovecot} i
	DOVECOT_DIR=$d
	mkdir -p "$d/run" "$d/state" "$d/mail" "$d/home"
	dovecot_open_path "$d"
	chown "$DOVECOT_UID:$DOVECOT_GID" "$d/mail" "$d/home"
	POP3_PORT=$(free_port)
	POP3S_PORT=$(free_port)
	export DOVECOT_DIR POP3_PORT POP3S_PORT
	printf 'alice:{PLAIN}%s::::::\nbob:{PLAIN}%s::::::\n' \
	    "$PASSWORD" "$PASSWORD" >"$d/passwd"
	chmod 644 "$d/passwd"
	cat >"$d/dovecot.conf" <<EOF
base_dir = $d/run
state_dir = $d/state
instance_name = outbox-test-$$-$RANDOM
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$CERTS/good.pem
ssl_key = <$CERTS/good.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login cram-md5 apop scram-sha-256
auth_verbose = yes
first_valid_uid = $DOVECOT_UID
last_valid_uid = $DOVECOT_UID
mail_location = maildir:$d/mail/%u
pop3_uidl_format = %08Xu%08Xv
login_greeting = outbox test Dovecot ready.
passdb {
  driver = passwd-file
  args = scheme=PLAIN $d/passwd
}
userdb {
  driver = passwd-file
  args = $d/passwd
  default_fields = uid=$DOVECOT_UID gid=$DOVECOT_GID home=$d/home/%u
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
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
EOF
	dovecot -F -c "$d/dovecot.conf" </dev/null >"$d/dovecot.out" \
	    2>&1 3>&- &
	DOVECOT_PID=$!
	SERVER_PIDS+=("$DOVECOT_PID")
	for i in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$POP3S_PORT") 2>/dev/null &&
		    (exec 3<>"/dev/tcp/127.0.0.1/$POP3_PORT") 2>/dev/null; then
			return 0
		fi
		kill -0 "$DOVECOT_PID" 2>/dev/null ||
		    fail "dovecot died: $(cat "$d/dovecot.out" \
		    "$d/dovecot.log" 2>/dev/null)"
		sleep 0.1
	done
	fail "dovecot did not listen within 10 s: $(cat "$d/dovecot.log")"
}

stop_dovecot() {
	[ -n "${DOVECOT_PID:-}" ] || return 0
	kill "$DOVECOT_PID" 2>/dev/null || true
	wait "$DOVECOT_PID" 2>/dev/null || true
	DOVECOT_PID=
}

dovecot_put() {
	local md="$DOVECOT_DIR/mail/$1"
	mkdir -p "$md/new" "$md/cur" "$md/tmp"
	cp "$3" "$md/new/$2"
	chown -R "$DOVECOT_UID:$DOVECOT_GID" "$md"
}

dovecot_count() {
	local md="$DOVECOT_DIR/mail/$1"
	find "$md/new" "$md/cur" -type f 2>/dev/null | wc -l
}
