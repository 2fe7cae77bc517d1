#!/bin/sh
# SPDX-License-Identifier: MIT
# perfetto.sh CASE: `weft report --format=perfetto` on traces of real
# scenario programs (and t_rpt_names), checked by perfetto_check.py
# against the trace databases: strict JSON, a named track per thread,
# nested slices, a flow per receive that got a value (counted in SQL),
# an instant per finding, the window and the cap and what they left out.
name=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../common/lib.sh"
py=/usr/bin/python3
check="$py $here/perfetto_check.py"
need "$py" sqlite3

# trace PROG ARGS...: $db from PROG under weft run --all-events (its
# stdout in $work/out, status in rc)
trace() {
    rm -f "$db"
    "$WEFT" run -q --all-events -o "$db" -- "$@" >"$work/out" 2>"$work/err"
    rc=$?
}
# report OUT ARGS...: weft report --format=perfetto -o OUT ARGS, must succeed
report() {
    out=$1
    shift
    "$WEFT" report --format=perfetto -o "$out" "$@" 2>"$work/rerr" ||
        fail "report $*: exit $?: $(cat "$work/rerr")"
}
# jq-like one value from a report: jget FILE PYEXPR (d is the document)
jget() { $py -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

case $name in
perfetto_pipeline)
    trace "$SCEN/pattern_pipeline"
    expect "pipeline status" "$rc" 0
    expect "pipeline output" "$(cat "$work/out" | tr '\n' ' ')" "16 25 "
    report "$work/r.json" "$db"
    $check "$work/r.json" "$db" >"$work/check" 2>&1 || fail "check: $(cat "$work/check")"
    # 5 values generate->square, 5 square->filter, 2 filter->main
    expect "flows" "$(jget "$work/r.json" "sum(1 for e in d['traceEvents'] if e['ph'] == 's')")" 12
    expect "threads" "$(jget "$work/r.json" "sum(1 for e in d['traceEvents'] if e['ph'] == 'M' and e['name'] == 'thread_name')")" 4
    # the same bytes on standard output as in -o
    "$WEFT" report --format=perfetto "$db" >"$work/r2.json" || fail "report to stdout failed"
    cmp -s "$work/r.json" "$work/r2.json" || fail "stdout and -o differ"
    # -o replaces a report of its own kind (and nothing else)
    report "$work/r.json" "$db"
    echo "not a report" >"$work/other"
    "$WEFT" report --format=perfetto -o "$work/other" "$db" 2>/dev/null && fail "-o replaced a file that is no report"
    expect "other file kept" "$(cat "$work/other")" "not a report"
    ;;
perfetto_scenarios)
    # channels, selects (with a context), locks held to the end, a leaked
    # thread blocked forever, double closes, libweft's own threads sending
    # (futures, timers)
    for p in pattern_worker_pool pattern_last_handoff pattern_generator pattern_fan_out_fan_in \
        pattern_graceful_shutdown pattern_semaphore pitfall_mutex_never_released \
        pitfall_rwlock_never_released pitfall_leaky_goroutine pitfall_double_close \
        pitfall_select_forever pitfall_wg_wait_forever pattern_future pattern_exit_from_worker \
        pitfall_timeout_abandons_worker pitfall_send_on_closed; do
        trace "$SCEN/$p"
        [ -f "$db" ] || { fail "$p: no trace (status $rc)"; continue; }
        report "$work/$p.json" "$db"
        $check "$work/$p.json" "$db" >"$work/check" 2>&1 || fail "$p: $(cat "$work/check")"
    done
    # a mutex never unlocked: its hold lasts to the thread's end
    expect "hold to the end" "$(jget "$work/pitfall_mutex_never_released.json" \
        "sum(1 for e in d['traceEvents'] if e['ph'] == 'X' and e['name'].startswith('holds mutex') and e['args'].get('never_ended'))")" 1
    # the leaked thread's receive never ends
    expect "leaked receive" "$(jget "$work/pitfall_leaky_goroutine.json" \
        "sum(1 for e in d['traceEvents'] if e['ph'] == 'X' and e['cat'] == 'blocked' and e['args'].get('never_ended'))")" 1
    expect "double close instant" "$(jget "$work/pitfall_double_close.json" \
        "sum(1 for e in d['traceEvents'] if e['ph'] == 'i' and e['name'] == 'double close')")" 1
    ;;
perfetto_window)
    trace "$SCEN/pitfall_unbounded_goroutines_fixed"
    expect "status" "$rc" 0
    report "$work/full.json" "$db"
    $check "$work/full.json" "$db" >"$work/check" 2>&1 || fail "full: $(cat "$work/check")"
    ms=$(q "SELECT (max(end_ns) - min(start_ns)) / 1000000 FROM processes")
    [ "$ms" -ge 3 ] || fail "trace too short for a window: $ms ms"
    from=$((ms / 3))
    to=$((ms * 2 / 3))
    report "$work/win.json" --from "$from" --to "$to" "$db"
    $check "$work/win.json" "$db" --window "$from" "$to" >"$work/check" 2>&1 ||
        fail "window: $(cat "$work/check")"
    # everything is either in the window or counted as outside it
    $py - "$work/full.json" "$work/win.json" >"$work/cmp" 2>&1 <<'PY' || fail "window counts: $(cat "$work/cmp")"
import json, sys
full = json.load(open(sys.argv[1]))["otherData"]["weft"]["traces"][0]
win = json.load(open(sys.argv[2]))["otherData"]["weft"]["traces"][0]
bad = [k for k in full["emitted"] if win["emitted"][k] + win["outside_window"][k] != full["emitted"][k]]
assert not bad, "per kind, emitted + outside != full: %r" % bad
assert sum(win["outside_window"].values()) > 0, "nothing outside the window"
assert win["left_out"] == sum(win["outside_window"].values()), "left_out"
assert win["window_ms"]["from"] is not None and win["window_ms"]["to"] is not None
PY
    ;;
