#!/usr/bin/env bats
# faults.bats — the client against the scripted fault server
# (tests/servers/faultserver.py): every misbehaviour in the issue's list.
# Each test checks the exit code, the one "outbox: STEP: ..." line, that
# the run ended well within its bound, what the server received, and that
# the password never shows in the client's output.
#
# Unless a test says otherwise the client uses STARTTLS with alice's
# credentials (the fault server's default capabilities offer STARTTLS,
# and AUTH once TLS is up) and timeout=3.

load test_helper

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

BODY='fault test body'

# send [ARGS...]: one message to rcpt@example.net.
send() {
	run_outbox -s fault "$@" rcpt@example.net <<<"$BODY"
}

# transcript: the command words the server received, one a line, upper
# case ("EHLO", "MAIL", ...; AUTH continuations show as their base64).
transcript_words() {
	[ -e "$FAULT_LOG/transcript.log" ] || return 0
	tr -d '\r' <"$FAULT_LOG/transcript.log" | awk '{ print toupper($1) }'
}

# refute_sent WORD...: none of the commands reached the server.
refute_sent() {
	local w
	for w in "$@"; do
		if transcript_words | grep -qx "$w"; then
			fail "the server received $w: $(cat -A "$FAULT_LOG/transcript.log")"
		fi
	done
}

# refute_body_sent: no message bytes reached the server, neither as DATA
# nor as stray command lines.
refute_body_sent() {
	[ ! -e "$FAULT_LOG/data.eml" ] ||
	    fail "the server received a body: $(cat -A "$FAULT_LOG/data.eml")"
	if grep -qiE "^subject:|$BODY" "$FAULT_LOG/transcript.log" 2>/dev/null; then
		fail "message lines sent as commands: $(cat -A "$FAULT_LOG/transcript.log")"
	fi
}

assert_sent() {
	local w
	for w in "$@"; do
		transcript_words | grep -qx "$w" ||
		    fail "the server never received $w: $(cat -A "$FAULT_LOG/transcript.log" 2>/dev/null)"
	done
}

# --- greeting -----------------------------------------------------------

@test "421 greeting: temporary failure, 75" {
	start_fault 'greeting 421 4.3.2 try again later'
	write_rc_auth
	send
	assert_failure 75
	assert_fail_line greeting '\(421[ -].*try again later\)$'
	assert_within 10
	refute_sent MAIL AUTH
	refute_secret
}

@test "554 greeting: permanent failure, 69" {
	start_fault 'greeting 554 5.7.1 no service for you'
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line greeting '\(554[ -].*no service for you\)$'
	assert_within 10
	refute_sent MAIL AUTH
	refute_secret
}

@test "connection dropped right after the greeting: 75" {
	start_fault 'close-after GREETING'
	write_rc_auth
	send
	assert_failure 75
	assert_fail_line EHLO '.'
	assert_within 10
	refute_secret
}

@test "connection dropped after EHLO: 75" {
	start_fault 'close-after EHLO'
	write_rc_auth
	send
	assert_failure 75
	assert_fail_line EHLO '.'
	assert_within 10
	assert_equal "$(transcript_words)" EHLO
	refute_secret
}

@test "connection dropped in the middle of DATA: 75" {
	start_fault 'close-after DATA-MIDDLE'
	write_rc_auth
	# 4 MiB, so the drop comes long before the client could have sent all.
	head -c 3000000 /dev/zero | base64 -w 76 >"$BATS_TEST_TMPDIR/big.txt"
	run_outbox -s big rcpt@example.net <"$BATS_TEST_TMPDIR/big.txt"
	assert_failure 75
	assert_fail_line '(DATA|end of data)' '.'
	assert_within 15
	# The recipient was accepted: no line may call it refused.
	refute_output --partial refused
	assert_sent MAIL RCPT DATA
	[ -s "$FAULT_LOG/data.eml" ]
	refute_secret
}

