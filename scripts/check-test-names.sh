#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/check-test-names.sh: every CTest test is named FAMILY:NAME
# (issue 12: one test root, tests/README.md), FAMILY in lower case, so
# that `ctest -R '^FAMILY:'` selects a family and a name says where its
# test lives. Lists the tests of a configured build tree (ctest
# --show-only: nothing is built or run) and prints each name that does not
# match ^[a-z0-9_-]+:[a-zA-Z0-9_.-]+$, then exits 1.
#
#   scripts/check-test-names.sh [BUILD_DIR]
#
# CI passes its gcc build tree. Without BUILD_DIR it
# configures build/ci-test-names with every test family on (the tests
# are registered at configure time; generating needs no compiler output).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
if [ -z "$dir" ]; then
    dir=build/ci-test-names
    mkdir -p build
    rm -rf "$dir" # configured afresh: a tree of another generator cannot be reused
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir.log" 2>&1 ||
        { echo "check-test-names: configuring $dir failed (see $dir.log)" >&2; exit 1; }
fi
[ -f "$dir/CTestTestfile.cmake" ] ||
    { echo "check-test-names: $dir is not a configured build tree with tests" >&2; exit 2; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
(cd "$dir" && ctest --show-only=json-v1) | "$py" -c '
import json, re, sys
names = [t["name"] for t in json.load(sys.stdin)["tests"]]
bad = [n for n in names if not re.fullmatch(r"[a-z0-9_-]+:[a-zA-Z0-9_.-]+", n)]
for n in bad:
    print("check-test-names: %s: not FAMILY:NAME (^[a-z0-9_-]+:[a-zA-Z0-9_.-]+$)" % n)
print("check-test-names: %d tests, %d badly named" % (len(names), len(bad)), file=sys.stderr)
sys.exit(1 if bad or not names else 0)
'
