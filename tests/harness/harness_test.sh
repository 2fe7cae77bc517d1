#!/bin/sh
# SPDX-License-Identifier: MIT
# harness_test.sh: the harness tests, driven from CTest (label `harness`):
# real programs run under `weft run` (or plain LD_PRELOAD), then the trace
# database is checked with sqlite3. Usage: harness_test.sh NAME, with WEFT
# (the weft binary), SHIM (libweft-preload.so), BIN (test programs) and
# FUZZ (the fuzz_log binary) and LIVELOG (live_log) in the environment.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

# libweft's happens-before tickets in a trace: every (object, ticket)
# acquired, folded into a call's row or a row of its own; the count of
# those acquired with no release of theirs earlier in trace order.
hb_acquires="select hb_obj o, acq s, id from events where acq is not null union all select obj, arg, id from events where kind=(select id from kinds where name='hb_acquire')"
hb_releases="select hb_obj o, rel s, id from events where rel is not null union all select obj, arg, id from events where kind=(select id from kinds where name='hb_release')"
unreleased="with a as ($hb_acquires), r as ($hb_releases) select count(*) from a where not exists (select 1 from r where r.o=a.o and r.s=a.s and r.id<a.id)"

case $name in
threads)
    run_weft "$BIN/t_threads"
    expect "exit status" "$rc" 3
    expect "stdout" "$(cat "$work/out")" "threads done"
    expect "process exit" "$(q "select exit_kind || ' ' || exit_code from processes")" "return 3"
    expect "threads" "$(q "select count(*) from threads")" 8
    expect "joined" "$(q "select count(*) from thread_summary where state='joined'")" 4
    expect "detached" "$(q "select count(*) from thread_summary where state='detached'")" 2
    expect "unjoined" "$(q "select start from thread_summary where state='exited-unjoined'")" ret_arg
    expect "main" "$(q "select state || ' ' || start from thread_summary where tid=1")" "exited main"
    expect "pthread_exit" "$(q "select start || ' ' || exit_value from thread_summary t join threads using(id) where t.exit_kind='pthread_exit'")" "by_exit 5"
    expect "name" "$(q "select start from thread_summary where name='named-one'")" sleeper
    expect "join values" "$(q "select group_concat(exit_value) from (select exit_value from threads where joined_ns is not null order by id)")" "1,2,5,0"
    expect "creator stack" "$(q "select f.function || ' ' || (f.file like '%t_threads.c') from threads t join frames f on f.stack=t.create_stack and f.depth=0 where t.tid=2")" "main 1"
    expect "parents" "$(q "select count(*) from threads where tid > 1 and parent = (select id from threads where tid = 1)")" 7
    expect "dropped" "$(q "select dropped_events from processes")" 0
    ;;
main_exit)
    run_weft "$BIN/t_main_exit"
    expect "exit status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "worker done"
    expect "main" "$(q "select exit_kind from threads where tid=1")" pthread_exit
    expect "worker" "$(q "select exit_kind from threads where tid=2")" return
    expect "process" "$(q "select exit_code from processes")" 0
    ;;
worker_exit)
    run_weft "$BIN/t_worker_exit"
    expect "exit status" "$rc" 4
    expect "process" "$(q "select exit_kind || ' ' || exit_code from processes")" "exit 4"
    expect "exit caller" "$(q "select t.start from events e join kinds k on k.id=e.kind join thread_summary t on t.id=e.thread where k.name='exit'")" worker
    expect "blocker alive" "$(q "select state from thread_summary where start='blocker'")" alive-at-exit
    expect "main blocked in join" "$(q "select b.kind from blocked_at_exit b join threads t on t.id=b.thread where t.tid=1")" join_begin
    ;;
cancel)
    run_weft "$BIN/t_cancel"
    expect "exit status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" canceled
    expect "canceled" "$(q "select exit_kind || ' ' || state from thread_summary where tid=2")" "canceled joined"
    ;;
many)
    run_weft "$BIN/t_many"
    expect "exit status" "$rc" 0
    expect "threads" "$(q "select count(*) from threads")" 3001
    expect "joined" "$(q "select count(*) from thread_summary where state='joined'")" 3000
    expect "returned" "$(q "select count(*) from threads where exit_kind='return' and tid > 1")" 3000
    expect "dropped" "$(q "select dropped_events from processes")" 0
    ;;
threads_default_threshold)
    # unbounded-threads' default threshold (1000, docs/detectors.md),
    # exactly: 1000 threads alive at once are fine, 1001 are not.
    # (--max-threads=N at N and N+1: detectors:threads.)
    run_weft "$BIN/../detectors/det_misc" many 1000
    expect "exit status (1000)" "$rc" 0
    expect "findings (1000)" "$(q "select count(*) from findings")" 0
    run_weft "$BIN/../detectors/det_misc" many 1001
    expect "exit status (1001)" "$rc" 0
    expect "finding (1001)" "$(q "select kind || ': ' || message from findings")" \
        "unbounded-threads: 1001 threads were alive at once (threshold 1000): thread creation is not bounded (use a worker pool or a semaphore)"
    ;;
fork)
    run_weft "$BIN/t_fork"
    expect "exit status" "$rc" 10
    expect "stdout" "$(cat "$work/out")" "child 9"
    expect "processes" "$(q "select count(*) from processes")" 2
    expect "child" "$(q "select c.exit_kind || ' ' || c.exit_code || ' ' || (c.parent_pid = p.pid) from processes c join processes p on c.parent_pid = p.pid")" "_exit 9 1"
    expect "child threads" "$(q "select count(*) from threads t join processes c on c.pid=t.pid where c.parent_pid in (select pid from processes)")" 2
    expect "forking thread" "$(q "select t.tid from processes c join threads t on t.id=c.parent_thread")" 1
    expect "fork event" "$(q "select count(*) from event_log where kind='fork'")" 1
    ;;
