/* SPDX-License-Identifier: MIT */
/* t_skew.c: a release made after another thread's release of the same
 * channel, by a thread whose clock lags (run it with WEFT_CHAOS_SKEW: every
 * thread's record clock but main's runs behind), then an acquire of the
 * first release by that same lagging thread. Main puts a value in a
 * buffered channel (releasing its slot's ticket); the worker, which has
 * acquired nothing of main's since it started, puts a second value, then
 * takes main's: its receive must come after main's send in the trace
 * however far its clock lags (harness:fold_skew). The sleeps only order
 * the steps; the channel's tickets are what the test reads. Prints
 * "skew ok". */
#include <stdio.h>
#include <time.h>

#include <weft/weft.h>

static weft_chan *ch;

static void pause_ms(long ms) {
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

static void worker(void *arg) {
    weft_wg *wg = arg;
    pause_ms(40); /* main's send is made by now */
    int v = 2, got = 0;
    weft_chan_send(ch, &v);
    weft_chan_recv(ch, &got);
    if (got != 1)
        printf("worker got %d\n", got);
    weft_wg_done(wg);
}

int main(void) {
    weft_wg wg = WEFT_WG_INIT;
    ch = weft_chan_make(sizeof(int), 2);
    weft_wg_add(&wg, 1);
    weft_go(worker, &wg);
    pause_ms(10);
    int v = 1;
    weft_chan_send(ch, &v);
    weft_wg_wait(&wg);
    int left = 0;
    weft_chan_recv(ch, &left);
    weft_chan_free(ch);
    printf(left == 2 ? "skew ok\n" : "main got %d\n", left);
    return 0;
}
