/* pitfall_wg_negative: a negative WaitGroup counter. The worker's error
 * path calls Done and then falls through to the Done at the end (a
 * missing return), so there is one Done too many for the one Add: Go
 * panics "sync: negative WaitGroup counter"; libweft returns WEFT_ERANGE
 * and the counter stays at zero. The fix is pitfall_wg_negative_fixed.
 * (main waits on `exited` so that the worker's second Done happens before
 * the process ends.) */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;
static weft_chan *exited;

static void worker(void *arg) {
    int fail = *(int *)arg;
    if (fail)
        weft_wg_done(&wg); /* the error path says it is done ... */
    weft_wg_done(&wg);     /* BUG: ... and so does the normal path: one Done too many */
    weft_chan_send(exited, NULL);
}

int main(void) {
    static int fail = 1;
    exited = weft_chan_make(0, 1);
    weft_wg_add(&wg, 1);
    weft_go(worker, &fail);
    weft_wg_wait(&wg);
    weft_chan_recv(exited, NULL);
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
