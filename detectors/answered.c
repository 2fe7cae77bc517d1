/* answered.c: which blocking calls were already answered when the trace
 * ended. A thread whose partner completed its half of the hand-off (took
 * the value it sent, gave it the value it waited for, took a case of its
 * select), whose WaitGroup counter reached zero or whose join target ended
 * is finishing, not blocked: it only had not written its end record yet
 * when the process exited. The leak detector (d_threads.c) asks here
 * before it calls a thread blocked.
 *
 * The evidence is the trace's own, never the missing end record:
 *   - tickets: a libweft thread that queues itself on a channel releases a
 *     fresh ticket (an hb_release record inside its blocking call), and
 *     the partner that serves it acquires exactly that ticket, in the
 *     partner's completed operation (runtime/chan.c). A ticket released
 *     inside a blocking call and acquired by another thread before that
 *     call ended means the call was matched. A select's losing cases
 *     release tickets no one acquires, so only the case taken counts.
 *   - a WaitGroup whose replayed counter is zero at the end;
 *   - a join whose target thread ended, or is the thread that ended the
 *     process. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A ticket released inside a blocking call: (pid, hb object, sequence)
 * -> (thread, that call's begin event). Open addressing; key 0 free. */
struct tk {
    uint64_t pid, obj, seq;
    uint32_t thread;
    int64_t block_event;
};
/* A counter (WaitGroup) or a handle (thread), by (pid, address). */
struct kv {
    uint64_t pid, key;
    int64_t val;
    int used;
};

struct weft__answered {
    struct tk *tks;
    size_t ntk, captk;
    struct kv *wgs, *handles;
    size_t nwg, capwg, nh, caph;
};

static uint64_t mix(uint64_t a, uint64_t b, uint64_t c) {
    uint64_t h = a * 0x9E3779B97F4A7C15u ^ (b + 0x632BE59BD9B4E019u) * 0xBF58476D1CE4E5B9u;
    h ^= c * 0x94D049BB133111EBu;
    return h ^ (h >> 31);
}

static int tk_grow(struct weft__answered *a) {
    size_t cap = a->captk ? a->captk * 2 : 256;
    struct tk *n = calloc(cap, sizeof *n);
    if (!n)
        return -1;
    for (size_t i = 0; i < a->captk; i++) {
        struct tk *o = &a->tks[i];
        if (!o->thread)
            continue;
        size_t j = mix(o->pid, o->obj, o->seq) & (cap - 1);
        while (n[j].thread)
            j = (j + 1) & (cap - 1);
        n[j] = *o;
    }
    free(a->tks);
    a->tks = n;
    a->captk = cap;
    return 0;
}

static struct tk *tk_find(struct weft__answered *a, uint64_t pid, uint64_t obj, uint64_t seq) {
    if (!a->captk)
        return NULL;
    size_t j = mix(pid, obj, seq) & (a->captk - 1);
    for (; a->tks[j].thread; j = (j + 1) & (a->captk - 1))
        if (a->tks[j].pid == pid && a->tks[j].obj == obj && a->tks[j].seq == seq)
            return &a->tks[j];
    return NULL;
}

static void tk_put(struct weft__answered *a, uint64_t pid, uint64_t obj, uint64_t seq,
                   uint32_t thread, int64_t block_event) {
    struct tk *t = tk_find(a, pid, obj, seq);
    if (!t) {
        /* Nothing is ever deleted (a select's losing tickets stay, and
         * an acquired one is harmless: its call has ended or is
         * answered), so the table is only kept at most half full. */
        if ((a->ntk + 1) * 2 > a->captk && tk_grow(a) != 0)
            return;
        size_t j = mix(pid, obj, seq) & (a->captk - 1);
        while (a->tks[j].thread)
            j = (j + 1) & (a->captk - 1);
        t = &a->tks[j];
        a->ntk++;
    }
    *t = (struct tk){pid, obj, seq, thread, block_event};
}

/* A small linear map: WaitGroups and live handles are few per process
 * and the most recent ones are looked up first. */
static struct kv *kv_of(struct kv **v, size_t *n, size_t *cap, uint64_t pid, uint64_t key,
                        int add) {
    for (size_t i = *n; i-- > 0;)
        if ((*v)[i].pid == pid && (*v)[i].key == key)
            return &(*v)[i];
    if (!add)
        return NULL;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct kv *nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return NULL;
        *v = nv;
        *cap = nc;
    }
    struct kv *e = &(*v)[(*n)++];
    *e = (struct kv){pid, key, 0, 1};
    return e;
}

