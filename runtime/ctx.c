/* SPDX-License-Identifier: MIT */
/* ctx.c: contexts (Go's context package): background, with_cancel,
 * with_deadline, with_timeout, cancel, done, err, deadline, free.
 *
 * A context is a done channel that is closed once, an error set just before
 * that close, an inherited deadline, and a place in a tree: a live child is
 * linked into its parent's list of children so that the parent's cancel
 * reaches it (Go's propagateCancel). Children of the background context are
 * not linked anywhere, because the background is never cancelled.
 *
 * One lock, tree_lock, guards every link of the tree and every cancel,
 * rather than a lock per context. The C API lets a parent be freed while
 * its children live on ("detached, not freed"), and a child's deadline
 * fires on the timer thread whenever it likes; with per-context locks, a
 * child removing itself from its parent would have to read the parent
 * pointer before it can lock the parent, and the parent could be freed in
 * between. Under one lock the pointer is valid for as long as it is
 * linked, since a free unlinks under the same lock. The critical sections
 * are short, and children of the background (the common case) never take
 * the lock at all except to be cancelled.
 *
 * Invariant: a context is linked into its parent's list iff it is live
 * (err == 0) and its parent is live. Every cancel unlinks the context and
 * its whole subtree in the same critical section in which it sets err.
 *
 * Lock order: tree_lock, then a channel's lock (closing done) or the timer
 * heap's lock (starting and stopping deadline timers). The timer thread
 * runs a deadline's callback without the heap lock, and the callback takes
 * tree_lock, so nobody may wait for a running callback (weft__timer_stop)
 * while holding tree_lock: under the lock only weft__timer_stop_nowait is
 * used, and free waits for the callback after unlocking.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct weft_ctx {
    weft_ctx *parent;      /* linked into parent's list, or NULL */
    weft_ctx *first_child; /* live children, linked by sibling */
    weft_ctx *prev_sib, *next_sib;
    weft_ctx *cancel_next; /* work list of an ongoing cancel */
    weft_chan *done;       /* NULL for the background */
    _Atomic int err;       /* 0, WEFT_ECANCELED or WEFT_ETIMEDOUT */
    int64_t deadline;      /* own or inherited; INT64_MAX for none */
    weft__timer timer;     /* cancels at the own deadline */
    bool has_timer;        /* timer was started */
};

static weft__lock tree_lock;
static weft_ctx background = {.deadline = INT64_MAX};

/* fork: the child must not inherit tree_lock held by a thread that does
 * not exist there. Registered after timer.c's handlers (constructor
 * priorities), so that the prepare handlers take tree_lock before the
 * timer heap's lock, the usual order. */
static void fork_prepare(void) {
    weft__lock_acquire(&tree_lock);
}

static void fork_parent(void) {
    weft__lock_release(&tree_lock);
}

static void fork_child(void) {
    weft__lock_init(&tree_lock);
}

