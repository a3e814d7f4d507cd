#!/usr/bin/env bats
# queue.bats — the durable queue (issue 5): queue-on-failure, --queue,
# --flush over one connection, back-off, dead letters in failed/,
# --queue-list / --queue-drop and their --json, crash safety under
# SIGKILL, concurrent flushes, a full disk.
#
# Every test has its own queue ($QDIR, set by write_rc's queue-dir) and
# turns queue-on-failure on itself (write_rc's default is off).

load test_helper

setup_file() { common_setup_file; }
setup() {
	common_setup
	QDIR="$BATS_TEST_TMPDIR/queue"
	MNT=
}
teardown() {
	common_teardown
	if [ -n "$MNT" ]; then
		umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	fi
}

BODY='queue test body'

# qrc ARGS...: write_rc with queueing on; plaintext to smtpd.py.
qrc() { write_rc queue-on-failure=yes "$@"; }

# nentries: how many entries the queue holds (not failed ones).
nentries() { find "$QDIR" -maxdepth 1 -name '*.env' 2>/dev/null | wc -l; }
nfailed() { find "$QDIR/failed" -maxdepth 1 -name '*.env' 2>/dev/null | wc -l; }
# nreceived: messages smtpd.py took.
nreceived() { find "$SMTPD_OUT" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l; }

# down_port: a port on 127.0.0.1 where nothing listens.
down_port() {
	PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	export PORT
}

