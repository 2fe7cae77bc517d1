/* SPDX-License-Identifier: MIT */
/* shim_sync.c: interposers for pthread mutexes, rwlocks, condition
 * variables, barriers and POSIX semaphores, their timed and clock
 * variants included (bounded: arg2 = 1 on the begin record, never counted
 * by the watchdog): the happens-before edges and
 * lock state the detectors need, and for every call that may block a begin
 * and an end record, so that at any moment we know who waits on what.
 *
 * Locks try first: an uncontended acquisition is one record (the end,
 * arg2 = 0); only a lock that has to wait gets its begin record. The
 * begin of a wait that blocks (a busy lock, a cond, barrier or semaphore
 * wait) carries its stack, and so does the end of that wait (the same
 * stack: a cond wait's end relocks its mutex). Every other acquisition of
 * a mutex or rwlock (a lock that did not wait, a trylock that took it)
 * carries a one-frame stack, its call site (the interposer's return
 * address, interned by pc without unwinding; left out when it is the
 * thread's last site again, and filled in by ingest): what
 * lock-held-at-exit points at. The other records (unlocks, signals: these calls are hot)
 * get stacks only with WEFT_SYNC_STACKS=1, which also gives every
 * acquisition its full stack.
 *
 * Each release (unlock, a cond wait's unlock, post, barrier) and each
 * acquisition also passes on what the thread may reach (reach.h): memory
 * these objects guard may hold a channel.
 *
 * Condition variables: glibc exports two ABIs; plain dlsym returns the
 * old 2.2.5 one on x86_64, so the real functions are looked up at
 * GLIBC_2.3.2, the version every program linked since 2003 uses. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

#include "reach.h"
#include "shim.h"
#include "shim_pshared.h"

static int sync_stacks = -1;
/* WEFT_SYNC_STACKS=1: full stacks on every record here. */
static int full_stacks(void) {
    if (sync_stacks < 0) {
        const char *e = getenv("WEFT_SYNC_STACKS");
        sync_stacks = e && *e == '1';
    }
    return sync_stacks;
}
static uint32_t st(void) {
    return full_stacks() ? weft__stack() : 0;
}

/* The stack of an acquisition that did not wait, from its call site pc:
 * one frame, interned by pc (no unwind: an uncontended lock must stay
 * cheap), and none at all when it is the thread's last site again
 * (ingest gives the record that site's stack); or the full stack with
 * WEFT_SYNC_STACKS=1. */
static uint32_t acq_st(uintptr_t pc) {
    return full_stacks() ? weft__stack() : weft__stack_site(pc);
}
/* ---- relocks (log.h, WEFT_H_RELOCK) ----
 * A lock taken again by the thread that unlocked it last, with no other
 * thread's acquisition between, acquires nothing new; so is its unlock
 * before acquired by no one. The reader folds such pairs (most records of
 * a lock-heavy program) when it knows this, which only the process can
 * tell: each unlock leaves (mutex, thread) in a slot of a small table,
 * another thread's acquisition of that mutex wipes it, and a lock that
 * finds its own mark there is a relock. A slot is written only by a
 * thread holding the slot's mutex, so the mutex itself orders the slot's
 * accesses; two mutexes sharing a slot only overwrite each other's marks,
 * which loses relocks, never makes one. A relock is flagged only when the
 * thread held no other lock (the reader may then drop the acquisition
 * without losing a lock-order edge); the count of held locks is the
 * thread's own, and once an unlock makes it go below zero (a lock taken
 * elsewhere) the thread never flags again. A process-shared mutex is
 * never a relock: another process's acquisitions leave no trace here. */
#define RELOCK_SLOTS 4096u
#define RELOCK_TID_BITS 19u
static uint64_t relock_slot[RELOCK_SLOTS];
/* WEFT_SHIM_RELOCKS=0: no lock is flagged, and the log is one that a
 * reader older than the flag reads too (differential:ingest needs that). */
