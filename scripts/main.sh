#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# main.sh: the README's first command. Installs what is missing, builds
# weft and runs the main job: the scenario suite (scenarios/: the seed's
# patterns and pitfalls as C programs) under the harness with `weft
# scenarios run`, which prints a table (scenario, expected, found, verdict,
# time) and a scoreboard per class, writes build/scenarios-junit.xml, and
# exits non-zero on any mismatch with the manifest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
./build/bin/weft scenarios run --junit build/scenarios-junit.xml
