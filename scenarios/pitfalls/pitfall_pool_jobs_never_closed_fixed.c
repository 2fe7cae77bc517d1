/* pitfall_pool_jobs_never_closed_fixed: the sender of the jobs closes the
 * job channel after the last job; each worker's range then ends, the
 * workers call Done, and main waits for them. */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *jobs, *results;
static weft_wg wg;

static void worker(void *arg) {
    (void)arg;
    int j;
    while (weft_chan_recv(jobs, &j) == 0) {
        int r = j * 2;
        weft_chan_send(results, &r);
    }
    weft_wg_done(&wg);
}

int main(void) {
    jobs = weft_chan_make(sizeof(int), 5);
    results = weft_chan_make(sizeof(int), 5);
    weft_wg_add(&wg, 3);
    for (int w = 0; w < 3; w++)
        weft_go(worker, NULL);
    for (int j = 1; j <= 5; j++)
        weft_chan_send(jobs, &j);
    weft_chan_close(jobs); /* FIX: no more jobs: the workers' ranges end */
    int sum = 0, r;
    for (int j = 1; j <= 5; j++) {
        weft_chan_recv(results, &r);
        sum += r;
    }
    weft_wg_wait(&wg);
    printf("sum %d\n", sum);
    return 0;
}
/* SPDX-License-Identifier: MIT */
