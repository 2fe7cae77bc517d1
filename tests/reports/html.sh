#!/bin/sh
# SPDX-License-Identifier: MIT
# html.sh: the HTML report (weft report --format=html, weft run --html,
# weft scenarios run --html-dir) on traces of real programs: the page is
# one file whose only script and style are the embedded ones, allowed by
# hash by its Content-Security-Policy; the program's strings (argv, thread
# names) cannot leave the JSON they are put in; stacks come with their
# source, a missing file degrading only its own frames; a big trace gives
# a small page that says what it left out; bad input is one line; and in
# headless Chromium (html_browser) the pages render with no error, their
# timeline, graph and tables drawn, a hover showing its tooltip, a sort
# reordering, and no dialog raised by the program's strings.
name=$1
. "$SRC/tests/common/lib.sh"

# page FILE PYTHON [LINK]: runs PYTHON with `html` (the page's text) and
# `d` (its data, parsed) after checking what every page must be: one file
# (no src= or href= but # and data:, except, given LINK, exactly one
# download link whose href is LINK: the Perfetto trace), a strict CSP
# whose hashes are those of its one script and one style, the data in a
# JSON script tag that nothing broke.
page() {
    /usr/bin/python3 - "$1" "$2" "${3-}" <<'PY'
import base64, hashlib, json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
link = sys.argv[3]
assert html.startswith("<!DOCTYPE html>\n<!-- weft report (HTML)"), html[:80]
m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
assert m, "no CSP"
csp = dict((p.strip().split(" ", 1) + [""])[:2] for p in m.group(1).split(";"))
assert csp["default-src"] == "'none'", csp
def h(s): return "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
assert len(scripts) == 2 and html.count("<script") == 2 and html.count("</script") == 2, "script tags"
assert scripts[0][0] == ' type="application/json" id="weft-data"', scripts[0][0]
assert scripts[1][0] == "" and csp["script-src"] == h(scripts[1][1]), "script hash"
styles = re.findall(r"<style>(.*?)</style>", html, re.S)
assert len(styles) == 1 and csp["style-src"] == h(styles[0]), "style hash"
assert "unsafe" not in m.group(1), csp
markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
out = [ref for ref in re.findall(r"""\b(?:src|href|action|srcset|poster)\s*=\s*["']?([^"'\s>]*)""", markup)
       if not (ref.startswith("#") or ref.startswith("data:"))]
assert out == ([link] if link else []), "references out of the page: %r" % out
if link:
    assert len(re.findall(r'<a class="perfetto" href="%s" download="[^"<>]*">' % re.escape(link), markup)) == 1, "the Perfetto link"
js = scripts[1][1]
assert not re.search(r"\b(fetch|XMLHttpRequest|innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval)\b", js), "the script loads or parses markup"
data = scripts[0][1]
for bad in ("<", ">", "&", "\u2028", "\u2029"):
    assert bad not in data, "unescaped %r in the data" % bad
d = json.loads(data)
exec(sys.argv[2])
PY
}
# trace NAME DB [weft run options]: a scenario program traced into DB
trace() {
    n=$1 out=$2
    shift 2
    "$WEFT" run -q "$@" -o "$out" -- "$SCEN/$n" >/dev/null 2>&1
}
xss_argv='</script><script>alert(1)</script>'
xss_name='<img src=x onerror=alert(1)>'
# xss DIR: t_html_xss.c copied to DIR, built there, traced into DIR/x.db
xss() {
    cp "$SRC/tests/reports/t_html_xss.c" "$1/t_html_xss.c"
    "$CC" -g -O0 -pthread -I"$SRC/tests/reports" -o "$1/t_html_xss" "$1/t_html_xss.c" ||
        fail "cannot build t_html_xss"
    "$WEFT" run -q -o "$1/x.db" -- "$1/t_html_xss" "$xss_argv" "$xss_name" >"$1/x.out" 2>/dev/null
    expect "t_html_xss exit" "$?" 0
    expect "t_html_xss stdout" "$(cat "$1/x.out")" named
}

