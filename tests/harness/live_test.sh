#!/bin/sh
# SPDX-License-Identifier: MIT
# live_test.sh: weft run --live (the logs read while the program runs,
# harness/ingest/live.c). Usage: live_test.sh NAME, with WEFT, SHIM and
# BIN in the environment. The steps are made short and frequent
# (WEFT_LIVE_INTERVAL_MS, WEFT_LIVE_MARGIN_MS) so that a run of two
# seconds is read in many of them.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"
export WEFT_LIVE_INTERVAL_MS=20 WEFT_LIVE_MARGIN_MS=100

# summary DB: what must not depend on how the logs were read (thread and
# stack ids do: a live ingest numbers threads as they appear)
summary() {
    sqlite3 "$1" "select 'events', sum(events), sum(dropped_events) from processes;
        select 'rows', k.name, count(*) from events e join kinds k on k.id = e.kind group by 2;
        select 'counts', k.name, sum(c.count) from event_counts c join kinds k on k.id = c.kind group by 2;
        select 'finding', kind, message from findings order by 2, 3;
        select 'loss', what, count from losses order by 2;
        select 'threads', count(*) from threads;
        select 'processes', count(*) from processes" 2>"$work/summary-err" |
        sed -E 's/thread [0-9]+ /thread N /g'
    [ ! -s "$work/summary-err" ] || fail "summary of $1: $(cat "$work/summary-err")"
}

# rows DB: every row of the trace as a process sees it, in each
# process's order (the ingest's ids and times aside: a live ingest fixes
# a log's TSC rate from its first second, an ingest after the fact from
# all of it; within a process the order is the same, stream.c's key),
# threads named by their kernel ids (a live ingest numbers an exec'd
# image's threads otherwise)
rows() {
    sqlite3 "$1" "select 'event', e.pid, t.os_tid, k.name, e.obj, e.arg, e.arg2, s.local_id,
            o.kind, o.address, o.generation, e.hb_obj, e.acq, e.rel
          from events e join threads t on t.id = e.thread join kinds k on k.id = e.kind
          left join stacks s on s.id = e.stack left join objects o on o.id = e.object
          order by e.pid, e.id;
        select 'count', c.pid, t.os_tid, c.kind, c.obj, c.count, c.waited
          from event_counts c join threads t on t.id = c.thread order by 2, 3, 4, 5;
        select 'thread', pid, os_tid, name, exit_kind, start_function, detached_ns is null
          from threads order by 2, 3;
        select 'object', pid, kind, address, generation, info, destroyed_ns is null
          from objects order by 2, 3, 4, 5;
        select 'finding', kind, severity, message from findings order by 2, 4;
        select 'loss', what, count from losses order by 2" 2>"$work/rows-err" |
        sed -E 's/thread [0-9]+ /thread N /g'
    [ ! -s "$work/rows-err" ] || fail "rows of $1: $(cat "$work/rows-err")"
}

# same_trace A B WHAT: the summaries and the rows of traces A and B agree
same_trace() {
    summary "$1" >"$work/a"
    summary "$2" >"$work/b"
    cmp -s "$work/a" "$work/b" || fail "$3: traces differ: $(diff "$work/a" "$work/b" | head -20)"
    rows "$1" >"$work/a"
    rows "$2" >"$work/b"
    cmp -s "$work/a" "$work/b" || fail "$3: rows differ: $(diff "$work/a" "$work/b" | head -20)"
}

# wait_logs DIR: until the processes that wrote DIR's logs have ended
# (weft killed, the program runs on alone)
wait_logs() {
    for f in "$1"/log*; do
        pid=$(od -An -t d4 -j 32 -N 4 "$f" | tr -d ' ')
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 1200 ]; do
            sleep 0.1
            i=$((i + 1))
        done
    done
}

