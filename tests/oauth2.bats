#!/usr/bin/env bats
# oauth2.bats — OAuth2 built in, against a local authorization server
# (tests/servers/oauthd.py: HTTPS on 127.0.0.1, the test CA) and smtpd.py
# accepting only the bearer tokens oauthd.py issued (--bearer-file):
# --oauth2-login by the device grant and by the code grant with PKCE
# (the test plays the browser with curl), a cached token (no request),
# an expired one (one refresh), rotation, ten concurrent sends (one
# refresh), a refused token retried once, invalid_grant (77, the hint),
# the store's permission check, no token in any output, and libcurl
# loaded (dlopen) only for a token request.

load test_helper
load lib/oauth2

setup_file() { common_setup_file; }
setup() {
	common_setup
	oauth2_setup
}
teardown() { common_teardown; }

# start_both [OAUTHD ARGS...]: oauthd, then smtpd (STARTTLS) taking its
# tokens; PORT is smtpd's.
start_both() {
	start_oauthd "$@"
	: >>"$OAUTHD/access_tokens"
	start_smtpd_tls starttls --bearer-file "$OAUTHD/access_tokens" \
	    --require-auth
}

# write_rc_oauth [KEY=VALUE]...: XOAUTH2 with the test server's client.
write_rc_oauth() {
	write_rc smtp-security=starttls smtp-user=alice smtp-auth=xoauth2 \
	    oauth2-provider=custom oauth2-client-id=outbox-test \
	    oauth2-token-url="https://127.0.0.1:$OPORT/token" \
	    oauth2-auth-url="https://127.0.0.1:$OPORT/authorize" \
	    oauth2-ca-file="$CERTS/ca.pem" "$@"
}

store_get() {
	json_get "$STORE" "$1"
}

@test "a send with a valid cached token makes no HTTP request" {
	start_both --refresh-token rt-seed
	echo at-seed >>"$OAUTHD/access_tokens"
	seed_store at-seed 3600 rt-seed
	write_rc_oauth
	run_outbox -s cached rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["auth_user"]')" alice
	grep -q '^XOAUTH2 alice at-seed$' "$SMTPD_OUT/bearer.log"
	[ ! -e "$OAUTHD/requests.log" ] || fail "requests: $(cat "$OAUTHD/requests.log")"
}

@test "OAUTHBEARER carries the cached token too" {
	start_both --refresh-token rt-seed
	echo at-seed >>"$OAUTHD/access_tokens"
	seed_store at-seed 3600 rt-seed
	write_rc_oauth smtp-auth=oauthbearer
	run_outbox -s bearer rcpt@example.net <<<"body"
	assert_success
	grep -q '^OAUTHBEARER alice at-seed$' "$SMTPD_OUT/bearer.log"
}

@test "an expired token makes exactly one refresh, and the new one is stored" {
	start_both --refresh-token rt-seed
	seed_store at-old -10 rt-seed
	write_rc_oauth
	run_outbox -s expired rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(grants refresh_token)" 1
	new=$(store_get 'j["access_token"]')
	[ "$new" != at-old ]
	grep -qx "$new" "$OAUTHD/access_tokens"
	grep -q "^XOAUTH2 alice $new\$" "$SMTPD_OUT/bearer.log"
	# Without rotation the refresh token stays.
	assert_equal "$(store_get 'j["refresh_token"]')" rt-seed
	assert_equal "$(stat -c %a "$STORE")" 600
	# Expiring within the minute counts as expired.
	seed_store at-old 30 rt-seed
	run_outbox -s soon rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(grants refresh_token)" 2
}

@test "a rotated refresh token is stored and used next time" {
	start_both --refresh-token rt-seed --rotate
	seed_store at-old -10 rt-seed
	write_rc_oauth
	run_outbox -s one rcpt@example.net <<<"body"
	assert_success
	rt=$(store_get 'j["refresh_token"]')
	[ "$rt" != rt-seed ]
	assert_equal "$(cat "$OAUTHD/refresh_tokens")" "$rt"
	# Expire it again: the second refresh needs the rotated token.
	"$PY" -c 'import json,sys; p=sys.argv[1]; j=json.load(open(p)); j["expires_at"]=1; open(p,"w").write(json.dumps(j))' "$STORE"
	run_outbox -s two rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(grants refresh_token)" 2
	[ -f "$SMTPD_OUT/2.eml" ]
}

