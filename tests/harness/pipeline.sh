#!/bin/sh
# SPDX-License-Identifier: MIT
# pipeline.sh: the trace pipeline of issue 12 seen from the database:
# which events become rows and which are counted.
name=$1
. "$(dirname "$0")/../common/lib.sh"

# lock_rows DB M: mutex M's lock and unlock rows in order, as kind:tid
lock_rows() {
    sqlite3 "$1" "SELECT group_concat(kind || ':' || t.tid, ' ') FROM (SELECT e.kind, e.thread
        FROM events e WHERE e.object = $2 AND e.kind IN (61, 63) ORDER BY e.id) x
        JOIN threads t ON t.id = x.thread"
}
# all_accounted DB: every event of DB is one row or one count
all_accounted() {
    expect "rows + counts = events ($(basename "$1"))" \
        "$(sqlite3 "$1" "SELECT (SELECT count(*) FROM events) +
            (SELECT coalesce(sum(count), 0) FROM event_counts)")" \
        "$(sqlite3 "$1" "SELECT sum(events) FROM processes")"
}

# on_off VAR NAME [OPTION...] -- PROG ARGS...: PROG traced twice (weft
# run -q OPTION...), with VAR=1 and with VAR=0, into $work/NAME1.db and
# NAME0.db (WEFT_INGEST_PROFILE=1: its lines in $work/NAME1.err and
# NAME0.err).
on_off() {
    var=$1 name=$2 opts=
    shift 2
    while [ "$1" != -- ]; do
        opts="$opts $1"
        shift
    done
    shift
    for v in 1 0; do
        # shellcheck disable=SC2086 # the options are words
        env "$var=$v" WEFT_INGEST_PROFILE=1 "$WEFT" run -q $opts -o "$work/$name$v.db" -- "$@" \
            >/dev/null 2>"$work/$name$v.err" || fail "run with $var=$v$opts"
    done
}
# profiled FILE WHAT: the count the profile line WHAT says in FILE
profiled() {
    sed -n "s/^weft [a-z]*: $2 *\([0-9]*\) .*/\1/p" "$1" | tail -1
}

# live_steps: weft run reads the logs while the program runs (--live in
# $opts), 50 ms steps and margin, and the program sleeps first ($first
# ms) through the reader's calibration
live_steps() {
    opts=--live first=1100
    WEFT_LIVE_INTERVAL_MS=50 WEFT_LIVE_MARGIN_MS=50
    export WEFT_LIVE_INTERVAL_MS WEFT_LIVE_MARGIN_MS
}

# one_thread_same B WHAT: the traces $work/B1.db and $work/B0.db of one
# thread's run (t_anchor's: the same events in the same order every run)
# are the same but for times, addresses and process and thread ids
# (stacks by their frames' functions); the dumps stay in $work/dumpB1
# and $work/dumpB0, the events last.
one_thread_same() {
    site="(SELECT group_concat(function, '<') FROM (SELECT function FROM frames f
        WHERE f.stack = x.stack ORDER BY depth))"
    for v in 1 0; do
        sqlite3 "$work/$1$v.db" "
            SELECT x.id, x.thread, x.kind, x.object,
                CASE WHEN x.kind IN (10, 32, 33) THEN NULL ELSE x.arg END, x.arg2, $site
                FROM events x ORDER BY x.id;
            SELECT x.thread, x.object, x.kind, x.count, x.first_id, x.last_id, x.waited
                FROM event_counts x ORDER BY 1, 2, 3;
            SELECT kind, count(*) FROM findings GROUP BY kind ORDER BY kind;
            SELECT id, kind FROM objects ORDER BY id;
            SELECT sum(events) FROM processes;" >"$work/dump$1$v"
    done
    cmp -s "$work/dump${1}1" "$work/dump${1}0" ||
        fail "traces differ ($1.db: $2):
$(diff "$work/dump${1}1" "$work/dump${1}0" | head -20)"
}

# m_rows_and_counts WHAT: t_relock's mutex m in $db: the rows that carry
# an edge, the rest counted.
m_rows_and_counts() {
    m=$(first_mutex "$db")
    expect "$1m's lock rows" "$(q "SELECT count(*) FROM events WHERE kind = 61 AND object = $m")" 2
    expect "$1m's unlock rows" "$(q "SELECT count(*) FROM events WHERE kind = 63 AND object = $m")" 2
    expect "$1m's counted locks" \
        "$(q "SELECT sum(count) FROM event_counts WHERE kind = 'mutex_lock_end' AND object = $m")" 999
    expect "$1m's counted trylocks" \
        "$(q "SELECT sum(count) FROM event_counts WHERE kind = 'mutex_trylock' AND object = $m")" 10
    expect "$1m's counted unlocks" \
        "$(q "SELECT sum(count) FROM event_counts WHERE kind = 'mutex_unlock' AND object = $m")" 1009
}

