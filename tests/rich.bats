#!/usr/bin/env bats
# rich.bats — rich messages: --html (given, or the body itself with the
# text made from it), --inline images in multipart/related, --reply-to,
# international addresses (SMTPUTF8, IDNA A-labels) and delivery status
# notifications.  Structures are read back by tests/lib/mimecheck.py and,
# after a real delivery, by a real mail reader (s-nail in batch mode).

load test_helper

setup_file() { common_setup_file; }

setup() {
	common_setup
	export LC_ALL=C.UTF-8 TZ=UTC
	T="$BATS_TEST_TMPDIR"
	CHECK="$TESTS_DIR/lib/mimecheck.py"
	printf 'set from="Alice Example <alice@example.org>"\n' >"$T/rc"
	# A real 4x4 PNG, so libmagic says image/png.
	"$PY" -c 'import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + b"\xff\0\0" * 4 for _ in range(4))
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))' \
	    >"$T/chart.png"
	cat >"$T/report.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>Disk report</title>
<style>td { padding: 2px }</style><script>var x = "<p>no</p>";</script>
</head><body>
<h1>Disk&nbsp;usage &amp; trends</h1>
<p>All   hosts are <b>fine</b>; details on
<a href="https://ops.example.org/disk?h=all&amp;d=7">the dashboard</a>.</p>
<ul><li>web1: 71%</li><li>db1: 93% &mdash; check soon</li></ul>
<table><tr><th>Host</th><th>Use</th></tr>
<tr><td>web1</td><td>71%</td></tr><tr><td>db1</td><td>93%</td></tr></table>
<p><img src="cid:chart.png" alt="usage chart"></p>
</body></html>
HTML
	cat >"$T/report.txt" <<'TEXT'
Disk usage & trends

All hosts are fine; details on the dashboard <https://ops.example.org/disk?h=all&d=7>.

- web1: 71%
- db1: 93% — check soon

Host | Use
web1 | 71%
db1 | 93%

[usage chart]
TEXT
}

teardown() { common_teardown; }

# compose ARGS... <stdin: --dry-run into $T/out.eml, summary $T/out.json.
compose() {
	timeout 60 "$OUTBOX" -C "$T/rc" --dry-run "$@" >"$T/out.eml" \
	    2>"$T/out.err" || fail "outbox exited $?: $(cat "$T/out.err")"
	"$PY" "$CHECK" "$T/out.eml" >"$T/out.json" ||
	    fail "mimecheck refused: $(cat -A "$T/out.eml" | head -80)"
}

# j EXPR: a Python expression over d, the summary of the last compose.
j() {
	"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1]));
v = eval(sys.argv[2]); print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))' \
	    "$T/out.json" "$1"
}

# No header or parser defect at all (attachment names are RFC 2231 only).
no_defects() {
	run j 'd["defects"]'
	assert_output '[]'
}

# read_with_snail EML: the message as s-nail's "print" shows it (a text
# reader: the plain alternative, the part tree), from an mbox made of EML.
read_with_snail() {
	command -v s-nail >/dev/null || fail "s-nail is not installed (make deps)"
	{
		printf 'From alice@example.org Mon Jan  1 00:00:00 2024\n'
		tr -d '\r' <"$1"
		printf '\n'
	} >"$T/mbox"
	HOME="$T" timeout 30 s-nail -:/ -# -R -S ttycharset=utf-8 \
	    -Y 'print 1' -Y 'xit' -f "$T/mbox"
}

@test "--html=FILE: multipart/alternative, plain (stdin) first, then HTML" {
	sed '/usage chart/d' "$T/report.html" >"$T/noimg.html"
	compose -s report --html="$T/noimg.html" bob@example.org <<<"the text form"
	no_defects
	assert_equal "$(j 'd["structure"]')" \
	    'multipart/alternative(text/plain,text/html)'
	assert_equal "$(j 'd["parts"][0]["text"]')" "the text form"
	assert_equal "$(j 'd["html"]["text"]')" "$(cat "$T/noimg.html")"
	assert_equal "$(j 'd["html"]["charset"]')" us-ascii
	run grep -c '^Content-Disposition' "$T/out.eml"
	assert_output 0
}

