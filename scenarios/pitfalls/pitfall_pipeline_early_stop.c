/* pitfall_pipeline_early_stop: a pipeline (generate -> square -> consumer)
 * whose consumer stops early without cancelling. main only wants the first
 * square, takes it and moves on; the square stage is left blocked sending
 * its next result, and the generator blocked sending its next number: both
 * stages leak. The seed's advice: add cancellation with a context. The fix
 * is pitfall_pipeline_early_stop_fixed. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

struct stage {
    weft_chan *in, *out;
};

static void generate(void *arg) {
    weft_chan *out = arg;
    for (int n = 1; n <= 5; n++)
        weft_chan_send(out, &n); /* BUG: blocked for good once square stops receiving */
    weft_chan_close(out);
}

static void square(void *arg) {
    struct stage *s = arg;
    int n;
    while (weft_chan_recv(s->in, &n) == 0) {
        int sq = n * n;
        weft_chan_send(s->out, &sq); /* BUG: blocked for good once the consumer stops */
    }
    weft_chan_close(s->out);
}

int main(void) {
    weft_chan *nums = weft_chan_make(sizeof(int), 0);
    weft_chan *squares = weft_chan_make(sizeof(int), 0);
    struct stage sq = {nums, squares};
    weft_go(generate, nums);
    weft_go(square, &sq);
    int first;
    weft_chan_recv(squares, &first); /* the consumer needs only one value ... */
    printf("first square: %d\n", first);
    settle();
    return 0; /* ... and stops without telling the stages */
}
/* SPDX-License-Identifier: MIT */
