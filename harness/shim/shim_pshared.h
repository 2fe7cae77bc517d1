/* SPDX-License-Identifier: MIT */
/* shim_pshared.h: whether a pthread or POSIX synchronization object is
 * process-shared, read from the object itself (glibc's layout), for the
 * watchdog: a wait on an object another process may release never counts
 * as stuck, since this process's threads alone cannot tell whether it will
 * end (a multiprocessing Event or Lock, a PTHREAD_PROCESS_SHARED mutex in
 * a shared mapping).
 *
 * Why the object and not its init call: an object in shared memory is
 * often initialized by another process (or by this one before a fork, or
 * by sem_open), and its attribute is gone by the time anyone waits. glibc
 * keeps the pshared choice in the object, in a field that never changes
 * after init (checked against glibc 2.36, x86_64, by dumping objects made
 * with each attribute):
 *   mutex:   __data.__kind & PTHREAD_MUTEX_PSHARED_BIT (128); robust
 *            mutexes get that bit too, as the kernel walks their list;
 *   cond:    __data.__wrefs & 1 (__PTHREAD_COND_SHARED_MASK);
 *   rwlock:  __data.__shared != 0;
 *   barrier: the int at byte 12 (struct pthread_barrier's `shared`,
 *            128 when shared, 0 when private);
 *   sem_t:   the int at byte 8 (struct new_sem's `private`: despite its
 *            name 128 when shared, 0 when private); sem_open's named
 *            semaphores are shared.
 * Loads are relaxed atomics: other threads update the words beside these
 * bits while we read. On another C library, or another layout, nothing is
 * taken as shared (the watchdog behaves as before). */
#ifndef WEFT_HARNESS_SHIM_PSHARED_H
#define WEFT_HARNESS_SHIM_PSHARED_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#if defined(__GLIBC__) && defined(__x86_64__) && !defined(__ILP32__)
#define WEFT_PSHARED_KNOWN 1
#else
#define WEFT_PSHARED_KNOWN 0
#endif

static inline int weft__mutex_shared(pthread_mutex_t *m) {
#if WEFT_PSHARED_KNOWN
    return (__atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) & 128) != 0;
#else
    (void)m;
    return 0;
#endif
}

static inline int weft__cond_shared(pthread_cond_t *c) {
#if WEFT_PSHARED_KNOWN
    return (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) & 1) != 0;
#else
    (void)c;
    return 0;
#endif
}

static inline int weft__rwlock_shared(pthread_rwlock_t *l) {
#if WEFT_PSHARED_KNOWN
    return __atomic_load_n(&l->__data.__shared, __ATOMIC_RELAXED) != 0;
#else
    (void)l;
    return 0;
#endif
}

static inline int weft__barrier_shared(pthread_barrier_t *b) {
#if WEFT_PSHARED_KNOWN
    return __atomic_load_n((int *)((char *)b + 12), __ATOMIC_RELAXED) != 0;
#else
    (void)b;
    return 0;
#endif
}

static inline int weft__sem_shared(sem_t *s) {
#if WEFT_PSHARED_KNOWN
    return __atomic_load_n((int *)((char *)s + 8), __ATOMIC_RELAXED) != 0;
#else
    (void)s;
    return 0;
#endif
}

#endif /* WEFT_HARNESS_SHIM_PSHARED_H */
