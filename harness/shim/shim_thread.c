/* SPDX-License-Identifier: MIT */
/* shim_thread.c: interposers for the life of threads: pthread_create (with
 * a start wrapper that records start and the end by return or
 * cancellation), pthread_exit, join/tryjoin/timedjoin/clockjoin, detach, cancel and
 * setname.
 *
 * Cancellation: the start wrapper pushes a cleanup handler around the
 * user's start routine. glibc runs cleanup handlers while a cancelled
 * thread unwinds, and also for pthread_exit; our pthread_exit marks the
 * thread first, so a handler that finds no mark records a cancellation. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "livestate.h"
#include "reach.h"
#include "shim.h"

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static create_fn real_create;
static void (*real_exit)(void *);
static int (*real_join)(pthread_t, void **);
static int (*real_tryjoin)(pthread_t, void **);
static int (*real_timedjoin)(pthread_t, void **, const struct timespec *);
static int (*real_detach)(pthread_t);
static int (*real_cancel)(pthread_t);
static int (*real_setname)(pthread_t, const char *);

struct start {
    void *(*fn)(void *);
    void *arg;
    uint32_t tid;
    uint32_t creator;
    uint32_t via; /* WEFT_VIA_*: a libweft thread says so in its start record */
    /* the start routine and argument the creation record names (the
     * user's, for weft_go and its kin): the start record names them too */
    uint64_t rec_fn, rec_arg;
    uint64_t clock; /* the creator's record clock as it created it */
    /* its creation stack, for the live state file (livestate.c) */
    uint32_t npcs;
    uint64_t pcs[WEFT_LIVE_PCS];
    struct weft__reach_set reach; /* the channels its creator could reach (reach.h) */
};

/* The end of a thread's recorded life: after its end record it writes
 * nothing more. What still runs on it, after our wrapper (TLS and
 * thread-specific-data destructors, an allocator's per-thread cleanup:
 * jemalloc flushes its thread cache under its own pthread mutexes), is
 * glibc's thread exit, not the program's work, and would otherwise claim a
 * fresh chunk to write records after the thread's end. */
static void thread_done(void) {
    /* its joiner's records come after all of this thread's */
    weft__clock_released((uint64_t)pthread_self());
    weft__wait_thread_end();
    weft__reach_end();
    weft__stack_thread_end();
    weft__t.in_shim = 1;
}

static void on_unwind(void *unused) {
    (void)unused;
    /* Our pthread_exit recorded the exit already; otherwise this unwind is
     * a cancellation. Either way the thread writes nothing more of its
     * life, so its chunk can serve another thread. */
    WEFT_RECORD(if (!weft__t.exiting)
                    weft__emit(WEFT_K_THREAD_CANCELED, (uint64_t)pthread_self(), 0, 0, 0, 0);
                weft__log_release_chunk());
    /* A thread cancelled inside a blocking call never reached its end:
     * the watchdog must not count it as waiting any more. */
    thread_done();
}

/* The shim's own free (of a start block): the locks an allocator takes
 * in it (jemalloc's) are not the program's, so nothing in it is recorded. */
static void quiet_free(void *p) {
    uint32_t was = weft__t.in_shim;
    weft__t.in_shim = 1;
    free(p);
    weft__t.in_shim = was;
}

/* The thread's identity comes first, before anything that could reach an
 * interposer: an interposed call on a thread without a tid adopts it
 * (weft__thread_ensure), and a thread adopted here would be recorded as
 * two, one created and never started plus one adopted (jemalloc's free
 * takes pthread mutexes). Our own free of the start block runs inside the
 * shim, after the start record: it is the shim's work, and the locks an
 * allocator takes in it are not the program's. */
static void *start_wrapper(void *p) {
    weft__t.tid = ((struct start *)p)->tid;
    weft__clock_after(((struct start *)p)->clock);
    weft__wait_thread_start();
    struct start s = *(struct start *)p;
    weft__live_thread_pcs(s.pcs, s.npcs);
    if (weft__reach_on())
        weft__reach_start(&s.reach);
    /* An internal thread says so itself: its creator's THREAD_CREATE is
     * written only after pthread_create returns, and a process that ends
     * just then (libweft's timer started by the program's last call)
     * leaves a started thread without it, which would be judged as the
     * program's. */
    uint64_t named[2] = {s.rec_fn, s.rec_arg};
    WEFT_RECORD(weft__emit_data(
        WEFT_K_THREAD_START, (uint64_t)pthread_self(), (uint64_t)syscall(SYS_gettid), s.creator, 0,
        s.via == WEFT_VIA_LIBWEFT ? WEFT_START_INTERNAL : 0, named, sizeof named));
    quiet_free(p);
    void *ret;
    pthread_cleanup_push(on_unwind, NULL);
    ret = s.fn(s.arg);
    pthread_cleanup_pop(0);
    WEFT_RECORD(weft__emit(WEFT_K_THREAD_RETURN, (uint64_t)pthread_self(), (uint64_t)ret, 0, 0, 0);
                weft__log_release_chunk());
    thread_done();
    return ret;
}