@test "connection lost after the final dot, before the reply: 75, uncertain" {
	start_fault 'close-after DOT'
	write_rc_auth
	send
	assert_failure 75
	assert_fail_line 'end of data' 'uncertain'
	assert_within 10
	grep -q "$BODY" "$FAULT_LOG/data.eml"
	refute_secret
}

# --- STARTTLS -----------------------------------------------------------

@test "STARTTLS not offered while required: 69, only EHLO/QUIT sent" {
	start_fault 'capa PIPELINING 8BITMIME SIZE 10485760 AUTH PLAIN LOGIN'
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line STARTTLS '.'
	assert_within 10
	run transcript_words
	assert_line --index 0 EHLO
	bad=$(transcript_words | grep -vxE 'EHLO|QUIT' || true)
	[ -z "$bad" ] || fail "sent besides EHLO/QUIT: $bad"
	refute_secret
}

@test "bytes injected after the STARTTLS 220: 76, nothing more sent" {
	start_fault 'inject-after STARTTLS 250 injected-by-attacker'
	write_rc_auth
	send
	assert_failure 76
	assert_fail_line '(STARTTLS|TLS)' '.'
	assert_within 10
	assert_equal "$(transcript_words | tail -n 1)" STARTTLS
	refute_sent AUTH MAIL
	[ ! -e "$FAULT_LOG/sni.log" ] || fail "a TLS handshake was attempted"
	refute_secret
}

@test "454 to STARTTLS: 75, no plaintext fallback" {
	start_fault 'reply STARTTLS 454 4.7.0 TLS not available now'
	write_rc_auth
	send
	assert_failure 75
	assert_fail_line STARTTLS '\(454[ -].*TLS not available now\)$'
	assert_within 10
	refute_sent AUTH MAIL
	refute_secret
}

@test "self-signed certificate: 69" {
	start_fault '' selfsigned
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line '(TLS|STARTTLS)' '[Ss]elf[- ]signed'
	assert_within 10
	refute_sent AUTH MAIL
	refute_secret
}

@test "certificate for another host: 69" {
	start_fault '' wronghost
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line '(TLS|STARTTLS)' 'mismatch'
	assert_within 10
	refute_sent AUTH MAIL
	refute_secret
}

@test "expired certificate: 69" {
	start_fault '' expired
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line '(TLS|STARTTLS)' 'expired'
	assert_within 10
	refute_sent AUTH MAIL
	refute_secret
}

# --- AUTH ---------------------------------------------------------------

@test "535 to AUTH: 77, no MAIL" {
	start_fault 'reply AUTH 535 5.7.8 Authentication credentials invalid'
	write_rc_auth
	send
	assert_failure 77
	assert_fail_line AUTH '\(535[ -].*credentials invalid\)$'
	assert_within 10
	assert_sent AUTH
	refute_sent MAIL
	refute_secret
}

@test "454 to AUTH: 75" {
	start_fault 'reply AUTH 454 4.7.0 Temporary authentication failure'
	write_rc_auth
	send
	assert_failure 75
	assert_fail_line AUTH '\(454[ -].*Temporary authentication failure\)$'
	assert_within 10
	refute_sent MAIL
	refute_secret
}

@test "AUTH not offered while credentials are configured: 69, no MAIL" {
	start_fault 'capa PIPELINING 8BITMIME STARTTLS'
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line AUTH '.'
	assert_within 10
	assert_sent STARTTLS
	refute_sent AUTH MAIL
	refute_secret
}

# --- SCRAM-SHA-256, XOAUTH2, OAUTHBEARER ---------------------------------
# The fault server runs SCRAM's server side itself (hashlib, hmac).

SASL_CAPA='capa PIPELINING 8BITMIME STARTTLS AUTH SCRAM-SHA-256 XOAUTH2 OAUTHBEARER PLAIN LOGIN'

