#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz.sh: the fuzz targets' corpus and runs (tests/fuzz/CMakeLists.txt).
#   fuzz.sh replay  makes the seed corpus in $FUZZBIN/corpus from real
#                   programs (scenario programs traced by the shim: their
#                   raw logs packed, and one trace database for the report
#                   target), then runs every replay_* target over the seeds
#                   and the regressions (tests/fuzz/regressions/TARGET/):
#                   nothing may crash (under ASan/UBSan builds: no report).
#   fuzz.sh run     (CI's fuzz stage) runs each libFuzzer target (fuzz_*):
#                   by default a fixed number of inputs from a fixed seed
#                   (the same mutations on every CI run, of seeds that
#                   differ only in recorded times and addresses: a failure
#                   is a regression, not a lucky find; under a minute each),
#                   or, with WEFT_FUZZ_SECONDS, that long from a random
#                   seed (the long runs that look for new bugs), from the corpus in
#                   WEFT_FUZZ_CORPUS (default $FUZZBIN/corpus; CI points it
#                   at the gcc build's), then prints the executions; a crash
#                   fails it and leaves the input in $FUZZBIN/artifacts.
# Environment: WEFT, SHIM, SCEN (for replay), FUZZBIN, SRC.
set -u
mode=$1
corpus=${WEFT_FUZZ_CORPUS:-$FUZZBIN/corpus}
regr=$SRC/tests/fuzz/regressions
fail() { echo "FAIL [fuzz:$mode]: $*" >&2; exit 1; }

seeds() {
    rm -rf "$corpus"
    mkdir -p "$corpus/reader" "$corpus/report" "$corpus/logs" || fail "cannot make $corpus"
    for s in pitfall_double_close pitfall_leaky_goroutine pattern_pipeline pitfall_wg_add_inside \
        pthread_double_close pitfall_select_forever pitfall_global_deadlock pthread_never_joined \
        pattern_errgroup pitfall_send_on_closed; do
        [ -x "$SCEN/$s" ] || fail "no scenario program $SCEN/$s"
        WEFT_LOG=$corpus/logs/$s.log WEFT_LOG_MB=2 LD_PRELOAD=$SHIM "$SCEN/$s" >/dev/null 2>&1
        [ -s "$corpus/logs/$s.log" ] || fail "$s left no log"
        "$FUZZBIN/replay_reader" --pack "$corpus/logs/$s.log" "$corpus/reader/$s" || fail "pack $s"
    done
    # (the symbolizer's cache files it writes are the symcache target's seeds)
    WEFT_CACHE_DIR=$corpus/cachegen "$WEFT" ingest -q -o "$corpus/seed.db" \
        "$corpus/logs/pitfall_leaky_goroutine.log" "$corpus/logs/pitfall_double_close.log" \
        2>/dev/null || fail "cannot ingest the seed trace"
    mkdir -p "$corpus/symcache"
    cp "$corpus/cachegen/symbols"/*.sym "$corpus/symcache/" || fail "the seed ingest wrote no symbol cache"
    rm -rf "$corpus/cachegen"
    rm -rf "$corpus/logs"
    # report inputs: edit lists, a few from fixed bytes (the fuzzer grows them)
    i=0
    for bytes in '\001\002\000\000\001\004abcd' '\003\007\001\000\000\000' '\005\002\002\000\002\010<script>' \
        '\000\000\000\000\000\000' '\011\005\001\000\003\000\012\003\000\000\001\002zz'; do
        printf "$bytes" >"$corpus/report/seed$i"
        i=$((i + 1))
    done
}

case $mode in
replay)
    seeds
    for t in reader ingest report symcache; do
        mkdir -p "$regr/$t"
        dirs="$regr/$t"
        case $t in
        report | symcache) dirs="$corpus/$t $dirs" ;;
        *) dirs="$corpus/reader $dirs" ;;
        esac
        # shellcheck disable=SC2086
        WEFT_FUZZ_DB=$corpus/seed.db "$FUZZBIN/replay_$t" $dirs >"$FUZZBIN/replay_$t.out" 2>&1 ||
            fail "replay_$t: $(tail -5 "$FUZZBIN/replay_$t.out")"
        grep -q '^replay: [1-9][0-9]* inputs$' "$FUZZBIN/replay_$t.out" || fail "replay_$t ran no input"
    done
    echo "ok [fuzz:replay]"
    ;;
run)
    # inputs per target in the fixed run: under a minute each on 2 cores
    # (300,000, 1,500 and 5,000 took 6, 2.5 and 2 minutes in CI; with
    # these, CI's whole fuzz stage, clang build included, took 83 s: the
    # long runs that look for new bugs are WEFT_FUZZ_SECONDS's)
    runs_reader=40000 runs_ingest=150 runs_report=600 runs_symcache=20000
    [ -d "$corpus/reader" ] && [ -f "$corpus/seed.db" ] || fail "no corpus in $corpus (run fuzz.sh replay first)"
    work=$(mktemp -d "${TMPDIR:-/tmp}/weft-fuzz-XXXXXX")
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$FUZZBIN/artifacts"
    total=0
    for t in reader ingest report symcache; do
        src=$corpus/reader
        case $t in report | symcache) src=$corpus/$t ;; esac
        mkdir -p "$work/$t"
        cp "$src"/* "$work/$t/"
        [ -d "$regr/$t" ] && cp "$regr/$t"/* "$work/$t/" 2>/dev/null
        if [ -n "${WEFT_FUZZ_SECONDS:-}" ]; then
            how="-max_total_time=$WEFT_FUZZ_SECONDS"
        else
            eval "how=\"-runs=\$runs_$t -seed=1\""
        fi
        # shellcheck disable=SC2086
        WEFT_FUZZ_DB=$corpus/seed.db "$FUZZBIN/fuzz_$t" $how -timeout=60 \
            -rss_limit_mb=2048 -max_len=262144 -close_fd_mask=3 -print_final_stats=1 \
            -artifact_prefix="$FUZZBIN/artifacts/$t-" "$work/$t" >"$work/$t.out" 2>&1 ||
            fail "fuzz_$t found a crash: $(grep -m3 -E 'ERROR|SUMMARY|Test unit written' "$work/$t.out")"
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.out")
        [ -n "$n" ] || fail "fuzz_$t printed no statistics: $(tail -3 "$work/$t.out")"
        echo "fuzz_$t: $n executions ($how), no crash"
        total=$((total + n))
    done
    echo "fuzz: $total executions in all, no crash"
    ;;
*)
    fail "unknown mode"
    ;;
esac
