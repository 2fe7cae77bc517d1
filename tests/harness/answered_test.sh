#!/bin/sh
# SPDX-License-Identifier: MIT
# answered_test.sh: the two false positives of issue 10 item 8, checked
# through `weft run` on real programs: the thread that ends the process is
# no leak (and neither is main joining it), and a thread whose channel
# operation a partner already completed is finishing, not leaked; real
# leaks next to them are still found. Programs' stdout and exit status must
# be those of a run without weft. Usage: answered_test.sh NAME (CTest
# passes WEFT, SHIM, BIN).
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

scen=$BIN/../../scenarios

# same_as_plain PROG ARGS...: runs PROG without weft, then under weft, and
# checks stdout and status agree and the run gave no finding.
same_as_plain() {
    "$@" >"$work/plain" 2>/dev/null
    prc=$?
    run_weft "$@"
    expect "$1: exit status" "$rc" "$prc"
    expect "$1: stdout" "$(cat "$work/out")" "$(cat "$work/plain")"
    expect "$1: findings" "$(q "select group_concat(kind || ': ' || message) from findings")" ""
}

case $name in
exit_from_worker)
    same_as_plain "$BIN/t_exit3"
    expect "exit status" "$rc" 3
    expect "stdout" "$(cat "$work/out")" "main: start
worker: fatal"
    expect "process" "$(q "select exit_kind || ' ' || exit_code from processes")" "exit 3"
    expect "exit caller" "$(q "select t.start from events e join kinds k on k.id=e.kind join thread_summary t on t.id=e.thread where k.name='exit'")" worker
    expect "main in join" "$(q "select b.kind from blocked_at_exit b join threads t on t.id=b.thread where t.tid=1")" join_begin
    # The scenario: Go's log.Fatal in a goroutine, 10 runs (det_answered
    # "exit" runs 50 times in detectors:answered).
    i=0
    while [ $i -lt 10 ]; do
        same_as_plain "$scen/pattern_exit_from_worker"
        expect "scenario status" "$rc" 3
        i=$((i + 1))
    done
    ;;
exit_keeps_leaks)
    # A worker exits the process while another thread sleeps in pause()
    # for good: the exiting one is no leak, the sleeper still is.
    run_weft "$BIN/t_worker_exit"
    expect "exit status" "$rc" 4
    expect "findings" "$(q "select f.kind || ' ' || t.start from findings f join thread_summary t on t.id=f.thread")" "leaked-thread blocker"
    ;;
last_handoff)
    i=0
    while [ $i -lt 10 ]; do
        same_as_plain "$scen/pattern_last_handoff"
        i=$((i + 1))
    done
    expect "stdout" "$(cat "$work/out")" "sum 385
job 1 done
job 2 done
job 3 done"
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
