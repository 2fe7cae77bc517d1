#!/bin/sh
# SPDX-License-Identifier: MIT
# relock_diff.sh: folding relock pairs (harness/ingest/relock.h) must
# change nothing but the ingest's speed. Every trace here is ingested
# twice from the same logs, with folding (the default) and without
# (WEFT_INGEST_RELOCKS=0), and the two databases must agree row for row
# in every table (meta's timings aside): events with their ids, the
# counts, objects, threads, findings, everything a report reads. The
# traces: every scenario's logs, the harness programs that lock, one that
# holds each pattern a fold must keep (t_relocks), relocks in a signal
# handler inside a wait (t_sigwait) and, the shape the fold
# is for, sqlite3 building an index with sorter threads. The folds must
# also have happened (the profile line counts them), or the test proves
# nothing: it fails then.
#
# Environment (from CTest): WEFT (weft), BIN (the harness test programs).
# Exit status 0 when every trace agrees.
set -u
# The reader's folds are what this compares: the shim counts long rows of
# relocks itself (relock runs, log.h), which would leave few pairs for the
# reader to fold, so the traces are recorded without them; one more
# sqlite3 trace, at the end, with them (pipeline.sh's runs_same checks
# what they count).
WEFT_SHIM_RUNS=0
export WEFT_SHIM_RUNS
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-relock-diff-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0 checked=0 folded=0

# The pairs folded by the last ingest with folding (its profile line).
pairs_of() {
    sed -n 's/^weft ingest: relocks *\([0-9]*\) pairs.*/\1/p' "$1" | tail -1
}

compare() { # NAME LOGDIR [MIN_PAIRS]
    name=$1 logs=$2 min=${3:-0}
    set -- "$logs"/*
    WEFT_INGEST_PROFILE=1 "$WEFT" ingest -q -o "$work/fold.db" "$@" >/dev/null 2>"$work/fold.err"
    f=$?
    WEFT_INGEST_RELOCKS=0 "$WEFT" ingest -q -o "$work/plain.db" "$@" >/dev/null 2>"$work/plain.err"
    p=$?
    if [ $f -ne $p ]; then
        echo "FAIL $name: the ingest exits $f with folding, $p without" >&2
        fail=1
    fi
    pairs=$(pairs_of "$work/fold.err")
    pairs=${pairs:-0}
    folded=$((folded + pairs))
    if [ "$pairs" -lt "$min" ]; then
        echo "FAIL $name: $pairs relock pairs folded, want at least $min" >&2
        fail=1
    fi
    for t in $(sqlite3 "$work/plain.db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"); do
        w=""
        [ "$t" = meta ] && w="WHERE key NOT LIKE '%_ns' AND key NOT LIKE '%time%' AND key NOT LIKE '%_s'"
        d=$(sqlite3 "$work/fold.db" "ATTACH '$work/plain.db' AS o;
            SELECT count(*) FROM (SELECT * FROM main.$t $w EXCEPT SELECT * FROM o.$t $w);
            SELECT count(*) FROM (SELECT * FROM o.$t $w EXCEPT SELECT * FROM main.$t $w);" | tr '\n' ' ')
        if [ "$d" != "0 0 " ]; then
            echo "FAIL $name: table $t differs (rows only with folding, only without: $d)" >&2
            fail=1
        fi
    done
    checked=$((checked + 1))
    rm -f "$work/fold.db" "$work/plain.db"
}

"$WEFT" scenarios run --keep "$work/keep" -j2 >/dev/null 2>&1
for d in "$work"/keep/*/; do
    [ -d "$d/trace.logs" ] && compare "scenario $(basename "$d")" "$d/trace.logs"
done
rm -rf "$work/keep"

run() { # NAME MIN_PAIRS COMMAND...
    name=$1 min=$2
    shift 2
    (cd "$work" && rm -rf run.db run.logs &&
        "$WEFT" run -q -o run.db --keep-log=run.logs -- "$@" >/dev/null 2>&1 </dev/null)
    if [ -d "$work/run.logs" ]; then
        compare "$name" "$work/run.logs" "$min"
    else
        echo "FAIL $name: no logs" >&2
        fail=1
    fi
}

# The minimums prove that folds happened, not how many: a loaded machine
# interleaves the threads more, and a fold ends wherever another thread's
# record falls (`t_relocks 4000`: 189,102 pairs folded on a quiet machine,
# 9,434 in CI, which runs tests two at a time).
run t_relocks 1000 "$BIN/t_relocks" 4000
run t_relock 100 "$BIN/t_relock" 2000
# relocks in a signal handler, inside the thread's sem_wait: they end no
# call, folded or not (sigwait.sh); a handler's lock that waits, and one
# left waiting
run "t_sigwait lock" 1 "$BIN/t_sigwait" lock
run "t_sigwait wait" 0 "$BIN/t_sigwait" wait
run "t_sigwait stuck" 0 "$BIN/t_sigwait" stuck
for p in t_sync t_timed t_threads t_fork t_deadlock_abba t_lock_cycle t_weft; do
    if [ -x "$BIN/$p" ]; then
        run "$p" 0 "$BIN/$p"
    else
        echo "FAIL: $BIN/$p is not built" >&2
        fail=1
    fi
done
cat >"$work/index.sql" <<EOF
PRAGMA threads=4;
CREATE TABLE t(a INTEGER, b INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
  INSERT INTO t SELECT x, random() FROM c;
CREATE INDEX tb ON t(b);
SELECT count(*) FROM t;
EOF
run sqlite3 1000 sqlite3 "$work/index.db" ".read $work/index.sql"
WEFT_SHIM_RUNS=1 run "sqlite3 (relock runs)" 0 sqlite3 "$work/index2.db" ".read $work/index.sql"

if [ "$checked" -lt 80 ]; then
    echo "FAIL: only $checked traces compared (the scenarios did not run?)" >&2
    fail=1
fi
echo "relock_diff: $checked traces compared, $folded relock pairs folded"
exit $fail
