#!/bin/sh
# SPDX-License-Identifier: MIT
# symtab.sh: the symbol table of the ingest (harness/symbolize.h: one per
# ingest, a module map per process; issue 12). Usage: symtab.sh NAME, with
# WEFT, SHIM and BIN in the environment (CTest).
#   symtab_pie, symtab_nopie: t_symtab on its own functions (names, files,
#     lines; two processes at different biases on one table; a module
#     added after lookups; missing, replaced, rebuilt, FIFO, device and
#     directory paths: no name and no hang; copies and links: one file),
#     as a PIE and as a non-PIE executable.
#   symtab_logs: the logs of real runs (fork children, exec'd images with
#     their own biases), symbolized through one table by t_symlogs, give
#     the ingest's frames, every one; and one file per module for all.
#   symtab_debuglink: a stripped module's debug file beside it is found;
#     a FIFO or a foreign file there gives no lines and no hang.
#   symtab_cache: the answers kept on disk (symcache.c): a second ingest
#     names every frame from them, as without them; damaged, stale, off,
#     unwritable and pruned caches.
set -u
name=$1
. "$(dirname "$0")/../common/lib.sh"

# frames_match LOGDIR: t_symlogs' frames of the logs in LOGDIR against the
# frames table of $db, as sets of lines (an exec'd image reuses its
# process's stack ids). Modules that are no file (the vDSO) have a path
# and offset from the table but none from the ingest: blanked.
frames_match() {
    "$BIN/t_symlogs" frames "$1"/log* >"$work/new.raw" 2>"$work/new.err" ||
        fail "t_symlogs: $(cat "$work/new.err")"
    awk -F '\t' 'BEGIN { OFS = "\t" } $5 !~ /^\// { $5 = ""; $6 = "" } { print }' \
        "$work/new.raw" | sort -u >"$work/new"
    sqlite3 -separator '	' "$db" "select s.pid, s.local_id, f.depth, f.pc,
        coalesce(f.module, ''), coalesce(f.offset, ''), coalesce(f.function, ''),
        coalesce(f.file, ''), coalesce(f.line, '')
        from frames f join stacks s on s.id = f.stack" | sort -u >"$work/old"
    [ -s "$work/old" ] || fail "no frames in the trace"
    diff "$work/old" "$work/new" >"$work/diff" ||
        fail "the table's frames differ from the ingest's: $(head -20 "$work/diff")"
    # and they are names, not only addresses: main and the thread routine
    grep -q "	main	.*t_symkids.c	" "$work/new" || fail "no main in t_symkids.c"
    grep -q "	child	.*t_symkids.c	" "$work/new" || fail "no child in t_symkids.c"
}

# stripped_copy: $k, a copy of t_symkids stripped of its DWARF, which
# it names by a debuglink ($k.debug, made beside it); $src and $line:
# where its main is; $off: main's address + 1 (as a return address)
stripped_copy() {
    need objcopy strip nm
    src=$(dirname "$0")/t_symkids.c
    line=$(grep -n '^int main' "$src" | cut -d: -f1)
    k=$work/k
    cp "$BIN/t_symkids" "$k" && objcopy --only-keep-debug "$k" "$k.debug" && strip -g "$k" &&
        objcopy --add-gnu-debuglink="$k.debug" "$k" || fail "cannot make a stripped copy"
    addr=$(nm "$k" | awk '$3 == "main" { print $1 }')
    [ -n "$addr" ] || fail "no main in $k"
    off=$(($(printf '%d' "0x$addr") + 1))
}

case $name in
symtab_inline)
    # An optimized C++ program: a lock taken through std::lock_guard in a
    # lambda is one return address in _M_run; its stack names every
    # function inlined there (innermost first, demangled, each at its own
    # line) and the place to fix is the program's line, not the header's.
    command -v g++ >/dev/null || { echo "skipped: no g++"; exit 0; }
    cat >"$work/inv.cc" <<'EOF2'
