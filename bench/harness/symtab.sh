#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/harness/symtab.sh: the ingest's memory for many short-lived
# processes, before and after the symbol table (issue 12 item 4:
# harness/symbolize.h, one table per ingest). t_symkids makes N children
# (default 200), each with three threads, under `weft run --keep-log`, in
# two shapes: fork (the children keep the parent's image and biases: the
# ingest already shared one symbolizer between them) and exec (each child
# execs the program again, traced with --trace-children: an image with its
# own biases under ASLR, so one symbolizer per process before). Then, on
# the same kept logs, the peak RSS (/usr/bin/time -f %M) of:
#   old ingest    `weft ingest` of --old-weft BIN (default: this build's,
#                 whose ingest makes one symbolizer, a libdw Dwfl, per
#                 distinct module map until it switches to the table;
#                 after that, pass a weft built before it);
#   old symbols   t_symlogs perproc: the symbolization alone, as that
#                 ingest did it (a symbol table of its own per distinct
#                 module map, all kept to the end);
#   new table     t_symlogs table: the same stacks through one table
#                 (every module file opened once, one cache);
# and the ratios old/new. t_symlogs reads the logs with log_reader.h and
# looks up every STACK record's pcs as the ingest does. Timings and sizes
# are printed, never asserted: exit status 0 when everything ran.
#   bench/harness/symtab.sh [--build-dir DIR] [--n N] [--old-weft BIN]
# DIR (default: build) must be configured with the tests (the default):
# t_symkids and t_symlogs live in tests/harness.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build
n=200
oldweft=""
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$2; shift ;;
    --n) n=$2; shift ;;
    --old-weft) oldweft=$2; shift ;;
    *) echo "usage: $0 [--build-dir DIR] [--n N] [--old-weft BIN]" >&2; exit 2 ;;
    esac
    shift
done
cmake --build "$build" -j2 --target weft-cli weft-preload t_symkids t_symlogs >/dev/null
weft=$build/bin/weft
[ -n "$oldweft" ] || oldweft=$weft
bin=$build/tests/harness
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-symtab-XXXXXX")
trap 'rm -rf "$work"' EXIT

# rss_of NAME CMD...: runs CMD (stdout to $work/NAME.out), prints its peak RSS in KB
rss_of() {
    o=$1
    shift
    /usr/bin/time -f '%M %e' -o "$work/$o.time" "$@" >"$work/$o.out"
    cut -d' ' -f1 "$work/$o.time"
}
secs() { cut -d' ' -f2 "$work/$1.time"; }

printf 'ingest peak RSS for %s short-lived children, 3 threads each (KB; seconds)\n' "$n"
printf '%-5s %5s %7s  %18s  %18s  %16s  %s\n' shape logs frames "old ingest" "old symbols" \
    "new table" "old ingest/new, old symbols/new"
for shape in fork exec; do
    "$weft" run -q --trace-children --keep-log="$work/$shape.logs" -o "$work/$shape.db" -- \
        "$bin/t_symkids" "$n" "$shape" >"$work/run.out"
    [ "$(cat "$work/run.out")" = "$n children ok" ] || {
        echo "t_symkids $shape: $(cat "$work/run.out")" >&2
        exit 1
    }
    old=$(rss_of ingest "$oldweft" ingest -q "$work/$shape.logs"/log* -o "$work/$shape.2.db")
    oldsym=$(rss_of perproc "$bin/t_symlogs" perproc "$work/$shape.logs"/log*)
    new=$(rss_of table "$bin/t_symlogs" table "$work/$shape.logs"/log*)
    logs=$(sed -n 's/^logs \([0-9]*\) .*/\1/p' "$work/table.out")
    frames=$(sed -n 's/.* frames \([0-9]*\) .*/\1/p' "$work/table.out")
    [ "$(sed 's/ symbolizers.*//' "$work/table.out")" = "$(sed 's/ symbolizers.*//' "$work/perproc.out")" ] || {
        echo "old and new symbolized differently: $(cat "$work/perproc.out") / $(cat "$work/table.out")" >&2
        exit 1
    }
    printf '%-5s %5s %7s  %10s (%5ss)  %10s (%5ss)  %8s (%5ss)  %s\n' "$shape" "$logs" \
        "$frames" "$old" "$(secs ingest)" "$oldsym" "$(secs perproc)" "$new" "$(secs table)" \
        "$(awk -v a="$old" -v b="$oldsym" -v c="$new" 'BEGIN { printf "%.1fx, %.1fx", a / c, b / c }')"
    rm -rf "$work/$shape.logs" "$work/$shape.db" "$work/$shape.2.db"
done
