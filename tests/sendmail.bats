#!/usr/bin/env bats
# The sendmail personality: outbox invoked through a link named sendmail
# (or as outbox --sendmail) with a finished message on stdin, as cron,
# systemd units, Monit, git send-email and mailx call it.  Each test
# delivers to the aiosmtpd server (or the fault server) and checks the
# envelope (N.json) and the bytes that arrived (N.eml).

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
}

# run_sm FILE ARGS...: the sendmail link with FILE on stdin.
run_sm() {
	local in=$1
	shift
	run timeout 60 "$SM" "$@" <"$in"
}

# rc_plain [KEY=VALUE]...: plaintext to the local server, root aliased.
rc_plain() {
	write_rc smtp-security=none default-domain=example.org "$@"
}

# eml_lf FILE: the message as received with CRLF made LF and the Date
# and Message-ID fields that outbox adds left out.
eml_lf() {
	"$PY" - "$1" <<'PYEOF'
import sys
data = open(sys.argv[1], "rb").read()
head, sep, body = data.partition(b"\r\n\r\n")
keep = [l for l in head.split(b"\r\n")
        if not l.lower().startswith((b"date:", b"message-id:"))]
sys.stdout.buffer.write(b"\n".join(keep) + b"\n\n" +
                        body.replace(b"\r\n", b"\n"))
PYEOF
}

# assert_wire_clean FILE: CRLF line ends only, no bare CR or LF.
assert_wire_clean() {
	run "$PY" -c '
import re, sys
d = open(sys.argv[1], "rb").read()
bad = len(re.findall(rb"\r(?!\n)", d)) + len(re.findall(rb"(?<!\r)\n", d))
print(bad)' "$1"
	assert_output 0
}

@test "cron: -FCronDaemon -i -B8BITMIME -oem root, 8-bit body" {
	start_smtpd
	# As it came: from-rewrite (unattended.bats) off.
	rc_plain from-rewrite=never
	printf 'alias root admin@example.org\n' >>"$HOME/.outboxrc"
	printf '%s\n' 'From: root (Cron Daemon)' 'To: root' \
	    'Subject: Cron <root@host> /usr/local/bin/backup' \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=UTF-8' \
	    'Content-Transfer-Encoding: 8bit' 'X-Cron-Env: <SHELL=/bin/sh>' \
	    'X-Cron-Env: <HOME=/root>' 'X-Cron-Env: <LOGNAME=root>' '' \
	    'Sauvegarde terminée ✓' 'done' >"$MSG"
	run_sm "$MSG" -FCronDaemon -i -B8BITMIME -oem root
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["admin@example.org"]'
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output "$SENDER"
	run json_get "$SMTPD_OUT/1.json" '"BODY=8BITMIME" in j["mail_options"]'
	assert_output true
	# Sent as it came, apart from CRLF and the added Date and Message-ID.
	run diff <(eml_lf "$SMTPD_OUT/1.eml") "$MSG"
	assert_success
	run grep -c -E '^(Date|Message-ID): ' "$SMTPD_OUT/1.eml"
	assert_output 2
	assert_wire_clean "$SMTPD_OUT/1.eml"
}

@test "cron: -FCronDaemon -i -odi -oem -oi -t -f root adds From" {
	start_smtpd
	rc_plain from-rewrite=never
	printf '%s\n' 'To: root' 'Subject: Cron <root@host> date' \
	    'X-Cron-Env: <PATH=/usr/bin:/bin>' '' 'Mon Nov 23 01:00:00 2026' \
	    >"$MSG"
	OUTBOX_TEST_MESSAGE_ID='<cron.1@example.org>' \
	    run_sm "$MSG" -FCronDaemon -i -odi -oem -oi -t -f root
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'root@example.org'
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["root@example.org"]'
	run grep -c '^From: CronDaemon <root@example.org>' "$SMTPD_OUT/1.eml"
	assert_output 1
	run grep -c '^Message-ID: <cron.1@example.org>' "$SMTPD_OUT/1.eml"
	assert_output 1
	run eml_body "$SMTPD_OUT/1.eml"
	assert_output 'Mon Nov 23 01:00:00 2026'
}