# auth_line N: the N-th line the client sent after AUTH (1: the AUTH
# command itself), CR removed.
auth_line() {
	tr -d '\r' <"$FAULT_LOG/transcript.log" |
	    awk -v n="$1" 'toupper($1) == "AUTH" { a = 1 } a && ++i == n { print; exit }'
}

@test "SCRAM-SHA-256: the right password, the server's signature checked, delivered" {
	start_fault "$SASL_CAPA
scram $PASSWORD"
	write_rc_auth smtp-auth=scram-sha-256
	send -v
	assert_success
	assert_sent AUTH MAIL DATA
	[[ $(auth_line 1) == "AUTH SCRAM-SHA-256 "* ]] || fail "$(auth_line 1)"
	# client-first: gs2 header, user, a 24-character nonce.
	first=$(auth_line 1 | cut -d' ' -f3 | base64 -d)
	[[ $first =~ ^n,,n=alice,r=[A-Za-z0-9+/]{24}$ ]] || fail "$first"
	# the empty answer to server-final, then MAIL.
	[ "$(auth_line 3)" = "" ] || fail "$(cat -A "$FAULT_LOG/transcript.log")"
	assert_line --regexp '^C: AUTH SCRAM-SHA-256 <redacted>$'
	[ "$(grep -c '^C: <redacted>$' <<<"$output")" -eq 2 ] || fail "$output"
	refute_output --partial "$(auth_line 2)"
	refute_secret
	refute_secret "$(cat "$FAULT_LOG/transcript.log")"
}

@test "SCRAM-SHA-256: smtp-auth=auto prefers it over PLAIN" {
	start_fault "$SASL_CAPA
scram $PASSWORD"
	write_rc_auth smtp-auth=auto
	send
	assert_success
	[[ $(auth_line 1) == "AUTH SCRAM-SHA-256 "* ]] || fail "$(auth_line 1)"
	refute_secret "$(cat "$FAULT_LOG/transcript.log")"
}

@test "SCRAM-SHA-256: wrong password, 535: 77, no MAIL" {
	start_fault "$SASL_CAPA
scram not-the-password"
	write_rc_auth smtp-auth=scram-sha-256
	send
	assert_failure 77
	assert_fail_line AUTH '\(535[ -].*credentials invalid\)$'
	assert_within 10
	refute_sent MAIL
	refute_secret
}

@test "SCRAM-SHA-256: a wrong server signature is refused even after 235: 77, no MAIL" {
	start_fault "$SASL_CAPA
scram $PASSWORD bad-signature"
	write_rc_auth smtp-auth=scram-sha-256
	send
	assert_failure 77
	assert_fail_line AUTH 'signature is wrong.*\(235[ -]'
	assert_within 10
	# The exchange was cancelled, not confirmed.
	[ "$(auth_line 3)" = "*" ] || fail "$(cat -A "$FAULT_LOG/transcript.log")"
	refute_sent MAIL
	refute_body_sent
	refute_secret
}

@test "SCRAM-SHA-256: 235 without the server's signature: 77, no MAIL" {
	start_fault "$SASL_CAPA
scram $PASSWORD no-final"
	write_rc_auth smtp-auth=scram-sha-256
	send
	assert_failure 77
	assert_fail_line AUTH 'without proving it knows the password'
	refute_sent MAIL
	refute_secret
}

@test "SCRAM-SHA-256: e= from the server: 77" {
	start_fault "$SASL_CAPA
scram $PASSWORD error"
	write_rc_auth smtp-auth=scram-sha-256
	send
	assert_failure 77
	assert_fail_line AUTH 'SCRAM error: e=other-error'
	refute_sent MAIL
	refute_secret
}

@test "SCRAM-SHA-256 chosen but not offered: 69, no AUTH" {
	start_fault 'capa PIPELINING 8BITMIME STARTTLS AUTH PLAIN LOGIN'
	write_rc_auth smtp-auth=scram-sha-256
	send
	assert_failure 69
	assert_fail_line AUTH 'does not offer SCRAM-SHA-256'
	refute_sent AUTH MAIL
}