case $name in
relock_counted)
    # A mutex taken again by the thread that released it last, without
    # waiting, is counted with its unlock; the rows left are those that
    # carry an edge: the worker's first lock, its last unlock (main takes
    # m next), main's lock and unlock.
    run_weft "$BIN/t_relock" 1000
    expect "status" "$rc" 0
    expect "output" "$(cat "$work/out")" 1031
    m_rows_and_counts ""
    # h changes hands between each of the 20 turns: each of those 19
    # acquisitions by the thread that did not release h last is a row,
    # a lock of h or the end of a wait on cv (whose row names cv, and h
    # in arg2); a thread taking h again after its own unlock is counted.
    hh=$(q "SELECT o.id FROM objects o WHERE o.kind = 'mutex' AND o.address =
        (SELECT arg FROM events WHERE kind = 72 LIMIT 1)")
    [ -n "$hh" ] || fail "h: no cond_wait_begin names a mutex"
    hl=$(q "SELECT (SELECT count(*) FROM events WHERE kind = 61 AND object = $hh) +
        (SELECT count(*) FROM events WHERE kind = 73)")
    [ "$hl" -ge 19 ] || fail "h: $hl acquisitions as rows, want at least 19 (every handoff)"
    all_accounted "$db"
    # --all-events: a row each
    "$WEFT" run -q -o "$work/all.db" --all-events -- "$BIN/t_relock" 1000 >/dev/null 2>&1
    expect "all rows: m's locks" \
        "$(sqlite3 "$work/all.db" "SELECT count(*) FROM events e JOIN objects o ON o.id = e.object WHERE e.kind IN (61, 62) AND e.arg = 0 AND o.kind = 'mutex' AND o.id = (SELECT object FROM events WHERE kind = 61 ORDER BY id LIMIT 1)")" 1011
    # the findings are the same either way
    expect "findings" "$(q "SELECT count(*) FROM findings")" \
        "$(sqlite3 "$work/all.db" "SELECT count(*) FROM findings")"
    ;;
handoff_counted)
    # A lock by another thread than the mutex's last releaser is a row,
    # with that unlock, unless the taker already took a later release of
    # the same releaser (t_handoff: b takes m1 after taking m2, which a
    # released after m1): then both are counted. WEFT_INGEST_HANDOFFS=0
    # keeps their rows; the findings and every total are the same.
    run_weft "$BIN/t_handoff"
    expect "status" "$rc" 0
    expect "output" "$(cat "$work/out")" 6
    WEFT_INGEST_HANDOFFS=0 "$WEFT" run -q -o "$work/off.db" -- "$BIN/t_handoff" >/dev/null 2>&1 ||
        fail "run with WEFT_INGEST_HANDOFFS=0"
    # m1 is the mutex of the first lock (a's), m2 of the second
    for f in "$db" "$work/off.db"; do
        m1=$(first_mutex "$f")
        rows=$(lock_rows "$f" "$m1") # (thread order: a = 2, b = 3, c = 4)
        counted=$(sqlite3 "$f" "SELECT coalesce(group_concat(kind || ':' || t.tid || 'x' || count, ' '),
            '') FROM (SELECT * FROM event_counts WHERE object = $m1 ORDER BY kind) c
            JOIN threads t ON t.id = c.thread")
        if [ "$f" = "$db" ]; then
            # a's lock and c's (edges: c knows b's unlock of m2, which
            # came before b's of m1); b's unlock; the last unlock (c's:
            # kept, nobody took it after)
            expect "m1's rows" "$rows" "61:2 63:3 61:4 63:4"
            expect "m1 counted" "$counted" "mutex_lock_end:3x1 mutex_unlock:2x1"
        else
            expect "m1's rows (handoffs off)" "$rows" "61:2 63:2 61:3 63:3 61:4 63:4"
            expect "m1 counted (handoffs off)" "$counted" ""
        fi
        all_accounted "$f"
    done
    expect "findings" "$(q "SELECT group_concat(kind) FROM findings")" \
        "$(sqlite3 "$work/off.db" "SELECT group_concat(kind) FROM findings")"
    # the profile's count: b's lock of m1, the one hand-off known
    WEFT_INGEST_PROFILE=1 "$WEFT" run -q -o "$work/prof.db" -- "$BIN/t_handoff" \
        >/dev/null 2>"$work/prof.err" || fail "run with WEFT_INGEST_PROFILE=1"
    expect "profile" "$(sed -n 's/^weft ingest: handoffs *\([0-9]*\) known.*/\1/p' "$work/prof.err")" 1
    ;;
handoff_cap)
    # The pairs of threads whose hand-offs the ingest remembers are
    # capped (65,536, then all forgotten): t_handoff_cap hands a mutex
    # over 68,906 times, each pair of its 263 threads once, after b took
    # a's release of m2, and before b takes m1, which a released earlier.
    # Without the cap b's lock of m1 and a's unlock before it would be
    # counted; with it they are rows (what b knew was forgotten), and
    # nothing else changes: every event is a row or a count, no finding.
    run_weft "$BIN/t_handoff_cap"
    expect "status" "$rc" 0
    expect "output" "$(cat "$work/out")" 263
    m1=$(first_mutex "$db")
    expect "m1's rows" "$(lock_rows "$db" "$m1")" "61:2 63:2 61:3 63:3"
    expect "m1 counted" "$(q "SELECT count(*) FROM event_counts WHERE object = $m1")" 0
    all_accounted "$db"
    expect "findings" "$(q "SELECT count(*) FROM findings")" 0
    ;;
