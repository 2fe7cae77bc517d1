/* SPDX-License-Identifier: MIT */
/* lock_cost.c: the recording cost of uncontended pthread locks, the
 * hottest sync path of the shim. One thread locks and unlocks a mutex N
 * times per round (and an rwlock, and a trylock), several rounds, and
 * prints the median ns per lock+unlock pair of each. Run it plain and
 * under the shim (two shims side by side for an A/B): the difference is
 * what recording one acquisition and one release costs.
 * Usage: lock_cost [N] [rounds]. Prints "mutex_ns <m> rwlock_ns <r> trylock_ns <t>". */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "percall.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long sink;

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 9;
    if (rounds < 1)
        rounds = 1;
    if (rounds > 64)
        rounds = 64;
    double m[64], r[64], t[64];
    for (int k = 0; k < rounds; k++) {
        int64_t t0 = percall_now();
        for (long i = 0; i < n; i++) {
            pthread_mutex_lock(&mu);
            sink++;
            pthread_mutex_unlock(&mu);
        }
        int64_t t1 = percall_now();
        for (long i = 0; i < n; i++) {
            pthread_rwlock_wrlock(&rw);
            sink++;
            pthread_rwlock_unlock(&rw);
        }
        int64_t t2 = percall_now();
        for (long i = 0; i < n; i++) {
            if (pthread_mutex_trylock(&mu) == 0) {
                sink++;
                pthread_mutex_unlock(&mu);
            }
        }
        int64_t t3 = percall_now();
        m[k] = (double)(t1 - t0) / (double)n;
        r[k] = (double)(t2 - t1) / (double)n;
        t[k] = (double)(t3 - t2) / (double)n;
    }
    printf("mutex_ns %.1f rwlock_ns %.1f trylock_ns %.1f\n", percall_median(m, rounds),
           percall_median(r, rounds), percall_median(t, rounds));
    return 0;
}
