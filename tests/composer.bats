#!/usr/bin/env bats
# composer.bats — the composed message, read back by an independent parser
# (tests/lib/mimecheck.py: Python's email package, strict policy).  Every
# run is --dry-run: the wire bytes before dot-stuffing, on stdout.

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
# $T/out.json.  Fails the test when outbox or the checker fails.
compose() {
	run --separate-stderr "$OUTBOX" -C "$RC" --dry-run "$@" <"$T/body"
	[ "$status" -eq 0 ] || fail "outbox exited $status: $stderr"
	printf '%s' "$output" >/dev/null
	"$OUTBOX" -C "$RC" --dry-run "$@" <"$T/body" >"$T/out.eml" ||
	    fail "outbox failed on the second run"
	$PY "$CHECK" "$T/out.eml" >"$T/out.json" ||
	    fail "mimecheck refused: $(cat -A "$T/out.eml" | head -60)"
}

# j EXPR: a Python expression over d, the JSON summary.
j() {
	$PY -c 'import json, sys; d = json.load(open(sys.argv[1]));
v = eval(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))' \
	    "$T/out.json" "$1"
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# The decoded body (base64 from the summary) equals the file $1 read as
# text, line ends LF.
body_is() {
	local want got
	want=$($PY -c 'import base64, sys
print(base64.b64encode(open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")).decode())' "$1")
	got=$($PY -c 'import base64, json, sys
b = base64.b64decode(json.load(open(sys.argv[1]))["body"]["b64"])
print(base64.b64encode(b.replace(b"\r\n", b"\n")).decode())' "$T/out.json")
	[ "$want" = "$got" ] || fail "body differs: want $want got $got"
}

# No header or parser defect at all (attachment names are RFC 2231 only).
no_defects() {
	run j 'd["defects"]'
	assert_output '[]'
}

@test "plain ASCII body: one text/plain 7bit part, required headers" {
	compose -s 'plain' bob@example.org
	assert_equal "$(j 'd["body"]["cte"]')" 7bit
	assert_equal "$(j 'd["body"]["charset"]')" us-ascii
	assert_equal "$(j 'd["body"]["text"]')" hello
	assert_equal "$(j 'd["attachments"]')" '[]'
	run j '[h for h in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version") if h not in d["header_names"]]'
	assert_output '[]'
	assert_equal "$(j 'd["headers"]["from"]')" '[["Alice Example", "alice@example.org"]]'
	assert_equal "$(j 'd["headers"]["to"]')" '[["", "bob@example.org"]]'
	run grep -c 'multipart' "$T/out.eml"
	assert_output 0
	no_defects
}

@test "Chinese subject and display names fold and decode to the input" {
	subj='周报：本周工作总结与下周计划，包括项目进度、风险评估、资源需求以及需要领导决策的若干事项'
	name='欧阳慕容司马上官诸葛东方皇甫尉迟公孙长孙宇文轩辕令狐钟离'
	cname='张三丰大侠来自武当山的太极拳宗师兼任掌门人'
	compose -s "$subj" -r "$name <ouyang@example.org>" \
	    -c "$cname <zhang@example.org>, \"Last, First\" <lf@example.org>" \
	    bob@example.org
	assert_equal "$(j 'd["headers"]["subject"]')" "$subj"
	assert_equal "$(j 'd["headers"]["from"][0][0]')" "$name"
	assert_equal "$(j 'd["headers"]["from"][0][1]')" ouyang@example.org
	assert_equal "$(j 'd["headers"]["cc"][0][0]')" "$cname"
	assert_equal "$(j 'd["headers"]["cc"][1][0]')" 'Last, First'
	# Folded: the header block has continuation lines, none over 78.
	sed -n '1,/^\r$/p' "$T/out.eml" >"$T/head"
	run grep -c '^ ' "$T/head"
	[ "$output" -ge 2 ]
	run awk 'length($0) > 79' "$T/head"
	assert_output ''
	no_defects
}

@test "attachment named 周报 2026.pdf keeps its name and bytes" {
	printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n' >"$T/周报 2026.pdf"
	compose -s report -a "$T/周报 2026.pdf" bob@example.org
	assert_equal "$(j 'd["attachments"][0]["filename"]')" '周报 2026.pdf'
	assert_equal "$(j 'd["attachments"][0]["name"]')" '周报 2026.pdf'
	assert_equal "$(j 'd["attachments"][0]["sha256"]')" "$(sha "$T/周报 2026.pdf")"
	assert_equal "$(j 'd["attachments"][0]["content_type"]')" application/pdf
	grep -q "^Content-Type: multipart/mixed" "$T/out.eml"
	no_defects
}

@test "GB18030 body with --charset decodes with the declared charset" {
	text='中文邮件正文：你好，世界。这是一封用 GB18030 编码的测试邮件。'
	printf '%s\n第二行\n' "$text" | iconv -f UTF-8 -t GB18030 >"$T/body"
	compose --charset GB18030 -s gb bob@example.org
	assert_equal "$(j 'd["body"]["charset"]')" gb18030
	assert_equal "$(j 'd["body"]["text"].replace("\r\n", "\n")')" "$(printf '%s\n第二行' "$text")"
	body_is "$T/body"
}

@test "non-UTF-8 body without --charset in a UTF-8 locale is unknown-8bit" {
	printf '中文\n' | iconv -f UTF-8 -t GB18030 >"$T/body"
	compose -s gb bob@example.org
	assert_equal "$(j 'd["body"]["charset"]')" unknown-8bit
	body_is "$T/body"
}

@test "UTF-8 body: base64 when mostly Chinese, quoted-printable when mostly ASCII" {
	printf '这是中文正文，几乎没有 ASCII。\n' >"$T/body"
	compose -s u bob@example.org
	assert_equal "$(j 'd["body"]["charset"]')" utf-8
	assert_equal "$(j 'd["body"]["cte"]')" base64
	body_is "$T/body"
	printf 'Mostly ASCII text with one café in it, and a longer line.\n' >"$T/body"
	compose -s u bob@example.org
	assert_equal "$(j 'd["body"]["cte"]')" quoted-printable
	body_is "$T/body"
}

@test "1 MiB file of all byte values decodes byte for byte" {
	$PY -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4096)' >"$T/all.bin"
	compose -s bin -a "$T/all.bin" bob@example.org
	assert_equal "$(j 'd["attachments"][0]["cte"]')" base64
	assert_equal "$(j 'd["attachments"][0]["size"]')" 1048576
	assert_equal "$(j 'd["attachments"][0]["sha256"]')" "$(sha "$T/all.bin")"
}

@test "empty file attaches and decodes to nothing" {
	: >"$T/empty"
	compose -s empty -a "$T/empty" bob@example.org
	assert_equal "$(j 'd["attachments"][0]["size"]')" 0
	assert_equal "$(j 'd["attachments"][0]["filename"]')" empty
}

@test "text files: no final newline, CRLF, LF, long lines keep their exact bytes" {
	printf 'no newline at the end' >"$T/nonl.txt"
	printf 'one\r\ntwo\r\n' >"$T/crlf.txt"
	printf 'plain\nascii\n' >"$T/lf.txt"
	$PY -c 'print("y" * 3000)' >"$T/long.txt"
	printf 'caf\xc3\xa9 au lait, mostly ascii\n' >"$T/utf8.txt"
	compose -s texts -a "$T/nonl.txt" -a "$T/crlf.txt" -a "$T/lf.txt" \
	    -a "$T/long.txt" -a "$T/utf8.txt" bob@example.org
	i=0
	for f in nonl.txt crlf.txt lf.txt long.txt utf8.txt; do
		assert_equal "$(j "d['attachments'][$i]['filename']")" "$f"
		assert_equal "$(j "d['attachments'][$i]['sha256']")" "$(sha "$T/$f")"
		assert_equal "$(j "d['attachments'][$i]['content_type']")" text/plain
		i=$((i + 1))
	done
	assert_equal "$(j 'd["attachments"][2]["cte"]')" 7bit
	assert_equal "$(j 'd["attachments"][2]["charset"]')" us-ascii
	assert_equal "$(j 'd["attachments"][4]["charset"]')" utf-8
	assert_equal "$(j 'd["attachments"][1]["cte"]')" base64
}

@test "body lines starting with . and From survive undamaged" {
	printf '.\n.leading dot\nFrom the start\n>From quoted\n..two\n' >"$T/body"
	compose -s dots bob@example.org
	body_is "$T/body"
	# No dot-stuffing in the composed message: that happens on the wire.
	run grep -c '^\.\.two' "$T/out.eml"
	assert_output 1
}

@test "a 5000-character body line is wrapped by its encoding and restored" {
	$PY -c 'print("z" * 5000)' >"$T/body"
	compose -s long bob@example.org
	assert_equal "$(j 'd["body"]["cte"]')" quoted-printable
	[ "$(j 'd["max_line"]')" -le 998 ]
	body_is "$T/body"
}

@test "NUL bytes and bare CR in the body are preserved" {
	printf 'text with a NUL \0 here\nand a bare CR \r in the middle\n' >"$T/body"
	compose -s nul bob@example.org
	assert_equal "$(j 'd["body"]["cte"]')" quoted-printable
	body_is "$T/body"
}

@test "body without a final newline, and an empty body" {
	printf 'no final newline' >"$T/body"
	compose -s nonl bob@example.org
	body_is "$T/body"
	: >"$T/body"
	compose -s empty bob@example.org
	assert_equal "$(j 'd["body"]["b64"]')" ''
}

@test "header injection in -s, -r, -c and -H is refused with 65 and no output" {
	local -a cases=(
		-s $'subject\r\nBcc: victim@example.org'
		-s $'subject\nX-Evil: 1'
		-r $'alice@example.org\r\nBcc: victim@example.org'
		-c $'carol@example.org\nBcc: victim@example.org'
		-H $'X-Ok: yes\r\nBcc: victim@example.org'
		-H $'X-Ok: yes\nSubject: spoofed'
	)
	local n
	for n in 0 2 4 6 8 10; do
		run --separate-stderr "$OUTBOX" -C "$RC" --dry-run \
		    "${cases[n]}" "${cases[n + 1]}" bob@example.org <"$T/body"
		assert_equal "$status" 65
		assert_equal "$output" ''
	done
}

@test "-H refuses the headers outbox writes and bad names" {
	for h in 'From: x@example.org' 'bcc: v@example.org' 'Content-Type: text/html' \
	    'Date: 1 Dec 2026' 'Bad Name: x' 'NoColon'; do
		run --separate-stderr "$OUTBOX" -C "$RC" --dry-run -H "$h" \
		    bob@example.org <"$T/body"
		assert_equal "$status" 65
		assert_equal "$output" ''
	done
}

@test "-H adds headers; a non-ASCII value is encoded and decodes back" {
	compose -s h -H 'X-Mailer-Note: plain' -H 'X-Note: 你好，世界' -H 'Reply-To: r@example.org' bob@example.org
	grep -q '^X-Mailer-Note: plain' "$T/out.eml"
	grep -q '^Reply-To: r@example.org' "$T/out.eml"
	run $PY -c 'import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.strict)
print(m["X-Note"])' "$T/out.eml"
	assert_output '你好，世界'
}

@test "a missing attachment exits 66 and names the file" {
	run --separate-stderr "$OUTBOX" -C "$RC" --dry-run -a "$T/no-such-file" \
	    bob@example.org <"$T/body"
	assert_equal "$status" 66
	assert_equal "$output" ''
	[[ "$stderr" == *no-such-file* ]] || fail "stderr: $stderr"
}

@test "no Bcc header while -b is given" {
	compose -s bcc -b hidden@example.org -c carol@example.org bob@example.org
	assert_equal "$(j 'd["has_bcc"]')" false
	run grep -ci 'hidden@example.org' "$T/out.eml"
	assert_output 0
}

@test "only Bcc recipients: To is undisclosed-recipients" {
	compose -s bcc -b hidden@example.org
	assert_equal "$(j 'd["has_bcc"]')" false
	grep -q '^To: undisclosed-recipients:;' "$T/out.eml"
}

@test "every line ends in CRLF and is at most 998 octets" {
	$PY -c 'import sys; sys.stdout.buffer.write(b"x" * 3000 + b"\r" + b"\n" * 3)' >"$T/body"
	$PY -c 'import sys; sys.stdout.buffer.write(b"a\rb\nc" * 500)' >"$T/odd"
	compose -s lines -a "$T/odd" bob@example.org
	$PY -c 'import sys
d = open(sys.argv[1], "rb").read()
assert d.endswith(b"\r\n")
for l in d.split(b"\r\n")[:-1]:
    assert b"\r" not in l and b"\n" not in l and len(l) <= 998, l[:40]' "$T/out.eml"
	assert_equal "$(j 'd["attachments"][0]["sha256"]')" "$(sha "$T/odd")"
	body_is "$T/body"
}

@test "Date is RFC 5322 in the local zone, English names" {
	export OUTBOX_TEST_DATE=1700000000
	TZ=Asia/Shanghai compose -s date bob@example.org
	assert_equal "$(j 'd["headers"]["date"]')" 'Wed, 15 Nov 2023 06:13:20 +0800'
	grep -q '^Message-ID: <[0-9a-f]\{32\}@example.org>' "$T/out.eml"
}

@test "pinned output is reproducible" {
	export OUTBOX_TEST_DATE=1700000000 OUTBOX_TEST_MESSAGE_ID='<pinned@example.org>' \
	    OUTBOX_TEST_BOUNDARY=pin
	printf 'attached\n' >"$T/a.txt"
	"$OUTBOX" -C "$RC" --dry-run -s same -a "$T/a.txt" bob@example.org <"$T/body" >"$T/1"
	"$OUTBOX" -C "$RC" --dry-run -s same -a "$T/a.txt" bob@example.org <"$T/body" >"$T/2"
	cmp "$T/1" "$T/2" || fail "$(diff <(cat -A "$T/1") <(cat -A "$T/2"))"
	grep -q 'boundary="=_pin_1"' "$T/1"
	grep -q '^Message-ID: <pinned@example.org>' "$T/1"
	unset OUTBOX_TEST_MESSAGE_ID OUTBOX_TEST_BOUNDARY
	"$OUTBOX" -C "$RC" --dry-run -s same -a "$T/a.txt" bob@example.org <"$T/body" >"$T/3"
	"$OUTBOX" -C "$RC" --dry-run -s same -a "$T/a.txt" bob@example.org <"$T/body" >"$T/4"
	! cmp -s "$T/3" "$T/4"
}

@test "--html with --inline and -a: mixed(related(alternative(plain, html), image), attachment)" {
	printf '<p>Hi <img src="cid:pic" alt="pic"></p>\n' >"$T/body"
	printf 'GIF89a\001\000\001\000\000\000\000;' >"$T/p.gif"
	printf 'notes\n' >"$T/notes.txt"
	compose -s rich --html --inline "$T/p.gif:pic" -a "$T/notes.txt" \
	    bob@example.org
	no_defects
	assert_equal "$(j 'd["structure"]')" \
	    'multipart/mixed(multipart/related(multipart/alternative(text/plain,text/html),image/gif),text/plain)'
	assert_equal "$(j 'd["body"]["text"]')" 'Hi [pic]'
	assert_equal "$(j 'd["parts"][2]["content_id"]')" '<pic@outbox>'
	assert_equal "$(j 'd["parts"][2]["sha256"]')" "$(sha "$T/p.gif")"
	assert_equal "$(j 'd["attachments"][0]["filename"]')" notes.txt
	# Pinned boundaries stay distinct per container.
	OUTBOX_TEST_BOUNDARY=pin compose --html --inline "$T/p.gif:pic" \
	    -a "$T/notes.txt" bob@example.org
	run grep -c $'^--=_pin_[123]\r$' "$T/out.eml"
	assert_output 6
	run grep -c $'^--=_pin_[123]--\r$' "$T/out.eml"
	assert_output 3
}

@test "--reply-to: Reply-To header, encoded name; injection refused with 65" {
	compose --reply-to 'Équipe Ops <ops@example.org>' bob@example.org
	no_defects
	run "$PY" -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.strict)
a = m["reply-to"].addresses[0]; print(a.display_name, a.addr_spec)' "$T/out.eml"
	assert_output 'Équipe Ops ops@example.org'
	run "$OUTBOX" -C "$RC" --dry-run --reply-to $'a@example.org\nX: y' \
	    bob@example.org <"$T/body"
	assert_failure 65
	assert_output --partial 'line break'
}

@test "options after a recipient are options: -a attaches, nothing goes to doc.pdf" {
	printf 'set default-domain=example.org\n' >>"$RC"
	printf '%%PDF-1.4 test\n' >"$T/doc.pdf"
	cd "$T"
	compose -s x alice@example.org -a doc.pdf
	grep -q '^To: alice@example.org' "$T/out.eml"
	run grep -c 'doc.pdf@' "$T/out.eml"
	assert_output 0
	run j '[p["filename"] for p in d["parts"] if p.get("filename")]'
	assert_output '["doc.pdf"]'
}

@test "an operand that starts with - is refused (64), never a recipient" {
	run --separate-stderr "$OUTBOX" -C "$RC" --dry-run -s x -- \
	    alice@example.org -a@example.org <"$T/body"
	assert_equal "$status" 64
	assert_equal "$output" ''
	[[ "$stderr" == *'"-a@example.org"'* ]] || fail "stderr: $stderr"
	# POSIXLY_CORRECT: the first operand ends the options, and what
	# looks like one after it is refused the same way.
	run --separate-stderr env POSIXLY_CORRECT=1 "$OUTBOX" -C "$RC" \
	    --dry-run -s x alice@example.org -a doc.pdf <"$T/body"
	assert_equal "$status" 64
	assert_equal "$output" ''
	[[ "$stderr" == *'"-a"'* ]] || fail "stderr: $stderr"
}
