#!/usr/bin/env bats
# Unattended use (issue 11): from-rewrite in the sendmail personality,
# the log line of every send (syslog socket, log-file), long lines and
# -E, the system maildrop for local users, and what is kept when a send
# fails.  Servers: aiosmtpd (smtpd.py) and the fault server.

load test_helper

setup_file() {
	common_setup_file
}

setup() {
	common_setup
	BIN="$BATS_TEST_TMPDIR/bin"
	mkdir -p "$BIN"
	ln -s "$OUTBOX" "$BIN/sendmail"
	SM="$BIN/sendmail"
	MSG="$BATS_TEST_TMPDIR/msg"
}

teardown() {
	common_teardown
	md_teardown
}

run_sm() {
	local in=$1
	shift
	run timeout 60 "$SM" "$@" <"$in"
}

# rc_cron [KEY=VALUE]...: plaintext to the local server as
# alerts@example.org on host01.example.net, root aliased.
rc_cron() {
	write_rc smtp-security=none default-domain=example.org \
	    from='Alerts <alerts@example.org>' hostname=host01.example.net "$@"
	printf 'alias root admin@example.org\n' >>"$HOME/.outboxrc"
}

# cron_msg: the message Debian's cron pipes, its exact header.
cron_msg() {
	printf '%s\n' 'From: root (Cron Daemon)' 'To: root' \
	    'Subject: Cron <root@host01> /usr/local/bin/backup' \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=UTF-8' \
	    'Content-Transfer-Encoding: 8bit' 'X-Cron-Env: <SHELL=/bin/sh>' \
	    'X-Cron-Env: <HOME=/root>' 'X-Cron-Env: <LOGNAME=root>' '' \
	    'backup done' >"$MSG"
}

# hdr FILE NAME: the raw header lines called NAME, CRLF removed.
hdr() {
	grep -i "^$2: " "$1" | tr -d '\r'
}

@test "from-rewrite=local (default): cron's From becomes the account's" {
	start_smtpd
	rc_cron
	cron_msg
	run_sm "$MSG" -FCronDaemon -i -B8BITMIME -oem root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: "root (Cron Daemon) on host01" <alerts@example.org>'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output 'X-Original-From: root (Cron Daemon)'
	run hdr "$SMTPD_OUT/1.eml" Sender
	assert_output ''
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'alerts@example.org'
	run eml_header "$SMTPD_OUT/1.eml" From
	assert_output '"root (Cron Daemon) on host01" <alerts@example.org>'
}

@test "from-rewrite=local: -f root and a From at the host name follow too" {
	start_smtpd
	rc_cron
	printf '%s\n' 'From: MAILER-DAEMON@host01.example.net' 'To: root' \
	    'Subject: bounce' '' 'x' >"$MSG"
	run_sm "$MSG" -i -f root root
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'alerts@example.org'
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: "MAILER-DAEMON@host01.example.net on host01" <alerts@example.org>'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output 'X-Original-From: MAILER-DAEMON@host01.example.net'
}

@test "from-rewrite=local leaves a From with a real domain alone" {
	start_smtpd
	rc_cron
	printf '%s\n' 'From: Bob <bob@other.example>' 'To: root' \
	    'Subject: hi' '' 'x' >"$MSG"
	run_sm "$MSG" -i root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: Bob <bob@other.example>'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output ''
}

@test "from-rewrite=never: cron's From and -f go as they came" {
	start_smtpd
	rc_cron from-rewrite=never
	cron_msg
	run_sm "$MSG" -FCronDaemon -i -B8BITMIME -oem -f root root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: root (Cron Daemon)'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output ''
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'root@example.org'
}

@test "from-rewrite=always: every From, cron's too, is the account's" {
	start_smtpd
	rc_cron from-rewrite=always
	printf '%s\n' 'From: Bob <bob@other.example>' 'To: root' \
	    'Subject: hi' '' 'x' >"$MSG"
	run_sm "$MSG" -i -f bob@other.example root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: "Bob <bob@other.example>" <alerts@example.org>'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output 'X-Original-From: Bob <bob@other.example>'
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'alerts@example.org'
	cron_msg
	run_sm "$MSG" -FCronDaemon -i -B8BITMIME -oem root
	assert_success
	run hdr "$SMTPD_OUT/2.eml" From
	assert_output 'From: "root (Cron Daemon) on host01" <alerts@example.org>'
}

@test "from-rewrite does not touch the mailx personality's -r" {
	start_smtpd
	rc_cron from-rewrite=always
	run_outbox -s hi -r 'Ops <ops@host01.example.net>' root <<<"body"
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'ops@host01.example.net'
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: Ops <ops@host01.example.net>'
}

@test "from-rewrite: a bad value is a config error with FILE:LINE" {
	PORT=1 rc_cron from-rewrite=sometimes
	cron_msg
	run_sm "$MSG" -i root
	assert_failure 78
	assert_output --regexp "outboxrc:[0-9]+: .*never, local or always"
}

# start_syslog: a unix datagram socket at $SYSLOG_SOCK, as the syslog
# daemon binds /dev/log; every datagram becomes a line of $SYSLOG_OUT.
start_syslog() {
	export SYSLOG_SOCK="$BATS_TEST_TMPDIR/log.sock"
	export SYSLOG_OUT="$BATS_TEST_TMPDIR/syslog.out"
	export OUTBOX_TEST_SYSLOG_SOCKET="$SYSLOG_SOCK"
	: >"$SYSLOG_OUT"
	"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(120)
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        out.write(d + b"\n")
' "$SYSLOG_SOCK" "$SYSLOG_OUT" </dev/null 2>"$BATS_TEST_TMPDIR/syslog.err" 3>&- &
	SERVER_PIDS+=("$!")
	local i
	for i in $(seq 100); do
		[ -e "$SYSLOG_SOCK.ready" ] && return 0
		sleep 0.1
	done
	fail "the syslog socket was not bound within 10 s"
}

