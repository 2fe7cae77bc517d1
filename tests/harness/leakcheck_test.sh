#!/bin/sh
# SPDX-License-Identifier: MIT
# leakcheck_test.sh: weft looking inside a running program (cli/livecheck.c,
# harness/shim/livestate.c) and the last state of a killed one
# (reports/states.c). t_leakcheck has a thread blocked on a channel and
# one on a mutex until a line comes on its stdin (a FIFO held open here);
# weft's stderr is polled with a deadline, never slept on. Usage:
# leakcheck_test.sh NAME, with WEFT and BIN in the environment.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

prog=$BIN/t_leakcheck
fifo=$work/in
mkfifo "$fifo"

# start ARGS...: weft run ARGS -- t_leakcheck in the background, its stdin
# the FIFO (fd 3 keeps it open); sets wpid; waits for "ready PID" (ppid).
start() {
    exec 3<>"$fifo"
    "$WEFT" run -o "$db" "$@" -- "$prog" <"$fifo" >"$work/out" 2>"$work/err" &
    wpid=$!
    wait_for "$work/out" '^ready ' 1 || fail "the program never got ready"
    ppid=$(awk '/^ready /{print $2}' "$work/out")
}
# wait_for FILE PATTERN N: until FILE has N lines matching PATTERN (60 s
# at most: a deadline, not a synchronization), or weft ($wpid) is gone
wait_for() {
    i=0
    # (the file may not exist yet: the background job makes it)
    while n=$(grep -c "$2" "$1" 2>/dev/null); [ "${n:-0}" -lt "$3" ]; do
        i=$((i + 1))
        [ $i -le 600 ] || return 1
        # weft gone (refused an option, died of a signal): it never comes
        kill -0 "$wpid" 2>/dev/null || { n=$(grep -c "$2" "$1"); [ "${n:-0}" -ge "$3" ]; return; }
        sleep 0.1
    done
}
# the lines of weft's stderr with addresses, times and directories taken out
norm() {
    sed -e 's/0x[0-9a-f]*/ADDR/g' -e 's/[0-9][0-9]*\.[0-9]* s/T s/g' \
        -e 's/process [0-9]*/process PID/' -e 's# /[^ ]*/\([^/ ]*:[0-9]*\)$# \1#' "$@"
}
# the creation stack of t_leakcheck's threads, as printed (its first two
# frames: the rest is libc's start)
created() {
    printf '%s\n' "==weft==     #0 spawn t_leakcheck.c:36" "==weft==     #1 main t_leakcheck.c:$1"
}

case $name in
leak_check)
    # Both waits are reported once each (not at every interval), with
    # their names, waits and creation frames; the trace keeps them.
    start --leak-check=200ms
    wait_for "$work/err" '^==weft== leak check: ' 2 || fail "no leak check lines: $(cat "$work/err")"
    norm "$work/err" | grep -A2 '"chan-waiter"' >"$work/chan"
    norm "$work/err" | grep -A2 '"mutex-waiter"' >"$work/mutex"
    {
        echo '==weft== leak check: thread 2 "chan-waiter" of process PID blocked for T s in chan receive on ADDR, created at:'
        created 51
    } >"$work/want"
    cmp -s "$work/chan" "$work/want" || fail "chan-waiter: $(diff "$work/want" "$work/chan")"
    {
        echo '==weft== leak check: thread 3 "mutex-waiter" of process PID blocked for T s in mutex lock on ADDR, created at:'
        created 52
    } >"$work/want"
    cmp -s "$work/mutex" "$work/want" || fail "mutex-waiter: $(diff "$work/want" "$work/mutex")"
    # five more intervals at least: still one line per wait (a pass on a
    # loaded machine may come later; never a false failure)
    sleep 1
    echo end >&3
    wait $wpid
    rc=$?
    expect "exit status" "$rc" 0
    expect "leak check lines" "$(grep -c '^==weft== leak check: ' "$work/err")" 2
    expect "main not reported" "$(grep -c 'leak check: thread 1 ' "$work/err")" 0
    expect "output" "$(tr '\n' ' ' <"$work/out")" "usr1 default ready $ppid usr1 default done "
    expect "recorded" "$(q "select tid, kind from leak_checks order by tid" | tr '\n' ' ')" \
        "2|chan_recv_begin 3|mutex_lock_begin "
    expect "thread rows" "$(q "select count(*) from leak_checks l join threads t on t.id = l.thread and t.name in ('chan-waiter', 'mutex-waiter')")" 2
    "$WEFT" report "$db" >"$work/report" 2>&1
    expect "weft report shows them" "$(grep -c '^==weft== leak check during the run: ' "$work/report")" 2
    ;;
