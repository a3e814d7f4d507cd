#!/usr/bin/env bats
# security.bats — local security: what the password command can see and
# how long it may run, core dumps and ptrace while a password is held,
# no credentials fetched for a plaintext session, and (as a second user)
# files that others could have planted or changed.

load test_helper

setup_file() { common_setup_file; }
setup() {
	common_setup
	LEFTOVER_PIDS=()
	NOBODY_DIR=
}
teardown() {
	local pid
	for pid in "${LEFTOVER_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	if [ -n "$NOBODY_DIR" ]; then
		rm -rf "$NOBODY_DIR"
	fi
	common_teardown
}

# The helper scripts below write what they saw into $HOME; a script file
# keeps the rc value free of nested quotes.
helper() {
	local name=$1
	shift
	printf '#!/bin/sh\n%s\n' "$*" >"$HOME/$name"
	chmod 700 "$HOME/$name"
}

# remember_pid FILE: the process whose pid FILE holds is killed in
# teardown (a helper's stray child, should outbox fail to).
remember_pid() {
	[ -s "$1" ] && LEFTOVER_PIDS+=("$(cat "$1")")
	return 0
}

# refute_alive PID: the process is gone (or a zombie) within 5 s of now.
refute_alive() {
	local i
	for i in $(seq 50); do
		if [ ! -e "/proc/$1" ] ||
		    grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	fail "process $1 is still running: $(ps -o pid,stat,args -p "$1")"
}

# --- smtp-password-cmd: the first line, a deadline, the process group ---

@test "a password command that prints and stays is killed at the timeout; mail sent" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	helper pw "echo \$\$ >$HOME/pid; printf '%s\\n' '$PASSWORD'; exec sleep 1000"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$HOME/pw" timeout=3
	run_outbox -s stays rcpt@example.net <<<"body"
	remember_pid "$HOME/pid"
	assert_success
	assert_within 30
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
	refute_secret
	# The helper did not outlive outbox.
	refute_alive "$(cat "$HOME/pid")"
}

@test "a password command that never prints: 78 after the timeout, killed" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	helper pw "echo \$\$ >$HOME/pid; exec sleep 1000"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$HOME/pw" timeout=3
	run_outbox -s silent rcpt@example.net <<<"body"
	remember_pid "$HOME/pid"
	assert_equal "$status" 78
	assert_within 30
	assert_output --partial 'smtp-password-cmd printed no password within 3 seconds'
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "a message was sent"
	refute_alive "$(cat "$HOME/pid")"
}

@test "a password command whose child holds stdout: its line is used, no wait" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	# The background sleep keeps the pipe open after the helper exits
	# (and lets go of bats' stderr and fd 3, which would hold the test).
	helper pw "sleep 1000 2>/dev/null 3>&- & echo \$! >$HOME/pid; printf '%s' '$PASSWORD'"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$HOME/pw" timeout=40
	run_outbox -s child rcpt@example.net <<<"body"
	remember_pid "$HOME/pid"
	assert_success
	# Well before the 40 s the helper would be allowed.
	assert_within 20
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
}

@test "a password command's later lines are not read; the first one is used" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	# Like pass(1): the password, then more lines; it may get EPIPE.
	helper pw "printf '%s\\nuser: alice\\nurl: example.org\\n' '$PASSWORD'; head -c 1000000 /dev/zero"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$HOME/pw" timeout=10
	run_outbox -s lines rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
}

@test "a password command that fails: 78 naming its exit status" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	helper pw "exit 3"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$HOME/pw"
	run_outbox -s fails rcpt@example.net <<<"body"
	assert_equal "$status" 78
	assert_output --partial 'smtp-password-cmd failed with exit status 3'
}

@test "smtp-security=none with a user: refused before the password command runs" {
	start_smtpd
	helper pw "touch $HOME/ran; printf '%s' '$PASSWORD'"
	write_rc smtp-security=none smtp-user=alice \
	    smtp-password-cmd="$HOME/pw"
	run_outbox -s plain rcpt@example.net <<<"body"
	assert_equal "$status" 69
	assert_output --partial 'refusing to send credentials without TLS'
	[ ! -e "$HOME/ran" ] || fail "the password command ran"
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "a message was sent"
}

# --- what the password command inherits ---

@test "the password command inherits no spool file, socket or other descriptor" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$TMPDIR"
	printf 'attached text\n' >"$HOME/note.txt"
	helper pw "ls -l /proc/self/fd/ >$HOME/fds; printf '%s' '$PASSWORD'"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$HOME/pw"
	run_outbox -s fds -a "$HOME/note.txt" rcpt@example.net <<<"body"
	assert_success
	run cat "$HOME/fds"
	refute_output --partial "$TMPDIR"
	refute_output --partial '(deleted)'
	refute_output --partial 'socket:'
	refute_output --partial 'note.txt'
}

