#!/bin/sh
# postfix.sh — outbox against a real Postfix (issue 12), beside Debian's
# msmtp, s-nail and curl doing the same work: a private Postfix 3 with
# SASL through a private Dovecot (tests/lib/postfix.sh, dovecot.sh),
# submission with STARTTLS ("587") and implicit TLS ("465") on loopback
# high ports, accepted mail discarded (POSTFIX_DELIVERY=discard) so that
# delivery work does not disturb the clients' figures.
#
#   small send: 3 recipients, AUTH PLAIN, $BENCH_RUNS runs (21): wall
#               median (min-max), runs over 30 ms (delayed-ACK stalls
#               are 40 ms), CPU, peak RSS, round trips (strace)
#   100 sends in a row (BENCH_ROW): total wall
#   a $BENCH_BIG_MIB MiB attachment (50), median of $BENCH_BIG_RUNS (3):
#               outbox and s-nail attach the file; msmtp and curl send
#               the message outbox composed, and so does outbox's
#               sendmail personality (a line under the table); and
#               the CPU Postfix's smtpd and cleanup spent per message
#   queue flush: 100 and $BENCH_QUEUE_N (1000) queued small messages
#               sent by one "outbox --flush" over one connection: msg/s
#               and peak RSS of that run; and the 1000 again with
#               outbox's queue on tmpfs
# One table, with each other client's figure as a ratio to outbox's.
# Goals (issue 12): small send median <= 15 ms and no run over 30 ms on
# both ports; 100 in a row <= 1.6 s; flush >= 500 msg/s, RSS flat.
#
# A benchmark, not a test: it always exits 0 and reports what it could.
# Needs root (Postfix's master).  BENCH_KEEP=1 keeps the work directory.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
OUTBOX=${OUTBOX:-$top/outbox}
case $OUTBOX in /*) ;; *) OUTBOX=$(pwd)/$OUTBOX ;; esac
RUNS=${BENCH_RUNS:-21}
ROW=${BENCH_ROW:-100}
BIG_MIB=${BENCH_BIG_MIB:-50}
QN=${BENCH_QUEUE_N:-1000}
PY=/usr/bin/python3
M="$PY $top/tests/bench/measure.py"
RCPTS="one@example.com two@example.net three@example.org"

[ -x "$OUTBOX" ] || { echo "postfix bench: no outbox binary at $OUTBOX"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "postfix bench: needs root (Postfix); skipped"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/outbox-pfbench.XXXXXX")
# Every client names its configuration (outbox and msmtp -C, s-nail -:/,
# curl on its command line); HOME is the work directory so none of them
# reads or writes the caller's home.
export HOME="$work"
# The servers' directories (Postfix's queue, which it fsyncs for every
# message) go on tmpfs when there is one: the server's disk is not what
# this measures.  outbox's own queue stays on $work's file system.
srv=$work/servers
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	srv=$(mktemp -d /dev/shm/outbox-pfbench.XXXXXX) || srv=$work/servers
fi
cleanup() {
	postfix_stop 2>/dev/null
	dovecot_stop 2>/dev/null
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "(work dir kept: $work $srv)" ||
	    rm -rf "$work" "$srv"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

. "$top/tests/lib/dovecot.sh"
. "$top/tests/lib/postfix.sh"
sh "$top/tests/lib/certs.sh" "$work/certs" >/dev/null 2>&1
CA=$work/certs/ca.pem
POSTFIX_DELIVERY=discard
if ! { dovecot_setup "$srv/dovecot" "$work/certs" && dovecot_start &&
    postfix_setup "$srv/postfix" "$work/certs" && postfix_start; } \
    >"$work/servers.log" 2>&1; then
	echo "postfix bench: the servers did not start:"
	sed 's/^/  /' "$work/servers.log"
	exit 0
fi
U=$DOVECOT_SUBMIT_USER P=$DOVECOT_SUBMIT_PASS
QDIR=$POSTFIX_DIR/queue
echo "Server: Postfix $(postconf -c "$POSTFIX_CONF" -h mail_version 2>/dev/null), SASL via" \
    "Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1); mail discarded;" \
    "server dirs in $srv."
echo "outbox's queue: $work ($(df -PT "$work" 2>/dev/null | awk 'NR == 2 { print $2 }'))"
echo "Clients: outbox, msmtp $(msmtp --version 2>/dev/null | sed -n '1s/.* //p')," \
    "s-nail $(s-nail -:/ -Xversion -Xx 2>/dev/null | sed -n '1s/.*v\([0-9.]*\).*/\1/p')," \
    "curl $(curl --version 2>/dev/null | sed -n '1s/^curl \([^ ]*\).*/\1/p')"

