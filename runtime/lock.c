/* SPDX-License-Identifier: MIT */
/* lock.c: futex wrappers and the slow path of weft__lock.
 *
 * The fast paths live inline in internal.h; here is what only runs under
 * contention. The lock is Drepper's three-state futex mutex ("Futexes are
 * tricky"), with a short spin first: the critical sections it guards are a
 * few dozen instructions, so a waiter usually gets in without a syscall. */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

enum { LOCK_SPIN_NS = 1000 };

void weft__futex_wait(_Atomic uint32_t *word, uint32_t expect) {
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expect, NULL, NULL, 0);
}

void weft__futex_wait_until(_Atomic uint32_t *word, uint32_t expect, int64_t deadline_ns) {
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, so a wait
     * interrupted and restarted does not stretch the deadline. */
    struct timespec ts = {.tv_sec = deadline_ns / 1000000000, .tv_nsec = deadline_ns % 1000000000};
    syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, expect, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

void weft__futex_wake(_Atomic uint32_t *word, int count) {
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

void weft__lock_init(weft__lock *l) {
    atomic_init(&l->word, 0);
    weft__vg_atomic_word(&l->word, sizeof l->word);
}

static bool try_take(const void *p) {
    weft__lock *l = (weft__lock *)p;
    uint32_t expect = 0;
    return atomic_load_explicit(&l->word, memory_order_relaxed) == 0 &&
           atomic_compare_exchange_weak_explicit(&l->word, &expect, 1, memory_order_acquire,
                                                 memory_order_relaxed);
}

void weft__lock_slow(weft__lock *l) {
    /* Not capped like other spins: the holder is inside a critical
     * section of a few dozen instructions and is about to leave it, so
     * waiting for it is nearly always cheaper than a futex round trip. */
    if (weft__spin_for(try_take, l, LOCK_SPIN_NS))
        return;
    /* Mark the lock contended (2) so the holder's release wakes us. */
    while (atomic_exchange_explicit(&l->word, 2, memory_order_acquire) != 0)
        weft__futex_wait(&l->word, 2);
}
