#!/bin/bash
# fetch.sh — POP3 retrieval benchmark: outbox --fetch beside Debian's mpop
# and fetchmail, each fetching the same Dovecot mailbox over POP3S (kept
# on the server) into a fresh Maildir: $BENCH_SMALL (1000) small messages,
# then one $BENCH_BIG_MIB (50) MiB message.  Wall and CPU seconds and
# peak RSS from /usr/bin/time; round trips are not counted (outbox and
# mpop pipeline, fetchmail does not).
#
# Needs root (the private Dovecot of tests/lib/dovecot.sh).  A
# benchmark, not a test: it always exits 0 and reports what it could.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
OUTBOX=${OUTBOX:-$top/outbox}
case $OUTBOX in /*) ;; *) OUTBOX=$(pwd)/$OUTBOX ;; esac
SMALL=${BENCH_SMALL:-1000}
BIG_MIB=${BENCH_BIG_MIB:-50}
PASSWORD=bench-secret

work=$(mktemp -d "${TMPDIR:-/tmp}/outbox-fetch-bench.XXXXXX")
SERVER_PIDS=()
fail() { echo "fetch.sh: $*"; exit 0; }
cleanup() {
	dovecot_stop
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "(work dir kept: $work)" ||
	    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

. "$top/tests/lib/dovecot.sh"
CERTS=$work/certs
sh "$top/tests/lib/certs.sh" "$CERTS" || fail "no certificates"
DOVECOT_DIR=$work/dovecot
dovecot_pop3_start

fill_small() {
	local md="$DOVECOT_DIR/mail/alice" i
	rm -rf "$md"
	mkdir -p "$md/new" "$md/cur" "$md/tmp"
	for i in $(seq "$SMALL"); do
		printf 'From: a@example.org\nTo: alice@example.org\nSubject: message %d\nMessage-ID: <%d@bench>\n\n%s\n' \
		    "$i" "$i" "Body of message $i, a line or two of text." \
		    >"$md/new/$((1700000000 + i)).M$i.bench"
	done
	chown -R "$DOVECOT_UID:$DOVECOT_GID" "$md"
}

fill_big() {
	local md="$DOVECOT_DIR/mail/alice"
	rm -rf "$md"
	mkdir -p "$md/new" "$md/cur" "$md/tmp"
	{
		printf 'From: a@example.org\nSubject: big\n\n'
		head -c $((BIG_MIB * 1024 * 1024 * 3 / 4)) /dev/urandom |
		    base64 -w 76
	} >"$md/new/1700000000.M1.bench"
	chown -R "$DOVECOT_UID:$DOVECOT_GID" "$md"
}

setup_clients() {
	export HOME=$work/home XDG_STATE_HOME=$work/state-outbox
	mkdir -p "$HOME"
	cat >"$HOME/.outboxrc" <<EOF
set pop3="pop3s://alice@localhost:$POP3S_PORT"
set pop3-password="$PASSWORD"
set pop3-auth=plain
set tls-ca-file="$CERTS/ca.pem"
set fetch-to="$work/md-outbox"
EOF
	chmod 600 "$HOME/.outboxrc"
	cat >"$work/mpoprc" <<EOF
account default
host localhost
port $POP3S_PORT
tls on
tls_starttls off
tls_trust_file $CERTS/ca.pem
auth plain
user alice
password $PASSWORD
keep on
delivery maildir $work/md-mpop
uidls_file $work/state-mpop/uidls
EOF
	chmod 600 "$work/mpoprc"
	cat >"$work/fetchmailrc" <<EOF
set no syslog
poll localhost port $POP3S_PORT proto pop3 auth password
  user alice password "$PASSWORD" ssl sslcertfile $CERTS/ca.pem sslcertck
  keep fetchall
  mda "/bin/sh -c 'f=$work/md-fetchmail/tmp/\$\$; cat >\$f && mv \$f $work/md-fetchmail/new/'"
EOF
	chmod 600 "$work/fetchmailrc"
}

clients() {
	run outbox "$OUTBOX" --fetch
	if command -v mpop >/dev/null; then
		run mpop mpop -C "$work/mpoprc" -q
	else
		echo "  mpop: not installed"
	fi
	if command -v fetchmail >/dev/null; then
		run fetchmail env FETCHMAILHOME="$work" fetchmail -f \
		    "$work/fetchmailrc" -s --nosoftbounce
	else
		echo "  fetchmail: not installed"
	fi
}

# run NAME CMD...: one timed run into a fresh $work/md-NAME.
run() {
	local name=$1
	shift
	local cmd=("$@")
	rm -rf "$work/md-$name" "$work/state-$name"
	mkdir -p "$work/md-$name/new" "$work/md-$name/cur" \
	    "$work/md-$name/tmp" "$work/state-$name"
	/usr/bin/time -f 'TIME %e %U %S %M' "$@" \
	    >"$work/$name.out" 2>"$work/$name.err"
	set -- $(grep '^TIME' "$work/$name.err" | tail -n 1)
	local sends="?"
	# Round trips, bounded above by the sends to the server: a second,
	# untimed run under strace, counting writes to a TCP socket.
	if command -v strace >/dev/null; then
		rm -rf "$work/md-$name" "$work/state-$name"
		mkdir -p "$work/md-$name/new" "$work/md-$name/cur" \
		    "$work/md-$name/tmp" "$work/state-$name"
		strace -f -qq -y -e trace=write,sendto,sendmsg \
		    -o "$work/$name.st" "${cmd[@]}" >/dev/null 2>&1
		sends=$(grep -c '(\([0-9]*\)<\(TCP\|socket\)' "$work/$name.st")
	fi
	eval "W_$name=\${2:-}" "M_$name=\${5:-}"
	printf '  %-10s wall %6ss  cpu %6.2fs  rss %6s KiB  sends %5s  files %s\n' \
	    "$name" "${2:-?}" "$(echo "${3:-0} ${4:-0}" |
	    awk '{print $1 + $2}')" "${5:-?}" "$sends" \
	    "$(ls "$work/md-$name/new" | wc -l)"
}

setup_clients
echo "$SMALL small messages over POP3S, kept on the server:"
fill_small
clients
small_w_outbox=${W_outbox:-} small_w_mpop=${W_mpop:-}
small_m_outbox=${M_outbox:-}
echo "one $BIG_MIB MiB message over POP3S:"
fill_big
clients
# Goals (issue 13): the small messages in no more than mpop's time; peak
# RSS under 8 MiB, for the small ones and the big one alike.
verdict() { if [ "$1" = 1 ]; then echo met; else echo MISSED; fi; }
if [ -n "$small_w_outbox" ] && [ -n "$small_w_mpop" ]; then
	echo "goals (issue 13), outbox:"
	echo "  $SMALL small: ${small_w_outbox} s vs mpop ${small_w_mpop} s (<=):" \
	    "$(verdict "$(echo "$small_w_outbox $small_w_mpop" |
	    awk '{ print ($1 <= $2) }')")"
	echo "  peak RSS: $small_m_outbox KiB small, ${M_outbox:-?} KiB big" \
	    "(< 8192): $(verdict "$(echo "$small_m_outbox ${M_outbox:-99999}" |
	    awk '{ print ($1 < 8192 && $2 < 8192) }')")"
fi
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"
exit 0
