/* SPDX-License-Identifier: MIT */
/* shim_fork_guard.c: keeps other libraries' fork handlers out of the
 * trace. A fork child inherits the forking thread's recorder state: its
 * tid, and the parent's current chunk in the parent's log, which stays
 * mapped (shared) in the child until our child handler (shim_core.c) gives
 * the child a log of its own. Child handlers run in the order they were
 * registered, and a library that registered before us (jemalloc does, from
 * its constructor, which runs before ours) has its child handler run
 * first: jemalloc re-initializes its mutexes there with pthread_mutex_init,
 * and each of those records went into the parent's chunk, under the
 * parent's thread, racing with the parent's own records at the same
 * place. Prepare handlers run in the reverse order, so ours runs before
 * theirs: it marks the forking thread as inside the shim until fork
 * returns, in the parent (our parent handler) and in the child (our child
 * handler, or shim_core.c's, which starts the child's state afresh). What
 * the handlers of other libraries do around fork (jemalloc takes and
 * releases all its locks) is thus not recorded: it is the allocator's
 * work inside fork, not the program's. */
#include <pthread.h>

#include "shim.h"

/* The forking thread's guard before fork; TLS, as threads may fork at
 * once (the child has its copy). */
static __thread uint32_t saved_in_shim __attribute__((tls_model("initial-exec")));

static void prepare(void) {
    saved_in_shim = weft__t.in_shim;
    weft__t.in_shim = 1;
}

static void parent(void) {
    weft__t.in_shim = saved_in_shim;
}

static void child(void) {
    /* shim_core.c's child handler may have run first and reset the whole
     * state (in_shim 0); either way the guard is what it was before. */
    weft__t.in_shim = saved_in_shim;
}

__attribute__((constructor(102))) static void fork_guard_init(void) {
    pthread_atfork(prepare, parent, child);
}
