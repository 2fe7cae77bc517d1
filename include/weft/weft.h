/* SPDX-License-Identifier: MIT */
/* weft.h: the libweft runtime API, Go-style concurrency for C.
 *
 * Channels with close and select, WaitGroup, errgroup, weighted semaphore,
 * context, rate limiter, futures and timer channels (time.After, Timer,
 * Ticker), with the semantics of Go's spec, its time package (1.23),
 * golang.org/x/sync and golang.org/x/time/rate. Functions return 0 or a
 * negative WEFT_E* code (libuv style); weft_strerror() names it. Misuse that
 * Go answers with a panic (double close, send on closed, negative counter,
 * over-release) returns an error code here and the program goes on.
 *
 * Wherever a function takes a weft_ctx *, NULL means the background context.
 * Durations and deadlines are nanoseconds; deadlines are CLOCK_MONOTONIC.
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0
#define WEFT_VERSION_STRING "0.1.0"

/* Error codes: negated errno values, so they read well in strace and gdb. */
#define WEFT_ECLOSED (-EPIPE)       /* channel closed (send, close, drained recv) */
#define WEFT_EAGAIN (-EAGAIN)       /* would block (try ops, non-blocking select) */
#define WEFT_ECANCELED (-ECANCELED) /* context cancelled */
#define WEFT_ETIMEDOUT (-ETIMEDOUT) /* deadline passed */
#define WEFT_EINVAL (-EINVAL)       /* bad argument */
#define WEFT_ENOMEM (-ENOMEM)       /* out of memory or threads */
#define WEFT_ERANGE                                                                                \
    (-ERANGE) /* counter out of range: negative WaitGroup,                                         \
                 semaphore over-release */

/* A static description of a WEFT_E* code (or any negated errno). */
WEFT_API const char *weft_strerror(int err);
/* The library's version string, for programs checking what they loaded. */
WEFT_API const char *weft_version(void);

/* ------------------------------------------------------------------ */
/* Channels                                                             */

typedef struct weft_chan weft_chan;

/* elem_size 0 is fine (chan struct{}); capacity 0 makes an unbuffered
 * channel. NULL on out of memory. */
WEFT_API weft_chan *weft_chan_make(size_t elem_size, size_t capacity);
/* Blocks until a receiver takes the value (unbuffered) or a slot is free.
 * WEFT_ECLOSED: the channel is closed, also when the close came while this
 * sender was blocked; the value is then not delivered. */
WEFT_API int weft_chan_send(weft_chan *ch, const void *elem);
/* Blocks for a value. elem may be NULL to discard it. Once the channel is
 * closed and drained: WEFT_ECLOSED with elem zeroed (Go's ok == false). */
WEFT_API int weft_chan_recv(weft_chan *ch, void *elem);
/* Like send and recv, but WEFT_EAGAIN instead of blocking. */
WEFT_API int weft_chan_try_send(weft_chan *ch, const void *elem);
WEFT_API int weft_chan_try_recv(weft_chan *ch, void *elem);
/* Wakes every blocked receiver (WEFT_ECLOSED) and sender (WEFT_ECLOSED).
 * WEFT_ECLOSED if it was already closed. */
WEFT_API int weft_chan_close(weft_chan *ch);
WEFT_API size_t weft_chan_len(const weft_chan *ch);
WEFT_API size_t weft_chan_cap(const weft_chan *ch);
/* Frees a channel no thread uses any more. NULL is fine. */
WEFT_API void weft_chan_free(weft_chan *ch);
/* NULL is Go's nil channel: send and recv block forever, close returns
 * WEFT_EINVAL, and a NULL case is never ready in select. */

/* ------------------------------------------------------------------ */
/* Select                                                               */

enum { WEFT_SEND = 1, WEFT_RECV = 2 };
#define WEFT_NONBLOCK 1

typedef struct weft_case {
    weft_chan *ch; /* NULL: a nil channel, never ready */
    int op;        /* WEFT_SEND or WEFT_RECV */
    void *elem;    /* value to send, or where to receive (may be NULL) */
    int result;    /* out: 0, or WEFT_ECLOSED, for the case that ran */
} weft_case;

/* Runs one ready case, chosen uniformly at random among the ready ones,
 * blocking until one is ready. Returns its index; cases[i].result is that
 * case's own result. With WEFT_NONBLOCK and nothing ready: WEFT_EAGAIN (Go's
 * default clause). A send and a receive on the same unbuffered channel in
 * one select never match each other. No allocation per call. n == 0 blocks
 * forever (or returns WEFT_EAGAIN with WEFT_NONBLOCK). */
WEFT_API int weft_select(weft_case *cases, size_t n, int flags);

/* ------------------------------------------------------------------ */
/* Goroutines                                                           */

