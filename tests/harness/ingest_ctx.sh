#!/bin/sh
# SPDX-License-Identifier: MIT
# ingest_ctx.sh: the ingest is a context object (issue 12): several
# ingests in one process never meet. Usage: ingest_ctx.sh NAME, with
# WEFT, SHIM and BIN in the environment (CTest).
#   ingest_concurrent: the logs of two real runs (t_busy: a forked child,
#     contended mutexes, over 64 chunks per process; t_weft: libweft's
#     channels, selects, groups and timers) ingested alone, then both at
#     once on two threads of one process (t_ingest2, several rounds, each
#     with a hook that digests the detectors' whole stream): every
#     database the concurrent ingests write is the lone one's, table by
#     table and row by row, and so is every stream.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

case $name in
ingest_concurrent)
    "$WEFT" run -q --keep-log="$work/a.logs" -o "$work/a.db" -- "$BIN/t_busy" \
        >"$work/out" 2>"$work/err"
    expect "t_busy status" "$?" 0
    "$WEFT" run -q --keep-log="$work/b.logs" -o "$work/b.db" -- "$BIN/t_weft" \
        >"$work/out" 2>"$work/err"
    expect "t_weft status" "$?" 0
    [ "$fails" -eq 0 ] || finish
    mkdir "$work/dbs"
    "$BIN/t_ingest2" "$work/dbs" 4 "$work"/a.logs/log* -- "$work"/b.logs/log* \
        >"$work/digests" 2>"$work/err"
    rc=$?
    expect "t_ingest2 status ($(head -c 2000 "$work/err"))" "$rc" 0
    expect "digest lines" "$(wc -l <"$work/digests")" 10
    # the databases, as SQL text, table by table
    for s in a b; do
        sqlite3 "$work/dbs/lone-$s.db" .dump >"$work/lone-$s.sql" 2>&1 ||
            fail "no lone database $s"
        grep -q 'INSERT INTO events' "$work/lone-$s.sql" || fail "lone $s: no events"
        for r in 0 1 2 3; do
            sqlite3 "$work/dbs/con-$s-$r.db" .dump >"$work/con.sql" 2>&1 ||
                fail "round $r: no database $s"
            cmp -s "$work/lone-$s.sql" "$work/con.sql" ||
                fail "round $r: database $s differs from the lone ingest's:" \
                    "$(diff "$work/lone-$s.sql" "$work/con.sql" | head -5)"
        done
    done
    # no temporary database left behind
    expect "leftovers" "$(ls "$work/dbs" | grep -c tmp)" 0
    ;;
ingest_concurrent_helgrind)
    need valgrind
    "$WEFT" run -q --keep-log="$work/a.logs" -o "$work/a.db" -- "$BIN/t_threads" \
        >"$work/out" 2>"$work/err"
    expect "t_threads status" "$?" 3 # its main returns 3
    "$WEFT" run -q --keep-log="$work/b.logs" -o "$work/b.db" -- "$BIN/t_weft" \
        >"$work/out" 2>"$work/err"
    expect "t_weft status" "$?" 0
    # and t_relock's 300 locks beside t_threads: with a row for every
    # event (T_INGEST2_ALL_EVENTS), set a has more rows than one batch of
    # the events' writer (writer.c's thread runs beside each ingest)
    "$WEFT" run -q --keep-log="$work/c.logs" -o "$work/c.db" -- "$BIN/t_relock" 300 \
        >"$work/out" 2>"$work/err"
    expect "t_relock status" "$?" 0
    [ "$fails" -eq 0 ] || finish
    mkdir "$work/dbs"
    # WEFT_INGEST_WARM_AFTER=0: the symbol tables warm their installed
    # debug files (libc6-dbg's libc, scripts/deps.sh) from the first event
    # (symbolize.c), beside both ingests; WEFT_INGEST_PROFILE=1 says how
    # many each warmed (the answers' cache off: it would spare the loads).
    T_INGEST2_ALL_EVENTS=1 WEFT_CACHE_DIR=off WEFT_INGEST_WARM_AFTER=0 WEFT_INGEST_PROFILE=1 valgrind --tool=helgrind --error-exitcode=99 \
        --fair-sched=try --suppressions="$(dirname "$0")/ingest_ctx.supp" \
        "$BIN/t_ingest2" "$work/dbs" 1 "$work"/a.logs/log* "$work"/c.logs/log* -- \
        "$work"/b.logs/log* >"$work/digests" 2>"$work/err"
    rc=$?
    expect "helgrind t_ingest2 status ($(grep -m1 -A12 'Possible data race' "$work/err"))" "$rc" 0
    # every ingest (each set alone, then both at once) warmed a file
    expect "ingests that warmed" "$(grep -c '^weft ingest: warmed *[1-9]' "$work/err")" \
        "$(grep -c '^weft ingest: warmed' "$work/err")"
    [ "$(grep -c '^weft ingest: warmed' "$work/err")" -ge 4 ] ||
        fail "fewer than 4 ingests said what they warmed: $(grep '^weft ingest' "$work/err" | head)"
    rows=$(sqlite3 "$work/dbs/lone-a.db" "SELECT count(*) FROM events")
    [ "$rows" -gt 400 ] || fail "set a: $rows rows, fewer than two of the writer's batches of 200"
    for s in a b; do
        sqlite3 "$work/dbs/lone-$s.db" .dump >"$work/lone.sql" 2>&1 || fail "no lone database $s"
        sqlite3 "$work/dbs/con-$s-0.db" .dump >"$work/con.sql" 2>&1 || fail "no database $s"
        cmp -s "$work/lone.sql" "$work/con.sql" || fail "database $s differs from the lone one's"
    done
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