# restart_fault SCRIPT: stops the fault server started last (not the
# syslog socket) and starts it again with SCRIPT.
restart_fault() {
	local pid=${SERVER_PIDS[-1]}
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset 'SERVER_PIDS[-1]'
	start_fault "$1"
}

# wait_lines FILE N: FILE has N lines (10 s at most); prints them.
wait_lines() {
	local i
	for i in $(seq 100); do
		[ "$(wc -l <"$1")" -ge "$2" ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$1")" -ge "$2" ] ||
	    fail "$1 has $(wc -l <"$1") lines, not $2: $(cat "$1")"
}

@test "syslog: one line for a sent message, facility mail, no secret" {
	start_syslog
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	OUTBOX_TEST_MESSAGE_ID='<log.1@example.org>' \
	    run_outbox -s 'the secret plan' a@example.net b@example.net \
	    <<<"body text here"
	assert_success
	wait_lines "$SYSLOG_OUT" 1
	run cat "$SYSLOG_OUT"
	# <22>: facility mail (2) * 8 + info (6), then RFC 3164's stamp.
	assert_output --regexp '^<22>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} outbox\[[0-9]+\]: id=<log\.1@example\.org> from=sender@example\.org rcpts=2 size=[0-9]+ server=localhost:[0-9]+ result=sent status=0 reply="250 '
	[ "${#lines[@]}" -eq 1 ]
	refute_secret
	refute_output --partial 'secret plan'
	refute_output --partial 'body text'
}

@test "syslog and log-file: a refused recipient, and a queued message" {
	start_syslog
	start_fault 'reply RCPT 250 ok
reply RCPT 550 5.1.1 no such user'
	write_rc smtp-security=none log-file="$BATS_TEST_TMPDIR/outbox.log"
	run_outbox -s hi good@example.net bad@example.net <<<"x"
	assert_failure 67
	wait_lines "$SYSLOG_OUT" 1
	run cat "$SYSLOG_OUT"
	assert_output --regexp 'rcpts=2 refused=bad@example\.net size=[0-9]+ server=localhost:[0-9]+ result=failed kept=failed/[0-9]{8}T[0-9]{6}-[0-9a-f]{8} status=67 reply='
	run cat "$BATS_TEST_TMPDIR/outbox.log"
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z outbox\[[0-9]+\]: id=<[^>]+> from=sender@example\.org rcpts=2 refused=bad@example\.net .*result=failed kept=failed/\S+ status=67'
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/outbox.log")" = 600 ]
	# A temporary failure, queued: the queue id names it, then the flush.
	restart_fault 'reply MAIL 451 4.3.0 try later'
	write_rc smtp-security=none queue-on-failure=yes \
	    log-file="$BATS_TEST_TMPDIR/outbox.log"
	run_outbox -s hi a@example.net <<<"x"
	assert_success
	wait_lines "$SYSLOG_OUT" 2
	run tail -n 1 "$SYSLOG_OUT"
	assert_output --regexp 'id=[0-9]{8}T[0-9]{6}-[0-9a-f]{8} from=sender@example\.org rcpts=1 size=[0-9]+ server=localhost:[0-9]+ result=queued status=0 reply=".*451 4\.3\.0 try later'
	id=$(ls "$BATS_TEST_TMPDIR/queue" | sed -n 's/\.env$//p')
	restart_fault ''
	write_rc smtp-security=none queue-on-failure=yes \
	    log-file="$BATS_TEST_TMPDIR/outbox.log"
	run_outbox --flush --now
	assert_success
	wait_lines "$SYSLOG_OUT" 3
	run tail -n 1 "$SYSLOG_OUT"
	assert_output --regexp "id=$id result=sent status=0\$"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/outbox.log")" -eq 3 ]
}

@test "syslog=no sends nothing; syslog=local3 picks the facility" {
	start_syslog
	start_smtpd
	write_rc smtp-security=none syslog=no
	run_outbox -s one a@example.net <<<"x"
	assert_success
	write_rc smtp-security=none syslog=local3
	OUTBOX_TEST_MESSAGE_ID='<two@example.org>' \
	    run_outbox -s two a@example.net <<<"x"
	assert_success
	wait_lines "$SYSLOG_OUT" 1
	run cat "$SYSLOG_OUT"
	# Datagrams arrive in order: the first run sent none.
	[ "${#lines[@]}" -eq 1 ]
	# <158>: local3 (19) * 8 + info (6).
	assert_output --regexp '^<158>.* id=<two@example\.org> '
}

@test "a flush moving an entry to failed/ logs once, through the configured log only (syslog=no: nothing to /dev/log)" {
	command -v strace >/dev/null || fail "strace is not installed (make deps)"
	start_fault 'reply MAIL 451 4.3.0 try later'
	write_rc smtp-security=none queue-on-failure=yes syslog=no \
	    log-file="$BATS_TEST_TMPDIR/outbox.log"
	run_outbox -s hi a@example.net <<<"x"
	assert_success
	id=$(ls "$BATS_TEST_TMPDIR/queue" | sed -n 's/\.env$//p')
	[ -n "$id" ] || fail "not queued"
	restart_fault 'reply MAIL 550 5.7.1 not you'
	write_rc smtp-security=none queue-on-failure=yes syslog=no \
	    log-file="$BATS_TEST_TMPDIR/outbox.log"
	run env "$(no_lsan)" timeout 60 strace -f -e trace=connect,sendto \
	    -o "$BATS_TEST_TMPDIR/strace" "$OUTBOX" --flush --now
	[ -e "$BATS_TEST_TMPDIR/queue/failed/$id.env" ] ||
	    fail "not moved to failed/: $output"
	run grep -c "id=$id result=failed status=69" "$BATS_TEST_TMPDIR/outbox.log"
	assert_output 1
	run grep '/dev/log' "$BATS_TEST_TMPDIR/strace"
	assert_failure
}

