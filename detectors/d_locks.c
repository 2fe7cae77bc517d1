/* SPDX-License-Identifier: MIT */
/* d_locks.c: lock-held-at-exit: a thread that finished (returned,
 * pthread_exit, cancelled) while holding a pthread mutex, which no other
 * thread can then unlock. Holders are replayed from lock/trylock results,
 * unlocks, and condition waits (which unlock and relock their mutex). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct held {
    int64_t pid, addr, object, stack;
    uint32_t holder;
    int count;
};

static struct held *hs;
static size_t nhs, caphs;
static int *nheld; /* per thread: mutexes it holds */

static struct held *find(int64_t pid, int64_t addr, int create) {
    for (size_t i = 0; i < nhs; i++)
        if (hs[i].addr == addr && hs[i].pid == pid)
            return &hs[i];
    if (!create)
        return NULL;
    if (nhs == caphs) {
        size_t cap = caphs ? caphs * 2 : 16;
        struct held *n = realloc(hs, cap * sizeof *n);
        if (!n)
            return NULL;
        hs = n;
        caphs = cap;
    }
    memset(&hs[nhs], 0, sizeof hs[nhs]);
    hs[nhs].pid = pid;
    hs[nhs].addr = addr;
    return &hs[nhs++];
}

static int init(struct weft__dctx *c) {
    nhs = 0;
    nheld = calloc((size_t)c->nthreads + 1, sizeof *nheld);
    return nheld ? 0 : -1;
}

static void lock(const struct weft__ev *e, int64_t addr) {
    struct held *h = find(e->pid, addr, 1);
    if (!h)
        return;
    if (h->count == 0 || h->holder != e->thread) {
        if (h->count > 0 && h->holder)
            nheld[h->holder]--; /* we missed an unlock: the new owner wins */
        h->holder = e->thread;
        h->count = 0;
        nheld[e->thread]++;
    }
    h->count++;
    h->object = e->object;
    h->stack = e->stack;
}

static void unlock(const struct weft__ev *e, int64_t addr) {
    struct held *h = find(e->pid, addr, 0);
    if (!h || h->count == 0 || h->holder != e->thread)
        return;
    if (--h->count == 0) {
        nheld[h->holder]--;
        h->holder = 0;
    }
}

static void event(struct weft__dctx *c, const struct weft__ev *e) {
    if (e->thread > c->nthreads)
        return;
    switch (e->kind) {
    case WEFT_K_MUTEX_LOCK_END:
    case WEFT_K_MUTEX_TRYLOCK:
        if (e->arg == 0)
            lock(e, e->obj);
        break;
    case WEFT_K_MUTEX_UNLOCK:
        unlock(e, e->obj);
        break;
    case WEFT_K_COND_WAIT_BEGIN:
        unlock(e, e->arg);
        break;
    case WEFT_K_COND_WAIT_END:
        lock(e, e->arg2);
        break;
    case WEFT_K_MUTEX_DESTROY: {
        struct held *h = find(e->pid, e->obj, 0);
        if (h && h->count && h->holder)
            nheld[h->holder]--;
        if (h)
            h->count = 0, h->holder = 0;
        break;
    }
    case WEFT_K_THREAD_RETURN:
    case WEFT_K_THREAD_EXIT:
    case WEFT_K_THREAD_CANCELED: {
        if (!nheld[e->thread])
            break;
        struct weft__thr *t = weft__thr_of(c, e->thread);
        if (t && t->internal)
            break;
        for (size_t i = 0; i < nhs; i++) {
            struct held *h = &hs[i];
            if (h->holder != e->thread || h->count == 0 || h->pid != e->pid)
                continue;
            char who[160];
            struct weft__role roles[] = {
                {"exit", e->stack}, {"lock", h->stack}, {"creation", t ? t->create_stack : 0}};
            weft__report(c, "lock-held-at-exit", "error", e->pid, e->thread, h->object, roles, 3,
                         "%s %s while holding mutex 0x%llx: no other thread can unlock it",
                         weft__thread_name(c, e->thread, who, sizeof who),
                         e->kind == WEFT_K_THREAD_CANCELED ? "was cancelled"
                         : e->kind == WEFT_K_THREAD_EXIT   ? "called pthread_exit"
                                                           : "returned",
                         (unsigned long long)h->addr);
        }
        break;
    }
    default:
        break;
    }
}

static int finish(struct weft__dctx *c) {
    (void)c;
    free(hs);
    hs = NULL;
    nhs = caphs = 0;
    free(nheld);
    nheld = NULL;
    return 0;
}

const struct weft__detector weft__det_locks = {"locks", init, event, finish};
