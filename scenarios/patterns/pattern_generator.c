/* pattern_generator.c: the seed's Fibonacci generator. The generator
 * thread produces values on demand: each send waits for the consumer, and
 * a select on the context's done channel lets the consumer stop it at any
 * time. Main prints values until one exceeds 1000, then cancels. The seed
 * returns from main at once, leaving the goroutine to exit on its own; a C
 * process that returns kills it mid-flight, so main here drains the channel
 * until the generator closes it: the generator has then seen the cancel
 * and returned, and nothing is left running. */
#include <stdio.h>

#include <weft/weft.h>

struct gen {
    weft_ctx *ctx;
    weft_chan *ch;
};

static void fibonacci(void *arg) {
    struct gen *g = arg;
    long long a = 0, b = 1;
    for (;;) {
        weft_case cases[] = {{g->ch, WEFT_SEND, &a, 0},
                             {weft_ctx_done(g->ctx), WEFT_RECV, NULL, 0}};
        if (weft_select(cases, 2, 0) == 1)
            break; /* case <-ctx.Done(): return */
        long long next = a + b;
        a = b;
        b = next;
    }
    weft_chan_close(g->ch); /* defer close(ch) */
}

int main(void) {
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    struct gen g = {ctx, weft_chan_make(sizeof(long long), 0)};
    weft_go(fibonacci, &g);

    long long v;
    while (weft_chan_recv(g.ch, &v) == 0) {
        printf("%lld\n", v);
        if (v > 1000) {
            weft_ctx_cancel(ctx); /* stop the generator */
            break;
        }
    }
    /* Wait for the generator to see the cancel: it closes ch on its way
     * out (a value it sent meanwhile is dropped). */
    while (weft_chan_recv(g.ch, &v) == 0)
        ;

    weft_ctx_free(ctx);
    weft_chan_free(g.ch);
    return 0;
}
/* SPDX-License-Identifier: MIT */
