#!/usr/bin/env bats
# postfix.bats — outbox against the servers people run (issue 12): a
# private Postfix 3 (submission with STARTTLS required, submissions with
# implicit TLS, a plain port; SASL through Dovecot) delivering by LMTP
# into a Dovecot Maildir, both started for this file under its temporary
# directory by tests/lib/postfix.sh and tests/lib/dovecot.sh, as root.
# Nothing leaves the machine (default_transport = error) and every
# recipient lands in one mailbox, box@local.test.
#
# Each delivered message is read back from the Maildir and compared byte
# for byte with what outbox --dry-run prints for the same input (Date,
# Message-ID and the boundaries pinned), after dropping the trace
# headers the servers put on top (Return-Path, Delivered-To, Received)
# and with CRLF as LF, which is how a Maildir stores lines (over POP3,
# where CRLF is back, one test compares the CRLF form).  If Postfix
# or Dovecot cannot start, every test fails.

load test_helper
. "$BATS_TEST_DIRNAME/lib/dovecot.sh"
. "$BATS_TEST_DIRNAME/lib/postfix.sh"

setup_file() {
	common_setup_file
	local mta="$BATS_FILE_TMPDIR/mta"
	dovecot_setup "$mta/dovecot" "$CERTS" ||
	    fail "dovecot: set-up failed (see above)"
	dovecot_start || fail "dovecot: would not start (see above)"
	postfix_setup "$mta/postfix" "$CERTS" ||
	    fail "postfix: set-up failed (see above)"
	postfix_start || fail "postfix: would not start (see above)"
}

teardown_file() {
	postfix_stop
	dovecot_stop
}

setup() {
	common_setup
	BOX=$(dovecot_maildir "$DOVECOT_USER")
	# A clean mailbox per test: earlier deliveries are complete (each
	# test waits for its own).
	find "$DOVECOT_DIR/mail" -type f \( -path '*/Maildir/new/*' -o \
	    -path '*/Maildir/cur/*' \) -delete 2>/dev/null || true
	export OUTBOX_TEST_DATE=1700000000
	export OUTBOX_TEST_BOUNDARY=postfix-bats
	T=$BATS_TEST_TMPDIR
	LOGPOS=$(wc -c <"$POSTFIX_LOG")
	# Postfix may have been stopped by a test that failed half-way.
	[ -n "$(postfix_master_pid)" ] && kill -0 "$(postfix_master_pid)" ||
	    postfix_start || fail "postfix: would not restart"
}

teardown() {
	common_teardown
}

# pf_rc PORT-KIND MECH [KEY=VALUE]...: ~/.outboxrc for the test Postfix;
# PORT-KIND submission (587-style, STARTTLS) or submissions (465-style,
# implicit TLS); MECH plain or login.
pf_rc() {
	local kind=$1 mech=$2 port sec
	shift 2
	case $kind in
	submission) port=$POSTFIX_SUBMISSION_PORT sec=starttls ;;
	submissions) port=$POSTFIX_SUBMISSIONS_PORT sec=tls ;;
	esac
	PORT=$port write_rc smtp-security=$sec smtp-auth=$mech \
	    from="Sender <$DOVECOT_SUBMIT_USER>" \
	    smtp-user="$DOVECOT_SUBMIT_USER" \
	    smtp-password="$DOVECOT_SUBMIT_PASS" default-domain=example.org \
	    timeout=20 "$@"
}

