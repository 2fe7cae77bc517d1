#!/bin/sh
# SPDX-License-Identifier: MIT
# safety_ingest.sh: issue 9 on the reading side: a trace survives what
# happened to its logs (holes, truncation, damaged chunks, all-zero and
# missing logs, dropped events, a full disk) and says what it lost; the
# findings a loss could explain are marked; processes are named by the
# program they ran last and counted once; an exec into an untraced
# program is pointed out; ingest of many processes stays small.
# Usage: safety_ingest.sh CASE (CTest passes WEFT, SHIM, BIN).
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

# the number of events of a kind in the trace
kind_count() { q "select count(*) from events e join kinds k on k.id = e.kind where k.name = '$1'"; }
# a good log of t_threads (8 threads, several chunks) and its full ingest
good_log() {
    WEFT_LOG=$work/good.log WEFT_LOG_MB=16 LD_PRELOAD=$SHIM "$BIN/t_threads" >"$work/good.out"
    "$WEFT" ingest -q "$work/good.log" -o "$work/good.db" || fail "good log refused"
    all_events=$(sqlite3 "$work/good.db" "select events from processes")
    claimed=$(od -A n -t u8 -j 64 -N 8 "$work/good.log" | tr -d ' ')
    [ "$claimed" -ge 3 ] || fail "t_threads' log has $claimed chunks, the case needs 3"
}
# ingest_partial LOG...: must succeed with a warning
ingest_partial() {
    rm -f "$db"
    "$WEFT" ingest -q -o "$db" "$@" >"$work/out" 2>"$work/err"
    rc=$?
    expect "ingest status" "$rc" 0
    grep -q '^weft: warning: trace incomplete: ' "$work/err" || fail "no warning: $(cat "$work/err")"
    [ -f "$db" ] || { fail "no database"; finish; }
}

case $name in
ingest_hole)
    # A hole in the log (a page the shim could not allocate on a full
    # disk) reads as zeros: that chunk is lost, the others are kept.
    good_log
    # on a tmpfs (where a mapped reader met SIGBUS): one must be mountable
    mkdir "$work/mnt"
    mount -t tmpfs -o size=64m tmpfs "$work/mnt" || { fail "cannot mount a tmpfs"; finish; }
    trap 'umount "$work/mnt" 2>/dev/null; rm -rf "$work"' EXIT
    dir=$work/mnt
    cp --sparse=always "$work/good.log" "$dir/hole.log"
    fallocate --punch-hole --offset $((4096 + 65536)) --length 65536 "$dir/hole.log" ||
        fail "fallocate --punch-hole"
    ingest_partial "$dir/hole.log"
    expect "loss" "$(q "select what || ' ' || count from losses")" "unwritten-chunk 1"
    expect "incomplete" "$(q "select complete from processes")" 0
    ev=$(q "select events from processes")
    [ "$ev" -gt 0 ] && [ "$ev" -lt "$all_events" ] || fail "events $ev of $all_events kept"
    expect "argv (chunk 0) kept" "$(q "select argv from processes")" "[\"$BIN/t_threads\"]"
    # Truncated after the run: the chunks before the cut are kept.
    cp --sparse=always "$work/good.log" "$dir/cut.log"
    truncate -s $((4096 + 2 * 65536 + 100)) "$dir/cut.log"
    ingest_partial "$dir/cut.log"
    expect "truncated" "$(q "select what || ' ' || count from losses")" "truncated $((claimed - 2))"
    ev=$(q "select events from processes")
    [ "$ev" -gt 0 ] && [ "$ev" -lt "$all_events" ] || fail "events $ev of $all_events kept"
    # Cut inside the header: no trace at all, one line, no database.
    truncate -s 100 "$dir/cut.log"
    rm -f "$db"
    one_line_error "$WEFT" ingest -q -o "$db" "$dir/cut.log"
    [ -e "$db" ] && fail "a database from a log with no header"
    ;;
