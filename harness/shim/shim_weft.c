/* SPDX-License-Identifier: MIT */
/* shim_weft.c: interposers for every public libweft call (channels, select,
 * weft_go, WaitGroup, context, timers' creation and free, errgroup,
 * weighted semaphore, rate limiter, future) and for libweft's
 * happens-before annotations.
 *
 * The real functions are looked up lazily with dlsym(RTLD_NEXT): when
 * libweft is not loaded nobody calls these, and nothing is resolved.
 *
 * Which records (log.h documents each kind's fields):
 * - objects get a creation record with the creator's stack; destroy calls
 *   (free) a record with a stack.
 * - channel send/recv and select try first (try_send/try_recv, a select
 *   with WEFT_NONBLOCK): these have exactly the meaning of the blocking
 *   call when something is ready, and the hot path of a busy channel then
 *   costs one record without a stack. Only a call that must wait gets its
 *   begin record, with a stack (where it waits is what a report shows),
 *   and the watchdog's mark.
 * - the other blocking calls (wg/group wait, group go, semaphore acquire,
 *   limiter wait, future get/free) always get a begin with a stack and an
 *   end with the result.
 * - results are recorded as libweft returns them: a close returning
 *   WEFT_ECLOSED is a double close, a send returning it is a send on a
 *   closed channel; such misuse results also get the stack.
 * - threads made by weft_go, weft_group_go and weft_future_start: libweft
 *   reaches our pthread_create through its own hidden spawn; we leave the
 *   user's function in the thread state (go_fn) so that pthread_create
 *   records the thread once, with that function and the API's name.
 *
 * - what each thread may reach (reach.h): every channel call adds its
 *   channel to the caller's filter; a send passes the sender's filter on to
 *   the channel's receivers; timer and context channels are marked.
 *
 * errno is preserved: WEFT_RECORD saves and restores it around recording. */
#include <string.h>

#include <weft/weft.h>
#include "weft_private/hooks.h"

#include "reach.h"
#include "shim.h"

#define P(p) ((uint64_t)(uintptr_t)(p))
#define I(v) ((uint64_t)(int64_t)(v))
#define REAL(var, name) WEFT_REAL(void, var, name)

/* A timer's or a context's channel: made (its maker may reach it, and a
 * wait on it is never judged: a timer or a cancel can end it) or gone. */
static void special_chan(uint64_t ch, int made) {
    if (!ch || !weft__reach_on())
        return;
    if (made)
        weft__reach_add(ch);
    weft__reach_special(ch, made);
}

/* ---- libweft's code range: a pthread_create from there without a
 * pending user function is libweft's own thread (its timer). ---- */
static uintptr_t lw_lo, lw_hi;
static int lw_known;

static void learn_range(void *some_real_fn) {
    if (__atomic_load_n(&lw_known, __ATOMIC_ACQUIRE) || !some_real_fn)
        return;
    uintptr_t lo, hi;
    weft__modules_range_of((uintptr_t)some_real_fn, &lo, &hi);
    lw_lo = lo;
    lw_hi = hi;
    __atomic_store_n(&lw_known, 1, __ATOMIC_RELEASE);
    weft__stack_code_changed(); /* a stack's leading libweft frames now drop */
}

int weft__from_libweft(uintptr_t pc) {
    return __atomic_load_n(&lw_known, __ATOMIC_ACQUIRE) && pc >= lw_lo && pc < lw_hi;
}

static inline uint32_t stk(void) {
    return weft__stack();
}

/* ---- channels ---- */
static weft_chan *(*r_make)(size_t, size_t);
static int (*r_send)(weft_chan *, const void *);
static int (*r_recv)(weft_chan *, void *);
static int (*r_try_send)(weft_chan *, const void *);
static int (*r_try_recv)(weft_chan *, void *);
static int (*r_close)(weft_chan *);
static size_t (*r_len)(const weft_chan *);
static size_t (*r_cap)(const weft_chan *);
static void (*r_chan_free)(weft_chan *);

WEFT_EXPORT weft_chan *weft_chan_make(size_t elem_size, size_t capacity) {
    REAL(r_make, "weft_chan_make");
    learn_range((void *)(uintptr_t)r_make);
    weft_chan *ch = r_make(elem_size, capacity);
    weft__reach_add(P(ch));
    WEFT_RECORD(if (ch) weft__emit(WEFT_K_CHAN_MAKE, P(ch), elem_size, capacity, stk(), 0));
    return ch;
}

/* Folding (see WEFT_FOLD_* in shim.h): set around a real libweft call.
 * once: a channel send, receive or select, where every ticket libweft
 * releases is acquired by at most one other operation (runtime/chan.c: a
 * value's ticket by its receiver, a freed slot's by the next sender into
 * it, a waiter's by the one that completes it). Records say so
 * (WEFT_H_ONCE) and the detectors drop such a ticket once acquired. Not
 * for close: its ticket is acquired by every later receive. */
static inline void fold_begin(uint32_t mode, int once, uint16_t kind, uint64_t obj, uint64_t arg2,
                              uint32_t stack) {
    weft__t.fold_block = 0;
    weft__t.fold_blocked = 0;
    weft__t.fold = mode;
    weft__t.fold_once = (uint32_t)once;
    weft__t.fold_kind = kind;
    weft__t.fold_obj = obj;
    weft__t.fold_arg2 = arg2;
    weft__t.fold_stack = stack;
    weft__t.fold_done = 0;
}

/* Ends folding; 1 when a release already wrote the call's end record. A
 * begin record owed (fold_block) is owed no more: libweft's own queueing
 * outside our calls (its timers, contexts, groups) writes nothing. */
