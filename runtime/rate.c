/* SPDX-License-Identifier: MIT */
/* rate.c: weft_limiter, golang.org/x/time/rate.Limiter.
 *
 * Owns weft_limiter_new, weft_limiter_allow, weft_limiter_wait and
 * weft_limiter_free. A token bucket of `burst` tokens refilled at `limit`
 * tokens per second, starting full. The code mirrors x/time/rate's reserveN,
 * advance and Reservation.CancelAt for n == 1, including its corners: an
 * infinite limit always allows, a zero limit spends the burst once and never
 * refills, and tokens may go negative, which is how a waiter reserves a
 * future token before sleeping until it exists.
 *
 * Times are CLOCK_MONOTONIC nanoseconds; Go's "zero time" for `last` is 0,
 * far enough in the past that the first use finds the bucket full anyway.
 * Durations that do not fit in int64 saturate to INT64_MAX, Go's
 * InfDuration.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

#define NS_PER_SEC 1e9
#define INF_DURATION INT64_MAX

struct weft_limiter {
    weft__lock lock;
    double limit; /* tokens per second; INFINITY: no limit */
    int burst;
    double tokens;
    int64_t last;       /* when tokens was last brought up to date */
    int64_t last_event; /* latest time a reserved token is due (past or future) */
};

/* A granted reservation, as in Go: what CancelAt needs to give it back. */
typedef struct reservation {
    int tokens;
    int64_t time_to_act;
    double limit;
} reservation;

static double tokens_from_duration(double limit, int64_t d) {
    if (limit <= 0)
        return 0;
    return ((double)d / NS_PER_SEC) * limit;
}

static int64_t duration_from_tokens(double limit, double tokens) {
    if (limit <= 0)
        return INF_DURATION;
    double d = tokens / limit * NS_PER_SEC;
    if (d >= (double)INT64_MAX)
        return INF_DURATION;
    return (int64_t)d;
}

static int64_t add_sat(int64_t t, int64_t d) {
    if (d > 0 && t > INT64_MAX - d)
        return INT64_MAX;
    if (d < 0 && t < INT64_MIN - d)
        return INT64_MIN;
    return t + d;
}

static int64_t sub_sat(int64_t a, int64_t b) {
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* Go's advance: the tokens the bucket would hold at t. Does not store. */
static double advance(const weft_limiter *l, int64_t t) {
    int64_t last = l->last;
    if (t < last)
        last = t;
    double tokens = l->tokens + tokens_from_duration(l->limit, t - last);
    if (tokens > (double)l->burst)
        tokens = (double)l->burst;
    return tokens;
}

/* Go's reserveN(t, 1, max_wait) with the lock held: true and *r filled when
 * the token is granted, due within max_wait; false changes nothing. */
static bool reserve_locked(weft_limiter *l, int64_t t, int64_t max_wait, reservation *r) {
    r->tokens = 0;
    r->time_to_act = t;
    r->limit = l->limit;
    if (isinf(l->limit)) {
        r->tokens = 1;
        return true;
    }
    if (l->limit == 0) {
        /* No refill: the burst is a one-off budget, spent for good. Go's
         * Reservation then records the remaining burst as its tokens, but
         * as time_to_act is now such a reservation never needs cancelling. */
        if (l->burst < 1)
            return false;
        l->burst--;
        r->tokens = l->burst;
        return true;
    }
    double tokens = advance(l, t) - 1;
    int64_t wait = 0;
    if (tokens < 0)
        wait = duration_from_tokens(l->limit, -tokens);
    if (l->burst < 1 || wait > max_wait)
        return false;
    r->tokens = 1;
    r->time_to_act = add_sat(t, wait);
    l->last = t;
    l->tokens = tokens;
    l->last_event = r->time_to_act;
    return true;
}

/* Go's Reservation.CancelAt(t): gives back the reserved token, less the
 * tokens reserved after it (they were computed assuming it was taken). */
static void cancel_at(weft_limiter *l, const reservation *r, int64_t t) {
    weft__lock_acquire(&l->lock);
    if (isinf(l->limit) || r->tokens == 0 || r->time_to_act < t)
        goto out;
    double restore =
        r->tokens - tokens_from_duration(r->limit, sub_sat(l->last_event, r->time_to_act));
    if (restore <= 0)
        goto out;
    double tokens = advance(l, t) + restore;
    if (tokens > (double)l->burst)
        tokens = (double)l->burst;
    l->last = t;
    l->tokens = tokens;
    if (r->time_to_act == l->last_event) {
        int64_t prev = add_sat(r->time_to_act, duration_from_tokens(r->limit, -(double)r->tokens));
        if (prev >= t)
            l->last_event = prev;
    }
out:
    weft__lock_release(&l->lock);
}

weft_limiter *weft_limiter_new(double per_second, int burst) {
    if (isnan(per_second) || per_second < 0 || burst < 0)
        return NULL;
    weft_limiter *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    weft__lock_init(&l->lock);
    l->limit = per_second;
    l->burst = burst;
    l->tokens = (double)burst;
    return l;
}

bool weft_limiter_allow(weft_limiter *l) {
    reservation r;
    weft__lock_acquire(&l->lock);
    bool ok = reserve_locked(l, weft__now(), 0, &r);
    weft__lock_release(&l->lock);
    return ok;
}

int weft_limiter_wait(weft_ctx *ctx, weft_limiter *l) {
    weft__lock_acquire(&l->lock);
    int burst = l->burst;
    double limit = l->limit;
    weft__lock_release(&l->lock);
    /* Go: "Wait(n=1) exceeds limiter's burst 0". */
    if (burst < 1 && !isinf(limit))
        return WEFT_EINVAL;

    /* The hidden context accessors keep these internal reads out of the
     * shim's record; NULL is the background context, never done and
     * without deadline. */
    weft_chan *done = weft__ctx_done(ctx);
    weft_case c = {.ch = done, .op = WEFT_RECV, .elem = NULL, .result = 0};
    if (done && weft__select_until(&c, 1, WEFT_NONBLOCK, INT64_MAX) == 0)
        goto ctx_ended;

    int64_t t = weft__now();
    int64_t max_wait = INF_DURATION;
    int64_t deadline = weft__ctx_deadline(ctx);
    if (deadline != INT64_MAX)
        max_wait = sub_sat(deadline, t);

    reservation r;
    weft__lock_acquire(&l->lock);
    bool ok = reserve_locked(l, t, max_wait, &r);
    weft__lock_release(&l->lock);
    /* Go: "Wait(n=1) would exceed context deadline", returned at once and
     * with nothing taken, since the reservation was refused. */
    if (!ok)
        return WEFT_ETIMEDOUT;
    if (r.time_to_act <= t)
        return 0;

    /* Sleep until the token is due, unless the context ends first. */
    if (weft__select_until(&c, done ? 1 : 0, 0, r.time_to_act) == WEFT_ETIMEDOUT)
        return 0;
    /* Cancelled before the token was due: hand it back so that others may
     * proceed sooner. */
    cancel_at(l, &r, weft__now());
ctx_ended:;
    int err = weft__ctx_err(ctx);
    return err ? err : WEFT_ECANCELED;
}

void weft_limiter_free(weft_limiter *l) {
    free(l);
}