static int relocks_off;
/* WEFT_SHIM_BACKREF=0 (the log of the format before WEFT_H_BACK, for
 * tests) or WEFT_SHIM_RELOCKS=0: every lock carries its mutex and site,
 * and no relock run is opened. One flag, so that every lock taken at once
 * tests one thing. */
static int anchors_off;

void weft__relock_init(void) {
    const char *e = secure_getenv("WEFT_SHIM_RELOCKS");
    relocks_off = e && !strcmp(e, "0");
    e = secure_getenv("WEFT_SHIM_BACKREF");
    anchors_off = relocks_off || (e && !strcmp(e, "0"));
    /* WEFT_SHIM_RUNS=0: every relock pair is written as its records (no
     * MUTEX_RUN): weft run --all-events, whose rows need each pair's time */
    e = secure_getenv("WEFT_SHIM_RUNS");
    if (e && !strcmp(e, "0"))
        weft__log_runs_off();
    e = secure_getenv("WEFT_TEST_RUN_STALL_MS");
    if (e && *e)
        weft__log_run_stall(atoi(e));
}

static inline uint64_t *relock_slot_of(const void *m) {
    return &relock_slot[(((uintptr_t)m >> 3) * 0x9e3779b97f4a7c15ull) >> 52];
}
/* The mark of mutex m unlocked by thread tid (the address's 45 bits past
 * its alignment, then the thread), 0 when tid does not fit. */
static inline uint64_t relock_mark(const void *m, uint32_t tid) {
    if (tid >= 1u << RELOCK_TID_BITS)
        return 0;
    return ((uint64_t)(uintptr_t)m >> 3 & ((1ull << 45) - 1)) << RELOCK_TID_BITS | tid;
}

/* An acquisition of lock m by this thread (recorded): counted; for a
 * mutex, another thread's mark on it is wiped. Returns the flags for its
 * record: WEFT_EMIT_OWN when this thread unlocked it last (uncontended:
 * taken without waiting), and WEFT_EMIT_RELOCK too when it is a relock.
 * An rwlock has no marks. */
static unsigned relock_acquire(const void *m, int is_mutex, int uncontended) {
    weft__t.held++;
    if (!is_mutex)
        return 0;
    uint64_t *s = relock_slot_of(m), v = __atomic_load_n(s, __ATOMIC_RELAXED);
    uint64_t mine = relock_mark(m, weft__t.tid);
    if (!uncontended || !mine || v != mine) {
        if (v != mine && v >> RELOCK_TID_BITS == mine >> RELOCK_TID_BITS)
            __atomic_store_n(s, 0, __ATOMIC_RELAXED);
        return 0;
    }
    int relock = !relocks_off && weft__t.held == 1 && !weft__t.held_bad &&
                 !weft__mutex_shared((pthread_mutex_t *)(uintptr_t)m);
    return WEFT_EMIT_OWN | (relock ? WEFT_EMIT_RELOCK : 0);
}
static void relock_release(void) {
    if (weft__t.held)
        weft__t.held--;
    else
        weft__t.held_bad = 1;
}
/* This thread unlocks m (recorded, before the real unlock). */
static void relock_unlock(const void *m) {
    __atomic_store_n(relock_slot_of(m), relock_mark(m, weft__t.tid), __ATOMIC_RELAXED);
    relock_release();
}
/* m was made or destroyed: a new mutex at its address starts unmarked. */
static void relock_forget(const void *m) {
    uint64_t *s = relock_slot_of(m), v = __atomic_load_n(s, __ATOMIC_RELAXED);
    if (v >> RELOCK_TID_BITS == relock_mark(m, 0) >> RELOCK_TID_BITS)
        __atomic_store_n(s, 0, __ATOMIC_RELAXED);
}
void weft__relock_fork_child(void) {
    /* the child's threads are numbered anew: a parent's mark could pass
     * for one of theirs */
    memset(relock_slot, 0, sizeof relock_slot);
}

