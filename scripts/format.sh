#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/format.sh: the C sources against .clang-format (clang-format 14,
# Debian 12's). `--check` (CI) lists the files that differ and fails;
# without it, reformats them in place. Only what git tracks, and not the
# scenario programs: scenarios/manifest names their buggy lines by number,
# and a reformat would move them (they keep the style by hand). --check
# also wants the SPDX line in every source file.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format.sh: clang-format is missing (apt-get install clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files -- '*.c' '*.h' ':!:scenarios/*')
if [ "${1:-}" = "--check" ]; then
    bad=0
    # Every source file carries its licence's SPDX line (LICENSE: MIT).
    while IFS= read -r f; do
        grep -q 'SPDX-License-Identifier: MIT' "$f" ||
            { echo "format.sh: $f has no SPDX-License-Identifier line" >&2; bad=1; }
    done < <(git ls-files -- '*.c' '*.h' '*.sh' '*.py' '*.go' '*.js' '*.css' '*.sql' '*.cmake' \
        'CMakeLists.txt' '*/CMakeLists.txt')
    # One clang-format for all the files (one per file took a minute of
    # CI): its diagnostics name each file that differs.
    if ! out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
        diff_files=$(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
        [ -n "$diff_files" ] || { printf 'format.sh: clang-format failed: %s\n' "$out" | head -3 >&2; exit 2; }
        while IFS= read -r f; do
            echo "format.sh: $f differs from .clang-format (bash scripts/format.sh fixes it)" >&2
        done <<<"$diff_files"
        bad=1
    fi
    [ "$bad" -eq 0 ] && echo "format.sh: ${#files[@]} files match .clang-format"
    exit "$bad"
fi
clang-format -i "${files[@]}"
