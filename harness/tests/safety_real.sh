#!/bin/sh
# safety_real.sh: Debian's own programs under `weft run`, each compared
# with a run of the same command without weft: the same stdout, the same
# stderr (less the lines weft adds: ==weft== and weft: ...), the same exit
# status and the same files, and a trace with every process and no
# dropped events. Usage: safety_real.sh
# CASE, with WEFT, SHIM and BIN in the environment (CTest sets them).
set -u
name=$1
. "$(dirname "$0")/lib.sh"

# same OPTS -- CMD...: runs CMD in $work/plain and, under `weft run OPTS`,
# in $work/traced (each a fresh copy of $work/in), then compares what the
# program did. Sets rc (the traced run's status).
same() {
    opts=""
    while [ "$1" != "--" ]; do opts="$opts $1"; shift; done
    shift
    for d in plain traced; do
        rm -rf "$work/$d"
        cp -a "$work/in" "$work/$d"
    done
    (cd "$work/plain" && "$@" >"$work/plain.out" 2>"$work/plain.err")
    prc=$?
    # shellcheck disable=SC2086
    (cd "$work/traced" && "$WEFT" run -q $opts -o "$db" -- "$@" >"$work/traced.out" 2>"$work/traced.err")
    rc=$?
    expect "exit status of '$*'" "$rc" "$prc"
    cmp -s "$work/plain.out" "$work/traced.out" || fail "stdout of '$*' differs"
    grep -v '^==weft==\|^weft: ' "$work/traced.err" >"$work/traced.err2"
    cmp -s "$work/plain.err" "$work/traced.err2" ||
        fail "stderr of '$*' differs: $(diff "$work/plain.err" "$work/traced.err2" | head -5)"
    diff -r "$work/plain" "$work/traced" >/dev/null || fail "files of '$*' differ"
    [ -f "$db" ] || { fail "no trace for '$*'"; return; }
    expect "losses in the trace of '$*'" \
        "$(q "select coalesce(sum(dropped_events), 0) from processes")" 0
}
mkdir -p "$work/in"
# Data that compresses somewhat, the same in both runs.
awk 'BEGIN { srand(7); for (i = 0; i < 60000; i++) print i, int(rand() * 1000) }' \
    >"$work/in/data.txt"

case $name in
real_xz) # liblzma's worker threads
    need xz
    same -- xz -T2 -k -6 data.txt
    expect "xz threads" "$(q "select count(*) > 1 from threads")" 1
    same -- sh -c 'xz -T2 -c data.txt | xz -d -T2 | cmp - data.txt'
    ;;
real_zstd)
    need zstd
    same -- zstd -q -T2 -k data.txt
    ;;
real_sqlite3)
    need sqlite3
    same -- sqlite3 t.db "create table t(x); insert into t select value from generate_series(1, 1000); select sum(x) from t;"
    ;;
real_make) # a process tree: make forks shells that exec programs
    need make
    printf 'all: a.out b.out c.out\n\t@cat a.out b.out c.out\n%%.out:\n\t@echo $@ > $@\n' \
        >"$work/in/Makefile"
    same --trace-children -- make -s -j2
    expect "processes" "$(q "select count(*) > 3 from processes")" 1
    ;;
real_parallel) # GNU parallel: perl forking short-lived children
    need parallel
    same --trace-children -- sh -c 'seq 1 6 | parallel -k -j2 echo item'
    expect "processes" "$(q "select count(*) > 2 from processes")" 1
    ;;
real_python) # CPython's threads, locks and signal set-up
    need /usr/bin/python3
    cat >"$work/in/t.py" <<'PY'
import signal, threading, queue
print([str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGHUP)])
q = queue.Queue()
def work(n):
    q.put(sum(range(n)))
