/* common.h: small helpers of the <weft/check.h> tests (tests/check/). */
#ifndef WEFT_TESTS_CHECK_COMMON_H
#define WEFT_TESTS_CHECK_COMMON_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

static inline void ct_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static inline int64_t ct_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A flag ordered by a mutex + condvar. */
typedef struct ct_flag {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int v;
} ct_flag;
#define CT_FLAG_INIT                                                                               \
    { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }

static inline void ct_flag_add(ct_flag *f, int d) {
    pthread_mutex_lock(&f->mu);
    f->v += d;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static inline void ct_flag_wait_ge(ct_flag *f, int v) {
    pthread_mutex_lock(&f->mu);
    while (f->v < v)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
}

#endif
/* SPDX-License-Identifier: MIT */
