#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""perfetto_check.py: checks a `weft report --format=perfetto` file against
the trace databases it was made from, independently of weft's C code
(the expected counts come from SQL over the databases). Prints one line
per problem and exits 1 if there is any.

usage: perfetto_check.py REPORT.json DB... [--window FROM_MS TO_MS] [--partial]

--partial: a trace made without --all-events, or a report cut by
--max-events: flows <= receives, finding instants <= findings.

Checks:
- the file is strict JSON (no NaN, no duplicate keys) with traceEvents;
- one thread_name per thread of the traces, on distinct (pid, tid) tracks;
- complete slices have dur >= 0 and nest on each thread track (Perfetto
  drops a slice that overlaps another partly);
- each flow id has exactly one "s" and one "f", s.ts <= f.ts, and each end
  binds (as Perfetto's importer binds it: the slice on top of its track's
  stack) to an operation's slice that contains it, not the thread's life; without a window, flows == the
  receives that got a value (a receive, try-receive, or a select whose
  receive case ran, with result 0), counted in SQL;
- one instant per finding (without a window);
- with a window: every item touches it.
"""
import decimal
import json
import sqlite3
import sys


def strict_pairs(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %r" % keys)
    return dict(pairs)


def reject_constant(c):
    raise ValueError("non-JSON constant " + c)


RECEIVES = """
SELECT count(*) FROM events e JOIN kinds k ON k.id = e.kind
 WHERE e.arg = 0 AND k.name IN ('chan_recv_end', 'chan_try_recv')
"""
# a select whose receive case ran and got a value; its cases are on its
# begin (the thread's last select_begin before it) or on itself
SELECT_RECEIVES = """
SELECT count(*) FROM events e JOIN kinds k ON k.id = e.kind
 WHERE k.name = 'select_end' AND e.arg >= 0 AND e.arg2 = 0
   AND EXISTS (SELECT 1 FROM select_cases c
                WHERE c.idx = e.arg AND c.op = 'recv'
                  AND c.event IN (e.id, (SELECT max(b.id) FROM events b
                                          JOIN kinds kb ON kb.id = b.kind
                                         WHERE kb.name = 'select_begin'
                                           AND b.thread = e.thread AND b.id < e.id)))
