#!/bin/sh
# SPDX-License-Identifier: MIT
# scenarios_test.sh: `weft scenarios list|run` (issue 10) against the
# fixture programs of scenario_fixtures/ (a clean one and a buggy one) and
# manifests made per case from them: what passes passes, each kind of
# mismatch (count, line, output, status) is detected and said, the JUnit
# file parses whatever the text holds, -j and --repeat, --keep, and every
# bad input is one line and a non-zero exit.
name=$1
. "$(dirname "$0")/../common/lib.sh"

fx=$BIN/scenario_fixtures
# sdir DIR PROG...: a scenario directory holding the fixture manifest and
# links to the fixture programs (and to more names: NAME=PROG)
sdir() {
    d=$1
    shift
    mkdir -p "$d"
    cp "$fx/manifest" "$d/manifest"
    for p in sc_clean sc_leak "$@"; do
        case $p in
        *=*) ln -sf "$fx/${p#*=}" "$d/${p%%=*}" ;;
        *) ln -sf "$fx/$p" "$d/$p" ;;
        esac
    done
}
# scen ARGS...: weft scenarios with stdout in $work/out, stderr in $work/err
scen() {
    "$WEFT" scenarios "$@" >"$work/out" 2>"$work/err"
    rc=$?
}
# row NAME: the table row of scenario NAME
row() { grep "^$1 " "$work/out" | head -n 1; }

# The failing set: four scenarios that each get one thing wrong, and a
# buggy program declared clean (a false positive).
failing() {
    sdir "$work/f" wrong_count=sc_leak wrong_line=sc_leak wrong_output=sc_clean \
        wrong_status=sc_clean declared_clean=sc_leak
    # wrong_line's line, sc_leak.c:17, is the return after a read that
    # never returns: no stack is ever there. (16, the read itself, is the
    # blocked stack's first frame when the reader got there before main
    # exited: on those schedules wrong_line passed and the case failed.)
    cat >>"$work/f/manifest" <<'EOM'

scenario: wrong_count
family: fixtures-bad
class: blocking message-passing
summary: expects two leaks, makes one
expect: leaked-thread 2

scenario: wrong_line
family: fixtures-bad
class: blocking message-passing
summary: the leak, expected at the wrong line
expect: leaked-thread 1
line: leaked-thread sc_leak.c:17

scenario: wrong_output
family: fixtures-bad
class: non-blocking shared-memory
summary: expects 17 where 16 is printed
output: 17
output: 25

scenario: wrong_status
family: fixtures-bad
class: non-blocking shared-memory
summary: exits 3, expected 0
args: 3

scenario: declared_clean
family: fixtures-bad
class: non-blocking shared-memory
summary: the leak, declared clean
EOM
}

case $name in
scen_pass)
    # The fixtures as their manifest says: everything passes, the table
    # and the scoreboard say so, the run directories are gone.
    mkdir "$work/tmp"
    WEFT_SCENARIOS=$fx TMPDIR=$work/tmp scen run
    expect "exit status" "$rc" 0
    row sc_clean | grep -q '^sc_clean  *none  *none  *pass ' || fail "sc_clean row: $(row sc_clean)"
    row sc_leak | grep -q '^sc_leak  *leaked-thread=1  *leaked-thread=1  *pass ' ||
        fail "sc_leak row: $(row sc_leak)"
    grep -q '^all  *2  *1  *0  *0  *1.00  *1.00$' "$work/out" ||
        fail "scoreboard: $(grep '^all' "$work/out")"
    grep -q '^2 scenarios, 2 passed, 0 failed' "$work/out" || fail "last line: $(tail -n 1 "$work/out")"
    # not a terminal: plain progress lines
    expect "progress lines" "$(grep -c '^pass sc_' "$work/err")" 2
    expect "run directories left" "$(ls -A "$work/tmp")" ""
    # one scenario by name, and by glob
    WEFT_SCENARIOS=$fx scen run sc_leak
    expect "by name: status" "$rc" 0
    expect "by name: rows" "$(grep -c '^sc_' "$work/out")" 1
    WEFT_SCENARIOS=$fx scen run 'sc_c*'
    expect "by glob: status" "$rc" 0
    row sc_clean | grep -q pass || fail "by glob: no sc_clean row"
    ;;
