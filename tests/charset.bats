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

# gb TEXT: TEXT (UTF-8) in GB2312.
gb() {
	printf '%s' "$1" | iconv -f UTF-8 -t GB2312
}

subj='周报：本周工作总结'
name='欧阳慕容'
cname='张三丰'
note='你好，世界'

# The headers of $T/out.json decode to the UTF-8 originals, every
# encoded word says UTF-8, and the strict parser finds no defect.
headers_are_utf8() {
	assert_equal "$(j 'd["headers"]["subject"]')" "$subj"
	assert_equal "$(j 'd["headers"]["from"][0][0]')" "$name"
	assert_equal "$(j 'd["headers"]["to"][0][0]')" "$cname"
	assert_equal "$(j 'd["defects"]')" '[]'
	run $PY -c 'import email, email.header, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
print(str(email.header.make_header(email.header.decode_header(m["X-Note"]))))
print(str(email.header.make_header(email.header.decode_header(m["Reply-To"]))))' "$T/out.eml"
	assert_line --index 0 "$note"
	assert_line --index 1 "$name <r@example.org>"
	run grep -ciE '=\?(gb|iso)' "$T/out.eml"
	assert_output 0
	run grep -c '=?UTF-8?' "$T/out.eml"
	[ "$output" -ge 4 ] || fail "expected UTF-8 encoded words: $(head_block)"
}

@test "--charset GB2312: Subject, display names, -H and --reply-to go through iconv to UTF-8" {
	gb '正文第一行' >"$T/body"
	printf '\n' >>"$T/body"
	printf 'set from="%s <alice@example.org>"\n' "$(gb "$name")" >"$RC"
	compose --charset GB2312 -s "$(gb "$subj")" -H "X-Note: $(gb "$note")" \
	    --reply-to "$(gb "$name") <r@example.org>" \
	    "$(gb "$cname") <bob@example.org>"
	headers_are_utf8
	assert_equal "$(j 'd["body"]["charset"]')" gb2312
	assert_equal "$(j 'd["body"]["text"].rstrip()')" '正文第一行'
}

@test "a GB2312 locale without --charset: header text and file names converted, body labelled gb2312" {
	mkdir -p "$T/loc"
	localedef -i zh_CN -f GB2312 "$T/loc/zh_CN.GB2312" ||
	    fail "localedef could not build zh_CN.GB2312"
	[ "$(LOCPATH="$T/loc" LC_ALL=zh_CN.GB2312 locale charmap)" = GB2312 ] ||
	    fail "the zh_CN.GB2312 locale does not load"
	gb '正文' >"$T/body"
	printf '\n' >>"$T/body"
	printf 'set from="%s <alice@example.org>"\n' "$(gb "$name")" >"$RC"
	# A file name in the locale's charset.
	printf 'x\n' >"$T/$(gb '周报').txt"
	# Only outbox runs in the GB2312 locale; the checks read UTF-8.
	LOCPATH="$T/loc" LC_ALL=zh_CN.GB2312 timeout 60 "$OUTBOX" -C "$RC" \
	    -a "$T/$(gb '周报').txt" \
	    --dry-run -s "$(gb "$subj")" -H "X-Note: $(gb "$note")" \
	    --reply-to "$(gb "$name") <r@example.org>" \
	    "$(gb "$cname") <bob@example.org>" <"$T/body" >"$T/out.eml" ||
	    fail "outbox exited $?"
	$PY "$CHECK" "$T/out.eml" >"$T/out.json" || fail "mimecheck refused"
	headers_are_utf8
	assert_equal "$(j 'd["body"]["charset"]')" gb2312
	assert_equal "$(j 'd["attachments"][0]["filename"]')" '周报.txt'
}

@test "header text not valid in the input charset is 65, naming the field" {
	run --separate-stderr "$OUTBOX" -C "$RC" --dry-run --charset GB2312 \
	    -s $'\xff\xfe' bob@example.org <"$T/body"
	assert_failure 65
	assert_output ''
	[[ $stderr == *"Subject: not valid GB2312"* ]] || fail "$stderr"
	# In a UTF-8 locale without --charset, GB2312 bytes are not UTF-8.
	run --separate-stderr "$OUTBOX" -C "$RC" --dry-run \
	    -H "X-Note: $(gb "$note")" bob@example.org <"$T/body"
	assert_failure 65
	[[ $stderr == *"-H X-Note: not valid UTF-8"*"--charset"* ]] || fail "$stderr"
	run --separate-stderr "$OUTBOX" -C "$RC" --dry-run --charset GB2312 \
	    "$(printf '\xa1') <bob@example.org>" <"$T/body"
	assert_failure 65
	[[ $stderr == *"To: display name: not valid GB2312"* ]] || fail "$stderr"
}

@test "text attachments: no guessed label; --charset for non-UTF-8 ones; --attach-charset per file" {
	gb '中文附件：第一行' >"$T/gb.txt"
	printf '\n' >>"$T/gb.txt"
	printf '%s\n' '中文 UTF-8' >"$T/u8.txt"
	printf 'plain\n' >"$T/ascii.txt"
	# libmagic guesses iso-8859-1 for GB2312 text: no label at all.
	compose -a "$T/gb.txt" -a "$T/u8.txt" -a "$T/ascii.txt" bob@example.org
	assert_equal "$(j 'd["attachments"][0]["charset"]')" null
	run grep -ci 'iso-8859-1' "$T/out.eml"
	assert_output 0
	assert_equal "$(j 'd["attachments"][1]["charset"]')" utf-8
	assert_equal "$(j 'd["attachments"][2]["charset"]')" us-ascii
	# --charset: the non-UTF-8 text attachment takes it; UTF-8 stays.
	compose --charset GB2312 -a "$T/gb.txt" -a "$T/u8.txt" bob@example.org
	assert_equal "$(j 'd["attachments"][0]["charset"]')" gb2312
	assert_equal "$(j 'd["attachments"][1]["charset"]')" utf-8
	assert_equal "$(j 'd["parts"][1]["text"]')" '中文附件：第一行'
	# --attach-charset names the next -a only.
	compose --charset GB2312 -a "$T/u8.txt" --attach-charset GB18030 \
	    -a "$T/gb.txt" -a "$T/ascii.txt" bob@example.org
	assert_equal "$(j 'd["attachments"][0]["charset"]')" utf-8
	assert_equal "$(j 'd["attachments"][1]["charset"]')" gb18030
	assert_equal "$(j 'd["attachments"][2]["charset"]')" us-ascii
	assert_equal "$(j 'd["attachments"][1]["sha256"]')" \
	    "$(sha256sum "$T/gb.txt" | cut -d' ' -f1)"
}

@test "--attach-charset: no -a after it is 64, UTF-8 for bytes that are not is 65" {
	gb '中文' >"$T/gb.txt"
	run "$OUTBOX" -C "$RC" --dry-run -a "$T/gb.txt" --attach-charset GB2312 \
	    bob@example.org <"$T/body"
	assert_failure 64
	assert_output --partial 'no -a follows'
	run "$OUTBOX" -C "$RC" --dry-run --attach-charset 'bad name' \
	    -a "$T/gb.txt" bob@example.org <"$T/body"
	assert_failure 64
	run "$OUTBOX" -C "$RC" --dry-run --attach-charset UTF-8 -a "$T/gb.txt" \
	    bob@example.org <"$T/body"
	assert_failure 65
	assert_output --partial 'not valid UTF-8'
}
