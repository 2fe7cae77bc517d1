/* SPDX-License-Identifier: MIT */
/* default_supp.c: weft's default suppressions, the rules every run uses
 * unless --no-default-suppressions (suppress.c parses them like a
 * user's file). They silence threads that a language runtime or a
 * library starts for the life of the process and by design never ends:
 * alive at exit in every correct program that uses it, so a
 * leaked-thread finding about them says nothing about the program (as
 * goleak ignores the Go runtime's own goroutines, and Valgrind ships
 * suppressions for the system's libraries). Each rule is narrow:
 * spawner= is the code that asked for the thread (the innermost frame of
 * its creation stack outside the C and C++ runtimes), so a thread the
 * program starts itself, even from inside a pool's worker, is still
 * reported; a library whose thread API programs call directly (GLib's
 * g_thread_new) is matched by the names of its own threads too.
 * And bash's double closes: bash closes a pipe's end that it closed
 * already after every fork of a pipeline (EBADF), two findings for each
 * pipeline of every script; bash has no threads, so no other file can
 * have taken that number between the two closes. */
#include "internal.h"

const char weft__default_supp[] =
    /* GCC's OpenMP runtime keeps a parallel region's threads in a pool,
     * waiting for the next region, until the process exits; LLVM's and
     * OpenBLAS's pools do the same. */
    "leaked-thread:spawner=libgomp.so*\n"
    "leaked-thread:spawner=libomp.so*\n"
    "leaked-thread:spawner=libopenblas*.so*\n"
    /* Ruby keeps the native threads of finished Ruby threads for reuse,
     * and its timer thread; every Ruby thread is the VM's. */
    "leaked-thread:spawner=libruby*.so*\n"
    /* Node.js: V8's platform workers, libuv's pool, the inspector's I/O
     * thread (node is one binary, or libnode). */
    "leaked-thread:spawner=node\n"
    "leaked-thread:spawner=nodejs\n"
    "leaked-thread:spawner=libnode.so*\n"
    /* The Java VM's own threads. */
    "leaked-thread:spawner=libjvm.so\n"
    /* GLib's worker thread, GDBus's, and the thread pools' spawner; and
     * any thread GLib starts for GIO's own machinery (one that the
     * process ends before it ran far enough to name itself). */
    "leaked-thread:spawner=libglib-2.0.so* creator=libgio-2.0.so*\n"
    "leaked-thread:name=gmain spawner=libglib-2.0.so*\n"
    "leaked-thread:name=gdbus spawner=libglib-2.0.so*\n"
    "leaked-thread:name=pool-spawner spawner=libglib-2.0.so*\n"
    /* bash (5.2) after the fork of each pipeline stage */
    "double-close:module=bash\n";
