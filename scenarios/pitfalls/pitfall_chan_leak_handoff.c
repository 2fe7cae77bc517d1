/* pitfall_chan_leak_handoff: a near miss of the channel leak check (no
 * finding). A setup thread makes a channel and starts a receiver on it,
 * works for three watchdog timeouts, and only then starts the sender,
 * handing it the channel, and returns: the receiver waits long, but the
 * setup thread, running, could reach the channel all along, and the
 * sender it starts inherits that. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_wg done = WEFT_WG_INIT;

static void receiver(void *arg) {
    int v = 0;
    weft_chan_recv(arg, &v); /* waits long, but the setup thread holds the channel */
    printf("received %d\n", v);
    weft_wg_done(&done);
}

static void sender(void *arg) {
    int v = 9;
    weft_chan_send(arg, &v);
    weft_wg_done(&done);
}

static void setup(void *arg) {
    (void)arg;
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    weft_go(receiver, c);
    settle_work(3);
    weft_go(sender, c); /* the channel handed to a thread made later */
    weft_wg_done(&done); /* every thread is waited for: none runs at exit */
}

int main(void) {
    weft_wg_add(&done, 3);
    weft_go(setup, NULL);
    weft_wg_wait(&done);
    return 0;
}
/* SPDX-License-Identifier: MIT */
