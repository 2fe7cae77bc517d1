#!/bin/sh
# SPDX-License-Identifier: MIT
# safety_shim.sh: the shim never harms the traced program (issue 9, the
# shim's items): it touches no fd it does not own, never hangs a fork
# child on a lock, never raises a signal on a full disk, shows the program
# the signal dispositions it would have without weft, leaves the user's
# LD_PRELOAD entries alone, is inert in setuid programs, and writes its
# logs 0600 and keeps none of its written log in the program's memory.
# Each case runs the program without weft first and compares.
# Usage: safety_shim.sh NAME, with WEFT, SHIM and BIN in the environment.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

PY=/usr/bin/python3
JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2

# plain OUT PROG ARGS: without weft; rc in prc
plain() {
    o=$1
    shift
    "$@" >"$o" 2>"$o.err"
    prc=$?
}
# preload OUT PROG ARGS: under plain LD_PRELOAD, log $work/p.log; rc in lrc
preload() {
    o=$1
    shift
    LD_PRELOAD=$SHIM WEFT_LOG=$work/p.log "$@" >"$o" 2>"$o.err"
    lrc=$?
}
# hdr FILE OFFSET: a u64 field of a raw log's header
hdr() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
# mount_tmpfs DIR SIZE: a small filesystem of our own, unmounted at exit
mount_tmpfs() {
    mkdir -p "$1"
    mount -t tmpfs -o "size=$2" tmpfs "$1" ||
        { fail "cannot mount a tmpfs (tests run as root)"; finish; }
    mounts="${mounts:-} $1"
    trap 'for m in $mounts; do umount "$m"; done; rm -rf "$work"' EXIT
}
# A background command of a non-interactive shell starts with SIGINT
# ignored (and Python then leaves it so): give it back its default.
dfl="env --default-signal=INT"
# wait_file FILE [PATTERN]: until FILE exists (and holds PATTERN), or 20 s
wait_file() {
    i=0
    while [ $i -lt 400 ]; do
        if [ -s "$1" ] && { [ $# -lt 2 ] || grep -q "$2" "$1"; }; then
            return 0
        fi
        sleep 0.05
        i=$((i + 1))
    done
    fail "$1 never appeared"
    return 1
}

# t_logrss ARGS... plain and under the shim: the program's RssFile under
# the shim at most 16 MB over plain, for a log of more than MINKB KB.
log_rss() {
    local minkb=$1
    shift
    plain "$work/out.ref" "$BIN/t_logrss" "$@"
    expect "plain: status" "$prc" 0
    preload "$work/out.pre" "$BIN/t_logrss" "$@"
    expect "LD_PRELOAD: status" "$lrc" 0
    logkb=$(du -k "$work/p.log" | cut -f1)
    [ "$logkb" -gt "$minkb" ] || fail "the log is only $logkb KB: the program wrote too little to tell"
    ref=$(cat "$work/out.ref") got=$(cat "$work/out.pre")
    [ "$got" -le $((ref + 16384)) ] ||
        fail "RssFile $got KB under the shim, $ref KB without (bound: 16 MB more; log $logkb KB)"
}

case $name in
closefds)
    # A daemon's start: close every fd > 2 (close_range, or one by one),
    # dup2 over the low numbers, open its own file and write it while
    # threads make the recorder claim log chunks. The file must be
    # exactly as without weft (the shim used to fallocate its old fd).
    for how in range loop; do
        plain "$work/out.ref" "$BIN/t_closefds" "$work/ref.$how" "$how"
        expect "plain $how" "$prc" 0
        run_weft "$BIN/t_closefds" "$work/run.$how" "$how"
        expect "weft run $how: status" "$rc" 0
        expect "weft run $how: stdout" "$(cat "$work/out")" "$(cat "$work/out.ref")"
        cmp "$work/ref.$how" "$work/run.$how" || fail "weft run $how: the program's file changed"
        expect "weft run $how: threads" "$(q "select count(*) from threads")" 361
        rm -f "$work/p.log"
        preload "$work/out.pre" "$BIN/t_closefds" "$work/pre.$how" "$how"
        expect "LD_PRELOAD $how: status" "$lrc" 0
        expect "LD_PRELOAD $how: stdout" "$(cat "$work/out.pre")" "$(cat "$work/out.ref")"
        cmp "$work/ref.$how" "$work/pre.$how" || fail "LD_PRELOAD $how: the program's file changed"
    done
    ;;
fork_loader)
    # Forks while other threads are inside dlopen/dlclose/dl_iterate_phdr:
    # every child must run to its end (a hang fails by the timeout).
    plain "$work/out.ref" timeout -k 5 60 "$BIN/t_forkdl"
    expect "plain" "$prc" 0
    sort "$work/out.ref" >"$work/ref.sorted"
    expect "plain: children" "$(tail -n 1 "$work/out.ref")" "ok 200"
    timeout -k 5 90 "$WEFT" run -q -o "$db" -- "$BIN/t_forkdl" >"$work/out" 2>"$work/err"
    rc=$?
    expect "weft run: status" "$rc" 0
    expect "weft run: processes" "$(q "select count(*) from processes")" 201
    sort "$work/out" | cmp -s - "$work/ref.sorted" || fail "weft run: output differs: $(tail -n 2 "$work/out")"
    timeout -k 5 90 env LD_PRELOAD="$SHIM" WEFT_LOG="$work/p.log" "$BIN/t_forkdl" >"$work/out.pre" 2>&1
    expect "LD_PRELOAD: status" "$?" 0
    sort "$work/out.pre" | cmp -s - "$work/ref.sorted" || fail "LD_PRELOAD: output differs: $(tail -n 2 "$work/out.pre")"
    # every child left a log with its module map
    n=$(ls "$work"/p.log.* 2>/dev/null | wc -l)
    expect "LD_PRELOAD: child logs" "$n" 200
    "$WEFT" ingest -q "$work"/p.log* -o "$work/pre.db" >/dev/null 2>&1
    expect "processes" "$(sqlite3 "$work/pre.db" "select count(*) from processes")" 201
    expect "children's modules" "$(sqlite3 "$work/pre.db" "select count(distinct pid) from modules")" 201
    ;;
