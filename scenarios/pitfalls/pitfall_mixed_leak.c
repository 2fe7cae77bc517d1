/* pitfall_mixed_leak: several kinds of blocked goroutines in one program
 * (Go's goroutine-leak test "Mixed"): one waits on a channel nobody sends
 * on, another on a mutex nobody releases, a third on a WaitGroup nobody
 * finishes. Each is its own leak, reported on its own line. */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static weft_chan *reply;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static weft_wg wg;

static void chan_waiter(void *arg) {
    (void)arg;
    weft_chan_recv(reply, NULL); /* BUG: nobody sends on reply */
}

static void lock_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu); /* BUG: main holds mu and never unlocks it */
    pthread_mutex_unlock(&mu);
}

static void wg_waiter(void *arg) {
    (void)arg;
    weft_wg_wait(&wg); /* BUG: nobody calls Done */
}

int main(void) {
    reply = weft_chan_make(sizeof(int), 0);
    pthread_mutex_lock(&mu);
    weft_wg_add(&wg, 1);
    weft_go(chan_waiter, NULL);
    weft_go(lock_waiter, NULL);
    weft_go(wg_waiter, NULL);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