@test "a systemd unit's ExecStart script pipes a notice" {
	start_smtpd
	rc_plain
	cat >"$BATS_TEST_TMPDIR/notify-boot" <<'EOF'
#!/bin/sh
# ExecStart=/usr/local/bin/notify-boot (Type=oneshot)
sendmail -t <<ERRMAIL
To: ops@example.org
From: systemd <root@example.org>
Subject: host01 booted
Content-Transfer-Encoding: 8bit
Content-Type: text/plain; charset=UTF-8

$(printf 'host01 is up since %s.\n' '2026-11-23 01:00')
ERRMAIL
EOF
	PATH="$BIN:$PATH" run timeout 60 sh "$BATS_TEST_TMPDIR/notify-boot"
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["ops@example.org"]'
	run eml_header "$SMTPD_OUT/1.eml" Subject
	assert_output 'host01 booted'
	run eml_body "$SMTPD_OUT/1.eml"
	assert_output 'host01 is up since 2026-11-23 01:00.'
	assert_wire_clean "$SMTPD_OUT/1.eml"
}

@test "a Monit-style alert keeps its Date and Message-ID" {
	start_smtpd
	rc_plain
	printf '%s\r\n' 'Date: Mon, 23 Nov 2026 01:02:03 +0000' \
	    'From: monit@host01.example.org' 'To: ops@example.org' \
	    'Subject: monit alert --  Does not exist nginx' \
	    'Message-Id: <1763859723.42@host01.example.org>' \
	    'X-Mailer: Monit 5.33.0' 'MIME-Version: 1.0' \
	    'Content-Type: text/plain; charset="UTF-8"' \
	    'Content-Transfer-Encoding: 8bit' '' 'Does not exist Service nginx' \
	    '' '        Date:        Mon, 23 Nov 2026 01:02:03' \
	    '        Action:      restart' >"$MSG"
	run_sm "$MSG" -oi ops@example.org
	assert_success
	# Byte for byte: the input already had CRLF line ends.
	run cmp "$SMTPD_OUT/1.eml" "$MSG"
	assert_success
}

@test "git send-email: sendmail -i -f with a patch" {
	start_smtpd
	rc_plain
	printf '%s\n' 'From: Dev <dev@example.org>' 'To: list@example.org' \
	    'Cc: reviewer@example.org' 'Subject: [PATCH] fix the thing' \
	    'Date: Mon, 23 Nov 2026 01:00:00 +0100' \
	    'Message-ID: <20261123-1-dev@example.org>' \
	    'X-Mailer: git-send-email 2.39.5' 'MIME-Version: 1.0' \
	    'Content-Transfer-Encoding: 8bit' '' '---' \
	    'diff --git a/x b/x' '--- a/x' '+++ b/x' '@@ -1,2 +1,2 @@' \
	    ' .' '-.' '+..' '.' 'trailing' >"$MSG"
	run_sm "$MSG" -i -f dev@example.org list@example.org \
	    reviewer@example.org
	assert_success
	run json_get "$SMTPD_OUT/1.json" '[j["mail_from"], j["rcpt_tos"]]'
	assert_output '["dev@example.org", ["list@example.org", "reviewer@example.org"]]'
	run cmp <("$PY" -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1],"rb").read().replace(b"\r\n",b"\n"))' "$SMTPD_OUT/1.eml") "$MSG"
	assert_success
}

@test "mailx calling sendmail -oi -t delivers To and Cc" {
	start_smtpd
	rc_plain
	printf '%s\n' 'To: a@example.org, "Bee, B." <b@example.org>' \
	    'Cc: c@example.org' 'Subject: from mailx' '' 'hi' >"$MSG"
	run_sm "$MSG" -oi -t
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["a@example.org", "b@example.org", "c@example.org"]'
}

