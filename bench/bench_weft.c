/* SPDX-License-Identifier: MIT */
/* bench_weft.c: the C side of weft's benchmarks. Runs one benchmark shape on
 * one implementation, libweft (through its public API only) or the naive
 * mutex+condvar peer of naive_chan.h, and prints one machine-readable line:
 *
 *   bench_weft BENCH IMPL [N [RUNS]]
 *   -> "buffered weft ns_per_op=41.3 ops=5000000 runs=5 min=39.8 max=44.0"
 *
 * ns_per_op is the MEDIAN over RUNS runs (default 5) of elapsed/N; min and
 * max are there to show the spread. The median rather than the best because
 * on a small shared machine the best run mostly measures luck with the
 * scheduler, and the median is what a program sees. bench/go/main.go prints
 * the same line for Go and bench/run.sh puts them side by side.
 *
 * The channel and WaitGroup shapes live in bench_shapes.h, instantiated here
 * for both implementations. errgroup differs too much between the two to
 * share a body, so both versions are below.
 */
#define _POSIX_C_SOURCE 200809L

#include <weft/weft.h>

#include "naive_chan.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers used by the shapes ---------------------------------------- */

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Noreturn void die(const char *what) {
    fprintf(stderr, "bench_weft: %s\n", what);
    exit(1);
}

/* A wrong result is a failed run, not a slow one: stop with an error. */
static void expect(bool ok, const char *what) {
    if (!ok)
        die(what);
}

/* Sum of 0..n-1, what a consumer of one producer's items must add up to. */
static long long triangle(long n) {
    return (long long)n * (n - 1) / 2;
}

/* Benchmark threads are plain joinable pthreads for both implementations, so
 * the only thing that differs between them is the channel code. */
static void spawn(pthread_t *t, void *(*fn)(void *), void *arg) {
    if (pthread_create(t, NULL, fn, arg) != 0)
        die("pthread_create failed");
}

static void join(pthread_t t) {
    if (pthread_join(t, NULL) != 0)
        die("pthread_join failed");
}

/* ---- the shapes, for libweft ---------------------------------------------- */

#define IMPL(name) name##_weft
#define CHAN weft_chan
#define CASE weft_case
#define MAKE weft_chan_make
#define SEND weft_chan_send
#define RECV weft_chan_recv
#define CLOSE weft_chan_close
#define FREE weft_chan_free
#define SELECT(cases, n) weft_select((cases), (n), 0)
#define RECV_OP WEFT_RECV
#define ECLOSED WEFT_ECLOSED
#define WG weft_wg
/* The zero value is an empty WaitGroup (weft.h), and there is no destroy. */
#define WG_INIT(wg) memset((wg), 0, sizeof *(wg))
#define WG_DESTROY(wg) ((void)(wg))
#define WG_ADD weft_wg_add
#define WG_DONE weft_wg_done
#define WG_WAIT weft_wg_wait
#include "bench_shapes.h"
#undef IMPL
#undef CHAN
#undef CASE
#undef MAKE
#undef SEND
#undef RECV
#undef CLOSE
#undef FREE
#undef SELECT
#undef RECV_OP
#undef ECLOSED
#undef WG
#undef WG_INIT
#undef WG_DESTROY
#undef WG_ADD
#undef WG_DONE
#undef WG_WAIT

/* ---- the shapes, for the naive peer --------------------------------------- */

#define IMPL(name) name##_naive
#define CHAN naive_chan
#define CASE naive_case
#define MAKE naive_chan_make
#define SEND naive_chan_send
#define RECV naive_chan_recv
#define CLOSE naive_chan_close
#define FREE naive_chan_free
#define SELECT(cases, n) naive_select((cases), (n))
#define RECV_OP NAIVE_RECV
#define ECLOSED NAIVE_ECLOSED
#define WG naive_wg
#define WG_INIT naive_wg_init
#define WG_DESTROY naive_wg_destroy
#define WG_ADD naive_wg_add
#define WG_DONE naive_wg_done
#define WG_WAIT naive_wg_wait
#include "bench_shapes.h"

/* ---- errgroup -------------------------------------------------------------
 * Per op: make a group, start 4 functions that return 0 at once, wait, free.
 * For C that is mostly the price of 4 thread creations and exits, for Go of
 * 4 goroutines: an honest comparison of what each language's version costs a
 * program, reported even though C cannot win it. */

static int nop_task(weft_ctx *ctx, void *arg) {
    (void)ctx;
    (void)arg;
    return 0;
}

static int64_t bench_errgroup_weft(long n) {
    int64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        weft_group *g = weft_group_new(NULL);
        if (!g)
            die("weft_group_new failed");
        for (int k = 0; k < 4; k++)
            if (weft_group_go(g, nop_task, NULL) != 0)
                die("weft_group_go failed");
        if (weft_group_wait(g) != 0)
            die("weft_group_wait failed");
        weft_group_free(g);
    }
    return now_ns() - t0;
}

