#!/bin/sh
# SPDX-License-Identifier: MIT
# safety_cli.sh: issue 9 on the `weft` command's side: a lost trace is its
# own exit status (124) with one line; bad options and paths are refused
# before the program runs, with one line; -o never replaces what it should
# not; inputs that are FIFOs never hang; every printed or JSON form of the
# program's text is safe; traces are 0600; the logs of a killed weft run
# are cleaned up, and --keep-log puts them where the manual says.
# Usage: safety_cli.sh CASE, with WEFT, SHIM and BIN in the environment.
# no_trace_full_disk needs the shim's and the ingest's full-disk fixes
# (issue 9 item 3: no SIGBUS in the program nor in weft): it is registered
# with them.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"
py=/usr/bin/python3
# weft run's temporary directories go to a private TMPDIR (checked empty).
TMPDIR=$work/tmp
export TMPDIR
mkdir "$TMPDIR"

# no_tmp_left: weft left nothing in $TMPDIR
no_tmp_left() {
    left=$(ls -A "$TMPDIR")
    [ -z "$left" ] || fail "left in TMPDIR: $left"
}
# one_line WHAT: $work/err is exactly one "weft: " line
one_line() {
    lines=$(wc -l <"$work/err")
    [ "$lines" -eq 1 ] || fail "$1: $lines lines on stderr: $(cat "$work/err")"
    grep -q '^weft: ' "$work/err" || fail "$1: not a weft: line: $(cat "$work/err")"
}
# not_run CMD...: fails with one line, and the program (which would touch
# $work/ran) did not run
not_run() {
    rm -f "$work/ran"
    one_line_error "$@"
    [ ! -e "$work/ran" ] || fail "'$*' ran the program"
}
touch_prog() { echo "/bin/sh -c 'touch $work/ran'"; }

case $name in
no_trace_removed)
    # A program that cleans up $TMPDIR/weft-* (a tmp cleaner) removes its
    # own log: the program's output and status pass, weft says so in one
    # line and exits 124, also with --error-exitcode.
    "$WEFT" run -o "$db" --error-exitcode=9 -- /bin/sh -c 'rm -rf "$TMPDIR"/weft-*; echo out; exit 3' \
        >"$work/out" 2>"$work/err"
    expect "status" "$?" 124
    expect "stdout" "$(cat "$work/out")" out
    one_line "removed log"
    grep -q '^weft: no trace: .*; the program exited with status 3$' "$work/err" ||
        fail "message: $(cat "$work/err")"
    [ ! -e "$db" ] || fail "a trace was written"
    no_tmp_left
    ;;
no_trace_setuid)
    # A setuid program: the loader ignores LD_PRELOAD, no log at all.
    cp "$BIN/t_output" "$work/suid"
    chown nobody "$work/suid" && chmod u+s "$work/suid" || fail "cannot make a setuid copy"
    echo abc | "$work/suid" x >"$work/plain" 2>/dev/null
    want=$?
    echo abc | "$WEFT" run -o "$db" -- "$work/suid" x >"$work/out" 2>"$work/err"
    expect "status" "$?" 124
    expect "stdout" "$(cat "$work/out")" "$(cat "$work/plain")"
    grep -v '^to stderr' "$work/err" >"$work/err2"
    mv "$work/err2" "$work/err"
    one_line "setuid"
    grep -q "no trace: it left no log.*setuid.*status $want\$" "$work/err" || fail "message: $(cat "$work/err")"
    no_tmp_left
    ;;
no_trace_unreadable)
    # The program overwrites its log's magic (with shell builtins only: a
    # fork child would leave a log of its own): nothing can be read; the
    # raw logs are kept and the line says where.
    "$WEFT" run -o "$db" -- /bin/sh -c \
        'for d in "$TMPDIR"/weft-*; do printf XXXXXXXX 1<>"$d/log"; done; echo out; exit 5' \
        >"$work/out" 2>"$work/err"
    expect "status" "$?" 124
    expect "stdout" "$(cat "$work/out")" out
    grep -q "^weft: no trace: .*kept in $TMPDIR/weft-.*; the program exited with status 5\$" "$work/err" ||
        fail "message: $(cat "$work/err")"
    [ ! -e "$db" ] || fail "a trace was written"
    kept=$(ls -d "$TMPDIR"/weft-*)
    [ -f "$kept/log" ] || fail "the raw log was not kept"
    [ ! -e "$kept/weft.lock" ] || fail "the kept logs can be cleaned by a later run"
    # a later run does not remove them
    "$WEFT" run -q -o "$work/2.db" -- /bin/true || fail "second run"
    [ -f "$kept/log" ] || fail "a later run removed the kept log"
    ;;
