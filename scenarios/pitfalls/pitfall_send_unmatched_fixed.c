/* pitfall_send_unmatched_fixed: main receives every value the goroutine
 * sends, so no send is left waiting. */
#include <stdio.h>
#include <weft/weft.h>

static void producer(void *arg) {
    weft_chan *out = arg;
    for (int i = 0; i < 2; i++)
        weft_chan_send(out, &i);
    weft_chan_close(out);
}

int main(void) {
    weft_chan *out = weft_chan_make(sizeof(int), 1);
    weft_go(producer, out);
    int v;
    while (weft_chan_recv(out, &v) == 0) /* FIX: every send has its receive */
        ;
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
