/* SPDX-License-Identifier: MIT */
/* soak_pool.c: the server-shaped workload of soak.sh: chan_work.c's worker
 * pool (a buffered jobs channel, W workers, a results channel, a WaitGroup,
 * close to end) fed for a given time at a given rate, as a server is fed by
 * its clients, instead of for a given number of items. libweft's public API
 * only.
 * Usage: soak_pool SECONDS [RATE [WORKERS]]: RATE items a second (default
 * 5000; 0 = as fast as the pool goes), fed in batches every 10 ms on an
 * absolute clock, so a slow stretch is caught up and the number of items is
 * about SECONDS * RATE whatever the tool. Prints "items N checksum S".
 *
 * It also plants three findings, so that the soak's comparison of findings
 * (weft run's against an offline ingest of the same logs) compares
 * something: a double close at the start, another at the end (from another
 * line), and a goroutine left blocked on a channel nobody sends on (a
 * leaked thread, found at the end of the trace). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <weft/weft.h>

static weft_chan *jobs, *results, *never;
static weft_wg wg;
static double seconds;
static long rate;

static void worker(void *p) {
    (void)p;
    long v;
    while (weft_chan_recv(jobs, &v) == 0) {
        v = v * 3 % 1000003;
        weft_chan_send(results, &v);
    }
    weft_wg_done(&wg);
}

static void closer(void *p) {
    (void)p;
    weft_wg_wait(&wg);
    weft_chan_close(results);
}

static void timespec_add_ns(struct timespec *t, long ns) {
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static void feeder(void *p) {
    (void)p;
    struct timespec now, tick, end;
    clock_gettime(CLOCK_MONOTONIC, &now);
    tick = end = now;
    end.tv_sec += (time_t)seconds;
    timespec_add_ns(&end, (long)((seconds - (double)(time_t)seconds) * 1e9));
    long batch = rate / 100, i = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
            break;
        if (rate <= 0) {
            /* as fast as the pool goes: check the clock every 1024 items */
            for (int k = 0; k < 1024; k++, i++)
                weft_chan_send(jobs, &i);
            continue;
        }
        for (long k = 0; k < batch; k++, i++)
            weft_chan_send(jobs, &i);
        timespec_add_ns(&tick, 10 * 1000 * 1000);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
    }
    weft_chan_close(jobs);
}

/* Blocks forever: never is never sent on nor closed (the leaked thread). */
static void leak(void *p) {
    (void)p;
    long v;
    weft_chan_recv(never, &v);
}

static void double_close_at_start(void) {
    weft_chan *c = weft_chan_make(sizeof(long), 0);
    weft_chan_close(c);
    weft_chan_close(c); /* planted: double-close */
    weft_chan_free(c);
}

static void double_close_at_end(void) {
    weft_chan *c = weft_chan_make(sizeof(long), 1);
    weft_chan_close(c);
    weft_chan_close(c); /* planted: double-close */
    weft_chan_free(c);
}

int main(int argc, char **argv) {
    seconds = argc > 1 ? atof(argv[1]) : 10;
    rate = argc > 2 ? atol(argv[2]) : 5000;
    int w = argc > 3 ? atoi(argv[3]) : 4;
    if (w < 1)
        w = 1;
    double_close_at_start();
    never = weft_chan_make(sizeof(long), 0);
    weft_go(leak, NULL);
    jobs = weft_chan_make(sizeof(long), 64);
    results = weft_chan_make(sizeof(long), 64);
    weft_wg_add(&wg, w);
    for (int i = 0; i < w; i++)
        weft_go(worker, NULL);
    weft_go(closer, NULL);
    weft_go(feeder, NULL);
    long v, n = 0, sum = 0;
    while (weft_chan_recv(results, &v) == 0) {
        sum += v;
        n++;
    }
    double_close_at_end();
    printf("items %ld checksum %ld\n", n, sum);
    return 0;
}
