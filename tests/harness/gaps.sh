#!/bin/sh
# SPDX-License-Identifier: MIT
# gaps.sh: issue 10's two known gaps and its window, through `weft run` on
# programs of ours and Debian's. Usage: gaps.sh NAME (CTest passes WEFT,
# SHIM, BIN). Every case also checks the program's stdout and exit status
# against a run without weft.
#
# pipe_read:   a thread blocked for good in read() on a pipe is reported
#              "blocked in read on pipe fd N" at its read line (it was
#              "running", with its creation stack only); the same under
#              plain LD_PRELOAD (the log holds the read's begin, no end).
# pipe_recv:   the same in recv() on a socketpair.
# pipe_write:  the same in write() to a full pipe.
# pipe_join:   main joins a thread in a pipe read that another process
#              ends after the watchdog's timeout: no deadlock verdict (a
#              pipe read is never a wait the watchdog counts).
# stale_fds:   a pipe closed by close_range (libc's and the raw system
#              call) or closefrom, its number reused by a FIFO: reads of
#              it are not recorded (the FIFO is no channel of ours), the
#              thread blocked in it is reported running.
# nonblock:    reads and writes that would block on O_NONBLOCK fds and
#              with MSG_DONTWAIT fail with EAGAIN as without weft, and
#              are not recorded.
# files:       heavy reads of a regular file (ours, then Debian's xz
#              compressing and decompressing with two threads) and a
#              pipe whose data is always there: no fd_read/fd_write event.
# lock_sites:  lock-held-at-exit's `lock` stack is the call site of the
#              lock (pthread_mutex_lock, a trylock that took it, a cond
#              wait that relocked it) without WEFT_SYNC_STACKS; with it,
#              the full stack.
# wake_exit:   a thread woken by the exiting thread's last release (a
#              WaitGroup's Done, a cond signal and unlock) that had not
#              returned when the process ended is no leak; woken by an
#              earlier release, it still is.
# scenarios:   pthread_pipe_read_forever, pthread_mutex_at_exit and
#              pattern_wake_then_exit pass `weft scenarios run --repeat 20`.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

src=$(dirname "$0")
prog=$BIN/t_gaps
unset WEFT_SYNC_STACKS

# line MARK: the line of t_gaps.c that carries /* LINE:MARK */
line() { grep -n "LINE:$1 " "$src/t_gaps.c" | cut -d: -f1; }

# same_as_plain PROG ARGS...: runs PROG without weft ($work/plain, $prc),
# then under weft ($work/out, $rc), and compares.
same_as_plain() {
    "$@" >"$work/plain" 2>/dev/null
    prc=$?
    run_weft "$@"
    expect "$1 $2: exit status" "$rc" "$prc"
    cmp -s "$work/out" "$work/plain" ||
        fail "$1 $2: stdout differs: $(cat "$work/out") / plain: $(cat "$work/plain")"
}

# blocked_at CALL WHAT MARK: one finding, leaked-thread blocked in CALL on
# WHAT fd N, whose blocked stack starts at t_gaps.c:LINE:MARK.
blocked_at() {
    expect "$1: findings" "$(q "select group_concat(kind) from findings")" leaked-thread
    msg=$(q "select message from findings")
    case $msg in
    *"blocked in $1 on $2 fd "[0-9]*) ;;
    *) fail "$1: message: $msg" ;;
    esac
    expect "$1: blocked frame" \
        "$(q "select f.function || ' ' || replace(f.file, rtrim(f.file, replace(f.file, '/', '')), '') || ':' || f.line
              from findings x join frames f on f.stack = json_extract(x.stacks, '\$.blocked') and f.depth = 0")" \
        "$3 t_gaps.c:$(line "$4")"
    expect "$1: deadlock events" "$(q "select count(*) from event_log where kind='deadlock'")" 0
}

case $name in
pipe_read)
    same_as_plain "$prog" read
    expect "stdout" "$(cat "$work/out")" "hello
main: done"
    blocked_at read pipe reader read
    # the begin of the read that never ended is the last fd record of the reader
    expect "last reader record" \
        "$(q "select k.name from events e join kinds k on k.id=e.kind join threads t on t.id=e.thread where t.tid=2 and k.family='fd' order by e.id desc limit 1")" \
        fd_read_begin
    # plain LD_PRELOAD: the shim alone
    rm -f "$work/p.log" "$db"
    (cd "$work" && LD_PRELOAD=$SHIM WEFT_LOG=$work/p.log "$prog" read >"$work/pout" 2>"$work/perr")
    expect "preload status" "$?" "$prc"
    cmp -s "$work/pout" "$work/plain" || fail "preload stdout: $(cat "$work/pout")"
    "$WEFT" ingest -q "$work/p.log" -o "$db" || fail "ingest of the plain log"
    blocked_at read pipe reader read
    ;;
