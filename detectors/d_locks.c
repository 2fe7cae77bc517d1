/* SPDX-License-Identifier: MIT */
/* d_locks.c: lock-held-at-exit: a thread that finished (returned,
 * pthread_exit, cancelled) while holding a pthread mutex, which no other
 * thread can then unlock. Holders are replayed from lock/trylock results,
 * unlocks, and condition waits (which unlock and relock their mutex).
 *
 * The mutexes held now are in a table.h hash table by (pid, address):
 * every lock and unlock looks its mutex up, and a server has thousands
 * of them (memcached's item locks); a linear search over every mutex ever
 * seen was a fifth of the ingest's time on bench/pipeline/shapes.sh's
 * memcached. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "table.h"

/* A mutex held now, keyed by (pid, address): an entry exists only while
 * its mutex is held, so the table is as big as what is held. */
struct held {
    uint64_t pid1, addr; /* the key: pid + 1 (a table key never starts with 0) and address */
    int64_t object, stack;
    uint64_t seq; /* since when it is held: findings of one exit come in this order */
    uint32_t holder;
    int count;
};

/* Per thread: the mutex its last condition wait gave back, and that
 * mutex's object: the wait's own event names the condition variable, so
 * its relock takes the mutex's object from here. */
struct cwait {
    int64_t addr, object;
};

struct state {
    struct weft__table hs; /* struct held */
    uint64_t nseen;
    int *nheld;          /* per thread: mutexes it holds */
    struct cwait *cwait; /* per thread */
};

static struct held *find(struct state *st, int64_t pid, int64_t addr, int create) {
    uint64_t k[2] = {(uint64_t)pid + 1, (uint64_t)addr};
    struct held *h = weft__table_get(&st->hs, k, create);
    if (h && create && !h->seq)
        h->seq = ++st->nseen;
    return h;
}

static void forget(struct state *st, struct held *h) {
    uint64_t k[2] = {h->pid1, h->addr};
    weft__table_del(&st->hs, k);
}

static int by_seq(const void *a, const void *b) {
    const struct held *x = *(struct held *const *)a, *y = *(struct held *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int init(struct weft__dctx *c, void *self) {
    struct state *st = self;
    st->hs = (struct weft__table)WEFT__TABLE(struct held, 2);
    st->nheld = calloc((size_t)c->nthreads + 1, sizeof *st->nheld);
    st->cwait = calloc((size_t)c->nthreads + 1, sizeof *st->cwait);
    return st->nheld && st->cwait ? 0 : -1;
}

static int grow(struct weft__dctx *c, void *self, uint32_t old_n, int old_procs) {
    struct state *st = self;
    (void)old_procs;
    if (weft__grow_array((void **)&st->nheld, sizeof *st->nheld, old_n, c->nthreads) != 0)
        return -1;
    return weft__grow_array((void **)&st->cwait, sizeof *st->cwait, old_n, c->nthreads);
}

static void lock(struct state *st, const struct weft__ev *e, int64_t addr, int64_t object) {
    struct held *h = find(st, e->pid, addr, 1);
    if (!h)
        return;
    if (h->count == 0 || h->holder != e->thread) {
        if (h->count > 0 && h->holder)
            st->nheld[h->holder]--; /* we missed an unlock: the new owner wins */
        h->holder = e->thread;
        h->count = 0;
        st->nheld[e->thread]++;
    }
    h->count++;
    h->object = object;
    h->stack = e->stack;
}

static void unlock(struct state *st, const struct weft__ev *e, int64_t addr) {
    struct held *h = find(st, e->pid, addr, 0);
    if (!h || h->count == 0 || h->holder != e->thread)
        return;
    if (e->kind == WEFT_K_COND_WAIT_BEGIN)
        st->cwait[e->thread] = (struct cwait){addr, h->object};
    if (--h->count == 0) {
        st->nheld[h->holder]--;
        forget(st, h);
    }
}

/* The kinds event() reads (its switch's cases). */
static int wants(int kind) {
    switch (kind) {
    case WEFT_K_MUTEX_LOCK_END:
    case WEFT_K_MUTEX_TRYLOCK:
    case WEFT_K_MUTEX_UNLOCK:
    case WEFT_K_COND_WAIT_BEGIN:
    case WEFT_K_COND_WAIT_END:
    case WEFT_K_MUTEX_DESTROY:
    case WEFT_K_THREAD_RETURN:
    case WEFT_K_THREAD_EXIT:
    case WEFT_K_THREAD_CANCELED:
        return 1;
    default:
        return 0;
    }
}

static void event(struct weft__dctx *c, void *self, const struct weft__ev *e) {
    struct state *st = self;
    if (e->thread > c->nthreads)
        return;
    switch (e->kind) {
    case WEFT_K_MUTEX_LOCK_END:
    case WEFT_K_MUTEX_TRYLOCK:
        if (e->arg == 0)
            lock(st, e, e->obj, e->object);
        break;
    case WEFT_K_MUTEX_UNLOCK:
        unlock(st, e, e->obj);
        break;
    case WEFT_K_COND_WAIT_BEGIN:
        unlock(st, e, e->arg);
        break;
    case WEFT_K_COND_WAIT_END:
        lock(st, e, e->arg2,
             st->cwait[e->thread].addr == e->arg2 ? st->cwait[e->thread].object : 0);
        break;
    case WEFT_K_MUTEX_DESTROY: {
        struct held *h = find(st, e->pid, e->obj, 0);
        if (h && h->count && h->holder)
            st->nheld[h->holder]--;
        if (h)
            forget(st, h);
        break;
    }
    case WEFT_K_THREAD_RETURN:
    case WEFT_K_THREAD_EXIT:
    case WEFT_K_THREAD_CANCELED: {
        if (!st->nheld[e->thread])
            break;
        struct weft__thr *t = weft__thr_of(c, e->thread);
        if (t && t->internal)
            break;
        /* This thread's mutexes, in the order it took them. */
        struct held **mine = malloc((size_t)st->nheld[e->thread] * sizeof *mine);
        if (!mine)
            break;
        size_t n = 0;
        for (size_t i = 0; i < st->hs.cap && n < (size_t)st->nheld[e->thread]; i++) {
            struct held *h = weft__table_at(&st->hs, i);
            if (h && h->holder == e->thread && h->count > 0 && h->pid1 == (uint64_t)e->pid + 1)
                mine[n++] = h;
        }
        qsort(mine, n, sizeof *mine, by_seq);
        for (size_t i = 0; i < n; i++) {
            const struct held *h = mine[i];
            char who[160];
            struct weft__role roles[] = {
                {"exit", e->stack, 0}, {"lock", h->stack, 0}, {"creation", 0, e->thread}};
            weft__report(c, "lock-held-at-exit", "error", e->pid, e->thread, h->object, roles, 3,
                         "%s %s while holding mutex 0x%llx: no other thread can unlock it",
                         weft__thread_name(c, e->thread, who, sizeof who),
                         e->kind == WEFT_K_THREAD_CANCELED ? "was cancelled"
                         : e->kind == WEFT_K_THREAD_EXIT   ? "called pthread_exit"
                                                           : "returned",
                         (unsigned long long)h->addr);
        }
        free(mine);
        break;
    }
    default:
        break;
    }
}

static void drop(void *self) {
    struct state *st = self;
    weft__table_free(&st->hs);
    free(st->nheld);
    free(st->cwait);
}

const struct weft__detector weft__det_locks = {.name = "locks",
                                               .size = sizeof(struct state),
                                               .init = init,
                                               .event = event,
                                               .drop = drop,
                                               .wants = wants,
                                               .grow = grow};
