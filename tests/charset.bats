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

@test "HTML &#0; and other bad code points in a GB2312 part stay as written" {
	printf '<p>中文 a&#0;b &#xD800; &#x110000; &eacute;</p>\n' |
	    iconv -f UTF-8 -t GB2312 >"$T/body"
	compose --charset GB2312 --html -s x bob@example.org
	assert_equal "$(j 'd["body"]["charset"]')" gb2312
	# The bytes of the text part decode as GB2312, nothing else mixed in.
	$PY -c 'import base64, json, sys
b = base64.b64decode(json.load(open(sys.argv[1]))["body"]["b64"])
assert b"\xef\xbf\xbd" not in b, b
print(b.decode("gb2312"))' "$T/out.json" >"$T/text" || fail "not GB2312"
	assert_equal "$(cat "$T/text")" '中文 a&#0;b &#xD800; &#x110000; &eacute;'
}

@test "40,000 cid: references: each checked, each qualified with @outbox" {
	printf 'GIF89a\1\0\1\0\0\0\0;' >"$T/p.gif"
	$PY -c 'import sys
sys.stdout.write("<p>" + "<img src=\"cid:p.gif\">" * 40000 + "</p>\n")' >"$T/body"
	compose --html --inline "$T/p.gif" -s many bob@example.org
	assert_equal "$(j 'd["html"]["text"].count("cid:p.gif@outbox")')" 40000
	assert_equal "$(j 'd["parts"][2]["content_id"]')" '<p.gif@outbox>'
}

@test "-H Message-ID sets a stable id (msg-id syntax checked); Date stays ours" {
	compose -H 'Message-ID: <report-2026-12-01.disk@ops.example.org>' \
	    -s x bob@example.org
	assert_equal "$(j 'd["headers"]["message_id"]')" \
	    '<report-2026-12-01.disk@ops.example.org>'
	run grep -ci '^message-id:' "$T/out.eml"
	assert_output 1
	for bad in 'nope' '<a..b@example.org>' '<a b@example.org>' '<@example.org>' \
	    '<a@example.org' '<a@b@c>'; do
		run --separate-stderr "$OUTBOX" -C "$RC" --dry-run \
		    -H "Message-ID: $bad" bob@example.org <"$T/body"
		[ "$status" -eq 65 ] || fail "$bad: exit $status"
		assert_output ''
		[[ $stderr == *"not a Message-ID"* ]] || fail "$bad: $stderr"
	done
	run "$OUTBOX" -C "$RC" --dry-run -H 'Message-ID: <a@b>' \
	    -H 'Message-ID: <c@d>' bob@example.org <"$T/body"
	assert_failure 64
	run "$OUTBOX" -C "$RC" --dry-run -H 'Date: Mon, 1 Dec 2026 00:00:00 +0000' \
	    bob@example.org <"$T/body"
	assert_failure 65
}

# binary: 512 fixed bytes libmagic knows only as application/octet-stream.
binary() {
	$PY -c 'import sys
sys.stdout.buffer.write(bytes((i * 7 + 3) % 256 for i in range(512)))'
}

# ctype N: the Content-Type of attachment N (0-based) in the summary.
ctype() {
	j "d[\"attachments\"][$1][\"content_type\"]"
}

@test "mime.types: libmagic's text/plain for a known text extension gives its type" {
	grep -qE '^text/csv[[:space:]].*\bcsv\b' /etc/mime.types ||
	    fail "/etc/mime.types (media-types) lacks csv"
	printf 'host,use\nweb1,71\n' >"$T/disk.csv"
	printf '# Notes\n\n*ok*\n' >"$T/notes.md"
	printf 'Key,Value\n' >"$T/UPPER.CSV"
	compose -a "$T/disk.csv" -a "$T/notes.md" -a "$T/UPPER.CSV" bob@example.org
	assert_equal "$(ctype 0)" text/csv
	assert_equal "$(ctype 1)" text/markdown
	assert_equal "$(ctype 2)" text/csv
	# Still text: the charset label and the bytes are kept.
	assert_equal "$(j 'd["attachments"][0]["charset"]')" us-ascii
	assert_equal "$(j 'd["attachments"][0]["sha256"]')" \
	    "$(sha256sum "$T/disk.csv" | cut -d' ' -f1)"
}

@test "mime.types: libmagic's application/octet-stream for a known binary extension" {
	binary >"$T/font.eot"
	compose -a "$T/font.eot" bob@example.org
	assert_equal "$(ctype 0)" application/vnd.ms-fontobject
}

@test "mime.types: libmagic's specific answers win over the extension" {
	printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n' >"$T/report.csv"
	printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n' >"$T/meet.txt"
	compose -a "$T/report.csv" -a "$T/meet.txt" bob@example.org
	assert_equal "$(ctype 0)" application/pdf
	assert_equal "$(ctype 1)" text/calendar
}

@test "mime.types: an extension that contradicts the content's kind is ignored" {
	printf 'just text\n' >"$T/notes.pdf"
	binary >"$T/data.csv"
	printf 'key: value\n' >"$T/conf.nosuchext"
	compose -a "$T/notes.pdf" -a "$T/data.csv" -a "$T/conf.nosuchext" \
	    bob@example.org
	assert_equal "$(ctype 0)" text/plain
	assert_equal "$(ctype 1)" application/octet-stream
	assert_equal "$(ctype 2)" text/plain
}
