#!/bin/sh
# SPDX-License-Identifier: MIT
# reports.sh: the finding model as every format sees it: findings grouped
# by fingerprint, fingerprints stable across runs and rebuilds, baselines
# (a trace database or a JSON report) marking groups new, unchanged or
# absent, --only-new, the text form's thread headers and SUMMARY lines,
# the JSON shape. Traces are of real programs: the scenario suite's and
# t_leaks.c, compiled here so that a copy with moved lines can be rebuilt.
name=$1
. "$SRC/tests/common/lib.sh"

# leaks N [SRC]: builds SRC (default t_leaks.c) and traces it with N threads into $db
leaks() {
    src=${2:-$SRC/tests/reports/t_leaks.c}
    "$CC" -g -O0 -pthread -o "$work/t_leaks" "$src" || fail "cannot build $src"
    WEFT_SYNC_STACKS=1 run_weft "$work/t_leaks" "$1"
}
# fps DB: the fingerprints of its findings, one per line, sorted
fps() { "$WEFT" report --format=json "$1" | /usr/bin/python3 -c '
import json, sys
print("\n".join(sorted(f["fingerprint"] for f in json.load(sys.stdin)["findings"])))'; }
# trace NAME DB: a scenario program traced into DB
trace() { "$WEFT" run -q -o "$2" -- "$SCEN/$1" >/dev/null 2>&1; }

case $name in
fingerprint_oracle)
    # Each finding's fingerprint is what docs/reports.md and fingerprint.c
    # say it is, computed again from the trace's tables (fp_oracle.py).
    # Over traces with several kinds (the same stacks under another kind
    # must get another ID); harness:symtab_inline runs it on inlined frames.
    trace pitfall_double_close "$work/a.db"
    trace pitfall_leaky_goroutine "$work/b.db"
    trace pitfall_wg_negative "$work/c.db"
    for t in a b c; do
        "$WEFT" report --format=json "$work/$t.db" >"$work/$t.json" || fail "report $t"
        /usr/bin/python3 "$SRC/tests/reports/fp_oracle.py" "$work/$t.db" "$work/$t.json" ||
            fail "fingerprints of $t"
    done
    ;;
group)
    leaks 6
    expect "exit" "$rc" 0
    # one creation site, one place they wait: one finding standing for 6
    expect "leaked threads" "$(q "SELECT count(*) || ' ' || sum(count) FROM findings WHERE kind = 'leaked-thread'")" "1 6"
    "$WEFT" report "$db" >"$work/txt" 2>&1 || fail "report failed"
    expect "blocks shown" "$(grep -c '^==weft== error: leaked-thread' "$work/txt")" 1
    grep -q '^==weft==   and 5 more like it$' "$work/txt" || fail "no 'and 5 more like it': $(cat "$work/txt")"
    grep -q '^==weft==   6 threads: thread [0-9]* (reader), .* (reader)$' "$work/txt" ||
        fail "no line of the 6 threads: $(cat "$work/txt")"
    grep -q '^==weft== SUMMARY: leaked-thread .*t_leaks.c:[0-9]* in reader (6 findings, id [0-9a-f]\{16\})$' "$work/txt" ||
        fail "no SUMMARY line: $(grep SUMMARY "$work/txt")"
    grep -q '^==weft== 6 findings (6 errors, 0 warnings; 1 distinct)$' "$work/txt" || fail "count line: $(tail -1 "$work/txt")"
    # JSON: one finding of six threads, count 6; one group
    "$WEFT" report --format=json "$db" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
f = r["findings"]; g = r["groups"]
assert len(f) == 1 and f[0]["threads"] == 6, f
assert f[0]["detail"].startswith("6 threads: thread "), f[0]["detail"]
assert all(x["count"] == 6 for x in f)
assert len(g) == 1 and g[0]["count"] == 6 and g[0]["first"] == 0, g
assert g[0]["function"] == "reader" and g[0]["file"].endswith("t_leaks.c"), g
' || fail "JSON grouping"
    # the other formats count the six threads and name them
    "$WEFT" report --format=junit "$db" >"$work/j.xml" || fail "junit report failed"
    grep -q '(error, 6 findings, id ' "$work/j.xml" || fail "JUnit count: $(cat "$work/j.xml")"
    grep -q '6 threads: thread ' "$work/j.xml" || fail "JUnit without the threads"
    "$WEFT" report --format=sarif -o "$work/g.sarif" "$db" || fail "sarif report failed"
    grep -q '"occurrenceCount": 6' "$work/g.sarif" || fail "SARIF count"
    grep -q '6 threads: thread ' "$work/g.sarif" || fail "SARIF message without the threads"
    "$WEFT" report --format=perfetto -o "$work/g.json" "$db" || fail "perfetto report failed"
    grep -q '6 threads: thread ' "$work/g.json" || fail "Perfetto finding without the threads"
    "$WEFT" report --format=html -o "$work/g.html" "$db" || fail "html report failed"
    grep -q '"count": 6, .*"detail": "6 threads: thread ' "$work/g.html" ||
        fail "HTML data without the count and threads"
    ;;
