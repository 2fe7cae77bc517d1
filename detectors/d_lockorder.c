/* SPDX-License-Identifier: MIT */
/* d_lockorder.c: lock-order-inversion: locks taken in inconsistent
 * orders by different threads (a cycle in the lock graph), which can
 * deadlock on another schedule even when this run did not. TSan's
 * "lock-order-inversion (potential deadlock)" and Helgrind's "lock
 * order violated", for pthread mutexes (a cond wait's relock included)
 * and rwlocks; libweft has no lock of its own (its semaphore has no
 * owner).
 *
 * The lock graph has one edge per ordered pair of locks (A held while
 * B is taken) of a process, made the first time a thread takes B while
 * holding A; a lock is a node of the graph from its first such use until
 * its mutex is destroyed. Each edge keeps its first and its latest acquisition (the
 * thread, the stacks of A and B, the thread's clock then), what else
 * the thread held both times (the gate locks common to every time) and
 * whether A was ever held, and B ever taken, for writing. Only an
 * acquisition made while the thread holds another lock costs a lookup
 * per lock held: the rest is a push on the thread's short stack of
 * held locks.
 *
 * At the end, every cycle (the shortest through each edge, up to
 * MAX_CYCLE locks, one finding per set of locks) is reported unless:
 * - its edges cannot come from distinct threads (one thread's own
 *   orders never deadlock it: it cannot wait twice at once);
 * - two of its edges were made under a common gate lock (held for
 *   writing by one of them): the two threads cannot both be inside;
 * - a lock of the cycle cannot block the next thread: a read
 *   acquisition waits only for a writer, so where the edge into a lock
 *   only ever took it for reading and the edge out of it only ever
 *   held it for reading, the cycle is broken there (two readers never
 *   block each other; Helgrind and TSan order read acquisitions like
 *   write ones, and so report rd/rd cycles);
 * - the second lock of an edge was taken by a trylock (it cannot
 *   block: no edge is made), or the thread already held it (a
 *   recursive mutex, or a second read lock);
 * - its edges are ordered by happens-before (c->hb_nolock: every edge
 *   but the locks' own, which order any two critical sections of a
 *   run): a thread that takes A then B and is joined, or hands over
 *   through a channel, a condition variable, a semaphore, before the
 *   next takes B then A, can never wait for it. A handover through
 *   another mutex alone (polling a flag under it) is not seen as one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "table.h"

#define MAX_GATES 4 /* gate locks kept per edge: fewer only report more */
#define MAX_CYCLE 8 /* locks in a cycle reported (16 stacks: a fingerprint's) */
/* Edges looked at by all the searches for cycles together: a program
 * whose thousands of locks all reach each other stops there (the cycles
 * found so far are reported) instead of taking quadratic time. */
#define SEARCH_BUDGET 50000000ull

/* A lock the thread holds now. */
struct hold {
    uint64_t addr;
    int64_t object, stack;
    int count;         /* the thread's acquisitions of it (recursive) */
    uint8_t write, rw; /* held for writing; a rwlock (else a mutex) */
    uint32_t node;     /* its node in the graph, once looked up (0: not yet) */
};

struct tstate {
    struct hold *h;
    uint32_t n, cap;
    /* the mutex a cond wait gave back, for its relock's object */
    uint64_t cw_addr;
    int64_t cw_object;
};

/* One acquisition that made (or remade) an edge. */
struct inst {
    uint32_t thread, epoch; /* its epoch in c->hb_nolock */
    weft__rv rv;            /* its clock in c->hb_nolock then */
    int64_t held_stack, acq_stack;
};

struct edge {
    uint64_t pid1, na, nb; /* the key: pid + 1, the nodes of A (held) and B (taken) */
    uint64_t a, b;         /* their addresses */
    struct inst first, last;
    int64_t obj_a, obj_b;
    uint8_t rw_a, rw_b;
    uint8_t held_w, want_w; /* A ever held, B ever taken, for writing */
    uint8_t ngate;
    uint64_t gate[MAX_GATES];
    uint8_t gate_w[MAX_GATES]; /* held for writing every time */
};

/* A lock in the graph, numbered in the order it entered it. A mutex
 * destroyed leaves it: one made again at that address is another lock. */
