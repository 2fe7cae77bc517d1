/* t_timer.c: libweft's timer channels under the recorder. Modes:
 *   after   main, the only thread, waits 1.5 s on weft_after
 *   timer   main waits 1.5 s on a weft_timer, in a select with a channel
 *           nobody sends on
 *   ticker  main receives two ticks of a 1.2 s ticker, then stops it
 *   stopped main stops a timer, then waits on a channel nobody sends on:
 *           a real deadlock (the stopped timer must not hide it)
 * Each wait is longer than the watchdog's 1000 ms: only the timer thread,
 * alive while a timer is pending, shows that the wait will end. */
#include <stdio.h>
#include <string.h>

#include <weft/weft.h>

#define MS 1000000LL

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "after";
    int64_t v = 0;
    if (!strcmp(mode, "after")) {
        weft_chan *c = weft_after(1500 * MS);
        int rc = weft_chan_recv(c, &v);
        weft_chan_free(c);
        printf("after %d\n", rc);
    } else if (!strcmp(mode, "timer")) {
        weft_timer *t = weft_timer_new(1500 * MS);
        weft_chan *never = weft_chan_make(sizeof(int), 0);
        weft_case cs[2] = {{never, WEFT_RECV, NULL, 0}, {weft_timer_chan(t), WEFT_RECV, &v, 0}};
        int i = weft_select(cs, 2, 0);
        printf("timer case %d stop %d\n", i, (int)weft_timer_stop(t));
        weft_timer_free(t);
        weft_chan_free(never);
    } else if (!strcmp(mode, "ticker")) {
        weft_ticker *t = weft_ticker_new(1200 * MS);
        int64_t a = 0, b = 0;
        weft_chan_recv(weft_ticker_chan(t), &a);
        weft_chan_recv(weft_ticker_chan(t), &b);
        weft_ticker_stop(t);
        printf("ticks %lld\n", (long long)((b - a) / MS));
        weft_ticker_free(t);
    } else if (!strcmp(mode, "stopped")) {
        weft_timer *t = weft_timer_new(60000 * MS);
        printf("stopped %d\n", (int)weft_timer_stop(t));
        fflush(stdout);
        weft_chan *never = weft_chan_make(sizeof(int), 0);
        weft_chan_recv(never, NULL); /* nobody sends: deadlock */
        printf("unreachable\n");
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