case $name in
live_run)
    # Read live, the logs kept whole: the same trace as an ingest of them
    # after the fact.
    "$WEFT" run -q --live --keep-log="$work/logs" -o "$db" -- "$BIN/t_live" 2 >"$work/out" 2>"$work/err"
    rc=$?
    expect "exit status" "$rc" 0
    expect "output" "$(cat "$work/out")" "live ok"
    expect "read live" "$(q "select value from meta where key = 'live'")" 1
    expect "punched" "$(q "select value from meta where key = 'live_punched_chunks'")" 0
    expect "processes" "$(q "select count(*) from processes")" 2
    expect "unjoined threads" "$(q "select count(*) from findings where kind = 'unjoined-thread'")" 2
    "$WEFT" ingest -q "$work/logs"/log* -o "$work/offline.db" || fail "offline ingest"
    summary "$db" >"$work/a"
    summary "$work/offline.db" >"$work/b"
    cmp -s "$work/a" "$work/b" || fail "live and offline traces differ: $(diff "$work/a" "$work/b" | head -20)"
    ;;
live_punch)
    # Read live and given back: the logs' chunks are punched out as they
    # are consumed, and the trace is still whole (no loss, the findings).
    WEFT_LIVE_PUNCH=1 "$WEFT" run -q --live --keep-log="$work/logs" -o "$db" -- "$BIN/t_live" 2 \
        >"$work/out" 2>"$work/err"
    rc=$?
    expect "exit status" "$rc" 0
    punched=$(q "select value from meta where key = 'live_punched_chunks'")
    [ "${punched:-0}" -gt 0 ] || fail "no chunk punched"
    expect "losses" "$(q "select count(*) from losses")" 0
    expect "dropped" "$(q "select sum(dropped_events) from processes")" 0
    expect "unjoined threads" "$(q "select count(*) from findings where kind = 'unjoined-thread'")" 2
    # Every chunk that holds records was given back; what is left on
    # disk is each log's header and the chunks its process prepared
    # ahead and never claimed (log_writer.c's window: 64 chunks, 4 MiB,
    # at most).
    claimed=0
    for f in "$work/logs"/log*; do
        c=$(od -An -t u8 -j 64 -N 8 "$f" | tr -d ' ')
        claimed=$((claimed + c))
    done
    expect "chunks punched" "$punched" "$claimed"
    kb=$(du -sk "$work/logs" | cut -f1)
    [ "$kb" -le $((2 * 4096 + 256)) ] || fail "the logs still take $kb KiB on disk"
    ;;
keep_rows)
    # --keep-rows: only the last half second of event rows, the rest of
    # the trace whole (the same findings, counts and events as an ingest
    # of the same logs that keeps every row), and one line saying so.
    for mode in --live --no-live; do
        rm -rf "$work/logs" "$db" "$work/full.db"
        "$WEFT" run $mode --all-events --keep-rows=500ms --keep-log="$work/logs" -o "$db" -- \
            "$BIN/t_live" 2 >"$work/out" 2>"$work/err"
        expect "$mode exit status" "$?" 0
        trimmed=$(q "select value from meta where key = 'rows_trimmed'")
        [ "${trimmed:-0}" -gt 0 ] || fail "$mode: no row trimmed"
        grep -q "^weft: --keep-rows: $trimmed event rows older than the last 0.5 s dropped" "$work/err" ||
            fail "$mode: no line about the rows dropped: $(cat "$work/err")"
        "$WEFT" ingest -q --all-events "$work/logs"/log* -o "$work/full.db" || fail "offline ingest"
        expect "$mode events" "$(q "select sum(events) from processes")" \
            "$(sqlite3 "$work/full.db" "select sum(events) from processes")"
        expect "$mode rows kept + trimmed" "$(q "select count(*) + $trimmed from events")" \
            "$(sqlite3 "$work/full.db" "select count(*) from events")"
        expect "$mode findings" "$(q "select kind, message from findings order by 1, 2")" \
            "$(sqlite3 "$work/full.db" "select kind, message from findings order by 1, 2")"
        # the rows kept are the last ones: none older than the window and
        # two trimming steps (4 x 16384 events) before the end
        old=$(q "select count(*) from events where id < (select value from meta where key = 'rows_trimmed_below_id')")
        [ "$old" -lt 100 ] || fail "$mode: $old rows below the trimmed ids"
    done
    ;;