case $name in
html_page)
    trace pitfall_leaky_goroutine "$db"
    "$WEFT" report --format=html -o "$work/r.html" "$db" || fail "report failed"
    expect "mode" "$(stat -c %a "$work/r.html")" 600
    page "$work/r.html" '
assert d["version"] == 1 and d["scheme"] == "weft/v1"
p = d["procs"][0]
assert p["argv"][0].endswith("pitfall_leaky_goroutine") and p["exit"] == "return" and p["code"] == 0, p
assert p["threads"] == 2 and p["dur"] > 0, p
g, = d["groups"]
assert g["kind"] == "leaked-thread" and g["count"] == 1 and len(g["fp"]) == 16, g
assert g["function"] == "compute" and g["file"].endswith("pitfall_leaky_goroutine.c") and g["line"] == 16, g
assert g["blocked"] == "chan send" and g["blocked_on"].startswith("chan 0x") and g["blocked_on"].endswith("made in leaky"), g
k = d["kinds"]["leaked-thread"]
assert k["explain"] and k["fix"] and k["severity"] == "error", k
blocked = [s for s in g["stacks"] if s["role"] == "blocked"][0]["frames"][0]
src = blocked["src"]
assert src["first"] == 13 and "weft_chan_send(ch, &result)" in src["lines"][16 - 13], src
tl = d["timeline"]
assert [l[4] for l in tl["lanes"]] == ["main", "compute"], tl["lanes"]
assert any(b[0] == 1 and tl["states"][b[3]] == "send" for b in tl["bars"]), tl["bars"]
assert any(m[0] == 1 and m[2] == "leaked-thread" for m in tl["marks"]), tl["marks"]
c, = d["channels"]
assert c["blocked"] == 1 and c["closes"] == 0 and c["creator"] == "leaky", c
assert d["graph"] == [["compute", "(nobody)", 0, 0, 0, 1]], d["graph"]
assert [t[4] for t in d["threads"]] == ["main", "compute"] and d["threads"][1][5] == "alive-at-exit", d["threads"]
' || fail "page"
    # a finding about a process's first thread names it main (it has no
    # start routine of its own)
    trace pitfall_global_deadlock "$work/gd.db"
    "$WEFT" report --format=html -o "$work/gd.html" "$work/gd.db" || fail "report failed"
    page "$work/gd.html" '
g, = d["groups"]
assert g["kind"] == "deadlock" and g["tid"] == 1 and g["start"] == "main", g
' || fail "page of a deadlock of main"
    # a weft_group_go blocked at the group's limit waits for a token: a
    # semaphore's colour, not the WaitGroup's (only its Wait is that)
    trace pattern_errgroup_limit "$work/eg.db"
    "$WEFT" report --format=html -o "$work/eg.html" "$work/eg.db" || fail "report failed"
    page "$work/eg.html" '
tl = d["timeline"]
assert tl["lanes"][0][4] == "main", tl["lanes"][0]
main = [tl["states"][b[3]] for b in tl["bars"] if b[0] == 0]
assert main.count("wg") <= 1 and main.count("sem") >= 1, main
' || fail "page of an errgroup with a limit"
    # two traces, and a baseline: one page, each group marked
    trace pitfall_double_close "$work/dc.db"
    "$WEFT" report --format=html --baseline "$db" -o "$work/two.html" "$db" "$work/dc.db" ||
        fail "report of two traces failed"
    page "$work/two.html" '
assert d["has_baseline"] and len(d["traces"]) == 2 and len(d["procs"]) == 2, d["traces"]
st = {g["kind"]: g["baseline"] for g in d["groups"]}
assert st == {"leaked-thread": "unchanged", "double-close": "new"}, st
lanes = d["timeline"]["lanes"]
assert sorted({l[0] for l in lanes}) == [0, 1] and len(lanes) == 5, lanes
' || fail "two traces"
    # sends made by a select's case count for their routine: the worker
    # pool's workers send their results from a select
    trace pattern_worker_pool "$work/wp.db"
    "$WEFT" report --format=html -o "$work/wp.html" "$work/wp.db" || fail "report failed"
    page "$work/wp.html" '
