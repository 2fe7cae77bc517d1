/* SPDX-License-Identifier: MIT */
/* d_wg.c: WaitGroup misuse: wg-add-concurrent-with-wait (Go's rule "calls
 * with a positive delta that occur when the counter is zero must happen
 * before a Wait", checked by happens-before on every run, lucky schedules
 * included), wg-reused-before-wait-returned (a new generation started
 * while a Wait of the previous one had not returned: Go's panic, as this
 * run showed it) and wg-negative-counter (Add/Done returning WEFT_ERANGE).
 *
 * The counter is replayed from the recorded results in trace order. An
 * Add at counter 0 starts a generation. Each such Add A and each Wait W of
 * another thread on the same WaitGroup must be ordered: A happens before
 * W's call, or W's return happens before A (a reuse done right);
 * otherwise, in another run, the Wait could have returned before A or
 * waited for it: reported once per WaitGroup and Add call site.
 *
 * The check runs as the events come, in bounded memory. A pair is
 * decided at whichever of A and W's call comes later in the trace:
 *   - at W's call, for every earlier A: W's clock must know A (W's return
 *     cannot come before an earlier A);
 *   - at A, for every W already called: W must have returned, and A's
 *     clock must know that return (A cannot come before an earlier call).
 * So the WaitGroup keeps, per thread and Add call site, only its latest
 * generation-starting Add (a clock that knows it knows that thread's
 * earlier ones, epochs only grow), and per waiting thread only whether it
 * is in a Wait now and the epoch of its latest return. A WaitGroup reused
 * a million times holds what it held after the first round. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "table.h"

/* A thread's latest Add at counter 0 from one call site. */
struct add {
    uint32_t thread, epoch;
    int64_t stack;
};
/* A thread's Waits on the WaitGroup: the one it is in, its latest return
 * (end_epoch, 0 before any: epochs start at 1). */
struct waiter {
    uint32_t thread, end_epoch;
    int in_wait;
    int64_t counter_at_begin; /* of the Wait it is in */
    int64_t stack, end_stack; /* of the Wait it is in; of the one that returned last */
};
struct wg {
    int64_t pid, addr; /* the key */
    int64_t object, counter;
    struct add *adds;
    size_t nadds, capadds;
    struct waiter *waiters;
    size_t nwaiters, capwaiters;
    int64_t *reported; /* stacks already reported (kind-tagged) */
    size_t nrep, caprep;
};

struct state {
    struct weft__table wgs; /* struct wg by (pid, address) */
};

static struct wg *wg_of(struct state *st, const struct weft__ev *e) {
    uint64_t k[2] = {(uint64_t)e->pid, (uint64_t)e->obj};
    struct wg *w = weft__table_get(&st->wgs, k, 1);
    if (w && !w->object)
        w->object = e->object;
    return w;
}

/* Grows *v (n of cap elements of size sz) by one slot; NULL when out of memory. */
static void *push(void *v, size_t *n, size_t *cap, size_t sz) {
    void **pv = v;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        void *m = realloc(*pv, nc * sz);
        if (!m)
            return NULL;
        *pv = m;
        *cap = nc;
    }
    unsigned char *slot = (unsigned char *)*pv + (*n)++ * sz;
    memset(slot, 0, sz);
    return slot;
}

static struct waiter *waiter_of(struct wg *w, uint32_t thread) {
    for (size_t i = 0; i < w->nwaiters; i++)
        if (w->waiters[i].thread == thread)
            return &w->waiters[i];
    struct waiter *x = push(&w->waiters, &w->nwaiters, &w->capwaiters, sizeof *x);
    if (x)
        x->thread = thread;
    return x;
}

/* Once per (WaitGroup, kind, call site). */
static int first_time(struct wg *w, int tag, int64_t stack) {
    int64_t key = stack * 4 + tag;
    for (size_t i = 0; i < w->nrep; i++)
        if (w->reported[i] == key)
            return 0;
    int64_t *slot = push(&w->reported, &w->nrep, &w->caprep, sizeof *slot);
    if (slot)
        *slot = key;
    return 1;
}

static void concurrent(struct weft__dctx *c, struct wg *w, uint32_t adder, int64_t add_stack,
                       uint32_t waiter, int64_t wait_stack) {
    if (!first_time(w, 2, add_stack))
        return;
    char who[160], other[160];
    struct weft__role roles[] = {{"add", add_stack, 0}, {"wait", wait_stack, 0}};
    weft__report(c, "wg-add-concurrent-with-wait", "error", w->pid, adder, w->object, roles, 2,
                 "WaitGroup 0x%llx: Add at counter 0 by %s is not ordered before "
                 "Wait in %s (no lock, channel, join or other sync orders them): "
                 "Wait may return before the Add, or wait for it, depending on "
                 "timing. Call Add before starting the goroutine, in the thread "
                 "that waits",
                 (unsigned long long)w->addr, weft__thread_name(c, adder, who, sizeof who),
                 weft__thread_name(c, waiter, other, sizeof other));
}

