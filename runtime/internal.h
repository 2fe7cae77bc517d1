/* SPDX-License-Identifier: MIT */
/* internal.h: what libweft's files share and nobody else sees.
 *
 * The building blocks under every primitive: a futex lock, a per-thread
 * parker (how a blocked thread sleeps and is woken), the waiter record that
 * a blocked thread links into a channel's queue (Go's sudog), the channel
 * layout, the select engine with a deadline, a timer thread, the
 * happens-before hooks and Valgrind annotations. Everything here is
 * `weft__`-prefixed and hidden from the shared library's symbol table,
 * except the two hb hooks which weft.h exports.
 */
#ifndef WEFT_RUNTIME_INTERNAL_H
#define WEFT_RUNTIME_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/weft.h"
#include "weft_private/hooks.h"

#define WEFT_HIDDEN __attribute__((visibility("hidden")))

/* ---- Valgrind annotations ------------------------------------------ */
/* DRD accepts Helgrind's happens-before client requests (same codes), so
 * helgrind.h serves both tools. A client request is a dozen instructions
 * (six stores and a magic rotate sequence) even outside Valgrind, and the
 * hot paths issue several per operation, so each is guarded by
 * weft__vg_on: RUNNING_ON_VALGRIND, read once before any other constructor
 * of libweft runs and never written again (so no tool sees a race on it). */
#ifdef WEFT_VALGRIND
#include <valgrind/helgrind.h>
WEFT_HIDDEN extern bool weft__vg_on;
#define WEFT__VG_BEFORE(obj)                                                                       \
    do {                                                                                           \
        if (__builtin_expect(weft__vg_on, 0))                                                      \
            ANNOTATE_HAPPENS_BEFORE(obj);                                                          \
    } while (0)
#define WEFT__VG_AFTER(obj)                                                                        \
    do {                                                                                           \
        if (__builtin_expect(weft__vg_on, 0))                                                      \
            ANNOTATE_HAPPENS_AFTER(obj);                                                           \
    } while (0)
#else
#define WEFT__VG_BEFORE(obj) ((void)(obj))
#define WEFT__VG_AFTER(obj) ((void)(obj))
#endif
/* Tells Helgrind and DRD that a word is only ever touched atomically, so
 * that they do not report the lock-free accesses to it as races. Outside
 * Valgrind it costs one load of a flag and no call. */
WEFT_HIDDEN void weft__vg_atomic_word_slow(const void *addr, size_t len);
static inline void weft__vg_atomic_word(const void *addr, size_t len) {
#ifdef WEFT_VALGRIND
    if (__builtin_expect(weft__vg_on, 0))
        weft__vg_atomic_word_slow(addr, len);
#else
    (void)addr;
    (void)len;
#endif
}

/* ---- spinning ------------------------------------------------------- */
/* A thread about to sleep spins first only while fewer threads than CPUs
 * are already spinning: on an oversubscribed machine a spinner burns the
 * core its waker needs. Spins are bounded in
 * time, not in iterations, because `pause` costs 10 to 150 cycles
 * depending on the CPU. */
WEFT_HIDDEN bool weft__spin_begin(void);
WEFT_HIDDEN void weft__spin_end(void);
#if defined(__x86_64__) || defined(__i386__)
#define WEFT__CPU_RELAX() __builtin_ia32_pause()
#else
#define WEFT__CPU_RELAX() ((void)0)
#endif
WEFT_HIDDEN int64_t weft__now(void);
/* Spins until done(arg) or budget_ns pass. Returns done(arg)'s last
 * answer. Inlined, so done is inlined too. */
static inline bool weft__spin_for(bool (*done)(const void *), const void *arg, int64_t budget_ns) {
    bool ok = false;
    int64_t end = 0;
    for (unsigned i = 0;; i++) {
        if (done(arg)) {
            ok = true;
            break;
        }
        if ((i & 7) == 0) {
            int64_t now = weft__now();
            if (end == 0)
                end = now + budget_ns;
            else if (now >= end)
                break;
        }
        WEFT__CPU_RELAX();
    }
    return ok;
}

/* Waits for another thread's progress, which may be far off, before the
 * caller sleeps: weft__spin_adaptive below with a per-thread budget of at
 * most budget_ns shared by the callers that keep none of their own. */
WEFT_HIDDEN bool weft__spin(bool (*done)(const void *), const void *arg, int64_t budget_ns);

/* A thread's budget for one kind of wait: how long waiting before a sleep
 * has lately been worth it. Lives in TLS, so it is never shared. */
typedef struct weft__spin_budget {
    int32_t ns;
} weft__spin_budget;
/* The least a budget shrinks to: enough for a partner that is running on
 * another core, so that a budget can grow again once waiting pays. */
