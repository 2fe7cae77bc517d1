#!/bin/sh
# SPDX-License-Identifier: MIT
# matrix.sh: the fault matrix's cases (issue 13 item 1) that the older
# scripts did not cover; docs/reliability.md maps every fault to its test.
# Each case runs t_fault without weft and under it (weft run, plain
# LD_PRELOAD, or both), and checks: the same stdout, stderr and exit
# status (and files), and in the trace every event t_fault made before
# its fault: its "before" work is 5 before_fn threads, created, returned
# and joined (busy modes add 4 busy threads that each made 10 inner_fn
# threads, all returned and joined, before the fault). Synchronisation
# through fifos and pipes, never sleeps.
# Usage: matrix.sh CASE (CTest passes WEFT, SHIM, BIN).
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

T=$BIN/t_fault

# plain ARGS: t_fault without weft; $work/p.out, $work/p.err, prc. The
# shell's own word on a death by signal ("Segmentation fault"), which it
# writes into the redirected stderr, is not the program's: weft run exits
# 128+N instead of dying, and the shell says nothing then.
plain() {
    "$T" "$@" >"$work/p.out" 2>"$work/p.err"
    prc=$?
    not_the_program "$work/p.err"
}
not_the_program() {
    sed -i -E '/^(Segmentation fault|Aborted|Killed)( \(core dumped\))?$/d' "$1"
}
# same WHAT RC: the run's rc, $work/out and $work/err are the plain run's
# (weft's own lines on stderr set aside: its findings, and its warnings
# "weft: ..." such as a chunk claimed by a thread the death killed)
same() {
    expect "$1: exit status" "$2" "$prc"
    cmp -s "$work/p.out" "$work/out" || fail "$1: stdout differs: $(head -c 300 "$work/out")"
    grep -v -e '^==weft==' -e '^weft: ' "$work/err" >"$work/err.prog"
    cmp -s "$work/p.err" "$work/err.prog" || fail "$1: stderr differs: $(head -c 300 "$work/err.prog")"
}
# preload ARGS: t_fault under plain LD_PRELOAD, its logs $work/l/log*,
# ingested into $db; rc in lrc, output in $work/out, $work/err
preload() {
    rm -rf "$work/l" "$db"
    mkdir "$work/l"
    LD_PRELOAD=$SHIM WEFT_LOG=$work/l/log "$T" "$@" >"$work/out" 2>"$work/err"
    lrc=$?
    not_the_program "$work/err"
    "$WEFT" ingest -q -o "$db" "$work"/l/log* >"$work/i.out" 2>"$work/i.err" ||
        fail "ingest: $(cat "$work/i.err")"
}
# threads_of FN [PID]: the threads started at FN that returned and were
# joined (in process PID, or in all)
threads_of() {
    q "select count(*) from thread_summary where start = '$1' and exit_kind = 'return' and
        state = 'joined' ${2:+and pid = $2}"
}
# before_in_trace WHAT [busy]: the work before the fault is all there
before_in_trace() {
    expect "$1: before_fn threads" "$(threads_of before_fn)" 5
    if [ "${2:-}" = busy ]; then
        expect "$1: inner_fn threads" "$(threads_of inner_fn)" 40
        expect "$1: busy threads" "$(q "select count(*) from thread_summary where start = 'busy'")" 4
    fi
    expect "$1: dropped" "$(q "select sum(dropped_events) from processes")" 0
}
# no_losses WHAT [busy]: the trace is whole. With busy threads at a death:
# a thread that died as it claimed a log chunk leaves it claimed and
# unwritten (said as a loss, though no record was in it yet).
no_losses() {
    expect "$1: losses" "$(q "select group_concat(what) from losses where '${2:-}' <> 'busy' or what <> 'unwritten-chunk'")" ""
}

case $name in
fault_segv)
    # SIGSEGV while 4 threads are busy: the death and everything before it.
    plain segv
    expect "plain" "$prc" 139
    run_weft "$T" segv
    same "weft run" "$rc"
    before_in_trace "weft run" busy
    no_losses "weft run" busy
    expect "weft run: exit" "$(q "select exit_kind || ' ' || signal from processes")" "signal 11"
    expect "weft run: fatal signal" "$(q "select arg from event_log where kind = 'fatal_signal'")" 11
    preload segv
    same "LD_PRELOAD" "$lrc"
    before_in_trace "LD_PRELOAD" busy
    no_losses "LD_PRELOAD" busy
    expect "LD_PRELOAD: fatal signal" "$(q "select arg from event_log where kind = 'fatal_signal'")" 11
    ;;
