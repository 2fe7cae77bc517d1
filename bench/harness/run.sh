#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/harness/run.sh: the harness benchmarks of issue 3, side by side in
# one run, as one table: the channel-heavy workload (chan_work.c: the seed's
# pipeline plus a worker pool, N items through libweft channels) and the
# thread-churn workload (churn.c: N short threads joined in batches), each
#   plain | weft run | valgrind --tool=helgrind | valgrind --tool=drd |
#   -fsanitize=thread (clang),
# plus the recording cost per event (rec_cost.c, median ns, shim minus
# plain) and ingest throughput (weft ingest of the chan_work log, events/s).
#
#   bench/harness/run.sh [--build-dir DIR] [--quick] [--rounds R] [--n-chan N] [--n-churn N]
#                        [--baseline DIR]
#
# DIR defaults to build-h6 (configured as it is; built for the targets we
# need). Plain, weft run and recording alone run R times (default 3),
# interleaved, and the table shows medians: one run of these workloads
# moves by a third from the next on a VM. Helgrind and DRD run with N/VG_DIV items (default 20) because at
# full size they take many minutes; their times are scaled back to N and
# marked "(scaled)": per-item ratios, not measured wall times. "weft run"
# includes the ingest into SQLite (what a user waits for); the table also
# shows the run without ingest (--keep-log, log only) so the recording
# overhead can be read alone. Events lost come from processes.dropped_events.
# --baseline DIR: another build of weft (say, of the last release): its
# shim's recording cost is measured in the same rounds, interleaved with
# this one's, and the table gives the ratio (a regression check).
# Exit status 0 when everything ran (timings are never assertions).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build-h6"
quick=0
nchan=1000000
nchurn=100000
vgdiv=20
rounds=3
baseline=""
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=$2; shift ;;
    --build-dir) build=$2; shift ;;
    --quick) quick=1 ;;
    --n-chan) nchan=$2; shift ;;
    --n-churn) nchurn=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    *) echo "usage: $0 [--build-dir DIR] [--quick] [--rounds R] [--n-chan N] [--n-churn N] [--baseline DIR]" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then nchan=5000; nchurn=1000; vgdiv=10; rounds=1; fi

cmake --build "$build" --target bench_rec_cost bench_chan_work bench_churn weft-cli weft-preload weft >/dev/null
weft=$build/bin/weft
shim=$build/bin/libweft-preload.so
bin=$build/bench/harness
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

# TSan builds (clang; gcc as a fallback), linked against libweft.
tsan_cc=clang
command -v clang >/dev/null || tsan_cc=gcc
libdir=$(dirname "$(find "$build/runtime" -name 'libweft.so*' | head -1)")
for p in chan_work churn; do
    "$tsan_cc" -O2 -g -fsanitize=thread -I"$root/include" "$here/$p.c" -o "$work/${p}_tsan" \
        -L"$libdir" -lweft -Wl,-rpath,"$libdir" -lpthread 2>/dev/null || echo "(tsan build of $p failed)" >&2
done