leak_check_children)
    # --trace-children: each traced process's waits, each reported once
    # with its process (two t_leakcheck under a traced sh).
    mkfifo "$work/in2"
    exec 4<>"$work/in2"
    exec 3<>"$fifo"
    "$WEFT" run -o "$db" --trace-children --leak-check=200ms -- \
        sh -c "\"$prog\" <\"$work/in2\" >\"$work/out2\" & \"$prog\"; wait" \
        <"$fifo" >"$work/out" 2>"$work/err" &
    wpid=$!
    wait_for "$work/err" '^==weft== leak check: ' 4 || fail "not 4 leak check lines: $(cat "$work/err")"
    p1=$(awk '/^ready /{print $2}' "$work/out")
    p2=$(awk '/^ready /{print $2}' "$work/out2")
    for p in "$p1" "$p2"; do
        expect "process $p's lines" "$(grep -c "^==weft== leak check: thread [23] \"[a-z]*-waiter\" of process $p blocked" "$work/err")" 2
    done
    sleep 1
    echo end >&3
    echo end >&4
    wait $wpid
    expect "exit status" "$?" 0
    expect "leak check lines" "$(grep -c '^==weft== leak check: ' "$work/err")" 4
    expect "recorded" "$(q "select count(distinct pid), count(*) from leak_checks")" "2|4"
    ppid=
    ;;
dump)
    # SIGUSR1 to weft: every thread's state now, the program unaware (its
    # output, status and SIGUSR1 disposition as without weft's signal).
    start --keep-log="$work/logs"
    expect "a state file while it runs" "$(ls "$work/logs" | grep -c '^state\.')" 1
    kill -USR1 $wpid
    wait_for "$work/err" '^==weft==   thread ' 3 || fail "no dump: $(cat "$work/err")"
    norm "$work/err" | grep '^==weft== \(state now\|process\|  thread\)' >"$work/got"
    {
        echo '==weft== state now (SIGUSR1 to weft): 1 process'
        echo "==weft== process PID $prog: 3 threads"
        echo '==weft==   thread 1 "t_leakcheck" [running]'
        echo '==weft==   thread 2 "chan-waiter" [chan receive on ADDR, T s], created at:'
        echo '==weft==   thread 3 "mutex-waiter" [mutex lock on ADDR, T s], created at:'
    } >"$work/want"
    cmp -s "$work/got" "$work/want" || fail "dump: $(diff "$work/want" "$work/got")"
    expect "chan-waiter's creation" "$(norm "$work/err" | grep -A2 '"chan-waiter"' | tail -2)" "$(created 51)"
    expect "mutex-waiter's creation" "$(norm "$work/err" | grep -A2 '"mutex-waiter"' | tail -2)" "$(created 52)"
    kill -USR1 $wpid
    wait_for "$work/err" '^==weft== state now' 2 || fail "no second dump"
    echo end >&3
    wait $wpid
    rc=$?
    expect "exit status" "$rc" 0
    expect "output" "$(tr '\n' ' ' <"$work/out")" "usr1 default ready $ppid usr1 default done "
    expect "no leak check without the option" "$(grep -c 'leak check' "$work/err")" 0
    expect "no state file left" "$(ls "$work/logs" | grep -c '^state\.')" 0
    ;;