struct node {
    uint64_t pid1, addr;
    uint32_t seq;
};

struct state {
    struct tstate *ts; /* by thread id */
    struct weft__table edges, nodes;
    uint32_t nnodes, nts;
    int nolock_failed;
};

static int init(struct weft__dctx *c, void *self) {
    struct state *st = self;
    st->nts = c->nthreads;
    st->ts = calloc((size_t)c->nthreads + 1, sizeof *st->ts);
    st->edges = (struct weft__table)WEFT__TABLE(struct edge, 3);
    st->nodes = (struct weft__table)WEFT__TABLE(struct node, 2);
    return st->ts ? 0 : -1;
}

/* A live ingest's trace gained threads: their held-lock lists. */
static int grow(struct weft__dctx *c, void *self, uint32_t old_n, int old_procs) {
    struct state *st = self;
    (void)old_procs;
    if (weft__grow_array((void **)&st->ts, sizeof *st->ts, old_n, c->nthreads) != 0)
        return -1;
    st->nts = c->nthreads;
    return 0;
}

/* The node of lock addr (0 when out of memory). */
static uint32_t node_of(struct state *st, uint64_t pid1, uint64_t addr) {
    uint64_t k[2] = {pid1, addr};
    struct node *n = weft__table_get(&st->nodes, k, 1);
    if (n && !n->seq)
        n->seq = ++st->nnodes;
    return n ? n->seq : 0;
}

static void inst_set(struct weft__dctx *c, struct inst *in, uint32_t t, int64_t held_stack,
                     int64_t acq_stack) {
    weft__rv_drop(&in->rv);
    in->thread = t;
    in->epoch = weft__vc_epoch(c->hb_nolock, t);
    in->rv = weft__vc_now(c->hb_nolock, t);
    in->held_stack = held_stack;
    in->acq_stack = acq_stack;
}

/* Thread t, holding ts->h[i], takes lock addr (node nb): the edge h[i]
 * -> addr. */
static void add_edge(struct weft__dctx *c, struct state *st, const struct weft__ev *e,
                     struct tstate *ts, uint32_t i, uint64_t addr, uint32_t nb, int64_t object,
                     int write, int rw) {
    struct hold *a = &ts->h[i];
    uint64_t pid1 = (uint64_t)e->pid + 1;
    if (!a->node && !(a->node = node_of(st, pid1, a->addr)))
        return;
    uint64_t k[3] = {pid1, a->node, nb};
    struct edge *ed = weft__table_get(&st->edges, k, 0);
    if (!ed) {
        if (!(ed = weft__table_get(&st->edges, k, 1)))
            return;
        ed->a = a->addr;
        ed->b = addr;
        inst_set(c, &ed->first, e->thread, a->stack, e->stack);
        ed->obj_a = a->object;
        ed->obj_b = object;
        ed->rw_a = a->rw;
        ed->rw_b = (uint8_t)rw;
        for (uint32_t j = 0; j < ts->n && ed->ngate < MAX_GATES; j++)
            if (j != i) {
                ed->gate[ed->ngate] = ts->h[j].addr;
                ed->gate_w[ed->ngate++] = ts->h[j].write;
            }
    } else {
        /* The gates are those held every time. */
        for (uint8_t g = 0; g < ed->ngate;) {
            uint32_t j = 0;
            while (j < ts->n && (j == i || ts->h[j].addr != ed->gate[g]))
                j++;
            if (j == ts->n) {
                ed->gate[g] = ed->gate[ed->ngate - 1];
                ed->gate_w[g] = ed->gate_w[--ed->ngate];
                continue;
            }
            ed->gate_w[g] &= ts->h[j].write;
            g++;
        }
    }
    inst_set(c, &ed->last, e->thread, a->stack, e->stack);
    ed->held_w |= a->write;
    ed->want_w |= (uint8_t)write;
}

