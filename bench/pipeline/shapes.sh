#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/pipeline/shapes.sh: real programs' shapes under weft (issue 12,
# "Must hold": <= 1.5x plain, <= 256 MB of ingest memory), each plain and
# under `weft run`, then recorded once (LD_PRELOAD, log kept: "record s",
# the recording alone) and that log ingested alone ("ingest s", and the
# ingest's own peak RSS), so that weft run's cost splits into the two:
#   sqlite:    Debian's sqlite3 CLI building an index with PRAGMA threads=4
#              over a table of R random rows (default 1M): millions of
#              uncontended mutex operations and a few sorter threads;
#   memcached: Debian's memcached (4 threads, -A) serving a bounded request
#              loop: mc_client.c's C connections (default 2) doing N
#              set/get requests each (default 100000) over loopback, then
#              "shutdown", so the server ends by itself. The traced program
#              is the server; the client runs beside it, untraced, and the
#              time is the server's, from start to shutdown.
#
#   bench/pipeline/shapes.sh [--weft DIR] [--baseline DIR] [--rounds R] [--rows R]
#                            [--requests N] [--conns C] [--mem-cap GB] [--quick]
#
# --weft, --baseline, --rounds and --mem-cap as in scale.sh. Exit status 0
# when the table was printed (a failed run shows as "failed (exit N)"),
# 2 on bad usage.
set -euo pipefail
# shellcheck source=bench/pipeline/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: $0 [--weft DIR] [--baseline DIR] [--rounds R] [--rows R] [--requests N] [--conns C] [--mem-cap GB] [--quick]"
wdir="" bdir="" rounds=3 rows=1000000 nreq=100000 conns=2 capgb=16 quick=0
while [ $# -gt 0 ]; do
    case $1 in
    --weft) wdir=$2; shift ;;
    --baseline) bdir=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --rows) rows=$(pl_size "$2"); shift ;;
    --requests) nreq=$(pl_size "$2"); shift ;;
    --conns) conns=$2; shift ;;
    --mem-cap) capgb=$2; shift ;;
    --quick) quick=1 ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
    shift
done
[ "$quick" = 1 ] && { rows=20000; nreq=1000; rounds=1; }
for p in sqlite3 memcached; do
    command -v $p >/dev/null || { echo "bench/pipeline/shapes.sh: $p is not installed (scripts/deps.sh installs it)" >&2; exit 2; }
done
pl_wefts "$wdir" "$bdir" "$capgb"
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-shapes-XXXXXX")
client=""
trap '[ -n "$client" ] && kill "$client" 2>/dev/null; rm -rf "$work"' EXIT
cc -std=c11 -O2 -D_GNU_SOURCE "$pl_here/mc_client.c" -o "$work/mc_client" -lpthread

cat >"$work/index.sql" <<EOF
PRAGMA threads=4;
CREATE TABLE t(a INTEGER, b INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $rows)
  INSERT INTO t SELECT x, random() FROM c;
CREATE INDEX tb ON t(b);
SELECT count(*) FROM t;
EOF

# memcached refuses to run as root without -u.
mcuser=()
[ "$(id -u)" = 0 ] && mcuser=(-u root)
port=$((20000 + $$ % 20000))

# shape NAME PREFIX...: runs shape NAME with its command behind PREFIX (empty:
# plain; "weft run ...": traced; "env LD_PRELOAD=...": recorded), timed by
# pl_time into t/rss_kb/rc; the program's stdout in $work/out (memcached's:
# the client's).
shape() {
    local name=$1; shift
    case $name in
    sqlite)
        rm -f "$work/index.db"
        PL_STDIN=$work/index.sql pl_time "$work/out" "$@" sqlite3 "$work/index.db"
        rm -f "$work/index.db"
        ;;
    memcached)
        port=$((port + 1))
        [ "$port" -gt 60000 ] && port=20001
        # The client first: it retries its connection while the server starts.
        "$work/mc_client" "$port" "$nreq" "$conns" >"$work/client.out" 2>&1 &
        client=$!
        pl_time "$work/server.out" "$@" memcached -A -U 0 -l 127.0.0.1 -p "$port" -t 4 "${mcuser[@]}"
        local src=$rc
        # A server that failed to start leaves the client retrying: stop it.
        [ "$src" = 0 ] || kill "$client" 2>/dev/null
        wait "$client" && rc=$src || rc=$((src ? src : 1))
        client=""
        cp "$work/client.out" "$work/out"
        ;;
    esac
}