@test "sendmail: a 2000-octet body line goes as quoted-printable" {
	start_smtpd
	rc_cron
	long=$(printf 'a%.0s' $(seq 2000))
	printf '%s\n' 'From: root (Cron Daemon)' 'To: root' 'Subject: long' \
	    '' 'short line' "$long" 'end' >"$MSG"
	run_sm "$MSG" -i root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" Content-Transfer-Encoding
	assert_output 'Content-Transfer-Encoding: quoted-printable'
	run hdr "$SMTPD_OUT/1.eml" Content-Type
	assert_output 'Content-Type: text/plain; charset=us-ascii'
	run hdr "$SMTPD_OUT/1.eml" MIME-Version
	assert_output 'MIME-Version: 1.0'
	run eml_body "$SMTPD_OUT/1.eml"
	assert_output "$(printf '%s\n' 'short line' "$long" 'end')"
	run "$PY" -c 'import sys
print(max(len(l) for l in open(sys.argv[1], "rb").read().split(b"\r\n")))' \
	    "$SMTPD_OUT/1.eml"
	[ "$output" -le 78 ]
}

@test "sendmail: a long line in an 8-bit body keeps its Content-Type" {
	start_smtpd
	rc_cron
	long=$(printf 'é%.0s' $(seq 600))
	printf '%s\n' 'From: root (Cron Daemon)' 'To: root' 'Subject: long' \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=UTF-8' \
	    'Content-Transfer-Encoding: 8bit' '' "$long" >"$MSG"
	run_sm "$MSG" -i root
	assert_success
	run grep -ci '^Content-Transfer-Encoding: ' "$SMTPD_OUT/1.eml"
	assert_output 1
	run hdr "$SMTPD_OUT/1.eml" Content-Transfer-Encoding
	assert_output 'Content-Transfer-Encoding: quoted-printable'
	run hdr "$SMTPD_OUT/1.eml" Content-Type
	assert_output 'Content-Type: text/plain; charset=UTF-8'
	run eml_body "$SMTPD_OUT/1.eml"
	assert_output "$long"
}

@test "sendmail: a multipart message with a long line fails naming it" {
	start_smtpd
	rc_cron
	long=$(printf 'b%.0s' $(seq 1200))
	printf '%s\n' 'From: a@example.org' 'To: root' 'Subject: mp' \
	    'MIME-Version: 1.0' 'Content-Type: multipart/mixed; boundary=XX' \
	    '' '--XX' 'Content-Type: text/plain' '' 'ok' "$long" '--XX--' \
	    >"$MSG"
	run_sm "$MSG" -i root
	assert_failure 65
	assert_output --partial 'outbox: line 11 of the message is longer than 998 octets and outbox re-encodes a single-part message only'
	[ ! -e "$SMTPD_OUT/1.eml" ]
}

@test "-E/--skip-empty: an empty body sends nothing and exits 0" {
	start_smtpd
	write_rc smtp-security=none
	run_outbox -E -s 'nothing to report' a@example.net </dev/null
	assert_success
	run_outbox --skip-empty -s 'nothing' a@example.net < <(printf '')
	assert_success
	[ ! -e "$SMTPD_OUT/1.eml" ]
	run_outbox -E -s 'something' a@example.net <<<"x"
	assert_success
	run eml_body "$SMTPD_OUT/1.eml"
	assert_output "x"
	# Without -E an empty body is still sent.
	run_outbox -s 'empty' a@example.net </dev/null
	assert_success
	[ -e "$SMTPD_OUT/2.eml" ]
}

# md_setup: a tree an unprivileged user can traverse (mktemp under /tmp,
# mode 711), a real user made for this test (removed in md_teardown),
# the system maildrop (1733) and root's system rc (0600, with the
# password) in it.  MD_RUN runs a command as the user.
md_setup() {
	MD_T=$(mktemp -d /tmp/outbox-md.XXXXXX)
	chmod 711 "$MD_T"
	MD_USER="obx$$x$RANDOM"
	useradd -M -d "$MD_T/home" -s /bin/sh -U "$MD_USER"
	mkdir -p "$MD_T/home"
	chown "$MD_USER:" "$MD_T/home"
	chmod 700 "$MD_T/home"
	install -d -m 1733 "$MD_T/maildrop"
	export OUTBOX_TEST_MAILDROP="$MD_T/maildrop"
	export OUTBOX_SYSTEM_RC="$MD_T/outboxrc"
	: >"$OUTBOX_SYSTEM_RC"
	chmod 600 "$OUTBOX_SYSTEM_RC"
}

md_teardown() {
	[ -n "${MD_USER:-}" ] && userdel "$MD_USER" 2>/dev/null
	[ -n "${MD_T:-}" ] && rm -rf "$MD_T"
	return 0
}

# md_rc [KEY=VALUE]...: root's system rc: STARTTLS with alice's password.
md_rc() {
	local a
	{
		printf 'set %s\n' smtp=localhost:$PORT smtp-security=starttls \
		    "tls-ca-file=$CERTS/ca.pem" smtp-user=alice \
		    "smtp-password=$PASSWORD" hostname=host01.example.net \
		    default-domain=example.org timeout=5 \
		    "queue-dir=$MD_T/queue"
		printf 'set from="Alerts <alerts@example.org>"\n'
		for a in "$@"; do printf 'set %s\n' "$a"; done
		printf 'alias root admin@example.org\n'
	} >"$OUTBOX_SYSTEM_RC"
}

# md_as CMD...: CMD as the test's user, with a clean environment.
md_as() {
	setpriv --reuid="$MD_USER" --regid="$MD_USER" --init-groups \
	    env -i PATH=/usr/bin:/bin HOME="$MD_T/home" \
	    OUTBOX_SYSTEM_RC="$OUTBOX_SYSTEM_RC" \
	    OUTBOX_TEST_MAILDROP="$OUTBOX_TEST_MAILDROP" "$@"
}