no_trace_tmpdir)
    # TMPDIR that does not exist or cannot be written: refused before the
    # program runs (125), one line.
    TMPDIR=$work/none not_run "$WEFT" run -o "$db" -- /bin/sh -c "touch $work/ran"
    mkdir "$work/ro"
    mount -t tmpfs -o ro,size=64k tmpfs "$work/ro" || { fail "cannot mount a tmpfs"; finish; }
    TMPDIR=$work/ro not_run "$WEFT" run -o "$db" -- /bin/sh -c "touch $work/ran"
    umount "$work/ro"
    expect "status" "$r" 125
    ;;
no_trace_full_disk)
    # The log's filesystem is full before the start: the program runs as
    # without weft (the shim could not write a log header and stays out of
    # the way), and weft says in one line that there is no trace (124).
    mkdir "$work/full"
    mount -t tmpfs -o size=256k tmpfs "$work/full" || { fail "cannot mount a tmpfs"; finish; }
    dd if=/dev/zero of="$work/full/fill" bs=4k 2>/dev/null
    echo abc | "$BIN/t_output" y >"$work/plain" 2>/dev/null
    echo abc | TMPDIR=$work/full "$WEFT" run -o "$db" -- "$BIN/t_output" y >"$work/out" 2>"$work/err"
    rc=$?
    umount "$work/full"
    expect "stdout" "$(cat "$work/out")" "$(cat "$work/plain")"
    expect "status" "$rc" 124
    grep -q '^weft: no trace: .*status 42$' "$work/err" || fail "message: $(cat "$work/err")"
    [ ! -e "$db" ] || fail "a trace was written"
    ;;
exit_codes)
    # Every exit status docs/weft.1 documents for weft run (EXIT STATUS),
    # each on its own: the program's status passed through, 128+N for a
    # death by signal N, --error-exitcode's N, 125 for bad usage, 126 for a
    # program that cannot be run (not executable, a directory, a static
    # binary), 127 for a missing one; weft report 125 on an error.
    "$WEFT" run -q -o "$db" -- /bin/sh -c 'exit 7' >/dev/null 2>&1
    expect "the program's status" "$?" 7
    "$WEFT" run -q -o "$db" -- /bin/sh -c 'exit 0' >/dev/null 2>&1
    expect "status 0" "$?" 0
    "$WEFT" run -q -o "$db" -- /bin/sh -c 'kill -TERM $$' >/dev/null 2>&1
    expect "death by SIGTERM" "$?" 143
    "$WEFT" run -q -o "$db" -- /bin/sh -c 'kill -KILL $$' >/dev/null 2>&1
    expect "death by SIGKILL" "$?" 137
    "$WEFT" run -q --error-exitcode=9 -o "$db" -- "$BIN/t_exit3" >/dev/null 2>&1
    expect "no error finding: the program's status" "$?" 3
    not_run "$WEFT" run -o "$db" --no-such-option -- /bin/true
    expect "bad usage" "$r" 125
    not_run "$WEFT" run -o "$db"
    expect "no program" "$r" 125
    not_run "$WEFT" run -o "$db" -- "$work/missing-program"
    expect "missing program" "$r" 127
    not_run "$WEFT" run -o "$db" -- no-such-program-in-path-weft
    expect "missing program in PATH" "$r" 127
    printf '#!/bin/sh\ntouch %s/ran\n' "$work" >"$work/noexec"
    chmod 644 "$work/noexec"
    not_run "$WEFT" run -o "$db" -- "$work/noexec"
    expect "not executable" "$r" 126
    mkdir "$work/adir"
    not_run "$WEFT" run -o "$db" -- "$work/adir"
    expect "a directory" "$r" 126
    printf 'int main(void){return 0;}\n' >"$work/st.c"
    "${CC:-cc}" -static -o "$work/static" "$work/st.c" || fail "cannot link a static program"
    not_run "$WEFT" run -o "$db" -- "$work/static"
    expect "a static binary" "$r" 126
    not_run "$WEFT" report "$work/missing.db"
    expect "report of a missing trace" "$r" 125
    not_run "$WEFT" no-such-subcommand
    expect "unknown subcommand" "$r" 125
    ;;