declare -A R
shapes=(sqlite memcached)
for s in "${shapes[@]}"; do
    declare -A ps=() ws=() wrss=() want=()
    for ((k = 0; k < rounds; k++)); do
        for l in "${labels[@]}"; do
            shape "$s"
            if [ "$rc" = 0 ]; then ps[$l]="${ps[$l]:-} $t"; want[$l]=$(cat "$work/out"); else ps[$l]="${ps[$l]:-} !$rc"; fi
            rm -f "$work/run.db"
            shape "$s" "${W_BIN[$l]}" run -q -o "$work/run.db" --
            if [ "$rc" = 0 ]; then
                ws[$l]="${ws[$l]:-} $t"
                wrss[$l]="${wrss[$l]:-} $rss_kb"
                [ "$(cat "$work/out")" = "${want[$l]:-}" ] || echo "$s $l: the output differs under weft run" >&2
                R[$s,$l,events]=$(pl_events "$work/run.db")
                R[$s,$l,lost]=$(pl_lost "$work/run.db")
            else
                ws[$l]="${ws[$l]:-} !$(pl_failed)"
            fi
            rm -f "$work/run.db"
        done
    done
    for l in "${labels[@]}"; do
        pl_round_cells "$s" "$l"
        # Recorded once, the log kept; then the ingest of it alone.
        lg=$work/log.$l
        rm -rf "$lg" && mkdir "$lg"
        shape "$s" env LD_PRELOAD="${W_SHIM[$l]}" WEFT_LOG="$lg/log"
        if [ "$rc" = 0 ]; then R[$s,$l,rec]=$t; else R[$s,$l,rec]=$(pl_failed); fi
        pl_ingest_cells "$s" "$l" "$lg"
    done
    unset ps ws wrss want
done

hdr="| shape | weft | events | plain s | weft run s | run/plain | record s | rec/plain | ingest s | ingest peak RSS MB | weft run peak RSS MB | db MB | lost |"
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "## weft on real shapes ($(date -u '+%Y-%m-%d %H:%M'), $(nproc) CPUs, load $load$([ "$quick" = 1 ] && echo ', --quick: timings mean nothing'))"
echo "new = ${W_DIR[new]}$([ -n "$bdir" ] && echo ", base = ${W_DIR[base]}"); plain and weft run: median of $rounds interleaved rounds; ingest: one run"
echo "sqlite: sqlite3 CLI, $rows rows, CREATE INDEX with PRAGMA threads=4; memcached: -t 4, $conns connections x $nreq requests (set/get)"
echo
echo "$hdr"
echo "$hdr" | sed 's/[^|]/-/g'
for s in "${shapes[@]}"; do
    for l in "${labels[@]}"; do
        p=${R[$s,$l,plain]:-}
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "$s" "$l" "${R[$s,$l,events]:--}" "$p" "${R[$s,$l,run]:-}" "$(pl_ratio "${R[$s,$l,run]:-}" "$p")" \
            "${R[$s,$l,rec]:-}" "$(pl_ratio "${R[$s,$l,rec]:-}" "$p")" "${R[$s,$l,ing]:-}" "${R[$s,$l,ingrss]:--}" "${R[$s,$l,runrss]:--}" "${R[$s,$l,db]:--}" "${R[$s,$l,lost]:--}"
    done
done
echo
echo "issue 12 asks, for each shape: weft run/plain <= 1.5x, ingest peak RSS <= 256 MB"