fault_segv_handler)
    # The program's own SIGSEGV handler: one that _exits, one that puts
    # the default back and returns (the fault comes again and kills).
    plain segv_exit
    expect "plain _exit" "$prc" 7
    run_weft "$T" segv_exit
    same "weft run, _exit" "$rc"
    before_in_trace "weft run, _exit" busy
    no_losses "weft run, _exit" busy
    expect "weft run, _exit: exit" "$(q "select exit_kind || ' ' || exit_code from processes")" "_exit 7"
    expect "weft run, _exit: no fatal signal" "$(q "select count(*) from event_log where kind = 'fatal_signal'")" 0
    plain segv_reraise
    expect "plain re-raise" "$prc" 139
    run_weft "$T" segv_reraise
    same "weft run, re-raise" "$rc"
    before_in_trace "weft run, re-raise" busy
    no_losses "weft run, re-raise" busy
    expect "weft run, re-raise: exit" "$(q "select exit_kind || ' ' || signal from processes")" "signal 11"
    preload segv_reraise
    same "LD_PRELOAD, re-raise" "$lrc"
    before_in_trace "LD_PRELOAD, re-raise" busy
    expect "LD_PRELOAD, re-raise: fatal signal" "$(q "select arg from event_log where kind = 'fatal_signal'")" 11
    ;;
fault_exit_now)
    # _exit from main with 4 threads busy (and stdio unflushed: lost with
    # or without weft).
    plain _exit
    expect "plain" "$prc" 6
    run_weft "$T" _exit
    same "weft run" "$rc"
    before_in_trace "weft run" busy
    no_losses "weft run" busy
    expect "weft run: exit" "$(q "select exit_kind || ' ' || exit_code from processes")" "_exit 6"
    expect "weft run: busy at exit" "$(q "select count(*) from thread_summary where start = 'busy' and state = 'alive-at-exit'")" 4
    preload _exit
    same "LD_PRELOAD" "$lrc"
    before_in_trace "LD_PRELOAD" busy
    no_losses "LD_PRELOAD" busy
    expect "LD_PRELOAD: exit" "$(q "select exit_kind || ' ' || exit_code || ' ' || finished from processes")" "_exit 6 1"
    ;;
fault_abort)
    # abort() with 4 threads busy.
    plain abort
    expect "plain" "$prc" 134
    run_weft "$T" abort
    same "weft run" "$rc"
    before_in_trace "weft run" busy
    no_losses "weft run" busy
    expect "weft run: exit" "$(q "select exit_kind || ' ' || signal from processes")" "signal 6"
    preload abort
    same "LD_PRELOAD" "$lrc"
    before_in_trace "LD_PRELOAD" busy
    no_losses "LD_PRELOAD" busy
    expect "LD_PRELOAD: fatal signal" "$(q "select arg from event_log where kind = 'fatal_signal'")" 6
    ;;
fault_exit_worker)
    # exit(5) from a worker while main waits to join it, 4 threads busy.
    plain exit_worker
    expect "plain" "$prc" 5
    run_weft "$T" exit_worker
    same "weft run" "$rc"
    before_in_trace "weft run" busy
    no_losses "weft run" busy
    expect "weft run: exit" "$(q "select exit_kind || ' ' || exit_code from processes")" "exit 5"
    expect "weft run: exit's caller" "$(q "select t.start from event_log e join thread_summary t on t.pid = e.pid and t.tid = e.tid where e.kind = 'exit'")" exit_fn
    preload exit_worker
    same "LD_PRELOAD" "$lrc"
    before_in_trace "LD_PRELOAD" busy
    no_losses "LD_PRELOAD" busy
    expect "LD_PRELOAD: exit" "$(q "select exit_kind || ' ' || exit_code || ' ' || finished from processes")" "exit 5 1"
    ;;
fault_exit_first)
    # A worker's exit(5) ends the process before its creator recorded the
    # creation (WEFT_CHAOS_CREATE_LATE holds pthread_create 500 ms there):
    # the trace still names the exit's caller by its start function, from
    # the thread's own start record.
    plain exit_first
    expect "plain" "$prc" 5
    WEFT_CHAOS_CREATE_LATE=500 run_weft "$T" exit_first
    same "weft run" "$rc"
    expect "weft run: exit" "$(q "select exit_kind || ' ' || exit_code from processes")" "exit 5"
    expect "weft run: the exit's caller's creation not recorded" \
        "$(q "select count(*) from threads t join event_log e on e.pid = t.pid and e.tid = t.tid where e.kind = 'exit' and t.created_ns is null")" 1
    expect "weft run: exit's caller" "$(q "select t.start from event_log e join thread_summary t on t.pid = e.pid and t.tid = e.tid where e.kind = 'exit'")" exit_first_fn
    ;;
