#!/bin/sh
# SPDX-License-Identifier: MIT
# safety_watchdog.sh: host-safety tests of the deadlock watchdog and of the
# threads' identity (issue 9 items 5 and 10), driven from CTest (label
# `harness`). Usage: safety_watchdog.sh NAME, with WEFT, SHIM and BIN in
# the environment (see lib.sh).
#
# pshared_mp:   Python multiprocessing Event, Lock and Queue waits that the
#               child ends after 1.5 s (the watchdog's default timeout is
#               1 s): same stdout and status as without weft, no deadlock.
# pshared_c:    the same with our own program: pshared mutex, robust mutex,
#               cond, sem, rwlock and barrier in a MAP_SHARED region,
#               released by a fork child after 1.5 s; a private mutex and
#               a join that wait as long for a thread that waits on
#               another process (behind, join_read); the parent's waits
#               are still on record.
# jemalloc_preload: a program of ours with libjemalloc.so.2 preloaded
#               beside the shim (both orders) and under weft run with
#               LD_PRELOAD=libjemalloc in the environment: every thread is
#               one row (no adopted doubles), the only finding is the
#               thread that really is alive at exit, blocked in cond_wait.
# jemalloc_fork: the same program forking three children with jemalloc
#               preloaded: jemalloc's fork handlers (its child handler runs
#               before ours) leave nothing in the parent's log.
# jemalloc_redis: Debian's redis-server (linked with jemalloc) under weft
#               run, pinged and shut down with redis-cli: no thread split
#               in two, its background threads reported blocked in
#               cond_wait, not running.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

py=/usr/bin/python3
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2

# same_as_plain WHAT: the program's stdout and status under weft ($work/out,
# $rc) are those of the plain run ($work/plain, $prc).
same_as_plain() {
    expect "$1: exit status" "$rc" "$prc"
    cmp -s "$work/out" "$work/plain" ||
        fail "$1: stdout differs: $(cat "$work/out") / plain: $(cat "$work/plain")"
    grep -q 'deadlock' "$work/err" && fail "$1: stderr: $(cat "$work/err")"
    expect "$1: deadlock events" "$(q "select count(*) from event_log where kind='deadlock'")" 0
}

# threads_whole: every thread created through pthread_create started as
# itself, and no thread of the program was adopted on top of it; a thread
# that returned or was cancelled recorded nothing after its end (jemalloc
# flushes its thread cache under its mutexes as the thread exits).
threads_whole() {
    expect "$1: events after a thread's end" \
        "$(q "select count(*) from events e join threads t on t.id=e.thread where t.exit_kind in ('return','canceled') and t.tid > 1 and e.ts > t.exited_ns")" 0
    expect "$1: created, never started" \
        "$(q "select count(*) from threads where created_ns is not null and started_ns is null")" 0
    expect "$1: adopted threads with a handle of a created one" \
        "$(q "select count(*) from threads a where a.adopted=1 and exists (select 1 from threads c where c.pid=a.pid and c.created_ns is not null and c.handle=a.handle)")" 0
}

case $name in
pshared_mp)
    need "$py"
    # The plain run beside the traced one: each waits 3 x 1.5 s.
    "$py" "$(dirname "$0")/t_mp.py" event lock queue >"$work/plain" 2>"$work/perr" &
    plainpid=$!
    run_weft "$py" "$(dirname "$0")/t_mp.py" event lock queue
    wait $plainpid
    prc=$?
    expect "plain run" "$prc" 0
    same_as_plain multiprocessing
    expect "stdout" "$(grep -c 'child exit 0' "$work/out")" 3
    expect "findings" "$(q "select count(*) from findings")" 0
    # The parent's waits on the named semaphores are in the trace.
    [ "$(q "select count(*) from event_log e join processes p on p.pid=e.pid where p.parent_pid not in (select pid from processes) and e.kind='sem_wait_begin'")" -ge 3 ] ||
        fail "parent's sem waits missing: $(q "select kind, count(*) from event_log group by kind")"
    ;;
