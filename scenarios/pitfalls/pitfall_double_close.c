/* pitfall_double_close: the seed's "closing a channel twice". Two
 * goroutines both think they own the shutdown and both close the same
 * channel; in Go the second close panics, in libweft it returns
 * WEFT_ECLOSED and the program goes on as if it had worked. Whichever
 * goroutine comes second, its close is the bug. The fix is
 * pitfall_double_close_fixed (a once-guard around the close). */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *quit;
static weft_wg wg;

static void stopper(void *arg) {
    (void)arg;
    weft_chan_close(quit); /* BUG: the second goroutine to get here closes it again */
    weft_wg_done(&wg);
}

int main(void) {
    quit = weft_chan_make(0, 0);
    weft_wg_add(&wg, 2);
    weft_go(stopper, NULL);
    weft_go(stopper, NULL);
    weft_wg_wait(&wg);
    printf("quit closed: %s\n", weft_chan_recv(quit, NULL) == WEFT_ECLOSED ? "yes" : "no");
    return 0;
}
/* SPDX-License-Identifier: MIT */
