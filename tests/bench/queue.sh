#!/bin/sh
# queue.sh — the queue flush benchmark: 1000 small queued messages sent by
# one "outbox --flush" (one connection, RSET between messages), beside
# 1000 separate sends by outbox and by msmtp, all to the same local
# aiosmtpd server (tests/servers/smtpd.py) over STARTTLS + AUTH PLAIN.
# Reports messages per second.  Goal: the flush at least 5x faster than
# the 1000 msmtp runs.
#
# A benchmark, not a test: it always exits 0 and reports what it could.
# Environment: OUTBOX (binary, default ./outbox), BENCH_QUEUE_N (1000),
# BENCH_KEEP=1 keeps the work dir.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
OUTBOX=${OUTBOX:-$top/outbox}
case $OUTBOX in /*) ;; *) OUTBOX=$(pwd)/$OUTBOX ;; esac
N=${BENCH_QUEUE_N:-1000}
PY=/usr/bin/python3
RCPT=sink@example.org
FROM=bench@example.org

[ -x "$OUTBOX" ] || { echo "queue bench: no outbox binary at $OUTBOX"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/outbox-qbench.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "(work dir kept: $work)" ||
	    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

sh "$top/tests/lib/certs.sh" "$work/certs" >/dev/null 2>&1
"$PY" "$top/tests/servers/smtpd.py" --port-file "$work/port" \
    --out "$work/srv" --mode starttls --cert "$work/certs/good.pem" \
    --key "$work/certs/good.key" --auth "$FROM:secret" \
    >"$work/server.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$work/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$work/port" ] || { echo "queue bench: the server did not start"; exit 0; }
port=$(cat "$work/port")

umask 077
mkdir -p "$work/home"
cat >"$work/home/.outboxrc" <<EOF
set from=$FROM
set smtp=localhost:$port
set smtp-security=starttls
set tls-ca-file=$work/certs/ca.pem
set smtp-user=$FROM
set smtp-password=secret
set queue-dir=$work/queue
EOF
cat >"$work/msmtprc" <<EOF
account default
host localhost
port $port
from $FROM
tls on
tls_starttls on
tls_trust_file $work/certs/ca.pem
auth plain
user $FROM
password secret
syslog off
EOF
umask 022
ob() { env -u OUTBOXRC -u XDG_CONFIG_HOME HOME="$work/home" "$OUTBOX" -n "$@"; }
printf 'A small queued message.\n' >"$work/body"
ob --dry-run -s bench "$RCPT" <"$work/body" >"$work/small.eml" 2>/dev/null

now() { "$PY" -c 'import time; print(time.monotonic())'; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
count() { find "$work/srv" -name '*.eml' 2>/dev/null | wc -l; }

# Fill the queue (not timed).
i=0
while [ $i -lt "$N" ]; do
	ob --queue -s "q$i" "$RCPT" <"$work/body" 2>/dev/null
	i=$((i + 1))
done
queued=$(find "$work/queue" -maxdepth 1 -name '*.env' | wc -l)

before=$(count)
t0=$(now)
ob --flush --now 2>"$work/flush.err"
t1=$(now)
flushed=$(($(count) - before))
left=$(find "$work/queue" -maxdepth 1 -name '*.env' | wc -l)
r_flush=$(rate "$flushed" "$t0" "$t1")

before=$(count)
t0=$(now)
i=0
while [ $i -lt "$N" ]; do
	ob -s "s$i" "$RCPT" <"$work/body" 2>/dev/null
	i=$((i + 1))
done
t1=$(now)
r_outbox=$(rate "$(($(count) - before))" "$t0" "$t1")

r_msmtp="?"
if command -v msmtp >/dev/null 2>&1; then
	before=$(count)
	t0=$(now)
	i=0
	while [ $i -lt "$N" ]; do
		msmtp -C "$work/msmtprc" "$RCPT" <"$work/small.eml" 2>/dev/null
		i=$((i + 1))
	done
	t1=$(now)
	r_msmtp=$(rate "$(($(count) - before))" "$t0" "$t1")
fi

echo "Server: tests/servers/smtpd.py (aiosmtpd) on 127.0.0.1, STARTTLS + AUTH PLAIN."
echo "$N small messages ($(wc -c <"$work/small.eml") bytes); messages per second (higher is better):"
printf '  %-44s %8s msg/s  (%s of %s queued sent, %s left)\n' \
    "outbox --flush, one connection, RSET between" "$r_flush" "$flushed" "$queued" "$left"
printf '  %-44s %8s msg/s\n' "$N separate outbox runs" "$r_outbox"
printf '  %-44s %8s msg/s\n' "$N separate msmtp runs" "$r_msmtp"
if [ "$r_msmtp" != "?" ]; then
	x=$(awk -v a="$r_flush" -v b="$r_msmtp" 'BEGIN { printf "%.1f", a / b }')
	v=$(awk -v x="$x" 'BEGIN { print (x >= 5) ? "ok" : "MISS" }')
	echo "  goal: flush >= 5x msmtp: ${x}x  $v"
fi
[ -s "$work/flush.err" ] && echo "  flush said: $(tail -n 1 "$work/flush.err")"
exit 0
