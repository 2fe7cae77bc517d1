/* shim_timed.c: interposers for the timed and clock-selecting variants of
 * the blocking pthread and semaphore calls: pthread_mutex_timedlock and
 * _clocklock, the rwlock timed/clock read and write locks,
 * pthread_cond_clockwait, sem_clockwait and pthread_clockjoin_np.
 *
 * They record what their untimed siblings in shim_sync.c and
 * shim_thread.c record (same kinds, so the detectors' lock state and
 * happens-before edges need nothing new), with arg2 = 1 on the begin
 * record: the call was bounded. A bounded wait never counts towards the
 * watchdog's "every thread blocked for good" (it ends by itself), so there
 * is no weft__wait_begin here. Locks try first, as in shim_sync.c, so an
 * uncontended acquisition is one end record. */
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "shim.h"

#define EV(kind, obj, arg, arg2)                                                                   \
    WEFT_RECORD(weft__emit(WEFT_K_##kind, (uint64_t)(uintptr_t)(obj), (uint64_t)(int64_t)(arg),    \
                           (uint64_t)(arg2), 0, 0))

/* The shared shape of a bounded lock: try, and only if busy, a begin
 * record, the real bounded call, and its end with arg2 = 1 (waited). */
#define BOUNDED_LOCK(begin, end, obj, try_call, call)                                              \
    do {                                                                                           \
        if (!weft__ready || weft__t.in_shim)                                                       \
            return call;                                                                           \
        int saved_ = errno;                                                                        \
        int r_ = try_call;                                                                         \
        errno = saved_;                                                                            \
        if (r_ != EBUSY) {                                                                         \
            EV(end, obj, r_, 0);                                                                   \
            return r_;                                                                             \
        }                                                                                          \
        EV(begin, obj, 0, 1);                                                                      \
        r_ = call;                                                                                 \
        EV(end, obj, r_, 1);                                                                       \
        return r_;                                                                                 \
    } while (0)

typedef const struct timespec *ts_t;

static int (*r_mutex_trylock)(pthread_mutex_t *);
static int (*r_mutex_timedlock)(pthread_mutex_t *, ts_t);
static int (*r_mutex_clocklock)(pthread_mutex_t *, clockid_t, ts_t);

WEFT_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, ts_t t) {
    WEFT_REAL(void, r_mutex_timedlock, "pthread_mutex_timedlock");
    WEFT_REAL(void, r_mutex_trylock, "pthread_mutex_trylock");
    BOUNDED_LOCK(MUTEX_LOCK_BEGIN, MUTEX_LOCK_END, m, r_mutex_trylock(m), r_mutex_timedlock(m, t));
}

WEFT_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_mutex_clocklock, "pthread_mutex_clocklock");
    WEFT_REAL(void, r_mutex_trylock, "pthread_mutex_trylock");
    BOUNDED_LOCK(MUTEX_LOCK_BEGIN, MUTEX_LOCK_END, m, r_mutex_trylock(m),
                 r_mutex_clocklock(m, c, t));
}

static int (*r_tryrdlock)(pthread_rwlock_t *);
static int (*r_trywrlock)(pthread_rwlock_t *);
static int (*r_timedrdlock)(pthread_rwlock_t *, ts_t);
static int (*r_timedwrlock)(pthread_rwlock_t *, ts_t);
static int (*r_clockrdlock)(pthread_rwlock_t *, clockid_t, ts_t);
static int (*r_clockwrlock)(pthread_rwlock_t *, clockid_t, ts_t);

WEFT_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, ts_t t) {
    WEFT_REAL(void, r_timedrdlock, "pthread_rwlock_timedrdlock");
    WEFT_REAL(void, r_tryrdlock, "pthread_rwlock_tryrdlock");
    BOUNDED_LOCK(RW_RDLOCK_BEGIN, RW_RDLOCK_END, l, r_tryrdlock(l), r_timedrdlock(l, t));
}

WEFT_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, ts_t t) {
    WEFT_REAL(void, r_timedwrlock, "pthread_rwlock_timedwrlock");
    WEFT_REAL(void, r_trywrlock, "pthread_rwlock_trywrlock");
    BOUNDED_LOCK(RW_WRLOCK_BEGIN, RW_WRLOCK_END, l, r_trywrlock(l), r_timedwrlock(l, t));
}

WEFT_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_clockrdlock, "pthread_rwlock_clockrdlock");
    WEFT_REAL(void, r_tryrdlock, "pthread_rwlock_tryrdlock");
    BOUNDED_LOCK(RW_RDLOCK_BEGIN, RW_RDLOCK_END, l, r_tryrdlock(l), r_clockrdlock(l, c, t));
}

WEFT_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_clockwrlock, "pthread_rwlock_clockwrlock");
    WEFT_REAL(void, r_trywrlock, "pthread_rwlock_trywrlock");
    BOUNDED_LOCK(RW_WRLOCK_BEGIN, RW_WRLOCK_END, l, r_trywrlock(l), r_clockwrlock(l, c, t));
}

static int (*r_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, ts_t);

WEFT_EXPORT int pthread_cond_clockwait(pthread_cond_t *cv, pthread_mutex_t *m, clockid_t c,
                                       ts_t t) {
    WEFT_REAL(void, r_cond_clockwait, "pthread_cond_clockwait");
    EV(COND_WAIT_BEGIN, cv, (uintptr_t)m, 1);
    int r = r_cond_clockwait(cv, m, c, t);
    EV(COND_WAIT_END, cv, r, (uintptr_t)m);
    return r;
}

static int (*r_sem_clockwait)(sem_t *, clockid_t, ts_t);

WEFT_EXPORT int sem_clockwait(sem_t *s, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_sem_clockwait, "sem_clockwait");
    EV(SEM_WAIT_BEGIN, s, 0, 1);
    int r = r_sem_clockwait(s, c, t);
    /* Semaphores report through errno: record -errno, leave errno be. */
    EV(SEM_WAIT_END, s, r == 0 ? 0 : -errno, 0);
    return r;
}

static int (*r_clockjoin)(pthread_t, void **, clockid_t, ts_t);

WEFT_EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t c, ts_t t) {
    WEFT_REAL(void, r_clockjoin, "pthread_clockjoin_np");
    WEFT_RECORD(weft__emit(WEFT_K_JOIN_BEGIN, (uint64_t)th, 0, 1, weft__stack(), 0));
    int r = r_clockjoin(th, ret, c, t);
    WEFT_RECORD(weft__emit(WEFT_K_JOIN_END, (uint64_t)th, (uint64_t)r,
                           r == 0 && ret ? (uint64_t)*ret : 0, 0, 0));
    return r;
}
