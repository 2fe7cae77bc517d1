#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/reports.sh: what report generation costs on a big trace (issue
# 11): a trace of about a million events (bench/harness/chan_work.c under
# `weft run --all-events`: the seed's pipeline and a worker pool pushing N
# items through libweft channels), then each report format made from it,
# R rounds interleaved, median time and output size, beside two peers
# measured in the same rounds: `sqlite3 trace.db .dump` (reading every
# row out as text) and `weft report --format=json` (the findings report).
# The other formats join the table as reports/ grows (one line each in
# `formats` below).
#
#   bench/reports.sh [--build-dir DIR] [--n N] [--rounds R] [--quick]
#
# DIR defaults to build (the targets we need are built there). N defaults
# to 160000 items (about 1M events); --quick: N=5000, one round, to check
# that the script runs (its figures mean nothing). Exit status 0 when
# everything ran: timings are never assertions.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build"
n=160000
rounds=3
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$2; shift ;;
    --build-dir=*) build=${1#*=} ;;
    --n) n=$2; shift ;;
    --n=*) n=${1#*=} ;;
    --rounds) rounds=$2; shift ;;
    --rounds=*) rounds=${1#*=} ;;
    --quick) n=5000; rounds=1 ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/reports.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target weft-cli weft-preload bench_chan_work >/dev/null
weft="$build/bin/weft"
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-reports-XXXXXX")
trap 'rm -rf "$work"' EXIT
db="$work/trace.db"

"$weft" run -q --all-events -o "$db" -- "$build/bench/harness/bench_chan_work" "$n" >/dev/null
events=$(sqlite3 "$db" "SELECT count(*) FROM events")
threads=$(sqlite3 "$db" "SELECT count(*) FROM threads")
dbsize=$(stat -c %s "$db")

# name|command (writes $out); the peers say so in their names
formats=(
    "sqlite3 .dump (peer)|sqlite3 \"\$db\" .dump >\"\$out\""
    "text|\"\$weft\" report -o \"\$out\" \"\$db\""
    "json (peer)|\"\$weft\" report --format=json -o \"\$out\" \"\$db\""
    "perfetto|\"\$weft\" report --format=perfetto --max-events 0 -o \"\$out\" \"\$db\""
    "perfetto (default cap)|\"\$weft\" report --format=perfetto -o \"\$out\" \"\$db\""
    "html|\"\$weft\" report --format=html -o \"\$out\" \"\$db\""
    "sarif|\"\$weft\" report --format=sarif -o \"\$out\" \"\$db\""
    "junit|\"\$weft\" report --format=junit -o \"\$out\" \"\$db\""
)

now() { date +%s%N; }
declare -A times sizes
for ((r = 0; r < rounds; r++)); do
    for ((i = 0; i < ${#formats[@]}; i++)); do
        cmd=${formats[$i]#*|}
        out="$work/out.$i"
        rm -f "$out"
        t0=$(now)
        eval "$cmd"
        t1=$(now)
        times[$i]="${times[$i]:-} $(((t1 - t0) / 1000))"
        sizes[$i]=$(stat -c %s "$out")
    done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
base_t=$(echo "${times[0]}" | median)
base_s=${sizes[0]}
awk -v e="$events" -v th="$threads" -v d="$dbsize" -v n="$n" -v r="$rounds" 'BEGIN {
    printf "trace: %d events, %d threads, %.1f MB database (chan_work %d items, --all-events); %d round(s), median\n", e, th, d / 1048576, n, r
    printf "%-24s %10s %10s %12s %14s %14s\n", "format", "time s", "size MB", "events/s", "time vs dump", "size vs dump" }'
for ((i = 0; i < ${#formats[@]}; i++)); do
    t=$(echo "${times[$i]}" | median)
    awk -v name="${formats[$i]%%|*}" -v t="$t" -v s="${sizes[$i]}" -v e="$events" -v bt="$base_t" -v bs="$base_s" 'BEGIN {
        printf "%-24s %10.3f %10.1f %12.0f %13.2fx %13.2fx\n", name, t / 1e6, s / 1048576, e / (t / 1e6), t / bt, s / bs }'
done

# The HTML page in headless Chromium: how long it takes to draw (from
# navigation to drawn, the page's own performance.now()), when chromium
# is installed (scripts/deps.sh).
for ((i = 0; i < ${#formats[@]}; i++)); do
    if [ "${formats[$i]%%|*}" = html ] && command -v chromium >/dev/null; then
        cp "$work/out.$i" "$work/report.html"
        /usr/bin/python3 "$root/tests/browser/check_report.py" --shots "$work/shots" \
            "$work/report.html" | sed -n 's/^\(ok\|FAIL\) [^ ]* (\(.*\))$/html in chromium: \2/p' || true
    fi
done