fork_site)
    # The same lock site just before the fork and first in the child: the
    # child's lock carries the site in its own log (stack.c's per-thread
    # site ids and last site are the parent's, cleared in the child).
    "$WEFT" run -q --all-events -o "$db" -- "$BIN/t_fork" site >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 10
    site=$(grep -n '/\* the site \*/' "$(dirname "$0")/t_fork.c" | cut -d: -f1)
    expect "lock sites" "$(q "select group_concat(x, ' ') from (select (p.parent_thread is not null) || ':' || f.function || ':' || f.line x from events e join kinds k on k.id = e.kind join processes p on p.pid = e.pid join frames f on f.stack = e.stack and f.depth = 0 where k.name = 'mutex_lock_end' order by e.id)")" \
        "0:take:$site 1:take:$site"
    ;;
abort)
    run_weft "$BIN/t_abort"
    expect "exit status" "$rc" 134
    expect "process" "$(q "select exit_kind || ' ' || signal from processes")" "signal 6"
    expect "fatal signal recorded" "$(q "select arg from event_log where kind='fatal_signal'")" 6
    expect "joiner blocked" "$(q "select b.kind from blocked_at_exit b join thread_summary t on t.id=b.thread where t.start='joiner'")" join_begin
    ;;
sigkill)
    # Plain LD_PRELOAD, then the log ingested afterwards.
    WEFT_LOG=$work/k.log LD_PRELOAD=$SHIM "$BIN/t_sigkill"
    rc=$?
    expect "exit status" "$rc" 137
    "$WEFT" ingest -q "$work/k.log" -o "$db" || fail "ingest failed"
    expect "process" "$(q "select exit_kind || ' ' || finished from processes")" "unknown 0"
    expect "threads" "$(q "select count(*) from threads")" 5
    expect "joiner blocked" "$(q "select b.kind from blocked_at_exit b join thread_summary t on t.id=b.thread where t.start='joiner'")" join_begin
    # and the same under weft run, which knows the signal
    run_weft "$BIN/t_sigkill"
    expect "weft run status" "$rc" 137
    expect "weft run process" "$(q "select exit_kind || ' ' || signal from processes")" "signal 9"
    ;;
errno)
    run_weft "$BIN/t_errno"
    expect "exit status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "0 failures"
    ;;
sync)
    run_weft "$BIN/t_sync"
    expect "exit status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "0 bad"
    expect "contended lock" "$(q "select count(*) from event_log where kind='mutex_lock_begin'")" 1
    expect "cond wait" "$(q "select count(*) from event_log where kind='cond_wait_end' and arg=0")" 1
    expect "sem" "$(q "select group_concat(kind) from (select kind from event_log where family='sem' order by kind)")" "sem_post,sem_wait_begin,sem_wait_end"
    expect "barrier" "$(q "select count(*) from event_log where kind='barrier_wait_end'")" 2
    expect "epipe" "$(q "select arg from event_log where kind='fd_write_failed'")" -32
    expect "double close" "$(q "select count(*) from event_log where kind='fd_close' and arg=-9")" 1
    expect "fd objects" "$(q "select group_concat(info) from (select info from objects where kind='fd' order by id)")" "pipe,pipe,socketpair,socketpair,dup,dup,eventfd"
    expect "mutex object" "$(q "select count(*) from objects where kind='mutex'")" 1
    ;;
timed)
    # Bounded and list-form calls: same results as plain, recorded like
    # their untimed siblings (begin arg2 = 1: bounded), and execl traced.
    "$BIN/t_timed" >"$work/plain.out" 2>&1
    prc=$?
    run_weft "$BIN/t_timed"
    expect "exit status" "$rc" "$prc"
    expect "exit status value" "$rc" 7
    cmp -s "$work/plain.out" "$work/out" || fail "stdout differs: $(cat "$work/out")"
    expect "timed lock begins" "$(q "select count(*) from event_log where kind in ('mutex_lock_begin','rwlock_rdlock_begin','rwlock_wrlock_begin') and arg2=1")" 4
    expect "timed out locks" "$(q "select count(*) from event_log where kind in ('mutex_lock_end','rwlock_rdlock_end','rwlock_wrlock_end') and arg=110 and arg2=1")" 4
    expect "clockwait" "$(q "select arg from event_log where kind='cond_wait_end' and arg=110")" 110
    expect "sem_clockwait" "$(q "select arg from event_log where kind='sem_wait_end'")" -110
    expect "clockjoin" "$(q "select arg || ' ' || arg2 from event_log where kind='join_end'")" "0 7"
    expect "joined" "$(q "select count(*) from threads where joined_ns is not null")" 1
    expect "epipe calls" "$(q "select group_concat(arg2) from (select arg2 from event_log where kind='fd_write_failed' and arg=-32 order by id)")" "2,3,4"
    expect "execl" "$(q "select count(*) from event_log where kind='exec'")" 1
    grep -q "writev on fd" "$work/err" || fail "no writev finding: $(cat "$work/err")"
    ;;
