/* pitfall_timeout_abandons_worker_fixed: the result channel has one slot,
 * so the worker's late send completes after the caller gave up and the
 * worker ends; at shutdown main waits for it (a WaitGroup). */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *upstream, *result;
static weft_ctx *ctx;
static weft_wg wg;

static void slow_server(void *arg) {
    (void)arg;
    weft_chan_recv(weft_ctx_done(ctx), NULL);
    int v = 7;
    weft_chan_send(upstream, &v);
    weft_wg_done(&wg);
}

static void worker(void *arg) {
    (void)arg;
    int v;
    weft_chan_recv(upstream, &v);
    weft_chan_send(result, &v); /* never blocks: the slot is free */
    weft_wg_done(&wg);
}

int main(void) {
    upstream = weft_chan_make(sizeof(int), 0);
    result = weft_chan_make(sizeof(int), 1); /* FIX: a slot for the late result */
    ctx = weft_ctx_with_timeout(NULL, 50 * 1000 * 1000);
    weft_wg_add(&wg, 2);
    weft_go(slow_server, NULL);
    weft_go(worker, NULL);
    int v;
    weft_case cases[] = {{result, WEFT_RECV, &v, 0}, {weft_ctx_done(ctx), WEFT_RECV, NULL, 0}};
    if (weft_select(cases, 2, 0) == 1)
        printf("timed out\n");
    weft_wg_wait(&wg);
    weft_ctx_free(ctx);
    return 0;
}
/* SPDX-License-Identifier: MIT */