live_exec)
    # An exec'd image's log appears while the first image's is read: its
    # threads follow the first image's in the one process (tid_offset,
    # which grows with them). A few runs, since which log is seen first
    # depends on the schedule.
    for k in 1 2 3 4; do
        rm -rf "$work/logs" "$db" "$work/offline.db"
        "$WEFT" run -q --live --trace-children --keep-log="$work/logs" -o "$db" -- "$BIN/t_exec" \
            "$BIN/t_threads" >"$work/out" 2>"$work/err"
        expect "exit status ($k)" "$?" 3
        expect "threads ($k)" "$(q "select count(*) from threads where internal = 0")" 10
        "$WEFT" ingest -q "$work/logs"/log* -o "$work/offline.db" >/dev/null 2>&1 || fail "offline ingest ($k)"
        summary "$db" >"$work/a"
        summary "$work/offline.db" >"$work/b"
        cmp -s "$work/a" "$work/b" || fail "live and offline traces differ ($k): $(diff "$work/a" "$work/b" | head -10)"
    done
    ;;
live_late)
    # A record that reaches its log after the live reader has read past
    # its time (its thread stopped between taking the time and committing:
    # here the shim's test hold, WEFT_CHAOS_LATE, 50 ms every 500th
    # record, against a margin of 1 ms) follows records that came after
    # it: counted in meta and said in one line, never silently. Read
    # after the exit, the same holds leave the trace in order, unsaid.
    # (4 s: each log is read only once its clock is calibrated, a second
    # after it starts, and the child's, forked half way, holds the
    # parent's back until then.)
    WEFT_CHAOS_LATE=50:500 WEFT_LIVE_MARGIN_MS=1 WEFT_LIVE_INTERVAL_MS=5 WEFT_LIVE_BACKLOG_MB=1 \
        "$WEFT" run -q --live -o "$db" -- "$BIN/t_live" 4 >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    late=$(q "select value from meta where key = 'live_late'")
    [ "${late:-0}" -gt 0 ] || fail "no record came late: $(cat "$work/err")"
    expect "lines" "$(grep -c "^weft: warning: trace out of order: $late records reached the log" "$work/err")" 1
    rm -f "$db"
    WEFT_CHAOS_LATE=50:500 WEFT_LIVE_MARGIN_MS=1 "$WEFT" run -q --no-live -o "$db" -- "$BIN/t_live" 4 \
        >"$work/out" 2>"$work/err"
    expect "exit status (after the exit)" "$?" 0
    expect "lines (after the exit)" "$(grep -c "out of order" "$work/err")" 0
    expect "unjoined threads (after the exit)" \
        "$(q "select count(*) from findings where kind = 'unjoined-thread'")" 2
    ;;
live_auto)
    # The default mode: live once the logs take WEFT_LIVE_AUTO_MB of disk;
    # a program that ends before is ingested after its exit, as ever.
    WEFT_LIVE_AUTO_MB=1 "$WEFT" run -q -o "$db" -- "$BIN/t_live" 2 >"$work/out" 2>"$work/err"
    expect "exit status (1 MB)" "$?" 0
    expect "read live (1 MB)" "$(q "select count(*) from meta where key = 'live'")" 1
    expect "findings (1 MB)" "$(q "select count(*) from findings where kind = 'unjoined-thread'")" 2
    rm -f "$db"
    WEFT_LIVE_AUTO_MB=100000 "$WEFT" run -q -o "$db" -- "$BIN/t_live" 2 >"$work/out" 2>"$work/err"
    expect "exit status (100 GB)" "$?" 0
    expect "read live (100 GB)" "$(q "select count(*) from meta where key = 'live'")" 0
    expect "findings (100 GB)" "$(q "select count(*) from findings where kind = 'unjoined-thread'")" 2
    expect "error lines (100 GB)" "$(grep -c '^weft:' "$work/err")" 0
    ;;
