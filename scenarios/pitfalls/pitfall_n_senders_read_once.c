/* pitfall_n_senders_read_once: N senders into a channel that is read once.
 * The caller asks three replicas at once and takes the first answer; the
 * two slower replicas send on the unbuffered channel to a caller that has
 * gone, and both leak. The fix is pitfall_n_senders_read_once_fixed (a
 * slot per sender). */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static void replica(void *arg) {
    weft_chan *answers = arg;
    int v = 1;
    weft_chan_send(answers, &v); /* BUG: only the first of the three sends is ever received */
}

int main(void) {
    weft_chan *answers = weft_chan_make(sizeof(int), 0);
    for (int i = 0; i < 3; i++)
        weft_go(replica, answers);
    int v;
    weft_chan_recv(answers, &v); /* the first answer wins */
    printf("answer %d\n", v);
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