sigaction_view)
    # Every signal's disposition, read back by a C program, and the old
    # handlers that signal(), sysv_signal(), sigset() return.
    plain "$work/out.ref" "$BIN/t_sigdisp"
    run_weft "$BIN/t_sigdisp"
    expect "weft run: status" "$rc" 0
    diff "$work/out.ref" "$work/out" >"$work/diff" || fail "weft run: dispositions differ: $(head -5 "$work/diff")"
    preload "$work/out.pre" "$BIN/t_sigdisp"
    diff "$work/out.ref" "$work/out.pre" >"$work/diff" || fail "LD_PRELOAD: dispositions differ: $(head -5 "$work/diff")"
    ;;
python_signals)
    # What Python reads at start decides its handlers (KeyboardInterrupt
    # only when SIGINT is SIG_DFL).
    need "$PY"
    script='import signal
for s in sorted(signal.valid_signals()):
    try:
        print(int(s), signal.getsignal(s))
    except Exception as e:
        print(int(s), "error", e)'
    plain "$work/out.ref" "$PY" -c "$script"
    run_weft "$PY" -c "$script"
    expect "weft run: status" "$rc" 0
    diff "$work/out.ref" "$work/out" >"$work/diff" || fail "weft run: differs: $(head -5 "$work/diff")"
    preload "$work/out.pre" "$PY" -c "$script"
    diff "$work/out.ref" "$work/out.pre" >"$work/diff" || fail "LD_PRELOAD: differs: $(head -5 "$work/diff")"
    ;;
fd_view)
    # The fds a program sees are its own: after the recorder has taken
    # stacks (threads, contended locks), /proc/self/fd lists the same
    # numbers as without weft (libunwind's validation pipe showed as two
    # fds at the top of the range).
    need "$PY"
    script='import os, threading
l = threading.Lock()
def w():
    for _ in range(20000):
        with l: pass
