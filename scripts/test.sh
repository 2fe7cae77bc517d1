#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh: the README's second command and what CI runs. Installs what is
# missing, then builds weft and runs every test: gcc (unit, stress,
# integration, harness, the scenario suite (label scenarios: never under
# Helgrind or DRD; the weft command under memcheck), then Helgrind and
# DRD); the warnings of gcc -O3 and clang; a short fuzzing run; ASan+UBSan
# (libweft; the weft command); last, a quick run of the benchmarks so they
# keep working. Under 30 minutes on 2 cores: the second runs of the same
# tests in other configurations (clang, the scenarios under ASan) and the
# mutation sweep are scripts/nightly.sh's, run before an issue is resolved.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
. scripts/ci-lib.sh

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

echo "== gcc -O3 (Release) and clang: build only, for the warnings each alone finds in what ships (libweft, the shim, the weft command)"
CC=gcc build build/ci-release -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF
CC=clang build build/ci-clang -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF

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

echo "== ASan+UBSan: the weft command (harness, detectors, reports)"
# Every test that runs the command, less: the scenarios (nightly.sh: their
# traces go through the same ingest, detectors and reports as the harness
# tests'), browser (the HTML in Chromium: the reports' files are checked
# in the reports label), differential (builds the old weft), and the
# three cases that preload jemalloc into weft itself (ASan must be the
# first library of its process: no second allocator can be preloaded
# into an ASan program; asan_build's user LD_PRELOAD case); the gcc stage
# runs those. Five runs per detector case instead of 20: the schedules
# are the gcc stage's job, memory errors this one's.
asan_weft -L 'harness|detectors|reports' -LE 'browser|differential' \
  -E '^(harness:(preload_env|jemalloc_preload|asan_build)|scenario-repeat:.*)$'

echo "== benchmarks (smoke)"
bash bench/run.sh --quick --build-dir build/ci-gcc
bash bench/harness/run.sh --quick --build-dir build/ci-gcc
bash bench/scenarios.sh --quick --build-dir build/ci-gcc
# issue 12's pipeline benchmarks: scale, real shapes, soak, goroutine churn (about 20 s together)
bash bench/pipeline/scale.sh --quick --weft build/ci-gcc
bash bench/pipeline/shapes.sh --quick --weft build/ci-gcc
bash bench/pipeline/soak.sh --quick --weft build/ci-gcc
bash bench/pipeline/goroutines.sh --quick --weft build/ci-gcc