pshared_c)
    objs="mutex robust cond sem rwlock barrier behind join_read"
    "$BIN/t_pshared" $objs >"$work/plain" 2>"$work/perr" &
    plainpid=$!
    run_weft "$BIN/t_pshared" $objs
    wait $plainpid
    prc=$?
    expect "plain run" "$prc" 0
    same_as_plain pshared
    expect "released" "$(grep -c 'released by the other process, child 0' "$work/out")" 8
    expect "processes" "$(q "select count(*) from processes")" 9
    expect "findings" "$(q "select count(*) from findings")" 0
    root="(select pid from processes where parent_pid not in (select pid from processes))"
    expect "the parent's waits" \
        "$(q "select group_concat(kind) from (select distinct kind from event_log where pid=$root and kind in ('mutex_lock_begin','cond_wait_begin','sem_wait_begin','rwlock_rdlock_begin','barrier_wait_begin') order by kind)")" \
        "barrier_wait_begin,cond_wait_begin,mutex_lock_begin,rwlock_rdlock_begin,sem_wait_begin"
    ;;
jemalloc_preload)
    need "$jemalloc"
    "$BIN/t_alloc_threads" >"$work/plain" 2>"$work/perr"
    prc=$?
    expect "plain run" "$prc" 0
    for order in "$jemalloc:$SHIM" "$SHIM:$jemalloc"; do
        rm -f "$work"/j.log* "$db"
        WEFT_LOG=$work/j.log LD_PRELOAD=$order "$BIN/t_alloc_threads" >"$work/out" 2>"$work/err"
        rc=$?
        expect "LD_PRELOAD=$order: exit status" "$rc" "$prc"
        cmp -s "$work/out" "$work/plain" || fail "LD_PRELOAD=$order: stdout: $(cat "$work/out")"
        "$WEFT" ingest -q "$work/j.log" -o "$db" 2>"$work/ierr" || fail "ingest: $(cat "$work/ierr")"
        threads_whole "LD_PRELOAD=$order"
        expect "LD_PRELOAD=$order: threads" "$(q "select count(*) from threads")" 8
        expect "LD_PRELOAD=$order: adopted" "$(q "select count(*) from threads where adopted=1")" 1
        expect "LD_PRELOAD=$order: findings" "$(q "select group_concat(kind) from findings")" leaked-thread
        q "select message from findings" | grep -q 'blocked in cond_wait on cond 0x' ||
            fail "LD_PRELOAD=$order: finding: $(q "select message from findings")"
    done
    # weft run puts its shim first and keeps the user's LD_PRELOAD after it.
    rm -f "$db"
    LD_PRELOAD=$jemalloc "$WEFT" run -q -o "$db" -- "$BIN/t_alloc_threads" >"$work/out" 2>"$work/err"
    rc=$?
    same_as_plain "weft run, LD_PRELOAD=jemalloc"
    threads_whole "weft run"
    expect "weft run: threads" "$(q "select count(*) from threads")" 8
    expect "weft run: adopted" "$(q "select count(*) from threads where adopted=1")" 1
    expect "weft run: states" \
        "$(q "select group_concat(state) from (select state from thread_summary where tid > 1 order by tid)")" \
        "joined,joined,joined,joined,joined,joined,alive-at-exit"
    expect "weft run: findings" "$(q "select group_concat(kind) from findings")" leaked-thread
    expect "weft run: leaked thread's wait" \
        "$(q "select b.kind from blocked_at_exit b join thread_summary t on t.id=b.thread where t.state='alive-at-exit' and t.tid > 1")" \
        cond_wait_begin
    ;;