deadlock_timeout)
    # --deadlock-timeout reaches the watchdog: the deadlock is declared
    # after that many ms, as its line and the finding say, whatever the
    # default (1000). (0, off: harness:deadlock_chan.)
    for ms in 150 1700; do
        "$WEFT" run -q --deadlock-timeout=$ms -o "$db" -- "$BIN/t_deadlock_abba" >"$work/out" 2>"$work/err"
        expect "exit status ($ms)" "$?" 2
        grep -q "^==weft== deadlock: all 3 threads are blocked for $ms ms" "$work/err" ||
            fail "stderr ($ms): $(cat "$work/err")"
        expect "finding ($ms)" "$(q "select count(*) from findings where kind='deadlock' and message like '% blocked for $ms ms:%'")" 1
    done
    ;;
options)
    # Every value option: missing, empty, negative, overflowing, junk,
    # repeated: one line, 125, and the program never runs.
    prog="/bin/sh -c"
    for o in --stack-depth= --stack-depth=-1 --stack-depth=129 --stack-depth=+5 "--stack-depth= 5" \
        --stack-depth=99999999999999999999999 --deadlock-timeout= --deadlock-timeout=1e3 \
        --deadlock-timeout=-5 --deadlock-timeout=99999999999999999999 --error-exitcode= \
        --error-exitcode=256 --error-exitcode=-1 --max-threads=0 --max-threads= --min-wait= \
        --min-wait=-1 --min-wait=99999999999999999999s --min-wait=5parsecs --suppressions= \
        --output= --keep-log= --nonsense; do
        not_run "$WEFT" run -o "$db" "$o" -- $prog "touch $work/ran"
    done
    grep -q "0..255" "$work/e1" && fail "last message names the wrong range"
    not_run "$WEFT" run --stack-depth=999 -o "$db" -- $prog "touch $work/ran"
    grep -q "0\.\.128" "$work/e1" || fail "range not said: $(cat "$work/e1")"
    not_run "$WEFT" run --deadlock-timeout= -o "$db" -- $prog "touch $work/ran"
    grep -q "0\.\.86400000" "$work/e1" || fail "range not said: $(cat "$work/e1")"
    not_run "$WEFT" run -o "" -- $prog "touch $work/ran"
    not_run "$WEFT" run -o "$db" -o "$work/b.db" -- $prog "touch $work/ran"
    grep -q "given twice" "$work/e1" || fail "duplicate: $(cat "$work/e1")"
    not_run "$WEFT" run --stack-depth=1 --stack-depth=2 -o "$db" -- $prog "touch $work/ran"
    not_run "$WEFT" run -o
    grep -q "option -o needs a value" "$work/e1" || fail "-o last: $(cat "$work/e1")"
    not_run "$WEFT" run --stack-depth
    grep -q "option --stack-depth needs a value" "$work/e1" || fail "last: $(cat "$work/e1")"
    # the same class in ingest and report
    WEFT_LOG=$work/good.log WEFT_LOG_MB=16 LD_PRELOAD=$SHIM "$BIN/t_threads" >/dev/null
    one_line_error "$WEFT" ingest "$work/good.log" -o
    grep -q "option -o needs a value" "$work/e1" || fail "ingest -o last: $(cat "$work/e1")"
    one_line_error "$WEFT" ingest "$work/good.log" -o ""
    one_line_error "$WEFT" ingest "$work/good.log" --min-wait=
    one_line_error "$WEFT" ingest "$work/good.log" --suppressions
    one_line_error "$WEFT" ingest "$work/good.log" -o "$db" --output="$work/x.db"
    "$WEFT" ingest -q "$work/good.log" -o "$db" || fail "good ingest"
    one_line_error "$WEFT" report "$db" -o
    one_line_error "$WEFT" report "$db" --format
    one_line_error "$WEFT" report "$db" --format=
    one_line_error "$WEFT" report "$db" --format=json --format=text
    one_line_error "$WEFT" report "$db" -o ""
    one_line_error "$WEFT" report "$db" --bogus
    # the good forms: "--opt value" as "--opt=value"; -oFILE
    run_weft "$BIN/t_threads"
    expect "plain status" "$rc" 3
    "$WEFT" run -q --stack-depth 4 --min-wait 2ms -o"$work/s.db" -- "$BIN/t_threads" >/dev/null 2>&1
    expect "space form status" "$?" 3
    [ -f "$work/s.db" ] || fail "-oFILE not written"
    "$WEFT" report --format json "$work/s.db" >/dev/null || fail "report --format json"
    # --error-exitcode=0 is off (as in Valgrind); t_threads has an error finding
    "$WEFT" run -q --error-exitcode=0 -o "$work/e0.db" -- "$BIN/t_threads" >/dev/null 2>&1
    expect "error-exitcode=0" "$?" 3
    "$WEFT" run -q --error-exitcode=9 -o "$work/e9.db" -- "$BIN/t_threads" >/dev/null 2>&1
    expect "error-exitcode=9" "$?" 9
    ;;
