/* SPDX-License-Identifier: MIT */
/* select.c: weft_select and the select engine with a deadline.
 *
 * First a look at the cases one by one, in a random order, without
 * locking them together (pass 0): on buffered channels that look is
 * lock-free. Then Go's three passes. With every channel of the select
 * locked (in address order, each once, so two selects never deadlock on
 * each other): pass 1 picks a ready case uniformly at random and runs it.
 * Otherwise pass 2 links one waiter per case into its channel's queue and
 * sleeps; whichever thread claims this thread's parker first runs that one
 * case on our behalf. Pass 3 relocks and unlinks the waiters of the cases
 * that lost. Since our own waiters are queued only while we sleep, a
 * select never matches its own send with its own receive.
 *
 * Pass 1's uniform choice is reservoir sampling over the ready cases: the
 * i-th ready case replaces the choice with probability 1/i. Pass 0's
 * permutation and the waiter and lock arrays live on the stack for small
 * selects, the latter two in a per-thread buffer that only ever grows for
 * large ones, so a select does not allocate per call. */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

enum { STACK_CASES = 8 };

/* ---- the per-thread buffer for large selects ------------------------ */

struct scratch {
    weft__waiter *waiters;
    weft_chan **chans;
    size_t cap;
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local struct scratch scratch;

static void scratch_free(void *p) {
    struct scratch *s = p;
    free(s->waiters);
    free(s->chans);
    s->waiters = NULL;
    s->chans = NULL;
    s->cap = 0;
}

static void scratch_key_make(void) {
    pthread_key_create(&scratch_key, scratch_free);
}

static bool scratch_reserve(size_t n) {
    if (scratch.cap >= n)
        return true;
    pthread_once(&scratch_once, scratch_key_make);
    weft__waiter *w = realloc(scratch.waiters, n * sizeof *w);
    if (w)
        scratch.waiters = w;
    weft_chan **c = realloc(scratch.chans, n * sizeof *c);
    if (c)
        scratch.chans = c;
    if (!w || !c)
        return false;
    scratch.cap = n;
    pthread_setspecific(scratch_key, &scratch);
    return true;
}

/* ---- locking a select's channels ------------------------------------ */

/* Sorts the distinct channels of the cases by address (insertion sort:
 * selects are small). Returns how many, or -1 for a bad op. */
static long collect_chans(const weft_case *cases, size_t n, weft_chan **out) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (cases[i].op != WEFT_SEND && cases[i].op != WEFT_RECV)
            return -1;
        weft_chan *ch = cases[i].ch;
        if (!ch)
            continue;
        size_t j = m;
        while (j > 0 && (uintptr_t)out[j - 1] > (uintptr_t)ch)
            j--;
        if (j > 0 && out[j - 1] == ch)
            continue;
        for (size_t k = m; k > j; k--)
            out[k] = out[k - 1];
        out[j] = ch;
        m++;
    }
    return (long)m;
}

static void lock_all(weft_chan **chans, size_t m) {
    for (size_t i = 0; i < m; i++)
        weft__lock_acquire(&chans[i]->lock);
}

static void unlock_all(weft_chan **chans, size_t m) {
    for (size_t i = m; i > 0; i--)
        weft__lock_release(&chans[i - 1]->lock);
}

/* ---- the engine ----------------------------------------------------- */

/* Pass 0: tries the cases one at a time, without locking them together,
 * in a uniformly random order (Go's pollorder): the first that runs is
 * uniform among the ready ones. On buffered channels the tries are the
 * lock-free ring operations, so a select whose case is ready (the common
 * case of a consumer keeping up with its producers) locks nothing. Returns
 * the index that ran, or -1; pass 1 then decides under every lock. Large
 * selects skip it, to keep the order on the stack. */
static int try_cases(weft_case *cases, size_t n) {
    if (n > STACK_CASES)
        return -1;
    unsigned char order[STACK_CASES];
    for (size_t i = 0; i < n; i++) { /* inside-out Fisher-Yates */
        size_t j = weft__rand_below((uint32_t)i + 1);
        if (j != i)
            order[i] = order[j];
        order[j] = (unsigned char)i;
    }
    for (size_t k = 0; k < n; k++) {
        weft_case *c = &cases[order[k]];
        if (!c->ch)
            continue;
        int r = weft__chan_try(c->ch, c->op, c->elem);
        if (r != WEFT_EAGAIN) {
            c->result = r;
            return order[k];
        }
    }
    return -1;
}