e = sorted((x[0], x[1], x[3], x[4]) for x in d["graph"])
assert e == [("produce_jobs", "worker", 20, 20), ("worker", "main", 20, 20)], e
' || fail "select sends"
    # the same to stdout, byte for byte but for the name the command to
    # write the Perfetto trace gives it (after the page, "report" on stdout)
    "$WEFT" report --format=html "$db" >"$work/s.html" || fail "report to stdout failed"
    sed "s|$work/r.perfetto.json|report.perfetto.json|" "$work/r.html" >"$work/r2.html"
    cmp -s "$work/r2.html" "$work/s.html" || fail "-o and stdout differ"
    # -o replaces an older report, never another file
    "$WEFT" report --format=html -o "$work/r.html" "$db" || fail "cannot replace the report"
    echo "precious" >"$work/other.html"
    one_line_error "$WEFT" report --format=html -o "$work/other.html" "$db"
    expect "other file" "$(cat "$work/other.html")" precious
    ;;
html_escape)
    # argv and a thread name made to break out: text on the page, and
    # nothing of them is markup in the file
    xss "$work"
    expect "thread name as the OS kept it" "$(sqlite3 "$work/x.db" "SELECT name FROM threads WHERE tid = 2")" "<img src=x oner"
    "$WEFT" report --format=html -o "$work/x.html" "$work/x.db" || fail "report failed"
    grep -q '<img' "$work/x.html" && fail "an <img in the page"
    grep -q 'alert(1)</script' "$work/x.html" && fail "the argv's </script> in the page"
    page "$work/x.html" '
a = d["procs"][0]["argv"]
assert a[1:] == ["</script><script>alert(1)</script>", "<img src=x onerror=alert(1)>"], a
g, = d["groups"]
assert g["thread_name"] == "<img src=x oner", g
assert "\\u003c/script\\u003e" in html and "\\u003cimg src=x oner" in html
assert [l[3] for l in d["timeline"]["lanes"]] == [None, "<img src=x oner"], d["timeline"]["lanes"]
' || fail "page"
    # U+2028/2029 in a string stay escaped too
    "$WEFT" run -q -o "$work/u.db" -- "$work/t_html_xss" "$(printf 'a\342\200\250b\342\200\251c')" x >/dev/null 2>&1
    "$WEFT" report --format=html -o "$work/u.html" "$work/u.db" || fail "report failed"
    page "$work/u.html" '
assert d["procs"][0]["argv"][1] == "a\u2028b\u2029c"
assert "a\\u2028b\\u2029c" in html
' || fail "line separators"
    ;;
html_missing_source)
    # the copy of t_html_xss.c it was built from is gone: its frames say
    # so, the frames of t_html_block.h keep their source
    xss "$work"
    rm "$work/t_html_xss.c"
    "$WEFT" report --format=html -o "$work/x.html" "$work/x.db" || fail "report failed"
    page "$work/x.html" '
fr = [f for g in d["groups"] for s in g["stacks"] for f in s["frames"]]
gone = [f for f in fr if f["file"] and f["file"].endswith("/t_html_xss.c")]
kept = [f for f in fr if f["file"] and f["file"].endswith("/t_html_block.h")]
assert gone and kept, fr
assert all(isinstance(f["src"], str) and "not available" in f["src"] for f in gone), gone
assert all(isinstance(f["src"], dict) and f["src"]["lines"] for f in kept), kept
assert {f["fn"] for f in gone} >= {"start", "main"}, gone
' || fail "page"
    ;;