ts = [threading.Thread(target=w) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(os.listdir("/proc/self/fd"), key=int))'
    plain "$work/out.ref" "$PY" -c "$script"
    run_weft "$PY" -c "$script"
    expect "weft run: status" "$rc" 0
    diff "$work/out.ref" "$work/out" >"$work/diff" || fail "weft run: differs: $(head -5 "$work/diff")"
    preload "$work/out.pre" "$PY" -c "$script"
    diff "$work/out.ref" "$work/out.pre" >"$work/diff" || fail "LD_PRELOAD: differs: $(head -5 "$work/diff")"
    ;;
python_sigint)
    # SIGINT to a Python program is a KeyboardInterrupt it handles: exit 0,
    # same output, with and without weft. The pid comes from a pidfile the
    # script writes once it runs (its handlers are set by then).
    need "$PY"
    cat >"$work/s.py" <<'PYEOF'
import os, sys, time
pidfile = sys.argv[1]
with open(pidfile + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(pidfile + ".tmp", pidfile)
try:
    while True:
        time.sleep(10)
except KeyboardInterrupt:
    print("KeyboardInterrupt caught")
    sys.exit(0)
PYEOF
    for mode in plain run preload; do
        rm -f "$work/pid"
        case $mode in
        plain) $dfl "$PY" "$work/s.py" "$work/pid" >"$work/o.$mode" 2>&1 & ;;
        run) $dfl "$WEFT" run -q -o "$db" -- "$PY" "$work/s.py" "$work/pid" >"$work/o.$mode" 2>&1 & ;;
        preload) $dfl env LD_PRELOAD=$SHIM WEFT_LOG=$work/p.log "$PY" "$work/s.py" "$work/pid" >"$work/o.$mode" 2>&1 & ;;
        esac
        bg=$!
        wait_file "$work/pid" && kill -INT "$(cat "$work/pid")"
        wait $bg
        r=$?
        expect "$mode: status" "$r" 0
        expect "$mode: output" "$(cat "$work/o.$mode")" "KeyboardInterrupt caught"
    done
    expect "weft run: python's end in the trace" "$(q "select exit_kind || ' ' || exit_code from processes")" "exit 0"
    ;;
http_server)
    # python3 -m http.server (run through runpy, so that the script can
    # write its pid first) exits 0 on SIGINT, with the same message.
    need "$PY"
    prog='import os, sys, runpy
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
sys.argv = ["http.server", "0", "--bind", "127.0.0.1"]
runpy.run_module("http.server", run_name="__main__")'
    for mode in plain run preload; do
        rm -f "$work/pid"
        case $mode in
        plain) PYTHONUNBUFFERED=1 $dfl "$PY" -c "$prog" "$work/pid" >"$work/o.$mode" 2>&1 & ;;
        run) PYTHONUNBUFFERED=1 $dfl "$WEFT" run -q -o "$db" -- "$PY" -c "$prog" "$work/pid" >"$work/o.$mode" 2>&1 & ;;
        preload) PYTHONUNBUFFERED=1 $dfl env LD_PRELOAD=$SHIM WEFT_LOG=$work/p.log "$PY" -c "$prog" "$work/pid" >"$work/o.$mode" 2>&1 & ;;
        esac
        bg=$!
        wait_file "$work/o.$mode" "Serving HTTP" && wait_file "$work/pid" && kill -INT "$(cat "$work/pid")"
        wait $bg
        r=$?
        expect "$mode: status" "$r" 0
        # the port differs from run to run
        sed 's/[0-9][0-9]*/N/g' "$work/o.$mode" >"$work/o.$mode.n"
    done
    diff "$work/o.plain.n" "$work/o.run.n" >"$work/diff" || fail "weft run: output differs: $(cat "$work/diff" | tr "\n" "|")"
    diff "$work/o.plain.n" "$work/o.preload.n" >"$work/diff" || fail "LD_PRELOAD: output differs: $(cat "$work/diff" | tr "\n" "|")"
    grep -q "Keyboard interrupt received" "$work/o.plain" || fail "plain run: no KeyboardInterrupt message: $(cat "$work/o.plain")"
    ;;