fault_main_exit)
    # pthread_exit from main; the last thread ends the process (exit 0).
    plain main_exit
    expect "plain" "$prc" 0
    run_weft "$T" main_exit
    same "weft run" "$rc"
    before_in_trace "weft run"
    no_losses "weft run"
    expect "weft run: main" "$(q "select exit_kind from threads where tid = 1")" pthread_exit
    expect "weft run: the last thread's work" "$(threads_of after_fn)" 5
    expect "weft run: exit" "$(q "select exit_code from processes")" 0
    preload main_exit
    same "LD_PRELOAD" "$lrc"
    before_in_trace "LD_PRELOAD"
    no_losses "LD_PRELOAD"
    expect "LD_PRELOAD: the last thread's work" "$(threads_of after_fn)" 5
    ;;
fault_kill_busy)
    # SIGKILL from outside while 4 threads are busy (in and out of the
    # recorder): no handler runs; the trace keeps all it had committed.
    mkfifo "$work/ready" "$work/go"
    killed_run() { # CMD...: runs it, kills t_fault (the pid it prints) once ready
        "$@" >"$work/out" 2>"$work/err" &
        bg=$!
        read -r _ <"$work/ready"
        pid=$(sed -n 's/^busy pid //p' "$work/out")
        kill -KILL "$pid"
        wait $bg
        krc=$?
        # the pid differs from run to run
        sed -i 's/^busy pid .*/busy pid N/' "$work/out"
    }
    killed_run "$T" busy "$work/ready" "$work/go"
    mv "$work/out" "$work/p.out"
    mv "$work/err" "$work/p.err"
    prc=$krc
    expect "plain" "$prc" 137
    killed_run "$WEFT" run -q -o "$db" -- "$T" busy "$work/ready" "$work/go"
    same "weft run" "$krc"
    before_in_trace "weft run" busy
    expect "weft run: exit" "$(q "select exit_kind || ' ' || signal from processes")" "signal 9"
    # a thread killed as it began a chunk leaves it claimed, unwritten
    expect "weft run: losses" "$(q "select count(*) from losses where what <> 'unwritten-chunk'")" 0
    rm -rf "$work/l" "$db"
    mkdir "$work/l"
    killed_run env LD_PRELOAD="$SHIM" WEFT_LOG="$work/l/log" "$T" busy "$work/ready" "$work/go"
    same "LD_PRELOAD" "$krc"
    "$WEFT" ingest -q -o "$db" "$work"/l/log* 2>"$work/i.err"
    expect "LD_PRELOAD: ingest" "$?" 0
    before_in_trace "LD_PRELOAD" busy
    expect "LD_PRELOAD: exit" "$(q "select exit_kind || ' ' || finished from processes")" "unknown 0"
    expect "LD_PRELOAD: losses" "$(q "select count(*) from losses where what <> 'unwritten-chunk'")" 0
    ;;
fault_kill_weft)
    # SIGKILL of weft run itself: the program goes on (as it would
    # without weft) to its normal end; its logs stay in weft's directory
    # under TMPDIR and ingest whole afterwards.
    mkfifo "$work/ready" "$work/go" "$work/outp"
    "$T" busy "$work/ready" "$work/go" >"$work/p.out" 2>"$work/p.err" &
    bg=$!
    read -r _ <"$work/ready"
    : >"$work/go"
    wait $bg
    prc=$?
    sed -i 's/^busy pid .*/busy pid N/' "$work/p.out"
    expect "plain" "$prc" 0
    mkdir "$work/tmp"
    # stdout through a fifo: cat ends when the program (its last writer) does
    cat "$work/outp" >"$work/out" &
    catpid=$!
    TMPDIR=$work/tmp "$WEFT" run -q -o "$db" -- "$T" busy "$work/ready" "$work/go" \
        >"$work/outp" 2>"$work/err" &
    wpid=$!
    read -r _ <"$work/ready"
    kill -KILL $wpid
    wait $wpid
    expect "weft run killed" "$?" 137
    : >"$work/go"
    wait $catpid
    sed -i 's/^busy pid .*/busy pid N/' "$work/out"
    cmp -s "$work/p.out" "$work/out" || fail "stdout differs: $(cat "$work/out")"
    cmp -s "$work/p.err" "$work/err" || fail "stderr differs: $(cat "$work/err")"
    [ -e "$db" ] && fail "a database from a killed weft run"
    set -- "$work"/tmp/weft-*/log*
    [ -f "$1" ] || { fail "no logs left: $(ls -R "$work/tmp")"; finish; }
    "$WEFT" ingest -q -o "$db" "$@" 2>"$work/i.err"
    expect "ingest" "$?" 0
    expect "ingest stderr" "$(cat "$work/i.err")" ""
    before_in_trace "ingest" busy
    no_losses "ingest"
    expect "exit" "$(q "select exit_kind || ' ' || exit_code || ' ' || finished from processes")" "return 0 1"
    expect "busy joined" "$(q "select count(*) from thread_summary where start = 'busy' and state = 'joined'")" 4
    ;;
