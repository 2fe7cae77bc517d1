/* pitfall_chan_leak_pool_fixed: the dispatcher closes the jobs channel
 * once it has handed out every job, so the workers' range loops end; it
 * waits for them before it returns, and main waits for it. */
#include <stdio.h>
#include <weft/weft.h>

static weft_wg done = WEFT_WG_INIT;

static void worker(void *arg) {
    weft_chan *jobs = arg;
    int j;
    while (weft_chan_recv(jobs, &j) == 0)
        ;
    weft_wg_done(&done);
}

static void dispatcher(void *arg) {
    weft_chan *jobs = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&done, 3);
    for (int w = 0; w < 3; w++)
        weft_go(worker, jobs);
    for (int j = 1; j <= 3; j++)
        weft_chan_send(jobs, &j);
    weft_chan_close(jobs); /* FIX: the workers' loops end */
    weft_wg_wait(&done);
    weft_chan_free(jobs);
    weft_chan_close(arg);
}

int main(void) {
    weft_chan *finished = weft_chan_make(0, 0);
    weft_go(dispatcher, finished);
    weft_chan_recv(finished, NULL);
    weft_chan_free(finished);
    printf("served yes\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