dump_churn)
    # Dumps of threads that start and end waits all the time: each wait's
    # kind comes with its own object (a torn copy of a slot, one wait's
    # kind and another's object, is never printed: the sequence word).
    prog=$BIN/t_livechurn
    start
    mu=$(awk '/^objs /{print $2}' "$work/out")
    chan=$(awk '/^objs /{print $3}' "$work/out")
    for i in $(seq 1 20); do
        kill -USR1 $wpid
        wait_for "$work/err" '^==weft== state now' "$i" || { fail "dump $i never came"; break; }
    done
    echo end >&3
    wait $wpid
    expect "exit status" "$?" 0
    grep '^==weft==   thread [0-9]* "worker" \[' "$work/err" | sed 's/.*"worker" \[//; s/, [0-9.]* s\].*//; s/\].*//' |
        sort | uniq -c >"$work/waits"
    while read -r n what; do
        case $what in
        running | "mutex lock on $mu" | "chan send on $chan" | "chan receive on $chan") ;;
        *) fail "$n dumped waits '$what' (mutex $mu, channel $chan)" ;;
        esac
    done <"$work/waits"
    grep -q ' on ' "$work/waits" || fail "no wait seen in 20 dumps: $(cat "$work/waits")"
    [ -n "${VERBOSE:-}" ] && cat "$work/waits"
    ;;
death_kill | death_term)
    # Killed by a driver (a CI timeout): the report has where each thread
    # was, marked as the state at death, in text at exit and in JSON.
    sig=KILL
    [ "$name" = death_term ] && sig=TERM
    start
    kill -$sig "$ppid"
    wait $wpid
    rc=$?
    [ "$sig" = KILL ] && want_rc=137 || want_rc=143
    expect "exit status" "$rc" "$want_rc"
    norm "$work/err" | grep '^==weft== \(state at death\|  thread\)' | sed 's/since +T s/since +T/' >"$work/got"
    {
        echo "==weft== state at death: process PID $prog, killed by SIG$sig; its threads at its last record (+T s):"
        echo '==weft==   thread 1 "main" [running]'
        echo '==weft==   thread 2 "chan-waiter" [chan receive on ADDR, since +T], created at:'
        echo '==weft==   thread 3 "mutex-waiter" [mutex lock on ADDR, since +T], created at:'
    } >"$work/want"
    cmp -s "$work/got" "$work/want" || fail "text: $(diff "$work/want" "$work/got")"
    expect "creation" "$(norm "$work/err" | grep -A2 '"chan-waiter"' | tail -2)" "$(created 51)"
    "$WEFT" report --format=json "$db" >"$work/json" || fail "weft report --format=json"
    /usr/bin/python3 - "$work/json" "$sig" >"$work/jgot" <<'PY' || fail "json: $(cat "$work/jgot")"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["state_at_death"]
assert len(s) == 1, s
p = s[0]
assert p["cause"] == "killed by SIG" + sys.argv[2], p["cause"]
got = [(t["tid"], t["name"], t["state"], t.get("wait"),
        [(f["function"], f["file"].rsplit("/", 1)[-1], f["line"]) for f in t["creation"][:2]])
       for t in p["threads"]]
want = [(1, "main", "running", None, []),
        (2, "chan-waiter", "blocked", "chan_recv_begin",
         [("spawn", "t_leakcheck.c", 36), ("main", "t_leakcheck.c", 51)]),
        (3, "mutex-waiter", "blocked", "mutex_lock_begin",
         [("spawn", "t_leakcheck.c", 36), ("main", "t_leakcheck.c", 52)])]
assert got == want, got
assert d["leak_checks"] == [], d["leak_checks"]
PY
    # the leak detectors judge no killed program: no finding of its threads
    expect "findings" "$(q "select count(*) from findings")" 0
    ;;
*)
    fail "unknown case"
    ;;
esac
# a program whose weft died (a failure above) is not left waiting
[ -n "${ppid:-}" ] && kill -KILL "$ppid" 2>/dev/null
finish
