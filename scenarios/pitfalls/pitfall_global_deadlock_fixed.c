/* pitfall_global_deadlock_fixed: start the receiver before sending to it
 * (on an unbuffered channel, a send needs a receiver that is there). */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *ch;
static weft_wg wg;

static void receiver(void *arg) {
    (void)arg;
    int v;
    weft_chan_recv(ch, &v);
    printf("got %d\n", v);
    weft_wg_done(&wg);
}

int main(void) {
    ch = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&wg, 1);
    weft_go(receiver, NULL); /* FIX: the receiver first */
    int v = 1;
    weft_chan_send(ch, &v);
    weft_wg_wait(&wg);
    return 0;
}
/* SPDX-License-Identifier: MIT */