stage_heal)
    # weft killed (SIGKILL) while the program's threads write into the
    # logs' staging slots (log.h, harness/ingest/stage.c): the program
    # goes on alone, in the slots while free ones last, then in place.
    # weft ingest of the logs first copies what the slots hold to their
    # chunks: t_stage's 40 locks of its mutex and 30000 posts are all in
    # the trace, and nothing is lost.
    "$WEFT" run -q --no-live --keep-log="$work/logs" -o "$db" -- "$BIN/t_stage" 40 200 \
        >"$work/out" 2>"$work/err" &
    wpid=$!
    sleep 0.35
    kill -KILL $wpid
    wait $wpid
    expect "weft's end" "$?" 137
    wait_logs "$work/logs"
    "$WEFT" ingest -q "$work/logs"/log* -o "$work/after.db" 2>"$work/ierr"
    expect "weft ingest" "$?" 0
    db=$work/after.db
    expect "losses" "$(q "select count(*) from losses")" 0
    expect "m's locks" "$(occurrences mutex_lock_end "$(first_mutex "$db")")" 40
    expect "posts" "$(occurrences sem_post)" 30000
    # the slots were in use: their chunks were holes until the ingest
    # (a log whose header names the dead copier)
    cop=$(od -An -t d4 -j 144 -N 4 "$work/logs/log" | tr -d ' ')
    [ "$cop" -gt 0 ] 2>/dev/null || fail "no copier attached to the log (stage_copier $cop)"
    ;;
live_kill)
    # weft killed (SIGKILL) while it reads live and gives chunks back,
    # once a first range was given back; the program goes on alone. Then
    # weft ingest of the logs resumes from weft's last commit (the
    # database live-trace names): the chunks given back are in it, the
    # trace is whole. Without that database (removed), the ingest of the
    # logs still completes: the chunks given back are one loss that
    # names them (the consumed file says which), never holes or damage.
    # (Without relock runs: t_live's relocks, counted in place, would
    # leave its log too small for chunks to be given back before its end.)
    WEFT_SHIM_RUNS=0 WEFT_LIVE_PUNCH=1 WEFT_LIVE_CHECKPOINT_MS=200 WEFT_LIVE_BACKLOG_MB=1 \
        "$WEFT" run -q --live \
        --keep-log="$work/logs" -o "$db" -- "$BIN/t_live" 10 200 >"$work/out" 2>"$work/err" &
    wpid=$!
    i=0
    while [ ! -s "$work/logs/consumed.log" ] && [ $i -lt 1200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -s "$work/logs/consumed.log" ] || fail "nothing given back in two minutes"
    kill -KILL $wpid
    wait $wpid
    expect "weft's end" "$?" 137
    wait_logs "$work/logs"
    [ -s "$work/logs/live-trace" ] || fail "no live-trace"
    # Another build of weft (this one with another build id) refuses the
    # state, even with structures of the same sizes, says so and leaves
    # it as it was (in a copy of the logs, compared after).
    objcopy --dump-section .note.gnu.build-id="$work/note" "$WEFT" "$work/weft-copy" ||
        fail "no build id in $WEFT"
    n=$(wc -c <"$work/note")
    last=$(od -An -t u1 -j $((n - 1)) -N 1 "$work/note" | tr -d ' ')
    printf "$(printf '\\%03o' $(((last + 1) % 256)))" |
        dd of="$work/note" bs=1 seek=$((n - 1)) conv=notrunc 2>/dev/null
    objcopy --update-section .note.gnu.build-id="$work/note" "$WEFT" "$work/weft-other" ||
        fail "objcopy"
    [ "$(readelf -n "$work/weft-other" | grep 'Build ID')" != "$(readelf -n "$WEFT" | grep 'Build ID')" ] ||
        fail "the copy kept the build id"
    cp -r "$work/logs" "$work/other"
    "$work/weft-other" ingest -q "$work/other"/log* -o "$work/other.db" 2>"$work/oerr"
    expect "weft ingest by another build" "$?" 125
    grep -q "its state was not written by this weft" "$work/oerr" ||
        fail "no line about the other build: $(cat "$work/oerr")"
    [ ! -e "$work/other.db" ] || fail "another build wrote a trace"
    python3 "$(dirname "$0")/../common/samefiles.py" "$work/logs" "$work/other" ||
        fail "another build changed the logs or the state"
    cp -r "$work/logs" "$work/nock"
    rm "$work/nock/live-trace"
    "$WEFT" ingest -q "$work/logs"/log* -o "$work/after.db" 2>"$work/ierr"
    expect "weft ingest" "$?" 0
    expect "losses" "$(sqlite3 "$work/after.db" "select count(*) from losses")" 0
    expect "resumed" "$(sqlite3 "$work/after.db" "select value from meta where key = 'live_resumed'")" 1
    expect "processes" "$(sqlite3 "$work/after.db" "select count(*) from processes")" 2
    expect "unjoined threads" \
        "$(sqlite3 "$work/after.db" "select count(*) from findings where kind = 'unjoined-thread'")" 2
    [ ! -e "$work/logs/live-trace" ] || fail "live-trace still there after the resumption"
    "$WEFT" ingest -q "$work/nock"/log* -o "$work/nock.db" >/dev/null 2>"$work/ierr"
    expect "weft ingest without the checkpoint" "$?" 0
    gone=0
    for f in "$work/nock"/consumed.*; do
        n=$(awk '{ s += $2 - $1 } END { print s + 0 }' "$f")
        gone=$((gone + n))
    done
    expect "chunks named consumed" "$(sqlite3 "$work/nock.db" "select coalesce(sum(count), 0) from losses where what = 'live-consumed'")" "$gone"
    expect "other losses" "$(sqlite3 "$work/nock.db" "select count(*) from losses where what <> 'live-consumed'")" 0
    expect "processes (no checkpoint)" "$(sqlite3 "$work/nock.db" "select count(*) from processes")" 2
    ev=$(sqlite3 "$work/nock.db" "select sum(events) from processes")
    [ "${ev:-0}" -gt 0 ] || fail "no events after the chunks given back"
    grep -q "consumed by a weft run --live that did not finish" "$work/ierr" || fail "no line about the chunks consumed: $(cat "$work/ierr")"
    ;;