ingest_shrink)
    # The file shrinks between the reader's look at its size and its read
    # of the chunks (t_shrink cuts it from inside pread): the chunk left
    # is read, the rest counted missing, no SIGBUS.
    good_log
    cp "$work/good.log" "$work/shrink.log"
    "$BIN/t_shrink" "$work/shrink.log" >"$work/out" 2>"$work/err"
    expect "t_shrink status" "$?" 0
    set -- $(cat "$work/out")
    expect "chunks read" "$2" 1
    expect "chunks missing" "$4" $((claimed - 1))
    [ "${6:-0}" -gt 0 ] || fail "no record of chunk 0: $(cat "$work/out" "$work/err")"
    ;;
ingest_cut_claim)
    # A thread cut by the process's exit between claiming a chunk and
    # writing its first record leaves the last chunk claimed and all
    # zeros: in a log that finished through exit nothing is missing (no
    # record was complete), so no loss; in one whose process was killed,
    # or where a written chunk follows it (a hole), it is a loss.
    good_log
    # claim_one LOG: one more chunk claimed, never written (the file
    # grows by a chunk of zeros, as a claim's preparation makes it)
    claim_one() {
        cp "$work/good.log" "$1"
        printf "$(printf '\\%03o' $(((claimed + 1) & 255)) $((((claimed + 1) >> 8) & 255)))" |
            dd of="$1" bs=1 seek=64 conv=notrunc 2>/dev/null
        truncate -s $((4096 + (claimed + 1) * 65536)) "$1"
    }
    claim_one "$work/cut.log"
    rm -f "$db"
    "$WEFT" ingest -q -o "$db" "$work/cut.log" 2>"$work/err"
    expect "finished log: ingest status" "$?" 0
    expect "finished log: losses" "$(q "select count(*) from losses")" 0
    expect "finished log: complete" "$(q "select complete from processes")" 1
    expect "finished log: every event" "$(q "select events from processes")" "$all_events"
    # the same log without its finished flag (bit 0 of the flags at 84)
    claim_one "$work/killed.log"
    flags=$(od -A n -t u4 -j 84 -N 4 "$work/killed.log" | tr -d ' ')
    printf "$(printf '\\%03o' $((flags & 254)))" |
        dd of="$work/killed.log" bs=1 seek=84 conv=notrunc 2>/dev/null
    ingest_partial "$work/killed.log"
    expect "killed: loss" "$(q "select what || ' ' || count from losses where what = 'unwritten-chunk'")" \
        "unwritten-chunk 1"
    ;;
ingest_bad_chunk)
    # A damaged chunk (a raw clone() thread sharing its parent's TLS
    # writes into its parent's chunk) is skipped whole; the rest is kept.
    good_log
    cp "$work/good.log" "$work/bad.log"
    printf '\377' | dd of="$work/bad.log" bs=1 seek=$((4096 + 65536 + 64)) conv=notrunc 2>/dev/null
    ingest_partial "$work/bad.log"
    expect "loss" "$(q "select what || ' ' || count from losses")" "bad-chunk 1"
    grep -q 'chunk 1 ' "$work/err" || fail "the warning does not name chunk 1: $(cat "$work/err")"
    ev=$(q "select events from processes")
    [ "$ev" -gt 0 ] && [ "$ev" -lt "$all_events" ] || fail "events $ev of $all_events kept"
    "$WEFT" report "$db" >"$work/rep" 2>&1
    grep -q '^==weft== trace incomplete: 1 damaged chunk of records skipped in process ' \
        "$work/rep" || fail "report: $(cat "$work/rep")"
    # a chunk whose magic (bytes 4..7 of its header) is wrong, its records
    # intact, is damaged too: skipped whole, never read
    cp "$work/good.log" "$work/magic.log"
    printf '\377' | dd of="$work/magic.log" bs=1 seek=$((4096 + 65536 + 4)) conv=notrunc 2>/dev/null
    ingest_partial "$work/magic.log"
    expect "loss (magic)" "$(q "select what || ' ' || count from losses")" "bad-chunk 1"
    grep -q 'chunk 1 has a bad magic' "$work/err" || fail "the warning does not say why: $(cat "$work/err")"
    ;;
