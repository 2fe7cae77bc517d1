#!/bin/sh
# SPDX-License-Identifier: MIT
# sarif.sh: the SARIF and JUnit reports on traces of real programs (the
# scenario suite's, t_leaks.c, t_sarif_names.c): SARIF validated against
# the SARIF 2.1.0 schema (schemas/, through python3-jsonschema; what weft
# promises beyond the schema is checked by sarif_check.py), JUnit against
# Jenkins' JUnit schema (xmllint --schema); grouped findings, a clean run,
# two traces at once, baselines, --srcroot, hostile names, argv and paths
# staying well-formed, and bad input.
name=$1
. "$SRC/tests/common/lib.sh"

PY=/usr/bin/python3
CHECK=$SRC/tests/reports/sarif_check.py
XSD=$SRC/tests/reports/schemas/junit-10.xsd
need xmllint
$PY -c 'import jsonschema' 2>/dev/null || fail "needs python3-jsonschema (scripts/deps.sh installs it)"
[ "$fails" -eq 0 ] || finish

# q_in DB SQL: one value from another trace
q_in() { sqlite3 "$1" "$2"; }
# trace NAME DB: a scenario program traced into DB
trace() { "$WEFT" run -q -o "$2" -- "$SCEN/$1" >/dev/null 2>&1; }
# sarif OUT ARGS...: weft report --format=sarif ARGS into OUT, checked
# (schema and promises) into OUT.sum
sarif() {
    out=$1
    shift
    "$WEFT" report --format=sarif "$@" >"$out" 2>"$work/serr" || fail "report --format=sarif $*: $(cat "$work/serr")"
    $PY "$CHECK" "$out" ${srcroot:+"$srcroot"} >"$out.sum" 2>&1 || fail "SARIF check: $(tail -3 "$out.sum")"
}
# junit OUT ARGS...: weft report --format=junit ARGS into OUT, schema-valid
junit() {
    out=$1
    shift
    "$WEFT" report --format=junit "$@" >"$out" 2>"$work/jerr" || fail "report --format=junit $*: $(cat "$work/jerr")"
    xmllint --noout --schema "$XSD" "$out" 2>"$work/xerr" || fail "JUnit schema: $(cat "$work/xerr")"
}
# field SUMFILE N KEY: KEY of the Nth line (1-based) of a SARIF summary
field() { sed -n "${2}p" "$1" | $PY -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print(json.dumps(v) if isinstance(v, list) else v)' "$3"; }
# leaks N: t_leaks.c built and traced with N threads into $db
leaks() {
    "$CC" -g -O0 -pthread -o "$work/t_leaks" "$SRC/tests/reports/t_leaks.c" || fail "cannot build t_leaks.c"
    WEFT_SYNC_STACKS=1 run_weft "$work/t_leaks" "$1"
}
# names DIR ARGS...: t_sarif_names.c copied into DIR, built there and traced into $db
names() {
    d=$1
    shift
    mkdir -p "$d" && cp "$SRC/tests/reports/t_sarif_names.c" "$d/" || fail "cannot copy into $d"
    "$CC" -g -O0 -pthread -o "$d/t_sarif_names" "$d/t_sarif_names.c" || fail "cannot build in $d"
    run_weft "$d/t_sarif_names" "$@"
    expect "t_sarif_names exit" "$rc" 0
    expect "t_sarif_names stdout" "$(cat "$work/out")" "done"
}

case $name in
sarif_schema)
    # Two bugs, two traces: each a result at the place to fix, with the
    # story in thread flows: the merged flow first, one flow per thread.
    trace pitfall_double_close "$work/dc.db"
    trace pitfall_leaky_goroutine "$work/lg.db"
    srcroot=$SRC sarif "$work/s.sarif" --srcroot "$SRC" "$work/dc.db" "$work/lg.db"
    s=$work/s.sarif.sum
    expect "results" "$(field "$s" 3 results)" 2
    nkinds=$(grep -c '^    {"' "$SRC/detectors/kinds.c")
    expect "a rule per kind" "$(field "$s" 3 rules)" "$nkinds"
    expect "double-close rule" "$(field "$s" 1 ruleId)" double-close
    expect "double-close site" "$(field "$s" 1 site)" scenarios/pitfalls/pitfall_double_close.c:15
    expect "site relative to the source root" "$(field "$s" 1 base)" "%SRCROOT%"
    expect "occurrenceCount" "$(field "$s" 1 occurrenceCount)" 1
    # Which stopper closes first is the schedule's: the second close is
    # the finding's thread (the message says which), the first another.
    again=$(q_in "$work/dc.db" "SELECT t.tid FROM findings f JOIN threads t ON t.id = f.thread")
    first=$((5 - again))
    field "$s" 1 steps | grep -q "^\[\"creation, in thread 1 .*\", \"first_close, in thread $first .*stopper)\", \"close, in thread $again .*stopper)\"\]$" ||
        fail "double-close steps (second close by thread $again): $(field "$s" 1 steps)"
    field "$s" 1 flows | grep -q "^\[\"all\", \"trace0\.pid[0-9]*\.thread1\", \"trace0\.pid[0-9]*\.thread$first\", \"trace0\.pid[0-9]*\.thread$again\"\]$" ||
        fail "double-close flows: $(field "$s" 1 flows)"
    expect "leak site" "$(field "$s" 2 site)" scenarios/pitfalls/pitfall_leaky_goroutine.c:16
    field "$s" 2 flows | grep -q '^\["all", "trace1\.pid[0-9]*\.thread1", "trace1\.pid[0-9]*\.thread2"\]$' ||
        fail "leak flows: $(field "$s" 2 flows)"
    # the fingerprints are the JSON report's
    "$WEFT" report --format=json "$work/dc.db" "$work/lg.db" |
        $PY -c 'import json,sys; print(" ".join(g["fingerprint"] for g in json.load(sys.stdin)["groups"]))' >"$work/fps"
    expect "fingerprints" "$(field "$s" 1 fp) $(field "$s" 2 fp)" "$(cat "$work/fps")"
    # the rules: precision as GitHub reads it, exact vs heuristic
    $PY - "$work/s.sarif" <<'PY' || fail "rules"
