/* pitfall_send_unmatched: a send nobody will match (Go's goroutine-leak
 * test "ChanSend"). The channel has one slot; the goroutine's first send
 * fills it, its second waits for a receiver that never comes, and the
 * goroutine leaks. A buffer only postpones the block; every send needs a
 * receiver or a way out. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static void producer(void *arg) {
    weft_chan *out = arg;
    for (int i = 0; i < 2; i++)
        weft_chan_send(out, &i); /* BUG: the second send waits for a receiver that never comes */
}

int main(void) {
    weft_chan *out = weft_chan_make(sizeof(int), 1);
    weft_go(producer, out);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