ingest_zero_log)
    # A fork child killed right after fork leaves an all-zero log (GNU
    # parallel does it on every run): the other processes are kept.
    WEFT_LOG=$work/l WEFT_LOG_MB=16 LD_PRELOAD=$SHIM "$BIN/t_fork" >"$work/fork.out"
    expect "t_fork status" "$?" 10
    child=$(ls "$work" | sed -n 's/^l\.\([0-9]*\)$/\1/p')
    [ -n "$child" ] || { fail "no child log"; finish; }
    size=$(stat -c %s "$work/l.$child")
    truncate -s 0 "$work/l.$child"
    truncate -s "$size" "$work/l.$child"
    ingest_partial "$work/l" "$work/l.$child"
    expect "processes" "$(q "select count(*) from processes")" 1
    expect "loss" "$(q "select what || ' ' || pid from losses")" "empty-log $child"
    grep -q 'its header was never written' "$work/err" || fail "warning: $(cat "$work/err")"
    # Without the child's log at all: a missing log, named by the fork.
    ingest_partial "$work/l"
    expect "missing" "$(q "select what || ' ' || pid from losses")" "missing-log $child"
    expect "fork record" "$(q "select arg from events e join kinds k on k.id = e.kind where k.name = 'fork'")" "$child"
    # Only the zero log: nothing to keep, one line, no database.
    rm -f "$db"
    one_line_error "$WEFT" ingest -q -o "$db" "$work/l.$child"
    [ -e "$db" ] && fail "a database from nothing"
    ;;
daemon)
    # A process that outlives the one weft run waits for (a daemon's
    # detached child) still writes its log while ingest reads it: the
    # trace keeps what was written by then, the daemon is undisturbed.
    "$WEFT" run --trace-children -o "$db" -- \
        sh -c "'$BIN/t_drop' >'$work/d.out' 2>&1 & echo started" >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    expect "stdout" "$(cat "$work/out")" started
    # the root process is the shell (its child may still be a shell too
    # when the trace is read, before its exec of t_drop: either is right)
    expect "shell" "$(q "select exe from processes where parent_pid not in (select pid from processes)")" \
        "$(readlink -f /bin/sh)"
    # The child is named by t_drop's image once that wrote its start; if
    # it had not yet (the shell ends first), the trace says it was still
    # running, never that it was killed or lost its log.
    [ "$(q "select count(*) from processes where exe = '$(readlink -f /bin/sh)'")" = 1 ] ||
        expect "the child, still running" "$(q "select count(*) from losses where what = 'running'")" 1
    expect "losses other than running" "$(q "select count(*) from losses where what <> 'running'")" 0
    i=0
    until grep -q 'drop ok' "$work/d.out" 2>/dev/null || [ $i -ge 200 ]; do
        sleep 0.1 # waiting for the daemon's output file to be written
        i=$((i + 1))
    done
    expect "daemon output" "$(cat "$work/d.out")" "drop ok 500000"
    ;;
parallel_run)
    # GNU parallel under weft run: its output and status as without weft,
    # and a trace of its processes whatever its killed children left.
    need parallel
    parallel -k echo ::: a b c >"$work/want" 2>/dev/null
    run_weft parallel -k echo ::: a b c
    expect "status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "$(cat "$work/want")"
    [ "$(q "select count(*) from processes")" -ge 2 ] || fail "processes: $(cat "$work/err")"
    ;;