pipe_recv)
    same_as_plain "$prog" recv
    expect "stdout" "$(cat "$work/out")" "hello
main: done"
    blocked_at recv socketpair receiver recv
    ;;
pipe_write)
    same_as_plain "$prog" write
    expect "stdout" "$(cat "$work/out")" "main: done"
    blocked_at write pipe writer write
    expect "write size" "$(q "select arg from event_log where kind='fd_write_begin'")" 4096
    ;;
pipe_join)
    "$prog" join >"$work/plain" 2>/dev/null
    prc=$?
    "$WEFT" run -q --deadlock-timeout=100 -o "$db" -- "$prog" join >"$work/out" 2>"$work/err"
    rc=$?
    expect "exit status" "$rc" "$prc"
    expect "exit status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "late
main: joined"
    expect "deadlock events" "$(q "select count(*) from event_log where kind='deadlock'")" 0
    # the first read waits for the child's line; the second (EOF) waits
    # for the child's exit only when it comes first
    expect "the read waited" "$(q "select count(*) >= 1 from event_log where kind='fd_read_begin'")" 1
    expect "every wait ended" "$(q "select count(*) from event_log where kind='fd_read_begin'")" \
        "$(q "select count(*) from event_log where kind='fd_read_end'")"
    expect "findings" "$(q "select count(*) from findings")" 0
    ;;
stale_fds)
    for how in range raw from; do
        rm -f "$work/fifo"
        "$prog" stale_$how "$work/fifo" >"$work/plain" 2>/dev/null
        prc=$?
        rm -f "$work/fifo"
        run_weft "$prog" stale_$how "$work/fifo"
        expect "$how: exit status" "$rc" "$prc"
        expect "$how: exit status" "$rc" 0
        expect "$how: stdout" "$(cat "$work/out")" "hello
main: done"
        expect "$how: fd waits" "$(q "select count(*) from event_log where kind like 'fd_read%'")" 0
        case $(q "select kind || ': ' || message from findings") in
        "leaked-thread: "*"still running when the process exits") ;;
        *) fail "$how: findings: $(q "select kind || ': ' || message from findings")" ;;
        esac
    done
    ;;
nonblock)
    same_as_plain "$prog" nonblock
    expect "stdout" "$(cat "$work/out")" "read empty pipe: -1 Resource temporarily unavailable
filled 65536
write full pipe: -1 Resource temporarily unavailable
recv dontwait: -1 Resource temporarily unavailable
send: 1 
recv ready: 1 
read after the writer closed: 0 "
    expect "fd waits" "$(q "select count(*) from event_log where kind like 'fd_read%' or kind like 'fd_write_%'")" 0
    ;;
files)
    need xz cmp
    same_as_plain "$prog" files "$work/data"
    expect "fd waits (ours)" "$(q "select count(*) from event_log where kind like 'fd_read%' or kind like 'fd_write_%'")" 0
    # Debian's xz, two threads: compress and decompress 8 MiB of a file.
    head -c 8388608 "$WEFT" >"$work/in" 2>/dev/null
    while [ "$(wc -c <"$work/in")" -lt 8388608 ]; do cat "$WEFT" >>"$work/in"; done
    xz -T2 -k -c "$work/in" >"$work/plain.xz"
    prc=$?
    "$WEFT" run -q -o "$db" -- xz -T2 -k -c "$work/in" >"$work/weft.xz" 2>"$work/err"
    rc=$?
    expect "xz status" "$rc" "$prc"
    cmp -s "$work/weft.xz" "$work/plain.xz" || fail "xz output differs"
    expect "xz threads" "$(q "select count(*) > 1 from threads")" 1
    expect "fd waits (xz)" "$(q "select count(*) from event_log where kind like 'fd_read%' or kind like 'fd_write_%'")" 0
    "$WEFT" run -q -o "$db" -- xz -T2 -d -c "$work/weft.xz" >"$work/back" 2>"$work/err"
    expect "unxz status" "$?" 0
    cmp -s "$work/back" "$work/in" || fail "xz -d output differs"
    expect "fd waits (unxz)" "$(q "select count(*) from event_log where kind like 'fd_read%' or kind like 'fd_write_%'")" 0
    ;;
