#!/bin/sh
# smtp.sh — SMTP submission benchmark: outbox beside Debian's msmtp, both
# sending the same message to the local aiosmtpd server (tests/servers/
# smtpd.py) over STARTTLS+AUTH and over implicit TLS+AUTH.
#
# Measures, on the client only: wall and CPU time (median of $BENCH_RUNS
# runs), peak RSS (/usr/bin/time -f %M), request/response round trips
# (strace), and a $BENCH_BIG_MIB MiB attachment sent end to end.
#
# A benchmark, not a test: it always exits 0 and reports what it could.
#
# Environment: OUTBOX (binary, default ./outbox), BENCH_RUNS (20),
# BENCH_BIG_RUNS (3), BENCH_BIG_MIB (50), BENCH_KEEP=1 keeps the work dir.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
OUTBOX=${OUTBOX:-$top/outbox}
case $OUTBOX in /*) ;; *) OUTBOX=$(pwd)/$OUTBOX ;; esac
RUNS=${BENCH_RUNS:-20}
BIG_RUNS=${BENCH_BIG_RUNS:-3}
BIG_MIB=${BENCH_BIG_MIB:-50}
PY=/usr/bin/python3
USER_NAME=bench@example.org
USER_PASS=bench-secret
FROM=bench@example.org
RCPT=sink@example.org

work=$(mktemp -d "${TMPDIR:-/tmp}/outbox-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "(work dir kept: $work)" ||
	    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

note() { printf '%s\n' "$*"; }

# --- helpers in Python (timing with wait4, strace parsing, a server
# without aiosmtpd's 32 MiB DATA limit) -------------------------------

cat >"$work/timeit.py" <<'EOF'
# timeit.py N STDIN CLEANDIR -- CMD...: runs CMD N times with STDIN on
# standard input; prints "ok fails wall_ms cpu_ms maxrss_kib" with the
# medians of wall and user+system CPU time; and the last error line.
import os, statistics, subprocess, sys, time, glob
n, stdin, clean = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmd = sys.argv[5:]
walls, cpus, rss, fails, err = [], [], 0, 0, ""
for _ in range(n):
    with open(stdin, "rb") as inp, open(os.devnull, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=inp, stdout=out, stderr=subprocess.PIPE)
        errtext = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        fails += 1
        lines = errtext.decode("utf-8", "replace").strip().splitlines()
        err = "exit %d: %s" % (p.returncode, lines[-1] if lines else "")
    walls.append((t1 - t0) * 1000)
    cpus.append((ru.ru_utime + ru.ru_stime) * 1000)
    rss = max(rss, ru.ru_maxrss)
    if clean != "-":
        for f in glob.glob(os.path.join(clean, "*.eml")) + \
                 glob.glob(os.path.join(clean, "*.json")):
            os.unlink(f)
print("%d %d %.1f %.1f %d" % (n - fails, fails, statistics.median(walls),
                              statistics.median(cpus), rss))
print(err)
EOF

cat >"$work/rtt.py" <<'EOF'
# rtt.py TRACE: counts request/response round trips in an strace log of
# the client (strace -f -yy): on TCP sockets only, successful sends and
# receives in order; a round trip is each switch from sending to
# receiving data.  Prints "round_trips sends recvs".
import re, sys
SEND = {"write", "sendto", "sendmsg", "writev", "send", "pwrite64"}
RECV = {"read", "recvfrom", "recvmsg", "readv", "recv", "pread64"}
pat = re.compile(r"^(?:\d+\s+)?(\w+)\(\d+<TCP(?:v6)?:\[[^\]]*\]>.*\)\s+=\s+(-?\d+)")
rt = sends = recvs = 0
last = None
for line in open(sys.argv[1], errors="replace"):
    m = pat.match(line)
    if not m or int(m.group(2)) <= 0:
        continue
    call = m.group(1)
    if call in SEND:
        sends += 1
        last = "send"
    elif call in RECV:
        recvs += 1
        if last == "send":
            rt += 1
        last = "recv"
print(rt, sends, recvs)
EOF

cat >"$work/server.py" <<'EOF'
# server.py SMTPD.PY ARGS...: runs the suites' smtpd.py unchanged, but
# without aiosmtpd's default 32 MiB DATA limit (for the big message) and
# offering PIPELINING (RFC 2920), which aiosmtpd handles but does not
# announce, so that both clients may pipeline.
import runpy, sys
import aiosmtpd.smtp as m
_init = m.SMTP.__init__
def init(self, *a, **kw):
    kw["data_size_limit"] = None
    _init(self, *a, **kw)
m.SMTP.__init__ = init
_ehlo = m.SMTP.smtp_EHLO
async def ehlo(self, arg):
    push = self.push
    async def announce(status):
        if status == "250 HELP":
            await push("250-PIPELINING")
        await push(status)
    self.push = announce
    try:
        await _ehlo(self, arg)
    finally:
        del self.push
m.SMTP.smtp_EHLO = ehlo
path = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(path, run_name="__main__")
EOF

cat >"$work/sink.py" <<'SINK'
# sink.py --port-file F --mode starttls|tls --cert C --key K --auth U:P
# A minimal, fast SMTP sink for the benchmark only: threads, blocking
# sockets, PIPELINING, STARTTLS or implicit TLS, AUTH PLAIN/LOGIN; the
# message is read in 64 KiB blocks, counted and thrown away, so the
# server is not what a big message's time measures.
import argparse, base64, os, socket, ssl, threading
p = argparse.ArgumentParser()
for o in ("--port-file", "--mode", "--cert", "--key", "--auth"):
    p.add_argument(o, required=True)
a = p.parse_args()
user, pw = a.auth.split(":", 1)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(a.cert, a.key)

class Conn:
    def __init__(self, s):
        self.s, self.buf, self.out = s, b"", []
    def reply(self, text):
        self.out.append(text.encode() + b"\r\n")
    def flush(self):
        if self.out:
            self.s.sendall(b"".join(self.out))
            self.out = []
    def line(self):
        while b"\n" not in self.buf:
            self.flush()        # nothing more pipelined: answer now
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        return l.rstrip(b"\r").decode("utf-8", "replace")
    def data(self):
        tail, n = b"\r\n", 0
        while True:
            chunk, self.buf = self.buf, b""
            if not chunk:
                chunk = self.s.recv(65536)
                if not chunk:
                    return -1
            s = tail + chunk
            i = s.find(b"\r\n.\r\n")
            if i >= 0:
                self.buf = s[i + 5:]
                return n + i
            n += len(chunk)
            tail = s[-4:]

def check(c, b64):
    try:
        parts = base64.b64decode(b64).split(b"\0")
    except Exception:
        return False
    return parts[1:] == [user.encode(), pw.encode()]

def session(sock):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tls = a.mode == "tls"
    if tls:
        sock = ctx.wrap_socket(sock, server_side=True)
    c = Conn(sock)
    c.reply("220 sink ESMTP")
    while True:
        l = c.line()
        if l is None:
            break
        w = l.split(" ")
        v = w[0].upper()
        if v == "EHLO":
            caps = ["sink", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"]
            if tls:
                caps.append("AUTH PLAIN LOGIN")
            else:
                caps.append("STARTTLS")
            for i, x in enumerate(caps):
                c.reply(("250 " if i == len(caps) - 1 else "250-") + x)
        elif v == "HELO":
            c.reply("250 sink")
        elif v == "STARTTLS" and not tls:
            c.reply("220 2.0.0 go ahead")
            c.flush()
            c.s = ctx.wrap_socket(c.s, server_side=True)
            c.buf, tls = b"", True
        elif v == "AUTH" and len(w) >= 2 and w[1].upper() == "PLAIN":
            if len(w) < 3:
                c.reply("334 ")
                w.append(c.line() or "")
            c.reply("235 2.7.0 ok" if check(c, w[2]) else "535 5.7.8 no")
        elif v == "AUTH" and len(w) >= 2 and w[1].upper() == "LOGIN":
            if len(w) < 3:
                c.reply("334 VXNlcm5hbWU6")
                w.append(c.line() or "")
            c.reply("334 UGFzc3dvcmQ6")
            pw64 = c.line() or ""
            ok = (base64.b64decode(w[2] + "==") == user.encode() and
                  base64.b64decode(pw64 + "==") == pw.encode())
            c.reply("235 2.7.0 ok" if ok else "535 5.7.8 no")
        elif v in ("MAIL", "RCPT", "RSET", "NOOP"):
            c.reply("250 2.0.0 ok")
        elif v == "DATA":
            c.reply("354 go ahead")
            c.flush()
            n = c.data()
            if n < 0:
                break
            c.reply("250 2.0.0 ok: %d octets" % n)
        elif v == "QUIT":
            c.reply("221 2.0.0 bye")
            c.flush()
            break
        else:
            c.reply("500 5.5.1 what")
    try:
        c.s.close()
    except OSError:
        pass

def serve(sock):
    try:
        session(sock)
    except (OSError, ssl.SSLError):
        pass

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(a.port_file + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(a.port_file + ".tmp", a.port_file)
while True:
    s, _ = srv.accept()
    threading.Thread(target=serve, args=(s,), daemon=True).start()
SINK

# --- prerequisites ----------------------------------------------------

have_outbox=1
if [ ! -x "$OUTBOX" ]; then
	note "outbox: no binary at $OUTBOX; only msmtp is measured"
	have_outbox=0
fi
have_msmtp=1
command -v msmtp >/dev/null || { note "msmtp: not installed"; have_msmtp=0; }
have_strace=1
command -v strace >/dev/null || { note "strace: not installed"; have_strace=0; }
if [ ! -f "$top/tests/servers/smtpd.py" ] || [ ! -f "$top/tests/lib/certs.sh" ]; then
	note "smtp bench: tests/servers/smtpd.py or tests/lib/certs.sh missing; skipped"
	exit 0
fi
if ! sh "$top/tests/lib/certs.sh" "$work/certs" >"$work/certs.log" 2>&1 ||
    [ ! -s "$work/certs/ca.pem" ]; then
	note "smtp bench: certs.sh failed; skipped"
	exit 0
fi
CA=$work/certs/ca.pem

# --- servers ------------------------------------------------------------

# start_server KIND MODE: KIND "aio" is the suites' aiosmtpd server (run
# through server.py above), "sink" the fast sink; sets PORT_<KIND>_<MODE>.
start_server() {
	kind=$1 mode=$2
	mkdir -p "$work/srv-$kind-$mode"
	if [ $kind = aio ]; then
		set -- "$work/server.py" "$top/tests/servers/smtpd.py" \
		    --out "$work/srv-$kind-$mode"
	else
		set -- "$work/sink.py"
	fi
	"$PY" "$@" --port-file "$work/port-$kind-$mode" --mode "$mode" \
	    --cert "$work/certs/good.pem" --key "$work/certs/good.key" \
	    --auth "$USER_NAME:$USER_PASS" >"$work/server-$kind-$mode.log" 2>&1 &
	pids="$pids $!"
	i=0
	while [ ! -s "$work/port-$kind-$mode" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$work/port-$kind-$mode" ]; then
		note "smtp bench: the $kind $mode server did not start:"
		sed 's/^/  /' "$work/server-$kind-$mode.log"
		exit 0
	fi
	eval "PORT_${kind}_$mode=\$(cat \"\$work/port-\$kind-\$mode\")"
}
KINDS="aio sink"
for kind in $KINDS; do
	for mode in starttls tls; do
		start_server $kind $mode
	done
done

# --- client configurations --------------------------------------------

for kind in $KINDS; do
for mode in starttls tls; do
	eval "port=\$PORT_${kind}_$mode"
	km=$kind-$mode
	mkdir -p "$work/home-$km"
	umask 077
	cat >"$work/home-$km/.outboxrc" <<EOF
set from=$FROM
set smtp=localhost:$port
set smtp-security=$mode
set tls-ca-file=$CA
set smtp-user=$USER_NAME
set smtp-password=$USER_PASS
EOF
	[ $mode = starttls ] && st=on || st=off
	cat >"$work/msmtprc-$km" <<EOF
defaults
syslog off
logfile
account default
host localhost
port $port
from $FROM
tls on
tls_starttls $st
tls_trust_file $CA
auth plain
user $USER_NAME
password $USER_PASS
EOF
	chmod 600 "$work/home-$km/.outboxrc" "$work/msmtprc-$km"
	umask 022
done
done

# The command lines.  outbox: a temporary HOME, no other config file.
outbox_cmd() { # KIND MODE ARGS...
	m=$1-$2
	shift 2
	echo env -u OUTBOXRC -u XDG_CONFIG_HOME HOME="$work/home-$m" \
	    "$OUTBOX" -n "$@"
}
msmtp_cmd() { echo msmtp -C "$work/msmtprc-$1-$2" "$RCPT"; }

# --- messages -----------------------------------------------------------

printf 'A small message from the benchmark.\nSecond line.\n' >"$work/small.txt"
# msmtp sends what outbox composes; a hand-made one until outbox can.
if [ $have_outbox = 1 ] && env -u OUTBOXRC -u XDG_CONFIG_HOME \
    HOME="$work/home-aio-starttls" "$OUTBOX" -n --dry-run -s "bench" "$RCPT" \
    <"$work/small.txt" >"$work/small.eml" 2>"$work/dry.err" &&
    [ -s "$work/small.eml" ]; then
	small_src="outbox --dry-run"
else
	[ $have_outbox = 1 ] && note "outbox --dry-run failed: $(tail -n 1 "$work/dry.err")"
	printf 'From: %s\r\nTo: %s\r\nSubject: bench\r\nDate: %s\r\nMessage-ID: <bench.%s@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n' \
	    "$FROM" "$RCPT" "$(LC_ALL=C date -R)" "$$" >"$work/small.eml"
	tr '\n' '\r' <"$work/small.txt" | sed 's/\r/\r\n/g' >>"$work/small.eml"
	small_src="hand-made"
fi

# --- measurements -------------------------------------------------------

# measure NAME STDIN CLEANDIR N CMD...: fills R_<NAME>_{ok,fail,wall,cpu,rss,err}
measure() {
	name=$1 stdin=$2 clean=$3 n=$4
	shift 4
	"$PY" "$work/timeit.py" "$n" "$stdin" "$clean" -- "$@" >"$work/t.out" 2>&1
	set -- $(sed -n 1p "$work/t.out")
	eval "R_${name}_ok=\${1:-0} R_${name}_fail=\${2:-?} R_${name}_wall=\${3:-?} R_${name}_cpu=\${4:-?} R_${name}_wrss=\${5:-?}"
	eval "R_${name}_err=\$(sed -n 2p \"\$work/t.out\")"
}

# peak NAME STDIN CMD...: peak RSS by /usr/bin/time -f %M, one run.
peak() {
	name=$1 stdin=$2
	shift 2
	/usr/bin/time -f %M -o "$work/time.out" "$@" <"$stdin" >/dev/null 2>&1
	eval "R_${name}_rss=\$(tail -n 1 \"\$work/time.out\")"
}

# trips NAME STDIN CMD...: round trips seen by strace on the client.
trips() {
	name=$1 stdin=$2
	shift 2
	if [ $have_strace = 0 ]; then
		eval "R_${name}_rt=?"
		return
	fi
	strace -f -qq -yy -s 0 -o "$work/strace.out" \
	    -e trace=read,write,readv,writev,sendto,recvfrom,sendmsg,recvmsg \
	    "$@" <"$stdin" >/dev/null 2>&1
	set -- $("$PY" "$work/rtt.py" "$work/strace.out")
	eval "R_${name}_rt=\${1:-?} R_${name}_sends=\${2:-?} R_${name}_recvs=\${3:-?}"
}

# Baselines: what starting the process costs on this machine.
measure base_true "$work/small.txt" - "$RUNS" /bin/true
[ $have_outbox = 1 ] && measure base_outbox "$work/small.txt" - "$RUNS" "$OUTBOX" --version
[ $have_msmtp = 1 ] && measure base_msmtp "$work/small.txt" - "$RUNS" msmtp --version

clients=""
[ $have_outbox = 1 ] && clients="outbox"
[ $have_msmtp = 1 ] && clients="$clients msmtp"

for kind in $KINDS; do
for mode in starttls tls; do
	for c in $clients; do
		name=${c}_${kind}_$mode
		if [ $c = outbox ]; then
			set -- $(outbox_cmd $kind $mode -s bench "$RCPT")
			in=$work/small.txt
		else
			set -- $(msmtp_cmd $kind $mode)
			in=$work/small.eml
		fi
		# One warm-up run, which also shows whether sending works.
		"$@" <"$in" >/dev/null 2>"$work/warm.err" ||
		    note "warm-up $c $kind $mode: exit $?: $(tail -n 1 "$work/warm.err")"
		measure "$name" "$in" "$work/srv-$kind-$mode" "$RUNS" "$@"
		peak "$name" "$in" "$@"
		trips "$name" "$in" "$@"
	done
done
done

# The big message: outbox composes and sends it; msmtp sends the same
# bytes, composed beforehand by outbox --dry-run.
big_ok=0
if [ $have_outbox = 1 ]; then
	head -c $((BIG_MIB * 1048576)) /dev/urandom >"$work/big.bin"
	if env -u OUTBOXRC -u XDG_CONFIG_HOME HOME="$work/home-aio-tls" \
	    "$OUTBOX" -n --dry-run -s "big" -a "$work/big.bin" "$RCPT" \
	    <"$work/small.txt" >"$work/big.eml" 2>"$work/dry.err"; then
		big_ok=1
	else
		note "outbox --dry-run with a ${BIG_MIB} MiB attachment failed: $(tail -n 1 "$work/dry.err")"
	fi
fi
if [ $big_ok = 1 ]; then
	for kind in $KINDS; do
		out=$work/srv-$kind-tls
		set -- $(outbox_cmd $kind tls -s big -a "$work/big.bin" "$RCPT")
		measure outbox_big_$kind "$work/small.txt" "$out" "$BIG_RUNS" "$@"
		peak outbox_big_$kind "$work/small.txt" "$@"
		rm -f "$out/"*.eml "$out/"*.json
		if [ $have_msmtp = 1 ]; then
			set -- $(msmtp_cmd $kind tls)
			measure msmtp_big_$kind "$work/big.eml" "$out" "$BIG_RUNS" "$@"
			peak msmtp_big_$kind "$work/big.eml" "$@"
			rm -f "$out/"*.eml "$out/"*.json
		fi
	done
	big_bytes=$(wc -c <"$work/big.eml")
fi

# --- report ---------------------------------------------------------------

get() { eval "printf '%s' \"\${R_$1_$2:-?}\""; }

# verdict VALUE OP LIMIT: "ok" or "MISS" (or "" when VALUE is unknown).
verdict() {
	case $1 in ''|'?') return ;; esac
	if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
	    exit !((op == "le" && v + 0 <= l + 0) || (op == "lt" && v + 0 < l + 0)) }'
	then printf 'ok'; else printf 'MISS'; fi
}

servername() { [ $1 = aio ] && echo aiosmtpd || echo sink; }
failure_note() {
	e=$(get $1 err)
	[ -n "$e" ] && [ "$e" != "?" ] && note "    last failure: $e"
}

note ""
note "== SMTP submission: $( [ $have_outbox = 1 ] && "$OUTBOX" -V 2>/dev/null | head -n 1) beside $(msmtp --version 2>/dev/null | head -n 1)"
note "Servers on 127.0.0.1, both with PIPELINING, AUTH PLAIN and certificates from"
note "tests/lib/certs.sh (clients verify them against ca.pem):"
note "  aiosmtpd: tests/servers/smtpd.py (Python aiosmtpd), PIPELINING announced and"
note "            no SIZE limit added by server.py in this script;"
note "  sink:     sink.py in this script, a minimal threaded server that reads DATA in"
note "            64 KiB blocks and discards it, so the server is not what is timed."
note "Small message: $(wc -c <"$work/small.eml") bytes ($small_src); median of $RUNS runs after one warm-up."
note ""
printf '%-24s %-8s %-7s %5s %8s %7s %11s  %s\n' "case" "server" "client" "trips" "wall ms" "cpu ms" "peakRSS KiB" "runs ok"
for mode in starttls tls; do
	[ $mode = starttls ] && label="STARTTLS+AUTH (587)" || label="implicit TLS+AUTH (465)"
	for kind in $KINDS; do
		for c in $clients; do
			n=${c}_${kind}_$mode
			printf '%-24s %-8s %-7s %5s %8s %7s %11s  %s/%s\n' "$label" \
			    "$(servername $kind)" "$c" "$(get $n rt)" "$(get $n wall)" \
			    "$(get $n cpu)" "$(get $n rss)" "$(get $n ok)" "$RUNS"
			failure_note $n
		done
	done
done
note ""
note "Process start alone (median wall / CPU ms): /bin/true $(get base_true wall) / $(get base_true cpu)$(
    [ $have_outbox = 1 ] && printf '; outbox --version %s / %s' "$(get base_outbox wall)" "$(get base_outbox cpu)")$(
    [ $have_msmtp = 1 ] && printf '; msmtp --version %s / %s' "$(get base_msmtp wall)" "$(get base_msmtp cpu)")"
if [ $big_ok = 1 ]; then
	note ""
	note "Big message: a ${BIG_MIB} MiB random attachment, $big_bytes bytes composed; implicit TLS; median of $BIG_RUNS runs."
	printf '%-34s %-8s %9s %8s %11s  %s\n' "case" "server" "wall ms" "cpu ms" "peakRSS KiB" "runs ok"
	for kind in $KINDS; do
		printf '%-34s %-8s %9s %8s %11s  %s/%s\n' "outbox: compose + send" \
		    "$(servername $kind)" "$(get outbox_big_$kind wall)" \
		    "$(get outbox_big_$kind cpu)" "$(get outbox_big_$kind rss)" \
		    "$(get outbox_big_$kind ok)" "$BIG_RUNS"
		failure_note outbox_big_$kind
		[ $have_msmtp = 1 ] || continue
		printf '%-34s %-8s %9s %8s %11s  %s/%s\n' "msmtp: send pre-composed" \
		    "$(servername $kind)" "$(get msmtp_big_$kind wall)" \
		    "$(get msmtp_big_$kind cpu)" "$(get msmtp_big_$kind rss)" \
		    "$(get msmtp_big_$kind ok)" "$BIG_RUNS"
		failure_note msmtp_big_$kind
	done
fi

note ""
note "Goals for outbox (round trips: the same on both servers; times: sink, then aiosmtpd):"
if [ $have_outbox = 1 ]; then
	v=$(get outbox_aio_starttls rt); note "  round trips on 587 <= 7:          $v  $(verdict "$v" le 7)"
	v=$(get outbox_aio_tls rt);      note "  round trips on 465 <= 6:          $v  $(verdict "$v" le 6)"
	for mode in starttls tls; do
		[ $mode = starttls ] && port=587 || port=465
		v=$(get outbox_sink_$mode wall) w=$(get outbox_aio_$mode wall)
		note "  small send ($port) < 30 ms:         $v  $(verdict "$v" lt 30)   (aiosmtpd: $w)"
	done
	if [ $big_ok = 1 ]; then
		v=$(get outbox_big_sink wall) w=$(get outbox_big_aio wall)
		note "  ${BIG_MIB} MiB end to end < 1000 ms:     $v  $(verdict "$v" lt 1000)   (aiosmtpd: $w)"
		v=$(get outbox_big_sink rss)
		note "  ${BIG_MIB} MiB peak RSS < 8192 KiB:     $v  $(verdict "$v" lt 8192)"
	fi
	for n in outbox_aio_starttls outbox_aio_tls outbox_sink_starttls outbox_sink_tls; do
		[ "$(get $n ok)" = "$RUNS" ] && continue
		note "  (outbox did not always send successfully: see the failures above)"
		break
	done
else
	note "  not measured: no outbox binary"
fi
note ""
note "Method: wall time from fork to wait4, CPU = user + system of the client"
note "(from wait4's rusage), peak RSS = /usr/bin/time -f %M of one more run."
note "Round trips: the client runs under strace -f -yy; on TCP sockets only,"
note "successful sends (write, sendto, ...) and receives (read, recvfrom, ...)"
note "are taken in order, and every switch from sending to receiving counts as"
note "one round trip (the TLS handshake's flights included; waiting for the"
note "greeting, with nothing sent before it, is not a switch).  Wall time"
note "includes the server's own latency, the same for both clients."
exit 0