@test "ten concurrent sends refresh once" {
	start_both --refresh-token rt-seed --rotate
	seed_store at-old -10 rt-seed
	write_rc_oauth
	pids=()
	for i in $(seq 10); do
		timeout 60 "$OUTBOX" -s "c$i" rcpt@example.net <<<"body $i" \
		    >"$BATS_TEST_TMPDIR/c$i.out" 2>&1 &
		pids+=("$!")
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" ||
		    fail "send $i failed: $(cat "$BATS_TEST_TMPDIR/c$((i + 1)).out")"
	done
	assert_equal "$(grants refresh_token)" 1
	assert_equal "$(ls "$SMTPD_OUT"/*.eml | wc -l)" 10
}

@test "a token the server refuses is refreshed and retried once" {
	start_both --refresh-token rt-seed
	# Valid for an hour as far as the store knows, but revoked.
	seed_store at-revoked 3600 rt-seed
	write_rc_oauth
	run_outbox -s retried rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(grants refresh_token)" 1
	grep -q '^XOAUTH2 alice refused$' "$SMTPD_OUT/bearer.log"
	[ -f "$SMTPD_OUT/1.eml" ]
	run grep -c '^AUTH XOAUTH2' "$SMTPD_OUT/commands.log"
	assert_output 2
}

@test "a refused fresh token is not retried forever" {
	seed_store at-revoked 3600 rt-seed
	# smtpd accepts nothing: the first try and one retry, then 77.
	: >"$BATS_TEST_TMPDIR/none"
	start_oauthd --refresh-token rt-seed
	start_smtpd_tls starttls --bearer-file "$BATS_TEST_TMPDIR/none" \
	    --require-auth
	write_rc_oauth
	run_outbox -s refused rcpt@example.net <<<"body"
	assert_failure 77
	assert_equal "$(grants refresh_token)" 1
	run grep -c '^AUTH XOAUTH2' "$SMTPD_OUT/commands.log"
	assert_output 2
}

# queue_two: two messages queued without a connection (--queue).
queue_two() {
	run_outbox --queue -s one rcpt@example.net <<<"queued body one"
	assert_success
	run_outbox --queue -s two rcpt@example.net <<<"queued body two"
	assert_success
	[ "$(ls "$BATS_TEST_TMPDIR/queue" | grep -c '\.env$')" -eq 2 ]
}

