/* pitfall_leaky_goroutine_fixed: the seed's fix for the goroutine leak.
 * The goroutine sends its result in a select that also waits for the
 * context's done channel, and closes its channel when it leaves; the
 * caller that loses interest cancels the context, so the goroutine always
 * has a way out. main waits for it (on the closed channel) before it
 * returns. */
#include <stdio.h>
#include <weft/weft.h>

struct job {
    weft_chan *ch;
    weft_ctx *ctx;
};

static int expensive_computation(void) { return 42; }

static void compute(void *arg) {
    struct job *j = arg;
    int result = expensive_computation();
    weft_case cases[] = {
        {j->ch, WEFT_SEND, &result, 0},
        {weft_ctx_done(j->ctx), WEFT_RECV, NULL, 0},
    };
    weft_select(cases, 2, 0); /* FIX: the send gives up when ctx is cancelled */
    weft_chan_close(j->ch);   /* defer close(ch) */
}

static weft_chan *safe(struct job *j, weft_ctx *ctx) {
    j->ch = weft_chan_make(sizeof(int), 0);
    j->ctx = ctx;
    weft_go(compute, j);
    return j->ch;
}

int main(void) {
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    struct job j;
    weft_chan *ch = safe(&j, ctx);
    weft_ctx_cancel(ctx); /* the caller loses interest: it says so */
    while (weft_chan_recv(ch, NULL) == 0) /* the goroutine is gone once ch is closed */
        ;
    printf("caller done\n");
    weft_chan_free(ch);
    weft_ctx_free(ctx);
    return 0;
}
/* SPDX-License-Identifier: MIT */