relock_flags_off)
    # WEFT_SHIM_RELOCKS=0: the shim flags no relock (a log an older reader
    # reads), so the reader folds nothing; the ingest still counts what
    # carries no edge, to the same rows and counts as relock_counted.
    on_off WEFT_SHIM_RELOCKS r -- "$BIN/t_relock" 1000
    [ "$(profiled "$work/r1.err" relocks)" -gt 0 ] 2>/dev/null ||
        fail "flags on: nothing folded: $(cat "$work/r1.err")"
    expect "flags off: pairs folded" "$(profiled "$work/r0.err" relocks)" 0
    db=$work/r0.db
    m_rows_and_counts "flags off: "
    ;;
backref_same)
    # Locks named by their anchor (log.h, WEFT_H_BACK) say what locks
    # that carry their mutex and site say: t_anchor (one thread, the same
    # events in the same order every run) traced with anchors named and
    # without (WEFT_SHIM_BACKREF=0), as rows and counts and with
    # --all-events, must give the same trace but for its times, addresses
    # and process and thread ids. Stacks are compared by their frames'
    # functions.
    # (no relock runs: they count the pairs of several mutexes in one
    # record, and the counts' first and last ids follow the slots; runs_same)
    WEFT_SHIM_RUNS=0
    export WEFT_SHIM_RUNS
    on_off WEFT_SHIM_BACKREF b -- "$BIN/t_anchor" 300
    on_off WEFT_SHIM_BACKREF ba --all-events -- "$BIN/t_anchor" 300
    # cycle 3 x 300 less the anchors, far 4 of 8, trylock 600, held 299,
    # nested 2 x 300 less the anchors: 2398 (and many, some of its 40
    # pairs, by how they hash); 2000 leaves room for pairs that hash alike
    [ "$(profiled "$work/b1.err" anchors)" -gt 2000 ] 2>/dev/null ||
        fail "anchors on: too few records named theirs: $(cat "$work/b1.err")"
    expect "anchors off: records named theirs" "$(profiled "$work/b0.err" anchors)" 0
    for b in b ba; do
        one_thread_same "$b" "with anchors named, without"
        # the locks, unlocks and posts alone: 2 x (900 + 12000 + 8 + 300 +
        # 300 + 301 + 900) + 12000 (and the process's own events beside them)
        ev=$(tail -1 "$work/dump${b}1")
        [ "$ev" -ge 41418 ] 2>/dev/null || fail "events ($b.db): $ev, want 41418 or more"
    done
    ;;
stage_same)
    # The logs' staging slots (log.h, harness/ingest/stage.c) carry every
    # word to its chunk, the relock runs changed in place after a copy
    # included: t_anchor (one thread, about 70 chunks of records, more
    # than the slots, so that slots are freed and used again) traced with
    # them and without (WEFT_STAGE=0: every chunk written in place) gives
    # the same trace, relock runs on in both.
    on_off WEFT_STAGE s -- "$BIN/t_anchor" 4000
    [ "$(profiled "$work/s1.err" staged)" -gt 32 ] 2>/dev/null ||
        fail "staging on: too few chunks copied: $(cat "$work/s1.err")"
    expect "staging off: chunks copied" "$(profiled "$work/s0.err" staged)" ""
    [ "$(profiled "$work/s1.err" runs)" -gt 10000 ] 2>/dev/null ||
        fail "too few relocks counted in runs: $(cat "$work/s1.err")"
    one_thread_same s "with staging slots, without"
    ;;
