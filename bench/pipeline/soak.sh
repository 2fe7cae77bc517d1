#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/pipeline/soak.sh: a server-shaped soak under `weft run` (issue 12,
# "Must hold": memory and disk of weft run flat over time, zero events
# lost, findings identical to an offline ingest of the same logs).
# soak_pool.c (chan_work.c's worker pool, fed at RATE items a second for M
# minutes, with three planted findings) runs under
# `weft run --keep-log=DIR`; every few seconds the script samples the
# traced program's RSS, the weft process's RSS (they are separate
# processes: weft forks the program) and the disk used by the log
# directory, and prints the series, then a summary (first, last, max of
# each while the program ran, and weft's peak after it, when the ingest of
# the old design runs). At the end: the events lost (losses and
# processes.dropped_events), and whether `weft report --format=json` gives
# the same findings for weft run's trace as for an offline `weft ingest` of
# the kept logs (ids, times and trace names left out of the comparison).
#
#   bench/pipeline/soak.sh [--weft DIR] [--minutes M] [--rate N] [--workers W]
#                          [--interval S] [--mem-cap GB] [--workdir DIR] [--quick]
#
# --minutes: default 10 (--minutes 1 for a smoke; fractions allowed);
# --rate: items a second (default 5000, about 23k events a second; 0 = as
# fast as the pool goes); --interval: seconds between samples (default 5);
# --quick: 3 seconds, a sample a second. --weft and --mem-cap as in
# scale.sh. Exit status 0 when the soak ran and the summary was printed
# (a difference in findings or a loss is reported, not an exit status),
# 2 on bad usage.
set -euo pipefail
# shellcheck source=bench/pipeline/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: $0 [--weft DIR] [--minutes M] [--rate N] [--workers W] [--interval S] [--mem-cap GB] [--workdir DIR] [--live | --live-keep] [--quick]"
wdir="" minutes=10 rate=5000 workers=4 interval=5 capgb=16 workdir=${TMPDIR:-/tmp} quick=0 live=
while [ $# -gt 0 ]; do
    case $1 in
    --weft) wdir=$2; shift ;;
    --minutes) minutes=$2; shift ;;
    --rate) rate=$2; shift ;;
    --workers) workers=$2; shift ;;
    --interval) interval=$2; shift ;;
    --mem-cap) capgb=$2; shift ;;
    --workdir) workdir=$2; shift ;;
    --quick) quick=1 ;;
    --live) live=punch ;;
    --live-keep) live=keep ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done
[ "$quick" = 1 ] && { minutes=0.05; interval=1; }
secs=$(awk -v m="$minutes" 'BEGIN { printf "%g", m * 60 }')
pl_wefts "$wdir" "" "$capgb"
weft=${W_BIN[new]}
work=$(mktemp -d "$workdir/weft-bench-soak-XXXXXX")
tpid=""
trap '[ -n "$tpid" ] && kill "$tpid" 2>/dev/null; rm -rf "$work"' EXIT
pl_cc new "$work/soak_pool" "$pl_here/soak_pool.c"

# weft run under /usr/bin/time (for weft's own peak RSS at the end); its
# child is weft, weft's child the program.
logs=$work/logs
liveopt=() punch=0
[ -n "$live" ] && liveopt=(--live)
[ "$live" = punch ] && punch=1
WEFT_LIVE_PUNCH=$punch /usr/bin/time -f '%e %M %x' -o "$work/run.time" \
    "$weft" run -q "${liveopt[@]}" --keep-log="$logs" -o "$work/soak.db" -- "$work/soak_pool" "$secs" "$rate" "$workers" \
    </dev/null >"$work/run.out" 2>"$work/run.err" &
tpid=$!
t0=$(date +%s.%N)
series=$work/series
printf '%8s  %-7s %12s %12s %12s\n' "seconds" "phase" "program MB" "weft MB" "logs MB" >"$series"
wpid="" ppid="" capped=0
while kill -0 "$tpid" 2>/dev/null; do
    [ -n "$wpid" ] || wpid=$(pgrep -P "$tpid" 2>/dev/null | head -1 || true)
    [ -n "$wpid" ] && [ -z "$ppid" ] && ppid=$(pgrep -P "$wpid" 2>/dev/null | head -1 || true)
    if [ -n "$wpid" ]; then
        prss=0 phase=ingest
        if [ -n "$ppid" ] && [ -e "/proc/$ppid" ]; then prss=$(pl_rss_kb "$ppid"); phase=run; fi
        wrss=$(pl_rss_kb "$wpid")
        # A weft (its ingest) far beyond the cap is stopped, not left to
        # swap the machine to death.
        if [ "$(pl_rss_kb "$wpid" anon)" -gt "$PL_CAP_KB" ]; then kill -KILL "$wpid" 2>/dev/null; capped=1; fi
        now=$(date +%s.%N)
        printf '%8.1f  %-7s %12s %12s %12s\n' "$(awk -v a="$now" -v b="$t0" 'BEGIN { print a - b }')" "$phase" "$(pl_mb "$prss")" \
            "$(pl_mb "$wrss")" "$(pl_mb "$(pl_du_kb "$logs")")" >>"$series"
    fi
    # Sleep in small steps, so that the end of the run is seen at once.
    for ((i = 0; i < interval * 10; i++)); do
        kill -0 "$tpid" 2>/dev/null || break
        sleep 0.1
    done