html_run)
    # weft run --html: the program as without weft, the trace and the page
    xss "$work"
    "$work/t_html_xss" a b >"$work/plain.out"
    plain=$?
    "$WEFT" run -q -o "$db" --html "$work/run.html" -- "$work/t_html_xss" a b >"$work/w.out" 2>"$work/w.err"
    expect "exit status" "$?" "$plain"
    cmp -s "$work/plain.out" "$work/w.out" || fail "stdout differs under weft"
    [ -s "$db" ] || fail "no trace"
    "$WEFT" report --format=html --perfetto-link run.perfetto.json "$db" >"$work/rep.html"
    cmp -s "$work/run.html" "$work/rep.html" || fail "weft run --html is not weft report --format=html of its trace"
    page "$work/run.html" 'assert d["groups"][0]["kind"] == "leaked-thread"' run.perfetto.json || fail "page"
    # without -q it says where the page is
    "$WEFT" run -o "$work/b.db" --html "$work/b.html" -- "$work/t_html_xss" >/dev/null 2>"$work/err2"
    grep -q "^==weft== report: $work/b.html (Perfetto trace: $work/b.perfetto.json)\$" "$work/err2" ||
        fail "no report line: $(cat "$work/err2")"
    # refused before the program runs: nothing is written
    one_line_error "$WEFT" run -q --html "$work/nodir/x.html" -- "$work/t_html_xss"
    one_line_error "$WEFT" run -q -o "$work/same" --html "$work/same" -- "$work/t_html_xss"
    [ -e "$work/same" ] && fail "a file made at the refused path"
    echo keep >"$work/notreport.html"
    one_line_error "$WEFT" run -q --html "$work/notreport.html" -- "$work/t_html_xss"
    expect "untouched" "$(cat "$work/notreport.html")" keep
    ;;
html_bad)
    trace pitfall_double_close "$db"
    one_line_error "$WEFT" report --format=html "$work/nope.db"
    one_line_error "$WEFT" report --format=html -o "$work/nodir/r.html" "$db"
    one_line_error "$WEFT" report --format=html -o "$db" "$db"
    one_line_error "$WEFT" report --format=htm "$db"
    echo "not a trace" >"$work/junk.db"
    one_line_error "$WEFT" report --format=html "$work/junk.db"
    # a full disk is an error, not half a page
    one_line_error "$WEFT" report --format=html -o /dev/full "$db"
    "$WEFT" report --format=html "$db" >/dev/full 2>"$work/e" && fail "writing to /dev/full succeeded"
    ;;
html_scenarios)
    # weft scenarios run --html-dir: a page per scenario and an index
    # linking each with its verdict, and the scoreboard
    "$WEFT" scenarios run -j2 --html-dir "$work/h" pitfall_leaky_goroutine pitfall_double_close \
        pattern_pipeline >"$work/out" 2>"$work/err"
    expect "scenarios exit" "$?" 0
    for s in pitfall_leaky_goroutine pitfall_double_close pattern_pipeline; do
        page "$work/h/$s.html" 'assert d["procs"][0]["argv"][0].endswith("/'$s'")' || fail "page of $s"
    done
    /usr/bin/python3 - "$work/h" <<'PY' || fail "index"
import os, re, sys
d = sys.argv[1]
html = open(os.path.join(d, "index.html")).read()
assert html.startswith("<!DOCTYPE html>\n<!-- weft report (HTML)")
assert "<script" not in html
links = re.findall(r'<a class="report" href="([^"]*)">', html)
want = ["pitfall_leaky_goroutine.html", "pitfall_double_close.html", "pattern_pipeline.html"]
assert sorted(links) == sorted(want), links
for l in links:
    assert os.path.isfile(os.path.join(d, l)), l
rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r'<tr><td class="mono">.*?</tr>', html)]
got = sorted((r[0], r[5]) for r in rows)
assert got == sorted([(w[:-5], "pass") for w in want]), rows
assert 'id="scoreboard"' in html and "<td>all</td><td class=\"num\">3</td>" in html, "scoreboard"
PY
    # a bad --html-dir is refused before any run
    one_line_error "$WEFT" scenarios run --html-dir "$work/no/such" pattern_pipeline
    echo x >"$work/file"
    one_line_error "$WEFT" scenarios run --html-dir "$work/file" pattern_pipeline
    ;;
