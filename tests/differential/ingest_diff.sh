#!/bin/sh
# SPDX-License-Identifier: MIT
# ingest_diff.sh: the differential test of the streaming ingest (issue 12).
# Until the old ingest is deleted for good, every trace of the suite must
# ingest to the same database with it as with the new one: the same rows
# in every table the detectors and reports read, and the same findings.
#
# The old ingest is the `weft` of commit $WEFT_OLD_COMMIT (the last one
# before the streaming reader), built once from git into $OLD_BUILD. The
# traces: every scenario's raw logs (weft scenarios run --keep keeps them)
# and the harness test programs that make processes, forks and execs.
# Both ingests read the same logs with `weft ingest`, so they are given
# the same options. A missing git history or a failed build fails the
# test: it never passes by being skipped.
#
# Environment (from CTest): WEFT (the new weft), SRC (the source tree),
# OLD_BUILD (where the old weft is built), BIN (the harness test
# programs). Exit status 0 when every trace agrees.
set -u
OLD=${WEFT_OLD_COMMIT:-76f484f}
# The old reader rejects a record with the relock flag (header bit 19,
# younger than it) as damage: the traces are recorded without the flag.
# differential:relocks checks the new ingest with it against without it.
WEFT_SHIM_RELOCKS=0
export WEFT_SHIM_RELOCKS
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-diff-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0

old_weft="$OLD_BUILD/build/harness/weft"
if [ ! -x "$old_weft" ]; then
    if ! git -C "$SRC" cat-file -e "$OLD^{commit}" 2>/dev/null; then
        echo "ingest_diff: commit $OLD is not in $SRC's history (a shallow clone?): cannot build the old ingest" >&2
        exit 1
    fi
    rm -rf "$OLD_BUILD" && mkdir -p "$OLD_BUILD/src" &&
        git -C "$SRC" archive "$OLD" | tar -x -C "$OLD_BUILD/src" &&
        cmake -S "$OLD_BUILD/src" -B "$OLD_BUILD/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF >"$work/cmake.log" 2>&1 &&
        cmake --build "$OLD_BUILD/build" -j2 --target weft-cli >>"$work/cmake.log" 2>&1 || {
        echo "ingest_diff: building the old weft ($OLD) failed:" >&2
        tail -20 "$work/cmake.log" >&2
        exit 1
    }
fi

# The tables compared whole, and the findings by what a user sees. By
# default the new ingest counts what the old one stored as rows (a mutex
# taken again by its last releaser: issue 12), so events and event_counts
# are compared with --all-events given to both (a row for every event),
# the rest without.
tables="processes threads objects images losses deadlock_waits blocked_at_exit stacks modules"

compare() { # NAME LOGDIR
    name=$1 logs=$2
    tables_now=$tables
    pass "$name" "$logs"
    tables_now="events"
    pass "$name (--all-events)" "$logs" --all-events
}