"""


def main(argv):
    window = None
    if "--window" in argv:
        i = argv.index("--window")
        window = (int(argv[i + 1]) * 1000000, int(argv[i + 2]) * 1000000)
        argv = argv[:i] + argv[i + 3:]
    partial = "--partial" in argv
    argv = [a for a in argv if a != "--partial"]
    report, dbs = argv[1], argv[2:]
    problems = []
    with open(report, "rb") as f:
        raw = f.read()
    try:
        # numbers exactly (as Perfetto reads them: ts and dur each to
        # integer nanoseconds), not as binary floats whose sums drift
        doc = json.loads(raw.decode("utf-8"), object_pairs_hook=strict_pairs,
                         parse_constant=reject_constant, parse_float=decimal.Decimal)
    except Exception as e:  # noqa: BLE001 - any failure is the finding
        print("not valid JSON: %s" % e)
        return 1
    ev = doc.get("traceEvents")
    if not isinstance(ev, list):
        print("no traceEvents array")
        return 1
    for e in ev:
        for k in ("ts", "dur"):
            if k in e:
                e[k] = int(decimal.Decimal(e[k]) * 1000)

    threads = findings = receives = 0
    for path in dbs:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        threads += db.execute("SELECT count(*) FROM threads").fetchone()[0]
        findings += db.execute("SELECT count(*) FROM findings").fetchone()[0]
        receives += db.execute(RECEIVES).fetchone()[0] + db.execute(SELECT_RECEIVES).fetchone()[0]
        db.close()

    names = [e for e in ev if e.get("ph") == "M" and e.get("name") == "thread_name"]
    tracks = {(e["pid"], e["tid"]) for e in names}
    if len(names) != threads:
        problems.append("%d thread_name tracks, %d threads in the traces" % (len(names), threads))
    if len(tracks) != len(names):
        problems.append("%d thread_name events on only %d distinct tracks" % (len(names), len(tracks)))
    for e in names:
        if not isinstance(e.get("args", {}).get("name"), str) or not e["args"]["name"]:
            problems.append("thread_name without a name: %r" % e)

    # slices per track: sorted by start, longer first at equal starts (the
    # file order the writer keeps for those), then they must nest
    slices = {}
    for e in ev:
        if e.get("ph") == "X":
            if e["dur"] < 0:
                problems.append("slice with dur < 0: %r" % e)
            slices.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"], e["name"]))
    for key, ss in slices.items():
        if key not in tracks:
            problems.append("slices on a track without a thread_name: %r" % (key,))
        ss.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        stack = []
        for b, end, name in ss:
            while stack and stack[-1][1] < b:
                stack.pop()
            while stack and stack[-1][1] == b and stack[-1][0] < b:
                stack.pop()
            if stack and end > stack[-1][1]:
                problems.append("slice %s [%s, %s] on %r overlaps %s [%s, %s] partly"
                                % (name, b, end, key, stack[-1][2], stack[-1][0], stack[-1][1]))
            stack.append((b, end, name))

    # Where Perfetto binds each arrow end: to the slice on top of the
    # track's stack when it reads the event (its importer sorts JSON events
    # by ts, then "E" first, "X" longest first, everything else after them,
    # then file order; a slice leaves the stack only when a later one
    # starts past its end). That slice must contain the point and be an
    # operation, not the thread's life.
    bound = {}
    tracks_ev = {}
    for n, e in enumerate(ev):
        ph = e.get("ph")
        if ph in ("X", "s", "f") or (ph == "i" and e.get("s") == "t"):
            tracks_ev.setdefault((e["pid"], e.get("tid")), []).append((e["ts"], n, e))
    for key, items in tracks_ev.items():
        items.sort(key=lambda x: (x[0], (1, -x[2]["dur"]) if x[2]["ph"] == "X" else (2, 0), x[1]))
        stack = []
        for ts, n, e in items:
            ph = e["ph"]
            if ph in ("X", "i"):
                dur = e.get("dur", 0)
                stack = [sl for sl in stack
                         if not (sl[0] + sl[1] < ts or (sl[0] + sl[1] == ts and not (sl[1] == 0 and dur == 0)))]
                stack.append((ts, dur, e.get("cat"), ph))
            else:
                top = stack[-1] if stack else None
                ok = (top is not None and top[3] == "X" and top[2] != "thread"
                      and top[0] <= ts <= top[0] + top[1])
                bound[(ph, e["id"])] = ok

    def inside(ph, i):
        return bound.get((ph, i), False)

    starts, ends = {}, {}
    for e in ev:
        if e.get("ph") == "s":
            if e["id"] in starts:
                problems.append("flow id %r started twice" % e["id"])
            starts[e["id"]] = e
        elif e.get("ph") == "f":
            if e["id"] in ends:
                problems.append("flow id %r ended twice" % e["id"])
            ends[e["id"]] = e
            if e.get("bp") != "e":
                problems.append("flow end not bound to its enclosing slice: %r" % e)
    if set(starts) != set(ends):
        problems.append("flow ids without both ends: %r" % sorted(set(starts) ^ set(ends))[:10])
    for i, s in starts.items():
        f = ends.get(i)
        if not f:
            continue
        if s["ts"] > f["ts"]:
            problems.append("flow %r ends before it starts" % i)
        if not inside("s", i):
            problems.append("flow %r would start in no operation's slice of its thread" % i)
        if not inside("f", i):
            problems.append("flow %r would end in no operation's slice of its thread" % i)

    instants = [e for e in ev if e.get("ph") == "i" and e.get("cat") == "finding"]
    if window is None:
        if len(starts) > receives or (not partial and len(starts) != receives):
            problems.append("%d flows, %d receives that got a value" % (len(starts), receives))
        if len(instants) > findings or (not partial and len(instants) != findings):
            problems.append("%d finding instants, %d findings" % (len(instants), findings))
    else:
        lo, hi = window
        for e in ev:
            ph = e.get("ph")
            if ph == "X":
                ok = e["ts"] <= hi and e["ts"] + e["dur"] >= lo
            elif ph in ("i", "C", "s", "f") and e.get("cat") != "weft":
                ok = lo <= e["ts"] <= hi
            else:
                continue
            if not ok:
                problems.append("outside the window [%s, %s]: %r" % (lo, hi, e))
                break

    # per-thread totals against the slices (whole reports only)
    weft = doc.get("otherData", {}).get("weft", {})
    if window is None and not partial:
        track_of = {}
        for e in ev:
            if e.get("ph") == "M" and e.get("name") == "thread_sort_index":
                track_of[(e["pid"], e["args"]["sort_index"])] = (e["pid"], e["tid"])
        us = lambda x: int(decimal.Decimal(x) * 1000)  # noqa: E731
        flows_out = flows_in = 0
        for tr in weft.get("traces", []):
            for t in tr.get("threads", []):
                key = track_of.get((t["pid"], t["tid"]))
                mine = [e for e in ev if e.get("ph") == "X" and (e["pid"], e["tid"]) == key]
                for state, v in t["blocked_us"].items():
                    want = sum(e["dur"] for e in mine if e.get("cat") == "blocked" and e["name"] == state)
                    if us(v) != want:
                        problems.append("thread %r: %s %s us, its slices %s ns" % (t["id"], state, v, want))
                held = sum(e["dur"] for e in mine if e.get("cat") == "lock")
                if us(t["held_us"]) < held:
                    problems.append("thread %r: held %s us < its hold slices %s ns" % (t["id"], t["held_us"], held))
                blocked = sum(us(v) for v in t["blocked_us"].values())
                if us(t["running_us"]) + blocked != max(us(t["lane_us"]), blocked):
                    problems.append("thread %r: running + blocked != lane" % t["id"])
                flows_out += t["flows_out"]
                flows_in += t["flows_in"]
        if flows_out != len(starts) or flows_in != len(starts):
            problems.append("threads' flows out %d / in %d, %d flows" % (flows_out, flows_in, len(starts)))

    if len(weft.get("traces", [])) != len(dbs):
        problems.append("otherData.weft.traces has %d entries for %d traces"
                        % (len(weft.get("traces", [])), len(dbs)))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
