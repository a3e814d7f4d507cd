# test_helper.bash — shared set-up for the command-line suites.
#
# Each test gets a fresh HOME with no system rc file; certificates are made
# once per file in $BATS_FILE_TMPDIR/certs ($CERTS).  start_smtpd and
# start_fault run the test servers on 127.0.0.1 and export PORT; teardown
# stops every server the test started.  Every outbox run goes through
# run_outbox, under timeout(1), so nothing can hang the suite.

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TESTS_DIR="$(cd "$BATS_TEST_DIRNAME" && pwd)"
OUTBOX="${OUTBOX:-$TESTS_DIR/../outbox}"
PY=/usr/bin/python3
PASSWORD='s3cr3t-Pw0rd'
SENDER='sender@example.org'
export OUTBOX

common_setup_file() {
	export CERTS="$BATS_FILE_TMPDIR/certs"
	sh "$TESTS_DIR/lib/certs.sh" "$CERTS"
}

common_setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	chmod 700 "$HOME"
	export OUTBOX_SYSTEM_RC=/nonexistent
	# The log line of each send goes to a socket nobody binds, not to
	# the machine's syslog (unattended.bats binds its own).
	export OUTBOX_TEST_SYSLOG_SOCKET="$BATS_TEST_TMPDIR/no-syslog.sock"
	unset OUTBOXRC XDG_CONFIG_HOME
	SERVER_PIDS=()
	[ -x "$OUTBOX" ] || fail "no outbox binary at $OUTBOX (set OUTBOX)"
}

common_teardown() {
	local pid i
	for pid in "${SERVER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	SERVER_PIDS=()
}

# wait_port FILE PID NAME: waits (10 s at most) for the port file.
wait_port() {
	local i
	for i in $(seq 100); do
		if [ -s "$1" ]; then
			PORT=$(cat "$1")
			export PORT
			return 0
		fi
		if ! kill -0 "$2" 2>/dev/null; then
			fail "$3 died before listening: $(cat "$BATS_TEST_TMPDIR/$3.err")"
		fi
		sleep 0.1
	done
	fail "$3 did not write its port file within 10 s"
}

# start_smtpd ARGS...: the aiosmtpd server; messages land in $SMTPD_OUT.
start_smtpd() {
	export SMTPD_OUT="$BATS_TEST_TMPDIR/smtpd"
	local pf="$BATS_TEST_TMPDIR/smtpd.port"
	rm -f "$pf"
	"$PY" "$TESTS_DIR/servers/smtpd.py" --port-file "$pf" \
	    --out "$SMTPD_OUT" "$@" \
	    </dev/null >"$BATS_TEST_TMPDIR/smtpd.out" \
	    2>"$BATS_TEST_TMPDIR/smtpd.err" 3>&- &
	SERVER_PIDS+=("$!")
	wait_port "$pf" "$!" smtpd
}

# start_smtpd_tls MODE [ARGS...]: smtpd.py with the good certificate.
start_smtpd_tls() {
	local mode=$1
	shift
	start_smtpd --mode "$mode" --cert "$CERTS/good.pem" \
	    --key "$CERTS/good.key" "$@"
}

# start_fault SCRIPT [CERT]: the fault server running SCRIPT (text, one
# directive a line) with certificate CERT (good, wronghost, expired,
# selfsigned; default good).  Its records land in $FAULT_LOG.
start_fault() {
	export FAULT_LOG="$BATS_TEST_TMPDIR/fault"
	local pf="$BATS_TEST_TMPDIR/fault.port" cert=${2:-good}
	rm -f "$pf"
	printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/fault.script"
	"$PY" "$TESTS_DIR/servers/faultserver.py" --port-file "$pf" \
	    --script "$BATS_TEST_TMPDIR/fault.script" --log "$FAULT_LOG" \
	    --cert "$CERTS/$cert.pem" --key "$CERTS/$cert.key" \
	    </dev/null >"$BATS_TEST_TMPDIR/fault.out" \
	    2>"$BATS_TEST_TMPDIR/fault.err" 3>&- &
	SERVER_PIDS+=("$!")
	wait_port "$pf" "$!" fault
}