overwrite)
    run_weft "$BIN/t_threads"
    expect "status" "$rc" 3
    sum=$(cksum <"$db")
    # report -o: never the input, never a file that is not a report
    one_line_error "$WEFT" report -o "$db" "$db"
    ln "$db" "$work/hard.db"
    one_line_error "$WEFT" report -o "$work/hard.db" "$db"
    expect "trace intact" "$(cksum <"$db")" "$sum"
    echo precious >"$work/notes.txt"
    one_line_error "$WEFT" report -o "$work/notes.txt" "$db"
    expect "notes intact" "$(cat "$work/notes.txt")" precious
    cp "$db" "$work/other.db"
    one_line_error "$WEFT" report -o "$work/other.db" "$db"
    ln -s "$work/notes.txt" "$work/link.txt"
    one_line_error "$WEFT" report -o "$work/link.txt" "$db"
    (umask 0; "$WEFT" report -o "$work/r.txt" "$db") || fail "report -o new file"
    "$WEFT" report --format=json -o "$work/r.txt" "$db" || fail "report -o over a report"
    $py -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/r.txt" || fail "report -o json"
    expect "report mode" "$(stat -c %a "$work/r.txt")" 600
    # ingest -o: never an input, never a non-weft file, never a link
    WEFT_LOG=$work/good.log WEFT_LOG_MB=16 LD_PRELOAD=$SHIM "$BIN/t_threads" >/dev/null
    one_line_error "$WEFT" ingest "$work/good.log" -o "$work/good.log"
    one_line_error "$WEFT" ingest "$db" -o "$db"
    expect "trace intact" "$(cksum <"$db")" "$sum"
    one_line_error "$WEFT" ingest "$work/good.log" -o "$work/notes.txt"
    ln -s "$work/new.db" "$work/dangling.db"
    one_line_error "$WEFT" ingest "$work/good.log" -o "$work/dangling.db"
    [ ! -e "$work/new.db" ] || fail "written through a link"
    "$WEFT" ingest -q "$work/good.log" -o "$db" || fail "re-ingest over a weft trace"
    # a file the program itself made at -o is never replaced
    "$WEFT" run -o "$work/own.db" -- /bin/sh -c "echo mine >'$work/own.db'; exit 4" >/dev/null 2>"$work/err"
    expect "own file status" "$?" 124
    expect "own file" "$(cat "$work/own.db")" mine
    one_line "own file"
    # traces are 0600 whatever the umask
    (umask 0; "$WEFT" run -q -o "$work/u.db" -- "$BIN/t_threads" >/dev/null 2>&1)
    expect "trace mode" "$(stat -c %a "$work/u.db")" 600
    (umask 0; "$WEFT" ingest -q "$work/good.log" -o "$work/u2.db")
    expect "ingest mode" "$(stat -c %a "$work/u2.db")" 600
    # In a pid namespace weft is pid 1 and its program pid 2: the default
    # name weft-2.db is known in advance. An existing file there is never
    # replaced (the trace goes to weft-2-2.db), and a link planted where
    # the old ingest made its temporary file (weft-2.db.tmp-1) is not
    # followed.
    mkdir "$work/ns" && cd "$work/ns" || fail "cd"
    echo precious >weft-2.db
    echo victim >"$work/victim"
    ln -s "$work/victim" weft-2-2.db.tmp-1
    ln -s "$work/victim" weft-2.db.tmp-1
    unshare -p -f --mount-proc "$WEFT" run -q -- "$BIN/t_threads" >/dev/null 2>"$work/err"
    expect "namespace status" "$?" 3
    expect "not clobbered" "$(cat weft-2.db)" precious
    expect "victim" "$(cat "$work/victim")" victim
    [ -f weft-2-2.db ] || fail "no weft-2-2.db: $(ls -A; cat "$work/err")"
    expect "no temporaries" "$(ls -A | grep -c weft-tmp)" 0
    cd "$work" || fail "cd"
    ;;