fingerprint_runs)
    # Two runs, other schedules and addresses: the same IDs. Other bugs: others.
    for i in 1 2; do trace pitfall_double_close "$work/dc$i.db"; trace pitfall_leaky_goroutine "$work/lg$i.db"; done
    a=$(fps "$work/dc1.db"); b=$(fps "$work/dc2.db")
    [ -n "$a" ] || fail "no double-close finding"
    expect "double-close across runs" "$b" "$a"
    c=$(fps "$work/lg1.db"); d=$(fps "$work/lg2.db")
    [ -n "$c" ] || fail "no leaked-thread finding"
    expect "leak across runs" "$d" "$c"
    [ "$a" != "$c" ] || fail "two bugs share a fingerprint: $a"
    # and two runs of t_leaks with other thread counts: one ID
    leaks 3; cp "$db" "$work/l3.db"; rm -f "$db"; leaks 7
    expect "t_leaks 3 vs 7 threads" "$(fps "$work/l3.db" | sort -u)" "$(fps "$db" | sort -u)"
    ;;
fingerprint_rebuild)
    # The same bug in a rebuilt binary whose lines moved: the same ID,
    # other lines in the stacks.
    leaks 2; cp "$db" "$work/a.db"; rm -f "$db"
    { printf '/* moved */\n\n\n\n\n\n\n\n\n\n'; cat "$SRC/tests/reports/t_leaks.c"; } >"$work/moved.c"
    leaks 2 "$work/moved.c"
    la=$(sqlite3 "$work/a.db" "SELECT min(line) FROM frames WHERE function = 'reader'")
    lb=$(q "SELECT min(line) FROM frames WHERE function = 'reader'")
    expect "lines moved by" "$((lb - la))" 10
    expect "fingerprint after the rebuild" "$(fps "$db" | sort -u)" "$(fps "$work/a.db" | sort -u)"
    ;;
baseline_db | baseline_json)
    trace pitfall_double_close "$work/dc.db"
    trace pitfall_leaky_goroutine "$work/lg.db"
    trace pitfall_send_on_closed "$work/sc.db"
    old=$work/old.db
    if [ "$name" = baseline_db ]; then
        # a baseline of two traces is one file: report both into a db? no:
        # the baseline is one trace; use the double-close and leak traces merged
        # by running the report of them to JSON is the other case.
        cp "$work/lg.db" "$old"
        "$WEFT" report --baseline "$old" "$work/dc.db" "$work/lg.db" >"$work/txt" 2>&1 || fail "report --baseline failed"
        grep -q '^==weft== error: leaked-thread (pid [0-9]*) \[unchanged\]$' "$work/txt" || fail "leak not unchanged: $(grep '^==weft== error' "$work/txt")"
        grep -q '^==weft== error: double-close (pid [0-9]*) \[new\]$' "$work/txt" || fail "double-close not new"
        grep -q 'against the baseline: 1 new, 1 unchanged, 0 absent' "$work/txt" || fail "count line: $(tail -1 "$work/txt")"
    else
        old=$work/old.json
        "$WEFT" report --format=json -o "$old" "$work/lg.db" "$work/sc.db" || fail "cannot write the JSON baseline"
    fi
    "$WEFT" report --format=json --baseline "$old" "$work/dc.db" "$work/lg.db" >"$work/j" || fail "json --baseline failed"
    /usr/bin/python3 - "$work/j" "$name" <<'PY' || fail "baseline states in JSON"
import json, sys
r = json.load(open(sys.argv[1]))
st = {g["kind"]: g["baseline"] for g in r["groups"]}
want = {"double-close": "new", "leaked-thread": "unchanged"}
if sys.argv[2] == "baseline_json":
    want["send-on-closed"] = "absent"
assert st == want, st
assert all(f["baseline"] in ("new", "unchanged") for f in r["findings"])
PY
    ;;
only_new)
    trace pitfall_double_close "$work/dc.db"
    trace pitfall_leaky_goroutine "$work/lg.db"
    "$WEFT" report --baseline "$work/lg.db" --only-new "$work/dc.db" "$work/lg.db" >"$work/txt" 2>&1 || fail "report failed"
    expect "blocks" "$(grep -c '^==weft== error:' "$work/txt")" 1
    grep -q '^==weft== error: double-close .*\[new\]$' "$work/txt" || fail "the new one is not shown"
    grep -q 'leaked-thread' "$work/txt" && fail "an unchanged finding is shown: $(grep leaked "$work/txt")"
    # with nothing new: no finding, and it says so
    "$WEFT" report --baseline "$work/lg.db" --only-new "$work/lg.db" >"$work/txt2" 2>&1 || fail "report failed"
    grep -q '^==weft== 0 findings' "$work/txt2" || fail "not 0 findings: $(tail -1 "$work/txt2")"
    ;;
