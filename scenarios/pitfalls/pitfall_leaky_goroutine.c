/* pitfall_leaky_goroutine: the seed's goroutine leak. leaky() starts a
 * goroutine that sends its result on an unbuffered channel and returns the
 * channel; the caller loses interest and never receives, so the sender
 * blocks forever: the thread, its stack and everything it holds leak. The
 * fix is pitfall_leaky_goroutine_fixed (the send also selects on a
 * context's done channel, and the caller cancels). */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static int expensive_computation(void) { return 42; }

static void compute(void *arg) {
    weft_chan *ch = arg;
    int result = expensive_computation();
    weft_chan_send(ch, &result); /* BUG: blocked forever if the consumer is gone */
}

static weft_chan *leaky(void) {
    weft_chan *ch = weft_chan_make(sizeof(int), 0);
    weft_go(compute, ch);
    return ch;
}

int main(void) {
    weft_chan *ch = leaky();
    (void)ch; /* the caller decides it does not need the result after all */
    printf("caller done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
