/* sort_test.c: ingest's global order (ingest_sort.c) against qsort, on
 * items laid out the way logs give them: chunks holding runs of one
 * thread's records, threads that interleave, ties in time between threads
 * and within one, chunks taken over by another thread, a thread whose
 * later chunk comes first in the file, and plain random input. Fixed
 * seeds, so a failure reproduces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_sort.h"

static uint64_t rng;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp(const void *x, const void *y) {
    const struct item *a = x, *b = y;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->who < b->who ? -1 : a->who > b->who;
}

static int cmp_ptr(const void *x, const void *y) {
    const struct item *a = x, *b = y;
    return (a->r > b->r) - (a->r < b->r);
}

/* One layout: nthreads threads, each with a clock that advances by 0..3
 * (ties), cut into chunks of 1..maxrun records by a random owner; with
 * shuffle, whole chunks are then swapped around (a reused chunk earlier
 * in the file than the thread's previous one). */
static size_t layout(struct item *it, size_t n, int nthreads, int maxrun, int shuffle, int random) {
    uint64_t clock[64] = {0};
    size_t k = 0;
    size_t starts[4096];
    size_t nchunks = 0;
    while (k < n) {
        int t = (int)(next() % (uint64_t)nthreads);
        size_t len = 1 + next() % (uint64_t)maxrun;
        if (nchunks < 4096)
            starts[nchunks++] = k;
        for (size_t j = 0; j < len && k < n; j++, k++) {
            clock[t] += next() % 4;
            it[k].ts = random ? next() % 1000 : clock[t];
            it[k].who = (uint64_t)(t % 3) << 32 | (uint64_t)t;
            it[k].r = (const struct weft_rec *)(uintptr_t)(k + 1);
            it[k].proc = 0;
        }
    }
    for (int s = 0; s < shuffle && nchunks > 2; s++) {
        /* rotate a stretch of the array: chunk boundaries move as a block */
        size_t a = starts[next() % nchunks], b = starts[next() % nchunks];
        if (a > b) {
            size_t t = a;
            a = b;
            b = t;
        }
        if (b - a < 2)
            continue;
        size_t cut = a + 1 + next() % (b - a - 1);
        struct item *tmp = malloc((cut - a) * sizeof *tmp);
        memcpy(tmp, it + a, (cut - a) * sizeof *tmp);
        memmove(it + a, it + cut, (b - cut) * sizeof *tmp);
        memcpy(it + a + (b - cut), tmp, (cut - a) * sizeof *tmp);
        free(tmp);
    }
    return k;
}

int main(void) {
    int bad = 0, cases = 0;
    for (uint64_t seed = 1; seed <= 400 && !bad; seed++) {
        rng = seed * 0x9e3779b97f4a7c15u;
        size_t n = 1 + next() % 20000;
        int nthreads = 1 + (int)(next() % 64);
        int maxrun = 1 + (int)(next() % 300);
        int shuffle = (int)(next() % 4) == 0 ? (int)(next() % 20) : 0;
        int random = seed % 37 == 0;
        struct item *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        struct item *tmp = malloc(n * sizeof *tmp);
        n = layout(a, n, nthreads, maxrun, shuffle, random);
        memcpy(b, a, n * sizeof *a);
        qsort(b, n, sizeof *b, cmp);
        struct item *got = weft__sort_items(a, n, seed % 50 == 0 ? NULL : tmp);
        for (size_t i = 0; i < n && !bad; i++)
            if (got[i].ts != b[i].ts || got[i].who != b[i].who) {
                fprintf(stderr,
                        "sort_test: seed %llu: item %zu is (%llu, %llx), want (%llu, %llx)\n",
                        (unsigned long long)seed, i, (unsigned long long)got[i].ts,
                        (unsigned long long)got[i].who, (unsigned long long)b[i].ts,
                        (unsigned long long)b[i].who);
                bad = 1;
            }
        /* and every item is there once */
        qsort(got, n, sizeof *got, cmp_ptr);
        for (size_t i = 0; i < n && !bad; i++)
            if (got[i].r != (const struct weft_rec *)(uintptr_t)(i + 1)) {
                fprintf(stderr, "sort_test: seed %llu: items lost or doubled\n",
                        (unsigned long long)seed);
                bad = 1;
            }
        free(a);
        free(b);
        free(tmp);
        cases++;
    }
    if (!bad)
        printf("sort_test: %d layouts in order\n", cases);
    return bad;
}
