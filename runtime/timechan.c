/* SPDX-License-Identifier: MIT */
/* timechan.c: timer channels, Go's time.After, time.Timer and time.Ticker
 * (weft_after, weft_timer_*, weft_ticker_*).
 *
 * Each is a channel of int64_t with capacity 1 and a weft__timer on
 * libweft's one timer thread (timer.c), so there is no thread per timer,
 * and a tick allocates nothing: the fire function sends into the ring and
 * puts the same weft__timer back into the heap. The value sent is the
 * CLOCK_MONOTONIC time the run was due at, as Go sends Now() less the
 * lateness.
 *
 * Go 1.23 semantics: once Stop or Reset returns, no value prepared before
 * the call is received. The fire function checks `armed` under fire_lock
 * before it sends, Stop clears `armed` under that lock, waits until the
 * timer is neither in the heap nor running, and then drains the channel;
 * a value it drains had not been received, so (as in Go 1.23, where such
 * a timer has not fired yet) Stop reports it stopped in time. A send that
 * finds the channel full is dropped (Go's sendTime uses a select with a
 * default), so a slow receiver never sees ticks pile up. And as Go 1.23
 * runs an expired timer when its channel is received from, a receive that
 * finds the channel empty takes a due run's value itself
 * (weft__timechan_take_due, called by chan.c), rather than wait for the
 * timer thread to get there.
 *
 * Locks: a timer's op_lock serializes its owner's calls (stop, reset,
 * free) with one another, and is held while waiting for a running fire
 * function, which never takes it. One fire_lock for all timer channels
 * guards armed, when and period against the fire functions; its critical
 * sections are a few dozen instructions, and being one it can be taken
 * across fork, so that the child never inherits it held, nor a timer
 * channel's lock held by a send in flight. Order: op_lock, then
 * fire_lock, then a channel's lock or the timer heap's lock; the heap's
 * lock is never held while taking ours (timer.c runs functions without
 * it).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct weft_timer {
    weft__lock op_lock;
    weft__timer tm;
    weft_chan *ch;
    /* When the armed run is due. Written under fire_lock; atomic because
     * a receive reads it without the lock first (take_due). */
    _Atomic int64_t when;
    int64_t period; /* a ticker's period; 0 for a one-shot timer */
    bool armed;     /* a run is due at `when` and has not been sent */
};

static weft__lock fire_lock;

static void fork_prepare(void) {
    weft__lock_acquire(&fire_lock);
}

static void fork_parent(void) {
    weft__lock_release(&fire_lock);
}

static void fork_child(void) {
    weft__lock_init(&fire_lock);
}

/* Priority 102, after timer.c's 101: prepare handlers run in reverse
 * order of registration, so a fork takes fire_lock before the heap's
 * lock, the order every other path uses. */
