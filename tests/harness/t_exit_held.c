/* SPDX-License-Identifier: MIT */
/* t_exit_held.c: a worker's one send on an unbuffered channel, answered
 * by main's receive, after which main returns at once and ends the
 * process. Run with WEFT_CHAOS_HOLD_LATE (chaos.c) so that the worker
 * is still between queuing itself and committing its send's begin when
 * main takes the value: the process's end must wait for that record (or
 * count it lost), never leave the worker looking leaked with nothing
 * said (harness:exit_held). argv[1]: main's sleep before its receive,
 * in ms (default 20): long enough for the worker to queue itself and be
 * held, short of the hold. Prints the value received. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <weft/weft.h>

static weft_chan *ch;

static void worker(void *arg) {
    (void)arg;
    long v = 42;
    weft_chan_send(ch, &v);
}

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 20;
    ch = weft_chan_make(sizeof(long), 0);
    weft_go(worker, NULL);
    /* main takes the value while the worker's record waits (chaos.c) */
    struct timespec t = {ms / 1000, ms % 1000 * 1000000};
    nanosleep(&t, NULL);
    long v = 0;
    weft_chan_recv(ch, &v);
    printf("%ld\n", v);
    fflush(stdout);
    return 0;
}
