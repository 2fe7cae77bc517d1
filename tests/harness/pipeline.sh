#!/bin/sh
# SPDX-License-Identifier: MIT
# pipeline.sh: the trace pipeline of issue 12 seen from the database:
# which events become rows and which are counted.
name=$1
. "$(dirname "$0")/../common/lib.sh"

case $name in
relock_counted)
    # A mutex taken again by the thread that released it last, without
    # waiting, is counted with its unlock; the rows left are those that
    # carry an edge: the worker's first lock, its last unlock (main takes
    # m next), main's lock and unlock.
    run_weft "$BIN/t_relock" 1000
    expect "status" "$rc" 0
    expect "output" "$(cat "$work/out")" 1031
    m=$(q "SELECT object FROM events WHERE kind = 61 ORDER BY id LIMIT 1")
    expect "m's lock rows" "$(q "SELECT count(*) FROM events WHERE kind = 61 AND object = $m")" 2
    expect "m's unlock rows" "$(q "SELECT count(*) FROM events WHERE kind = 63 AND object = $m")" 2
    expect "m's counted locks" \
        "$(q "SELECT sum(count) FROM event_counts WHERE kind = 'mutex_lock_end' AND object = $m")" 999
    expect "m's counted trylocks" \
        "$(q "SELECT sum(count) FROM event_counts WHERE kind = 'mutex_trylock' AND object = $m")" 10
    expect "m's counted unlocks" \
        "$(q "SELECT sum(count) FROM event_counts WHERE kind = 'mutex_unlock' AND object = $m")" 1009
    # h changes hands between each of the 20 turns: each of those 19
    # acquisitions by the thread that did not release h last is a row,
    # a lock of h or the end of a wait on cv (whose row names cv, and h
    # in arg2); a thread taking h again after its own unlock is counted.
    hh=$(q "SELECT o.id FROM objects o WHERE o.kind = 'mutex' AND o.address =
        (SELECT arg FROM events WHERE kind = 72 LIMIT 1)")
    [ -n "$hh" ] || fail "h: no cond_wait_begin names a mutex"
    hl=$(q "SELECT (SELECT count(*) FROM events WHERE kind = 61 AND object = $hh) +
        (SELECT count(*) FROM events WHERE kind = 73)")
    [ "$hl" -ge 19 ] || fail "h: $hl acquisitions as rows, want at least 19 (every handoff)"
    # every event is one row or one count, and the ids are all there
    total=$(q "SELECT (SELECT count(*) FROM events) + (SELECT coalesce(sum(count), 0) FROM event_counts)")
    expect "rows + counts = events" "$total" "$(q "SELECT events FROM processes")"
    # --all-events: a row each
    "$WEFT" run -q -o "$work/all.db" --all-events -- "$BIN/t_relock" 1000 >/dev/null 2>&1
    expect "all rows: m's locks" \
        "$(sqlite3 "$work/all.db" "SELECT count(*) FROM events e JOIN objects o ON o.id = e.object WHERE e.kind IN (61, 62) AND e.arg = 0 AND o.kind = 'mutex' AND o.id = (SELECT object FROM events WHERE kind = 61 ORDER BY id LIMIT 1)")" 1011
    # the findings are the same either way
    expect "findings" "$(q "SELECT count(*) FROM findings")" \
        "$(sqlite3 "$work/all.db" "SELECT count(*) FROM findings")"
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
