/* pitfall_loop_capture: the seed's loop-variable capture, in C. The loop
 * passes &i, the address of its one loop variable, to every goroutine;
 * each reads *arg whenever it gets to run, by which time the loop may
 * have moved i on (or ended): the goroutines see the same or later values,
 * never reliably their own. The fix is pitfall_loop_capture_fixed (each
 * goroutine gets its own copy). weft reports it as a warning: it sees the
 * same stack address handed to every thread while its bytes changed. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;
static int seen[4];

static void worker(void *arg) {
    int i = *(int *)arg; /* reads the loop's variable, not a copy */
    if (i >= 0 && i < 4)
        __atomic_fetch_add(&seen[i], 1, __ATOMIC_RELAXED);
    weft_wg_done(&wg);
}

int main(void) {
    weft_wg_add(&wg, 4);
    for (int i = 0; i < 4; i++)
        weft_go(worker, &i); /* BUG: every goroutine gets the address of the same i */
    weft_wg_wait(&wg);
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
