/* SPDX-License-Identifier: MIT */
/* sem.c: weft_sem, golang.org/x/sync/semaphore.Weighted.
 *
 * Owns weft_sem_new, weft_sem_acquire, weft_sem_try_acquire,
 * weft_sem_release and weft_sem_free. It follows the current x/sync code
 * step by step: a size, the weight held (cur), and a FIFO of blocked
 * acquirers under one lock. Grants go strictly in queue order and stop at the
 * first waiter that does not fit, so a large waiter at the head holds back
 * later small ones; that is x/sync's documented choice against starving
 * large requests.
 *
 * A blocked acquirer must wake either when granted or when its context ends,
 * so it waits in the select engine on two channels: its own "ready" channel,
 * which the granter closes, and the context's done channel. The ready channel
 * is allocated only on this slow path, as x/sync allocates one per waiter.
 *
 * Happens-before is modelled like a POSIX semaphore: every successful
 * release releases (s, 0) and every successful acquire acquires (s, 0). A
 * grant is by count, not by a particular releaser, so no finer edge exists.
 */
#include <stdlib.h>

#include "internal.h"

typedef struct sem_waiter {
    struct sem_waiter *next, *prev;
    int64_t n;
    weft_chan *ready; /* closed by the granter */
    bool granted;     /* set with ready's close, under the semaphore lock */
} sem_waiter;

struct weft_sem {
    weft__lock lock;
    int64_t size;
    int64_t cur; /* weight held */
    sem_waiter *head, *tail;
};

/* The hidden context accessors keep these internal reads out of the shim's
 * record of the user's calls. A NULL context is the background one, whose
 * done channel is NULL (never ready). */
static weft_chan *sem_ctx_done(weft_ctx *ctx) {
    return weft__ctx_done(ctx);
}

static int sem_ctx_err(weft_ctx *ctx) {
    int err = weft__ctx_err(ctx);
    /* Only asked once done is closed, when the error is set for good. */
    return err ? err : WEFT_ECANCELED;
}

/* True when done is closed, without blocking. Receiving from it (rather than
 * reading the context's error) also acquires the cancel's happens-before. */
static bool sem_done_now(weft_chan *done) {
    if (!done)
        return false;
    weft_case c = {.ch = done, .op = WEFT_RECV, .elem = NULL, .result = 0};
    return weft__select_until(&c, 1, WEFT_NONBLOCK, INT64_MAX) == 0;
}

static void sem_unlink(weft_sem *s, sem_waiter *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        s->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->tail = w->prev;
    w->next = w->prev = NULL;
}

/* x/sync's notifyWaiters: grants from the head while the head fits. Called
 * with the lock held; the close happens under it too, so that a waiter which
 * takes the lock afterwards knows the close has returned and may free the
 * channel. */
static void sem_notify(weft_sem *s) {
    sem_waiter *w;
    while ((w = s->head) != NULL) {
        if (s->size - s->cur < w->n)
            break;
        s->cur += w->n;
        sem_unlink(s, w);
        w->granted = true;
        (void)weft__chan_close(w->ready);
    }
}

weft_sem *weft_sem_new(int64_t size) {
    /* Any size is accepted, as in x/sync: a negative one simply never lets
     * a positive weight through. */
    weft_sem *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    weft__lock_init(&s->lock);
    s->size = size;
    return s;
}

/* Gives n back; the caller has checked 0 <= n <= cur and holds the lock. */
static void sem_release_locked(weft_sem *s, int64_t n) {
    s->cur -= n;
    sem_notify(s);
}

int weft_sem_acquire(weft_ctx *ctx, weft_sem *s, int64_t n) {
    if (n < 0)
        return WEFT_EINVAL;
    weft_chan *done = sem_ctx_done(ctx);

    weft__lock_acquire(&s->lock);
    /* A context that is already done fails the call even when the weight
     * is free: its end happened before this acquire could. */
    if (sem_done_now(done)) {
        weft__lock_release(&s->lock);
        return sem_ctx_err(ctx);
    }
    if (s->size - s->cur >= n && s->head == NULL) {
        s->cur += n;
        weft__lock_release(&s->lock);
        WEFT__HB_ACQUIRE(s, 0);
        return 0;
    }
    if (n > s->size) {
        /* Doomed: wait for the context only, without queueing, so that other
         * acquirers are not held behind a request that can never fit. */
        weft__lock_release(&s->lock);
        weft_case c = {.ch = done, .op = WEFT_RECV, .elem = NULL, .result = 0};
        (void)weft__select_until(&c, 1, 0, INT64_MAX);
        return sem_ctx_err(ctx);
    }

    sem_waiter w = {.next = NULL, .prev = s->tail, .n = n, .ready = NULL, .granted = false};
    w.ready = weft__chan_new(0, 0);
    if (!w.ready) {
        weft__lock_release(&s->lock);
        return WEFT_ENOMEM;
    }
    if (s->tail)
        s->tail->next = &w;
    else
        s->head = &w;
    s->tail = &w;
    weft__lock_release(&s->lock);

    weft_case cases[2] = {
        {.ch = w.ready, .op = WEFT_RECV, .elem = NULL, .result = 0},
        {.ch = done, .op = WEFT_RECV, .elem = NULL, .result = 0},
    };
    int which = weft__select_until(cases, 2, 0, INT64_MAX);

    weft__lock_acquire(&s->lock);
    int rc = 0;
    if (which != 0 && !w.granted) {
        /* Cancelled while queued: leave the queue. If this waiter was the
         * head and weight is free, the ones behind may fit now. */
        bool was_head = s->head == &w;
        sem_unlink(s, &w);
        if (was_head && s->size > s->cur)
            sem_notify(s);
        rc = sem_ctx_err(ctx);
    } else if (which != 0 || sem_done_now(done)) {
        /* Granted, but the context ended too (before we could return, or
         * the select saw it first): pretend the grant never happened and
         * put the weight back, as x/sync does. */
        sem_release_locked(s, n);
        rc = sem_ctx_err(ctx);
    }
    weft__lock_release(&s->lock);
    /* Any close of ready happened under the lock just taken, so it has
     * fully returned and the channel is ours to free. */
    weft__chan_free(w.ready);
    if (rc == 0)
        WEFT__HB_ACQUIRE(s, 0);
    return rc;
}

bool weft_sem_try_acquire(weft_sem *s, int64_t n) {
    if (n < 0)
        return false;
    weft__lock_acquire(&s->lock);
    bool ok = s->size - s->cur >= n && s->head == NULL;
    if (ok)
        s->cur += n;
    weft__lock_release(&s->lock);
    if (ok)
        WEFT__HB_ACQUIRE(s, 0);
    return ok;
}

int weft_sem_release(weft_sem *s, int64_t n) {
    weft__lock_acquire(&s->lock);
    if (n < 0 || n > s->cur) {
        /* x/sync panics ("released more than held"); here the semaphore is
         * left untouched and the harness reports the misuse. */
        weft__lock_release(&s->lock);
        return WEFT_ERANGE;
    }
    /* Before the weight becomes visible to any acquirer. */
    WEFT__HB_RELEASE(s, 0);
    sem_release_locked(s, n);
    weft__lock_release(&s->lock);
    return 0;
}

void weft_sem_free(weft_sem *s) {
    /* Waiters live on their own stacks; by contract none are left. */
    free(s);
}