/* Runs fn(arg) on a new detached thread. WEFT_ENOMEM if none could be made. */
WEFT_API int weft_go(void (*fn)(void *arg), void *arg);

/* ------------------------------------------------------------------ */
/* WaitGroup                                                            */

/* The zero value is an empty WaitGroup: `weft_wg wg = {0};` or a static.
 * The fields are private; use the functions. */
typedef struct weft_wg {
    uint64_t state_;   /* counter, sleepers flag and epoch, changed by one CAS */
    uint32_t wake_;    /* reserved */
    uint32_t waiters_; /* reserved */
} weft_wg;
#define WEFT_WG_INIT                                                                               \
    { 0, 0, 0 }

/* WEFT_ERANGE (and no change) when the counter would go negative or past
 * INT32_MAX. */
WEFT_API int weft_wg_add(weft_wg *wg, int delta);
WEFT_API void weft_wg_done(weft_wg *wg);
/* Returns once the counter is zero. */
WEFT_API void weft_wg_wait(weft_wg *wg);

/* ------------------------------------------------------------------ */
/* Context                                                              */

typedef struct weft_ctx weft_ctx;

/* Never cancelled; its done channel is NULL (never ready). Not freed. */
WEFT_API weft_ctx *weft_ctx_background(void);
/* NULL on out of memory. A child of a cancelled parent starts cancelled. */
WEFT_API weft_ctx *weft_ctx_with_cancel(weft_ctx *parent);
WEFT_API weft_ctx *weft_ctx_with_timeout(weft_ctx *parent, int64_t timeout_ns);
WEFT_API weft_ctx *weft_ctx_with_deadline(weft_ctx *parent, int64_t deadline_ns);
/* Idempotent; cancels every descendant too. */
WEFT_API void weft_ctx_cancel(weft_ctx *ctx);
/* Closed on cancel or deadline. */
WEFT_API weft_chan *weft_ctx_done(weft_ctx *ctx);
/* 0 while live, then WEFT_ECANCELED or WEFT_ETIMEDOUT for good. */
WEFT_API int weft_ctx_err(weft_ctx *ctx);
/* The deadline (CLOCK_MONOTONIC ns), or INT64_MAX when there is none. */
WEFT_API int64_t weft_ctx_deadline(weft_ctx *ctx);
/* Cancels it if needed and frees it; call when no thread uses it. Its live
 * children are detached, not freed. */
WEFT_API void weft_ctx_free(weft_ctx *ctx);

/* CLOCK_MONOTONIC now, in ns: the clock deadlines are measured on. */
WEFT_API int64_t weft_now_ns(void);

/* ------------------------------------------------------------------ */
/* Timers and tickers (Go's time.After, time.Timer, time.Ticker)        */

/* Channels of int64_t (elem_size 8, capacity 1) on which libweft's one
 * timer thread sends the CLOCK_MONOTONIC time a run was due at (Go sends
 * the time too). Go 1.23 semantics: after Stop or Reset returns, no value
 * prepared before the call is received (the channel is drained), and a
 * tick that finds the channel full is dropped, so ticks never pile up.
 * No thread per timer and no allocation per tick. */

/* time.After: one value, d_ns from now (at once when d_ns <= 0). The
 * caller frees the channel with weft_chan_free, which also stops the
 * timer; that is how a pending one is cancelled. NULL on out of memory. */
WEFT_API weft_chan *weft_after(int64_t d_ns);

typedef struct weft_timer weft_timer;
/* time.NewTimer: fires once, d_ns from now. NULL on out of memory. */
WEFT_API weft_timer *weft_timer_new(int64_t d_ns);
/* Its channel (t.C), owned by the timer: do not free it yourself. */
WEFT_API weft_chan *weft_timer_chan(weft_timer *t);
/* True if the call stopped the timer before it fired, i.e. its value had
 * not been received yet (a value already in the channel is taken back).
 * False if it had fired and been received, or was already stopped. */
WEFT_API bool weft_timer_stop(weft_timer *t);
/* Stops t as weft_timer_stop does (same result) and starts it again to
 * fire d_ns from now. On out of memory it stays stopped and errno is
 * ENOMEM. */
WEFT_API bool weft_timer_reset(weft_timer *t, int64_t d_ns);
/* Stops it and frees it with its channel. NULL is fine. */
WEFT_API void weft_timer_free(weft_timer *t);

typedef struct weft_ticker weft_ticker;
/* time.NewTicker: sends every period_ns, the first time period_ns from
 * now. Ticks stay on the grid start + k * period_ns (no drift); ticks a
 * slow receiver misses are dropped (capacity 1). NULL with errno EINVAL
 * when period_ns <= 0 (Go panics), ENOMEM on out of memory. */