/* How far above pthread_create's frame an argument still counts as "in the
 * creator's stack": the frames of the creator and of libweft's spawn path
 * (weft_go, groups, futures) lie well within it, heap and globals far
 * outside. */
enum { STACK_ARG_WINDOW = 1 << 20 };

WEFT_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                               void *arg) {
    WEFT_REAL_V(create_fn, real_create, "pthread_create", "GLIBC_2.34");
    if (!weft__ready || weft__t.in_shim)
        return real_create(th, attr, fn, arg);
    int saved = errno;
    weft__watchdog_need(); /* the shim's thread first: the program is no longer single-threaded */
    /* Our own allocation: the allocator's locks in it are not the
     * program's (see start_wrapper). */
    weft__t.in_shim = 1;
    struct start *s = malloc(sizeof *s);
    weft__t.in_shim = 0;
    if (!s) {
        errno = saved;
        return real_create(th, attr, fn, arg);
    }
    uint32_t stack = 0;
    s->npcs = 0;
    if (weft__enter()) {
        weft__thread_ensure();
        /* weft_go and its kin: the user's call, not libweft's spawn path */
        stack = weft__stack_keep(weft__t.go_via != 0, s->pcs, WEFT_LIVE_PCS, &s->npcs);
        weft__leave();
    }
    s->fn = fn;
    s->arg = arg;
    s->tid = weft__log_new_tid();
    s->creator = weft__t.tid;
    uint32_t newtid = s->tid; /* s belongs to the new thread once it runs */
    /* Who asked: a libweft call that left the user's function for us, or
     * libweft on its own (its timer thread), or the program itself. */
    uint64_t rec_fn = (uint64_t)(uintptr_t)fn, rec_arg = (uint64_t)(uintptr_t)arg;
    uint32_t via = WEFT_VIA_PTHREAD;
    if (weft__t.go_via) {
        via = weft__t.go_via;
        rec_fn = weft__t.go_fn;
        rec_arg = weft__t.go_arg;
        weft__t.go_via = 0;
        weft__t.go_tid = newtid;
    } else if (weft__from_libweft((uintptr_t)__builtin_return_address(0))) {
        via = WEFT_VIA_LIBWEFT;
    }
    /* An argument pointing into the creator's own stack (just above this
     * frame) is the loop-variable pattern's raw material: remember what it
     * pointed to now, so the detectors can tell a variable that changes
     * between creations from a context shared unchanged. Reading 4 aligned
     * bytes (or 1) never crosses into an unmapped page. */
    char here;
    uintptr_t a = (uintptr_t)rec_arg, lo = (uintptr_t)&here;
    int on_stack = a > lo && a - lo < STACK_ARG_WINDOW;
    uint64_t snap = 0;
    if (on_stack)
        snap = (a & 3) == 0 ? *(const volatile uint32_t *)a : *(const volatile uint8_t *)a;
    /* What the argument may carry: anything the creator can reach now.
     * Not for libweft's own thread (its timer), which only sends on timer
     * channels and cancels contexts, whose waits are never judged. */
    struct weft__reach *me =
        weft__reach_on() && via != WEFT_VIA_LIBWEFT ? weft__reach_self() : NULL;
    memset(&s->reach, 0, sizeof s->reach);
    if (me)
        weft__reach_copy(&s->reach, &me->set);
    s->via = via;
    s->rec_fn = rec_fn;
    s->rec_arg = rec_arg;
    s->clock = weft__t.last_ts;
    errno = saved;
    int r = real_create(th, attr, start_wrapper, s);
    saved = errno;
    if (r != 0) {
        quiet_free(s);
        weft__t.go_tid = 0;
        WEFT_RECORD(weft__emit(WEFT_K_THREAD_CREATE_FAIL, 0, (uint64_t)r, (uint64_t)(uintptr_t)fn,
                               stack, 0));
    } else {
        if (__builtin_expect(weft__chaos_on, 0))
            weft__chaos_created_slow();
        int detached = 0;
        if (attr)
            pthread_attr_getdetachstate(attr, &detached);
        WEFT_RECORD(weft__emit(WEFT_K_THREAD_CREATE, (uint64_t)*th, rec_fn, rec_arg, stack,
                               (newtid & WEFT_TID_MASK) | via << 28);
                    if (on_stack) weft__emit(WEFT_K_THREAD_ARG, rec_arg, snap, 0, 0, 0);
                    if (detached == PTHREAD_CREATE_DETACHED)
                        weft__emit(WEFT_K_DETACH, (uint64_t)*th, 0, 1, 0, 0));
    }
    errno = saved;
    return r;
}

