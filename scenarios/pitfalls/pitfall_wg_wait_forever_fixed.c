/* pitfall_wg_wait_forever_fixed: as many Dones as the Add counted (both
 * workers are started), so the collector's wait ends; main waits for the
 * collector. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;
static weft_chan *collected;

static void worker(void *arg) {
    (void)arg;
    weft_wg_done(&wg);
}

static void collector(void *arg) {
    (void)arg;
    weft_wg_wait(&wg);
    weft_chan_close(collected);
}

int main(void) {
    collected = weft_chan_make(0, 0);
    weft_wg_add(&wg, 2);
    weft_go(worker, NULL);
    weft_go(worker, NULL); /* FIX: every counted worker runs and calls Done */
    weft_go(collector, NULL);
    weft_chan_recv(collected, NULL);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