/* An Add at counter 0 (a new generation) by e's thread. */
static void generation(struct weft__dctx *c, struct wg *w, const struct weft__ev *e,
                       int64_t delta) {
    char who[160], waiter[160];
    /* A Wait of an earlier generation that had to wait (the counter was
     * not zero when it began) and has not returned yet: the reuse Go
     * panics on. */
    for (size_t i = 0; i < w->nwaiters; i++) {
        const struct waiter *x = &w->waiters[i];
        if (!x->in_wait || x->thread == e->thread || x->counter_at_begin == 0)
            continue;
        if (first_time(w, 1, e->stack)) {
            struct weft__role roles[] = {{"add", e->stack, 0}, {"wait", x->stack, 0}};
            weft__report(c, "wg-reused-before-wait-returned", "error", e->pid, e->thread, e->object,
                         roles, 2,
                         "WaitGroup 0x%llx reused: Add(%lld) by %s starts a new round "
                         "while Wait in %s has not returned from the previous one",
                         (unsigned long long)e->obj, (long long)delta,
                         weft__thread_name(c, e->thread, who, sizeof who),
                         weft__thread_name(c, x->thread, waiter, sizeof waiter));
        }
        break;
    }
    /* Every Wait already called: returned, and that return known here. */
    weft__rv now = weft__vc_now(c->hb, e->thread);
    for (size_t i = 0; i < w->nwaiters; i++) {
        const struct waiter *x = &w->waiters[i];
        if (x->thread == e->thread)
            continue; /* program order */
        if (x->in_wait) {
            concurrent(c, w, e->thread, e->stack, x->thread, x->stack);
            break;
        }
        if (x->end_epoch && !weft__vc_knows(c->hb, &now, x->thread, x->end_epoch)) {
            concurrent(c, w, e->thread, e->stack, x->thread, x->end_stack);
            break;
        }
    }
    weft__rv_drop(&now);
    uint32_t epoch = weft__vc_epoch(c->hb, e->thread);
    for (size_t i = 0; i < w->nadds; i++)
        if (w->adds[i].thread == e->thread && w->adds[i].stack == e->stack) {
            w->adds[i].epoch = epoch;
            return;
        }
    struct add *a = push(&w->adds, &w->nadds, &w->capadds, sizeof *a);
    if (a)
        *a = (struct add){e->thread, epoch, e->stack};
}

static int wants(int kind) {
    return kind == WEFT_K_WG_ADD || kind == WEFT_K_WG_DONE || kind == WEFT_K_WG_WAIT_BEGIN ||
           kind == WEFT_K_WG_WAIT_END;
}

static void event(struct weft__dctx *c, void *self, const struct weft__ev *e) {
    if (!wants(e->kind))
        return;
    struct wg *w = wg_of(self, e);
    if (!w)
        return;
    char who[160];
    if (e->kind == WEFT_K_WG_ADD || e->kind == WEFT_K_WG_DONE) {
        int64_t delta = e->kind == WEFT_K_WG_DONE ? -1 : e->arg;
        if (e->arg2 == -34) {
            if (first_time(w, 0, e->stack)) {
                struct weft__role roles[] = {
                    {e->kind == WEFT_K_WG_DONE ? "done" : "add", e->stack, 0}};
                weft__report(c, "wg-negative-counter", "error", e->pid, e->thread, e->object, roles,
                             1,
                             "WaitGroup 0x%llx: %s(%lld) by %s would make the counter negative "
                             "(it was %lld); the call was refused",
                             (unsigned long long)e->obj, e->kind == WEFT_K_WG_DONE ? "Done" : "Add",
                             (long long)delta, weft__thread_name(c, e->thread, who, sizeof who),
                             (long long)w->counter);
            }
            return;
        }
        if (e->arg2 != 0)
            return;
        if (delta > 0 && w->counter == 0)
            generation(c, w, e, delta);
        w->counter += delta;
        if (w->counter < 0)
            w->counter = 0;
        return;
    }
    struct waiter *x = waiter_of(w, e->thread);
    if (!x)
        return;
    if (e->kind == WEFT_K_WG_WAIT_BEGIN) {
        /* Every earlier Add at counter 0 of another thread: known here. */
        weft__rv now = weft__vc_now(c->hb, e->thread);
        for (size_t i = 0; i < w->nadds; i++) {
            const struct add *a = &w->adds[i];
            if (a->thread != e->thread && !weft__vc_knows(c->hb, &now, a->thread, a->epoch))
                concurrent(c, w, a->thread, a->stack, e->thread, e->stack);
        }
        weft__rv_drop(&now);
        x->in_wait = 1;
        x->counter_at_begin = w->counter;
        x->stack = e->stack;
        return;
    }
    /* WAIT_END: the thread's Wait returned. */
    if (x->in_wait) {
        x->in_wait = 0;
        x->end_epoch = weft__vc_epoch(c->hb, e->thread);
        x->end_stack = x->stack;
    }
}

static int init(struct weft__dctx *c, void *self) {
    (void)c;
    struct state *st = self;
    st->wgs = (struct weft__table)WEFT__TABLE(struct wg, 2);
    return 0;
}

static void drop(void *self) {
    struct state *st = self;
    for (size_t i = 0; i < st->wgs.cap; i++) {
        struct wg *w = weft__table_at(&st->wgs, i);
        if (!w)
            continue;
        free(w->adds);
        free(w->waiters);
        free(w->reported);
    }
    weft__table_free(&st->wgs);
}

const struct weft__detector weft__det_wg = {.name = "waitgroup",
                                            .size = sizeof(struct state),
                                            .init = init,
                                            .event = event,
                                            .drop = drop,
                                            .wants = wants};
