#!/bin/sh
# pitfalls.sh: what the pitfall scenarios (scenarios/pitfalls/, issue 10)
# revealed in the shim, each checked on a small program of ours.
name=$1
. "$(dirname "$0")/lib.sh"

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
*)
    fail "unknown case $name"
    ;;
esac
finish