output)
    printf 'hello\nworld\n' | "$BIN/t_output" a 'b c' >"$work/plain.out" 2>"$work/plain.err"
    prc=$?
    printf 'hello\nworld\n' | "$WEFT" run -q -o "$db" -- "$BIN/t_output" a 'b c' >"$work/weft.out" 2>"$work/weft.err"
    wrc=$?
    expect "exit status" "$wrc" "$prc"
    cmp -s "$work/plain.out" "$work/weft.out" || fail "stdout differs"
    cmp -s "$work/plain.err" "$work/weft.err" || fail "stderr differs"
    expect "argv" "$(q "select argv from processes")" "[\"$BIN/t_output\",\"a\",\"b c\"]"
    "$WEFT" report --format=json "$db" >"$work/r.json" || fail "report failed"
    grep -q '"exit_code": 42' "$work/r.json" || fail "report: $(cat "$work/r.json")"
    grep -q '"findings": \[' "$work/r.json" || fail "report has no findings array"
    # signals: 128+N
    "$WEFT" run -q -o "$db" -- sh -c 'kill -TERM $$'
    expect "signal status" "$?" 143
    ;;
bad_input)
    one_line_error "$WEFT" run -q -o "$db" -- "$work/does-not-exist"
    one_line_error "$WEFT" run -q --min-wait=soon -o "$db" -- "$BIN/t_threads"
    one_line_error "$WEFT" run -q --min-wait=-5us -o "$db" -- "$BIN/t_threads"
    one_line_error "$WEFT" ingest -q --min-wait=3parsecs "$work/none.log"
    one_line_error "$WEFT" run -q -o "$db" -- no-such-command-weft
    one_line_error "$WEFT" run -q -o "$db" -- "$BIN/t_static"
    grep -q 'LD_PRELOAD cannot work' "$work/e1" || fail "static: $(cat "$work/e1")"
    one_line_error "$WEFT" run -q -o "$work/no/such/dir/x.db" -- "$BIN/t_threads"
    echo "precious" >"$work/notes.txt"
    one_line_error "$WEFT" run -q -o "$work/notes.txt" -- "$BIN/t_threads"
    expect "not clobbered" "$(cat "$work/notes.txt")" precious
    # logs: a good one, then damaged copies
    WEFT_LOG=$work/good.log WEFT_LOG_MB=16 LD_PRELOAD=$SHIM "$BIN/t_threads" >/dev/null
    head -c 3000 "$work/good.log" >"$work/short.log"
    one_line_error "$WEFT" ingest "$work/short.log" -o "$work/s.db"
    # a truncated log keeps the chunks it holds (safety_ingest.sh tests more)
    head -c 70000 "$work/good.log" >"$work/trunc.log"
    "$WEFT" ingest -q "$work/trunc.log" -o "$work/t.db" 2>"$work/e1" || fail "truncated log refused"
    grep -q '^weft: warning: trace incomplete: .* chunks of records lost' "$work/e1" ||
        fail "truncated: $(cat "$work/e1")"
    head -c 100000 /dev/urandom >"$work/random.log"
    one_line_error "$WEFT" ingest "$work/random.log" -o "$work/s.db"
    one_line_error "$WEFT" ingest "$work/missing.log" -o "$work/s.db"
    [ -e "$work/s.db" ] && fail "a failed ingest left a database"
    "$WEFT" ingest -q "$work/good.log" -o "$db" || fail "good log rejected"
    cp "$db" "$work/v99.db"
    sqlite3 "$work/v99.db" "PRAGMA user_version=99"
    one_line_error "$WEFT" report --format=json "$work/v99.db"
    grep -q 'schema version 99' "$work/e1" || fail "version: $(cat "$work/e1")"
    one_line_error "$WEFT" report --format=json "$work/notes.txt"
    one_line_error "$WEFT" nonsense
    ;;
weft)
    run_weft "$BIN/t_weft"
    expect "exit status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "weft ok"
    # weft_go / group / future threads: recorded once, with the user's function
    expect "go thread" "$(q "select start || ' ' || created_by from thread_summary where start='gopher'")" "gopher weft_go"
    expect "group threads" "$(q "select count(*) from thread_summary where start='grouped' and created_by='weft_group_go'")" 2
    expect "future thread" "$(q "select created_by from thread_summary where start='compute'")" weft_future_start
    expect "no trampolines" "$(q "select count(*) from thread_summary where internal=0 and start='trampoline'")" 0
    expect "timer is internal" "$(q "select count(*) > 0 from threads where internal=1 and created_by='libweft'")" 1
    expect "go creator stack" "$(q "select count(*) from threads t join frames f on f.stack=t.create_stack where t.created_by='weft_go' and f.function='main'")" 1
    # misuse results, with stacks
    expect "double close" "$(q "select count(*) from event_log where kind='chan_close' and arg=-32 and stack is not null")" 1
    expect "send on closed" "$(q "select count(*) from event_log where kind='chan_send_end' and arg=-32 and stack is not null")" 1
    expect "wg negative" "$(q "select count(*) from event_log where kind in ('wg_add','wg_done') and arg2=-34")" 2
    expect "sem over-release" "$(q "select arg2 from event_log where kind='weft_sem_release' and stack is not null")" -34
    # blocking calls: a send that had to wait is one row, its end, with the
    # begin's time and stack; other blocking calls keep their begin row
    expect "send waited" "$(q "select count(*) from events e join kinds k on k.id=e.kind where k.name='chan_send_end' and e.begin_ts <= e.ts and e.stack is not null")" 1
    expect "send begin folded" "$(q "select count(*) from event_log where kind='chan_send_begin'")" 0
    expect "wg wait" "$(q "select count(*) from event_log where kind in ('wg_wait_begin','wg_wait_end')")" 2
    expect "select waited" "$(q "select count(*) from event_log where kind='select_end' and arg2=-32 and arg=0 and obj in (select address from objects where info='ctx-done')")" 1
    expect "select cases" "$(q "select group_concat(op) from select_cases where event=(select min(event) from select_cases)")" "recv,send"
    expect "objects" "$(q "select group_concat(kind) from (select distinct kind from objects where kind not in ('thread','hb','mutex') order by kind)")" "chan,ctx,future,group,limiter,weft_sem,wg"
    expect "chan create stacks" "$(q "select count(*) from objects where kind='chan' and info is null and create_stack is null")" 0
    expect "chan freed" "$(q "select count(*) from objects where kind='chan' and info is null and destroyed_ns is not null")" 2
    expect "ctx done chans" "$(q "select count(*) from objects where info='ctx-done'")" 4
    expect "dropped" "$(q "select dropped_events from processes")" 0
    ;;
