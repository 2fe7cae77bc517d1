/* pattern_weighted_semaphore.c: the seed's weighted semaphore (x/sync's
 * semaphore.NewWeighted(10)): a heavy operation holds 5 units, a light one
 * 1, so work of different cost shares one limit. The seed's example
 * returns while its two goroutines may still run; here main then acquires
 * the full weight, which it can only get once both have released theirs:
 * the usual way to wait for everything a weighted semaphore guards. */
#include <stdio.h>

#include <weft/weft.h>

struct op {
    weft_sem *sem;
    int64_t weight;
    const char *name;
    int done;
};

static void run_op(void *arg) {
    struct op *o = arg;
    o->done = 1;                        /* ... heavy or light work ... */
    weft_sem_release(o->sem, o->weight); /* defer sem.Release(n) */
}

int main(void) {
    weft_ctx *ctx = weft_ctx_background();
    weft_sem *sem = weft_sem_new(10); /* total weight capacity: 10 */
    struct op heavy = {sem, 5, "heavy", 0}, light = {sem, 1, "light", 0};

    /* Heavy operation costs 5. */
    weft_sem_acquire(ctx, sem, heavy.weight);
    weft_go(run_op, &heavy);

    /* Light operation costs 1. */
    weft_sem_acquire(ctx, sem, light.weight);
    weft_go(run_op, &light);

    /* Wait for both: the whole weight is free only once both released. */
    weft_sem_acquire(ctx, sem, 10);
    printf("%s work done: %s\n", heavy.name, heavy.done ? "yes" : "no");
    printf("%s work done: %s\n", light.name, light.done ? "yes" : "no");
    weft_sem_release(sem, 10);

    weft_sem_free(sem);
    return 0;
}
/* SPDX-License-Identifier: MIT */
