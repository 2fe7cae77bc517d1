/* SPDX-License-Identifier: MIT */
/* relock.c: which records of a run are relock pairs to fold (relock.h),
 * decided on records decoded ahead of the merge, and the folded record
 * made of a row of them. A pair waits, decoded but not handed out, until
 * its thread's next acquisition of its mutex says whether it folds: a
 * flagged relock folds it; any other record naming that mutex, the end
 * of the run or a full queue makes it two plain records. */
#include "relock.h"

#include <string.h>

/* The waiting list names ring slots in a byte. */
_Static_assert(WEFT__FOLD_AHEAD <= 256, "struct weft__folder's wait[] holds slots in uint8_t");

#define AT(f, i) ((f)->q[((f)->head + (i)) % WEFT__FOLD_AHEAD])
#define SLOT(f, s) ((f)->q[(s) % WEFT__FOLD_AHEAD])

void weft__fold_reset(struct weft__folder *f) {
    f->head = f->n = f->nwait = 0;
    f->ended = 0;
}

/* Plain records of the mutex calls a pair is made of: no happens-before
 * tickets or payload folded into them. */
static int bare(const struct weft_rec *r) {
    return !(r->fields & (WEFT_W_ACQ | WEFT_W_REL | WEFT_W_DATA)) && r->arg == 0;
}

static int flagged_lock(const struct weft_rec *r) {
    return r->kind == WEFT_K_MUTEX_LOCK_END && r->relock && r->arg2 == 0 && bare(r);
}

/* Pair (lock at slot s) leaves the waiting list, as st (folded or plain). */
static void settle(struct weft__folder *f, uint32_t w, int fold) {
    uint32_t s = f->wait[w];
    SLOT(f, s).st = fold ? AH_FOLD_L : AH_PLAIN;
    SLOT(f, s + 1).st = fold ? AH_FOLD_U : AH_PLAIN;
    f->wait[w] = f->wait[--f->nwait];
}

void weft__fold_push(struct weft__folder *f) {
    struct weft__ahead *a = &AT(f, f->n);
    const struct weft_rec *r = &a->rec;
    if (f->n) {
        struct weft__ahead *t = &AT(f, f->n - 1);
        if (t->st == AH_CAND) {
            if (r->kind == WEFT_K_MUTEX_UNLOCK && r->obj == t->rec.obj && bare(r)) {
                /* a pair: it waits for its mutex's next acquisition */
                if (f->nwait == sizeof f->wait / sizeof *f->wait)
                    settle(f, 0, 0);
                t->st = AH_WAIT_L;
                f->wait[f->nwait++] = (uint8_t)((f->head + f->n - 1) % WEFT__FOLD_AHEAD);
                a->st = AH_WAIT_U;
                f->n++;
                return;
            }
            t->st = AH_PLAIN;
        }
    }
    int flagged = flagged_lock(r), run = r->kind == WEFT_K_MUTEX_RUN;
    for (uint32_t w = 0; w < f->nwait;) {
        const struct weft_rec *l = &SLOT(f, f->wait[w]).rec;
        /* a run of the shim's names its mutexes in its slots: every
         * waiting pair stays plain before it */
        if (run || l->obj == r->obj || l->obj == r->arg || l->obj == r->arg2)
            settle(f, w, flagged && l->obj == r->obj); /* folds only at a flagged relock */
        else
            w++;
    }
    a->st = flagged ? AH_CAND : AH_PLAIN;
    f->n++;
}

void weft__fold_end(struct weft__folder *f) {
    while (f->nwait)
        settle(f, 0, 0);
    if (f->n && AT(f, f->n - 1).st == AH_CAND)
        AT(f, f->n - 1).st = AH_PLAIN;
    f->ended = 1;
}

void weft__fold_force_head(struct weft__folder *f) {
    struct weft__ahead *h = &AT(f, 0);
    for (uint32_t w = 0; w < f->nwait; w++)
        if (f->wait[w] == f->head % WEFT__FOLD_AHEAD) {
            settle(f, w, 0);
            return;
        }
    h->st = AH_PLAIN;
}

uint32_t weft__fold_pairs(const struct weft__folder *f, uint32_t from, int *decided) {
    uint32_t i = 2 * from;
    while (i + 1 < f->n && AT(f, i).st == AH_FOLD_L)
        i += 2;
    *decided = i < f->n ? AT(f, i).st == AH_PLAIN : f->ended;
    return i / 2;
}

uint32_t weft__fold_take(struct weft__folder *f, uint32_t k, struct weft_rec *r, uint32_t *at,
                         uint32_t *pos) {
    uint32_t nm = 0, i, stack = 0;
    for (i = 0; i < k; i++) {
        const struct weft__ahead *l = &AT(f, 2 * i), *u = &AT(f, 2 * i + 1);
        uint32_t j = 0;
        while (j < nm && f->out[j].obj != l->rec.obj)
            j++;
        if (j == nm) {
            if (nm == WEFT_RELOCKS_MAX)
                break;
            f->out[nm++] = (struct weft_relocks){.obj = l->rec.obj,
                                                 .first = i,
                                                 .first_lock_ns = l->rec.ts,
                                                 .first_unlock_ns = u->rec.ts};
        }
        struct weft_relocks *x = &f->out[j];
        x->prev = x->last;
        x->prev_unlock_ns = x->last_unlock_ns;
        x->pairs++;
        x->last = i;
        x->last_lock_ns = l->rec.ts;
        x->last_unlock_ns = u->rec.ts;
        if (l->rec.stack)
            stack = l->rec.stack;
    }
    const struct weft__ahead *l = &AT(f, 2 * i - 2), *u = &AT(f, 2 * i - 1);
    memset(r, 0, sizeof *r);
    r->kind = WEFT_K_MUTEX_RELOCKS;
    r->tid = l->rec.tid;
    r->ts = u->rec.ts;
    r->obj = l->rec.obj;
    r->arg = i;
    r->arg2 = nm;
    r->stack = stack;
    r->data = (const unsigned char *)f->out;
    r->dlen = nm * (uint32_t)sizeof *f->out;
    *at = AT(f, 0).at;
    *pos = u->pos;
    return i;
}

void weft__fold_drop(struct weft__folder *f, uint32_t k) {
    f->head = (f->head + k) % WEFT__FOLD_AHEAD;
    f->n -= k;
}

void weft__fold_unfold_head(struct weft__folder *f) {
    AT(f, 0).st = AH_PLAIN;
    AT(f, 1).st = AH_PLAIN;
}