live_resume)
    # weft SIGKILLed at moments drawn from a fixed seed while it reads
    # live and gives chunks back (in name only: WEFT_LIVE_PUNCH=dry, so
    # that a copy of the logs still holds every record); then weft
    # ingest of the logs resumes from the last commit. Its trace is the
    # one an ingest of the whole logs makes: no loss, the same events,
    # rows, counts and findings. (A live ingest and one after the fact
    # convert TSC times at rates fixed from different spans, so that two
    # threads' records a fraction of a ns apart tie in one and not in the
    # other: the merge orders ties within a process by the raw clock, or
    # the rows would come in another order and a relocked mutex be a row
    # in one and counted in the other.)
    for d in $(awk 'BEGIN { srand(12); for (i = 0; i < 4; i++) printf "%.2f\n", 0.1 + rand() * 2.6 }'); do
        rm -rf "$work/logs" "$work/ref" "$db" "$work"/*.db
        WEFT_LIVE_PUNCH=dry WEFT_LIVE_CHECKPOINT_MS=200 WEFT_LIVE_BACKLOG_MB=1 "$WEFT" run -q --live \
            --keep-log="$work/logs" -o "$db" -- "$BIN/t_live" 3 >"$work/out" 2>"$work/err" &
        wpid=$!
        # the moment: d seconds after the live reading's first commit
        i=0
        while [ ! -s "$work/logs/live-trace" ] && kill -0 $wpid 2>/dev/null && [ $i -lt 1200 ]; do
            sleep 0.05
            i=$((i + 1))
        done
        sleep "$d"
        kill -KILL $wpid 2>/dev/null
        wait $wpid
        killed=$?
        wait_logs "$work/logs"
        resumable=0
        [ -s "$work/logs/live-trace" ] && resumable=1
        # killed (not ended before): its first commit named the database
        [ $killed != 137 ] || expect "resumable ($d s)" $resumable 1
        cp -r "$work/logs" "$work/ref"
        rm -f "$work/ref/live-trace" "$work/ref"/consumed.*
        "$WEFT" ingest -q "$work/ref"/log* -o "$work/ref.db" || fail "ingest of the copy ($d s)"
        "$WEFT" ingest -q "$work/logs"/log* -o "$work/resumed.db" 2>"$work/ierr" ||
            fail "weft ingest after the kill ($d s): $(cat "$work/ierr")"
        [ $resumable = 0 ] || expect "resumed ($d s)" \
            "$(sqlite3 "$work/resumed.db" "select value from meta where key = 'live_resumed'")" 1
        [ ! -e "$work/logs/live-trace" ] || fail "live-trace still there after the resumption ($d s)"
        same_trace "$work/resumed.db" "$work/ref.db" "killed at $d s"
        echo "weft's end $killed at $d s: resumable $resumable, $(grep -c . "$work/a") rows equal" >&2
    done
    ;;
live_resume_again)
    # weft killed while it reads live, then killed again while it
    # resumes (WEFT_TEST_KILL_AFTER: at the chosen record), twice: the
    # third weft ingest still makes the whole trace. Commits every 5000
    # records, so that the kill comes after commits that consumed part of
    # a chunk, however slow the machine (with only the 200 ms clock, a
    # loaded machine could reach the kill before any commit).
    WEFT_LIVE_PUNCH=dry WEFT_LIVE_CHECKPOINT_MS=200 WEFT_LIVE_CHECKPOINT_RECORDS=5000 WEFT_LIVE_BACKLOG_MB=1 \
        WEFT_TEST_KILL_AFTER=20000 "$WEFT" run -q \
        --live --keep-log="$work/logs" -o "$db" -- "$BIN/t_live" 3 >"$work/out" 2>"$work/err"
    expect "weft's end" "$?" 137
    wait_logs "$work/logs"
    [ -s "$work/logs/live-trace" ] || fail "no live-trace"
    cp -r "$work/logs" "$work/ref"
    rm -f "$work/ref/live-trace" "$work/ref"/consumed.*
    "$WEFT" ingest -q "$work/ref"/log* -o "$work/ref.db" || fail "ingest of the copy"
    for n in 3000 500; do
        WEFT_TEST_KILL_AFTER=$n "$WEFT" ingest -q "$work/logs"/log* -o "$work/resumed.db" 2>/dev/null
        expect "weft ingest killed after $n records" "$?" 137
        [ ! -e "$work/resumed.db" ] || fail "a trace after a killed resumption"
    done
    "$WEFT" ingest -q "$work/logs"/log* -o "$work/resumed.db" 2>"$work/ierr" ||
        fail "weft ingest: $(cat "$work/ierr")"
    expect "resumed" "$(sqlite3 "$work/resumed.db" "select value from meta where key = 'live_resumed'")" 1
    same_trace "$work/resumed.db" "$work/ref.db" "killed twice"
    ;;
live_resume_anywhere)
    # One live run, not killed, committing every 20000 records and keeping
    # a copy of each commit (WEFT_TEST_CHECKPOINT_COPY): resumed from any
    # commit made once every log of the run was known and had its TSC rate
    # fixed, weft ingest makes exactly the run's own trace: every row of
    # every table (ids, times, thread and stack ids) and the findings. (A
    # commit made before the child's log appeared is not one: the resumed
    # ingest reads that log from its start and fixes its rate from all of
    # it, where the run fixed it from its first second.)
    mkdir "$work/ck"
    WEFT_LIVE_CHECKPOINT_RECORDS=20000 WEFT_TEST_CHECKPOINT_COPY="$work/ck" "$WEFT" run -q --live \
        --keep-log="$work/logs" -o "$db" -- "$BIN/t_live" 3 >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    nlogs=$(ls "$work/logs" | grep -c '^log')
    ls "$work/ck" | grep -q "ready-$nlogs\.db" || fail "no commit with every rate fixed: $(ls "$work/ck")"
    dump() {
        sqlite3 "$1" "select * from events order by id; select * from event_counts order by 1, 2, 3, 4, 5;
            select * from select_cases; select * from deadlock_waits; select * from threads order by id;
            select * from objects order by id; select * from processes; select * from images;
            select * from stacks order by id; select * from frames order by 1, 2;
            select * from modules order by id; select * from losses; select * from blocked_at_exit;
            select kind, severity, message from findings order by 1, 3;
            select * from meta where key not in ('live_resumed') order by 1" 2>"$work/dump-err" |
            sed "s|$work/l2/|$work/logs/|g" # the copy of the logs named as the logs
        [ ! -s "$work/dump-err" ] || fail "dump of $1: $(cat "$work/dump-err")"
    }
    dump "$db" >"$work/whole"
    k=0
    for c in $(ls "$work/ck" | grep "ready-$nlogs\.db" | awk 'NR % 3 == 1'); do
        rm -rf "$work/l2" "$work/r.db"
        cp -r "$work/logs" "$work/l2"
        echo "$work/ck/$c" >"$work/l2/live-trace"
        "$WEFT" ingest -q "$work/l2"/log* -o "$work/r.db" 2>"$work/ierr" ||
            fail "resume from $c: $(cat "$work/ierr")"
        expect "resumed from $c" "$(sqlite3 "$work/r.db" "select value from meta where key = 'live_resumed'")" 1
        dump "$work/r.db" >"$work/part"
        cmp -s "$work/whole" "$work/part" ||
            fail "resumed from $c: not the run's trace: $(diff "$work/whole" "$work/part" | head -10)"
        k=$((k + 1))
    done
    echo "$k resumptions, each the run's trace ($(wc -l <"$work/whole") lines)" >&2
    ;;
live_resume_journal)
    # weft killed with more rows uncommitted than its page cache holds:
    # SQLite has written some into the database already, their pages'
    # old contents in the journal. The resumption rolls them back (the
    # journal is hot) and goes on from the last commit: the same trace
    # as an ingest of the whole logs.
    WEFT_LIVE_PUNCH=dry WEFT_LIVE_CHECKPOINT_RECORDS=500000 WEFT_TEST_KILL_AFTER=900000 "$WEFT" run -q \
        --live --all-events --keep-log="$work/logs" -o "$db" -- "$BIN/t_live" 2 500 \
        >"$work/out" 2>"$work/err"
    expect "weft's end" "$?" 137
    wait_logs "$work/logs"
    j=$(ls "$work"/.weft-tmp-*/*-journal 2>/dev/null)
    [ -s "$j" ] || fail "no hot journal: $(ls -la "$work"/.weft-tmp-*)"
    cp -r "$work/logs" "$work/ref"
    rm -f "$work/ref/live-trace" "$work/ref"/consumed.*
    "$WEFT" ingest -q --all-events "$work/ref"/log* -o "$work/ref.db" || fail "ingest of the copy"
    "$WEFT" ingest -q "$work/logs"/log* -o "$work/resumed.db" 2>"$work/ierr" ||
        fail "weft ingest: $(cat "$work/ierr")"
    expect "resumed" "$(sqlite3 "$work/resumed.db" "select value from meta where key = 'live_resumed'")" 1
    same_trace "$work/resumed.db" "$work/ref.db" "killed with a hot journal"
    ;;