ts = [threading.Thread(target=work, args=(10000 * i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(q.get() for _ in ts))
PY
    same -- /usr/bin/python3 t.py
    ;;
real_bash) # pipes, subshells, fds
    same --trace-children -- bash -c 'exec 3>f3; echo x >&3; exec 3>&-; (sort -n data.txt | tail -1) | wc -c; cat f3'
    ;;
selfingest_exec)
    # Plain LD_PRELOAD (self-ingest) under a shell whose children exec
    # programs, and which execs one itself after a cd: each process's
    # database holds every image it ran (the shell's part too), goes to
    # the start-up directory, and no log is left behind (each was a 4 GiB
    # sparse file, and the shell's own records were lost).
    need xz
    mkdir "$work/in/sub"
    cmd='xz -k -T2 data.txt; wc -l <data.txt; cd sub && exec true'
    (cd "$work/in" && sh -c "$cmd" >"$work/plain.out" 2>&1)
    prc=$?
    rm -f "$work/in/data.txt.xz"
    (cd "$work/in" && LD_PRELOAD=$SHIM WEFT_BIN=$WEFT sh -c "$cmd" >"$work/pre.out" 2>&1)
    expect "status" "$?" "$prc"
    cmp -s "$work/plain.out" "$work/pre.out" || fail "output differs: $(cat "$work/pre.out")"
    xz -t "$work/in/data.txt.xz" || fail "xz's file"
    left=$(cd "$work/in" && ls -A | grep -c '^weft-.*\.log')
    expect "logs left" "$left" 0
    expect "databases (sh, xz, wc)" "$(ls "$work/in" | grep -c '^weft-.*\.db$')" 3
    expect "databases in sub" "$(ls -A "$work/in/sub" | wc -l)" 0
    for f in "$work"/in/weft-*.db; do
        db=$f
        expect "losses in $f" "$(q "select count(*) from losses")" 0
        expect "images in $f" "$(q "select group_concat(exe, ' ') from (select exe from images order by seq)")" \
            "$(q "select case when exe like '%xz' then '$(readlink -f /bin/sh) /usr/bin/xz'
                               when exe like '%wc' then '$(readlink -f /bin/sh) /usr/bin/wc'
                               else '$(readlink -f /bin/sh) /usr/bin/true' end from processes")"
    done
    ;;
selfingest_exit_signal)
    # A SIGTERM that reaches a child already in its exit (its self-ingest
    # running) must not turn exit 3 into a death by SIGTERM (Python's
    # Pool terminating workers that were on their way out).
    "$BIN/t_exitsig" >"$work/plain.out" || fail "t_exitsig without weft"
    expect "without weft" "$(cat "$work/plain.out")" "child: exit 3"
    (cd "$work" && LD_PRELOAD=$SHIM WEFT_BIN=$WEFT "$BIN/t_exitsig" >"$work/pre.out")
    expect "status" "$?" 0
    expect "under LD_PRELOAD" "$(cat "$work/pre.out")" "child: exit 3"
    expect "logs left" "$(ls -A "$work" | grep -c '^weft-.*\.log')" 0
    expect "databases" "$(ls "$work" | grep -c '^weft-.*\.db$')" 2
    for f in "$work"/weft-*.db; do
        db=$f
        [ "$(q "select count(*) from processes where exit_kind = 'exit' and exit_code = 3")" = 1 ] ||
            [ "$(q "select count(*) from processes where exit_kind = 'return'")" = 1 ] ||
            fail "$f: $(q "select exit_kind, exit_code, signal from processes")"
    done
    ;;
selfingest_fork_signal)
    # Children SIGTERMed right after fork, sometimes inside the shim's
    # fork handler (where the signal is now held back until the child's
    # log and self-ingest are set up): they die of it as without weft,
    # and none leaves its log behind.
    "$BIN/t_forksig" >"$work/plain.out"
    (cd "$work" && LD_PRELOAD=$SHIM WEFT_BIN=$WEFT "$BIN/t_forksig" >"$work/pre.out")
    expect "status" "$?" 0
    expect "output" "$(cat "$work/pre.out")" "$(cat "$work/plain.out")"
    expect "output" "$(cat "$work/pre.out")" "killed 20"
    expect "logs left" "$(ls -A "$work" | grep '^weft-.*\.log' | head -3)" ""
    # A child that died before its fork handler made a log has none (it
    # ran no code of its own); the parent's trace is there.
    [ "$(ls "$work" | grep -c '^weft-.*\.db$')" -ge 1 ] || fail "no database"
    ;;
*)
    echo "unknown test $name" >&2
    exit 2
    ;;
esac
finish
