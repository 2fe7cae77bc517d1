/* SPDX-License-Identifier: MIT */
/* d_wg.c: WaitGroup misuse: wg-add-concurrent-with-wait (Go's rule "calls
 * with a positive delta that occur when the counter is zero must happen
 * before a Wait", checked by happens-before on every run, lucky schedules
 * included), wg-reused-before-wait-returned (a new generation started
 * while a Wait of the previous one had not returned: Go's panic, as this
 * run showed it) and wg-negative-counter (Add/Done returning WEFT_ERANGE).
 *
 * The counter is replayed from the recorded results in trace order. An
 * Add at counter 0 starts a generation; at the end each such Add A is
 * checked against every Wait W of another thread on the same WaitGroup:
 * fine when A happens before W's call, or W's return happens before A (a
 * reuse done right); otherwise nothing orders them, and in another run
 * the Wait could have returned before A or waited for it: reported, once
 * per WaitGroup and Add call site. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct add {
    uint32_t thread, epoch;
    weft__rv rv;
    int64_t event, stack;
};
struct wait {
    uint32_t thread, begin_epoch, end_epoch;
    weft__rv begin_rv;
    int64_t event, stack, counter_at_begin;
    int ended;
};
struct wg {
    int64_t pid, addr, object, counter;
    struct add *adds;
    size_t nadds, capadds;
    struct wait *waits;
    size_t nwaits, capwaits;
    int64_t *reported; /* stacks already reported (kind-tagged) */
    size_t nrep, caprep;
};

struct state {
    struct wg *wgs;
    size_t nwgs, capwgs;
};

static struct wg *wg_of(struct state *st, const struct weft__ev *e) {
    for (size_t i = st->nwgs; i-- > 0;) /* recent ones first: usually one or two */
        if (st->wgs[i].addr == e->obj && st->wgs[i].pid == e->pid)
            return &st->wgs[i];
    if (st->nwgs == st->capwgs) {
        size_t cap = st->capwgs ? st->capwgs * 2 : 16;
        struct wg *n = realloc(st->wgs, cap * sizeof *n);
        if (!n)
            return NULL;
        st->wgs = n;
        st->capwgs = cap;
    }
    struct wg *w = &st->wgs[st->nwgs++];
    memset(w, 0, sizeof *w);
    w->pid = e->pid;
    w->addr = e->obj;
    w->object = e->object;
    return w;
}

/* Once per (WaitGroup, kind, call site). */
static int first_time(struct wg *w, int tag, int64_t stack) {
    int64_t key = stack * 4 + tag;
    for (size_t i = 0; i < w->nrep; i++)
        if (w->reported[i] == key)
            return 0;
    if (w->nrep == w->caprep) {
        size_t cap = w->caprep ? w->caprep * 2 : 8;
        int64_t *n = realloc(w->reported, cap * sizeof *n);
        if (!n)
            return 1;
        w->reported = n;
        w->caprep = cap;
    }
    w->reported[w->nrep++] = key;
    return 1;
}

