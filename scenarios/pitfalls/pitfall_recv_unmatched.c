/* pitfall_recv_unmatched: a receive nobody will match (Go's goroutine-leak
 * test "ChanRecv"). The goroutine waits for a reply on a channel that the
 * rest of the program never sends on and never closes, so it leaks. Every
 * receive needs a sender that will come, or a close, or a done case. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static void waiter(void *arg) {
    weft_chan *reply = arg;
    int v;
    weft_chan_recv(reply, &v); /* BUG: nobody ever sends on reply or closes it */
}

int main(void) {
    weft_chan *reply = weft_chan_make(sizeof(int), 0);
    weft_go(waiter, reply);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