@test "--html alone: stdin is HTML and the text alternative is made from it" {
	sed '/usage chart/d' "$T/report.html" >"$T/noimg.html"
	compose -s report --html bob@example.org <"$T/noimg.html"
	no_defects
	assert_equal "$(j 'd["structure"]')" \
	    'multipart/alternative(text/plain,text/html)'
	assert_equal "$(j 'd["parts"][0]["text"]')" \
	    "$(sed '$d' "$T/report.txt" | sed '$d')"
	assert_equal "$(j 'd["parts"][0]["charset"]')" utf-8
	assert_equal "$(j 'd["html"]["text"]')" "$(cat "$T/noimg.html")"
}

@test "--html=FILE with an empty stdin: the text is made from the HTML" {
	compose -s report --html="$T/report.html" --inline "$T/chart.png" \
	    bob@example.org </dev/null
	assert_equal "$(j 'd["parts"][0]["text"]')" "$(cat "$T/report.txt")"
}

@test "--inline: related(alternative(plain, html), image) with its Content-ID" {
	compose -s report --html --inline "$T/chart.png" bob@example.org \
	    <"$T/report.html"
	no_defects
	assert_equal "$(j 'd["structure"]')" \
	    'multipart/related(multipart/alternative(text/plain,text/html),image/png)'
	assert_equal "$(j 'd["related_type"]')" multipart/alternative
	assert_equal "$(j 'd["parts"][2]["content_id"]')" '<chart.png@outbox>'
	# RFC 2392: the id has an "@"; the HTML's reference is rewritten to it.
	assert_equal "$(j '"cid:chart.png@outbox" in d["html"]["text"]')" true
	assert_equal "$(j 'd["parts"][2]["disposition"]')" inline
	assert_equal "$(j 'd["parts"][2]["filename"]')" chart.png
	assert_equal "$(j 'd["parts"][2]["cte"]')" base64
	assert_equal "$(j 'd["parts"][2]["sha256"]')" \
	    "$(sha256sum "$T/chart.png" | cut -d' ' -f1)"
	assert_equal "$(j 'd["attachments"]')" '[]'
	assert_equal "$(j 'd["parts"][0]["text"]')" "$(cat "$T/report.txt")"
	[ ! -s "$T/out.err" ] || fail "unexpected stderr: $(cat "$T/out.err")"
}

@test "--inline FILE:ID and -a: mixed(related(alternative, image), attachment)" {
	sed 's/cid:chart.png/cid:fig1@report/' "$T/report.html" >"$T/r2.html"
	printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n' \
	    >"$T/data.pdf"
	compose -s report --html="$T/r2.html" --inline "$T/chart.png:fig1@report" \
	    -a "$T/data.pdf" bob@example.org <<<"plain"
	no_defects
	assert_equal "$(j 'd["structure"]')" \
	    'multipart/mixed(multipart/related(multipart/alternative(text/plain,text/html),image/png),application/pdf)'
	assert_equal "$(j 'd["parts"][2]["content_id"]')" '<fig1@report>'
	assert_equal "$(j 'd["parts"][3]["disposition"]')" attachment
	assert_equal "$(j 'd["attachments"][0]["filename"]')" data.pdf
}

@test "a cid: no --inline provides exits 65 naming it; nothing is printed" {
	run --separate-stderr timeout 60 "$OUTBOX" -C "$T/rc" --dry-run \
	    --html="$T/report.html" bob@example.org <<<"x"
	assert_failure 65
	assert_output ''
	[[ $stderr == *"cid:chart.png"* ]] || fail "not named: $stderr"
	sed 's/cid:chart.png/CID:a%40b/' "$T/report.html" >"$T/r3.html"
	run --separate-stderr timeout 60 "$OUTBOX" -C "$T/rc" --dry-run \
	    --html="$T/r3.html" --inline "$T/chart.png" bob@example.org <<<"x"
	assert_failure 65
	[[ $stderr == *"cid:a@b"* ]] || fail "not named: $stderr"
}

@test "an --inline the HTML never shows is a warning; the message goes out" {
	printf '<p>no pictures</p>\n' >"$T/plain.html"
	compose --html="$T/plain.html" --inline "$T/chart.png" \
	    bob@example.org <<<"x"
	run cat "$T/out.err"
	assert_output --regexp 'warning: .*--inline .*chart\.png.*never refers to cid:chart\.png'
	assert_equal "$(j 'd["structure"]')" \
	    'multipart/related(multipart/alternative(text/plain,text/html),image/png)'
}

