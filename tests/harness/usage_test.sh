#!/bin/sh
# SPDX-License-Identifier: MIT
# usage_test.sh: one place for the usage text (issue 12). `weft --help`
# (cli/weft_main.c) is the source; docs/weft.1 must say the same: the
# options of each subcommand's synopsis are the same in both
# (usage_synopsis), every option one of them documents the other does too
# (usage_options), every option the subcommands accept (cli/cmd_*.c) is
# documented in both (usage_accepted), and `weft SUB --help` prints
# exactly SUB's part of `weft --help` (usage_sub_help). Options are
# compared as sets of names (--stack-depth, -o), not as prose.
name=$1
. "$(dirname "$0")/../common/lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
man=$src/docs/weft.1
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# opts_py MODE FILE...: option names, one per line (sorted, unique), or
# "SUB OPT" lines per subcommand for the synopses. MODE: help-synopsis
# (weft --help's synopsis lines), man-synopsis, help-all, man-all (every
# option the page names), man-defined (the options the page defines: its
# .TP heads and the scenarios' .BI items), code (what cmd_*.c accept).
opts() {
    "$py" - "$@" <<'EOF'
import re, sys
mode, paths = sys.argv[1], sys.argv[2:]
OPT = re.compile(r"(?<![\w-])(--[a-z][a-z-]*[a-z]|-[a-zA-Z])(?![\w])")
def man_text(t):
    # troff: \- is a dash, \fX changes font
    return re.sub(r"\\f[BIRP]", "", t.replace("\\-", "-"))
out = set()
text = open(paths[0]).read()
if mode == "help-synopsis":
    sub = None
    for line in text.split("\n"):
        if not line.strip():
            break
        m = re.match(r"(?:usage:)?\s+weft (\w+)", line) or re.match(r"usage: weft (\w+)", line)
        if m and m.group(1) != "--help":
            sub = m.group(1)
        elif re.match(r"\s+weft --help", line):
            continue
        for o in OPT.findall(line.split("weft " + sub, 1)[-1] if sub else line):
            if sub:
                out.add("%s %s" % (sub, o))
elif mode == "man-synopsis":
    body = text.split(".SH SYNOPSIS", 1)[1].split(".SH ", 1)[0]
    sub = None
    for line in body.split("\n"):
        m = re.match(r"\.B weft (\w+)", line)
        if m:
            sub = m.group(1)
            continue
        if line.startswith(".B weft"):  # weft --help | --version
            sub = None
        if not sub:
            continue
        for o in OPT.findall(man_text(line)):
            out.add("%s %s" % (sub, o))
elif mode == "help-all":
    out.update(o for o in OPT.findall(text) if o not in ("-h",))
elif mode == "man-all":
    for line in text.split("\n"):
        if line.startswith(".\\\""):
            continue
        out.update(OPT.findall(man_text(line)))
elif mode == "man-defined":
    lines = text.split("\n")
    for i, line in enumerate(lines):
        head = None
        if line == ".TP" and i + 1 < len(lines):
            head = lines[i + 1]
        elif line.startswith(".BI \\-"):
            head = line
        if head and head.startswith("."):
            out.update(OPT.findall(man_text(head)))
elif mode == "code":
    for p in paths:
        for line in open(p):
            # the option tables: weft_opt_value/number(..., "-o", "--output", ...)
            # and strcmp(a, "--index") / strncmp(argv[i], "-j", 2)
            if re.search(r"weft_opt_(value|number|num)\(|strn?cmp\(", line):
                for s in re.findall(r'"(-[^"]*)"', line):
                    if OPT.fullmatch(s):
                        out.add(s)
out.discard("--opt")  # "--opt=VALUE": any option, in both
for o in sorted(out):
    print(o)
EOF
}

# missing WHAT A B: the lines of file A that file B lacks, as failures.
missing() {
    comm -23 "$2" "$3" >"$work/diff"
    while read -r o; do
        fail "$1: $o"
    done <"$work/diff"
}

