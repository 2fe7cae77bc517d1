#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/harness/livecheck.sh: what weft run's looks inside a running
# program cost (issue 14 items 2 and 3, "Must hold": nothing measurable
# when off, below 2% of wall time at the default interval): the
# partial-deadlock check (on by default: the watchdog's check every 100 ms
# of a 1 s --deadlock-timeout, and the reach filters every channel call
# and lock keeps for it) and --leak-check. A wait-heavy program, chan_work
# (N items through libweft channels: fixed work, so wall time is the
# cost) or soak_pool (a server fed for S seconds: fixed time, so CPU time
# is the cost), run in interleaved rounds as
#   plain | weft run --deadlock-timeout=0 (the check off) | weft run
#   | weft run --leak-check (default interval, 10 s)
#   | weft run --leak-check=200ms (a stress point: 50 checks a second)
#   [| the baseline's weft run: --baseline DIR, another build of weft]
# with the medians of wall and CPU (user + system, weft and the program
# together) and the ratios, each also as the median of the rounds' own
# ratios (a round's runs are neighbours in time: the machine's drift
# cancels): weft run against --deadlock-timeout=0, --leak-check against
# weft run, and weft run against the baseline's (the shim's part of the
# live state file, on every wait: a sequence word and a clock read, and
# what --leak-check never changes). Every weft run is --no-live -q; the
# ingest after the exit is in every weft figure alike.
#
#   bench/harness/livecheck.sh [--build-dir DIR] [--baseline DIR] [--rounds R]
#                              [--n N] [--soak SECONDS] [--instructions]
#
# --instructions: instead of timing, count the program's instructions
# under callgrind (valgrind), weft run with the check on against
# --deadlock-timeout=0, chan_work with N items (default 20000 here): a
# figure that this noisy machine repeats to a fraction of a percent,
# with the hooks' part (harness/shim/reach.*) and the checks' part (the
# watchdog thread's passes; valgrind's slowness multiplies those by
# about 50, so natively they are far smaller). --leak-check runs in the
# weft process and reads the live state file weft run keeps anyway: the
# program's instructions are the same with or without it.
# DIR defaults to build (built for the targets needed). --soak S: soak_pool
# for S seconds at its default rate instead of chan_work. Timings are
# never assertions; the load average is printed before and after.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
baseline=""
rounds=5
n=""
soak=0
instr=0
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --n) n=$2; shift ;;
    --soak) soak=$2; shift ;;
    --instructions) instr=1 ;;
    *) echo "usage: $0 [--build-dir DIR] [--baseline DIR] [--rounds R] [--n N] [--soak SECONDS] [--instructions]" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$n" ] || { [ "$instr" = 1 ] && n=20000 || n=300000; }
cmake --build "$build" --target bench_chan_work bench_chan_cost bench_soak_pool weft-cli weft-preload >/dev/null
weft=$build/bin/weft
if [ "$soak" != 0 ]; then
    prog=("$build/bench/pipeline/bench_soak_pool" "$soak")
    what="soak_pool $soak s"
else
    prog=("$build/bench/harness/bench_chan_work" "$n")
    what="chan_work N=$n"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-lc-XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ "$instr" = 1 ]; then
    command -v valgrind >/dev/null || { echo "livecheck.sh: --instructions needs valgrind" >&2; exit 2; }
    # count MODE TIMEOUT_MS: the traced program's callgrind profile, under
    # the environment weft run gives it (cli/cmd_run.c: the shim, the log,
    # the live state file, the deadlock timeout). Not under weft run itself:
    # valgrind's execve of the program drops the LD_PRELOAD weft sets.
    count() {
        rm -rf "$work/cg" && mkdir "$work/cg"
        LD_PRELOAD=$build/bin/libweft-preload.so WEFT_LOG=$work/cg/x.log WEFT_LIVE_STATE=1 \
            WEFT_DEADLOCK_TIMEOUT_MS=$2 valgrind -q --tool=callgrind --callgrind-out-file="$work/$1.out" \
            "${prog[@]}" >/dev/null 2>"$work/err" ||
            { echo "FAILED: callgrind of ${prog[*]} ($(tail -1 "$work/err"))" >&2; exit 1; }
        callgrind_annotate --tree=none --threshold=100 --auto=no "$work/$1.out" >"$work/$1.cg"
        grep -q 'livestate\.c:' "$work/$1.cg" || { echo "livecheck.sh: the shim kept no live state" >&2; exit 1; }
    }
    # part FILE REGEX: the instructions of the functions whose location matches
    part() {
        awk -v re="$2" '$1 ~ /^[0-9,]+$/ && $0 ~ re {gsub(",", "", $1); s += $1} END {print s + 0}' "$1"
    }
    total() { awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}' "$1"; }
    echo "# instructions of the program (callgrind), $what; load: $(cut -d' ' -f1-3 /proc/loadavg)"
    count on 1000 # weft run's default --deadlock-timeout
    count off 0
    on=$(total "$work/on.cg")
    off=$(total "$work/off.cg")
    hooks_on=$(part "$work/on.cg" 'shim/reach\.[ch]:')
    hooks_off=$(part "$work/off.cg" 'shim/reach\.[ch]:')
    checks=$(part "$work/on.cg" 'watchdog\.c:(lock_cycles|weft__wd_waits)|reach\.c:(weft__reach_check|analyze)')
    printf '| %-34s | %14s |\n' "run" "instructions" "weft run (check on)" "$on" \
        "weft run --deadlock-timeout=0" "$off"
    awk -v on="$on" -v off="$off" -v h="$hooks_on" -v h0="$hooks_off" -v c="$checks" 'BEGIN {
        printf "check on / off: %.4f (%+.2f%%)\n", on / off, 100 * (on - off) / off
        printf "  in the reach hooks:        %+.2f%% (%d against %d)\n", 100 * (h - h0) / off, h, h0
        printf "  in the checks (valgrind-inflated): %+.2f%%\n", 100 * c / off
        printf "  elsewhere (spinning and waking, as the threads interleave): %+.2f%%\n", 100 * (on - off - (h - h0) - c) / off
    }'
    exit 0
