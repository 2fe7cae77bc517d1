#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/pipeline/scale.sh: how the trace pipeline scales with the number of
# events (issue 12, "Must hold"): the channel-heavy workload of
# bench/harness/chan_work.c (the seed's pipeline plus a worker pool, about
# 5.5 events per item) at several sizes, each
#   plain | weft run (record + ingest + detectors) | recording alone
#   (LD_PRELOAD, log kept) | weft ingest of that kept log alone: its wall
#   time, events/s and peak RSS | log and database on disk,
# for one weft and optionally a baseline weft in the same run, as one
# table. The curve of the ingest's peak RSS over 5.5M, 55M and 550M events
# is what the issue asks to see.
#
#   bench/pipeline/scale.sh [--weft DIR] [--baseline DIR] [--sizes 1M,10M[,100M]]
#                           [--rounds R] [--mem-cap GB] [--workdir DIR] [--ingest-only] [--quick]
#
# --weft DIR: a build dir (harness/weft) or an install prefix (bin/weft);
# default build-rel in this checkout, configured as a Release build and
# built when it has no weft yet. --baseline DIR: another weft (the old
# ingest), measured in the same rounds, interleaved. --sizes: items (K, M,
# G suffixes); 100M (550M events) is opt-in: its log takes ~15 GB of disk
# (in --workdir, default $TMPDIR). --rounds R: plain and weft run are run R
# times (default 3), interleaved, and the table shows medians; recording
# and ingest run once per size. --mem-cap GB (default 16): a process that
# holds more anonymous memory than that is killed and its cell says
# "failed (memory cap ...)" (the old ingest needs ~100 GB at 550M events).
# --ingest-only: no plain and weft run rounds, only the recording and the
# ingest (the memory curve at 550M events without an hour of rounds).
# A failed run never aborts the table. Exit status 0 when the table was
# printed (timings are never assertions), 2 on bad usage.
set -euo pipefail
# shellcheck source=bench/pipeline/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: $0 [--weft DIR] [--baseline DIR] [--sizes 1M,10M] [--rounds R] [--mem-cap GB] [--workdir DIR] [--ingest-only] [--live-ab] [--quick]"
wdir="" bdir="" sizes="1M,10M" rounds=3 capgb=16 workdir=${TMPDIR:-/tmp} quick=0 ingest_only=0 live_ab=0
while [ $# -gt 0 ]; do
    case $1 in
    --weft) wdir=$2; shift ;;
    --baseline) bdir=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --live-ab) live_ab=1 ;;
    --mem-cap) capgb=$2; shift ;;
    --workdir) workdir=$2; shift ;;
    --quick) quick=1 ;;
    --ingest-only) ingest_only=1 ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done
[ "$quick" = 1 ] && { sizes=20K; rounds=1; }
pl_wefts "$wdir" "$bdir" "$capgb"
# --live-ab: the new weft once more as the row "live", its weft run with
# --live (the logs read while the program runs), interleaved with the
# others in the same rounds; its record and ingest columns are new's.
if [ "$live_ab" = 1 ]; then
    labels+=(live)
    for a in W_DIR W_BIN W_SHIM W_LIB W_INC; do eval "$a[live]=\${$a[new]}"; done
fi
work=$(mktemp -d "$workdir/weft-bench-scale-XXXXXX")
trap 'rm -rf "$work"' EXIT
for l in "${labels[@]}"; do pl_cc "$l" "$work/chan_work.$l" "$pl_root/bench/harness/chan_work.c"; done

# One row per size and weft; the columns are filled below.
declare -A R
hdr="| items | weft | events | plain s | weft run s | run/plain | record s | rec/plain | ingest s | events/s | ingest peak RSS MB | weft run peak RSS MB | log MB | db MB | lost |"