__attribute__((constructor(102))) static void ctx_init(void) {
    weft__lock_init(&tree_lock);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static weft_ctx *resolve(weft_ctx *ctx) {
    return ctx ? ctx : &background;
}

/* ---- the tree (all under tree_lock) ---------------------------------- */

static void link_child(weft_ctx *p, weft_ctx *c) {
    c->parent = p;
    c->prev_sib = NULL;
    c->next_sib = p->first_child;
    if (p->first_child)
        p->first_child->prev_sib = c;
    p->first_child = c;
}

/* Go's removeChild: a cancelled context no longer needs its parent to
 * reach it. */
static void unlink_child(weft_ctx *c) {
    weft_ctx *p = c->parent;
    if (!p)
        return;
    if (c->prev_sib)
        c->prev_sib->next_sib = c->next_sib;
    else
        p->first_child = c->next_sib;
    if (c->next_sib)
        c->next_sib->prev_sib = c->prev_sib;
    c->parent = c->prev_sib = c->next_sib = NULL;
}

/* The error is published before the close, so that a thread woken by the
 * close reads it; the release on (c, 0) gives weft_ctx_err's observers the
 * same edge the close gives done's receivers. */
static void end_one(weft_ctx *c, int err) {
    WEFT__HB_RELEASE(c, 0);
    atomic_store_explicit(&c->err, err, memory_order_release);
    if (c->has_timer)
        weft__timer_stop_nowait(&c->timer);
    weft__chan_close(c->done);
}

/* Cancels c and every live descendant with err (first error wins), and
 * unlinks the descendants. Iterative, so a deep chain of contexts does not
 * overflow the stack. c itself stays linked: the caller decides. */
static void cancel_locked(weft_ctx *c, int err) {
    if (atomic_load_explicit(&c->err, memory_order_relaxed) != 0)
        return;
    end_one(c, err);
    c->cancel_next = NULL;
    weft_ctx *work = c;
    while (work) {
        weft_ctx *x = work;
        work = x->cancel_next;
        weft_ctx *k = x->first_child;
        x->first_child = NULL;
        while (k) {
            weft_ctx *next = k->next_sib;
            k->parent = k->prev_sib = k->next_sib = NULL;
            /* Linked children are live (see the invariant above). */
            end_one(k, err);
            k->cancel_next = work;
            work = k;
            k = next;
        }
    }
}

/* The timer callback of a context's own deadline. */
static void deadline_passed(void *arg) {
    weft_ctx *c = arg;
    weft__lock_acquire(&tree_lock);
    cancel_locked(c, WEFT_ETIMEDOUT);
    unlink_child(c);
    weft__lock_release(&tree_lock);
}

/* ---- creation --------------------------------------------------------- */

/* with_deadline(parent, d); d == INT64_MAX is with_cancel. */
static weft_ctx *ctx_new(weft_ctx *parent, int64_t d) {
    parent = resolve(parent);
    weft_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->done = weft__chan_new(0, 0);
    if (!c->done) {
        free(c);
        return NULL;
    }
    weft__vg_atomic_word(&c->err, sizeof c->err);
    c->timer.heap_index = SIZE_MAX;
    /* Go: a deadline no earlier than the parent's adds nothing, and the
     * child reports the parent's. */
    bool own_deadline = d < parent->deadline;
    c->deadline = own_deadline ? d : parent->deadline;

    bool linked = parent != &background;
    if (linked)
        weft__lock_acquire(&tree_lock);
    int perr = atomic_load_explicit(&parent->err, memory_order_relaxed);
    int rc = 0;
    if (perr != 0) {
        end_one(c, perr); /* a child of a cancelled parent starts cancelled */
    } else if (own_deadline && d <= weft__now()) {
        end_one(c, WEFT_ETIMEDOUT);
    } else {
        if (linked)
            link_child(parent, c);
        /* Started under the lock, so that a concurrent cancel of the
         * parent finds the timer pending and stops it. */
        if (own_deadline) {
            c->has_timer = true;
            if ((rc = weft__timer_start(&c->timer, d, deadline_passed, c)) != 0)
                unlink_child(c);
        }
    }
    if (linked)
        weft__lock_release(&tree_lock);
    if (rc != 0) {
        weft__chan_free(c->done);
        free(c);
        return NULL;
    }
    return c;
}

weft_ctx *weft__ctx_with_cancel(weft_ctx *parent) {
    return ctx_new(parent, INT64_MAX);
}

/* ---- cancel and free -------------------------------------------------- */

void weft__ctx_cancel(weft_ctx *ctx) {
    if (!ctx || ctx == &background)
        return;
    weft__lock_acquire(&tree_lock);
    cancel_locked(ctx, WEFT_ECANCELED);
    unlink_child(ctx);
    weft__lock_release(&tree_lock);
}

void weft__ctx_free(weft_ctx *ctx) {
    if (!ctx || ctx == &background)
        return;
    /* Cancelling also unlinks (and so detaches) every live child, which
     * stays usable: cancelled, with no parent. */
    weft__ctx_cancel(ctx);
    /* Outside tree_lock: the deadline callback may be running and about to
     * take it; once stop returns, the timer thread is done with ctx. */
    if (ctx->has_timer)
        weft__timer_stop(&ctx->timer);
    weft__chan_free(ctx->done);
    free(ctx);
}

/* ---- accessors -------------------------------------------------------- */

weft_chan *weft__ctx_done(weft_ctx *ctx) {
    return resolve(ctx)->done;
}

int weft__ctx_err(weft_ctx *ctx) {
    ctx = resolve(ctx);
    int err = atomic_load_explicit(&ctx->err, memory_order_acquire);
    if (err != 0)
        WEFT__HB_ACQUIRE(ctx, 0);
    return err;
}

int64_t weft__ctx_deadline(weft_ctx *ctx) {
    return resolve(ctx)->deadline;
}

/* ---- the public API --------------------------------------------------- */

weft_ctx *weft_ctx_background(void) {
    return &background;
}

weft_ctx *weft_ctx_with_cancel(weft_ctx *parent) {
    return ctx_new(parent, INT64_MAX);
}

weft_ctx *weft_ctx_with_deadline(weft_ctx *parent, int64_t deadline_ns) {
    return ctx_new(parent, deadline_ns);
}

weft_ctx *weft_ctx_with_timeout(weft_ctx *parent, int64_t timeout_ns) {
    return ctx_new(parent, weft__deadline_after(timeout_ns));
}

void weft_ctx_cancel(weft_ctx *ctx) {
    weft__ctx_cancel(ctx);
}

weft_chan *weft_ctx_done(weft_ctx *ctx) {
    return weft__ctx_done(ctx);
}

int weft_ctx_err(weft_ctx *ctx) {
    return weft__ctx_err(ctx);
}

int64_t weft_ctx_deadline(weft_ctx *ctx) {
    return weft__ctx_deadline(ctx);
}

void weft_ctx_free(weft_ctx *ctx) {
    weft__ctx_free(ctx);
}
