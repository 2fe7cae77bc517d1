/* pitfall_nil_chan_send: a send on a nil channel blocks forever (Go's
 * goroutine-leak test "NilSend"). The results channel is declared but was
 * never made, so the goroutine's send can never complete and it leaks. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_chan *results; /* never made: a nil channel */

static void producer(void *arg) {
    (void)arg;
    int v = 7;
    weft_chan_send(results, &v); /* BUG: a send on a nil channel never completes */
}

int main(void) {
    weft_go(producer, NULL);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
