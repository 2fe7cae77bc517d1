/* SPDX-License-Identifier: MIT */
/* d_locks.c: lock-held-at-exit: a thread that finished (returned,
 * pthread_exit, cancelled) while holding a pthread mutex, which no other
 * thread can then unlock. Holders are replayed from lock/trylock results,
 * unlocks, and condition waits (which unlock and relock their mutex).
 *
 * The mutexes are in a table.h hash table by (pid, address): every lock
 * and unlock looks its mutex up, and a server has thousands of them
 * (memcached's item locks); a linear search here was a fifth of the
 * ingest's time on bench/pipeline/shapes.sh's memcached. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "table.h"

struct held {
    uint64_t pid1, addr; /* the key: pid + 1 (a table key never starts with 0) and address */
    int64_t object, stack;
    uint64_t seq; /* order of first sight: findings of one exit come in it */
    uint32_t holder;
    int count;
};

static struct weft__table hs = WEFT__TABLE(struct held, 2);
static uint64_t nseen;
static int *nheld; /* per thread: mutexes it holds */

static struct held *find(int64_t pid, int64_t addr, int create) {
    uint64_t k[2] = {(uint64_t)pid + 1, (uint64_t)addr};
    struct held *h = weft__table_get(&hs, k, create);
    if (h && create && !h->seq)
        h->seq = ++nseen;
    return h;
}

static int by_seq(const void *a, const void *b) {
    const struct held *x = *(struct held *const *)a, *y = *(struct held *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int init(struct weft__dctx *c) {
    weft__table_free(&hs); /* empty, unless a run before ended without finish */
    nseen = 0;
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
        /* This thread's mutexes, in the order they were first seen. */
        struct held **mine = malloc((size_t)nheld[e->thread] * sizeof *mine);
        if (!mine)
            break;
        size_t n = 0;
        for (size_t i = 0; i < hs.cap && n < (size_t)nheld[e->thread]; i++) {
            struct held *h = weft__table_at(&hs, i);
            if (h && h->holder == e->thread && h->count > 0 && h->pid1 == (uint64_t)e->pid + 1)
                mine[n++] = h;
        }
        qsort(mine, n, sizeof *mine, by_seq);
        for (size_t i = 0; i < n; i++) {
            struct held *h = mine[i];
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
    weft__table_free(&hs);
    free(nheld);
    nheld = NULL;
    return 0;
}

const struct weft__detector weft__det_locks = {"locks", init, event, finish};