fold)
    # Default: plain channel operations are counted in event_counts, and
    # together with the rows they are every operation; no events indexes.
    run_weft "$BIN/t_fold"
    expect "exit status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "fold ok"
    ops="select (select count(*) from events e join kinds k on k.id=e.kind where k.name='KIND' and e.arg=0) + (select coalesce(sum(count),0) from event_counts where kind='KIND')"
    expect "sends" "$(q "$(echo "$ops" | sed s/KIND/chan_send_end/g)")" 1900
    expect "recvs" "$(q "$(echo "$ops" | sed s/KIND/chan_recv_end/g)")" 1900
    # main's 500 sends and receives on the channel of capacity 500, made
    # alone, cannot wait on any schedule: every one is counted, none a row
    solo="(select object from events where kind=(select id from kinds where name='chan_make') and arg2=500)"
    expect "counted" "$(q "select group_concat(kind || ' ' || count) from (select kind, sum(count) count from event_counts where object=$solo and kind like 'chan_%' group by kind order by kind)")" "chan_recv_end 500,chan_send_end 500"
    expect "solo rows" "$(q "select count(*) from events where object=$solo and kind in (select id from kinds where name in ('chan_send_end','chan_recv_end'))")" 0
    # the other operations: a row when they waited, else counted
    expect "waited rows" "$(q "select count(*) from events e join kinds k on k.id=e.kind where k.name in ('chan_send_end','chan_recv_end') and e.arg=0 and e.arg2=0")" 0
    expect "meta" "$(q "select value from meta where key='all_events'")" 0
    # every event is a row, counted (a short wait: its begin and its end),
    # or a channel begin folded into its end's row
    expect "ids" "$(q "select (select count(*) from events) + (select sum(count) + sum(waited) from event_counts) + (select count(*) from events e join kinds k on k.id=e.kind where k.name in ('chan_send_end','chan_recv_end') and e.begin_ts is not null) = (select events from processes)")" 1
    # waits under --min-wait (100 us) are counted, the longer ones are rows
    expect "min wait" "$(q "select value from meta where key='min_wait_ns'")" 100000
    expect "short waits counted" "$(q "select count(*) from event_counts where max_wait_ns >= 100000 or waited > count or wait_ns < 0")" 0
    expect "long waits rows" "$(q "select count(*) from events e join kinds k on k.id=e.kind where k.name in ('chan_send_end','chan_recv_end') and e.arg=0 and e.begin_ts is not null and e.ts - e.begin_ts < 100000")" 0
    # an unbuffered handoff completes only with one side queued: 400
    # waits, each a row or counted
    expect "all waits" "$(q "select (select sum(waited) from event_counts) + (select count(*) from events e join kinds k on k.id=e.kind where k.name in ('chan_send_end','chan_recv_end') and e.begin_ts is not null) >= 400")" 1
    expect "no events index" "$(q "select count(*) from sqlite_master where name in ('events_thread','events_object')")" 0
    expect "blocked at exit" "$(q "select count(*) from blocked_at_exit")" 0
    # --min-wait=0: every wait a row; 1s: none here
    "$WEFT" run -q --min-wait=0 -o "$db" -- "$BIN/t_fold" >"$work/out" 2>"$work/err"
    expect "min-wait 0" "$(q "select coalesce(sum(waited), 0) from event_counts")" 0
    expect "min-wait 0 rows" "$(q "select count(*) >= 400 from events e join kinds k on k.id=e.kind where k.name in ('chan_send_end','chan_recv_end') and e.begin_ts is not null")" 1
    "$WEFT" run -q --min-wait=1s -o "$db" -- "$BIN/t_fold" >"$work/out" 2>"$work/err"
    expect "min-wait 1s" "$(q "select count(*) from events e join kinds k on k.id=e.kind where k.name in ('chan_send_end','chan_recv_end') and e.arg=0 and e.begin_ts is not null")" 0
    expect "min-wait 1s counted" "$(q "select sum(waited) >= 400 from event_counts")" 1
    # --all-events: a row each, with the folded tickets on the call's row
    "$WEFT" run -q --all-events --index -o "$db" -- "$BIN/t_fold" >"$work/out" 2>"$work/err"
    expect "all exit status" "$?" 0
    expect "all sends" "$(q "select count(*) from event_log where kind='chan_send_end' and arg=0")" 1900
    expect "all recvs" "$(q "select count(*) from event_log where kind='chan_recv_end' and arg=0")" 1900
    expect "all counts" "$(q "select count(*) from event_counts")" 0
    # an unbuffered handoff completes only with one side queued (a begin):
    # 400 of them; with --all-events each begin keeps its row
    expect "all begins" "$(q "select (select count(*) from event_log where kind in ('chan_send_begin','chan_recv_begin')) = (select count(*) from events e join kinds k on k.id=e.kind where k.name in ('chan_send_end','chan_recv_end') and e.begin_ts is not null) and (select count(*) from event_log where kind in ('chan_send_begin','chan_recv_begin')) >= 400")" 1
    expect "all meta" "$(q "select value from meta where key='all_events'")" 1
    expect "indexes" "$(q "select count(*) from sqlite_master where name in ('events_thread','events_object')")" 2
    # every receive that got a value acquired a ticket folded into its row,
    # or (it waited, then took a value after all) into the release it made
    # just before
    expect "recv acquires" "$(q "select count(*) from events e where e.kind=(select id from kinds where name='chan_recv_end') and e.arg=0 and e.acq is null and (select p.acq from events p where p.thread=e.thread and p.id<e.id order by p.id desc limit 1) is null")" 0
    # an operation that did not wait (arg2 0) has its release folded into
    # its row; one that waited (arg2 1) released as it queued itself, in a
    # row of its own. How many waited depends on the schedule; main's solo
    # operations never do: their 1000 releases are all folded.
    ends="select e.* from events e join kinds k on k.id=e.kind where k.name in ('chan_send_end','chan_recv_end') and e.arg=0"
    expect "folded iff not waited" "$(q "select count(*) from ($ends) where (rel is null) != (arg2 = 1)")" 0
    expect "folded" "$(q "select count(*) from ($ends) where rel is not null and object=$solo")" 1000
    # exactness: every acquired ticket was released earlier in trace order
    expect "acquires released before" "$(q "$unreleased")" 0
    ;;
