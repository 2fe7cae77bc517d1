/* pitfall_future_unread: a future whose result nobody reads, delivered
 * through an unbuffered channel. fetch_async() starts the lookup and hands
 * back the channel its result will come on; the caller then finds the
 * value in its cache and never reads the future. The goroutine's send
 * needs a receiver, so it blocks for good and leaks. The fix is
 * pitfall_future_unread_fixed (one slot for the one result). */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static void fetch(void *arg) {
    weft_chan *result = arg;
    int v = 99;
    weft_chan_send(result, &v); /* BUG: unbuffered: blocks forever when nobody reads the future */
}

static weft_chan *fetch_async(void) {
    weft_chan *result = weft_chan_make(sizeof(int), 0);
    weft_go(fetch, result);
    return result;
}

int main(void) {
    weft_chan *future = fetch_async();
    int cached = 99; /* a cache hit: the future is not needed after all */
    (void)future;
    printf("value %d (from cache)\n", cached);
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