scen_fail)
    failing
    WEFT_SCENARIOS=$work/f scen run
    expect "exit status" "$rc" 1
    for s in wrong_count wrong_line wrong_output wrong_status declared_clean; do
        row $s | grep -q ' FAIL ' || fail "$s not failed: $(row $s)"
    done
    for s in sc_clean sc_leak; do
        row $s | grep -q ' pass ' || fail "$s not passed: $(row $s)"
    done
    # each mismatch said, under its scenario
    grep -q 'leaked-thread: expected 2, found 1' "$work/out" || fail "wrong count not said"
    grep -q 'leaked-thread: no finding.s first frame is at sc_leak.c:17' "$work/out" ||
        fail "wrong line not said"
    # (after reader's :16 on the schedules that have a blocked stack)
    grep -q 'leaked-thread: first frame not at a listed line: .*main .*sc_leak.c:24' "$work/out" ||
        fail "the frame found not shown"
    grep -q "output line 1: expected '17', got '16'" "$work/out" || fail "wrong output not said"
    grep -q 'status: expected 0, got 3' "$work/out" || fail "wrong status not said"
    grep -q 'leaked-thread: expected 0, found 1' "$work/out" || fail "declared_clean not said"
    # scoreboard: the blocking class has 3 TP (sc_leak, wrong_count's
    # one, wrong_line's) and 1 FN (wrong_count's second); the non-blocking
    # class has the declared-clean leak as a FP
    grep -q '^blocking message-passing  *3  *3  *1  *0  *1.00  *0.75$' "$work/out" ||
        fail "blocking scoreboard: $(grep '^blocking' "$work/out")"
    grep -q '^non-blocking shared-memory  *4  *0  *0  *1  *0.00  *-$' "$work/out" ||
        fail "non-blocking scoreboard: $(grep '^non-blocking' "$work/out")"
    grep -q '^7 scenarios, 2 passed, 5 failed' "$work/out" || fail "last line: $(tail -n 1 "$work/out")"
    grep -q '^FAIL wrong_status' "$work/err" || fail "no progress line for wrong_status"
    ;;
scen_junit)
    # JUnit from a failing run whose text holds markup, a control byte and
    # bytes that are not UTF-8 (from the manifest and so into the failure
    # text): it must parse, one testcase per scenario, classname = family.
    failing
    printf '\nscenario: odd_output\nfamily: fixtures-<&>\nclass: non-blocking shared-memory\nsummary: a <summary> & "quotes" \001 \377\noutput: <a & "b"> \001 \377 \357\277\276 ]]>\n' \
        >>"$work/f/manifest"
    ln -s "$fx/sc_clean" "$work/f/odd_output"
    WEFT_SCENARIOS=$work/f scen run --junit "$work/j.xml"
    expect "exit status" "$rc" 1
    [ -f "$work/j.xml" ] || fail "no JUnit file"
    /usr/bin/python3 - "$work/j.xml" >"$work/py" 2>&1 <<'EOP' || fail "JUnit: $(cat "$work/py")"
import re, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
cases = root.findall("./testsuite/testcase")
by = {c.get("name"): c for c in cases}
assert len(cases) == 8, len(cases)
assert by["sc_leak"].get("classname") == "fixtures"
assert by["sc_leak"].find("failure") is None
f = by["wrong_count"].find("failure")
assert f is not None and "leaked-thread: expected 2, found 1" in f.text, f.text
# the frames found: the creation's, after the blocked read's when the
# reader got there before main returned (either schedule)
assert re.search(r"leaked-thread: (reader \S*sc_leak\.c:16, )?main \S*sc_leak\.c:24", f.text), f.text
assert f.get("message") == "leaked-thread: expected 2, found 1", f.get("message")
odd = by["odd_output"]
assert odd.get("classname") == "fixtures-<&>", odd.get("classname")
t = odd.find("failure").text
assert '<a & "b">' in t and "\\x01" in t and "\ufffd" in t and "]]>" in t, repr(t)
assert int(root.get("failures")) == 6, root.get("failures")
print("ok")
EOP
    # a second run writes over our own JUnit file, never over another file
    WEFT_SCENARIOS=$work/f scen run sc_clean --junit "$work/j.xml"
    expect "rewrite: status" "$rc" 0
    grep -q 'tests="1"' "$work/j.xml" || fail "JUnit not rewritten"
    echo "not junit" >"$work/other.xml"
    WEFT_SCENARIOS=$work/f one_line_error "$WEFT" scenarios run sc_clean --junit "$work/other.xml"
    expect "other file kept" "$(cat "$work/other.xml")" "not junit"
    ;;
