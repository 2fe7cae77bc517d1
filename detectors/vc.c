/* SPDX-License-Identifier: MIT */
/* vc.c: the happens-before engine (see vc.h): sparse, copy-on-write vector
 * clocks, releases and acquires, the join summaries that keep clocks small,
 * and the table of clocks stored on objects and libweft's (obj, seq) edges.
 *
 * Cost model: a release is O(1) (a reference to the releaser's snapshot);
 * an acquire that teaches nothing new is O(1) when the value comes from one
 * thread (the "already knows t up to c" test) and O(n) otherwise; one that
 * teaches something builds a new snapshot in O(n), n being the number of
 * threads the two clocks mention. Joined threads drop out of clocks (see
 * weft__vc_joined), so create/join churn keeps n small. */
#include "vc.h"

#include <stdlib.h>
#include <string.h>

struct ent {
    uint32_t t, c;
};

struct weft__snap {
    uint32_t ref, n, cap; /* cap: entries allocated (n or more) */
    struct ent e[];
};

struct thr {
    struct weft__snap *base;            /* what it knows of others (never its own entry) */
    uint32_t own;                       /* its epoch */
    uint32_t joiner, join_epoch, final; /* set when joined (or summarised after its end) */
    uint32_t gone; /* ended, detached: the epoch of its last release (all one can know) */
};

struct slot {
    uint64_t k1, k2, k3;
    weft__rv v;
    int used, once;
    uint32_t tag_a; /* weft__vc_tag's, 0 0: none */
    int64_t tag_b;
};

/* The scratch clock that merges build is a snapshot of its own (ref 0,
 * no one's), so that a thread's new base can be the scratch itself
 * (set_base swaps the two) instead of a copy of it. */
struct weft__vc {
    uint32_t n;
    struct thr *thr;
    struct weft__snap *sc; /* NULL until needed, and after set_base took it */
    struct slot *tab;
    size_t tab_cap, tab_used;
    uint32_t ngone; /* threads with thr.gone set: none, and summarise has nothing to do */
    /* The slot the last obj_release used (tagging it needs no lookup:
     * keys are unique, so the slot is still the key's when it holds the
     * key, whatever moved since); the tag the last obj_acquire found. */
    size_t rel_slot;
    uint32_t acq_tag_a;
    int64_t acq_tag_b;
};

/* Join summaries are followed this deep; deeper chains (a thread joined by
 * a thread joined by ...) are read as "not known", which can only make two
 * events look concurrent, never ordered. */
enum { SUMMARY_DEPTH = 64 };

struct weft__vc *weft__vc_new(uint32_t nthreads) {
    struct weft__vc *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->n = nthreads;
    h->thr = calloc((size_t)nthreads + 1, sizeof *h->thr);
    if (!h->thr) {
        free(h);
        return NULL;
    }
    for (uint32_t i = 0; i <= nthreads; i++)
        h->thr[i].own = 1; /* epoch 0 means "knows nothing" */
    return h;
}

int weft__vc_grow(struct weft__vc *h, uint32_t nthreads) {
    if (nthreads <= h->n)
        return 0;
    struct thr *t = realloc(h->thr, ((size_t)nthreads + 1) * sizeof *t);
    if (!t)
        return -1;
    memset(t + h->n + 1, 0, (size_t)(nthreads - h->n) * sizeof *t);
    for (uint32_t i = h->n + 1; i <= nthreads; i++)
        t[i].own = 1;
    h->thr = t;
    h->n = nthreads;
    return 0;
}

static void snap_unref(struct weft__snap *s) {
    if (s && --s->ref == 0)
        free(s);
}

void weft__rv_drop(weft__rv *v) {
    snap_unref(v->s);
    v->s = NULL;
    v->t = v->c = 0;
}

void weft__vc_free(struct weft__vc *h) {
    if (!h)
        return;
    for (uint32_t i = 0; i <= h->n; i++)
        snap_unref(h->thr[i].base);
    for (size_t i = 0; i < h->tab_cap; i++)
        if (h->tab[i].used)
            weft__rv_drop(&h->tab[i].v);
    free(h->tab);
    free(h->thr);
    free(h->sc);
    free(h);
}

static int valid(const struct weft__vc *h, uint32_t t) {
    return t >= 1 && t <= h->n;
}

