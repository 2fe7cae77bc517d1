/* SPDX-License-Identifier: MIT */
// report.js: draws weft's HTML report from the JSON in #weft-data
// (reports/html.c writes it; embedded into the page at build time and
// allowed by hash by the page's Content-Security-Policy). Every string of
// the traced program goes into the page through textContent or an
// attribute value, never as markup, so a thread name or argv can only
// ever show as text.
"use strict";
(function () {
  var D = JSON.parse(document.getElementById("weft-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var STATE_COLORS = {send: "#e8833a", recv: "#3a7be8", select: "#9b59b6", wg: "#16a085",
    lock: "#c0392b", cond: "#d4ac0d", join: "#7f8c8d", sem: "#2c3e50", barrier: "#a04000",
    other: "#95a5a6"};
  var STATE_NAMES = {send: "blocked in chan send", recv: "blocked in chan receive",
    select: "blocked in select", wg: "blocked in WaitGroup wait", lock: "blocked on a lock",
    cond: "blocked in cond wait", join: "blocked in join", sem: "blocked on a semaphore",
    barrier: "blocked at a barrier", other: "blocked"};

  // el(tag, attrs, children...): an element; strings become text nodes.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function sv(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
    });
  }
  function add(e, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(e, x); }); return; }
    e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  function fmtUs(us) {
    if (us === null || us === undefined) return "";
    if (us < 1000) return us + " \u00b5s";
    if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 2 : 1) + " ms";
    return (us / 1e6).toFixed(us < 1e7 ? 3 : 1) + " s";
  }
  function plural(n, w) { return n + " " + w + (n === 1 ? "" : "s"); }
  function base(p) { p = String(p || "?"); var i = p.lastIndexOf("/"); return i >= 0 ? p.slice(i + 1) : p; }

  // ---- the tooltip ----
  var tip = el("div", {id: "tooltip", role: "tooltip"});
  document.body.appendChild(tip);
  function tooltip(node, text) {
    node.addEventListener("mouseenter", function (ev) { tip.textContent = typeof text === "function" ? text() : text; tip.style.display = "block"; moveTip(ev); });
    node.addEventListener("mousemove", moveTip);
    node.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  }
  function moveTip(ev) {
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + 430 > window.innerWidth) x = Math.max(0, ev.clientX - 430);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }

  // ---- sortable tables ----
  // cols: [{name, get(row) -> value, num, show(row) -> node|string}]
  function table(id, cols, rows, rowAttrs) {
    var thead = el("tr");
    var tbody = el("tbody");
    var t = el("table", {id: id}, el("thead", null, thead), tbody);
    var order = rows.map(function (r, i) { return i; });
    var trs = rows.map(function (r, i) {
      var tr = el("tr", rowAttrs ? rowAttrs(r, i) : null);
      cols.forEach(function (c) {
        var v = c.show ? c.show(r) : c.get(r);
        tr.appendChild(el("td", c.num ? {"class": "num"} : null, v === null || v === undefined ? "" : v));
      });
      return tr;
    });
    function fill() { order.forEach(function (i) { tbody.appendChild(trs[i]); }); }
    cols.forEach(function (c, ci) {
      var th = el("th", c.num ? {"class": "num", scope: "col"} : {scope: "col"}, c.name);
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(thead.children, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        order.sort(function (a, b) {
          var x = c.get(rows[a]), y = c.get(rows[b]);
          if (x === null || x === undefined) x = c.num ? -Infinity : "";
          if (y === null || y === undefined) y = c.num ? -Infinity : "";
          var d = c.num ? x - y : String(x).localeCompare(String(y));
          return (asc ? d : -d) || a - b;
        });
        fill();
      });
      thead.appendChild(th);
    });
    fill();
    t.rowsOf = trs;
    return t;
  }

  var app = document.getElementById("app");
  var P = D.procs || [], G = D.groups || [], TL = D.timeline || {lanes: [], bars: [], marks: [], flows: []};
  var root = P.length ? P[0] : null;
  var prog = root && root.argv && root.argv.length ? base(root.argv[0]) : "weft trace";
  document.title = "weft report: " + prog;

  // ---- header and navigation ----
  app.appendChild(el("header", null, el("h1", null, "weft report: ", prog),
    el("div", {"class": "sub"}, (D.traces || []).map(function (t, i) { return (i ? ", " : "trace: ") + t; }))));
  app.appendChild(el("nav", null, [["#summary", "Summary"], ["#perfetto", "Perfetto"], ["#findings", "Findings"], ["#timeline", "Timeline"],
    ["#graph", "Channel graph"], ["#threads", "Threads"], ["#channels", "Channels"]].map(function (a) {
      return el("a", {href: a[0]}, a[1]);
    })));
  var main = el("main");
  app.appendChild(main);
  if (D.notes && D.notes.length)
    main.appendChild(el("div", {"class": "notes", id: "notes"}, el("strong", null, "What this page leaves out:"),
      el("ul", null, D.notes.map(function (n) { return el("li", null, n); }))));

  // ---- summary ----
  var kindCount = {}, sevCount = {error: 0, warning: 0}, total = 0;
  G.forEach(function (g) {
    kindCount[g.kind] = (kindCount[g.kind] || 0) + g.count;
    sevCount[g.severity] = (sevCount[g.severity] || 0) + g.count;
    total += g.count;
  });
  var nThreads = 0, nChans = (D.channels || []).length, durMax = 0;
  P.forEach(function (p) { nThreads += p.threads; durMax = Math.max(durMax, p.dur); });
  var sum = el("section", {id: "summary"}, el("h2", null, "Summary"));
  main.appendChild(sum);
  // the section on the Perfetto trace is static markup (html_perfetto.c),
  // there without the script too: it goes right below the summary
  var pf = document.getElementById("perfetto");
  if (pf) main.appendChild(pf);
  sum.appendChild(el("div", {"class": "cards"},
    el("div", {"class": "card"}, el("div", {"class": "n"}, P.length), "processes"),
    el("div", {"class": "card"}, el("div", {"class": "n"}, nThreads), "threads"),
    el("div", {"class": "card"}, el("div", {"class": "n"}, nChans), "channels"),
    el("div", {"class": "card"}, el("div", {"class": "n"}, fmtUs(durMax)), "duration"),
    el("div", {"class": "card"}, el("div", {"class": "n sev-error"}, sevCount.error || 0), "errors"),
    el("div", {"class": "card"}, el("div", {"class": "n sev-warning"}, sevCount.warning || 0), "warnings"),
    el("div", {"class": "card"}, el("div", {"class": "n"}, G.length), "distinct findings")));
  sum.appendChild(table("procs-table", [
    {name: "pid", num: true, get: function (p) { return p.pid; }},
    {name: "program and arguments", get: function (p) { return (p.argv || []).join(" "); },
      show: function (p) { return el("span", {"class": "mono"}, (p.argv || []).join(" ")); }},
    {name: "exit", get: function (p) {
      return (p.exit || "?") + (p.code !== undefined ? " " + p.code : "") + (p.signal !== undefined ? " (signal " + p.signal + ")" : "");
    }},
    {name: "duration", num: true, get: function (p) { return p.dur; }, show: function (p) { return fmtUs(p.dur); }},
    {name: "threads", num: true, get: function (p) { return p.threads; }},
    {name: "objects", num: true, get: function (p) { return p.objects; }},
    {name: "lost events", num: true, get: function (p) { return p.dropped; }}
  ], P));

  // show/hide per kind
  var hidden = {};
  var kinds = Object.keys(kindCount).sort();
  var toggles = el("div", {"class": "kinds", id: "kind-toggles"}, kinds.length ? "Show: " : "No findings.");
  kinds.forEach(function (k) {
    var cb = el("input", {type: "checkbox", "data-kind": k});
    cb.checked = true;
    cb.addEventListener("change", function () { hidden[k] = !cb.checked; applyHidden(); });
    var info = (D.kinds || {})[k] || {};
    toggles.appendChild(el("label", null, cb, " ", k, " ", el("span", {"class": "muted"}, "(" + kindCount[k] + ")"),
      info.severity ? el("span", {"class": "badge sev-" + info.severity}, info.severity) : null));
  });
  sum.appendChild(el("h3", {style: null}, "Findings by kind"));
  sum.appendChild(toggles);
  var ftable = table("findings-table", [
    {name: "kind", get: function (g) { return g.kind; }},
    {name: "severity", get: function (g) { return g.severity; }},
    {name: "function", get: function (g) { return g.function; }, show: function (g) { return el("span", {"class": "mono"}, g.function || "?"); }},
    {name: "file:line", get: function (g) { return g.file ? base(g.file) + ":" + g.line : ""; },
      show: function (g) { return g.file ? el("a", {href: "#f-" + g.fp, "class": "mono", title: g.file + ":" + g.line}, base(g.file) + ":" + g.line) : el("a", {href: "#f-" + g.fp}, "(no source)"); }},
    {name: "count", num: true, get: function (g) { return g.count; }},
    {name: "message", get: function (g) { return g.message; }}
  ], G, function (g) { return {"data-kind": g.kind}; });
  sum.appendChild(ftable);

  // ---- findings ----
  var fsec = el("section", {id: "findings"}, el("h2", null, "Findings (" + plural(total, "finding") + ", " + G.length + " distinct)"));
  main.appendChild(fsec);
  var cards = [];
  G.forEach(function (g) {
    var info = (D.kinds || {})[g.kind] || {};
    var c = el("div", {"class": "finding " + g.severity, id: "f-" + g.fp, "data-kind": g.kind});
    c.appendChild(el("h3", null, info.title || g.kind, " ", el("span", {"class": "badge"}, g.kind),
      g.count > 1 ? el("span", {"class": "badge"}, "\u00d7" + g.count) : null,
      g.baseline ? el("span", {"class": "badge " + g.baseline}, g.baseline) : null,
      g.uncertain ? el("span", {"class": "badge"}, "uncertain") : null));
    c.appendChild(el("div", {"class": "msg"}, g.message));
    if (g.detail) c.appendChild(el("div", {"class": "muted"}, g.detail));
    if (g.count > 1) c.appendChild(el("div", {"class": "muted"}, "and " + (g.count - 1) + " more like it (same fingerprint " + g.fp + ")"));
    else c.appendChild(el("div", {"class": "muted"}, "fingerprint " + g.fp + " (" + D.scheme + ")"));
    if (g.tid !== undefined)
      c.appendChild(el("div", null, "thread " + g.tid + " ", el("span", {"class": "mono"}, "\u201c" + (g.thread_name || g.start || "?") + "\u201d"),
        g.start ? el("span", {"class": "muted"}, " started in " + g.start) : null,
        g.blocked ? el("span", null, " \u2014 blocked in ", el("strong", null, g.blocked), g.blocked_on ? " on " + g.blocked_on : "", " when the process ended") : null));
    (g.stacks || []).forEach(function (s) {
      var st = el("div", {"class": "stack"}, el("div", {"class": "muted"}, s.role + " stack:"));
      s.frames.forEach(function (f, i) {
        st.appendChild(el("div", {"class": "frame mono"}, "#" + i + " ", el("strong", null, f.fn || f.pc),
          el("span", {"class": "loc"}, f.file ? " " + f.file + (f.line ? ":" + f.line : "") : f.module ? " (" + f.module + ")" : "")));
        if (f.src && typeof f.src === "object") {
          var pre = el("pre", {"class": "src"});
          f.src.lines.forEach(function (line, k) {
            var n = f.src.first + k;
            pre.appendChild(el("span", n === f.line ? {"class": "hit"} : null, String(n).padStart(5, " ") + "  " + line));
          });
          st.appendChild(pre);
          if (f.src.stale) st.appendChild(el("div", {"class": "nosrc"}, "the file is shorter than line " + f.line + ": changed since the build?"));
        } else if (f.file && f.line) {
          st.appendChild(el("div", {"class": "nosrc"}, f.src || "source not available"));
        }
      });
      c.appendChild(st);
    });
    if (!g.stacks || !g.stacks.length) c.appendChild(el("div", {"class": "muted"}, "(no stacks recorded, or left out of this page)"));
    if (info.explain)
      c.appendChild(el("div", {"class": "explain"}, el("div", null, el("strong", null, "What goes wrong: "), info.explain),
        el("div", null, el("strong", null, "How to fix it: "), info.fix),
        el("div", {"class": "muted"}, "detector: " + (info.precision || "?"))));
    var line = g.kind + ":" + (g.function || g.start || "*");
    var code = el("code", null, line);
    var btn = el("button", {type: "button"}, "copy");
    btn.addEventListener("click", function () {
      var sel = window.getSelection(), rg = document.createRange();
      rg.selectNodeContents(code); sel.removeAllRanges(); sel.addRange(rg);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      btn.textContent = ok ? "copied" : "selected: press Ctrl+C";
    });
    c.appendChild(el("div", {"class": "supp"}, "suppression line:", code, btn));
    fsec.appendChild(c);
    cards.push(c);
  });
  if (D.absent && D.absent.length)
    fsec.appendChild(el("div", null, el("h3", null, "Fixed since the baseline (absent now)"),
      el("ul", null, D.absent.map(function (a) { return el("li", null, a.kind + " \u00d7" + a.count + ": " + a.message + " (" + a.fp + ")"); }))));

  function applyHidden() {
    cards.forEach(function (c) { c.classList.toggle("hidden", !!hidden[c.getAttribute("data-kind")]); });
    ftable.rowsOf.forEach(function (r) { r.classList.toggle("hidden", !!hidden[r.getAttribute("data-kind")]); });
    drawTimeline();
  }

  // ---- the timeline ----
  var lanes = TL.lanes.map(function (l, i) {
    return {i: i, trace: l[0], pid: l[1], tid: l[2], name: l[3], fn: l[4], b: l[5], e: l[6], exit: l[7], internal: l[8], open: l[9], bars: [], marks: []};
  });
  TL.bars.forEach(function (b) { if (lanes[b[0]]) lanes[b[0]].bars.push(b); });
  TL.marks.forEach(function (m) { if (lanes[m[0]]) lanes[m[0]].marks.push(m); });
  var tsec = el("section", {id: "timeline"}, el("h2", null, "Thread timeline"));
  main.appendChild(tsec);
  var many = lanes.length > 24;
  var collapsed = {};
  // Threads grouped by start routine when there are many: a group row
  // that folds; groups of one routine start folded past a few lanes.
  var groupsByFn = {}, groupOrder = [];
  lanes.forEach(function (l) {
    var k = l.pid + " " + (l.fn || "?");
    if (!groupsByFn[k]) { groupsByFn[k] = []; groupOrder.push(k); }
    groupsByFn[k].push(l);
  });
  if (many) groupOrder.forEach(function (k) { collapsed[k] = groupsByFn[k].length > 4; });
  var tMax = Math.max(1, lanes.reduce(function (m, l) { return Math.max(m, l.e); }, 1));
  var tMin = Math.min(tMax - 1, lanes.reduce(function (m, l) { return Math.min(m, l.b); }, tMax));
  tMin = Math.max(0, tMin - (tMax - tMin) / 50);
  var view = {v0: tMin, v1: tMax + (tMax - tMin) / 100};
  var full = {v0: view.v0, v1: view.v1};
  var legend = el("div", {"class": "legend"}, el("span", null, el("i", {"class": "lg-run"}), "running"),
    TL.states.map(function (s) { return el("span", null, el("i", {"data-state": s}), STATE_NAMES[s].replace("blocked in ", "").replace("blocked ", "")); }),
    el("span", null, "\u25bc close"), el("span", null, "\u25c6 finding"), el("span", null, "\u2192 send to receive"));
  Array.prototype.forEach.call(legend.querySelectorAll("i[data-state]"), function (i) { i.style.background = STATE_COLORS[i.getAttribute("data-state")]; });
  legend.querySelector(".lg-run").style.background = "#cfe8d2";
  var zoomIn = el("button", {type: "button"}, "zoom in"), zoomOut = el("button", {type: "button"}, "zoom out"), reset = el("button", {type: "button"}, "reset");
  tsec.appendChild(el("div", {"class": "toolbar"}, zoomIn, zoomOut, reset,
    el("span", {"class": "muted"}, "wheel to zoom, drag to pan; hover for details" + (many ? "; click a routine's row to fold it" : "")), legend));
  var tbox = el("div", {"class": "chartbox", id: "timeline-box"});
  tsec.appendChild(tbox);
  if (TL.flows_found > TL.flows.length)
    tsec.appendChild(el("div", {"class": "muted"}, TL.flows.length + " of " + TL.flows_found + " send-to-receive arrows drawn."));
  var LABEL = 190, LANE_H = 18, AXIS = 22;
  var tsvg = null;
  function drawTimeline() {
    var width = Math.max(600, tbox.clientWidth || 900);
    var plotW = width - LABEL - 10;
    var rows = [];
    groupOrder.forEach(function (k) {
      var ls = groupsByFn[k];
      if (many) rows.push({group: k, lanes: ls});
      if (!many || !collapsed[k]) ls.forEach(function (l) { rows.push({lane: l}); });
    });
    var height = AXIS + rows.length * LANE_H + 4;
    var s = sv("svg", {width: width, height: height, id: "timeline-svg", role: "img", "aria-label": "thread timeline"});
    var span = view.v1 - view.v0;
    function X(t) { return LABEL + (t - view.v0) / span * plotW; }
    var defs = sv("defs", null, sv("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse"},
      sv("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#6a4c93"})),
      sv("clipPath", {id: "plotclip"}, sv("rect", {x: LABEL, y: 0, width: plotW, height: height})));
    s.appendChild(defs);
    var ax = sv("g", {"class": "axis"});
    for (var k = 0; k <= 8; k++) {
      var t = view.v0 + span * k / 8, x = X(t);
      ax.appendChild(sv("line", {x1: x, x2: x, y1: AXIS - 4, y2: height}));
      ax.appendChild(sv("text", {x: x + 2, y: 12}, fmtUs(Math.round(t))));
    }
    s.appendChild(ax);
    var plot = sv("g", {"clip-path": "url(#plotclip)"});
    var laneY = {};
    rows.forEach(function (r, ri) {
      var y = AXIS + ri * LANE_H;
      if (r.group) {
        var l0 = r.lanes[0];
        var gr = sv("rect", {"class": "grp", x: 0, y: y, width: width, height: LANE_H - 1});
        s.appendChild(gr);
        var lbl = sv("text", {x: 4, y: y + 12}, (collapsed[r.group] ? "\u25b8 " : "\u25be ") + (l0.fn || "?") + " \u00d7" + r.lanes.length + " (pid " + l0.pid + ")");
        s.appendChild(lbl);
        [gr, lbl].forEach(function (n) { n.addEventListener("click", function () { collapsed[r.group] = !collapsed[r.group]; drawTimeline(); }); });
        tooltip(gr, plural(r.lanes.length, "thread") + " started in " + (l0.fn || "?") + "; click to " + (collapsed[r.group] ? "unfold" : "fold"));
        // folded: the lanes' bars drawn on the group row
        if (collapsed[r.group]) r.lanes.forEach(function (l) { laneY[l.i] = y; drawBars(plot, l, y, X, true); });
        return;
      }
      var l = r.lane;
      laneY[l.i] = y;
      s.appendChild(sv("rect", {"class": "lanebg" + (ri % 2 ? " alt" : ""), x: 0, y: y, width: width, height: LANE_H - 1}));
      var name = "thread " + l.tid + (l.name ? " \u201c" + l.name + "\u201d" : "") + (l.fn ? " " + l.fn : "");
      var label = sv("text", {x: 4, y: y + 12, "class": "lanelabel"}, name.length > 30 ? name.slice(0, 29) + "\u2026" : name);
      s.appendChild(label);
      tooltip(label, "pid " + l.pid + " thread " + l.tid + (l.name ? "\nname: " + l.name : "") + "\nstart routine: " + (l.fn || "?") +
        "\nlives " + fmtUs(l.b) + " \u2013 " + fmtUs(l.e) + (l.exit ? " (" + l.exit + ")" : " (still running at the end)"));
      drawBars(plot, l, y, X, false);
    });
    // markers
    rows.forEach(function (r) {
      var ls = r.group ? (collapsed[r.group] ? r.lanes : []) : [r.lane];
      ls.forEach(function (l) {
        var y = laneY[l.i];
        l.marks.forEach(function (m) {
          if (m[0] === l.i && m.length > 4 && hidden[m[2]]) return;
          var x = X(m[1]);
          if (x < LABEL - 6 || x > width) return;
          var node;
          if (m.length > 4) {
            node = sv("path", {"class": "findmark", d: "M" + x + " " + (y + 2) + " l5 6 l-5 6 l-5 -6 z"});
            tooltip(node, m[2] + " at " + fmtUs(m[1]) + "\n" + m[3]);
            node.addEventListener("click", function () { var c = document.getElementById("f-" + G[m[4]].fp); if (c) c.scrollIntoView(); });
          } else {
            node = sv("path", {"class": "close", d: "M" + (x - 4) + " " + (y + 1) + " h8 l-4 7 z"});
            tooltip(node, m[2] + " of chan " + m[3] + " at " + fmtUs(m[1]) + " by thread " + l.tid);
          }
          plot.appendChild(node);
        });
      });
    });
    TL.flows.forEach(function (f) {
      var ya = laneY[f[0]], yb = laneY[f[2]];
      if (ya === undefined || yb === undefined) return;
      var xa = X(f[1]), xb = X(f[3]);
      if ((xa < LABEL && xb < LABEL) || (xa > width && xb > width)) return;
      var line = sv("line", {"class": "flow", x1: xa, y1: ya + LANE_H / 2, x2: xb, y2: yb + LANE_H / 2, "marker-end": "url(#arrow)"});
      tooltip(line, "send by thread " + lanes[f[0]].tid + " at " + fmtUs(f[1]) + " \u2192 received by thread " + lanes[f[2]].tid + " at " + fmtUs(f[3]));
      plot.appendChild(line);
    });
    s.appendChild(plot);
    if (tsvg) tbox.replaceChild(s, tsvg); else tbox.appendChild(s);
    tsvg = s;
    attachZoom(s, X, plotW);
  }
  function drawBars(plot, l, y, X, folded) {
    var x0 = Math.max(X(l.b), LABEL), x1 = X(l.e);
    if (x1 >= LABEL && !folded) {
      var life = sv("rect", {"class": "life", x: x0, y: y + 3, width: Math.max(1, x1 - x0), height: LANE_H - 7});
      plot.appendChild(life);
      tooltip(life, "thread " + l.tid + " running (not blocked in a recorded call)");
    }
    l.bars.forEach(function (b) {
      var bx0 = X(b[1]), bx1 = X(b[2]);
      if (bx1 < LABEL || bx0 > X(view.v1)) return;
      var st = TL.states[b[3]];
      var r = sv("rect", {x: Math.max(bx0, LABEL - 1), y: y + 2, width: Math.max(1.5, bx1 - Math.max(bx0, LABEL - 1)), height: LANE_H - 5,
        fill: STATE_COLORS[st], "fill-opacity": b[5] >= 100 ? 1 : Math.max(0.25, b[5] / 100), "data-state": st, "class": "bar"});
      tooltip(r, function () {
        return "thread " + l.tid + (l.name ? " \u201c" + l.name + "\u201d" : "") + ": " + STATE_NAMES[st] + "\n" + fmtUs(b[1]) + " \u2013 " + fmtUs(b[2]) +
          " (" + fmtUs(b[2] - b[1]) + ")" + (b[4] > 1 ? "\n" + b[4] + " calls merged, blocked " + b[5] + "% of this bar" : "") +
          (l.open && b[2] === l.e ? "\nstill blocked when the process ended" : "");
      });
      plot.appendChild(r);
    });
  }
  function zoomAt(t, f) {
    var span = (view.v1 - view.v0) * f;
    var fullSpan = full.v1 - full.v0;
    span = Math.min(fullSpan, Math.max(span, 2));
    var r = (t - view.v0) / (view.v1 - view.v0);
    view.v0 = t - r * span;
    view.v1 = view.v0 + span;
    clampView();
    drawTimeline();
  }
  function clampView() {
    var span = view.v1 - view.v0;
    if (view.v0 < full.v0) { view.v0 = full.v0; view.v1 = view.v0 + span; }
    if (view.v1 > full.v1) { view.v1 = full.v1; view.v0 = view.v1 - span; }
  }
  function attachZoom(s, X, plotW) {
    s.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var rect = s.getBoundingClientRect();
      var t = view.v0 + (ev.clientX - rect.left - LABEL) / plotW * (view.v1 - view.v0);
      zoomAt(t, ev.deltaY < 0 ? 0.8 : 1.25);
    }, {passive: false});
    var drag = null;
    s.addEventListener("mousedown", function (ev) { drag = {x: ev.clientX, v0: view.v0, v1: view.v1}; });
    window.addEventListener("mouseup", function () { drag = null; });
    s.addEventListener("mousemove", function (ev) {
      if (!drag || !(ev.buttons & 1)) return;
      var dt = (ev.clientX - drag.x) / plotW * (drag.v1 - drag.v0);
      if (Math.abs(ev.clientX - drag.x) < 3) return;
      view.v0 = drag.v0 - dt; view.v1 = drag.v1 - dt;
      clampView();
      drawTimeline();
    });
  }
  zoomIn.addEventListener("click", function () { zoomAt((view.v0 + view.v1) / 2, 0.5); });
  zoomOut.addEventListener("click", function () { zoomAt((view.v0 + view.v1) / 2, 2); });
  reset.addEventListener("click", function () { view.v0 = full.v0; view.v1 = full.v1; drawTimeline(); });
  if (!lanes.length) tbox.appendChild(el("p", {"class": "muted"}, "No threads in this trace."));

  // ---- the channel graph ----
  var CH = D.channels || [], E = D.graph || [];
  var gsec = el("section", {id: "graph"}, el("h2", null, "Channel graph"),
    el("div", {"class": "muted"}, "Start routines as nodes, channels as edges from senders to receivers with what each side sent and received. ",
      "Green: closed; grey dashed: never closed; red: a thread was still blocked on it at the end (leaked)."));
  main.appendChild(gsec);
  var gbox = el("div", {"class": "chartbox", id: "graph-box"});
  gsec.appendChild(gbox);
  if (D.graph_left_out) gsec.appendChild(el("div", {"class": "muted"}, D.graph_left_out + " edges left out."));
  (function drawGraph() {
    if (!E.length) { gbox.appendChild(el("p", {"class": "muted"}, "No channel was used in this trace.")); return; }
    var names = [], idx = {};
    E.forEach(function (e) { [e[0], e[1]].forEach(function (n) { if (idx[n] === undefined) { idx[n] = names.length; names.push(n); } }); });
    // layers: longest path from the sources, cycles cut by a bound
    var layer = names.map(function () { return 0; });
    for (var it = 0; it < names.length; it++) {
      var changed = false;
      E.forEach(function (e) {
        var a = idx[e[0]], b = idx[e[1]];
        if (a !== b && layer[b] < layer[a] + 1 && layer[a] + 1 < names.length) { layer[b] = layer[a] + 1; changed = true; }
      });
      if (!changed) break;
    }
    var cols = {}, maxCol = 0;
    names.forEach(function (n, i) { (cols[layer[i]] = cols[layer[i]] || []).push(i); maxCol = Math.max(maxCol, layer[i]); });
    var NW = 170, NH = 30, GX = 120, GY = 46;
    var pos = {}, maxRows = 0;
    Object.keys(cols).forEach(function (c) {
      cols[c].forEach(function (i, r) { pos[i] = {x: 20 + c * (NW + GX), y: 20 + r * (NH + GY)}; });
      maxRows = Math.max(maxRows, cols[c].length);
    });
    var W = 40 + (maxCol + 1) * (NW + GX), H = 40 + maxRows * (NH + GY) + 40;
    var s = sv("svg", {width: W, height: H, id: "graph-svg", role: "img", "aria-label": "channel graph"});
    s.appendChild(sv("defs", null, ["closed", "open", "leaked"].map(function (k) {
      return sv("marker", {id: "ga-" + k, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"},
        sv("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: k === "closed" ? "#2e7d32" : k === "leaked" ? "#c62828" : "#8a8f96"}));
    })));
    // One edge per (sender, receiver, state): many channels between the
    // same routines (a channel per worker) are one edge with their sums.
    var merged = {}, edges = [];
    E.forEach(function (e) {
      var ch = CH[e[2]] || {};
      var cls = ch.blocked > 0 ? "leaked" : ch.closes > 0 ? "closed" : "open";
      var key = e[0] + "\u0000" + e[1] + "\u0000" + cls;
      var m = merged[key];
      if (!m) { m = merged[key] = {from: e[0], to: e[1], cls: cls, chans: [], sent: 0, recv: 0}; edges.push(m); }
      m.chans.push(ch); m.sent += e[3]; m.recv += e[4];
    });
    var pairSeen = {};
    edges.forEach(function (m) {
      var e = [m.from, m.to], cls = m.cls, ch = m.chans[0];
      var a = idx[e[0]], b = idx[e[1]];
      var key = a + ">" + b, nth = pairSeen[key] = (pairSeen[key] || 0) + 1;
      var pa = pos[a], pb = pos[b], d, lx, ly;
      var bend = 18 * nth;
      if (a === b) {
        d = "M" + (pa.x + NW - 20) + " " + pa.y + " c 30 -" + (30 + bend) + ", 60 0, 20 " + NH / 2;
        lx = pa.x + NW; ly = pa.y - 10 - bend / 2;
      } else {
        var x1 = pa.x + NW, y1 = pa.y + NH / 2, x2 = pb.x, y2 = pb.y + NH / 2;
        if (pb.x <= pa.x) { x1 = pa.x; x2 = pb.x + NW; }
        var mx = (x1 + x2) / 2, my = (y1 + y2) / 2 - bend + 18;
        d = "M" + x1 + " " + y1 + " Q " + mx + " " + my + " " + x2 + " " + y2;
        lx = mx; ly = my - 2;
      }
      var path = sv("path", {"class": "edge " + cls, d: d, "marker-end": "url(#ga-" + cls + ")"});
      var text;
      if (m.chans.length === 1) {
        text = "chan " + (ch.addr || "?") + (ch.cap !== null && ch.cap !== undefined ? " (cap " + ch.cap + ")" : "") +
          "\n" + e[0] + " \u2192 " + e[1] + "\nsent " + m.sent + ", received " + m.recv +
          "\n" + (ch.closes ? "closed" + (ch.closer ? " by " + ch.closer : "") + (ch.closes > 1 ? " (" + ch.closes + " times)" : "") : "never closed") +
          (ch.blocked ? "\n" + plural(ch.blocked, "thread") + " still blocked on it at the end" : "") + (ch.creator ? "\nmade in " + ch.creator : "");
      } else {
        var blocked = m.chans.reduce(function (n, c) { return n + (c.blocked || 0); }, 0);
        text = m.chans.length + " channels " + e[0] + " \u2192 " + e[1] + ": " + m.chans.slice(0, 8).map(function (c) { return c.addr; }).join(", ") +
          (m.chans.length > 8 ? ", \u2026" : "") + "\nsent " + m.sent + ", received " + m.recv + " in all\n" +
          (cls === "closed" ? "all closed" : cls === "open" ? "never closed" : plural(blocked, "thread") + " still blocked on them at the end");
      }
      tooltip(path, text);
      s.appendChild(path);
      var lab = sv("text", {x: lx, y: ly, "text-anchor": "middle"},
        (m.chans.length === 1 ? (ch.addr || "?").slice(-6) : m.chans.length + " chans") + ": " + m.sent + "\u2192" + m.recv);
      tooltip(lab, text);
      s.appendChild(lab);
    });
    names.forEach(function (n, i) {
      var g = sv("g", {"class": "node" + (n === "(nobody)" ? " nobody" : ""), transform: "translate(" + pos[i].x + "," + pos[i].y + ")"});
      g.appendChild(sv("rect", {width: NW, height: NH, rx: 5}));
      g.appendChild(sv("text", {x: NW / 2, y: 19, "text-anchor": "middle"}, n.length > 24 ? n.slice(0, 23) + "\u2026" : n));
      tooltip(g, n === "(nobody)" ? "no thread sent or received on this side" : "start routine " + n);
      s.appendChild(g);
    });
    gbox.appendChild(s);
  })();

  // ---- per-thread and per-channel tables ----
  var TH = D.threads || [];
  var thsec = el("section", {id: "threads"}, el("h2", null, "Threads"));
  main.appendChild(thsec);
  thsec.appendChild(table("threads-table", [
    {name: "pid", num: true, get: function (t) { return t[1]; }},
    {name: "thread", num: true, get: function (t) { return t[2]; }},
    {name: "name", get: function (t) { return t[3]; }},
    {name: "start routine", get: function (t) { return t[4]; }, show: function (t) { return el("span", {"class": "mono"}, t[4] || "?"); }},
    {name: "state", get: function (t) { return t[5]; }},
    {name: "created", num: true, get: function (t) { return t[6]; }, show: function (t) { return fmtUs(t[6]); }},
    {name: "ended", num: true, get: function (t) { return t[7]; }, show: function (t) { return fmtUs(t[7]); }},
    {name: "running", num: true, get: function (t) { return t[8]; }, show: function (t) { return fmtUs(t[8]); }},
    {name: "blocked", num: true, get: function (t) { return t[9]; }, show: function (t) { return fmtUs(t[9]); }}
  ], TH));
  // a killed process's threads at its last record (reports/states.c), and
  // what weft run --leak-check reported while the program ran
  var SD = D.state_at_death || [], LC = D.leak_checks || [];
  function created(t) {
    var f = (t.creation || [])[0];
    return f ? (f.function || f.pc) + (f.file && f.line ? " " + base(f.file) + ":" + f.line : "") : "";
  }
  SD.forEach(function (p) {
    thsec.appendChild(el("h3", null, "State at death: process " + p.pid + ", " + p.cause +
      " (its threads at its last record, " + fmtUs(Math.round(p.last_record_ns / 1000)) + ")"));
    thsec.appendChild(table("death-" + p.pid, [
      {name: "thread", num: true, get: function (t) { return t.tid; }},
      {name: "name", get: function (t) { return t.name || ""; }},
      {name: "state", get: function (t) { return t.state; }},
      {name: "waits on", get: function (t) { return t.wait ? t.wait.replace(/_begin$/, "") + " " + t.obj : ""; },
        show: function (t) { return el("span", {"class": "mono"}, t.wait ? t.wait.replace(/_begin$/, "") + " " + t.obj : ""); }},
      {name: "since", num: true, get: function (t) { return t.since_ns || 0; },
        show: function (t) { return t.since_ns !== undefined && t.since_ns !== null ? fmtUs(Math.round(t.since_ns / 1000)) : ""; }},
      {name: "created at", get: created, show: function (t) { return el("span", {"class": "mono"}, created(t)); }}
    ], p.threads));
  });
  if (LC.length) {
    thsec.appendChild(el("h3", null, "Leak checks during the run (weft run --leak-check)"));
    thsec.appendChild(table("leak-checks", [
      {name: "pid", num: true, get: function (l) { return l.pid; }},
      {name: "thread", num: true, get: function (l) { return l.tid; }},
      {name: "name", get: function (l) { return l.name || ""; }},
      {name: "waits on", get: function (l) { return l.wait.replace(/_begin$/, "") + " " + l.obj; }},
      {name: "blocked for", num: true, get: function (l) { return l.blocked_ns; }, show: function (l) { return fmtUs(Math.round(l.blocked_ns / 1000)); }},
      {name: "created at", get: created, show: function (l) { return el("span", {"class": "mono"}, created(l)); }}
    ], LC));
  }
  var chsec = el("section", {id: "channels"}, el("h2", null, "Channels"));
  main.appendChild(chsec);
  chsec.appendChild(CH.length ? table("channels-table", [
    {name: "channel", get: function (c) { return c.addr; }, show: function (c) { return el("span", {"class": "mono"}, c.addr + (c.info ? " (" + c.info + ")" : "")); }},
    {name: "capacity", num: true, get: function (c) { return c.cap; }},
    {name: "made in", get: function (c) { return c.creator; }},
    {name: "sends", num: true, get: function (c) { return c.sends; }},
    {name: "receives", num: true, get: function (c) { return c.recvs; }},
    {name: "closed", get: function (c) { return c.closes ? (c.closes > 1 ? c.closes + " times" : "yes") + (c.closer ? " by " + c.closer : "") : "never"; }},
    {name: "blocked at the end", num: true, get: function (c) { return c.blocked; }},
    {name: "freed", get: function (c) { return c.freed ? "yes" : "no"; }}
  ], CH) : el("p", {"class": "muted"}, "No channels."));

  drawTimeline();
  var rt = null;
  window.addEventListener("resize", function () { clearTimeout(rt); rt = setTimeout(drawTimeline, 150); });
  // how long the page took from navigation to drawn (the tests print it)
  document.body.setAttribute("data-render-ms", String(Math.round(performance.now())));
  document.body.setAttribute("data-rendered", "1");
})();