static inline int fold_end(void) {
    weft__t.fold = WEFT_FOLD_NONE;
    weft__t.fold_block = 0;
    return weft__t.fold_done;
}

/* Whether libweft calls weft__hb_block (it has one to interpose), and
 * weft__hb_wait after it: 1 both, 3 only the first (an older libweft), 2
 * neither, 0 not looked up yet. Looked up once: a missing symbol is not
 * cached by REAL. */
static int block_known;

static int block_kind(void) {
    int k = __atomic_load_n(&block_known, __ATOMIC_RELAXED);
    if (!k) {
        k = !weft__real("weft__hb_block") ? 2 : weft__real("weft__hb_wait") ? 1 : 3;
        __atomic_store_n(&block_known, k, __ATOMIC_RELAXED);
    }
    return k;
}

static int libweft_announces(void) {
    return block_kind() != 2;
}

/* A blocking send or receive that libweft can announce (weft__hb_block)
 * is called as it is, in END mode: if it completes at once, the release
 * that makes it take effect writes its one end record, under the
 * channel's lock; if libweft queues the thread, the hook writes the begin
 * record first (still under the lock, before the waiter can be served)
 * and the end record follows the wake-up. Without the hook (an older
 * libweft) or for a nil channel (which never queues: it blocks forever),
 * the call is tried first: a try that completes releases inside libweft
 * as above, and one that cannot is followed by the begin record and the
 * blocking call. Trying first costs a second pass through the channel's
 * lock for every operation that waits, which in a ping-pong of threads
 * on few CPUs doubled the time of a pipeline. Inlined into send and
 * receive: a frame less for the begin record's stack to unwind. */
static inline __attribute__((always_inline)) int chan_op(weft_chan *ch, void *elem, int send) {
    REAL(r_send, "weft_chan_send");
    REAL(r_recv, "weft_chan_recv");
    if (!__atomic_load_n(&weft__ready, __ATOMIC_ACQUIRE) || weft__t.in_shim)
        return send ? r_send(ch, elem) : r_recv(ch, elem);
    uint16_t kend = send ? WEFT_K_CHAN_SEND_END : WEFT_K_CHAN_RECV_END;
    uint16_t kbegin = send ? WEFT_K_CHAN_SEND_BEGIN : WEFT_K_CHAN_RECV_BEGIN;
    int r = WEFT_EAGAIN;
    if (ch && libweft_announces()) {
        fold_begin(WEFT_FOLD_END, 1, kend, P(ch), 0, 0);
        weft__t.fold_block = kbegin;
        r = send ? r_send(ch, elem) : r_recv(ch, elem);
        int waited = weft__t.fold_blocked;
        if (fold_end() && r == 0 && !waited)
            return r;
        if (waited)
            weft__wait_end();
        WEFT_RECORD(weft__emit(kend, P(ch), I(r), (uint64_t)waited,
                               !waited && r == WEFT_ECLOSED && send ? stk() : 0, 0));
        return r;
    }
    if (ch) { /* a nil channel: the try would say EAGAIN, the call blocks forever */
        REAL(r_try_send, "weft_chan_try_send");
        REAL(r_try_recv, "weft_chan_try_recv");
        fold_begin(WEFT_FOLD_END, 1, kend, P(ch), 0, 0);
        r = send ? r_try_send(ch, elem) : r_try_recv(ch, elem);
        if (fold_end() && r == 0)
            return r;
    }
    if (r != WEFT_EAGAIN) {
        WEFT_RECORD(weft__emit(kend, P(ch), I(r), 0, r == WEFT_ECLOSED && send ? stk() : 0, 0));
        return r;
    }
    WEFT_RECORD(weft__emit(kbegin, P(ch), 0, 0, stk(), 0));
    weft__wait_begin(kbegin, P(ch));
    /* Waiting: a release may be the one of a thread that queues itself and
     * sleeps, so releases are written at once; only acquires wait for the
     * end record. */
    fold_begin(WEFT_FOLD_ACQ, 1, 0, 0, 0, 0);
    r = send ? r_send(ch, elem) : r_recv(ch, elem);
    fold_end();
    weft__wait_end();
    WEFT_RECORD(weft__emit(kend, P(ch), I(r), 1, 0, 0));
    return r;
}

WEFT_EXPORT int weft_chan_send(weft_chan *ch, const void *elem) {
    weft__reach_add(P(ch));
    weft__reach_push(P(ch), WEFT_REACH_CHAN);
    return chan_op(ch, (void *)(uintptr_t)elem, 1);
}

WEFT_EXPORT int weft_chan_recv(weft_chan *ch, void *elem) {
    weft__reach_add(P(ch));
    int r = chan_op(ch, elem, 0);
    weft__reach_pull(P(ch), WEFT_REACH_CHAN);
    return r;
}

WEFT_EXPORT int weft_chan_try_send(weft_chan *ch, const void *elem) {
    REAL(r_try_send, "weft_chan_try_send");
    weft__reach_add(P(ch));
    weft__reach_push(P(ch), WEFT_REACH_CHAN);
    fold_begin(WEFT_FOLD_END, 1, WEFT_K_CHAN_TRY_SEND, P(ch), 0, 0);
    int r = r_try_send(ch, elem);
    if (fold_end() && r == 0)
        return r;
    WEFT_RECORD(weft__emit(WEFT_K_CHAN_TRY_SEND, P(ch), I(r), 0, r == WEFT_ECLOSED ? stk() : 0, 0));
    return r;
}