live_resume_exec)
    # An exec'd image (a second log of the same process, its threads
    # after the first image's): weft killed at records drawn from a fixed
    # seed, then resumed; the same trace as an ingest of the whole logs.
    # The program is short: its logs are read in one step, at its end,
    # committed every 4 records (WEFT_LIVE_CHECKPOINT_RECORDS).
    for n in $(awk 'BEGIN { srand(5); for (i = 0; i < 4; i++) printf "%d\n", 5 + rand() * 40 }'); do
        rm -rf "$work/logs" "$work/ref" "$db" "$work"/*.db
        WEFT_LIVE_PUNCH=dry WEFT_LIVE_CHECKPOINT_RECORDS=4 WEFT_TEST_KILL_AFTER=$n "$WEFT" run -q --live \
            --trace-children --keep-log="$work/logs" -o "$db" -- "$BIN/t_exec" "$BIN/t_threads" \
            >"$work/out" 2>"$work/err"
        expect "weft's end (killed at record $n)" "$?" 137
        wait_logs "$work/logs"
        cp -r "$work/logs" "$work/ref"
        rm -f "$work/ref/live-trace" "$work/ref"/consumed.*
        "$WEFT" ingest -q "$work/ref"/log* -o "$work/ref.db" >/dev/null 2>&1 || fail "ingest of the copy ($n)"
        "$WEFT" ingest -q "$work/logs"/log* -o "$work/resumed.db" >/dev/null 2>"$work/ierr" ||
            fail "weft ingest ($n): $(cat "$work/ierr")"
        expect "resumed ($n)" \
            "$(sqlite3 "$work/resumed.db" "select value from meta where key = 'live_resumed'")" 1
        expect "threads ($n)" "$(sqlite3 "$work/resumed.db" "select count(*) from threads where internal = 0")" 10
        same_trace "$work/resumed.db" "$work/ref.db" "killed at record $n"
    done
    ;;
live_resume_keep_rows)
    # --keep-rows: the rows trimmed before the kill stay trimmed, the
    # trace resumed has every event, count and finding of the whole logs.
    WEFT_LIVE_PUNCH=dry WEFT_LIVE_CHECKPOINT_MS=200 WEFT_LIVE_BACKLOG_MB=1 WEFT_TEST_KILL_AFTER=100000 \
        "$WEFT" run -q --live --all-events --keep-rows=500ms --keep-log="$work/logs" -o "$db" -- \
        "$BIN/t_live" 3 >"$work/out" 2>"$work/err"
    expect "weft's end" "$?" 137
    wait_logs "$work/logs"
    cp -r "$work/logs" "$work/ref"
    rm -f "$work/ref/live-trace" "$work/ref"/consumed.*
    "$WEFT" ingest -q --all-events "$work/ref"/log* -o "$work/full.db" || fail "ingest of the copy"
    "$WEFT" ingest -q "$work/logs"/log* -o "$work/resumed.db" 2>"$work/ierr" ||
        fail "weft ingest: $(cat "$work/ierr")"
    r() { sqlite3 "$work/resumed.db" "$1"; }
    expect "resumed" "$(r "select value from meta where key = 'live_resumed'")" 1
    trimmed=$(r "select value from meta where key = 'rows_trimmed'")
    [ "${trimmed:-0}" -gt 0 ] || fail "no row trimmed"
    expect "events" "$(r "select sum(events) from processes")" \
        "$(sqlite3 "$work/full.db" "select sum(events) from processes")"
    expect "rows kept + trimmed" "$(r "select count(*) + $trimmed from events")" \
        "$(sqlite3 "$work/full.db" "select count(*) from events")"
    expect "findings" "$(r "select kind, message from findings order by 1, 2")" \
        "$(sqlite3 "$work/full.db" "select kind, message from findings order by 1, 2")"
    expect "losses" "$(r "select count(*) from losses")" 0
    ;;
live_kill_tmp)
    # Without --keep-log: weft killed while it reads live leaves the
    # logs in $TMPDIR/weft-XXXXXX, given back in part. A later weft run
    # keeps that directory (its trace can be resumed) and says the
    # command that resumes it; that command makes the whole trace.
    mkdir "$work/tmp"
    TMPDIR="$work/tmp" WEFT_LIVE_CHECKPOINT_MS=200 WEFT_LIVE_BACKLOG_MB=1 WEFT_TEST_KILL_AFTER=200000 \
        "$WEFT" run -q --live -o "$db" -- "$BIN/t_live" 3 200 >"$work/out" 2>"$work/err"
    expect "weft's end" "$?" 137
    logs=$(echo "$work/tmp"/weft-*)
    [ -s "$logs/live-trace" ] || fail "no live-trace in $logs"
    wait_logs "$logs"
    TMPDIR="$work/tmp" "$WEFT" run -o "$work/true.db" -- true >"$work/out" 2>"$work/err2"
    expect "weft run true" "$?" 0
    [ -d "$logs" ] || fail "the logs to resume were removed"
    cmd=$(sed -n 's/^==weft== a weft run killed while it read live left its logs in .*: `\(.*\)` makes its whole trace.*/\1/p' "$work/err2")
    expect "the command said" "$cmd" "weft ingest $logs/log* -o trace.db"
    (cd "$work" && "$WEFT" ingest -q "$logs"/log* -o trace.db) 2>"$work/ierr" ||
        fail "weft ingest: $(cat "$work/ierr")"
    expect "resumed" "$(sqlite3 "$work/trace.db" "select value from meta where key = 'live_resumed'")" 1
    expect "losses" "$(sqlite3 "$work/trace.db" "select count(*) from losses")" 0
    expect "unjoined threads" \
        "$(sqlite3 "$work/trace.db" "select count(*) from findings where kind = 'unjoined-thread'")" 2
    ;;
*)
    echo "unknown test $name" >&2
    exit 2
    ;;
esac
finish