@test "-t: Bcc (folded) removed, its recipients still delivered" {
	start_smtpd
	rc_plain
	printf '%s\n' 'To: a@example.org' 'Bcc: hidden1@example.org,' \
	    '  hidden2@example.org' 'Subject: blind' 'Resent-Bcc: x@example.org' \
	    '' 'body' >"$MSG"
	run_sm "$MSG" -t extra@example.org
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'sorted(j["rcpt_tos"])'
	assert_output '["a@example.org", "extra@example.org", "hidden1@example.org", "hidden2@example.org"]'
	run grep -ci 'bcc\|hidden' "$SMTPD_OUT/1.eml"
	assert_output 0
}

@test "bare LF and bare CR never reach the wire" {
	start_smtpd
	rc_plain
	printf 'Subject: ends\n\nlf line\ncr line\rcrlf line\r\nlast' >"$MSG"
	run_sm "$MSG" a@example.org
	assert_success
	assert_wire_clean "$SMTPD_OUT/1.eml"
	run "$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.split(b"\r\n\r\n",1)[1])' "$SMTPD_OUT/1.eml"
	assert_output "b'lf line\\r\\ncr line\\r\\ncrlf line\\r\\nlast\\r\\n'"
}

@test "a lone . line ends the input without -i, not with -i" {
	start_smtpd
	rc_plain
	printf 'Subject: dot\n\nbefore\n.\nafter\n' >"$MSG"
	run_sm "$MSG" a@example.org
	assert_success
	run eml_body "$SMTPD_OUT/1.eml"
	assert_output 'before'
	run_sm "$MSG" -i a@example.org
	assert_success
	run eml_body "$SMTPD_OUT/2.eml"
	assert_output "$(printf 'before\n.\nafter')"
	run_sm "$MSG" -oi a@example.org
	assert_success
	run cmp "$SMTPD_OUT/2.eml" "$SMTPD_OUT/3.eml"
	assert_failure	# Message-ID differs; the bodies are equal:
	run diff <(eml_body "$SMTPD_OUT/2.eml") <(eml_body "$SMTPD_OUT/3.eml")
	assert_success
}

@test "a 50 MiB message is sent with constant memory" {
	[ -x /usr/bin/time ] || skip "no /usr/bin/time"
	start_smtpd --data-limit 60000000
	rc_plain
	{
		printf 'From: %s\nSubject: big\n\n' "$SENDER"
		yes 'The quick brown fox jumps over the lazy dog 0123456789 abcdefghij' |
		    head -c 52428800
		echo
	} >"$MSG"
	run timeout 120 /usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" \
	    "$SM" a@example.org <"$MSG"
	assert_success
	rss=$(tail -n 1 "$BATS_TEST_TMPDIR/rss")
	# 16 MiB; under ASan (make sanitize sets ASAN_OPTIONS) its shadow
	# memory needs more, still well below the 50 MiB of the message.
	bound=16384
	[ -z "${ASAN_OPTIONS-}" ] || bound=40960
	[ "$rss" -lt "$bound" ] || fail "peak RSS ${rss} KiB, bound $bound KiB"
	run diff <(eml_lf "$SMTPD_OUT/1.eml" | sha256sum) <(sha256sum <"$MSG")
	assert_success
}

@test "outbox --sendmail is the same personality" {
	start_smtpd
	rc_plain
	printf 'Subject: s\n\nx\n' >"$MSG"
	run timeout 60 "$OUTBOX" --sendmail -t -i a@example.org <"$MSG"
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["a@example.org"]'
}

@test "an unknown option is a usage error, never a recipient" {
	start_smtpd
	rc_plain
	printf 'Subject: s\n\nx\n' >"$MSG"
	run_sm "$MSG" -Z a@example.org
	assert_failure 64
	assert_output --partial 'unknown sendmail option -Z'
	run_sm "$MSG" -oX a@example.org
	assert_failure 64
	run_sm "$MSG" -bs
	assert_failure 64
	run_sm "$MSG"
	assert_failure 64
	[ ! -e "$SMTPD_OUT/1.eml" ]
}