import json, sys
rules = {r["id"]: r for r in json.load(open(sys.argv[1]))["runs"][0]["tool"]["driver"]["rules"]}
assert rules["double-close"]["properties"]["precision"] == "very-high"
assert rules["loop-variable-capture"]["properties"]["precision"] == "medium"
assert rules["loop-variable-capture"]["defaultConfiguration"]["level"] == "warning"
assert rules["leaked-thread"]["name"] == "LeakedThread"
assert "close the channel" in rules["leaked-thread"]["help"]["text"]
PY
    # a kind the catalogue lacks (a newer detector's) still gets a rule
    cp "$work/dc.db" "$work/odd.db"
    sqlite3 "$work/odd.db" "UPDATE findings SET kind = 'future-kind', severity = 'warning'"
    sarif "$work/odd.sarif" "$work/odd.db"
    expect "unknown kind's rule" "$(field "$work/odd.sarif.sum" 1 ruleId) $(field "$work/odd.sarif.sum" 2 rules)" "future-kind $((nkinds + 1))"
    expect "unknown kind's level" "$(field "$work/odd.sarif.sum" 1 level)" warning
    # the check fails on what the schema forbids
    sed 's/"version": "2.1.0"/"version": "2.1.0", "bogus": 1/' "$work/s.sarif" >"$work/bad.sarif"
    $PY "$CHECK" "$work/bad.sarif" >/dev/null 2>&1 && fail "the schema check passed a document with an unknown property"
    ;;
sarif_grouped)
    # six leaked threads, one bug: one result counted six times
    leaks 6
    expect "exit" "$rc" 0
    sarif "$work/s.sarif" "$db"
    s=$work/s.sarif.sum
    expect "results" "$(field "$s" 2 results)" 1
    expect "occurrenceCount" "$(field "$s" 1 occurrenceCount)" 6
    expect "count in the model" "$(q "SELECT sum(count) FROM findings")" 6
    grep -q 'and 5 more like it' "$work/s.sarif" || fail "message without its count"
    # built without -g: no source lines anywhere, so the first location
    # is the program itself (GitHub refuses a result without a file)
    "$CC" -O0 -pthread -o "$work/t_leaks" "$SRC/tests/reports/t_leaks.c" || fail "cannot build t_leaks.c"
    rm -f "$db"
    run_weft "$work/t_leaks" 2
    sarif "$work/n.sarif" "$db"
    $PY - "$work/n.sarif" "$work/t_leaks" <<'PY' || fail "location without debug information"
