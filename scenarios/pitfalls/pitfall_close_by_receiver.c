/* pitfall_close_by_receiver: a channel closed by its receiver. main reads
 * three values and, to tell the producer to stop, closes the channel the
 * producer sends on; the producer's next send then hits a closed channel
 * (a panic in Go). Only a sender may close a channel. The fix is
 * pitfall_close_by_receiver_fixed (the receiver closes a separate stop
 * channel that the producer selects on). */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void producer(void *arg) {
    weft_chan *out = arg;
    for (int n = 1;; n++)
        if (weft_chan_send(out, &n) != 0) /* the send after main's close fails (send-on-closed) */
            break;
    weft_wg_done(&wg);
}

int main(void) {
    weft_chan *ch = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&wg, 1);
    weft_go(producer, ch);
    for (int i = 0; i < 3; i++) {
        int v;
        weft_chan_recv(ch, &v);
        printf("got %d\n", v);
    }
    weft_chan_close(ch); /* BUG: the receiver closes the producer's channel */
    weft_wg_wait(&wg);
    return 0;
}
/* SPDX-License-Identifier: MIT */