@test "--inline without --html is a usage error; missing files are 66" {
	run_outbox -C "$T/rc" --dry-run --inline "$T/chart.png" b@example.org <<<"x"
	assert_failure 64
	run_outbox -C "$T/rc" --dry-run --html="$T/nope.html" b@example.org <<<"x"
	assert_failure 66
	assert_output --partial nope.html
	run_outbox -C "$T/rc" --dry-run --html --inline "$T/nope.png" \
	    b@example.org <"$T/report.html"
	assert_failure 66
	assert_output --partial nope.png
	run_outbox -C "$T/rc" --dry-run --html \
	    --inline "$T/chart.png:bad id" b@example.org <"$T/report.html"
	assert_failure 65
}

@test "HTML in another charset: labelled as given, references kept as written" {
	printf '<p>\xc4\xe3\xba\xc3 caf&eacute; &amp; co</p>\n' >"$T/gbk.html"
	compose --charset=GB18030 --html="$T/gbk.html" bob@example.org </dev/null
	assert_equal "$(j 'd["html"]["charset"]')" gb18030
	assert_equal "$(j 'd["parts"][0]["charset"]')" gb18030
	assert_equal "$(j 'd["parts"][0]["text"].replace("\r\n", "\n")')" \
	    '你好 caf&eacute; & co'
}

@test "--reply-to writes Reply-To; CR or LF in it or in -H is refused with 65" {
	compose --reply-to 'Ops Desk <ops@example.org>, b@example.org' \
	    -H 'X-Report: daily' bob@example.org <<<"x"
	no_defects
	grep -q '^Reply-To: Ops Desk <ops@example.org>, b@example.org' \
	    "$T/out.eml" || fail "$(cat "$T/out.eml")"
	run_outbox -C "$T/rc" --dry-run --reply-to $'a@example.org\r\nBcc: x@evil.example' \
	    b@example.org <<<"x"
	assert_failure 65
	refute_output --partial 'Bcc: x@evil'
	run_outbox -C "$T/rc" --dry-run -H $'X-A: 1\nBcc: x@evil.example' \
	    b@example.org <<<"x"
	assert_failure 65
	run_outbox -C "$T/rc" --dry-run --reply-to 'not an address' \
	    b@example.org <<<"x"
	assert_failure 65
	run_outbox -C "$T/rc" --dry-run --reply-to a@example.org \
	    -H 'Reply-To: b@example.org' b@example.org <<<"x"
	assert_failure 64
}

@test "headers: an IDN domain as A-labels, a UTF-8 local part as raw UTF-8" {
	compose bob@bücher.example <<<"x"
	grep -q '^To: bob@xn--bcher-kva.example' "$T/out.eml" ||
	    fail "$(cat "$T/out.eml")"
	run "$PY" -c 'import sys; sys.stdin.buffer.read().decode("ascii")' \
	    <"$T/out.eml"
	assert_success
	compose 'José <josé@exemple.fr>' <<<"x"
	grep -qi '^To: =?utf-8?.*?= <josé@exemple.fr>.$' "$T/out.eml" ||
	    fail "$(cat "$T/out.eml")"
	assert_equal "$(j 'd["headers"]["to"]')" '[["José", "josé@exemple.fr"]]'
}