__attribute__((constructor(102))) static void timechan_init(void) {
    weft__lock_init(&fire_lock);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* A ticker is a periodic timer; the distinct type only keeps the two
 * APIs apart at compile time. */
struct weft_ticker {
    struct weft_timer t;
};

/* when + k * period for the least k >= 1 that passes now: Go's ticker
 * skips the ticks it was too late for and stays on its grid, so that the
 * period does not drift by the timer thread's lateness. Saturates. */
static int64_t next_tick(int64_t when, int64_t period, int64_t now) {
    int64_t late = now > when ? now - when : 0;
    int64_t steps = 1 + late / period;
    if (steps > (INT64_MAX - when) / period)
        return INT64_MAX;
    return when + steps * period;
}

static void fire(void *arg);

/* Runs the run due at t->when, if it is due; fire_lock held. The timer
 * thread sends the value (to_recv NULL); a receive that found the channel
 * empty takes it directly (to_recv: where it goes, or to_recv_discard). */
static char to_recv_discard;

static bool run_locked(struct weft_timer *t, void *to_recv) {
    int64_t now = weft__now();
    int64_t due = atomic_load_explicit(&t->when, memory_order_relaxed);
    if (!t->armed || due > now)
        return false;
    if (to_recv) {
        /* Nothing was sent since the receiver found the channel empty
         * (every send is made here, under this lock, and moves `when` on
         * or disarms), so this value is next in line. */
        if (to_recv != &to_recv_discard)
            memcpy(to_recv, &due, sizeof due);
    } else {
        /* Capacity 1: when the last value has not been taken, this one is
         * dropped, as in Go. The send is a channel send like any other
         * (chan.c issues its happens-before edge). */
        (void)weft__chan_try(t->ch, WEFT_SEND, &due);
    }
    if (t->period > 0) {
        int64_t next = next_tick(due, t->period, now);
        atomic_store_explicit(&t->when, next, memory_order_relaxed);
        /* On the timer thread this cannot need memory (the heap slot the
         * timer just left is free, and the thread is alive); elsewhere it
         * moves an entry still in the heap. */
        if (weft__timer_start(&t->tm, next, fire, t) != 0)
            t->armed = false;
    } else {
        /* A one-shot timer's heap entry, if a receive ran it early, stays
         * until the timer thread finds it disarmed: removing it here could
         * not wait for a fire already running. */
        t->armed = false;
    }
    return true;
}

/* Runs on the timer thread. A run that stop or reset overtook, or that a
 * receive took already (weft__timechan_take_due), finds the timer disarmed
 * or due later and sends nothing; so does a run that fork's child repeats
 * (timer.c) after the parent's had sent. */
static void fire(void *arg) {
    struct weft_timer *t = arg;
    weft__lock_acquire(&fire_lock);
    run_locked(t, NULL);
    weft__lock_release(&fire_lock);
}

int weft__timechan_take_due(struct weft_timer *t, void *elem) {
    /* Unlocked first look: most receives on a timer's channel come before
     * its deadline, and must not all meet on fire_lock. A stale answer
     * only means the timer thread sends instead. */
    if (atomic_load_explicit(&t->when, memory_order_relaxed) > weft__now())
        return 0;
    weft__lock_acquire(&fire_lock);
    bool took = run_locked(t, elem ? elem : &to_recv_discard);
    weft__lock_release(&fire_lock);
    /* Not taken although due: the timer thread held fire_lock and sent
     * the run's value into the channel after this receive found it empty
     * (every send is made under fire_lock: the value is there now). */
    return took ? 1 : 2;
}

/* Disarms t and drains its channel; op_lock held. True if a run had not
 * been received yet: it was still due, or its value was still in the
 * channel. */
static bool halt(struct weft_timer *t) {
    weft__lock_acquire(&fire_lock);
    bool was_armed = t->armed;
    t->armed = false;
    weft__lock_release(&fire_lock);
    /* The first stop takes it out of the heap or waits for a running fire
     * function; that function may have put it back (a ticker) before it
     * saw `armed` cleared, so a second stop takes it out again and waits
     * until the function has returned. After that nothing sends. */
    weft__timer_stop(&t->tm);
    weft__timer_stop(&t->tm);
    bool drained = weft__chan_try(t->ch, WEFT_RECV, NULL) == 0;
    return was_armed || drained;
}

/* Arms t to run d_ns from now (then every period, if period > 0); op_lock
 * held (or t not yet shared). 0 or WEFT_ENOMEM, and then t stays off. */
static int arm(struct weft_timer *t, int64_t d_ns, int64_t period) {
    weft__lock_acquire(&fire_lock);
    t->period = period;
    int64_t when = weft__deadline_after(d_ns);
    atomic_store_explicit(&t->when, when, memory_order_relaxed);
    t->armed = true;
    int rc = weft__timer_start(&t->tm, when, fire, t);
    if (rc != 0)
        t->armed = false;
    weft__lock_release(&fire_lock);
    return rc;
}

static struct weft_timer *timer_make(int64_t d_ns, int64_t period, size_t size) {
    struct weft_timer *t = calloc(1, size);
    if (!t)
        return NULL;
    weft__lock_init(&t->op_lock);
    t->tm.heap_index = SIZE_MAX;
    weft__vg_atomic_word(&t->when, sizeof t->when);
    t->ch = weft__chan_new(sizeof(int64_t), 1);
    if (t->ch)
        t->ch->src_timer = t;
    if (!t->ch || arm(t, d_ns, period) != 0) {
        weft__chan_free(t->ch);
        free(t);
        return NULL;
    }
    return t;
}

static void timer_destroy(struct weft_timer *t, bool free_chan) {
    weft__lock_acquire(&t->op_lock);
    halt(t);
    weft__lock_release(&t->op_lock);
    if (free_chan)
        weft__chan_free(t->ch);
    free(t);
}

void weft__timechan_release(struct weft_timer *t) {
    timer_destroy(t, false);
}

/* ---- time.After ---------------------------------------------------- */

weft_chan *weft_after(int64_t d_ns) {
    struct weft_timer *t = timer_make(d_ns, 0, sizeof *t);
    if (!t)
        return NULL;
    /* Freeing the channel frees the timer (weft__chan_free). */
    t->ch->owned_timer = t;
    return t->ch;
}

/* ---- time.Timer ---------------------------------------------------- */

weft_timer *weft_timer_new(int64_t d_ns) {
    return timer_make(d_ns, 0, sizeof(weft_timer));
}

weft_chan *weft_timer_chan(weft_timer *t) {
    return t ? t->ch : NULL;
}

bool weft_timer_stop(weft_timer *t) {
    weft__lock_acquire(&t->op_lock);
    bool stopped = halt(t);
    weft__lock_release(&t->op_lock);
    return stopped;
}

bool weft_timer_reset(weft_timer *t, int64_t d_ns) {
    weft__lock_acquire(&t->op_lock);
    bool was = halt(t);
    if (arm(t, d_ns, 0) != 0)
        errno = ENOMEM;
    weft__lock_release(&t->op_lock);
    return was;
}

void weft_timer_free(weft_timer *t) {
    if (t)
        timer_destroy(t, true);
}

/* ---- time.Ticker --------------------------------------------------- */

weft_ticker *weft_ticker_new(int64_t period_ns) {
    if (period_ns <= 0) {
        errno = EINVAL;
        return NULL;
    }
    struct weft_timer *t = timer_make(period_ns, period_ns, sizeof(weft_ticker));
    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    return (weft_ticker *)t;
}

weft_chan *weft_ticker_chan(weft_ticker *t) {
    return t ? t->t.ch : NULL;
}

void weft_ticker_stop(weft_ticker *t) {
    weft__lock_acquire(&t->t.op_lock);
    halt(&t->t);
    weft__lock_release(&t->t.op_lock);
}

int weft_ticker_reset(weft_ticker *t, int64_t period_ns) {
    if (period_ns <= 0)
        return WEFT_EINVAL;
    weft__lock_acquire(&t->t.op_lock);
    halt(&t->t);
    int rc = arm(&t->t, period_ns, period_ns);
    weft__lock_release(&t->t.op_lock);
    return rc;
}

void weft_ticker_free(weft_ticker *t) {
    if (t)
        timer_destroy(&t->t, true);
}
