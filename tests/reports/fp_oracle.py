# SPDX-License-Identifier: MIT
# fp_oracle.py DB JSON: each finding's fingerprint in JSON (weft report
# --format=json of DB) is what docs/reports.md and reports/fingerprint.c
# say it is, computed again from DB's tables: FNV-1a over the scheme, the
# kind and the sorted signatures of its stacks (the first 8 frames outside
# libc and the loader, one per return address: a function, or its
# module's base name), or the thread's start function when it has no
# stack. Exits non-zero (an assertion) when one differs.
import json, os, sqlite3, sys
P, OFF = 0x100000001b3, 0xcbf29ce484222325
def fnv(h, s):
    for b in s.encode():
        h = ((h ^ b) * P) & 0xFFFFFFFFFFFFFFFF
    return ((h ^ 0xFF) * P) & 0xFFFFFFFFFFFFFFFF
con = sqlite3.connect(sys.argv[1])
def sig(stack):
    h, used = OFF, 0
    rows = con.execute("SELECT module, function, pc FROM frames WHERE stack = ? ORDER BY depth", (stack,)).fetchall()
    for i, (mod, fn, pc) in enumerate(rows):
        if used >= 8:
            break
        # a function inlined at the next frame's return address: not counted
        if i + 1 < len(rows) and rows[i + 1][2] == pc and (fn is None or rows[i + 1][1] is None or fn != rows[i + 1][1]):
            continue
        base = os.path.basename(mod) if mod else None
        if base and base.startswith(("libc.so", "ld-linux", "libpthread.so")):
            continue
        h = fnv(h, fn.split("@@")[0] if fn else (base or "?"))
        used += 1
    return h
want = []
for kind, thread, stacks in con.execute("SELECT kind, thread, stacks FROM findings"):
    ids = [s for s in json.loads(stacks or "{}").values() if s]
    sigs = sorted(sig(s) for s in ids if con.execute("SELECT count(*) FROM frames WHERE stack = ?", (s,)).fetchone()[0])[:16]
    h = fnv(fnv(OFF, "weft/v1"), kind)
    if not sigs:
        row = con.execute("SELECT start_function FROM threads WHERE id = ?", (thread,)).fetchone()
        if row and row[0]:
            h = fnv(h, row[0])
    for s in sigs:
        h = fnv(h, "%016x" % s)
    want.append("%016x" % h)
got = [f["fingerprint"] for f in json.load(open(sys.argv[2]))["findings"]]
assert want and sorted(want) == sorted(got), (sorted(want), sorted(got))
