/* pitfall_recv_unmatched_fixed: main sends the reply the goroutine waits
 * for, then waits for the goroutine. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void waiter(void *arg) {
    weft_chan *reply = arg;
    int v;
    weft_chan_recv(reply, &v);
    weft_wg_done(&wg);
}

int main(void) {
    weft_chan *reply = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&wg, 1);
    weft_go(waiter, reply);
    int v = 1;
    weft_chan_send(reply, &v); /* FIX: the reply comes */
    weft_wg_wait(&wg);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