@test "--flush: a refused cached token is refreshed once, and the queue goes" {
	start_both --refresh-token rt-seed
	# Valid for an hour as far as the store knows, but revoked.
	seed_store at-revoked 3600 rt-seed
	write_rc_oauth queue-on-failure=yes
	queue_two
	[ ! -e "$OAUTHD/requests.log" ]
	run_outbox --flush
	assert_success
	assert_equal "$(grants refresh_token)" 1
	grep -q '^XOAUTH2 alice refused$' "$SMTPD_OUT/bearer.log"
	grep -q 'queued body one' "$SMTPD_OUT"/*.eml
	grep -q 'queued body two' "$SMTPD_OUT"/*.eml
	# The refused try and the one retry, for both messages.
	run grep -c '^AUTH XOAUTH2' "$SMTPD_OUT/commands.log"
	assert_output 2
	[ "$(ls "$BATS_TEST_TMPDIR/queue" | grep -c '\.env$')" -eq 0 ]
	refute_tokens "$(cat "$BATS_TEST_TMPDIR/queue"/* 2>/dev/null)"
}

@test "--flush: a refused fresh token is not retried again; the queue stays" {
	seed_store at-revoked 3600 rt-seed
	: >"$BATS_TEST_TMPDIR/none"
	start_oauthd --refresh-token rt-seed
	start_smtpd_tls starttls --bearer-file "$BATS_TEST_TMPDIR/none" \
	    --require-auth
	write_rc_oauth queue-on-failure=yes
	queue_two
	run_outbox --flush
	assert_success
	assert_output --partial 'deferred'
	assert_equal "$(grants refresh_token)" 1
	run grep -c '^AUTH XOAUTH2' "$SMTPD_OUT/commands.log"
	assert_output 2
	[ "$(ls "$BATS_TEST_TMPDIR/queue" | grep -c '\.env$')" -eq 2 ]
	[ ! -e "$SMTPD_OUT/1.eml" ]
}

@test "a revoked refresh token: 77, the login hint, the message queued" {
	start_both --refresh-token rt-seed
	seed_store at-old -10 rt-seed
	touch "$OAUTHD/revoked"
	write_rc_oauth queue-on-failure=yes
	run_outbox_split -s revoked rcpt@example.net <<<"kept body"
	assert_failure 77
	[[ $stderr == *"run 'outbox --oauth2-login'"* ]] ||
	    fail "no hint in: $stderr"
	[[ $stderr == *invalid_grant* ]] || fail "stderr: $stderr"
	run_outbox --queue-list
	assert_output --partial rcpt@example.net
	# After a new login (here: the server un-revokes), a flush sends it.
	rm "$OAUTHD/revoked"
	run_outbox --flush
	assert_success
	grep -q 'kept body' "$SMTPD_OUT/1.eml"
}

@test "an account's hint names the account" {
	start_both --refresh-token rt-seed
	touch "$OAUTHD/revoked"
	write_rc_oauth
	cat >>"$HOME/.outboxrc" <<-EOF
	account work {
	  set from="w@example.org"
	}
	EOF
	mkdir -p "$XDG_STATE_HOME/outbox/oauth2"
	printf '{"refresh_token":"rt-seed","expires_at":0}\n' \
	    >"$XDG_STATE_HOME/outbox/oauth2/work"
	chmod 600 "$XDG_STATE_HOME/outbox/oauth2/work"
	run_outbox -A work -s acct rcpt@example.net <<<"body"
	assert_failure 77
	assert_output --partial "run 'outbox --oauth2-login -A work'"
}

@test "no stored token: 77 and the hint" {
	start_both
	write_rc_oauth
	run_outbox -s none rcpt@example.net <<<"body"
	assert_failure 77
	assert_output --partial "run 'outbox --oauth2-login'"
}

@test "the token endpoint's 5xx is a temporary failure (75)" {
	start_both --refresh-token rt-seed
	seed_store at-old -10 rt-seed
	touch "$OAUTHD/fail5xx"
	write_rc_oauth
	run_outbox -s busy rcpt@example.net <<<"body"
	assert_failure 75
	assert_output --partial "HTTP 503"
}

@test "a store others can read is refused (78)" {
	start_both --refresh-token rt-seed
	seed_store at-seed 3600 rt-seed
	chmod 640 "$STORE"
	write_rc_oauth
	run_outbox -s perms rcpt@example.net <<<"body"
	assert_failure 78
	assert_output --partial "chmod 600"
	refute_tokens "$output"
}

@test "an http:// token endpoint is refused (78)" {
	start_both
	seed_store at-old -10 rt-seed
	write_rc_oauth oauth2-token-url="http://127.0.0.1:$OPORT/token"
	run_outbox -s http rcpt@example.net <<<"body"
	assert_failure 78
	assert_output --partial "only https://"
}

@test "the token endpoint's certificate is verified" {
	start_both --refresh-token rt-seed
	seed_store at-old -10 rt-seed
	write_rc_oauth -oauth2-ca-file
	run_outbox -s untrusted rcpt@example.net <<<"body"
	assert_failure 69
	assert_equal "$(grants refresh_token)" 0
}

@test "no token in -v, -vv, --json or the log output" {
	start_both --refresh-token rt-seed --rotate
	seed_store at-old -10 rt-seed
	write_rc_oauth
	run_outbox -vv --json -s verbose rcpt@example.net <<<"body"
	assert_success
	assert_output --partial 'XOAUTH2'
	refute_tokens "$output"
	# Nor the SASL form of one (base64 after the mechanism).
	refute_output --regexp 'XOAUTH2 [A-Za-z0-9+/=]{16}'
	seed_store at-revoked 3600 "$(store_get 'j["refresh_token"]')"
	run_outbox -vv --json -s verbose2 rcpt@example.net <<<"body"
	assert_success
	refute_tokens "$output"
	touch "$OAUTHD/revoked"
	seed_store at-old -10 "$(store_get 'j["refresh_token"]')"
	run_outbox -vv --json -s verbose3 rcpt@example.net <<<"body"
	assert_failure 77
	refute_tokens "$output"
}

@test "oauth2-token-load-cmd and -store-cmd keep the tokens elsewhere" {
	start_both --refresh-token rt-seed --rotate
	kr="$BATS_TEST_TMPDIR/keyring"
	printf '{"refresh_token":"rt-seed","expires_at":0}\n' >"$kr"
	write_rc_oauth oauth2-token-load-cmd="cat $kr" \
	    oauth2-token-store-cmd="cat >$kr.new && mv $kr.new $kr"
	run_outbox -s keyring rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(grants refresh_token)" 1
	[ ! -e "$STORE" ]
	at=$(json_get "$kr" 'j["access_token"]')
	grep -q "^XOAUTH2 alice $at\$" "$SMTPD_OUT/bearer.log"
	[ "$(json_get "$kr" 'j["refresh_token"]')" != rt-seed ]
	# The stored token is used from the command next time.
	run_outbox -s keyring2 rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(grants refresh_token)" 1
}

@test "no token in any argv: the refresh's and the store command's processes" {
	start_both --refresh-token rt-seed --rotate
	kr="$BATS_TEST_TMPDIR/keyring"
	printf '{"refresh_token":"rt-seed","expires_at":0}\n' >"$kr"
	# While the new tokens are handed over, every process's argv.
	cat >"$BATS_TEST_TMPDIR/store.sh" <<SH
cat >"$kr.new" || exit 1
for c in /proc/[0-9]*/cmdline; do tr '\\0' ' ' <"\$c"; echo; done \
    >"$BATS_TEST_TMPDIR/argv" 2>/dev/null
mv "$kr.new" "$kr"
SH
	write_rc_oauth oauth2-token-load-cmd="cat $kr" \
	    oauth2-token-store-cmd="sh $BATS_TEST_TMPDIR/store.sh"
	run_outbox -s argv rcpt@example.net <<<"body"
	assert_success
	at=$(json_get "$kr" 'j["access_token"]')
	rt=$(json_get "$kr" 'j["refresh_token"]')
	[ -n "$at" ] && [ "$rt" != rt-seed ] || fail "no rotation: $(cat "$kr")"
	grep -q outbox "$BATS_TEST_TMPDIR/argv" || fail "outbox's argv not seen"
	# The test's own servers were started with the seed on their argv.
	run sh -c 'grep -v -e oauthd.py -e smtpd.py "$1" |
	    grep -F -e "$2" -e "$3" -e rt-seed' sh "$BATS_TEST_TMPDIR/argv" \
	    "$at" "$rt"
	assert_failure
}

