/* pitfall_chan_leak_abandoned_fixed: the result channel has a buffer of
 * one, so the worker's late send completes although the handler gave up,
 * and the worker ends (main waits for it through a WaitGroup). */
#include <semaphore.h>
#include <stdio.h>
#include <weft/weft.h>

static sem_t gave_up;
static weft_wg done = WEFT_WG_INIT;

static void worker(void *arg) {
    weft_chan *result = arg;
    sem_wait(&gave_up); /* slow: done only after the handler's timeout */
    int v = 42;
    weft_chan_send(result, &v); /* FIX: the buffer takes it */
    weft_wg_done(&done);
}

static void handler(void *arg) {
    (void)arg;
    weft_chan *result = weft_chan_make(sizeof(int), 1);
    weft_go(worker, result);
    weft_chan *timer = weft_after(10 * 1000 * 1000);
    int v;
    int64_t t;
    weft_case cases[] = {{result, WEFT_RECV, &v, 0}, {timer, WEFT_RECV, &t, 0}};
    if (weft_select(cases, 2, 0) == 1)
        printf("timed out\n");
    fflush(stdout);
    sem_post(&gave_up);
    weft_chan_free(timer);
    weft_wg_done(&done); /* every thread is waited for: none runs at exit */
}

int main(void) {
    sem_init(&gave_up, 0, 0);
    weft_wg_add(&done, 2);
    weft_go(handler, NULL);
    weft_wg_wait(&done);
    printf("main went on\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