WEFT_EXPORT int weft_chan_try_recv(weft_chan *ch, void *elem) {
    REAL(r_try_recv, "weft_chan_try_recv");
    weft__reach_add(P(ch));
    fold_begin(WEFT_FOLD_END, 1, WEFT_K_CHAN_TRY_RECV, P(ch), 0, 0);
    int r = r_try_recv(ch, elem);
    weft__reach_pull(P(ch), WEFT_REACH_CHAN);
    if (fold_end() && r == 0)
        return r;
    WEFT_RECORD(weft__emit(WEFT_K_CHAN_TRY_RECV, P(ch), I(r), 0, 0, 0));
    return r;
}

WEFT_EXPORT int weft_chan_close(weft_chan *ch) {
    REAL(r_close, "weft_chan_close");
    weft__reach_add(P(ch));
    /* The stack before the call: the release inside it writes the record. */
    uint32_t s = 0;
    WEFT_RECORD(s = stk());
    fold_begin(WEFT_FOLD_END, 0, WEFT_K_CHAN_CLOSE, P(ch), 0, s);
    int r = r_close(ch);
    if (fold_end() && r == 0)
        return r;
    WEFT_RECORD(weft__emit(WEFT_K_CHAN_CLOSE, P(ch), I(r), 0, s, 0));
    return r;
}

WEFT_EXPORT size_t weft_chan_len(const weft_chan *ch) {
    REAL(r_len, "weft_chan_len");
    weft__reach_add(P(ch));
    size_t n = r_len(ch);
    WEFT_RECORD(weft__emit(WEFT_K_CHAN_LEN, P(ch), n, 0, 0, 0));
    return n;
}

WEFT_EXPORT size_t weft_chan_cap(const weft_chan *ch) {
    REAL(r_cap, "weft_chan_cap");
    weft__reach_add(P(ch));
    size_t n = r_cap(ch);
    WEFT_RECORD(weft__emit(WEFT_K_CHAN_CAP, P(ch), n, 0, 0, 0));
    return n;
}

WEFT_EXPORT void weft_chan_free(weft_chan *ch) {
    REAL(r_chan_free, "weft_chan_free");
    special_chan(P(ch), 0); /* a weft_after channel: its address may serve another */
    /* Before the free: the address may be reused at once by another thread. */
    WEFT_RECORD(if (ch) weft__emit(WEFT_K_CHAN_FREE, P(ch), 0, 0, stk(), 0));
    r_chan_free(ch);
}

/* ---- select ---- */
static int (*r_select)(weft_case *, size_t, int);

/* The cases as DATA words: channel | op. At most a chunk's worth is kept
 * (emit_data truncates); 64 cases cover every sane select. */
static size_t pack_cases(const weft_case *c, size_t n, uint64_t *out) {
    if (n > 64)
        n = 64;
    for (size_t i = 0; i < n; i++)
        out[i] = P(c[i].ch) | (uint64_t)(c[i].op & 3);
    return n * sizeof *out;
}

/* A select touches all its channels, and may send on each send case. */
static void reach_select(const weft_case *c, size_t n) {
    if (!weft__reach_on())
        return;
    for (size_t i = 0; i < n; i++) {
        weft__reach_add(P(c[i].ch));
        if (c[i].op == WEFT_SEND)
            weft__reach_push(P(c[i].ch), WEFT_REACH_CHAN);
    }
}

/* Before it waits: its channels, for the watchdog (nil ones never fire). */
static void reach_select_wait(const weft_case *c, size_t n) {
    struct weft__reach *r = weft__reach_on() ? weft__reach_me : NULL;
    if (!r)
        return;
    uint32_t k = 0;
    for (size_t i = 0; i < n && k <= WEFT_REACH_SEL; i++) {
        if (!c[i].ch)
            continue;
        if (k < WEFT_REACH_SEL)
            __atomic_store_n(&r->sel[k], P(c[i].ch), __ATOMIC_RELAXED);
        k++;
    }
    __atomic_store_n(&r->nsel, k > WEFT_REACH_SEL ? WEFT_REACH_SEL_MANY : k, __ATOMIC_RELAXED);
}

/* A blocking select's cases, for its begin record should libweft queue
 * the thread (weft__hb_block). */
static __thread struct {
    const weft_case *cases;
    size_t n;
    int flags;
    uint64_t first;
} sel_owed __attribute__((tls_model("initial-exec")));

/* A select that waits: its begin record with the cases and the stack, the
 * channels for the watchdog, and the mark (on its first channel). */
static void select_waits(const weft_case *cases, size_t n, int flags, uint64_t first,
                         uint32_t stack) {
    uint64_t packed[64];
    WEFT_RECORD(size_t len = pack_cases(cases, n, packed);
                weft__emit_data(WEFT_K_SELECT_BEGIN, 0, n, (uint64_t)flags, stack, 0, packed, len));
    reach_select_wait(cases, n);
    weft__wait_begin(WEFT_K_SELECT_BEGIN, first);
}

/* A select that returned: its end record, the value's reach. One that did
 * not wait carries its cases (and the stack of a send on a closed
 * channel); one that waited has them on its begin record. */