for size in ${sizes//,/ }; do
    n=$(pl_size "$size")
    # The log's capacity (WEFT_LOG_MB, default 4 GiB: 10M items need ~1.5
    # GB) grows with N: ~30 bytes an event, 5.5 events an item, doubled.
    logmb=$((n * 330 / 1000000))
    [ "$logmb" -lt 4096 ] && logmb=4096
    export WEFT_LOG_MB=$logmb
    declare -A ps=() ws=() wrss=() want=()
    for ((k = 0; k < (ingest_only ? 0 : rounds); k++)); do
        for l in "${labels[@]}"; do
            prog=$work/chan_work.$l
            pl_time "$work/plain.out" "$prog" "$n"
            if [ "$rc" = 0 ]; then ps[$l]="${ps[$l]:-} $t"; want[$l]=$(cat "$work/plain.out"); else ps[$l]="${ps[$l]:-} !$rc"; fi
            rm -f "$work/run.db"
            liveopt=()
            [ "$l" = live ] && liveopt=(--live)
            pl_time "$work/run.out" "${W_BIN[$l]}" run -q "${liveopt[@]}" -o "$work/run.db" -- "$prog" "$n"
            if [ "$rc" = 0 ]; then
                ws[$l]="${ws[$l]:-} $t"
                wrss[$l]="${wrss[$l]:-} $rss_kb"
                [ "$(cat "$work/run.out")" = "${want[$l]:-}" ] || echo "$l $size: the program's output differs under weft run" >&2
                R[$size,$l,events]=$(pl_events "$work/run.db")
                R[$size,$l,lost]=$(pl_lost "$work/run.db")
            else
                ws[$l]="${ws[$l]:-} !$(pl_failed)"
            fi
            rm -f "$work/run.db"
        done
    done
    for l in "${labels[@]}"; do
        # medians of the rounds that ran; a failed round fails the cell
        if [ "$ingest_only" = 1 ]; then
            R[$size,$l,plain]="skipped" R[$size,$l,run]="skipped"
        else
            pl_round_cells "$size" "$l"
        fi
        [ "$l" = live ] && continue # recording and ingest: new's
        # Recording alone, log kept (WEFT_LOG set: the shim does not ingest
        # by itself), then the ingest of that log alone.
        lg=$work/log.$l
        rm -rf "$lg" && mkdir "$lg"
        pl_time "$work/rec.out" env LD_PRELOAD="${W_SHIM[$l]}" WEFT_LOG="$lg/log" "$work/chan_work.$l" "$n"
        if [ "$rc" = 0 ]; then R[$size,$l,rec]=$t; else R[$size,$l,rec]=$(pl_failed); fi
        R[$size,$l,log]=$(pl_mb "$(pl_du_kb "$lg")")
        pl_ingest_cells "$size" "$l" "$lg"
    done
    unset ps ws wrss want
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "## weft pipeline scale ($(date -u '+%Y-%m-%d %H:%M'), $(nproc) CPUs, load $load$([ "$quick" = 1 ] && echo ', --quick: timings mean nothing'))"
echo "new = ${W_DIR[new]}$([ -n "$bdir" ] && echo ", base = ${W_DIR[base]}"); plain and weft run: $([ "$ingest_only" = 1 ] && echo "skipped (--ingest-only)" || echo "median of $rounds interleaved rounds"); record and ingest: one run each"
echo
echo "$hdr"
echo "$hdr" | sed 's/[^|]/-/g'
for size in ${sizes//,/ }; do
    for l in "${labels[@]}"; do
        p=${R[$size,$l,plain]:-}
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "$size" "$l" "${R[$size,$l,events]:--}" "$p" "${R[$size,$l,run]:-}" "$(pl_ratio "${R[$size,$l,run]:-}" "$p")" \
            "${R[$size,$l,rec]:-}" "$(pl_ratio "${R[$size,$l,rec]:-}" "$p")" "${R[$size,$l,ing]:-}" "${R[$size,$l,evs]:--}" \
            "${R[$size,$l,ingrss]:--}" "${R[$size,$l,runrss]:--}" "${R[$size,$l,log]:--}" "${R[$size,$l,db]:--}" "${R[$size,$l,lost]:--}"
    done
done
echo
echo "Ingest peak RSS over the number of events (issue 12: <= 512 MB at every size):"
for l in "${labels[@]}"; do
    line="  $l:"
    for size in ${sizes//,/ }; do
        ev=${R[$size,$l,ingev]:-${R[$size,$l,events]:-?}}
        evm=$(awk -v e="$ev" 'BEGIN { if (e + 0 > 0) printf "%.1fM", e / 1e6; else print "?" }')
        line="$line  $size items, $evm events: ${R[$size,$l,ingrss]:--} MB;"
    done
    echo "${line%;}"
done
if [ -n "$bdir" ]; then
    echo
    echo "new / base, same run (below 1.00x: new is faster or smaller):"
    for size in ${sizes//,/ }; do
        printf '  %s: weft run %s, ingest %s, ingest peak RSS %s, weft run/plain %s vs %s\n' "$size" \
            "$(pl_ratio "${R[$size,new,run]:-}" "${R[$size,base,run]:-}")" \
            "$(pl_ratio "${R[$size,new,ing]:-}" "${R[$size,base,ing]:-}")" \
            "$(pl_ratio "${R[$size,new,ingrss]:-}" "${R[$size,base,ingrss]:-}")" \
            "$(pl_ratio "${R[$size,new,run]:-}" "${R[$size,new,plain]:-}")" \
            "$(pl_ratio "${R[$size,base,run]:-}" "${R[$size,base,plain]:-}")"
    done
fi