preload_env)
    # Without --trace-children only weft's own entry leaves LD_PRELOAD:
    # the user's entries stay, in order, with their separators.
    need "$JEMALLOC"
    LD_PRELOAD=$JEMALLOC "$WEFT" run -q -o "$db" -- sh -c 'echo "[$LD_PRELOAD]"' >"$work/out" 2>"$work/err"
    expect "weft run: status" "$?" 0
    expect "weft run: child's LD_PRELOAD" "$(cat "$work/out")" "[$JEMALLOC]"
    "$WEFT" run -q -o "$db" -- sh -c 'echo "[${LD_PRELOAD-unset}]"' >"$work/out" 2>"$work/err"
    expect "weft run alone: child's LD_PRELOAD" "$(cat "$work/out")" "[unset]"
    for pre in "$SHIM $JEMALLOC" "$JEMALLOC:$SHIM" "$JEMALLOC $SHIM libc.so.6" "$SHIM"; do
        want=$(printf '%s' "$pre" | sed "s|$SHIM||; s|^[ :]||; s|[ :]\$||; s|  | |; s|::|:|")
        [ -n "$want" ] || want=unset
        out=$(LD_PRELOAD=$pre WEFT_CHILDREN=0 WEFT_LOG=$work/p.log sh -c 'echo "${LD_PRELOAD-unset}"')
        expect "LD_PRELOAD='$pre'" "$out" "$want"
        rm -f "$work"/p.log*
    done
    # With --trace-children everything stays.
    LD_PRELOAD=$JEMALLOC "$WEFT" run -q --trace-children -o "$db" -- sh -c 'echo "[$LD_PRELOAD]"' >"$work/out" 2>"$work/err"
    case $(cat "$work/out") in
    *"$JEMALLOC"*) ;;
    *) fail "--trace-children: the user's entry is gone: $(cat "$work/out")" ;;
    esac
    ;;
asan_build)
    # A program built with -fsanitize=address dies at start unless its
    # runtime is the first object loaded: weft run puts libasan ahead of
    # the shim, and both leave LD_PRELOAD again, so the program (and what
    # it runs) sees the environment it would see without weft. Stacks
    # start at the program's call, not in ASan's interceptor.
    cat >"$work/asan.c" <<'EOF2'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *sleeper(void *a) { (void)a; pause(); return 0; }
int main(void) {
    pthread_t t;
    pthread_create(&t, 0, sleeper, 0);
    const char *p = getenv("LD_PRELOAD");
    printf("[%s] [%s]\n", p ? p : "unset", getenv("WEFT_PRELOAD_LEAD") ? "lead" : "-");
    return 0;
}
EOF2
    cc -fsanitize=address -g -O0 "$work/asan.c" -o "$work/asan" -lpthread ||
        { fail "cannot build with -fsanitize=address"; finish; }
    plain "$work/plain" "$work/asan"
    expect "plain run" "$prc" 0
    rm -f "$db"
    "$WEFT" run -q -o "$db" -- "$work/asan" >"$work/out" 2>"$work/err"
    rc=$?
    expect "weft run: status" "$rc" "$prc"
    cmp -s "$work/out" "$work/plain" || fail "weft run: stdout: $(cat "$work/out") ($(head -c 300 "$work/err"))"
    expect "weft run: findings" "$(q "select group_concat(kind) from findings")" leaked-thread
    expect "weft run: creation frame" \
        "$(q "select f.function || ':' || f.line from threads t join frames f on f.stack = t.create_stack and f.depth = 0 where t.tid = 2")" \
        "main:8"
    # the user's own entry stays; with --trace-children the shim does too,
    # never libasan
    LD_PRELOAD=$JEMALLOC "$WEFT" run -q -o "$db.2" -- "$work/asan" >"$work/out" 2>"$work/err"
    expect "LD_PRELOAD=jemalloc: status" "$?" 0
    expect "LD_PRELOAD=jemalloc: the program's view" "$(cat "$work/out")" "[$JEMALLOC] [-]"
    "$WEFT" run -q --trace-children -o "$db.3" -- "$work/asan" >"$work/out" 2>"$work/err"
    expect "--trace-children: status" "$?" 0
    expect "--trace-children: the program's view" "$(cat "$work/out")" "[$SHIM] [-]"
    ;;