static int select_done(weft_case *cases, size_t n, int r, int waited) {
    if (waited)
        weft__wait_end();
    int ok = r >= 0 && (size_t)r < n;
    if (ok && cases[r].op == WEFT_RECV)
        weft__reach_pull(P(cases[r].ch), WEFT_REACH_CHAN);
    if (waited) {
        WEFT_RECORD(weft__emit(WEFT_K_SELECT_END, ok ? P(cases[r].ch) : 0, I(r),
                               ok ? I(cases[r].result) : 0, 0, 1));
        return r;
    }
    uint64_t packed[64];
    WEFT_RECORD(size_t len = pack_cases(cases, n, packed); weft__emit_data(
                    WEFT_K_SELECT_END, ok ? P(cases[r].ch) : 0, I(r), ok ? I(cases[r].result) : 0,
                    ok && cases[r].result == WEFT_ECLOSED && cases[r].op == WEFT_SEND ? stk() : 0,
                    0, packed, len));
    return r;
}

/* As chan_op: called as it is when libweft announces its waits, else
 * tried first (WEFT_NONBLOCK) and called again to wait. */
WEFT_EXPORT int weft_select(weft_case *cases, size_t n, int flags) {
    REAL(r_select, "weft_select");
    if (!__atomic_load_n(&weft__ready, __ATOMIC_ACQUIRE) || weft__t.in_shim)
        return r_select(cases, n, flags);
    reach_select(cases, n);
    /* Without a channel (every case nil), libweft blocks for good without
     * queueing the thread anywhere: that select is tried first, as a send
     * on a nil channel. */
    uint64_t first = 0;
    for (size_t i = 0; i < n && !first; i++)
        first = P(cases[i].ch);
    if (!(flags & WEFT_NONBLOCK) && first && libweft_announces()) {
        sel_owed.cases = cases;
        sel_owed.n = n;
        sel_owed.flags = flags;
        sel_owed.first = first;
        fold_begin(WEFT_FOLD_ACQ, 1, 0, 0, 0, 0);
        weft__t.fold_block = WEFT_K_SELECT_BEGIN;
        int r = r_select(cases, n, flags);
        int waited = weft__t.fold_blocked;
        fold_end();
        return select_done(cases, n, r, waited);
    }
    fold_begin(WEFT_FOLD_ACQ, 1, 0, 0, 0, 0);
    int r = r_select(cases, n, flags | WEFT_NONBLOCK);
    fold_end();
    if (r != WEFT_EAGAIN || (flags & WEFT_NONBLOCK))
        return select_done(cases, n, r, 0);
    select_waits(cases, n, flags, first, stk());
    fold_begin(WEFT_FOLD_ACQ, 1, 0, 0, 0, 0);
    r = r_select(cases, n, flags);
    fold_end();
    return select_done(cases, n, r, 1);
}

/* ---- threads: weft_go ---- */
static int (*r_go)(void (*)(void *), void *);

static void pending(uint32_t via, const void *fn, void *arg) {
    weft__t.go_fn = P(fn);
    weft__t.go_arg = P(arg);
    weft__t.go_tid = 0;
    weft__t.go_via = via;
}

/* Taken back after the call: also when libweft failed before spawning. */
static uint32_t taken(void) {
    weft__t.go_via = 0;
    uint32_t t = weft__t.go_tid;
    weft__t.go_tid = 0;
    return t;
}

WEFT_EXPORT int weft_go(void (*fn)(void *arg), void *arg) {
    REAL(r_go, "weft_go");
    learn_range((void *)(uintptr_t)r_go);
    pending(WEFT_VIA_GO, (const void *)(uintptr_t)fn, arg);
    int r = r_go(fn, arg);
    uint32_t tid = taken();
    WEFT_RECORD(weft__emit(WEFT_K_GO, P((const void *)(uintptr_t)fn), P(arg), I(r), 0, tid));
    return r;
}

/* ---- WaitGroup ---- */
static int (*r_wg_add)(weft_wg *, int);
static void (*r_wg_wait)(weft_wg *);

WEFT_EXPORT int weft_wg_add(weft_wg *wg, int delta) {
    REAL(r_wg_add, "weft_wg_add");
    fold_begin(WEFT_FOLD_ACQ, 0, 0, 0, 0, 0);
    int r = r_wg_add(wg, delta);
    fold_end();
    WEFT_RECORD(weft__emit(WEFT_K_WG_ADD, P(wg), I(delta), I(r), stk(), 0));
    return r;
}

WEFT_EXPORT void weft_wg_done(weft_wg *wg) {
    /* libweft's Done is Add(-1) with the result dropped; calling the real
     * Add keeps that result (WEFT_ERANGE: the counter would go negative). */
    REAL(r_wg_add, "weft_wg_add");
    fold_begin(WEFT_FOLD_ACQ, 0, 0, 0, 0, 0);
    int r = r_wg_add(wg, -1);
    fold_end();
    WEFT_RECORD(weft__emit(WEFT_K_WG_DONE, P(wg), I(-1), I(r), stk(), 0));
}

WEFT_EXPORT void weft_wg_wait(weft_wg *wg) {
    REAL(r_wg_wait, "weft_wg_wait");
    WEFT_RECORD(weft__emit(WEFT_K_WG_WAIT_BEGIN, P(wg), 0, 0, stk(), 0));
    weft__wait_begin(WEFT_K_WG_WAIT_BEGIN, P(wg));
    fold_begin(WEFT_FOLD_ACQ, 0, 0, 0, 0, 0);
    r_wg_wait(wg);
    fold_end();
    weft__wait_end();
    WEFT_RECORD(weft__emit(WEFT_K_WG_WAIT_END, P(wg), 0, 0, 0, 0));
}

/* ---- contexts ---- */
static weft_ctx *(*r_with_cancel)(weft_ctx *);
static weft_ctx *(*r_with_timeout)(weft_ctx *, int64_t);
static weft_ctx *(*r_with_deadline)(weft_ctx *, int64_t);
static void (*r_ctx_cancel)(weft_ctx *);
static void (*r_ctx_free)(weft_ctx *);
static weft_chan *(*r_ctx_done)(weft_ctx *);

