/* pitfall_timeout_abandons_worker: a timeout path that abandons its
 * worker. The caller waits for the worker's result or a 50 ms timeout;
 * the (slow) upstream answers only after the timeout, so the caller has
 * already given up, and the worker's send of its late result on the
 * unbuffered channel waits forever. The fix is
 * pitfall_timeout_abandons_worker_fixed. (Here the upstream answers right
 * when the deadline passes, so the late answer comes on every run.) */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_chan *upstream, *result;
static weft_ctx *ctx;

static void slow_server(void *arg) {
    (void)arg;
    weft_chan_recv(weft_ctx_done(ctx), NULL); /* answers only once the caller timed out */
    int v = 7;
    weft_chan_send(upstream, &v);
}

static void worker(void *arg) {
    (void)arg;
    int v;
    weft_chan_recv(upstream, &v);
    weft_chan_send(result, &v); /* BUG: the caller timed out and left: nobody receives */
}

int main(void) {
    upstream = weft_chan_make(sizeof(int), 0);
    result = weft_chan_make(sizeof(int), 0);
    ctx = weft_ctx_with_timeout(NULL, 50 * 1000 * 1000);
    weft_go(slow_server, NULL);
    weft_go(worker, NULL);
    int v;
    weft_case cases[] = {{result, WEFT_RECV, &v, 0}, {weft_ctx_done(ctx), WEFT_RECV, NULL, 0}};
    if (weft_select(cases, 2, 0) == 1)
        printf("timed out\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
