# SPDX-License-Identifier: MIT
# ci-lib.sh: what test.sh and nightly.sh share, sourced by both: the
# build of one configuration and the run of the weft command's tests in
# an ASan+UBSan build.

jobs=$(nproc)
# Ninja: half the wall time of CMake's Makefiles for the same build here
# (79 s against 138 s for the gcc build on 2 cores, most of the difference
# in the recursive makes' system time), and the CI stages build six times.
# The environment carries it to the tests that configure builds of their
# own (install, differential).
export CMAKE_GENERATOR=Ninja

# stage TITLE: a stage's heading, with the time the script has run so far,
# so that a CI log shows where its minutes went.
stage() {
  printf '== %s [%dm%02ds]\n' "$*" $((SECONDS / 60)) $((SECONDS % 60))
}

build() { # dir, extra cmake args...
  local dir=$1; shift
  # A tree configured for another generator (Makefiles, before Ninja)
  # cannot be reconfigured in place: start it over.
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

# The weft command's tests that CI's ASan+UBSan stage runs (a ctest -R
# regex): those of the command's own code, whose traces it ingests (the
# raw-log reader, live ingest and resume, options, errors and usage, the
# scenario runner, dumps, symbols) and every report. The traced side is
# never instrumented (the shim cannot carry ASan's runtime), so the tests
# whose point is what the shim does inside a program (real programs,
# faults, forks, limits, chaos) would only feed the same ingest more
# traces under ASan, in more time than CI has; the fuzz stage runs the
# reader, the ingest with the detectors, and the reports under ASan too.
# nightly.sh runs the rest (and the detector cases, the scenario suite).
ASAN_WEFT_CI='^(reports:.*|fuzz:replay|harness:(ingest_.*|live_.*|keep_.*|fuzz|bad_input|files|options|report_errors|usage_.*|overwrite|scen_(bad_input|dir|fail|jobs_repeat|junit|keep|known|list|manifest_errors|pass|timeout|tty)|dump.*|leak_check.*|symtab_.*|fold|relock_counted|dropped_events|exit_codes|killed|death_.*|selfingest.*|no_trace_.*|deadlock_.*|lock_sites|last_handoff|escapes|weft))$'
# Of those, the ones that repeat others' paths at length (reports over
# the whole scenario suite, the Perfetto cap, fingerprints over repeated
# runs, the resume variants beyond harness:live_resume): nightly.sh's.
ASAN_WEFT_CI_LATER='^(reports:.*_scenarios|reports:perfetto_cap|reports:fingerprint_runs|harness:live_resume_.*)$'
# Never under an ASan weft: the cases that preload a second allocator into
# weft itself (ASan must be the first library of its process); asan_weft
# itself leaves out the browser (Chromium: the reports' files are checked
# in the reports label) and differential (it builds the old weft) labels.
ASAN_WEFT_NEVER='^harness:(preload_env|jemalloc_preload|asan_build)$'

# asan_weft CTEST-ARGS...: the weft command built with ASan+UBSan (what runs
# inside traced programs stays plain: the shim cannot carry ASan's
# runtime), its tests chosen by the arguments. Every sanitizer report
# goes to a file as well as failing its command: one that a test did not
# look at (a status ignored) still fails the stage.
asan_weft() {
  build build/ci-asan-weft -DWEFT_SANITIZE=ON -DWEFT_VALGRIND=OFF -DWEFT_BUILD_BENCH=OFF
  local logs=$PWD/build/ci-asan-weft/sanitizer-logs
  rm -rf "$logs"
  mkdir -p "$logs"
  (cd build/ci-asan-weft && ASAN_OPTIONS=log_path=$logs/asan \
    UBSAN_OPTIONS=log_path=$logs/ubsan:print_stacktrace=1 WEFT_TEST_RUNS=5 \
    ctest --output-on-failure --no-tests=error -j"$jobs" -LE 'browser|differential' "$@")
  if [ -n "$(ls -A "$logs")" ]; then
    echo "sanitizer reports from the weft command:" >&2
    head -n 40 "$logs"/* >&2
    return 1
  fi
}
