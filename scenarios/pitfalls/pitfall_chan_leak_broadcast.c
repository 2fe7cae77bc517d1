/* pitfall_chan_leak_broadcast: a near miss of the channel leak check (no
 * finding). Go's broadcast idiom: a coordinator starts three waiters on
 * a channel nobody ever sends on, works for three watchdog timeouts, and
 * then closes the channel, which wakes every waiter at once. The
 * coordinator, running, could reach the channel all along. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_wg done = WEFT_WG_INIT;

static void waiter(void *arg) {
    weft_chan_recv(arg, NULL); /* until the close */
    weft_wg_done(&done);
}

static void coordinator(void *arg) {
    (void)arg;
    weft_chan *start = weft_chan_make(0, 0);
    for (int i = 0; i < 3; i++)
        weft_go(waiter, start);
    settle_work(3);
    weft_chan_close(start); /* wakes all three */
    weft_wg_done(&done); /* every thread is waited for: none runs at exit */
}

int main(void) {
    weft_wg_add(&done, 4);
    weft_go(coordinator, NULL);
    weft_wg_wait(&done);
    printf("all woken\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
