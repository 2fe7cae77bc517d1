#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/check-deps.sh: the folders' dependency arrows point one way
# (issue 12): runtime <- harness <- detectors <- reports <- cli, and inside
# harness, shim/ and the ingest both use format/, never each other; the
# shim never includes sqlite3.h, not even through another header. Checks
# every `#include "..."` of every tracked .c/.h, and every
# target_link_libraries, target_include_directories and add_dependencies
# of every CMakeLists.txt (and which folder's CMakeLists edits which
# folder's target), against that order. Prints each violation as one line
# and exits 1.
#
# Known violations, listed with why in scripts/check-deps.known (one per
# line: the violation's key, the part of its line before " -- "), are
# printed but pass; one that no longer happens fails (remove it from the
# list). --strict: the known ones fail too. --build DIR: also which static
# library of that build tree calls which (nm: an upward call needs no
# include).
#
# Tests (tests/, the one test root), bench/ and the build's own helpers
# (cmake/) may use anything; scenarios/ and demo/ are programs under
# test: libweft's public header only.
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" - "$@" <<'EOF'
import os, re, subprocess, sys

strict = "--strict" in sys.argv[1:]
files = subprocess.check_output(["git", "ls-files"], text=True).split("\n")
files = [f for f in files if f and os.path.exists(f)]
sources = [f for f in files if f.endswith((".c", ".h"))]
cmakes = [f for f in files if os.path.basename(f) == "CMakeLists.txt"]

# Folder of a path, as the arrows name them.
def folder(path):
    p = path.split("/")
    if "tests" in p[:-1] or p[0] in ("tests", "bench", "cmake"):
        return "top"
    if p[0] in ("scenarios", "demo"):
        return "prog"
    if p[0] == "include":
        # the hooks between libweft and the shim: not installed, not public
        return "hooks" if len(p) > 2 and p[1] == "weft_private" else "public"
    if p[0] == "harness":
        if len(p) > 2 and p[1] in ("shim", "format", "util", "ingest"):
            return "harness/" + p[1]
        # the ingest's files until they move into harness/ingest/, and weft.h
        return "harness"
    if p[0] in ("runtime", "detectors", "reports", "cli"):
        return p[0]
    return "top"  # top-level files (none are C today)

HARNESS_BELOW_SHIM = {"harness", "harness/ingest", "harness/util", "harness/format"}
ALLOWED = {
    "public": {"public"},
    "hooks": {"hooks", "public"},
    "runtime": {"runtime", "hooks", "public"},
    "harness/format": {"harness/format", "public"},
    "harness/shim": {"harness/shim", "harness/format", "hooks", "public"},
    "harness/util": {"harness/util", "harness", "public"},
    "harness/ingest": {"harness/ingest", "harness", "harness/format", "harness/util", "public",
                       "runtime"},
    "harness": HARNESS_BELOW_SHIM | {"public", "runtime"},
    "detectors": {"detectors"} | HARNESS_BELOW_SHIM | {"public", "runtime"},
    "reports": {"reports", "detectors"} | HARNESS_BELOW_SHIM | {"public", "runtime"},
    "cli": {"cli", "reports", "detectors"} | HARNESS_BELOW_SHIM | {"public", "runtime"},
    "prog": {"prog", "public"},
}

# What links may add to includes: the programs link libweft (the runtime
# target) though they include its public header only; the command builds
# after the shim (add_dependencies), which it finds and preloads as a file.
LINK_EXTRA = {"prog": {"runtime"}}
DEPENDS_EXTRA = {"cli": {"harness/shim"}}

def allowed(src, dst, extra=None):
    return src == "top" or dst in ALLOWED[src] or dst in (extra or {}).get(src, ())

def why(src, dst):
    return "%s/ may not depend on %s/" % (src, dst)

violations = []  # (key, line)
def violation(key, text):
    violations.append((key, text))

