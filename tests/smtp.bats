#!/usr/bin/env bats
# smtp.bats — the ordinary dialogue against aiosmtpd (tests/servers/smtpd.py):
# STARTTLS, implicit TLS, plaintext, AUTH PLAIN and LOGIN, what the server
# received (envelope, headers, parts, body bytes), certificate pinning,
# SNI, the password command, -v redaction and --json.

load test_helper

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "STARTTLS + AUTH PLAIN delivers the message" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	write_rc_auth smtp-auth=plain
	run_outbox -s "hello there" rcpt@example.net <<<"first line"
	assert_success
	refute_secret
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["mail_from"]')" "$SENDER"
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]')" \
	    '["rcpt@example.net"]'
	run grep -c '^AUTH PLAIN' "$SMTPD_OUT/commands.log"
	assert_output 1
	run grep -n '' "$SMTPD_OUT/commands.log"
	# STARTTLS comes before AUTH, and EHLO is sent again after it.
	assert_line --index 0 --regexp '^1:EHLO '
	assert_line --index 1 '2:STARTTLS'
	assert_line --index 2 --regexp '^3:EHLO '
	assert_line --index 3 --regexp '^4:AUTH PLAIN'
	assert_equal "$(eml_header "$SMTPD_OUT/1.eml" Subject)" "hello there"
	assert_equal "$(eml_body "$SMTPD_OUT/1.eml")" "first line"
}

@test "STARTTLS + AUTH LOGIN delivers the message" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	write_rc_auth smtp-auth=login
	run_outbox -s login rcpt@example.net <<<"body"
	assert_success
	refute_secret
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
	run grep -c '^AUTH LOGIN' "$SMTPD_OUT/commands.log"
	assert_output 1
	run grep -c '^AUTH PLAIN' "$SMTPD_OUT/commands.log"
	assert_output 0
}

@test "implicit TLS (smtp-security=tls) with AUTH" {
	start_smtpd_tls tls --auth "alice:$PASSWORD" --require-auth
	write_rc_auth smtp-security=tls
	run_outbox -s implicit rcpt@example.net <<<"over TLS"
	assert_success
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
	run grep -c STARTTLS "$SMTPD_OUT/commands.log"
	assert_output 0
	assert_equal "$(cat "$SMTPD_OUT/sni.log")" localhost
}

@test "plaintext with smtp-security=none and no credentials: no STARTTLS, no AUTH" {
	start_smtpd --mode plain
	write_rc smtp-security=none
	run_outbox -s plain rcpt@example.net <<<"in the clear"
	assert_success
	[ -s "$SMTPD_OUT/1.eml" ]
	run grep -cE '^(STARTTLS|AUTH)' "$SMTPD_OUT/commands.log"
	assert_output 0
	assert_equal "$(eml_body "$SMTPD_OUT/1.eml")" "in the clear"
}

@test "an attachment arrives byte for byte" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	# Every byte value, a NUL-heavy run and bytes that look like CRLF.
	"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(range(256))*40 + b"\0"*1000 + b"\r\n.\r\n\n.\n" + bytes(range(255,-1,-1))*3)' \
	    >"$BATS_TEST_TMPDIR/blob.bin"
	want=$(sha256sum <"$BATS_TEST_TMPDIR/blob.bin" | cut -d' ' -f1)
	size=$(stat -c %s "$BATS_TEST_TMPDIR/blob.bin")
	run_outbox -s attached -a "$BATS_TEST_TMPDIR/blob.bin" \
	    rcpt@example.net <<<"see attachment"
	assert_success
	run eml_parts "$SMTPD_OUT/1.eml"
	assert_success
	assert_line --regexp "^[a-z]+/[-a-z0-9.+]+ blob\.bin $size $want\$"
	assert_line --regexp '^text/plain - '
	assert_equal "$(eml_body "$SMTPD_OUT/1.eml")" "see attachment"
	# Nothing over 998 octets plus CRLF on the wire.
	run "$PY" -c 'import sys; print(max(len(l) for l in open(sys.argv[1],"rb").read().split(b"\r\n")))' "$SMTPD_OUT/1.eml"
	[ "$output" -le 998 ] || fail "longest line $output octets"
}

