# oauth2.bash — helpers shared by oauth2.bats and fetch-oauth2.bats:
# the local OAuth2 server (tests/servers/oauthd.py), the token store as a
# login leaves it, and the checks on what the server was asked and what
# outbox printed.  Loaded after test_helper.

# oauth2_setup: the store under the test's own XDG_STATE_HOME (for setup).
oauth2_setup() {
	export XDG_STATE_HOME="$BATS_TEST_TMPDIR/state"
	STORE="$XDG_STATE_HOME/outbox/oauth2/default"
}

# start_oauthd ARGS...: the authorization server; its files in $OAUTHD.
start_oauthd() {
	export OAUTHD="$BATS_TEST_TMPDIR/oauthd"
	local pf="$BATS_TEST_TMPDIR/oauthd.port"
	rm -f "$pf"
	"$PY" "$TESTS_DIR/servers/oauthd.py" --port-file "$pf" \
	    --dir "$OAUTHD" --cert "$CERTS/good.pem" --key "$CERTS/good.key" \
	    "$@" </dev/null >"$BATS_TEST_TMPDIR/oauthd.out" \
	    2>"$BATS_TEST_TMPDIR/oauthd.err" 3>&- &
	SERVER_PIDS+=("$!")
	wait_port "$pf" "$!" oauthd
	OPORT=$PORT
}

# seed_store ACCESS EXPIRES_IN REFRESH [ACCOUNT]: the store a login left.
seed_store() {
	local store=${4:+$XDG_STATE_HOME/outbox/oauth2/$4}
	store=${store:-$STORE}
	mkdir -p "$(dirname "$store")"
	printf '{"refresh_token":"%s","access_token":"%s","expires_at":%d}\n' \
	    "$3" "$1" $(($(date +%s) + $2)) >"$store"
	chmod 600 "$store"
}

# grants NAME: how many requests of grant_type NAME oauthd.py got.
grants() {
	if [ -f "$OAUTHD/requests.log" ]; then
		grep -c "\"grant_type\": \"$1\"" "$OAUTHD/requests.log" || true
	else
		echo 0
	fi
}

# refute_tokens TEXT: no token oauthd.py issued or the tests seeded is in
# TEXT.
refute_tokens() {
	local t
	for t in $(cat "$OAUTHD/access_tokens" "$OAUTHD/refresh_tokens" \
	    2>/dev/null) at-seed rt-seed at-stale; do
		if [[ $1 == *"$t"* ]]; then
			fail "token '$t' appears in: $1"
		fi
	done
}