done
wait "$tpid" || true
tpid=""
last=$(tail -1 "$work/run.time")
run_rc=$(echo "$last" | awk '{print $3}')
sig=$(sed -n 's/^Command terminated by signal \([0-9]*\).*/\1/p' "$work/run.time")
[ -n "$sig" ] && run_rc=$((128 + sig))
run_t=${last%% *}
run_peak=$(pl_mb "$(echo "$last" | awk '{print $2}')")
logs_mb=$(pl_mb "$(pl_du_kb "$logs")")

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "## weft soak ($(date -u '+%Y-%m-%d %H:%M'), $(nproc) CPUs, load $load$([ "$quick" = 1 ] && echo ', --quick: numbers mean nothing'))"
echo "weft = ${W_DIR[new]}; soak_pool $secs s at $rate items/s, $workers workers, under weft run ${liveopt[*]} --keep-log$([ "$punch" = 1 ] && echo ' (WEFT_LIVE_PUNCH=1: consumed chunks given back)'); a sample every $interval s"
echo "phase run: the program is alive; phase ingest: it has exited and weft is writing the trace"
echo
cat "$series"
echo
# first/last/max of a column over the samples of one phase
col() { # COLUMN PHASE what
    awk -v c="$1" -v ph="$2" 'NR > 1 && $2 == ph { v = $c; if (n == 0) f = v; l = v; if (v > m) m = v; n++ }
        END { if (n) printf "first %s, last %s, max %s MB (%d samples)", f, l, m, n; else print "no samples" }' "$series"
}
echo "Summary:"
echo "  program RSS while it ran:   $(col 3 run)"
echo "  weft RSS while it ran:      $(col 4 run)"
echo "  log directory while it ran: $(col 5 run)"
echo "  weft RSS after the exit:    $(col 4 ingest)"
echo "  weft run: $(if [ "$run_rc" = 0 ]; then echo "exit 0"; elif [ "$capped" = 1 ]; then echo "failed (memory cap $(pl_mb "$PL_CAP_KB") MB)"; else echo "failed (exit $run_rc)"; fi), ${run_t} s, peak RSS $run_peak MB (the largest of weft and the program); logs at the end $logs_mb MB; program: $(cat "$work/run.out")"
if [ "$run_rc" != 0 ] || [ ! -s "$work/soak.db" ]; then
    echo "  no trace from weft run: no comparison (its last line: $(tail -1 "$work/run.err"))"
    exit 0
fi
ev=$(pl_events "$work/soak.db")
dropped=$(pl_lost "$work/soak.db")
losses=$(sqlite3 "$work/soak.db" "select count(*) || ' rows' || coalesce(': ' || group_concat(what || ' ' || count, ', '), '') from losses" 2>/dev/null || echo "?")
echo "  events: $ev; lost: dropped_events $dropped, losses table $losses"
if [ -n "$live" ]; then
    echo "  live ingest: $(sqlite3 "$work/soak.db" "select group_concat(key || ' ' || value, ', ') from meta where key like 'live%'")"
fi
if [ "$punch" = 1 ]; then
    echo "  the logs were given back as they were consumed: no offline comparison (--live-keep makes one)"
    exit 0
fi

# The same logs ingested offline.
mapfile -t lf < <(pl_logs "$logs")
pl_time "$work/ing.out" "$weft" ingest -q "${lf[@]}" -o "$work/offline.db"
if [ "$rc" != 0 ]; then
    echo "  offline weft ingest of the kept logs: $(pl_failed): no comparison"
    exit 0
fi
echo "  offline weft ingest of the kept logs: $t s, peak RSS $(pl_mb "$rss_kb") MB, events $(pl_events "$work/offline.db")"
# Findings, groups and losses of each, without ids, times and trace names.
norm() {
    "$weft" report --format=json "$1" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
drop = {"id", "ts", "thread", "object", "first", "trace", "time", "ms"}
def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items() if k not in drop}
    if isinstance(x, list):
        return [clean(v) for v in x]
    return x
for key in ("findings", "groups", "losses"):
    for item in sorted(json.dumps(clean(v), sort_keys=True) for v in d.get(key, [])):
        print(key, item)
'
}
norm "$work/soak.db" >"$work/a.txt"
norm "$work/offline.db" >"$work/b.txt"
nf=$(grep -c '^findings' "$work/a.txt" || true)
if cmp -s "$work/a.txt" "$work/b.txt"; then
    echo "  findings: identical ($nf findings: $(grep '^findings' "$work/a.txt" | sed 's/.*"kind": "\([^"]*\)".*/\1/' | sort | uniq -c | awk '{printf "%s%s %s", s, $1, $2; s = ", "}'))"
else
    echo "  findings: DIFFER between weft run and the offline ingest ($nf against $(grep -c '^findings' "$work/b.txt" || true)):"
    diff "$work/a.txt" "$work/b.txt" | head -20 | cut -c1-300 | sed 's/^/    /'
fi