@test "accepted and ignored options: -odb -oep -oee -B7BIT -bm -em -ee -G -U" {
	start_smtpd
	rc_plain
	printf 'Subject: s\n\nx\n' >"$MSG"
	run_sm "$MSG" -odb -oep -oee -B7BIT -bm -em -ee -G -U -Am a@example.org
	assert_success
	[ -e "$SMTPD_OUT/1.eml" ]
}

@test "-f <> sends with the null sender and adds From from the config" {
	start_smtpd
	rc_plain
	printf 'Subject: bounce\n\nx\n' >"$MSG"
	run_sm "$MSG" -f '<>' a@example.org
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output '<>'
	run eml_header "$SMTPD_OUT/1.eml" From
	assert_output "Sender <$SENDER>"
}

@test "an unresolvable local recipient exits 67 and says how to alias it" {
	start_smtpd
	write_rc smtp-security=none
	printf 'Subject: s\n\nx\n' >"$MSG"
	run_sm "$MSG" postmaster
	assert_failure 67
	assert_output --partial 'alias postmaster'
	[ ! -e "$SMTPD_OUT/1.eml" ]
}

@test "aliases-file: /etc/aliases format, then default-domain" {
	start_smtpd
	printf '%s\n' '# aliases(5)' 'postmaster:    root' \
	    'root: admin,' '	oncall@example.net' 'Other: nobody' \
	    >"$BATS_TEST_TMPDIR/aliases"
	rc_plain aliases-file="$BATS_TEST_TMPDIR/aliases"
	printf 'Subject: s\n\nx\n' >"$MSG"
	run_sm "$MSG" postmaster other
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["admin@example.org", "oncall@example.net", "nobody@example.org"]'
}

@test "aliases-file: a loop is reported" {
	start_smtpd
	printf '%s\n' 'a: b' 'b: c, x@example.org' 'c: a' \
	    >"$BATS_TEST_TMPDIR/aliases"
	rc_plain aliases-file="$BATS_TEST_TMPDIR/aliases"
	printf 'Subject: s\n\nx\n' >"$MSG"
	run_sm "$MSG" a
	assert_failure 78
	assert_output --partial 'a -> b -> c -> a'
}

@test "the account is chosen by the From header" {
	start_smtpd
	rc_plain
	printf 'account work {\n set from="W <w@work.example>"\n}\n' \
	    >>"$HOME/.outboxrc"
	printf 'From: Someone <me@work.example>\nSubject: s\n\nx\n' >"$MSG"
	run_sm "$MSG" a@example.org
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'w@work.example'
	run_sm "$MSG" -A nosuch a@example.org
	assert_failure 78
}

@test "no 8BITMIME: a single-part 8-bit body goes as quoted-printable" {
	start_fault 'capa PIPELINING SIZE 10485760'
	write_rc smtp-security=none
	printf 'Subject: t\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\ncaf\303\251 cr\303\250me\n' >"$MSG"
	run_sm "$MSG" a@example.org
	assert_success
	run grep -c 'BODY=8BITMIME' "$FAULT_LOG/transcript.log"
	assert_output 0
	run grep -c '^Content-Transfer-Encoding: quoted-printable' \
	    "$FAULT_LOG/data.eml"
	assert_output 1
	run grep -c 'caf=C3=A9 cr=C3=A8me' "$FAULT_LOG/data.eml"
	assert_output 1
	run "$PY" -c 'import sys; print(max(open(sys.argv[1],"rb").read()))' \
	    "$FAULT_LOG/data.eml"
	[ "$output" -lt 128 ]
}

