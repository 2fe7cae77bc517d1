/* pattern_semaphore.c: the seed's channel semaphore. A buffered channel of
 * capacity 3 holds the permits: main sends (acquires) before starting each
 * of 10 goroutines, so at most 3 run at once, and each receives (releases)
 * when it is done. Main then waits for all of them by sending 3 more times:
 * it can only fill the buffer once every goroutine has released its slot.
 * The seed's goroutines sleep 1 s; here 100 ms, to keep the suite quick.
 * The order of the "Processing" lines varies. */
#include <stdio.h>
#include <time.h>

#include <weft/weft.h>

#define MAX_CONCURRENCY 3

struct task {
    weft_chan *sem;
    int id;
};

static void process(void *arg) {
    struct task *t = arg;
    printf("Processing %d\n", t->id);
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
    weft_chan_recv(t->sem, NULL); /* release: defer func() { <-sem }() */
}

int main(void) {
    weft_chan *sem = weft_chan_make(0, MAX_CONCURRENCY); /* chan struct{} */
    struct task tasks[10];

    for (int i = 0; i < 10; i++) {
        weft_chan_send(sem, NULL); /* acquire: blocks while the buffer is full */
        tasks[i] = (struct task){sem, i};
        weft_go(process, &tasks[i]);
    }

    /* Drain the semaphore to wait for all goroutines. */
    for (int i = 0; i < MAX_CONCURRENCY; i++)
        weft_chan_send(sem, NULL);

    weft_chan_free(sem);
    return 0;
}
/* SPDX-License-Identifier: MIT */