# write_rc [KEY=VALUE | -KEY]...: ~/.outboxrc (mode 600) with the defaults
# below; KEY=VALUE adds or replaces a key, -KEY drops a default.
write_rc() {
	local -A v=(
		[from]="Sender <$SENDER>"
		[smtp]="localhost:$PORT"
		[tls-ca-file]="$CERTS/ca.pem"
		[timeout]=3
		# Failures are reported (75), not queued, unless a test asks;
		# a queue, when used, stays in the test's own directory.
		[queue-on-failure]=no
		[queue-dir]="$BATS_TEST_TMPDIR/queue"
	)
	local order=(from smtp smtp-security smtp-auth tls-ca-file timeout
	    queue-on-failure queue-dir)
	local a k
	for a in "$@"; do
		case $a in
		-*) unset "v[${a#-}]" ;;
		*=*)
			k=${a%%=*}
			[[ -v "v[$k]" ]] || [[ " ${order[*]} " == *" $k "* ]] ||
			    order+=("$k")
			v[$k]=${a#*=}
			;;
		esac
	done
	: >"$HOME/.outboxrc"
	chmod 600 "$HOME/.outboxrc"
	for k in "${order[@]}"; do
		[[ -v "v[$k]" ]] || continue
		printf 'set %s="%s"\n' "$k" "${v[$k]}" >>"$HOME/.outboxrc"
	done
}

# write_rc_auth [KEY=VALUE]...: STARTTLS with alice's credentials.
write_rc_auth() {
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password="$PASSWORD" "$@"
}

# no_lsan: the ASAN_OPTIONS word for a run under strace: LeakSanitizer
# cannot work under ptrace (make sanitize), so leak detection is off.
no_lsan() {
	echo "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

# run_outbox ARGS...: runs outbox under a 60 s limit; sets ELAPSED (s).
run_outbox() {
	local t0=$SECONDS
	if [ -t 0 ]; then
		run timeout 60 "$OUTBOX" "$@" </dev/null
	else
		run timeout 60 "$OUTBOX" "$@"
	fi
	ELAPSED=$((SECONDS - t0))
}

# run_outbox_split ARGS...: the same with stdout in $output and stderr
# in $stderr.
run_outbox_split() {
	local t0=$SECONDS
	run --separate-stderr timeout 60 "$OUTBOX" "$@"
	ELAPSED=$((SECONDS - t0))
}

# assert_fail_line STEP REGEX: exactly one "outbox: STEP: " line on the
# output (STEP is itself a regular expression, e.g. "(TLS|STARTTLS)"),
# and it matches REGEX (an extended regular expression).
assert_fail_line() {
	local l n=0 hit=
	for l in "${lines[@]}"; do
		if [[ $l =~ ^outbox:\ ($1):\  ]]; then
			n=$((n + 1))
			hit=$l
		fi
	done
	[ "$n" -eq 1 ] ||
	    fail "expected one 'outbox: $1:' line, found $n in: $output"
	[[ $hit =~ $2 ]] || fail "'$hit' does not match /$2/"
}

# assert_within SECS: the last run_outbox took at most SECS seconds.
assert_within() {
	[ "$ELAPSED" -le "$1" ] ||
	    fail "outbox took ${ELAPSED}s, more than the ${1}s bound"
}

# refute_secret TEXT...: neither the password nor any base64 form the
# client could send is in TEXT (default: $output).
refute_secret() {
	local text=${1-$output} s
	for s in "$PASSWORD" "$(printf '%s' "$PASSWORD" | base64 -w0)" \
	    "$(printf '\0alice\0%s' "$PASSWORD" | base64 -w0)" \
	    "$(printf 'alice\0alice\0%s' "$PASSWORD" | base64 -w0)"; do
		if [[ $text == *"$s"* ]]; then
			fail "secret '$s' appears in: $text"
		fi
	done
}

# eml_parts FILE: one line per leaf MIME part of a raw message:
# "TYPE FILENAME SIZE SHA256" (FILENAME "-" when none).
eml_parts() {
	"$PY" - "$1" <<'PYEOF'
import email, email.policy, hashlib, sys
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
for part in msg.walk():
    if part.is_multipart():
        continue
    data = part.get_payload(decode=True) or b""
    print(part.get_content_type(), part.get_filename() or "-", len(data),
          hashlib.sha256(data).hexdigest())
PYEOF
}

# eml_header FILE NAME: the decoded value(s) of a header, one a line.
eml_header() {
	"$PY" - "$1" "$2" <<'PYEOF'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
for v in msg.get_all(sys.argv[2]) or []:
    print(str(v))
PYEOF
}

# eml_body FILE: the decoded first text/plain part, as is.
eml_body() {
	"$PY" - "$1" <<'PYEOF'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
part = msg.get_body(preferencelist=("plain",))
sys.stdout.write(part.get_content() if part is not None else "")
PYEOF
}

# json_get FILE EXPR: evaluates a Python expression over the JSON in FILE
# (bound to j) and prints the result.
json_get() {
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(r if isinstance(r,str) else json.dumps(r))' "$1" "$2"
}

# spki_fingerprint PEM: "sha256:AB:CD:..." of the certificate's public key.
spki_fingerprint() {
	openssl x509 -in "$1" -pubkey -noout |
	    openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -binary | od -An -v -tx1 |
	    tr -d ' \n' | tr a-f A-F | sed 's/../&:/g; s/:$//; s/^/sha256:/'
}
