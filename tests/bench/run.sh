#!/bin/sh
# run.sh — every benchmark of outbox, one report.  Run by `make bench`
# from the top of the tree after ./outbox is built (OUTBOX= overrides).
# A benchmark, not a test: it reports and always exits 0.
# BENCH_ONLY=postfix (or compose, smtp, queue) runs one part.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 0
OUTBOX=${OUTBOX:-$top/outbox}
export OUTBOX

echo "outbox benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "host: $(uname -srm), $(nproc 2>/dev/null || echo '?') cores," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"
echo "binary: $OUTBOX $( [ -x "$OUTBOX" ] && "$OUTBOX" --version 2>/dev/null | head -n 1)"

# part NAME TITLE: runs tests/bench/NAME.sh unless BENCH_ONLY names another.
part() {
	[ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = "$1" ] || return 0
	echo
	echo "== $2 (tests/bench/$1.sh)"
	sh "tests/bench/$1.sh" || echo "$1.sh: exit status $? (ignored)"
}
part compose "Composer"
part smtp "SMTP against aiosmtpd"
part queue "Queue flush against aiosmtpd"
part postfix "Against Postfix: outbox, msmtp, s-nail, curl"
# fetch.sh is bash (it sources tests/lib/dovecot.sh).
if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = fetch ]; then
	echo
	echo "== POP3 fetch: outbox, mpop, fetchmail (tests/bench/fetch.sh)"
	bash tests/bench/fetch.sh || echo "fetch.sh: exit status $? (ignored)"
fi
exit 0
