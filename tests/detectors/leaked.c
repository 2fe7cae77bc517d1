/* leaked: a goroutine blocked for good in a channel receive when main
 * returns (leaked-thread); with "ok" main closes the channel and waits for
 * it (Done then return: a thread that is finishing, not leaked). Without
 * "ok", main returns once the worker sleeps in its next receive
 * (docs/detectors.md: a thread caught between two calls at exit is not
 * judged a leak). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <weft/weft.h>

#include "asleep.h"

static weft_chan *ch;
static weft_wg wg;
static _Atomic pid_t worker_tid;

static void worker(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    int v;
    while (weft_chan_recv(ch, &v) == 0) {
    }
    weft_wg_done(&wg);
}

int main(int argc, char **argv) {
    int ok = argc > 1 && !strcmp(argv[1], "ok");
    ch = weft_chan_make(sizeof(int), 0);
    weft_wg_add(&wg, 1);
    weft_go(worker, NULL);
    int v = 1;
    weft_chan_send(ch, &v);
    if (ok) {
        weft_chan_close(ch);
        weft_wg_wait(&wg);
    } else {
        test_wait_futex(&worker_tid); /* a goroutine blocked for good, not one in flight */
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
