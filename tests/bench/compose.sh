#!/bin/sh
# compose.sh — the composer against its floor: wall time, CPU time
# (user + sys) and peak RSS of `outbox --dry-run -a FILE` with a 100 MiB
# attachment, beside coreutils `base64 FILE` on the same file.  Best of 3
# runs each.  Goals: peak RSS under 8 MiB, wall within 1.5x of base64.
# A benchmark, not a test: it reports and exits 0 unless a run fails.
# Run from the top of the tree; OUTBOX names the binary (default ./outbox).
set -eu

OUTBOX=${OUTBOX:-./outbox}
SIZE_MIB=${SIZE_MIB:-100}
RUNS=3
dir=$(mktemp -d "${TMPDIR:-/tmp}/outbox-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

[ -x "$OUTBOX" ] || { echo "compose.sh: no binary at $OUTBOX" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "compose.sh: needs /usr/bin/time" >&2; exit 1; }

file=$dir/attachment.bin
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$file"
printf 'set from="Bench <bench@example.org>"\n' >"$dir/rc"
printf 'benchmark body\n' >"$dir/body"

# measure NAME CMD...: best wall, its CPU, best peak RSS over $RUNS runs;
# prints "wall cpu rss_kib".
measure() {
	best_wall="" best_cpu="" best_rss=""
	i=0
	while [ $i -lt $RUNS ]; do
		/usr/bin/time -f '%e %U %S %M' -o "$dir/t" "$@" \
		    <"$dir/body" >/dev/null
		read -r wall user sys rss <"$dir/t"
		cpu=$(echo "$user $sys" | awk '{ printf "%.2f", $1 + $2 }')
		if [ -z "$best_wall" ] ||
		    awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'
		then
			best_wall=$wall best_cpu=$cpu
		fi
		if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then
			best_rss=$rss
		fi
		i=$((i + 1))
	done
	echo "$best_wall $best_cpu $best_rss"
}

export OUTBOX_SYSTEM_RC=/nonexistent
set -- $(measure "$OUTBOX" -n -C "$dir/rc" --dry-run -s bench \
    -a "$file" bench@example.org)
o_wall=$1 o_cpu=$2 o_rss=$3
# One more run with -vv, where outbox reports its own peak and that of
# the libmagic helper process apart (/usr/bin/time sees the larger).
split=$("$OUTBOX" -vv -n -C "$dir/rc" --dry-run -s bench -a "$file" \
    bench@example.org <"$dir/body" 2>&1 >/dev/null |
    sed -n 's/.*peak RSS: \([0-9]*\) KiB in outbox, \([0-9]*\) KiB.*/\1 \2/p')
set -- $(measure base64 "$file")
b_wall=$1 b_cpu=$2 b_rss=$3

awk -v ow="$o_wall" -v oc="$o_cpu" -v or="$o_rss" -v sp="$split" \
    -v bw="$b_wall" -v bc="$b_cpu" -v br="$b_rss" -v mib="$SIZE_MIB" 'BEGIN {
	printf "compose: %d MiB attachment, best of 3\n", mib
	printf "%-22s %8s %8s %12s\n", "", "wall s", "cpu s", "peak RSS"
	printf "%-22s %8.2f %8.2f %9.1f MiB\n", "outbox --dry-run -a", ow, oc, or / 1024
	printf "%-22s %8.2f %8.2f %9.1f MiB\n", "base64 (floor)", bw, bc, br / 1024
	r = bw > 0 ? ow / bw : 0
	printf "wall ratio %.2fx (goal <= 1.5x): %s\n", r, r <= 1.5 ? "met" : "missed"
	printf "peak RSS %.1f MiB (goal < 8 MiB): %s\n", or / 1024, or < 8192 ? "met" : "missed"
	if (split(sp, p, " ") == 2)
		printf "  of which: the outbox process %.1f MiB, the libmagic helper %.1f MiB\n", p[1] / 1024, p[2] / 1024
}'
