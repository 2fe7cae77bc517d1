/* pitfall_loop_capture_fixed: each goroutine gets its own copy of the loop
 * value (the C form of Go's `i := i`): an array slot per iteration that
 * outlives the goroutines, so every one reads exactly its own value. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;
static int seen[4];

static void worker(void *arg) {
    int i = *(int *)arg;
    __atomic_fetch_add(&seen[i], 1, __ATOMIC_RELAXED);
    weft_wg_done(&wg);
}

int main(void) {
    int ids[4];
    weft_wg_add(&wg, 4);
    for (int i = 0; i < 4; i++) {
        ids[i] = i;
        weft_go(worker, &ids[i]); /* FIX: a slot of its own per goroutine */
    }
    weft_wg_wait(&wg);
    for (int i = 0; i < 4; i++)
        printf("worker %d ran %d time(s)\n", i, seen[i]);
    return 0;
}
/* SPDX-License-Identifier: MIT */
