/* pitfall_range_never_closed_fixed: the producer closes its channel after
 * its last value, so the consumer's range ends; main waits for both. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void consumer(void *arg) {
    weft_chan *in = arg;
    int v;
    while (weft_chan_recv(in, &v) == 0)
        printf("got %d\n", v);
    weft_wg_done(&wg);
}

static void producer(void *arg) {
    weft_chan *out = arg;
    for (int i = 1; i <= 3; i++)
        weft_chan_send(out, &i);
    weft_chan_close(out); /* FIX: the sender closes when it is done */
    weft_wg_done(&wg);
}

int main(void) {
    weft_chan *ch = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&wg, 2);
    weft_go(consumer, ch);
    weft_go(producer, ch);
    weft_wg_wait(&wg);
    return 0;
}
/* SPDX-License-Identifier: MIT */