@test "--oauth2-login by the device grant: pending, slow_down, then tokens" {
	start_both --device-script authorization_pending,slow_down,authorization_pending \
	    --interval 1
	write_rc_oauth oauth2-device-url="https://127.0.0.1:$OPORT/device"
	run_outbox --oauth2-login
	assert_success
	assert_output --partial 'ABCD-EFGH'
	assert_output --partial 'https://127.0.0.1/device'
	# Polls: pending, slow_down, pending, ok.
	assert_equal "$(grants urn:ietf:params:oauth:grant-type:device_code)" 4
	# slow_down added 5 s to the 1 s interval for the later polls.
	[ "$ELAPSED" -ge 12 ] || fail "polled too fast: ${ELAPSED}s"
	refute_tokens "$output"
	rt=$(store_get 'j["refresh_token"]')
	grep -qx "$rt" "$OAUTHD/refresh_tokens"
	assert_equal "$(stat -c %a "$STORE")" 600
	assert_equal "$(stat -c %a "$(dirname "$STORE")")" 700
	# The login's token sends without another request.
	run_outbox -s after rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(grants refresh_token)" 0
}

@test "--oauth2-login by the device grant: access_denied is 77" {
	start_both --device-script access_denied
	write_rc_oauth oauth2-device-url="https://127.0.0.1:$OPORT/device"
	run_outbox --oauth2-login
	assert_failure 77
	assert_output --partial 'denied'
	[ ! -e "$STORE" ]
}