fifo)
    # A FIFO as a log, a trace, a suppressions file, a program, or at a
    # module's path in a log: refused or skipped, never waited on.
    mkfifo "$work/fifo"
    t="timeout -k 5 20"
    $t "$WEFT" ingest "$work/fifo" -o "$db" >/dev/null 2>"$work/e1"
    r=$?
    [ "$r" -ne 124 ] || fail "weft ingest FIFO hangs"
    one_line_error $t "$WEFT" ingest "$work/fifo" -o "$db"
    one_line_error $t "$WEFT" report "$work/fifo"
    not_run $t "$WEFT" run -q --suppressions="$work/fifo" -o "$db" -- /bin/sh -c "touch $work/ran"
    one_line_error $t "$WEFT" run -q -o "$db" -- "$work/fifo"
    one_line_error $t "$WEFT" ingest /dev/null -o "$db"
    # the program's own file is a module of its log: made a FIFO after the run
    cp "$BIN/t_threads" "$work/prog"
    WEFT_LOG=$work/m.log WEFT_LOG_MB=16 LD_PRELOAD=$SHIM "$work/prog" >/dev/null
    rm "$work/prog" && mkfifo "$work/prog"
    $t "$WEFT" ingest -q "$work/m.log" -o "$db" 2>"$work/err"
    r=$?
    [ "$r" -ne 124 ] || fail "a FIFO at a module path hangs the ingest"
    expect "ingest status" "$r" 0
    expect "threads" "$(q "select count(*) from threads")" 8
    ;;
report_errors)
    run_weft "$BIN/t_threads"
    # a weft trace without its tables, a SQLite file that is not weft's
    sqlite3 "$work/bare.db" "PRAGMA application_id=1466263156; PRAGMA user_version=7; CREATE TABLE x(a);"
    one_line_error "$WEFT" report "$work/bare.db"
    grep -q "not a complete weft trace" "$work/e1" || fail "$(cat "$work/e1")"
    one_line_error "$WEFT" report --format=json "$work/bare.db"
    sqlite3 "$work/other.db" "CREATE TABLE processes(a);"
    one_line_error "$WEFT" report "$work/other.db"
    # standard output fails
    "$WEFT" report "$db" >/dev/full 2>"$work/err"
    [ $? -eq 125 ] || fail "text to /dev/full did not exit 125"
    one_line "text to /dev/full"
    grep -q "cannot write standard output" "$work/err" || fail "$(cat "$work/err")"
    "$WEFT" report --format=json "$db" >/dev/full 2>"$work/err"
    [ $? -ne 0 ] || fail "json to /dev/full exited 0"
    "$WEFT" --help >/dev/full 2>/dev/null && fail "--help to /dev/full exited 0"
    # a trace from an older ingest, its argv not valid JSON, or with raw
    # escapes in it: the JSON report is still valid, the text one safe
    cp "$db" "$work/old.db"
    sqlite3 "$work/old.db" "UPDATE processes SET argv = '[\"a\",\"\",,,' || char(27) || '[2J]'"
    "$WEFT" report --format=json "$work/old.db" >"$work/old.json" || fail "old argv: json"
    expect "old argv" "$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["processes"][0]["argv"])' "$work/old.json")" "['a', '']"
    "$WEFT" report "$work/old.db" >"$work/old.txt" || fail "old argv: text"
    $py -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(any(b < 32 and b != 10 for b in d))' "$work/old.txt" ||
        fail "raw control bytes in the text report"
    # 300 inputs: every one reported
    i=0
    while [ $i -lt 300 ]; do
        ln -s "$db" "$work/in$i.db"
        i=$((i + 1))
    done
    "$WEFT" report --format=json "$work"/in*.db >"$work/all.json" || fail "300 inputs"
    expect "processes" "$($py -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["processes"]))' "$work/all.json")" 300
    ;;
escapes)
    # argv of every byte 1..255, one by one and all in one string, invalid
    # UTF-8 of each kind, and a thread named with terminal escapes that
    # leaks: the JSON report is valid and gives back the argv (invalid
    # sequences as U+FFFD, Unicode's rule); the text report and weft run's
    # stderr carry no control byte but newlines.
    $py - "$WEFT" "$BIN/t_hostile" "$work" <<'PYEOF' || fail "python driver"
import json, os, subprocess, sys
weft, prog, work = sys.argv[1:4].copy() if False else sys.argv[1:4]
args = [bytes([b]) for b in range(1, 256)] + [bytes(range(1, 256))]
args += [b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\xc0\xaf", b"\xff\xfe", b"\xe0\x80\x80",
         b"\xf4\x90\x80\x80", b"a\xc2\x9bb", "é日本😀".encode(), b"", b"\\u0041\""]
db = os.path.join(work, "h.db")
def bad(data):
    return [b for b in data if (b < 32 and b != 10) or b == 0x7f]
r = subprocess.run([weft, "run", "-o", db, "--", prog] + args, capture_output=True)
ok = True
def fail(msg):
    global ok
    ok = False
    print("FAIL:", msg, file=sys.stderr)
if r.returncode != 0 or r.stdout != b"hostile ok\n":
    fail("run: %d %r %r" % (r.returncode, r.stdout, r.stderr[-300:]))
if bad(r.stderr):
    fail("weft run's stderr has control bytes: %r" % r.stderr[:400])
