#!/bin/sh
# run.sh — every benchmark of outbox, one report.  Run by `make bench`
# from the top of the tree after ./outbox is built (OUTBOX= overrides).
# A benchmark, not a test: it reports and always exits 0.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 0
OUTBOX=${OUTBOX:-$top/outbox}
export OUTBOX

echo "outbox benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "host: $(uname -srm), $(nproc 2>/dev/null || echo '?') cores," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"
echo "binary: $OUTBOX $( [ -x "$OUTBOX" ] && "$OUTBOX" --version 2>/dev/null | head -n 1)"

echo
echo "== Composer (tests/bench/compose.sh)"
if [ -f tests/bench/compose.sh ]; then
	sh tests/bench/compose.sh || echo "compose.sh: exit status $? (ignored)"
else
	echo "(tests/bench/compose.sh is not there yet)"
fi

echo
echo "== SMTP (tests/bench/smtp.sh)"
sh tests/bench/smtp.sh || echo "smtp.sh: exit status $? (ignored)"

echo
echo "== Queue flush (tests/bench/queue.sh)"
sh tests/bench/queue.sh || echo "queue.sh: exit status $? (ignored)"

echo
echo "== POP3 fetch (tests/bench/fetch.sh)"
bash tests/bench/fetch.sh || echo "fetch.sh: exit status $? (ignored)"
exit 0