@test "no 8BITMIME: an 8-bit multipart message fails saying why" {
	start_fault 'capa PIPELINING SIZE 10485760'
	write_rc smtp-security=none
	printf 'Subject: t\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\ncaf\303\251\n--b--\n' >"$MSG"
	run_sm "$MSG" a@example.org
	assert_failure 69
	assert_output --partial 'lacks 8BITMIME'
	assert_output --partial 'multipart'
}

@test "-N -R -V pass DSN parameters when the server offers DSN" {
	start_fault 'capa PIPELINING 8BITMIME DSN'
	write_rc smtp-security=none
	printf 'Subject: t\n\nx\n' >"$MSG"
	run_sm "$MSG" -N success,failure -R hdrs -V env42 a@example.org
	assert_success
	run grep -c '^MAIL FROM:<sender@example.org> RET=HDRS ENVID=env42' \
	    "$FAULT_LOG/transcript.log"
	assert_output 1
	run grep -c '^RCPT TO:<a@example.org> NOTIFY=SUCCESS,FAILURE' \
	    "$FAULT_LOG/transcript.log"
	assert_output 1
	run_sm "$MSG" -N sometimes a@example.org
	assert_failure 64
}

@test "make install-sendmail-link makes the link; never over a sendmail" {
	local d="$BATS_TEST_TMPDIR/dest"
	run make -s -C "$TESTS_DIR/.." install-sendmail-link DESTDIR="$d" \
	    PREFIX=/usr
	assert_success
	[ "$(readlink "$d/usr/sbin/sendmail")" = /usr/bin/outbox ]
	rm "$d/usr/sbin/sendmail"
	echo real >"$d/usr/sbin/sendmail"
	run make -s -C "$TESTS_DIR/.." install-sendmail-link DESTDIR="$d" \
	    PREFIX=/usr
	assert_failure
	[ "$(cat "$d/usr/sbin/sendmail")" = real ]
	run grep -n sendmail <(sed -n '/^install:/,/^$/p' "$TESTS_DIR/../Makefile")
	assert_failure
}

@test "a 255-octet header line at the end of the input arrives whole" {
	start_smtpd
	rc_plain
	# 2^8-1 octets without a line end: the reader once wrote past its
	# buffer here (issue 10 item 1; ASan in make sanitize saw it).
	printf 'Subject: %s' "$(head -c 246 /dev/zero | tr '\0' a)" >"$MSG"
	run_sm "$MSG" r@example.net
	assert_success
	run eml_header "$SMTPD_OUT/1.eml" Subject
	assert_output "$(head -c 246 /dev/zero | tr '\0' a)"
}

@test "a NUL byte in a header line is bad input (65), nothing sent" {
	start_smtpd
	rc_plain
	printf 'Subject: a\0b\nTo: x@example.net\n\nbody\n' >"$MSG"
	run_sm "$MSG" r@example.net
	assert_failure 65
	assert_output --partial 'NUL byte'
	[ ! -e "$SMTPD_OUT/1.eml" ]
}

@test "mailx personality: every recipient is checked before connecting" {
	start_smtpd
	rc_plain
	printf '%%PDF-1.4 test\n' >"$BATS_TEST_TMPDIR/doc.pdf"
	# An option after a recipient is an option (issue 10 item 7).
	run timeout 60 "$OUTBOX" -s x a@example.org -a "$BATS_TEST_TMPDIR/doc.pdf" \
	    <<<"body"
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["a@example.org"]'
	run eml_parts "$SMTPD_OUT/1.eml"
	assert_output --partial 'doc.pdf'
	# A bad one anywhere means nothing is sent to the good ones.
	run timeout 60 "$OUTBOX" -s x b@example.org -- -a@example.org <<<"body"
	assert_failure 64
	run timeout 60 "$OUTBOX" -s x b@example.org 'c@@example.org' <<<"body"
	assert_failure 65
	[ ! -e "$SMTPD_OUT/2.eml" ]
}

