/* pitfall_send_on_closed_fixed: the producer sends everything it has to
 * say, the final status included, and closes its channel as its very last
 * step, so no send can follow the close. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void producer(void *arg) {
    weft_chan *out = arg;
    int failed = 0;
    for (int i = 1; i <= 3; i++) {
        int v = i * 10;
        weft_chan_send(out, &v);
        failed = (i == 3); /* the last item did not go well */
    }
    if (failed) {
        int status = -1;
        weft_chan_send(out, &status);
    }
    weft_chan_close(out); /* FIX: close after the last send */
    weft_wg_done(&wg);
}

int main(void) {
    weft_chan *ch = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&wg, 1);
    weft_go(producer, ch);
    int v;
    while (weft_chan_recv(ch, &v) == 0)
        printf("got %d\n", v);
    weft_wg_wait(&wg);
    weft_chan_free(ch);
    return 0;
}
/* SPDX-License-Identifier: MIT */
