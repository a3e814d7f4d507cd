#!/usr/bin/env bats
# fetch.bats — outbox --fetch against a real Dovecot (tests named
# "dovecot: ...") and, for what Dovecot will not do, the fault server in
# POP3 mode.

load test_helper
. "$BATS_TEST_DIRNAME/lib/dovecot.sh"

setup_file() {
	common_setup_file
}

setup() {
	common_setup
	MSGS="$BATS_TEST_TMPDIR/msgs"
	mkdir -p "$MSGS"
}

teardown() {
	if [ -n "${MNT:-}" ]; then
		umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	fi
	dovecot_stop
	common_teardown
}

# fetch_rc [KEY=VALUE]...: ~/.outboxrc for alice at the Dovecot (POP3S).
fetch_rc() {
	local kv
	{
		printf 'set pop3="pop3s://alice@localhost:%s"\n' "$POP3S_PORT"
		printf 'set pop3-password="%s"\n' "$PASSWORD"
		printf 'set tls-ca-file="%s"\n' "$CERTS/ca.pem"
		printf 'set timeout=5\n'
		printf 'set fetch-to="%s"\n' "$HOME/Mail"
		for kv in "$@"; do
			printf 'set %s="%s"\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$HOME/.outboxrc"
	chmod 600 "$HOME/.outboxrc"
}

# The test mailbox: messages of every awkward kind, in $MSGS.
make_messages() {
	printf 'From: a@example.org\nSubject: plain\nMessage-ID: <1@t>\n\nHello.\n' \
	    >"$MSGS/01-plain"
	{
		printf 'From: a@example.org\nSubject: dots\nMessage-ID: <2@t>\n\n'
		printf '.\n..\n.leading dot\n...three\nend\n'
	} >"$MSGS/02-dots"
	{
		printf 'From: a@example.org\nSubject: long line\nMessage-ID: <3@t>\n\n'
		head -c 300000 /dev/zero | tr '\0' 'L'
		printf '\nshort\n'
	} >"$MSGS/03-longline"
	{
		printf 'From: a@example.org\nSubject: =?UTF-8?Q?8bit?=\nMessage-ID: <4@t>\n'
		printf 'Content-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf 'Gr\303\274\303\237e \342\202\254 \377\376 raw bytes\n'
	} >"$MSGS/04-8bit"
	printf 'From: a@example.org\nSubject: empty body\nMessage-ID: <5@t>\n\n' \
	    >"$MSGS/05-empty"
	{
		printf 'From: a@example.org\nSubject: large\nMessage-ID: <6@t>\n\n'
		head -c 3000000 /dev/urandom | base64 -w 76
	} >"$MSGS/06-large"
	{
		printf 'From: a@example.org\nSubject: from lines\nMessage-ID: <7@t>\n\n'
		printf 'From the start\n>From quoted\n>>From twice\nFrom\n'
	} >"$MSGS/07-from"
}

fill_mailbox() {
	local f n=0
	for f in "$MSGS"/*; do
		n=$((n + 1))
		dovecot_put alice "100000000$n.M$n.test" "$f"
	done
}

# Every message of $MSGS appears exactly once among the files of $1.
assert_each_once() {
	local f h got
	got=$(cat "$1"/* | wc -c)
	for f in "$MSGS"/*; do
		h=$(sha256sum <"$f" | cut -d' ' -f1)
		n=$(for g in "$1"/*; do sha256sum <"$g"; done |
		    grep -c "^$h " || true)
		[ "$n" -eq 1 ] || fail "$(basename "$f") found $n times in $1"
	done
	[ "$(ls "$1" | wc -l)" -eq "$(ls "$MSGS" | wc -l)" ] ||
	    fail "$(ls "$1" | wc -l) files in $1, expected $(ls "$MSGS" | wc -l)"
	[ "$got" -gt 0 ]
}

@test "dovecot: every message arrives byte for byte over POP3S" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc
	run_outbox --fetch
	assert_success
	assert_output "outbox: fetch default: 7 new, 0 already here, 0 left (too large)"
	assert_each_once "$HOME/Mail/new"
	# The Maildir names carry the unique id; nothing is left in tmp/.
	[ -z "$(ls "$HOME/Mail/tmp")" ]
	ls "$HOME/Mail/new" | grep -q ',U=0000000'
	# Kept on the server by default.
	[ "$(dovecot_count alice)" -eq 7 ]
}

@test "dovecot: a second fetch brings nothing" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc
	run_outbox --fetch
	assert_success
	run_outbox --fetch
	assert_success
	assert_output "outbox: fetch default: 0 new, 7 already here, 0 left (too large)"
	assert_each_once "$HOME/Mail/new"
	# A new message afterwards is the only one fetched.
	printf 'Subject: later\n\nlater\n' >"$MSGS/08-later"
	dovecot_put alice 2000000000.M9.test "$MSGS/08-later"
	run_outbox --fetch
	assert_output "outbox: fetch default: 1 new, 7 already here, 0 left (too large)"
	assert_each_once "$HOME/Mail/new"
}

@test "dovecot: STLS on the plain port, with SASL PLAIN" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc pop3="alice@localhost:$POP3_PORT" pop3-auth=plain
	run_outbox --fetch -v
	assert_success
	assert_line "C: STLS"
	assert_line "C: AUTH PLAIN <redacted>"
	refute_output --partial "$PASSWORD"
	assert_each_once "$HOME/Mail/new"
	grep -q 'method=PLAIN.*TLS' "$DOVECOT_DIR/dovecot.log"
}

@test "dovecot: APOP and USER/PASS logins" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc pop3-auth=apop
	run_outbox --fetch -v
	assert_success
	assert_line --regexp '^C: APOP alice <redacted>$'
	grep -q 'method=APOP' "$DOVECOT_DIR/dovecot.log"
	rm -r "$HOME/.local/state"
	fetch_rc pop3-auth=user fetch-to="$HOME/Mail2"
	run_outbox --fetch -v
	assert_success
	assert_line "C: PASS <redacted>"
	refute_output --partial "$PASSWORD"
	assert_each_once "$HOME/Mail2/new"
}

@test "dovecot: SASL LOGIN and CRAM-MD5; a mechanism not offered is 69" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	local m
	for m in login cram-md5; do
		rm -rf "$HOME/.local/state" "$HOME/Mail"
		fetch_rc pop3-auth=$m
		run_outbox --fetch -v
		assert_success
		# LOGIN's initial response is the user; CRAM-MD5 has none.
		assert_line --regexp "^C: AUTH ${m^^}( <redacted>)?$"
		refute_output --partial "$PASSWORD"
		assert_each_once "$HOME/Mail/new"
	done
	grep -q 'method=LOGIN' "$DOVECOT_DIR/dovecot.log"
	grep -q 'method=CRAM-MD5' "$DOVECOT_DIR/dovecot.log"
	fetch_rc pop3-auth=xoauth2
	run_outbox --fetch
	assert_failure 69
	assert_line --index 0 "outbox: fetch default: AUTH: the server does not offer XOAUTH2"
	assert_line --index 1 --partial "outbox: hint: pop3-auth names a mechanism the server does not offer"
}

@test "dovecot: auto picks SCRAM-SHA-256 and the smtp login is the fallback" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	{
		printf 'set pop3="pop3s://localhost:%s"\n' "$POP3S_PORT"
		printf 'set smtp-user=alice\nset smtp-password="%s"\n' "$PASSWORD"
		printf 'set tls-ca-file="%s"\nset timeout=5\n' "$CERTS/ca.pem"
		printf 'set fetch-to="%s"\n' "$HOME/Mail"
	} >"$HOME/.outboxrc"
	chmod 600 "$HOME/.outboxrc"
	run_outbox --fetch -v
	assert_success
	assert_line "C: AUTH SCRAM-SHA-256 <redacted>"
	assert_each_once "$HOME/Mail/new"
}

@test "dovecot: --fetch fetches every account with pop3; -A one of them" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	printf 'Subject: for bob\n\nhello bob\n' >"$BATS_TEST_TMPDIR/bob1"
	dovecot_put bob 1000000001.M1.test "$BATS_TEST_TMPDIR/bob1"
	cat >"$HOME/.outboxrc" <<EOF
set tls-ca-file="$CERTS/ca.pem"
set timeout=5
set pop3-password="$PASSWORD"
account alice {
	set pop3="pop3s://alice@localhost:$POP3S_PORT"
	set fetch-to="$HOME/alice"
}
account bob {
	set pop3="pop3s://bob@localhost:$POP3S_PORT"
	set fetch-to="mbox:$HOME/bob.mbox"
}
account smtponly {
	set smtp="smtps://x@localhost"
}
EOF
	chmod 600 "$HOME/.outboxrc"
	run_outbox --fetch -A bob
	assert_success
	assert_output "outbox: fetch bob: 1 new, 0 already here, 0 left (too large)"
	[ ! -e "$HOME/alice" ]
	run_outbox --fetch
	assert_success
	assert_line "outbox: fetch alice: 7 new, 0 already here, 0 left (too large)"
	assert_line "outbox: fetch bob: 0 new, 1 already here, 0 left (too large)"
	assert_each_once "$HOME/alice/new"
	grep -qx 'hello bob' "$HOME/bob.mbox"
}

@test "dovecot: a wrong password is 77, and nothing is written" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc pop3-password=wrong-password
	run_outbox --fetch
	assert_failure 77
	assert_output --regexp '^outbox: fetch default: AUTH SCRAM-SHA-256: -ERR \[AUTH\] .*'
	assert_line --partial 'outbox: hint: check pop3-user'
	[ ! -e "$HOME/Mail" ]
}

@test "dovecot: --delete empties the server only after the copies are on disk" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	# A Maildir that cannot be made: 73, and every message stays.
	: >"$HOME/notadir"
	fetch_rc fetch-to="$HOME/notadir/Mail"
	run_outbox --fetch --delete
	assert_failure 73
	[ "$(dovecot_count alice)" -eq 7 ]
	fetch_rc
	run_outbox --fetch --delete
	assert_success
	assert_output "outbox: fetch default: 7 new, 0 already here, 0 left (too large), 7 deleted on the server"
	assert_each_once "$HOME/Mail/new"
	[ "$(dovecot_count alice)" -eq 0 ]
	# The state forgets what the server no longer has.
	[ ! -s "$HOME/.local/state/outbox/uidl-alice@localhost%3A$POP3S_PORT" ]
}

@test "dovecot: a full disk is 74, and with --delete nothing is deleted" {
	MNT="$BATS_TEST_TMPDIR/small"
	mkdir -p "$MNT"
	if ! mount -t tmpfs -o size=512k,mode=700 tmpfs "$MNT" 2>/dev/null; then
		MNT=
		skip "cannot mount a tmpfs here"
	fi
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc fetch-to="$MNT/Mail"
	run_outbox --fetch --delete
	assert_failure 74
	assert_output --regexp 'outbox: fetch default: writing .*/tmp/.*: No space left on device'
	[ "$(dovecot_count alice)" -eq 7 ]
	# What fitted is whole; nothing half-written is left in tmp/.
	[ -z "$(ls "$MNT/Mail/tmp")" ]
	for f in "$MNT/Mail/new"/*; do
		[ -e "$f" ] || continue
		h=$(sha256sum <"$f" | cut -d' ' -f1)
		for g in "$MSGS"/*; do sha256sum <"$g"; done | grep -q "^$h " ||
		    fail "$f is not one of the messages"
	done
}

@test "dovecot: fetch-delete=yes deletes what an earlier fetch kept" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc
	run_outbox --fetch
	assert_success
	fetch_rc fetch-delete=yes
	run_outbox --fetch
	assert_success
	assert_output "outbox: fetch default: 0 new, 7 already here, 0 left (too large), 7 deleted on the server"
	[ "$(dovecot_count alice)" -eq 0 ]
	run_outbox --fetch --keep
	assert_output "outbox: fetch default: 0 new, 0 already here, 0 left (too large)"
}

@test "dovecot: fetch-max-size leaves large messages on the server" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc fetch-max-size=1M
	run_outbox --fetch
	assert_success
	assert_output "outbox: fetch default: 6 new, 0 already here, 1 left (too large)"
	[ "$(ls "$HOME/Mail/new" | wc -l)" -eq 6 ]
	! grep -l 'Subject: large' "$HOME/Mail/new"/*
}

@test "dovecot: mboxrd delivery quotes From lines" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	rm "$MSGS/06-large" "$MSGS/03-longline"
	fill_mailbox
	fetch_rc fetch-to="mbox:$HOME/mbox"
	run_outbox --fetch
	assert_success
	[ "$(grep -c '^From MAILER-DAEMON ' "$HOME/mbox")" -eq 5 ]
	grep -qx '>From the start' "$HOME/mbox"
	grep -qx '>>From quoted' "$HOME/mbox"
	grep -qx '>>>From twice' "$HOME/mbox"
	grep -qx 'From' "$HOME/mbox"
	# mutt reads it back as 5 messages.
	run_outbox --fetch
	assert_output "outbox: fetch default: 0 new, 5 already here, 0 left (too large)"
}

@test "dovecot: --list shows what waits and downloads nothing; --json too" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc fetch-max-size=1M
	run_outbox --fetch --list
	assert_success
	assert_line --index 0 --regexp '^ +NUM +SIZE SEEN'
	assert_line --regexp '^ +2 +[0-9]+ no +a@example.org +dots$'
	[ ! -e "$HOME/Mail" ]
	run_outbox --fetch
	run_outbox --fetch --list --json
	assert_success
	echo "$output" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == 0, d
m = d["accounts"][0]["messages"]
assert len(m) == 7, m
assert m[0]["subject"] == "plain" and m[0]["from"] == "a@example.org", m[0]
assert [x["fetched"] for x in m] == [True] * 5 + [False] + [True], m
assert m[5]["too_large"] is True
assert all(x["uidl"] for x in m)
'
}

@test "dovecot: --json reports the fetch" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc
	run_outbox --fetch --json
	assert_success
	echo "$output" | grep '^{' | "$PY" -c '
import json, os, sys
d = json.load(sys.stdin)
a = d["accounts"][0]
assert d["status"] == 0 and a["new"] == 7 and a["already"] == 0, d
assert len(a["delivered"]) == 7 and all(os.path.exists(p) for p in a["delivered"])
'
}

@test "dovecot: SIGKILL at random points 50 times loses nothing, duplicates none" {
	dovecot_pop3_start || fail "dovecot would not start"
	local i n pid total cut=0
	for i in $(seq 12); do
		printf 'Subject: m%d\nMessage-ID: <k%d@t>\n\n%s\n' "$i" "$i" \
		    "$(head -c 20000 /dev/urandom | base64 -w 76)" \
		    >"$MSGS/$(printf %02d "$i")"
	done
	for n in $(seq 50); do
		rm -rf "$HOME/Mail" "$HOME/.local/state"
		rm -rf "$(dovecot_maildir alice)"
		fill_mailbox
		fetch_rc
		"$OUTBOX" --fetch --delete </dev/null >/dev/null 2>&1 &
		pid=$!
		sleep "0.$(printf %03d $((RANDOM % 150)))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		[ "$(dovecot_count alice)" -eq 0 ] || cut=$((cut + 1))
		# Then a fetch that finishes.
		run_outbox --fetch --delete
		assert_success
		[ "$(dovecot_count alice)" -eq 0 ] || fail "round $n: server not empty"
		for f in "$MSGS"/*; do
			h=$(sha256sum <"$f" | cut -d' ' -f1)
			c=$(cat "$HOME/Mail/new"/* /dev/null | grep -c "^Message-ID: <k$((10#$(basename "$f")))@t>$" || true)
			[ "$c" -ge 1 ] || fail "round $n: $(basename "$f") lost"
		done
		# The issue allows one duplicate a kill; the journal's "?" line
		# written before each rename recognises even that one.
		total=$(ls "$HOME/Mail/new" | wc -l)
		[ "$total" -eq 12 ] || fail "round $n: $total files for 12 messages"
		[ "$(ls "$HOME/Mail/tmp" | wc -l)" -le 1 ]
	done
	# How many kills landed before the end (for the log, not a check).
	echo "# $cut of 50 fetches were cut short" >&3
}

@test "dovecot: two fetches at once: the second says so and exits 0" {
	dovecot_pop3_start || fail "dovecot would not start"
	make_messages
	fill_mailbox
	fetch_rc
	mkdir -p "$HOME/.local/state/outbox"
	local lock="$HOME/.local/state/outbox/uidl-alice@localhost%3A$POP3S_PORT.lock"
	local fd
	exec {fd}>"$lock"
	flock -n "$fd"
	run_outbox --fetch
	assert_success
	assert_output "outbox: warning: fetch default: another fetch of this account is running; nothing done"
	[ ! -e "$HOME/Mail" ]
	exec {fd}>&-
	# Two real ones at the same moment: each message once.
	"$OUTBOX" --fetch 2>"$BATS_TEST_TMPDIR/a.err" &
	local a=$!
	"$OUTBOX" --fetch 2>"$BATS_TEST_TMPDIR/b.err" &
	local b=$!
	wait "$a"
	wait "$b"
	assert_each_once "$HOME/Mail/new"
}

# --- the fault server in POP3 mode --------------------------------------

# fault_rc PORT [KEY=VALUE]...: STLS against the fault server.
fault_rc() {
	local kv
	{
		printf 'set pop3="pop3://alice@localhost:%s"\n' "$PORT"
		printf 'set pop3-password="%s"\n' "$PASSWORD"
		printf 'set pop3-auth=user\n'
		printf 'set tls-ca-file="%s"\n' "$CERTS/ca.pem"
		printf 'set timeout=2\n'
		printf 'set fetch-to="%s"\n' "$HOME/Mail"
		for kv in "$@"; do
			printf 'set %s="%s"\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$HOME/.outboxrc"
	chmod 600 "$HOME/.outboxrc"
}

@test "fault: -ERR to RETR names the step and the server's words (69)" {
	start_fault 'protocol pop3
message Subject: one\n\nbody\n
pop3-reply RETR -ERR [SYS/PERM] message is corrupt'
	fault_rc
	run_outbox --fetch --delete
	assert_failure 69
	assert_output "outbox: fetch default: RETR 1: -ERR [SYS/PERM] message is corrupt"
	run ! grep -q DELE "$FAULT_LOG/transcript.log"
}

@test "fault: [IN-USE] at login is a temporary failure (75)" {
	start_fault 'protocol pop3
pop3-reply PASS -ERR [IN-USE] mailbox locked by another session'
	fault_rc
	run_outbox --fetch
	assert_failure 75
	assert_line --index 0 "outbox: fetch default: PASS: -ERR [IN-USE] mailbox locked by another session"
	assert_line --index 1 --partial "outbox: hint: another session holds the mailbox"
}

@test "fault: a connection dropped mid-message keeps nothing of it (75)" {
	start_fault 'protocol pop3
message Subject: one\n\nbody line\nanother line\nand a third one\n
close-after RETR-MIDDLE'
	fault_rc
	run_outbox --fetch --delete
	assert_failure 75
	assert_output --partial "RETR 1: connection closed by server"
	[ -z "$(find "$HOME/Mail" -type f)" ]
	run ! grep -q DELE "$FAULT_LOG/transcript.log"
}

@test "fault: a line of 1 MiB streams through in bounded memory" {
	start_fault 'protocol pop3
bigline 1048576'
	fault_rc
	run /usr/bin/time -f '%M' "$OUTBOX" --fetch
	assert_success
	local f
	f=$(ls "$HOME/Mail/new"/*)
	[ "$(wc -c <"$f")" -eq $((14 + 1048576 + 1)) ]
	[ "$(tail -c 2 "$f" | od -An -c | tr -d ' ')" = 'x\n' ]
	# Peak RSS (KiB), the last line /usr/bin/time printed: 12 MiB, or
	# 40 MiB under ASan (make sanitize sets ASAN_OPTIONS) for its shadow.
	local bound=12288
	[ -z "${ASAN_OPTIONS-}" ] || bound=40960
	[ "${lines[-1]}" -lt "$bound" ] || fail "peak RSS ${lines[-1]} KiB"
}

@test "fault: a server that never answers times out (75)" {
	start_fault 'protocol pop3
silent'
	fault_rc
	run_outbox --fetch
	assert_failure 75
	assert_output "outbox: fetch default: greeting: timed out after 2 s waiting for the server"
}

@test "fault: STLS refused is 69 and no password is sent" {
	start_fault 'protocol pop3
pop3-reply STLS -ERR not now'
	fault_rc
	run_outbox --fetch
	assert_failure 69
	assert_output "outbox: fetch default: STLS: -ERR not now"
	run ! grep -q PASS "$FAULT_LOG/transcript.log"
}

@test "fault: STLS missing from CAPA is 69 unless pop3-security=none" {
	start_fault 'protocol pop3
capa USER UIDL
message Subject: one\n\nbody\n'
	fault_rc
	run_outbox --fetch
	assert_failure 69
	assert_output --partial "STLS: the server does not offer STLS"
	fault_rc pop3-security=none
	run_outbox --fetch
	assert_success
}

@test "fault: bytes injected after the +OK to STLS are a protocol error (76)" {
	start_fault 'protocol pop3
inject-after STLS +OK injected'
	fault_rc
	run_outbox --fetch
	assert_failure 76
	assert_output --partial "STLS: server sent data before the TLS handshake"
	run ! grep -q PASS "$FAULT_LOG/transcript.log"
}

@test "fault: an empty mailbox: STAT, and no LIST or UIDL" {
	start_fault 'protocol pop3'
	fault_rc
	run_outbox --fetch
	assert_success
	assert_output "outbox: fetch default: 0 new, 0 already here, 0 left (too large)"
	grep -q '^STAT' "$FAULT_LOG/transcript.log"
	run ! grep -qE '^(LIST|UIDL)' "$FAULT_LOG/transcript.log"
}

@test "fault: a garbled reply is 76" {
	start_fault 'protocol pop3
message Subject: one\n\nbody\n
pop3-reply LIST HELLO THERE'
	fault_rc
	run_outbox --fetch
	assert_failure 76
	assert_output --partial 'LIST: malformed reply "HELLO THERE"'
}

@test "fault: no UIDL: refused without fetch-delete, all fetched and deleted with it" {
	start_fault 'protocol pop3
capa USER TOP STLS
pop3-reply UIDL -ERR no such command
message Subject: one\n\nbody\n
message Subject: two\n\nbody\n'
	fault_rc
	run_outbox --fetch
	assert_failure 69
	assert_output --partial "the server has no UIDL"
	run_outbox --fetch --delete
	assert_success
	assert_line --partial "the server has no UIDL; fetching and deleting"
	[ "$(ls "$HOME/Mail/new" | wc -l)" -eq 2 ]
	[ "$(cat "$FAULT_LOG/deleted.log")" = "$(printf '1\n2')" ]
}

@test "fetch: usage errors" {
	run_outbox --list
	assert_failure 64
	assert_output --partial "--list, --delete and --keep go with --fetch"
	run_outbox --fetch --delete --keep
	assert_failure 64
	run_outbox --fetch someone@example.org
	assert_failure 64
	: >"$HOME/.outboxrc"
	run_outbox --fetch
	assert_failure 78
	assert_output "outbox: fetch: no POP3 server configured (set pop3=pop3s://user@host)"
	printf 'set pop3="pop3s://alice:pw@host"\n' >"$HOME/.outboxrc"
	run_outbox --fetch
	assert_failure 78
	assert_output --partial "a password in the pop3 URL is refused"
}

@test "fetch: a group-readable rc file is refused naming the secret it holds" {
	printf 'set pop3="pop3s://alice@localhost"\nset pop3-password="%s"\n' \
	    "$PASSWORD" >"$HOME/.outboxrc"
	chmod 640 "$HOME/.outboxrc"
	run_outbox --fetch
	assert_failure 78
	assert_output "outbox: $HOME/.outboxrc: holds pop3-password but is readable by its group; run chmod 600 $HOME/.outboxrc"
	printf 'set oauth2-client-secret=cs\nset smtp-password=x\n' \
	    >"$HOME/.outboxrc"
	chmod 604 "$HOME/.outboxrc"
	run_outbox --fetch
	assert_failure 78
	assert_output --partial "holds oauth2-client-secret but is readable by others"
}