@test "maildrop: a drop that lands while root's flush runs leaves with that flush" {
	md_setup
	start_fault 'delay DOT 2'
	md_rc
	run md_as timeout 60 "$OUTBOX" -s first bob@example.net <<<"one"
	assert_success
	timeout 60 "$OUTBOX" --flush >"$BATS_TEST_TMPDIR/flush.out" 2>&1 &
	local fpid=$! i
	# While the server holds its reply to the first message's dot, a
	# second drop lands (no .path event would start another flush).
	for i in $(seq 200); do
		grep -q '^DATA' "$FAULT_LOG/transcript.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '^DATA' "$FAULT_LOG/transcript.log" || fail "the flush never sent DATA"
	run md_as timeout 60 "$OUTBOX" -s second carol@example.net <<<"two"
	assert_success
	wait "$fpid" || fail "flush: $(cat "$BATS_TEST_TMPDIR/flush.out")"
	[ "$(ls -A "$MD_T/maildrop" | wc -l)" -eq 0 ] || fail "left: $(ls -A "$MD_T/maildrop")"
	run grep -c '^MAIL FROM' "$FAULT_LOG/transcript.log"
	assert_output 2
	grep -q "^two" "$FAULT_LOG/data.eml" || fail "the second drop was not sent: $(cat "$FAULT_LOG/data.eml")"
	[ -z "$(ls "$MD_T/queue" | grep '\.env$')" ] || fail "left in the queue"
}

@test "maildrop: a local user sends through root's config without reading it" {
	md_setup
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	md_rc
	# The user cannot read the system file.
	run md_as cat "$OUTBOX_SYSTEM_RC"
	assert_failure
	run md_as timeout 60 "$OUTBOX" -s 'disk report' bob@example.net \
	    <<<"disk 91% full"
	assert_success
	assert_output --regexp '^outbox: queued for the system sender \(([0-9]{8}T[0-9]{6}-[0-9a-f]{8})\)$'
	refute_secret
	id=$(sed -E 's/.*\((.*)\)$/\1/' <<<"$output")
	[ "$(stat -c '%U %a' "$MD_T/maildrop/$id")" = "$MD_USER 600" ]
	# The sendmail personality, cron's way: "root" is for root's aliases.
	cron_msg
	run md_as timeout 60 "$OUTBOX" --sendmail -FCronDaemon -i -oem root \
	    <"$MSG"
	assert_success
	assert_output --regexp '^outbox: queued for the system sender '
	[ "$(ls "$MD_T/maildrop" | wc -l)" -eq 2 ]
	# Root's flush takes both in and sends them with the system account.
	run_outbox --flush
	assert_success
	[ "$(ls -A "$MD_T/maildrop" | wc -l)" -eq 0 ]
	[ -e "$SMTPD_OUT/2.eml" ]
	for n in 1 2; do
		run json_get "$SMTPD_OUT/$n.json" 'j["auth_user"]'
		assert_output alice
		run json_get "$SMTPD_OUT/$n.json" 'j["mail_from"]'
		assert_output 'alerts@example.org'
	done
	run grep -l 'disk 91% full' "$SMTPD_OUT"/1.eml "$SMTPD_OUT"/2.eml
	disk=$output
	run json_get "${disk%.eml}.json" 'j["rcpt_tos"]'
	assert_output '["bob@example.net"]'
	# The user's From (login@this host) is local: rewritten, kept.
	run hdr "$disk" X-Original-From
	assert_output --regexp "^X-Original-From: $MD_USER@"
	run hdr "$disk" From
	assert_output --regexp "^From: \"$MD_USER@[^ ]+ on host01\" <alerts@example\.org>\$"
	cron=$SMTPD_OUT/1.eml
	[ "$disk" = "$cron" ] && cron=$SMTPD_OUT/2.eml
	run json_get "${cron%.eml}.json" 'j["rcpt_tos"]'
	assert_output '["admin@example.org"]'
	run hdr "$cron" From
	assert_output 'From: "root (Cron Daemon) on host01" <alerts@example.org>'
	md_teardown
}

@test "maildrop: a user with a server of their own, who cannot read the system config, flushes, lists and checks their own queue" {
	md_setup
	start_smtpd
	md_rc
	# The user's own server is down: the message is queued in their
	# own queue, not dropped for root.
	{
		printf 'set %s\n' smtp=localhost:1 smtp-security=none \
		    queue-on-failure=yes from=user@example.org
	} >"$MD_T/home/.outboxrc"
	chown "$MD_USER:" "$MD_T/home/.outboxrc"
	chmod 600 "$MD_T/home/.outboxrc"
	run md_as timeout 60 "$OUTBOX" -s 'own queue' bob@example.net <<<"kept for later"
	assert_success
	assert_output --regexp '^outbox: queued [0-9T-]+[0-9a-f]+: connect: localhost:1: '
	[ "$(ls -A "$MD_T/maildrop" | wc -l)" -eq 0 ]
	q=$MD_T/home/.local/state/outbox/queue
	[ "$(ls "$q" | grep -c '\.env$')" -eq 1 ]
	# Their server is back.  Every queue command reads their own files
	# only, as the send did, instead of stopping at root's (78).
	sed -i "s/^set smtp=localhost:1\$/set smtp=localhost:$PORT/" "$MD_T/home/.outboxrc"
	run md_as timeout 60 "$OUTBOX" --queue-list
	assert_success
	assert_output --partial 'own queue'
	run md_as timeout 60 "$OUTBOX" --check
	assert_success
	assert_line --regexp "^ok   config .*/home/\.outboxrc; not readable by you, skipped: $OUTBOX_SYSTEM_RC\$"
	run md_as timeout 60 "$OUTBOX" --flush
	assert_success
	[ "$(ls "$q" | grep -c '\.env$')" -eq 0 ]
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["bob@example.net"]'
	grep -q 'kept for later' "$SMTPD_OUT/1.eml"
	md_teardown
}

