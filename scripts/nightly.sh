#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nightly.sh: what CI (scripts/test.sh) leaves out to stay under 30
# minutes on 2 cores, to run before an issue is resolved: the tests at
# more depth (the detector cases at 20 runs, detectors:answered at 50,
# redetect, the differential test against the old ingest) and in the
# configurations that test.sh only builds or samples (gcc -O3; clang:
# what depends on the compiler; every weft command test that CI's ASan
# stage leaves out, the detector cases and the scenario suite through an
# ASan+UBSan weft command), then the curated mutation
# sweep (every mutation must be caught). Run after test.sh: its build
# directories only gain what they lacked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
. scripts/ci-lib.sh

stage "gcc: the detector cases at 20 runs (detectors:answered at 50); redetect; the differential test against the old ingest"
CC=gcc build build/ci-gcc
(cd build/ci-gcc && WEFT_TEST_RUNS=20 ctest --output-on-failure --no-tests=error -j"$jobs" \
  -L detectors -E '^detectors:answered$')
(cd build/ci-gcc && WEFT_TEST_RUNS=50 ctest --output-on-failure --no-tests=error -j"$jobs" \
  -R '^detectors:answered$|^differential:')

stage "gcc -O3 (Release): build only, for the warnings only the optimizer finds"
CC=gcc build build/ci-release -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF

stage "clang: unit, integration, harness, detectors, reports, scenarios"
# Five runs per detector case instead of 20 (the schedules under load are
# the gcc stage's job), and no memcheck, browser or repeated scenarios
# (valgrind, Chromium and 20 repetitions check the same things whichever
# compiler built weft).
CC=clang build build/ci-clang -DWEFT_BUILD_TESTS=ON -DWEFT_BUILD_BENCH=ON
(cd build/ci-clang && WEFT_TEST_RUNS=5 ctest --output-on-failure --no-tests=error -j"$jobs" \
  -LE 'helgrind|drd|differential|mutation|memcheck|browser' -E '^scenario-repeat:')

stage "ASan+UBSan: the weft command over every test CI's ASan stage leaves out"
asan_weft -L 'harness|reports|detectors|scenarios' -E "$ASAN_WEFT_CI|$ASAN_WEFT_NEVER|^scenario-repeat:"
asan_weft -R "$ASAN_WEFT_CI_LATER"

stage "the mutation sweep"
bash scripts/mutate.sh -j "$jobs"
stage "done"