if b"leaked-thread" not in r.stderr or b"\\x1b]0;pwned\\x07" not in r.stderr:
    fail("the leaked thread's name is not shown escaped: %r" % r.stderr[:600])
j = subprocess.run([weft, "report", "--format=json", db], capture_output=True)
try:
    rep = json.loads(j.stdout)
except Exception as e:
    fail("report JSON does not parse: %s" % e)
    rep = None
if rep:
    want = [a.decode("utf-8", "replace") for a in [prog.encode()] + args]
    got = rep["processes"][0]["argv"]
    if got != want:
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                fail("argv[%d]: got %r want %r" % (i, g, w))
                break
        if len(got) != len(want):
            fail("argv: %d strings, want %d" % (len(got), len(want)))
    msgs = " ".join(f["message"] for f in rep["findings"])
    if "\x1b]0;pwned\x07\x1b[2J" not in msgs:
        fail("JSON message does not give back the name: %r" % msgs)
t = subprocess.run([weft, "report", db], capture_output=True)
if t.returncode != 0 or bad(t.stdout) or b"==weft== process" not in t.stdout:
    fail("text report: %d %r" % (t.returncode, t.stdout[:400]))
# A long argv of control characters: cut, but valid JSON; every string
# before the cut given back whole, the cut one a prefix (ending in U+2026),
# then at most one empty string (what an older ingest's writer leaves).
long_args = [bytes([1 + i % 31]) * 200 for i in range(100)]
r = subprocess.run([weft, "run", "-q", "-o", db + "2", "--", prog] + long_args, capture_output=True)
j = subprocess.run([weft, "report", "--format=json", db + "2"], capture_output=True)
try:
    got = json.loads(j.stdout)["processes"][0]["argv"]
    want = [prog] + [a.decode() for a in long_args]
    k = next(i for i in range(len(got)) if got[i] != want[i])
    if not want[k].startswith(got[k].rstrip("\u2026")) or got[k + 1:] not in ([], [""]):
        fail("long argv cut at %d: %r ... %r" % (k, got[k][-5:], got[k + 1:]))
except Exception as e:
    fail("long argv JSON: %s: %r" % (e, j.stdout[:300]))
sys.exit(0 if ok else 1)
PYEOF
    ;;
signals)
    # SIGTERM, SIGINT and SIGHUP sent to weft run (as a CI timeout does):
    # passed on to the program, which handles it; weft still writes the
    # trace, exits with the program's status and leaves nothing behind.
    for sig in TERM INT HUP; do
        rm -f "$work/ready" "$db"
        mkfifo "$work/ready"
        $py - "$WEFT" "$db" "$work/ready" "$sig" >"$work/out" 2>"$work/err" <<'PYEOF'
import signal, subprocess, sys
weft, db, ready, sig = sys.argv[1:5]
# the traced program: Python, handling the signal and exiting 7
prog = ("import signal, sys\n"
        "def h(*a):\n"
        "    print('got-%s', flush=True)\n"
        "    sys.exit(7)\n"
        "signal.signal(signal.SIG%s, h)\n"
        "open(%r, 'w').write('up')\n"
        "while True:\n"
        "    signal.pause()\n") % (sig, sig, ready)
p = subprocess.Popen([weft, "run", "-q", "-o", db, "--", "/usr/bin/python3", "-c", prog])
open(ready).read()  # the program is up, its handler set
p.send_signal(getattr(signal, "SIG" + sig))
sys.exit(p.wait())
PYEOF
        expect "$sig status" "$?" 7
        expect "$sig stdout" "$(cat "$work/out")" "got-$sig"
        [ -f "$db" ] || fail "$sig: no trace: $(cat "$work/err")"
        expect "$sig trace" "$(q "select count(*) from processes")" 1
        no_tmp_left
    done
    ;;
signals_once)
    # A kill of weft run's whole process group (a CI runner stopping a
    # job; `timeout` sends one after signalling its child) reaches the
    # program by itself: weft passed its copy on too, and the program's
    # handler ran twice. A kill of weft alone is still passed on, once.
    # t_sigcount counts its SIGTERMs, a second one never merged with the
    # first.
    $py - "$WEFT" "$db" "$work" "$BIN/t_sigcount" >"$work/out" 2>&1 <<'PYEOF' || fail "$(cat "$work/out")"