scen_known)
    # A known gap: its mismatch is reported as "known" and fails nothing;
    # once it passes, the run fails until its known: line goes.
    sdir "$work/k" gap=sc_leak healed=sc_clean
    cat >>"$work/k/manifest" <<'EOM'

scenario: gap
family: fixtures-known
class: blocking message-passing
summary: the leak, expected at a line no finding can point at (an #include)
known: stands for a gap of weft's
expect: leaked-thread 1
line: leaked-thread sc_leak.c:9

scenario: healed
family: fixtures-known
class: non-blocking shared-memory
summary: declared a known gap, but passes
known: was a gap once
EOM
    WEFT_SCENARIOS=$work/k scen run gap sc_clean --junit "$work/k.xml"
    expect "known gap: exit status" "$rc" 0
    row gap | grep -q ' known ' || fail "gap not known: $(row gap)"
    grep -q '1 passed, 1 known gap, 0 failed' "$work/out" || fail "summary: $(tail -1 "$work/out")"
    /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E
t = E.parse(sys.argv[1]).getroot()
c = [x for x in t.iter("testcase") if x.get("name") == "gap"][0]
assert c.find("skipped") is not None and c.find("failure") is None
assert t.get("failures") == "0"' "$work/k.xml" || fail "JUnit: the known gap is not a skip"
    WEFT_SCENARIOS=$work/k scen run healed
    expect "known gap that passes: exit status" "$rc" 1
    row healed | grep -q ' FAIL ' || fail "healed not failed: $(row healed)"
    grep -q 'healed: passes, but the manifest calls it a known gap' "$work/out" ||
        fail "not said why: $(cat "$work/out")"
    ;;
scen_jobs_repeat)
    WEFT_SCENARIOS=$fx scen run -j 2 --repeat 3
    expect "exit status" "$rc" 0
    expect "runs" "$(grep -c '^pass sc_' "$work/err")" 6
    grep -q '^2 scenarios, 2 passed, 0 failed (3 runs each)' "$work/out" ||
        fail "last line: $(tail -n 1 "$work/out")"
    # counts over every run: 3 runs of one expected finding
    grep -q '^all  *2  *3  *0  *0  *1.00  *1.00$' "$work/out" ||
        fail "scoreboard: $(grep '^all' "$work/out")"
    # a mismatch in any run fails the scenario
    failing
    WEFT_SCENARIOS=$work/f scen run -j2 --repeat=2 wrong_status sc_leak
    expect "failing: status" "$rc" 1
    row wrong_status | grep -q 'FAIL 2/2' || fail "wrong_status: $(row wrong_status)"
    row sc_leak | grep -q ' pass ' || fail "sc_leak: $(row sc_leak)"
    ;;
scen_timeout)
    # a run past its timeout: stopped (SIGTERM through weft run), failed,
    # said; the other scenarios still run and pass
    sdir "$work/t" hang=/bin/sleep
    ln -sf /bin/sleep "$work/t/hang"
    printf '\nscenario: hang\nfamily: fixtures-bad\nclass: blocking shared-memory\nsummary: sleeps past its timeout\nargs: 60\ntimeout: 1\n' >>"$work/t/manifest"
    WEFT_SCENARIOS=$work/t scen run -j 3
    expect "exit status" "$rc" 1
    row hang | grep -q ' FAIL ' || fail "hang: $(row hang)"
    grep -q 'timed out after 1 s' "$work/out" || fail "timeout not said: $(cat "$work/out")"
    row sc_leak | grep -q ' pass ' || fail "sc_leak: $(row sc_leak)"
    ;;
scen_timeout_tree)
    # a run past its timeout whose program ignores SIGTERM and has a child:
    # the SIGKILL 10 s later ends the run's whole tree (its process
    # group), not only weft run, which left them running
    sdir "$work/t"
    cat >"$work/t/tree" <<EOS
#!/bin/sh
trap '' TERM
/bin/sleep 600 &
echo \$\$ \$! >"$work/tree.pids"
wait
wait
EOS
    chmod +x "$work/t/tree"
    printf '\nscenario: tree\nfamily: fixtures-bad\nclass: blocking shared-memory\nsummary: ignores SIGTERM, with a child\ntimeout: 1\n' >>"$work/t/manifest"
    WEFT_SCENARIOS=$work/t scen run tree
    expect "exit status" "$rc" 1
    grep -q 'timed out after 1 s' "$work/out" || fail "timeout not said: $(cat "$work/out")"
    [ -s "$work/tree.pids" ] || fail "the program did not start: $(cat "$work/out" "$work/err")"
    for p in $(cat "$work/tree.pids"); do
        # a killed process may still be a zombie for a moment: its state
        i=0
        while [ $i -lt 100 ] && kill -0 "$p" 2>/dev/null &&
            ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; do
            i=$((i + 1))
            sleep 0.1
        done
        if kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
            fail "process $p of the timed-out run is still running: $(cat "/proc/$p/cmdline" | tr '\0' ' ')"
            kill -9 "$p"
        fi
    done
    ;;