fault_exec_all)
    # Every exec variant (execl, execle, execlp, execv, execve, execvp,
    # execvpe, fexecve) from a fork child, and posix_spawn(p): the same
    # output; with --trace-children every new image is traced.
    PATH=$BIN:$PATH
    export PATH
    plain exec
    expect "plain" "$prc" 0
    expect "plain: children" "$(grep -c ': 0$' "$work/p.out")" 10
    "$WEFT" run -q --trace-children -o "$db" -- "$T" exec >"$work/out" 2>"$work/err"
    same "--trace-children" "$?"
    before_in_trace "--trace-children"
    no_losses "--trace-children"
    expect "processes" "$(q "select count(*) from processes")" 11
    expect "new images' threads" "$(threads_of echo_fn)" 10
    expect "images that ran t_fault echo" \
        "$(q "select count(*) from processes where json_extract(argv, '\$[1]') = 'echo'")" 10
    expect "exec records" "$(q "select count(*) from event_log where kind = 'exec' and arg = 0")" 8
    expect "spawn records" "$(q "select count(*) from event_log where kind = 'spawn'")" 2
    run_weft "$T" exec
    same "untraced children" "$rc"
    before_in_trace "untraced children"
    expect "untraced: no new image traced" "$(threads_of echo_fn)" 0
    ;;
fault_fork_locks)
    # 40 forks while 4 threads are inside locks, thread creation and
    # malloc: every child runs to its end (a hang fails by the timeout)
    # and is traced.
    plain fork_locks
    expect "plain" "$prc" 0
    "$WEFT" run -q -o "$db" -- "$T" fork_locks >"$work/out" 2>"$work/err"
    same "weft run" "$?"
    before_in_trace "weft run"
    no_losses "weft run"
    expect "processes" "$(q "select count(*) from processes")" 41
    expect "children's threads" "$(threads_of forked_fn)" 40
    expect "children's exits" "$(q "select count(*) from processes where exit_kind = '_exit'")" 40
    ;;
fault_daemon2)
    # A double-forking daemon: the root and the middle process exit, the
    # grandchild (in a session of its own) writes its file and ends later.
    # Its fifo, held open until its end, tells when it is gone.
    mkfifo "$work/hold"
    cat "$work/hold" >/dev/null &
    cpid=$!
    plain daemon2 "$work/p.file" "$work/hold"
    wait $cpid
    expect "plain" "$prc" 0
    cat "$work/hold" >/dev/null &
    cpid=$!
    rm -rf "$work/l"
    mkdir "$work/l"
    LD_PRELOAD=$SHIM WEFT_LOG=$work/l/log "$T" daemon2 "$work/file" "$work/hold" >"$work/out" 2>"$work/err"
    lrc=$?
    wait $cpid
    same "LD_PRELOAD" "$lrc"
    cmp -s "$work/p.file" "$work/file" || fail "the daemon's file differs: $(cat "$work/file")"
    "$WEFT" ingest -q -o "$db" "$work"/l/log* 2>"$work/i.err" || fail "ingest: $(cat "$work/i.err")"
    no_losses "LD_PRELOAD"
    expect "processes" "$(q "select group_concat(exit_kind || ' ' || exit_code, ', ') from (select * from processes order by start_ns)")" \
        "return 0, _exit 0, exit 0"
    # the root's before work and the daemon's (it does it again)
    expect "before_fn threads" "$(threads_of before_fn)" 10
    ;;
