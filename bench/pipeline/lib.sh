# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034
# bench/pipeline/lib.sh: what scale.sh, shapes.sh and soak.sh share (sourced
# by bash, never run): finding a weft (a build dir or an install prefix),
# building the small workload programs against that weft's own libweft,
# timing a command with its peak RSS under a memory cap, medians and the
# table's number formats.
#
# Why each weft gets its own build of the workloads: libweft finds the
# shim's hooks with dlsym (runtime/hb.c), so a program linked against one
# weft's libweft and run under another weft's shim measures a mix of the
# two. Each weft is measured with its own libweft, its own plain time and
# its own ratio.

pl_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pl_root=$(cd "$pl_here/../.." && pwd)

# pl_resolve LABEL DIR: finds weft in DIR (a build dir, with its
# CMakeCache.txt: bin/weft, or harness/weft in older trees; an install
# prefix: bin/weft) and sets W_BIN[LABEL], W_SHIM[LABEL],
# W_LIB[LABEL] (the dir of libweft.so) and W_INC[LABEL] (the dir holding
# weft/weft.h). Exits 2 with one line when DIR holds no weft.
declare -A W_BIN W_SHIM W_LIB W_INC W_DIR
pl_resolve() {
    local label=$1 dir
    dir=$(cd "$2" 2>/dev/null && pwd) || { echo "bench/pipeline: no directory $2" >&2; exit 2; }
    W_DIR[$label]=$dir
    if [ -f "$dir/CMakeCache.txt" ] && { [ -x "$dir/bin/weft" ] || [ -x "$dir/harness/weft" ]; }; then
        # A build dir (weft and the shim in bin/, or in harness/ before the
        # folders were split): the headers are in its source tree.
        local src bin=$dir/bin
        [ -x "$bin/weft" ] || bin=$dir/harness
        src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$dir/CMakeCache.txt" 2>/dev/null)
        [ -n "$src" ] || src=$pl_root
        W_BIN[$label]=$bin/weft
        W_SHIM[$label]=$bin/libweft-preload.so
        W_LIB[$label]=$dir/runtime
        W_INC[$label]=$src/include
    elif [ -x "$dir/bin/weft" ]; then
        local lib
        lib=$(dirname "$(find "$dir" -name 'libweft.so' -not -path '*/harness/*' | head -1)")
        W_BIN[$label]=$dir/bin/weft
        W_SHIM[$label]=$lib/libweft-preload.so
        W_LIB[$label]=$lib
        W_INC[$label]=$dir/include
    else
        echo "bench/pipeline: $2 holds no weft (a build dir: bin/weft or harness/weft; an install prefix: bin/weft)" >&2
        exit 2
    fi
    [ -x "${W_BIN[$label]}" ] && [ -f "${W_SHIM[$label]}" ] ||
        { echo "bench/pipeline: no weft and shim in $2" >&2; exit 2; }
}

# pl_wefts WDIR BDIR CAPGB: the wefts a script measures: WDIR as "new"
# (empty: build-rel in this checkout, configured as a Release build and
# built when it has no weft yet) and BDIR as "base" when given. Sets
# labels (new [base]) and PL_CAP_KB (CAPGB GiB, see pl_time).
pl_wefts() {
    local wdir=$1 bdir=$2
    if [ -z "$wdir" ]; then
        wdir=$pl_root/build-rel
        [ -f "$wdir/CMakeCache.txt" ] ||
            cmake -S "$pl_root" -B "$wdir" -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_TESTS=OFF >/dev/null
        cmake --build "$wdir" -j2 --target weft-cli weft-preload weft >/dev/null
    fi
    PL_CAP_KB=$(awk -v g="$3" 'BEGIN { printf "%d", g * 1024 * 1024 }')
    labels=(new)
    pl_resolve new "$wdir"
    if [ -n "$bdir" ]; then
        labels+=(base)
        pl_resolve base "$bdir"
        # the same weft twice would make a table of two measures of one
        [ "$(readlink -f "${W_BIN[new]}")" != "$(readlink -f "${W_BIN[base]}")" ] ||
            { echo "bench/pipeline: --baseline names the weft measured (${W_BIN[new]})" >&2; exit 2; }
    fi
}