# --- run as a second, unprivileged user (tests run as root) ---

# nobody_home: $NOBODY_DIR, a HOME owned by nobody with the CA in it.
nobody_home() {
	[ "$(id -u)" = 0 ] || fail "these tests run as root to switch users"
	NOBODY_DIR=$(mktemp -d /tmp/outbox-nobody.XXXXXX)
	chmod 755 "$NOBODY_DIR"
	cp "$CERTS/ca.pem" "$NOBODY_DIR/ca.pem"
	chown -R nobody:nogroup "$NOBODY_DIR"
}

# run_as_nobody ARGS...: outbox as nobody with HOME=$NOBODY_DIR.
run_as_nobody() {
	local t0=$SECONDS
	run timeout 60 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env HOME="$NOBODY_DIR" OUTBOX_SYSTEM_RC=/nonexistent \
	    "$OUTBOX" "$@"
	ELAPSED=$((SECONDS - t0))
}

@test "while a password is held: no core file, not dumpable (ptrace, /proc)" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	nobody_home
	# The helper runs as nobody too and looks at outbox, the parent of
	# its "sh -c".
	printf '#!/bin/sh\np=$(ps -o ppid= -p $PPID | tr -d " ")\nstat -c %%u /proc/$p/status >%s/owner\ngrep "core file" /proc/$p/limits >%s/core\nprintf %%s %s\n' \
	    "$NOBODY_DIR" "$NOBODY_DIR" "$PASSWORD" >"$NOBODY_DIR/pw"
	cat >"$NOBODY_DIR/.outboxrc" <<-EOF
	set from="$SENDER"
	set smtp="localhost:$PORT"
	set smtp-security=starttls
	set tls-ca-file="$NOBODY_DIR/ca.pem"
	set smtp-user=alice
	set smtp-password-cmd="$NOBODY_DIR/pw"
	set queue-on-failure=no
	EOF
	chmod 700 "$NOBODY_DIR/pw"
	chmod 600 "$NOBODY_DIR/.outboxrc"
	chown nobody:nogroup "$NOBODY_DIR/pw" "$NOBODY_DIR/.outboxrc"
	# Allow core files, so that it is outbox that turns them off.
	ulimit -S -c unlimited 2>/dev/null || ulimit -c unlimited ||
	    fail "cannot raise RLIMIT_CORE for the test"
	run_as_nobody -s dump rcpt@example.net <<<"body"
	assert_success
	# A non-dumpable process's /proc files belong to root (proc(5)).
	assert_equal "$(cat "$NOBODY_DIR/owner")" 0
	run cat "$NOBODY_DIR/core"
	assert_output --regexp '^Max core file size +0 '
}

# --- a password that cannot be had ---

@test "no password and no terminal to ask on: 78 (configuration), not 77" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	write_rc smtp-security=starttls smtp-user=alice
	# setsid: a new session has no controlling terminal to prompt on.
	run setsid -w timeout 60 "$OUTBOX" -s nopw rcpt@example.net <<<"body"
	assert_equal "$status" 78
	assert_output --partial 'no password for alice@localhost and no terminal to ask on; set smtp-password-cmd'
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "a message was sent"
}

# --- rc files: trusted only when nobody else can change them ---

# rc_dry FILE-MODE [OWNER]: ~/.outboxrc without a password at that mode
# (and owner), then a dry run.
rc_dry() {
	printf 'set from=alice@example.org\nset smtp=localhost:1\n' \
	    >"$HOME/.outboxrc"
	chmod "$1" "$HOME/.outboxrc"
	[ -z "${2:-}" ] || chown "$2" "$HOME/.outboxrc"
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org \
	    </dev/null
}

@test "a group-writable rc file without a password: 78, says chmod go-w" {
	rc_dry 620
	assert_equal "$status" 78
	[[ $stderr == *"$HOME/.outboxrc"*"writable by its group"*"chmod go-w $HOME/.outboxrc"* ]] ||
	    fail "unexpected: $stderr"
}

@test "a world-writable rc file: 78, says chmod go-w" {
	rc_dry 606
	assert_equal "$status" 78
	[[ $stderr == *"writable by others"*"chmod go-w $HOME/.outboxrc"* ]] ||
	    fail "unexpected: $stderr"
}

@test "an rc file owned by another user: 78, says chown" {
	rc_dry 600 nobody
	assert_equal "$status" 78
	[[ $stderr == *"belongs to nobody"*"chown $(id -un) $HOME/.outboxrc"* ]] ||
	    fail "unexpected: $stderr"
}

