#!/usr/bin/env bats
# check-postfix.bats — outbox --check against a real Postfix 3 with SASL
# through Dovecot (tests/lib/postfix.sh and dovecot.sh, a private
# instance under this file's temporary directory, as root): both the
# submission (STARTTLS) and the submissions (implicit TLS) port walk to
# the end, a refused recipient is 67, the port mismatch both ways is
# found and named, and nothing is ever delivered.

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
	[ -n "$(postfix_master_pid)" ] && kill -0 "$(postfix_master_pid)" ||
	    postfix_start || fail "postfix: would not restart"
}

teardown() {
	common_teardown
}

# pf_rc PORT SECURITY [KEY=VALUE]...: ~/.outboxrc for the test Postfix.
pf_rc() {
	local port=$1 sec=$2
	shift 2
	PORT=$port write_rc smtp-security=$sec \
	    from="Sender <$DOVECOT_SUBMIT_USER>" \
	    smtp-user="$DOVECOT_SUBMIT_USER" \
	    smtp-password="$DOVECOT_SUBMIT_PASS" timeout=20 "$@"
}

# nothing_delivered: the mailbox is empty and Postfix queued nothing.
nothing_delivered() {
	sleep 1
	[ -z "$(find "$BOX" -type f -path '*/new/*' 2>/dev/null)" ] ||
	    fail "a message was delivered: $(find "$BOX" -type f)"
	postfix_queue_empty || fail "Postfix has something queued"
}

@test "Postfix submission (STARTTLS): every step passes, nothing delivered" {
	pf_rc "$POSTFIX_SUBMISSION_PORT" starttls
	run_outbox_split --check box@local.test
	assert_success
	[[ $output == *"ok   STARTTLS"* ]] || fail "$output"
	[[ $output == *"ok   AUTH "* ]] || fail "$output"
	[[ $output =~ ok\ +RCPT\ TO\ +[0-9]+\ ms\ \ 250 ]] || fail "$output"
	[[ $output =~ ok\ +done ]] || fail "$output"
	[[ $output == *"pin: set tls-fingerprint=$(spki_fingerprint "$CERTS/good.pem")"* ]] ||
	    fail "no pin line in: $output"
	nothing_delivered
}

@test "Postfix submissions (implicit TLS): every step passes" {
	pf_rc "$POSTFIX_SUBMISSIONS_PORT" tls
	run_outbox_split --check --json box@local.test
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.jsonl"
	run "$PY" -m json.tool --json-lines "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
	nothing_delivered
}

@test "Postfix: a refused recipient is 67 and named" {
	pf_rc "$POSTFIX_SUBMISSION_PORT" starttls
	run_outbox_split --check box@local.test refused@local.test
	assert_failure 67
	[[ $output =~ FAIL\ +RCPT\ TO\ +[0-9]+\ ms\ \ 550 ]] || fail "$output"
	nothing_delivered
}

@test "Postfix: STARTTLS configured on the implicit-TLS port is named (78)" {
	pf_rc "$POSTFIX_SUBMISSIONS_PORT" starttls timeout=60
	run --separate-stderr timeout 20 "$OUTBOX" --check
	assert_failure 78
	[[ $stderr == *"hint: this port speaks implicit TLS"*"set smtp-security=tls"* ]] ||
	    fail "stderr: $stderr"
}

@test "Postfix: implicit TLS configured on the STARTTLS port is named (78)" {
	pf_rc "$POSTFIX_SUBMISSION_PORT" tls timeout=60
	run --separate-stderr timeout 20 "$OUTBOX" --check
	assert_failure 78
	[[ $stderr == *"set smtp-security=starttls"* ]] || fail "stderr: $stderr"
}

# --- the POP3 side against the same Dovecot -------------------------

# pop_rc URL [KEY=VALUE]...: the Postfix login and pop@local.test at URL.
pop_rc() {
	local url=$1
	shift
	pf_rc "$POSTFIX_SUBMISSION_PORT" starttls pop3="$url" \
	    pop3-user="$DOVECOT_POP_USER" pop3-password="$DOVECOT_POP_PASS" "$@"
}

# pop_count: messages in pop@local.test's Maildir (new and cur).
pop_count() {
	find "$(dovecot_maildir "$DOVECOT_POP_USER")"/new \
	    "$(dovecot_maildir "$DOVECOT_POP_USER")"/cur -type f 2>/dev/null |
	    wc -l
}

