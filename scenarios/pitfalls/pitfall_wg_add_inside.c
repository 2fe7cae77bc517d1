/* pitfall_wg_add_inside: the seed's "missing WaitGroup coordination". The
 * goroutine calls wg.Add(1) itself, so nothing orders that Add before
 * main's Wait: if Wait runs first it sees a zero counter and returns at
 * once, before the work it was meant to wait for. weft reports it on every
 * run, also when this schedule happened to be lucky, because it checks the
 * order (happens-before), not the timing. The fix is
 * pitfall_wg_add_inside_fixed. (main also waits on `exited`, only so that
 * this demo never leaks the goroutine on top of the bug it shows.) */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg wg;
static weft_chan *exited;

static void worker(void *arg) {
    (void)arg;
    weft_wg_add(&wg, 1); /* BUG: Add inside the goroutine races with main's Wait */
    weft_wg_done(&wg);
    weft_chan_send(exited, NULL);
}

int main(void) {
    exited = weft_chan_make(0, 1);
    weft_go(worker, NULL);
    weft_wg_wait(&wg);
    weft_chan_recv(exited, NULL);
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
