#!/bin/sh
# SPDX-License-Identifier: MIT
# check_output.sh: the test that a scenario prints what the manifest says
# (its `output:` lines), for the C program or for the seed's Go program.
#   check_output.sh MANIFEST NAME c PROGRAM
#   check_output.sh MANIFEST NAME go GODIR
# The Go form fails (never skips) when `go` or the x/ packages are missing, and
# builds in GOPATH mode against Debian's golang-golang-x-{sync,time}-dev
# under /usr/share/gocode, so it never touches the network.
set -u
manifest=$1 name=$2 how=$3 what=$4
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT

# The record's output lines, in order (a record ends at a blank line).
awk -v name="$name" '
  /^scenario:/ { v = $0; sub(/^scenario:[ \t]*/, "", v); sub(/[ \t]+$/, "", v); inrec = (v == name); found += inrec; next }
  /^[ \t]*$/   { inrec = 0; next }
  inrec && /^output:/ { v = $0; sub(/^output:[ \t]*/, "", v); sub(/[ \t]+$/, "", v); print v }
  END { exit found ? 0 : 1 }' "$manifest" > "$work/want" ||
  { echo "check_output: no scenario '$name' in $manifest"; exit 1; }
[ -s "$work/want" ] || { echo "check_output: '$name' has no output lines in $manifest"; exit 1; }

case $how in
c)
  "$what" > "$work/got" 2> "$work/err"
  rc=$?
  ;;
go)
  if ! command -v go > /dev/null 2>&1; then
    # a failure, never a skip: a test that passes without its tool tests nothing
    echo "check_output: go is not installed (Debian's golang-go; scripts/deps.sh installs it): $name's Go reference cannot run"
    exit 1
  fi
  gocode=/usr/share/gocode
  for pkg in golang.org/x/sync golang.org/x/time; do
    [ -d "$gocode/src/$pkg" ] || { echo "check_output: $gocode/src/$pkg is missing (install golang-golang-x-sync-dev and golang-golang-x-time-dev; scripts/deps.sh does)"; exit 1; }
  done
  (cd "$what" && GO111MODULE=off GOPATH=$gocode GOPROXY=off GOFLAGS= \
     GOCACHE=${GOCACHE:-$work/gocache} go build -o "$work/prog" .) > "$work/err" 2>&1 ||
    { echo "check_output: go build of $what failed:"; cat "$work/err"; exit 1; }
  "$work/prog" > "$work/got" 2> "$work/err"
  rc=$?
  ;;
*)
  echo "check_output: how is c or go, not '$how'"; exit 1 ;;
esac

if [ "$rc" -ne 0 ]; then
  echo "check_output: $name ($how) exited $rc"; cat "$work/err"; exit 1
fi
if ! diff -u "$work/want" "$work/got"; then
  echo "check_output: $name ($how) printed other lines than the manifest's (- manifest, + program)"
  exit 1
fi
echo "$name ($how): $(wc -l < "$work/got") lines as in the manifest"
