/* SPDX-License-Identifier: MIT */
/* spawn.c: the threads that run goroutines (weft_go, errgroup functions,
 * futures, libweft's timer), and the clock every deadline is measured on.
 *
 * Creating a thread costs tens of microseconds here, far more than any
 * channel operation, so, like Go's runtime keeps its Ms, libweft keeps a
 * thread whose function returned for a while and hands it the next
 * function instead of creating a new thread. An idle thread waits on its
 * parker in a LIFO list (the most recently used thread has the warmest
 * cache and stack); after IDLE_NS without work, or when the list is full,
 * it exits. What carries over from one function to the next on the same
 * thread: thread-local storage and the signal mask (as with any thread
 * pool); the thread name is put back if a function changed it.
 *
 * Under weft's recorder every goroutine must be its own thread, because
 * the trace's unit is the thread: the shim interposes weft__thread_reuse
 * to say no, and each spawn then creates a thread that ends with its
 * function, exactly as pthread_create would. <weft/check.h> asks
 * weft__pool_task about each thread so that idle threads do not count as
 * live goroutines, and a reused thread counts as a new one. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int64_t weft__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t weft_now_ns(void) {
    return weft__now();
}

int64_t weft__deadline_after(int64_t d) {
    int64_t now = weft__now();
    if (d <= 0)
        return now;
    return d > INT64_MAX - now ? INT64_MAX : now + d;
}

/* ---- the idle-thread pool -------------------------------------------- */

/* An idle thread waits this long for work before it exits. */
static const int64_t IDLE_NS = 10 * 1000000000LL;

struct worker {
    struct worker *next, *prev; /* in `all`, under pool_lock */
    struct worker *next_idle;   /* in `idle`, under pool_lock */
    weft__parker *parker;       /* the thread's own, while it is idle */
    void (*fn)(void *);         /* the function to run; NULL while idle */
    void *arg;
    uint64_t task;  /* which dispatch fn came from: identifies a goroutine */
    uint64_t first; /* the dispatch the thread was created for */
    int32_t ostid;  /* the kernel's thread id */
    bool reusable;  /* false under the recorder: run one function, exit */
};

static weft__lock pool_lock;
static struct worker *all;  /* every live pooled thread, for check.h */
static struct worker *idle; /* LIFO */
static int nidle, max_idle;
static uint64_t tasks; /* dispatches so far, under pool_lock */

/* Exported and called through the PLT so that weft's LD_PRELOAD shim can
 * interpose it (and answer 0). */
__attribute__((noinline, visibility("default"))) int weft__thread_reuse(void) {
    __asm__ volatile("" ::: "memory");
    return 1;
}

/* After fork only the forking thread exists in the child: the idle and
 * live lists name threads that are gone. Their records stay allocated
 * (the child cannot know whose they were); the lists start over. The
 * lock is held across fork so that the child gets the lists in one piece
 * (and Helgrind sees its writes ordered after the workers' own). */
static void pool_fork_prepare(void) {
    weft__lock_acquire(&pool_lock);
}

static void pool_fork_parent(void) {
    weft__lock_release(&pool_lock);
}

static void pool_fork_child(void) {
    all = idle = NULL;
    nidle = 0;
    weft__lock_release(&pool_lock);
}

/* Called by timer.c's constructor before it registers its own handlers,
 * so that the order is fixed rather than left to constructor and link
 * order: the pool's child handler must run before timer.c's last one,
 * which spawns the child's timer thread and so takes pool_lock (with the
 * pool's handlers registered last, as a default-priority constructor
 * did, a fork with a timer pending left the child asleep on pool_lock
 * for good). Prepare handlers run in reverse: the heap's lock is taken
 * before pool_lock, the order of a spawn under the heap's lock. */
void weft__spawn_atfork(void) {
    weft__lock_init(&pool_lock);
    pthread_atfork(pool_fork_prepare, pool_fork_parent, pool_fork_child);
}

__attribute__((constructor)) static void pool_init(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    /* Enough idle threads for bursts of goroutines a few times the CPU
     * count (errgroups, fan-outs), few enough that their stacks stay
     * cheap. */
    max_idle = cpus > 4 ? 8 * (int)cpus : 32;
}

