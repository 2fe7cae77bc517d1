/* pitfall_early_return: an early return that abandons a sender. handle()
 * starts the lookup in a goroutine, then validates its input and returns
 * early on an error, before it receives the lookup's result; the lookup's
 * send on the unbuffered channel then waits forever. The fix is
 * pitfall_early_return_fixed (a slot for the result, so the goroutine
 * never needs a receiver). */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static void lookup(void *arg) {
    weft_chan *result = arg;
    int v = 5;
    weft_chan_send(result, &v); /* BUG: handle() returned early: nobody will receive this */
}

static int handle(int key) {
    weft_chan *result = weft_chan_make(sizeof(int), 0);
    weft_go(lookup, result);
    if (key < 0)
        return -1; /* the early return abandons the lookup's send */
    int v;
    weft_chan_recv(result, &v);
    weft_chan_free(result);
    return v;
}

int main(void) {
    printf("handle: %d\n", handle(-1));
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