@test "a world-writable system rc with smtp-password-cmd: refused, the command never runs" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	helper pw "touch $HOME/ran; printf '%s' '$PASSWORD'"
	cat >"$BATS_TEST_TMPDIR/system.rc" <<-EOF
	set from="$SENDER"
	set smtp="localhost:$PORT"
	set smtp-security=starttls
	set tls-ca-file="$CERTS/ca.pem"
	set smtp-user=alice
	set smtp-password-cmd="$HOME/pw"
	set queue-on-failure=no
	EOF
	chmod 666 "$BATS_TEST_TMPDIR/system.rc"
	OUTBOX_SYSTEM_RC="$BATS_TEST_TMPDIR/system.rc" \
	    run_outbox -s sys rcpt@example.net <<<"body"
	assert_equal "$status" 78
	assert_output --partial "chmod go-w $BATS_TEST_TMPDIR/system.rc"
	[ ! -e "$HOME/ran" ] || fail "the password command ran"
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "a message was sent"
}

@test "a 0640 rc file holding smtp-password: 'readable by its group'" {
	printf 'set from=alice@example.org\nset smtp-password=hunter2\n' \
	    >"$HOME/.outboxrc"
	chmod 640 "$HOME/.outboxrc"
	run --separate-stderr timeout 20 "$OUTBOX" --dry-run x@example.org \
	    </dev/null
	assert_equal "$status" 78
	[[ $stderr == *"readable by its group; run chmod 600 $HOME/.outboxrc"* ]] ||
	    fail "unexpected: $stderr"
	[[ $stderr != *hunter2* ]] || fail "the password was echoed"
}

@test "as a second user: a root-owned 0644 system rc is accepted, a 0664 one is not" {
	nobody_home
	printf 'set from=nobody@example.org\nset smtp=localhost:1\n' \
	    >"$NOBODY_DIR/system.rc"
	chmod 644 "$NOBODY_DIR/system.rc"
	run timeout 20 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env HOME="$NOBODY_DIR" OUTBOX_SYSTEM_RC="$NOBODY_DIR/system.rc" \
	    "$OUTBOX" --dry-run x@example.org </dev/null
	assert_success
	chmod 664 "$NOBODY_DIR/system.rc"
	run timeout 20 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env HOME="$NOBODY_DIR" OUTBOX_SYSTEM_RC="$NOBODY_DIR/system.rc" \
	    "$OUTBOX" --dry-run x@example.org </dev/null
	assert_equal "$status" 78
	assert_output --partial "writable by its group"
}

# --- the queue directory and its entries ---

# queue_one: one entry in $QDIR (server down, queued), its id in $ID.
queue_one() {
	PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	export PORT
	write_rc smtp-security=none queue-on-failure=yes queue-dir="$QDIR"
	run_outbox -s queued a@example.net <<<"queued body"
	assert_success
	ID=$(basename "$(ls "$QDIR"/*.env)" .env)
}

@test "a queue directory others can write to: 78, says chmod 700; nothing flushed" {
	QDIR="$BATS_TEST_TMPDIR/q"
	queue_one
	chmod 777 "$QDIR"
	start_smtpd
	write_rc smtp-security=none queue-dir="$QDIR"
	run_outbox --flush
	assert_equal "$status" 78
	assert_output --partial "queue directory $QDIR is writable by others, who could plant messages in it; run chmod 700 $QDIR"
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "an entry was delivered"
	run_outbox --queue -s x b@example.net <<<"body"
	assert_equal "$status" 78
}

@test "a queue directory owned by another user: 78, says chown; nothing flushed" {
	QDIR="$BATS_TEST_TMPDIR/q"
	queue_one
	chown -R nobody "$QDIR"
	start_smtpd
	write_rc smtp-security=none queue-dir="$QDIR"
	run_outbox --flush
	assert_equal "$status" 78
	assert_output --partial "queue directory $QDIR belongs to nobody"
	assert_output --partial "chown -R $(id -un) $QDIR"
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "an entry was delivered"
}

@test "a queue directory that is a symbolic link: 78" {
	QDIR="$BATS_TEST_TMPDIR/q"
	queue_one
	mv "$QDIR" "$BATS_TEST_TMPDIR/real"
	ln -s "$BATS_TEST_TMPDIR/real" "$QDIR"
	start_smtpd
	write_rc smtp-security=none queue-dir="$QDIR"
	run_outbox --flush
	assert_equal "$status" 78
	assert_output --partial "queue directory $QDIR is a symbolic link"
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "an entry was delivered"
}

