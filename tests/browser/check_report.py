#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check_report.py: opens weft's HTML reports in real headless Chromium
(Debian's `chromium`) over the DevTools protocol and checks what a person
would see: the page renders from file:// with no console error, no
exception and no CSP violation; no JavaScript dialog opens (an injected
alert() would); the timeline, the channel graph and the tables are there
with a non-zero size; hovering a timeline bar shows its tooltip; clicking a
column header reorders a table. Saves a full-page screenshot of each.

usage: check_report.py --shots DIR [--need-graph] [--need-flows]
                       [--text STRING]... REPORT.html...

--text: a string that must show as text in the page (the program's own
strings: a thread name, argv). Prints one line per report and exits 1 when
any check failed. Uses only python3-websocket beside the standard library.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="weft-chromium-")
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            raise SystemExit("check_report: chromium is not installed (scripts/deps.sh)")
        args = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--remote-debugging-port=0",
                "--user-data-dir=" + self.profile, "--window-size=1280,900", "about:blank"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        # A hang guard, not a speed bound: on a 2-core CI machine busy with
        # memcheck and the chaos runs beside it, chromium once took longer
        # than 30 s to write its port file.
        deadline = time.time() + 120
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise SystemExit("check_report: chromium did not start")
            time.sleep(0.05)
        port = open(port_file).read().split()[0]
        with urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port, timeout=10) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == mid:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.event(m)

    def event(self, m):
        self.events.append(m)
        # A dialog would block the page: dismiss it (and count it).
        if m.get("method") == "Page.javascriptDialogOpening":
            self.ws.send(json.dumps({"id": 0, "method": "Page.handleJavaScriptDialog",
                                     "params": {"accept": False}}))

    def wait_for(self, method, timeout=20):
        deadline = time.time() + timeout
        for m in self.events:
            if m.get("method") == method:
                return m
        self.ws.settimeout(1)
        try:
            while time.time() < deadline:
                try:
                    m = json.loads(self.ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                self.event(m)
                if m.get("method") == method:
                    return m
        finally:
            self.ws.settimeout(30)
        return None

    def js(self, expr):
        r = self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate %s: %s" % (expr[:60], r["exceptionDetails"]))
        return r["result"].get("value")

    def mouse(self, kind, x, y, buttons=0, button="none", clicks=0):
        self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button=button,
                  buttons=buttons, clickCount=clicks)


SIZES = """(() => {
  const size = s => { const e = document.querySelector(s); if (!e) return null;
    const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  return {rendered: document.body.getAttribute('data-rendered'),
    timeline: size('#timeline-svg'), graph: size('#graph-svg'),
    threads: size('#threads-table'), findings: size('#findings-table'),
    channels: size('#channels-table'),
    bars: document.querySelectorAll('#timeline-svg rect.bar').length,
    flows: document.querySelectorAll('#timeline-svg line.flow').length,
    edges: document.querySelectorAll('#graph-svg path.edge').length,
    imgs: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('script').length,
    external: Array.from(document.querySelectorAll('[src],[href]')).map(
      e => e.getAttribute('src') || e.getAttribute('href')).filter(
      v => !(v.startsWith('#') || v.startsWith('data:'))),
    text: document.body.innerText};
})()"""


def center_of(b, selector):
    return b.js("""(() => { const e = document.querySelector(%s); if (!e) return null;
      e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2]; })()""" % json.dumps(selector))


def interact(b, s, problems):
    """Hover, sort and zoom, as a person would, on a drawn page."""
    # hover: a state bar (or a lane label) shows its tooltip
    target = "#timeline-svg rect.bar" if s["bars"] else "#timeline-svg text.lanelabel"
    c = center_of(b, target)
    if not c:
        problems.append("nothing to hover in the timeline")
    else:
        b.mouse("mouseMoved", c[0], c[1])
        tip = b.js("(() => { const t = document.getElementById('tooltip'); "
                   "return [getComputedStyle(t).display, t.textContent]; })()")
        if tip[0] == "none" or not tip[1]:
            problems.append("hovering %s showed no tooltip" % target)
        b.mouse("mouseMoved", 5, 5)
    # sort: a click on the "thread" header orders the thread table
    before = b.js("Array.from(document.querySelectorAll('#threads-table tbody tr')).map(r => r.cells[1].textContent)")
    for _ in range(2):  # ascending, then descending
        c = center_of(b, "#threads-table th:nth-child(2)")
        b.mouse("mousePressed", c[0], c[1], buttons=1, button="left", clicks=1)
        b.mouse("mouseReleased", c[0], c[1], button="left", clicks=1)
    after = b.js("Array.from(document.querySelectorAll('#threads-table tbody tr')).map(r => r.cells[1].textContent)")
    nums = [int(x) for x in after]
    if len(before) > 1 and (nums != sorted(nums, reverse=True) or after == before):
        problems.append("sorting the thread table did not reorder it: %s -> %s" % (before, after))
    # zoom: a wheel on the timeline redraws it at another scale
    axis0 = b.js("document.querySelector('#timeline-svg .axis text:last-of-type').textContent")
    c = center_of(b, "#timeline-svg")
    b.send("Input.dispatchMouseEvent", type="mouseWheel", x=c[0] + 100, y=c[1], deltaX=0, deltaY=-300)
    axis1 = b.js("document.querySelector('#timeline-svg .axis text:last-of-type').textContent")
    if axis0 == axis1:
        problems.append("a wheel on the timeline did not zoom (axis %s)" % axis0)