#include <atomic>
#include <mutex>
#include <thread>
std::mutex a, b;
std::atomic<int> step{0};
int main() {
    std::thread t1([] { std::lock_guard<std::mutex> x(a); std::lock_guard<std::mutex> y(b); step = 1; });
    while (step == 0) std::this_thread::yield();
    std::thread t2([] { std::lock_guard<std::mutex> y(b); std::lock_guard<std::mutex> x(a); });
    t1.join();
    t2.join();
}
EOF2
    g++ -std=c++17 -O2 -g -pthread -o "$work/inv" "$work/inv.cc" || fail "cannot build inv.cc"
    "$WEFT" run -q -o "$db" -- "$work/inv" >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    grep -q "^==weft== SUMMARY: lock-order-inversion $work/inv.cc:[79] in " "$work/err" ||
        fail "SUMMARY: $(grep SUMMARY "$work/err")"
    expect "mangled names" "$(q "select count(*) from frames where function like '\_Z%' escape '\'")" 0
    # one of the lock's stacks: its frames share one pc, innermost first
    st=$(q "select stack from frames where function = 'std::mutex::lock()' limit 1")
    [ -n "$st" ] || fail "no std::mutex::lock() frame: $(q "select group_concat(distinct function) from frames")"
    expect "inlined at one pc" "$(q "select count(distinct pc) from frames where stack = $st and depth <= (select depth from frames where stack = $st and file like '%inv.cc')")" 1
    expect "lock inside lock_guard" "$(q "select (select depth from frames where stack = $st and function = 'std::mutex::lock()') < (select depth from frames where stack = $st and function like 'std::lock_guard<std::mutex>::lock_guard%')")" 1
    line=$(q "select line from frames where stack = $st and file like '%inv.cc' order by depth limit 1")
    case $line in 7 | 9) ;; *) fail "the lambda's frame is at inv.cc:$line, not 7 or 9" ;; esac
    expect "stacks.depth counts them" "$(q "select count(*) from stacks s where depth <> (select count(*) from frames f where f.stack = s.id)")" 0
    # the ID counts one frame per return address (docs/reports.md)
    "$WEFT" report --format=json "$db" >"$work/r.json" || fail "report"
    /usr/bin/python3 "$(dirname "$0")/../reports/fp_oracle.py" "$db" "$work/r.json" ||
        fail "fingerprints over inlined frames"
    ;;
symtab_pie)
    "$BIN/t_symtab" pie "$work" >"$work/out" 2>"$work/err"
    expect "t_symtab status" "$?" 0
    expect "t_symtab" "$(cat "$work/out") $(cat "$work/err")" "ok "
    ;;
symtab_nopie)
    "$BIN/t_symtab_nopie" nopie "$work" >"$work/out" 2>"$work/err"
    expect "t_symtab_nopie status" "$?" 0
    expect "t_symtab_nopie" "$(cat "$work/out") $(cat "$work/err")" "ok "
    ;;
symtab_logs)
    # fork children: the parent's image, at the parent's biases
    "$WEFT" run -q --keep-log="$work/f.logs" -o "$db" -- "$BIN/t_symkids" 4 fork \
        >"$work/out" 2>"$work/err"
    expect "fork status" "$?" 0
    expect "fork stdout" "$(cat "$work/out")" "4 children ok"
    frames_match "$work/f.logs"
    # exec'd images: new biases each, and one table for them all
    rm -f "$db"
    "$WEFT" run -q --trace-children --keep-log="$work/e.logs" -o "$db" -- \
        "$BIN/t_symkids" 4 exec >"$work/out" 2>"$work/err"
    expect "exec status" "$?" 0
    expect "exec stdout" "$(cat "$work/out")" "4 children ok"
    expect "images" "$(q "select sum(images) from processes")" 9
    frames_match "$work/e.logs"
    "$BIN/t_symlogs" table "$work/e.logs"/log* >"$work/sum" || fail "t_symlogs table"
    # 9 images, 4 biases each of t_symkids and libc: one file each
    mods=$(q "select count(distinct path) from modules where path like '/%'")
    files=$(sed -n 's/.* files \([0-9]*\) .*/\1/p' "$work/sum")
    expect "one file per module path" "$files" "$mods"
    ;;