/* A new context and its done channel, an object of its own (closed by
 * cancel inside libweft, where no interposer sees it: ctx_cancel names it). */
static void ctx_made(weft_ctx *c, weft_ctx *parent, int64_t ns, uint32_t how, uint32_t stack) {
    REAL(r_ctx_done, "weft_ctx_done");
    if (!c)
        return;
    weft_chan *done = r_ctx_done ? r_ctx_done(c) : NULL;
    special_chan(P(done), 1);
    weft__emit(WEFT_K_CTX_NEW, P(c), P(parent), I(ns), stack, how);
    if (done)
        weft__emit(WEFT_K_CTX_DONE_CHAN, P(done), P(c), 0, stack, 0);
}

WEFT_EXPORT weft_ctx *weft_ctx_with_cancel(weft_ctx *parent) {
    REAL(r_with_cancel, "weft_ctx_with_cancel");
    weft_ctx *c = r_with_cancel(parent);
    WEFT_RECORD(ctx_made(c, parent, 0, WEFT_CTX_CANCEL, stk()));
    return c;
}

WEFT_EXPORT weft_ctx *weft_ctx_with_timeout(weft_ctx *parent, int64_t timeout_ns) {
    REAL(r_with_timeout, "weft_ctx_with_timeout");
    learn_range((void *)(uintptr_t)r_with_timeout);
    weft_ctx *c = r_with_timeout(parent, timeout_ns);
    WEFT_RECORD(ctx_made(c, parent, timeout_ns, WEFT_CTX_TIMEOUT, stk()));
    return c;
}

WEFT_EXPORT weft_ctx *weft_ctx_with_deadline(weft_ctx *parent, int64_t deadline_ns) {
    REAL(r_with_deadline, "weft_ctx_with_deadline");
    learn_range((void *)(uintptr_t)r_with_deadline);
    weft_ctx *c = r_with_deadline(parent, deadline_ns);
    WEFT_RECORD(ctx_made(c, parent, deadline_ns, WEFT_CTX_DEADLINE, stk()));
    return c;
}

WEFT_EXPORT void weft_ctx_cancel(weft_ctx *ctx) {
    REAL(r_ctx_cancel, "weft_ctx_cancel");
    REAL(r_ctx_done, "weft_ctx_done");
    /* Recorded before: the cancel wakes receivers of the done channel, whose
     * records then come after this one in time. */
    WEFT_RECORD(
        weft__emit(WEFT_K_CTX_CANCEL, P(ctx), 0, P(r_ctx_done ? r_ctx_done(ctx) : NULL), stk(), 0));
    r_ctx_cancel(ctx);
}

WEFT_EXPORT void weft_ctx_free(weft_ctx *ctx) {
    REAL(r_ctx_free, "weft_ctx_free");
    REAL(r_ctx_done, "weft_ctx_done");
    if (ctx && r_ctx_done && weft__reach_on())
        special_chan(P(r_ctx_done(ctx)), 0);
    WEFT_RECORD(weft__emit(WEFT_K_CTX_FREE, P(ctx), 0, 0, stk(), 0));
    r_ctx_free(ctx);
}

/* ---- timers (time.After, Timer, Ticker) ---- */
static weft_chan *(*r_after)(int64_t);
static weft_timer *(*r_timer_new)(int64_t);
static weft_chan *(*r_timer_chan)(weft_timer *);
static void (*r_timer_free)(weft_timer *);
static weft_ticker *(*r_ticker_new)(int64_t);
static weft_chan *(*r_ticker_chan)(weft_ticker *);
static void (*r_ticker_free)(weft_ticker *);

/* The channel is an object of its own, made inside libweft where no
 * interposer sees it: this record gives it its creator. The range is
 * learnt first, because the first timer may start libweft's timer thread,
 * which must be recognised as libweft's own. Stop and reset are not
 * recorded: the values they drain are libweft's business, and the sends
 * come from the timer thread as happens-before releases. */
WEFT_EXPORT weft_chan *weft_after(int64_t d_ns) {
    REAL(r_after, "weft_after");
    learn_range((void *)(uintptr_t)r_after);
    weft_chan *ch = r_after(d_ns);
    special_chan(P(ch), 1);
    WEFT_RECORD(if (ch) weft__emit(WEFT_K_TIMER_CHAN, P(ch), 0, I(d_ns), stk(), WEFT_TIMER_AFTER));
    return ch;
}

WEFT_EXPORT weft_timer *weft_timer_new(int64_t d_ns) {
    REAL(r_timer_new, "weft_timer_new");
    REAL(r_timer_chan, "weft_timer_chan");
    learn_range((void *)(uintptr_t)r_timer_new);
    weft_timer *t = r_timer_new(d_ns);
    if (t && r_timer_chan && weft__reach_on())
        special_chan(P(r_timer_chan(t)), 1);
    WEFT_RECORD(if (t && r_timer_chan) weft__emit(WEFT_K_TIMER_CHAN, P(r_timer_chan(t)), P(t),
                                                  I(d_ns), stk(), WEFT_TIMER_TIMER));
    return t;
}

WEFT_EXPORT void weft_timer_free(weft_timer *t) {
    REAL(r_timer_free, "weft_timer_free");
    REAL(r_timer_chan, "weft_timer_chan");
    if (t && r_timer_chan && weft__reach_on())
        special_chan(P(r_timer_chan(t)), 0);
    /* Its channel goes with it: before the free, as for weft_chan_free. */
    WEFT_RECORD(if (t && r_timer_chan)
                    weft__emit(WEFT_K_CHAN_FREE, P(r_timer_chan(t)), 0, 0, stk(), 0));
    r_timer_free(t);
}

