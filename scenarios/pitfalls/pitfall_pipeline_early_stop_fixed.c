/* pitfall_pipeline_early_stop_fixed: every stage's send also waits for
 * the context's done channel, so a consumer that stops early cancels the
 * context and every stage returns; main then waits for the stages (a
 * WaitGroup) before it goes on. */
#include <stdio.h>
#include <weft/weft.h>

struct stage {
    weft_chan *in, *out;
    weft_ctx *ctx;
};

static weft_wg wg;

/* Sends v on out unless ctx is cancelled first; 0 when sent. */
static int send_or_done(weft_ctx *ctx, weft_chan *out, int *v) {
    weft_case cases[] = {{out, WEFT_SEND, v, 0}, {weft_ctx_done(ctx), WEFT_RECV, NULL, 0}};
    return weft_select(cases, 2, 0) == 0 ? 0 : -1; /* FIX: a way out of every send */
}

static void generate(void *arg) {
    struct stage *s = arg;
    for (int n = 1; n <= 5; n++)
        if (send_or_done(s->ctx, s->out, &n) != 0)
            break;
    weft_chan_close(s->out);
    weft_wg_done(&wg);
}

static void square(void *arg) {
    struct stage *s = arg;
    int n;
    while (weft_chan_recv(s->in, &n) == 0) {
        int sq = n * n;
        if (send_or_done(s->ctx, s->out, &sq) != 0)
            break;
    }
    weft_chan_close(s->out);
    weft_wg_done(&wg);
}

int main(void) {
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    weft_chan *nums = weft_chan_make(sizeof(int), 0);
    weft_chan *squares = weft_chan_make(sizeof(int), 0);
    struct stage gen = {NULL, nums, ctx}, sq = {nums, squares, ctx};
    weft_wg_add(&wg, 2);
    weft_go(generate, &gen);
    weft_go(square, &sq);
    int first;
    weft_chan_recv(squares, &first);
    printf("first square: %d\n", first);
    weft_ctx_cancel(ctx); /* FIX: the consumer that stops says so */
    weft_wg_wait(&wg);
    weft_ctx_free(ctx);
    return 0;
}
/* SPDX-License-Identifier: MIT */
