/* pitfall_wg_reused_fixed: the collector acknowledges round 1 once its
 * Wait has returned, and main starts round 2 (its Add) only after that;
 * main tells the collector round 2 has begun before it waits again, so
 * every Add at zero is ordered with every Wait. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;
static weft_chan *ack, *round2, *exited;

static void collector(void *arg) {
    (void)arg;
    weft_wg_wait(&wg); /* round 1 */
    weft_chan_send(ack, NULL);
    weft_chan_recv(round2, NULL);
    weft_wg_wait(&wg); /* round 2 */
    weft_chan_send(exited, NULL);
}

int main(void) {
    ack = weft_chan_make(0, 0);
    round2 = weft_chan_make(0, 0);
    exited = weft_chan_make(0, 1);
    weft_wg_add(&wg, 1);
    weft_go(collector, NULL);
    weft_wg_done(&wg);
    weft_chan_recv(ack, NULL); /* FIX: round 1's Wait has returned */
    weft_wg_add(&wg, 1);
    weft_chan_send(round2, NULL);
    weft_wg_done(&wg);
    weft_chan_recv(exited, NULL);
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
