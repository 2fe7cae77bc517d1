/* SPDX-License-Identifier: MIT */
/* bench_lateness.c: how late libweft's timed operations end, as printed
 * figures. These were upper bounds in the unit tests (a timeout firing
 * "not much later" than asked); a bound on time fails on a loaded
 * machine without a bug, so the tests keep only what is exact (never
 * early) and the lateness is measured here: for each operation, the
 * median and the worst of RUNS runs, in ms past the time asked for.
 * Usage: bench_lateness [RUNS] (default 20). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <weft/weft.h>

#define MS 1000000LL

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void print(const char *what, int64_t *late, int n) {
    qsort(late, (size_t)n, sizeof *late, cmp64);
    printf("%-40s median %7.3f ms  worst %7.3f ms  (%d runs)\n", what, (double)late[n / 2] / MS,
           (double)late[n - 1] / MS, n);
}

/* A future that ends when its gate closes. */
static int gated(void *arg, void *result) {
    (void)result;
    weft_chan_recv(arg, NULL);
    return 0;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 20;
    if (runs < 1)
        runs = 1;
    int64_t *late = calloc((size_t)runs, sizeof *late);
    if (!late)
        return 1;

    for (int i = 0; i < runs; i++) { /* a context's timeout: done closes */
        int64_t t0 = now_ns();
        weft_ctx *c = weft_ctx_with_timeout(NULL, 30 * MS);
        weft_chan_recv(weft_ctx_done(c), NULL);
        late[i] = now_ns() - t0 - 30 * MS;
        weft_ctx_free(c);
    }
    print("ctx timeout 30 ms", late, runs);

    for (int i = 0; i < runs; i++) { /* a semaphore acquire that times out */
        weft_sem *s = weft_sem_new(1);
        weft_sem_try_acquire(s, 1);
        int64_t t0 = now_ns();
        weft_ctx *c = weft_ctx_with_timeout(NULL, 30 * MS);
        weft_sem_acquire(c, s, 1);
        late[i] = now_ns() - t0 - 30 * MS;
        weft_ctx_free(c);
        weft_sem_release(s, 1);
        weft_sem_free(s);
    }
    print("sem acquire, ctx timeout 30 ms", late, runs);

    for (int i = 0; i < runs; i++) { /* a future's get with a timeout */
        weft_chan *gate = weft_chan_make(0, 0);
        weft_future *f = weft_future_start(gated, gate, 0);
        int64_t t0 = now_ns();
        weft_future_get_timeout(f, NULL, 30 * MS);
        late[i] = now_ns() - t0 - 30 * MS;
        weft_chan_close(gate);
        weft_future_get(f, NULL);
        weft_future_free(f);
        weft_chan_free(gate);
    }
    print("future get_timeout 30 ms", late, runs);

    for (int i = 0; i < runs; i++) { /* a limiter's pacing: 10 waits at 100/s */
        int64_t t0 = now_ns();
        weft_limiter *l = weft_limiter_new(100.0, 1);
        for (int k = 0; k <= 10; k++)
            weft_limiter_wait(NULL, l);
        late[i] = now_ns() - t0 - 100 * MS;
        weft_limiter_free(l);
    }
    print("limiter, 10 waits at 100/s (100 ms)", late, runs);

    for (int i = 0; i < runs; i++) { /* waits that need no token time */
        weft_limiter *l = weft_limiter_new(0.1, 3);
        int64_t t0 = now_ns();
        for (int k = 0; k < 3; k++)
            weft_limiter_wait(NULL, l);
        late[i] = now_ns() - t0;
        weft_limiter_free(l);
    }
    print("limiter, 3 waits within a burst (0 ms)", late, runs);
    free(late);
    return 0;
}