jemalloc_fork)
    need "$jemalloc"
    "$BIN/t_alloc_threads" fork >"$work/plain" 2>"$work/perr"
    prc=$?
    expect "plain run" "$prc" 0
    WEFT_LOG=$work/j.log LD_PRELOAD=$jemalloc:$SHIM "$BIN/t_alloc_threads" fork >"$work/out" 2>"$work/err"
    rc=$?
    expect "exit status" "$rc" "$prc"
    cmp -s "$work/out" "$work/plain" || fail "stdout: $(cat "$work/out")"
    "$WEFT" ingest -q "$work"/j.log* -o "$db" 2>"$work/ierr" || fail "ingest: $(cat "$work/ierr")"
    expect "processes" "$(q "select count(*) from processes")" 4
    expect "children" "$(q "select group_concat(exit_code) from (select exit_code from processes where parent_pid in (select pid from processes) order by pid)")" "0,1,2"
    root="(select pid from processes where parent_pid not in (select pid from processes))"
    # The child's records used to land in the parent's chunk, over the
    # parent's own fork records. jemalloc initializes its mutexes at
    # start; after the first fork only the children re-initialize theirs,
    # in their own logs.
    expect "parent's fork events" "$(q "select count(*) from event_log where pid=$root and kind='fork'")" 3
    expect "parent's mutex inits after its first fork" \
        "$(q "select count(*) from event_log where pid=$root and kind='mutex_init' and id > (select min(id) from event_log where pid=$root and kind='fork')")" 0
    threads_whole fork
    expect "threads" "$(q "select count(*) from threads")" 11
    ;;
jemalloc_redis)
    need redis-server redis-cli
    # Debian's redis-server is linked with jemalloc. It listens on a unix
    # socket only (--port 0), saves nothing, and is told to shut down.
    sock=$work/r.sock
    "$WEFT" run -q -o "$db" -- redis-server --port 0 --unixsocket "$sock" --save '' \
        --appendonly no --dir "$work" >"$work/out" 2>"$work/err" &
    wpid=$!
    i=0
    while [ ! -S "$sock" ] && [ $i -lt 150 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    expect "ping" "$(redis-cli -s "$sock" ping 2>&1)" PONG
    redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1
    # A redis that did not start or did not stop must not hang the test.
    i=0
    while kill -0 $wpid 2>/dev/null && [ $i -lt 200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -0 $wpid 2>/dev/null && { fail "redis did not stop: $(cat "$work/err")"; kill $wpid; }
    wait $wpid
    rc=$?
    expect "exit status" "$rc" 0
    expect "process exit" "$(q "select exit_kind || ' ' || exit_code from processes")" "exit 0"
    threads_whole redis
    # The background (bio) threads redis creates: each one row, started,
    # never adopted. jemalloc's own background thread is created behind
    # our back (it calls libc's pthread_create through dlsym) and is the
    # only adopted thread besides main.
    nbio=$(q "select count(*) from threads where start_function='bioProcessBackgroundJobs'")
    [ "$nbio" -ge 1 ] || fail "no bio threads: $(q "select * from thread_summary")"
    expect "bio threads started" \
        "$(q "select count(*) from threads where start_function='bioProcessBackgroundJobs' and started_ns is not null and adopted=0")" "$nbio"
    expect "adopted" "$(q "select count(*) from threads where adopted=1 and tid > 1 and coalesce(name,'') <> 'jemalloc_bg_thd'")" 0
    expect "unjoined" "$(q "select count(*) from findings where kind='unjoined-thread'")" 0
    # redis exits with its bio threads waiting for work: they are alive at
    # exit, and each is reported blocked in cond_wait on its cond.
    expect "bio threads blocked" \
        "$(q "select count(*) from blocked_at_exit b join threads t on t.id=b.thread where t.start_function='bioProcessBackgroundJobs' and b.kind='cond_wait_begin'")" "$nbio"
    # (threads of one creation site waiting at one place are one finding:
    # its count is theirs)
    expect "leaked findings" "$(q "select sum(count) from findings where kind='leaked-thread'")" "$nbio"
    expect "leaked findings blocked in cond_wait" \
        "$(q "select sum(count) from findings where kind='leaked-thread' and message like '%blocked in cond_wait on cond 0x%'")" "$nbio"
    ;;
*)
    fail "unknown test"
    ;;
esac
finish