scen_stop)
    # SIGTERM to the runner: its runs are stopped, their directories
    # removed, and it exits 128+15 without a table
    sdir "$work/t"
    ln -sf /bin/sleep "$work/t/hang"
    printf '\nscenario: hang\nfamily: fixtures-bad\nclass: blocking shared-memory\nsummary: sleeps\nargs: 60\n' >>"$work/t/manifest"
    mkdir "$work/tmp"
    WEFT_SCENARIOS=$work/t TMPDIR=$work/tmp "$WEFT" scenarios run hang >"$work/out" 2>"$work/err" &
    pid=$!
    # wait (at most 20 s) until the program runs: the log weft run makes
    i=0
    # (the run's directory holds stdout and stderr first, then weft run's
    # trace and logs)
    while ! ls "$work"/tmp/weft-scenarios-*/hang/ 2>/dev/null | grep -q -v '^std' && [ $i -lt 200 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -TERM $pid
    wait $pid
    expect "exit status" "$?" 143
    expect "directories left" "$(ls -A "$work/tmp")" ""
    grep -q 'stopped by signal 15' "$work/err" || fail "stop not said: $(cat "$work/err")"
    [ ! -s "$work/out" ] || fail "a table after the stop: $(cat "$work/out")"
    ;;
scen_tty)
    # stderr on a terminal: the live line ([done/total] running: ...),
    # a failure still printed whole; the table unchanged on stdout
    command -v script >/dev/null || { fail "needs script (util-linux)"; finish; }
    sdir "$work/t" wrong_status=sc_clean
    printf '\nscenario: wrong_status\nfamily: fixtures-bad\nclass: non-blocking shared-memory\nsummary: exits 3\nargs: 3\n' >>"$work/t/manifest"
    WEFT_SCENARIOS=$work/t script -qec "'$WEFT' scenarios run -j 1 >'$work/out'" /dev/null >"$work/tty" 2>&1
    grep -q "$(printf '\r')$(printf '\033')\[K\[3/3] 1 failed, running:" "$work/tty" ||
        fail "no live line: $(od -c "$work/tty" | head -n 20)"
    grep -q 'FAIL wrong_status (.*): status: expected 0, got 3' "$work/tty" ||
        fail "failure not printed: $(cat -v "$work/tty")"
    grep -q 'pass sc_' "$work/tty" && fail "plain pass lines on a terminal"
    row sc_leak | grep -q ' pass ' || fail "table: $(cat "$work/out")"
    ;;
scen_keep)
    WEFT_SCENARIOS=$fx scen run --keep "$work/k" --repeat 2 sc_leak
    expect "exit status" "$rc" 0
    for r in 1 2; do
        [ -f "$work/k/sc_leak.$r/trace.db" ] || fail "no trace kept for run $r"
        expect "stdout kept" "$(cat "$work/k/sc_leak.$r/stdout")" "done"
    done
    db=$work/k/sc_leak.1/trace.db
    expect "kept trace's finding" "$(q "select kind from findings")" leaked-thread
    # the directory is weft's to make
    WEFT_SCENARIOS=$fx one_line_error "$WEFT" scenarios run --keep "$work/k" sc_leak
    ;;
