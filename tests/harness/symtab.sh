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
    need objcopy strip nm
    src=$(dirname "$0")/t_symkids.c
    line=$(grep -n '^int main' "$src" | cut -d: -f1)
    k=$work/k
    cp "$BIN/t_symkids" "$k" && objcopy --only-keep-debug "$k" "$k.debug" && strip -g "$k" &&
        objcopy --add-gnu-debuglink="$k.debug" "$k" || fail "cannot make a stripped copy"
    addr=$(nm "$k" | awk '$3 == "main" { print $1 }')
    [ -n "$addr" ] || fail "no main in $k"
    off=$(printf '%d' "0x$addr")
    off=$((off + 1))
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
*)
    echo "unknown test $name" >&2
    exit 2
    ;;
esac
[ "$fails" -eq 0 ] && echo "ok [$name]"
finish
