#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh: installs the Debian packages weft builds, tests and benchmarks
# with. Safe to run again: apt-get skips what is already there.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config clang check libsqlite3-dev sqlite3
      libunwind-dev libdw-dev libelf-dev valgrind golang-go python3
      xz-utils make redis-server memcached parallel libjemalloc2 p7zip-full time
      zstd pigz git curl nginx-light netcat-openbsd libmicrohttpd-dev
      lighttpd apache2 postgresql
      golang-golang-x-sync-dev golang-golang-x-time-dev
      chromium python3-websocket
      python3-jsonschema libxml2-utils clang-format procps libc6-dbg
      libglib2.0-bin)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