setuid)
    # A setuid-root program run by nobody, with the shim preloaded the way
    # the loader accepts for secure programs (a setuid library in a system
    # directory, by bare name): bind-mounted over jemalloc, inside a mount
    # namespace of the test's own. The shim must do nothing: no log, no
    # WEFT_BIN run, the same output.
    need unshare setpriv "$JEMALLOC"
    cp "$BIN/t_setuid" "$work/suid" && chmod 4755 "$work/suid"
    cp "$SHIM" "$work/shim.so" && chmod 4755 "$work/shim.so"
    mkdir "$work/cwd" && chmod 777 "$work/cwd"
    chmod 755 "$work"
    printf '#!/bin/sh\ntouch %s/bin-ran\n' "$work" >"$work/fakeweft"
    chmod 755 "$work/fakeweft"
    # The control: not setuid, the same shim copy: it does record.
    (cd "$work/cwd" && LD_PRELOAD=$work/shim.so WEFT_LOG=$work/ctl.log "$BIN/t_setuid" shim.so) >"$work/out.ctl"
    expect "control" "$(cat "$work/out.ctl")" "secure=0 mapped=1"
    [ -s "$work/ctl.log" ] || fail "control: the shim wrote no log (is it loaded?)"
    for logvar in "WEFT_LOG=$work/cwd/evil.log" "WEFT_NOTHING=1"; do
        unshare -m sh -c "mount --bind '$work/shim.so' '$JEMALLOC' && cd '$work/cwd' &&
            exec setpriv --reuid=65534 --regid=65534 --clear-groups env LD_PRELOAD=libjemalloc.so.2 \
            WEFT_BIN='$work/fakeweft' $logvar '$work/suid' libjemalloc" >"$work/out" 2>"$work/err"
        expect "setuid ($logvar): status" "$?" 0
        expect "setuid ($logvar): output" "$(cat "$work/out")" "secure=1 mapped=1"
        expect "setuid ($logvar): stderr" "$(cat "$work/err")" ""
        expect "setuid ($logvar): files made" "$(ls "$work/cwd")" ""
        [ ! -e "$work/bin-ran" ] || fail "setuid ($logvar): WEFT_BIN was run"
    done
    ;;
log_mode)
    # Logs are 0600 whatever the umask: they hold argv and paths; so is
    # the database the self-ingest makes (it runs with umask 077).
    umask 022
    preload "$work/out.pre" "$BIN/t_fork"
    expect "log mode" "$(stat -c %a "$work/p.log")" 600
    for f in "$work"/p.log.*; do
        expect "child log mode" "$(stat -c %a "$f")" 600
    done
    mkdir "$work/auto"
    (cd "$work/auto" && LD_PRELOAD=$SHIM "$BIN/t_output" >/dev/null 2>&1)
    for f in "$work"/auto/weft-*; do
        [ -e "$f" ] || fail "self-ingest made no database"
        expect "$(basename "$f") mode" "$(stat -c %a "$f")" 600
    done
    ;;
