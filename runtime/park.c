/* SPDX-License-Identifier: MIT */
/* park.c: how a blocked thread sleeps and how it is woken.
 *
 * Each thread owns one parker in TLS. A sleeper waits for a short while
 * before it sleeps in the kernel, because the common wake-up (a ping-pong
 * partner, a consumer keeping up with its producer) comes within a
 * microsecond or two and a futex round trip costs several. How long is
 * adaptive (spin.c): a thread whose waits keep ending in a sleep anyway,
 * because its partners are not on a CPU, stops burning one. The waker's
 * store of state 1 is the last thing it does to the parker before the
 * optional futex wake, so the sleeper may return (and its thread exit) as
 * soon as it sees it; a futex wake on a dead parker is harmless, and every
 * wait loops, so a stray wake-up is harmless too. */
#include <limits.h>
#include <sched.h>

#include "internal.h"

/* A ping-pong partner answers within a microsecond or two; a busy one
 * within a few more. The most a parker waits before it sleeps. */
enum { PARK_SPIN_NS = 10000 };

static _Thread_local weft__parker self;
static _Thread_local bool self_ready;
/* How long this thread's waits for a wake-up have lately been worth. */
static _Thread_local weft__spin_budget park_budget;

weft__parker *weft__parker_self(void) {
    if (!self_ready) {
        self_ready = true;
        weft__vg_atomic_word(&self.state, sizeof self.state);
        weft__vg_atomic_word(&self.claimed, sizeof self.claimed);
    }
    return &self;
}

void weft__parker_arm(weft__parker *p) {
    atomic_store_explicit(&p->state, 0, memory_order_relaxed);
    atomic_store_explicit(&p->claimed, 0, memory_order_relaxed);
    p->fired = NULL;
}

static bool is_woken(const void *p) {
    return atomic_load_explicit(&((const weft__parker *)p)->state, memory_order_acquire) == 1;
}

/* Spins, then announces sleep (0 -> 2) and sleeps until state is 1.
 * Returns true once woken, false if the deadline passed first. */
static bool wait_woken(weft__parker *p, int64_t deadline_ns, bool spin) {
    if (spin && weft__spin_adaptive(is_woken, p, &park_budget, PARK_SPIN_NS, false))
        return true;
    for (;;) {
        uint32_t expect = 0;
        if (!atomic_compare_exchange_strong_explicit(&p->state, &expect, 2, memory_order_acquire,
                                                     memory_order_acquire) &&
            expect == 1)
            return true;
        if (deadline_ns == INT64_MAX) {
            weft__futex_wait(&p->state, 2);
        } else {
            if (weft__now() >= deadline_ns)
                return atomic_load_explicit(&p->state, memory_order_acquire) == 1;
            weft__futex_wait_until(&p->state, 2, deadline_ns);
        }
        if (atomic_load_explicit(&p->state, memory_order_acquire) == 1)
            return true;
    }
}

void weft__park(weft__parker *p) {
    wait_woken(p, INT64_MAX, true);
    WEFT__VG_AFTER(p);
}

bool weft__park_until(weft__parker *p, int64_t deadline_ns) {
    if (!wait_woken(p, deadline_ns, true))
        return false;
    WEFT__VG_AFTER(p);
    return true;
}

bool weft__park_idle_until(weft__parker *p, int64_t deadline_ns) {
    if (!wait_woken(p, deadline_ns, false))
        return false;
    WEFT__VG_AFTER(p);
    return true;
}

void weft__unpark(weft__parker *p) {
    WEFT__VG_BEFORE(p);
    if (atomic_exchange_explicit(&p->state, 1, memory_order_release) == 2)
        weft__futex_wake(&p->state, 1);
}