import os, signal, subprocess, sys, time
weft, db, work, prog = sys.argv[1:5]
bad = []
def one(how, under_weft):
    ready = os.path.join(work, "ready")
    if os.path.exists(ready):
        os.unlink(ready)
    if os.path.exists(db):
        os.unlink(db)
    cmd = ([weft, "run", "-q", "-o", db, "--"] if under_weft else []) + [prog, ready]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.time() + 60
    while not os.path.exists(ready) and time.time() < deadline:
        time.sleep(0.01)
    if how == "group":
        os.killpg(p.pid, signal.SIGTERM)
    else:
        p.send_signal(signal.SIGTERM)
    out = p.communicate(timeout=60)[0].decode().strip()
    what = "%s kill%s" % (how, " under weft run" if under_weft else "")
    if out != "got 1" or p.returncode != 0:
        bad.append("%s: %r, status %d" % (what, out, p.returncode))
    if under_weft and not os.path.exists(db):
        bad.append("%s: no trace" % what)
for i in range(3):
    one("group", False)
    one("group", True)
    one("direct", True)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYEOF
    no_tmp_left
    ;;
interrupted|interrupted_reports)
    # A signal that comes while weft writes the trace (Ctrl-C after the
    # program ended) stops it: the partial trace and the logs go, one line
    # says so, and weft dies of the signal. To catch weft inside the
    # ingest for sure, the program fills the stderr pipe it shares with
    # weft, and WEFT_INGEST_PROFILE=1 makes the ingest write a line there:
    # weft blocks in it until the signal. interrupted_reports: without
    # -q, weft blocks on its first line after the trace is written (the
    # trace line); the signal then keeps the trace, and the line says
    # where it is.
    $py - "$WEFT" "$db" "$work" "$name" >"$work/out" 2>"$work/err" <<'PYEOF' || fail "python driver"
import glob, os, signal, subprocess, sys, time
weft, db, work, case = sys.argv[1:5]
reports = case == "interrupted_reports"
prog = ("import os\n"
        "os.set_blocking(2, False)\n"
        "try:\n"
        "    while True:\n"
        "        os.write(2, b'x' * 4096)\n"
        "except BlockingIOError:\n"
        "    pass\n"
        "os.set_blocking(2, True)\n")
env = dict(os.environ)
if not reports:
    env["WEFT_INGEST_PROFILE"] = "1"
cmd = [weft, "run"] + ([] if reports else ["-q"]) + ["-o", db, "--", "/usr/bin/python3", "-c", prog]
p = subprocess.Popen(cmd, stderr=subprocess.PIPE, env=env)
def begun():
    if reports:
        return os.path.exists(db)
    return glob.glob(os.path.join(work, ".weft-tmp-*"))
deadline = time.time() + 60
while not begun() and time.time() < deadline:
    time.sleep(0.01)
if reports:
    time.sleep(0.2)  # weft, past its rename, blocks on the trace line
p.send_signal(signal.SIGINT)
err = p.stderr.read()
rc = p.wait()
ok = True
if rc != -signal.SIGINT:
    print("status %d, want death by SIGINT" % rc); ok = False
lines = err.lstrip(b"x").decode(errors="replace").splitlines()
if reports:
    want = ("weft: interrupted by signal 2 while writing its reports; the trace is %s; "
            "the program exited with status 0" % db)
else:
    want = "weft: no trace: interrupted by signal 2 while writing it; the program exited with status 0"
# a line of its own: weft writes stderr by whole lines, so none was half
# written when the signal came
if not lines or lines[-1] != want:
    print("stderr: %r" % lines); ok = False
if os.path.exists(db) != reports:
    print("the trace is %s" % ("missing" if reports else "there")); ok = False
if glob.glob(os.path.join(work, ".weft-tmp-*")):
    print("a temporary directory was left"); ok = False
sys.exit(0 if ok else 1)
PYEOF
    [ -s "$work/out" ] && fail "$(cat "$work/out")"
    if [ "$name" = interrupted_reports ]; then
        expect "kept trace" "$(q "select count(*) from processes")" 1
    fi
    no_tmp_left
    ;;
ingest_interrupted)
    # weft ingest stopped by a signal (Ctrl-C, a CI timeout's TERM) leaves
    # nothing behind: not the trace, not its temporary directory
    # (cli/interrupt.c). weft is caught inside the ingest for sure: its
    # stderr is a pipe filled beforehand, and WEFT_INGEST_PROFILE=1 makes
    # it write a line there once the trace is begun.
    "$WEFT" run -q --keep-log="$work/logs" -o "$work/first.db" -- "$BIN/t_sync" >/dev/null 2>&1 ||
        fail "weft run t_sync"
    mkdir "$work/out.d"
    $py - "$WEFT" "$work/out.d" "$work/logs" >"$work/out" 2>"$work/err" <<'PYEOF' || fail "python driver"