import json, os, sys
r = json.load(open(sys.argv[1]))["runs"][0]["results"][0]
loc = r["locations"][0]
assert loc["physicalLocation"]["artifactLocation"]["uri"].endswith("/t_leaks"), loc
assert "region" not in loc["physicalLocation"], loc
assert loc["logicalLocations"][0]["name"] == "reader", loc
PY
    ;;
sarif_clean | junit_clean)
    # a clean pattern: no result, every rule; JUnit: one passing testcase
    trace pattern_pipeline "$db"
    expect "findings" "$(q "SELECT count(*) FROM findings")" 0
    sarif "$work/s.sarif" "$db"
    expect "results" "$(field "$work/s.sarif.sum" 1 results)" 0
    junit "$work/j.xml" "$db"
    $PY - "$work/j.xml" <<'PY' || fail "clean JUnit"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0"), root.attrib
c = root.findall("./testsuite/testcase")
assert len(c) == 1 and c[0].find("failure") is None
assert c[0].get("classname") == "pattern_pipeline", c[0].get("classname")
PY
    ;;
sarif_two_traces)
    # The same bug in two traces: one result, counted twice; its flows
    # from the first trace.
    trace pitfall_double_close "$work/a.db"
    trace pitfall_double_close "$work/b.db"
    sarif "$work/s.sarif" "$work/a.db" "$work/b.db"
    s=$work/s.sarif.sum
    expect "results" "$(field "$s" 2 results)" 1
    expect "occurrenceCount" "$(field "$s" 1 occurrenceCount)" 2
    field "$s" 1 flows | grep -q '"trace0\.' || fail "flows: $(field "$s" 1 flows)"
    junit "$work/j.xml" "$work/a.db" "$work/b.db"
    $PY - "$work/j.xml" "$work/a.db" "$work/b.db" <<'PY' || fail "two-trace JUnit"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == sys.argv[2:4], [s.get("name") for s in suites]
assert (root.get("tests"), root.get("failures")) == ("2", "2"), root.attrib
for s, path in zip(suites, sys.argv[2:4]):
    (c,) = s.findall("testcase")
    assert len(c.findall("failure")) == 1
    assert ("trace: " + path) in c.find("system-out").text
PY
    ;;
sarif_baseline)
    trace pitfall_double_close "$work/dc.db"
    trace pitfall_leaky_goroutine "$work/lg.db"
    trace pitfall_send_on_closed "$work/sc.db"
    "$WEFT" report --format=json -o "$work/old.json" "$work/lg.db" "$work/sc.db" || fail "JSON baseline"
    sarif "$work/s.sarif" --baseline "$work/old.json" "$work/dc.db" "$work/lg.db"
    s=$work/s.sarif.sum
    got=$(head -3 "$s" | $PY -c 'import json,sys; print(" ".join("%s=%s" % (d["ruleId"], d["baselineState"]) for d in map(json.loads, sys.stdin)))')
    expect "baseline states" "$got" "double-close=new leaked-thread=unchanged send-on-closed=absent"
    # no baseline: no baselineState
    sarif "$work/n.sarif" "$work/dc.db"
    grep -q baselineState "$work/n.sarif" && fail "baselineState without a baseline"
    # --only-new: the new one only
    sarif "$work/o.sarif" --baseline "$work/old.json" --only-new "$work/dc.db" "$work/lg.db"
    expect "only new" "$(head -1 "$work/o.sarif.sum" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ruleId"])')" double-close
    ;;