@test "maildrop: from-rewrite=never sends as the owner's name at default-domain" {
	md_setup
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	md_rc from-rewrite=never
	run md_as timeout 60 "$OUTBOX" -s hi -r 'Mallory <ceo@example.org>' \
	    bob@example.net <<<"x"
	assert_success
	run_outbox --flush
	assert_success
	# The envelope is the owner's, whatever the header claims.
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output "$MD_USER@example.org"
	md_teardown
}

@test "maildrop: forged, linked and oversized drops are rejected, not sent" {
	md_setup
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	md_rc
	d=$MD_T/maildrop
	# Not the format; a symbolic link to root's file; a hard link.
	md_as sh -c "printf 'hello\n' >'$d/20260101T000000-00000001'"
	md_as ln -s "$OUTBOX_SYSTEM_RC" "$d/20260101T000000-00000002"
	md_as sh -c "printf 'outbox-maildrop 1\nrcpt a@example.net\nend\nSubject: x\n\nx\n' >'$MD_T/home/m' && ln '$MD_T/home/m' '$d/20260101T000000-00000003'"
	# Larger than the cap (sparse: no 60 MiB written).
	md_as truncate -s 60M "$d/20260101T000000-00000004"
	# And one good message.
	run md_as timeout 60 "$OUTBOX" -s good bob@example.net <<<"fine"
	assert_success
	run_outbox --flush
	assert_success
	assert_output --partial 'rejected: not a maildrop file'
	assert_output --partial 'rejected: a symbolic link'
	assert_output --partial 'rejected: it has 2 links'
	assert_output --partial 'rejected: larger than 50 MiB'
	[ "$(ls -A "$d" | wc -l)" -eq 0 ]
	[ "$(ls "$MD_T/queue/maildrop-rejected" | wc -l)" -eq 4 ]
	[ -e "$SMTPD_OUT/1.eml" ]
	[ ! -e "$SMTPD_OUT/2.eml" ]
	grep -q fine "$SMTPD_OUT/1.eml"
	md_teardown
}

@test "install-systemd: the units pass systemd-analyze verify" {
	T=$BATS_TEST_TMPDIR/dest
	run make -s -C "$TESTS_DIR/.." install-systemd DESTDIR="$T" \
	    BINDIR="$(cd "$(dirname "$OUTBOX")" && pwd)" \
	    SYSTEMDUNITDIR=/lib/systemd/system MAILDROPDIR=/var/spool/outbox-maildrop
	assert_success
	u=$T/lib/systemd/system
	[ "$(stat -c %a "$T/var/spool/outbox-maildrop")" = 1733 ]
	run grep -h '^ExecStart=\|^PathChanged=\|^OnUnitActiveSec=' \
	    "$u/outbox-flush.service" "$u/outbox-flush.path" \
	    "$u/outbox-flush.timer"
	assert_output "$(printf '%s\n' \
	    "ExecStart=$(cd "$(dirname "$OUTBOX")" && pwd)/outbox --flush" \
	    'PathChanged=/var/spool/outbox-maildrop' 'OnUnitActiveSec=5min')"
	run systemd-analyze verify --man=no "$u/outbox-flush.service" \
	    "$u/outbox-flush.timer" "$u/outbox-flush.path"
	assert_success
	assert_output ''
}

# nfailed: entries in the failed area of the test's queue.
nfailed() {
	ls "$BATS_TEST_TMPDIR/queue/failed" 2>/dev/null | grep -c '\.env$' || true
}