/* The record of a lock call's end (kind, result r, arg2): a success is
 * an acquisition (relock_acquire), flagged when it is a mutex's relock
 * or this thread's own release was its last (uncontended: taken without
 * waiting). */
#define EV_LOCKED(kind, obj, r, arg2, stack, is_mutex, uncontended)                                \
    WEFT_RECORD(                                                                                   \
        uint16_t k_ = WEFT_K_##kind;                                                               \
        if ((r) == 0) k_ |= (uint16_t)relock_acquire(obj, is_mutex, uncontended);                  \
        weft__emit(k_, (uint64_t)(uintptr_t)(obj), (uint64_t)(r), (uint64_t)(arg2), stack, 0))
/* The record of an acquisition that did not wait (a lock taken at its
 * first try, a trylock that took it), from call site pc. A relock is
 * counted in its thread's relock run when it can be; every one names its
 * lock and site by an anchor when it can (weft__emit_taken), unless the
 * log must be one a reader older than anchors reads. */
#define EV_TAKEN(kind, obj, pc, is_mutex)                                                          \
    WEFT_RECORD(uint16_t k_ = (uint16_t)(WEFT_K_##kind | relock_acquire(obj, is_mutex, 1));        \
                if (!full_stacks() && !anchors_off)                                                \
                    weft__emit_taken(k_, (uint64_t)(uintptr_t)(obj), pc);                          \
                else weft__emit(k_, (uint64_t)(uintptr_t)(obj), 0, 0, acq_st(pc), 0))
/* A record after the relock bookkeeping `pre` of its call, in one entry. */
#define EV_AFTER(pre, kind, obj, arg, arg2, stack)                                                 \
    WEFT_RECORD(pre; weft__emit(WEFT_K_##kind, (uint64_t)(uintptr_t)(obj), (uint64_t)(arg),        \
                                (uint64_t)(arg2), stack, 0))

/* The interposer's return address: the program's call site. Only in the
 * exported function itself (a macro, never a helper it calls). */
#define CALLER() ((uintptr_t)__builtin_return_address(0))

#define EV_STACK(kind, obj, arg, arg2, stack)                                                      \
    WEFT_RECORD(weft__emit(WEFT_K_##kind, (uint64_t)(uintptr_t)(obj), (uint64_t)(arg),             \
                           (uint64_t)(arg2), stack, 0))
#define EV(kind, obj, arg, arg2) EV_STACK(kind, obj, arg, arg2, st())
/* The begin of a wait that really blocks always gets its stack: it is what
 * a thread leaked in that wait is reported with, and the unwind (about a
 * microsecond) is small beside the sleep it precedes. The hot paths (an
 * uncontended lock, an unlock, a signal) stay without one. The stack id
 * is left in sv for the wait's end. */
#define EV_WAIT(kind, obj, arg, arg2, sv)                                                          \
    WEFT_RECORD(sv = weft__stack(); weft__emit(WEFT_K_##kind, (uint64_t)(uintptr_t)(obj),          \
                                               (uint64_t)(arg), (uint64_t)(arg2), sv, 0))

/* A lock that may wait tries first: an uncontended acquisition is one end
 * record (arg2 = 0); only a busy lock gets a begin (arg2 = 1 when the
 * call is bounded: timedlock, clocklock) and an end with arg2 = 1. Only
 * an unbounded wait on a lock of this process counts for the watchdog (a
 * bounded one ends by itself; a process-shared one, shared says, may be
 * released by another process). */
#define TRY_FIRST(begin, end, obj, try_call, call, bounded, shared, is_mutex)                      \
    do {                                                                                           \
        if (!weft__ready || weft__t.in_shim)                                                       \
            return call;                                                                           \
        int saved_ = errno;                                                                        \
        int r_ = try_call;                                                                         \
        errno = saved_;                                                                            \
        if (r_ == 0) {                                                                             \
            EV_TAKEN(end, obj, CALLER(), is_mutex);                                                \
            weft__reach_sync_pull((uintptr_t)(obj));                                               \
            return r_;                                                                             \
        }                                                                                          \
        if (r_ != EBUSY) {                                                                         \
            EV_LOCKED(end, obj, r_, 0, st(), is_mutex, 1);                                         \
            return r_;                                                                             \
        }                                                                                          \
        uint32_t s_ = 0;                                                                           \
        EV_WAIT(begin, obj, 0, bounded, s_);                                                       \
        if (!(bounded) && !(shared))                                                               \
            weft__wait_begin(WEFT_K_##begin, (uintptr_t)(obj));                                    \
        r_ = call;                                                                                 \
        weft__wait_end();                                                                          \
        EV_LOCKED(end, obj, r_, 1, s_, is_mutex, 0);                                               \
        if (r_ == 0)                                                                               \
            weft__reach_sync_pull((uintptr_t)(obj));                                               \
        return r_;                                                                                 \
    } while (0)

typedef const struct timespec *ts_t;

static int (*r_mutex_lock)(pthread_mutex_t *);
static int (*r_mutex_timedlock)(pthread_mutex_t *, ts_t);
static int (*r_mutex_clocklock)(pthread_mutex_t *, clockid_t, ts_t);
static int (*r_mutex_trylock)(pthread_mutex_t *);
static int (*r_mutex_unlock)(pthread_mutex_t *);
static int (*r_mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
static int (*r_mutex_destroy)(pthread_mutex_t *);

WEFT_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) {
    WEFT_REAL(void, r_mutex_init, "pthread_mutex_init");
    int r = r_mutex_init(m, a);
    EV_AFTER(relock_forget(m), MUTEX_INIT, m, r, 0, st());
    return r;
}

WEFT_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m) {
    WEFT_REAL(void, r_mutex_destroy, "pthread_mutex_destroy");
    int r = r_mutex_destroy(m);
    EV_AFTER(relock_forget(m), MUTEX_DESTROY, m, r, 0, st());
    return r;
}

WEFT_EXPORT int pthread_mutex_lock(pthread_mutex_t *m) {
    WEFT_REAL(void, r_mutex_lock, "pthread_mutex_lock");
    WEFT_REAL(void, r_mutex_trylock, "pthread_mutex_trylock");
    TRY_FIRST(MUTEX_LOCK_BEGIN, MUTEX_LOCK_END, m, r_mutex_trylock(m), r_mutex_lock(m), 0,
              weft__mutex_shared(m), 1);
}

WEFT_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, ts_t t) {
    WEFT_REAL(void, r_mutex_timedlock, "pthread_mutex_timedlock");
    WEFT_REAL(void, r_mutex_trylock, "pthread_mutex_trylock");
    TRY_FIRST(MUTEX_LOCK_BEGIN, MUTEX_LOCK_END, m, r_mutex_trylock(m), r_mutex_timedlock(m, t), 1,
              0, 1);
}

