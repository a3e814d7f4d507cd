#!/usr/bin/env bats
# fetch-oauth2.bats — --fetch with pop3-auth=xoauth2|oauthbearer taking
# its token from outbox's own OAuth2 store (issue 15, the POP3 side),
# against the OAuth2 test server (servers/oauthd.py) and the fault
# server in POP3 mode accepting only the tokens oauthd.py issued
# (bearer-file): a cached token (no HTTP request), an expired one (one
# refresh), a refused one (one refresh, one retry on a new connection,
# never more), a revoked refresh token (77 and the login hint), no token
# in -v or --json output; and --check with the token (its source only).

load test_helper
load lib/oauth2

setup_file() { common_setup_file; }
setup() {
	common_setup
	oauth2_setup
}
teardown() { common_teardown; }

# start_both [OAUTHD ARGS...]: oauthd, then the POP3 fault server (STLS)
# taking the tokens in BEARERS (default: the ones oauthd.py issued).
start_both() {
	start_oauthd "$@"
	: >>"$OAUTHD/access_tokens"
	start_fault "protocol pop3
capa USER UIDL TOP PIPELINING SASL PLAIN XOAUTH2 OAUTHBEARER STLS
bearer-file ${BEARERS:-$OAUTHD/access_tokens}
message Subject: one\n\nbody one\n"
}