html_big)
    # 40 pairs passing 2000 values each, every operation a row: the page
    # merges and samples, stays small, and says what it left out
    [ -x "$HTML_BUSY" ] || fail "no t_html_busy"
    "$WEFT" run -q --all-events -o "$db" -- "$HTML_BUSY" 40 2000 >"$work/out" 2>/dev/null
    expect "exit" "$?" 0
    expect "stdout" "$(cat "$work/out")" "40 pairs, 2000 messages each"
    "$WEFT" report --format=html -o "$work/big.html" "$db" || fail "report failed"
    size=$(stat -c %s "$work/big.html")
    [ "$size" -lt 5000000 ] || fail "page of $size bytes"
    page "$work/big.html" '
tl = d["timeline"]
assert len(tl["lanes"]) == 81, len(tl["lanes"])
assert len(tl["flows"]) == 2000 and tl["flows_found"] >= 40 * 1900, (len(tl["flows"]), tl["flows_found"])
notes = " ".join(d["notes"])
assert "arrows shown (a uniform sample)" in notes, notes
c = d["channels"]
assert len(c) == 40 and all(x["sends"] == 2000 and x["recvs"] == 2000 and x["closes"] == 1 for x in c), c[:2]
assert all(e[3] == 2000 and e[4] == 2000 for e in d["graph"]), d["graph"][:2]
' || fail "page"
    ;;
html_perfetto_run)
    # weft run --html writes the Perfetto trace beside the page, and the
    # page's one link resolves to it
    prog=$SCEN/pattern_pipeline
    "$prog" >"$work/plain.out" 2>/dev/null
    plain=$?
    "$WEFT" run -q --all-events -o "$db" --html "$work/run.html" -- "$prog" >"$work/w.out" 2>/dev/null
    expect "exit status" "$?" "$plain"
    cmp -s "$work/plain.out" "$work/w.out" || fail "stdout differs under weft"
    expect "page mode" "$(stat -c %a "$work/run.html")" 600
    expect "perfetto mode" "$(stat -c %a "$work/run.perfetto.json")" 600
    page "$work/run.html" '
import os, urllib.parse
href = re.search(r"<a class=\"perfetto\" href=\"([^\"]*)\" download=\"([^\"]*)\">", html)
p = os.path.join(os.path.dirname(sys.argv[1]), urllib.parse.unquote(href.group(1)))
assert os.path.samefile(p, sys.argv[1][:-5] + ".perfetto.json"), p
assert href.group(2) == "run.perfetto.json", href.groups()
t = json.load(open(p))
ev = t["traceEvents"]
assert any(e.get("ph") == "M" and e.get("name") == "thread_name" for e in ev), "no thread names"
assert any(e.get("ph") in ("s", "f") for e in ev), "no flows"
assert "<code>ui.perfetto.dev</code>" in html and "\u201cOpen trace file\u201d" in html and "without <code class=\"nw\">--all-events</code>" in html
' run.perfetto.json || fail "page"
    # the Perfetto trace is what weft report --format=perfetto writes
    "$WEFT" report --format=perfetto "$db" >"$work/rep.json" || fail "report --format=perfetto"
    cmp -s "$work/rep.json" "$work/run.perfetto.json" || fail "the run's Perfetto trace differs from weft report's"
    # a page named without .html: NAME.perfetto.json; a name with
    # characters a URL must encode (a space, ':', '#', '%') still links
    "$WEFT" run -q -o "$work/b.db" --html "$work/p:a #b%" -- "$prog" >/dev/null 2>&1
    [ -s "$work/p:a #b%.perfetto.json" ] || fail "no Perfetto trace beside a page without .html"
    page "$work/p:a #b%" 'assert "p%3Aa%20%23b%25.perfetto.json" in html' "p%3Aa%20%23b%25.perfetto.json" || fail "encoded link"
    # the Perfetto file is checked before the program runs, like the page:
    # never over a file that is not a weft report, never the trace itself
    echo precious >"$work/s.perfetto.json"
    one_line_error "$WEFT" run -q -o "$work/s.db" --html "$work/s.html" -- /usr/bin/touch "$work/ran"
    [ -e "$work/ran" ] && fail "the program ran though its Perfetto trace was refused"
    [ -e "$work/s.html" ] && fail "a page was written though its Perfetto trace was refused"
    expect "untouched" "$(cat "$work/s.perfetto.json")" precious
    one_line_error "$WEFT" run -q -o "$work/t.perfetto.json" --html "$work/t.html" -- /usr/bin/touch "$work/ran"
    [ -e "$work/ran" ] && fail "the program ran though its Perfetto trace is the trace"
    # an older Perfetto trace of weft's is replaced
    "$WEFT" run -q -o "$work/b.db" --html "$work/run.html" -- "$prog" >/dev/null 2>&1 ||
        fail "cannot replace the page and its Perfetto trace"
    ;;
