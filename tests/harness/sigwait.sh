#!/bin/sh
# SPDX-License-Identifier: MIT
# sigwait.sh: a thread blocked for good in sem_wait whose signal handler
# takes a mutex (t_sigwait.c) is still reported blocked in sem_wait at
# its line. Usage: sigwait.sh NAME (CTest passes WEFT, SHIM, BIN). Every
# case also checks the program's stdout and exit status against a run
# without weft.
#
# sigwait_none:  no signal: "blocked in sem_wait on sem" at the wait.
# sigwait_lock:  the handler locks a free mutex and unlocks it, six times:
#                the locks are ends without a begin of their own (and
#                folded relocks), which end no call: the same report (it
#                was "still running", with the creation stack only), and
#                the same with the relocks not folded
#                (WEFT_INGEST_RELOCKS=0).
# sigwait_wait:  the handler's lock waits: its begin and end pair with
#                each other (the end's begin_ts is its own begin's), and
#                the thread is back in sem_wait after them.
# sigwait_stuck: the handler waits for good: the thread is reported
#                blocked in mutex_lock at the handler's lock line.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

src=$(dirname "$0")
prog=$BIN/t_sigwait

# line MARK: the line of t_sigwait.c that carries /* LINE:MARK */
line() { grep -n "LINE:$1 " "$src/t_sigwait.c" | cut -d: -f1; }

# same_as_plain MODE: runs t_sigwait MODE without weft, then under weft
# (the logs kept in $work/logs), and compares.
same_as_plain() {
    "$prog" "$1" >"$work/plain" 2>/dev/null
    prc=$?
    "$WEFT" run -q -o "$db" --keep-log="$work/logs" -- "$prog" "$1" >"$work/out" 2>"$work/err"
    rc=$?
    expect "$1: exit status" "$rc" "$prc"
    expect "$1: stdout" "$(cat "$work/out")" "$(cat "$work/plain")"
}

# blocked_at CALL WHAT FUNCTION MARK: the waiter's one leaked-thread
# finding says blocked in CALL on WHAT, its blocked stack starts in
# FUNCTION at t_sigwait.c:LINE:MARK, and blocked_at_exit agrees.
blocked_at() {
    expect "$1: leaks" "$(q "select count(*) from findings where kind = 'leaked-thread'")" 1
    msg=$(q "select message from findings where kind = 'leaked-thread'")
    case $msg in
    *"is still alive when the process exits, blocked in $1 on $2 0x"*) ;;
    *) fail "$1: message: $msg" ;;
    esac
    expect "$1: blocked frame" \
        "$(q "select f.function || ' ' || replace(f.file, rtrim(f.file, replace(f.file, '/', '')), '') || ':' || f.line
              from findings x join frames f on f.stack = json_extract(x.stacks, '\$.blocked') and f.depth = 0
              where x.kind = 'leaked-thread'")" \
        "$3 t_sigwait.c:$(line "$4")"
    expect "$1: blocked_at_exit" "$(q "select b.kind from blocked_at_exit b join threads t on t.id = b.thread where t.tid = 2")" \
        "$1_begin"
}

case $name in
sigwait_none)
    same_as_plain none
    expect "stdout" "$(cat "$work/out")" "handled 0"
    blocked_at sem_wait sem waiter wait
    ;;
sigwait_lock)
    same_as_plain lock
    expect "stdout" "$(cat "$work/out")" "handled 6"
    blocked_at sem_wait sem waiter wait
    # the lone ends in the rows: no begin_ts (the sem_wait's was given them)
    expect "lock rows' begin_ts" "$(q "select count(*) from events e join kinds k on k.id = e.kind
                                      where k.name = 'mutex_lock_end' and e.begin_ts is not null")" 0
    # the same from the logs without folding, and the folds happened
    WEFT_INGEST_PROFILE=1 "$WEFT" ingest -q -o "$work/fold.db" "$work"/logs/* >/dev/null 2>"$work/fold.err"
    pairs=$(sed -n 's/^weft ingest: relocks *\([0-9]*\) pairs.*/\1/p' "$work/fold.err")
    [ "${pairs:-0}" -gt 0 ] || fail "no relock pair folded: $(cat "$work/fold.err")"
    db=$work/fold.db
    blocked_at sem_wait sem waiter wait
    WEFT_INGEST_RELOCKS=0 "$WEFT" ingest -q -o "$work/plain.db" "$work"/logs/* >/dev/null 2>&1
    db=$work/plain.db
    blocked_at sem_wait sem waiter wait
    ;;
sigwait_wait)
    same_as_plain wait
    expect "stdout" "$(cat "$work/out")" "handled 1"
    expect "handler's lock waited" \
        "$(q "select count(*) from events e join kinds k on k.id = e.kind
              where k.name = 'mutex_lock_begin' and e.stack is not null")" 1
    expect "its end's begin_ts" \
        "$(q "select count(*) from events b join kinds kb on kb.id = b.kind, events e join kinds ke on ke.id = e.kind
              where kb.name = 'mutex_lock_begin' and ke.name = 'mutex_lock_end' and e.arg2 = 1
              and e.begin_ts = b.ts")" 1
    blocked_at sem_wait sem waiter wait
    ;;
sigwait_stuck)
    same_as_plain stuck
    expect "stdout" "$(cat "$work/out")" "handled 0"
    blocked_at mutex_lock mutex on_usr1 handler
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
