/* SPDX-License-Identifier: MIT */
/* group.c: errgroup (golang.org/x/sync/errgroup with WithContext): go,
 * try_go, set_limit, wait, and the derived context cancelled on the first
 * error and when wait returns.
 *
 * One weft__lock guards the group's counters. Go's errgroup keeps a
 * WaitGroup for Wait and a buffered channel of `limit` tokens for the
 * limit; here both are the same count of running functions, and the
 * threads that block on them (a go at the limit, a wait) sleep on a futex
 * generation word that is bumped, under the lock, when they may proceed.
 * The exported WaitGroup and channel calls are not used, so that weft's
 * shim records the user's own calls only.
 *
 * Happens-before: every function's return happens before wait returns.
 * Each finishing thread releases (group, 0) and wait acquires (group, 0),
 * which covers all the releases. "go happens before the function starts"
 * is the thread creation's own edge.
 */
#include <limits.h>
#include <sched.h>
#include <stdlib.h>

#include "internal.h"

struct weft_group {
    weft__lock lock;
    weft_ctx *ctx; /* the derived context, cancelled on first error */
    int limit;     /* -1: no limit */
    int active;    /* functions started and not yet returned */
    int err;       /* first non-zero result */
    bool failed;   /* err is set (errOnce) */
    unsigned slot_waiters, idle_waiters;
    _Atomic uint32_t slot_gen; /* bumped when a slot frees or the limit changes */
    _Atomic uint32_t idle_gen; /* bumped when active drops to 0 */
    /* Threads of the group that may still touch it. A finisher decrements
     * it as its very last access, after unlocking: the unlock itself may
     * write the lock word and wake its sleepers, so wait cannot consider
     * the group quiet until this is 0 (and only then may it be freed). */
    _Atomic uint32_t threads;
};

struct task {
    weft_group *g;
    int (*fn)(weft_ctx *ctx, void *arg);
    void *arg;
};

weft_group *weft_group_new(weft_ctx *parent) {
    weft_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->ctx = weft__ctx_with_cancel(parent);
    if (!g->ctx) {
        free(g);
        return NULL;
    }
    weft__lock_init(&g->lock);
    weft__vg_atomic_word(&g->slot_gen, sizeof g->slot_gen);
    weft__vg_atomic_word(&g->idle_gen, sizeof g->idle_gen);
    weft__vg_atomic_word(&g->threads, sizeof g->threads);
    g->limit = -1;
    return g;
}

weft_ctx *weft_group_ctx(weft_group *g) {
    return g ? g->ctx : NULL;
}

int weft_group_set_limit(weft_group *g, int n) {
    if (!g)
        return WEFT_EINVAL;
    weft__lock_acquire(&g->lock);
    if (g->active != 0) {
        weft__lock_release(&g->lock);
        return WEFT_EINVAL;
    }
    g->limit = n < 0 ? -1 : n;
    /* A go blocked on a limit of 0 may fit now. */
    if (g->slot_waiters) {
        atomic_fetch_add_explicit(&g->slot_gen, 1, memory_order_relaxed);
        weft__futex_wake(&g->slot_gen, INT_MAX);
    }
    weft__lock_release(&g->lock);
    return 0;
}

/* Frees a slot; under the lock. */
static void release_slot(weft_group *g) {
    g->active--;
    if (g->slot_waiters) {
        atomic_fetch_add_explicit(&g->slot_gen, 1, memory_order_relaxed);
        weft__futex_wake(&g->slot_gen, 1);
    }
    if (g->active == 0 && g->idle_waiters) {
        atomic_fetch_add_explicit(&g->idle_gen, 1, memory_order_relaxed);
        weft__futex_wake(&g->idle_gen, INT_MAX);
    }
}

static void group_main(void *p) {
    struct task t = *(struct task *)p;
    free(p);
    weft_group *g = t.g;
    int r = t.fn(g->ctx, t.arg);
    if (r != 0) {
        weft__lock_acquire(&g->lock);
        bool first = !g->failed;
        if (first) {
            g->failed = true;
            g->err = r;
        }
        weft__lock_release(&g->lock);
        /* Go cancels inside errOnce, before the function counts as done,
         * so a wait never returns before the cancel has happened. */
        if (first)
            weft__ctx_cancel(g->ctx);
    }
    WEFT__HB_RELEASE(g, 0);
    weft__lock_acquire(&g->lock);
    release_slot(g);
    weft__lock_release(&g->lock);
    atomic_fetch_sub_explicit(&g->threads, 1, memory_order_release);
}

/* Takes a slot and starts fn. 0, WEFT_EAGAIN (at the limit, !block) or
 * WEFT_ENOMEM. */
static int start(weft_group *g, int (*fn)(weft_ctx *, void *), void *arg, bool block) {
    if (!g || !fn)
        return WEFT_EINVAL;
    /* Allocated first, so that a failure leaves nothing to undo. */
    struct task *t = malloc(sizeof *t);
    if (!t)
        return WEFT_ENOMEM;
    t->g = g;
    t->fn = fn;
    t->arg = arg;
    weft__lock_acquire(&g->lock);
    while (g->limit >= 0 && g->active >= g->limit) {
        if (!block) {
            weft__lock_release(&g->lock);
            free(t);
            return WEFT_EAGAIN;
        }
        uint32_t gen = atomic_load_explicit(&g->slot_gen, memory_order_relaxed);
        g->slot_waiters++;
        weft__lock_release(&g->lock);
        weft__futex_wait(&g->slot_gen, gen);
        weft__lock_acquire(&g->lock);
        g->slot_waiters--;
    }
    g->active++;
    atomic_fetch_add_explicit(&g->threads, 1, memory_order_relaxed);
    weft__lock_release(&g->lock);
    if (weft__spawn(group_main, t) != 0) {
        weft__lock_acquire(&g->lock);
        release_slot(g);
        weft__lock_release(&g->lock);
        atomic_fetch_sub_explicit(&g->threads, 1, memory_order_release);
        free(t);
        return WEFT_ENOMEM;
    }
    return 0;
}

int weft_group_go(weft_group *g, int (*fn)(weft_ctx *ctx, void *arg), void *arg) {
    return start(g, fn, arg, true);
}

bool weft_group_try_go(weft_group *g, int (*fn)(weft_ctx *, void *), void *arg) {
    return start(g, fn, arg, false) == 0;
}

/* Waits until the last finisher has let go of the group entirely. It is
 * only ever a few instructions away (between its unlock and its
 * decrement), so yielding beats a futex that would need a wake after the
 * decrement, which is exactly the access we are waiting out. */
static void wait_threads_gone(weft_group *g) {
    while (atomic_load_explicit(&g->threads, memory_order_acquire) != 0)
        sched_yield();
}

int weft_group_wait(weft_group *g) {
    if (!g)
        return WEFT_EINVAL;
    weft__lock_acquire(&g->lock);
    while (g->active > 0) {
        uint32_t gen = atomic_load_explicit(&g->idle_gen, memory_order_relaxed);
        g->idle_waiters++;
        weft__lock_release(&g->lock);
        weft__futex_wait(&g->idle_gen, gen);
        weft__lock_acquire(&g->lock);
        g->idle_waiters--;
    }
    int err = g->err;
    weft__lock_release(&g->lock);
    wait_threads_gone(g);
    WEFT__HB_ACQUIRE(g, 0);
    /* errgroup's Wait cancels the derived context when it returns. */
    weft__ctx_cancel(g->ctx);
    return err;
}

void weft_group_free(weft_group *g) {
    if (!g)
        return;
    wait_threads_gone(g);
    weft__ctx_free(g->ctx);
    free(g);
}
