#!/bin/sh
# SPDX-License-Identifier: MIT
# pitfalls.sh: what the pitfall scenarios (scenarios/pitfalls/, issue 10)
# revealed in the shim, each checked on a small program of ours.
name=$1
. "$(dirname "$0")/../common/lib.sh"

case $name in
go_creation_site)
    # A thread made by weft_go, weft_group_go or weft_future_start is
    # created inside libweft; its creation stack must still start at the
    # user's call (the scenarios' loop-variable-capture and unbounded-
    # threads findings point at it), not in libweft's spawn path.
    "$BIN/t_go_site" >"$work/plain" 2>&1
    prc=$?
    run_weft "$BIN/t_go_site"
    expect "exit status" "$rc" "$prc"
    expect "stdout" "$(cat "$work/out")" "$(cat "$work/plain")"
    expect "threads made by libweft's calls" \
        "$(q "SELECT count(*) FROM threads WHERE create_stack IS NOT NULL AND adopted = 0")" 3
    expect "first creation frames outside t_go_site.c" \
        "$(q "SELECT count(*) FROM threads t JOIN frames f ON f.stack = t.create_stack AND f.depth = 0
              WHERE t.adopted = 0 AND (f.function <> 'main' OR f.file NOT LIKE '%t_go_site.c')")" 0
    expect "first creation frames in main" \
        "$(q "SELECT count(*) FROM threads t JOIN frames f ON f.stack = t.create_stack AND f.depth = 0
              WHERE t.adopted = 0 AND f.function = 'main'")" 3
    ;;
send_woken_by_close)
    # A send that waited and was woken by a close fails with its stack on
    # the begin record only: the send-on-closed finding's `send` stack is
    # still the producer's send (it was missing, and the finding's first
    # frame was the close's on some schedules and the send's on others).
    "$BIN/t_send_woken" >"$work/plain" 2>&1
    prc=$?
    run_weft "$BIN/t_send_woken"
    expect "exit status" "$rc" "$prc"
    expect "stdout" "$(cat "$work/out")" "$(cat "$work/plain")"
    expect "stdout" "$(cat "$work/out")" "send: closed"
    expect "send-on-closed findings" "$(q "SELECT count(*) FROM findings WHERE kind = 'send-on-closed'")" 1
    expect "the send stack's first frame" \
        "$(q "SELECT f.function FROM findings x JOIN frames f
              ON f.stack = json_extract(x.stacks, '\$.send') AND f.depth = 0
              WHERE x.kind = 'send-on-closed'")" producer
    ;;
*)
    fail "unknown case $name"
    ;;
esac
finish
