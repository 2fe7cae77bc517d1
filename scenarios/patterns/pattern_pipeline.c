/* pattern_pipeline.c: the seed's pipeline, generate -> square -> filter.
 * Each stage is a thread that owns its output channel: it sends every
 * result downstream and then closes that channel, so the next stage's
 * receive loop (Go's `for n := range in`) ends and it closes its own in
 * turn. The consumer's loop ends when the last channel is closed, and by
 * then every stage has finished its work: nothing is left blocked. Guards
 * against the leaked stage (a channel nobody closes or drains). */
#include <stdio.h>

#include <weft/weft.h>

struct stage {
    weft_chan *in, *out;
    const int *nums;
    int count, threshold;
};

/* Stage 1: generate numbers. */
static void generate(void *arg) {
    struct stage *s = arg;
    for (int i = 0; i < s->count; i++)
        weft_chan_send(s->out, &s->nums[i]);
    weft_chan_close(s->out); /* defer close(out): the sender closes */
}

/* Stage 2: square each number. */
static void square(void *arg) {
    struct stage *s = arg;
    int n;
    while (weft_chan_recv(s->in, &n) == 0) {
        int sq = n * n;
        weft_chan_send(s->out, &sq);
    }
    weft_chan_close(s->out);
}

/* Stage 3: filter, keeping only values above the threshold. */
static void filter(void *arg) {
    struct stage *s = arg;
    int n;
    while (weft_chan_recv(s->in, &n) == 0)
        if (n > s->threshold)
            weft_chan_send(s->out, &n);
    weft_chan_close(s->out);
}

int main(void) {
    static const int nums[] = {1, 2, 3, 4, 5};
    weft_chan *gen = weft_chan_make(sizeof(int), 0);
    weft_chan *sq = weft_chan_make(sizeof(int), 0);
    weft_chan *out = weft_chan_make(sizeof(int), 0);
    struct stage g = {.out = gen, .nums = nums, .count = 5};
    struct stage s = {.in = gen, .out = sq};
    struct stage f = {.in = sq, .out = out, .threshold = 10};

    /* Compose the pipeline: generate -> square -> filter. */
    weft_go(generate, &g);
    weft_go(square, &s);
    weft_go(filter, &f);

    int v;
    while (weft_chan_recv(out, &v) == 0)
        printf("%d\n", v); /* 16, 25 */

    weft_chan_free(gen);
    weft_chan_free(sq);
    weft_chan_free(out);
    return 0;
}
/* SPDX-License-Identifier: MIT */
