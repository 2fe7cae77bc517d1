#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh BUILD_DIR [items] [nested]: records the workload under `weft run`
# (about 1M events with the default 60000 items; "nested": with a lock
# taken under another, workload.c) and times all detectors over it,
# read back from the database: --all-events, so that every event has its
# row (weft run itself runs them at ingest, over the events in memory).
set -eu
build=${1:-build}
items=${2:-60000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-det-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$build/bin/weft" run -q --all-events -o "$tmp/t.db" -- "$build/bench/detectors/bench_detectors_workload" "$items" ${3:-}
"$build/bench/detectors/bench_detectors" "$tmp/t.db" 3