diskfull_start)
    # The log's filesystem is full before the program starts: the program
    # runs as without weft (no SIGBUS before main) and the log is left
    # empty, which says "no trace from this process".
    mount_tmpfs "$work/mnt" 1m
    dd if=/dev/zero of="$work/mnt/fill" bs=64k 2>/dev/null
    plain "$work/out.ref" "$BIN/t_output"
    LD_PRELOAD=$SHIM WEFT_LOG=$work/mnt/t.log "$BIN/t_output" >"$work/out.pre" 2>"$work/err.pre"
    lrc=$?
    expect "LD_PRELOAD: status" "$lrc" "$prc"
    expect "LD_PRELOAD: stdout" "$(cat "$work/out.pre")" "$(cat "$work/out.ref")"
    expect "LD_PRELOAD: stderr" "$(cat "$work/err.pre")" "$(cat "$work/out.ref.err")"
    expect "LD_PRELOAD: empty log" "$(stat -c %s "$work/mnt/t.log")" 0
    TMPDIR=$work/mnt "$WEFT" run -q -o "$db" -- "$BIN/t_output" >"$work/out" 2>"$work/err"
    rc=$?
    expect "weft run: stdout" "$(cat "$work/out")" "$(cat "$work/out.ref")"
    # the program's status, or weft run's "no trace" (124): never a signal
    [ "$rc" -eq "$prc" ] || [ "$rc" -eq 124 ] || fail "weft run: status $rc ($(cat "$work/err"))"
    ;;
diskfull_fork)
    # The disk fills during the run (the program fills it), then threads
    # need new log chunks and a child is forked: no signal, the same
    # output and status, dropped events counted in the log's header.
    mount_tmpfs "$work/mnt" 1m
    plain "$work/out.ref" "$BIN/t_diskfull" "$work/mnt/fill"
    expect "plain: status" "$prc" 7
    rm -f "$work/mnt/fill"
    LD_PRELOAD=$SHIM WEFT_LOG=$work/mnt/t.log "$BIN/t_diskfull" "$work/mnt/fill" >"$work/out.pre" 2>"$work/err.pre"
    lrc=$?
    expect "LD_PRELOAD: status" "$lrc" 7
    expect "LD_PRELOAD: stdout" "$(cat "$work/out.pre")" "$(cat "$work/out.ref")"
    expect "LD_PRELOAD: stderr" "$(cat "$work/err.pre")" ""
    d=$(hdr "$work/mnt/t.log" 72)
    [ "${d:-0}" -gt 0 ] || fail "no dropped events counted in the header ($d)"
    expect "magic" "$(head -c 8 "$work/mnt/t.log" | tr -d '\0')" "$(head -c 8 "$work/mnt/t.log" | tr -d '\0' | grep WEFT || echo none)"
    for f in "$work"/mnt/t.log.*; do
        expect "child's log (no room): empty" "$(stat -c %s "$f")" 0
    done
    ;;
rlimits)
    # Under a small RLIMIT_AS the log is mapped smaller (the header says
    # how much); under a small RLIMIT_FSIZE the log stays within it (a
    # larger file would raise SIGXFSZ in the program).
    plain "$work/out.ref" "$BIN/t_threads"
    sh -c "ulimit -v 400000; LD_PRELOAD='$SHIM' WEFT_LOG='$work/as.log' exec '$BIN/t_threads'" >"$work/out.as" 2>&1
    expect "RLIMIT_AS: status" "$?" "$prc"
    expect "RLIMIT_AS: stdout" "$(cat "$work/out.as")" "$(cat "$work/out.ref")"
    cap=$(hdr "$work/as.log" 24)
    [ "${cap:-0}" -gt 0 ] && [ "$cap" -lt 65535 ] || fail "RLIMIT_AS: capacity $cap chunks"
    "$WEFT" ingest -q "$work/as.log" -o "$work/as.db" >/dev/null 2>&1
    expect "RLIMIT_AS: threads" "$(sqlite3 "$work/as.db" "select count(*) from threads")" 8
    sh -c "ulimit -f 20480; LD_PRELOAD='$SHIM' WEFT_LOG='$work/fs.log' exec '$BIN/t_threads'" >"$work/out.fs" 2>&1
    expect "RLIMIT_FSIZE: status" "$?" "$prc"
    expect "RLIMIT_FSIZE: stdout" "$(cat "$work/out.fs")" "$(cat "$work/out.ref")"
    size=$(stat -c %s "$work/fs.log")
    [ "$size" -le $((20480 * 512)) ] || fail "RLIMIT_FSIZE: log of $size bytes"
    "$WEFT" ingest -q "$work/fs.log" -o "$work/fs.db" >/dev/null 2>&1
    expect "RLIMIT_FSIZE: threads" "$(sqlite3 "$work/fs.db" "select count(*) from threads")" 8
    ;;