# --- client configurations, per port -------------------------------------
for p in 587 465; do
	if [ $p = 587 ]; then
		port=$POSTFIX_SUBMISSION_PORT sec=starttls st=on
	else
		port=$POSTFIX_SUBMISSIONS_PORT sec=tls st=off
	fi
	eval "PORT_$p=$port"
	mkdir -p "$work/home-$p"
	umask 077
	cat >"$work/home-$p/.outboxrc" <<EOF
set from=$U
set smtp=localhost:$port
set smtp-security=$sec
set smtp-auth=plain
set tls-ca-file=$CA
set smtp-user=$U
set smtp-password=$P
set queue-dir=$work/queue-$p
EOF
	cat >"$work/msmtprc-$p" <<EOF
defaults
syslog off
account default
host localhost
port $port
from $U
tls on
tls_starttls $st
tls_trust_file $CA
auth plain
user $U
password $P
EOF
	umask 022
done

# outbox with its rc file named, as msmtp's -C: no env(1) exec in front
# of it to count in its time (-n: not /etc/outboxrc).
ob() { # PORT ARGS...
	_p=$1
	shift
	echo "$OUTBOX" -n -C "$work/home-$_p/.outboxrc" "$@"
}
msmtp_cmd() { echo msmtp -C "$work/msmtprc-$1" $RCPTS; }
snail_cmd() { # PORT ARGS...
	_p=$1
	shift
	if [ $_p = 587 ]; then
		_url="smtp://sender%40example.org:$P@localhost:$PORT_587"
		_st="-S smtp-use-starttls"
	else
		_url="smtps://sender%40example.org:$P@localhost:$PORT_465"
		_st=""
	fi
	echo s-nail -:/ -# -S v15-compat -S ttycharset=utf-8 \
	    -S mta="$_url" $_st -S smtp-auth=plain -S tls-ca-file="$CA" \
	    -S tls-ca-no-defaults -S from="$U" "$@"
}
curl_cmd() { # PORT
	if [ $1 = 587 ]; then
		_url="smtp://localhost:$PORT_587" _st=--ssl-reqd
	else
		_url="smtps://localhost:$PORT_465" _st=""
	fi
	_r=""
	for _x in $RCPTS; do _r="$_r --mail-rcpt $_x"; done
	echo curl -sS $_st --url "$_url" --cacert "$CA" --user "$U:$P" \
	    --mail-from "$U" $_r -T -
}

# --- messages --------------------------------------------------------------
printf 'A small message from the benchmark.\nSecond line.\n' >"$work/small.txt"
$(ob 587 --dry-run -s bench $RCPTS) <"$work/small.txt" >"$work/small.eml"
head -c $((BIG_MIB * 1024 * 1024)) /dev/urandom >"$work/big.bin"
$(ob 587 --dry-run -s big -a "$work/big.bin" $RCPTS) <"$work/small.txt" \
    >"$work/big.eml"

settle() { $M wait-empty "$QDIR" 60; }

# run KEY N STDIN CMD...: measure.py runs, results in R_<KEY>_<field>.
run() {
	_k=$1 _n=$2 _in=$3
	shift 3
	settle
	# RUN_ENV: settings for the clients, given to measure.py (which
	# passes its environment on), so no env(1) runs inside the timing.
	env ${RUN_ENV:-} TMPDIR="$work" $M runs "$_n" "$_in" -- "$@" \
	    >"$work/r.out" 2>&1
	for _kv in $(sed -n '1s/ err=.*//p' "$work/r.out"); do
		eval "R_${_k}_${_kv%%=*}=${_kv#*=}"
	done
	_e=$(sed -n '1s/.* err=//p' "$work/r.out")
	[ "$_e" = "''" ] || eval "R_${_k}_err=$_e"
}
# trips KEY STDIN CMD...: round trips of one run under strace.
trips() {
	_k=$1 _in=$2
	shift 2
	settle
	if command -v strace >/dev/null; then
		strace -f -yy -o "$work/st.log" "$@" <"$_in" >/dev/null 2>&1
		eval "R_${_k}_trips=$($M trips "$work/st.log")"
	fi
}

# srv_snap FILE: "pid comm ticks" of each child of Postfix's master
# (smtpd, cleanup...).  They live on across sessions here (max_use).
# srv_cpu NAME A B: the CPU, in ms, that NAME processes spent between
# snapshots A and B, a process at a time (one that exited meanwhile is
# not counted; one that started is counted whole).
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
srv_snap() {
	_m=$(postfix_master_pid 2>/dev/null)
	for _s in /proc/[0-9]*/stat; do
		cat "$_s" 2>/dev/null
	done | awk -v m="$_m" '
		# comm (field 2) has no space for these processes
		$4 == m { print $1, $2, $14 + $15 }' >"$1"
}
srv_cpu() {
	awk -v n="($1)" -v hz="$HZ" 'NR == FNR { a[$1] = $3; next }
		$2 == n { t += $3 - a[$1] }
		END { printf "%d\n", t * 1000 / hz }' "$2" "$3"
}
# bigrun KEY N STDIN CMD...: run, plus the server's CPU per message
bigrun() {
	_bk=$1 _bn=$2
	srv_snap "$work/cpu.a"
	run "$@"
	srv_snap "$work/cpu.b"
	for _c in smtpd cleanup; do
		eval "R_${_bk}_$_c=$(( $(srv_cpu $_c "$work/cpu.a" "$work/cpu.b") / _bn ))"
	done
}