lock_sites)
    same_as_plain "$prog" locks
    expect "stdout" "$(cat "$work/out")" "held: 16 16 16 16"
    expect "lock sites" \
        "$(q "select group_concat(l, ' ') from (select f.function || ':' || f.line as l
              from findings x join frames f on f.stack = json_extract(x.stacks, '\$.lock') and f.depth = 0
              where x.kind = 'lock-held-at-exit' order by f.line)")" \
        "locker:$(line lock) trylocker:$(line trylock) looper:$(line looplock) cond_waiter:$(line condwait)"
    # the looper's three locks at one line: the shim wrote the site's stack
    # once, ingest gave it to all three (a row each with --all-events; by
    # default the two taken again after the looper's own unlock are counted)
    "$WEFT" run -q --all-events -o "$work/all.db" -- "$prog" locks >/dev/null 2>&1
    expect "looper's locks" \
        "$(sqlite3 "$work/all.db" "select count(*) || ' ' || count(distinct e.stack) from events e
              join kinds k on k.id=e.kind join thread_summary t on t.id=e.thread
              where t.start='looper' and k.name='mutex_lock_end'")" \
        "3 1"
    expect "looper's locks (counted)" \
        "$(q "select count(*) || ' ' || (select sum(c.count) from event_counts c join thread_summary t
              on t.id = c.thread where t.start = 'looper' and c.kind = 'mutex_lock_end')
              from events e join kinds k on k.id=e.kind join thread_summary t on t.id=e.thread
              where t.start='looper' and k.name='mutex_lock_end'")" \
        "1 2"
    # a lock that did not wait: its call site alone (no unwind); the cond
    # wait's relock: the wait's own stack, taken as it blocked
    expect "frames" \
        "$(q "select group_concat(fn || '=' || n, ' ') from (select f0.function as fn, count(*) as n
              from findings x join frames f0 on f0.stack = json_extract(x.stacks, '\$.lock') and f0.depth = 0
              join frames f on f.stack = f0.stack where x.kind = 'lock-held-at-exit'
              group by x.id order by f0.line)")" \
        "locker=1 trylocker=1 looper=1 cond_waiter=3"
    WEFT_SYNC_STACKS=1 "$WEFT" run -q -o "$db" -- "$prog" locks >"$work/out" 2>"$work/err"
    expect "sync stacks: status" "$?" 0
    expect "sync stacks: lock sites" \
        "$(q "select group_concat(l, ' ') from (select f.function || ':' || f.line as l
              from findings x join frames f on f.stack = json_extract(x.stacks, '\$.lock') and f.depth = 0
              where x.kind = 'lock-held-at-exit' order by f.line)")" \
        "locker:$(line lock) trylocker:$(line trylock) looper:$(line looplock) cond_waiter:$(line condwait)"
    expect "sync stacks: full" \
        "$(q "select min(n) > 1 from (select count(*) as n from findings x join frames f on f.stack = json_extract(x.stacks, '\$.lock') where x.kind = 'lock-held-at-exit' group by x.id)")" 1
    ;;
wake_exit)
    i=0
    while [ $i -lt 10 ]; do
        same_as_plain "$BIN/t_gaps_wg" wg
        expect "wg: findings" "$(q "select group_concat(kind || ': ' || message) from findings")" ""
        i=$((i + 1))
    done
    for m in wg_pause cond_pause; do
        same_as_plain "$BIN/t_gaps_wg" $m
        expect "$m: findings" "$(q "select group_concat(kind || ': ' || message) from findings")" ""
        expect "$m: the waiter ran on" "$(q "select count(*) from threads where tid=2 and exit_kind is null")" 1
    done
    same_as_plain "$BIN/t_gaps_wg" late
    expect "late: findings" "$(q "select group_concat(kind) from findings")" leaked-thread
    case $(q "select message from findings") in
    *"still running when the process exits") ;;
    *) fail "late: message: $(q "select message from findings")" ;;
    esac
    ;;
scenarios)
    "$WEFT" scenarios run pthread_pipe_read_forever pthread_mutex_at_exit pattern_wake_then_exit \
        --repeat 20 -j 2 >"$work/out" 2>"$work/err"
    expect "scenarios status" "$?" 0
    grep -q '^3 scenarios, 3 passed, 0 failed (20 runs each)' "$work/out" || fail "summary: $(tail -3 "$work/out")"
    ;;
*)
    fail "unknown case $name"
    ;;
esac
finish