# --- CMake: strip comments, split into commands -------------------------
def cmake_commands(path):
    text = open(path).read()
    out, i, n = [], 0, len(text)
    clean = []
    for line in text.split("\n"):
        # a '#' outside quotes starts a comment
        q, cut = False, len(line)
        for j, ch in enumerate(line):
            if ch == '"':
                q = not q
            elif ch == "#" and not q:
                cut = j
                break
        clean.append(line[:cut])
    text = "\n".join(clean)
    for m in re.finditer(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", text):
        start, depth, j = m.end(), 1, m.end()
        while j < n and depth:
            if j >= len(text):
                break
            if text[j] == "(":
                depth += 1
            elif text[j] == ")":
                depth -= 1
            j += 1
        args = text[start:j - 1]
        lineno = text.count("\n", 0, m.start()) + 1
        out.append((m.group(1).lower(), re.findall(r'"[^"]*"|[^\s"]+', args), lineno))
    return out

def resolve_dir(cm_dir, arg):
    arg = arg.strip('"')
    for var in ("${PROJECT_SOURCE_DIR}", "${CMAKE_SOURCE_DIR}"):
        if arg.startswith(var):
            return os.path.normpath(arg[len(var):].lstrip("/") or ".")
    if arg.startswith("${CMAKE_CURRENT_SOURCE_DIR}"):
        return os.path.normpath(os.path.join(cm_dir, arg[len("${CMAKE_CURRENT_SOURCE_DIR}"):].lstrip("/")))
    return None  # the build tree, a generator expression, a system path

targets = {}    # name -> folder of the CMakeLists that defines it
parsed = {f: cmake_commands(f) for f in cmakes}
for f, cmds in parsed.items():
    for name, args, _ in cmds:
        if name in ("add_library", "add_executable") and args:
            targets[args[0]] = folder(f)

include_roots = {"include"}
KEYWORDS = {"PUBLIC", "PRIVATE", "INTERFACE", "SYSTEM", "BEFORE", "AFTER", "LINK_PUBLIC",
            "LINK_PRIVATE", "LINK_INTERFACE_LIBRARIES"}
for f, cmds in parsed.items():
    cm_dir = os.path.dirname(f) or "."
    here = folder(f)
    for name, args, lineno in cmds:
        if name not in ("target_link_libraries", "target_include_directories",
                        "add_dependencies", "target_compile_options",
                        "target_compile_definitions", "target_link_options",
                        "set_target_properties", "target_sources"):
            continue
        if not args or args[0] not in targets:
            continue
        tgt, tf = args[0], targets[args[0]]
        where = "%s:%d" % (f, lineno)
        if here != tf and not allowed(here, tf):
            violation("%s: edits %s" % (f, tgt),
                      "%s: edits the target %s of %s/: %s" % (where, tgt, tf, why(here, tf)))
        if name in ("target_link_libraries", "add_dependencies"):
            for dep in args[1:]:
                dep = dep.strip('"')
                if dep in KEYWORDS:
                    continue
                if tf == "harness/shim" and "SQLITE" in dep.upper():
                    violation("%s: %s -> %s" % (f, tgt, dep),
                              "%s: %s links %s: the shim never links SQLite" % (where, tgt, dep))
                extra = LINK_EXTRA if name == "target_link_libraries" else DEPENDS_EXTRA
                if dep in targets and not allowed(tf, targets[dep], extra):
                    violation("%s: %s -> %s" % (f, tgt, dep),
                              "%s: %s (%s/) links %s (%s/): %s" % (
                                  where, tgt, tf, dep, targets[dep], why(tf, targets[dep])))
        elif name == "target_include_directories":
            for a in args[1:]:
                if a.strip('"') in KEYWORDS:
                    continue
                d = resolve_dir(cm_dir, a)
                if d is None:
                    continue
                include_roots.add(d)
                df = folder(d + "/x")
                if not allowed(tf, df):
                    violation("%s: %s -> %s/" % (f, tgt, d),
                              "%s: %s (%s/) includes from %s/: %s" % (
                                  where, tgt, tf, d, why(tf, df)))

# --- #include "..." ------------------------------------------------------
tracked = set(sources)
inc_re = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
includes = {}  # file -> [(lineno, resolved or None, raw, kind)]
for f in sources:
    lst = []
    for lineno, line in enumerate(open(f, errors="replace"), 1):
        m = inc_re.match(line)
        if not m:
            continue
        kind, name = m.group(1), m.group(2)
        res = None
        if kind == '"':
            cands = [os.path.normpath(os.path.join(os.path.dirname(f), name))]
            cands += [os.path.normpath(os.path.join(r, name)) for r in sorted(include_roots)]
            for c in cands:
                if c in tracked:
                    res = c
                    break
        lst.append((lineno, res, name, kind))
    includes[f] = lst

for f in sources:
    src = folder(f)
    for lineno, res, name, kind in includes[f]:
        if kind == '"' and res is None:
            # a generated file or a system header spelled with quotes
            continue
        if res is None:
            continue
        dst = folder(res)
        if not allowed(src, dst):
            violation("%s -> %s" % (f, res), "%s:%d: includes %s: %s" % (f, lineno, res, why(src, dst)))

# The public headers name no internal (weft__) function or variable: what
# libweft shares with the shim alone is in include/weft_private/.
for f in sources:
    if folder(f) == "public":
        for lineno, line in enumerate(open(f, errors="replace"), 1):
            m = re.search(r"\bweft__\w+", line)
            if m:
                violation("%s: %s" % (f, m.group(0)), "%s:%d: the public header names %s: "
                          "internal names go in include/weft_private/ or the folder's own headers"
                          % (f, lineno, m.group(0)))

# The shim never sees sqlite3.h, also through a header of its own.
def reaches_sqlite(f, seen):
    if f in seen:
        return None
    seen.add(f)
    for _, res, name, kind in includes.get(f, []):
        if name == "sqlite3.h":
            return [f]
        if res:
            chain = reaches_sqlite(res, seen)
            if chain:
                return [f] + chain
    return None
for f in sources:
    if folder(f) == "harness/shim":
        chain = reaches_sqlite(f, set())
        # reported where it leaves the shim (or includes it itself), once
        if chain and (len(chain) == 1 or folder(chain[1]) != "harness/shim"):
            violation("%s -> sqlite3.h" % f, "%s: reaches sqlite3.h (%s): the shim never uses SQLite"
                      % (f, " -> ".join(chain + ["sqlite3.h"])))

# --- --build DIR: calls, from the static libraries' symbols ------------
# A call upward needs no include (an extern declaration will do): which
# library's undefined symbols are defined by which other library of the
# build tree, by folder.
args = sys.argv[1:]
if "--build" in args:
    bdir = args[args.index("--build") + 1]
    libs = {}
    for dirpath, _, names in os.walk(bdir):
        for nm_ in names:
            t = nm_[3:-2] if nm_.startswith("lib") and nm_.endswith(".a") else None
            if t in targets:
                libs[t] = os.path.join(dirpath, nm_)
    def syms(path, flag):
        r = subprocess.run(["nm", flag, path], capture_output=True, text=True).stdout
        return {l.split()[-1] for l in r.split("\n") if l.strip() and not l.endswith(":")}
    defined = {t: syms(p, "--defined-only") for t, p in libs.items()}
    for t, p in sorted(libs.items()):
        und = syms(p, "-u")
        for u, d in sorted(defined.items()):
            if u == t:
                continue
            hit = sorted(und & d)
            if hit and not allowed(targets[t], targets[u], LINK_EXTRA):
                violation("symbols: %s -> %s" % (t, u), "%s calls %s (%s/ -> %s/): %s" % (
                    t, u, targets[t], targets[u], ", ".join(hit)))

# --- known ones ----------------------------------------------------------
known = {}
kpath = "scripts/check-deps.known"
if os.path.exists(kpath):
    for line in open(kpath):
        line = line.strip()
        if line and not line.startswith("#"):
            key = line.split(" -- ")[0].strip()
            known[key] = line
bad = 0
seen_keys = set()
for key, text in violations:
    seen_keys.add(key)
    if key in known and not strict:
        print("check-deps: known: " + text)
    else:
        print("check-deps: " + text)
        bad += 1
if not strict:
    for key in known:
        if key.startswith("symbols: ") and "--build" not in args:
            continue  # only a --build run looks at the symbols
        if key not in seen_keys:
            print("check-deps: %s: listed in %s but no longer happens: remove it" % (key, kpath))
            bad += 1
print("check-deps: %d files, %d CMakeLists: %d violation(s), %d known" % (
    len(sources), len(cmakes), bad, len([k for k, _ in violations if k in known and not strict])),
    file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