#define WEFT__SPIN_MIN_NS 500
/* Waits for done(arg) before a sleep, if spinning is allowed now, for at
 * most *b (at most max_ns): with `pause`, and with yield after a first
 * microsecond with sched_yield. Doubles *b when done(arg) came true,
 * shrinks it by a quarter otherwise (see spin.c). Returns done(arg)'s last
 * answer. */
WEFT_HIDDEN bool weft__spin_adaptive(bool (*done)(const void *), const void *arg,
                                     weft__spin_budget *b, int32_t max_ns, bool yield);

/* ---- futex and lock ------------------------------------------------- */
WEFT_HIDDEN void weft__futex_wait(_Atomic uint32_t *word, uint32_t expect);
/* As above, giving up at an absolute CLOCK_MONOTONIC deadline (ns). */
WEFT_HIDDEN void weft__futex_wait_until(_Atomic uint32_t *word, uint32_t expect,
                                        int64_t deadline_ns);
WEFT_HIDDEN void weft__futex_wake(_Atomic uint32_t *word, int count);

/* A small mutex: 0 free, 1 held, 2 held with sleepers. It spins briefly
 * before sleeping because channel critical sections are a few dozen
 * instructions, and it is invisible to the LD_PRELOAD shim (unlike a
 * pthread mutex, which the shim would record as the user's own lock). */
typedef struct weft__lock {
    _Atomic uint32_t word;
} weft__lock;

WEFT_HIDDEN void weft__lock_init(weft__lock *l);
WEFT_HIDDEN void weft__lock_slow(weft__lock *l);

static inline void weft__lock_acquire(weft__lock *l) {
    uint32_t expect = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->word, &expect, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        weft__lock_slow(l);
    WEFT__VG_AFTER(l);
}

static inline void weft__lock_release(weft__lock *l) {
    WEFT__VG_BEFORE(l);
    if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
        weft__futex_wake(&l->word, 1);
}

/* ---- parker --------------------------------------------------------- */
/* One per thread, in TLS. A thread blocks on one operation at a time, so
 * the parker also holds that operation's claim word: whoever wins the CAS
 * on `claimed` (a waker, or the sleeper itself when its deadline passes)
 * owns the outcome. Only the claiming waker writes `fired` and the waiter's
 * result fields, then unparks. */
struct weft__waiter;
typedef struct weft__parker {
    _Atomic uint32_t state;   /* 0 parked, 1 woken, 2 sleeping in futex */
    _Atomic uint32_t claimed; /* 0 open, 1 claimed */
    struct weft__waiter *fired;
} weft__parker;

WEFT_HIDDEN weft__parker *weft__parker_self(void);
/* Arms the parker for a new blocking operation. */
WEFT_HIDDEN void weft__parker_arm(weft__parker *p);
/* Sleeps until unparked. */
WEFT_HIDDEN void weft__park(weft__parker *p);
/* Sleeps until unparked (true) or the deadline passes (false). With a
 * false return the caller must try to claim the parker itself. */
WEFT_HIDDEN bool weft__park_until(weft__parker *p, int64_t deadline_ns);
/* As weft__park_until, without the spin first: for a thread with nothing
 * to do (an idle pooled thread), whose wake-up is not worth a core. */
WEFT_HIDDEN bool weft__park_idle_until(weft__parker *p, int64_t deadline_ns);
/* Claims p for the caller; false if someone else already did. */
static inline bool weft__parker_claim(weft__parker *p) {
    uint32_t expect = 0;
    return atomic_compare_exchange_strong_explicit(&p->claimed, &expect, 1, memory_order_acq_rel,
                                                   memory_order_acquire);
}
/* Wakes a claimed parker. The parker may be gone the moment this returns. */
WEFT_HIDDEN void weft__unpark(weft__parker *p);

/* ---- waiters and channels ------------------------------------------ */
typedef struct weft__waitq {
    struct weft__waiter *first, *last;
} weft__waitq;

/* A thread blocked on one channel operation (or one case of a select). */
typedef struct weft__waiter {
    struct weft__waiter *next, *prev;
    weft__waitq *queue; /* the queue it is linked in, or NULL */
    weft__parker *parker;
    weft_chan *ch;
    void *elem;      /* send: the value; recv: where it goes (may be NULL) */
    int case_index;  /* which select case, 0 for plain ops */
    int result;      /* set by the waker: 0 or WEFT_ECLOSED */
    uint64_t rel_tk; /* hb ticket released when it blocked, for the peer */
    uint64_t acq_tk; /* hb ticket the waker left for it to acquire, or 0 */
} weft__waiter;

/* A wake-up list: waiters claimed and fired under a channel lock, to be
 * unparked once every lock is released (linked through `next`). */
typedef struct weft__wakes {
    weft__waiter *first;
} weft__wakes;
/* Unparks every waiter of the list and empties it. */
WEFT_HIDDEN void weft__wake_all(weft__wakes *wl);