@test "envelope: To+Cc+Bcc once each, no Bcc header in DATA" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	run_outbox -s envelope -c cc@example.net -c to@example.net \
	    -b hidden@example.net -b cc@example.net \
	    to@example.net other@example.net <<<"body"
	assert_success
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["mail_from"]')" "$SENDER"
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]')" \
	    '["to@example.net", "other@example.net", "cc@example.net", "hidden@example.net"]'
	run grep -ci '^bcc:' "$SMTPD_OUT/1.eml"
	assert_output 0
	run grep -c 'hidden@example.net' "$SMTPD_OUT/1.eml"
	assert_output 0
	run eml_header "$SMTPD_OUT/1.eml" To
	assert_output --partial to@example.net
	assert_output --partial other@example.net
	run eml_header "$SMTPD_OUT/1.eml" Cc
	assert_output --partial cc@example.net
	run eml_header "$SMTPD_OUT/1.eml" From
	assert_output "Sender <$SENDER>"
}

@test "dot-stuffing: body lines '.', '..' and '.x' arrive intact" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	body=$'top\n.\n..\n.x\n...\nend'
	run_outbox -s dots rcpt@example.net <<<"$body"
	assert_success
	assert_equal "$(eml_body "$SMTPD_OUT/1.eml")" "$body"
	# The message stays one message: smtpd saw a single DATA.
	[ ! -e "$SMTPD_OUT/2.eml" ]
}

@test "a 5000-character body line arrives whole, wire lines stay short" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	long=$(printf 'abcdefghij%.0s' $(seq 500))
	run_outbox -s long rcpt@example.net <<<"$long"
	assert_success
	assert_equal "$(eml_body "$SMTPD_OUT/1.eml")" "$long"
	run "$PY" -c 'import sys; print(max(len(l) for l in open(sys.argv[1],"rb").read().split(b"\r\n")))' "$SMTPD_OUT/1.eml"
	[ "$output" -le 998 ] || fail "longest line $output octets"
}

@test "tls-fingerprint: the right pin accepts a self-signed certificate" {
	start_smtpd --mode starttls --cert "$CERTS/selfsigned.pem" \
	    --key "$CERTS/selfsigned.key" --auth "alice:$PASSWORD"
	write_rc_auth -tls-ca-file \
	    tls-fingerprint="$(spki_fingerprint "$CERTS/selfsigned.pem")"
	run_outbox -s pinned rcpt@example.net <<<"pinned"
	assert_success
	[ -s "$SMTPD_OUT/1.eml" ]
}

@test "tls-fingerprint: a wrong pin is refused even with a valid chain" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth \
	    tls-fingerprint="$(spki_fingerprint "$CERTS/selfsigned.pem")"
	run_outbox -s pinned rcpt@example.net <<<"pinned"
	assert_failure 69
	assert_fail_line '(TLS|STARTTLS)' '.'
	run grep -cE '^(AUTH|MAIL)' "$SMTPD_OUT/commands.log"
	assert_output 0
	[ ! -e "$SMTPD_OUT/1.eml" ]
}

@test "SNI: the client names localhost in the TLS handshake" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	run_outbox -s sni rcpt@example.net <<<"sni"
	assert_success
	assert_equal "$(cat "$SMTPD_OUT/sni.log")" localhost
}

# hashed_store DIR: DIR holds the test CA under its c_rehash name, as
# update-ca-certificates keeps /etc/ssl/certs.
hashed_store() {
	mkdir -p "$1"
	cp "$CERTS/ca.pem" "$1/"
	openssl rehash "$1" || fail "openssl rehash failed"
}