html_perfetto_link)
    # weft report --format=html: the command, or --perfetto-link's link
    mkdir -p "$work/sub dir"
    trace pattern_pipeline "$work/sub dir/it's.db"
    "$WEFT" report --format=html -o "$work/cmd.html" "$work/sub dir/it's.db" || fail "report failed"
    # the trace's path has a space and a quote: one shell word each
    WANT="weft report --format=perfetto -o $work/cmd.perfetto.json '$work/sub dir/it'\\''s.db'"
    export WANT
    page "$work/cmd.html" '
import html as H, os
cmd = H.unescape(re.search(r"<pre class=\"mono perfetto-cmd\">([^<]*)</pre>", html).group(1))
assert cmd == os.environ["WANT"], (cmd, os.environ["WANT"])
assert "<code>ui.perfetto.dev</code>" in html and "\u201cOpen trace file\u201d" in html and "without <code class=\"nw\">--all-events</code>" in html
open(os.path.dirname(sys.argv[1]) + "/cmd.sh", "w").write(cmd)
' || fail "page with the command"
    # the command the page shows works as it is
    (cd "$work" && PATH=$(dirname "$WEFT"):$PATH sh ./cmd.sh) || fail "the page's command failed"
    /usr/bin/python3 -c "import json, sys; json.load(open(sys.argv[1]))['traceEvents']" "$work/cmd.perfetto.json" ||
        fail "the command's Perfetto trace"
    # with --perfetto-link: exactly that one link, no command
    "$WEFT" report --format=html --perfetto-link "traces/p 1.json" -o "$work/l.html" "$work/sub dir/it's.db" ||
        fail "report with --perfetto-link failed"
    page "$work/l.html" '
assert "<pre class=\"mono perfetto-cmd" not in html and ">traces/p 1.json</a>" in html and "download=\"p 1.json\"" in html
assert "\u201cOpen trace file\u201d" in html
' "traces/p%201.json" || fail "page with the link"
    # the check itself fails on any other reference, or a second link
    sed 's|<div id="app">|<a href="x.json">x</a><div id="app">|' "$work/l.html" >"$work/bad1.html"
    page "$work/bad1.html" 'pass' "traces/p%201.json" 2>/dev/null && fail "another href passed"
    sed 's|<div id="app">|<a class="perfetto" href="traces/p%201.json" download="x">x</a><div id="app">|' "$work/l.html" >"$work/bad2.html"
    page "$work/bad2.html" 'pass' "traces/p%201.json" 2>/dev/null && fail "a second link passed"
    page "$work/l.html" 'pass' 2>/dev/null && fail "a link passed where none is allowed"
    # a hostile NAME is refused in one line, and nothing is written
    for n in 'javascript:alert(1)' 'https://example.org/x.json' '//host/x.json' '/etc/passwd' \
        'a"b.json' "a'b.json" 'a<b.json' "$(printf 'a\nb.json')" "$(printf 'a\tb')" 'x/../y//z'; do
        one_line_error "$WEFT" report --format=html --perfetto-link "$n" -o "$work/h.html" "$work/sub dir/it's.db"
        [ -e "$work/h.html" ] && fail "a page was written with --perfetto-link '$n'"
    done
    one_line_error "$WEFT" report --format=json --perfetto-link x.json "$work/sub dir/it's.db"
    ;;