now() { date +%s.%N; }
# timed OUT CMD...: wall seconds into $t, stdout into OUT
timed() {
    local out=$1; shift
    local s e; s=$(now)
    "$@" >"$out" 2>"$out.err" || { echo "FAILED: $* ($(tail -1 "$out.err"))" >&2; t=nan; return 0; }
    e=$(now); t=$(echo "$e - $s" | bc -l)
}
median() { # T... (nan when any is nan)
    local x
    for x in "$@"; do [ "$x" = nan ] && { echo nan; return; }; done
    printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
ratio() { if [ "$1" = nan ] || [ "$2" = nan ]; then echo "-"; else printf '%.2fx' "$(echo "$1 / $2" | bc -l)"; fi; }
fmt() { if [ "$1" = nan ]; then echo "-"; else printf '%.2f' "$1"; fi; }

row() { # NAME PLAIN T [scaled]
    printf '| %-34s | %10s s | %8s | %s\n' "$1" "$(fmt "$3")" "$(ratio "$3" "$2")" "${4:-}"
}

bench_workload() { # LABEL PROGRAM N EXTRA-ARGS...
    local label=$1 prog=$2 n=$3
    local nvg=$((n / vgdiv))
    echo
    echo "### $label (N = $n)"
    echo "| tool                               |       wall |  vs plain | notes"
    echo "|------------------------------------|------------|----------|------"
    # plain, weft run and recording alone, interleaved, $rounds rounds:
    # medians (these workloads vary by a third from run to run on a VM)
    local ps=() ws=() rs=() want lost evs
    for ((k = 0; k < rounds; k++)); do
        timed "$work/plain.out" "$bin/bench_$prog" "$n"; ps+=("$t")
        want=$(cat "$work/plain.out")
        rm -f "$work/$prog.db"
        timed "$work/weft.out" "$weft" run -q -o "$work/$prog.db" -- "$bin/bench_$prog" "$n"; ws+=("$t")
        [ "$(cat "$work/weft.out")" = "$want" ] || echo "OUTPUT DIFFERS under weft" >&2
        rm -f "$work/$prog.log"*
        timed "$work/log.out" env LD_PRELOAD="$shim" WEFT_LOG="$work/$prog.log" "$bin/bench_$prog" "$n"; rs+=("$t")
    done
    lost=$(sqlite3 "$work/$prog.db" "select sum(dropped_events) from processes" 2>/dev/null || echo "?")
    # every event (rows of events plus those counted in event_counts)
    evs=$(sqlite3 "$work/$prog.db" "select sum(events) from processes" 2>/dev/null || echo "?")
    local plain; plain=$(median "${ps[@]}")
    local of="(median of $rounds: ${ps[*]})"
    row "plain" "$plain" "$plain" "$of"
    row "weft run (record + ingest)" "$plain" "$(median "${ws[@]}")" "events $evs, lost $lost; ${ws[*]}"
    row "weft recording only (LD_PRELOAD)" "$plain" "$(median "${rs[@]}")" "log kept for ingest; ${rs[*]}"
    timed "$work/ing.out" "$weft" ingest -q "$work/$prog.log" -o "$work/$prog-2.db"
    local ingest_t=$t
    local nev; nev=$(sqlite3 "$work/$prog-2.db" "select sum(events) from processes")
    printf '| %-34s | %10s s | %8s | %s\n' "weft ingest alone" "$(fmt "$ingest_t")" "" "$(printf '%.0f' "$(echo "$nev / $ingest_t" | bc -l)") events/s"
    rm -f "$work"/*.log* "$work"/*.db
    for tool in helgrind drd; do
        if command -v valgrind >/dev/null; then
            timed "$work/vg.out" valgrind -q --tool=$tool "$bin/bench_$prog" "$nvg"
            local scaled=nan
            [ "$t" != nan ] && scaled=$(echo "$t * $vgdiv" | bc -l)
            row "valgrind --tool=$tool" "$plain" "$scaled" "(scaled: ran N/$vgdiv = $nvg in $(fmt "$t") s)"
        fi
    done
    if [ -x "$work/${prog}_tsan" ]; then
        # libweft itself is not instrumented, so TSan reports races inside
        # it that are not there; we time it, we do not read its reports.
        timed "$work/tsan.out" env TSAN_OPTIONS="exitcode=0 report_bugs=0" "$work/${prog}_tsan" "$n"
        row "-fsanitize=thread ($tsan_cc)" "$plain" "$t" "reports off (libweft uninstrumented)"
    fi
    ing_events=${nev}; ing_secs=$ingest_t
}

echo "## weft harness benchmarks ($(date -u +%Y-%m-%d), $(nproc) CPUs$( [ $quick = 1 ] && echo ', --quick: timings mean nothing'))"
bench_workload "channel-heavy: pipeline + worker pool through libweft channels" chan_work "$nchan"
chan_ing_events=$ing_events chan_ing_secs=$ing_secs
bench_workload "thread churn: short threads created and joined in batches of 100" churn "$nchurn"

echo
echo "### recording cost per event (rec_cost: one recorded call, no stack; median of 9 rounds)"
rn=1000000; [ $quick = 1 ] && rn=50000
# rec_cost_of SHIM: the recording cost (shim minus plain, ns/event) of one round
rec_cost_of() {
    local p w
    p=$("$bin/bench_rec_cost" "$rn" 9 | awk '{print $2}')
    w=$(env LD_PRELOAD="$1" WEFT_LOG="$work/rc.log" "$bin/bench_rec_cost" "$rn" 9 | awk '{print $2}')
    rm -f "$work"/rc.log*
    echo "$p $w"
}
p=$(rec_cost_of "$shim"); w=${p#* }; p=${p% *}
printf '| plain call %s ns | under the shim %s ns | recording cost %.1f ns/event (target <= 50) |\n' "$p" "$w" "$(echo "$w - $p" | bc -l)"
if [ -n "$baseline" ]; then
    # Interleaved rounds, this build then the baseline, medians of each.
    # bin/ since issue 12's restructure; harness/ in a baseline from before it.
    [ -f "$baseline/bin/libweft-preload.so" ] || [ -f "$baseline/harness/libweft-preload.so" ] ||
        cmake --build "$baseline" --target weft-preload >/dev/null
    bshim=$baseline/bin/libweft-preload.so
    [ -f "$bshim" ] || bshim=$baseline/harness/libweft-preload.so
    mine="" theirs=""
    for r in 1 2 3 4 5; do
        x=$(rec_cost_of "$shim"); mine="$mine $(echo "${x#* } - ${x% *}" | bc -l)"
        x=$(rec_cost_of "$bshim"); theirs="$theirs $(echo "${x#* } - ${x% *}" | bc -l)"
    done
    med() { printf '%s\n' $1 | sort -g | sed -n 3p; }
    printf '| recording cost vs baseline %s: %.1f ns against %.1f ns (medians of 5 interleaved rounds): %.2fx |\n' \
        "$baseline" "$(med "$mine")" "$(med "$theirs")" "$(echo "$(med "$mine") / $(med "$theirs")" | bc -l)"
fi
printf '| ingest throughput (chan_work log): %.0f events/s (target >= 1M) |\n' "$(echo "$chan_ing_events / $chan_ing_secs" | bc -l)"
