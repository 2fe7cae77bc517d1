#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh: the README's second command and what CI runs. Installs what is
# missing, then builds and tests weft in every configuration we promise:
# gcc (unit, stress, integration, harness, the scenario suite (label
# scenarios: never under Helgrind or DRD; the weft command under memcheck),
# then Helgrind and DRD), clang, and ASan+UBSan (libweft; the weft command);
# last, a quick run of the benchmarks so they keep working.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)

build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

echo "== style: every C file as .clang-format lays it out; the folders' dependencies point one way; every test is FAMILY:NAME; every mutation of the sweep still applies"
bash scripts/format.sh --check
bash scripts/check-deps.sh
bash scripts/check-test-names.sh
bash scripts/mutate.sh --check

echo "== gcc: unit, stress, integration, harness, scenarios (and the libraries' calls by folder)"
CC=gcc build build/ci-gcc
bash scripts/check-deps.sh --build build/ci-gcc
(cd build/ci-gcc && ctest --output-on-failure --no-tests=error -j"$jobs" -LE 'helgrind|drd|mutation')

echo "== gcc: Helgrind and DRD"
(cd build/ci-gcc && ctest --output-on-failure --no-tests=error -j"$jobs" -L 'helgrind|drd')

echo "== gcc -O3 (Release): build only, for the warnings -O3 alone finds"
CC=gcc build build/ci-release -DCMAKE_BUILD_TYPE=Release

echo "== clang: unit, integration, harness, detectors, reports, scenarios"
# What depends on the compiler, not what the gcc stage already proved of
# the logic: five runs per detector case instead of 20 (the schedules under
# load are the gcc stage's job), and no memcheck, browser or repeated
# scenarios (valgrind, Chromium and 20 repetitions check the same things
# whichever compiler built weft). Keeps the whole CI under 30 minutes.
CC=clang build build/ci-clang
(cd build/ci-clang && WEFT_TEST_RUNS=5 ctest --output-on-failure --no-tests=error -j"$jobs" \
  -LE 'helgrind|drd|differential|mutation|memcheck|browser' -E '^scenario-repeat:')

echo "== clang libFuzzer: log reader, ingest, reports (fixed inputs from a fixed seed)"
CC=clang cmake -S . -B build/ci-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_FUZZ=ON \
  -DWEFT_VALGRIND=OFF >/dev/null
cmake --build build/ci-fuzz -j"$jobs" --target fuzz_reader fuzz_ingest fuzz_report
WEFT_FUZZ_CORPUS=$PWD/build/ci-gcc/tests/fuzz/corpus FUZZBIN=$PWD/build/ci-fuzz/tests/fuzz \
  SRC=$PWD sh tests/fuzz/fuzz.sh run

echo "== ASan+UBSan: libweft (unit and stress)"
# Without the harness, WEFT_SANITIZE instruments everything: libweft and its tests.
CC=gcc build build/ci-asan -DWEFT_SANITIZE=ON -DWEFT_VALGRIND=OFF -DWEFT_BUILD_HARNESS=OFF \
  -DWEFT_BUILD_BENCH=OFF
(cd build/ci-asan && ctest --output-on-failure --no-tests=error -j"$jobs" -L 'unit|stress')

echo "== ASan+UBSan: the weft command (harness, detectors, reports, scenarios)"
# With the harness, WEFT_SANITIZE instruments the weft command's side (the
# ingest, the detectors, the reports, the command, the fuzz replays) and
# builds what runs inside traced programs plain: the shim cannot carry
# ASan's runtime, so neither can libweft nor the programs the tests trace.
# Every test that runs the command, less: browser (the HTML in Chromium:
# the reports' files are checked in the reports label), differential
# (builds the old weft), and the two cases that preload jemalloc into weft
# itself (ASan must be the first library of its process: no second
# allocator can be preloaded into an ASan program); the gcc and clang
# stages run those. Five runs per detector case instead of 20, and no
# repeated scenarios: the schedules are the gcc stage's job, memory errors
# this one's.
# Every sanitizer report goes to a file as well as failing its command:
# one that a test did not look at (a status ignored) still fails the stage.
CC=gcc build build/ci-asan-weft -DWEFT_SANITIZE=ON -DWEFT_VALGRIND=OFF -DWEFT_BUILD_BENCH=OFF
san_logs=$PWD/build/ci-asan-weft/sanitizer-logs
rm -rf "$san_logs"
mkdir -p "$san_logs"
(cd build/ci-asan-weft && ASAN_OPTIONS=log_path=$san_logs/asan UBSAN_OPTIONS=log_path=$san_logs/ubsan:print_stacktrace=1 \
  WEFT_TEST_RUNS=5 ctest --output-on-failure --no-tests=error -j"$jobs" \
  -L 'harness|detectors|reports|scenarios' -LE 'browser|differential' \
  -E '^(harness:(preload_env|jemalloc_preload)|scenario-repeat:.*)$')
if [ -n "$(ls -A "$san_logs")" ]; then
  echo "sanitizer reports from the weft command:" >&2
  head -n 40 "$san_logs"/* >&2
  exit 1
fi

echo "== benchmarks (smoke)"
bash bench/run.sh --quick --build-dir build/ci-gcc
bash bench/harness/run.sh --quick --build-dir build/ci-gcc
bash bench/scenarios.sh --quick --build-dir build/ci-gcc
# issue 12's pipeline benchmarks: scale, real shapes, soak, goroutine churn (about 20 s together)
bash bench/pipeline/scale.sh --quick --weft build/ci-gcc
bash bench/pipeline/shapes.sh --quick --weft build/ci-gcc
bash bench/pipeline/soak.sh --quick --weft build/ci-gcc
bash bench/pipeline/goroutines.sh --quick --weft build/ci-gcc
