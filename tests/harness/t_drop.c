/* t_drop.c: four threads and main take a mutex many times each; the
 * threads return, main joins them all and prints "drop ok 500000". Every
 * thread is joined: run with a tiny log (WEFT_LOG_MB=1) the log fills up
 * while all five are busy, the returns and joins are dropped, and a
 * finding that says a thread leaked must be marked as a possible
 * consequence of the loss. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *work(void *a) {
    (void)a;
    for (int i = 0; i < 100000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(void) {
    pthread_t t[4];
    for (int k = 0; k < 4; k++)
        pthread_create(&t[k], NULL, work, NULL);
    work(NULL); /* main's own chunk fills too: its joins are dropped */
    for (int k = 0; k < 4; k++)
        pthread_join(t[k], NULL);
    printf("drop ok %ld\n", counter);
    return 0;
}
/* SPDX-License-Identifier: MIT */
