/* pitfall_chan_leak_pair: two threads each wait to receive from the
 * other first. A setup thread makes a pair of channels, starts one peer
 * on (a, b) and one on (b, a) and returns; each peer receives before it
 * sends, so both wait forever on channels nobody else has (the pair is
 * stuck for good while the program goes on). main never saw the
 * channels and goes on; weft reports the pair while it runs (main waits
 * for that line, then returns). The fix lets one peer send first. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

struct pair {
    weft_chan *in, *out;
};

static void peer(void *arg) {
    struct pair *p = arg;
    int v = 1;
    weft_chan_recv(p->in, &v); /* BUG: both peers receive first: neither ever sends */
    weft_chan_send(p->out, &v);
}

static void setup(void *arg) {
    static struct pair p1, p2;
    (void)arg;
    weft_chan *a = weft_chan_make(sizeof(int), 0), *b = weft_chan_make(sizeof(int), 0);
    p1 = (struct pair){a, b};
    p2 = (struct pair){b, a};
    weft_go(peer, &p1);
    weft_go(peer, &p2);
}

int main(void) {
    weft_go(setup, NULL);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && !settle_reported(); i++)
        nanosleep(&tick, NULL);
    printf("main went on\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
