#!/bin/sh
# SPDX-License-Identifier: MIT
# timer_test.sh: libweft's timer channels (weft_after, weft_timer_*,
# weft_ticker_*) under the recorder: a thread waiting on a timer is never
# taken for deadlocked (the timer thread is alive and running while a timer
# is pending), a stopped timer hides no real deadlock, the timer thread is
# libweft's own (created_by = libweft, internal) even when a timer is the
# program's first libweft call, and each timer channel is an object with
# its creator's stack. Programs: t_timer.c.
name=$1
. "$(dirname "$0")/../common/lib.sh"

# check_run MODE STDOUT: exit 0, that stdout, no deadlock, and the same
# stdout and status as without weft
check_run() {
    "$BIN/t_timer" "$1" >"$work/plain" 2>&1
    expect "$1: plain exit status" "$?" 0
    run_weft "$BIN/t_timer" "$1"
    expect "$1: exit status" "$rc" 0
    expect "$1: stdout" "$(cat "$work/out")" "$2"
    expect "$1: stdout as without weft" "$(cat "$work/out")" "$(cat "$work/plain")"
    expect "$1: no deadlock" "$(q "select count(*) from event_log where kind='deadlock'")" 0
    grep -q deadlock "$work/err" && fail "$1: stderr: $(cat "$work/err")"
    # the timer thread: libweft's own, not the program's
    expect "$1: timer thread" \
        "$(q "select count(*) from threads where created_by='libweft' and internal=1")" 1
    expect "$1: program threads" "$(q "select count(*) from threads where internal=0")" 1
}

case $name in
timer_no_deadlock)
    # the default watchdog (1000 ms) against 1.5 s and 1.2 s waits
    check_run after "after 0"
    rm -f "$db"
    check_run timer "timer case 1 stop 0"
    rm -f "$db"
    check_run ticker "ticks 1200"
    ;;
timer_deadlock_after_stop)
    # the stopped timer leaves nothing pending: the timer thread exits and
    # the wait on a channel nobody sends on is the deadlock it is
    run_weft "$BIN/t_timer" stopped
    expect "exit status" "$rc" 2
    expect "stdout" "$(cat "$work/out")" "stopped 1"
    expect "deadlock" "$(q "select count(*) from event_log where kind='deadlock'")" 1
    grep -q deadlock "$work/err" || fail "no deadlock line: $(cat "$work/err")"
    ;;
timer_objects)
    # each timer channel is a chan object, info after/timer/ticker, created
    # in main (t_timer.c), and destroyed by its free
    for mode in after timer ticker; do
        run_weft "$BIN/t_timer" $mode
        expect "$mode: exit status" "$rc" 0
        expect "$mode: object" "$(q "select count(*) from objects where kind='chan' and info='$mode'")" 1
        expect "$mode: creator" "$(q "select f.function || ' ' || (f.file like '%/t_timer.c')
            from objects o join frames f on f.stack = o.create_stack and f.depth = 0
            where o.info='$mode'")" "main 1"
        expect "$mode: freed" "$(q "select count(*) from objects where info='$mode' and destroyed_ns is not null")" 1
        rm -f "$db"
    done
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
