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
# (weft's own lines on stderr, its findings, set aside)
same() {
    expect "$1: exit status" "$2" "$prc"
    cmp -s "$work/p.out" "$work/out" || fail "$1: stdout differs: $(head -c 300 "$work/out")"
    grep -v '^==weft==' "$work/err" >"$work/err.prog"
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
join_handle_reused)
    # A join's end recorded after the joined thread's handle went to a new
    # thread (libjoinlate.so makes it happen on every join): the join is
    # the joined thread's, as its begin said; never the new thread's.
    rm -rf "$work/l"
    mkdir "$work/l"
    LD_PRELOAD="$SHIM $BIN/libjoinlate.so" WEFT_LOG=$work/l/log "$BIN/t_joinlate" >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    expect "stdout" "$(cat "$work/out")" "joined 3"
    "$WEFT" ingest -q -o "$db" "$work"/l/log* 2>"$work/i.err" || fail "ingest: $(cat "$work/i.err")"
    # the window was there: one handle for all six threads
    expect "handles reused" "$(q "select count(distinct handle) || ' ' || count(*) from threads where tid > 1")" "1 6"
    expect "workers joined" "$(q "select count(*) from thread_summary where start = 'worker' and state = 'joined'")" 3
    expect "the late threads, joined unrecorded" \
        "$(q "select count(*) from thread_summary where start = 'quick' and state = 'exited-unjoined'")" 3
    expect "findings" "$(q "select count(*) from findings where kind <> 'unjoined-thread'")" 0
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
