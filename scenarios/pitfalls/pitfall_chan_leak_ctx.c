/* pitfall_chan_leak_ctx: a near miss of the channel leak check (no
 * finding). A setup thread makes a cancellable context, starts a worker
 * that waits on its done channel and a canceller that holds the context,
 * and returns; the canceller works for three watchdog timeouts, then
 * cancels, which ends the worker's wait. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_wg done = WEFT_WG_INIT;

static void worker(void *arg) {
    weft_chan_recv(weft_ctx_done(arg), NULL); /* until the cancel */
    printf("cancelled\n");
    weft_wg_done(&done);
}

static void canceller(void *arg) {
    settle_work(3);
    weft_ctx_cancel(arg);
    weft_wg_done(&done);
}

static void setup(void *arg) {
    (void)arg;
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    weft_go(worker, ctx);
    weft_go(canceller, ctx);
    weft_wg_done(&done); /* every thread is waited for: none runs at exit */
}

int main(void) {
    weft_wg_add(&done, 3);
    weft_go(setup, NULL);
    weft_wg_wait(&done);
    return 0;
}
/* SPDX-License-Identifier: MIT */