pass() { # NAME LOGDIR [OPTION]
    name=$1 logs=$2
    shift 2
    opt=${1:-}
    set -- "$logs"/*
    "$WEFT" ingest -q $opt -o "$work/new.db" "$@" >/dev/null 2>"$work/new.err"
    n=$?
    "$old_weft" ingest -q $opt -o "$work/old.db" "$@" >/dev/null 2>"$work/old.err"
    o=$?
    if [ $n -ne $o ]; then
        echo "FAIL $name: new ingest exits $n, old $o" >&2
        cat "$work/new.err" "$work/old.err" >&2
        fail=1
        rm -f "$work/new.db" "$work/old.db"
        return
    fi
    # A trace where the watchdog found threads blocked on channels no
    # running thread could reach (issue 14: a deadlock event with obj 2,
    # the process went on) is one the old weft read as ended by the
    # watchdog there: its process's end and its thread-kind findings
    # (not judged after a watchdog exit) are not compared, and its
    # deadlock findings are compared but for their message.
    chanleak=$(sqlite3 "$work/new.db" "SELECT count(*) FROM event_log WHERE kind = 'deadlock' AND obj = 2")
    for t in $tables_now; do
        cols="*"
        # a process whose last image exec'd a program that left no log
        # ends as `exec` now (the old ingest said `unknown`: a log that
        # just stops)
        [ "$t" = processes ] &&
            cols="pid, parent_pid, parent_thread, argv, exe, start_ns, start_realtime_ns, end_ns,
                CASE exit_kind WHEN 'exec' THEN 'unknown' ELSE exit_kind END, exit_code, signal,
                finished, events, dropped_events, stack_depth, log_path, complete, images"
        [ "$t" = processes ] && [ "$chanleak" != 0 ] &&
            cols="pid, parent_pid, parent_thread, argv, exe, start_ns, start_realtime_ns, events,
                dropped_events, stack_depth, log_path, complete, images"
        d=$(sqlite3 "$work/new.db" "ATTACH '$work/old.db' AS o;
            SELECT count(*) FROM (SELECT $cols FROM main.$t EXCEPT SELECT $cols FROM o.$t);
            SELECT count(*) FROM (SELECT $cols FROM o.$t EXCEPT SELECT $cols FROM main.$t);" | tr '\n' ' ')
        if [ "$d" != "0 0 " ]; then
            echo "FAIL $name: table $t differs (rows only in new, only in old: $d)" >&2
            fail=1
        fi
    done
    # frames: the same names everywhere; the new symbol table also gives
    # a module and offset where the old one gave none (the vDSO, a file
    # gone), never another one.
    [ -z "$opt" ] && d=$(sqlite3 "$work/new.db" "ATTACH '$work/old.db' AS o;
        SELECT count(*) FROM (SELECT stack, depth, pc, function, file, line FROM main.frames
            EXCEPT SELECT stack, depth, pc, function, file, line FROM o.frames);
        SELECT count(*) FROM (SELECT stack, depth, pc, function, file, line FROM o.frames
            EXCEPT SELECT stack, depth, pc, function, file, line FROM main.frames);
        SELECT count(*) FROM (SELECT stack, depth, module, offset FROM o.frames
            WHERE module IS NOT NULL EXCEPT SELECT stack, depth, module, offset FROM main.frames);" |
        tr '\n' ' ')
    if [ -z "$opt" ] && [ "$d" != "0 0 0 " ]; then
        echo "FAIL $name: frames differ (only in new, only in old, old modules not in new: $d)" >&2
        fail=1
    fi
    # select_cases: the same cases; the old ingest named each case's
    # channel object as it stood at the end of the trace (none when the
    # channel was freed since), the new one as it stood at the select: an
    # object the old one named must be the same, one it did not name is
    # the one live then.
    [ -z "$opt" ] && d=$(sqlite3 "$work/new.db" "ATTACH '$work/old.db' AS o;
        SELECT count(*) FROM (SELECT event, idx, chan, op FROM main.select_cases
            EXCEPT SELECT event, idx, chan, op FROM o.select_cases);
        SELECT count(*) FROM (SELECT event, idx, chan, op FROM o.select_cases
            EXCEPT SELECT event, idx, chan, op FROM main.select_cases);
        SELECT count(*) FROM o.select_cases x JOIN main.select_cases n USING (event, idx)
            WHERE x.object IS NOT NULL AND n.object IS NOT x.object;
        SELECT count(*) FROM main.select_cases n JOIN main.events e ON e.id = n.event
            JOIN main.objects b ON b.id = n.object
            WHERE b.created_ns > e.ts OR b.destroyed_ns < e.ts;" | tr '\n' ' ')
    if [ -z "$opt" ] && [ "$d" != "0 0 0 0 " ]; then
        echo "FAIL $name: select_cases differ (only in new, only in old, other objects, objects not live: $d)" >&2
        fail=1
    fi
    # findings: the same, except
    # - the time of wg-add-concurrent-with-wait: the new detector decides
    #   each Add/Wait pair as the later of the two comes (in bounded
    #   memory) and gives that event's time; the old one decided them all
    #   at the end, with no time;
    # - leaked-thread, unjoined-thread (issue 14): the findings of one process with the
    #   same kind, severity and stacks (one creation site) are one row,
    #   the first of them, with their number in `count`: each new row is
    #   an old one, and the old rows counted by those keys are the new
    #   counts;
    # - close-by-receiver (issue 14): reported only when a thread that
    #   sends on the channel was alive at the close, with that sender in
    #   its message: each new one is an old one but for its message, and
    #   the old ones on channels nobody could still send on are gone;
    # - lock-order-inversion (issue 14) is a kind the old weft never had:
    #   the new one's are left out, all of them and nothing else;
    # - in a trace with channel leaks (above), the thread kinds and the
    #   deadlock messages.
    f="kind, severity, pid, thread, object, message, stacks,
        CASE kind WHEN 'wg-add-concurrent-with-wait' THEN NULL ELSE ts END, uncertain"
    [ "$chanleak" != 0 ] && f="kind, severity, pid, thread, object,
        CASE kind WHEN 'deadlock' THEN NULL ELSE message END, stacks, ts, uncertain"
    tk="kind IN ('leaked-thread', 'unjoined-thread')"
    xk="'close-by-receiver', 'lock-order-inversion'"
    [ "$chanleak" != 0 ] && xk="$xk, 'leaked-thread', 'unjoined-thread'"
    cbr="kind, severity, pid, thread, object, stacks, ts, uncertain"
    fk="kind, severity, pid, stacks, uncertain"
    d=$(sqlite3 "$work/new.db" "ATTACH '$work/old.db' AS o;
        SELECT count(*) FROM (SELECT $f FROM main.findings
            WHERE kind NOT IN ($xk) EXCEPT SELECT $f FROM o.findings);
        SELECT count(*) FROM (SELECT $f FROM o.findings WHERE NOT $tk AND kind <> 'close-by-receiver'
            EXCEPT SELECT $f FROM main.findings);
        SELECT count(*) FROM (SELECT $fk, sum(count) FROM main.findings WHERE $tk GROUP BY $fk
            EXCEPT SELECT $fk, count(*) FROM o.findings WHERE $tk GROUP BY $fk);
        SELECT count(*) FROM (SELECT $fk, count(*) FROM o.findings WHERE $tk GROUP BY $fk
            EXCEPT SELECT $fk, sum(count) FROM main.findings WHERE $tk GROUP BY $fk);
        SELECT count(*) FROM (SELECT $cbr FROM main.findings WHERE kind = 'close-by-receiver'
            EXCEPT SELECT $cbr FROM o.findings);" |
        tr '\n' ' ')
    [ "$chanleak" != 0 ] && d=$(echo "$d" | awk '{print $1, $2, 0, 0, $5, ""}')
    if [ "$d" != "0 0 0 0 0 " ]; then
        echo "FAIL $name: findings differ (only in new, only in old, thread kinds' counts new/old, new close-by-receiver: $d)" >&2
        fail=1
    fi
    [ -z "$opt" ] && checked=$((checked + 1))
    rm -f "$work/new.db" "$work/old.db"
}

checked=0
"$WEFT" scenarios run --keep "$work/keep" -j2 >/dev/null 2>&1
for d in "$work"/keep/*/; do
    [ -d "$d/trace.logs" ] && compare "scenario $(basename "$d")" "$d/trace.logs"
done
# Programs of the harness tests: processes, forks, execs, signals, locks.
for p in t_threads t_fork t_exec t_sync t_timed t_weft t_fold t_deadlock_chan t_many; do
    [ -x "$BIN/$p" ] || { echo "FAIL: $BIN/$p is not built" >&2; fail=1; continue; }
    (cd "$work" && rm -rf run.db run.logs &&
        "$WEFT" run -q -o run.db --keep-log=run.logs -- "$BIN/$p" >/dev/null 2>&1 </dev/null)
    [ -d "$work/run.logs" ] && compare "$p" "$work/run.logs" ||
        { echo "FAIL $p: no logs" >&2; fail=1; }
done
if [ "$checked" -lt 80 ]; then
    echo "FAIL: only $checked traces compared (the scenarios did not run?)" >&2
    fail=1
fi
echo "ingest_diff: $checked traces compared, old ingest $OLD"
exit $fail