@test "system store: the default bundle is never read whole; the hashed directory gives the issuer" {
	command -v strace >/dev/null || fail "strace is not installed (make deps)"
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth -tls-ca-file
	hashed_store "$BATS_TEST_TMPDIR/certs"
	# As a user with no overrides, or with SSL_CERT_FILE naming the
	# default bundle itself (as some environments export).
	n=0
	for bundle in "" /usr/lib/ssl/cert.pem; do
		n=$((n + 1))
		SSL_CERT_FILE=$bundle SSL_CERT_DIR=$BATS_TEST_TMPDIR/certs \
		    run env "$(no_lsan)" timeout 60 strace -f -e trace=open,openat \
		    -o "$BATS_TEST_TMPDIR/strace" "$OUTBOX" -s store \
		    rcpt@example.net <<<"store"
		assert_success
		[ -s "$SMTPD_OUT/$n.eml" ] || fail "not delivered (bundle '$bundle')"
		run grep -E 'ca-certificates\.crt|/cert\.pem' "$BATS_TEST_TMPDIR/strace"
		assert_failure
		grep -q "$BATS_TEST_TMPDIR/certs/[0-9a-f]*\.0" "$BATS_TEST_TMPDIR/strace" ||
		    fail "the issuer was not read from the hashed directory"
	done
}

@test "system store: a bundle named by SSL_CERT_FILE is used as OpenSSL would" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth -tls-ca-file
	SSL_CERT_FILE=$CERTS/ca.pem SSL_CERT_DIR=$BATS_TEST_TMPDIR/empty \
	    run_outbox -s bundle rcpt@example.net <<<"bundle"
	assert_success
	[ -s "$SMTPD_OUT/1.eml" ]
	# Without it the test CA is trusted nowhere: refused, and said so.
	SSL_CERT_FILE= SSL_CERT_DIR=$BATS_TEST_TMPDIR/empty \
	    run_outbox -s untrusted rcpt@example.net <<<"untrusted"
	assert_failure 69
	assert_output --partial "unable to get local issuer certificate"
}

@test "smtp-password-cmd supplies the password" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	printf '%s' "$PASSWORD" >"$HOME/pw"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="cat $HOME/pw"
	run_outbox -s cmd rcpt@example.net <<<"body"
	assert_success
	refute_secret
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
}

@test "-v shows the dialogue with AUTH PLAIN redacted" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	write_rc_auth smtp-auth=plain
	run_outbox -v -s verbose rcpt@example.net <<<"body"
	assert_success
	assert_line --regexp '^C: EHLO '
	assert_line --regexp '^S: 250[ -]'
	assert_line --regexp '^C: STARTTLS'
	assert_line --regexp '^C: AUTH PLAIN <redacted>$'
	assert_line --regexp '^C: MAIL FROM:<sender@example.org>'
	refute_secret
}

@test "-v shows the dialogue with AUTH LOGIN redacted" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	write_rc_auth smtp-auth=login
	run_outbox -v -s verbose rcpt@example.net <<<"body"
	assert_success
	assert_line --regexp '^C: AUTH LOGIN'
	assert_line --regexp '^C: <redacted>$'
	refute_secret
}

@test "--json prints one result object on stdout" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc_auth
	run_outbox_split --json -s json -c b@example.net a@example.net <<<"body"
	assert_success
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/result.json"
	r=$BATS_TEST_TMPDIR/result.json
	assert_equal "$(json_get "$r" 'j["status"]')" 0
	assert_equal "$(json_get "$r" 'sorted(j["accepted"])')" \
	    '["a@example.net", "b@example.net"]'
	assert_equal "$(json_get "$r" 'len(j["refused"])')" 0
	assert_equal "$(json_get "$r" 'j["final_reply"].startswith("250")')" true
	assert_equal "$(json_get "$r" 'j["message_id"]')" \
	    "$(eml_header "$SMTPD_OUT/1.eml" Message-ID)"
}
