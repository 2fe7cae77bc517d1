/* SPDX-License-Identifier: MIT */
/* wg.c: weft_wg, Go's sync.WaitGroup.
 *
 * Owns weft_wg_add, weft_wg_done and weft_wg_wait. The public struct is a
 * plain struct so that `weft_wg wg = {0};` works, which is why its fields are
 * touched only through __atomic builtins here rather than declared _Atomic.
 *
 * Everything lives in state_, changed by one CAS: the counter in the low 32
 * bits, and in the high 32 bits the epoch shifted left by one with a
 * "sleepers" flag in bit 0. The epoch advances in the same CAS that takes
 * the counter from non-zero to zero, so a waiter waits for the epoch it saw
 * to end rather than for the counter to read zero: a new Add right after
 * the zero (reuse) cannot strand a waiter of the previous generation.
 *
 * Waiters sleep on the high half of state_ itself, as a futex word, and the
 * Done that reaches zero learns from the value its CAS replaced whether
 * anyone sleeps. That CAS is therefore the last access the waker makes to
 * the group; only a futex wake on its address follows, a system call that
 * is harmless if the memory is gone. This matters in C: the usual
 * `weft_wg wg = {0}; ... weft_wg_wait(&wg); return;` frees the group the
 * moment Wait returns, while the last worker may still be inside Done. A
 * separate wake word or waiter count, written or read after the CAS, would
 * be touched after that free. wake_ and waiters_ are therefore unused and
 * stay zero.
 */
#include <sched.h>
#include <stdint.h>

#include "internal.h"

/* How long a waiter polls state_ before sleeping in the kernel: Done
 * often follows a Wait by microseconds, and a futex round trip costs more. */
enum { WG_SPIN_NS = 2000 };

#define WG_SLEEPERS ((uint64_t)1 << 32)

static inline uint32_t wg_counter(uint64_t s) {
    return (uint32_t)s;
}
static inline uint32_t wg_epoch(uint64_t s) {
    return (uint32_t)(s >> 33);
}

/* The futex word: the 32 bits of state_ that hold the epoch and flag. */
static inline _Atomic uint32_t *wg_futex(weft_wg *wg) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (_Atomic uint32_t *)((char *)&wg->state_ + 4);
#else
    return (_Atomic uint32_t *)&wg->state_;
#endif
}

/* Under Valgrind, marks the group as atomics-only so that Helgrind and DRD
 * do not report concurrent Done calls as races on it. The struct has no
 * constructor, so this is done on every use; it is idempotent. */
static inline void wg_vg_mark(weft_wg *wg) {
#ifdef WEFT_VALGRIND
    weft__vg_atomic_word(&wg->state_, sizeof wg->state_);
#else
    (void)wg;
#endif
}

/* Add's body, shared with Done: Done must not call the exported (and
 * interposable) weft_wg_add, or the shim would record a second call. */
static int wg_add(weft_wg *wg, int delta) {
    wg_vg_mark(wg);
    uint64_t old = __atomic_load_n(&wg->state_, __ATOMIC_RELAXED);
    /* The epoch a release was last announced on, so that a CAS retried in
     * the same generation does not announce it twice. */
    int64_t released = -1;
    uint64_t next;
    for (;;) {
        int64_t count = (int64_t)wg_counter(old) + delta;
        if (count < 0 || count > INT32_MAX)
            return WEFT_ERANGE;
        if (count == 0 && wg_counter(old) != 0)
            /* New epoch, sleepers flag cleared: they all wake. */
            next = (uint64_t)(wg_epoch(old) + 1) << 33;
        else
            next = (old & ~(uint64_t)UINT32_MAX) | (uint32_t)count;
        if (next == old)
            return 0; /* delta 0: nothing to publish */
        /* A decrement is Go's Done -> Wait edge. It must be on record
         * before the CAS that could let a waiter return and acquire it. */
        if (delta < 0 && released != wg_epoch(old)) {
            WEFT__HB_RELEASE(wg, wg_epoch(old));
            released = wg_epoch(old);
        }
        if (__atomic_compare_exchange_n(&wg->state_, &old, next, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED))
            break;
    }
    /* No access to *wg past the CAS: the address alone is enough here. */
    if (wg_epoch(next) != wg_epoch(old) && (old & WG_SLEEPERS))
        weft__futex_wake(wg_futex(wg), INT32_MAX);
    return 0;
}

int weft_wg_add(weft_wg *wg, int delta) {
    return wg_add(wg, delta);
}

void weft_wg_done(weft_wg *wg) {
    /* Go panics on a negative counter; libweft refuses the change and the
     * harness reports it, so the code is deliberately dropped here. */
    (void)wg_add(wg, -1);
}

struct spin_arg {
    weft_wg *wg;
    uint32_t epoch;
};

static bool epoch_moved(const void *p) {
    const struct spin_arg *a = p;
    return wg_epoch(__atomic_load_n(&a->wg->state_, __ATOMIC_ACQUIRE)) != a->epoch;
}

void weft_wg_wait(weft_wg *wg) {
    wg_vg_mark(wg);
    uint64_t s = __atomic_load_n(&wg->state_, __ATOMIC_SEQ_CST);
    uint32_t epoch = wg_epoch(s);
    if (wg_counter(s) == 0) {
        /* The counter is zero: the generation before this epoch ended, and
         * its Done calls happen before this return. Epoch 0 with a zero
         * counter is a group that never finished one, with nothing to
         * acquire. */
        if (epoch > 0)
            WEFT__HB_ACQUIRE(wg, epoch - 1);
        return;
    }
    struct spin_arg a = {wg, epoch};
    if (weft__spin(epoch_moved, &a, WG_SPIN_NS))
        goto ended;
    s = __atomic_load_n(&wg->state_, __ATOMIC_SEQ_CST);
    for (;;) {
        if (wg_epoch(s) != epoch)
            break;
        /* Announce a sleeper in the same word the waker replaces, so that
         * the waker sees it in the value its CAS returns. */
        if (!(s & WG_SLEEPERS) &&
            !__atomic_compare_exchange_n(&wg->state_, &s, s | WG_SLEEPERS, false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST))
            continue; /* s was reloaded: recheck */
        weft__futex_wait(wg_futex(wg), (uint32_t)((s | WG_SLEEPERS) >> 32));
        s = __atomic_load_n(&wg->state_, __ATOMIC_SEQ_CST);
    }
ended:
    /* Acquire the generation this waiter waited for, not the one current
     * now: if the group was reused meanwhile, the newer generation's Done
     * calls were not waited for and must not look ordered before us. */
    WEFT__HB_ACQUIRE(wg, epoch);
}