fault_nofile)
    # Tiny RLIMIT_NOFILE: the program sees what it would see without weft
    # (the shim holds no fd once its log is mapped). Below 5 the dynamic
    # loader itself cannot open the shim: it says so in one line, and the
    # program runs as without weft.
    for n in 3 4 5 6 8; do
        sh -c "ulimit -n $n && exec '$T' nofile" >"$work/p.out" 2>"$work/p.err"
        prc=$?
        rm -rf "$work/l" "$db"
        mkdir "$work/l"
        sh -c "ulimit -n $n && LD_PRELOAD='$SHIM' WEFT_LOG='$work/l/log' exec '$T' nofile" \
            >"$work/out" 2>"$work/err"
        lrc=$?
        if [ "$n" -lt 5 ]; then
            expect "nofile $n: the loader's word" "$(grep -c 'cannot be preloaded' "$work/err")" 1
            sed -i '/cannot be preloaded/d' "$work/err"
        fi
        same "nofile $n" "$lrc"
        if [ -s "$work/l/log" ]; then
            "$WEFT" ingest -q -o "$db" "$work"/l/log* 2>"$work/i.err" || fail "ingest $n: $(cat "$work/i.err")"
            before_in_trace "nofile $n"
            # the fork child traced, or (no fd left for its log) said lost
            expect "nofile $n: processes and losses" \
                "$(q "select (select count(*) from processes) || ' ' || (select coalesce(group_concat(what), '-') from losses)")" \
                "$([ -e "$work/l/log.$(q "select arg from event_log where kind = 'fork'")" ] && echo "2 -" || echo "1 missing-log")"
        elif [ "$n" -ge 5 ]; then
            fail "nofile $n: no log"
        fi
    done
    ;;
fault_threads_10k)
    # 10,000 threads alive at once (behind a gate), all joined: all recorded,
    # nothing dropped, and unbounded-threads said (only on stderr).
    plain threads 10000
    expect "plain" "$prc" 0
    run_weft "$T" threads 10000
    same "10k" "$rc"
    before_in_trace "10k"
    no_losses "10k"
    expect "threads" "$(threads_of at_gate)" 10000
    expect "finding" "$(q "select kind from findings")" unbounded-threads
    ;;
fault_signal_handler)
    # A SIGUSR1 handler that calls interposed functions (a mutex, a pipe,
    # sem_post) runs 300 times while main creates and joins 300 threads:
    # the handler's calls are recorded where they interrupt the program,
    # never inside a record of the shim; nothing of main's is lost.
    plain handler 300
    expect "plain" "$prc" 0
    run_weft "$T" handler 300
    same "weft run" "$rc"
    before_in_trace "weft run"
    no_losses "weft run"
    expect "loop threads" "$(threads_of loop_fn)" 300
    expect "sender's waits" "$(q "select count(*) from event_log where kind = 'sem_wait_end'")" 300
    posts=$(q "select count(*) from event_log where kind = 'sem_post'")
    [ "$posts" -ge 1 ] && [ "$posts" -le 300 ] || fail "handler's sem_posts in the trace: $posts"
    ;;
join_handle_reused)
    # A join's end, or a detach, recorded after the thread's handle went
    # to a new thread (libjoinlate.so makes it happen on every join and
    # detach; its detach waits for the process to be down to one thread:
    # no shim thread): the join or detach is the thread's the program
    # named, never the new thread's.
    rm -rf "$work/l"
    mkdir "$work/l"
    timeout 60 env WEFT_SHIM_THREAD=0 LD_PRELOAD="$SHIM $BIN/libjoinlate.so" WEFT_LOG="$work/l/log" \
        "$BIN/t_joinlate" >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    expect "stdout" "$(cat "$work/out")" "joined 3
detached 3"
    "$WEFT" ingest -q -o "$db" "$work"/l/log* 2>"$work/i.err" || fail "ingest: $(cat "$work/i.err")"
    # the window was there: one handle for all twelve threads
    expect "handles reused" "$(q "select count(distinct handle) || ' ' || count(*) from threads where tid > 1")" "1 12"
    expect "workers joined" "$(q "select count(*) from thread_summary where start = 'worker' and state = 'joined'")" 3
    expect "detached" "$(q "select count(*) from thread_summary where start = 'detached' and state = 'detached'")" 3
    expect "the late threads, joined unrecorded" \
        "$(q "select count(*) from thread_summary where start = 'quick' and state = 'exited-unjoined'")" 6
    expect "findings" "$(q "select count(*) from findings where kind <> 'unjoined-thread'")" 0
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
