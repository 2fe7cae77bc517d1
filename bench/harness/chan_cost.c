/* SPDX-License-Identifier: MIT */
/* chan_cost.c: what one channel operation costs a thread, the recorder's
 * per-operation work included (under weft run). One thread sends one
 * value into, and receives it back from, each of K buffered channels in
 * turn, N pairs per round, several rounds, and prints the median ns per
 * send+receive pair for K = 1 (the same channel again: every per-thread
 * shortcut hits) and K = 8 (a new channel each time: the shortcuts miss,
 * the reach filters' hashes and carry merges run). Run under weft run
 * with and without --deadlock-timeout=0 (livecheck.sh does), the
 * difference is what the partial-deadlock check adds to each pair.
 * Usage: chan_cost [N] [rounds]. Prints "ns_per_pair K <median>". */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <weft/weft.h>

#include "percall.h"

static double ns_per_pair(weft_chan **ch, int k, long n, int rounds) {
    double per[64];
    for (int r = 0; r < rounds; r++) {
        int64_t t0 = percall_now();
        for (long i = 0; i < n; i++) {
            weft_chan *c = ch[i % k];
            int v = (int)i, got;
            if (weft_chan_send(c, &v) != 0 || weft_chan_recv(c, &got) != 0 || got != v) {
                fprintf(stderr, "chan_cost: a channel lost its value\n");
                exit(1);
            }
        }
        per[r] = (double)(percall_now() - t0) / (double)n;
    }
    return percall_median(per, rounds);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 9;
    if (n < 1 || rounds < 1 || rounds > 64) {
        fprintf(stderr, "usage: chan_cost [N >= 1] [rounds 1..64]\n");
        return 2;
    }
    weft_chan *ch[8];
    for (int i = 0; i < 8; i++)
        if (!(ch[i] = weft_chan_make(sizeof(int), 1))) {
            fprintf(stderr, "chan_cost: weft_chan_make failed\n");
            return 1;
        }
    static const int ks[] = {1, 8};
    for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++)
        printf("ns_per_pair %d %.1f\n", ks[j], ns_per_pair(ch, ks[j], n, rounds));
    for (int i = 0; i < 8; i++)
        weft_chan_free(ch[i]);
    return 0;
}
