#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/pipeline/instructions.sh: weft's cost on the channel-heavy workload
# (bench/harness/chan_work.c) in instructions, counted by Valgrind's
# callgrind: nearly the same figures for the same binaries on every run,
# however loaded or slow the machine is that hour (within ~3%: libweft's
# spinning reads the clock, and callgrind runs one thread at a time). The
# wall-time ratios of scale.sh move by a third from run to run on a 2-vCPU
# VM (plain chan_work is futex waits and spinning, which weft's work
# partly replaces); these do not. For each weft:
#   plain           chan_work N alone
#   recording       the same under the shim (LD_PRELOAD, the log kept)
#   weft's own      recording - plain, per item
#   ingest          weft ingest of that log (detectors on), per event, and
#                   the share of its busiest thread (the ingest runs a
#                   loader and the detectors side by side: the busiest
#                   thread bounds its wall time on two CPUs)
#
#   bench/pipeline/instructions.sh [--weft DIR] [--baseline DIR] [--items N] [--quick]
#
# --weft DIR / --baseline DIR: as in scale.sh (a build dir or an install
# prefix; default build-rel in this checkout); each weft runs its own
# build of chan_work, against its own libweft. --items N (K, M suffixes;
# default 100K: about 40 s a weft; the ingest's fixed costs, symbolizing
# and the database, still weigh on its figure per event there: 1M items
# take ~2,300 an event against ~3,700). --quick: 2K items (a smoke run:
# the figures then mostly count start-up). Needs valgrind. Exit 0
# when the table was printed (figures are never assertions), 2 on bad
# usage, 1 when a run failed.
set -euo pipefail
# shellcheck source=bench/pipeline/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: $0 [--weft DIR] [--baseline DIR] [--items N] [--quick]"
wdir="" bdir="" items=100K
while [ $# -gt 0 ]; do
    case $1 in
    --weft) wdir=$2; shift ;;
    --baseline) bdir=$2; shift ;;
    --items) items=$2; shift ;;
    --quick) items=2K ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done
n=$(pl_size "$items")
[ "$n" -gt 0 ] 2>/dev/null || { echo "$0: --items: not a count: $items" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "$0: needs valgrind (scripts/deps.sh installs it)" >&2; exit 2; }
pl_wefts "$wdir" "$bdir" 16
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-instr-XXXXXX")
trap 'rm -rf "$work"' EXIT

# cg OUT CMD...: CMD under callgrind, every thread a file of its own
# (OUT.PID-TID); its stdout in OUT.stdout. Sets cg_total (all threads and
# processes) and cg_max (the busiest thread).
cg() {
    local out=$1; shift
    if ! valgrind --tool=callgrind --trace-children=yes --separate-threads=yes \
        --callgrind-out-file="$out.%p" "$@" >"$out.stdout" 2>"$out.err"; then
        echo "$0: failed under callgrind: $* (see below)" >&2
        tail -5 "$out.err" >&2
        exit 1
    fi
    read -r cg_total cg_max < <(cat "$out".[0-9]* | awk '/^totals:/ { t += $2; if ($2 > m) m = $2 } END { printf "%.0f %.0f\n", t, m }')
}
# num X: X with thousands separators
num() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'; }

declare -A R
for l in "${labels[@]}"; do
    prog=$work/chan_work.$l
    pl_cc "$l" "$prog" "$pl_root/bench/harness/chan_work.c"
    cg "$work/plain.$l" "$prog" "$n"
    R[$l,plain]=$cg_total
    mkdir "$work/log.$l"
    cg "$work/rec.$l" env LD_PRELOAD="${W_SHIM[$l]}" WEFT_LOG="$work/log.$l/log" "$prog" "$n"
    R[$l,rec]=$cg_total
    cmp -s "$work/plain.$l.stdout" "$work/rec.$l.stdout" ||
        echo "$l: the program's output differs under the shim" >&2
    mapfile -t logs < <(pl_logs "$work/log.$l")
    cg "$work/ing.$l" "${W_BIN[$l]}" ingest -q -o "$work/db.$l" "${logs[@]}"
    R[$l,ing]=$cg_total R[$l,ingmax]=$cg_max
    R[$l,events]=$(pl_events "$work/db.$l")
    R[$l,lost]=$(pl_lost "$work/db.$l")
done

echo "## weft in instructions (callgrind; $(date -u '+%Y-%m-%d %H:%M'), chan_work at $items items)"
echo "new = ${W_DIR[new]}$([ -n "$bdir" ] && echo ", base = ${W_DIR[base]}")"
echo
echo "| weft | plain | recording | rec/plain | weft's own per item | events | lost | ingest | per event | busiest thread |"
echo "|------|-------|-----------|-----------|---------------------|--------|------|--------|-----------|----------------|"
for l in "${labels[@]}"; do
    own=$(awk -v r="${R[$l,rec]}" -v p="${R[$l,plain]}" -v n="$n" 'BEGIN { printf "%.0f", (r - p) / n }')
    per=$(awk -v i="${R[$l,ing]}" -v e="${R[$l,events]}" 'BEGIN { if (e + 0 > 0) printf "%.0f", i / e; else print "-" }')
    busy=$(awk -v m="${R[$l,ingmax]}" -v i="${R[$l,ing]}" 'BEGIN { printf "%.0f%%", 100 * m / i }')
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$l" "$(num "${R[$l,plain]}")" \
        "$(num "${R[$l,rec]}")" "$(pl_ratio "${R[$l,rec]}" "${R[$l,plain]}")" "$(num "$own")" \
        "${R[$l,events]}" "${R[$l,lost]}" "$(num "${R[$l,ing]}")" "$(num "$per")" "$busy"
done
if [ -n "$bdir" ]; then
    echo
    echo "new / base (below 1.00x: new does less):"
    printf '  recording %s, weft'"'"'s own part %s, ingest %s, its busiest thread %s\n' \
        "$(pl_ratio "${R[new,rec]}" "${R[base,rec]}")" \
        "$(pl_ratio "$((R[new,rec] - R[new,plain]))" "$((R[base,rec] - R[base,plain]))")" \
        "$(pl_ratio "${R[new,ing]}" "${R[base,ing]}")" \
        "$(pl_ratio "${R[new,ingmax]}" "${R[base,ingmax]}")"
fi
