/* pitfall_early_return_fixed: the result channel has one slot, so the
 * lookup's send completes even when handle() has returned early, and the
 * goroutine ends; main waits for its goroutines before it exits. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;

static void lookup(void *arg) {
    weft_chan *result = arg;
    int v = 5;
    weft_chan_send(result, &v);
    weft_wg_done(&wg);
}

static int handle(int key) {
    weft_chan *result = weft_chan_make(sizeof(int), 1); /* FIX: the send never needs a receiver */
    weft_wg_add(&wg, 1);
    weft_go(lookup, result);
    if (key < 0)
        return -1;
    int v;
    weft_chan_recv(result, &v);
    return v;
}

int main(void) {
    printf("handle: %d\n", handle(-1));
    weft_wg_wait(&wg);
    return 0;
}
/* SPDX-License-Identifier: MIT */
