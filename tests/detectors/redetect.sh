#!/bin/sh
# SPDX-License-Identifier: MIT
# redetect.sh: the detectors read a trace back from its database the way
# they read the ingest's stream (the ingest's database source): every
# scenario's trace, and those of harness programs with forks, execs and
# locks, must give the same findings both ways (redetect.c compares them).
# The traces are ingested with --all-events: by default the ingest counts
# events that carry no edge (a relock by the last releaser, an annotation
# no one acquires) instead of storing them, and a heuristic that looks at
# a thread's last events (a thread "finishing" at exit) cannot be replayed
# from the counts.
# Environment: WEFT, REDETECT (the redetect binary), HBIN (the harness
# test programs). Fails when fewer traces than the suite's were compared.
set -u
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-redetect-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$WEFT" scenarios run --keep "$work/keep" -j2 >/dev/null 2>&1
n=0
for d in "$work"/keep/*/; do
    [ -d "$d/trace.logs" ] || continue
    "$WEFT" ingest -q --all-events -o "$work/$n.db" "$d"/trace.logs/* >/dev/null 2>&1
    [ -f "$work/$n.db" ] && n=$((n + 1))
done
for p in t_threads t_fork t_exec t_sync t_timed t_weft t_deadlock_chan t_many; do
    (cd "$work" && "$WEFT" run -q --all-events -o "$work/$p.db" -- "$HBIN/$p" >/dev/null 2>&1 </dev/null)
    [ -f "$work/$p.db" ] || { echo "redetect: $p left no trace" >&2; exit 1; }
    n=$((n + 1))
done
if [ "$n" -lt 80 ]; then
    echo "redetect: only $n traces (the scenarios did not run?)" >&2
    exit 1
fi
"$REDETECT" "$work"/*.db