WEFT_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_mutex_clocklock, "pthread_mutex_clocklock");
    WEFT_REAL(void, r_mutex_trylock, "pthread_mutex_trylock");
    TRY_FIRST(MUTEX_LOCK_BEGIN, MUTEX_LOCK_END, m, r_mutex_trylock(m), r_mutex_clocklock(m, c, t),
              1, 0, 1);
}

WEFT_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m) {
    WEFT_REAL(void, r_mutex_trylock, "pthread_mutex_trylock");
    int r = r_mutex_trylock(m);
    if (r == 0) {
        weft__reach_sync_pull((uintptr_t)m);
        EV_TAKEN(MUTEX_TRYLOCK, m, CALLER(), 1);
    } else {
        EV_LOCKED(MUTEX_TRYLOCK, m, r, 0, st(), 1, 1);
    }
    return r;
}

WEFT_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m) {
    WEFT_REAL(void, r_mutex_unlock, "pthread_mutex_unlock");
    /* Recorded before the real unlock: the next owner's records come after
     * ours in time, which keeps a trace readable by timestamp. */
    WEFT_RECORD(relock_unlock(m); weft__emit_unlock((uint64_t)(uintptr_t)m, st()));
    weft__reach_sync_push((uintptr_t)m);
    return r_mutex_unlock(m);
}

