/* t_deadlock_chan.c: main sends on an unbuffered channel nobody will ever
 * receive from, while a worker waits to join main's other thread: every
 * thread blocked for good. The watchdog must end it with status 2. */
#include <pthread.h>
#include <stdio.h>

#include <weft/weft.h>

static weft_chan *never;

static void *stuck(void *arg) {
    (void)arg;
    int x;
    weft_chan_recv(weft_chan_make(sizeof(int), 0), &x); /* a channel only it knows */
    return NULL;
}

int main(void) {
    never = weft_chan_make(sizeof(int), 0);
    pthread_t t;
    pthread_create(&t, NULL, stuck, NULL);
    int v = 1;
    printf("sending\n");
    fflush(stdout);
    weft_chan_send(never, &v);
    printf("unreachable\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
