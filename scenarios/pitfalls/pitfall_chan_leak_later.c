/* pitfall_chan_leak_later: a near miss of the channel leak check (no
 * finding). A setup thread makes a channel, starts a receiver and a
 * sender on it, and returns. The receiver waits for three watchdog
 * timeouts while the sender works, then gets its value: the sender, a
 * running thread, got the channel through its creation argument, so
 * the receiver could still be woken all along. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_wg done = WEFT_WG_INIT;

static void receiver(void *arg) {
    int v = 0;
    weft_chan_recv(arg, &v); /* waits long, but the sender holds the channel */
    printf("received %d\n", v);
    weft_wg_done(&done);
}

static void sender(void *arg) {
    settle_work(3);
    int v = 9;
    weft_chan_send(arg, &v);
    weft_wg_done(&done);
}

static void setup(void *arg) {
    (void)arg;
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    weft_go(receiver, c);
    weft_go(sender, c);
    weft_wg_done(&done); /* every thread is waited for: none runs at exit */
}

int main(void) {
    weft_wg_add(&done, 3);
    weft_go(setup, NULL);
    weft_wg_wait(&done);
    return 0;
}
/* SPDX-License-Identifier: MIT */
