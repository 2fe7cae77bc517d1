/* pitfall_chan_leak_abandoned: Go's classic leak. A request handler
 * starts a worker with an unbuffered result channel and waits for the
 * result or a 10 ms timer; the timer wins (the worker is slow: it is let
 * go only once the handler has given up), the handler returns, and the
 * worker's send of its late result blocks forever: nobody else ever had
 * the channel. The program goes on; weft reports the worker while it
 * does (main waits for that line, then returns). The fix gives the
 * result channel a buffer of one, so the late send completes. */
#include <semaphore.h>
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static sem_t gave_up;

static void worker(void *arg) {
    weft_chan *result = arg;
    sem_wait(&gave_up); /* slow: done only after the handler's timeout */
    int v = 42;
    weft_chan_send(result, &v); /* BUG: the handler gave up: nobody will ever receive */
}

static void handler(void *arg) {
    (void)arg;
    weft_chan *result = weft_chan_make(sizeof(int), 0);
    weft_go(worker, result);
    weft_chan *timer = weft_after(10 * 1000 * 1000);
    int v;
    int64_t t;
    weft_case cases[] = {{result, WEFT_RECV, &v, 0}, {timer, WEFT_RECV, &t, 0}};
    if (weft_select(cases, 2, 0) == 1)
        printf("timed out\n");
    fflush(stdout);
    sem_post(&gave_up);
}

int main(void) {
    sem_init(&gave_up, 0, 0);
    weft_go(handler, NULL);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && !settle_reported(); i++)
        nanosleep(&tick, NULL);
    printf("main went on\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
