/* SPDX-License-Identifier: MIT */
/* chan_work.c: the channel-heavy workload: the seed's pipeline (generator
 * -> square -> sum over unbuffered channels) and a worker pool (a buffered
 * jobs channel, W workers, a results channel, a WaitGroup, close to end),
 * together pushing N items through libweft channels.
 * Usage: chan_work [N] [workers]. Prints a checksum (same with or without
 * any tool). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <weft/weft.h>

struct stage {
    weft_chan *in, *out;
    long n;
};

static void gen(void *p) {
    struct stage *s = p;
    for (long i = 0; i < s->n; i++)
        weft_chan_send(s->out, &i);
    weft_chan_close(s->out);
}

static void square(void *p) {
    struct stage *s = p;
    long v;
    while (weft_chan_recv(s->in, &v) == 0) {
        v = v * v % 1000003;
        weft_chan_send(s->out, &v);
    }
    weft_chan_close(s->out);
}

static long pipeline(long n) {
    weft_chan *a = weft_chan_make(sizeof(long), 0), *b = weft_chan_make(sizeof(long), 0);
    struct stage g = {NULL, a, n}, q = {a, b, n};
    weft_go(gen, &g);
    weft_go(square, &q);
    long v, sum = 0;
    while (weft_chan_recv(b, &v) == 0)
        sum += v;
    weft_chan_free(a);
    weft_chan_free(b);
    return sum;
}

static weft_chan *jobs, *results;
static weft_wg wg;

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

static void feeder(void *p) {
    long n = *(long *)p;
    for (long i = 0; i < n; i++)
        weft_chan_send(jobs, &i);
    weft_chan_close(jobs);
}

static long pool(long n, int w) {
    jobs = weft_chan_make(sizeof(long), 64);
    results = weft_chan_make(sizeof(long), 64);
    weft_wg_add(&wg, w);
    for (int i = 0; i < w; i++)
        weft_go(worker, NULL);
    weft_go(closer, NULL);
    weft_go(feeder, &n);
    long v, sum = 0;
    while (weft_chan_recv(results, &v) == 0)
        sum += v;
    return sum;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int w = argc > 2 ? atoi(argv[2]) : 4;
    long s1 = pipeline(n / 2);
    long s2 = pool(n - n / 2, w);
    printf("checksum %ld %ld\n", s1, s2);
    return 0;
}
