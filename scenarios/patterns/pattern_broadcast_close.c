/* broadcast_close: Go's broadcast by close. In each of 25 rounds a
 * coordinator makes a `done` channel that nobody ever sends on, starts
 * four workers that report ready on another channel and then wait on
 * `<-done`, and closes `done` to wake them all at once; it then receives
 * from `done` itself, as code that selects on it would, and waits for
 * the workers. The coordinator only ever received from `done` and closed
 * it, yet no send can follow: the channel has no sender at all. weft must
 * report nothing (close-by-receiver is for a channel someone still sends
 * on). */
#include <stdio.h>
#include <weft/weft.h>

enum { ROUNDS = 25, WORKERS = 4 };

static weft_chan *ready;
static weft_wg wg;

static void worker(void *arg) {
    weft_chan *done = arg;
    int one = 1;
    weft_chan_send(ready, &one);
    weft_chan_recv(done, NULL); /* woken by the close: the broadcast */
    weft_wg_done(&wg);
}

int main(void) {
    ready = weft_chan_make(sizeof(int), 0);
    int woken = 0;
    for (int r = 0; r < ROUNDS; r++) {
        weft_chan *done = weft_chan_make(0, 0);
        weft_wg_add(&wg, WORKERS);
        for (int i = 0; i < WORKERS; i++)
            weft_go(worker, done);
        for (int i = 0; i < WORKERS; i++) {
            int v;
            weft_chan_recv(ready, &v);
            woken += v;
        }
        weft_chan_close(done);    /* wake every worker: nobody sends on done */
        weft_chan_recv(done, NULL); /* the coordinator sees the close too */
        weft_wg_wait(&wg);
        weft_chan_free(done);
    }
    printf("%d rounds, %d workers woken\n", ROUNDS, woken);
    weft_chan_free(ready);
    return 0;
}
/* SPDX-License-Identifier: MIT */
