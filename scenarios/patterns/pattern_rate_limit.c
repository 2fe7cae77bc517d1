/* pattern_rate_limit.c: the seed's bounded parallelism with rate limiting:
 * an errgroup limited to 10 functions at once, fed through a token bucket
 * (x/time/rate: 50 per second, burst 50) that main waits on before
 * starting each item. Concurrency and rate are bounded separately: the
 * limit caps threads, the limiter caps starts per second. 60 items: the
 * first 50 start at once (the burst), the last 10 over about 0.2 s. */
#include <stdio.h>

#include <weft/weft.h>

#define NITEMS 60
#define MAX_CONCURRENCY 10
#define RATE_PER_SECOND 50

struct item {
    int id;
    int *processed;
};

static int process(weft_ctx *ctx, void *arg) {
    struct item *it = arg;
    if (weft_ctx_err(ctx))
        return weft_ctx_err(ctx);
    __atomic_add_fetch(it->processed, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static int process_with_rate_limit(weft_ctx *ctx, struct item *items, int n) {
    weft_group *g = weft_group_new(ctx);
    weft_group_set_limit(g, MAX_CONCURRENCY);
    weft_limiter *limiter = weft_limiter_new(RATE_PER_SECOND, RATE_PER_SECOND);
    int err = 0;
    for (int i = 0; i < n; i++) {
        err = weft_limiter_wait(weft_group_ctx(g), limiter);
        if (err)
            break; /* the seed returns here; the group is still waited for */
        weft_group_go(g, process, &items[i]);
    }
    int werr = weft_group_wait(g);
    weft_limiter_free(limiter);
    weft_group_free(g);
    return err ? err : werr;
}

int main(void) {
    static struct item items[NITEMS];
    int processed = 0;
    for (int i = 0; i < NITEMS; i++)
        items[i] = (struct item){i, &processed};
    int err = process_with_rate_limit(NULL, items, NITEMS);
    printf("processed %d of %d items: err=%s\n", processed, NITEMS,
           err ? weft_strerror(err) : "<nil>");
    return err != 0;
}
/* SPDX-License-Identifier: MIT */