@test "server down: exit 0, 'queued' notice, a whole entry; --flush later delivers once" {
	down_port
	qrc smtp-security=none
	run_outbox -s down a@example.net <<<"$BODY"
	assert_success
	assert_output --regexp '^outbox: queued [0-9]{8}T[0-9]{6}-[0-9a-f]{8}: connect: .*refused.*; will retry$'
	[ "$(nentries)" -eq 1 ]
	id=$(basename "$(ls "$QDIR"/*.env)" .env)
	[ -s "$QDIR/$id.msg" ]
	grep -q "$BODY" "$QDIR/$id.msg"
	[ "$(stat -c %a "$QDIR")" = 700 ]
	[ "$(stat -c %a "$QDIR/$id.msg")" = 600 ]
	[ "$(stat -c %a "$QDIR/$id.env")" = 600 ]
	tail -n 1 "$QDIR/$id.env" | grep -qx end

	start_smtpd --mode plain
	qrc smtp-security=none
	run_outbox --flush
	assert_success
	[ "$(nentries)" -eq 0 ]
	[ "$(nreceived)" -eq 1 ]
	grep -q "$BODY" "$SMTPD_OUT"/*.eml
	json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]' | grep -q a@example.net
	# Nothing is sent twice.
	run_outbox --flush --now
	assert_success
	[ "$(nreceived)" -eq 1 ]
}

@test "queue-on-failure=no: 75 as before, nothing queued" {
	down_port
	write_rc smtp-security=none queue-on-failure=no
	run_outbox -s down a@example.net <<<"$BODY"
	assert_failure 75
	[ "$(nentries)" -eq 0 ]
}

@test "--queue: no connection, exit 0, --json says queued" {
	down_port
	qrc smtp-security=none
	run_outbox_split --queue --json -s q a@example.net <<<"$BODY"
	assert_success
	[[ $stderr =~ ^outbox:\ queued\ [^:]+:\ queued\ by\ --queue\;\ will\ retry$ ]]
	echo "$output" >"$BATS_TEST_TMPDIR/j"
	[ "$(json_get "$BATS_TEST_TMPDIR/j" 'j["result"]')" = queued ]
	id=$(json_get "$BATS_TEST_TMPDIR/j" 'j["queue_id"]')
	[ -f "$QDIR/$id.env" ]
}

@test "--queue-list and --json, --queue-drop" {
	down_port
	qrc smtp-security=none
	run_outbox --queue -s one a@example.net b@example.net <<<"$BODY"
	run_outbox --queue -s two c@example.net <<<"$BODY"
	run_outbox --queue-list
	assert_success
	assert_line --regexp '^ID +AGE +SIZE +TRIES +STATE$'
	assert_line '    to: a@example.net, b@example.net'
	assert_line '    to: c@example.net'
	run_outbox_split --queue-list --json
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/j"
	[ "$(json_get "$BATS_TEST_TMPDIR/j" 'len(j["entries"])')" = 2 ]
	json_get "$BATS_TEST_TMPDIR/j" 'sorted(e["recipients"][0] for e in j["entries"])' |
	    grep -q '"a@example.net", "c@example.net"'
	json_get "$BATS_TEST_TMPDIR/j" '[e["attempts"] for e in j["entries"]]' | grep -qx '\[0, 0\]'
	id=$(json_get "$BATS_TEST_TMPDIR/j" 'j["entries"][0]["id"]')
	run_outbox --queue-drop "$id"
	assert_success
	[ "$(nentries)" -eq 1 ]
	[ ! -e "$QDIR/$id.msg" ]
	run_outbox --queue-drop "$id"
	assert_failure 66
	run_outbox --queue-drop ../../etc
	assert_failure 65
}

@test "a 4xx for one recipient of three: two delivered, one queued, the flush sends only that one" {
	start_fault 'reply RCPT 250 ok
reply RCPT 451 4.2.1 mailbox busy
reply RCPT 250 ok'
	qrc
	run_outbox -s partial a@example.net b@example.net c@example.net <<<"$BODY"
	assert_success
	assert_output --regexp '^outbox: queued [^:]+: RCPT TO .*451 4\.2\.1 mailbox busy.*; will retry$'
	[ "$(nentries)" -eq 1 ]
	grep -qx 'rcpt b@example.net' "$QDIR"/*.env
	[ "$(grep -c '^rcpt ' "$QDIR"/*.env)" -eq 1 ]
	run_outbox --flush
	assert_success
	[ "$(nentries)" -eq 0 ]
	rc=$(tr -d '\r' <"$FAULT_LOG/transcript.log" | grep -i '^RCPT TO')
	[ "$(grep -c 'a@example.net' <<<"$rc")" -eq 1 ]
	[ "$(grep -c 'b@example.net' <<<"$rc")" -eq 2 ]
	[ "$(grep -c 'c@example.net' <<<"$rc")" -eq 1 ]
	[ -s "$FAULT_LOG/data-2.eml" ]
	[ ! -e "$FAULT_LOG/data-3.eml" ]
}

@test "a 5xx during the flush: the entry goes to failed/ with the reply, 69" {
	down_port
	qrc smtp-security=none
	run_outbox --queue -s doomed a@example.net <<<"$BODY"
	start_fault 'reply DOT 554 5.7.1 rejected as spam'
	qrc
	run_outbox --flush
	assert_failure 69
	assert_line --regexp '^outbox: queue [^ ]+: undeliverable, moved to the failed area: end of data: .*554 5\.7\.1 rejected as spam'
	[ "$(nentries)" -eq 0 ]
	[ "$(nfailed)" -eq 1 ]
	grep -q '^last-reply .*554 5.7.1 rejected as spam' "$QDIR"/failed/*.env
	grep -q "$BODY" "$QDIR"/failed/*.msg
	run_outbox_split --queue-list --json
	echo "$output" >"$BATS_TEST_TMPDIR/j"
	[ "$(json_get "$BATS_TEST_TMPDIR/j" 'j["entries"][0]["state"]')" = failed ]
}

@test "back-off: a failed attempt waits; --flush skips it, --flush --now retries" {
	down_port
	qrc smtp-security=none
	run_outbox -s later a@example.net <<<"$BODY"
	assert_success
	run_outbox --flush
	assert_success
	assert_output --regexp 'deferred: .*refused.*; next attempt in 1m$'
	grep -qx 'attempts 1' "$QDIR"/*.env
	run_outbox --flush
	assert_success
	grep -qx 'attempts 1' "$QDIR"/*.env
	run_outbox --flush --now
	grep -qx 'attempts 2' "$QDIR"/*.env
	run_outbox --flush --now --json
	assert_output --partial '"result":"flushed"'
	assert_output --partial '"deferred":[{"id":'
}

@test "queue-max-age: an entry past it goes to failed/" {
	down_port
	qrc smtp-security=none queue-max-age=1s
	run_outbox --queue -s old a@example.net <<<"$BODY"
	sleep 1.2
	run_outbox --flush
	assert_failure 69
	assert_output --partial 'expired after 0 attempts'
	[ "$(nfailed)" -eq 1 ]
	write_rc queue-max-age=5x
	run_outbox --queue-list
	assert_failure 78
}

@test "the flush reuses one connection, RSET between messages" {
	down_port
	qrc smtp-security=none
	for i in 1 2 3 4 5; do
		run_outbox --queue -s "m$i" "r$i@example.net" <<<"$BODY"
		assert_success
	done
	start_fault ''
	qrc
	run_outbox --flush
	assert_success
	[ "$(nentries)" -eq 0 ]
	w=$(tr -d '\r' <"$FAULT_LOG/transcript.log" | awk '{ print toupper($1) }')
	[ "$(grep -cx STARTTLS <<<"$w")" -eq 1 ]
	[ "$(grep -cx MAIL <<<"$w")" -eq 5 ]
	[ "$(grep -cx RSET <<<"$w")" -eq 4 ]
	[ "$(grep -cx QUIT <<<"$w")" -eq 1 ]
}

@test "a flush of 6 over one pipelined session, one refused and one deferred at the dot: the others delivered and removed" {
	down_port
	qrc smtp-security=none
	for i in 1 2 3 4 5 6; do
		run_outbox --queue -s "m$i" "r$i@example.net" <<<"$BODY"
		assert_success
	done
	# The 3rd message of the session is refused for good, the 4th for now.
	start_fault 'reply DOT 250 ok
reply DOT 250 ok
reply DOT 554 5.7.1 rejected as spam
reply DOT 451 4.3.0 try later
reply DOT 250 ok'
	qrc
	run_outbox --flush
	assert_failure 69
	for n in 1 2 3 4 5 6; do [ -s "$FAULT_LOG/data-$n.eml" ]; done
	[ ! -e "$FAULT_LOG/data-7.eml" ]
	subj() { sed -n 's/^Subject: //p' "$1" | tr -d '\r'; }
	# The refused one is in failed/, the deferred one still queued, the
	# four others gone.
	[ "$(nfailed)" -eq 1 ]
	[ "$(subj "$QDIR"/failed/*.msg)" = "$(subj "$FAULT_LOG/data-3.eml")" ]
	[ "$(nentries)" -eq 1 ]
	[ "$(subj "$QDIR"/*.msg)" = "$(subj "$FAULT_LOG/data-4.eml")" ]
	grep -qx 'attempts 1' "$QDIR"/*.env
	grep -q '^last-reply .*451 4.3.0 try later' "$QDIR"/*.env
	# Nothing marked in flight is left, nor any other file.
	[ ! -x "$QDIR"/*.env ]
	[ "$(find "$QDIR" -maxdepth 1 -type f ! -name lock | wc -l)" -eq 2 ]
	# One connection; RSET before all but the first, each followed by
	# the next MAIL (sent in the same write: tests/unit/test_smtp.c).
	w=$(tr -d '\r' <"$FAULT_LOG/transcript.log" | awk '{ print toupper($1) }')
	[ "$(grep -cx STARTTLS <<<"$w")" -eq 1 ]
	[ "$(grep -cx QUIT <<<"$w")" -eq 1 ]
	[ "$(grep -cx RSET <<<"$w")" -eq 5 ]
	[ "$(grep -A1 -x RSET <<<"$w" | grep -cx MAIL)" -eq 5 ]
	# Once more: the deferred one goes, and the queue is empty.
	run_outbox --flush --now
	assert_success
	[ "$(nentries)" -eq 0 ]
	[ "$(nfailed)" -eq 1 ]
}

@test "a successful send flushes due entries afterwards, quietly" {
	down_port
	qrc smtp-security=none
	run_outbox --queue -s first a@example.net <<<"$BODY"
	start_smtpd --mode plain
	qrc smtp-security=none
	run_outbox -s second b@example.net <<<"$BODY"
	assert_success
	refute_output
	[ "$(nentries)" -eq 0 ]
	[ "$(nreceived)" -eq 2 ]
}

@test "a send and a due entry: one connection, one AUTH, one password-cmd run" {
	down_port
	qrc smtp-security=none
	run_outbox --queue -s first a@example.net <<<"$BODY"
	assert_success
	[ "$(nentries)" -eq 1 ]
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	# The password command counts its runs (a prompt would ask each time).
	printf '#!/bin/sh\necho run >>"%s"\nprintf %%s "%s"\n' \
	    "$BATS_TEST_TMPDIR/pwruns" "$PASSWORD" >"$HOME/pwcmd"
	chmod 700 "$HOME/pwcmd"
	qrc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$HOME/pwcmd"
	run_outbox -s second b@example.net <<<"$BODY"
	assert_success
	refute_output
	[ "$(nentries)" -eq 0 ]
	[ "$(nreceived)" -eq 2 ]
	grep -q '^Subject: second' "$SMTPD_OUT/1.eml"
	grep -q '^Subject: first' "$SMTPD_OUT/2.eml"
	assert_equal "$(wc -l <"$SMTPD_OUT/connections.log")" 1
	assert_equal "$(grep -c '^AUTH ' "$SMTPD_OUT/commands.log")" 1
	assert_equal "$(grep -c '^RSET' "$SMTPD_OUT/commands.log")" 1
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/pwruns")" 1
	assert_equal "$(json_get "$SMTPD_OUT/2.json" 'j["auth_user"]')" alice
	refute_secret
}

@test "connection lost after the final dot: kept (a duplicate is possible), exit 0" {
	start_fault 'close-after DOT'
	qrc
	run_outbox -s lost a@example.net <<<"$BODY"
	assert_success
	assert_output --regexp 'queued .*uncertain.*; will retry'
	[ "$(nentries)" -eq 1 ]
}

@test "a flush killed after the final dot: the next flush warns of a possible duplicate" {
	down_port
	qrc smtp-security=none
	run_outbox -s inflight a@example.net <<<"$BODY"
	assert_success
	id=$(basename "$(ls "$QDIR"/*.env)" .env)
	# The server takes the dot and then sits on its reply.
	start_fault 'delay DOT 30'
	qrc
	"$OUTBOX" --flush </dev/null >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 150); do
		[ -s "$FAULT_LOG/data.eml" ] && break
		sleep 0.1
	done
	[ -s "$FAULT_LOG/data.eml" ]
	kill -9 "$pid"
	wait "$pid" || true
	# Cut off after the dot: the entry stays, marked in flight (the
	# owner-execute bit of its .env, queue.h).
	[ "$(nentries)" -eq 1 ]
	[ -x "$QDIR/$id.env" ]

	start_smtpd --mode plain
	qrc smtp-security=none
	run_outbox --flush
	assert_success
	assert_output --partial "queue entry $id: an earlier attempt was cut off after the message was sent"
	[ "$(nreceived)" -eq 1 ]
	[ "$(nentries)" -eq 0 ]
	[ ! -e "$QDIR/$id.env" ]
}

@test "two concurrent flushes deliver each message once" {
	down_port
	qrc smtp-security=none
	for i in $(seq 20); do
		timeout 20 "$OUTBOX" --queue -s "c$i" "r$i@example.net" <<<"$BODY" 2>/dev/null
	done
	[ "$(nentries)" -eq 20 ]
	start_smtpd --mode plain
	qrc smtp-security=none
	timeout 60 "$OUTBOX" --flush --now 2>"$BATS_TEST_TMPDIR/f1" &
	p1=$!
	timeout 60 "$OUTBOX" --flush --now 2>"$BATS_TEST_TMPDIR/f2" &
	p2=$!
	wait $p1
	wait $p2
	timeout 60 "$OUTBOX" --flush --now
	[ "$(nentries)" -eq 0 ]
	[ "$(nreceived)" -eq 20 ]
	for i in $(seq 20); do
		[ "$(grep -l "^Subject: c$i"$'\r'"\?$" "$SMTPD_OUT"/*.eml | wc -l)" -eq 1 ]
	done
}

# check_queue_whole: every entry parses and has its message.
check_queue_whole() {
	local n listed e
	n=$(nentries)
	timeout 30 "$OUTBOX" --queue-list --json >"$BATS_TEST_TMPDIR/l.json"
	listed=$(json_get "$BATS_TEST_TMPDIR/l.json" 'len([e for e in j["entries"] if e["state"] == "queued"])')
	[ "$listed" -eq "$n" ] || fail "$n entries, $listed readable"
	for e in "$QDIR"/*.env; do
		[ -e "$e" ] || continue
		grep -q "END-OF-BODY" "${e%.env}.msg" ||
		    fail "entry ${e%.env} has no whole message"
	done
}

@test "SIGKILL at random moments during enqueue and flush: no partial entry, no loss" {
	down_port
	qrc smtp-security=none
	big=$(head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 70)
	ok=()
	# 100 enqueues, each killed after 0-19 ms (or finishing first).
	for i in $(seq 100); do
		printf '%s\nEND-OF-BODY\n' "$big" >"$BATS_TEST_TMPDIR/body"
		"$OUTBOX" --queue -s "k$i" "r$i@example.net" \
		    <"$BATS_TEST_TMPDIR/body" 2>/dev/null &
		p=$!
		sleep "0.0$((RANDOM % 20))"
		kill -9 $p 2>/dev/null || true
		if wait $p 2>/dev/null; then ok+=("$i"); fi
	done
	check_queue_whole
	queued=$(nentries)
	[ "$queued" -ge "${#ok[@]}" ]
	[ "$queued" -gt 0 ]
	# Which subjects are queued: each must arrive at least once.
	want=$(for e in "$QDIR"/*.env; do cat "${e%.env}.msg"; done |
	    tr -d '\r' | sed -n 's/^Subject: //p' | sort -u)
	for i in "${ok[@]}"; do grep -qx "k$i" <<<"$want"; done

	start_smtpd --mode plain
	qrc smtp-security=none
	# 100 flushes, each killed after 0-49 ms.
	for i in $(seq 100); do
		# Not under timeout(1): the kill must reach outbox itself.
		"$OUTBOX" --flush --now 2>/dev/null &
		p=$!
		sleep "0.0$((RANDOM % 50))"
		kill -9 $p 2>/dev/null || true
		# Bounded: a flush that outlived its kill would hang here.
		for _ in $(seq 300); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
		wait $p 2>/dev/null || true
		check_queue_whole
	done
	run_outbox --flush --now
	assert_success
	[ "$(nentries)" -eq 0 ]
	got=$(cat "$SMTPD_OUT"/*.eml | tr -d '\r' | sed -n 's/^Subject: //p' | sort)
	for s in $want; do
		grep -qx "$s" <<<"$got" || fail "message $s lost"
	done
	echo "# $queued queued, $(wc -l <<<"$got") received, $(uniq -d <<<"$got" | wc -l) duplicated" >&3
}

# on_tty ARGS...: runs outbox with a terminal as stdin, typing BODY.
on_tty() {
	run timeout 30 "$PY" -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
os.write(fd, b"typed body\n\x04")
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(st))
' "$OUTBOX" "$@"
}

@test "a full disk: a clear error, 73 or 74, the message in ~/dead.letter from a terminal" {
	MNT="$BATS_TEST_TMPDIR/small"
	mkdir -p "$MNT"
	if ! mount -t tmpfs -o size=64k,mode=700 tmpfs "$MNT" 2>/dev/null; then
		MNT=
		skip "cannot mount a tmpfs here"
	fi
	dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null || true
	down_port
	qrc smtp-security=none queue-dir="$MNT/queue"
	run_outbox --queue -s full a@example.net <<<"$BODY"
	[ "$status" -eq 73 ] || [ "$status" -eq 74 ]
	assert_output --regexp '^outbox: .*(No space left on device)'
	refute_output --partial 'queued'
	# Queue on failure, from a terminal: dead.letter keeps it.
	on_tty -s full a@example.net
	[ "$status" -eq 73 ] || [ "$status" -eq 74 ]
	assert_output --partial 'cannot queue the message'
	assert_output --partial "message saved in $HOME/dead.letter"
	grep -q 'typed body' "$HOME/dead.letter"
	[ "$(stat -c %a "$HOME/dead.letter")" = 600 ]
}
