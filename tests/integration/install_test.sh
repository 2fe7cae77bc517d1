#!/bin/sh
# SPDX-License-Identifier: MIT
# install_test.sh: installs the built tree into a temporary prefix with
# `cmake --install`, then builds prog.c outside the source tree two ways,
# as a user would: with `pkg-config --cflags --libs weft` (PKG_CONFIG_PATH
# pointing into the prefix) and with a CMake project doing
# find_package(weft) + weft::weft. Runs both and checks their output,
# including that the library they loaded is the installed one. The
# consumer project also registers tests with weft_add_test() (a clean one,
# a buggy one with its EXPECT, one with a suppressions file, a buggy one
# without either): ctest must pass the first three and fail the last,
# leaving their traces beside them. Last, `weft scenarios` must find the
# installed suite (libexec/weft/scenarios).
#
# usage: install_test.sh BUILD_DIR C_COMPILER SOURCE_DIR [EXTRA_CFLAGS]
set -eu
build_dir=$1
cc=$2
src=$3
extra=${4:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "install_test: FAIL: $*" >&2; exit 1; }

# Nothing from the build tree may leak in through the environment.
unset LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH || true

cmake --install "$build_dir" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "cmake --install"; }

# The man page, and the weft command with every option it documents.
man=$prefix/share/man/man1/weft.1
[ -f "$man" ] || fail "weft.1 was not installed under $prefix/share/man/man1"
if [ -x "$prefix/bin/weft" ]; then
    for opt in $("$prefix/bin/weft" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" "$man" ||
            fail "weft --help has $opt, the man page does not"
    done
fi

check_output() { # $1: what, $2: the program's output
    echo "$1: $2"
    case $2 in
    "weft-consumer ok version=0.1.0 sum=328350 lib=$prefix/"*) ;;
    *) fail "$1: unexpected output (want the version, sum=328350 and a lib under $prefix)" ;;
    esac
}

# 1. pkg-config
pc=$(find "$prefix" -name weft.pc | head -n 1)
[ -n "$pc" ] || fail "weft.pc was not installed"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs weft) || fail "pkg-config --cflags --libs weft"
echo "pkg-config flags: $flags"
# shellcheck disable=SC2086 # word splitting of the flags is intended
$cc $extra -o "$tmp/prog_pc" "$src/prog.c" $flags -ldl ||
    fail "compiling with the flags of the installed weft.pc (prefix in it: $(pkg-config --variable=prefix weft))"
out=$("$tmp/prog_pc") || fail "prog built with pkg-config exited with $?"
check_output pkg-config "$out"
unset PKG_CONFIG_PATH

# 2. find_package(weft)
cmake -S "$src/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" -DWEFT_CONSUMER_SRC="$src/prog.c" \
    >"$tmp/consumer.log" 2>&1 || { cat "$tmp/consumer.log" >&2; fail "configuring the find_package consumer"; }
cmake --build "$tmp/consumer" >>"$tmp/consumer.log" 2>&1 ||
    { cat "$tmp/consumer.log" >&2; fail "building the find_package consumer"; }
out=$("$tmp/consumer/consumer") || fail "prog built with find_package exited with $?"
check_output find_package "$out"

# 3. weft_add_test() from the installed package
if [ -x "$prefix/bin/weft" ]; then
    (cd "$tmp/consumer" && ctest -R '^(clean|buggy_expected|buggy_suppressed)$' --output-on-failure) \
        >"$tmp/ctest.log" 2>&1 || { cat "$tmp/ctest.log" >&2; fail "weft_add_test: the clean and the expected-buggy tests must pass"; }
    grep -q "100% tests passed, 0 tests failed out of 3" "$tmp/ctest.log" || { cat "$tmp/ctest.log" >&2; fail "weft_add_test: not 3 tests run"; }
    for t in clean buggy_expected buggy_suppressed; do
        [ -f "$tmp/consumer/$t.weft.db" ] || fail "weft_add_test: no trace $t.weft.db beside the test"
    done
    if (cd "$tmp/consumer" && ctest -R '^buggy_unexpected$' --output-on-failure) >"$tmp/ctest2.log" 2>&1; then
        cat "$tmp/ctest2.log" >&2
        fail "weft_add_test: a buggy test without EXPECT passed"
    fi
    grep -q "expected 0, found 1" "$tmp/ctest2.log" ||
        { cat "$tmp/ctest2.log" >&2; fail "weft_add_test: the failure does not say which finding"; }
    echo "weft_add_test: ok"

    # 4. the installed scenario suite
    "$prefix/bin/weft" scenarios list >"$tmp/list" 2>&1 || { cat "$tmp/list" >&2; fail "weft scenarios list (installed)"; }
    first=$(awk 'NR == 1 { print $1 }' "$tmp/list")
    if [ -n "$first" ]; then
        "$prefix/bin/weft" scenarios run "$first" >"$tmp/srun" 2>&1 ||
            { cat "$tmp/srun" >&2; fail "weft scenarios run $first (installed)"; }
    fi
    echo "scenarios (installed): ok"
fi
echo "install_test: ok"
