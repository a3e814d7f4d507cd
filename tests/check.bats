#!/usr/bin/env bats
# check.bats — outbox --check: every step's line against aiosmtpd, every
# failure with its exit code and hint against the fault server, the
# port-mismatch cases (STARTTLS on an implicit-TLS port and the other
# way round) answered with the line to change well before the time-out,
# the proof that nothing was sent (no DATA), and --json.

load test_helper

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# check [ARGS...]: outbox --check, stdout and stderr apart.
check() {
	run_outbox_split --check "$@"
}

# assert_step STATUS STEP REGEX: a walk line "STATUS STEP  N ms  TEXT"
# whose TEXT matches REGEX.
assert_step() {
	local l
	for l in "${lines[@]}"; do
		# The text is the last group ($1 and $2 may hold their own).
		if [[ $l =~ ^$1\ +$2\ +[0-9]+\ ms\ \ (.*)$ ]] &&
		    [[ ${BASH_REMATCH[${#BASH_REMATCH[@]}-1]} =~ $3 ]]; then
			return 0
		fi
	done
	fail "no '$1 $2' line matching /$3/ in: $output"
}

# assert_fact KEY REGEX: an indented "KEY: VALUE" line under a step.
assert_fact() {
	local l
	for l in "${lines[@]}"; do
		if [[ $l =~ ^\ +$1:\ (.*)$ ]] && [[ ${BASH_REMATCH[1]} =~ $2 ]]; then
			return 0
		fi
	done
	fail "no '$1:' fact matching /$2/ in: $output"
}

# refute_data: the aiosmtpd server received no DATA and stored nothing.
refute_smtpd_data() {
	! grep -qi '^DATA' "$SMTPD_OUT/commands.log" ||
	    fail "DATA was sent: $(cat "$SMTPD_OUT/commands.log")"
	! ls "$SMTPD_OUT"/*.eml >/dev/null 2>&1 ||
	    fail "a message was stored: $(ls "$SMTPD_OUT")"
}

refute_fault_data() {
	[ ! -e "$FAULT_LOG/data.eml" ] ||
	    fail "the server received a body"
	! grep -qi '^DATA' "$FAULT_LOG/transcript.log" ||
	    fail "DATA was sent: $(cat -A "$FAULT_LOG/transcript.log")"
}

# --- the walk, every step passing -----------------------------------

@test "STARTTLS and AUTH: every step has its ok line, and no DATA" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	check rcpt@example.net other@example.net
	assert_success
	assert_step ok config "$HOME/.outboxrc"
	assert_step ok settings '\(top level\)'
	assert_fact smtp "localhost:$PORT"
	assert_fact smtp-security starttls
	assert_fact smtp-user alice
	assert_fact smtp-password '^set$'
	assert_step ok password '^set$'
	assert_step ok resolve '127\.0\.0\.1'
	assert_step ok connect '^127\.0\.0\.1$'
	assert_step ok greeting '^220 '
	assert_step ok EHLO '^250 '
	assert_fact AUTH 'not offered before TLS'
	assert_step ok STARTTLS '^220 '
	assert_step '(ok|warn)' TLS '^TLSv1\.[23]$'
	assert_fact subject 'CN=good'
	assert_fact names '^localhost, 127\.0\.0\.1$'
	assert_fact issuer 'CN=outbox test CA'
	assert_fact expires '^20[0-9]{2}-[0-9]{2}-[0-9]{2} '
	assert_fact verified '^ok$'
	assert_fact pin "^set tls-fingerprint=$(spki_fingerprint "$CERTS/good.pem")\$"
	assert_step ok EHLO/TLS '^250 '
	assert_fact SIZE '^32 MiB \(33554432 bytes\)$'
	assert_fact AUTH 'PLAIN'
	assert_step ok AUTH '^PLAIN$'
	assert_step ok 'MAIL FROM' '^250'
	assert_fact sent "^MAIL FROM:<$SENDER>\$"
	assert_fact sent '^RCPT TO:<rcpt@example.net>$'
	assert_fact sent '^RCPT TO:<other@example.net>$'
	assert_step ok 'RCPT TO' '^250'
	assert_step ok RSET '^250'
	assert_step ok QUIT '^221'
	assert_step ok done 'nothing was sent'
	refute_secret "$output $stderr"
	refute_smtpd_data
	run tr -d '\r' <"$SMTPD_OUT/commands.log"
	assert_output --regexp "RCPT TO:<other@example.net>
RSET
QUIT$"
}

@test "the pin line it prints is accepted as is, without the CA file" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	check
	assert_success
	local pin
	pin=$(printf '%s\n' "${lines[@]}" | sed -n 's/^ *pin: set //p')
	[ -n "$pin" ] || fail "no pin line in: $output"
	write_rc_auth -tls-ca-file "${pin%%=*}=${pin#*=}"
	check
	assert_success
	assert_fact verified 'key matches tls-fingerprint'
}

@test "implicit TLS: the TLS step comes before the greeting" {
	start_smtpd_tls tls --auth "alice:$PASSWORD"
	write_rc_auth smtp-security=tls
	check rcpt@example.net
	assert_success
	local order
	order=$(printf '%s\n' "${lines[@]}" | awk '$1 ~ /^(ok|warn)$/ { print $2 }' | tr '\n' ' ')
	[[ $order == "config settings password resolve connect TLS greeting EHLO/TLS AUTH MAIL RCPT RSET QUIT done " ]] ||
	    fail "steps in this order: $order"
	refute_smtpd_data
}

@test "no login configured: AUTH is skipped, and the walk passes" {
	start_smtpd
	write_rc smtp-security=none
	check rcpt@example.net
	assert_success
	assert_fact smtp-password '\(no login\)'
	assert_step skip AUTH 'no smtp-user'
	refute_smtpd_data
}

@test "trust settings the SMTP connection will not use are shown as such" {
	start_smtpd_tls starttls
	write_rc smtp-security=none tls-ca-file="$BATS_TEST_TMPDIR/ca.pem" \
	    tls-fingerprint=sha256:$(printf 'AB:%.0s' $(seq 31))AB
	# (This server then wants STARTTLS before MAIL: the settings are
	# what is looked at here.)
	check
	assert_step ok settings '^\(top level\)$'
	assert_fact tls-ca-file "^$BATS_TEST_TMPDIR/ca\.pem \(SMTP does not use it: smtp-security=none\)\$"
	assert_fact tls-fingerprint '^sha256:AB:.*:AB \(no effect: smtp-security=none\)$'
	# With TLS, a pin makes the CA file unused; alone, it is used.
	pin=$(spki_fingerprint "$CERTS/good.pem")
	write_rc smtp-security=starttls tls-ca-file="$CERTS/ca.pem" \
	    tls-fingerprint="$pin"
	check
	assert_success
	assert_fact tls-ca-file "^$CERTS/ca\.pem \(SMTP does not use it: the tls-fingerprint pin is the trust anchor\)\$"
	assert_fact tls-fingerprint "^$pin\$"
	write_rc smtp-security=starttls tls-ca-file="$CERTS/ca.pem"
	check
	assert_success
	assert_fact tls-ca-file "^$CERTS/ca\.pem\$"
}

@test "secrets are shown by source only: from command" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	printf '%s\n' "$PASSWORD" >"$BATS_TEST_TMPDIR/pw"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="cat $BATS_TEST_TMPDIR/pw"
	check
	assert_success
	assert_fact smtp-password '^from command$'
	refute_secret "$output $stderr"
}

@test "-A NAME walks the account's settings" {
	start_smtpd
	write_rc smtp-security=none
	cat >>"$HOME/.outboxrc" <<EOF
account work {
	set from="Work <work@example.org>"
	set smtp=127.0.0.1:$PORT
}
EOF
	check -A work rcpt@example.net
	assert_success
	assert_step ok settings '^work$'
	assert_fact smtp "127\.0\.0\.1:$PORT"
	assert_fact sent '^MAIL FROM:<work@example.org>$'
}

@test "VRFY goes out for each recipient when the server announces it" {
	start_fault 'capa PIPELINING VRFY'
	write_rc smtp-security=none
	check rcpt@example.net
	assert_success
	assert_fact sent '^VRFY rcpt@example.net$'
	# The fault server knows no VRFY: 500 is for the record only.
	assert_step no VRFY '^500 '
	refute_fault_data
}

@test "no VRFY when it is not announced" {
	start_fault 'capa PIPELINING'
	write_rc smtp-security=none
	check rcpt@example.net
	assert_success
	! grep -qi '^VRFY' "$FAULT_LOG/transcript.log"
}

# --- --json ---------------------------------------------------------

@test "--json: one valid object per step, in order, nothing else" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	check --json rcpt@example.net
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.jsonl"
	run "$PY" -m json.tool --json-lines "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
	run "$PY" -c '
import json, sys
steps = []
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o["ms"], int) and o["status"] in ("ok", "warn"), o
    steps.append(o["step"])
    if o["step"] == "TLS":
        assert o["pin"].startswith("set tls-fingerprint=sha256:"), o
        assert o["names"] == "localhost, 127.0.0.1", o
    if o["step"] == "settings":
        assert o["smtp-password"] == "set" and o["timeout"] == 3, o
print(" ".join(steps))' "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
	assert_output "config settings password resolve connect greeting EHLO STARTTLS TLS EHLO/TLS AUTH MAIL FROM RCPT TO RSET QUIT done"
	refute_secret
}

@test "--json: the failing step's object carries its exit code and hint" {
	start_fault 'reply AUTH 534 5.7.9 Application-specific password required.'
	write_rc_auth
	check --json
	assert_failure 77
	run "$PY" -c '
import json, sys
objs = [json.loads(l) for l in sys.argv[1].splitlines()]
last = objs[-1]
assert last["status"] == "FAIL" and last["step"] == "AUTH", last
assert last["exit"] == 77 and last["kind"] == "auth", last
assert "app password" in last["hint"], last
print("ok")' "$output"
	assert_success
}

# --- failures: code and hint ----------------------------------------

@test "connection refused: 75, and the hint to check the port" {
	start_fault ''
	local dead=$PORT
	common_teardown
	PORT=$dead write_rc_auth
	check
	assert_failure 75
	assert_step no connect 'refused'
	assert_step FAIL connect 'connection refused'
	assert_fact hint 'check the port in smtp='
}

@test "STARTTLS not offered: 69, and the hint names smtp-security=tls" {
	start_fault 'capa PIPELINING 8BITMIME'
	write_rc_auth
	check
	assert_failure 69
	assert_step FAIL STARTTLS 'does not offer STARTTLS'
	assert_fact hint 'smtp-security=tls'
	refute_secret "$output $stderr"
}

@test "certificate for another name: 69, the names it has, and a hint" {
	start_fault '' wronghost
	write_rc_auth
	check
	assert_failure 69
	assert_step FAIL TLS 'the certificate is for wrong\.example'
	assert_fact names 'wrong\.example'
	assert_fact pin '^set tls-fingerprint=sha256:'
	assert_fact hint 'another name'
	[[ $stderr == *"outbox: hint: the certificate is for another name"* ]] ||
	    fail "no hint on stderr: $stderr"
	refute_sent_auth
}

@test "unknown CA: 69, the issuer, and tls-ca-file or the pin" {
	start_fault ''
	write_rc_auth -tls-ca-file
	check
	assert_failure 69
	assert_step FAIL TLS 'issuer CN=outbox test CA'
	assert_fact issuer 'CN=outbox test CA'
	assert_fact hint 'tls-ca-file=.*tls-fingerprint'
	refute_sent_auth
}

@test "expired certificate: 69 and the hint" {
	start_fault '' expired
	write_rc_auth
	check
	assert_failure 69
	assert_step FAIL TLS 'expired'
	assert_fact expires '\(expired\)'
	assert_fact hint 'expired'
}

@test "smtp-auth not offered: 69, what is offered, and the hint" {
	start_fault ''
	write_rc_auth smtp-auth=cram-md5
	check
	assert_failure 69
	assert_step FAIL AUTH 'does not offer CRAM-MD5 \(it offers PLAIN LOGIN\)'
	assert_fact hint 'set smtp-auth to one it lists'
	refute_sent_auth
}

@test "Gmail 534 5.7.9: 77 and the app-password hint" {
	start_fault 'reply AUTH 534 5.7.9 Application-specific password required.'
	write_rc_auth
	check
	assert_failure 77
	assert_step FAIL AUTH '534'
	assert_fact hint 'Gmail wants an app password'
}

@test "Microsoft 535 5.7.139: 77 and the OAuth2 hint" {
	start_fault 'reply AUTH 535 5.7.139 Authentication unsuccessful, basic authentication is disabled.'
	write_rc_auth
	check
	assert_failure 77
	assert_fact hint 'smtp-auth=xoauth2'
}

@test "Microsoft 535 5.7.3: 77 and the OAuth2 hint" {
	start_fault 'reply AUTH 535 5.7.3 Authentication unsuccessful'
	write_rc_auth
	check
	assert_failure 77
	assert_fact hint 'OAuth2'
}

@test "QQ Mail's 535 authorization code text: 77 and the 授权码 hint" {
	start_fault 'reply AUTH 535 Login Fail. Please enter your authorization code to login.'
	write_rc_auth
	check
	assert_failure 77
	assert_fact hint '授权码'
}

@test "a plain 535: 77 and the hint to check user and password" {
	start_fault 'reply AUTH 535 5.7.8 Error: authentication failed'
	write_rc_auth
	check
	assert_failure 77
	assert_fact hint 'check smtp-user'
}

@test "too many login attempts (454 4.7.0): 75 and retry later" {
	start_fault 'reply AUTH 454 4.7.0 Too many login attempts, please try again later.'
	write_rc_auth
	check
	assert_failure 75
	assert_fact hint 'retry later.*queue-on-failure=yes'
}

@test "sender not owned by the login (553 5.7.1): 69 and set from" {
	start_fault 'reply MAIL 553 5.7.1 <sender@example.org>: Sender address rejected: not owned by user alice'
	write_rc_auth
	check rcpt@example.net
	assert_failure 69
	assert_step FAIL 'MAIL FROM' '553'
	assert_fact hint 'set from to the account'
	refute_fault_data
	! grep -qi '^RCPT' "$FAULT_LOG/transcript.log"
	grep -qi '^QUIT' "$FAULT_LOG/transcript.log"
}

@test "daily sending limit on RCPT (550 5.4.5): 67 and retry later" {
	start_fault 'reply RCPT 550 5.4.5 Daily user sending limit exceeded.'
	write_rc_auth
	check rcpt@example.net
	assert_failure 67
	assert_step FAIL 'RCPT TO' '550'
	assert_fact hint 'sending limit'
}

@test "one recipient refused: 67; every RCPT, then RSET and QUIT, no DATA" {
	start_fault $'reply RCPT 250 2.1.5 Ok\nreply RCPT 550 5.1.1 no such user'
	write_rc_auth
	check good@example.net bad@example.net
	assert_failure 67
	assert_step ok 'RCPT TO' '^250'
	assert_step FAIL 'RCPT TO' '^550 5\.1\.1 no such user'
	[[ $stderr == *"outbox: RCPT TO: 1 of 2 recipients refused"* ]] ||
	    fail "stderr: $stderr"
	run sh -c "tr -d '\r' <'$FAULT_LOG/transcript.log' | awk '{ print toupper(\$1) }' | tr '\n' ' '"
	assert_output --regexp 'MAIL RCPT RCPT RSET QUIT $'
	refute_fault_data
}

@test "554 greeting: 69" {
	start_fault 'greeting 554 5.7.1 no service for you'
	write_rc_auth
	check
	assert_failure 69
	assert_step FAIL greeting '554'
}

@test "no server configured: 78 at the settings step" {
	write_rc -smtp
	check
	assert_failure 78
	assert_step FAIL settings 'no SMTP server configured'
}

@test "--check takes no -c or -b: 64" {
	write_rc
	check -c cc@example.net
	assert_failure 64
}

# --- the port and the security setting disagree ---------------------

@test "STARTTLS on an implicit-TLS port: 78 with smtp-security=tls, not the 60 s time-out" {
	start_smtpd_tls tls
	write_rc smtp-security=starttls timeout=60
	run --separate-stderr timeout 20 "$OUTBOX" --check
	assert_failure 78
	assert_step FAIL greeting 'speaks TLS at once'
	assert_fact hint 'set smtp-security=tls'
	[[ $stderr == *"outbox: hint: this port speaks implicit TLS"* ]] ||
	    fail "no hint on stderr: $stderr"
}

@test "an ordinary send there fails the same way, and queues nothing for retry" {
	start_smtpd_tls tls
	write_rc smtp-security=starttls timeout=60 queue-on-failure=yes
	run timeout 20 "$OUTBOX" -s test rcpt@example.net <<<"body"
	assert_failure 78
	assert_line --partial 'outbox: greeting: the server on port'
	assert_line --partial 'outbox: hint: this port speaks implicit TLS (as 465 does): set smtp-security=tls'
	# A configuration error is not retried: at most kept in failed/.
	[ -z "$(find "$BATS_TEST_TMPDIR/queue" -type f -not -path '*/failed/*' \
	    -not -name lock 2>/dev/null)" ] ||
	    fail "something was queued for retry: $(find "$BATS_TEST_TMPDIR/queue" -type f)"
	refute_smtpd_data
}

@test "implicit TLS on a plaintext port: 78 with smtp-security=starttls" {
	start_fault 'capa PIPELINING'
	write_rc smtp-security=tls timeout=60
	run --separate-stderr timeout 20 "$OUTBOX" --check
	assert_failure 78
	assert_step FAIL TLS 'answered in plaintext \("220 faultserver ESMTP"\)'
	assert_fact hint 'set smtp-security=starttls'
}

@test "an ordinary send with implicit TLS on a plaintext port: 78 and the hint" {
	start_smtpd
	write_rc smtp-security=tls timeout=60
	run timeout 20 "$OUTBOX" -s test rcpt@example.net <<<"body"
	assert_failure 78
	assert_line --partial 'answered in plaintext ("220 '
	assert_line --partial 'outbox: hint: this port greets in plaintext (as 587 and 25 do): set smtp-security=starttls'
	refute_smtpd_data
}

@test "a slow plaintext greeting is waited for: the probe does not misjudge it" {
	start_fault $'delay GREETING 4\ncapa PIPELINING'
	write_rc smtp-security=none timeout=10
	check rcpt@example.net
	assert_success
	assert_step ok greeting '^220 faultserver'
}

# refute_sent_auth: no AUTH reached the fault server.
refute_sent_auth() {
	! grep -qi '^AUTH' "$FAULT_LOG/transcript.log" 2>/dev/null ||
	    fail "AUTH was sent: $(cat -A "$FAULT_LOG/transcript.log")"
}

@test "expiry: a certificate that ends within 14 days warns, one of 30 days does not" {
	start_smtpd_tls starttls
	write_rc smtp-security=starttls
	check
	assert_success
	assert_step warn TLS 'TLSv1'
	assert_fact expires 'in [0-9]+ days: warning, under 14 days'
	common_teardown
	# A 30-day certificate from the same CA, made here.
	local d=$BATS_TEST_TMPDIR/long
	mkdir -p "$d"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$d/long.key" 2>/dev/null
	openssl req -new -key "$d/long.key" -subj /CN=long -out "$d/long.csr" \
	    2>/dev/null
	printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' \
	    >"$d/long.ext"
	openssl x509 -req -in "$d/long.csr" -CA "$CERTS/ca.pem" \
	    -CAkey "$CERTS/ca.key" -CAcreateserial -CAserial "$d/ca.srl" \
	    -days 30 -sha256 -extfile "$d/long.ext" -out "$d/long.pem" \
	    2>/dev/null
	start_smtpd --mode starttls --cert "$d/long.pem" --key "$d/long.key"
	write_rc smtp-security=starttls
	check
	assert_success
	assert_step ok TLS 'TLSv1'
	assert_fact expires 'in (29|30) days\)$'
}

# --- config loading says what it did --------------------------------

@test "OUTBOXRC naming a missing file: 78, no fall-back to ~/.outboxrc" {
	write_rc
	OUTBOXRC=$BATS_TEST_TMPDIR/nonexistent run_outbox -s x rcpt@example.net <<<"body"
	assert_failure 78
	assert_line --regexp "^outbox: OUTBOXRC names a file that cannot be read: .*nonexistent: No such file or directory$"
	assert_line --partial 'outbox: hint: create that file'
}

@test "OUTBOXRC naming something that is not a readable file: 78" {
	write_rc
	mkdir "$BATS_TEST_TMPDIR/dir"
	OUTBOXRC=$BATS_TEST_TMPDIR/dir run_outbox --check
	assert_failure 78
	assert_line --regexp "^FAIL config .*OUTBOXRC names a file that cannot be read: .*dir: not a regular file$"
}

@test "-C naming a missing file: 78, and --check shows it as its config step" {
	write_rc
	run_outbox_split --check --json -C "$BATS_TEST_TMPDIR/missing"
	assert_failure 78
	run "$PY" -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["step"] == "config" and o["status"] == "FAIL" and o["exit"] == 78, o
assert o["text"].startswith("-C names a file that cannot be read"), o
print("ok")' "$output"
	assert_success
}

@test "queue-dir inside an account block: 78 with its file and line" {
	PORT=25 write_rc
	printf 'account work {\n\tset queue-dir=/tmp/q\n}\n' >>"$HOME/.outboxrc"
	run_outbox -s x rcpt@example.net <<<"body"
	assert_failure 78
	assert_line --regexp "^outbox: .*\.outboxrc:[0-9]+: queue-dir is read at the top level only, so it has no effect in account \"work\""
	printf 'account home {\n\tunset queue-dir\n}\n' >"$HOME/.outboxrc"
	run_outbox --check
	assert_failure 78
	assert_line --regexp '^FAIL config .*queue-dir is read at the top level only'
}

@test "keys without effect beside each other: 78, naming both lines" {
	PORT=25
	write_rc smtp-password=x smtp-password-cmd="echo y"
	run_outbox -s x rcpt@example.net <<<"body"
	assert_failure 78
	assert_line --regexp '^outbox: .*\.outboxrc:[0-9]+: smtp-password-cmd has no effect: smtp-password is used first; keep one of them \(.*\.outboxrc:[0-9]+\)$'
	write_rc smtp-auth=none smtp-user=alice
	run_outbox -s x rcpt@example.net <<<"body"
	assert_failure 78
	assert_line --partial 'smtp-user has no effect: smtp-auth=none sends no credentials'
}

@test "an account that unsets what it inherits is fine; one that does not is 78" {
	start_smtpd
	write_rc smtp-security=none smtp-user=alice smtp-password=x
	cat >>"$HOME/.outboxrc" <<EOF
account work {
	unset smtp-password
	unset smtp-user
	set smtp-password-cmd="echo y"
	set smtp-auth=none
}
EOF
	check -A work rcpt@example.net
	assert_failure 78
	assert_step FAIL config 'smtp-password-cmd has no effect: smtp-auth=none'
	write_rc smtp-security=none smtp-user=alice smtp-password=x
	cat >>"$HOME/.outboxrc" <<EOF
account work {
	set smtp-password-cmd="echo y"
}
EOF
	check -A work rcpt@example.net
	assert_failure 78
	assert_step FAIL config 'smtp-password-cmd has no effect: smtp-password is used first.*an account can unset smtp-password'
	write_rc smtp-security=none smtp-user=alice smtp-password=x
	cat >>"$HOME/.outboxrc" <<EOF
account work {
	unset smtp-password
	unset smtp-user
}
EOF
	check -A work rcpt@example.net
	assert_success
	assert_fact smtp-password '\(no login\)'
}

@test "-vv names each file looked for and read; --check lists them in order" {
	start_smtpd
	write_rc smtp-security=none
	printf 'set hostname=sys.example.org\n' >"$BATS_TEST_TMPDIR/system.rc"
	OUTBOX_SYSTEM_RC=$BATS_TEST_TMPDIR/system.rc run_outbox_split -vv \
	    -s x rcpt@example.net <<<"body"
	assert_success
	[[ $stderr == *"config: read $BATS_TEST_TMPDIR/system.rc"* ]] ||
	    fail "no system file line: $stderr"
	[[ $stderr == *"config: $HOME/.config/outbox/outboxrc: not found"* ]] ||
	    fail "no not-found line: $stderr"
	[[ $stderr == *"config: read $HOME/.outboxrc"* ]] ||
	    fail "no user file line: $stderr"
	OUTBOX_SYSTEM_RC=$BATS_TEST_TMPDIR/system.rc check
	assert_success
	assert_step ok config "^$BATS_TEST_TMPDIR/system.rc, $HOME/.outboxrc\$"
}

# --- the POP3 side (the fault server in POP3 mode) -------------------

# pop3_check_rc [KEY=VALUE]...: POP3 with STLS at the fault server, no
# smtp (the POP3 side alone) unless a key sets it.
pop3_check_rc() {
	write_rc -smtp pop3="pop3://alice@localhost:$PORT" \
	    pop3-password="$PASSWORD" "$@"
}

# refute_retrieved: the fault server saw no RETR, TOP or DELE.
refute_retrieved() {
	! grep -qiE '^(RETR|TOP|DELE)' "$FAULT_LOG/transcript.log" ||
	    fail "a message was touched: $(cat -A "$FAULT_LOG/transcript.log")"
}

POP3_SCRIPT='protocol pop3
capa USER UIDL TOP PIPELINING RESP-CODES LOGIN-DELAY 900 EXPIRE NEVER SASL PLAIN SCRAM-SHA-256 STLS
message Subject: one\n\nbody one\n
message Subject: two\n\nbody two, a little longer\n'

@test "pop3: every step to STAT has its ok line; nothing retrieved or deleted" {
	start_fault "$POP3_SCRIPT"
	pop3_check_rc pop3-auth=user
	check
	assert_success
	assert_step skip SMTP 'no smtp configured'
	assert_step ok pop3 '^default$'
	assert_fact pop3 "localhost:$PORT"
	assert_fact pop3-security '^stls$'
	assert_fact pop3-auth '^user$'
	assert_fact pop3-password '^set$'
	assert_step ok password '^set$'
	assert_step ok resolve '127\.0\.0\.1'
	assert_step ok connect '^127\.0\.0\.1$'
	assert_step ok greeting '^\+OK faultserver POP3 ready'
	assert_fact APOP 'offered \(timestamp <1\.2@fault>\)'
	assert_step ok CAPA '^\+OK$'
	assert_fact SASL '^PLAIN SCRAM-SHA-256$'
	assert_fact extensions '^STLS PIPELINING UIDL TOP RESP-CODES USER$'
	assert_fact LOGIN-DELAY '^900$'
	assert_fact EXPIRE '^NEVER$'
	assert_step ok STLS '^\+OK begin TLS'
	assert_step '(ok|warn)' TLS '^TLSv1\.[23]$'
	assert_fact subject 'CN=good'
	assert_fact pin '^set pop3-tls-fingerprint=sha256:'
	assert_step ok CAPA/TLS '^\+OK$'
	assert_step ok login '^USER/PASS$'
	assert_step ok STAT '^2 messages, [0-9]+ bytes$'
	assert_fact messages '^2$'
	assert_step ok QUIT '^\+OK bye'
	assert_step ok done 'nothing was retrieved or deleted'
	refute_retrieved
	grep -q '^STAT' "$FAULT_LOG/transcript.log"
	refute_secret
}

@test "pop3: after the SMTP side when both are set" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	local smtp_port=$PORT
	start_fault "$POP3_SCRIPT"
	write_rc_auth smtp="localhost:$smtp_port" \
	    pop3="pop3://localhost:$PORT" pop3-auth=plain
	check
	assert_success
	# The SMTP walk first, then the POP3 one with the smtp-* login.
	assert_step ok EHLO/TLS '^250 '
	assert_step ok pop3 '^default$'
	assert_fact pop3-user '^alice$'
	assert_fact pop3-password 'set \(smtp-password\)'
	assert_step ok login '^AUTH PLAIN$'
	assert_step ok done 'nothing was sent, retrieved or deleted'
	[[ $output == *"ok   EHLO/TLS"*"ok   STAT"* ]] || fail "order: $output"
	refute_retrieved
	refute_smtpd_data
}

@test "pop3: a refused password is 77 with the hint" {
	start_fault "$POP3_SCRIPT
pop3-reply PASS -ERR [AUTH] Authentication failed."
	pop3_check_rc pop3-auth=user
	check
	assert_failure 77
	assert_step FAIL PASS '^PASS: -ERR \[AUTH\] Authentication failed\.$'
	assert_fact hint 'check pop3-user'
	assert_fact exit '^77$'
	refute_retrieved
}

@test "pop3: [IN-USE] is 75 with its hint; a mechanism not offered is 69" {
	start_fault "$POP3_SCRIPT
pop3-reply PASS -ERR [IN-USE] mailbox locked"
	pop3_check_rc pop3-auth=user
	check
	assert_failure 75
	assert_step FAIL PASS 'IN-USE'
	assert_fact hint 'another session holds the mailbox'
	pop3_check_rc pop3-auth=cram-md5
	check
	assert_failure 69
	assert_step FAIL AUTH 'does not offer CRAM-MD5'
	assert_fact hint 'set pop3-auth to one of those'
	run ! grep -q '^AUTH' "$FAULT_LOG/transcript.log"
}

@test "pop3: STLS on an implicit-TLS port: 78 and the hint, in seconds" {
	start_fault "concurrent
tls implicit
$POP3_SCRIPT"
	pop3_check_rc pop3-security=stls timeout=60
	local t0=$SECONDS
	run --separate-stderr timeout 20 "$OUTBOX" --check
	assert_failure 78
	[ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0)) s"
	assert_step FAIL greeting 'speaks TLS at once \(implicit TLS\), not plaintext POP3'
	assert_fact hint 'set pop3-security=tls'
	# An ordinary fetch says the same, as quickly.
	t0=$SECONDS
	run timeout 20 "$OUTBOX" --fetch
	assert_failure 78
	assert_line --partial 'outbox: hint: this port speaks implicit TLS (as 995 does): set pop3-security=tls'
	[ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0)) s"
}

@test "pop3: implicit TLS on a plaintext port: 78 and the hint, in seconds" {
	start_fault "$POP3_SCRIPT"
	pop3_check_rc pop3-security=tls timeout=60
	local t0=$SECONDS
	run --separate-stderr timeout 20 "$OUTBOX" --check
	assert_failure 78
	[ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0)) s"
	assert_step FAIL TLS 'answered in plaintext \("\+OK faultserver POP3 ready'
	assert_fact hint 'set pop3-security=stls'
	# main.c's line names the POP3 side, and its hint is POP3's.
	[[ $stderr == *"outbox: pop3 default: TLS: the server answered in plaintext"* ]] ||
	    fail "stderr: $stderr"
	[[ $stderr == *"outbox: hint: this port greets in plaintext (as 110 does): set pop3-security=stls"* ]] ||
	    fail "stderr: $stderr"
	refute_retrieved
}

@test "pop3: --json gives one valid object per step, the POP3 ones marked" {
	start_fault "$POP3_SCRIPT"
	pop3_check_rc pop3-auth=user
	check --json
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.jsonl"
	run "$PY" -m json.tool --json-lines "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
	run "$PY" -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
pop = [o["step"] for o in objs if o.get("service") == "pop3"]
assert pop == ["pop3", "password", "resolve", "connect", "greeting", "CAPA",
               "STLS", "TLS", "CAPA/TLS", "login", "CAPA/auth", "STAT",
               "QUIT"], pop
stat = [o for o in objs if o["step"] == "STAT"][0]
assert stat["messages"] == 2 and isinstance(stat["octets"], int), stat
assert objs[-1]["step"] == "done" and "service" not in objs[-1]
assert all(o["status"] in ("ok", "warn", "skip") for o in objs), objs
' "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
	refute_retrieved
}

@test "pop3: a failing POP3 step in --json carries its exit code and hint" {
	start_fault "$POP3_SCRIPT
pop3-reply PASS -ERR [AUTH] no"
	pop3_check_rc pop3-auth=user
	check --json
	assert_failure 77
	printf '%s\n' "$output" | tail -n 1 | "$PY" -c '
import json, sys
o = json.load(sys.stdin)
assert o["status"] == "FAIL" and o["step"] == "PASS", o
assert o["exit"] == 77 and o["service"] == "pop3", o
assert "pop3-user" in o["hint"], o
'
}

@test "pop3: implicit TLS: TLS before the greeting; a certificate for another name gets the POP3 hint" {
	start_fault "tls implicit
$POP3_SCRIPT"
	pop3_check_rc pop3="pop3s://alice@localhost:$PORT" pop3-auth=user
	check
	assert_success
	[[ $output == *"ok   connect"*"TLS "*"ok   greeting"*"ok   CAPA/TLS"*"ok   login"* ]] ||
	    fail "order: $output"
	run ! grep -q '^STLS' "$FAULT_LOG/transcript.log"
	common_teardown
	rm -rf "$FAULT_LOG"
	start_fault "tls implicit
$POP3_SCRIPT" wronghost
	pop3_check_rc pop3="pop3s://alice@localhost:$PORT" pop3-auth=user
	check
	assert_failure 69
	assert_step FAIL TLS 'certificate'
	assert_fact hint 'put one of its names in pop3='
	run ! grep -q '^USER' "$FAULT_LOG/transcript.log"
}