/* Channels. An unbuffered channel is Go's hchan: everything under the
 * lock. A buffered one keeps its values in a lock-free ring (chan.c) whose
 * two positions, each on its own cache line, carry the flags that send
 * the fast paths to the lock: `tail` = (send position << 2) | SENDW |
 * CLOSED, `head` = (receive position << 2) | RECVW. */
#define WEFT__CACHE_LINE 64
struct weft_chan {
    /* Read by every operation, written at make: first, on a line that
     * stays shared. closed and the lock word change rarely. */
    size_t elem_size;
    size_t slot_size; /* a buffer slot: its sequence, two tickets, the value */
    size_t cap;
    size_t mask;        /* cap - 1 when cap is a power of two, else 0 */
    unsigned char *buf; /* cap slots (see chan.c) */
    /* closed changes only under the lock, but is read without it. */
    _Atomic uint32_t closed;
    weft__lock lock;
    _Atomic uint64_t close_tk; /* the close's release ticket */
    /* Under the lock. */
    uint64_t sent;    /* unbuffered: values ever handed over */
    uint64_t recvd;   /* unbuffered: values ever taken */
    uint64_t tickets; /* hb tickets issued under the lock (see chan.c) */
    weft__waitq recvq, sendq;
    char hb; /* its address is the channel's hb sync object */
    /* The timer that sends on this channel (timechan.c), or NULL: a
     * receive that finds it empty runs the timer if it is due. */
    struct weft_timer *src_timer;
    /* weft_after's timer, which freeing the channel stops and frees. */
    struct weft_timer *owned_timer;
    _Alignas(WEFT__CACHE_LINE) _Atomic uint64_t tail;
    _Alignas(WEFT__CACHE_LINE) _Atomic uint64_t head;
};

/* Sends/receives on a locked channel without blocking. 0 or WEFT_ECLOSED
 * when done; WEFT_EAGAIN when the operation would block. Waiters woken on
 * the way are added to *wl, to unpark after unlocking. */
WEFT_HIDDEN int weft__chan_send_locked(weft_chan *ch, const void *elem, weft__wakes *wl);
WEFT_HIDDEN int weft__chan_recv_locked(weft_chan *ch, void *elem, weft__wakes *wl);
/* Whether op could run now on the locked channel (select's first pass). */
WEFT_HIDDEN bool weft__chan_ready(weft_chan *ch, int op);
/* Links a waiter into the locked channel's queue for op, releasing its hb
 * ticket. On a buffered channel a value or a close may have come since
 * the caller looked: the waiters it now serves (w among them, maybe) are
 * added to *wl. */
WEFT_HIDDEN void weft__chan_enqueue(weft_chan *ch, int op, weft__waiter *w, weft__wakes *wl);
/* Unlinks w from its locked channel if a waker has not done so already. */
WEFT_HIDDEN void weft__chan_dequeue(weft__waiter *w);
/* A try_send (op WEFT_SEND) or try_recv on a non-nil channel, without
 * the exported (interposable) entry points: for select's first look. */
WEFT_HIDDEN int weft__chan_try(weft_chan *ch, int op, void *elem);
/* After waking: acquires what the waker left and returns the result. */
WEFT_HIDDEN int weft__waiter_finish(weft__waiter *w);

/* The select engine: weft_select with a deadline. Returns the index of the
 * case that ran, WEFT_EAGAIN (WEFT_NONBLOCK, nothing ready) or
 * WEFT_ETIMEDOUT (deadline_ns passed; INT64_MAX for none). */
WEFT_HIDDEN int weft__select_until(weft_case *cases, size_t n, int flags, int64_t deadline_ns);
/* Internal channel ops that bypass the exported (interposable) entry
 * points, so that the shim records only the user's own calls. */
WEFT_HIDDEN weft_chan *weft__chan_new(size_t elem_size, size_t capacity);
WEFT_HIDDEN int weft__chan_close(weft_chan *ch);
WEFT_HIDDEN void weft__chan_free(weft_chan *ch);
/* Waits until a receive on ch completes (for done channels: until ch is
 * closed), or the deadline passes: 0 or WEFT_ETIMEDOUT. A buffered ch
 * loses the value received. */
WEFT_HIDDEN int weft__chan_wait_until(weft_chan *ch, int64_t deadline_ns);

/* ---- happens-before ------------------------------------------------- */
/* Calls the exported hooks through the PLT (so the shim can interpose
 * them); they issue the Valgrind annotations. When neither is the case
 * (the hooks resolve to libweft's own no-ops and Valgrind is absent) the
 * calls would do nothing, and weft__hb_on, set once at load (hb.c), skips
 * them: a WaitGroup cycle makes two, a buffered send or receive one or
 * two, each a PLT call and return. */