static void acquire(struct weft__dctx *c, struct state *st, const struct weft__ev *e, uint64_t addr,
                    int64_t object, int write, int rw, int try) {
    struct tstate *ts = &st->ts[e->thread];
    for (uint32_t i = 0; i < ts->n; i++)
        if (ts->h[i].addr == addr) {
            ts->h[i].count++; /* already its own: it did not wait for anyone */
            return;
        }
    uint32_t nb = 0;
    if (ts->n && !try) {
        if (!c->hb_nolock && !st->nolock_failed && weft__hb_nolock_start(c) != 0)
            st->nolock_failed = 1;
        struct weft__thr *t = weft__thr_of(c, e->thread);
        /* The held locks enter the graph before the one taken. */
        for (uint32_t i = 0; i < ts->n && c->hb_nolock; i++)
            if (!ts->h[i].node)
                ts->h[i].node = node_of(st, (uint64_t)e->pid + 1, ts->h[i].addr);
        if (c->hb_nolock && (!t || !t->internal) &&
            (nb = node_of(st, (uint64_t)e->pid + 1, addr)) != 0)
            for (uint32_t i = 0; i < ts->n; i++)
                add_edge(c, st, e, ts, i, addr, nb, object, write, rw);
    }
    if (ts->n == ts->cap) {
        uint32_t nc = ts->cap ? ts->cap * 2 : 4;
        struct hold *n = realloc(ts->h, nc * sizeof *n);
        if (!n)
            return;
        ts->h = n;
        ts->cap = nc;
    }
    ts->h[ts->n++] = (struct hold){addr, object, e->stack, 1, (uint8_t)write, (uint8_t)rw, nb};
}

static void release(struct state *st, const struct weft__ev *e, uint64_t addr) {
    struct tstate *ts = &st->ts[e->thread];
    for (uint32_t i = ts->n; i-- > 0;)
        if (ts->h[i].addr == addr) {
            if (--ts->h[i].count > 0)
                return;
            if (ts->h[i].rw == 0) {
                ts->cw_addr = addr;
                ts->cw_object = ts->h[i].object;
            }
            memmove(&ts->h[i], &ts->h[i + 1], (ts->n - i - 1) * sizeof *ts->h);
            ts->n--;
            return;
        }
}

static void event(struct weft__dctx *c, void *self, const struct weft__ev *e) {
    struct state *st = self;
    if (e->thread < 1 || e->thread > c->nthreads)
        return;
    uint64_t obj = (uint64_t)e->obj;
    switch (e->kind) {
    case WEFT_K_MUTEX_LOCK_END:
    case WEFT_K_MUTEX_TRYLOCK:
        if (e->arg == 0)
            acquire(c, st, e, obj, e->object, 1, 0, e->kind == WEFT_K_MUTEX_TRYLOCK);
        break;
    case WEFT_K_RW_RDLOCK_END:
    case WEFT_K_RW_WRLOCK_END:
        if (e->arg == 0)
            acquire(c, st, e, obj, e->object, e->kind == WEFT_K_RW_WRLOCK_END, 1, 0);
        break;
    case WEFT_K_RW_TRYLOCK:
        if (e->arg == 0)
            acquire(c, st, e, obj, e->object, e->arg2 != 0, 1, 1);
        break;
    case WEFT_K_MUTEX_UNLOCK:
    case WEFT_K_RW_UNLOCK:
        release(st, e, obj);
        break;
    case WEFT_K_MUTEX_RELOCKS: /* locks and unlocks of one mutex, nothing else held */
        acquire(c, st, e, obj, e->object, 1, 0, 0);
        release(st, e, obj);
        break;
    case WEFT_K_COND_WAIT_BEGIN: /* the wait unlocks its mutex */
        release(st, e, (uint64_t)e->arg);
        break;
    case WEFT_K_COND_WAIT_END: { /* ... and waits to lock it again */
        const struct tstate *ts = &st->ts[e->thread];
        uint64_t m = (uint64_t)e->arg2;
        acquire(c, st, e, m, ts->cw_addr == m ? ts->cw_object : 0, 1, 0, 0);
        break;
    }
    case WEFT_K_MUTEX_DESTROY: { /* a mutex made again here is another one */
        uint64_t k[2] = {(uint64_t)e->pid + 1, obj};
        weft__table_del(&st->nodes, k);
        break;
    }
    case WEFT_K_THREAD_RETURN:
    case WEFT_K_THREAD_EXIT:
    case WEFT_K_THREAD_CANCELED:
        st->ts[e->thread].n = 0;
        break;
    default:
        break;
    }
}