fi

# timed NAME CMD...: appends "wall cpu" to $work/NAME.t
timed() {
    local name=$1; shift
    rm -f "$work/t.db"
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >"$work/out" 2>"$work/err" ||
        { echo "FAILED: $* ($(tail -1 "$work/err"))" >&2; return 0; }
    awk '{printf "%s %.3f\n", $1, $2 + $3}' "$work/time" >>"$work/$name.t"
}
median() { # COLUMN FILE
    awk -v c="$1" '{print $c}' "$2" | sort -g |
        awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

echo "# weft run --leak-check: $what, $rounds rounds interleaved; load: $(cut -d' ' -f1-3 /proc/loadavg)"
names=(plain nodl weft leak leak200)
[ -n "$baseline" ] && names+=(base)
for ((k = 0; k < rounds; k++)); do
    timed plain "${prog[@]}"
    timed nodl "$weft" run -q --no-live --deadlock-timeout=0 -o "$work/t.db" -- "${prog[@]}"
    timed weft "$weft" run -q --no-live -o "$work/t.db" -- "${prog[@]}"
    timed leak "$weft" run -q --no-live --leak-check -o "$work/t.db" -- "${prog[@]}"
    timed leak200 "$weft" run -q --no-live --leak-check=200ms -o "$work/t.db" -- "${prog[@]}"
    [ -n "$baseline" ] && timed base "$baseline/bin/weft" run -q --no-live -o "$work/t.db" -- "${prog[@]}"
done
printf '| %-32s | %8s | %8s | %s\n' "run" "wall s" "cpu s" "each round (wall cpu)"
for nm in "${names[@]}"; do
    case $nm in
    plain) label="plain" ;;
    nodl) label="weft run --deadlock-timeout=0" ;;
    weft) label="weft run" ;;
    leak) label="weft run --leak-check (10 s)" ;;
    leak200) label="weft run --leak-check=200ms" ;;
    base) label="baseline weft run" ;;
    esac
    printf '| %-32s | %8s | %8s | %s\n' "$label" "$(median 1 "$work/$nm.t")" "$(median 2 "$work/$nm.t")" \
        "$(tr '\n' ';' <"$work/$nm.t")"
done
# ratio A B COLUMN: "median-of-A / median-of-B (median of the rounds' A/B)"
ratio() {
    paste -d' ' "$work/$1.t" "$work/$2.t" | awk -v c="$3" '{print $c / $(c + 2)}' >"$work/pairs"
    awk -v a="$(median "$3" "$work/$1.t")" -v b="$(median "$3" "$work/$2.t")" -v m="$(median 1 "$work/pairs")" \
        'BEGIN {printf "%.3f (rounds %.3f)", a / b, m}'
}
echo "weft run / --deadlock-timeout=0:    wall $(ratio weft nodl 1), cpu $(ratio weft nodl 2)"
echo "--leak-check (10 s) / weft run:     wall $(ratio leak weft 1), cpu $(ratio leak weft 2)"
echo "--leak-check=200ms / weft run:      wall $(ratio leak200 weft 1), cpu $(ratio leak200 weft 2)"
echo "weft run / plain:                   wall $(ratio weft plain 1), cpu $(ratio weft plain 2)"
[ -n "$baseline" ] && echo "weft run / baseline weft run:       wall $(ratio weft base 1), cpu $(ratio weft base 2)"

# Per operation: wall-time rounds of whole runs move by more than the 2%
# asked, so the check's own cost is also taken where it is paid: on each
# channel call (chan_cost: ns per send+receive pair on one thread, the
# median of 9 rounds of N pairs, under weft run with the check on and
# off), interleaved over the rounds; the table's median difference times
# the program's channel calls per second is its share of the wall time.
echo
echo "# per send+receive pair (chan_cost, one thread; K channels in turn), $rounds rounds interleaved"
cc=$build/bench/harness/bench_chan_cost
for ((k = 0; k < rounds; k++)); do
    for mode in on off; do
        opt=()
        [ "$mode" = off ] && opt=(--deadlock-timeout=0)
        rm -f "$work/t.db"
        "$weft" run -q --no-live "${opt[@]}" -o "$work/t.db" -- "$cc" 1000000 9 >"$work/cc.out" 2>/dev/null ||
            { echo "FAILED: chan_cost under weft run ${opt[*]}" >&2; continue; }
        awk -v to="$work/cc_$mode" '$1 == "ns_per_pair" {print $3 >> (to "_" $2 ".t")}' "$work/cc.out"
    done
done
printf '| %-3s | %16s | %16s | %12s |\n' K "check on, ns" "check off, ns" "difference"
for kk in 1 8; do
    on=$(median 1 "$work/cc_on_$kk.t")
    off=$(median 1 "$work/cc_off_$kk.t")
    printf '| %-3s | %16s | %16s | %12s |\n' "$kk" "$on" "$off" "$(awk -v a="$on" -v b="$off" 'BEGIN {printf "%+.1f ns", a - b}')"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