sarif_srcroot)
    trace pitfall_double_close "$db"
    # default: the current directory
    (cd "$SRC" && "$WEFT" report --format=sarif "$db") >"$work/a.sarif" || fail "report from the source tree"
    $PY "$CHECK" "$work/a.sarif" "$SRC" >"$work/a.sum" 2>&1 || fail "check: $(tail -2 "$work/a.sum")"
    expect "relative site" "$(field "$work/a.sum" 1 site)" scenarios/pitfalls/pitfall_double_close.c:15
    # from elsewhere: absolute file:// URIs, no base
    mkdir "$work/elsewhere"
    (cd "$work/elsewhere" && "$WEFT" report --format=sarif "$db") >"$work/b.sarif" || fail "report from elsewhere"
    $PY "$CHECK" "$work/b.sarif" "$work/elsewhere" >"$work/b.sum" 2>&1 || fail "check: $(tail -2 "$work/b.sum")"
    expect "absolute site" "$(field "$work/b.sum" 1 site)" "file://$(realpath "$SRC")/scenarios/pitfalls/pitfall_double_close.c:15"
    expect "no base" "$(field "$work/b.sum" 1 base)" None
    # a source root whose name needs escaping, through a symbolic link
    d="$work/src <&'\"%#?>"
    names "$d" worker
    ln -s "$d" "$work/link"
    srcroot=$work/link sarif "$work/c.sarif" --srcroot "$work/link" "$db"
    expect "hostile root, relative site" "$(field "$work/c.sarif.sum" 1 site)" t_sarif_names.c:30
    # not a directory / missing: one line, no output
    one_line_error "$WEFT" report --format=sarif --srcroot "$work/nope" "$db"
    one_line_error "$WEFT" report --format=sarif --srcroot "$db" "$db"
    one_line_error "$WEFT" report --format=sarif --srcroot
    ;;
sarif_hostile | junit_hostile)
    # A thread named like markup (cut to 15 bytes), argv with XML's
    # specials, control bytes and bytes that are not UTF-8, built in a
    # directory named with markup: both formats stay well-formed and hold
    # the strings as text.
    names "$work/d<i&r>" "$(printf '[<b\001\377>')" '</testcase>' ']]>' "$(printf 'c\033[31m\001')" "$(printf 'x\377\376y')" '"quoted" & '"'"'apos'"'"
    sarif "$work/s.sarif" "$db"
    $PY - "$work/s.sarif" <<'PY' || fail "SARIF strings"
import json, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")  # strict: no invalid UTF-8 written
r = json.loads(raw)["runs"][0]["results"][0]
msgs = [l["location"]["message"]["text"] for l in r["codeFlows"][0]["threadFlows"][0]["locations"]]
assert any('"[<b\x01\ufffd>"' in m for m in msgs), msgs
assert r["message"]["text"].startswith('thread 2 "\\[<b\x01\ufffd>" (stuck)'), r["message"]["text"]
assert "See [creation in leak_one](0)" in r["message"]["text"], r["message"]["text"]
assert "d%3Ci%26r%3E/t_sarif_names.c" in json.dumps(r["locations"]), r["locations"]
PY
    junit "$work/j.xml" "$db"
    $PY - "$work/j.xml" <<'PY' || fail "JUnit strings"
import sys, xml.etree.ElementTree as ET
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")
root = ET.fromstring(raw)
(c,) = root.findall("./testsuite/testcase")
n = c.get("name")
for want in ("</testcase>", "]]>", "\\x01", "\\x1b[31m", "x\ufffd\ufffdy", '"quoted" & \'apos\''):
    assert want in n, (want, n)
assert n.endswith(" #1"), n
assert c.get("classname") == "t_sarif_names", c.get("classname")
(f,) = c.findall("failure")
assert '"[<b\\x01\\xff>"' in f.text, f.text  # as the text report escapes it
assert "d<i&r>/t_sarif_names.c" in f.text, f.text
PY
    ;;
junit_schema)
    trace pitfall_double_close "$work/dc.db"
    trace pitfall_leaky_goroutine "$work/lg.db"
    junit "$work/j.xml" "$work/dc.db" "$work/lg.db"
    $PY - "$work/j.xml" "$work/dc.db" "$work/lg.db" <<'PY' || fail "JUnit"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("name") == "weft report"
assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "2", "0"), root.attrib
cases = root.findall("./testsuite/testcase")
assert [c.get("classname") for c in cases] == ["pitfall_double_close", "pitfall_leaky_goroutine"]
for c in cases:
    assert c.get("name").endswith(" #1") and "/scenarios/pitfall_" in c.get("name"), c.get("name")
    assert "pid" not in c.get("name")