WEFT_EXPORT weft_ticker *weft_ticker_new(int64_t period_ns) {
    REAL(r_ticker_new, "weft_ticker_new");
    REAL(r_ticker_chan, "weft_ticker_chan");
    learn_range((void *)(uintptr_t)r_ticker_new);
    weft_ticker *t = r_ticker_new(period_ns);
    if (t && r_ticker_chan && weft__reach_on())
        special_chan(P(r_ticker_chan(t)), 1);
    WEFT_RECORD(if (t && r_ticker_chan) weft__emit(WEFT_K_TIMER_CHAN, P(r_ticker_chan(t)), P(t),
                                                   I(period_ns), stk(), WEFT_TIMER_TICKER));
    return t;
}

WEFT_EXPORT void weft_ticker_free(weft_ticker *t) {
    REAL(r_ticker_free, "weft_ticker_free");
    REAL(r_ticker_chan, "weft_ticker_chan");
    if (t && r_ticker_chan && weft__reach_on())
        special_chan(P(r_ticker_chan(t)), 0);
    WEFT_RECORD(if (t && r_ticker_chan)
                    weft__emit(WEFT_K_CHAN_FREE, P(r_ticker_chan(t)), 0, 0, stk(), 0));
    r_ticker_free(t);
}

/* ---- errgroup ---- */
static weft_group *(*r_group_new)(weft_ctx *);
static weft_ctx *(*r_group_ctx)(weft_group *);
static int (*r_group_set_limit)(weft_group *, int);
static int (*r_group_go)(weft_group *, int (*)(weft_ctx *, void *), void *);
static bool (*r_group_try_go)(weft_group *, int (*)(weft_ctx *, void *), void *);
static int (*r_group_wait)(weft_group *);
static void (*r_group_free)(weft_group *);

WEFT_EXPORT weft_group *weft_group_new(weft_ctx *parent) {
    REAL(r_group_new, "weft_group_new");
    REAL(r_group_ctx, "weft_group_ctx");
    learn_range((void *)(uintptr_t)r_group_new);
    weft_group *g = r_group_new(parent);
    WEFT_RECORD(if (g) {
        uint32_t s = stk();
        weft_ctx *gc = r_group_ctx ? r_group_ctx(g) : NULL;
        weft__emit(WEFT_K_GROUP_NEW, P(g), P(parent), P(gc), s, 0);
        ctx_made(gc, parent, 0, WEFT_CTX_GROUP, s);
    });
    return g;
}

WEFT_EXPORT int weft_group_set_limit(weft_group *g, int n) {
    REAL(r_group_set_limit, "weft_group_set_limit");
    int r = r_group_set_limit(g, n);
    WEFT_RECORD(weft__emit(WEFT_K_GROUP_SET_LIMIT, P(g), I(n), I(r), 0, 0));
    return r;
}

WEFT_EXPORT int weft_group_go(weft_group *g, int (*fn)(weft_ctx *ctx, void *arg), void *arg) {
    REAL(r_group_go, "weft_group_go");
    WEFT_RECORD(
        weft__emit(WEFT_K_GROUP_GO_BEGIN, P(g), P((const void *)(uintptr_t)fn), P(arg), stk(), 0));
    /* It blocks only at the group's limit, until a running function ends. */
    weft__wait_begin(WEFT_K_GROUP_GO_BEGIN, P(g));
    pending(WEFT_VIA_GROUP, (const void *)(uintptr_t)fn, arg);
    int r = r_group_go(g, fn, arg);
    uint32_t tid = taken();
    weft__wait_end();
    WEFT_RECORD(weft__emit(WEFT_K_GROUP_GO_END, P(g), I(r), 0, 0, tid));
    return r;
}

WEFT_EXPORT bool weft_group_try_go(weft_group *g, int (*fn)(weft_ctx *, void *), void *arg) {
    REAL(r_group_try_go, "weft_group_try_go");
    pending(WEFT_VIA_GROUP, (const void *)(uintptr_t)fn, arg);
    bool ok = r_group_try_go(g, fn, arg);
    uint32_t tid = taken();
    WEFT_RECORD(
        weft__emit(WEFT_K_GROUP_TRY_GO, P(g), ok, P((const void *)(uintptr_t)fn), stk(), tid));
    return ok;
}

WEFT_EXPORT int weft_group_wait(weft_group *g) {
    REAL(r_group_wait, "weft_group_wait");
    WEFT_RECORD(weft__emit(WEFT_K_GROUP_WAIT_BEGIN, P(g), 0, 0, stk(), 0));
    weft__wait_begin(WEFT_K_GROUP_WAIT_BEGIN, P(g));
    int r = r_group_wait(g);
    weft__wait_end();
    WEFT_RECORD(weft__emit(WEFT_K_GROUP_WAIT_END, P(g), I(r), 0, 0, 0));
    return r;
}

WEFT_EXPORT void weft_group_free(weft_group *g) {
    REAL(r_group_free, "weft_group_free");
    REAL(r_group_ctx, "weft_group_ctx");
    REAL(r_ctx_done, "weft_ctx_done");
    if (g && r_group_ctx && r_ctx_done && weft__reach_on()) /* its context goes with it */
        special_chan(P(r_ctx_done(r_group_ctx(g))), 0);
    WEFT_RECORD(if (g) weft__emit(WEFT_K_GROUP_FREE, P(g), 0, 0, stk(), 0));
    r_group_free(g);
}