perfetto_cap)
    trace "$SCEN/pattern_worker_pool"
    report "$work/full.json" "$db"
    report "$work/cap.json" --max-events 10 "$db"
    report "$work/nocap.json" --max-events 0 "$db"
    # still whole where it stops: nested slices, every arrow inside its slices
    $check "$work/cap.json" "$db" --partial >"$work/check" 2>&1 || fail "capped: $(cat "$work/check")"
    report "$work/cap2.json" --max-events 200 "$db"
    $check "$work/cap2.json" "$db" --partial >"$work/check" 2>&1 || fail "capped at 200: $(cat "$work/check")"
    # every cut of the pipeline (its senders wait: their slices end after
    # their arrows are written) keeps each arrow inside its slices
    trace "$SCEN/pattern_pipeline"
    c=1
    while [ "$c" -le 45 ]; do
        report "$work/c.json" --max-events "$c" "$db"
        $check "$work/c.json" "$db" --partial >"$work/check" 2>&1 || fail "pipeline capped at $c: $(cat "$work/check")"
        c=$((c + 1))
    done
    $py - "$work/full.json" "$work/cap.json" "$work/nocap.json" >"$work/cmp" 2>&1 <<'PY' || fail "cap: $(cat "$work/cmp")"
import json, sys
docs = [json.load(open(p)) for p in sys.argv[1:]]
full, cap, nocap = [d["otherData"]["weft"]["traces"][0] for d in docs]
total = sum(full["emitted"].values())
assert total > 10, "the trace has only %d items" % total
assert sum(cap["emitted"].values()) == 10, cap["emitted"]
assert sum(cap["left_out_by_cap"].values()) == total - 10, (cap["left_out_by_cap"], total)
assert cap["left_out"] == total - 10 and cap["cap_reached_ms"] is not None
assert any("max-events" in n for n in cap["notes"]), cap["notes"]
ev = docs[1]["traceEvents"]
marks = [e for e in ev if e["ph"] == "i" and e.get("s") == "g" and "--max-events reached" in e["name"]]
assert len(marks) == 1, marks
items = sum(1 for e in ev if e["ph"] in ("X", "i", "C", "b", "s") and e.get("cat") not in ("thread", "weft"))
assert items == 10, "%d items written" % items
assert nocap["max_events"] is None and nocap["emitted"] == full["emitted"], nocap
PY
    ;;
perfetto_names)
    trace "$BIN/t_rpt_names" '</script><script>alert(1)</script>' "$(printf 'x\377\001y')"
    expect "status" "$rc" 0
    expect "output" "$(cat "$work/out")" "ok 42"
    "$BIN/t_rpt_names" >"$work/plain" 2>&1
    expect "output without weft" "$(cat "$work/plain")" "ok 42"
    report "$work/r.json" "$db"
    $check "$work/r.json" "$db" >"$work/check" 2>&1 || fail "check: $(cat "$work/check")"
    got=$($py -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = [e["args"]["name"] for e in d["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"]
print(any(x.startswith("\"</script>") and "\ufffd" in x for x in n))' "$work/r.json")
    expect "hostile thread name kept, as text" "$got" True
    # no raw control byte anywhere (JSON escapes them)
    expect "control bytes" "$(tr -d '\n' <"$work/r.json" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c)" 0
    ;;
perfetto_multi)
    trace "$SCEN/pattern_pipeline"
    cp "$db" "$work/a.db"
    trace "$SCEN/pattern_pipeline"
    cp "$db" "$work/b.db"
    report "$work/r.json" "$work/a.db" "$work/b.db"
    # flow ids unique over the file (checked), 12 flows per trace
    $check "$work/r.json" "$work/a.db" "$work/b.db" >"$work/check" 2>&1 || fail "check: $(cat "$work/check")"
    expect "flows" "$(jget "$work/r.json" "sum(1 for e in d['traceEvents'] if e['ph'] == 's')")" 24
    ;;
perfetto_options)
    "$WEFT" run -q -o "$db" -- "$SCEN/pattern_pipeline" >/dev/null 2>&1
    one_line_error "$WEFT" report --format=json --from 1 "$db"
    one_line_error "$WEFT" report --format=perfetto --from 5 --to 5 "$db"
    one_line_error "$WEFT" report --format=perfetto --to 0 "$db"
    one_line_error "$WEFT" report --format=perfetto --max-events=-1 "$db"
    one_line_error "$WEFT" report --format=perfetto --from abc "$db"
    one_line_error "$WEFT" report --format=perfetto --from 1 --from 2 "$db"
    "$WEFT" report --format=perfetto --from=1 --to=1000000 --max-events=5 "$db" >"$work/r.json" ||
        fail "valid options refused"
    ;;
perfetto_default_trace)
    # without --all-events: valid, flows only where both ends have rows,
    # and the metadata says so
    rm -f "$db"
    "$WEFT" run -q -o "$db" -- "$SCEN/pattern_worker_pool" >/dev/null 2>&1
    report "$work/r.json" "$db"
    $check "$work/r.json" "$db" --partial >"$work/check" 2>&1 || fail "check: $(cat "$work/check")"
    expect "all_events" "$(jget "$work/r.json" "d['otherData']['weft']['traces'][0]['all_events']")" False
    expect "note" "$(jget "$work/r.json" "any('--all-events' in n for n in d['otherData']['weft']['traces'][0]['notes'])")" True
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
