/* pattern_wake_then_exit: main returns right after the release that wakes
 * a waiter. A closer thread waits on a WaitGroup for the one job main
 * does; main's Done brings the counter to zero and main returns at once,
 * without waiting for the closer (which has nothing left to do but return
 * from its Wait). When the process ends, the closer may not have come back
 * from its Wait yet, or be on its way out of it: it is finishing, not
 * leaked. weft must report nothing on every schedule. */
#include <stdio.h>
#include <weft/weft.h>
#include "../pitfalls/settle.h"

static weft_wg wg;

static void closer(void *arg) {
    (void)arg;
    weft_wg_wait(&wg); /* woken by main's Done, right before main returns */
}

int main(void) {
    weft_wg_add(&wg, 1);
    weft_go(closer, NULL);
    settle(); /* the closer sleeps in its Wait */
    printf("job done\n");
    fflush(stdout);
    weft_wg_done(&wg); /* the release that wakes the closer; then main returns */
    return 0;
}
/* SPDX-License-Identifier: MIT */