case $name in
usage_synopsis)
    "$WEFT" --help >"$work/help" || fail "weft --help exited $?"
    opts help-synopsis "$work/help" >"$work/h"
    opts man-synopsis "$man" >"$work/m"
    [ -s "$work/h" ] || fail "no options found in weft --help's synopsis"
    missing "in weft --help's synopsis, not in weft.1's" "$work/h" "$work/m"
    missing "in weft.1's synopsis, not in weft --help's" "$work/m" "$work/h"
    for sub in run ingest report scenarios; do
        grep -q "^$sub " "$work/h" || fail "weft --help's synopsis has no options of $sub"
    done
    ;;
usage_options)
    "$WEFT" --help >"$work/help" || fail "weft --help exited $?"
    opts help-all "$work/help" >"$work/h"
    opts man-all "$man" >"$work/mall"
    opts man-defined "$man" >"$work/mdef"
    [ "$(wc -l <"$work/mdef")" -ge 20 ] || fail "only $(wc -l <"$work/mdef") options defined in weft.1"
    missing "in weft --help, not in weft.1" "$work/h" "$work/mall"
    missing "defined in weft.1, not in weft --help" "$work/mdef" "$work/h"
    ;;
usage_accepted)
    "$WEFT" --help >"$work/help" || fail "weft --help exited $?"
    opts help-all "$work/help" >"$work/h"
    opts man-all "$man" >"$work/m"
    opts code "$src"/cli/cmd_*.c >"$work/c"
    [ "$(wc -l <"$work/c")" -ge 20 ] || fail "only $(wc -l <"$work/c") options found in cli/cmd_*.c"
    missing "accepted by cli/cmd_*.c, not in weft --help" "$work/c" "$work/h"
    missing "accepted by cli/cmd_*.c, not in weft.1" "$work/c" "$work/m"
    # and the other way: each option the help shows is one a subcommand takes
    grep -v -x -e --help -e --version "$work/h" >"$work/h2"
    missing "in weft --help, accepted by no cli/cmd_*.c" "$work/h2" "$work/c"
    ;;
usage_sub_help)
    "$WEFT" --help >"$work/help" || fail "weft --help exited $?"
    for sub in run ingest report scenarios "scenarios run" "scenarios list"; do
        # shellcheck disable=SC2086 # "scenarios run" is two words
        "$WEFT" $sub --help >"$work/sub" 2>"$work/err"
        expect "weft $sub --help: exit status" "$?" 0
        expect "weft $sub --help: stderr" "$(cat "$work/err")" ""
        s=${sub%% *}
        # its synopsis: the full help's lines of weft $s, "usage: " first
        "$py" - "$work/help" "$work/sub" "$s" <<'EOF' || fail "weft $sub --help is not $s's part of weft --help"
import re, sys
full, sub, name = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3]
syn, rest = full.split("\n\n", 1)
mine, cur = [], False
for line in syn.split("\n"):
    m = re.match(r"(usage: |       )weft (\S+)", line)
    if m:
        cur = m.group(2) == name
    if cur:
        mine.append(line)
mine[0] = "usage: " + mine[0][len("usage: "):]
texts, tail = rest.split("\n\n", 1)
part, cur = [], False
for line in texts.split("\n"):
    if line[:1] not in (" ", ""):
        cur = line.split()[0] == name
    if cur:
        part.append(line)
want = "\n".join(mine) + "\n\n" + "\n".join(part) + "\n\n" + tail
if sub != want:
    sys.stderr.write("got:\n%s\nwant:\n%s\n" % (sub, want))
    sys.exit(1)
EOF
    done
    # after --, --help is the program's
    # shellcheck disable=SC2016 # $1 is the inner shell's
    "$WEFT" run -q -o "$db" -- /bin/sh -c 'printf "%s\n" "$1"' sh --help >"$work/out" 2>"$work/err"
    expect "run -- PROG --help: exit status" "$?" 0
    expect "run -- PROG --help: stdout" "$(cat "$work/out")" "--help"
    ;;
*)
    fail "unknown case $name"
    ;;
esac
finish
