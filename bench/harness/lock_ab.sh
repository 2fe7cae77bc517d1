#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/harness/lock_ab.sh: A/B of the shim's uncontended lock path.
# Runs bench_lock_cost (lock_cost.c) plain, under shim A and under shim B,
# interleaved ROUNDS times (one run of it moves a lot from the next on a
# shared VM), and prints the median and the minimum over the rounds of
# the ns per lock+unlock pair of each, and B/A of both (on a machine that
# other work loads, the minimum is the steadier of the two). Timings are never assertions: exit status 0 when everything ran.
#   bench/harness/lock_ab.sh BENCH_LOCK_COST SHIM_A SHIM_B [ROUNDS]
# e.g. lock_ab.sh build/bench/harness/bench_lock_cost \
#        /tmp/base/build/bin/libweft-preload.so build/bin/libweft-preload.so 9
set -eu
[ $# -ge 3 ] || { echo "usage: $0 BENCH_LOCK_COST SHIM_A SHIM_B [ROUNDS]" >&2; exit 2; }
bench=$1 a=$2 b=$3 rounds=${4:-7}
log=$(mktemp "${TMPDIR:-/tmp}/weft-lock-ab-XXXXXX")
trap 'rm -f "$log" "$log.weft"' EXIT
i=0
while [ "$i" -lt "$rounds" ]; do
    echo "plain $("$bench" 1000000 5)"
    rm -f "$log.weft"
    echo "A $(WEFT_LOG=$log.weft LD_PRELOAD=$a "$bench" 1000000 5)"
    rm -f "$log.weft"
    echo "B $(WEFT_LOG=$log.weft LD_PRELOAD=$b "$bench" 1000000 5)"
    i=$((i + 1))
done >"$log"
/usr/bin/python3 - "$log" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    w = line.split()
    runs.setdefault(w[0], []).append([float(w[2]), float(w[4]), float(w[6])])
names = ("mutex", "rwlock", "trylock")
for label, f in (("median", statistics.median), ("min", min)):
    m = {k: [f(r[i] for r in v) for i in range(3)] for k, v in runs.items()}
    for k in ("plain", "A", "B"):
        print(f"{label:6} {k:5}", "  ".join(f"{n} {x:6.1f} ns" for n, x in zip(names, m[k])))
    print(f"{label:6} B/A  ", "  ".join(f"{n} {b / a:6.2f}" for n, a, b in zip(names, m["A"], m["B"])))
PY