/* ---- at the end: the cycles ---- */

struct gedge {
    uint32_t src, dst; /* node seqs */
    struct edge *e;
};

struct graph {
    struct gedge *e; /* sorted by (source, target) */
    uint32_t ne, nn;
    uint32_t *first; /* per node (1..nn): its first out-edge; first[nn + 1] = ne */
    uint32_t *comp;  /* per node: its strongly connected component */
};

static int by_ends(const void *x, const void *y) {
    const struct gedge *a = x, *b = y;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    return a->dst < b->dst ? -1 : a->dst > b->dst;
}

/* Tarjan's strongly connected components, without recursion. */
static int components(struct graph *g) {
    uint32_t n = g->nn;
    uint32_t *index = calloc((size_t)n + 1, sizeof *index),
             *low = calloc((size_t)n + 1, sizeof *low),
             *stack = malloc(((size_t)n + 1) * sizeof *stack),
             *call = malloc(((size_t)n + 1) * sizeof *call),
             *next = malloc(((size_t)n + 1) * sizeof *next);
    uint8_t *on = calloc((size_t)n + 1, 1);
    g->comp = calloc((size_t)n + 1, sizeof *g->comp);
    int rc = -1;
    if (!index || !low || !stack || !call || !next || !on || !g->comp)
        goto out;
    uint32_t counter = 0, sp = 0, ncomp = 0;
    for (uint32_t root = 1; root <= n; root++) {
        if (index[root])
            continue;
        uint32_t depth = 0;
        call[depth++] = root;
        index[root] = low[root] = ++counter;
        stack[sp++] = root;
        on[root] = 1;
        next[root] = g->first[root];
        while (depth) {
            uint32_t v = call[depth - 1];
            if (next[v] < g->first[v + 1]) {
                uint32_t w = g->e[next[v]++].dst;
                if (!index[w]) {
                    index[w] = low[w] = ++counter;
                    stack[sp++] = w;
                    on[w] = 1;
                    next[w] = g->first[w];
                    call[depth++] = w;
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                ncomp++;
                uint32_t w;
                do {
                    w = stack[--sp];
                    on[w] = 0;
                    g->comp[w] = ncomp;
                } while (w != v);
            }
            depth--;
            if (depth) {
                uint32_t u = call[depth - 1];
                if (low[v] < low[u])
                    low[u] = low[v];
            }
        }
    }
    rc = 0;
out:
    free(index);
    free(low);
    free(stack);
    free(call);
    free(next);
    free(on);
    return rc;
}

/* Whether acquisitions x and y (of two threads) are ordered by
 * happens-before, lock edges aside. */
static int ordered(const struct weft__dctx *c, const struct inst *x, const struct inst *y) {
    return weft__vc_knows(c->hb_nolock, &y->rv, x->thread, x->epoch) ||
           weft__vc_knows(c->hb_nolock, &x->rv, y->thread, y->epoch);
}

/* Whether edges x and y share a gate lock that keeps them apart. */
static int gated(const struct edge *x, const struct edge *y) {
    for (uint8_t i = 0; i < x->ngate; i++)
        for (uint8_t j = 0; j < y->ngate; j++)
            if (x->gate[i] == y->gate[j] && (x->gate_w[i] || y->gate_w[j]))
                return 1;
    return 0;
}

/* The acquisitions (first or latest, by bit i of the returned mask) of
 * the cycle's k edges that could deadlock together: distinct threads,
 * none ordered before another. -1 when there are none (or the cycle is
 * broken by a gate or by readers). */
static int feasible(const struct weft__dctx *c, struct edge *const *cy, int k) {
    for (int i = 0; i < k; i++) {
        const struct edge *in = cy[(i + k - 1) % k], *out = cy[i];
        if (!in->want_w && !out->held_w)
            return -1; /* readers only on this lock: it blocks no one */
        for (int j = i + 1; j < k; j++)
            if (gated(cy[i], cy[j]))
                return -1;
    }
    for (int mask = 0; mask < 1 << k; mask++) {
        const struct inst *pick[MAX_CYCLE];
        int ok = 1;
        for (int i = 0; i < k && ok; i++) {
            if ((mask >> i & 1) && cy[i]->last.thread == cy[i]->first.thread &&
                cy[i]->last.epoch == cy[i]->first.epoch)
                ok = 0; /* the same as mask without bit i */
            pick[i] = mask >> i & 1 ? &cy[i]->last : &cy[i]->first;
            for (int j = 0; j < i && ok; j++)
                ok = pick[j]->thread != pick[i]->thread && !ordered(c, pick[j], pick[i]);
        }
        if (ok)
            return mask;
    }
    return -1;
}

static const char *lock_name(const struct edge *e, int which, char *buf, size_t n) {
    int rw = which ? e->rw_b : e->rw_a;
    unsigned long long addr = (unsigned long long)(which ? e->b : e->a);
    if (!rw)
        snprintf(buf, n, "mutex 0x%llx", addr);
    else
        snprintf(buf, n, "rwlock 0x%llx (%s)", addr,
                 (which ? e->want_w : e->held_w) ? "write" : "read");
    return buf;
}

static void report(struct weft__dctx *c, struct edge *const *cy, int k, int mask) {
    char msg[1800];
    size_t len = (size_t)snprintf(msg, sizeof msg,
                                  "lock order inversion (potential deadlock): a cycle of %d locks "
                                  "taken in inconsistent orders:",
                                  k);
    struct weft__role roles[2 * MAX_CYCLE];
    char names[2 * MAX_CYCLE][24];
    for (int i = 0; i < k; i++) {
        const struct inst *in = mask >> i & 1 ? &cy[i]->last : &cy[i]->first;
        char who[160], la[64], lb[64];
        if (len < sizeof msg)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s %s took %s, then %s",
                                    i ? ";" : "", weft__thread_name(c, in->thread, who, sizeof who),
                                    lock_name(cy[i], 0, la, sizeof la),
                                    lock_name(cy[i], 1, lb, sizeof lb));
        snprintf(names[2 * i], sizeof names[0], "edge%d held", i + 1);
        snprintf(names[2 * i + 1], sizeof names[0], "edge%d acquired", i + 1);
        roles[2 * i] = (struct weft__role){names[2 * i], in->held_stack, 0};
        roles[2 * i + 1] = (struct weft__role){names[2 * i + 1], in->acq_stack, 0};
    }
    const struct inst *in0 = mask & 1 ? &cy[0]->last : &cy[0]->first;
    weft__report(c, "lock-order-inversion", "error", (int64_t)cy[0]->pid1 - 1, in0->thread,
                 cy[0]->obj_a, roles, 2 * k, "%s", msg);
}

