#!/usr/bin/env bash
# main.sh: the README's first command. Installs what is missing, builds
# weft and runs the main job. Until the scenario suite lands that job is
# the demo (the seed's pipeline, fan-in, errgroup and future on libweft),
# run under `weft run`, which leaves its trace in build/demo.db.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
./build/harness/weft run -o build/demo.db -- ./build/demo/weft-demo
./build/harness/weft report --format=json build/demo.db