dropped_events)
    # A log too small for the run: events are dropped. The summary says
    # so, and the threads whose returns and joins were lost are not
    # reported as leaked without a word about it. (Without relock runs:
    # they would count t_drop's relocks in place, and 1 MiB would hold
    # the run.)
    WEFT_SHIM_RUNS=0 WEFT_LOG_MB=1 run_weft "$BIN/t_drop"
    expect "status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "drop ok 500000"
    grep -q '^weft: warning: trace incomplete: [0-9]* events dropped in process ' "$work/err" ||
        fail "no warning: $(cat "$work/err")"
    [ "$(q "select dropped_events from processes")" -gt 0 ] || fail "nothing dropped"
    expect "loss" "$(q "select what from losses")" dropped-events
    expect "incomplete" "$(q "select complete from processes")" 0
    expect "certain thread findings" "$(q "select count(*) from findings where kind in ('leaked-thread', 'unjoined-thread') and not uncertain")" 0
    "$WEFT" report "$db" >"$work/rep" 2>&1
    grep -q '^==weft== trace incomplete: [0-9]* events not recorded in process ' "$work/rep" ||
        fail "report: $(cat "$work/rep")"
    # the threads' returns and main's joins were lost: "leaked", marked
    [ "$(q "select count(*) from findings where kind = 'leaked-thread'")" -gt 0 ] ||
        fail "no leaked-thread finding to mark: $(cat "$work/rep")"
    grep -q '(uncertain: may be a consequence of the [0-9]* lost events)' "$work/rep" ||
        fail "leaked-thread not marked: $(cat "$work/rep")"
    grep -q '; [0-9]* uncertain)$' "$work/rep" || fail "count line: $(cat "$work/rep")"
    "$WEFT" report --format=json "$db" >"$work/json" || fail "report json"
    /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert [l["what"] for l in r["losses"]] == ["dropped-events"], r["losses"]
assert r["losses"][0]["count"] > 0
assert all(f["uncertain"] for f in r["findings"] if f["kind"] in ("leaked-thread", "unjoined-thread"))
' "$work/json" || fail "json: $(cat "$work/json")"
    # The same run with room: a whole trace, no loss, nothing found.
    run_weft "$BIN/t_drop"
    expect "whole: losses" "$(q "select count(*) from losses")" 0
    expect "whole: complete" "$(q "select complete from processes")" 1
    expect "whole: findings" "$(q "select count(*) from findings")" 0
    "$WEFT" report "$db" >"$work/rep" 2>&1
    grep -q 'trace incomplete' "$work/rep" && fail "a whole trace called incomplete"
    ;;
full_disk)
    # The logs on a small tmpfs that fills up during the run.
    mkdir "$work/mnt"
    # no mount, no test: a failure, never a pass that tested nothing
    mount -t tmpfs -o size=1m tmpfs "$work/mnt" || { fail "cannot mount a tmpfs"; finish; }
    trap 'umount "$work/mnt" 2>/dev/null; rm -rf "$work"' EXIT
    # Every lock and unlock a record of its own (no relock folding, no
    # runs): how much of t_drop's locking the shim can count instead of
    # writing depends on how its threads interleave, and on a loaded
    # machine it once all fit in 1 MB (CI: no loss at all).
    WEFT_SHIM_RELOCKS=0 WEFT_SHIM_RUNS=0 TMPDIR=$work/mnt run_weft "$BIN/t_drop"
    expect "status" "$rc" 0
    expect "stdout" "$(cat "$work/out")" "drop ok 500000"
    [ "$(q "select count(*) from losses")" -gt 0 ] || fail "no loss recorded: $(cat "$work/err")"
    expect "certain thread findings" "$(q "select count(*) from findings where kind in ('leaked-thread', 'unjoined-thread') and not uncertain")" 0
    [ "$(kind_count thread_create)" -eq 4 ] || fail "thread creates before the disk filled: $(kind_count thread_create)"
    ;;