static int (*r_rdlock)(pthread_rwlock_t *);
static int (*r_wrlock)(pthread_rwlock_t *);
static int (*r_tryrdlock)(pthread_rwlock_t *);
static int (*r_trywrlock)(pthread_rwlock_t *);
static int (*r_rwunlock)(pthread_rwlock_t *);
static int (*r_timedrdlock)(pthread_rwlock_t *, ts_t);
static int (*r_timedwrlock)(pthread_rwlock_t *, ts_t);
static int (*r_clockrdlock)(pthread_rwlock_t *, clockid_t, ts_t);
static int (*r_clockwrlock)(pthread_rwlock_t *, clockid_t, ts_t);

WEFT_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l) {
    WEFT_REAL(void, r_rdlock, "pthread_rwlock_rdlock");
    WEFT_REAL(void, r_tryrdlock, "pthread_rwlock_tryrdlock");
    TRY_FIRST(RW_RDLOCK_BEGIN, RW_RDLOCK_END, l, r_tryrdlock(l), r_rdlock(l), 0,
              weft__rwlock_shared(l), 0);
}

WEFT_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l) {
    WEFT_REAL(void, r_wrlock, "pthread_rwlock_wrlock");
    WEFT_REAL(void, r_trywrlock, "pthread_rwlock_trywrlock");
    TRY_FIRST(RW_WRLOCK_BEGIN, RW_WRLOCK_END, l, r_trywrlock(l), r_wrlock(l), 0,
              weft__rwlock_shared(l), 0);
}

WEFT_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, ts_t t) {
    WEFT_REAL(void, r_timedrdlock, "pthread_rwlock_timedrdlock");
    WEFT_REAL(void, r_tryrdlock, "pthread_rwlock_tryrdlock");
    TRY_FIRST(RW_RDLOCK_BEGIN, RW_RDLOCK_END, l, r_tryrdlock(l), r_timedrdlock(l, t), 1, 0, 0);
}

WEFT_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, ts_t t) {
    WEFT_REAL(void, r_timedwrlock, "pthread_rwlock_timedwrlock");
    WEFT_REAL(void, r_trywrlock, "pthread_rwlock_trywrlock");
    TRY_FIRST(RW_WRLOCK_BEGIN, RW_WRLOCK_END, l, r_trywrlock(l), r_timedwrlock(l, t), 1, 0, 0);
}

WEFT_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_clockrdlock, "pthread_rwlock_clockrdlock");
    WEFT_REAL(void, r_tryrdlock, "pthread_rwlock_tryrdlock");
    TRY_FIRST(RW_RDLOCK_BEGIN, RW_RDLOCK_END, l, r_tryrdlock(l), r_clockrdlock(l, c, t), 1, 0, 0);
}

WEFT_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_clockwrlock, "pthread_rwlock_clockwrlock");
    WEFT_REAL(void, r_trywrlock, "pthread_rwlock_trywrlock");
    TRY_FIRST(RW_WRLOCK_BEGIN, RW_WRLOCK_END, l, r_trywrlock(l), r_clockwrlock(l, c, t), 1, 0, 0);
}

WEFT_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) {
    WEFT_REAL(void, r_tryrdlock, "pthread_rwlock_tryrdlock");
    int r = r_tryrdlock(l);
    if (r == 0)
        weft__reach_sync_pull((uintptr_t)l);
    EV_LOCKED(RW_TRYLOCK, l, r, 0, r == 0 ? acq_st(CALLER()) : st(), 0, 1);
    return r;
}