fork_sigkill)
    # Children SIGKILLed right after fork leave logs with a valid header
    # (made inside fork, before the file grows): never all zeros.
    preload "$work/out.pre" "$BIN/t_forkkill"
    expect "LD_PRELOAD: status" "$lrc" 0
    expect "LD_PRELOAD: stdout" "$(cat "$work/out.pre")" "killed 20"
    n=0
    for f in "$work"/p.log.*; do
        n=$((n + 1))
        expect "$(basename "$f"): magic" "$(head -c 7 "$f")" WEFTLOG
    done
    expect "child logs" "$n" 20
    "$WEFT" ingest -q "$work"/p.log* -o "$db" >/dev/null 2>&1
    expect "processes" "$(q "select count(*) from processes")" 21
    ;;
log_rss)
    # The log's pages leave the program once written: a single-threaded
    # run writes ~30 MB of log before its first thread starts the shim's
    # own; that thread then prepares only chunks ahead of the claims,
    # never the written ones again (it faulted them all back in: 108 MB
    # of RssFile for 104 MB of log).
    log_rss 20000 300000
    ;;
threads_rss)
    # 2,000 threads that each wait once: the shim's memory per thread stays
    # small. libunwind's fast trace keeps 256 KiB for each thread that
    # asks it, every entry written (2,000 threads: 683 MB, 18 MB without
    # the shim); a thread now unwinds with a cursor until it unwinds often
    # (stack.c). Bound: 128 KiB a thread more than without the shim (a
    # log chunk is 64 KiB).
    /usr/bin/time -f %M -o "$work/rss.ref" "$BIN/t_fault" threads 2000 >"$work/out.ref" 2>&1
    expect "plain: status" "$?" 0
    /usr/bin/time -f %M -o "$work/rss.pre" env LD_PRELOAD="$SHIM" WEFT_LOG="$work/t.log" \
        "$BIN/t_fault" threads 2000 >"$work/out.pre" 2>&1
    expect "LD_PRELOAD: status" "$?" 0
    expect "LD_PRELOAD: stdout" "$(cat "$work/out.pre")" "$(cat "$work/out.ref")"
    ref=$(tail -n 1 "$work/rss.ref") got=$(tail -n 1 "$work/rss.pre")
    [ "$got" -le $((ref + 2000 * 128)) ] ||
        fail "peak RSS $got KB under the shim, $ref KB without (bound: 128 KiB a thread more)"
    ;;
short_rss)
    # A short program (a worker's one send, answered 5 ms in) writes a
    # few chunks in all: the shim prepares log chunks ahead of the claims
    # in a window as wide as the chunks claimed so far (log_writer.c), so
    # it does not fault in 4 MiB of log pages the program never writes
    # (+4.9 MB of RSS with the whole window from the start; +0.9 MB now).
    /usr/bin/time -f %M -o "$work/rss.ref" "$BIN/t_exit_held" 5 >"$work/out.ref" 2>&1
    expect "plain: status" "$?" 0
    /usr/bin/time -f %M -o "$work/rss.pre" env LD_PRELOAD="$SHIM" WEFT_LOG="$work/t.log" \
        "$BIN/t_exit_held" 5 >"$work/out.pre" 2>&1
    expect "LD_PRELOAD: status" "$?" 0
    expect "LD_PRELOAD: stdout" "$(cat "$work/out.pre")" "$(cat "$work/out.ref")"
    ref=$(tail -n 1 "$work/rss.ref") got=$(tail -n 1 "$work/rss.pre")
    [ "$got" -le $((ref + 2048)) ] ||
        fail "peak RSS $got KB under the shim, $ref KB without (bound: 2 MiB more)"
    ;;
log_rss_threads)
    # The same with two threads writing at once while the shim's thread
    # runs: their chunks interleave in the log, and the shim's thread
    # gives them back in runs (log_writer.c, weft__log_sweep).
    log_rss 60000 1200000 2
    ;;
*)
    fail "unknown case"
    ;;
esac
finish