WEFT_API weft_ticker *weft_ticker_new(int64_t period_ns);
/* Its channel (t.C), owned by the ticker: do not free it yourself. */
WEFT_API weft_chan *weft_ticker_chan(weft_ticker *t);
/* No tick is received after it returns; the channel stays open (as Go's). */
WEFT_API void weft_ticker_stop(weft_ticker *t);
/* Stops it and starts it again with a new period, the next tick period_ns
 * from now; also restarts a stopped ticker. WEFT_EINVAL (and no change)
 * when period_ns <= 0, WEFT_ENOMEM (and stopped) on out of memory. */
WEFT_API int weft_ticker_reset(weft_ticker *t, int64_t period_ns);
/* Stops it and frees it with its channel. NULL is fine. */
WEFT_API void weft_ticker_free(weft_ticker *t);

/* ------------------------------------------------------------------ */
/* errgroup                                                             */

typedef struct weft_group weft_group;

/* errgroup.WithContext(parent). NULL on out of memory. */
WEFT_API weft_group *weft_group_new(weft_ctx *parent);
/* Cancelled on the first error of a function, or when wait returns. */
WEFT_API weft_ctx *weft_group_ctx(weft_group *g);
/* At most n functions at once; n < 0: no limit. WEFT_EINVAL while any
 * function of the group is running (Go panics there). */
WEFT_API int weft_group_set_limit(weft_group *g, int n);
/* Runs fn(group ctx, arg) on a new thread, blocking while the limit is
 * reached. WEFT_ENOMEM if no thread could be made. */
WEFT_API int weft_group_go(weft_group *g, int (*fn)(weft_ctx *ctx, void *arg), void *arg);
/* Like go, but false instead of blocking at the limit. */
WEFT_API bool weft_group_try_go(weft_group *g, int (*fn)(weft_ctx *, void *), void *arg);
/* Waits for every function; returns the first non-zero result, or 0. */
WEFT_API int weft_group_wait(weft_group *g);
/* After wait. */
WEFT_API void weft_group_free(weft_group *g);

/* ------------------------------------------------------------------ */
/* Weighted semaphore (x/sync/semaphore)                                */

typedef struct weft_sem weft_sem;

WEFT_API weft_sem *weft_sem_new(int64_t size);
/* FIFO: a waiter at the head blocks later ones, even small ones that would
 * fit. WEFT_ECANCELED / WEFT_ETIMEDOUT when ctx ends first (nothing is then
 * held); an n larger than the size waits for ctx. WEFT_EINVAL for n < 0. */
WEFT_API int weft_sem_acquire(weft_ctx *ctx, weft_sem *s, int64_t n);
WEFT_API bool weft_sem_try_acquire(weft_sem *s, int64_t n);
/* WEFT_ERANGE, and no change, when releasing more than is held. */
WEFT_API int weft_sem_release(weft_sem *s, int64_t n);
WEFT_API void weft_sem_free(weft_sem *s);

/* ------------------------------------------------------------------ */
/* Rate limiter (x/time/rate token bucket)                              */

typedef struct weft_limiter weft_limiter;

/* Starts full: burst tokens, refilled at per_second. NULL for a negative
 * rate or burst. per_second may be INFINITY (no limit). */
WEFT_API weft_limiter *weft_limiter_new(double per_second, int burst);
/* Takes a token, waiting as needed. WEFT_ECANCELED / WEFT_ETIMEDOUT if ctx
 * ends first, and WEFT_ETIMEDOUT at once if the wait would pass ctx's
 * deadline; WEFT_EINVAL when burst is 0 and the rate is finite. */
WEFT_API int weft_limiter_wait(weft_ctx *ctx, weft_limiter *l);
WEFT_API bool weft_limiter_allow(weft_limiter *l);
WEFT_API void weft_limiter_free(weft_limiter *l);

/* ------------------------------------------------------------------ */
/* Futures                                                              */

typedef struct weft_future weft_future;

/* Runs fn(arg, result) on a new thread; result points to result_size
 * zeroed bytes that fn fills in. NULL on out of memory. */
WEFT_API weft_future *weft_future_start(int (*fn)(void *arg, void *result), void *arg,
                                        size_t result_size);
/* Waits for fn, copies its result (if result != NULL) and returns fn's own
 * return code. Any number of times, from any thread. */
WEFT_API int weft_future_get(weft_future *f, void *result);
/* WEFT_ETIMEDOUT if fn has not finished within timeout_ns. */
WEFT_API int weft_future_get_timeout(weft_future *f, void *result, int64_t timeout_ns);
/* Waits for fn if it is still running, then frees. */
WEFT_API void weft_future_free(weft_future *f);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_WEFT_H */