text_header)
    trace pitfall_leaky_goroutine "$db"
    "$WEFT" report "$db" >"$work/txt" 2>&1
    grep -q '^==weft==   thread 2 "compute" \[chan send, leaked\]:$' "$work/txt" || fail "no Go-style header: $(cat "$work/txt")"
    grep -q '^==weft== SUMMARY: leaked-thread .*pitfall_leaky_goroutine.c:16 in compute (1 finding, id [0-9a-f]\{16\})$' "$work/txt" ||
        fail "SUMMARY: $(grep SUMMARY "$work/txt")"
    # weft run prints the same at exit
    "$WEFT" run -o "$work/r.db" -- "$SCEN/pitfall_leaky_goroutine" >/dev/null 2>"$work/err"
    grep -q '^==weft== SUMMARY: leaked-thread' "$work/err" || fail "weft run prints no SUMMARY"
    # a thread with no name and a start function without a symbol (a
    # stripped program): its number, not a name "?"
    printf '#include <pthread.h>\n#include <unistd.h>\nstatic void *f(void *a) { for (;;) pause(); return a; }\nint main(void) { pthread_t t; pthread_create(&t, 0, f, 0); usleep(100000); return 0; }\n' >"$work/anon.c"
    "$CC" -O1 -s -pthread -o "$work/anon" "$work/anon.c" || fail "cannot build anon.c"
    "$WEFT" run -q -o "$work/a.db" -- "$work/anon" >/dev/null 2>&1
    "$WEFT" report "$work/a.db" >"$work/atxt" 2>&1
    grep -q '^==weft==   thread 2 \[running, leaked\]:$' "$work/atxt" ||
        fail "header of an anonymous thread: $(grep '   thread 2' "$work/atxt")"
    ;;
fault_site)
    # The place SUMMARY names, and SARIF's result location, is the faulty
    # call: for a send on a closed channel the send (line 23), not the
    # close (line 20) the finding also carries.
    trace pitfall_send_on_closed "$db"
    "$WEFT" report "$db" >"$work/txt" 2>&1
    grep -q '^==weft== SUMMARY: send-on-closed .*pitfall_send_on_closed.c:23 in producer (1 finding' "$work/txt" ||
        fail "SUMMARY: $(grep SUMMARY "$work/txt")"
    "$WEFT" report --format=sarif "$db" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"][0]["results"]
loc = [x["locations"][0]["physicalLocation"] for x in r if x["ruleId"] == "send-on-closed"]
assert len(loc) == 1, loc
assert loc[0]["artifactLocation"]["uri"].endswith("pitfall_send_on_closed.c"), loc
assert loc[0]["region"]["startLine"] == 23, loc' || fail "the SARIF location of send-on-closed is not the send"
    # A program built without -g: glibc's frames have lines (its debug
    # file), the program's none. The summary names the program's
    # function, not libc_start_call_main.h.
    printf '#include <pthread.h>\n#include <unistd.h>\nstatic void *run(void *a) { return a; }\nint main(void) { pthread_t t; pthread_create(&t, 0, run, 0); usleep(200000); return 0; }\n' >"$work/nog.c"
    "$CC" -O0 -pthread -o "$work/nog" "$work/nog.c" || fail "cannot build nog.c"
    "$WEFT" run -q -o "$work/nog.db" -- "$work/nog" >/dev/null 2>&1
    "$WEFT" report "$work/nog.db" >"$work/txt" 2>&1
    grep -q '^==weft== SUMMARY: unjoined-thread in main (1 finding' "$work/txt" ||
        fail "SUMMARY without -g: $(grep SUMMARY "$work/txt")"
    "$WEFT" report --format=json "$work/nog.db" | /usr/bin/python3 -c '
import json, sys
g = json.load(sys.stdin)["groups"]
assert [(x["function"], x["file"], x["line"]) for x in g] == [("main", None, None)], g' ||
        fail "JSON group without -g"
    ;;
json_shape)
    trace pitfall_double_close "$db"
    "$WEFT" report --format=json "$db" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["version"] == 1
p = r["processes"][0]
for k in ("pid", "parent_pid", "argv", "exit_kind", "threads", "trace"): assert k in p, k
f = r["findings"][0]
for k in ("kind", "severity", "pid", "message", "thread", "object", "stacks", "fingerprint", "count"): assert k in f, k
assert "baseline" not in f
assert f["stacks"]["close"][0]["function"] == "stopper"
g = r["groups"][0]
assert g["scheme"] == "weft/v1" and g["fingerprint"] == f["fingerprint"]
' || fail "JSON shape"
    ;;
bad_baseline)
    trace pitfall_double_close "$db"
    one_line_error "$WEFT" report --baseline "$work/nope.json" "$db"
    printf 'not json' >"$work/junk"
    one_line_error "$WEFT" report --baseline "$work/junk" "$db"
    printf '{"version": 1, "findings": []}' >"$work/old.json"
    one_line_error "$WEFT" report --baseline "$work/old.json" "$db"
    one_line_error "$WEFT" report --only-new "$db"
    # -o onto the baseline is refused, and the baseline is untouched
    "$WEFT" report --format=json -o "$work/b.json" "$db"
    cp "$work/b.json" "$work/b.orig"
    one_line_error "$WEFT" report --format=json --baseline "$work/b.json" -o "$work/b.json" "$db"
    cmp -s "$work/b.json" "$work/b.orig" || fail "the baseline was overwritten"
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