CLIENTS=${BENCH_CLIENTS-outbox msmtp snail curl}
for p in 587 465; do
	for c in $CLIENTS; do
		case $c in
		outbox) cmd=$(ob $p -s bench $RCPTS) in=$work/small.txt
			big=$(ob $p -s big -a "$work/big.bin" $RCPTS)
			bigin=$work/small.txt ;;
		msmtp) cmd=$(msmtp_cmd $p) in=$work/small.eml
			big=$cmd bigin=$work/big.eml ;;
		snail) cmd=$(snail_cmd $p -s bench $RCPTS) in=$work/small.txt
			big=$(snail_cmd $p -s big -a "$work/big.bin" $RCPTS)
			bigin=$work/small.txt ;;
		curl) cmd=$(curl_cmd $p) in=$work/small.eml
			big=$cmd bigin=$work/big.eml ;;
		esac
		bin=$c
		[ $c = snail ] && bin=s-nail
		[ $c = outbox ] && bin=$OUTBOX
		command -v $bin >/dev/null 2>&1 || continue
		run ${c}_${p}_small "$RUNS" "$in" $cmd
		run ${c}_${p}_row "$ROW" "$in" $cmd
		trips ${c}_${p} "$in" $cmd
		bigrun ${c}_${p}_big "${BENCH_BIG_RUNS:-3}" "$bigin" $big
	done
	# The same pre-built message msmtp and curl send, through outbox's
	# sendmail personality (no composing).
	if [ -L "$work/sendmail" ] || ln -s "$OUTBOX" "$work/sendmail"; then
		RUN_ENV="OUTBOXRC=$work/home-$p/.outboxrc OUTBOX_SYSTEM_RC=/nonexistent"
		bigrun sm_${p}_big "${BENCH_BIG_RUNS:-3}" "$work/big.eml" \
		    "$work/sendmail" -i $RCPTS
		RUN_ENV=
	fi
done

# --- queue flush -----------------------------------------------------------
# A second outbox home whose queue is on the servers' tmpfs: the same
# flush without outbox's own file-system work (per message a chmod, two
# unlinks made by remover threads, a directory fsync per 64) shows what
# that costs.
mkdir -p "$work/home-shm"
sed "s|^set queue-dir=.*|set queue-dir=$srv/outbox-queue|" \
    "$work/home-587/.outboxrc" >"$work/home-shm/.outboxrc"
chmod 600 "$work/home-shm/.outboxrc"
flush() { # N HOME-KEY QUEUE-DIR: fills the queue, flushes it, timed
	rm -rf "$3"
	_i=0
	while [ $_i -lt "$1" ]; do
		$(ob $2 --queue -s "q$_i" one@example.com) <"$work/small.txt" \
		    2>/dev/null
		_i=$((_i + 1))
	done
	_q=$(find "$3" -maxdepth 1 -name '*.env' | wc -l)
	settle
	for _kv in $(TMPDIR=$work $M once /dev/null -- $(ob $2 --flush --now)); do
		eval "R_flush$1$2_${_kv%%=*}=${_kv#*=}"
	done
	_left=$(find "$3" -maxdepth 1 -name '*.env' | wc -l)
	eval "R_flush$1$2_sent=$((_q - _left))"
}
flush 100 587 "$work/queue-587"
flush "$QN" 587 "$work/queue-587"
[ "$srv" != "$work/servers" ] && flush "$QN" shm "$srv/outbox-queue"