@test "a real reader (s-nail) shows the text alternative and the related image" {
	start_smtpd
	write_rc smtp-security=none
	run_outbox -s "Disk report" --html --inline "$T/chart.png" \
	    -a "$T/report.txt" ops@example.org <"$T/report.html"
	assert_success
	"$PY" "$CHECK" "$SMTPD_OUT/1.eml" >"$T/out.json" || fail "mimecheck"
	assert_equal "$(j 'd["structure"]')" \
	    'multipart/mixed(multipart/related(multipart/alternative(text/plain,text/html),image/png),text/plain)'
	run read_with_snail "$SMTPD_OUT/1.eml"
	assert_success
	# The text a text-only reader shows is the plain alternative ...
	assert_output --partial 'All hosts are fine; details on the dashboard <https://ops.example.org/disk?h=all&d=7>.'
	assert_output --partial '- db1: 93% — check soon'
	assert_output --partial 'db1 | 93%'
	# ... never the HTML source, the script or the title.
	refute_output --partial '<h1>'
	refute_output --partial 'var x'
	# The image is part 2 of the related container (#1.1.2), with its id.
	run "$PY" -c 'import re, sys
t = sys.stdin.read()
m = re.search(r"\[-- #1\.1\.2 [^\n]*\n((?:[^\n]+\n)+)", t)
print(m.group(1) if m else "no part #1.1.2:\n" + t)' <<<"$output"
	assert_output --partial 'Content-Type: image/png'
	assert_output --partial 'Content-ID: <chart.png@outbox>'
	assert_output --partial 'Content-Disposition: inline'
}

@test "UTF-8 local part: SMTPUTF8 declared when offered, 65 naming it when not" {
	start_smtpd --smtputf8
	write_rc smtp-security=none
	run_outbox -s intl 'josé@exemple.fr' <<<"hola"
	assert_success
	run json_get "$SMTPD_OUT/1.json" '"SMTPUTF8" in j["mail_options"]'
	assert_output true
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]')" \
	    '["jos\u00e9@exemple.fr"]'
	# An all-ASCII envelope does not declare it, even when offered.
	run_outbox -s plain bob@example.org <<<"hi"
	assert_success
	run json_get "$SMTPD_OUT/2.json" '"SMTPUTF8" in j["mail_options"]'
	assert_output false
	common_teardown
	rm -rf "$SMTPD_OUT"
	start_smtpd
	write_rc smtp-security=none
	run_outbox -s intl 'josé@exemple.fr' <<<"hola"
	assert_failure 65
	assert_output --partial 'josé@exemple.fr'
	[ ! -e "$SMTPD_OUT/1.eml" ] || fail "a message was delivered"
}

@test "an IDN domain is sent as A-labels when SMTPUTF8 is not offered" {
	start_smtpd
	write_rc smtp-security=none
	run_outbox -s idn 'bob@bücher.example' <<<"x"
	assert_success
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]')" \
	    '["bob@xn--bcher-kva.example"]'
	run json_get "$SMTPD_OUT/1.json" '"SMTPUTF8" in j["mail_options"]'
	assert_output false
	# A domain with no A-label form (U+2014 is not allowed) is bad data.
	run_outbox -s idn 'bob@a—b.example' <<<"x"
	assert_failure 65
	assert_output --partial 'bob@a—b.example'
	run_outbox -s idn -b 'bob@a—b.example' c@example.org <<<"x"
	assert_failure 65
	[ ! -e "$SMTPD_OUT/2.eml" ] || fail "a message was delivered"
}

# The MAIL and RCPT lines the fault server got, CR removed.
env_lines() {
	grep -E '^(MAIL|RCPT)' "$FAULT_LOG/transcript.log" | tr -d '\r'
}

@test "an IDN domain with an ASCII local part: A-labels, no SMTPUTF8, even when offered" {
	start_fault 'capa PIPELINING 8BITMIME SIZE 10485760 SMTPUTF8'
	write_rc smtp-security=none from='Renée <renee@exämple.org>'
	run_outbox -s 'idn' 'bob@bücher.example' <<<"x"
	assert_success
	run env_lines
	assert_line --index 0 --regexp '^MAIL FROM:<renee@xn--exmple-cua.org>( |$)'
	assert_line --index 1 'RCPT TO:<bob@xn--bcher-kva.example>'
	refute_output --partial SMTPUTF8
	# A UTF-8 local part still declares it (the second session).
	run_outbox -s 'intl' 'josé@bücher.example' <<<"x"
	assert_success
	run env_lines
	assert_line --index 2 --partial ' SMTPUTF8'
	assert_line --index 3 'RCPT TO:<josé@bücher.example>'
}