fold_skew)
    # A worker whose record clock runs a second behind main's (the shim's
    # WEFT_CHAOS_SKEW, as a lagging vCPU's TSC would): it releases on a
    # channel after main did, then acquires main's release. Its records
    # still come after main's send: an acquire's record is stamped past
    # the latest release of its hb object, which the worker's own, lagging
    # release must not pull back. 3e9: a second or more of TSC ticks at up
    # to 3 GHz (1.4 s at this machine's 2.1 GHz; 3 s without the TSC, where
    # the clock is in ns).
    WEFT_CHAOS_SKEW=3000000000 "$WEFT" run -q --all-events -o "$db" -- "$BIN/t_skew" >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    expect "stdout" "$(cat "$work/out")" "skew ok"
    expect "acquires" "$(q "select count(*) >= 3 from ($hb_acquires)")" 1
    expect "acquires released before" "$(q "$unreleased")" 0
    # the worker's receive of main's value comes after main's send
    expect "recv after send" "$(q "select (select min(e.id) from events e join kinds k on k.id=e.kind join thread_summary t on t.id=e.thread where k.name='chan_recv_end' and t.start='worker') > (select min(e.id) from events e join kinds k on k.id=e.kind join thread_summary t on t.id=e.thread where k.name='chan_send_end' and t.start='main')")" 1
    ;;
lock_pingpong)
    # Two threads hand a mutex back and forth in turn: every lock
    # of it comes after the unlock before it in the trace, never while the
    # other thread holds it. A plain rdtsc can run ahead of the lock's
    # atomic while that waits for the cache line (47 locks came too early
    # in a run here with the record's time unfenced).
    "$WEFT" run -q --all-events -o "$db" -- "$BIN/t_pingpong" >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    ops="select e.id, e.object, e.thread, k.name from events e join kinds k on k.id=e.kind where k.name in ('mutex_lock_end','mutex_unlock') and e.arg=0"
    seq="select name, lag(name) over w prev, thread, lag(thread) over w prev_thread from ($ops) window w as (partition by object order by id)"
    expect "locks" "$(q "select count(*) from ($ops) where name='mutex_lock_end'")" "$(cat "$work/out")"
    expect "handoffs" "$(q "select count(*) >= 100 from ($seq) where name='mutex_lock_end' and prev_thread != thread")" 1
    expect "locked while held" "$(q "select count(*) from ($seq) where name='mutex_lock_end' and prev='mutex_lock_end'")" 0
    expect "unlocked while not held" "$(q "select count(*) from ($seq) where name='mutex_unlock' and (prev is not 'mutex_lock_end' or prev_thread != thread)")" 0
    ;;
deadlock_chan)
    run_weft "$BIN/t_deadlock_chan"
    expect "exit status" "$rc" 2
    expect "stdout" "$(cat "$work/out")" "sending"
    grep -q '^==weft== deadlock: all 2 threads are blocked' "$work/err" || fail "stderr: $(cat "$work/err")"
    expect "one line" "$(grep -c '==weft== deadlock' "$work/err")" 1
    # the calls named as the finding names them, not by their records
    grep '^==weft== deadlock: all' "$work/err" | grep -q 'in chan_send 0x' || fail "call names: $(cat "$work/err")"
    grep '^==weft== deadlock: all' "$work/err" | grep -q '_begin' && fail "a record's name: $(cat "$work/err")"
    expect "process" "$(q "select exit_kind || ' ' || exit_code from processes")" "deadlock 2"
    expect "deadlock event" "$(q "select arg from event_log where kind='deadlock'")" 2
    expect "waits" "$(q "select group_concat(w.kind) from (select * from deadlock_waits order by kind) w")" "chan_recv_begin,chan_send_begin"
    expect "main waits on its chan" "$(q "select o.kind from deadlock_waits w join threads t on t.id=w.thread join objects o on o.id=w.object where t.tid=1")" chan
    # a begin that never ended keeps its row (not folded into an end)
    expect "blocked begins" "$(q "select group_concat(k.name) from (select * from blocked_at_exit order by kind) b join events e on e.id=b.event join kinds k on k.id=e.kind where k.name like 'chan_%'")" "chan_recv_begin,chan_send_begin"
    expect "watchdog internal" "$(q "select count(*) from thread_summary where state='internal'")" 1
    # 0 = off: then nothing ends it (timeout ends it for the test)
    WEFT_DEADLOCK_TIMEOUT_MS=0 timeout -k 5 3 env LD_PRELOAD=$SHIM WEFT_LOG=$work/off.log "$BIN/t_deadlock_chan" >/dev/null 2>&1
    expect "off" "$?" 124
    ;;
