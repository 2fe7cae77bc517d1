#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/pipeline/goroutines.sh: the ingest against thread churn (issue 12,
# "peak memory independent of the number of events"): goroutines.c starts
# and waits for N short detached threads one after the other (weft_go, one
# WaitGroup reused N times), recorded once per size (LD_PRELOAD, log kept),
# then that log ingested alone by each weft: its wall time, peak RSS and
# database. The curve over N is what to read: memory that grows with the
# number of threads that ever lived, not with those alive, is the bug
# this measures (20,000 goroutines took 3.2 GB before the detectors let
# ended detached threads go).
#
#   bench/pipeline/goroutines.sh [--weft DIR] [--baseline DIR] [--sizes 10K,100K] [--mem-cap GB] [--quick]
#
# --weft, --baseline and --mem-cap as in scale.sh. Exit status 0 when the
# table was printed (a failed run shows as "failed (exit N)"), 2 on bad
# usage.
# shellcheck source=bench/pipeline/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: $0 [--weft DIR] [--baseline DIR] [--sizes 10K,100K] [--mem-cap GB] [--quick]"
wdir="" bdir="" sizes="10K,100K" capgb=16 quick=0
while [ $# -gt 0 ]; do
    case $1 in
    --weft) wdir=$2; shift ;;
    --baseline) bdir=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --mem-cap) capgb=$2; shift ;;
    --quick) quick=1 ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done
[ "$quick" = 1 ] && sizes=1K,2K
pl_wefts "$wdir" "$bdir" "$capgb"
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-goroutines-XXXXXX")
trap 'rm -rf "$work"' EXIT
declare -A R
IFS=, read -r -a ns <<<"$sizes"
for l in "${labels[@]}"; do pl_cc "$l" "$work/goroutines.$l" "$pl_here/goroutines.c"; done
for sz in "${ns[@]}"; do
    n=$(pl_size "$sz")
    for l in "${labels[@]}"; do
        # Each weft records with its own shim and libweft, and ingests its own log.
        lg=$work/log.$l
        rm -rf "$lg" && mkdir "$lg"
        env LD_PRELOAD="${W_SHIM[$l]}" WEFT_LOG="$lg/log" "$work/goroutines.$l" "$n" >/dev/null
        pl_ingest_cells "$sz" "$l" "$lg"
    done
done

hdr="| goroutines | weft | events | ingest s | events/s | ingest peak RSS MB | db MB | lost |"
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "## the ingest against goroutine churn ($(date -u '+%Y-%m-%d %H:%M'), $(nproc) CPUs, load $load$([ "$quick" = 1 ] && echo ', --quick: timings mean nothing'))"
echo "new = ${W_DIR[new]}$([ -n "$bdir" ] && echo ", base = ${W_DIR[base]}"); goroutines.c: N x (wg Add, weft_go, wg Wait); one ingest each"
echo
echo "$hdr"
echo "$hdr" | sed 's/[^|]/-/g'
for sz in "${ns[@]}"; do
    for l in "${labels[@]}"; do
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$sz" "$l" "${R[$sz,$l,events]:--}" \
            "${R[$sz,$l,ing]:-}" "${R[$sz,$l,evs]:--}" "${R[$sz,$l,ingrss]:--}" "${R[$sz,$l,db]:--}" \
            "${R[$sz,$l,lost]:--}"
    done
done
echo
echo "issue 12 asks: ingest peak RSS independent of the number of events (<= 512 MB at every size)"
