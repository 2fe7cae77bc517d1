#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/scenarios.sh: what the scenario suite costs (issue 10): the wall
# time of a `weft scenarios run` pass over the whole suite, first with an
# empty cache of symbol names (harness/ingest/symcache.c), then again with
# the cache the first pass left; then each scenario run plain, under
# `weft run` (record + ingest + detectors, what a user waits for) with
# that cache, and under `weft run` without one (WEFT_CACHE_DIR=off: every
# ingest loads the debug files), median of R rounds each, interleaved, as
# one table with the ratios to plain.
#
#   bench/scenarios.sh [--build-dir DIR] [--rounds R] [--quick] [--scenarios DIR] [-j N]
#
# DIR defaults to build (built for what we need). --quick (CI's smoke):
# one round, every 8th scenario only (in the suite pass too). --scenarios: another
# scenario directory (programs + manifest; default the build's, or
# $WEFT_SCENARIOS). -j N: the suite pass's parallelism (default: the
# CPUs). Exit status 0 when everything ran: the scenarios' own verdicts
# and timings are never assertions here (the suite's tests judge those).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build"
rounds=3
sdir=${WEFT_SCENARIOS:-}
jobs=$(nproc)
every=1
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --quick) rounds=1; every=8 ;;
    --scenarios) sdir=$2; shift ;;
    -j) jobs=$2; shift ;;
    *) echo "usage: $0 [--build-dir DIR] [--rounds R] [--quick] [--scenarios DIR] [-j N]" >&2; exit 2 ;;
    esac
    shift
done
build=$(cd "$build" && pwd)
cmake --build "$build" -j2 >/dev/null
weft=$build/bin/weft
[ -n "$sdir" ] || sdir=$build/scenarios
sdir=$(cd "$sdir" && pwd)
[ -f "$sdir/manifest" ] || { echo "bench/scenarios.sh: no manifest in $sdir" >&2; exit 2; }
export WEFT_SCENARIOS=$sdir
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-scen-XXXXXX")
trap 'rm -rf "$work"' EXIT
export WEFT_CACHE_DIR=$work/cache # (empty at first; "off" for the uncached column)

now() { date +%s.%N; }
median() {
    printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

# scenario names and their args, from the manifest (name<TAB>d<TAB>args:
# d is 1 for a global deadlock, which only weft's watchdog ends; run
# plain, it would hang, so it is run under weft only)
awk '/^scenario:/ { if (n != "") print n "\t" d "\t" a; n = $2; a = ""; d = 0 }
     /^args:/ { sub(/^args:[ \t]*/, ""); a = $0 }
     /^expect:[ \t]*deadlock[ \t]/ { d = 1 }
     END { if (n != "") print n "\t" d "\t" a }' "$sdir/manifest" >"$work/all"
count=$(wc -l <"$work/all")
awk -v every="$every" '(NR - 1) % every == 0' "$work/all" >"$work/list"

mapfile -t picked < <(cut -f1 "$work/list")
echo "== weft scenarios run: ${#picked[@]} of $count scenarios, -j $jobs ($(nproc) CPUs)"
for pass in "empty cache" "cache of the first pass"; do
    t0=$(now)
    "$weft" scenarios run -j "$jobs" "${picked[@]}" >"$work/suite.out" 2>&1 && verdict=pass || verdict="mismatches (see weft scenarios run)"
    t1=$(now)
    printf 'suite wall time, %s: %.2f s (%s)\n' "$pass" "$(echo "$t1 - $t0" | bc -l)" "$verdict"
done
echo

printf '| %-32s | %9s | %9s | %9s | %7s | %8s |\n' scenario "plain s" "weft s" "no cache" ratio "no cache"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 34))" "-----------" "-----------" "-----------" "---------" "----------"
tp=0
tw=0
tn=0
# wrun CACHE ARGS...: the wall time of one weft run of a scenario
wrun() {
    local c=$1 t0 t1
    shift
    rm -f "$work/t.db"
    t0=$(now); (cd "$work" && WEFT_CACHE_DIR=$c "$weft" run -q -o t.db -- "$@" </dev/null >/dev/null 2>&1) || true; t1=$(now)
    echo "$t1 - $t0" | bc -l
}
while IFS="$(printf '\t')" read -r name dead args; do
    ps=()
    ws=()
    ns=()
    for _ in $(seq "$rounds"); do
        if [ "$dead" = 1 ]; then
            ps+=(0)
        else
            # shellcheck disable=SC2086 # the manifest's args split on spaces
            t0=$(now); (cd "$work" && timeout 60 "$sdir/$name" $args </dev/null >/dev/null 2>&1) || true; t1=$(now)
            ps+=("$(echo "$t1 - $t0" | bc -l)")
        fi
        # shellcheck disable=SC2086
        ws+=("$(wrun "$work/cache" "$sdir/$name" $args)")
        # shellcheck disable=SC2086
        ns+=("$(wrun off "$sdir/$name" $args)")
    done
    p=$(median "${ps[@]}")
    w=$(median "${ws[@]}")
    n=$(median "${ns[@]}")
    if [ "$dead" = 1 ]; then
        printf '| %-32s | %9s | %9.3f | %9.3f | %7s | %8s |\n' "$name" "hangs" "$w" "$n" "-" "-"
        continue
    fi
    tp=$(echo "$tp + $p" | bc -l)
    tw=$(echo "$tw + $w" | bc -l)
    tn=$(echo "$tn + $n" | bc -l)
    printf '| %-32s | %9.3f | %9.3f | %9.3f | %6.1fx | %7.1fx |\n' "$name" "$p" "$w" "$n" \
        "$(echo "$w / $p" | bc -l)" "$(echo "$n / $p" | bc -l)"
done <"$work/list"
if [ "$count" -gt 0 ]; then
    printf '| %-32s | %9.3f | %9.3f | %9.3f | %6.1fx | %7.1fx |\n' "sum (one at a time)" "$tp" "$tw" \
        "$tn" "$(echo "$tw / $tp" | bc -l)" "$(echo "$tn / $tp" | bc -l)"
fi
echo "(medians of $rounds rounds; weft = weft run -q -o DB: record, ingest, detectors,"
echo " with the cache of symbol names the suite passes left; no cache: WEFT_CACHE_DIR=off;"
echo " a global deadlock hangs without weft's watchdog: run under weft only, out of the sum)"
