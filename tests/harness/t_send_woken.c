/* t_send_woken: a sender blocked on an unbuffered channel is woken by the
 * receiver's close and its send fails (test pitfalls.sh
 * send_woken_by_close): the send-on-closed finding's `send` stack must be
 * the producer's send, taken from its begin record. */
#include <stdio.h>
#include <weft/weft.h>
#include "../../scenarios/pitfalls/settle.h"

static weft_wg wg;

static void producer(void *arg) {
    weft_chan *out = arg;
    int v = 1;
    int r = weft_chan_send(out, &v); /* blocks until main's close */
    printf("send: %s\n", r == WEFT_ECLOSED ? "closed" : "ok");
    weft_wg_done(&wg);
}

int main(void) {
    weft_chan *ch = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&wg, 1);
    weft_go(producer, ch);
    settle(); /* the producer is waiting in its send */
    weft_chan_close(ch);
    weft_wg_wait(&wg);
    return 0;
}
/* SPDX-License-Identifier: MIT */