# pl_cc LABEL OUT SRC... [-lfoo]: builds a workload program against LABEL's
# libweft (optimised: a benchmark of a debug build says little).
pl_cc() {
    local label=$1 out=$2; shift 2
    # Checked here, not in pl_resolve: shapes.sh runs Debian's programs and
    # needs only weft and the shim (a build of the weft-cli and
    # weft-preload targets alone has no libweft.so).
    [ -f "${W_INC[$label]}/weft/weft.h" ] || { echo "bench/pipeline: no weft/weft.h for ${W_DIR[$label]}" >&2; exit 2; }
    [ -f "${W_LIB[$label]}/libweft.so" ] || { echo "bench/pipeline: no libweft.so for ${W_DIR[$label]} (build its weft target)" >&2; exit 2; }
    cc -std=c11 -O2 -g -D_GNU_SOURCE -I"${W_INC[$label]}" "$@" -o "$out" \
        -L"${W_LIB[$label]}" -lweft -Wl,-rpath,"${W_LIB[$label]}" -lpthread ||
        { echo "bench/pipeline: building $out failed" >&2; exit 1; }
}

# pl_descendants PID: PID and every process below it.
pl_descendants() {
    local p c
    echo "$1"
    for c in $(pgrep -P "$1" 2>/dev/null); do pl_descendants "$c"; done
}

# pl_rss_kb PID [anon]: the resident set of one process in KiB (RssAnon
# with "anon"), 0 when it is gone.
pl_rss_kb() {
    local f=VmRSS
    [ "${2:-}" = anon ] && f=RssAnon
    awk -v f="$f:" '$1 == f {print $2; found = 1} END {if (!found) print 0}' "/proc/$1/status" 2>/dev/null || echo 0
}

# pl_time OUT CMD...: runs CMD with stdout in OUT, stderr in OUT.err, under
# /usr/bin/time: sets t (wall seconds), rss_kb (peak RSS of CMD's process,
# or of the largest of the children it waited for: getrusage's ru_maxrss),
# rc (CMD's exit status, 128+N for a death by signal N) and capped (1 when
# the memory cap killed it). The cap (PL_CAP_KB, KiB of anonymous memory
# of any one process below CMD; 0 = none) is enforced by polling, so that
# a run that would need far more memory than the machine has (the old
# ingest of 550M events) fails by itself instead of swapping the machine
# to death; file-backed pages (the mapped log) are not counted against it.
PL_CAP_KB=${PL_CAP_KB:-0}
pl_time() {
    local out=$1; shift
    # stdin from PL_STDIN (an async command's is /dev/null otherwise)
    /usr/bin/time -f '%e %M %x' -o "$out.time" "$@" <"${PL_STDIN:-/dev/null}" >"$out" 2>"$out.err" &
    local pid=$! p q a
    capped=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$PL_CAP_KB" -gt 0 ]; then
            for p in $(pgrep -P "$pid" 2>/dev/null); do
                for q in $(pl_descendants "$p"); do
                    a=$(pl_rss_kb "$q" anon)
                    if [ "${a:-0}" -gt "$PL_CAP_KB" ]; then
                        kill -KILL "$q" 2>/dev/null
                        capped=1
                    fi
                done
            done
        fi
        sleep 0.1
    done
    wait "$pid" || true
    # /usr/bin/time's last line: "%e %M %x"; a death by signal N reads as
    # "Command terminated by signal N" on the line before, with %x = 0.
    local last sig
    last=$(tail -1 "$out.time")
    t=${last%% *}
    rss_kb=$(echo "$last" | awk '{print $2}')
    rc=$(echo "$last" | awk '{print $3}')
    sig=$(sed -n 's/^Command terminated by signal \([0-9]*\).*/\1/p' "$out.time")
    [ -n "$sig" ] && rc=$((128 + sig))
    return 0
}

