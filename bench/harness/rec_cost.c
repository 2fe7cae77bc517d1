/* SPDX-License-Identifier: MIT */
/* rec_cost.c: the harness's recording cost per event. Calls an interposed
 * function that records exactly one event without a stack
 * (weft__hb_release: libweft's no-op annotation) N times per round on one
 * thread, several rounds, and prints the median ns per call. Run it plain
 * and under the shim: the difference is the cost of one recorded event.
 * Usage: rec_cost [N] [rounds]. Prints "ns_per_call <median>". */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <weft/weft.h>
#include "weft_private/hooks.h" /* weft__hb_release: what the shim interposes */

#include "percall.h"

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 9;
    if (rounds > 64)
        rounds = 64;
    double per[64];
    static int obj;
    for (int r = 0; r < rounds; r++) {
        int64_t t0 = percall_now();
        for (long i = 0; i < n; i++)
            weft__hb_release(&obj, (uint64_t)i);
        per[r] = (double)(percall_now() - t0) / (double)n;
    }
    printf("ns_per_call %.1f\n", percall_median(per, rounds));
    return 0;
}
