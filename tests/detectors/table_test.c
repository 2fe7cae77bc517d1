/* table_test.c: the detectors' hash table (table.c) against a plain array
 * as the reference, over random inserts, lookups and removals with keys
 * drawn from a small range (long probe chains, removals in their middle,
 * chains that wrap around the end), then a walk of every slot. Fixed
 * seeds, so a failure reproduces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct ent {
    uint64_t k[2];
    uint64_t v;
};

static uint64_t rng;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(void) {
    enum { RANGE = 600 };
    static uint64_t ref[RANGE]; /* 0: absent, else value */
    for (uint64_t seed = 1; seed <= 50; seed++) {
        rng = seed * 0x9e3779b97f4a7c15u;
        struct weft__table t = WEFT__TABLE(struct ent, 2);
        memset(ref, 0, sizeof ref);
        for (int op = 0; op < 20000; op++) {
            uint64_t x = next() % RANGE, key[2] = {1 + x / 7, x % 7};
            unsigned what = (unsigned)(next() % 3);
            if (what == 0) {
                struct ent *e = weft__table_get(&t, key, 1);
                if (!e)
                    return fprintf(stderr, "out of memory\n"), 1;
                e->v = next() | 1;
                ref[x] = e->v;
            } else if (what == 1) {
                weft__table_del(&t, key);
                ref[x] = 0;
            } else {
                struct ent *e = weft__table_get(&t, key, 0);
                if ((e ? e->v : 0) != ref[x]) {
                    fprintf(stderr, "seed %llu op %d: key %llu: got %llu want %llu\n",
                            (unsigned long long)seed, op, (unsigned long long)x,
                            (unsigned long long)(e ? e->v : 0), (unsigned long long)ref[x]);
                    return 1;
                }
            }
        }
        size_t live = 0, walked = 0;
        for (size_t x = 0; x < RANGE; x++) {
            uint64_t key[2] = {1 + x / 7, x % 7};
            struct ent *e = weft__table_get(&t, key, 0);
            live += ref[x] != 0;
            if ((e ? e->v : 0) != ref[x])
                return fprintf(stderr, "seed %llu: final key %zu wrong\n", (unsigned long long)seed,
                               x),
                       1;
        }
        for (size_t i = 0; i < t.cap; i++)
            walked += weft__table_at(&t, i) != NULL;
        if (walked != live || t.n != live)
            return fprintf(stderr, "seed %llu: %zu walked, %zu counted, %zu live\n",
                           (unsigned long long)seed, walked, t.n, live),
                   1;
        weft__table_free(&t);
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
