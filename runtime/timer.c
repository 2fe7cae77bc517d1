/* SPDX-License-Identifier: MIT */
/* timer.c: one-shot timers (weft__timer), the clockwork behind context
 * deadlines.
 *
 * Pending timers sit in one binary min-heap ordered by `when`, guarded by
 * one weft__lock. A single timer thread sleeps until the earliest deadline
 * and runs the due timers' functions. It is started lazily by the first
 * weft__timer_start and exits as soon as the heap is empty, so that a
 * program with no pending deadline has no libweft thread alive that the
 * harness could report as leaked; the next start spawns it again.
 *
 * Functions run without the heap lock held, so they may start and stop
 * timers themselves and take other locks (a context's cancel does). Lock
 * order is therefore "anything, then the heap lock", never the reverse.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

static weft__lock heap_lock;
static weft__timer **heap;
static size_t heap_len, heap_cap;
/* Whether a timer thread is alive, or about to be. Only changed under the
 * lock, and cleared by the thread itself in the same critical section in
 * which it finds the heap empty, so an insert either sees it alive (and the
 * thread will see the new timer) or sees it gone (and spawns a new one). */
static bool thread_alive;
/* The timer thread sleeps on this word; an insert at the top of the heap
 * bumps it, so a thread about to sleep with a stale deadline returns at
 * once instead of missing the earlier timer. */
static _Atomic uint32_t wake_gen;
/* Stoppers waiting for a running function sleep on this word; it is bumped
 * each time a function returns and someone waits. */
static _Atomic uint32_t ran_gen;
static unsigned stop_waiters;
/* The timer whose function this thread is running, so that a function
 * stopping its own timer returns instead of waiting for itself. */
static _Thread_local weft__timer *running_here;
/* The timer whose function the timer thread is running, for fork. */
static weft__timer *running_now;

static void timer_main(void *unused);
static bool is_pending(const weft__timer *t);
static void sift_up(size_t i);
static void heap_set(size_t i, weft__timer *t);

/* fork: the child has no timer thread, so it must not believe one is
 * alive (its timers would never fire, nor would any started later), and
 * the heap lock must not be copied while another thread holds it. The
 * prepare handler takes the lock; the child resets it, and a second child
 * handler, registered after every other libweft handler, starts a thread
 * for the timers it inherited: started any earlier, that thread could run
 * a context's callback and block on ctx.c's lock before ctx.c's child
 * handler has reset it, and sleep there forever. A function that was
 * running at the fork never finishes in the child, so its timer goes back
 * into the heap (unless the function already put it back) and runs again
 * there: timer functions must be idempotent (a context's cancel is, and
 * so is a timer channel's send, timechan.c). */
static void fork_prepare(void) {
    weft__lock_acquire(&heap_lock);
}

static void fork_parent(void) {
    weft__lock_release(&heap_lock);
}

static void fork_child(void) {
    weft__lock_init(&heap_lock);
    running_here = NULL;
    thread_alive = false;
    stop_waiters = 0;
    if (running_now) {
        weft__timer *t = running_now;
        running_now = NULL;
        t->running = false;
        /* A function may have started its own timer again before the
         * fork (a ticker does): it is in the heap already. */
        if (!is_pending(t) && heap_len < heap_cap) {
            heap_set(heap_len++, t);
            sift_up(heap_len - 1);
        }
    }
}

static void fork_child_late(void) {
    /* Under the lock, as in weft__timer_start: the new thread may run,
     * empty the heap and clear the flag before spawn even returns. */
    weft__lock_acquire(&heap_lock);
    if (heap_len > 0 && weft__spawn(timer_main, NULL) == 0)
        thread_alive = true;
    weft__lock_release(&heap_lock);
}

/* Runs at load time, while the process is still single-threaded, so that
 * Helgrind and DRD learn which words are atomics before any thread races
 * on them. Priority 101 registers the fork handlers before ctx.c's (102):
 * prepare handlers run in reverse order, so a fork takes ctx.c's lock
 * before the heap lock, the order every other path uses. */
__attribute__((constructor(101))) static void timer_init(void) {
    weft__spawn_atfork();
    weft__lock_init(&heap_lock);
    weft__vg_atomic_word(&wake_gen, sizeof wake_gen);
    weft__vg_atomic_word(&ran_gen, sizeof ran_gen);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Child handlers run in registration order: this one after ctx.c's. */
__attribute__((constructor(103))) static void timer_init_late(void) {
    pthread_atfork(NULL, NULL, fork_child_late);
}

/* ---- the heap (all under heap_lock) ---------------------------------- */

static void heap_set(size_t i, weft__timer *t) {
    heap[i] = t;
    t->heap_index = i;
}

static void sift_up(size_t i) {
    weft__timer *t = heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap[parent]->when <= t->when)
            break;
        heap_set(i, heap[parent]);
        i = parent;
    }
    heap_set(i, t);
}

static void sift_down(size_t i) {
    weft__timer *t = heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap_len)
            break;
        if (child + 1 < heap_len && heap[child + 1]->when < heap[child]->when)
            child++;
        if (t->when <= heap[child]->when)
            break;
        heap_set(i, heap[child]);
        i = child;
    }
    heap_set(i, t);
}

/* A timer is pending when the heap slot it names holds it. Checking the
 * slot (not just the index) makes a zeroed, never started timer read as
 * not pending even though its index is 0. */