/* The shortest path from node v back to node u inside u's component,
 * as edge indexes into path (u -> v first), or 0 when there is none of
 * at most MAX_CYCLE edges. via/dist/queue: per node scratch. */
static int shortest_cycle(const struct graph *g, uint32_t ei, uint32_t *via, uint32_t *dist,
                          uint32_t *queue, uint32_t *path, uint64_t *spent) {
    uint32_t u = g->e[ei].src, v = g->e[ei].dst, head = 0, tail = 0, found = 0;
    if (u == v)
        return 0;
    queue[tail++] = v;
    dist[v] = 1;
    while (head < tail && !found) {
        uint32_t x = queue[head++];
        if (dist[x] >= MAX_CYCLE)
            continue;
        *spent += g->first[x + 1] - g->first[x];
        for (uint32_t j = g->first[x]; j < g->first[x + 1]; j++) {
            uint32_t y = g->e[j].dst;
            if (g->comp[y] != g->comp[u] || dist[y])
                continue;
            dist[y] = dist[x] + 1;
            via[y] = j;
            queue[tail++] = y;
            if (y == u) {
                found = 1;
                break;
            }
        }
    }
    int n = 0;
    if (found) {
        n = (int)dist[u];
        path[0] = ei;
        for (uint32_t x = u, i = (uint32_t)n - 1; x != v; x = g->e[via[x]].src, i--)
            path[i] = via[x];
    }
    for (uint32_t i = 0; i < tail; i++)
        dist[queue[i]] = 0;
    return n;
}