deadlock_abba)
    "$WEFT" run -q --deadlock-timeout=300 -o "$db" -- "$BIN/t_deadlock_abba" >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 2
    grep -q '^==weft== deadlock: all 3 threads are blocked' "$work/err" || fail "stderr: $(cat "$work/err")"
    expect "waits" "$(q "select group_concat(kind) from (select kind from deadlock_waits order by kind)")" "join_begin,mutex_lock_begin,mutex_lock_begin"
    expect "mutex objects" "$(q "select count(distinct object) from deadlock_waits where kind='mutex_lock_begin'")" 2
    ;;
lock_cycle)
    # Two threads deadlock on two mutexes while main goes on (blocked in a
    # FIFO read, which is no wait): the watchdog reports the cycle at once,
    # once, without ending the program; main is let go once the line is
    # there, and returns. At exit: one deadlock finding of the two threads,
    # which are also leaked.
    mkfifo "$work/go"
    "$WEFT" run -q --deadlock-timeout=100 -o "$db" -- "$BIN/t_lock_cycle" "$work/go" \
        >"$work/out" 2>"$work/err" &
    pid=$!
    i=0
    while ! grep -q '^==weft== deadlock: 2 threads wait' "$work/err" && [ $i -lt 600 ] &&
        kill -0 $pid 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -0 $pid 2>/dev/null && echo go >"$work/go"
    wait $pid
    expect "exit status" "$?" 0
    expect "stdout" "$(cat "$work/out")" "main went on"
    expect "lines" "$(grep -c '^==weft== deadlock' "$work/err")" 1
    expect "process exit" "$(q "select exit_kind from processes")" return
    expect "waits" "$(q "select group_concat(kind) || ' ' || count(distinct object) from deadlock_waits")" \
        "mutex_lock_begin,mutex_lock_begin 2"
    expect "findings" "$(q "select group_concat(kind) from (select kind from findings order by kind)")" \
        "deadlock,leaked-thread,leaked-thread"
    expect "message" "$(q "select message like '%2 threads each wait for a mutex the next one holds%' from findings where kind = 'deadlock'")" 1
    ;;
chan_leak_pool | chan_leak_crowded | chan_leak_lookalike | chan_leak_pair | chan_leak_abandon)
    # Threads blocked on channels no running thread can reach, while main
    # goes on (it never touched the channels): the watchdog says so once,
    # without ending the program (the program returns once it has seen
    # the line in its stderr); at exit, one deadlock finding of those
    # threads, which also leak. reach.c. crowded: the pool, main busy on
    # a channel that shares the jobs channel's first carry entry;
    # lookalike: main busy on two channels whose filter bits cover the
    # jobs channel's.
    case $name in
    chan_leak_pool) mode=pool n=3 kinds="3 chan_recv_begin,4 chan_recv_begin,5 chan_recv_begin" objs=1 ;;
    chan_leak_crowded) mode=crowded n=3 kinds="3 chan_recv_begin,4 chan_recv_begin,5 chan_recv_begin" objs=1 ;;
    chan_leak_lookalike) mode=lookalike n=3 kinds="3 chan_recv_begin,4 chan_recv_begin,5 chan_recv_begin" objs=1 ;;
    chan_leak_pair) mode=pair n=2 kinds="3 chan_recv_begin,4 chan_recv_begin" objs=2 ;;
    *) mode=abandon n=1 kinds="3 chan_send_begin" objs=1 ;;
    esac
    "$WEFT" run -q --deadlock-timeout=100 -o "$db" -- "$BIN/t_chan_leak" $mode >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    expect "stdout" "$(cat "$work/out")" "main went on"
    expect "lines" "$(grep -c '^==weft== deadlock' "$work/err")" 1
    if [ "$n" = 1 ]; then what="1 thread waits"; else what="$n threads wait"; fi
    line=$(grep '^==weft== deadlock' "$work/err")
    case $line in
    "==weft== deadlock: $what on channels no running thread can reach (the program goes on): thread 3 in "*) ;;
    *) fail "line: $line" ;;
    esac
    # (the line names the calls as the finding does: chan_recv, not the
    # record's chan_recv_begin that deadlock_waits keeps)
    expect "threads in the line" "$(echo "$line" | grep -o 'thread [0-9]* in [a-z_]*' | tr '\n' ' ')" \
        "$(echo "$kinds" | tr ',' '\n' | sed 's/^\([0-9]*\) \(.*\)_begin$/thread \1 in \2/' | tr '\n' ' ')"
    expect "process exit" "$(q "select exit_kind from processes")" return
    expect "event" "$(q "select obj || ' ' || arg || ' ' || arg2 from event_log where kind='deadlock'")" "2 $n 100"
    expect "waits" "$(q "select group_concat(t.tid || ' ' || w.kind) from (select * from deadlock_waits order by thread) w join threads t on t.id=w.thread")" "$kinds"
    expect "objects" "$(q "select count(distinct w.object) || ' ' || group_concat(distinct o.kind) from deadlock_waits w join objects o on o.id=w.object")" "$objs chan"
    expect "findings" "$(q "select group_concat(kind) from (select kind from findings where kind != 'leaked-thread' order by kind)")" \
        "deadlock"
    expect "leaked threads" "$(q "select sum(count) from findings where kind = 'leaked-thread'")" "$n"
    expect "deadlock threads" "$(q "select t.tid from findings f join threads t on t.id = f.thread where f.kind = 'deadlock'")" 3
    expect "message" "$(q "select message like '%$what on channels that no running thread can reach, for 100 ms%' from findings where kind = 'deadlock'")" 1
    ;;