full_db)
    # The database's disk fills while the events go in: with --all-events
    # two runs of t_drop make 2.1M rows (82 MB), more than SQLite's 64 MiB
    # page cache, so about 18 MB of pages spill to the file during the
    # pass (the rest waits for the commit), and on 8 MB the insert that
    # meets the full disk is the events writer's (writer.c). weft ingest
    # says so in one line, fails, and leaves nothing there.
    "$WEFT" run -q --all-events --trace-children --keep-log="$work/logs" -o "$work/whole.db" -- \
        /bin/sh -c "'$BIN/t_drop'; '$BIN/t_drop'" >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    rows=$(sqlite3 "$work/whole.db" "select count(*) from events")
    [ "$rows" -gt 2000000 ] || fail "only $rows rows: the case needs more than the page cache"
    mkdir "$work/mnt"
    mount -t tmpfs -o size=8m tmpfs "$work/mnt" || { fail "cannot mount a tmpfs"; finish; }
    trap 'umount "$work/mnt" 2>/dev/null; rm -rf "$work"' EXIT
    "$WEFT" ingest -q --all-events -o "$work/mnt/t.db" "$work"/logs/log* >"$work/out" 2>"$work/err"
    rc=$?
    [ "$rc" -ne 0 ] || fail "ingest onto a full disk succeeded"
    expect "message" "$(grep -c '^weft: .*full' "$work/err")" 1
    expect "stderr lines" "$(grep -vc '^==weft==' "$work/err")" 1
    expect "left on the disk" "$(ls -A "$work/mnt")" ""
    ;;
raw_clone)
    # A raw clone() thread shares its parent's TLS, so its records and its
    # parent's interleave in one chunk: the chunks that come out corrupt
    # are skipped (a warning each run that has some), never the trace.
    for i in 1 2 3; do
        run_weft "$BIN/t_rawclone"
        expect "status" "$rc" 0
        expect "stdout" "$(cat "$work/out")" "rawclone ok 400000"
        # named, unless the chunk with its start record was the damaged one
        expect "process" "$(q "select count(*) from processes where complete = 0 or json_extract(argv, '\$[0]') = '$BIN/t_rawclone'")" 1
        expect "losses" "$(q "select count(*) from losses where what not in ('bad-chunk', 'dropped-events')")" 0
        if [ "$(q "select count(*) from losses")" -gt 0 ]; then
            grep -q '^weft: warning: trace incomplete: ' "$work/err" || fail "no warning: $(cat "$work/err")"
            expect "incomplete" "$(q "select complete from processes")" 0
        fi
    done
    ;;
rlimit_child)
    # A child under a small RLIMIT_AS cannot map its 4 GiB sparse log: it
    # runs as without weft, and the trace keeps the shell and says that
    # the child's record is lost (or holds it, where the shim copes).
    "$WEFT" run --trace-children -o "$db" -- sh -c \
        "ulimit -v 300000; '$BIN/t_threads' & echo \$! >'$work/pid'; wait \$!; echo st=\$?" \
        >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    expect "stdout" "$(cat "$work/out")" "threads done
st=3"
    child=$(cat "$work/pid")
    expect "shell kept" "$(q "select count(*) from processes where exe = '$(readlink -f /bin/sh)'")" 1
    expect "child traced or its loss named" \
        "$(q "select (select count(*) from processes where pid = $child and exe like '%t_threads') + (select count(*) > 0 from losses where pid = $child)")" 1
    ;;
exec_names)
    # With --trace-children, a shell's child that exec'd xz is xz.
    need xz
    seq 1 20000 >"$work/f"
    xz -T2 -c "$work/f" >"$work/want.xz"
    "$WEFT" run --trace-children -o "$db" -- sh -c "xz -T2 -c '$work/f' >'$work/got.xz'; true" \
        >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    cmp -s "$work/want.xz" "$work/got.xz" || fail "xz's output differs"
    grep -q '^==weft== trace: .* (2 processes, ' "$work/err" || fail "summary: $(cat "$work/err")"
    expect "processes" "$(q "select count(*) from processes")" 2
    expect "root" "$(q "select json_extract(argv, '\$[0]') from processes where parent_pid not in (select pid from processes)")" sh
    expect "child" "$(q "select json_extract(argv, '\$[0]') || ' ' || exe || ' ' || images from processes where exe like '%xz'")" "xz /usr/bin/xz 2"
    expect "images" "$(q "select group_concat(seq || ':' || exe || ':' || coalesce(exec_path, '-') || ':' || untraced, ' ') from (select * from images where pid = (select pid from processes where exe like '%xz') order by seq)")" "0:$(readlink -f /bin/sh):/usr/bin/xz:0 1:/usr/bin/xz:-:0"
    expect "no untraced note" "$(q "select count(*) from images where untraced")" 0
    ;;
