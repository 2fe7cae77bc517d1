/* pitfall_chan_leak_pair_fixed: one peer sends first, the other receives
 * first: the value goes round once and both peers end. */
#include <stdio.h>
#include <weft/weft.h>

struct pair {
    weft_chan *in, *out;
    int first; /* FIX: this peer sends before it receives */
};

static weft_wg done = WEFT_WG_INIT;

static void peer(void *arg) {
    struct pair *p = arg;
    int v = 1;
    if (p->first)
        weft_chan_send(p->out, &v);
    weft_chan_recv(p->in, &v);
    if (!p->first)
        weft_chan_send(p->out, &v);
    weft_wg_done(&done);
}

static void setup(void *arg) {
    static struct pair p1, p2;
    (void)arg;
    weft_chan *a = weft_chan_make(sizeof(int), 0), *b = weft_chan_make(sizeof(int), 0);
    p1 = (struct pair){a, b, 1};
    p2 = (struct pair){b, a, 0};
    weft_go(peer, &p1);
    weft_go(peer, &p2);
    weft_wg_done(&done); /* every thread is waited for: none runs at exit */
}

int main(void) {
    weft_wg_add(&done, 3);
    weft_go(setup, NULL);
    weft_wg_wait(&done);
    printf("main went on\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