@test "-v shows UTF-8 server text as it is, escaping invalid bytes and controls" {
	start_fault 'greeting 220 mail.example ESMTP 欢迎 ready
garbage QUIT 221 \xe5\x86\x8d\xe8\xa7\x81 \xff\x1b[31m bye\r\n'
	write_rc smtp-security=none
	run_outbox_split -v -s x bob@example.org <<<"x"
	assert_success
	[[ $stderr == *'S: 220 mail.example ESMTP 欢迎 ready'* ]] ||
	    fail "greeting not shown as UTF-8: $stderr"
	[[ $stderr == *'S: 221 再见 \377\033[31m bye'* ]] ||
	    fail "invalid byte or control not escaped: $stderr"
}

@test "--json is valid UTF-8 JSON whatever bytes the server's reply holds" {
	start_fault 'capa 8BITMIME SIZE 10485760
garbage RCPT 550 5.1.1 \xe7\x94\xa8\xe6\x88\xb7 \xff\xfe "q" \\ unknown\r\n'
	write_rc smtp-security=none
	run_outbox_split --json -s x bob@example.org <<<"x"
	assert_failure 67
	printf '%s\n' "$output" >"$T/out.json"
	# Strict UTF-8, one object; the reply's UTF-8 kept, other bytes
	# escaped as the terminal shows them.
	run "$PY" -c 'import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))
print(d["refused"][0]["reply"])' "$T/out.json"
	assert_success
	assert_output '550 5.1.1 用户 \377\376 "q" \\ unknown'
}

@test "sendmail: a 1 MiB header folded 330,000 times arrives whole" {
	start_smtpd
	write_rc smtp-security=none
	mkdir -p "$T/bin"
	ln -s "$OUTBOX" "$T/bin/sendmail"
	"$PY" -c 'import sys
sys.stdout.write("From: a@example.org\nTo: b@example.org\nSubject: folds\n"
    "X-Long: a" + "\n a" * 330000 + "\n\nbody\n")' >"$T/msg"
	run timeout 60 "$T/bin/sendmail" -t <"$T/msg"
	assert_success
	run "$PY" -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
v = m["X-Long"]
print(v.count("a"), m["Subject"], m.get_payload().strip())' "$SMTPD_OUT/1.eml"
	assert_output '330001 folds body'
}

@test "sendmail -F in a GB2312 locale: the added From's name converted to UTF-8" {
	mkdir -p "$T/loc" "$T/bin"
	localedef -i zh_CN -f GB2312 "$T/loc/zh_CN.GB2312" ||
	    fail "localedef could not build zh_CN.GB2312"
	start_smtpd
	write_rc smtp-security=none
	ln -s "$OUTBOX" "$T/bin/sendmail"
	printf 'To: bob@example.org\nSubject: x\n\nbody\n' >"$T/msg"
	name=$(printf '计划任务' | iconv -f UTF-8 -t GB2312)
	LOCPATH="$T/loc" LC_ALL=zh_CN.GB2312 run timeout 60 \
	    "$T/bin/sendmail" -F "$name" -f sender@example.org -t <"$T/msg"
	assert_success
	run "$PY" -c 'import email, email.header, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(str(email.header.make_header(email.header.decode_header(m["From"]))))' \
	    "$SMTPD_OUT/1.eml"
	assert_output '计划任务 <sender@example.org>'
	# Bytes that are not GB2312 are refused (65), not mislabelled.
	LOCPATH="$T/loc" LC_ALL=zh_CN.GB2312 run timeout 60 \
	    "$T/bin/sendmail" -F $'\xff\xfe' -f sender@example.org -t <"$T/msg"
	assert_failure 65
	assert_output --partial '-F: not valid GB2312'
}

@test "DSN: NOTIFY, RET and ENVID reach a server that offers DSN" {
	start_fault 'capa PIPELINING 8BITMIME DSN'
	write_rc smtp-security=none
	export OUTBOX_TEST_MESSAGE_ID='<dsn1@example.org>'
	run_outbox --dsn=success,failure --dsn-return=headers -s dsn \
	    a@example.org <<<"x"
	assert_success
	run grep -c '^MAIL FROM:<sender@example.org> RET=HDRS ENVID=' \
	    "$FAULT_LOG/transcript.log"
	assert_output 1
	grep '^MAIL FROM' "$FAULT_LOG/transcript.log" | grep -q 'dsn1' ||
	    fail "no ENVID from the Message-ID: $(cat "$FAULT_LOG/transcript.log")"
	run grep -c '^RCPT TO:<a@example.org> NOTIFY=SUCCESS,FAILURE' \
	    "$FAULT_LOG/transcript.log"
	assert_output 1
	run_outbox --dsn=never --dsn-return=full -s dsn a@example.org <<<"x"
	assert_success
	run grep -c 'NOTIFY=NEVER' "$FAULT_LOG/transcript.log"
	assert_output 1
	run grep -c 'RET=FULL' "$FAULT_LOG/transcript.log"
	assert_output 1
}

@test "DSN not offered: a warning and plain MAIL/RCPT, or 69 with --dsn-required" {
	start_fault 'capa PIPELINING 8BITMIME'
	write_rc smtp-security=none
	run_outbox --dsn=failure -s dsn a@example.org <<<"x"
	assert_success
	assert_output --partial 'warning'
	assert_output --partial 'DSN'
	run grep -c 'NOTIFY=' "$FAULT_LOG/transcript.log"
	assert_output 0
	run_outbox --dsn=failure --dsn-required -s dsn a@example.org <<<"x"
	assert_failure 69
	run_outbox --dsn=sometimes -s dsn a@example.org <<<"x"
	assert_failure 64
	run_outbox --dsn-return=all -s dsn a@example.org <<<"x"
	assert_failure 64
}

# libmagic and libidn2 are loaded when their work comes (src/dynlib.c).
# "mapped NAME" is a password command that writes which of them outbox
# (its nearest outbox ancestor) has mapped to $T/NAME.maps, then gives
# the password.
mapped() {
	cat >"$T/mapped.sh" <<SH
p=\$PPID
while [ "\$p" -gt 1 ] && [ "\$(readlink -f /proc/\$p/exe)" != "$(readlink -f "$OUTBOX")" ]; do
	p=\$(awk '{ print \$4 }' /proc/\$p/stat)
done
[ "\$p" -gt 1 ] || exit 1
grep -oE 'libmagic|libidn2|liblzma|libunistring' /proc/\$p/maps | sort -u |
    tr '\n' ' ' >"$T/\$1.maps"
printf %s '$PASSWORD'
SH
	echo "sh $T/mapped.sh $1"
}

@test "an ASCII message without attachments maps neither libmagic nor libidn2" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$(mapped plain)"
	run_outbox -s plain bob@example.net <<<"x"
	assert_success
	[ -s "$SMTPD_OUT/1.eml" ]
	assert_equal "$(cat "$T/plain.maps")" ""
}