int weft__answered_init(struct weft__dctx *c) {
    c->answered = calloc(1, sizeof *c->answered);
    return c->answered ? 0 : -1;
}

void weft__answered_free(struct weft__dctx *c) {
    struct weft__answered *a = c->answered;
    if (!a)
        return;
    free(a->tks);
    free(a->wgs);
    free(a->handles);
    free(a);
    c->answered = NULL;
}

/* Whether the blocking kind is a libweft call whose tickets tell a match. */
static int ticketed(int kind) {
    return kind == WEFT_K_CHAN_SEND_BEGIN || kind == WEFT_K_CHAN_RECV_BEGIN ||
           kind == WEFT_K_SELECT_BEGIN;
}

static void acquired(struct weft__dctx *c, const struct weft__ev *e, uint64_t obj, uint64_t seq) {
    struct tk *k = tk_find(c->answered, (uint64_t)e->pid, obj, seq);
    if (!k || k->thread == e->thread)
        return;
    struct weft__thr *w = weft__thr_of(c, k->thread);
    if (w && w->block_kind && w->block_event == k->block_event)
        w->block_answered = k->block_event;
}

void weft__answered_event(struct weft__dctx *c, const struct weft__ev *e) {
    struct weft__answered *a = c->answered;
    struct weft__thr *t = weft__thr_of(c, e->thread);
    if (!a || !t)
        return;
    /* The partner's acquire comes first in its record (it happened inside
     * the call, before the call took effect). */
    if (e->has_acq)
        acquired(c, e, (uint64_t)e->hb_obj, (uint64_t)e->acq);
    if (e->kind == WEFT_K_HB_ACQUIRE)
        acquired(c, e, (uint64_t)e->obj, (uint64_t)e->arg);
    if (t->block_kind && ticketed(t->block_kind)) {
        if (e->kind == WEFT_K_HB_RELEASE)
            tk_put(a, (uint64_t)e->pid, (uint64_t)e->obj, (uint64_t)e->arg, e->thread,
                   t->block_event);
        else if (e->has_rel)
            tk_put(a, (uint64_t)e->pid, (uint64_t)e->hb_obj, (uint64_t)e->rel, e->thread,
                   t->block_event);
    }
    switch (e->kind) {
    case WEFT_K_THREAD_CREATE: {
        /* The engine found the child of this create (hb_event ran first). */
        struct kv *h = kv_of(&a->handles, &a->nh, &a->caph, (uint64_t)e->pid, (uint64_t)e->obj, 1);
        if (h)
            h->val = t->last_child;
        break;
    }
    case WEFT_K_JOIN_BEGIN: {
        struct kv *h = kv_of(&a->handles, &a->nh, &a->caph, (uint64_t)e->pid, (uint64_t)e->obj, 0);
        t->block_target = h ? (uint32_t)h->val : 0;
        break;
    }
    case WEFT_K_WG_ADD:
    case WEFT_K_WG_DONE:
        if (e->arg2 == 0) {
            struct kv *w = kv_of(&a->wgs, &a->nwg, &a->capwg, (uint64_t)e->pid, (uint64_t)e->obj, 1);
            if (w)
                w->val += e->kind == WEFT_K_WG_DONE ? -1 : e->arg;
        }
        break;
    default:
        break;
    }
}

int weft__answered_at_exit(struct weft__dctx *c, uint32_t id, uint32_t exit_thread) {
    struct weft__thr *t = weft__thr_of(c, id);
    struct weft__answered *a = c->answered;
    if (!t || !t->block_kind || !a)
        return 0;
    if (t->block_answered && t->block_answered == t->block_event)
        return 1;
    if (t->block_kind == WEFT_K_JOIN_BEGIN && t->block_target) {
        struct weft__thr *g = weft__thr_of(c, t->block_target);
        return t->block_target == exit_thread || (g && g->exited);
    }
    if (t->block_kind == WEFT_K_WG_WAIT_BEGIN) {
        struct kv *w = kv_of(&a->wgs, &a->nwg, &a->capwg, (uint64_t)t->pid, (uint64_t)t->block_obj, 0);
        return !w || w->val == 0;
    }
    return 0;
}
