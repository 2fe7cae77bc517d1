/* pattern_fan_out_fan_in.c: the seed's fan-out/fan-in. Three workers read
 * the same input channel (fan-out: whichever is free takes the next item);
 * merge starts one forwarder per worker channel and one closer that waits
 * for all forwarders (a WaitGroup, Add before any thread starts) and then
 * closes the merged channel (fan-in). Every channel is closed by its only
 * sender, so each range loop ends and no thread is left behind. Which
 * worker gets which item varies from run to run; the six results do not. */
#include <stdio.h>

#include <weft/weft.h>

#define MAX_LINE 64

struct producer {
    weft_chan *out;
    const char *const *items;
    int count;
};

static void produce(void *arg) {
    struct producer *p = arg;
    for (int i = 0; i < p->count; i++)
        weft_chan_send(p->out, &p->items[i]);
    weft_chan_close(p->out);
}

/* A worker processes items: fan-out launches several on the same input. */
struct worker {
    int id;
    weft_chan *in, *out;
};

static void work(void *arg) {
    struct worker *w = arg;
    const char *item;
    while (weft_chan_recv(w->in, &item) == 0) {
        char line[MAX_LINE];
        snprintf(line, sizeof line, "worker-%d processed %s", w->id, item);
        weft_chan_send(w->out, line);
    }
    weft_chan_close(w->out);
}

/* merge fans in several channels into one. */
struct forwarder {
    weft_chan *from, *to;
    weft_wg *wg;
};

struct merge {
    weft_chan *out;
    weft_wg wg;
    struct forwarder fwd[3];
};

static void forward(void *arg) {
    struct forwarder *f = arg;
    char line[MAX_LINE];
    while (weft_chan_recv(f->from, line) == 0)
        weft_chan_send(f->to, line);
    weft_wg_done(f->wg);
}

static void close_when_done(void *arg) {
    struct merge *m = arg;
    weft_wg_wait(&m->wg);
    weft_chan_close(m->out);
}

static weft_chan *merge(struct merge *m, weft_chan *const *chans, int n) {
    m->out = weft_chan_make(MAX_LINE, 0);
    weft_wg_add(&m->wg, n); /* before any forwarder starts */
    for (int i = 0; i < n; i++) {
        m->fwd[i] = (struct forwarder){chans[i], m->out, &m->wg};
        weft_go(forward, &m->fwd[i]);
    }
    weft_go(close_when_done, m);
    return m->out;
}

int main(void) {
    static const char *const items[] = {"a", "b", "c", "d", "e", "f"};
    struct producer p = {weft_chan_make(sizeof(const char *), 0), items, 6};
    weft_go(produce, &p);

    /* Fan-out: 3 workers share the input channel. */
    struct worker w[3];
    weft_chan *outs[3];
    for (int i = 0; i < 3; i++) {
        outs[i] = weft_chan_make(MAX_LINE, 0);
        w[i] = (struct worker){i + 1, p.out, outs[i]};
        weft_go(work, &w[i]);
    }

    /* Fan-in: merge all worker outputs. */
    struct merge m = {.wg = WEFT_WG_INIT};
    weft_chan *all = merge(&m, outs, 3);
    char line[MAX_LINE];
    while (weft_chan_recv(all, line) == 0)
        printf("%s\n", line);

    weft_chan_free(all);
    for (int i = 0; i < 3; i++)
        weft_chan_free(outs[i]);
    weft_chan_free(p.out);
    return 0;
}
/* SPDX-License-Identifier: MIT */
