#!/bin/sh
# SPDX-License-Identifier: MIT
# chaos.sh: chaos runs (issue 13 item 2). t_chaos (threads, a libweft
# channel, a mutex, a WaitGroup, a pipe, two fork children; a fixed output
# and exit status) runs under the shim CHAOS_RUNS times (default 300), two
# at a time. Each run, by its seed: SIGKILLed (its whole process group) at
# a random moment; or run under the shim's fault injection (WEFT_CHAOS:
# failed log creation, header, mapping and chunk preparation, signals in
# the middle of records) without a kill; or both. Every run:
# - not killed: exactly the plain run's stdout, stderr and exit status;
# - its logs ingest with `weft ingest` under a timeout that kills it (a
#   hang or crash fails), or, when nothing of the root's log survived,
#   ingest refuses them in one line;
# - a loss is said (a "trace incomplete" warning) or there is none: then
#   a run not killed has the plain traced run's trace (per process: its
#   exit, threads, and the events that do not depend on the schedule);
#   a fork child that ended before a kill has its whole trace too.
# Prints a summary line; every failing run prints its seed, which replays
# it: CHAOS_SEED=S CHAOS_RUNS=1 sh chaos.sh chaos.
# Usage: chaos.sh chaos (CTest passes WEFT, SHIM, BIN).
set -u

# signature DB [WHERE]: per process (ordered by its exit), its exit, its
# threads and its schedule-independent events; of the processes WHERE
# says (a condition on processes p), or all.
signature() {
    sqlite3 "$1" "select exit_kind || ' ' || coalesce(exit_code, '-') || ' threads ' ||
        (select count(*) from threads t where t.pid = p.pid and internal = 0) || ' events ' ||
        (select count(*) from event_log e where e.pid = p.pid and kind in ('thread_create',
            'thread_start', 'thread_return', 'join_end', 'chan_make', 'chan_close', 'chan_free',
            'fork', 'fork_child', 'wg_add', 'wg_done', 'wg_wait_end', 'proc_start', '_exit',
            'main_return', 'proc_end'))
        from processes p where ${2:-1} order by exit_kind, exit_code"
}