untraced_7z)
    # Debian's 7z is a shell script that execs the real 7z: without
    # --trace-children the summary says the real program ran untraced.
    need 7z
    seq 1 5000 >"$work/g.txt"
    "$WEFT" run -o "$db" -- 7z a "$work/a.7z" "$work/g.txt" >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    grep -q "^==weft== note: process [0-9]* exec'd .*7z, which ran untraced: use --trace-children" \
        "$work/err" || fail "no note: $(cat "$work/err")"
    7z x -so "$work/a.7z" >"$work/x.txt" 2>/dev/null
    cmp -s "$work/g.txt" "$work/x.txt" || fail "the archive does not hold the file"
    expect "untraced" "$(q "select count(*) from images where untraced and exec_path like '%7z'")" 1
    "$WEFT" report "$db" >"$work/rep" 2>&1
    grep -q "^==weft== note: process [0-9]* exec'd" "$work/rep" || fail "report: $(cat "$work/rep")"
    ;;
untraced_child)
    # A shell's child that execs a program without --trace-children goes
    # on as that program: its log stops at the exec, which is no death
    # (exit_kind exec, no "state at death" block, the program named).
    "$WEFT" run -o "$db" -- sh -c "$BIN/t_threads >/dev/null; exit 4" >"$work/out" 2>"$work/err"
    expect "status" "$?" 4
    expect "the child" "$(q "select exit_kind || ' ' || finished from processes where parent_pid in (select pid from processes)")" "exec 0"
    expect "its image" "$(q "select exec_path || ' ' || untraced from images where exec_path is not null")" "$BIN/t_threads 1"
    "$WEFT" report "$db" >"$work/rep" 2>&1
    grep -q "state at death" "$work/err" "$work/rep" && fail "a death: $(cat "$work/err" "$work/rep")"
    grep -q "^==weft== process [0-9]* .*: exec'd $BIN/t_threads, untraced from there; 1 threads$" "$work/rep" ||
        fail "no exec line: $(cat "$work/rep")"
    ;;
make_count)
    # make runs three recipes, each a shell: four processes, counted once
    # each (not once per image or log), and named by what they ran.
    need make
    printf 'all: a b c\na b c:\n\t@echo $$$$ >>%s/pids\n' "$work" >"$work/Makefile"
    "$WEFT" run --trace-children -o "$db" -- make -s -f "$work/Makefile" >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    real=$(($(wc -l <"$work/pids") + 1))
    expect "recipes" "$real" 4
    expect "processes" "$(q "select count(*) from processes")" "$real"
    grep -q "^==weft== trace: .* ($real processes, " "$work/err" || fail "summary: $(cat "$work/err")"
    for p in $(cat "$work/pids"); do
        expect "process $p" "$(q "select exe from processes where pid = $p")" "$(readlink -f /bin/sh)"
    done
    expect "make" "$(q "select json_extract(argv, '\$[0]') from processes where exe like '%make'")" make
    ;;
forkmany_memory)
    # 100 short-lived fork children with threads: ingest must not grow by
    # megabytes per process (it took 1.7 GB: a symbolizer per process).
    /usr/bin/time -f %M -o "$work/rss" "$WEFT" run -q -o "$db" -- "$BIN/t_forkmany" 100 \
        >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    expect "stdout" "$(cat "$work/out")" "100 children ok"
    expect "processes" "$(q "select count(*) from processes")" 101
    expect "losses" "$(q "select count(*) from losses")" 0
    rss=$(tail -n 1 "$work/rss")
    [ "$rss" -lt 200000 ] || fail "weft run's peak RSS is $rss KB for 100 children (bound 200000)"
    ;;
*)
    echo "unknown test $name" >&2
    exit 2
    ;;
esac
[ "$fails" -eq 0 ] && echo "ok [$name]"
finish
