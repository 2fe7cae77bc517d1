#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""detectors_test.py GROUP: runs each case of GROUP RUNS times (default 20)
under `weft run` while both cores are kept busy by background loops, reads
the findings with `weft report --format=json`, and fails unless every run
gives exactly the expected findings: for each, its kind, count, the kind of
its object, its thread and, role by role, the key frame of its stack (the
first frame in this folder's sources: the function, and the tag of a
"key: TAG" comment on its line). A case whose outcome may differ between
runs in a leaked thread's state lists the verdicts it allows, by kind.
`detectors_test.py --dump GROUP` prints each case's findings once, in the
form CASES uses. Environment: WEFT (the weft binary), BIN (the test
programs), DEMO (weft-demo), RUNS (WEFT_TEST_RUNS, when set, instead)."""
import concurrent.futures
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile

WEFT = os.environ["WEFT"]
BIN = os.environ["BIN"]
# WEFT_TEST_RUNS overrides CTest's RUNS: scripts/mutate.sh runs fewer.
RUNS = int(os.environ.get("WEFT_TEST_RUNS") or os.environ.get("RUNS", "20"))

HERE = os.path.dirname(os.path.abspath(__file__))

def prog(name):
    return os.path.join(BIN, "det_" + name)

_lines = {}

def key_frame(frames):
    """The first frame in this folder's sources: "function" or
    "function@TAG" when its line carries a "key: TAG" comment."""
    for fr in frames:
        path = fr.get("file") or ""
        if os.path.dirname(os.path.abspath(path)) != HERE:
            continue
        if path not in _lines:
            with open(path, encoding="utf-8") as f:
                _lines[path] = f.read().split("\n")
        lines = _lines[path]
        m = re.search(r"/\* key: (\S+) \*/", lines[fr["line"] - 1]) if fr.get("line") else None
        return fr["function"] + ("@" + m.group(1) if m else "")
    return "-"

def signature(con, f):
    """One finding in the form CASES lists them."""
    okind = "-"
    if f.get("object"):
        row = con.execute("SELECT kind FROM objects WHERE id = ?", (f["object"],)).fetchone()
        okind = row[0] if row else "?"
    thread = "-"
    if f.get("thread"):
        row = con.execute("SELECT tid, start_function, name FROM threads WHERE id = ?",
                          (f["thread"],)).fetchone()
        thread = "main" if row and row[0] == 1 else (row[1] or row[2]) if row else "?"
    roles = " ".join("%s=%s" % (r, key_frame(fr)) for r, fr in sorted(f["stacks"].items()))
    return "%s x%d %s %s %s" % (f["kind"], f["count"], okind, thread, roles)

# The verdicts allowed when a case's outcome may differ between runs only
# in a thread caught running at exit ("leaked-thread running"), never in
# one reported blocked.
NOT_BLOCKED = [set(), {"leaked-thread running"}]

# lock-held-at-exit is made at the thread's return, which can come before
# its creator's create record in the stream; its creation stack, like its
# name, is the one the trace knows at the end (weft__role.creation_of), so
# it is there on every run.
LOCK_HELD = "lock-held-at-exit x1 mutex locker "

# (name, argv, extra weft options, the expected findings, each as
# signature() writes it: "KIND xCOUNT OBJECT-KIND THREAD ROLE=KEYFRAME...";
# or a list of the verdicts allowed by kind, each run giving one of them,
# with leaked-thread split into "leaked-thread running" / "leaked-thread
# blocked"). `detectors_test.py --dump GROUP` prints what a case gives.
CASES = {
    "threads": [
        ("leaked", [prog("leaked")], [],
         {"leaked-thread x1 chan worker blocked=worker creation=main object_creation=main"}),
        ("leaked-ok", [prog("leaked"), "ok"], [], set()),
        ("unjoined", [prog("unjoined")], [], {"unjoined-thread x1 - work creation=main"}),
        ("detached-after-finish", [prog("unjoined"), "detach"], [], set()),
        ("joined", [prog("unjoined"), "join"], [], set()),
        # the threshold exactly: N threads alive at once are fine, N+1 not
        ("unbounded", [prog("misc"), "many", "21"], ["--max-threads=20"],
         {"unbounded-threads x1 - hold creation=main"}),
        ("bounded", [prog("misc"), "many", "20"], ["--max-threads=20"], set()),
    ],
    "closes": [
        ("chan-double-close", [prog("closes"), "chan2"], [],
         {"double-close x1 chan main close=main@again creation=main first_close=main@first"}),
        ("chan-closed-once", [prog("closes"), "chan1"], [], set()),
        ("fd-double-close", [prog("closes"), "fd2"], [],
         {"double-close x1 fd main close=main@again first_close=main@first"}),
        ("fd-closed-once", [prog("closes"), "fd1"], [], set()),
        ("send-on-closed", [prog("closes"), "send"], [],
         {"send-on-closed x1 chan main close=main@close creation=main send=main@send"}),
        ("select-send-on-closed", [prog("closes"), "selsend"], [],
         {"send-on-closed x1 chan main close=main@close creation=main send=main@send"}),
        ("epipe", [prog("closes"), "epipe"], [],
         {"send-on-closed x1 fd main close=main@close send=main@send"}),
        ("pipe-ok", [prog("closes"), "pipeok"], [], set()),
        ("close-by-receiver", [prog("closes"), "recvclose"], [],
         {"close-by-receiver x1 chan receiver_closes close=receiver_closes creation=main"}),
        ("broadcast-close", [prog("closes"), "broadcast"], [], set()),
        ("close-after-senders-ended", [prog("closes"), "sendersdone"], [], set()),
    ],
    "wg": [
        ("worker-add-lucky", [prog("wg"), "worker-add-lucky"], [],
         {"wg-add-concurrent-with-wait x1 wg worker add=worker wait=main"}),
        ("worker-add-unlucky", [prog("wg"), "worker-add-unlucky"], [],
         {"wg-add-concurrent-with-wait x1 wg worker add=worker wait=main"}),
        ("worker-add-cond", [prog("wg"), "worker-add-cond"], [], set()),
        ("worker-add-mutex", [prog("wg"), "worker-add-mutex"], [], set()),
        ("worker-add-timedwait", [prog("wg"), "worker-add-timedwait"], [], set()),
        ("worker-add-rwlock", [prog("wg"), "worker-add-rwlock"], [], set()),
        ("worker-add-psem", [prog("wg"), "worker-add-psem"], [], set()),
        ("worker-add-chan", [prog("wg"), "worker-add-chan"], [], set()),
        ("main-add", [prog("wg"), "main-add"], [], set()),
        ("negative", [prog("wg"), "negative"], [],
         {"wg-negative-counter x1 wg main done=main@done"}),
        ("reuse", [prog("wg"), "reuse"], [],
         {"wg-add-concurrent-with-wait x1 wg main add=main wait=waiter",
          "wg-reused-before-wait-returned x1 wg main add=main wait=waiter"}),
        ("reuse-ok", [prog("wg"), "reuse-ok"], [], set()),
    ],
    "misc": [
        ("lock-held", [prog("misc"), "lockheld"], [],
         {LOCK_HELD + "creation=main lock=locker"}),
        ("lock-held-cond", [prog("misc"), "lockheld-cond"], [],
         {LOCK_HELD.replace("locker", "condlocker") + "creation=main lock=condlocker"}),
        ("lock-ok", [prog("misc"), "lockok"], [], set()),
        ("sem-over", [prog("misc"), "semover"], [],
         {"semaphore-over-release x1 weft_sem main creation=main release=main@release"}),
        ("sem-ok", [prog("misc"), "semok"], [], set()),
        ("deadlock", [prog("misc"), "deadlock"], ["--deadlock-timeout=100"],
         {"deadlock x1 - main tid 1=main"}),
        ("no-deadlock", [prog("misc"), "nodeadlock"], ["--deadlock-timeout=100"], set()),
        ("loop-variable-capture", [prog("misc"), "loopcap"], [],
         {"loop-variable-capture x1 - take_int creation=loops"}),
        ("loop-variable-handshake", [prog("misc"), "loopcap-sem"], [], set()),
        ("shared-context-on-stack", [prog("misc"), "loopcap-shared"], [], set()),
        ("shared-waitgroup-on-stack", [prog("misc"), "loopcap-wg"], [], set()),
    ],
    # Each mode's threads take turns (an atomic counter weft cannot see),
    # so that nothing hangs and, to weft, they run at once.
    "lockorder": [
        ("abba", [prog("lockorder"), "abba"], [],
         {"lock-order-inversion x1 mutex ab edge1 acquired=ab@b1 edge1 held=ab@a1 "
          "edge2 acquired=ba@a2 edge2 held=ba@b2"}),
        ("three-locks", [prog("lockorder"), "three"], [],
         {"lock-order-inversion x1 mutex ab edge1 acquired=ab@b1 edge1 held=ab@a1 "
          "edge2 acquired=bc@c2 edge2 held=bc@b2 edge3 acquired=ca@a3 edge3 held=ca@c3"}),
        ("rwlock", [prog("lockorder"), "rwlock"], [],
         {"lock-order-inversion x1 rwlock wr_then_mutex edge1 acquired=wr_then_mutex@a1 "
          "edge1 held=wr_then_mutex@w1 edge2 acquired=mutex_then_rd@r2 "
          "edge2 held=mutex_then_rd@a2"}),
        ("read-locks-only", [prog("lockorder"), "rdrd"], [], set()),
        ("gate-lock", [prog("lockorder"), "gate"], [], set()),
        ("after-join", [prog("lockorder"), "join"], [], set()),
        ("after-channel", [prog("lockorder"), "chan"], [], set()),
        ("trylock-only", [prog("lockorder"), "trylock"], [], set()),
        ("recursive", [prog("lockorder"), "recursive"], [], set()),
        ("one-thread", [prog("lockorder"), "single"], [], set()),
        ("mutex-made-again", [prog("lockorder"), "reinit"], [], set()),
    ],
    "answered": [
        ("exit-from-worker", [prog("answered"), "exit"], [], set()),
        ("exit-while-joined", [prog("answered"), "exitjoin"], [], set()),
        ("last-handoff", [prog("answered"), "handoff"], [], set()),
        ("select-handoff", [prog("answered"), "select"], [], set()),
        ("daisy-chain", [prog("answered"), "daisy"], [], set()),
        ("double-select", [prog("answered"), "doublesel"], [], set()),
        # Here the woken thread still has work after its call (take the
        # value, receive again; unlock; unlock after the wait), which main
        # does not wait for: caught running in it, it is reported running
        # (docs/detectors.md: a thread running at exit that the exiting
        # thread never synchronized with), on some schedules. What must
        # never be reported is the answered call itself as blocking.
        # wg: the woken waiter has only its return left (a CI run under
        # load once caught it there, reported running: since then a wait
        # the exiting thread's last release answered is a wake-up still
        # finishing, docs/detectors.md), so nothing, ever.
        ("wg-at-zero", [prog("answered"), "wg"], [], set()),
        ("buffered-handoff", [prog("answered"), "buffered"], [], NOT_BLOCKED),
        ("close-wakes", [prog("answered"), "close"], [], NOT_BLOCKED),
        ("mutex-handed", [prog("answered"), "mutex"], [], NOT_BLOCKED),
        # cond: the waiter's unlock after its wait is part of the wake-up
        # (`while (!flag) wait; unlock`), main's unlock its last release.
        ("cond-signalled", [prog("answered"), "cond"], [], set()),
        ("mutex-held-for-good", [prog("answered"), "mutexleak"], [],
         {"leaked-thread x1 mutex locker blocked=locker creation=main object_creation=main"}),
        ("join-of-leaked", [prog("answered"), "joinleak"], [],
         {"leaked-thread x1 chan forever_thread blocked=forever_thread creation=main object_creation=main",
          "leaked-thread x1 thread joiner blocked=joiner creation=main object_creation=main"}),
        ("leak-still-found", [prog("answered"), "leak"], [],
         {"leaked-thread x1 chan forever blocked=forever creation=main object_creation=main"}),
        ("leak-after-handoff", [prog("answered"), "leak2"], [],
         {"leaked-thread x1 chan forever blocked=forever creation=main object_creation=main"}),
    ],
    "clean": [
        ("demo", [os.environ.get("DEMO", "")], [], set()),
    ],
}

def busy():
    """Two background loops, one per core."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]