WEFT_EXPORT void pthread_exit(void *ret) {
    WEFT_REAL(void, real_exit, "pthread_exit");
    if (syscall(SYS_gettid) == getpid())
        __atomic_store_n(&weft__main_exited, 1, __ATOMIC_RELAXED);
    WEFT_RECORD(weft__emit(WEFT_K_THREAD_EXIT, (uint64_t)pthread_self(), (uint64_t)ret, 0,
                           weft__stack(), 0);
                weft__t.exiting = 1);
    real_exit(ret);
    __builtin_unreachable();
}

/* The records around a join: a begin (arg2 = 1: bounded, never counted by
 * the watchdog) and an end with the result and the joined value. */
static void join_begin(pthread_t th, int bounded) {
    WEFT_RECORD(
        weft__emit(WEFT_K_JOIN_BEGIN, (uint64_t)th, 0, (uint64_t)bounded, weft__stack(), 0));
}

static int join_end(pthread_t th, void **ret, int r) {
    if (r == 0)
        weft__clock_acquired((uint64_t)th);
    WEFT_RECORD(weft__emit(WEFT_K_JOIN_END, (uint64_t)th, (uint64_t)r,
                           r == 0 && ret ? (uint64_t)*ret : 0, 0, 0));
    return r;
}

WEFT_EXPORT int pthread_join(pthread_t th, void **ret) {
    WEFT_REAL(void, real_join, "pthread_join");
    join_begin(th, 0);
    weft__wait_begin(WEFT_K_JOIN_BEGIN, (uint64_t)th);
    int r = real_join(th, ret);
    weft__wait_end();
    return join_end(th, ret, r);
}

WEFT_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret) {
    WEFT_REAL(void, real_tryjoin, "pthread_tryjoin_np");
    int r = real_tryjoin(th, ret);
    if (r == 0)
        weft__clock_acquired((uint64_t)th);
    WEFT_RECORD(weft__emit(WEFT_K_TRYJOIN, (uint64_t)th, (uint64_t)r,
                           r == 0 && ret ? (uint64_t)*ret : 0, weft__stack(), 0));
    return r;
}

WEFT_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abstime) {
    WEFT_REAL(void, real_timedjoin, "pthread_timedjoin_np");
    join_begin(th, 1);
    return join_end(th, ret, real_timedjoin(th, ret, abstime));
}

static int (*real_clockjoin)(pthread_t, void **, clockid_t, const struct timespec *);

WEFT_EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t c,
                                     const struct timespec *abstime) {
    WEFT_REAL(void, real_clockjoin, "pthread_clockjoin_np");
    join_begin(th, 1);
    return join_end(th, ret, real_clockjoin(th, ret, c, abstime));
}

/* Recorded before the call: once detached, the thread may end at once and
 * glibc give its handle (its descriptor, on its cached stack) to the next
 * thread created, whose creation another thread may record before a
 * record of ours made after the call; by handle the ingest would then
 * detach the new thread and call the detached one unjoined (the window
 * harness:join_handle_reused opens). A joinable thread's handle is not
 * reused before the call. A failure (EINVAL: not joinable; glibc has no
 * other) gets a second record with its error. */
WEFT_EXPORT int pthread_detach(pthread_t th) {
    WEFT_REAL(void, real_detach, "pthread_detach");
    WEFT_RECORD(weft__emit(WEFT_K_DETACH, (uint64_t)th, 0, 0, weft__stack(), 0));
    int r = real_detach(th);
    if (r != 0)
        WEFT_RECORD(weft__emit(WEFT_K_DETACH, (uint64_t)th, (uint64_t)r, 0, 0, 0));
    return r;
}

WEFT_EXPORT int pthread_cancel(pthread_t th) {
    WEFT_REAL(void, real_cancel, "pthread_cancel");
    int r = real_cancel(th);
    WEFT_RECORD(weft__emit(WEFT_K_CANCEL, (uint64_t)th, (uint64_t)r, 0, weft__stack(), 0));
    return r;
}

WEFT_EXPORT int pthread_setname_np(pthread_t th, const char *name) {
    WEFT_REAL(void, real_setname, "pthread_setname_np");
    int r = real_setname(th, name);
    WEFT_RECORD(weft__emit_data(WEFT_K_SETNAME, (uint64_t)th, (uint64_t)r, 0, 0, 0, name,
                                strnlen(name, 64)));
    return r;
}