# login_code_start [ARGS]: runs --oauth2-login in the background, its
# output in login.out.new, and sets AUTH_URL to the URL it printed.
login_code_start() {
	rm -f "$BATS_TEST_TMPDIR/login.out.new"
	"$OUTBOX" --oauth2-login "$@" >"$BATS_TEST_TMPDIR/login.out.new" \
	    2>&1 <"$BATS_TEST_TMPDIR/login.in" &
	LOGIN_PID=$!
	local i
	for i in $(seq 100); do
		AUTH_URL=$(grep -o 'https://127.0.0.1:[0-9]*/authorize?[^ ]*' \
		    "$BATS_TEST_TMPDIR/login.out.new" 2>/dev/null || true)
		[ -n "$AUTH_URL" ] && return 0
		kill -0 "$LOGIN_PID" 2>/dev/null ||
		    fail "login died: $(cat "$BATS_TEST_TMPDIR/login.out.new")"
		sleep 0.1
	done
	fail "no authorization URL printed: $(cat "$BATS_TEST_TMPDIR/login.out.new")"
}

@test "--oauth2-login by the code grant: PKCE, the loopback redirect" {
	start_both
	write_rc_oauth
	mkfifo "$BATS_TEST_TMPDIR/login.in"
	exec 4<>"$BATS_TEST_TMPDIR/login.in"
	login_code_start
	[[ $AUTH_URL == *code_challenge_method=S256* ]] || fail "$AUTH_URL"
	[[ $AUTH_URL == *redirect_uri=http%3A%2F%2F127.0.0.1%3A* ]] ||
	    fail "$AUTH_URL"
	loc=$(curl -s --cacert "$CERTS/ca.pem" -o /dev/null \
	    -w '%{redirect_url}' "$AUTH_URL")
	[[ $loc == http://127.0.0.1:* ]] || fail "redirect: $loc"
	run curl -s --max-time 10 "$loc"
	assert_output --partial 'login is complete'
	timeout 30 tail --pid="$LOGIN_PID" -f /dev/null
	wait "$LOGIN_PID" || fail "login failed: $(cat "$BATS_TEST_TMPDIR/login.out.new")"
	exec 4>&-
	assert_equal "$(grants authorization_code)" 1
	grep -qx "$(store_get 'j["refresh_token"]')" "$OAUTHD/refresh_tokens"
	refute_tokens "$(cat "$BATS_TEST_TMPDIR/login.out.new")"
	run_outbox -s after rcpt@example.net <<<"body"
	assert_success
}

@test "--oauth2-login by the code grant: the redirected URL pasted on stdin" {
	start_both
	write_rc_oauth
	mkfifo "$BATS_TEST_TMPDIR/login.in"
	exec 4<>"$BATS_TEST_TMPDIR/login.in"
	login_code_start
	loc=$(curl -s --cacert "$CERTS/ca.pem" -o /dev/null \
	    -w '%{redirect_url}' "$AUTH_URL")
	# A wrong state first: refused.
	echo "${loc/state=/state=x}" >&4
	timeout 30 tail --pid="$LOGIN_PID" -f /dev/null
	run wait "$LOGIN_PID"
	assert_equal "$status" 77
	grep -q 'state does not match' "$BATS_TEST_TMPDIR/login.out.new"
	# Then a login with the pasted address.
	login_code_start
	loc=$(curl -s --cacert "$CERTS/ca.pem" -o /dev/null \
	    -w '%{redirect_url}' "$AUTH_URL")
	echo "$loc" >&4
	timeout 30 tail --pid="$LOGIN_PID" -f /dev/null
	wait "$LOGIN_PID" || fail "login failed: $(cat "$BATS_TEST_TMPDIR/login.out.new")"
	exec 4>&-
	assert_equal "$(grants authorization_code)" 1
	[ -s "$STORE" ]
}

@test "--oauth2-login: a code exchanged with the wrong verifier is refused" {
	start_both
	write_rc_oauth
	mkfifo "$BATS_TEST_TMPDIR/login.in"
	exec 4<>"$BATS_TEST_TMPDIR/login.in"
	login_code_start
	loc=$(curl -s --cacert "$CERTS/ca.pem" -o /dev/null \
	    -w '%{redirect_url}' "$AUTH_URL")
	code=$(sed -n 's/.*code=\([^&]*\).*/\1/p' <<<"$loc")
	# Someone else redeeming the code without the verifier fails.
	run curl -s --cacert "$CERTS/ca.pem" \
	    -d grant_type=authorization_code -d client_id=outbox-test \
	    -d "code=$code" -d code_verifier=wrong \
	    -d "redirect_uri=${loc%%\?*}" "https://127.0.0.1:$OPORT/token"
	assert_output --partial invalid_grant
	# The code is used up: outbox's own exchange is refused too.
	curl -s --max-time 10 "$loc" >/dev/null
	timeout 30 tail --pid="$LOGIN_PID" -f /dev/null
	run wait "$LOGIN_PID"
	exec 4>&-
	assert_equal "$status" 77
	grep -q invalid_grant "$BATS_TEST_TMPDIR/login.out.new"
}

@test "--oauth2-login without a client configured is 78" {
	PORT=2525 write_rc
	run_outbox --oauth2-login
	assert_failure 78
	assert_output --partial oauth2-provider
	run_outbox --oauth2-login rcpt@example.net
	assert_failure 64
}

# The commands outbox runs (/bin/sh -c) look at their parent, outbox:
# "mapped NAME" is a command line that writes how many of outbox's
# mappings are libcurl's to $BATS_TEST_TMPDIR/NAME.maps and outbox's
# executable to NAME.exe.
mapped() {
	printf 'grep -c libcurl /proc/$PPID/maps >%s/%s.maps; ' \
	    "$BATS_TEST_TMPDIR" "$1"
	printf 'readlink -f /proc/$PPID/exe >%s/%s.exe' "$BATS_TEST_TMPDIR" "$1"
}

@test "a password send does not load libcurl" {
	local exe
	exe=$(readlink -f "$OUTBOX")
	start_smtpd_tls starttls --auth "alice:$PASSWORD" --require-auth
	printf '%s' "$PASSWORD" >"$HOME/pw"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$(mapped plain); cat $HOME/pw"
	run_outbox -s plain rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/plain.exe")" "$exe"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/plain.maps")" 0
}

@test "an OAuth2 refresh loads libcurl" {
	local exe
	exe=$(readlink -f "$OUTBOX")
	# oauth2-client-secret-cmd runs while the request is prepared.
	start_both --refresh-token rt-seed
	seed_store at-old -10 rt-seed
	write_rc_oauth oauth2-client-secret-cmd="$(mapped oauth); echo cs"
	run_outbox -s oauth rcpt@example.net <<<"body"
	assert_success
	assert_equal "$(grants refresh_token)" 1
	assert_equal "$(cat "$BATS_TEST_TMPDIR/oauth.exe")" "$exe"
	[ "$(cat "$BATS_TEST_TMPDIR/oauth.maps")" -gt 0 ] ||
	    fail "libcurl not mapped during the OAuth2 request"
}

@test "a libcurl that cannot be loaded: 78 and dlerror's reason" {
	start_both --refresh-token rt-seed
	seed_store at-old -10 rt-seed
	write_rc_oauth
	mkdir "$BATS_TEST_TMPDIR/lib"
	# Not a library: dlopen() refuses the file the search finds first.
	echo 'not a library' >"$BATS_TEST_TMPDIR/lib/libcurl.so.4"
	LD_LIBRARY_PATH="$BATS_TEST_TMPDIR/lib" \
	    run_outbox_split -s nolib rcpt@example.net <<<"body"
	assert_failure 78
	[[ $stderr == *"OAuth2 requests need libcurl.so.4 (package libcurl4): "*"libcurl.so.4: "* ]] ||
	    fail "stderr: $stderr"
	# A library without curl's functions.
	echo 'int not_curl;' | cc -shared -fPIC -x c - \
	    -o "$BATS_TEST_TMPDIR/lib/libcurl.so.4"
	LD_LIBRARY_PATH="$BATS_TEST_TMPDIR/lib" \
	    run_outbox_split -s nosym rcpt@example.net <<<"body"
	assert_failure 78
	[[ $stderr == *"OAuth2 requests need libcurl.so.4 (package libcurl4): "*curl_easy_init* ]] ||
	    fail "stderr: $stderr"
	assert_equal "$(grants refresh_token)" 0
	[ ! -e "$SMTPD_OUT/1.eml" ]
	assert_equal "$(store_get 'j["access_token"]')" at-old
}