WEFT_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l) {
    WEFT_REAL(void, r_trywrlock, "pthread_rwlock_trywrlock");
    int r = r_trywrlock(l);
    if (r == 0)
        weft__reach_sync_pull((uintptr_t)l);
    EV_LOCKED(RW_TRYLOCK, l, r, 1, r == 0 ? acq_st(CALLER()) : st(), 0, 1);
    return r;
}

WEFT_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l) {
    WEFT_REAL(void, r_rwunlock, "pthread_rwlock_unlock");
    EV_AFTER(relock_release(), RW_UNLOCK, l, 0, 0, st());
    weft__reach_sync_push((uintptr_t)l);
    return r_rwunlock(l);
}

static int (*r_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*r_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
static int (*r_cond_signal)(pthread_cond_t *);
static int (*r_cond_broadcast)(pthread_cond_t *);

WEFT_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
    WEFT_REAL_V(void, r_cond_wait, "pthread_cond_wait", "GLIBC_2.3.2");
    uint32_t s = 0;
    EV_AFTER(relock_release(); s = weft__stack(), COND_WAIT_BEGIN, c, (uintptr_t)m, 0, s);
    if (!weft__cond_shared(c))
        weft__wait_begin(WEFT_K_COND_WAIT_BEGIN, (uintptr_t)c);
    weft__reach_sync_push((uintptr_t)m);
    int r = r_cond_wait(c, m);
    weft__reach_sync_pull((uintptr_t)m);
    weft__wait_end();
    EV_AFTER(relock_acquire(m, 1, 0), COND_WAIT_END, c, r, (uintptr_t)m, s);
    return r;
}

WEFT_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                       const struct timespec *t) {
    WEFT_REAL_V(void, r_cond_timedwait, "pthread_cond_timedwait", "GLIBC_2.3.2");
    uint32_t s = 0;
    EV_AFTER(relock_release(); s = weft__stack(), COND_WAIT_BEGIN, c, (uintptr_t)m, 1, s);
    weft__reach_sync_push((uintptr_t)m);
    int r = r_cond_timedwait(c, m, t);
    weft__reach_sync_pull((uintptr_t)m);
    EV_AFTER(relock_acquire(m, 1, 0), COND_WAIT_END, c, r, (uintptr_t)m, s);
    return r;
}

static int (*r_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, ts_t);

WEFT_EXPORT int pthread_cond_clockwait(pthread_cond_t *cv, pthread_mutex_t *m, clockid_t c,
                                       ts_t t) {
    WEFT_REAL(void, r_cond_clockwait, "pthread_cond_clockwait");
    uint32_t s = 0;
    EV_AFTER(relock_release(); s = weft__stack(), COND_WAIT_BEGIN, cv, (uintptr_t)m, 1, s);
    weft__reach_sync_push((uintptr_t)m);
    int r = r_cond_clockwait(cv, m, c, t);
    weft__reach_sync_pull((uintptr_t)m);
    EV_AFTER(relock_acquire(m, 1, 0), COND_WAIT_END, cv, r, (uintptr_t)m, s);
    return r;
}

WEFT_EXPORT int pthread_cond_signal(pthread_cond_t *c) {
    WEFT_REAL_V(void, r_cond_signal, "pthread_cond_signal", "GLIBC_2.3.2");
    EV(COND_SIGNAL, c, 0, 0);
    return r_cond_signal(c);
}

WEFT_EXPORT int pthread_cond_broadcast(pthread_cond_t *c) {
    WEFT_REAL_V(void, r_cond_broadcast, "pthread_cond_broadcast", "GLIBC_2.3.2");
    EV(COND_BROADCAST, c, 0, 0);
    return r_cond_broadcast(c);
}

