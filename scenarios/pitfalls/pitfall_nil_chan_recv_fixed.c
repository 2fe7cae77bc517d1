/* pitfall_nil_chan_recv_fixed: the channel is made before it is handed
 * out, and its sender closes it when done, so the receive returns. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void consumer(void *arg) {
    weft_chan *events = arg;
    weft_chan_recv(events, NULL); /* returns: closed below */
    weft_wg_done(&wg);
}

int main(void) {
    weft_chan *events = weft_chan_make(0, 0); /* FIX: a real channel, not nil */
    weft_wg_add(&wg, 1);
    weft_go(consumer, events);
    weft_chan_close(events);
    weft_wg_wait(&wg);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
