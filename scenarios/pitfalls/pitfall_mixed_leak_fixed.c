/* pitfall_mixed_leak_fixed: each wait gets what it waits for (a reply, the
 * unlock, the Done), and main waits for all three goroutines. */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>

static weft_chan *reply;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static weft_wg wg, all;

static void chan_waiter(void *arg) {
    (void)arg;
    weft_chan_recv(reply, NULL);
    weft_wg_done(&all);
}

static void lock_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    weft_wg_done(&all);
}

static void wg_waiter(void *arg) {
    (void)arg;
    weft_wg_wait(&wg);
    weft_wg_done(&all);
}

int main(void) {
    reply = weft_chan_make(sizeof(int), 0);
    pthread_mutex_lock(&mu);
    weft_wg_add(&wg, 1);
    weft_wg_add(&all, 3);
    weft_go(chan_waiter, NULL);
    weft_go(lock_waiter, NULL);
    weft_go(wg_waiter, NULL);
    weft_chan_close(reply);    /* FIX: the reply channel is closed, */
    pthread_mutex_unlock(&mu); /* the mutex released, */
    weft_wg_done(&wg);         /* and the WaitGroup finished */
    weft_wg_wait(&all);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