static bool is_pending(const weft__timer *t) {
    return t->heap_index < heap_len && heap[t->heap_index] == t;
}

static void heap_remove(weft__timer *t) {
    size_t i = t->heap_index;
    weft__timer *last = heap[--heap_len];
    t->heap_index = SIZE_MAX;
    if (i == heap_len)
        return;
    heap_set(i, last);
    /* The moved timer may belong above or below its new slot. */
    if (i > 0 && heap[(i - 1) / 2]->when > last->when)
        sift_up(i);
    else
        sift_down(i);
}

static bool heap_reserve(void) {
    if (heap_len < heap_cap)
        return true;
    size_t cap = heap_cap ? heap_cap * 2 : 16;
    weft__timer **h = realloc(heap, cap * sizeof *h);
    if (!h)
        return false;
    heap = h;
    heap_cap = cap;
    return true;
}

/* ---- the timer thread ------------------------------------------------ */

static void timer_main(void *unused) {
    (void)unused;
    /* A name, so that <weft/check.h> (check.c) can tell this thread from
     * the program's without the recorder. */
    pthread_setname_np(pthread_self(), "weft-timer");
    weft__lock_acquire(&heap_lock);
    for (;;) {
        if (heap_len == 0) {
            /* Nothing pending: leave. The array goes too, so that an idle
             * program holds no timer memory either. */
            thread_alive = false;
            free(heap);
            heap = NULL;
            heap_cap = 0;
            weft__lock_release(&heap_lock);
            return;
        }
        weft__timer *t = heap[0];
        int64_t when = t->when;
        if (when > weft__now()) {
            /* Read the generation under the lock: an insert that comes
             * after we unlock changes it, and the futex then returns at
             * once rather than sleeping past the new earliest deadline. */
            uint32_t gen = atomic_load_explicit(&wake_gen, memory_order_relaxed);
            weft__lock_release(&heap_lock);
            weft__futex_wait_until(&wake_gen, gen, when);
            weft__lock_acquire(&heap_lock);
            continue;
        }
        heap_remove(t);
        t->running = true;
        running_here = t;
        running_now = t;
        void (*fn)(void *) = t->fn;
        void *arg = t->arg;
        weft__lock_release(&heap_lock);
        fn(arg);
        weft__lock_acquire(&heap_lock);
        /* The owner cannot have freed t: freeing requires weft__timer_stop,
         * which waits until we clear `running` here under the lock. */
        running_here = NULL;
        running_now = NULL;
        t->running = false;
        if (stop_waiters) {
            atomic_fetch_add_explicit(&ran_gen, 1, memory_order_relaxed);
            weft__futex_wake(&ran_gen, INT_MAX);
        }
    }
}

/* Moves the timer thread on: it may be asleep until a deadline that is no
 * longer the earliest, or no longer there at all. */
static void kick_thread(void) {
    atomic_fetch_add_explicit(&wake_gen, 1, memory_order_relaxed);
    weft__futex_wake(&wake_gen, 1);
}

/* Removes a pending t. When that empties the heap, the sleeping thread is
 * woken so that it exits now rather than at t's deadline: an idle program
 * must not keep a timer thread alive for a timer that was stopped. */
static void stop_pending(weft__timer *t) {
    heap_remove(t);
    if (heap_len == 0 && thread_alive)
        kick_thread();
}

/* ---- the API --------------------------------------------------------- */

int weft__timer_start(weft__timer *t, int64_t when, void (*fn)(void *), void *arg) {
    weft__lock_acquire(&heap_lock);
    if (is_pending(t))
        heap_remove(t); /* a restart of a pending timer moves it */
    if (!heap_reserve()) {
        weft__lock_release(&heap_lock);
        return WEFT_ENOMEM;
    }
    t->when = when;
    t->fn = fn;
    t->arg = arg;
    heap_set(heap_len++, t);
    sift_up(heap_len - 1);
    if (!thread_alive) {
        /* Spawned under the lock so that no other start can see the flag
         * set for a thread that then failed to start. */
        if (weft__spawn(timer_main, NULL) != 0) {
            heap_remove(t);
            weft__lock_release(&heap_lock);
            return WEFT_ENOMEM;
        }
        thread_alive = true;
    } else if (t->heap_index == 0) {
        /* A new earliest deadline: the thread may be asleep until a later
         * one. */
        kick_thread();
    }
    weft__lock_release(&heap_lock);
    return 0;
}

bool weft__timer_stop(weft__timer *t) {
    weft__lock_acquire(&heap_lock);
    if (is_pending(t)) {
        stop_pending(t);
        weft__lock_release(&heap_lock);
        return true;
    }
    /* Its function may be running: wait for it, so that the caller may
     * free what the function uses once we return. A function stopping its
     * own timer must not wait for itself. */
    if (running_here != t) {
        while (t->running) {
            uint32_t gen = atomic_load_explicit(&ran_gen, memory_order_relaxed);
            stop_waiters++;
            weft__lock_release(&heap_lock);
            weft__futex_wait(&ran_gen, gen);
            weft__lock_acquire(&heap_lock);
            stop_waiters--;
        }
    }
    weft__lock_release(&heap_lock);
    return false;
}

bool weft__timer_stop_nowait(weft__timer *t) {
    weft__lock_acquire(&heap_lock);
    bool pending = is_pending(t);
    if (pending)
        stop_pending(t);
    weft__lock_release(&heap_lock);
    return pending;
}