def split_leaks(rows):
    """(kind, message) rows -> kinds, leaked-thread told running/blocked."""
    return frozenset(k + (" blocked" if ", blocked in " in m else " running")
                     if k == "leaked-thread" else k for k, m in rows)

def shape(doc):
    """The documented shape of weft report --format=json's findings."""
    for f in doc["findings"]:
        assert f["severity"] in ("error", "warning"), f
        assert isinstance(f["stacks"], dict), f
        for frames in f["stacks"].values():
            assert all({"pc", "function", "file", "line"} <= set(fr) for fr in frames), f

def kill_tree(pid):
    """SIGKILLs pid and every process below it (found through /proc's
    parent links before any is killed, so that orphans are found too)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    todo, tree = [pid], []
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(kids.get(p, []))
    for p in tree:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass

def run_tree(args, timeout, **kw):
    """subprocess.run for `weft run`: on a timeout it kills the whole tree
    (weft, the traced program and its children), not only weft, which
    subprocess.run would kill alone, leaving a blocked program behind. The
    tree stays in the test's process group, which CTest kills at its own
    timeout."""
    with subprocess.Popen(args, **kw) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(p.pid)
            p.communicate()
            raise
        return subprocess.CompletedProcess(args, p.returncode, out, err)

def one_run(tmp, name, i, argv, opts, split=False):
    """One run under weft: (the findings' signatures, or with split the set
    of their kinds, weft's stderr)."""
    db = os.path.join(tmp, f"{name}-{i}.db")
    r = run_tree([WEFT, "run", "-q", "-o", db] + opts + ["--"] + argv,
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp, timeout=120)
    err = r.stderr.decode(errors="replace")
    if not split:
        rep = subprocess.run([WEFT, "report", "--format=json", db],
                             capture_output=True, text=True, timeout=60)
        if rep.returncode != 0:
            return None, "report failed: " + rep.stderr.strip()
        doc = json.loads(rep.stdout)
        shape(doc)
        con = sqlite3.connect(db)
        kinds = frozenset(signature(con, f) for f in doc["findings"])
        con.close()
    elif i == 0:
        # The first run through `weft report --format=json` (the documented
        # shape); the others read the findings table directly (faster).
        rep = subprocess.run([WEFT, "report", "--format=json", db],
                             capture_output=True, text=True, timeout=60)
        if rep.returncode != 0:
            return None, "report failed: " + rep.stderr.strip()
        doc = json.loads(rep.stdout)
        shape(doc)
        kinds = split_leaks((f["kind"], f["message"]) for f in doc["findings"])
    else:
        con = sqlite3.connect(db)
        rows = list(con.execute("SELECT kind, message FROM findings"))
        kinds = split_leaks(rows) if split else frozenset(k for k, _ in rows)
        con.close()
    os.unlink(db)
    return kinds, err

def weft_run(tmp, opts, argv):
    """Runs `weft run` once: (exit status, stderr, the set of finding kinds)."""
    db = os.path.join(tmp, "cli.db")
    if os.path.exists(db):
        os.unlink(db)
    r = run_tree([WEFT, "run", "-o", db] + opts + ["--"] + argv,
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp, timeout=120)
    kinds = set()
    if os.path.exists(db):
        con = sqlite3.connect(db)
        kinds = {k for (k,) in con.execute("SELECT kind FROM findings")}
        con.close()
    return r.returncode, r.stderr.decode(errors="replace"), kinds

def cli():
    """The command-line side of the detectors: --error-exitcode (errors
    only, never warnings), --suppressions (matching by file and function
    glob, bad files refused in one line) and the ==weft== text at exit."""
    fails = []
    def check(what, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            fails.append(what)
            if detail:
                print(detail)
    with tempfile.TemporaryDirectory(prefix="weft-cli-") as tmp:
        supp = os.path.join(tmp, "s.supp")
        rc, err, kinds = weft_run(tmp, ["--error-exitcode=9"], [prog("closes"), "chan2"])
        check("error finding -> --error-exitcode", rc == 9 and kinds == {"double-close"}, err)
        check("text report at exit", "==weft==" in err and "double-close" in err and "#0 " in err, err)
        rc, err, _ = weft_run(tmp, ["--error-exitcode=9"], [prog("closes"), "chan1"])
        check("clean run keeps the program's status", rc == 0, err)
        rc, err, kinds = weft_run(tmp, ["--error-exitcode=9"], [prog("closes"), "recvclose"])
        check("warnings do not trigger --error-exitcode",
              rc == 0 and kinds == {"close-by-receiver"}, err)
        with open(supp, "w") as f:
            f.write("# a comment\n\ndouble-close:closes.c\n")
        rc, err, kinds = weft_run(tmp, ["--error-exitcode=9", "--suppressions=" + supp],
                                  [prog("closes"), "chan2"])
        check("suppressed by file name", rc == 0 and not kinds, err)
        with open(supp, "w") as f:
            f.write("double-close:no_such_function*\nsend-on-closed:*\n")
        rc, err, kinds = weft_run(tmp, ["--suppressions=" + supp], [prog("closes"), "chan2"])
        check("a pattern or kind that does not match suppresses nothing",
              kinds == {"double-close"}, err)
        # a thread's start function (not in any of the finding's stacks:
        # an unjoined thread's exit stack is empty, its creation is main's)
        with open(supp, "w") as f:
            f.write("unjoined-thread:work\n")
        rc, err, kinds = weft_run(tmp, ["--suppressions=" + supp], [prog("unjoined")])
        check("suppressed by the thread's start function", not kinds, err)
        with open(supp, "w") as f:
            f.write("unjoined-thread:wor\n")
        rc, err, kinds = weft_run(tmp, ["--suppressions=" + supp], [prog("unjoined")])
        check("a start function is matched whole", kinds == {"unjoined-thread"}, err)
        # a module (the frames' library), by base name glob: libweft's frames
        with open(supp, "w") as f:
            f.write("leaked-thread:libweft.so*\n")
        rc, err, kinds = weft_run(tmp, ["--suppressions=" + supp], [prog("leaked")])
        check("suppressed by a module glob", not kinds, err)
        # qualified terms: module= only a frame's module, creator= only a
        # frame of the thread's creation stack, every term must hold
        for case in (
                ("leaked-thread:module=libweft.so*", set(), "suppressed by module="),
                ("leaked-thread:module=worker", {"leaked-thread"},
                 "module= does not match a function"),
                ("unjoined-thread:creator=main", set(), "suppressed by creator="),
                ("unjoined-thread:creator=work", {"unjoined-thread"},
                 "creator= does not match the start function"),
                ("unjoined-thread:module=det_unjoined  creator=ma*", set(),
                 "suppressed by module= and creator="),
                ("unjoined-thread:creator=main module=libweft.so*", {"unjoined-thread"},
                 "module= and creator=: both must hold"),
                # name= the thread's name; spawner= only the frame that
                # created the thread (creator= any frame of that stack)
                ("unjoined-thread:name=pool-*", set(), "suppressed by name=", "named", "pool-7"),
                ("unjoined-thread:name=pool", {"unjoined-thread"}, "a name is matched whole",
                 "named", "pool-7"),
                ("unjoined-thread:spawner=main", set(), "suppressed by spawner="),
                ("unjoined-thread:spawner=spawn", set(), "spawner= is the creating frame",
                 "helper"),
                ("unjoined-thread:spawner=main", {"unjoined-thread"},
                 "spawner= looks at no frame under the creating one", "helper"),
                ("unjoined-thread:creator=main", set(), "creator= looks at every frame",
                 "helper"),
                ("unjoined-thread:spawner=det_unjoined name=pool-*", set(),
                 "spawner= by module, with name=", "named", "pool-1")):
            rule, want, what, args = case[0], case[1], case[2], list(case[3:])
            with open(supp, "w") as f:
                f.write(rule + "\n")
            argv = [prog("leaked")] if rule.startswith("leaked") else [prog("unjoined")]
            rc, err, kinds = weft_run(tmp, ["--suppressions=" + supp], argv + args)
            check(what, kinds == want, err)
        for bad in ("leaked-thread:module=\n", "leaked-thread:module=a frob=b\n",
                    "leaked-thread:creator=a creator=b\n", "leaked-thread:spawner=a spawner=b\n",
                    "leaked-thread:name=\n"):
            with open(supp, "w") as f:
                f.write(bad)
            rc, err, _ = weft_run(tmp, ["--suppressions=" + supp], [prog("closes"), "chan1"])
            check("bad term %r: one line, non-zero" % bad.strip(),
                  rc != 0 and len(err.strip().splitlines()) == 1 and "s.supp:1:" in err, err)
        # weft's default suppressions: libgomp's pool is alive at exit in
        # every OpenMP program; a thread of the program's own is not
        # silenced, even one that a pool thread created
        if os.path.exists(prog("openmp")):
            rc, err, kinds = weft_run(tmp, [], [prog("openmp")])
            check("OpenMP's pool: silenced by the defaults, and said",
                  kinds == set() and "by weft's default suppressions" in err, err)
            rc, err, kinds = weft_run(tmp, ["--no-default-suppressions"], [prog("openmp")])
            check("--no-default-suppressions: the pool's threads reported",
                  kinds == {"leaked-thread"} and "default" not in err, err)
            rc, err, kinds = weft_run(tmp, [], [prog("openmp"), "mine"])
            con = sqlite3.connect(os.path.join(tmp, "cli.db"))
            starts = [r[0] for r in con.execute(
                "SELECT t.start_function FROM findings f JOIN threads t ON t.id = f.thread")]
            con.close()
            check("a thread the program started inside the region is reported",
                  starts == ["forever"], err + str(starts))
        else:
            print("skip the default suppressions' OpenMP checks: no OpenMP compiler")
        with open(supp, "w") as f:
            f.write("no-such-kind:foo\n")
        rc, err, _ = weft_run(tmp, ["--suppressions=" + supp], [prog("closes"), "chan1"])
        check("bad suppressions file: one line, non-zero",
              rc != 0 and len(err.strip().splitlines()) == 1 and "weft:" in err, err)
        rc, err, _ = weft_run(tmp, ["--suppressions=" + os.path.join(tmp, "missing")],
                              [prog("closes"), "chan1"])
        check("missing suppressions file: one line, non-zero",
              rc != 0 and len(err.strip().splitlines()) == 1, err)
        # Threads of one creation site are one finding with a count and
        # their names (the first 16), not a finding each; another site
        # stays its own finding.
        db = os.path.join(tmp, "many.db")
        subprocess.run([WEFT, "run", "-q", "-o", db, "--", prog("unjoined"), "many", "40"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp,
                       timeout=120)
        con = sqlite3.connect(db)
        rows = list(con.execute("SELECT count, detail FROM findings "
                                "WHERE kind = 'unjoined-thread' ORDER BY id"))
        con.close()
        detail = rows[0][1] if len(rows) == 2 else ""
        check("40 threads of one loop: one finding of count 40, the other site apart",
              [c for c, _ in rows] == [40, 1] and rows[1][1] is None and
              detail.startswith("40 threads: thread ") and detail.count("(work)") == 16 and
              detail.endswith(" and 24 more"), str(rows))
        rep = subprocess.run([WEFT, "report", "--format=json", db], capture_output=True,
                             text=True, timeout=60)
        try:
            doc = json.loads(rep.stdout)
            got = [(f["threads"], f["count"]) for f in doc["findings"]]
        except (ValueError, KeyError) as e:
            got = repr(e)
        check("JSON: the two findings, threads 1 and 40, their group 41", got == [(40, 41), (1, 41)],
              str(got))
        rep = subprocess.run([WEFT, "report", db], capture_output=True, text=True, timeout=60)
        check("text: the threads' line once, 41 findings counted",
              rep.stdout.count("40 threads: thread 2 (work), thread 3 (work), ") == 1 and
              "41 findings (41 errors, 0 warnings; 1 distinct)" in rep.stdout, rep.stdout)
        # Bytes from the program that are not UTF-8 must not break the JSON.
        db = os.path.join(tmp, "u8.db")
        subprocess.run([WEFT, "run", "-q", "-o", db, "--", prog("closes"), b"bad\xff\xfe",
                        b"q\"\\\x01"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=tmp, timeout=60)
        rep = subprocess.run([WEFT, "report", "--format=json", db], capture_output=True,
                             timeout=60)
        try:
            argv = json.loads(rep.stdout.decode("utf-8"))["processes"][0]["argv"]
            ok = argv[1:] == ["bad\ufffd\ufffd", "q\"\\\x01"]
        except (ValueError, KeyError, IndexError) as e:
            ok, argv = False, repr(e)
        check("JSON stays valid UTF-8 whatever the program's bytes", ok, str(argv))
    return 1 if fails else 0

def dump(group):
    """Each case of GROUP once, its findings as CASES lists them."""
    with tempfile.TemporaryDirectory(prefix="weft-det-") as tmp:
        for name, argv, opts, want in CASES[group]:
            got, err = one_run(tmp, name, 0, argv, opts,
                               isinstance(want, list))
            print("        (%r, %r, %r," % (name, argv[1:], opts))
            print("         %r)," % (sorted(got) if got is not None else err))
    return 0

def main():
    group = sys.argv[1]
    if group == "--dump":
        return dump(sys.argv[2])
    if group == "cli":
        return cli()
    fails = 0
    loops = busy()
    try:
        with tempfile.TemporaryDirectory(prefix="weft-det-") as tmp:
            for name, argv, opts, want in CASES[group]:
                # Four runs at a time: the busy loops keep both cores loaded
                # either way, and the label stays within a few minutes.
                with concurrent.futures.ThreadPoolExecutor(4) as pool:
                    split = isinstance(want, list)
                    results = list(pool.map(lambda i: one_run(tmp, name, i, argv, opts, split),
                                            range(RUNS)))
                seen = {}
                for i, (kinds, err) in enumerate(results):
                    if kinds is None:
                        print(f"FAIL [{name}] run {i}: {err}")
                        fails += 1
                        continue
                    if kinds not in seen:
                        seen[kinds] = (i, err)
                verdicts = sorted(sorted(k) for k in seen)
                if isinstance(want, list):
                    bad = [k for k in seen if set(k) not in want]
                    if bad:
                        fails += 1
                        print(f"FAIL [{name}]: want one of {want} on every run, got {verdicts}")
                        for k in bad:
                            print(f"  run {seen[k][0]} stderr:\n{seen[k][1]}")
                    else:
                        print(f"ok   [{name}]: {verdicts} x{RUNS}")
                elif len(seen) != 1 or set(next(iter(seen))) != want:
                    fails += 1
                    print(f"FAIL [{name}]: want {sorted(want)} on every run, got {verdicts}")
                    for k, (i, err) in seen.items():
                        if set(k) != want:
                            print(f"  run {i} stderr:\n{err}")
                else:
                    print(f"ok   [{name}]: {sorted(want)} x{RUNS}")
    finally:
        for p in loops:
            p.kill()
            p.wait()
    return 1 if fails else 0

if __name__ == "__main__":
    sys.exit(main())
