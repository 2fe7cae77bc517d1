#!/usr/bin/env python3
"""detectors_test.py GROUP: runs each case of GROUP RUNS times (default 20)
under `weft run` while both cores are kept busy by background loops, reads
the findings with `weft report --format=json`, and fails unless every run
gives exactly the expected set of finding kinds. Environment: WEFT (the
weft binary), BIN (the test programs), DEMO (weft-demo), RUNS."""
import concurrent.futures
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

WEFT = os.environ["WEFT"]
BIN = os.environ["BIN"]
RUNS = int(os.environ.get("RUNS", "20"))

def prog(name):
    return os.path.join(BIN, "det_" + name)

# (name, argv, extra weft options, expected kinds)
CASES = {
    "threads": [
        ("leaked", [prog("leaked")], [], {"leaked-thread"}),
        ("leaked-ok", [prog("leaked"), "ok"], [], set()),
        ("unjoined", [prog("unjoined")], [], {"unjoined-thread"}),
        ("detached-after-finish", [prog("unjoined"), "detach"], [], set()),
        ("joined", [prog("unjoined"), "join"], [], set()),
        ("unbounded", [prog("misc"), "many", "40"], ["--max-threads=20"], {"unbounded-threads"}),
        ("bounded", [prog("misc"), "many", "10"], ["--max-threads=20"], set()),
    ],
    "closes": [
        ("chan-double-close", [prog("closes"), "chan2"], [], {"double-close"}),
        ("chan-closed-once", [prog("closes"), "chan1"], [], set()),
        ("fd-double-close", [prog("closes"), "fd2"], [], {"double-close"}),
        ("fd-closed-once", [prog("closes"), "fd1"], [], set()),
        ("send-on-closed", [prog("closes"), "send"], [], {"send-on-closed"}),
        ("select-send-on-closed", [prog("closes"), "selsend"], [], {"send-on-closed"}),
        ("epipe", [prog("closes"), "epipe"], [], {"send-on-closed"}),
        ("pipe-ok", [prog("closes"), "pipeok"], [], set()),
        ("close-by-receiver", [prog("closes"), "recvclose"], [], {"close-by-receiver"}),
    ],
    "wg": [
        ("worker-add-lucky", [prog("wg"), "worker-add-lucky"], [], {"wg-add-concurrent-with-wait"}),
        ("worker-add-unlucky", [prog("wg"), "worker-add-unlucky"], [], {"wg-add-concurrent-with-wait"}),
        ("worker-add-cond", [prog("wg"), "worker-add-cond"], [], set()),
        ("main-add", [prog("wg"), "main-add"], [], set()),
        ("negative", [prog("wg"), "negative"], [], {"wg-negative-counter"}),
        ("reuse", [prog("wg"), "reuse"], [],
         {"wg-reused-before-wait-returned", "wg-add-concurrent-with-wait"}),
        ("reuse-ok", [prog("wg"), "reuse-ok"], [], set()),
    ],
    "misc": [
        ("lock-held", [prog("misc"), "lockheld"], [], {"lock-held-at-exit"}),
        ("lock-ok", [prog("misc"), "lockok"], [], set()),
        ("sem-over", [prog("misc"), "semover"], [], {"semaphore-over-release"}),
        ("sem-ok", [prog("misc"), "semok"], [], set()),
        ("deadlock", [prog("misc"), "deadlock"], ["--deadlock-timeout=100"], {"deadlock"}),
        ("no-deadlock", [prog("misc"), "nodeadlock"], ["--deadlock-timeout=100"], set()),
    ],
    "clean": [
        ("demo", [os.environ.get("DEMO", "")], [], set()),
    ],
}

def busy():
    """Two background loops, one per core."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]

def one_run(tmp, name, i, argv, opts):
    """One run under weft: (the set of finding kinds, weft's stderr)."""
    db = os.path.join(tmp, f"{name}-{i}.db")
    r = subprocess.run([WEFT, "run", "-q", "-o", db] + opts + ["--"] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp, timeout=120)
    err = r.stderr.decode(errors="replace")
    if i == 0:
        # The first run through `weft report --format=json` (the documented
        # shape); the others read the findings table directly (faster).
        rep = subprocess.run([WEFT, "report", "--format=json", db],
                             capture_output=True, text=True, timeout=60)
        if rep.returncode != 0:
            return None, "report failed: " + rep.stderr.strip()
        doc = json.loads(rep.stdout)
        for f in doc["findings"]:
            assert f["severity"] in ("error", "warning"), f
            assert isinstance(f["stacks"], dict), f
            for frames in f["stacks"].values():
                assert all({"pc", "function", "file", "line"} <= set(fr) for fr in frames), f
        kinds = frozenset(f["kind"] for f in doc["findings"])
    else:
        con = sqlite3.connect(db)
        kinds = frozenset(k for (k,) in con.execute("SELECT kind FROM findings"))
        con.close()
    os.unlink(db)
    return kinds, err

def main():
    group = sys.argv[1]
    fails = 0
    loops = busy()
    try:
        with tempfile.TemporaryDirectory(prefix="weft-det-") as tmp:
            for name, argv, opts, want in CASES[group]:
                # Four runs at a time: the busy loops keep both cores loaded
                # either way, and the label stays within a few minutes.
                with concurrent.futures.ThreadPoolExecutor(4) as pool:
                    results = list(pool.map(lambda i: one_run(tmp, name, i, argv, opts),
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
                if len(seen) != 1 or set(next(iter(seen))) != want:
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
