/* pitfall_n_senders_read_once_fixed: the answer channel has a slot for
 * every replica, so each send completes whether or not its answer is
 * read; main takes the first answer and waits for the replicas before it
 * exits. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void replica(void *arg) {
    weft_chan *answers = arg;
    int v = 1;
    weft_chan_send(answers, &v);
    weft_wg_done(&wg);
}

int main(void) {
    weft_chan *answers = weft_chan_make(sizeof(int), 3); /* FIX: one slot per sender */
    weft_wg_add(&wg, 3);
    for (int i = 0; i < 3; i++)
        weft_go(replica, answers);
    int v;
    weft_chan_recv(answers, &v);
    printf("answer %d\n", v);
    weft_wg_wait(&wg);
    return 0;
}
/* SPDX-License-Identifier: MIT */