/* Waits, idle, for the next function; false when the thread should exit
 * instead (the list is full, or IDLE_NS passed without work). */
static bool wait_for_work(struct worker *w) {
    weft__parker *p = weft__parker_self();
    int64_t deadline = weft__deadline_after(IDLE_NS);
    weft__lock_acquire(&pool_lock);
    if (nidle >= max_idle) {
        weft__lock_release(&pool_lock);
        return false;
    }
    w->fn = NULL;
    w->parker = p;
    w->next_idle = idle;
    idle = w;
    nidle++;
    for (;;) {
        /* Armed under the lock: a dispatcher unparks only under it, after
         * taking w off the list, so its wake cannot be lost or stray into
         * a later wait of this thread. */
        weft__parker_arm(p);
        weft__lock_release(&pool_lock);
        bool woken = weft__park_idle_until(p, deadline);
        weft__lock_acquire(&pool_lock);
        if (w->fn) {
            weft__lock_release(&pool_lock);
            return true;
        }
        if (!woken)
            break;
        /* A wake-up that was not a dispatch: still listed, wait again. */
    }
    for (struct worker **q = &idle; *q; q = &(*q)->next_idle)
        if (*q == w) {
            *q = w->next_idle;
            break;
        }
    nidle--;
    weft__lock_release(&pool_lock);
    return false;
}

/* A thread's end, however it comes: its function returning for the last
 * time, or pthread_exit or cancellation inside a function (as cleanup
 * handler), which must not leave a dead thread listed for check.h. */
static void worker_gone(void *p) {
    struct worker *w = p;
    if (w->reusable) {
        weft__lock_acquire(&pool_lock);
        if (w->prev)
            w->prev->next = w->next;
        else
            all = w->next;
        if (w->next)
            w->next->prev = w->prev;
        weft__lock_release(&pool_lock);
    }
    free(w);
}

static void *worker_main(void *p) {
    struct worker *w = p;
    char name[16] = {0}, now[16];
    if (w->reusable) {
        w->ostid = (int32_t)syscall(SYS_gettid);
        prctl(PR_GET_NAME, name);
        weft__lock_acquire(&pool_lock);
        w->prev = NULL;
        w->next = all;
        if (all)
            all->prev = w;
        all = w;
        weft__lock_release(&pool_lock);
    }
    pthread_cleanup_push(worker_gone, w);
    for (;;) {
        w->fn(w->arg);
        if (!w->reusable)
            break;
        /* The next goroutine should not inherit this one's name. */
        if (prctl(PR_GET_NAME, now) == 0 && strncmp(now, name, sizeof now) != 0)
            prctl(PR_SET_NAME, name);
        if (!wait_for_work(w))
            break;
    }
    pthread_cleanup_pop(1);
    return NULL;
}

int weft__spawn(void (*fn)(void *), void *arg) {
    bool reusable = weft__thread_reuse() != 0;
    if (reusable) {
        weft__lock_acquire(&pool_lock);
        struct worker *w = idle;
        if (w) {
            idle = w->next_idle;
            nidle--;
            w->fn = fn;
            w->arg = arg;
            w->task = ++tasks;
            weft__unpark(w->parker);
            weft__lock_release(&pool_lock);
            return 0;
        }
        weft__lock_release(&pool_lock);
    }
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return WEFT_ENOMEM;
    w->fn = fn;
    w->arg = arg;
    w->reusable = reusable;
    if (reusable) {
        weft__lock_acquire(&pool_lock);
        w->task = w->first = ++tasks;
        weft__lock_release(&pool_lock);
    }
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&tid, &attr, worker_main, w);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(w);
        return WEFT_ENOMEM;
    }
    return 0;
}

int weft__pool_task(int32_t ostid, uint64_t *task) {
    int r = 0;
    weft__lock_acquire(&pool_lock);
    for (struct worker *w = all; w; w = w->next)
        if (w->ostid == ostid) {
            /* A thread on its first function is an ordinary new thread
             * (as it was before it registered here). */
            r = !w->fn ? 1 : w->task != w->first ? 2 : 0;
            *task = w->task;
            break;
        }
    weft__lock_release(&pool_lock);
    return r;
}
