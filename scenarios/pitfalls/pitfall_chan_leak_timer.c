/* pitfall_chan_leak_timer: a near miss of the channel leak check (no
 * finding). A thread waits in a select over a channel nobody else has
 * and a timer of three watchdog timeouts: the timer ends the wait, so
 * the thread is never stuck, however long it waits. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_wg done = WEFT_WG_INIT;

static void poller(void *arg) {
    (void)arg;
    weft_chan *quit = weft_chan_make(0, 0); /* nobody else ever has it */
    weft_chan *timer = weft_after(3 * settle_timeout_ms() * 1000 * 1000);
    int64_t t;
    weft_case cases[] = {{quit, WEFT_RECV, NULL, 0}, {timer, WEFT_RECV, &t, 0}};
    if (weft_select(cases, 2, 0) == 1) /* the timer case ends it */
        printf("timer fired\n");
    weft_chan_free(timer);
    weft_chan_free(quit);
    weft_wg_done(&done);
}

int main(void) {
    weft_wg_add(&done, 1);
    weft_go(poller, NULL);
    weft_wg_wait(&done);
    return 0;
}
/* SPDX-License-Identifier: MIT */