static int (*r_barrier_wait)(pthread_barrier_t *);

WEFT_EXPORT int pthread_barrier_wait(pthread_barrier_t *b) {
    WEFT_REAL(void, r_barrier_wait, "pthread_barrier_wait");
    uint32_t s = 0;
    EV_WAIT(BARRIER_WAIT_BEGIN, b, 0, 0, s);
    if (!weft__barrier_shared(b))
        weft__wait_begin(WEFT_K_BARRIER_WAIT_BEGIN, (uintptr_t)b);
    weft__reach_sync_push((uintptr_t)b);
    int r = r_barrier_wait(b);
    weft__reach_sync_pull((uintptr_t)b);
    weft__wait_end();
    EV_STACK(BARRIER_WAIT_END, b, r, 0, s);
    return r;
}

static int (*r_sem_wait)(sem_t *);
static int (*r_sem_timedwait)(sem_t *, const struct timespec *);
static int (*r_sem_trywait)(sem_t *);
static int (*r_sem_post)(sem_t *);

/* Semaphores report errors through errno: record -errno, then restore. */
static int64_t sem_result(int r) {
    return r == 0 ? 0 : -(int64_t)errno;
}

WEFT_EXPORT int sem_wait(sem_t *s) {
    WEFT_REAL(void, r_sem_wait, "sem_wait");
    WEFT_REAL(void, r_sem_trywait, "sem_trywait");
    uint32_t sv = 0;
    EV_WAIT(SEM_WAIT_BEGIN, s, 0, 0, sv);
    /* Tried first: a wait that takes a free unit at once is no wait for
     * the watchdog (whose thread a single-threaded program's first real
     * wait starts: CPython's sem_waits on its own free locks did). */
    int saved = errno, r = r_sem_trywait(s);
    errno = saved;
    if (r != 0) {
        if (!weft__sem_shared(s))
            weft__wait_begin(WEFT_K_SEM_WAIT_BEGIN, (uintptr_t)s);
        r = r_sem_wait(s);
    }
    if (r == 0)
        weft__reach_sync_pull((uintptr_t)s);
    weft__wait_end();
    EV_STACK(SEM_WAIT_END, s, sem_result(r), 0, sv);
    return r;
}

WEFT_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t) {
    WEFT_REAL(void, r_sem_timedwait, "sem_timedwait");
    uint32_t sv = 0;
    EV_WAIT(SEM_WAIT_BEGIN, s, 0, 1, sv);
    int r = r_sem_timedwait(s, t);
    if (r == 0)
        weft__reach_sync_pull((uintptr_t)s);
    EV_STACK(SEM_WAIT_END, s, sem_result(r), 0, sv);
    return r;
}

static int (*r_sem_clockwait)(sem_t *, clockid_t, ts_t);

WEFT_EXPORT int sem_clockwait(sem_t *s, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_sem_clockwait, "sem_clockwait");
    uint32_t sv = 0;
    EV_WAIT(SEM_WAIT_BEGIN, s, 0, 1, sv);
    int r = r_sem_clockwait(s, c, t);
    if (r == 0)
        weft__reach_sync_pull((uintptr_t)s);
    EV_STACK(SEM_WAIT_END, s, sem_result(r), 0, sv);
    return r;
}

WEFT_EXPORT int sem_trywait(sem_t *s) {
    WEFT_REAL(void, r_sem_trywait, "sem_trywait");
    int r = r_sem_trywait(s);
    if (r == 0)
        weft__reach_sync_pull((uintptr_t)s);
    EV(SEM_TRYWAIT, s, sem_result(r), 0);
    return r;
}

WEFT_EXPORT int sem_post(sem_t *s) {
    WEFT_REAL(void, r_sem_post, "sem_post");
    EV(SEM_POST, s, 0, 0);
    weft__reach_sync_push((uintptr_t)s);
    return r_sem_post(s);
}
