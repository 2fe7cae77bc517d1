/* pitfall_chan_leak_pool: a worker pool leaked while the program goes on
 * serving. A dispatcher thread makes the jobs channel, starts three
 * workers on it, hands out three jobs and returns without closing it:
 * the workers wait for a job forever, and no running thread can reach
 * the channel any more (what Go's goroutine leak profile finds). main
 * never saw the channel: it goes on serving pings with a helper, and
 * weft reports the three workers while it does, without stopping it
 * (main stops serving once it sees the line). The fix closes jobs. */
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static void worker(void *arg) {
    weft_chan *jobs = arg;
    int j;
    while (weft_chan_recv(jobs, &j) == 0) /* BUG: jobs is never closed: the last recv never returns */
        ;
}

static void dispatcher(void *arg) {
    (void)arg;
    weft_chan *jobs = weft_chan_make(sizeof(int), 0);
    for (int w = 0; w < 3; w++)
        weft_go(worker, jobs);
    for (int j = 1; j <= 3; j++)
        weft_chan_send(jobs, &j);
    /* missing: weft_chan_close(jobs); */
}

static void echo(void *arg) {
    weft_chan **pp = arg;
    int v;
    while (weft_chan_recv(pp[0], &v) == 0)
        weft_chan_send(pp[1], &v);
}

int main(void) {
    weft_chan *pp[2] = {weft_chan_make(sizeof(int), 0), weft_chan_make(sizeof(int), 0)};
    weft_go(echo, pp);
    weft_go(dispatcher, NULL);
    int served = 0, v;
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && !settle_reported(); i++, served++) {
        weft_chan_send(pp[0], &i); /* serving goes on meanwhile */
        weft_chan_recv(pp[1], &v);
        nanosleep(&tick, NULL);
    }
    printf("served %s\n", served > 0 ? "yes" : "no");
    weft_chan_close(pp[0]);
    return 0;
}
/* SPDX-License-Identifier: MIT */