weft__rv weft__vc_now(struct weft__vc *h, uint32_t t) {
    weft__rv v = {0};
    if (!valid(h, t))
        return v;
    v.s = h->thr[t].base;
    if (v.s)
        v.s->ref++;
    v.t = t;
    v.c = h->thr[t].own;
    return v;
}

uint32_t weft__vc_epoch(const struct weft__vc *h, uint32_t t) {
    return valid(h, t) ? h->thr[t].own : 0;
}

static uint32_t lookup(const struct weft__snap *s, uint32_t u) {
    if (!s)
        return 0;
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (s->e[mid].t < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->e[lo].t == u ? s->e[lo].c : 0;
}

/* What clock v knows of thread u, join summaries included. */
static uint32_t val(const struct weft__vc *h, const weft__rv *v, uint32_t u, int depth) {
    if (u == v->t && u)
        return v->c;
    uint32_t x = lookup(v->s, u);
    if (valid(h, u)) {
        const struct thr *ut = &h->thr[u];
        if (ut->joiner && x < ut->final && depth < SUMMARY_DEPTH &&
            val(h, v, ut->joiner, depth + 1) >= ut->join_epoch)
            x = ut->final;
    }
    return x;
}

int weft__vc_knows(const struct weft__vc *h, const weft__rv *v, uint32_t a, uint32_t ea) {
    return val(h, v, a, 0) >= ea;
}

/* Room for n entries in the scratch, its contents kept. Its capacity is
 * what the merges need, rounded up, since it may become a thread's base
 * (set_base) and stay in memory as long as a release shares it. */
static int scratch_reserve(struct weft__vc *h, uint32_t n) {
    struct weft__snap *sc = h->sc;
    if (sc && n <= sc->cap)
        return 0;
    uint32_t cap = (n + 7) & ~7u;
    struct weft__snap *ns = realloc(sc, sizeof *ns + (size_t)cap * sizeof ns->e[0]);
    if (!ns)
        return -1;
    if (!sc)
        ns->n = ns->ref = 0;
    ns->cap = cap;
    h->sc = ns;
    return 0;
}

/* scratch = a joined with b (max per thread) and with the entry (u, c)
 * (u = 0: none), leaving out thread `skip` and entries of b that
 * `knower` already covers through join summaries. Returns 1 when the
 * result says more than a, 0 when it equals a, -1 when out of memory.
 * With `known`, returns 0 at once when a's own entry for u is c or more
 * (the scratch then undefined): an acquire whose thread knew the
 * releaser's epoch already knows all of its clock.
 * One pass, each list's next thread id kept in a register (END past
 * its end), the extra entry put in as the pass goes by its place: an
 * acquire's merge and its sender's epoch in one (no search, no shift
 * after). */
enum { END = UINT32_MAX }; /* above every thread id (valid: 1..n, n < END) */

static int merge(struct weft__vc *h, const struct weft__snap *a, const struct weft__snap *b,
                 uint32_t skip, const weft__rv *knower, uint32_t u, uint32_t c, int known) {
    uint32_t na = a ? a->n : 0, nb = b ? b->n : 0, i = 0, j = 0, k = 0;
    int more = 0;
    if (scratch_reserve(h, na + nb + 2))
        return -1;
    const struct ent *ae = a ? a->e : NULL, *be = b ? b->e : NULL;
    struct ent *out = h->sc->e;
    uint32_t ta = na ? ae[0].t : END, tb = nb ? be[0].t : END;
    if (!u)
        u = END;
    for (;;) {
        struct ent x;
        if (ta < tb) {
            x = ae[i];
            ta = ++i < na ? ae[i].t : END;
        } else if (tb < ta) {
            x = be[j];
            tb = ++j < nb ? be[j].t : END;
            if (x.t == skip || (knower && val(h, knower, x.t, 0) >= x.c))
                continue;
            more = 1;
        } else {
            if (ta == END)
                break;
            x = ae[i];
            if (be[j].c > x.c) {
                x.c = be[j].c;
                more = 1;
            }
            ta = ++i < na ? ae[i].t : END;
            tb = ++j < nb ? be[j].t : END;
        }
        if (x.t >= u) { /* the extra entry's place */
            if (x.t == u) {
                if (c > x.c) {
                    x.c = c;
                    more = 1;
                } else if (known) {
                    return 0;
                }
            } else {
                out[k++] = (struct ent){u, c};
                more = 1;
            }
            u = END;
        }
        out[k++] = x;
    }
    if (u != END) {
        out[k++] = (struct ent){u, c};
        more = 1;
    }
    h->sc->n = k;
    return more;
}

/* Sets scratch[u] to at least c (the scratch made by merge). 1 when that
 * changed something. */
static int upsert(struct weft__vc *h, uint32_t u, uint32_t c) {
    struct weft__snap *sc = h->sc;
    uint32_t lo = 0, hi = sc->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (sc->e[mid].t < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < sc->n && sc->e[lo].t == u) {
        if (sc->e[lo].c >= c)
            return 0;
        sc->e[lo].c = c;
        return 1;
    }
    if (sc->n == sc->cap) { /* (merge leaves room for one more) */
        if (scratch_reserve(h, sc->n + 1))
            return 0;
        sc = h->sc;
    }
    memmove(&sc->e[lo + 1], &sc->e[lo], (sc->n - lo) * sizeof sc->e[0]);
    sc->e[lo] = (struct ent){u, c};
    sc->n++;
    return 1;
}

/* A copy of the scratch with room for slack more entries (NULL: empty,
 * or out of memory). */
static struct weft__snap *from_scratch(struct weft__vc *h, uint32_t slack) {
    if (!h->sc || h->sc->n == 0)
        return NULL;
    uint32_t n = h->sc->n, cap = n + slack;
    struct weft__snap *s = malloc(sizeof *s + (size_t)cap * sizeof s->e[0]);
    if (!s)
        return NULL;
    s->ref = 1;
    s->n = n;
    s->cap = cap;
    memcpy(s->e, h->sc->e, (size_t)n * sizeof s->e[0]);
    return s;
}

/* Makes scratch thread T's clock: the scratch becomes T's base, no copy
 * made, and the old base, when no release shares it (its only reference
 * is T's own), becomes the scratch: a thread that learns at every
 * receive (every stage of a pipeline, every worker of a pool) then
 * learns without a malloc, a free or a copy. A shared old base stays
 * with its releases, and the next merge allocates a scratch anew. A
 * scratch much bigger than what it holds (a merge of two big clocks
 * that mostly agreed) is copied to a base of its size instead, so that
 * the snapshots releases keep are not mostly empty room; the copy gets
 * BASE_SLACK entries of room to grow, as what a thread learns from
 * usually adds a thread or two. */
enum { BASE_SLACK = 4 };

static void set_base(struct weft__vc *h, struct thr *T) {
    struct weft__snap *b = T->base, *sc = h->sc;
    if (!sc || !sc->n) {
        snap_unref(b);
        T->base = NULL;
        return;
    }
    if (sc->cap > 2 * sc->n + 16) {
        struct weft__snap *s = from_scratch(h, BASE_SLACK);
        if (!s)
            return; /* out of memory: keep the old clock (fewer edges, never wrong ones) */
        snap_unref(b);
        T->base = s;
        return;
    }
    sc->ref = 1;
    T->base = sc;
    if (b && b->ref == 1) {
        b->ref = 0; /* the scratch now */
        h->sc = b;
    } else {
        snap_unref(b);
        h->sc = NULL;
    }
}

/* Drops from scratch the entries of ended threads that a summary covers
 * for `me` (thread t's clock), making t the summary of an ended thread
 * that has none yet and whose last release t's clock now knows. */
static void summarise(struct weft__vc *h, uint32_t t, weft__rv *me) {
    /* Both rules below need an ended thread: until one ended, the scan
     * over the clock would only copy it onto itself (a pipeline of live
     * threads: 8% of the detectors' instructions in a chan_work ingest). */
    if (!h->ngone)
        return;
    uint32_t k = 0;
    struct ent *e = h->sc->e;
    for (uint32_t i = 0; i < h->sc->n; i++) {
        struct ent x = e[i];
        struct thr *u = valid(h, x.t) ? &h->thr[x.t] : NULL;
        if (u && u->gone && !u->joiner && x.c >= u->gone) {
            /* t becomes u's summary from a new epoch on, as a joiner
             * (weft__vc_joined): one new epoch for all it summarises. */
            if (me->c == h->thr[t].own)
                me->c = ++h->thr[t].own;
            u->joiner = t;
            u->join_epoch = h->thr[t].own;
            u->final = u->gone;
            continue;
        }
        /* covered by u's summary itself (not by this very entry) */
        if (u && u->gone && u->joiner && u->final >= x.c &&
            val(h, me, u->joiner, 0) >= u->join_epoch)
            continue;
        e[k++] = x;
    }
    h->sc->n = k;
}

void weft__vc_exited(struct weft__vc *h, uint32_t t) {
    if (!valid(h, t))
        return;
    struct thr *T = &h->thr[t];
    if (T->own > 1 && !T->joiner) {
        h->ngone += !T->gone;
        T->gone = T->own - 1; /* no release since: epoch own - 1 was the last one */
    }
    snap_unref(T->base);
    T->base = NULL;
}

void weft__vc_acquire(struct weft__vc *h, uint32_t t, const weft__rv *from) {
    if (!valid(h, t) || (!from->s && !from->t) || from->t == t)
        return;
    struct thr *T = &h->thr[t];
    weft__rv me = {T->base, t, T->own};
    /* Already knows all of it when it knows from->t at from->c: through
     * a join summary (tested here, the rare case), or by its own entry
     * (merge stops there). Otherwise the epoch goes in with the merge
     * (from->s never holds from->t's own entry). */
    if (from->t && valid(h, from->t) && h->thr[from->t].joiner &&
        val(h, &me, from->t, 0) >= from->c)
        return;
    int more = merge(h, T->base, from->s, t, &me, from->t, from->c, 1);
    if (more <= 0)
        return;
    summarise(h, t, &me);
    set_base(h, T);
}

void weft__vc_release(struct weft__vc *h, uint32_t t, weft__rv *into, int replace) {
    if (!valid(h, t))
        return;
    struct thr *T = &h->thr[t];
    weft__rv now = weft__vc_now(h, t);
    if (replace || (!into->s && !into->t) || into->t == t ||
        (into->t && val(h, &now, into->t, 0) >= into->c)) {
        /* The new value covers the old one. */
        weft__rv_drop(into);
        *into = now;
    } else {
        /* Join: one snapshot holding both, with no extra entry. */
        if (merge(h, into->s, now.s, 0, NULL, into->t, into->c, 0) >= 0) {
            upsert(h, t, now.c);
            struct weft__snap *s = from_scratch(h, 0);
            if (s || !h->sc->n) {
                weft__rv_drop(into);
                into->s = s;
                into->t = into->c = 0;
            }
        }
        weft__rv_drop(&now);
    }
    T->own++;
}

void weft__vc_joined(struct weft__vc *h, uint32_t child, uint32_t joiner) {
    if (!valid(h, child) || !valid(h, joiner) || child == joiner)
        return;
    struct thr *c = &h->thr[child];
    c->final = c->own;
    c->joiner = joiner;
    /* A new epoch of the joiner begins at the join: a clock that knows
     * the joiner at join_epoch knows an event after the join. (At the
     * epoch it had, a snapshot of the joiner's clock taken before the
     * join would pass for one taken after it.) */
    c->join_epoch = ++h->thr[joiner].own;
    /* The joiner's own clock knows itself at join_epoch, so the summary now
     * gives it the child's final epoch: its explicit entry for the child is
     * redundant. Dropping it is what keeps a thread that creates and joins
     * thousands of threads at a clock of its live threads only; without it
     * every join grows the joiner's clock and every snapshot taken from it,
     * quadratic in the number of threads. */
    struct thr *J = &h->thr[joiner];
    const struct weft__snap *b = J->base;
    if (!b || !lookup(b, child))
        return;
    if (scratch_reserve(h, b->n))
        return; /* out of memory: keep the redundant entry */
    uint32_t k = 0;
    for (uint32_t i = 0; i < b->n; i++)
        if (b->e[i].t != child)
            h->sc->e[k++] = b->e[i];
    h->sc->n = k;
    set_base(h, J);
}

/* ---- the object table: open addressing on (k1, k2, k3) ---- */

static uint64_t mix(uint64_t a, uint64_t b, uint64_t c) {
    uint64_t x = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull ^
                 (c + 0x94d049bb133111ebull) * 0xff51afd7ed558ccdull;
    x ^= x >> 31;
    x *= 0xd6e8feb86659fd93ull;
    return x ^ (x >> 32);
}

/* The home slot of a key. Consecutive sequence numbers of one object (a
 * channel's tickets, released one after another) get consecutive slots in
 * blocks of 16, so that a run of releases walks memory instead of missing
 * the cache at every slot; blocks themselves land at random. */
static size_t home(uint64_t k1, uint64_t k2, uint64_t k3, size_t cap) {
    return (size_t)((mix(k1, k2, k3 >> 4) << 4) + (k3 & 15)) & (cap - 1);
}

static struct slot *tab_find(struct weft__vc *h, uint64_t k1, uint64_t k2, uint64_t k3,
                             int create) {
    if (create && (h->tab_used + 1) * 2 > h->tab_cap) {
        size_t cap = h->tab_cap ? h->tab_cap * 2 : 1024;
        struct slot *nt = calloc(cap, sizeof *nt);
        if (!nt)
            return NULL;
        for (size_t i = 0; i < h->tab_cap; i++) {
            if (!h->tab[i].used)
                continue;
            size_t p = home(h->tab[i].k1, h->tab[i].k2, h->tab[i].k3, cap);
            while (nt[p].used)
                p = (p + 1) & (cap - 1);
            nt[p] = h->tab[i];
        }
        free(h->tab);
        h->tab = nt;
        h->tab_cap = cap;
    }
    if (!h->tab_cap)
        return NULL;
    size_t p = home(k1, k2, k3, h->tab_cap);
    while (h->tab[p].used) {
        if (h->tab[p].k1 == k1 && h->tab[p].k2 == k2 && h->tab[p].k3 == k3)
            return &h->tab[p];
        p = (p + 1) & (h->tab_cap - 1);
    }
    if (!create)
        return NULL;
    h->tab[p].used = 1;
    h->tab[p].k1 = k1;
    h->tab[p].k2 = k2;
    h->tab[p].k3 = k3;
    h->tab_used++;
    return &h->tab[p];
}

/* Removes slot i, shifting later entries of its probe run back (linear
 * probing without tombstones). */
static void tab_remove(struct weft__vc *h, size_t i) {
    size_t mask = h->tab_cap - 1, j = i;
    weft__rv_drop(&h->tab[i].v);
    for (;;) {
        j = (j + 1) & mask;
        if (!h->tab[j].used)
            break;
        size_t k = home(h->tab[j].k1, h->tab[j].k2, h->tab[j].k3, h->tab_cap);
        /* Entry j may move to i when its home is not in (i, j]. */
        int stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
        if (!stays) {
            h->tab[i] = h->tab[j];
            i = j;
        }
    }
    memset(&h->tab[i], 0, sizeof h->tab[i]);
    h->tab_used--;
}

void weft__vc_obj_release(struct weft__vc *h, uint32_t t, uint64_t k1, uint64_t k2, uint64_t k3,
                          int mode) {
    struct slot *s = tab_find(h, k1, k2, k3, 1);
    if (!s)
        return;
    h->rel_slot = (size_t)(s - h->tab);
    /* Only a key released once and never before may be dropped later. */
    s->once = mode == WEFT__VC_ONCE && !s->v.s && !s->v.t;
    weft__vc_release(h, t, &s->v, mode == 1);
}

void weft__vc_obj_acquire(struct weft__vc *h, uint32_t t, uint64_t k1, uint64_t k2, uint64_t k3) {
    struct slot *s = tab_find(h, k1, k2, k3, 0);
    h->acq_tag_a = s ? s->tag_a : 0;
    h->acq_tag_b = s ? s->tag_b : 0;
    if (!s)
        return;
    weft__vc_acquire(h, t, &s->v);
    if (s->once)
        tab_remove(h, (size_t)(s - h->tab));
}

void weft__vc_tag(struct weft__vc *h, uint64_t k1, uint64_t k2, uint64_t k3, uint32_t a,
                  int64_t b) {
    struct slot *s = NULL;
    if (h->rel_slot < h->tab_cap) {
        s = &h->tab[h->rel_slot];
        if (!s->used || s->k1 != k1 || s->k2 != k2 || s->k3 != k3)
            s = NULL;
    }
    if (!s)
        s = tab_find(h, k1, k2, k3, 0);
    if (s) {
        s->tag_a = a;
        s->tag_b = b;
    }
}

void weft__vc_acquired_tag(const struct weft__vc *h, uint32_t *a, int64_t *b) {
    *a = h->acq_tag_a;
    *b = h->acq_tag_b;
}