exit_held)
    # The worker's send begin is held 40 ms (WEFT_CHAOS_HOLD_LATE) while
    # main, 20 ms in, takes its value and returns: the process's end waits
    # for it (up to 100 ms, log_writer.c), so the worker is seen finishing
    # its send, not leaked, and nothing is lost. (Without the wait, the
    # mutation exit-does-not-wait-for-held: a dropped event and a
    # leaked-thread finding.)
    WEFT_CHAOS_HOLD_LATE=40 "$WEFT" run -q -o "$db" -- "$BIN/t_exit_held" 20 >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    expect "stdout" "$(cat "$work/out")" 42
    expect "dropped" "$(q "select dropped_events from processes")" 0
    expect "the send" "$(q "select count(*) from events e join kinds k on k.id = e.kind where k.name like 'chan_send%'")" 1
    expect "findings" "$(q "select count(*) from findings")" 0
    ;;
exit_held_lost)
    # Held 2 s, past the end's 100 ms (main takes the value 200 ms in):
    # the record is lost, and said (a loss of its own kind, in the
    # warning and the report), never silently.
    WEFT_CHAOS_HOLD_LATE=2000 "$WEFT" run -o "$db" -- "$BIN/t_exit_held" 200 >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    expect "stdout" "$(cat "$work/out")" 42
    expect "dropped" "$(q "select dropped_events from processes")" 1
    expect "losses" "$(q "select what || ' ' || count from losses")" "held-at-exit 1"
    expect "warning" "$(grep -c '^weft: warning: trace incomplete: 1 event of threads still starting a wait when process [0-9]* ended' "$work/err")" 1
    expect "report" "$(grep -c '^==weft== trace incomplete: 1 event of threads still starting a wait when the process ended in process [0-9]*: ' "$work/err")" 1
    expect "the worker's finding uncertain" "$(q "select kind || ' ' || uncertain from findings")" "leaked-thread 1"
    ;;
chan_leak_reply | chan_leak_queue | chan_leak_later)
    # Near misses: a receiver waits for 5 timeouts while a running thread
    # that can reach its channel works; through the request that carried
    # the reply channel (reply), through a queue under a mutex (queue),
    # through its creation argument (later).
    mode=${name#chan_leak_}
    "$WEFT" run -q --deadlock-timeout=100 -o "$db" -- "$BIN/t_chan_leak" $mode >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    case $mode in
    reply) want="reply 7" ;;
    queue) want="reply 8" ;;
    *) want="received 9" ;;
    esac
    expect "stdout" "$(cat "$work/out")" "$want"
    expect "lines" "$(grep -c 'deadlock' "$work/err")" 0
    expect "events" "$(q "select count(*) from event_log where kind='deadlock'")" 0
    ;;
no_deadlock)
    run_weft "$BIN/t_no_deadlock"
    expect "exit status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "fed"
    expect "no deadlock" "$(q "select count(*) from event_log where kind='deadlock'")" 0
    grep -q deadlock "$work/err" && fail "stderr: $(cat "$work/err")"
    ;;
chan_wait_stacks)
    # A channel operation that waits writes its begin record under the
    # channel's lock and finds its stack once libweft let go of it
    # (weft__hb_wait): in a trace of many chunks, every begin has the
    # stack of the call that waited, innermost frame first, and none is
    # lost or without one where its chunk ran out.
    n=20000
    "$WEFT" run -q --all-events -o "$db" -- "$BIN/t_chan_waits" $n >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    expect "stdout" "$(cat "$work/out")" $((n * (n + 1) / 2))
    begins="select e.id, k.name kind, e.stack from events e join kinds k on k.id=e.kind where k.name in ('chan_send_begin','chan_recv_begin','select_begin')"
    # an unbuffered hand-off completes with one side queued: 2n of them,
    # and the echo thread's last receive
    expect "begins" "$(q "select count(*) from ($begins)")" $((2 * n + 1))
    expect "without a stack" "$(q "select count(*) from ($begins) where stack is null")" 0
    expect "innermost frames" "$(q "select group_concat(f, ' ') from (select distinct b.kind || ':' || f.function f from ($begins) b join frames f on f.stack=b.stack and f.depth=0 order by 1)")" \
        "chan_recv_begin:echo_leaks chan_recv_begin:main_receives chan_send_begin:main_sends select_begin:echo_selects_recv select_begin:echo_selects_send"
    expect "leaked receive" "$(q "select f.function from blocked_at_exit b join events e on e.id=b.event join frames f on f.stack=e.stack and f.depth=0")" echo_leaks
    # main's sends before the close of the channel `half` come from
    # first_half, those after it from second_half: the same place on the
    # stack, found again by its words (stack.c), with another caller
    sends="select e.id, f.function caller from events e join kinds k on k.id=e.kind and k.name='chan_send_begin' join frames f on f.stack=e.stack and f.depth=1"
    closed="(select e.id from events e join kinds k on k.id=e.kind and k.name='chan_close')"
    expect "callers of the sends" "$(q "select group_concat(w, ' ') from (select distinct case when id < $closed then 'before:' else 'after:' end || caller w from ($sends) order by 1)")" \
        "after:second_half before:first_half"
    expect "dropped" "$(q "select dropped_events from processes")" 0
    ;;
