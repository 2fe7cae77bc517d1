#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh: runs all of weft's benchmarks against their peers in one go
# and prints the comparison table. It owns the benchmark sizes (it passes the
# same N to the C and Go programs, so the shapes are identical) and the
# issue's targets; the shapes themselves live in bench_shapes.h,
# bench_weft.c and go/main.go.
#
#   bench/run.sh [--build-dir DIR] [--markdown FILE] [--quick] [--runs N]
#                [--only b1,b2]
#
# It configures DIR (default: build-bench at the top of the tree) as a
# Release build without tests if it has no CMakeCache.txt yet (an existing
# DIR is used as it is configured), builds only the bench_weft
# target, builds the Go peer into DIR with `go build` (GOMAXPROCS=2 when
# run; the Go column reads "n/a" when go is not installed), then runs every
# benchmark for weft, go and naive, interleaved per benchmark so that a drift
# of the machine hits all three alike.
#
# Exit status: 0 when every benchmark ran, whatever the timings ("MISSED"
# rows included: benchmarks are not assertions); 1 when a run crashed, timed
# out or returned a wrong result; 2 on bad usage. --quick uses tiny sizes and
# one run, to check from CI that the benchmarks still build and run; its
# timings mean nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build-bench"
markdown=""
quick=0
runs=""
only=""

usage() {
    sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-2}"
}

while [ $# -gt 0 ]; do
    case "$1" in
    --build-dir) build=${2:?--build-dir needs a directory}; shift 2 ;;
    --build-dir=*) build=${1#*=}; shift ;;
    --markdown) markdown=${2:?--markdown needs a file}; shift 2 ;;
    --markdown=*) markdown=${1#*=}; shift ;;
    --quick) quick=1; shift ;;
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --only) only=${2:?--only needs benchmark names}; shift 2 ;;
    --only=*) only=${1#*=}; shift ;;
    -h | --help) usage 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage 2 ;;
    esac
done
mkdir -p "$build"
build=$(cd "$build" && pwd)

# name:full_N:quick_N. Full sizes keep every run of the slowest peer around a
# second on a 2-CPU machine, so that the whole table takes 1-2 minutes; keep
# them equal to the defaults in bench_weft.c and go/main.go.
benches=(
    buffered:2000000:20000
    pingpong:50000:500
    pipeline:200000:500
    fanin:1000000:20000
    select4:1000000:20000
    wg:50000:500
    wg_fast:5000000:20000
    errgroup:2000:20
)
if [ -z "$runs" ]; then
    if [ "$quick" = 1 ]; then runs=1; else runs=5; fi
fi
case "$runs" in '' | *[!0-9]*) echo "run.sh: --runs wants a number" >&2; exit 2 ;; esac
if [ "$quick" = 1 ]; then per_run_timeout=60; else per_run_timeout=300; fi

# ---- build -----------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "run.sh: configuring $build (Release)" >&2
    # Tests off: the benchmarks need only libweft, not the test dependencies.
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=ON \
        -DWEFT_BUILD_TESTS=OFF >&2
elif [ ! -f "$build/Makefile" ] && [ ! -f "$build/build.ninja" ]; then
    # An earlier configure failed half-way: run it again with its cache.
    cmake -S "$root" -B "$build" >&2
fi
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
case "$btype" in
Release | RelWithDebInfo) ;;
*) echo "run.sh: warning: $build is a '$btype' build; timings of an unoptimised libweft mislead" >&2 ;;
esac
cmake --build "$build" --target bench_weft -j2 >&2
cbench=$(find "$build" -name bench_weft -type f -perm -u+x | head -n 1)
[ -n "$cbench" ] || { echo "run.sh: bench_weft was not built" >&2; exit 1; }

gobench=""
if command -v go >/dev/null 2>&1; then
    # Its own cache in the build dir and no proxy: the program needs only the
    # standard library, and the benchmark machines have no module network.
    (cd "$here/go" && GOCACHE="$build/go-cache" GOPROXY=off GOFLAGS= \
        go build -o "$build/weftbench" .) >&2
    gobench="$build/weftbench"
else
    echo "run.sh: go not found: the go column will read n/a" >&2
fi

# ---- run ---------------------------------------------------------------------
# The numbers are only as good as the machine is quiet: say so when it is not
# (libweft spins before it sleeps, which pays only when a CPU is free).
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
if awk -v l="$load_before" -v c="$cpus" 'BEGIN { exit !(l + 0 > c / 2) }'; then
    echo "run.sh: warning: load average $load_before on $cpus CPUs: timings will be noisy" >&2
fi
failed=0
declare -A ns