WEFT_HIDDEN extern bool weft__hb_on;
#define WEFT__HB_RELEASE(obj, seq)                                                                 \
    do {                                                                                           \
        if (weft__hb_on)                                                                           \
            weft__hb_release((obj), (seq));                                                        \
    } while (0)
#define WEFT__HB_ACQUIRE(obj, seq)                                                                 \
    do {                                                                                           \
        if (weft__hb_on)                                                                           \
            weft__hb_acquire((obj), (seq));                                                        \
    } while (0)
#define WEFT__HB_BLOCK(obj)                                                                        \
    do {                                                                                           \
        if (weft__hb_on)                                                                           \
            weft__hb_block(obj);                                                                   \
    } while (0)
#define WEFT__HB_WAIT(obj)                                                                         \
    do {                                                                                           \
        if (weft__hb_on)                                                                           \
            weft__hb_wait(obj);                                                                    \
    } while (0)

/* ---- time, randomness, threads, timers ------------------------------ */
/* now + d, saturating at INT64_MAX; d <= 0 gives now. */
WEFT_HIDDEN int64_t weft__deadline_after(int64_t d);
/* A per-thread xorshift generator, seeded from the clock and thread. */
WEFT_HIDDEN uint32_t weft__rand32(void);
/* Uniform in [0, n). */
static inline uint32_t weft__rand_below(uint32_t n) {
    return (uint32_t)(((uint64_t)weft__rand32() * n) >> 32);
}

/* Starts fn(arg) on a detached thread: 0 or WEFT_ENOMEM. */
WEFT_HIDDEN int weft__spawn(void (*fn)(void *), void *arg);
/* Registers the thread pool's fork handlers (timer.c's constructor calls
 * it first: see spawn.c). */
WEFT_HIDDEN void weft__spawn_atfork(void);
/* Whether spawned threads may be reused for later functions: 1 here; the
 * recorder's shim interposes it to answer 0. */
__attribute__((visibility("default"))) int weft__thread_reuse(void);
/* What the pool knows of an OS thread: 1 idle; 2 running the function of
 * dispatch *task (unique in the process) on a reused thread; 0 otherwise
 * (not a pooled thread, or one still on the function it was made for). */
WEFT_HIDDEN int weft__pool_task(int32_t ostid, uint64_t *task);

/* One-shot timers, run on one lazily started thread that exits when no
 * timer is pending. fn must not block for long. */
typedef struct weft__timer {
    int64_t when;
    void (*fn)(void *arg);
    void *arg;
    size_t heap_index; /* position in the heap, or SIZE_MAX */
    bool running;      /* fn is running now on the timer thread */
} weft__timer;

WEFT_HIDDEN int weft__timer_start(weft__timer *t, int64_t when, void (*fn)(void *), void *arg);
/* Stops t: true if it was pending and will not fire. If fn is running,
 * waits for it to return. */
WEFT_HIDDEN bool weft__timer_stop(weft__timer *t);
/* Like weft__timer_stop, but never waits for a running fn: for callers
 * that hold a lock fn may take. A timer must be zeroed before its first
 * start or stop (calloc, or `= {0}`). */
WEFT_HIDDEN bool weft__timer_stop_nowait(weft__timer *t);

/* Timer channels (timechan.c): stops and frees the timer a weft_after
 * channel owns; the channel itself is the caller's to free. */
WEFT_HIDDEN void weft__timechan_release(struct weft_timer *t);
/* For a receive that found t's channel empty: if t is due and its timer
 * thread has not sent the value yet, takes it into elem (may be NULL) and
 * returns 1 (Go 1.23: a receive from an expired timer's channel finds
 * the value at the deadline); 2 when t was due but its timer thread ran
 * it meanwhile (the value is in the channel now: receive again); 0 when
 * it is not due. Called with no lock held. */
WEFT_HIDDEN int weft__timechan_take_due(struct weft_timer *t, void *elem);

/* ---- contexts (ctx.c) ----------------------------------------------- */
/* The weft_ctx_* entry points without the exported (interposable) names,
 * for libweft's own use: errgroup's derived context, and any primitive
 * that waits on a caller's context. NULL means the background context. */
WEFT_HIDDEN weft_ctx *weft__ctx_with_cancel(weft_ctx *parent);
WEFT_HIDDEN void weft__ctx_cancel(weft_ctx *ctx);
WEFT_HIDDEN void weft__ctx_free(weft_ctx *ctx);
WEFT_HIDDEN weft_chan *weft__ctx_done(weft_ctx *ctx);
WEFT_HIDDEN int weft__ctx_err(weft_ctx *ctx);
WEFT_HIDDEN int64_t weft__ctx_deadline(weft_ctx *ctx);

#endif /* WEFT_RUNTIME_INTERNAL_H */
