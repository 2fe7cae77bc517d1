#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/harness/symtab_cxx.sh: the ingest's symbolization of optimized C++,
# where one return address stands for several inlined functions (a
# std::lock_guard's lock, the lambda that holds it) and the units are big
# (<regex>, <map>, <functional> in the same file): the shape whose first
# version of inlined frames (libdw's dwarf_getscopes, which visits every
# DIE of a unit for each address) took 6.3 s instead of 0.1 s.
# A generated program, -O2 -g, takes each of N mutexes from N functions
# and N lambdas, in two threads, under `weft run --keep-log`. Then, on the
# kept log, R times each, interleaved:
#   ingest        `weft ingest` of the log (the inlined frames of every
#                 stack address, from the program's DWARF);
#   ingest -s     the same log after the program's debug info is
#                 stripped (symbols only, no inlined frames): the ingest
#                 without DWARF, its floor;
#   addr2line     binutils' `addr2line -i -f -C` over the same addresses
#                 (every frame's offset in the program), the peer that
#                 does the same job: inlined chains from DWARF;
# medians in seconds, and ingest/ingest -s and the DWARF part of the
# ingest (ingest - ingest -s) against addr2line. Printed, never asserted.
#   bench/harness/symtab_cxx.sh [--build-dir DIR] [--n N] [--runs R]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build-rel
n=1000
runs=5
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$2; shift ;;
    --n) n=$2; shift ;;
    --runs) runs=$2; shift ;;
    *) echo "usage: $0 [--build-dir DIR] [--n N] [--runs R]" >&2; exit 2 ;;
    esac
    shift
done
command -v addr2line >/dev/null || { echo "symtab_cxx: addr2line (binutils) is needed" >&2; exit 2; }
command -v g++ >/dev/null || { echo "symtab_cxx: g++ is needed" >&2; exit 2; }
cmake --build "$build" -j2 --target weft-cli weft-preload >/dev/null
weft=$build/bin/weft
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-symcxx-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The program: N functions and N lambdas, each locking its own mutex
# through a lock_guard (inlined at -O2), one big unit.
{
    printf '#include <functional>\n#include <map>\n#include <mutex>\n#include <regex>\n'
    printf '#include <string>\n#include <thread>\n#include <vector>\n'
    printf 'static std::mutex m[%s];\nstatic std::map<std::string, int> g;\n' "$n"
    i=0
    while [ "$i" -lt "$n" ]; do
        printf '__attribute__((noinline)) void f%s() { std::lock_guard<std::mutex> l(m[%s]); g["k%s"]++; }\n' \
            "$i" "$i" "$i"
        i=$((i + 1))
    done
    printf 'int main() {\n    std::vector<std::function<void()>> fs;\n'
    i=0
    while [ "$i" -lt "$n" ]; do
        printf '    fs.push_back([] { std::lock_guard<std::mutex> l(m[%s]); g["l%s"]++; });\n' "$i" "$i"
        printf '    fs.push_back(f%s);\n' "$i"
        i=$((i + 1))
    done
    printf '    std::thread t([&] { for (auto &f : fs) f(); });\n    for (auto &f : fs) f();\n'
    printf '    t.join();\n    return std::regex_match(std::to_string(g.size()), std::regex("[0-9]+")) ? 0 : 1;\n}\n'
} >"$work/big.cc"
g++ -O2 -g -pthread -o "$work/big" "$work/big.cc"
WEFT_SYNC_STACKS=1 "$weft" run -q --keep-log="$work/logs" -o "$work/t.db" -- "$work/big" >/dev/null 2>&1 || {
    echo "symtab_cxx: the program failed under weft run" >&2
    exit 1
}
addrs=$(sqlite3 "$work/t.db" "select count(distinct pc) from frames where module = '$work/big'")
inl=$(sqlite3 "$work/t.db" "select count(*) - count(distinct stack || ':' || pc) from frames where module = '$work/big'")
sqlite3 "$work/t.db" "select distinct printf('0x%x', offset) from frames where module = '$work/big'" >"$work/addrs"
cp "$work/big" "$work/big.debug"

# secs NAME CMD...: runs CMD, appends its elapsed seconds to $work/NAME
secs() {
    o=$1
    shift
    /usr/bin/time -f '%e' -a -o "$work/$o" "$@" >/dev/null 2>&1
}
median() { sort -n "$work/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
r=0
while [ "$r" -lt "$runs" ]; do
    cp "$work/big.debug" "$work/big"
    rm -f "$work/a.db"
    secs ingest "$weft" ingest -q -o "$work/a.db" "$work/logs"/log
    strip --strip-debug "$work/big"
    rm -f "$work/b.db"
    secs stripped "$weft" ingest -q -o "$work/b.db" "$work/logs"/log
    secs addr2line addr2line -i -f -C -e "$work/big.debug" @"$work/addrs"
    r=$((r + 1))
done
# (addr2line takes the addresses on its command line: @FILE is binutils'
# response file)
a=$(median ingest)
b=$(median stripped)
c=$(median addr2line)
printf 'symbolizing optimized C++ (-O2 -g, %s mutexes, one unit with <regex>): %s stack addresses in the program, %s frames of inlined functions in the trace; medians of %s runs\n' \
    "$n" "$addrs" "$inl" "$runs"
printf '%-10s %-12s %-10s %-18s %s\n' ingest "ingest -s" addr2line "ingest/ingest -s" "(ingest - ingest -s)/addr2line"
printf '%-10s %-12s %-10s %-18s %s\n' "$a" "$b" "$c" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", (b > 0) ? a / b : 0 }')" \
    "$(awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN { printf "%.2fx", (c > 0) ? (a - b) / c : 0 }')"