# run_one BENCH IMPL N: stores the median ns/op in ns[BENCH.IMPL], or FAIL.
run_one() {
    local b=$1 impl=$2 n=$3 out
    local -a cmd
    if [ "$impl" = go ]; then
        if [ -z "$gobench" ]; then ns[$b.$impl]=n/a; return; fi
        cmd=(env GOMAXPROCS=2 "$gobench" "$b" "$n" "$runs")
    else
        cmd=("$cbench" "$b" "$impl" "$n" "$runs")
    fi
    local st=0
    out=$(timeout "$per_run_timeout" "${cmd[@]}") || st=$?
    if [ "$st" = 0 ] && [[ $out =~ ns_per_op=([0-9.]+) ]]; then
        ns[$b.$impl]=${BASH_REMATCH[1]}
        echo "$out" >&2
    else
        ns[$b.$impl]=FAIL
        # 124 is timeout(1)'s: a hang, most likely a lost wake-up.
        echo "run.sh: $b $impl failed (status $st): ${out:-no output}" >&2
        failed=1
    fi
}

names=()
for spec in "${benches[@]}"; do
    IFS=: read -r b full small <<<"$spec"
    if [ -n "$only" ] && [[ ",$only," != *",$b,"* ]]; then continue; fi
    names+=("$b")
    if [ "$quick" = 1 ]; then n=$small; else n=$full; fi
    for impl in weft go naive; do
        run_one "$b" "$impl" "$n"
    done
done
[ ${#names[@]} -gt 0 ] || { echo "run.sh: --only matched no benchmark" >&2; exit 2; }

# ---- table -------------------------------------------------------------------
# One row per benchmark; awk does the floating point. Ratios are "how many
# times faster weft is": go_ns/weft_ns and naive_ns/weft_ns, so >1 means weft
# wins. Targets (from the issue): buffered throughput at least half of Go's;
# unbuffered ping-pong within 3x of Go's; every benchmark at least 2x faster
# than the naive channel.
rows=$(for b in "${names[@]}"; do
    echo "$b ${ns[$b.weft]} ${ns[$b.go]} ${ns[$b.naive]}"
done | awk '
function num(x) { return x ~ /^[0-9.]+$/ && x + 0 > 0 }
function ratio(a, b) { return (num(a) && num(b)) ? sprintf("%.2fx", a / b) : "n/a" }
{
    b = $1; w = $2; g = $3; nv = $4
    target = "naive/weft>=2"; missed = ""; unknown = 0
    if (b == "buffered") {
        target = "go/weft>=0.5, " target
        if (!num(w) || !num(g)) unknown = 1
        else if (g / w < 0.5) missed = "vs go"
    }
    if (b == "pingpong") {
        target = "weft<=3*go, " target
        if (!num(w) || !num(g)) unknown = 1
        else if (w > 3 * g) missed = "vs go"
    }
    if (!num(w) || !num(nv)) unknown = 1
    else if (nv / w < 2) missed = missed (missed == "" ? "" : ", ") "vs naive"
    verdict = missed != "" ? "MISSED (" missed ")" : (unknown ? "n/a" : "met")
    printf "%s|%s|%s|%s|%s|%s|%s|%s\n", b, w, g, nv, ratio(g, w), ratio(nv, w), target, verdict
}')

header="benchmark|weft ns/op|go ns/op|naive ns/op|weft vs go|weft vs naive|target|met?"
load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
if [ "$quick" = 1 ]; then mode="quick smoke run (tiny N, timings meaningless)"; else mode="median of $runs runs"; fi
title="weft benchmarks: $mode, $cpus CPUs (load $load_before before, $load_after after), Go with GOMAXPROCS=2, $(date -u +%Y-%m-%dT%H:%MZ)"

echo
echo "$title"
{ echo "$header"; echo "$rows"; } | awk -F'|' '
{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } nf = NF }
END {
    for (r = 1; r <= NR; r++) {
        line = ""
        for (i = 1; i <= nf; i++) line = line (i < nf ? sprintf("%-" w[i] "s | ", cell[r, i]) : cell[r, i])
        print line
        if (r == 1) {
            sep = ""
            for (i = 1; i <= nf; i++) {
                s = sprintf("%" w[i] "s", ""); gsub(/ /, "-", s)
                sep = sep s (i < nf ? "-+-" : "")
            }
            print sep
        }
    }
}'
echo "ratios: >1x means weft is faster (go_ns/weft_ns, naive_ns/weft_ns)"

if [ -n "$markdown" ]; then
    {
        echo "$title"
        echo
        echo "| ${header//|/ | } |"
        echo "|---|---:|---:|---:|---:|---:|---|---|"
        while IFS= read -r row; do echo "| ${row//|/ | } |"; done <<<"$rows"
        echo
        echo "Ratios: >1x means weft is faster (go_ns/weft_ns, naive_ns/weft_ns)."
    } >"$markdown"
    echo "run.sh: table written to $markdown" >&2
fi

if [ "$failed" = 1 ]; then
    echo "run.sh: some benchmarks failed (FAIL above)" >&2
    exit 1
fi
exit 0