@test "a planted .msg symlink to a secret file is never delivered" {
	QDIR="$BATS_TEST_TMPDIR/q"
	queue_one
	printf 'TOP SECRET\n' >"$BATS_TEST_TMPDIR/secret"
	chmod 600 "$BATS_TEST_TMPDIR/secret"
	rm "$QDIR/$ID.msg"
	ln -s "$BATS_TEST_TMPDIR/secret" "$QDIR/$ID.msg"
	start_smtpd
	write_rc smtp-security=none queue-dir="$QDIR"
	run_outbox --flush
	if [ -d "$SMTPD_OUT" ]; then
		run grep -rl 'TOP SECRET' "$SMTPD_OUT"
		assert_failure
	fi
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "the planted entry was delivered"
}

@test "an entry owned by another user is not delivered" {
	QDIR="$BATS_TEST_TMPDIR/q"
	queue_one
	chown nobody "$QDIR/$ID.env" "$QDIR/$ID.msg"
	start_smtpd
	write_rc smtp-security=none queue-dir="$QDIR"
	run_outbox --flush
	[ ! -e "$SMTPD_OUT/1.json" ] || fail "the other user's entry was delivered"
}

# --- the small ones the fuzzers found ---

@test "repeated recipients, in any case and any field, get one RCPT each, in order" {
	start_smtpd
	write_rc smtp-security=none
	run_outbox -s dup -c 'B@example.net, a@example.net' \
	    -b 'c@example.net, A@EXAMPLE.NET' a@example.net b@example.net \
	    <<<"body"
	assert_success
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]')" \
	    '["a@example.net", "b@example.net", "c@example.net"]'
}

@test "an rc file holding smtp-password: not dumpable from the start" {
	start_fault 'silent'
	nobody_home
	cat >"$NOBODY_DIR/.outboxrc" <<-EOF
	set from="$SENDER"
	set smtp="localhost:$PORT"
	set smtp-user=alice
	set smtp-password="$PASSWORD"
	set timeout=20
	set queue-on-failure=no
	EOF
	chmod 600 "$NOBODY_DIR/.outboxrc"
	chown nobody:nogroup "$NOBODY_DIR/.outboxrc"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env HOME="$NOBODY_DIR" OUTBOX_SYSTEM_RC=/nonexistent \
	    timeout 30 "$OUTBOX" -s dump rcpt@example.net \
	    <<<"body" >/dev/null 2>&1 3>&- &
	local pid=$! i owner=
	LEFTOVER_PIDS+=("$pid")
	# Wait (10 s at most) until outbox, the child of timeout, is
	# connected and waiting for the greeting that never comes.
	for i in $(seq 100); do
		[ -s "$FAULT_LOG/transcript.log" ] || [ -n "$(ss -tnH state established "( dport = :$PORT )")" ] && break
		sleep 0.1
	done
	local child
	child=$(pgrep -P "$pid" -x outbox)
	[ -n "$child" ] || fail "outbox is not running"
	owner=$(stat -c %u "/proc/$child/status")
	kill "$pid" 2>/dev/null || true
	assert_equal "$owner" 0
}

# --- the login name: one source, or the same in both ---

@test "config.example puts no user in its smtp URL" {
	run grep -E '^[[:space:]]*set smtp=[^ ]*@' "$TESTS_DIR/../config.example"
	assert_failure
}

@test "a user in the smtp URL and a different smtp-user: 78 naming both" {
	printf 'set from=alice@example.org\nset smtp=smtps://bob@smtp.example.org\nset smtp-user=alice@example.org\n' \
	    >"$HOME/.outboxrc"
	chmod 600 "$HOME/.outboxrc"
	run --separate-stderr timeout 20 "$OUTBOX" -s x x@example.org <<<"body"
	assert_equal "$status" 78
	[[ $stderr == *'"bob"'*'"alice@example.org"'* ]] ||
	    fail "unexpected: $stderr"
}

@test "the same user in the smtp URL and smtp-user is fine" {
	start_smtpd_tls tls --auth "alice:$PASSWORD" --require-auth
	write_rc smtp="smtps://alice@localhost:$PORT" smtp-user=alice \
	    smtp-password="$PASSWORD"
	run_outbox -s same rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
}
@test "attempts at INT_MAX: the entry stays listed and is flushed" {
	QDIR="$BATS_TEST_TMPDIR/q"
	queue_one
	sed -i 's/^attempts .*/attempts 2147483647/; s/^next .*/next 0/' \
	    "$QDIR/$ID.env"
	start_fault 'reply MAIL 451 try later'
	write_rc smtp-security=none queue-dir="$QDIR" queue-on-failure=yes
	run_outbox --flush
	run_outbox --queue-list
	assert_success
	assert_output --partial "$ID"
	# One more attempt was counted, from the cap (1000000).
	run grep '^attempts ' "$QDIR/$ID.env"
	assert_output 'attempts 1000001'
	grep -q '451 try later' "$QDIR/$ID.env" || fail 'no attempt was made'
}