/* The naive errgroup: a detached pthread per function, a naive WaitGroup and
 * the first error under a mutex. It has no context to cancel, which only
 * flatters it. */
typedef struct naive_group {
    naive_wg wg;
    pthread_mutex_t mu;
    int err;
} naive_group;

typedef struct naive_task {
    naive_group *g;
    int (*fn)(void *);
    void *arg;
} naive_task;

static void *naive_task_main(void *p) {
    naive_task t = *(naive_task *)p;
    free(p);
    int rc = t.fn(t.arg);
    if (rc != 0) {
        pthread_mutex_lock(&t.g->mu);
        if (t.g->err == 0)
            t.g->err = rc;
        pthread_mutex_unlock(&t.g->mu);
    }
    naive_wg_done(&t.g->wg);
    return NULL;
}

static void naive_group_go(naive_group *g, int (*fn)(void *), void *arg) {
    naive_task *t = malloc(sizeof *t);
    if (!t)
        die("out of memory");
    *t = (naive_task){g, fn, arg};
    naive_wg_add(&g->wg, 1);
    pthread_attr_t attr;
    pthread_t th;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, naive_task_main, t) != 0)
        die("pthread_create failed");
    pthread_attr_destroy(&attr);
}

static int naive_nop_task(void *arg) {
    (void)arg;
    return 0;
}

static int64_t bench_errgroup_naive(long n) {
    int64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        naive_group g = {.err = 0};
        naive_wg_init(&g.wg);
        pthread_mutex_init(&g.mu, NULL);
        for (int k = 0; k < 4; k++)
            naive_group_go(&g, naive_nop_task, NULL);
        naive_wg_wait(&g.wg);
        if (g.err != 0)
            die("naive group failed");
        pthread_mutex_destroy(&g.mu);
        naive_wg_destroy(&g.wg);
    }
    return now_ns() - t0;
}

/* ---- driver ----------------------------------------------------------------- */

typedef int64_t (*bench_fn)(long n);

/* Default sizes are the full-run sizes of bench/run.sh, which passes them
 * explicitly anyway; keep them equal to those of bench/go/main.go. */
static const struct bench {
    const char *name;
    long n;
    bench_fn weft, naive;
} benches[] = {
    {"buffered", 2000000, bench_buffered_weft, bench_buffered_naive},
    {"pingpong", 50000, bench_pingpong_weft, bench_pingpong_naive},
    {"pipeline", 200000, bench_pipeline_weft, bench_pipeline_naive},
    {"fanin", 1000000, bench_fanin_weft, bench_fanin_naive},
    {"select4", 1000000, bench_select4_weft, bench_select4_naive},
    {"wg", 50000, bench_wg_weft, bench_wg_naive},
    {"wg_fast", 5000000, bench_wg_fast_weft, bench_wg_fast_naive},
    {"errgroup", 2000, bench_errgroup_weft, bench_errgroup_naive},
};

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static _Noreturn void usage(void) {
    fprintf(stderr, "usage: bench_weft BENCH weft|naive [N [RUNS]]\nBENCH:");
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        fprintf(stderr, " %s", benches[i].name);
    fprintf(stderr, "\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 5)
        usage();
    const struct bench *b = NULL;
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        if (strcmp(argv[1], benches[i].name) == 0)
            b = &benches[i];
    if (!b)
        usage();
    bench_fn fn = strcmp(argv[2], "weft") == 0    ? b->weft
                  : strcmp(argv[2], "naive") == 0 ? b->naive
                                                  : NULL;
    if (!fn)
        usage();
    long n = argc > 3 ? atol(argv[3]) : b->n;
    int runs = argc > 4 ? atoi(argv[4]) : 5;
    if (n < 1 || runs < 1 || runs > 100 || n > 100000000)
        usage();
    /* The multi-producer shapes split N evenly among 4 producers. */
    if (strcmp(b->name, "fanin") == 0 || strcmp(b->name, "select4") == 0)
        n = n < 4 ? 4 : n / 4 * 4;

    double per_op[100];
    for (int r = 0; r < runs; r++)
        per_op[r] = (double)fn(n) / (double)n;
    qsort(per_op, (size_t)runs, sizeof per_op[0], cmp_double);
    double median = runs % 2 ? per_op[runs / 2] : (per_op[runs / 2 - 1] + per_op[runs / 2]) / 2;
    printf("%s %s ns_per_op=%.1f ops=%ld runs=%d min=%.1f max=%.1f\n", b->name, argv[2], median, n,
           runs, per_op[0], per_op[runs - 1]);
    return 0;
}