/* Pass 1: runs a uniformly chosen ready case. Returns its index, or -1
 * when none is ready. Called and returns with every channel locked; *wl
 * gets the waiters to unpark once they are unlocked. */
static int run_ready_case(weft_case *cases, size_t n, weft__wakes *wl) {
    for (;;) {
        long chosen = -1;
        uint32_t ready = 0;
        for (size_t i = 0; i < n; i++) {
            if (cases[i].ch && weft__chan_ready(cases[i].ch, cases[i].op) &&
                weft__rand_below(++ready) == 0)
                chosen = (long)i;
        }
        if (chosen < 0)
            return -1;
        weft_case *c = &cases[chosen];
        int r = c->op == WEFT_SEND ? weft__chan_send_locked(c->ch, c->elem, wl)
                                   : weft__chan_recv_locked(c->ch, c->elem, wl);
        /* EAGAIN: the waiter that made it ready was claimed meanwhile by a
         * thread working on another of its select's channels (that waiter
         * is gone from the queue now), or a lock-free receive took the
         * value of a buffered channel first. Either way something moved,
         * so choosing again makes progress. */
        if (r != WEFT_EAGAIN) {
            c->result = r;
            return (int)chosen;
        }
    }
}

int weft__select_until(weft_case *cases, size_t n, int flags, int64_t deadline_ns) {
    if ((n && !cases) || n > INT_MAX)
        return WEFT_EINVAL;
    weft__waiter stack_waiters[STACK_CASES];
    weft_chan *stack_chans[STACK_CASES];
    weft__waiter *waiters = stack_waiters;
    weft_chan **chans = stack_chans;
    if (n > STACK_CASES) {
        if (!scratch_reserve(n))
            return WEFT_ENOMEM;
        waiters = scratch.waiters;
        chans = scratch.chans;
    }
    long m = collect_chans(cases, n, chans);
    if (m < 0)
        return WEFT_EINVAL;

    int tried = try_cases(cases, n);
    if (tried >= 0)
        return tried;

    weft__wakes wl = {NULL};
    lock_all(chans, (size_t)m);
    int chosen = run_ready_case(cases, n, &wl);
    if (chosen >= 0 || (flags & WEFT_NONBLOCK)) {
        unlock_all(chans, (size_t)m);
        weft__wake_all(&wl);
        return chosen >= 0 ? chosen : WEFT_EAGAIN;
    }

    /* Pass 2: queue a waiter on every channel and sleep. On a buffered
     * channel a lock-free send or receive may have made a case ready
     * since pass 1: the enqueue then serves it at once, maybe with this
     * very select, which the wake-up below then unparks. */
    weft__parker *p = weft__parker_self();
    weft__parker_arm(p);
    for (size_t i = 0; i < n; i++) {
        if (!cases[i].ch)
            continue;
        waiters[i] = (weft__waiter){.parker = p, .elem = cases[i].elem, .case_index = (int)i};
        weft__chan_enqueue(cases[i].ch, cases[i].op, &waiters[i], &wl);
    }
    unlock_all(chans, (size_t)m);
    weft__wake_all(&wl);
    WEFT__HB_WAIT(m ? chans[0] : NULL);

    bool timed_out = false;
    if (deadline_ns == INT64_MAX) {
        weft__park(p);
    } else if (!weft__park_until(p, deadline_ns)) {
        /* The deadline passed: the timeout wins only if it claims the
         * parker before a waker does; otherwise the waker is mid-way
         * through our case and will unpark us. */
        timed_out = weft__parker_claim(p);
        if (!timed_out)
            weft__park(p);
    }

    /* Pass 3: unlink the losers (the winner was unlinked by its waker). */
    weft__waiter *fired = timed_out ? NULL : p->fired;
    lock_all(chans, (size_t)m);
    for (size_t i = 0; i < n; i++) {
        if (cases[i].ch && &waiters[i] != fired)
            weft__chan_dequeue(&waiters[i]);
    }
    unlock_all(chans, (size_t)m);
    if (timed_out)
        return WEFT_ETIMEDOUT;
    cases[fired->case_index].result = weft__waiter_finish(fired);
    return fired->case_index;
}

int weft_select(weft_case *cases, size_t n, int flags) {
    return weft__select_until(cases, n, flags, INT64_MAX);
}