@test "CRAM-MD5: the answer is HMAC-MD5 of the server's challenge" {
	start_fault 'capa PIPELINING 8BITMIME STARTTLS AUTH CRAM-MD5'
	write_rc_auth smtp-auth=cram-md5
	send
	assert_success
	[ "$(auth_line 1)" = "AUTH CRAM-MD5" ] || fail "$(auth_line 1)"
	want=$("$PY" -c 'import base64, hmac, sys
d = hmac.new(sys.argv[1].encode(), b"<1896.697170952@faultserver>", "md5")
print(base64.b64encode(b"alice " + d.hexdigest().encode()).decode())' "$PASSWORD")
	[ "$(auth_line 2)" = "$want" ] || fail "$(auth_line 2) != $want"
	refute_secret
}

@test "XOAUTH2: the token as initial response, redacted, delivered" {
	start_fault "$SASL_CAPA
token $PASSWORD"
	write_rc_auth smtp-auth=xoauth2
	send -v
	assert_success
	assert_sent MAIL
	[ "$(auth_line 1 | cut -d' ' -f2)" = XOAUTH2 ] || fail "$(auth_line 1)"
	[ "$(auth_line 1 | cut -d' ' -f3 | base64 -d | od -An -c | tr -s ' \n' ' ')" = \
	    "$(printf 'user=alice\1auth=Bearer %s\1\1' "$PASSWORD" | od -An -c | tr -s ' \n' ' ')" ] ||
	    fail "$(auth_line 1)"
	assert_line --regexp '^C: AUTH XOAUTH2 <redacted>$'
	refute_output --partial "$(auth_line 1 | cut -d' ' -f3)"
	refute_secret
}

@test "XOAUTH2: a refused token: empty answer to the error, 535: 77" {
	start_fault "$SASL_CAPA
token another-token"
	write_rc_auth smtp-auth=xoauth2
	send
	assert_failure 77
	assert_fail_line AUTH '\(535[ -]'
	[ "$(auth_line 2)" = "" ] || fail "$(cat -A "$FAULT_LOG/transcript.log")"
	refute_sent MAIL
	refute_secret
}

@test "OAUTHBEARER: RFC 7628 initial response with host and port, delivered" {
	start_fault "$SASL_CAPA
token $PASSWORD"
	write_rc_auth smtp-auth=oauthbearer
	send -v
	assert_success
	assert_sent MAIL
	[ "$(auth_line 1 | cut -d' ' -f3 | base64 -d | od -An -c | tr -s ' \n' ' ')" = \
	    "$(printf 'n,a=alice,\1host=localhost\1port=%s\1auth=Bearer %s\1\1' "$PORT" "$PASSWORD" | od -An -c | tr -s ' \n' ' ')" ] ||
	    fail "$(auth_line 1)"
	assert_line --regexp '^C: AUTH OAUTHBEARER <redacted>$'
	refute_secret
}

@test "OAUTHBEARER: a refused token: %x01 answer to the error, 535: 77" {
	start_fault "$SASL_CAPA
token another-token"
	write_rc_auth smtp-auth=oauthbearer
	send
	assert_failure 77
	assert_fail_line AUTH '\(535[ -]'
	[ "$(auth_line 2)" = "AQ==" ] || fail "$(cat -A "$FAULT_LOG/transcript.log")"
	refute_sent MAIL
	refute_secret
}

# --- MAIL, RCPT ---------------------------------------------------------

@test "451 to MAIL FROM: 75" {
	start_fault 'reply MAIL 451 4.3.0 local problem'
	write_rc_auth
	send
	assert_failure 75
	assert_fail_line 'MAIL FROM' '\(451[ -].*local problem\)$'
	assert_within 10
	refute_body_sent
	refute_secret
}

@test "552 to MAIL FROM: 69" {
	start_fault 'reply MAIL 552 5.3.4 message too big'
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line 'MAIL FROM' '\(552[ -].*message too big\)$'
	assert_within 10
	refute_body_sent
	refute_secret
}

@test "mixed 550 and 250 recipients: 67, the others get the message" {
	start_fault 'reply RCPT 250 2.1.5 ok
reply RCPT 550 5.1.1 no such user here
reply RCPT 250 2.1.5 ok'
	write_rc_auth
	run_outbox_split --json -s mixed good1@example.net bad@example.net \
	    good2@example.net <<<"$BODY"
	assert_failure 67
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/result.json"
	# One line naming the refused address with the reply.
	[[ $stderr == *bad@example.net*550*no\ such\ user\ here* ]] ||
	    fail "no refusal line for bad@example.net in: $stderr"
	[[ $stderr != *good1@example.net* ]] || fail "good1 reported: $stderr"
	assert_within 10
	grep -q "$BODY" "$FAULT_LOG/data.eml"
	r=$BATS_TEST_TMPDIR/result.json
	assert_equal "$(json_get "$r" 'j["status"]')" 67
	assert_equal "$(json_get "$r" 'sorted(j["accepted"])')" \
	    '["good1@example.net", "good2@example.net"]'
	run json_get "$r" 'json.dumps(j["refused"])'
	assert_output --partial bad@example.net
	assert_output --partial 550
	refute_secret "$stderr$output"
}

@test "every recipient refused (PIPELINING): 67, the body is never sent" {
	start_fault 'reply RCPT 550 5.1.1 nobody
reply RCPT 550 5.1.1 nobody'
	write_rc_auth
	run_outbox -s none a@example.net b@example.net <<<"$BODY"
	assert_failure 67
	assert_line --regexp 'a@example\.net.*550.*nobody'
	assert_line --regexp 'b@example\.net.*550.*nobody'
	assert_within 10
	# A pipelined DATA may be sent (RFC 2920); the server answers it 554.
	refute_body_sent
	refute_secret
}

@test "every recipient refused (no PIPELINING): 67, no DATA sent" {
	start_fault 'capa 8BITMIME SIZE 10485760 STARTTLS AUTH PLAIN LOGIN
reply RCPT 550 5.1.1 nobody
reply RCPT 550 5.1.1 nobody'
	write_rc_auth
	run_outbox -s none a@example.net b@example.net <<<"$BODY"
	assert_failure 67
	assert_line --regexp 'a@example\.net.*550.*nobody'
	assert_line --regexp 'b@example\.net.*550.*nobody'
	assert_within 10
	assert_sent RCPT
	refute_sent DATA
	refute_body_sent
	refute_secret
}

@test "452 after 2 recipients: all 3 delivered in two transactions" {
	start_fault 'reply RCPT-AFTER 2 452 4.5.3 too many recipients'
	write_rc_auth
	run_outbox -s many r1@example.net r2@example.net r3@example.net <<<"$BODY"
	assert_success
	assert_within 10
	assert_equal "$(transcript_words | grep -cx MAIL)" 2
	assert_equal "$(transcript_words | grep -cx DATA)" 2
	# r3 was asked twice: refused with 452 in the first transaction.
	assert_equal "$(grep -ic '^RCPT TO:<r3@example.net>' "$FAULT_LOG/transcript.log")" 2
	grep -q "$BODY" "$FAULT_LOG/data-1.eml"
	grep -q "$BODY" "$FAULT_LOG/data-2.eml"
	refute_secret
}

# --- DATA ---------------------------------------------------------------

@test "554 after the final dot: 69" {
	start_fault 'reply DOT 554 5.7.1 rejected as spam'
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line 'end of data' '\(554[ -].*rejected as spam\)$'
	assert_within 10
	refute_secret
}

@test "451 after the final dot: 75" {
	start_fault 'reply DOT 451 4.3.0 try later'
	write_rc_auth
	send
	assert_failure 75
	assert_fail_line 'end of data' '\(451[ -].*try later\)$'
	assert_within 10
	refute_secret
}

@test "a 250 (not 354) to DATA: 76, the body is never sent" {
	start_fault 'reply DATA 250 2.0.0 ok whatever'
	write_rc_auth
	send
	assert_failure 76
	assert_fail_line DATA '250'
	assert_within 10
	[ ! -e "$FAULT_LOG/data.eml" ]
	run grep -c "$BODY" "$FAULT_LOG/transcript.log"
	assert_output 0
	run grep -ci '^subject:' "$FAULT_LOG/transcript.log"
	assert_output 0
	refute_secret
}

# --- time-outs and broken replies ---------------------------------------

@test "a server that never answers: 75 after the time-out" {
	start_fault 'silent'
	write_rc_auth timeout=2
	send
	assert_failure 75
	assert_fail_line greeting 'tim'
	assert_within 8
}

@test "a server answering one byte per second: 75 after the time-out" {
	start_fault 'slow'
	write_rc_auth timeout=2
	send
	assert_failure 75
	assert_fail_line greeting 'tim'
	assert_within 8
}

@test "a garbled reply: 76" {
	start_fault 'garbage EHLO hello, this is not SMTP'
	write_rc_auth
	send
	assert_failure 76
	assert_fail_line EHLO '.'
	assert_within 10
	refute_sent STARTTLS AUTH MAIL
}

@test "a 10 KiB reply line: 76" {
	start_fault 'longline EHLO 10240'
	write_rc_auth
	send
	assert_failure 76
	assert_fail_line EHLO '.'
	assert_within 10
	refute_sent STARTTLS AUTH MAIL
}

@test "an endless multi-line reply: 76" {
	start_fault 'endless EHLO'
	write_rc_auth
	send
	assert_failure 76
	assert_fail_line EHLO '.'
	assert_within 10
	refute_sent STARTTLS AUTH MAIL
}

@test "a server without ESMTP: HELO, plaintext by explicit choice" {
	start_fault 'no-esmtp'
	write_rc smtp-security=none
	send
	assert_success
	assert_within 10
	run transcript_words
	assert_line --index 0 EHLO
	assert_line --index 1 HELO
	refute_line STARTTLS
	grep -q "$BODY" "$FAULT_LOG/data.eml"
}

@test "a server without ESMTP while STARTTLS is required: 69" {
	start_fault 'no-esmtp'
	write_rc_auth
	send
	assert_failure 69
	assert_fail_line STARTTLS '.'
	assert_within 10
	refute_sent AUTH MAIL
	refute_secret
}

# --- connecting -----------------------------------------------------------

@test "a refused connection: 75" {
	start_fault ''
	port=$PORT
	common_teardown
	write_rc_auth smtp="127.0.0.1:$port"
	send
	assert_failure 75
	assert_fail_line connect '.'
	assert_within 10
}

@test "an unknown host: 68" {
	PORT=25
	write_rc_auth smtp=no-such-host.invalid:587
	send
	assert_failure 68
	assert_fail_line connect 'no-such-host\.invalid'
	assert_within 20
}

# --- dead.letter ------------------------------------------------------------

@test "interactive use: a permanent failure saves ~/dead.letter (0600)" {
	start_fault 'greeting 554 5.7.1 go away'
	write_rc_auth
	run timeout 20 "$PY" - "$OUTBOX" <<'PYEOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-s", "tty", "rcpt@example.net"])
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
	assert_failure 69
	assert_output --partial dead.letter
	[ -f "$HOME/dead.letter" ]
	assert_equal "$(stat -c %a "$HOME/dead.letter")" 600
	grep -q 'typed at a terminal' "$HOME/dead.letter"
	grep -q '^From ' "$HOME/dead.letter"
}
