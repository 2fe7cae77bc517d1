/* pattern_errgroup_limit.c: the seed's errgroup with a concurrency limit:
 * processAllItems runs one function per item, but SetLimit(10) makes Go
 * block while 10 are running, so 100 items never mean 100 threads at once
 * (unbounded thread creation is the bug it guards against). Each item is
 * passed by its own address (the seed's `item := item`), never the loop
 * variable's. Wait returns once all have finished. */
#include <stdio.h>

#include <weft/weft.h>

#define NITEMS 100
#define LIMIT 10

struct item {
    int value;
    long long *sum;
    int *running, *peak;
};

static int process_item(weft_ctx *ctx, void *arg) {
    struct item *it = arg;
    if (weft_ctx_err(ctx))
        return weft_ctx_err(ctx);
    int now = __atomic_add_fetch(it->running, 1, __ATOMIC_SEQ_CST);
    int peak = __atomic_load_n(it->peak, __ATOMIC_SEQ_CST);
    while (now > peak && !__atomic_compare_exchange_n(it->peak, &peak, now, 0, __ATOMIC_SEQ_CST,
                                                      __ATOMIC_SEQ_CST))
        ;
    __atomic_add_fetch(it->sum, (long long)it->value * it->value, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(it->running, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static int process_all_items(weft_ctx *ctx, struct item *items, int n) {
    weft_group *g = weft_group_new(ctx);
    weft_group_set_limit(g, LIMIT); /* at most 10 functions at once */
    for (int i = 0; i < n; i++)
        weft_group_go(g, process_item, &items[i]); /* each its own item */
    int err = weft_group_wait(g);
    weft_group_free(g);
    return err;
}

int main(void) {
    static struct item items[NITEMS];
    long long sum = 0;
    int running = 0, peak = 0;
    for (int i = 0; i < NITEMS; i++)
        items[i] = (struct item){i + 1, &sum, &running, &peak};

    int err = process_all_items(NULL, items, NITEMS);
    printf("processed %d items: err=%s\n", NITEMS, err ? weft_strerror(err) : "<nil>");
    printf("sum of squares: %lld\n", sum);
    printf("at most %d at once: %s\n", LIMIT, peak <= LIMIT ? "yes" : "no");
    return err != 0;
}
/* SPDX-License-Identifier: MIT */