scen_bad_input)
    export WEFT_SCENARIOS=$fx
    one_line_error "$WEFT" scenarios run no_such_scenario
    grep -q "no scenario named 'no_such_scenario'" "$work/e1" || fail "unknown name: $(cat "$work/e1")"
    one_line_error "$WEFT" scenarios run 'zz*'
    grep -q "no scenario matches 'zz\*'" "$work/e1" || fail "empty glob: $(cat "$work/e1")"
    one_line_error "$WEFT" scenarios run 'sc_[abc'
    grep -q "bad pattern" "$work/e1" || fail "bad glob: $(cat "$work/e1")"
    one_line_error "$WEFT" scenarios run --junit /nonexistent/dir/j.xml
    one_line_error "$WEFT" scenarios run --junit "$work"
    one_line_error "$WEFT" scenarios run --html-dir "$work/h/sub"
    one_line_error "$WEFT" scenarios run --html-dir "$work/h" no_such_scenario
    one_line_error "$WEFT" scenarios run -j 0
    one_line_error "$WEFT" scenarios run -j
    one_line_error "$WEFT" scenarios run --repeat x
    one_line_error "$WEFT" scenarios run --repeat 2 --repeat 3
    one_line_error "$WEFT" scenarios run --bogus
    one_line_error "$WEFT" scenarios
    one_line_error "$WEFT" scenarios frobnicate
    one_line_error "$WEFT" scenarios list extra
    # nothing ran for any of them
    [ ! -e "$work/h" ] || fail "--html-dir made its directory"
    WEFT_SCENARIOS=$work/none one_line_error "$WEFT" scenarios list
    # a program missing from the directory: a failed scenario, said
    mkdir "$work/m"
    cp "$fx/manifest" "$work/m/"
    ln -s "$fx/sc_clean" "$work/m/sc_clean"
    WEFT_SCENARIOS=$work/m scen run
    expect "missing program: status" "$rc" 1
    grep -q 'sc_leak  .* FAIL' "$work/out" || fail "missing program: $(cat "$work/out")"
    ;;
scen_manifest_errors)
    # each malformed manifest: one line naming the file and line
    bad() { # LINE TEXT: the manifest is TEXT (printf format)
        mkdir -p "$work/b"
        printf "$2" >"$work/b/manifest"
        WEFT_SCENARIOS=$work/b one_line_error "$WEFT" scenarios list
        grep -q "$work/b/manifest:$1: " "$work/e1" || fail "manifest error at $1: $(cat "$work/e1")"
    }
    rec='scenario: a\nfamily: f\nclass: blocking message-passing\nsummary: s\n'
    bad 2 "# c\nno colon here\n"
    bad 5 "${rec}frob: x\n"
    bad 5 "${rec}expect: leaked-thread\n"
    bad 5 "${rec}expect: leaked-thread two\n"
    bad 5 "${rec}line: leaked-thread a.c\n"
    bad 5 "${rec}status: 256\n"
    bad 5 "${rec}family: g\n"
    bad 5 "${rec}scenario: b\n"
    bad 1 "${rec}expect: deadlock 1\nline: leaked-thread a.c:3\n"
    bad 1 "scenario: a/b\n"
    bad 1 "scenario: a\nsummary: s\n"
    bad 1 "family: f\n"
    bad 5 "${rec}  output: x\n"
    bad 6 "${rec}\n${rec}"
    bad 1 "${rec}fix-of: nothing\n"
    bad 6 "${rec}expect: leaked-thread 1\nexpect: leaked-thread 2\n"
    ;;
scen_list)
    sdir "$work/l"
    WEFT_SCENARIOS=$work/l scen list
    expect "exit status" "$rc" 0
    expect "lines" "$(wc -l <"$work/out")" 2
    expect "first" "$(sed -n 1p "$work/out")" \
        "sc_clean  fixtures  non-blocking shared-memory  clean: squares 4 and 5 on two threads, prints 16 and 25"
    expect "second" "$(sed -n 2p "$work/out")" \
        "sc_leak   fixtures  blocking message-passing    a reader thread blocked forever on a pipe nobody writes"
    ;;
scen_dir)
    # Without WEFT_SCENARIOS: the build tree's scenarios beside the binary
    # (build/bin/weft -> build/scenarios), and an installed layout
    # (bin/weft -> libexec/weft/scenarios), here made of links.
    unset WEFT_SCENARIOS
    "$WEFT" scenarios list >"$work/out" 2>"$work/err" || fail "build tree: $(cat "$work/err")"
    mkdir -p "$work/p/bin" "$work/p/libexec/weft"
    cp "$WEFT" "$work/p/bin/weft"
    sdir "$work/p/libexec/weft/scenarios"
    "$work/p/bin/weft" scenarios list >"$work/out" 2>"$work/err" || fail "installed: $(cat "$work/err")"
    expect "installed: lines" "$(wc -l <"$work/out")" 2
    # (a run from a real installed prefix: tests/integration/install_test.sh)
    # a relative WEFT_SCENARIOS: each run starts in a directory of its own,
    # so the programs' path must be made absolute first
    sdir "$work/rel"
    (cd "$work" && WEFT_SCENARIOS=rel "$WEFT" scenarios run >"$work/out" 2>"$work/err")
    expect "relative WEFT_SCENARIOS: status" "$?" 0
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