symtab_debuglink)
    # A stripped module with its DWARF in a file beside it (objcopy
    # --add-gnu-debuglink), in DIR or DIR/.debug: its lines are found
    # there. A FIFO in that place (the module's path comes from the log,
    # so its directory may be anyone's) never hangs the lookup, and
    # neither it nor another program's debug file gives lines: the
    # function still comes from the module's own symbols.
    stripped_copy
    mkdir "$work/.debug"
    expect "stripped, its debug file gone" "$(mv "$k.debug" "$work/saved.debug" && "$BIN/t_symtab" file "$k" "$off")" "main :0"
    cp "$work/saved.debug" "$k.debug"
    expect "debug file beside" "$("$BIN/t_symtab" file "$k" "$off")" "main $src:$line"
    mv "$k.debug" "$work/.debug/k.debug"
    expect "debug file in .debug" "$("$BIN/t_symtab" file "$k" "$off")" "main $src:$line"
    # another program's debug file under that name: not this build
    objcopy --only-keep-debug "$BIN/t_symtab" "$work/.debug/k.debug"
    expect "a foreign debug file" "$("$BIN/t_symtab" file "$k" "$off")" "main :0"
    rm -f "$work/.debug/k.debug"
    mkfifo "$k.debug" "$work/.debug/k.debug" || fail "mkfifo"
    "$BIN/t_symtab" file "$k" "$off" >"$work/out" 2>"$work/err"
    expect "FIFOs: status" "$?" 0
    expect "FIFOs: no hang, no lines" "$(cat "$work/out")" "main :0"
    ;;
