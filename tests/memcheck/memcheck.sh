#!/bin/sh
# SPDX-License-Identifier: MIT
# memcheck.sh: the weft command under Valgrind's memcheck (issue 13 item
# 4), on a representative trace: several processes (a shell, a program
# that forks, scenario programs) with many threads, channels, locks and
# findings of several kinds. Each command must exit as it does without
# Valgrind, with no memcheck error and no definitely lost block
# (--error-exitcode, --errors-for-leak-kinds=definite):
#   weft run (the launcher, with the traced program itself run natively:
#     Valgrind does not follow the exec), weft ingest of the raw logs (the
#     streaming reader, the model, the detectors, the database writer, the
#     symbolizer), and weft report in every format.
# The detectors have no command of their own: they run inside the ingest.
# Environment: WEFT, SHIM, BIN (tests/harness programs), SCEN (scenario
# programs), VALGRIND, SUPP.
name=memcheck
. "$(dirname "$0")/../common/lib.sh"

vg() { # LABEL CMD...: runs CMD under memcheck; a report fails LABEL
    label=$1
    shift
    "$VALGRIND" --tool=memcheck --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --suppressions="$SUPP" --log-file="$work/vg-$label.txt" "$@" \
        >"$work/out-$label" 2>"$work/err-$label"
    vrc=$?
    if [ "$vrc" -eq 99 ]; then
        fail "$label: memcheck reported errors: $(grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|[0-9,]+ bytes in)' "$work/vg-$label.txt" | head -5)"
        sed -n '/ERROR SUMMARY/p' "$work/vg-$label.txt" >&2
    fi
    grep -q 'ERROR SUMMARY: 0 errors' "$work/vg-$label.txt" ||
        fail "$label: no clean error summary: $(tail -3 "$work/vg-$label.txt")"
}

# The trace: a shell that runs a forking program and three scenarios (a
# pipeline of goroutines, a double close, an abandoned worker), recorded
# natively with the raw logs kept.
"$WEFT" run -q --trace-children --keep-log="$work/logs" -o "$work/native.db" -- sh -c \
    "\"$BIN/t_fork\"; \"$SCEN/pattern_pipeline\"; \"$SCEN/pitfall_double_close\"; \"$SCEN/pitfall_leaky_goroutine\"; exit 0" \
    >/dev/null 2>&1
expect "native run" "$?" 0
nlogs=$(ls "$work/logs" | wc -l)
[ "$nlogs" -ge 5 ] || fail "want a log per process (at least 5), got $nlogs"

# weft ingest of those logs: the same trace as the native ingest made.
vg ingest "$WEFT" ingest -q -o "$db" "$work/logs"/*
expect "ingest status" "$vrc" 0
expect "processes" "$(q "select count(*) from processes")" "$(sqlite3 "$work/native.db" "select count(*) from processes")"
expect "findings" "$(q "select kind || ' ' || count(*) from findings group by kind order by kind" | tr '\n' ' ')" \
    "$(sqlite3 "$work/native.db" "select kind || ' ' || count(*) from findings group by kind order by kind" | tr '\n' ' ')"
[ "$(q "select count(distinct kind) from findings")" -ge 2 ] || fail "want findings of several kinds"
[ "$(q "select count(*) from threads")" -ge 8 ] || fail "want many threads"

# weft report in every format.
for f in text json html perfetto sarif junit; do
    vg "report-$f" "$WEFT" report --format=$f -o "$work/report.$f" "$db"
    expect "report $f status" "$vrc" 0
    [ -s "$work/report.$f" ] || fail "report $f: empty"
done

# weft run itself (the launcher and the ingest of what it recorded).
vg run "$WEFT" run -q -o "$work/run.db" -- "$SCEN/pitfall_double_close"
expect "run: findings" "$(sqlite3 "$work/run.db" "select kind from findings order by kind" | tr '\n' ' ')" \
    "$(q "select kind from findings f join processes p on p.pid = f.pid where p.argv like '%pitfall_double_close%' order by kind" 2>/dev/null | tr '\n' ' ')"
finish
