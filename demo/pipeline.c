/* pipeline.c: the seed's first patterns (pipeline, fan-out/fan-in, worker
 * pool with a context, errgroup, future) written with libweft, to show the
 * API in the shapes Go programmers know. Each stage owns its output channel
 * and closes it, exactly as in the Go original. */
#include <stdio.h>
#include <stdlib.h>

#include <weft/weft.h>

/* ---- pipeline: generate -> square -> filter -> consumer ------------- */

struct stage {
    weft_chan *in, *out;
    int threshold;
    const int *nums;
    int count;
};

static void generate(void *arg) {
    struct stage *s = arg;
    for (int i = 0; i < s->count; i++)
        weft_chan_send(s->out, &s->nums[i]);
    weft_chan_close(s->out);
}

static void square(void *arg) {
    struct stage *s = arg;
    int n;
    while (weft_chan_recv(s->in, &n) == 0) {
        int sq = n * n;
        weft_chan_send(s->out, &sq);
    }
    weft_chan_close(s->out);
}

static void filter(void *arg) {
    struct stage *s = arg;
    int n;
    while (weft_chan_recv(s->in, &n) == 0)
        if (n > s->threshold)
            weft_chan_send(s->out, &n);
    weft_chan_close(s->out);
}

static void pipeline(void) {
    static const int nums[] = {1, 2, 3, 4, 5};
    weft_chan *a = weft_chan_make(sizeof(int), 0), *b = weft_chan_make(sizeof(int), 0),
              *c = weft_chan_make(sizeof(int), 0);
    struct stage g = {.out = a, .nums = nums, .count = 5};
    struct stage sq = {.in = a, .out = b};
    struct stage f = {.in = b, .out = c, .threshold = 10};
    weft_go(generate, &g);
    weft_go(square, &sq);
    weft_go(filter, &f);
    int v;
    printf("pipeline:");
    while (weft_chan_recv(c, &v) == 0)
        printf(" %d", v); /* 16 25 */
    printf("\n");
    weft_chan_free(a);
    weft_chan_free(b);
    weft_chan_free(c);
}

/* ---- fan-out / fan-in ----------------------------------------------- */

struct merge_arg {
    weft_chan *from, *to;
    weft_wg *wg;
};

static void forward(void *arg) {
    struct merge_arg *m = arg;
    int v;
    while (weft_chan_recv(m->from, &v) == 0)
        weft_chan_send(m->to, &v);
    weft_wg_done(m->wg);
}

struct closer {
    weft_wg *wg;
    weft_chan *out;
};

static void close_when_done(void *arg) {
    struct closer *c = arg;
    weft_wg_wait(c->wg);
    weft_chan_close(c->out);
}

static void fan_in(void) {
    enum { WORKERS = 3, ITEMS = 6 };
    static const int items[ITEMS] = {1, 2, 3, 4, 5, 6};
    weft_chan *input = weft_chan_make(sizeof(int), 0);
    weft_chan *outs[WORKERS], *merged = weft_chan_make(sizeof(int), 0);
    struct stage prod = {.out = input, .nums = items, .count = ITEMS};
    struct stage workers[WORKERS];
    struct merge_arg merges[WORKERS];
    weft_wg wg = WEFT_WG_INIT;
    weft_go(generate, &prod);
    weft_wg_add(&wg, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        outs[i] = weft_chan_make(sizeof(int), 0);
        workers[i] = (struct stage){.in = input, .out = outs[i]};
        weft_go(square, &workers[i]); /* fan-out: all read `input` */
        merges[i] = (struct merge_arg){.from = outs[i], .to = merged, .wg = &wg};
        weft_go(forward, &merges[i]);
    }
    struct closer cl = {.wg = &wg, .out = merged};
    weft_go(close_when_done, &cl);
    int v, sum = 0, n = 0;
    while (weft_chan_recv(merged, &v) == 0) {
        sum += v;
        n++;
    }
    printf("fan-in: %d results, sum of squares %d\n", n, sum); /* 6, 91 */
    for (int i = 0; i < WORKERS; i++)
        weft_chan_free(outs[i]);
    weft_chan_free(input);
    weft_chan_free(merged);
}

/* ---- errgroup with a limit, and a future ---------------------------- */

static int fetch(weft_ctx *ctx, void *arg) {
    (void)ctx;
    int *slot = arg;
    *slot *= 10;
    return 0;
}

static int answer(void *arg, void *result) {
    (void)arg;
    *(int *)result = 42;
    return 0;
}

static void group_and_future(void) {
    int slots[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    weft_group *g = weft_group_new(NULL);
    weft_group_set_limit(g, 3);
    for (int i = 0; i < 8; i++)
        weft_group_go(g, fetch, &slots[i]);
    int err = weft_group_wait(g);
    weft_group_free(g);
    int total = 0;
    for (int i = 0; i < 8; i++)
        total += slots[i];
    printf("errgroup: err=%d total=%d\n", err, total); /* 0, 360 */

    weft_future *f = weft_future_start(answer, NULL, sizeof(int));
    int v = 0;
    int rc = weft_future_get(f, &v);
    weft_future_free(f);
    printf("future: rc=%d value=%d\n", rc, v);
}

int main(void) {
    pipeline();
    fan_in();
    group_and_future();
    return 0;
}
/* SPDX-License-Identifier: MIT */
