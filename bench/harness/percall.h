/* SPDX-License-Identifier: MIT */
/* percall.h: what the per-call benchmarks of this folder (rec_cost,
 * lock_cost, chan_cost) share: the clock they time rounds with and the
 * median of the rounds' figures (one slow round, a preemption, must not
 * move it). Header-only: each is one small program. */
#ifndef WEFT_BENCH_PERCALL_H
#define WEFT_BENCH_PERCALL_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline int64_t percall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int percall_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n) (sorts v). */
static inline double percall_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], percall_cmp);
    return v[n / 2];
}

#endif
