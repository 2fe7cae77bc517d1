#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh: the README's second command and what CI runs. Installs what is
# missing, then builds weft and runs every test once: gcc (unit, stress,
# integration, harness, detectors, reports, the scenario suite with its
# repeated runs; the weft command under memcheck), then Helgrind and DRD;
# the warnings of clang; a short fuzzing run; ASan+UBSan (libweft; the
# weft command's own tests and the reports'); last, a quick run of the
# benchmarks so they keep working. Under 30 minutes on 2 cores (each
# stage's heading says when it began): the same tests at more depth or in
# more configurations (the detector cases' 20- and 50-run schedules,
# redetect, the differential test against the old ingest, gcc -O3,
# clang's test run, every command test under ASan) and the mutation sweep are
# scripts/nightly.sh's, run before an issue is resolved.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
. scripts/ci-lib.sh

stage "style: every C file as .clang-format lays it out; the folders' dependencies point one way; every mutation of the sweep still applies"
bash scripts/format.sh --check
bash scripts/check-deps.sh
bash scripts/mutate.sh --check

stage "gcc: unit, stress, integration, harness, detectors, reports, scenarios (and the libraries' calls by folder, every test named FAMILY:NAME)"
CC=gcc build build/ci-gcc
bash scripts/check-deps.sh --build build/ci-gcc
bash scripts/check-test-names.sh build/ci-gcc
# The detector cases run 5 times each here (nightly.sh: 20, and
# detectors:answered, whose window opens on some schedules only, 50);
# the scenarios' repeated runs keep their 20. nightly.sh also runs the
# differential test (it builds the old ingest from git history) and
# detectors:redetect (the whole suite's traces again, read back from
# their databases).
(cd build/ci-gcc && WEFT_TEST_RUNS=5 ctest --output-on-failure --no-tests=error -j"$jobs" \
  -LE 'helgrind|drd|mutation|differential' -E '^detectors:redetect$')

stage "gcc: Helgrind and DRD"
(cd build/ci-gcc && ctest --output-on-failure --no-tests=error -j"$jobs" -L 'helgrind|drd')

stage "clang: build only, for the warnings it alone finds in what ships (libweft, the shim, the weft command)"
CC=clang build build/ci-clang -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_BENCH=OFF

stage "clang libFuzzer: log reader, ingest, reports (fixed inputs from a fixed seed)"
CC=clang cmake -S . -B build/ci-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_FUZZ=ON \
  -DWEFT_VALGRIND=OFF >/dev/null
cmake --build build/ci-fuzz -j"$jobs" --target fuzz_reader fuzz_ingest fuzz_report fuzz_symcache
WEFT_FUZZ_CORPUS=$PWD/build/ci-gcc/tests/fuzz/corpus FUZZBIN=$PWD/build/ci-fuzz/tests/fuzz \
  SRC=$PWD sh tests/fuzz/fuzz.sh run

stage "ASan+UBSan: libweft (unit and stress)"
# Without the harness, WEFT_SANITIZE instruments everything: libweft and its tests.
CC=gcc build build/ci-asan -DWEFT_SANITIZE=ON -DWEFT_VALGRIND=OFF -DWEFT_BUILD_HARNESS=OFF \
  -DWEFT_BUILD_BENCH=OFF
(cd build/ci-asan && ctest --output-on-failure --no-tests=error -j"$jobs" -L 'unit|stress')

stage "ASan+UBSan: the weft command (its own code's tests, every report)"
asan_weft -R "$ASAN_WEFT_CI" -E "$ASAN_WEFT_CI_LATER|$ASAN_WEFT_NEVER"

stage "benchmarks (smoke)"
bash bench/run.sh --quick --build-dir build/ci-gcc
bash bench/harness/run.sh --quick --build-dir build/ci-gcc
bash bench/scenarios.sh --quick --build-dir build/ci-gcc
# issue 12's pipeline benchmarks: scale, real shapes, soak, goroutine churn, instructions (about 1 min together)
bash bench/pipeline/scale.sh --quick --weft build/ci-gcc
bash bench/pipeline/shapes.sh --quick --weft build/ci-gcc
bash bench/pipeline/soak.sh --quick --weft build/ci-gcc
bash bench/pipeline/goroutines.sh --quick --weft build/ci-gcc
bash bench/pipeline/instructions.sh --quick --weft build/ci-gcc
stage "done"