f = cases[0].find("failure")
assert f.get("type") == "double-close", f.attrib
assert "(error, 1 finding, id " in f.get("message"), f.get("message")
assert f.text.startswith("==weft== error: double-close (pid "), f.text
assert "first_close:" in f.text and "pitfall_double_close.c:15" in f.text, f.text
g = cases[1].find("failure")
assert 'thread 2 "compute" [chan send, leaked]:' in g.text, g.text
assert ("trace: " + sys.argv[3]) in cases[1].find("system-out").text
for s in root.findall("testsuite"):
    assert s.get("tests") == "1" and s.get("failures") == "1" and s.get("errors") == "0", s.attrib
PY
    ;;
junit_grouped)
    # six leaked threads of one process: one failure holding its count
    leaks 6
    junit "$work/j.xml" "$db"
    $PY - "$work/j.xml" <<'PY' || fail "grouped JUnit"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
(c,) = root.findall("./testsuite/testcase")
(f,) = c.findall("failure")
assert "and 5 more like it" in f.text and "6 findings" in f.get("message"), (f.get("message"), f.text)
PY
    # Three processes of one command line (two forked children): three
    # testcases, named apart by their rank, the same names in a second run.
    for i in 1 2; do
        T_FORKS=2 names "$work/n" same args
        junit "$work/j$i.xml" "$db"
        $PY - "$work/j$i.xml" >"$work/names$i" <<'PY' || fail "forked JUnit"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall("./testsuite/testcase")
assert (root.get("tests"), root.get("failures")) == ("3", "3"), root.attrib
ids = [(c.get("classname"), c.get("name")) for c in cases]
assert len(set(ids)) == 3, ids
assert [n[-2:] for _, n in ids] == ["#1", "#2", "#3"], ids
for c in cases:
    assert len(c.findall("failure")) == 1
    assert "1 finding," in c.find("failure").get("message")
print("\n".join("%s|%s" % i for i in ids))
PY
        rm -f "$db"
    done
    expect "names across runs" "$(cat "$work/names2")" "$(cat "$work/names1")"
    ;;
