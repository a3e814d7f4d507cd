#!/usr/bin/env bats
# charset.bats — labels that never lie: header text in a non-UTF-8 input
# charset, text attachment charsets (--attach-charset), RFC 2231 names
# read by a strict parser, media types from /etc/mime.types, HTML
# entities in a non-UTF-8 part, the --inline Content-ID, -H Message-ID.
# Every message is read back by tests/lib/mimecheck.py (Python's email
# package) or compared byte for byte.

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	OUTBOX="${OUTBOX:-$BATS_TEST_DIRNAME/../outbox}"
	PY=/usr/bin/python3
	CHECK="$BATS_TEST_DIRNAME/lib/mimecheck.py"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export OUTBOX_SYSTEM_RC=/nonexistent
	unset OUTBOXRC XDG_CONFIG_HOME OUTBOX_TEST_DATE OUTBOX_TEST_MESSAGE_ID \
	    OUTBOX_TEST_BOUNDARY
	export LC_ALL=C.UTF-8 TZ=UTC
	RC="$HOME/rc"
	printf 'set from="Alice Example <alice@example.org>"\n' >"$RC"
	T="$BATS_TEST_TMPDIR"
	printf 'hello\n' >"$T/body"
	[ -x "$OUTBOX" ] || fail "no outbox binary at $OUTBOX (set OUTBOX)"
}

# compose ARGS...: body from $T/body; message in $T/out.eml, summary in
# $T/out.json, stderr in $T/out.err.  Fails when outbox or the checker
# fails.
compose() {
	timeout 60 "$OUTBOX" -C "$RC" --dry-run "$@" <"$T/body" >"$T/out.eml" \
	    2>"$T/out.err" || fail "outbox exited $?: $(cat "$T/out.err")"
	$PY "$CHECK" "$T/out.eml" >"$T/out.json" ||
	    fail "mimecheck refused: $(cat -A "$T/out.eml" | head -60)"
}

# j EXPR: a Python expression over d, the JSON summary.
j() {
	$PY -c 'import json, sys; d = json.load(open(sys.argv[1]));
v = eval(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))' \
	    "$T/out.json" "$1"
}

# The raw header block of $T/out.eml, CR removed.
head_block() {
	sed -n '1,/^\r$/p' "$T/out.eml" | tr -d '\r'
}

@test "a non-ASCII attachment name is RFC 2231 only: no defect for a strict parser" {
	printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n' >"$T/周报 2026.pdf"
	compose -s report -a "$T/周报 2026.pdf" --inline "$T/周报 2026.pdf" \
	    --html bob@example.org
	assert_equal "$(j 'd["defects"]')" '[]'
	assert_equal "$(j 'd["attachments"][0]["filename"]')" '周报 2026.pdf'
	assert_equal "$(j 'd["attachments"][0]["name"]')" '周报 2026.pdf'
	run grep -c '=?' "$T/out.eml"
	assert_output 0
	grep -q "^ name\*=UTF-8''%E5%91%A8" "$T/out.eml"
	grep -q "^ filename\*=UTF-8''%E5%91%A8" "$T/out.eml"
}
