# SPDX-License-Identifier: MIT
# lib.sh: what the harness test scripts share (sourced, POSIX sh). The
# caller sets `name` (the test case) first; WEFT, SHIM and BIN come from
# CTest's environment. Gives a scratch dir $work (removed at exit), $db,
# and the assertions below; the script ends with `finish`.
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-test-$name-XXXXXX")
trap 'rm -rf "$work"' EXIT
db=$work/trace.db
fails=0
# Each test keeps its own cache of symbol answers (symcache.c): a test
# never takes names another test or an earlier run left, and a second
# ingest within one test still takes them from its first.
export WEFT_CACHE_DIR="$work/cache"

fail() { echo "FAIL [$name]: $*" >&2; fails=$((fails + 1)); }
# q SQL: one value from the trace
q() { sqlite3 "$db" "$1"; }
# expect WHAT GOT WANT
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
# first_mutex DB: the mutex of DB's first lock row
first_mutex() {
    sqlite3 "$1" "SELECT object FROM events WHERE kind = 61 ORDER BY id LIMIT 1"
}
# occurrences KIND [OBJECT]: the KIND events (a kinds.name) of the trace,
# of OBJECT only when given: its rows and those counted (event_counts)
occurrences() {
    w=${2:+" AND object = $2"}
    q "SELECT (SELECT count(*) FROM events e JOIN kinds k ON k.id = e.kind WHERE k.name = '$1'$w)
        + (SELECT coalesce(sum(count), 0) FROM event_counts WHERE kind = '$1'$w)"
}
# run_weft PROG ARGS...: runs under weft, sets rc, keeps stdout/stderr
run_weft() {
    "$WEFT" run -q -o "$db" -- "$@" >"$work/out" 2>"$work/err"
    rc=$?
}
# one_line_error CMD...: must fail with exactly one line on stderr
one_line_error() {
    "$@" >"$work/o1" 2>"$work/e1"
    r=$?
    lines=$(wc -l <"$work/e1")
    [ "$r" -ne 0 ] || fail "'$*' exited 0"
    [ "$lines" -eq 1 ] || fail "'$*' printed $lines lines on stderr: $(cat "$work/e1")"
    grep -q '^weft: ' "$work/e1" || fail "'$*' error does not start with 'weft: '"
}
# need PROG...: the real programs a case runs must exist (scripts/deps.sh
# installs them): a missing one is a failure, never a silent skip.
need() {
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || fail "needs '$p' (scripts/deps.sh installs it)"
    done
    [ "$fails" -eq 0 ] || finish
}
finish() {
    if [ "$fails" -ne 0 ]; then
        echo "harness test '$name': $fails failure(s)" >&2
        exit 1
    fi
    exit 0
}