sarif_scenarios)
    # every kind of finding the suite shows, in one report of many traces:
    # both formats valid, each result at a line of the scenario's source
    set -- pitfall_wg_reused pitfall_wg_negative pthread_never_joined pitfall_unbounded_goroutines \
        pthread_write_closed_pipe pitfall_loop_capture pthread_mutex_at_exit pitfall_select_forever \
        pitfall_global_deadlock pitfall_close_by_receiver pitfall_mixed_leak pattern_worker_pool \
        pthread_lock_order
    for s in "$@"; do trace "$s" "$work/$s.db"; done
    (cd "$work" && ls ./*.db) >"$work/dbs"
    srcroot=$SRC sarif "$work/s.sarif" --srcroot "$SRC" $(sed "s|^\./|$work/|" "$work/dbs")
    junit "$work/j.xml" $(sed "s|^\./|$work/|" "$work/dbs")
    $PY - "$work/s.sarif.sum" <<'PY' || fail "scenario results"
import json, re, sys
res = [json.loads(l) for l in open(sys.argv[1])][:-1]
kinds = {r["ruleId"] for r in res}
want = {"wg-reused-before-wait-returned", "wg-add-concurrent-with-wait", "wg-negative-counter",
        "unjoined-thread", "unbounded-threads", "send-on-closed", "loop-variable-capture",
        "lock-held-at-exit", "leaked-thread", "deadlock", "close-by-receiver",
        "lock-order-inversion"}
assert want <= kinds, want - kinds
for r in res:
    assert re.fullmatch(r"scenarios/pitfalls/p[a-z_]*\.c:[0-9]+", r["site"]), r
    assert r["base"] == "%SRCROOT%" and r["flows"][0] == "all", r
PY
    ;;
junit_signal)
    # a process killed by a signal is an error of its test, not a pass
    "$WEFT" run -q -o "$db" -- /bin/sh -c 'kill -SEGV $$' >/dev/null 2>&1
    expect "weft run exit" "$?" 139
    expect "signal in the trace" "$(q "SELECT signal FROM processes")" 11
    junit "$work/j.xml" "$db"
    trace pitfall_double_close "$work/dc.db"
    junit "$work/j2.xml" "$db" "$work/dc.db"
    $PY - "$work/j.xml" "$work/j2.xml" <<'PY' || fail "signal JUnit"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "1"), root.attrib
(c,) = root.findall("./testsuite/testcase")
(e,) = c.findall("error")
assert e.get("message") == "killed by signal 11 (SIGSEGV)", e.attrib
assert "exit: signal 11" in c.find("system-out").text
root = ET.parse(sys.argv[2]).getroot()
assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "1"), root.attrib
s = root.findall("testsuite")
assert [(x.get("failures"), x.get("errors")) for x in s] == [("0", "1"), ("1", "0")]
PY
    ;;
escapes)
    # Every control character (0x01-0x1f, 0x7f; 0x00 cannot be in a C
    # string), C1 controls and bytes that are not UTF-8, in a thread's name
    # (so in a finding's message) and in argv, through every escaper: the
    # JSON, SARIF (harness/util/json.c), JUnit (reports/xmlesc.c), HTML
    # (json.c, then html.c's script_safe) and text (harness/util/textesc.c)
    # reports, each read back by a real parser (python3's json,
    # xml.etree) and compared with what each escaper promises.
    i=0
    for nm in '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017' \
        '\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036' \
        '\037\177a\302\205b\377c\355\240\200\342\200\256\303'; do
        i=$((i + 1))
        names "$work/e$i" "$(printf "$nm")" "$(printf 'argv:\001\011\012\037\177\302\237\377\364\220\200\200\\"&<>'"'"'\342\200\256x\303')"
        for fmt in json sarif junit html text; do
            "$WEFT" report --format=$fmt -o "$work/r$i.$fmt" "$db" 2>"$work/rerr" ||
                fail "report --format=$fmt: $(cat "$work/rerr")"
        done
        $PY - "$work/r$i" "$(printf "$nm")" <<'PY' || fail "escapes of name $i"
import json, os, re, sys, xml.etree.ElementTree as ET
base = sys.argv[1]
name = os.fsencode(sys.argv[2])[:15]
arg = b'argv:\x01\t\n\x1f\x7f\xc2\x9f\xff\xf4\x90\x80\x80\\"&<>\'\xe2\x80\xaex\xc3'

def ulen(s):
    """weft__utf8_len: the length of the sequence at s, or -(bytes of the maximal subpart)."""
    c = s[0]
    if c < 0x80:
        return 1
    lo, hi = 0x80, 0xBF
    if 0xC2 <= c <= 0xDF: n = 2
    elif 0xE0 <= c <= 0xEF:
        n = 3
        lo = 0xA0 if c == 0xE0 else lo
        hi = 0x9F if c == 0xED else hi
    elif 0xF0 <= c <= 0xF4:
        n = 4
        lo = 0x90 if c == 0xF0 else lo
        hi = 0x8F if c == 0xF4 else hi
    else:
        return -1
    for i in range(1, n):
        if i >= len(s):
            return -i
        if not ((lo if i == 1 else 0x80) <= s[i] <= (hi if i == 1 else 0xBF)):
            return -i
    return n

def seqs(b):
    while b:
        n = ulen(b)
        yield n, b[:abs(n)]
        b = b[abs(n):]

def as_text(b):
    """textesc.c: controls (C0, DEL, C1) and bad bytes as \\xNN, bidi controls as \\uXXXX."""
    out = ""
    for n, q in seqs(b):
        cp = ord(q.decode()) if n > 0 else None
        if cp is not None and (0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069 or cp in (0x200E, 0x200F, 0x61C)):
            out += "\\u%04x" % cp
        elif n < 0 or q[0] < 0x20 or q[0] == 0x7f or (n == 2 and q[0] == 0xC2 and q[1] < 0xA0):
            out += "".join("\\x%02x" % c for c in q)
        else:
            out += q.decode()
    return out

def as_xml(b, attr):
    """xmlesc.c as a parser reads it back: TAB, LF kept (an attribute
    value turns them into spaces), other C0 and DEL as \\xNN, C1 as
    \\u00NN, bad bytes and U+FFFE/U+FFFF as U+FFFD."""
    out = ""
    for n, q in seqs(b):
        if n < 0:
            out += "\ufffd"
        elif q in (b"\t", b"\n"):
            out += " " if attr else q.decode()
        elif n == 1 and (q[0] < 0x20 or q[0] == 0x7f):
            out += "\\x%02x" % q[0]
        elif n == 2 and q[0] == 0xC2 and q[1] < 0xA0:
            out += "\\u%04x" % q[1]
        elif q in (b"\xef\xbf\xbe", b"\xef\xbf\xbf"):
            out += "\ufffd"
        else:
            out += q.decode()
    return out

def strict(path):
    raw = open(path, "rb").read()
    raw.decode("utf-8")  # strict: never invalid UTF-8
    return raw

uname, uarg = name.decode("utf-8", "replace"), arg.decode("utf-8", "replace")
# JSON: the strings exactly as a "replace" decoder reads the bytes
raw = strict(base + ".json").decode()
# json.c writes every C0, DEL and C1 control as \u00XX: none raw (but the
# layout's line breaks), though JSON itself would allow C1 ones
assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", raw), "raw control in the JSON"
doc = json.loads(raw)
assert doc["processes"][0]["argv"][2] == uarg, (doc["processes"][0]["argv"], uarg)
(f,) = doc["findings"]
assert '"%s"' % uname in f["message"], (f["message"], uname)
# SARIF: JSON too, the name in the result's message (SARIF's markdown
# escapes come first: a backslash is doubled, "[" escaped)
sarif = json.loads(strict(base + ".sarif"))
msg = sarif["runs"][0]["results"][0]["message"]["text"]
assert uname.replace("\\", "\\\\").replace("[", "\\[") in msg, (msg, uname)
# JUnit: XML, argv in the test case's name, the text report in the failure
root = ET.fromstring(strict(base + ".junit"))
(c,) = root.findall("./testsuite/testcase")
assert as_xml(arg, True) in c.get("name"), (c.get("name"), as_xml(arg, True))
(fl,) = c.findall("failure")
assert '"%s"' % as_xml(as_text(name).encode(), False) in fl.text, (fl.text, as_text(name))
# HTML: the data is JSON in a script tag; no raw control byte anywhere
# but LF (and TAB in the page's own code)
html = strict(base + ".html").decode()
data = re.search(r'<script type="application/json" id="weft-data">(.*?)</script>', html, re.S).group(1)
assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", data), "raw control in the HTML data"
d = json.loads(data)
assert d["procs"][0]["argv"][2] == uarg, (d["procs"][0]["argv"], uarg)
assert any(uname == (l[3] or "") for l in d["timeline"]["lanes"]), d["timeline"]["lanes"]
assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", html), "raw control in the HTML"
# text: nothing raw but LF, every control shown as \xNN
text = strict(base + ".text").decode()
assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), repr(text)
assert '"%s"' % as_text(name) in text, (text, as_text(name))
PY
    done
    ;;
report_bad_input)
    trace pitfall_double_close "$db"
    one_line_error "$WEFT" report --format=bogus "$db"
    one_line_error "$WEFT" report --format=json --srcroot "$SRC" "$db"
    one_line_error "$WEFT" report --format=sarif "$work/missing.db"
    one_line_error "$WEFT" report --format=junit "$work/missing.db"
    one_line_error "$WEFT" report --format=sarif -o "$work/no/dir/x.sarif" "$db"
    # -o replaces our own SARIF and JUnit files, never another file
    for fmt in sarif junit; do
        "$WEFT" report --format=$fmt -o "$work/r.$fmt" "$db" || fail "-o $fmt"
        "$WEFT" report --format=$fmt -o "$work/r.$fmt" "$db" || fail "-o $fmt over its own output"
        echo "precious" >"$work/p.$fmt"
        one_line_error "$WEFT" report --format=$fmt -o "$work/p.$fmt" "$db"
        expect "kept" "$(cat "$work/p.$fmt")" precious
    done
    $PY "$CHECK" "$work/r.sarif" >/dev/null || fail "-o SARIF invalid"
    xmllint --noout --schema "$XSD" "$work/r.junit" 2>/dev/null || fail "-o JUnit invalid"
    # a full disk is an error, not a truncated report
    "$WEFT" report --format=sarif -o /dev/full "$db" 2>/dev/null && fail "-o /dev/full succeeded"
    "$WEFT" report --format=junit "$db" >/dev/full 2>"$work/e"
    [ $? -ne 0 ] || fail "junit to /dev/full exited 0"
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