stage_runs|stage_live|stage_hold)
    # A relock run copied while open and changed after (t_stage: 40
    # relocks 5 ms apart, the copier's passes 2 ms apart): the trace
    # counts every lock and unlock of its mutex, with the slots and
    # without. stage_live reads the logs while the program runs (--live,
    # 50 ms steps and margin, t_stage sleeping first through the
    # reader's calibration): no record late. stage_hold takes every slot
    # and gives none back (WEFT_TEST_STAGE_HOLD=1: the copier hands the
    # slots out but copies them only at its stop): t_stage's thread writes
    # its chunks in place once the 32 slots are gone (600000 posts, some
    # 70 chunks), and the trace is whole all the same.
    opts= first=200 posts=20000
    [ "$name" != stage_live ] || live_steps
    if [ "$name" = stage_hold ]; then
        posts=600000 WEFT_TEST_STAGE_HOLD=1
        export WEFT_TEST_STAGE_HOLD
    fi
    # shellcheck disable=SC2086 # the options are words
    on_off WEFT_STAGE r $opts -- "$BIN/t_stage" 40 $first $posts
    if [ "$name" = stage_hold ]; then
        expect "held: chunks copied at the stop" "$(profiled "$work/r1.err" staged)" 32
    else
        [ "$(profiled "$work/r1.err" staged)" -ge 2 ] 2>/dev/null ||
            fail "staging on: too few chunks copied: $(cat "$work/r1.err")"
    fi
    for v in 1 0; do
        db=$work/r$v.db
        m=$(first_mutex "$db")
        expect "WEFT_STAGE=$v: m's locks" "$(occurrences mutex_lock_end "$m")" 40
        expect "WEFT_STAGE=$v: m's unlocks" "$(occurrences mutex_unlock "$m")" 40
        expect "WEFT_STAGE=$v: posts" "$(occurrences sem_post)" $((10000 + posts))
        expect "WEFT_STAGE=$v: losses" "$(q "SELECT count(*) FROM losses")" 0
        [ "$name" != stage_live ] || expect "WEFT_STAGE=$v: late records" \
            "$(q "SELECT value FROM meta WHERE key = 'live_late'")" 0
    done
    ;;
runs_late)
    # A relock run taken as final by the live reader's clock rule (log.h:
    # WEFT_RUN_FINAL epochs past it) while its writer was held between its
    # look at the clock and its store (WEFT_TEST_RUN_STALL_MS: t_stage's
    # thread sleeps 1.5 s there, at the first lock counted into an open
    # run). The lock it then stores comes too late for the trace: the
    # reader reads the run again once it is final for sure, and the lock
    # is a loss that says so (late-relocks), with its warning. The
    # unlock after the stall finds the run closed: a record of its own.
    live_steps
    WEFT_TEST_RUN_STALL_MS=1500 "$WEFT" run -q $opts -o "$work/late.db" -- \
        "$BIN/t_stage" 40 $first 100 >/dev/null 2>"$work/late.err" ||
        fail "weft run: $(cat "$work/late.err")"
    db=$work/late.db
    m=$(first_mutex "$db")
    expect "losses" "$(q "SELECT what || ' ' || count FROM losses")" "late-relocks 1"
    expect "m's locks" "$(occurrences mutex_lock_end "$m")" 39
    expect "m's unlocks" "$(occurrences mutex_unlock "$m")" 40
    grep -q "^weft: warning: trace incomplete: .*1 locks and unlocks were counted in relock runs after the live reader" \
        "$work/late.err" || fail "no warning: $(cat "$work/late.err")"
    ;;