@test "-C is ignored: an injected config never runs its password command" {
	start_smtpd
	rc_plain
	# What an address like "a@b -C/upload/x.rc" would smuggle in.
	cat >"$BATS_TEST_TMPDIR/evil.rc" <<RC
set smtp="localhost:1"
set smtp-security=none
set smtp-user=victim
set smtp-password-cmd="touch $BATS_TEST_TMPDIR/pwned; echo pw"
RC
	chmod 600 "$BATS_TEST_TMPDIR/evil.rc"
	printf 'Subject: s\n\nx\n' >"$MSG"
	run_sm "$MSG" -v -f a@example.org -C"$BATS_TEST_TMPDIR/evil.rc" \
	    r@example.net
	assert_success
	assert_output --partial 'ignoring -C'
	[ ! -e "$BATS_TEST_TMPDIR/pwned" ]
	run json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]'
	assert_output '["r@example.net"]'
}

# tty_outbox ARGS...: outbox with a terminal on stdin (the dead.letter
# case), the text "typed at a terminal" typed into it.
tty_outbox() {
	run timeout 20 "$PY" - "$OUTBOX" "$@" <<'PYEOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
os.write(fd, b"typed at a terminal\n\x04")
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PYEOF
}

@test "dead.letter: never through a symlink, never into another's file" {
	write_rc smtp=localhost:1 smtp-security=none
	printf 'not yours\n' >"$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$HOME/dead.letter"
	tty_outbox -s tty rcpt@example.net
	assert_failure 75
	assert_output --partial 'symbolic link'
	refute_output --partial 'message saved'
	assert_equal "$(cat "$BATS_TEST_TMPDIR/victim")" 'not yours'
	# A dead.letter someone else owns (here: nobody) is left alone.
	rm "$HOME/dead.letter"
	printf 'theirs\n' >"$HOME/dead.letter"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$HOME/dead.letter"
		tty_outbox -s tty rcpt@example.net
		assert_failure 75
		assert_output --partial 'owned by you'
		assert_equal "$(cat "$HOME/dead.letter")" theirs
	fi
	# Our own is appended to, as before.
	rm -f "$HOME/dead.letter"
	tty_outbox -s tty rcpt@example.net
	assert_failure 75
	assert_output --partial 'message saved'
	grep -q 'typed at a terminal' "$HOME/dead.letter"
}

@test "an IPv6 server is named [::1]:PORT in messages" {
	write_rc 'smtp=[::1]:1' smtp-security=none
	printf 'Subject: s\n\nx\n' >"$MSG"
	run_sm "$MSG" r@example.net
	assert_failure 75
	assert_output --partial 'connect: [::1]:1: '
	run timeout 60 "$OUTBOX" -s x r@example.net <<<"body"
	assert_failure 75
	assert_output --partial 'connect: [::1]:1: '
}

@test "sendmail personality: --version works, usage errors point to its section" {
	run timeout 10 "$SM" --version
	assert_success
	assert_output --regexp '^outbox [0-9]'
	run timeout 10 "$OUTBOX" --sendmail --version
	assert_success
	assert_output --regexp '^outbox [0-9]'
	run timeout 10 "$SM" -Z a@example.org </dev/null
	assert_failure 64
	assert_output --partial 'SENDMAIL COMPATIBILITY in outbox(1)'
	refute_output --partial "outbox --help"
}

@test "--json on a usage error still prints its object" {
	local j=$BATS_TEST_TMPDIR/j
	# Before getopt reaches --json, and after it.
	for args in "--bogus --json a@example.org" "--json -s" "--json -s x"; do
		# shellcheck disable=SC2086
		run --separate-stderr timeout 10 "$OUTBOX" $args </dev/null
		assert_equal "$status" 64
		printf '%s' "$output" >"$j"
		assert_equal "$(json_get "$j" 'j["status"]')" 64
		assert_equal "$(json_get "$j" 'j["result"]')" usage
		[ -n "$(json_get "$j" 'j["error"]')" ]
		[[ "$stderr" == *"see 'outbox --help'"* ]] || fail "stderr: $stderr"
	done
}