static void event(struct weft__dctx *c, void *self, const struct weft__ev *e) {
    if (e->kind != WEFT_K_WG_ADD && e->kind != WEFT_K_WG_DONE && e->kind != WEFT_K_WG_WAIT_BEGIN &&
        e->kind != WEFT_K_WG_WAIT_END)
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
                    {e->kind == WEFT_K_WG_DONE ? "done" : "add", e->stack}};
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
        if (delta > 0 && w->counter == 0) {
            /* A new generation. A Wait of an earlier one that had to wait
             * (the counter was not zero when it began) and has not
             * returned yet: the reuse Go panics on. */
            for (size_t i = 0; i < w->nwaits; i++) {
                struct wait *x = &w->waits[i];
                if (x->ended || x->thread == e->thread || x->counter_at_begin == 0)
                    continue;
                if (first_time(w, 1, e->stack)) {
                    char waiter[160];
                    struct weft__role roles[] = {{"add", e->stack}, {"wait", x->stack}};
                    weft__report(c, "wg-reused-before-wait-returned", "error", e->pid, e->thread,
                                 e->object, roles, 2,
                                 "WaitGroup 0x%llx reused: Add(%lld) by %s starts a new round "
                                 "while Wait in %s has not returned from the previous one",
                                 (unsigned long long)e->obj, (long long)delta,
                                 weft__thread_name(c, e->thread, who, sizeof who),
                                 weft__thread_name(c, x->thread, waiter, sizeof waiter));
                }
                break;
            }
            if (w->nadds == w->capadds) {
                size_t cap = w->capadds ? w->capadds * 2 : 8;
                struct add *n = realloc(w->adds, cap * sizeof *n);
                if (!n)
                    return;
                w->adds = n;
                w->capadds = cap;
            }
            struct add *a = &w->adds[w->nadds++];
            a->thread = e->thread;
            a->epoch = weft__vc_epoch(c->hb, e->thread);
            a->rv = weft__vc_now(c->hb, e->thread);
            a->event = e->id;
            a->stack = e->stack;
        }
        w->counter += delta;
        if (w->counter < 0)
            w->counter = 0;
        return;
    }
    if (e->kind == WEFT_K_WG_WAIT_BEGIN) {
        if (w->nwaits == w->capwaits) {
            size_t cap = w->capwaits ? w->capwaits * 2 : 8;
            struct wait *n = realloc(w->waits, cap * sizeof *n);
            if (!n)
                return;
            w->waits = n;
            w->capwaits = cap;
        }
        struct wait *x = &w->waits[w->nwaits++];
        memset(x, 0, sizeof *x);
        x->thread = e->thread;
        x->begin_epoch = weft__vc_epoch(c->hb, e->thread);
        x->begin_rv = weft__vc_now(c->hb, e->thread);
        x->event = e->id;
        x->stack = e->stack;
        x->counter_at_begin = w->counter;
        return;
    }
    /* WAIT_END: the thread's latest open Wait on this group. */
    for (size_t i = w->nwaits; i-- > 0;)
        if (w->waits[i].thread == e->thread && !w->waits[i].ended) {
            w->waits[i].ended = 1;
            w->waits[i].end_epoch = weft__vc_epoch(c->hb, e->thread);
            break;
        }
}

static void check(struct weft__dctx *c, struct wg *w) {
    for (size_t i = 0; i < w->nadds; i++) {
        struct add *a = &w->adds[i];
        for (size_t j = 0; j < w->nwaits; j++) {
            struct wait *x = &w->waits[j];
            if (x->thread == a->thread)
                continue; /* program order */
            if (weft__vc_knows(c->hb, &x->begin_rv, a->thread, a->epoch))
                continue; /* Add happens before the Wait */
            if (x->ended && weft__vc_knows(c->hb, &a->rv, x->thread, x->end_epoch))
                continue; /* the Wait returned before this Add: a later round */
            if (first_time(w, 2, a->stack)) {
                char who[160], waiter[160];
                struct weft__role roles[] = {{"add", a->stack}, {"wait", x->stack}};
                weft__report(c, "wg-add-concurrent-with-wait", "error", w->pid, a->thread,
                             w->object, roles, 2,
                             "WaitGroup 0x%llx: Add at counter 0 by %s is not ordered before "
                             "Wait in %s (no lock, channel, join or other sync orders them): "
                             "Wait may return before the Add, or wait for it, depending on "
                             "timing. Call Add before starting the goroutine, in the thread "
                             "that waits",
                             (unsigned long long)w->addr,
                             weft__thread_name(c, a->thread, who, sizeof who),
                             weft__thread_name(c, x->thread, waiter, sizeof waiter));
            }
            break;
        }
    }
}

static int finish(struct weft__dctx *c, void *self) {
    struct state *st = self;
    for (size_t i = 0; i < st->nwgs; i++)
        check(c, &st->wgs[i]);
    return 0;
}

static void drop(void *self) {
    struct state *st = self;
    for (size_t i = 0; i < st->nwgs; i++) {
        struct wg *w = &st->wgs[i];
        for (size_t k = 0; k < w->nadds; k++)
            weft__rv_drop(&w->adds[k].rv);
        for (size_t k = 0; k < w->nwaits; k++)
            weft__rv_drop(&w->waits[k].begin_rv);
        free(w->adds);
        free(w->waits);
        free(w->reported);
    }
    free(st->wgs);
}

const struct weft__detector weft__det_wg = {"waitgroup", sizeof(struct state), NULL, event, finish,
                                            drop};
