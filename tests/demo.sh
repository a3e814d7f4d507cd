#!/bin/sh
# demo.sh — outbox end to end on this machine, touching none of your files:
# a throwaway CA and certificate, a local SMTP server (aiosmtpd) with
# STARTTLS and AUTH, a temporary config, one message with an attachment,
# and what the server received.  Run by "make demo" from the top of the
# tree; the binary is ${OUTBOX:-./outbox}.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
OUTBOX=${OUTBOX:-./outbox}
case $OUTBOX in /*) ;; *) OUTBOX=$(pwd)/$OUTBOX ;; esac
PY=/usr/bin/python3
[ -x "$OUTBOX" ] || { echo "demo: no binary at $OUTBOX (make outbox)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/outbox-demo.XXXXXX")
server=
cleanup() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== certificates (throwaway CA) in $work/certs"
sh "$top/tests/lib/certs.sh" "$work/certs"

password=demo-$$-secret
"$PY" "$top/tests/servers/smtpd.py" --port-file "$work/port" \
    --out "$work/received" --mode starttls \
    --cert "$work/certs/good.pem" --key "$work/certs/good.key" \
    --auth "demo:$password" --require-auth \
    </dev/null >"$work/server.log" 2>&1 &
server=$!
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$server" 2>/dev/null; then
		echo "demo: the test server did not start:" >&2
		cat "$work/server.log" >&2
		exit 1
	fi
	sleep 0.1
done
port=$(cat "$work/port")
echo "== SMTP server (STARTTLS required, AUTH) on localhost:$port"

mkdir -p "$work/home"
umask 077
cat >"$work/home/.outboxrc" <<RC
set from="Demo Sender <demo@example.org>"
set smtp=localhost:$port
set smtp-security=starttls
set smtp-user=demo
set smtp-password=$password
set tls-ca-file=$work/certs/ca.pem
set timeout=10
RC
chmod 600 "$work/home/.outboxrc"

printf 'outbox demo attachment\n' >"$work/notes.txt"
# A small chart as a real PNG (a gradient), made here with zlib.
"$PY" - "$work/chart.png" <<'PY'
import struct, sys, zlib
w, h = 64, 32
rows = b"".join(b"\0" + bytes(v for x in range(w) for v in (x * 4, y * 8, 160))
                for y in range(h))
def chunk(kind, data):
    c = kind + data
    return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))
png = (b"\x89PNG\r\n\x1a\n" +
       chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY

echo "== sending: outbox -s 'outbox demo' -a notes.txt -a chart.png you@example.net"
printf 'Hello from outbox.\nThis message came through STARTTLS and AUTH.\n' |
    HOME=$work/home OUTBOX_SYSTEM_RC=/nonexistent \
    "$OUTBOX" -s "outbox demo" -a "$work/notes.txt" -a "$work/chart.png" \
    you@example.net
echo "   exit status 0"

msg=$work/received/1.eml
[ -s "$msg" ] || { echo "demo: the server received nothing" >&2; exit 1; }
echo "== what the server received"
"$PY" - "$msg" "$work/received/1.json" <<'PY'
import email, email.policy, hashlib, json, sys
meta = json.load(open(sys.argv[2]))
print("envelope: MAIL FROM:<%s> RCPT TO:%s  (authenticated as %s, %d bytes)"
      % (meta["mail_from"], ", ".join("<%s>" % r for r in meta["rcpt_tos"]),
         meta["auth_user"], meta["size"]))
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
print("headers:")
for name, value in msg.items():
    print("  %s: %s" % (name, value))
print("parts:")
for part in msg.walk():
    if part.is_multipart():
        continue
    data = part.get_payload(decode=True) or b""
    print("  %-26s %-12s %6d bytes  sha256 %s" % (
        part.get_content_type(), part.get_filename() or "(body)",
        len(data), hashlib.sha256(data).hexdigest()[:16] + "..."))
PY
for f in notes.txt chart.png; do
	printf '  local %-10s sha256 %.16s...\n' "$f" \
	    "$(sha256sum <"$work/$f" | cut -d' ' -f1)"
done
echo "== done; server stopped, temporary files removed"