@test "an IDN domain maps libidn2; an attachment's type comes from libmagic in the child only" {
	start_smtpd_tls starttls --auth "alice:$PASSWORD"
	write_rc smtp-security=starttls smtp-user=alice \
	    smtp-password-cmd="$(mapped idn)"
	run_outbox -s idn -a "$T/chart.png" 'bob@bücher.example' <<<"x"
	assert_success
	assert_equal "$(json_get "$SMTPD_OUT/1.json" 'j["rcpt_tos"]')" \
	    '["bob@xn--bcher-kva.example"]'
	grep -q '^Content-Type: image/png' "$SMTPD_OUT/1.eml" ||
	    fail "libmagic did not type the attachment"
	assert_equal "$(cat "$T/idn.maps")" "libidn2 libunistring "
}

@test "a libmagic or libidn2 that cannot be loaded: 78, naming the library and its package" {
	mkdir "$T/lib"
	echo 'not a library' >"$T/lib/libmagic.so.1"
	echo 'not a library' >"$T/lib/libidn2.so.0"
	LD_LIBRARY_PATH="$T/lib" run_outbox -C "$T/rc" -n --dry-run -s x \
	    -a "$T/chart.png" bob@example.net <<<"x"
	assert_failure 78
	assert_output --partial "attachment types need libmagic.so.1 (package libmagic1): "
	LD_LIBRARY_PATH="$T/lib" run_outbox -C "$T/rc" -n --dry-run -s x \
	    'bob@bücher.example' <<<"x"
	assert_failure 78
	assert_output --partial "international domain names need libidn2.so.0 (package libidn2-0): "
	# The libraries are only needed for that work.
	LD_LIBRARY_PATH="$T/lib" run_outbox -C "$T/rc" -n --dry-run -s x \
	    bob@example.net <<<"x"
	assert_success
}