static int finish(struct weft__dctx *c, void *self) {
    struct state *st = self;
    struct graph g = {0};
    int rc = -1;
    uint32_t *via = NULL, *dist = NULL, *queue = NULL, *seen = NULL;
    size_t nseen = 0, capseen = 0;
    uint64_t spent = 0;
    if (!st->edges.n || !c->hb_nolock)
        return 0;
    g.nn = st->nnodes;
    g.e = malloc(st->edges.n * sizeof *g.e);
    g.first = calloc((size_t)g.nn + 2, sizeof *g.first);
    via = calloc((size_t)g.nn + 1, sizeof *via);
    dist = calloc((size_t)g.nn + 1, sizeof *dist);
    queue = calloc((size_t)g.nn + 1, sizeof *queue);
    if (!g.e || !g.first || !via || !dist || !queue)
        goto out;
    for (size_t i = 0; i < st->edges.cap; i++) {
        struct edge *e = weft__table_at(&st->edges, i);
        if (e)
            g.e[g.ne++] = (struct gedge){(uint32_t)e->na, (uint32_t)e->nb, e};
    }
    qsort(g.e, g.ne, sizeof *g.e, by_ends);
    for (uint32_t x = 1, i = 0; x <= g.nn + 1; x++) {
        while (i < g.ne && g.e[i].src < x)
            i++;
        g.first[x] = i;
    }
    if (components(&g) != 0)
        goto out;
    for (uint32_t ei = 0; ei < g.ne; ei++) {
        if (g.comp[g.e[ei].src] != g.comp[g.e[ei].dst])
            continue;
        uint32_t path[MAX_CYCLE];
        if (spent > SEARCH_BUDGET)
            break;
        int k = shortest_cycle(&g, ei, via, dist, queue, path, &spent);
        if (k < 2)
            continue;
        /* Once per set of locks: its node seqs, sorted, as the key; the
         * cycle starts at its lock that entered the graph first. */
        uint32_t key[MAX_CYCLE + 1] = {(uint32_t)k};
        int start = 0;
        for (int i = 0; i < k; i++) {
            key[i + 1] = g.e[path[i]].src;
            if (key[i + 1] < g.e[path[start]].src)
                start = i;
        }
        for (int i = 1; i < k; i++)
            for (int j = i + 1; j <= k; j++)
                if (key[j] < key[i]) {
                    uint32_t t = key[i];
                    key[i] = key[j];
                    key[j] = t;
                }
        int dup = 0;
        for (size_t s = 0; s < nseen && !dup; s += MAX_CYCLE + 1)
            dup = !memcmp(&seen[s], key, sizeof key);
        if (dup)
            continue;
        if (nseen + MAX_CYCLE + 1 > capseen) {
            size_t nc = capseen ? capseen * 2 : 16 * (MAX_CYCLE + 1);
            uint32_t *n = realloc(seen, nc * sizeof *n);
            if (!n)
                goto out;
            seen = n;
            capseen = nc;
        }
        memcpy(&seen[nseen], key, sizeof key);
        nseen += MAX_CYCLE + 1;
        struct edge *cy[MAX_CYCLE];
        for (int i = 0; i < k; i++)
            cy[i] = g.e[path[(start + i) % k]].e;
        int mask = feasible(c, cy, k);
        if (mask >= 0)
            report(c, cy, k, mask);
    }
    rc = 0;
out:
    free(g.e);
    free(g.first);
    free(g.comp);
    free(via);
    free(dist);
    free(queue);
    free(seen);
    return rc;
}

static void drop(void *self) {
    struct state *st = self;
    for (size_t i = 0; i < st->edges.cap; i++) {
        struct edge *e = weft__table_at(&st->edges, i);
        if (e) {
            weft__rv_drop(&e->first.rv);
            weft__rv_drop(&e->last.rv);
        }
    }
    weft__table_free(&st->edges);
    weft__table_free(&st->nodes);
    for (uint32_t i = 0; st->ts && i <= st->nts; i++)
        free(st->ts[i].h);
    free(st->ts);
}

const struct weft__detector weft__det_lockorder = {.name = "lockorder",
                                                   .size = sizeof(struct state),
                                                   .init = init,
                                                   .event = event,
                                                   .finish = finish,
                                                   .drop = drop,
                                                   .grow = grow};