symtab_cache)
    # The answers kept on disk between ingests (harness/ingest/symcache.c):
    # a second ingest of the same logs takes every answer from the cache
    # and names every frame as the first did (and as an ingest without the
    # cache does); a damaged cache is not used and is written again; a
    # debug file that appears or goes makes the cache stale; no cache is
    # written where caching is off or cannot be; the directory is pruned.
    cache=$work/answers # (not lib.sh's WEFT_CACHE_DIR, which the first run fills)
    "$WEFT" run -q --keep-log="$work/l" -o "$db" -- "$BIN/t_symkids" 4 fork \
        >"$work/out" 2>"$work/err"
    expect "status" "$?" 0
    # ingest_db MODE DB: the kept logs into DB, caching as MODE says
    # (a directory, or off); the profile's symbols line into $work/sym
    ingest_db() {
        rm -f "$2"
        WEFT_CACHE_DIR=$1 WEFT_INGEST_PROFILE=1 "$WEFT" ingest -q -o "$2" "$work/l"/log* \
            2>"$work/perr" || fail "ingest ($1): $(cat "$work/perr")"
        sed -n 's/^weft ingest: symbols  //p' "$work/perr" >"$work/sym"
    }
    frames_of() {
        sqlite3 -separator '	' "$1" "select s.pid, s.local_id, f.depth, f.pc,
            coalesce(f.module, ''), coalesce(f.offset, ''), coalesce(f.function, ''),
            coalesce(f.file, ''), coalesce(f.line, '')
            from frames f join stacks s on s.id = f.stack order by 1, 2, 3"
    }
    ingest_db off "$work/ref.db"
    frames_of "$work/ref.db" >"$work/ref"
    grep -q "	main	.*t_symkids.c	" "$work/ref" || fail "no main named without the cache"
    n=$(sed -n 's/^\([0-9]*\) addresses named.*/\1/p' "$work/sym")
    [ "${n:-0}" -gt 3 ] || fail "too few addresses named: '$(cat "$work/sym")'"
    [ ! -e "$cache" ] || fail "a cache was made with caching off"
    same_frames() { # WHAT DB
        frames_of "$2" >"$work/got"
        cmp -s "$work/ref" "$work/got" || fail "$1: frames differ: $(diff "$work/ref" "$work/got" | head -5)"
    }
    ingest_db "$cache" "$work/a.db"
    expect "cold: hits" "$(cat "$work/sym")" "$n addresses named, 0 from the cache"
    same_frames "cold" "$work/a.db"
    expect "cache dir mode" "$(stat -c %a "$cache/symbols")" 700
    files=$(ls "$cache/symbols" | grep -c '\.sym$')
    [ "$files" -ge 2 ] || fail "cache files: $files (want the program's and libc's at least)"
    expect "cache file modes" "$(stat -c %a "$cache/symbols"/*.sym | sort -u)" 600
    ingest_db "$cache" "$work/b.db"
    expect "warm: hits" "$(cat "$work/sym")" "$n addresses named, $n from the cache"
    same_frames "warm" "$work/b.db"
    # damaged: each file cut short, or a byte of its strings changed
    for f in "$cache/symbols"/*.sym; do
        size=$(stat -c %s "$f")
        if [ $((size % 2)) = 0 ]; then
            truncate -s $((size - 1)) "$f"
        else
            printf 'X' | dd of="$f" bs=1 seek=$((size - 2)) conv=notrunc 2>/dev/null
        fi
    done
    ingest_db "$cache" "$work/c.db"
    expect "damaged: hits" "$(cat "$work/sym")" "$n addresses named, 0 from the cache"
    same_frames "damaged" "$work/c.db"
    ingest_db "$cache" "$work/d.db"
    expect "rewritten: hits" "$(cat "$work/sym")" "$n addresses named, $n from the cache"
    same_frames "rewritten" "$work/d.db"
    # stale: a stripped copy's debug file beside it, gone, back
    stripped_copy
    sym() { WEFT_CACHE_DIR=$cache "$BIN/t_symtab" file "$k" "$off"; }
    expect "debug file beside" "$(sym)" "main $src:$line"
    expect "debug file beside, cached" "$(sym)" "main $src:$line"
    mv "$k.debug" "$work/saved.debug"
    expect "debug file gone" "$(sym)" "main :0"
    expect "debug file gone, cached" "$(sym)" "main :0"
    cp "$work/saved.debug" "$k.debug"
    expect "debug file back" "$(sym)" "main $src:$line"
    # where the cache goes: XDG_CACHE_HOME, else HOME; none when off
    home=$work/home
    mkdir "$home"
    HOME=$home WEFT_CACHE_DIR='' "$BIN/t_symtab" file "$k" "$off" >/dev/null
    [ ! -e "$home/.cache" ] || fail "WEFT_CACHE_DIR='' wrote a cache"
    (unset WEFT_CACHE_DIR XDG_CACHE_HOME; HOME=$home "$BIN/t_symtab" file "$k" "$off" >/dev/null)
    ls "$home/.cache/weft/symbols"/*.sym >/dev/null 2>&1 || fail "no cache under HOME"
    (unset WEFT_CACHE_DIR; XDG_CACHE_HOME=$work/xdg HOME=$home "$BIN/t_symtab" file "$k" "$off" >/dev/null)
    ls "$work/xdg/weft/symbols"/*.sym >/dev/null 2>&1 || fail "no cache under XDG_CACHE_HOME"
    # a cache that cannot be made: the ingest as without one
    : >"$work/afile"
    ingest_db "$work/afile" "$work/e.db"
    same_frames "unwritable cache" "$work/e.db"
    expect "unwritable: still a file" "$(stat -c %s "$work/afile")" 0
    # pruned: 600 old caches and a killed writer's leftover; the program's
    # answers written again, then the oldest go
    for f in "$cache/symbols"/*.sym; do rm -f "$f"; done
    i=0
    while [ $i -lt 600 ]; do
        : >"$cache/symbols/$(printf '%040x' $i).sym"
        i=$((i + 1))
    done
    touch -d '2 days ago' "$cache/symbols"/*.sym
    touch -d '3 days ago' "$cache/symbols/$(printf '%040x' 0).sym"
    : >"$cache/symbols/.dead.sym.abcdef"
    touch -d '2 hours ago' "$cache/symbols/.dead.sym.abcdef"
    ingest_db "$cache" "$work/f.db"
    same_frames "pruned" "$work/f.db"
    left=$(ls "$cache/symbols" | grep -c '\.sym$')
    [ "$left" -le 390 ] && [ "$left" -ge 384 ] || fail "pruned to $left files, want about 384"
    [ ! -e "$cache/symbols/.dead.sym.abcdef" ] || fail "a dead writer's file left"
    [ ! -e "$cache/symbols/$(printf '%040x' 0).sym" ] || fail "the oldest cache kept"
    ingest_db "$cache" "$work/g.db"
    expect "after pruning: hits" "$(cat "$work/sym")" "$n addresses named, $n from the cache"
    ;;
*)
    echo "unknown test $name" >&2
    exit 2
    ;;
esac
[ "$fails" -eq 0 ] && echo "ok [$name]"
finish