import glob, os, signal, subprocess, sys, time
weft, outd, logs = sys.argv[1:4]
r, w = os.pipe()
os.set_blocking(w, False)
try:
    while True:
        os.write(w, b"x" * 4096)
except BlockingIOError:
    pass
os.set_blocking(w, True)
env = dict(os.environ, WEFT_INGEST_PROFILE="1")
out = os.path.join(outd, "x.db")
p = subprocess.Popen([weft, "ingest", "-q", "-o", out] + sorted(glob.glob(os.path.join(logs, "log*"))),
                     stderr=w, env=env)
os.close(w)
deadline = time.time() + 60
while not glob.glob(os.path.join(outd, ".weft-tmp-*")) and time.time() < deadline:
    time.sleep(0.01)
time.sleep(0.2)  # past the directory's making, weft blocks on its line
p.send_signal(signal.SIGTERM)
rc = p.wait()
os.close(r)
ok = True
if rc != -signal.SIGTERM:
    print("status %d, want death by SIGTERM" % rc); ok = False
left = os.listdir(outd)
if left:
    print("left in the output directory: %r" % left); ok = False
sys.exit(0 if ok else 1)
PYEOF
    [ -s "$work/out" ] && fail "$(cat "$work/out")"
    ;;
killed)
    # weft run SIGKILLed: its logs stay (nothing can run), but a later weft
    # run removes them once the program has gone too, never before.
    mkfifo "$work/ready" "$work/go"
    "$WEFT" run -q -o "$db" -- /bin/sh -c "echo up >'$work/ready'; read x <'$work/go'" &
    wpid=$!
    read x <"$work/ready"
    kill -KILL $wpid
    wait $wpid
    dir=$(ls -d "$TMPDIR"/weft-*)
    [ -f "$dir/log" ] || fail "no log in $dir"
    "$WEFT" run -o "$work/a.db" -- /bin/true 2>"$work/err" || fail "run: $(cat "$work/err")"
    [ -f "$dir/log" ] || fail "the log of a program still running was removed"
    echo go >"$work/go" # the orphaned program ends
    # its parent is gone: wait until its log is finished (the shim's flag)
    n=0
    while [ -d "/proc/$(cat "$dir/weft.lock")" ] && [ $n -lt 200 ]; do
        n=$((n + 1))
        sleep 0.05
    done
    "$WEFT" run -o "$work/b.db" -- /bin/true 2>"$work/err" || fail "run: $(cat "$work/err")"
    [ ! -e "$dir" ] || fail "stale logs not removed"
    grep -q "removed the logs of 1 killed weft run" "$work/err" || fail "not said: $(cat "$work/err")"
    no_tmp_left
    ;;
keep_log)
    # --keep-log: beside the trace (TRACE.logs), said at the start;
    # --keep-log=DIR: in DIR; nothing in TMPDIR either way.
    "$WEFT" run --keep-log -o "$work/k.db" -- "$BIN/t_threads" >/dev/null 2>"$work/err"
    expect "status" "$?" 3
    [ -f "$work/k.logs/log" ] || fail "no $work/k.logs/log: $(ls "$work")"
    head -1 "$work/err" | grep -q "^==weft== raw logs: $work/k.logs/\$" || fail "not said first: $(cat "$work/err")"
    expect "logs mode" "$(stat -c %a "$work/k.logs")" 700
    "$WEFT" ingest -q "$work/k.logs/log" -o "$work/k2.db" || fail "kept log does not ingest"
    no_tmp_left
    "$WEFT" run -q --keep-log="$work/mine" -o "$work/m.db" -- "$BIN/t_threads" >/dev/null 2>&1
    [ -f "$work/mine/log" ] || fail "no $work/mine/log"
    # an existing directory is refused before the program runs
    not_run "$WEFT" run -q --keep-log="$work/mine" -o "$work/m2.db" -- /bin/sh -c "touch $work/ran"
    not_run "$WEFT" run -q --keep-log -o "$work/k.db" -- /bin/sh -c "touch $work/ran"
    # the default names
    mkdir "$work/d" && cd "$work/d" || fail "cd"
    "$WEFT" run -q --keep-log -- "$BIN/t_threads" >/dev/null 2>&1
    set -- weft-*.db
    [ -f "$1" ] && [ -f "${1%.db}.logs/log" ] || fail "default names: $(ls -A)"
    cd "$work" || fail "cd"
    # without --keep-log, nothing stays
    "$WEFT" run -q -o "$work/n.db" -- "$BIN/t_threads" >/dev/null 2>&1
    [ ! -e "$work/n.logs" ] || fail "logs kept unasked"
    no_tmp_left
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