/* ---- weighted semaphore ---- */
static weft_sem *(*r_sem_new)(int64_t);
static int (*r_sem_acquire)(weft_ctx *, weft_sem *, int64_t);
static bool (*r_sem_try_acquire)(weft_sem *, int64_t);
static int (*r_sem_release)(weft_sem *, int64_t);
static void (*r_sem_free)(weft_sem *);

WEFT_EXPORT weft_sem *weft_sem_new(int64_t size) {
    REAL(r_sem_new, "weft_sem_new");
    weft_sem *s = r_sem_new(size);
    WEFT_RECORD(if (s) weft__emit(WEFT_K_WSEM_NEW, P(s), I(size), 0, stk(), 0));
    return s;
}

WEFT_EXPORT int weft_sem_acquire(weft_ctx *ctx, weft_sem *s, int64_t n) {
    REAL(r_sem_acquire, "weft_sem_acquire");
    WEFT_RECORD(weft__emit(WEFT_K_WSEM_ACQUIRE_BEGIN, P(s), I(n), P(ctx), stk(), 0));
    /* A context with a deadline keeps libweft's timer thread alive, which
     * the watchdog sees running: such a wait never counts as stuck. */
    weft__wait_begin(WEFT_K_WSEM_ACQUIRE_BEGIN, P(s));
    int r = r_sem_acquire(ctx, s, n);
    weft__wait_end();
    WEFT_RECORD(weft__emit(WEFT_K_WSEM_ACQUIRE_END, P(s), I(r), 0, 0, 0));
    return r;
}

WEFT_EXPORT bool weft_sem_try_acquire(weft_sem *s, int64_t n) {
    REAL(r_sem_try_acquire, "weft_sem_try_acquire");
    bool ok = r_sem_try_acquire(s, n);
    WEFT_RECORD(weft__emit(WEFT_K_WSEM_TRY_ACQUIRE, P(s), I(n), ok, 0, 0));
    return ok;
}

WEFT_EXPORT int weft_sem_release(weft_sem *s, int64_t n) {
    REAL(r_sem_release, "weft_sem_release");
    int r = r_sem_release(s, n);
    WEFT_RECORD(weft__emit(WEFT_K_WSEM_RELEASE, P(s), I(n), I(r), r ? stk() : 0, 0));
    return r;
}

WEFT_EXPORT void weft_sem_free(weft_sem *s) {
    REAL(r_sem_free, "weft_sem_free");
    WEFT_RECORD(if (s) weft__emit(WEFT_K_WSEM_FREE, P(s), 0, 0, stk(), 0));
    r_sem_free(s);
}

/* ---- rate limiter ---- */
static weft_limiter *(*r_lim_new)(double, int);
static int (*r_lim_wait)(weft_ctx *, weft_limiter *);
static bool (*r_lim_allow)(weft_limiter *);
static void (*r_lim_free)(weft_limiter *);

WEFT_EXPORT weft_limiter *weft_limiter_new(double per_second, int burst) {
    REAL(r_lim_new, "weft_limiter_new");
    weft_limiter *l = r_lim_new(per_second, burst);
    uint64_t bits;
    memcpy(&bits, &per_second, sizeof bits);
    WEFT_RECORD(if (l) weft__emit(WEFT_K_LIMITER_NEW, P(l), bits, I(burst), stk(), 0));
    return l;
}

WEFT_EXPORT int weft_limiter_wait(weft_ctx *ctx, weft_limiter *l) {
    REAL(r_lim_wait, "weft_limiter_wait");
    /* A wait for time to pass, not for another thread: no watchdog mark. */
    WEFT_RECORD(weft__emit(WEFT_K_LIMITER_WAIT_BEGIN, P(l), 0, P(ctx), stk(), 0));
    int r = r_lim_wait(ctx, l);
    WEFT_RECORD(weft__emit(WEFT_K_LIMITER_WAIT_END, P(l), I(r), 0, 0, 0));
    return r;
}

WEFT_EXPORT bool weft_limiter_allow(weft_limiter *l) {
    REAL(r_lim_allow, "weft_limiter_allow");
    bool ok = r_lim_allow(l);
    WEFT_RECORD(weft__emit(WEFT_K_LIMITER_ALLOW, P(l), ok, 0, 0, 0));
    return ok;
}

WEFT_EXPORT void weft_limiter_free(weft_limiter *l) {
    REAL(r_lim_free, "weft_limiter_free");
    WEFT_RECORD(if (l) weft__emit(WEFT_K_LIMITER_FREE, P(l), 0, 0, stk(), 0));
    r_lim_free(l);
}

/* ---- futures ---- */
static weft_future *(*r_fut_start)(int (*)(void *, void *), void *, size_t);
static int (*r_fut_get)(weft_future *, void *);
static int (*r_fut_get_timeout)(weft_future *, void *, int64_t);
static void (*r_fut_free)(weft_future *);

WEFT_EXPORT weft_future *weft_future_start(int (*fn)(void *arg, void *result), void *arg,
                                           size_t result_size) {
    REAL(r_fut_start, "weft_future_start");
    learn_range((void *)(uintptr_t)r_fut_start);
    pending(WEFT_VIA_FUTURE, (const void *)(uintptr_t)fn, arg);
    weft_future *f = r_fut_start(fn, arg, result_size);
    uint32_t tid = taken();
    WEFT_RECORD(if (f) weft__emit(WEFT_K_FUTURE_START, P(f), P((const void *)(uintptr_t)fn), P(arg),
                                  stk(), tid));
    return f;
}

