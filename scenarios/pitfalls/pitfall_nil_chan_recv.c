/* pitfall_nil_chan_recv: a receive on a nil channel blocks forever (Go's
 * goroutine-leak test "NilRecv"). The channel was never made (its pointer
 * is NULL, say because the constructor that should have made it was
 * skipped on some path), so the goroutine waits for good and leaks. Make
 * the channel before handing it out, or give the receive a way out. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static void consumer(void *arg) {
    weft_chan *events = arg;
    weft_chan_recv(events, NULL); /* BUG: events is NULL (nil): this never returns */
}

int main(void) {
    weft_chan *events = NULL; /* the path that makes it was not taken */
    weft_go(consumer, events);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