def check(b, path, shots, opts):
    problems = []
    b.events = []
    url = "file://" + os.path.abspath(path)
    b.send("Page.navigate", url=url)
    if not b.wait_for("Page.loadEventFired"):
        return ["the page did not load"]
    # The script draws synchronously; give late errors a moment to arrive.
    deadline = time.time() + 10
    while time.time() < deadline and b.js("document.body.getAttribute('data-rendered')") != "1":
        if any(m.get("method") == "Runtime.exceptionThrown" or
               (m.get("method") == "Log.entryAdded" and m["params"]["entry"].get("level") == "error")
               for m in b.events):
            break  # it will not draw: no need to wait longer
        time.sleep(0.05)
    opts.render_ms = b.js("document.body.getAttribute('data-render-ms')")
    s = b.js(SIZES)
    if s["rendered"] != "1":
        problems.append("the script did not finish drawing")
    for part in ("timeline", "threads", "findings") + (("graph",) if opts.need_graph else ()):
        if not s[part] or s[part][0] <= 0 or s[part][1] <= 0:
            problems.append("%s not drawn (size %s)" % (part, s[part]))
    if opts.need_graph and s["edges"] == 0:
        problems.append("the channel graph has no edge")
    if opts.need_flows and s["flows"] == 0:
        problems.append("the timeline has no send-to-receive arrow")
    if s["imgs"]:
        problems.append("%d <img> elements in the page (markup from the data?)" % s["imgs"])
    if s["scripts"] != 2:
        problems.append("%d script elements (want the data and the code)" % s["scripts"])
    if s["external"]:
        problems.append("references outside the page: %s" % s["external"][:5])
    for t in opts.text:
        if t not in s["text"]:
            problems.append("%r does not show as text" % t)
    if s["rendered"] == "1":
        interact(b, s, problems)
    b.js("window.scrollTo(0, 0)")
    metrics = b.send("Page.getLayoutMetrics")
    h = min(int(metrics["cssContentSize"]["height"]), 8000)
    shot = b.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                  clip={"x": 0, "y": 0, "width": 1280, "height": h, "scale": 1})
    name = os.path.splitext(os.path.basename(path))[0] + ".png"
    with open(os.path.join(shots, name), "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    # whatever the page said while all this happened
    b.wait_for("never", timeout=0.3)
    for m in b.events:
        meth, p = m.get("method"), m.get("params", {})
        if meth == "Page.javascriptDialogOpening":
            problems.append("a dialog opened: %s %r" % (p.get("type"), p.get("message")))
        elif meth == "Runtime.exceptionThrown":
            problems.append("exception: %s" % p["exceptionDetails"].get("exception", {}).get("description", p["exceptionDetails"].get("text")))
        elif meth == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            problems.append("console error: %s" % [a.get("value") for a in p.get("args", [])])
        elif meth == "Log.entryAdded" and p["entry"].get("level") == "error":
            problems.append("console error: %s" % p["entry"].get("text"))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", required=True)
    ap.add_argument("--need-graph", action="store_true")
    ap.add_argument("--need-flows", action="store_true")
    ap.add_argument("--text", action="append", default=[])
    ap.add_argument("reports", nargs="+")
    opts = ap.parse_args()
    os.makedirs(opts.shots, exist_ok=True)
    b = Browser()
    bad = 0
    try:
        b.send("Page.enable")
        b.send("Runtime.enable")
        b.send("Log.enable")
        for path in opts.reports:
            t = time.time()
            problems = check(b, path, opts.shots, opts)
            print("%s %s (rendered in %s ms, %.0f KB; checked in %.1f s)%s" % (
                "FAIL" if problems else "ok", path, opts.render_ms,
                os.path.getsize(path) / 1024, time.time() - t,
                "".join("\n  " + p for p in problems)))
            bad += bool(problems)
    finally:
        b.close()
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