runs_same|runs_live)
    # Relock runs (log.h, WEFT_K_MUTEX_RUN) say what the pairs' records
    # say: t_runs (its threads take turns: the same events in the same
    # order per thread every run) traced with runs and without
    # (WEFT_SHIM_RUNS=0) must give the same rows (their times and
    # addresses aside), the same counts, the same findings (lock-held-at-
    # exit of a lock counted in a run among them) and the same objects.
    # Only the counts' first and last ids may differ: a run's pairs are
    # numbered slot by slot, not in the order they came. runs_live reads
    # the logs while the program runs (--live, 50 ms steps and margin,
    # t_runs sleeping first through the reader's calibration): runs still
    # written (t_runs' slow relocks) are waited for, then read again.
    opts= first=0
    [ "$name" != runs_live ] || live_steps
    # shellcheck disable=SC2086 # the options are words
    on_off WEFT_SHIM_RUNS u $opts -- "$BIN/t_runs" 400 $first
    # cycle, five, pause, between: every relock after the third in a row
    [ "$(profiled "$work/u1.err" runs)" -gt 2000 ] 2>/dev/null ||
        fail "runs on: too few relocks counted in runs: $(cat "$work/u1.err")"
    expect "runs off: relocks counted in runs" "$(profiled "$work/u0.err" runs)" 0
    site="(SELECT group_concat(function, '<') FROM (SELECT function FROM frames f
        WHERE f.stack = x.stack ORDER BY depth))"
    # (a thread's first record and its creator's race: each thread's
    # events in its order; an object by its kind and its rank among
    # those of its kind by address, which a run keeps, its id may not)
    obj="(SELECT o.kind || '#' || (SELECT count(*) FROM objects p WHERE p.kind = o.kind AND
        p.address < o.address) FROM objects o WHERE o.id = x.object)"
    for v in 1 0; do
        sqlite3 "$work/u$v.db" "
            SELECT t.tid, x.kind, $obj,
                CASE WHEN x.kind IN (10, 30, 32, 33) THEN NULL ELSE x.arg END, x.arg2, $site
                FROM events x JOIN threads t ON t.id = x.thread ORDER BY t.tid, x.id;
            SELECT t.tid, $obj, x.kind, x.count, x.waited
                FROM event_counts x JOIN threads t ON t.id = x.thread ORDER BY 1, 2, 3;
            SELECT x.kind, t.tid, $obj FROM findings x LEFT JOIN threads t ON t.id = x.thread
                ORDER BY 1, 2, 3;
            SELECT kind, count(*) FROM objects GROUP BY kind ORDER BY kind;
            SELECT sum(events) FROM processes;" >"$work/dump$v" ||
            fail "cannot read u$v.db"
    done
    cmp -s "$work/dump1" "$work/dump0" ||
        fail "traces differ (with runs, without):
$(diff "$work/dump1" "$work/dump0" | head -20)"
    grep -q '^lock-held-at-exit|' "$work/dump1" ||
        fail "no lock-held-at-exit for the thread that returned holding its mutex:
$(grep -v '^[0-9]' "$work/dump1" | head)"
    [ "$name" != runs_live ] || expect "late records" \
        "$(sqlite3 "$work/u1.db" "SELECT value FROM meta WHERE key = 'live_late'")" 0
    ;;
prewarm)
    # weft run loads the installed debug files (libc6-dbg's) while the
    # program leaves a CPU idle (cli/prewarm.c): t_prewarm sleeps 400 ms
    # first. The trace must be the one made without that (WEFT_PREWARM=0):
    # the same findings, every frame named alike. A program that ends at
    # once is never looked at.
    # (the answers' cache off: with it, the debug files need no loading)
    export WEFT_CACHE_DIR=off
    on_off WEFT_PREWARM p -- "$BIN/t_prewarm" 400
    [ "$(profiled "$work/p1.err" prewarm)" -ge 1 ] 2>/dev/null ||
        fail "nothing loaded while the program slept: $(cat "$work/p1.err")"
    expect "WEFT_PREWARM=0: loaded while it ran" "$(profiled "$work/p0.err" prewarm)" 0
    for v in 1 0; do
        sqlite3 "$work/p$v.db" "SELECT kind, count(*) FROM findings GROUP BY kind ORDER BY kind;
            SELECT stack, depth, function, file, line FROM frames ORDER BY stack, depth" >"$work/f$v"
    done
    grep -q '^leaked-thread|1$' "$work/f1" || fail "no leaked thread: $(head -3 "$work/f1")"
    grep -q '|__libc_start_call_main|[^|]*libc_start_call_main.h|[0-9]' "$work/f1" ||
        fail "libc's frames not named from its debug file: $(cat "$work/f1")"
    cmp -s "$work/f1" "$work/f0" || fail "frames differ (with the table warmed during the run, without):
$(diff "$work/f1" "$work/f0" | head)"
    WEFT_INGEST_PROFILE=1 "$WEFT" run -q -o "$work/q.db" -- "$BIN/t_prewarm" 0 >/dev/null 2>"$work/q.err" ||
        fail "run of a short program"
    expect "a short program: loaded while it ran" "$(profiled "$work/q.err" prewarm)" 0
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