# maildir_get MSGID [SECS]: waits (10 s) for the message with that
# Message-ID in the mailbox; prints its path.
maildir_get() {
	local id=$1 i f
	for i in $(seq $((${2:-10} * 10))); do
		f=$(grep -l -F -x -s "Message-ID: $id" "$BOX"/new/* "$BOX"/cur/* |
		    head -n 1)
		if [ -n "$f" ]; then
			echo "$f"
			return 0
		fi
		sleep 0.1
	done
	echo "no message $id in $BOX after ${2:-10} s; maillog:" >&2
	tail -n 15 "$POSTFIX_LOG" >&2
	return 1
}

# newlog_grep ARGS...: grep over what Postfix logged during this test.
newlog_grep() {
	tail -c +$((LOGPOS + 1)) "$POSTFIX_LOG" | grep "$@"
}

# maildir_count: messages in the mailbox.
maildir_count() {
	find "$BOX/new" "$BOX/cur" -type f 2>/dev/null | wc -l
}

# untrace FILE: the message without the trace block on top (fields
# Return-Path, Delivered-To, Received and their continuation lines).
untrace() {
	"$PY" - "$1" <<'PYEOF'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
trace = (b"return-path:", b"delivered-to:", b"received:")
i, intrace = 0, False
while i < len(lines):
    l = lines[i]
    if l.lower().startswith(trace):
        intrace = True
    elif intrace and l[:1] in (b" ", b"\t"):
        pass
    else:
        break
    i += 1
sys.stdout.buffer.write(b"\n".join(lines[i:]))
PYEOF
}

# lf FILE: FILE with CRLF as LF.
lf() { sed 's/\r$//' "$1"; }

# assert_same_as_dry FILE EXPECTED: the delivered FILE, trace removed,
# equals the --dry-run output EXPECTED (CRLF as LF), byte for byte.
assert_same_as_dry() {
	if ! cmp -s <(untrace "$1") <(lf "$2"); then
		diff <(lf "$2" | cat -A) <(untrace "$1" | cat -A) >&2 || true
		fail "delivered message differs from --dry-run output"
	fi
}

# send_both MSGID ARGS...: outbox --dry-run ARGS into $T/dry.eml, then the
# real send of the same; both with Message-ID MSGID.  stdin: $T/body.
send_both() {
	local id=$1
	shift
	OUTBOX_TEST_MESSAGE_ID=$id timeout 60 "$OUTBOX" --dry-run "$@" \
	    <"$T/body" >"$T/dry.eml" || fail "--dry-run failed"
	OUTBOX_TEST_MESSAGE_ID=$id run_outbox_split "$@" <"$T/body"
	[ -z "$stderr" ] || printf 'outbox said: %s\n' "$stderr"
}

# read_with_snail MAILDIR: s-nail in batch mode, read-only, printing
# message 1 with its decoded headers and its part list.
read_with_snail() {
	HOME="$T" timeout 30 s-nail -:/ -# -R -S ttycharset=utf-8 \
	    -Y 'print 1' -Y 'xit' -f "maildir://$1"
}

# make_png FILE: a real 16x16 PNG image (libmagic calls it image/png).
make_png() {
	"$PY" - "$1" <<'PYEOF'
import struct, sys, zlib
def chunk(t, d):
    c = struct.pack(">I", len(d)) + t + d
    return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\0" + bytes(v for x in range(16)
                              for v in (x * 16, y * 16, 128))
               for y in range(16))
png = (b"\x89PNG\r\n\x1a\n" +
       chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PYEOF
}

# read_with_mutt MAILDIR: mutt showing message 1 as its pager would
# (headers decoded, one "[-- Attachment #N: NAME --]" line per part),
# through an external pager that copies the page to $T/mutt.page.  mutt
# wants a terminal even when no key is typed: script(1) lends it a pty.
read_with_mutt() {
	cat >"$T/muttrc" <<EOF
set charset=utf-8
set folder="$T"
set record=""
set postponed="$T/postponed"
set header_cache=""
set read_only=yes
set move=no
set quit=yes
set wait_key=no
set sleep_time=0
set prompt_after=no
set pager="cat > $T/mutt.page"
EOF
	rm -f "$T/mutt.page"
	HOME="$T" LC_ALL=C.UTF-8 TERM=vt100 timeout 30 script -qec \
	    "mutt -n -F $T/muttrc -R -f $1 -e 'push <display-message><quit>'" \
	    /dev/null >/dev/null 2>&1 </dev/null
	cat "$T/mutt.page"
}

mailx_case() { # KIND MECH
	printf 'Hello over %s with AUTH %s.\n' "$1" "$2" >"$T/body"
	pf_rc "$1" "$2"
	send_both "<$1.$2@example.org>" -s "$1 $2" one@example.com \
	    two@example.net
	assert_success
	[ -z "$stderr" ] || fail "unexpected stderr: $stderr"
	f=$(maildir_get "<$1.$2@example.org>")
	assert_same_as_dry "$f" "$T/dry.eml"
	# One copy for the two recipients: Postfix rewrites both to the one
	# mailbox and delivers once.
	[ "$(maildir_count)" -eq 1 ]
	run newlog_grep -E "sasl_method=$(echo "$2" | tr a-z A-Z), sasl_username=$DOVECOT_SUBMIT_USER"
	assert_success
}

@test "postfix: mailx on submission (STARTTLS) with AUTH PLAIN, delivered byte for byte" {
	mailx_case submission plain
}

@test "postfix: mailx on submission (STARTTLS) with AUTH LOGIN, delivered byte for byte" {
	mailx_case submission login
}

@test "postfix: mailx on submissions (implicit TLS) with AUTH PLAIN, delivered byte for byte" {
	mailx_case submissions plain
}

@test "postfix: mailx on submissions (implicit TLS) with AUTH LOGIN, delivered byte for byte" {
	mailx_case submissions login
}

@test "postfix: a wrong password gets 535 from Dovecot's SASL: exit 77, nothing delivered" {
	pf_rc submission plain smtp-password=wrong
	printf 'never\n' >"$T/body"
	run_outbox -s nope one@example.com <"$T/body"
	assert_failure 77
	assert_output --partial 535
	[ "$(maildir_count)" -eq 0 ]
}

@test "postfix: an attachment, a GB2312 body and a Chinese subject, byte for byte" {
	pf_rc submission plain
	# 你好，世界。这是一封测试邮件。 in GB2312
	printf '\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\xa1\xa3\xd5\xe2\xca\xc7\xd2\xbb\xb7\xe2\xb2\xe2\xca\xd4\xd3\xca\xbc\xfe\xa1\xa3\n' \
	    >"$T/body"
	{ printf '%%PDF-1.4\n'; head -c 70000 /dev/urandom; } >"$T/季度报告.pdf"
	# --charset is the charset of the body and of the Subject as typed
	# (a GB2312 terminal); outbox sends the Subject as UTF-8 words.
	local subj
	subj=$(printf '季度报告：测试邮件' | iconv -f UTF-8 -t GB2312)
	send_both '<gb2312@example.org>' --charset gb2312 \
	    -s "$subj" -a "$T/季度报告.pdf" one@example.com
	assert_success
	f=$(maildir_get '<gb2312@example.org>')
	assert_same_as_dry "$f" "$T/dry.eml"
	run eml_header "$f" Subject
	assert_output '季度报告：测试邮件'
	run eml_parts "$f"
	assert_line --index 1 "application/pdf 季度报告.pdf 70009 $(sha256sum <"$T/季度报告.pdf" | cut -d' ' -f1)"
	run grep -c -i '^Content-Type: text/plain; charset=gb2312' "$f"
	assert_output 1
	# base64 of the canonical (CRLF) text, decoded back to UTF-8.
	assert_equal "$(eml_body "$f" | tr -d '\r')" '你好，世界。这是一封测试邮件。'
}

@test "postfix: an HTML message with an inline image, byte for byte" {
	pf_rc submissions login
	printf 'The text form.\n' >"$T/body"
	make_png "$T/chart.png"
	printf '<html><body><p>Usage:</p><img src="cid:chart.png"></body></html>\n' \
	    >"$T/report.html"
	send_both '<html@example.org>' -s 'HTML report' \
	    --html="$T/report.html" --inline "$T/chart.png" one@example.com
	assert_success
	f=$(maildir_get '<html@example.org>')
	assert_same_as_dry "$f" "$T/dry.eml"
	run eml_parts "$f"
	assert_line "image/png chart.png $(wc -c <"$T/chart.png") $(sha256sum <"$T/chart.png" | cut -d' ' -f1)"
	assert_line --partial "text/html"
	run grep -c -i '^Content-Type: multipart/related' "$f"
	assert_output 1
}

@test "dovecot: the Maildir read by s-nail and mutt shows the decoded subject and the attachment names" {
	pf_rc submissions plain
	printf 'Please find attached.\n' >"$T/body"
	printf '%%PDF-1.4\n%% test\n' >"$T/Übersicht März.pdf"
	head -c 2000 /dev/urandom >"$T/数据.bin"
	OUTBOX_TEST_MESSAGE_ID='<readers@example.org>' run_outbox \
	    -s 'Grüße — 报告 attached' -a "$T/Übersicht März.pdf" \
	    -a "$T/数据.bin" one@example.com <"$T/body"
	assert_success
	f=$(maildir_get '<readers@example.org>')
	# The raw message has only encoded words and RFC 2231 parameters.
	run grep -c -P '[^\x00-\x7f]' "$f"
	assert_output 0
	run read_with_snail "$BOX"
	assert_success
	assert_output --partial 'Subject: Grüße — 报告 attached'
	# s-nail 14.9 does not show RFC 2231 names in its part list; mutt
	# decodes them.
	run read_with_mutt "$BOX"
	assert_success
	assert_line 'Subject: Grüße — 报告 attached'
	assert_line '[-- Attachment #2: Übersicht März.pdf --]'
	assert_line '[-- Attachment #3: 数据.bin --]'
}

# pop_retr PORT MODE USER PASS N: message N over POP3 (MODE stls: plain
# port, STLS first; tls: POP3S) with Python's poplib, CA-verified; the
# raw lines joined with CRLF as on the wire.  "count C" first.
pop_retr() {
	"$PY" - "$@" "$CERTS/ca.pem" <<'PYEOF'
import poplib, ssl, sys
port, mode, user, pw, n, ca = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=ca)
if mode == "tls":
    p = poplib.POP3_SSL("localhost", int(port), context=ctx, timeout=10)
else:
    p = poplib.POP3("localhost", int(port), timeout=10)
    p.stls(context=ctx)
p.user(user)
p.pass_(pw)
count, _ = p.stat()
print("count", count)
_, lines, _ = p.retr(int(n))
sys.stdout.buffer.write(b"\r\n".join(lines) + b"\r\n")
p.quit()
PYEOF
}

@test "dovecot: POP3 with STLS and POP3S serve the delivered message, byte for byte as --dry-run (CRLF)" {
	pf_rc submission plain
	printf 'Fetched back over POP3.\n' >"$T/body"
	send_both '<pop3@example.org>' -s 'over POP3' one@example.com
	assert_success
	maildir_get '<pop3@example.org>' >/dev/null
	local mode port
	for mode in stls tls; do
		[ $mode = stls ] && port=$DOVECOT_POP3_PORT ||
		    port=$DOVECOT_POP3S_PORT
		pop_retr "$port" "$mode" "$DOVECOT_USER" "$DOVECOT_PASS" 1 \
		    >"$T/pop.$mode" || fail "POP3 ($mode) failed"
		assert_equal "$(head -n 1 "$T/pop.$mode")" "count 1"
		sed 1d "$T/pop.$mode" >"$T/pop.$mode.eml"
		# Over POP3 the lines end in CRLF again: the trace block
		# dropped, the rest is --dry-run's output exactly.
		untrace "$T/pop.$mode.eml" | sed 's/\r$//' >"$T/pop.lf"
		cmp -s "$T/pop.lf" <(lf "$T/dry.eml") ||
		    fail "POP3 ($mode) message differs from --dry-run"
		run grep -c $'\r$' "$T/pop.$mode.eml"
		assert_output "$(($(wc -l <"$T/pop.$mode.eml")))"
	done
	# dovecot_fill, for the POP3 suites: three messages for the POP user.
	dovecot_fill "$DOVECOT_POP_USER" 3
	run pop_retr "$DOVECOT_POP3S_PORT" tls "$DOVECOT_POP_USER" \
	    "$DOVECOT_POP_PASS" 3
	assert_success
	assert_line --index 0 "count 3"
	assert_output --partial "Subject: fill 3 of 3"
}

@test "postfix: sendmail personality with Debian cron's exact invocation, byte for byte" {
	ln -s "$OUTBOX" "$T/sendmail"
	pf_rc submission plain
	printf 'alias root %s\n' "$DOVECOT_USER" >>"$HOME/.outboxrc"
	# As it came: from-rewrite (unattended.bats) off.
	printf 'set from-rewrite=never\n' >>"$HOME/.outboxrc"
	printf '%s\n' 'From: root (Cron Daemon)' 'To: root' \
	    'Subject: Cron <root@host> /usr/local/bin/backup' \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=UTF-8' \
	    'Content-Transfer-Encoding: 8bit' 'X-Cron-Env: <SHELL=/bin/sh>' \
	    'X-Cron-Env: <HOME=/root>' 'X-Cron-Env: <PATH=/usr/bin:/bin>' \
	    'X-Cron-Env: <LOGNAME=root>' '' 'Sauvegarde terminée ✓' \
	    '.' 'done' >"$T/cron.msg"
	# Debian cron 3.0pl1 (do_command.c): sendmail -FCronDaemon -i
	# -B8BITMIME -oem MAILTO
	OUTBOX_TEST_MESSAGE_ID='<cron@example.org>' run timeout 60 \
	    "$T/sendmail" -FCronDaemon -i -B8BITMIME -oem root <"$T/cron.msg"
	assert_success
	f=$(maildir_get '<cron@example.org>')
	# What cron wrote, plus the two fields outbox adds at the end of the
	# header (pinned here), nothing else.
	{
		sed -n '1,/^$/p' "$T/cron.msg" | sed '$d'
		echo 'Date: Tue, 14 Nov 2023 22:13:20 +0000'
		echo 'Message-ID: <cron@example.org>'
		echo
		sed '1,/^$/d' "$T/cron.msg"
	} >"$T/expect"
	untrace "$f" >"$T/got"
	if ! cmp -s "$T/expect" "$T/got"; then
		diff "$T/expect" "$T/got" >&2
		fail "the cron message was changed on the way"
	fi
	run newlog_grep -E "from=<$DOVECOT_SUBMIT_USER>, size=[0-9]+, nrcpt=1"
	assert_success
}

@test "postfix: a refused recipient among accepted ones: 67, the others delivered" {
	pf_rc submission login
	printf 'Two of three.\n' >"$T/body"
	send_both '<partial@example.org>' -s partial one@example.com \
	    refused.user@example.com two@example.net
	assert_failure 67
	[[ $stderr == *"refused.user@example.com"*"550 5.1.1"* ]] ||
	    fail "no 550 for the refused recipient: $stderr"
	f=$(maildir_get '<partial@example.org>')
	assert_same_as_dry "$f" "$T/dry.eml"
	run newlog_grep -c "orig_to=<one@example.com>.*status=sent"
	assert_output 1
	run newlog_grep -c "orig_to=<two@example.net>.*status=sent"
	assert_output 1
	run newlog_grep -c "to=<refused.user@example.com>.*status=sent"
	assert_output 0
}

@test "postfix: a queue filled while Postfix is stopped is flushed after it starts again" {
	pf_rc submission plain queue-on-failure=yes timeout=5
	postfix_stop
	local i
	for i in 1 2 3; do
		printf 'Queued message %d.\n' "$i" >"$T/body"
		OUTBOX_TEST_MESSAGE_ID="<queued.$i@example.org>" timeout 60 \
		    "$OUTBOX" --dry-run -s "queued $i" one@example.com \
		    <"$T/body" >"$T/dry.$i.eml"
		OUTBOX_TEST_MESSAGE_ID="<queued.$i@example.org>" run_outbox \
		    -s "queued $i" one@example.com <"$T/body"
		assert_success
		assert_output --partial queued
	done
	run_outbox --queue-list
	assert_success
	[ "$(find "$T/queue" -maxdepth 1 -name '*.env' | wc -l)" -eq 3 ]
	postfix_start
	run_outbox --flush --now
	assert_success
	for i in 1 2 3; do
		f=$(maildir_get "<queued.$i@example.org>")
		assert_same_as_dry "$f" "$T/dry.$i.eml"
	done
	[ "$(find "$T/queue" -maxdepth 1 -name '*.env' | wc -l)" -eq 0 ]
	# One connection for the three (RSET between).
	run newlog_grep -c \
	    "submission/smtpd.*disconnect from.* mail=3 rcpt=3 data=3"
	assert_output 1
}

# quickack_check LOG: every read of the TCP socket that follows a write
# has a TCP_QUICKACK set since that write, except right after the
# ClientHello (a TLS handshake record: the server's answer comes before
# it waits for us, so a delayed ACK cannot hold it up); and the first
# write is preceded by one.  Prints "ok N" (N reads checked) or the
# offending line.
quickack_check() {
	"$PY" - "$1" <<'PYEOF'
import re, sys
tcp = re.compile(r'^(?:\d+\s+)?(\w+)\((\d+)<TCP:\[[^\]]*\]>(.*)')
armed, last_write, checked, first = False, None, 0, True
for line in open(sys.argv[1], errors="replace"):
    m = tcp.match(line)
    if not m:
        continue
    call, rest = m.group(1), m.group(3)
    if call == "setsockopt" and "TCP_QUICKACK" in rest:
        armed = True
    elif call in ("write", "sendto", "sendmsg"):
        if first and not armed:
            print("no TCP_QUICKACK before the first write: " + line)
            sys.exit(1)
        first = False
        last_write = rest
        armed = False
    elif call in ("read", "recvfrom") and "MSG_PEEK" not in rest:
        if last_write is None:
            continue
        hello = last_write.lstrip(", ").startswith('"\\26\\3\\1')
        if not armed and not hello:
            print("read without TCP_QUICKACK after a write: " + line)
            sys.exit(1)
        checked += 1
        last_write = None
print("ok", checked)
PYEOF
}

@test "postfix: TCP_QUICKACK before the handshake and each read after a write, both ports (no delayed-ACK stall)" {
	command -v strace >/dev/null || fail "strace is not installed (make deps)"
	local kind
	for kind in submission submissions; do
		pf_rc $kind plain
		printf 'quick\n' >"$T/body"
		# LeakSanitizer cannot run under ptrace (make sanitize).
		run env "$(no_lsan)" \
		    timeout 60 strace -f -yy \
		    -e trace=setsockopt,read,recvfrom,write,sendto,sendmsg \
		    -o "$T/strace.$kind" "$OUTBOX" -s quick one@example.com \
		    <"$T/body"
		assert_success
		run quickack_check "$T/strace.$kind"
		assert_success
		assert_output --regexp '^ok [1-9][0-9]*$'
	done
}