@test "keep: AUTH refused (77) from a script keeps the message in failed/" {
	start_fault 'tls starttls
reply AUTH 535 5.7.8 bad credentials'
	write_rc_auth
	run_outbox -s 'nightly' ops@example.net <<<"report body 42"
	assert_failure 77
	assert_line --regexp "^outbox: kept as failed/([0-9]{8}T[0-9]{6}-[0-9a-f]{8}): run 'outbox --queue-retry \\1' once fixed\$"
	[ "$(nfailed)" -eq 1 ]
	grep -q 'report body 42' "$BATS_TEST_TMPDIR"/queue/failed/*.msg
	grep -q '^last-reply .*535 5.7.8 bad credentials' \
	    "$BATS_TEST_TMPDIR"/queue/failed/*.env
	# Listed, marked, with the reason; --failed lists only those.
	run_outbox --queue-list --failed
	assert_success
	assert_output --partial failed
	assert_output --partial '535 5.7.8 bad credentials'
	# Fixed: --queue-retry sends it now and empties failed/.
	id=$(ls "$BATS_TEST_TMPDIR/queue/failed" | sed -n 's/\.env$//p')
	restart_fault 'tls starttls'
	write_rc_auth
	run_outbox --queue-retry "$id"
	assert_success
	[ "$(nfailed)" -eq 0 ]
	grep -q 'report body 42' "$FAULT_LOG/data.eml"
	refute_secret
}

@test "keep: every recipient refused (67) and 5xx DATA (69) in the sendmail personality" {
	start_fault 'reply RCPT 550 5.1.1 no such user'
	rc_cron
	cron_msg
	run_sm "$MSG" -i root
	assert_failure 67
	assert_line --regexp "^outbox: kept as failed/"
	[ "$(nfailed)" -eq 1 ]
	grep -q '^rcpt admin@example.org$' "$BATS_TEST_TMPDIR"/queue/failed/*.env
	restart_fault 'reply DOT 554 5.3.4 message too big'
	rc_cron
	run_sm "$MSG" -i root
	assert_failure 69
	[ "$(nfailed)" -eq 2 ]
	# --queue-drop works on failed entries; --queue-retry all.
	id=$(ls "$BATS_TEST_TMPDIR/queue/failed" | sed -n 's/\.env$//p' | head -1)
	run_outbox --queue-drop "$id"
	assert_success
	[ "$(nfailed)" -eq 1 ]
	restart_fault ''
	rc_cron
	run_outbox --queue-retry all
	assert_success
	[ "$(nfailed)" -eq 0 ]
	grep -q 'backup done' "$FAULT_LOG/data.eml"
}

@test "keep: --json names the failed entry (kept), null when nothing was kept" {
	start_fault 'reply DOT 554 5.7.1 spam'
	write_rc smtp-security=none
	run_outbox_split -s json --json a@example.net <<<"json body"
	assert_failure 69
	id=$(ls "$BATS_TEST_TMPDIR/queue/failed" | sed -n 's/\.env$//p')
	[ -n "$id" ]
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/j"
	run json_get "$BATS_TEST_TMPDIR/j" '[j["status"], j["kept"], j["queue_id"]]'
	assert_output "[69, \"failed/$id\", null]"
	# A success keeps nothing: kept is null.
	restart_fault ''
	write_rc smtp-security=none
	run_outbox_split -s json --json a@example.net <<<"json body"
	assert_success
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/j"
	run json_get "$BATS_TEST_TMPDIR/j" '[j["status"], j["kept"]]'
	assert_output '[0, null]'
}

@test "keep: 4xx and 5xx refusals at once: 4xx ones queued, 5xx ones in failed/, each retried alone" {
	start_fault 'reply RCPT 250 2.1.5 ok
reply RCPT 451 4.2.1 mailbox busy
reply RCPT 550 5.1.1 no such user'
	write_rc smtp-security=none queue-on-failure=yes
	run_outbox_split -s mixed --json good@example.net busy@example.net \
	    bad@example.net <<<"mixed body"
	assert_failure 67
	q=$BATS_TEST_TMPDIR/queue
	qid=$(ls "$q" | sed -n 's/\.env$//p')
	fid=$(ls "$q/failed" | sed -n 's/\.env$//p')
	[ -n "$qid" ] && [ -n "$fid" ] || fail "queue: $(ls -R "$q")"
	[[ $stderr == *"outbox: RCPT TO: 2 of 3 recipients refused: queued as $qid for those refused with 4xx, kept as failed/$fid for those refused with 5xx"* ]] ||
	    fail "stderr: $stderr"
	[[ $stderr == *"outbox: kept as failed/$fid: run 'outbox --queue-retry $fid' once fixed"* ]] ||
	    fail "stderr: $stderr"
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/j"
	run json_get "$BATS_TEST_TMPDIR/j" '[j["status"], j["queue_id"], j["kept"]]'
	assert_output "[67, \"$qid\", \"failed/$fid\"]"
	run grep '^rcpt' "$q/$qid.env"
	assert_output 'rcpt busy@example.net'
	run grep '^rcpt' "$q/failed/$fid.env"
	assert_output 'rcpt bad@example.net'
	grep -q '^last-reply RCPT TO <bad@example.net>: 550 5.1.1 no such user' \
	    "$q/failed/$fid.env"
	cmp "$q/$qid.msg" "$q/failed/$fid.msg"
	grep -qx 'mixed body' "$q/failed/$fid.msg"
	# Fixed: the flush sends the queued one to busy only, and the
	# retry the failed one to bad only.
	common_teardown
	start_smtpd
	write_rc smtp-security=none queue-on-failure=yes
	run_outbox --flush --now
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["busy@example.net"]'
	[ ! -e "$SMTPD_OUT/2.json" ]
	run_outbox --queue-retry "$fid"
	assert_success
	run json_get "$SMTPD_OUT/2.json" 'j["rcpt_tos"]'
	assert_output '["bad@example.net"]'
	grep -q 'mixed body' "$SMTPD_OUT/2.eml"
	[ "$(nfailed)" -eq 0 ]
	[ -z "$(ls "$q" | grep '\.env$')" ]
}

# failed_id: the id of the one entry in the failed area.
failed_id() {
	ls "$BATS_TEST_TMPDIR/queue/failed" | sed -n 's/\.env$//p'
}

@test "keep: an alias error (78) in the sendmail personality keeps the message; --queue-retry resolves it again" {
	start_smtpd
	printf '%s\n' 'root: |/usr/local/bin/mail-filter' >"$BATS_TEST_TMPDIR/aliases"
	write_rc smtp-security=none aliases-file="$BATS_TEST_TMPDIR/aliases"
	printf '%s\n' 'From: Ops <ops@example.org>' 'To: root' \
	    'Subject: nightly' '' 'the body that must not be lost' >"$MSG"
	run_sm "$MSG" -i root
	assert_failure 78
	assert_line --partial 'alias "root" delivers to a file, program or :include:'
	id=$(failed_id)
	[ -n "$id" ] || fail "nothing kept: $output"
	assert_line "outbox: kept as failed/$id: run 'outbox --queue-retry $id' once fixed"
	# Byte for byte, apart from the Date and Message-ID added.
	diff <(grep -v -E '^(Date|Message-ID): ' "$BATS_TEST_TMPDIR/queue/failed/$id.msg") "$MSG"
	run grep '^rcpt' "$BATS_TEST_TMPDIR/queue/failed/$id.env"
	assert_output 'rcpt root'
	grep -q '^last-reply .*alias "root" delivers to a file' \
	    "$BATS_TEST_TMPDIR/queue/failed/$id.env"
	[ ! -e "$SMTPD_OUT/1.eml" ]
	# A loop is kept the same way.
	printf '%s\n' 'root: ops' 'ops: root' >"$BATS_TEST_TMPDIR/aliases"
	run_sm "$MSG" -i root
	assert_failure 78
	assert_line --partial 'aliases loop (root -> ops -> root)'
	[ "$(nfailed)" -eq 2 ]
	# Fixed: the retry resolves root now and delivers.
	printf '%s\n' 'root: admin@example.org' >"$BATS_TEST_TMPDIR/aliases"
	run_outbox --queue-retry "$id"
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["admin@example.org"]'
	grep -q 'the body that must not be lost' "$SMTPD_OUT/1.eml"
	[ "$(nfailed)" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/queue/failed/$id.env" ]
}

@test "keep: an alias to a bad address (78) in the mailx personality keeps the message; --queue-retry resolves it again" {
	start_smtpd
	write_rc smtp-security=none
	printf 'alias team admin@example.org, bad@@example.org\n' >>"$HOME/.outboxrc"
	run_outbox -s report team other@example.net <<<"alias body 42"
	assert_failure 78
	assert_line --regexp '^outbox: alias "team": invalid address "bad@@example.org"'
	id=$(failed_id)
	[ -n "$id" ] || fail "nothing kept: $output"
	assert_line "outbox: kept as failed/$id: run 'outbox --queue-retry $id' once fixed"
	f=$BATS_TEST_TMPDIR/queue/failed/$id
	grep -qx 'To: team, other@example.net' "$f.msg"
	grep -qx 'Subject: report' "$f.msg"
	grep -qx 'alias body 42' "$f.msg"
	run grep '^rcpt' "$f.env"
	assert_output $'rcpt team\nrcpt other@example.net'
	[ ! -e "$SMTPD_OUT/1.eml" ]
	grep -q '^last-reply .*invalid address "bad@@example.org"' "$f.env"
	# Still broken, another way: the retry says so (78), the entry
	# stays, and its last-reply is the new failure.
	write_rc smtp-security=none
	printf 'alias team admin@example.org, worse@@example.org\n' >>"$HOME/.outboxrc"
	run_outbox --queue-retry "$id"
	assert_failure 78
	assert_output --partial "retry $id: alias \"team\": invalid address \"worse@@example.org\""
	assert_output --partial "still kept as failed/$id"
	[ "$(nfailed)" -eq 1 ]
	[ ! -e "$SMTPD_OUT/1.eml" ]
	grep -q '^last-reply .*invalid address "worse@@example.org"' "$f.env"
	run grep '^rcpt' "$f.env"
	assert_output $'rcpt team\nrcpt other@example.net'
	# Fixed: delivered to what the alias says now, and to the other.
	write_rc smtp-security=none
	printf 'alias team admin@example.org\n' >>"$HOME/.outboxrc"
	run_outbox --queue-retry "$id"
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["admin@example.org", "other@example.net"]'
	grep -q 'alias body 42' "$SMTPD_OUT/1.eml"
	[ "$(nfailed)" -eq 0 ]
}

@test "keep: a queue that cannot take the copy says so (73) and not kept" {
	start_fault 'reply AUTH 535 5.7.8 bad credentials
tls starttls'
	write_rc_auth queue-dir=/proc/outbox-no-queue
	run_outbox -s x ops@example.net <<<"x"
	assert_failure 73
	assert_output --partial 'the message was not kept'
	refute_output --partial 'kept as failed/'
}

@test "8BITMIME: a queued 8-bit message is converted by the flush too" {
	start_fault 'reply MAIL 451 4.3.0 try later'
	rc_cron queue-on-failure=yes
	printf '%s\n' 'From: root (Cron Daemon)' 'To: root' 'Subject: 8bit' \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=UTF-8' \
	    'Content-Transfer-Encoding: 8bit' '' 'Sauvegarde terminée ✓' \
	    >"$MSG"
	run_sm "$MSG" -i root
	assert_success
	assert_output --regexp '^outbox: queued '
	restart_fault 'capa PIPELINING SIZE 10485760'
	rc_cron queue-on-failure=yes
	run_outbox --flush --now
	assert_success
	[ "$(nfailed)" -eq 0 ]
	run grep -c 'Content-Transfer-Encoding: quoted-printable' "$FAULT_LOG/data.eml"
	assert_output 1
	grep -q 'Sauvegarde termin=C3=A9e =E2=9C=93' "$FAULT_LOG/data.eml"
	run sh -c "grep -i '^MAIL FROM' '$FAULT_LOG/transcript.log' | tail -n 1"
	refute_output --partial 'BODY=8BITMIME'
}

# Every failure kind of the fault suite, in both personalities: the
# message is kept (q: the queue, for temporary ones, exit 0 with
# queue-on-failure; f: failed/, with the failure's own status), and the
# kept bytes are the message.  NAME|SCRIPT (\n between lines)|CERT|EXIT|AREA
FAULT_CASES=(
	'421 greeting|greeting 421 4.3.2 try again later|good|0|q'
	'554 greeting|greeting 554 5.7.1 no service|good|69|f'
	'dropped after the greeting|close-after GREETING|good|0|q'
	'dropped after EHLO|close-after EHLO|good|0|q'
	'dropped in DATA|close-after DATA-MIDDLE|good|0|q'
	'lost after the dot|close-after DOT|good|0|q'
	'STARTTLS missing|capa PIPELINING 8BITMIME SIZE 10485760 AUTH PLAIN LOGIN|good|69|f'
	'STARTTLS injection|inject-after STARTTLS 250 injected|good|76|f'
	'454 to STARTTLS|reply STARTTLS 454 4.7.0 not now|good|0|q'
	'self-signed certificate||selfsigned|69|f'
	'wrong-host certificate||wronghost|69|f'
	'expired certificate||expired|69|f'
	'535 to AUTH|reply AUTH 535 5.7.8 invalid|good|77|f'
	'454 to AUTH|reply AUTH 454 4.7.0 temporary|good|0|q'
	'AUTH not offered|capa PIPELINING 8BITMIME STARTTLS|good|69|f'
	'451 to MAIL|reply MAIL 451 4.3.0 local problem|good|0|q'
	'552 to MAIL|reply MAIL 552 5.3.4 too big|good|69|f'
	'every recipient refused|reply RCPT 550 5.1.1 nobody|good|67|f'
	'554 after the dot|reply DOT 554 5.7.1 spam|good|69|f'
	'451 after the dot|reply DOT 451 4.3.0 later|good|0|q'
	'250 to DATA|reply DATA 250 2.0.0 whatever|good|76|f'
	'silent server|silent|good|0|q'
	'garbled reply|garbage EHLO hello, this is not SMTP|good|76|f'
	'10 KiB reply line|longline EHLO 10240|good|76|f'
	'endless reply|endless EHLO|good|76|f'
	'no ESMTP, STARTTLS required|no-esmtp|good|69|f'
	'refused connection|REFUSED|good|0|q'
	'unknown host|NOHOST|good|68|f'
)

# kept_one AREA: the path of the one .msg in the queue (q) or failed/ (f).
kept_one() {
	local d=$BATS_TEST_TMPDIR/queue
	[ "$1" = f ] && d=$d/failed
	ls "$d"/*.msg 2>/dev/null
}

@test "every failure kind of the fault suite keeps the message, both personalities" {
	local c name script cert want area kept=0 total=0 bad=()
	printf '%s\n' 'From: Ops <ops@example.org>' 'To: rcpt@example.net' \
	    'Subject: kept' '' 'the body that must not be lost' >"$MSG"
	for c in "${FAULT_CASES[@]}"; do
		IFS='|' read -r name script cert want area <<<"$c"
		script=${script//\\n/$'\n'}
		for who in script sendmail; do
			total=$((total + 1))
			rm -rf "$BATS_TEST_TMPDIR/queue" "$BATS_TEST_TMPDIR/fault"
			case $script in
			REFUSED) start_fault ''; common_teardown
				write_rc_auth queue-on-failure=yes timeout=2 \
				    smtp="127.0.0.1:$PORT" ;;
			NOHOST) PORT=25
				write_rc_auth queue-on-failure=yes timeout=2 \
				    smtp=no-such-host.invalid:587 ;;
			*) start_fault "$script" "$cert"
				write_rc_auth queue-on-failure=yes timeout=2 ;;
			esac
			if [ $who = script ]; then
				run_outbox -s kept rcpt@example.net \
				    <<<"the body that must not be lost"
			else
				run timeout 60 "$SM" -i rcpt@example.net <"$MSG"
			fi
			common_teardown
			local f
			f=$(kept_one "$area")
			if [ "$status" -ne "$want" ] || [ -z "$f" ] ||
			    ! grep -qx 'the body that must not be lost' "$f" ||
			    ! grep -qx 'Subject: kept' "$f"; then
				bad+=("$name ($who): status $status, kept '$f': $output")
				continue
			fi
			if [ $who = sendmail ]; then
				# Byte for byte, apart from the Date and
				# Message-ID added.
				if ! diff <(grep -v -E '^(Date|Message-ID): ' "$f") \
				    "$MSG" >/dev/null; then
					bad+=("$name ($who): bytes differ")
					continue
				fi
			fi
			kept=$((kept + 1))
		done
	done
	echo "# kept: $kept of $total runs (${#FAULT_CASES[@]} failure kinds x 2 personalities)" >&3
	[ "${#bad[@]}" -eq 0 ] || fail "$(printf '%s\n' "${bad[@]}")"
}

@test "--queue-list shows the Subject, decoded; --json stays valid with bytes that are not UTF-8" {
	# Port 1 refuses: both messages go to the queue.
	PORT=1 rc_cron queue-on-failure=yes
	printf '%s\n' 'From: Ops <ops@example.org>' 'To: root' \
	    'Subject: Rapport =?UTF-8?Q?termin=C3=A9?= du =?UTF-8?B?am91cg==?=' \
	    '' 'x' >"$MSG"
	run timeout 60 "$SM" -i root <"$MSG"
	assert_success
	printf 'From: Ops <ops@example.org>\nTo: root\nSubject: caf\xe9 latin-1\n\nx\n' \
	    >"$MSG.2"
	run timeout 60 "$SM" -i root <"$MSG.2"
	assert_success
	LC_ALL=C.UTF-8 run_outbox --queue-list
	assert_success
	assert_output --partial 'subject: Rapport terminé du jour'
	run_outbox_split --queue-list --json
	assert_success
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/j"
	# Both queued in the same second: their order is the ids' random part.
	run json_get "$BATS_TEST_TMPDIR/j" 'sorted(e["subject"] for e in j["entries"])'
	assert_output '["Rapport termin\u00e9 du jour", "caf\ufffd latin-1"]'
	# Every queue command's --json parses: drop, retry, flush.
	id=$(ls "$BATS_TEST_TMPDIR/queue" | sed -n 's/\.env$//p' | head -1)
	run_outbox_split --queue-drop "$id" --json
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/j"
	run json_get "$BATS_TEST_TMPDIR/j" 'j["result"]'
	assert_output dropped
	run_outbox_split --flush --json
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/j"
	run json_get "$BATS_TEST_TMPDIR/j" 'j["status"]'
	assert_output 0
	run_outbox_split --queue-retry all --json
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/j"
	run json_get "$BATS_TEST_TMPDIR/j" 'j["status"]'
	assert_output 0
}

@test "failed entries are removed after queue-max-age, with a log line" {
	start_syslog
	start_fault 'reply DOT 554 5.7.1 spam'
	write_rc smtp-security=none queue-max-age=1h
	run_outbox -s old a@example.net <<<"x"
	assert_failure 69
	run_outbox -s new a@example.net <<<"y"
	assert_failure 69
	[ "$(nfailed)" -eq 2 ]
	old=$(ls "$BATS_TEST_TMPDIR/queue/failed" | sed -n 's/\.env$//p' | head -1)
	# Failed two hours ago (the time of its .env).
	touch -d '2 hours ago' "$BATS_TEST_TMPDIR/queue/failed/$old.env"
	run_outbox --flush
	assert_success
	[ "$(nfailed)" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/queue/failed/$old.msg" ]
	wait_lines "$SYSLOG_OUT" 3
	run grep -c "id=$old .*result=expired" "$SYSLOG_OUT"
	assert_output 1
}
