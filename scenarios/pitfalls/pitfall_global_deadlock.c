/* pitfall_global_deadlock: Go's "fatal error: all goroutines are asleep -
 * deadlock!". main sends on an unbuffered channel before anyone is there
 * to receive, and the receiver it means to start comes after the send:
 * every thread is blocked, nothing can ever wake one. Go's runtime ends
 * such a program; under weft the watchdog does (exit status 2) and reports
 * what each thread waits on. The fix is pitfall_global_deadlock_fixed. */
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *ch;
static weft_wg wg;

static void receiver(void *arg) {
    (void)arg;
    int v;
    weft_chan_recv(ch, &v);
    printf("got %d\n", v);
    weft_wg_done(&wg);
}

int main(void) {
    ch = weft_chan_make(sizeof(int), 0);
    int v = 1;
    weft_chan_send(ch, &v); /* BUG: nobody can receive yet, and nobody ever will */
    weft_wg_add(&wg, 1);
    weft_go(receiver, NULL);
    weft_wg_wait(&wg);
    return 0;
}
/* SPDX-License-Identifier: MIT */