# pl_median X...: the median (the mean of the middle two for an even count).
pl_median() {
    printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
# pl_ratio A B: "A/Bx", "-" when either is not a number
pl_ratio() {
    case "$1$2" in *[!0-9.]* | "") echo "-"; return ;; esac
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'
}
pl_mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; } # KiB -> MB
pl_du_kb() { du -sk "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; } # disk used, KiB
pl_size() {                                                                # N with K/M/G suffixes -> number
    local n=$1
    case $n in
    *[kK]) echo $((${n%?} * 1000)) ;;
    *[mM]) echo $((${n%?} * 1000000)) ;;
    *[gG]) echo $((${n%?} * 1000000000)) ;;
    *) echo "$n" ;;
    esac
}
# pl_events DB: every event of the trace (rows plus counted operations)
pl_events() { sqlite3 "$1" "select sum(events) from processes" 2>/dev/null || echo "?"; }
pl_lost() { sqlite3 "$1" "select coalesce(sum(dropped_events), 0) from processes" 2>/dev/null || echo "?"; }
# pl_failed: the cell for a run that did not succeed
pl_failed() {
    if [ "$capped" = 1 ]; then echo "failed (memory cap $(pl_mb "$PL_CAP_KB") MB)"; else echo "failed (exit $rc)"; fi
}
# pl_logs DIR: the log files of a kept-log directory (weft.lock left out)
pl_logs() { find "$1" -maxdepth 1 -type f ! -name weft.lock | sort; }

# pl_round_cells KEY LABEL: the plain and weft run cells of R (R[KEY,LABEL,
# plain|run|runrss]) from the rounds in ps, ws and wrss (a round that
# failed holds "!why": it fails the cell).
pl_round_cells() {
    local key=$1 l=$2
    if [[ "${ps[$l]}" == *!* ]]; then R[$key,$l,plain]="failed"; else R[$key,$l,plain]=$(pl_median ${ps[$l]}); fi
    if [[ "${ws[$l]}" == *!* ]]; then
        R[$key,$l,run]=$(echo "${ws[$l]}" | sed 's/.*!//')
    else
        R[$key,$l,run]=$(pl_median ${ws[$l]})
        R[$key,$l,runrss]=$(pl_mb "$(pl_median ${wrss[$l]})")
    fi
}

# pl_ingest_cells KEY LABEL LOGDIR: ingests the logs kept in LOGDIR with
# LABEL's weft, in a process of its own (its own peak RSS, not the traced
# program's), into the cells R[KEY,LABEL,ing|ingrss|db|events|lost|evs|
# ingev]; then removes LOGDIR. Uses $work.
pl_ingest_cells() {
    local key=$1 l=$2 lg=$3 logs ev
    rm -f "$work/ing.db"
    mapfile -t logs < <(pl_logs "$lg")
    pl_time "$work/ing.out" "${W_BIN[$l]}" ingest -q "${logs[@]}" -o "$work/ing.db"
    if [ "$rc" = 0 ]; then
        R[$key,$l,ing]=$t
        R[$key,$l,ingrss]=$(pl_mb "$rss_kb")
        R[$key,$l,db]=$(pl_mb "$(pl_du_kb "$work/ing.db")")
        ev=$(pl_events "$work/ing.db")
        [ -n "${R[$key,$l,events]:-}" ] || R[$key,$l,events]=$ev
        [ -n "${R[$key,$l,lost]:-}" ] || R[$key,$l,lost]=$(pl_lost "$work/ing.db")
        R[$key,$l,evs]=$(awk -v e="$ev" -v t="$t" 'BEGIN { if (t > 0) printf "%.2fM", e / t / 1e6; else print "-" }')
        R[$key,$l,ingev]=$ev
    else
        R[$key,$l,ing]=$(pl_failed)
        R[$key,$l,ingrss]="-"
        # a peak RSS is known even for a killed ingest: show it
        [ "${rss_kb:-0}" -gt 0 ] && R[$key,$l,ingrss]="> $(pl_mb "$rss_kb")"
    fi
    rm -rf "$lg" "$work/ing.db"
}