# --- the table ---------------------------------------------------------------
g() { eval "echo \${R_$1:-?}"; }
# row LABEL FIELD SCALE FMT: one figure per client, others as x outbox
row() {
	_l=$1 _f=$2 _s=$3 _fmt=$4
	printf '%-34s' "$_l"
	_base=$(g "outbox_$_f")
	for c in $CLIENTS; do
		_v=$(g "${c}_$_f")
		awk -v v="$_v" -v b="$_base" -v s="$_s" -v f="$_fmt" -v c="$c" 'BEGIN {
			if (v == "?") { printf " %16s", "-"; exit }
			x = sprintf(f, v / s)
			if (c != "outbox" && b != "?" && b + 0 > 0)
				x = x sprintf(" (%.1fx)", v / b)
			printf " %16s", x
		}'
	done
	echo
}
echo
printf '%-34s %16s %16s %16s %16s\n' "" outbox msmtp s-nail curl
for p in 587 465; do
	row "small $p: wall median, ms" ${p}_small_median 1 %.1f
	row "small $p: wall min, ms" ${p}_small_min 1 %.1f
	row "small $p: wall max, ms" ${p}_small_max 1 %.1f
	row "small $p: runs over 30 ms, of $RUNS" ${p}_small_over30 1 %d
	row "small $p: CPU median, ms" ${p}_small_cpu 1 %.1f
	row "small $p: peak RSS, MiB" ${p}_small_rss 1024 %.1f
	row "small $p: round trips" ${p}_trips 1 %d
	row "$ROW in a row $p: total, s" ${p}_row_total 1000 %.2f
	row "$ROW in a row $p: runs over 30 ms" ${p}_row_over30 1 %d
	row "$BIG_MIB MiB $p: wall, s" ${p}_big_median 1000 %.2f
	row "$BIG_MIB MiB $p: peak RSS, MiB" ${p}_big_rss 1024 %.1f
	row "$BIG_MIB MiB $p: Postfix smtpd CPU, s" ${p}_big_smtpd 1000 %.2f
	row "$BIG_MIB MiB $p: Postfix cleanup CPU, s" ${p}_big_cleanup 1000 %.2f
done
echo "(smtpd reads the message a byte at a time and answers only after the"
echo " last one: its CPU for the message is a floor under every client's wall)"
for p in 587 465; do
	[ "$(g sm_${p}_big_median)" = "?" ] && continue
	awk -v p="$p" -v n="$BIG_MIB" -v v="$(g sm_${p}_big_median)" \
	    -v r="$(g sm_${p}_big_rss)" -v e="$(g sm_${p}_big_err)" \
	    -v sd="$(g sm_${p}_big_smtpd)" 'BEGIN {
		printf "%d MiB %s, the pre-built message through outbox as sendmail: %.2f s, peak RSS %.1f MiB, Postfix smtpd CPU %.2f s%s\n",
		    n, p, v / 1000, r / 1024, sd / 1000, (e == "?" ? "" : "; failed: " e) }'
done
for c in $CLIENTS; do
	for k in small row big; do
		for p in 587 465; do
			e=$(g "${c}_${p}_${k}_err")
			[ "$e" = "?" ] || echo "  $c $p $k: $(g "${c}_${p}_${k}_fail") failed; last: $e"
		done
	done
done

echo
echo "queue flush over one connection (587):"
for nk in 100:587 "$QN":587 "$QN":shm; do
	n=${nk%:*} k=${nk#*:}
	[ "$(g flush$n${k}_total)" = "?" ] && continue
	[ $k = shm ] && where="outbox's queue on tmpfs" || where="outbox's queue on disk"
	awk -v n="$n" -v s="$(g flush$n${k}_sent)" -v t="$(g flush$n${k}_total)" \
	    -v r="$(g flush$n${k}_rss)" -v w="$where" 'BEGIN {
		printf "  %5d queued (%s): %5s sent in %6.2f s = %7.1f msg/s, peak RSS %.1f MiB\n",
		    n, w, s, t / 1000, (t > 0 ? s / (t / 1000) : 0), r / 1024 }'
done

echo
echo "goals (issue 12), outbox:"
for p in 587 465; do
	[ "$(g outbox_${p}_small_median)" = "?" ] && continue
	awk -v p="$p" -v med="$(g outbox_${p}_small_median)" \
	    -v mx="$(g outbox_${p}_small_max)" -v row="$(g outbox_${p}_row_total)" \
	    -v n="$ROW" 'BEGIN {
		printf "  %s: small median %.1f ms (<= 15): %s; max %.1f ms (<= 30): %s; %d in a row %.2f s (<= 1.6): %s\n",
		    p, med, (med <= 15 ? "met" : "MISSED"), mx,
		    (mx <= 30 ? "met" : "MISSED"), n, row / 1000,
		    (row <= 1600 ? "met" : "MISSED") }'
done
awk -v s="$(g flush${QN}587_sent)" -v t="$(g flush${QN}587_total)" \
    -v r1="$(g flush100587_rss)" -v r2="$(g flush${QN}587_rss)" -v n="$QN" 'BEGIN {
	rate = t > 0 ? s / (t / 1000) : 0
	printf "  flush %d: %.0f msg/s (>= 500): %s; peak RSS %d KiB at 100, %d KiB at %d (flat: within 10%%): %s\n",
	    n, rate, (rate >= 500 ? "met" : "MISSED"), r1, r2, n,
	    (r2 <= r1 * 1.1) ? "met" : "MISSED" }'
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); the machine is shared, so"
echo " wall figures vary with what else runs)"
exit 0