@test "dovecot: POP3S and STLS walk to STAT after the SMTP side; nothing retrieved" {
	dovecot_fill "$DOVECOT_POP_USER" 3
	local n
	n=$(pop_count)
	pop_rc "pop3s://localhost:$DOVECOT_POP3S_PORT"
	run_outbox_split --check box@local.test
	assert_success
	[[ $output =~ ok\ +RCPT\ TO\ +[0-9]+\ ms\ \ 250 ]] || fail "$output"
	[[ $output =~ ok\ +pop3\ +[0-9]+\ ms\ \ default ]] || fail "$output"
	[[ $output =~ ok\ +greeting\ +[0-9]+\ ms\ \ \+OK\ Dovecot ]] || fail "$output"
	[[ $output =~ ok\ +CAPA/TLS\ +[0-9]+\ ms ]] || fail "$output"
	[[ $output == *"SASL: PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256"* ]] ||
	    fail "$output"
	[[ $output == *"APOP: offered (timestamp <"* ]] || fail "$output"
	[[ $output == *"extensions: PIPELINING UIDL TOP RESP-CODES USER"* ]] ||
	    fail "$output"
	[[ $output == *"pin: set pop3-tls-fingerprint=$(spki_fingerprint "$CERTS/good.pem")"* ]] ||
	    fail "no pin line in: $output"
	# auto: the strongest mechanism offered.
	[[ $output =~ ok\ +login\ +[0-9]+\ ms\ \ AUTH\ SCRAM-SHA-256 ]] ||
	    fail "$output"
	[[ $output =~ ok\ +STAT\ +[0-9]+\ ms\ \ $n\ messages, ]] || fail "$output"
	[[ $output =~ ok\ +QUIT\ +[0-9]+\ ms\ \ \+OK ]] || fail "$output"
	[[ $output =~ ok\ +done\ +[0-9]+\ ms\ \ .*retrieved\ or\ deleted ]] ||
	    fail "$output"
	# STLS on the 110-style port, as JSON Lines.
	pop_rc "pop3://localhost:$DOVECOT_POP3_PORT"
	run_outbox_split --check --json
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.jsonl"
	run "$PY" -m json.tool --json-lines "$BATS_TEST_TMPDIR/out.jsonl"
	assert_success
	grep -q '"step":"STLS","status":"ok"' "$BATS_TEST_TMPDIR/out.jsonl"
	# Dovecot's own count of what each session did: no TOP, RETR or DELE.
	sleep 0.5
	[ "$(grep -c "pop3($DOVECOT_POP_USER).*Logged out top=0/0, retr=0/0, del=0/$n," \
	    "$DOVECOT_LOG")" -ge 2 ] || fail "$(grep 'pop3(' "$DOVECOT_LOG")"
	[ "$(pop_count)" -eq "$n" ]
	nothing_delivered
}

@test "dovecot: a wrong POP3 password is 77 with the hint" {
	pop_rc "pop3s://localhost:$DOVECOT_POP3S_PORT" pop3-password=wrong
	run_outbox_split --check
	assert_failure 77
	[[ $output =~ FAIL\ +AUTH\ SCRAM-SHA-256\ +[0-9]+\ ms\ \ AUTH\ SCRAM-SHA-256:\ -ERR\ \[AUTH\] ]] ||
	    fail "$output"
	[[ $output == *"hint: check pop3-user"* ]] || fail "$output"
}

@test "dovecot: the POP3 port mismatch both ways is named within 5 s (78)" {
	# The POP3 side alone (-smtp), so only its steps are timed.
	local t0=$SECONDS
	pop_rc "pop3://localhost:$DOVECOT_POP3S_PORT" pop3-security=stls \
	    timeout=60 -smtp
	run --separate-stderr timeout 20 "$OUTBOX" --check
	assert_failure 78
	[[ $stderr == *"hint: this port speaks implicit TLS (as 995 does): set pop3-security=tls"* ]] ||
	    fail "stderr: $stderr"
	[ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0)) s"
	t0=$SECONDS
	pop_rc "pop3s://localhost:$DOVECOT_POP3_PORT" timeout=60 -smtp
	run --separate-stderr timeout 20 "$OUTBOX" --check
	assert_failure 78
	[[ $output =~ FAIL\ +TLS\ +[0-9]+\ ms\ \ TLS:\ the\ server\ answered\ in\ plaintext\ \(\"\+OK ]] ||
	    fail "$output"
	[[ $stderr == *"set pop3-security=stls"* ]] || fail "stderr: $stderr"
	[ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0)) s"
}
