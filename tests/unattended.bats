#!/usr/bin/env bats
# Unattended use (issue 11): from-rewrite in the sendmail personality,
# the log line of every send (syslog socket, log-file), long lines and
# -E, the system maildrop for local users, and what is kept when a send
# fails.  Servers: aiosmtpd (smtpd.py) and the fault server.

load test_helper

setup_file() {
	common_setup_file
}

setup() {
	common_setup
	BIN="$BATS_TEST_TMPDIR/bin"
	mkdir -p "$BIN"
	ln -s "$OUTBOX" "$BIN/sendmail"
	SM="$BIN/sendmail"
	MSG="$BATS_TEST_TMPDIR/msg"
	# Nothing reaches the machine's own syslog from a test.
	export OUTBOX_TEST_SYSLOG_SOCKET="$BATS_TEST_TMPDIR/no-syslog.sock"
}

teardown() {
	common_teardown
}

run_sm() {
	local in=$1
	shift
	run timeout 60 "$SM" "$@" <"$in"
}

# rc_cron [KEY=VALUE]...: plaintext to the local server as
# alerts@example.org on host01.example.net, root aliased.
rc_cron() {
	write_rc smtp-security=none default-domain=example.org \
	    from='Alerts <alerts@example.org>' hostname=host01.example.net "$@"
	printf 'alias root admin@example.org\n' >>"$HOME/.outboxrc"
}

# cron_msg: the message Debian's cron pipes, its exact header.
cron_msg() {
	printf '%s\n' 'From: root (Cron Daemon)' 'To: root' \
	    'Subject: Cron <root@host01> /usr/local/bin/backup' \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=UTF-8' \
	    'Content-Transfer-Encoding: 8bit' 'X-Cron-Env: <SHELL=/bin/sh>' \
	    'X-Cron-Env: <HOME=/root>' 'X-Cron-Env: <LOGNAME=root>' '' \
	    'backup done' >"$MSG"
}

# hdr FILE NAME: the raw header lines called NAME, CRLF removed.
hdr() {
	grep -i "^$2: " "$1" | tr -d '\r'
}

@test "from-rewrite=local (default): cron's From becomes the account's" {
	start_smtpd
	rc_cron
	cron_msg
	run_sm "$MSG" -FCronDaemon -i -B8BITMIME -oem root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: "root (Cron Daemon) on host01" <alerts@example.org>'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output 'X-Original-From: root (Cron Daemon)'
	run hdr "$SMTPD_OUT/1.eml" Sender
	assert_output ''
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'alerts@example.org'
	run eml_header "$SMTPD_OUT/1.eml" From
	assert_output '"root (Cron Daemon) on host01" <alerts@example.org>'
}

@test "from-rewrite=local: -f root and a From at the host name follow too" {
	start_smtpd
	rc_cron
	printf '%s\n' 'From: MAILER-DAEMON@host01.example.net' 'To: root' \
	    'Subject: bounce' '' 'x' >"$MSG"
	run_sm "$MSG" -i -f root root
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'alerts@example.org'
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: "MAILER-DAEMON@host01.example.net on host01" <alerts@example.org>'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output 'X-Original-From: MAILER-DAEMON@host01.example.net'
}

@test "from-rewrite=local leaves a From with a real domain alone" {
	start_smtpd
	rc_cron
	printf '%s\n' 'From: Bob <bob@other.example>' 'To: root' \
	    'Subject: hi' '' 'x' >"$MSG"
	run_sm "$MSG" -i root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: Bob <bob@other.example>'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output ''
}

@test "from-rewrite=never: cron's From and -f go as they came" {
	start_smtpd
	rc_cron from-rewrite=never
	cron_msg
	run_sm "$MSG" -FCronDaemon -i -B8BITMIME -oem -f root root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: root (Cron Daemon)'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output ''
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'root@example.org'
}

@test "from-rewrite=always: every From, cron's too, is the account's" {
	start_smtpd
	rc_cron from-rewrite=always
	printf '%s\n' 'From: Bob <bob@other.example>' 'To: root' \
	    'Subject: hi' '' 'x' >"$MSG"
	run_sm "$MSG" -i -f bob@other.example root
	assert_success
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: "Bob <bob@other.example>" <alerts@example.org>'
	run hdr "$SMTPD_OUT/1.eml" X-Original-From
	assert_output 'X-Original-From: Bob <bob@other.example>'
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'alerts@example.org'
	cron_msg
	run_sm "$MSG" -FCronDaemon -i -B8BITMIME -oem root
	assert_success
	run hdr "$SMTPD_OUT/2.eml" From
	assert_output 'From: "root (Cron Daemon) on host01" <alerts@example.org>'
}

@test "from-rewrite does not touch the mailx personality's -r" {
	start_smtpd
	rc_cron from-rewrite=always
	run_outbox -s hi -r 'Ops <ops@host01.example.net>' root <<<"body"
	assert_success
	run json_get "$SMTPD_OUT/1.json" 'j["mail_from"]'
	assert_output 'ops@host01.example.net'
	run hdr "$SMTPD_OUT/1.eml" From
	assert_output 'From: Ops <ops@host01.example.net>'
}

@test "from-rewrite: a bad value is a config error with FILE:LINE" {
	PORT=1 rc_cron from-rewrite=sometimes
	cron_msg
	run_sm "$MSG" -i root
	assert_failure 78
	assert_output --regexp "outboxrc:[0-9]+: .*never, local or always"
}