# one_run I SEED: one run in $CHAOS_DIR/rI; prints its result line:
# "run I seed S killed K chaos C ingested G lost L" and a FAIL line each.
one_run() {
    i=$1
    s=$2
    d=$CHAOS_DIR/r$i
    mkdir "$d"
    mode=$((s % 4)) # 0, 1: killed; 2: chaos; 3: chaos and killed
    chaos=
    [ $mode -ge 2 ] && chaos="WEFT_CHAOS=$s:$(((s / 4) % 3 * 45 + 10))"
    kill=0
    [ $mode -ne 2 ] && kill=1
    # setsid execs in place (a background job is no group leader): $! is
    # the program, leader of a process group of its own
    setsid env LD_PRELOAD="$SHIM" WEFT_LOG="$d/log" $chaos "$BIN/t_chaos" >"$d/out" 2>"$d/err" &
    pid=$!
    if [ $kill = 1 ]; then
        # the moment: 0 to 59 ms (the traced run takes about 50 ms alone)
        sleep "$(printf '0.%03d' $(((s * 7919 / 4) % 60)))"
        kill -KILL "-$pid" 2>/dev/null
    fi
    wait $pid 2>/dev/null
    rc=$?
    killed=0
    [ $rc = 137 ] && killed=1
    f() { echo "FAIL run $i seed $s (killed $killed, ${chaos:-no chaos}): $*"; }
    if [ $killed = 0 ]; then
        [ $rc = "$CHAOS_PRC" ] || f "exit status $rc, plain $CHAOS_PRC"
        cmp -s "$d/out" "$CHAOS_DIR/plain.out" || f "stdout differs: $(head -c 300 "$d/out")"
        cmp -s "$d/err" "$CHAOS_DIR/plain.err" || f "stderr differs: $(head -c 300 "$d/err")"
    fi
    ingested=0
    lost=0
    set -- "$d"/log*
    if [ ! -e "$1" ]; then
        # no log at all: killed before the shim made it, or chaos failed it
        [ $killed = 1 ] || [ -n "$chaos" ] || f "no log"
        lost=1
    else
        # SIGKILL at the timeout: 137, never weft's own 124 ("no trace")
        timeout -s KILL 60 "$WEFT" ingest -q -o "$d/t.db" "$@" >"$d/iout" 2>"$d/ierr"
        irc=$?
        if [ $irc = 0 ]; then
            ingested=1
            if grep -q '^weft: warning: trace incomplete' "$d/ierr"; then
                lost=1
                [ $killed = 1 ] || [ -n "$chaos" ] || f "a loss without a fault: $(cat "$d/ierr")"
                # a loss said in the warning is in the trace too
                [ "$(sqlite3 "$d/t.db" "select count(*) from losses")" -gt 0 ] ||
                    f "warned of a loss the trace does not hold"
            elif [ -s "$d/ierr" ]; then
                f "ingest said: $(cat "$d/ierr")"
            elif [ $killed = 0 ]; then
                sig=$(signature "$d/t.db")
                [ "$sig" = "$CHAOS_SIG" ] || f "trace differs: $(echo "$sig" | tr '\n' '|')"
            fi
            # Whatever else was lost: a process that ran to its end and
            # counts no dropped events (none of its records failed for
            # want of room) has its whole trace; so has a fork child
            # that ended before a kill.
            if [ $killed = 1 ]; then
                signature "$d/t.db" "exit_kind = '_exit' and dropped_events = 0" >"$d/sig.whole"
            else
                signature "$d/t.db" "dropped_events = 0" >"$d/sig.whole"
            fi
            while read -r line; do
                echo "$CHAOS_SIG" | grep -qxF "$line" || f "a whole process's trace differs: $line"
            done <"$d/sig.whole"
        elif [ $irc = 124 ] && [ "$(wc -l <"$d/ierr")" = 1 ] && grep -q '^weft: ' "$d/ierr"; then
            # nothing to keep: the root's log never got its header
            [ $killed = 1 ] || [ -n "$chaos" ] || f "refused: $(cat "$d/ierr")"
            [ -s "$d/log" ] && f "refused a log with a header: $(cat "$d/ierr")"
            lost=1
        else
            f "ingest failed ($irc): $(head -c 500 "$d/ierr")"
        fi
    fi
    echo "run $i seed $s killed $killed chaos $([ -n "$chaos" ] && echo 1 || echo 0) ingested $ingested lost $lost"
    # the logs are sparse 4 GiB files: gone at once, whatever happened
    rm -rf "$d"
}

if [ "${1:-}" = --one ]; then
    one_run "$2" "$3"
    exit 0
fi

name=$1
. "$(dirname "$0")/../common/lib.sh"
need sqlite3 setsid timeout xargs
runs=${CHAOS_RUNS:-300}
seed0=${CHAOS_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
export CHAOS_DIR=$work WEFT SHIM BIN

# the plain run, and the traced run without faults
"$BIN/t_chaos" >"$work/plain.out" 2>"$work/plain.err"
CHAOS_PRC=$?
expect "plain status" "$CHAOS_PRC" 3
mkdir "$work/ref"
WEFT_LOG=$work/ref/log LD_PRELOAD=$SHIM "$BIN/t_chaos" >"$work/ref.out" 2>&1
expect "traced status" "$?" 3
"$WEFT" ingest -q -o "$work/ref.db" "$work"/ref/log* || fail "the reference does not ingest"
rm -rf "$work/ref"
CHAOS_SIG=$(signature "$work/ref.db")
expect "reference processes" "$(echo "$CHAOS_SIG" | wc -l)" 3
export CHAOS_PRC CHAOS_SIG

echo "chaos: $runs runs from seed $seed0 (replay one: CHAOS_SEED=S CHAOS_RUNS=1)"
i=0
while [ $i -lt "$runs" ]; do
    echo "$i $((seed0 + i))"
    i=$((i + 1))
done | xargs -P 2 -n 2 sh "$0" --one >"$work/results"
grep '^FAIL' "$work/results" | head -n 20 >&2
nfail=$(grep -c '^FAIL' "$work/results")
count() { grep -c "^run .* $1 1" "$work/results"; }
done=$(grep -c '^run ' "$work/results")
echo "chaos: runs $done, killed $(count killed), injected $(count chaos), ingested $(count ingested), lost-marked $(count lost), failures $nfail"
expect "runs done" "$done" "$runs"
[ "$nfail" = 0 ] || fail "$nfail failures (seeds above)"
finish