WEFT_EXPORT int weft_future_get(weft_future *f, void *result) {
    REAL(r_fut_get, "weft_future_get");
    WEFT_RECORD(weft__emit(WEFT_K_FUTURE_GET_BEGIN, P(f), 0, I(-1), stk(), 0));
    weft__wait_begin(WEFT_K_FUTURE_GET_BEGIN, P(f));
    int r = r_fut_get(f, result);
    weft__wait_end();
    WEFT_RECORD(weft__emit(WEFT_K_FUTURE_GET_END, P(f), I(r), 0, 0, 0));
    return r;
}

WEFT_EXPORT int weft_future_get_timeout(weft_future *f, void *result, int64_t timeout_ns) {
    REAL(r_fut_get_timeout, "weft_future_get_timeout");
    WEFT_RECORD(weft__emit(WEFT_K_FUTURE_GET_BEGIN, P(f), 0, I(timeout_ns), stk(), 0));
    int r = r_fut_get_timeout(f, result, timeout_ns);
    WEFT_RECORD(weft__emit(WEFT_K_FUTURE_GET_END, P(f), I(r), 0, 0, 0));
    return r;
}

WEFT_EXPORT void weft_future_free(weft_future *f) {
    REAL(r_fut_free, "weft_future_free");
    WEFT_RECORD(if (f) weft__emit(WEFT_K_FUTURE_FREE_BEGIN, P(f), 0, 0, stk(), 0));
    weft__wait_begin(WEFT_K_FUTURE_FREE_BEGIN, P(f));
    r_fut_free(f);
    weft__wait_end();
    WEFT_RECORD(if (f) weft__emit(WEFT_K_FUTURE_FREE_END, P(f), 0, 0, 0, 0));
}

/* ---- happens-before annotations ---- */
static void (*r_release)(const void *, uint64_t);
static void (*r_acquire)(const void *, uint64_t);

WEFT_EXPORT void weft__hb_release(const void *obj, uint64_t seq) {
    REAL(r_release, "weft__hb_release");
    /* Written before libweft goes on: the release must be on record before
     * any other thread can observe it (and acquire it), whatever happens
     * to this thread afterwards. */
    if (weft__t.fold == WEFT_FOLD_END && !weft__t.fold_done) {
        WEFT_RECORD_LITE(weft__emit_rel(weft__t.fold_kind, weft__t.fold_obj, 0, weft__t.fold_arg2,
                                        weft__t.fold_stack, 0, P(obj), seq);
                         weft__t.fold_done = 1);
    } else {
        WEFT_RECORD_LITE(weft__emit(WEFT_K_HB_RELEASE, P(obj), seq, 0, 0, 0));
    }
    weft__clock_released(P(obj));
    if (r_release)
        r_release(obj, seq);
}

/* libweft is about to queue this thread on channel obj (chan_op and
 * weft_select above): the operation waits. Its begin record goes first,
 * then the release of its waiter ticket as a record of its own (ACQ).
 * Only the first queueing of the call counts (a select queues on each of
 * its channels); a queueing outside those calls changes nothing here.
 * This runs under the channel's lock, which the thread that will serve
 * this one waits for: when libweft calls weft__hb_wait once it let go of
 * the lock, the begin record is held (shim.h, WEFT_STACK_LATER) and its
 * stack, the costliest part of the record (unwinding a dozen frames), is
 * found there. Measured on two threads passing a value back and forth:
 * 3.9 us a round trip instead of 4.5-4.6 (plain: 1.4-1.5). */
WEFT_EXPORT void weft__hb_block(const void *obj) {
    (void)obj;
    uint16_t k = weft__t.fold_block;
    if (!k || weft__t.fold_done)
        return;
    weft__t.fold_block = 0;
    weft__t.fold_blocked = 1;
    weft__t.fold = WEFT_FOLD_ACQ;
    uint32_t stack = block_kind() == 1 ? WEFT_STACK_LATER : weft__stack_user();
    if (k == WEFT_K_SELECT_BEGIN) {
        select_waits(sel_owed.cases, sel_owed.n, sel_owed.flags, sel_owed.first, stack);
        return;
    }
    WEFT_RECORD(weft__emit(k, weft__t.fold_obj, 0, 0, stack, 0));
    weft__wait_begin(k, weft__t.fold_obj);
}

/* libweft let go of the locks of the operation weft__hb_block announced
 * and is about to sleep: the begin record's stack, and the record with
 * those after it committed. */
WEFT_EXPORT void weft__hb_wait(const void *obj) {
    (void)obj;
    if (!weft__t.hold)
        return;
    int e = errno;
    if (__builtin_expect(weft__chaos_on, 0))
        weft__chaos_held_slow();
    if (weft__enter()) {
        weft__log_unhold(weft__stack_user());
        weft__leave();
    } else {
        weft__log_unhold(0); /* never sleep with records unseen */
    }
    errno = e;
}

WEFT_EXPORT void weft__hb_acquire(const void *obj, uint64_t seq) {
    REAL(r_acquire, "weft__hb_acquire");
    if (r_acquire)
        r_acquire(obj, seq);
    weft__clock_acquired(P(obj));
    /* Inside one of our calls an acquire can wait for the call's own
     * record: acquiring a little later than it happened changes nothing,
     * since this thread does nothing else meanwhile. */
    if (weft__t.fold)
        WEFT_RECORD_LITE(weft__hb_defer_acquire(P(obj), seq));
    else
        WEFT_RECORD_LITE(weft__emit(WEFT_K_HB_ACQUIRE, P(obj), seq, 0, 0, 0));
}
