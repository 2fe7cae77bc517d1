/* hb_prog.c: the program of the interposition test, run with hb_count's
 * library in LD_PRELOAD. A producer thread sends N values over an
 * unbuffered and N over a buffered channel, then closes both; the main
 * thread receives them all and the closes. Then it reads hb_count's
 * counters and checks them: every receive is a happens-before edge, so
 * there must be at least 2N releases and 2N acquires, and no acquire of a
 * pair that was never released. Exit status 0 on success. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>

enum { N = 1000 };

static weft_chan *unbuf, *buf;

static void *producer(void *arg) {
    (void)arg;
    for (long i = 0; i < N; i++) {
        weft_chan_send(unbuf, &i);
        weft_chan_send(buf, &i);
    }
    weft_chan_close(unbuf);
    weft_chan_close(buf);
    return NULL;
}

int main(void) {
    void (*stats)(unsigned long[4]) =
        (void (*)(unsigned long[4]))dlsym(RTLD_DEFAULT, "hbcount_stats");
    if (!stats) {
        fprintf(stderr,
                "hb_prog: hbcount_stats not found: run with the hb_count library in LD_PRELOAD\n");
        return 2;
    }
    unbuf = weft_chan_make(sizeof(long), 0);
    buf = weft_chan_make(sizeof(long), 4);
    pthread_t t;
    if (pthread_create(&t, NULL, producer, NULL) != 0)
        return 2;
    long v, expect_u = 0, expect_b = 0;
    int bad = 0;
    weft_case cs[2] = {{unbuf, WEFT_RECV, &v, 0}, {buf, WEFT_RECV, &v, 0}};
    for (int open = 2; open > 0;) {
        int k = weft_select(cs, 2, 0);
        if (k < 0 || k > 1)
            return 2;
        if (cs[k].result == WEFT_ECLOSED) {
            cs[k].ch = NULL; /* closed and drained: drop it from the select */
            open--;
            continue;
        }
        long *expect = k == 0 ? &expect_u : &expect_b;
        bad += v != (*expect)++;
    }
    pthread_join(t, NULL);
    unsigned long s[4];
    stats(s);
    printf("hb_prog: releases=%lu acquires=%lu unmatched=%lu table_full=%lu values=%ld+%ld\n", s[0],
           s[1], s[2], s[3], expect_u, expect_b);
    int ok = 1;
    if (bad || expect_u != N || expect_b != N) {
        fprintf(stderr, "hb_prog: FAIL: values lost or out of order\n");
        ok = 0;
    }
    if (s[0] < 2 * N || s[1] < 2 * N) {
        fprintf(stderr,
                "hb_prog: FAIL: expected at least %d releases and acquires: the hooks are "
                "not called, or not through the PLT (not interposable)\n",
                2 * N);
        ok = 0;
    }
    if (s[2] != 0) {
        fprintf(stderr, "hb_prog: FAIL: %lu acquires of an (obj, seq) never released before\n",
                s[2]);
        ok = 0;
    }
    weft_chan_free(unbuf);
    weft_chan_free(buf);
    return ok ? 0 : 1;
}
/* SPDX-License-Identifier: MIT */
