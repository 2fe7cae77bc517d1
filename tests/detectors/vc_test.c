/* vc_test.c: the happens-before engine (detectors/vc.c) against plain
 * dense vector clocks, over random programs: threads release into and
 * acquire from shared objects (as a mutex, replacing the stored clock, or
 * as a semaphore, joining it), end detached (weft__vc_exited) or end and
 * are joined (weft__vc_joined). After every step, what every live
 * thread's clock knows of every thread at every epoch, and what clocks
 * taken earlier know, must be exactly what the dense model says: the
 * engine's sparse snapshots, join summaries and the summaries of ended
 * detached threads may save memory, never change an answer. Fixed seeds:
 * a failure reproduces. Exit 1 on the first difference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc.h"

enum { T = 7, OBJS = 3, STEPS = 400, SAVED = 16 };

static uint64_t rng;
static uint32_t pick(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

struct model {
    uint32_t clock[T + 1][T + 1]; /* clock[t][u]: what t knows of u (clock[t][t]: its epoch) */
    uint32_t obj[OBJS][T + 1];    /* the stored clocks */
    int state[T + 1];             /* 0 live, 1 ended detached, 2 ended joinable, 3 joined */
};

struct saved {
    weft__rv rv;
    uint32_t dense[T + 1];
};

static int check(struct weft__vc *h, const weft__rv *v, const uint32_t *dense, const char *what,
                 uint32_t who, int step, uint64_t seed) {
    for (uint32_t a = 1; a <= T; a++)
        for (uint32_t e = 1; e <= dense[a] + 1; e++) {
            int want = dense[a] >= e, got = weft__vc_knows(h, v, a, e);
            if (want != got) {
                fprintf(stderr,
                        "vc_test: seed %llu step %d: %s %u knows thread %u at epoch %u: "
                        "engine says %d, dense clocks %d\n",
                        (unsigned long long)seed, step, what, who, a, e, got, want);
                return -1;
            }
        }
    return 0;
}

static int trace_ops;
#define OP(...) (trace_ops ? (void)fprintf(stderr, __VA_ARGS__) : (void)0)

static int run(uint64_t seed) {
    rng = seed;
    struct weft__vc *h = weft__vc_new(T);
    struct model m;
    memset(&m, 0, sizeof m);
    for (uint32_t t = 1; t <= T; t++)
        m.clock[t][t] = 1;
    weft__rv obj[OBJS];
    memset(obj, 0, sizeof obj);
    struct saved saved[SAVED];
    int nsaved = 0, bad = 0;
    for (int step = 0; step < STEPS && !bad; step++) {
        uint32_t t = 1 + pick(T);
        if (m.state[t] == 0) {
            uint32_t o = pick(OBJS), op = pick(20);
            if (op < 7) { /* release: a mutex's unlock replaces, a semaphore's post joins */
                int replace = pick(2);
                OP("%d: %u releases into %u (%s)\n", step, t, o, replace ? "replace" : "join");
                weft__vc_release(h, t, &obj[o], replace);
                for (uint32_t u = 1; u <= T; u++)
                    m.obj[o][u] = replace
                                      ? m.clock[t][u]
                                      : (m.obj[o][u] > m.clock[t][u] ? m.obj[o][u] : m.clock[t][u]);
                m.clock[t][t]++;
            } else if (op < 15) { /* acquire */
                OP("%d: %u acquires %u\n", step, t, o);
                weft__vc_acquire(h, t, &obj[o]);
                for (uint32_t u = 1; u <= T; u++)
                    if (u != t && m.obj[o][u] > m.clock[t][u])
                        m.clock[t][u] = m.obj[o][u];
            } else if (op < 17 && nsaved < SAVED) { /* keep a clock for later questions */
                OP("%d: saved %d = %u's clock\n", step, nsaved, t);
                saved[nsaved].rv = weft__vc_now(h, t);
                memcpy(saved[nsaved].dense, m.clock[t], sizeof saved[nsaved].dense);
                nsaved++;
            } else if (op < 19) { /* the end: detached (never joined) or joinable */
                m.state[t] = pick(2) ? 1 : 2;
                OP("%d: %u ends (%s)\n", step, t, m.state[t] == 1 ? "detached" : "joinable");
                if (m.state[t] == 1)
                    weft__vc_exited(h, t);
            }
        } else if (m.state[t] == 2) { /* a live thread joins it */
            uint32_t j = 1 + pick(T);
            if (m.state[j] == 0 && j != t) {
                OP("%d: %u joins %u\n", step, j, t);
                weft__rv v = weft__vc_now(h, t);
                weft__vc_acquire(h, j, &v);
                weft__rv_drop(&v);
                weft__vc_joined(h, t, j);
                for (uint32_t u = 1; u <= T; u++)
                    if (u != j && m.clock[t][u] > m.clock[j][u])
                        m.clock[j][u] = m.clock[t][u];
                m.state[t] = 3;
            }
        }
        /* The engine may open a new epoch of a thread without a release
         * (at a join, or when its clock becomes an ended thread's
         * summary): epochs only number a thread's stretches of events,
         * and the model numbers them as the engine does. */
        for (uint32_t u = 1; u <= T; u++)
            if (m.state[u] == 0)
                m.clock[u][u] = weft__vc_epoch(h, u);
        for (uint32_t u = 1; u <= T && !bad; u++)
            if (m.state[u] == 0) {
                weft__rv v = weft__vc_now(h, u);
                bad = check(h, &v, m.clock[u], "thread", u, step, seed);
                weft__rv_drop(&v);
            }
        for (int i = 0; i < nsaved && !bad; i++)
            bad = check(h, &saved[i].rv, saved[i].dense, "saved clock", (uint32_t)i, step, seed);
    }
    for (int i = 0; i < nsaved; i++)
        weft__rv_drop(&saved[i].rv);
    for (int o = 0; o < OBJS; o++)
        weft__rv_drop(&obj[o]);
    weft__vc_free(h);
    return bad;
}

int main(int argc, char **argv) {
    if (argc > 1) { /* one seed, its steps shown */
        trace_ops = 1;
        return run(strtoull(argv[1], NULL, 10));
    }
    for (uint64_t seed = 1; seed <= 3000; seed++)
        if (run(seed * 0x9e3779b97f4a7c15ull | 1))
            return 1;
    printf("vc_test: 3000 random programs agree with dense vector clocks\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
