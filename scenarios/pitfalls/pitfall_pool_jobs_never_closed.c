/* pitfall_pool_jobs_never_closed: a worker pool whose job channel is never
 * closed. Three workers range over `jobs`; main sends five jobs, collects
 * five results and moves on, but never closes `jobs`, so every worker
 * stays blocked waiting for a job that will not come: all three leak. The
 * fix is pitfall_pool_jobs_never_closed_fixed. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_chan *jobs, *results;

static void worker(void *arg) {
    (void)arg;
    int j;
    while (weft_chan_recv(jobs, &j) == 0) { /* BUG: jobs is never closed: the last recv never returns */
        int r = j * 2;
        weft_chan_send(results, &r);
    }
}

int main(void) {
    jobs = weft_chan_make(sizeof(int), 5);
    results = weft_chan_make(sizeof(int), 5);
    for (int w = 0; w < 3; w++)
        weft_go(worker, NULL);
    for (int j = 1; j <= 5; j++)
        weft_chan_send(jobs, &j);
    int sum = 0, r;
    for (int j = 1; j <= 5; j++) {
        weft_chan_recv(results, &r);
        sum += r;
    }
    printf("sum %d\n", sum);
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
