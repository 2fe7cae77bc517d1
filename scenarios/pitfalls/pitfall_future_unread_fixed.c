/* pitfall_future_unread_fixed: the future's channel has one slot for its
 * one result, so the goroutine's send completes whether or not anyone
 * reads it, and the goroutine ends; main waits for its goroutines before
 * it exits (a WaitGroup), as a program that shuts down cleanly does. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void fetch(void *arg) {
    weft_chan *result = arg;
    int v = 99;
    weft_chan_send(result, &v); /* never blocks: the slot is free */
    weft_wg_done(&wg);
}

static weft_chan *fetch_async(void) {
    weft_chan *result = weft_chan_make(sizeof(int), 1); /* FIX: one slot for the one result */
    weft_wg_add(&wg, 1);
    weft_go(fetch, result);
    return result;
}

int main(void) {
    weft_chan *future = fetch_async();
    int cached = 99;
    printf("value %d (from cache)\n", cached);
    weft_wg_wait(&wg);
    weft_chan_free(future);
    return 0;
}
/* SPDX-License-Identifier: MIT */
