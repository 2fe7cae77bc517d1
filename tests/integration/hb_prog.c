/* SPDX-License-Identifier: MIT */
/* hb_prog.c: the program of the interposition test, run with hb_count's
 * library in LD_PRELOAD. A producer thread sends N values over an
 * unbuffered and N over a buffered channel, then closes both; the main
 * thread receives them all and the closes. Then it reads hb_count's
 * counters and checks them: every receive is a happens-before edge, so
 * there must be at least 2N releases and 2N acquires, and no acquire of a
 * pair that was never released.
 * Then every other primitive, one at a time: after each call that is a
 * release or an acquire by contract, the calling thread's last pair
 * (hbcount_mine) must be exactly the one the contract names:
 * WaitGroup: Done releases (wg, generation), Wait acquires the generation
 * it waited for (its fast path, a zero counter, the one that just ended);
 * semaphore: release and every kind of acquire, (s, 0); context: cancel
 * releases (c, 0) for c and each descendant, Err acquires it once
 * cancelled; group: each function's end releases (g, 0), Wait acquires
 * it; future: its result is a channel receive (the producer's release
 * acquired by get). Exit status 0 on success. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft/weft.h>

#include "asleep.h"

static int (*mine)(int acq, const void *obj, uint64_t seq);
static void (*clear_mine)(void);
static int fails;

/* Among the calling thread's hooks since clear_mine(): a release (acq 0)
 * or an acquire (acq 1) of exactly (obj, seq); for an obj of NULL, none of
 * that kind at all. */
static void expect_pair(const char *what, int acq, const void *obj, uint64_t seq) {
    int n = mine(acq, obj, seq);
    if (obj ? n == 0 : n != 0) {
        fprintf(stderr, "hb_prog: FAIL: %s: want %s (%p, %llu), got %d of them (%d %s in all)\n",
                what, obj ? (acq ? "an acquire of" : "a release of") : "no call", obj,
                (unsigned long long)seq, n, mine(acq, NULL, 0), acq ? "acquires" : "releases");
        fails++;
    }
}

/* WaitGroup: the worker signals when it is started, waits until main
 * sleeps in Wait (or returns at once when fast), then calls Done. */
struct wg_arg {
    weft_wg *wg;
    _Atomic pid_t main_tid;
    int slow;
    uint64_t gen;
};

static void *wg_worker(void *p) {
    struct wg_arg *a = p;
    if (a->slow)
        test_wait_futex(&a->main_tid);
    clear_mine();
    weft_wg_done(a->wg);
    expect_pair("wg done", 0, a->wg, a->gen);
    return NULL;
}

static void wg_check(void) {
    weft_wg wg = WEFT_WG_INIT;
    for (uint64_t gen = 0; gen < 4; gen++) {
        struct wg_arg a = {&wg, test_gettid(), (int)(gen & 1), gen};
        weft_wg_add(&wg, 1);
        pthread_t t;
        if (pthread_create(&t, NULL, wg_worker, &a) != 0)
            exit(2);
        if (!a.slow)
            pthread_join(t, NULL); /* Done is over: Wait's fast path */
        clear_mine();
        weft_wg_wait(&wg);
        expect_pair(a.slow ? "wg wait (asleep)" : "wg wait (counter zero)", 1, &wg, gen);
        if (a.slow)
            pthread_join(t, NULL);
    }
    clear_mine();
    weft_wg_wait(&wg); /* zero again: the last generation */
    expect_pair("wg wait again", 1, &wg, 3);
}

struct sem_arg {
    weft_sem *s;
    _Atomic pid_t tid;
};

static void *sem_worker(void *p) {
    struct sem_arg *a = p;
    weft_sem *s = a->s;
    a->tid = test_gettid();
    clear_mine();
    if (weft_sem_acquire(weft_ctx_background(), s, 1) != 0)
        exit(2);
    expect_pair("sem acquire (asleep)", 1, s, 0);
    return NULL;
}

static void sem_check(void) {
    weft_sem *s = weft_sem_new(1);
    clear_mine();
    if (weft_sem_acquire(weft_ctx_background(), s, 1) != 0)
        exit(2);
    expect_pair("sem acquire (free)", 1, s, 0);
    clear_mine();
    weft_sem_release(s, 1);
    expect_pair("sem release", 0, s, 0);
    if (!weft_sem_try_acquire(s, 1))
        exit(2);
    expect_pair("sem try_acquire", 1, s, 0);
    clear_mine();
    if (weft_sem_try_acquire(s, 1))
        exit(2);
    expect_pair("sem try_acquire refused", 1, NULL, 0);
    struct sem_arg a = {s, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, sem_worker, &a) != 0)
        exit(2);
    /* The worker blocks: wait until it sleeps in the acquire. */
    test_wait_tid(&a.tid);
    test_wait_futex(&a.tid);
    weft_sem_release(s, 1);
    pthread_join(t, NULL);
    weft_sem_release(s, 1);
    weft_sem_free(s);
}

static void ctx_check(void) {
    weft_ctx *c = weft_ctx_with_cancel(weft_ctx_background());
    weft_ctx *child = weft_ctx_with_cancel(c);
    clear_mine();
    if (weft_ctx_err(child) != 0)
        exit(2);
    expect_pair("ctx err before cancel", 1, NULL, 0);
    weft_ctx_cancel(c);
    expect_pair("ctx cancel", 0, c, 0);
    expect_pair("ctx cancel of a descendant", 0, child, 0);
    if (weft_ctx_err(c) == 0)
        exit(2);
    expect_pair("ctx err", 1, c, 0);
    if (weft_ctx_err(child) == 0)
        exit(2);
    expect_pair("ctx err of a descendant", 1, child, 0);
    weft_ctx_free(child);
    weft_ctx_free(c);
}

static int group_fn(weft_ctx *ctx, void *arg) {
    (void)ctx;
    (void)arg;
    return 0;
}

static void group_check(void) {
    weft_group *g = weft_group_new(weft_ctx_background());
    for (int k = 0; k < 3; k++)
        weft_group_go(g, group_fn, NULL);
    clear_mine();
    weft_group_wait(g);
    expect_pair("group wait", 1, g, 0);
    weft_group_free(g);
}

static int future_fn(void *arg, void *result) {
    (void)arg;
    *(long *)result = 42;
    return 0;
}

static void future_check(void) {
    weft_future *f = weft_future_start(future_fn, NULL, sizeof(long));
    long v = 0;
    clear_mine();
    if (!f || weft_future_get(f, &v) != 0 || v != 42)
        exit(2);
    if (mine(1, NULL, 0) == 0) {
        fprintf(stderr, "hb_prog: FAIL: future get: no acquire\n");
        fails++;
    }
    weft_future_free(f);
}

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
    mine = (int (*)(int, const void *, uint64_t))dlsym(RTLD_DEFAULT, "hbcount_mine");
    clear_mine = (void (*)(void))dlsym(RTLD_DEFAULT, "hbcount_clear");
    if (!mine || !clear_mine)
        return 2;
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
    /* After the counts: a semaphore's first acquire has no release to
     * match (its initial weight was never released by anyone). */
    wg_check();
    sem_check();
    ctx_check();
    group_check();
    future_check();
    printf("hb_prog: releases=%lu acquires=%lu unmatched=%lu table_full=%lu values=%ld+%ld\n", s[0],
           s[1], s[2], s[3], expect_u, expect_b);
    int ok = fails == 0;
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
