/* pitfall_wg_wait_forever: a WaitGroup wait that never ends (Go's
 * goroutine-leak test "WaitGroup"). The collector waits for two workers,
 * but only one was started (the other was skipped on an error path that
 * forgot its Done), so the counter never reaches zero and the collector
 * leaks. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_wg wg;

static void worker(void *arg) {
    (void)arg;
    weft_wg_done(&wg);
}

static void collector(void *arg) {
    (void)arg;
    weft_wg_wait(&wg); /* BUG: the counter stays at 1: this wait never ends */
}

int main(void) {
    weft_wg_add(&wg, 2);
    weft_go(worker, NULL);
    /* the second worker is not started here, and nobody calls its Done */
    weft_go(collector, NULL);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