# pop3_rc [KEY=VALUE]...: XOAUTH2 over STLS with the test server's client.
pop3_rc() {
	local kv
	{
		printf 'set pop3="pop3://alice@localhost:%s"\n' "$PORT"
		printf 'set pop3-auth=xoauth2\n'
		printf 'set oauth2-provider=custom\n'
		printf 'set oauth2-client-id=outbox-test\n'
		printf 'set oauth2-token-url="https://127.0.0.1:%s/token"\n' "$OPORT"
		printf 'set oauth2-ca-file="%s"\n' "$CERTS/ca.pem"
		printf 'set tls-ca-file="%s"\n' "$CERTS/ca.pem"
		printf 'set timeout=5\n'
		printf 'set fetch-to="%s"\n' "$HOME/Mail"
		for kv in "$@"; do
			printf 'set %s="%s"\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$HOME/.outboxrc"
	chmod 600 "$HOME/.outboxrc"
}

# connections: how many POP3 sessions reached the login (one STLS each).
connections() {
	grep -c '^STLS' "$FAULT_LOG/transcript.log" || true
}

@test "pop3 oauth2: a valid cached token logs in with no HTTP request" {
	start_both --refresh-token rt-seed
	echo at-seed >>"$OAUTHD/access_tokens"
	seed_store at-seed 3600 rt-seed
	pop3_rc
	run_outbox --fetch
	assert_success
	assert_output "outbox: fetch default: 1 new, 0 already here, 0 left (too large)"
	assert_equal "$(cat "$FAULT_LOG/bearer.log")" "XOAUTH2 alice at-seed"
	grep -q '^body one$' "$HOME/Mail/new"/*
	[ ! -e "$OAUTHD/requests.log" ] || fail "requests: $(cat "$OAUTHD/requests.log")"
}

@test "pop3 oauth2: OAUTHBEARER carries the cached token too" {
	start_both --refresh-token rt-seed
	echo at-seed >>"$OAUTHD/access_tokens"
	seed_store at-seed 3600 rt-seed
	pop3_rc pop3-auth=oauthbearer
	run_outbox --fetch
	assert_success
	assert_equal "$(cat "$FAULT_LOG/bearer.log")" "OAUTHBEARER alice at-seed"
}

@test "pop3 oauth2: an expired token makes exactly one refresh, stored for the next fetch" {
	start_both --refresh-token rt-seed
	seed_store at-old -10 rt-seed
	pop3_rc
	run_outbox --fetch
	assert_success
	assert_equal "$(grants refresh_token)" 1
	new=$(json_get "$STORE" 'j["access_token"]')
	[ "$new" != at-old ]
	grep -qx "$new" "$OAUTHD/access_tokens"
	assert_equal "$(cat "$FAULT_LOG/bearer.log")" "XOAUTH2 alice $new"
	assert_equal "$(stat -c %a "$STORE")" 600
	# The next fetch uses the stored token: no second refresh.
	run_outbox --fetch
	assert_success
	assert_equal "$(grants refresh_token)" 1
	# Expiring within the minute counts as expired.
	seed_store "$new" 30 rt-seed
	run_outbox --fetch
	assert_success
	assert_equal "$(grants refresh_token)" 2
}

@test "pop3 oauth2: a refused token is refreshed once and the login retried once" {
	start_both --refresh-token rt-seed
	# Valid for an hour by the store, unknown to the server.
	seed_store at-stale 3600 rt-seed
	pop3_rc
	run_outbox --fetch -v
	assert_success
	assert_line --partial "refused the OAuth2 access token; refreshing it once"
	assert_equal "$(grants refresh_token)" 1
	assert_equal "$(cat "$FAULT_LOG/bearer-refused.log")" "XOAUTH2 alice at-stale"
	new=$(json_get "$STORE" 'j["access_token"]')
	assert_equal "$(cat "$FAULT_LOG/bearer.log")" "XOAUTH2 alice $new"
	# The retry is a new connection.
	assert_equal "$(connections)" 2
	refute_tokens "$output"
	grep -q '^body one$' "$HOME/Mail/new"/*
}

@test "pop3 oauth2: a server refusing every token: one refresh, one retry, then 77" {
	BEARERS="$BATS_TEST_TMPDIR/none" start_both --refresh-token rt-seed
	: >"$BATS_TEST_TMPDIR/none"
	seed_store at-stale 3600 rt-seed
	pop3_rc
	run_outbox --fetch
	assert_failure 77
	assert_line --index 0 "outbox: fetch default: AUTH XOAUTH2: -ERR [AUTH] invalid token"
	assert_line --index 1 --partial "outbox: hint: the server refused the OAuth2 access token even fresh"
	assert_equal "$(grants refresh_token)" 1
	assert_equal "$(wc -l <"$FAULT_LOG/bearer-refused.log")" 2
	assert_equal "$(connections)" 2
	[ ! -e "$HOME/Mail" ]
}

@test "pop3 oauth2: a revoked refresh token is 77 with the login hint, and nothing is sent" {
	start_both --refresh-token rt-seed
	touch "$OAUTHD/revoked"
	seed_store at-old -10 rt-seed work
	pop3_rc
	cat >>"$HOME/.outboxrc" <<EOF
account work {
	set pop3="pop3://alice@localhost:$PORT"
}
EOF
	run_outbox --fetch -A work
	assert_failure 77
	assert_output --partial "invalid_grant"
	assert_output --partial "run 'outbox --oauth2-login -A work'"
	assert_equal "$(grants refresh_token)" 1
	# The token is asked for before connecting: the server saw nobody.
	[ ! -s "$FAULT_LOG/transcript.log" ]
}

@test "pop3 oauth2: no token in -v or --json output" {
	start_both --refresh-token rt-seed --rotate
	seed_store at-old -10 rt-seed
	pop3_rc
	run_outbox --fetch -v -v --json
	assert_success
	assert_line "C: AUTH XOAUTH2 <redacted>"
	refute_tokens "$output"
	# The store holds the rotated refresh token; it is not shown either.
	rt=$(json_get "$STORE" 'j["refresh_token"]')
	[ "$rt" != rt-seed ]
	[[ $output != *"$rt"* ]] || fail "refresh token in output"
}

@test "pop3 oauth2: without pop3-auth, an smtp-auth=xoauth2 account uses its token for POP3 too" {
	start_both --refresh-token rt-seed
	echo at-seed >>"$OAUTHD/access_tokens"
	seed_store at-seed 3600 rt-seed
	pop3_rc smtp-auth=xoauth2 smtp-user=alice
	sed -i '/pop3-auth/d; s|pop3://alice@|pop3://|' "$HOME/.outboxrc"
	run_outbox --fetch
	assert_success
	assert_equal "$(cat "$FAULT_LOG/bearer.log")" "XOAUTH2 alice at-seed"
}

@test "pop3 oauth2: --check logs in with the token and shows only its source" {
	start_both --refresh-token rt-seed
	seed_store at-old -10 rt-seed
	pop3_rc
	run --separate-stderr timeout 60 "$OUTBOX" --check
	assert_success
	[[ $output =~ ok\ +password\ +[0-9]+\ ms\ \ OAuth2\ access\ token ]] ||
	    fail "$output"
	[[ $output =~ ok\ +login\ +[0-9]+\ ms\ \ AUTH\ XOAUTH2 ]] || fail "$output"
	assert_equal "$(grants refresh_token)" 1
	refute_tokens "$output$stderr"
	! grep -qE '^(RETR|TOP|DELE)' "$FAULT_LOG/transcript.log"
	# A revoked refresh token: the walk stops at the password, 77.
	touch "$OAUTHD/revoked"
	seed_store at-old -10 rt-seed
	run --separate-stderr timeout 60 "$OUTBOX" --check
	assert_failure 77
	[[ $output =~ FAIL\ +password\ +[0-9]+\ ms\ \ .*invalid_grant ]] ||
	    fail "$output"
	[[ $output == *"run 'outbox --oauth2-login'"* ]] || fail "$output"
}
