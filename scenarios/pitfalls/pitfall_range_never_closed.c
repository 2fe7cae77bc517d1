/* pitfall_range_never_closed: a range over a channel that is never closed
 * (a leak shape common in production services). The consumer loops until
 * the channel is closed, but the producer returns after its last value
 * without closing it, so the consumer waits for a next value forever.
 * The fix is pitfall_range_never_closed_fixed. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_wg produced;

static void consumer(void *arg) {
    weft_chan *in = arg;
    int v;
    while (weft_chan_recv(in, &v) == 0) /* BUG: in is never closed: the last recv never returns */
        printf("got %d\n", v);
}

static void producer(void *arg) {
    weft_chan *out = arg;
    for (int i = 1; i <= 3; i++)
        weft_chan_send(out, &i);
    /* returns without close(out) */
    weft_wg_done(&produced);
}

int main(void) {
    weft_chan *ch = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&produced, 1);
    weft_go(consumer, ch);
    weft_go(producer, ch);
    weft_wg_wait(&produced);
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
