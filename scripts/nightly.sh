#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nightly.sh: what CI (scripts/test.sh) leaves out to stay under 30
# minutes on 2 cores, to run before an issue is resolved: the tests again
# in the configurations that test.sh only builds or samples (clang: what
# depends on the compiler; the scenario suite's traces through an
# ASan+UBSan weft command), then the curated mutation sweep (every
# mutation must be caught). After test.sh, its clang and ASan+UBSan build
# directories only gain what they lacked (the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
. scripts/ci-lib.sh

echo "== clang: unit, integration, harness, detectors, reports, scenarios"
# Five runs per detector case instead of 20 (the schedules under load are
# the gcc stage's job), and no memcheck, browser or repeated scenarios
# (valgrind, Chromium and 20 repetitions check the same things whichever
# compiler built weft).
CC=clang build build/ci-clang -DWEFT_BUILD_TESTS=ON -DWEFT_BUILD_BENCH=ON
(cd build/ci-clang && WEFT_TEST_RUNS=5 ctest --output-on-failure --no-tests=error -j"$jobs" \
  -LE 'helgrind|drd|differential|mutation|memcheck|browser' -E '^scenario-repeat:')

echo "== ASan+UBSan: the weft command over the scenario suite"
asan_weft -L scenarios -E '^scenario-repeat:'

echo "== the mutation sweep"
bash scripts/mutate.sh -j "$jobs"