woken)
    # main stays inside weft_chan_recv for 600 ms after its sender is gone,
    # running a signal handler (spinning, or asleep in clock_nanosleep):
    # marked waiting, but not blocked, so no deadlock at 100 ms
    for mode in spin sleep; do
        "$WEFT" run -q --deadlock-timeout=100 -o "$db" -- "$BIN/t_woken" $mode >"$work/out" 2>"$work/err"
        expect "$mode: exit status" "$?" 0
        expect "$mode: stdout" "$(cat "$work/out")" "got 7"
        expect "$mode: no deadlock" "$(q "select count(*) from event_log where kind='deadlock'")" 0
        rm -f "$db"
    done
    ;;
selfingest)
    # plain LD_PRELOAD: ./weft-PID.db appears at exit; status and output unchanged
    mkdir "$work/cwd"
    (cd "$work/cwd" && LD_PRELOAD=$SHIM "$BIN/t_threads" >"$work/out")
    expect "exit status" "$?" 3
    expect "stdout" "$(cat "$work/out")" "threads done"
    set -- "$work"/cwd/weft-*.db
    expect "one db" "$#" 1
    db=$1
    expect "process" "$(q "select exit_kind || ' ' || exit_code from processes")" "return 3"
    expect "threads" "$(q "select count(*) from threads where internal=0")" 8
    expect "log removed" "$(ls "$work/cwd" | grep -c '\.log')" 0
    # a fork child ingests its own log; a deadlock is ingested before the end
    rm -f "$work"/cwd/*
    (cd "$work/cwd" && LD_PRELOAD=$SHIM "$BIN/t_fork" >/dev/null)
    expect "fork status" "$?" 10
    expect "fork dbs" "$(ls "$work/cwd" | grep -c '\.db$')" 2
    rm -f "$work"/cwd/*
    (cd "$work/cwd" && LD_PRELOAD=$SHIM "$BIN/t_deadlock_chan" >/dev/null 2>&1)
    expect "deadlock status" "$?" 2
    set -- "$work"/cwd/weft-*.db
    db=$1
    expect "deadlock db" "$(q "select exit_kind from processes")" deadlock
    ;;
exec)
    "$WEFT" run -q --trace-children -o "$db" -- "$BIN/t_exec" "$BIN/t_threads" >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 3
    expect "stdout" "$(cat "$work/out")" "threads done"
    expect "one process" "$(q "select count(*) from processes")" 1
    expect "process" "$(q "select exit_kind || ' ' || exit_code from processes")" "return 3"
    expect "exec events" "$(q "select group_concat(arg) from (select arg from event_log where kind='exec' order by id)")" "0,-2,0"
    expect "both images' threads" "$(q "select count(*) from threads where internal=0")" 10
    expect "new image's threads" "$(q "select count(*) from threads where tid > 2 and internal=0")" 8
    # without --trace-children the new image runs untraced
    "$WEFT" run -q -o "$db" -- "$BIN/t_exec" "$BIN/t_threads" >"$work/out" 2>"$work/err"
    expect "untraced status" "$?" 3
    expect "untraced threads" "$(q "select count(*) from threads where internal=0")" 2
    expect "untraced exit" "$(q "select exit_code from processes")" 3
    ;;
parallel)
    # a big two-process log, ingested on several threads (decode, sort
    # items) and on one: the same trace
    "$WEFT" run --keep-log -o "$db" -- "$BIN/t_busy" >"$work/out" 2>"$work/err"
    expect "exit status" "$?" 0
    expect "stdout" "$(cat "$work/out")" "busy ok"
    logs=$(sed -n 's/^==weft== raw logs: //p' "$work/err")
    [ -d "$logs" ] || fail "no raw logs kept"
    "$WEFT" ingest -q "$logs"/log* -o "$work/many.db" || fail "ingest"
    WEFT_INGEST_THREADS=1 "$WEFT" ingest -q "$logs"/log* -o "$work/one.db" || fail "ingest on one thread"
    for t in events event_counts threads objects stacks frames modules blocked_at_exit findings processes; do
        a=$(sqlite3 "$work/many.db" "select * from $t order by 1, 2" | md5sum)
        b=$(sqlite3 "$work/one.db" "select * from $t order by 1, 2" | md5sum)
        expect "table $t" "$a" "$b"
    done
    expect "processes" "$(sqlite3 "$work/many.db" "select count(*) from processes")" 2
    expect "big enough" "$(sqlite3 "$work/many.db" "select sum(events) > 200000 from processes")" 1
    rm -rf "$logs"
    ;;
fuzz)
    WEFT_LOG=$work/seed.log WEFT_LOG_MB=16 LD_PRELOAD=$SHIM "$BIN/t_threads" >/dev/null
    "$FUZZ" "$work/seed.log" 4000 || fail "fuzz_log"
    ;;
live_log)
    # The live reader over a log replayed as it was written (live_log.c).
    WEFT_LOG=$work/seed.log WEFT_LOG_MB=16 LD_PRELOAD=$SHIM "$BIN/t_many" >/dev/null
    "$LIVELOG" "$work/seed.log" "$work/live.log" || fail "live_log"
    ;;
*)
    echo "unknown test $name" >&2
    exit 2
    ;;
esac
[ "$fails" -eq 0 ] && echo "ok [$name]"
[ "$fails" -eq 0 ]
