/* pitfall_nil_chan_send_fixed: the results channel is made before the
 * producer starts, and main receives the result. */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *results;

static void producer(void *arg) {
    (void)arg;
    int v = 7;
    weft_chan_send(results, &v);
}

int main(void) {
    results = weft_chan_make(sizeof(int), 0); /* FIX: made before use */
    weft_go(producer, NULL);
    int v;
    weft_chan_recv(results, &v);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
