# SPDX-License-Identifier: MIT
# ci-lib.sh: what test.sh and nightly.sh share, sourced by both: the
# build of one configuration and the run of the weft command's tests in
# an ASan+UBSan build.

jobs=$(nproc)

build() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

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
    ctest --output-on-failure --no-tests=error -j"$jobs" "$@")
  if [ -n "$(ls -A "$logs")" ]; then
    echo "sanitizer reports from the weft command:" >&2
    head -n 40 "$logs"/* >&2
    return 1
  fi
}