html_browser)
    # real headless Chromium over the DevTools protocol: several reports
    need chromium
    /usr/bin/python3 -c "import websocket" 2>/dev/null || fail "needs python3-websocket (scripts/deps.sh)"
    shots=${SHOTS:-$work/shots}
    mkdir -p "$shots"
    trace pattern_pipeline "$work/pattern_pipeline.db" --all-events
    trace pattern_worker_pool "$work/pattern_worker_pool.db"
    trace pitfall_leaky_goroutine "$work/pitfall_leaky_goroutine.db"
    trace pitfall_double_close "$work/pitfall_double_close.db"
    "$WEFT" run -q --all-events -o "$work/busy.db" -- "$HTML_BUSY" 20 1000 >/dev/null 2>&1
    xss "$work"
    for t in pattern_pipeline pattern_worker_pool pitfall_leaky_goroutine pitfall_double_close busy x; do
        "$WEFT" report --format=html -o "$work/$t.html" "$work/$t.db" || fail "report of $t"
    done
    check=$SRC/tests/browser/check_report.py
    /usr/bin/python3 "$check" --shots "$shots" --need-graph --need-flows \
        "$work/pattern_pipeline.html" "$work/busy.html" >"$work/b1" 2>&1 || fail "$(cat "$work/b1")"
    /usr/bin/python3 "$check" --shots "$shots" --need-graph \
        "$work/pattern_worker_pool.html" "$work/pitfall_leaky_goroutine.html" \
        "$work/pitfall_double_close.html" >"$work/b2" 2>&1 || fail "$(cat "$work/b2")"
    /usr/bin/python3 "$check" --shots "$shots" --text "$xss_argv" --text "<img src=x oner" \
        "$work/x.html" >"$work/b3" 2>&1 || fail "$(cat "$work/b3")"
    for s in pattern_pipeline busy pattern_worker_pool pitfall_leaky_goroutine pitfall_double_close x; do
        [ -s "$shots/$s.png" ] || fail "no screenshot of $s"
    done
    # the checker itself must be able to fail: a page whose script raises a
    # dialog is caught
    sed 's|"use strict";|"use strict"; alert(1);|' "$work/x.html" >"$work/bad.html"
    /usr/bin/python3 - "$work/bad.html" <<'PY'
import base64, hashlib, re, sys
p = sys.argv[1]
h = open(p).read()
js = re.findall(r"<script>(.*?)</script>", h, re.S)[0]
new = "'sha256-" + base64.b64encode(hashlib.sha256(js.encode()).digest()).decode() + "'"
h = re.sub(r"script-src '[^']*'", "script-src " + new, h)
open(p, "w").write(h)
PY
    /usr/bin/python3 "$check" --shots "$work/badshots" "$work/bad.html" >"$work/b4" 2>&1 &&
        fail "a page raising a dialog passed"
    grep -q "a dialog opened" "$work/b4" || fail "the dialog was not reported: $(cat "$work/b4")"
    # and the CSP is enforced: a script changed after its hash was taken
    # does not run, and the browser says so
    sed 's|"use strict";|"use strict"; alert(2);|' "$work/x.html" >"$work/csp.html"
    /usr/bin/python3 "$check" --shots "$work/badshots" "$work/csp.html" >"$work/b5" 2>&1 &&
        fail "a page with a script its CSP does not allow passed"
    grep -q "the script did not finish drawing" "$work/b5" || fail "the script ran: $(cat "$work/b5")"
    grep -q "Content Security Policy" "$work/b5" || fail "no CSP violation reported: $(cat "$work/b5")"
    grep -q "a dialog opened" "$work/b5" && fail "the changed script ran: $(cat "$work/b5")"
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
