/* pitfall_wg_reused: a WaitGroup reused before the previous Wait returned
 * (Go panics "WaitGroup is reused before previous Wait has returned").
 * The collector waits for round 1; main finishes round 1 with Done and at
 * once starts round 2 with Add(1), while the collector's Wait may still
 * be on its way out. Nothing orders that Add after the Wait's return.
 * Wait for the previous Wait to return (here: the collector acknowledges
 * each round) before the next Add.
 *
 * The Add is unordered on every run (wg-add-concurrent-with-wait, found by
 * happens-before); whether the Wait is *seen* still running depends on the
 * schedule. To show Go's panic case on every run, both threads share one
 * CPU and the collector runs at idle priority, so it cannot get back from
 * its Wait while main is runnable. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_wg wg;
static weft_chan *exited;

static void collector(void *arg) {
    (void)arg;
    struct sched_param idle = {0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    weft_wg_wait(&wg); /* round 1 */
    weft_wg_wait(&wg); /* round 2 */
    weft_chan_send(exited, NULL);
}

int main(void) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    sched_setaffinity(0, sizeof one, &one); /* the collector inherits it */
    exited = weft_chan_make(0, 1);
    weft_wg_add(&wg, 1);
    weft_go(collector, NULL);
    settle_on(&wg, sizeof wg); /* the collector sleeps in its Wait for round 1 */
    weft_wg_done(&wg);
    weft_wg_add(&wg, 1); /* BUG: round 2 starts before round 1's Wait has returned */
    weft_wg_done(&wg);
    weft_chan_recv(exited, NULL);
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
