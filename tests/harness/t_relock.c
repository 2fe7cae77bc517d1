/* t_relock.c: mutexes taken again and again by one thread (the ingest
 * counts those locks and unlocks instead of storing a row each), then
 * handed to another thread (those keep their rows: each carries an edge).
 *   a worker locks and unlocks m N times (N = argv[1], default 1000), then
 *   trylocks and unlocks it N/100 times; main joins it and takes m once;
 *   then the two alternate on h through a condition variable, each taking
 *   h after the other released it, T times (T = 10). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, h = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long n = 1000;
static int turn; /* 0: main's turn on h, 1: the worker's */
static long counter;

static void *worker(void *arg) {
    (void)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&m);
        counter++;
        pthread_mutex_unlock(&m);
    }
    for (long i = 0; i < n / 100; i++)
        if (pthread_mutex_trylock(&m) == 0) {
            counter++;
            pthread_mutex_unlock(&m);
        }
    return NULL;
}

static void *alternate(void *arg) {
    int me = *(int *)arg;
    for (int i = 0; i < 10; i++) {
        pthread_mutex_lock(&h);
        while (turn != me)
            pthread_cond_wait(&cv, &h);
        counter++;
        turn = !me;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&h);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1)
        n = atol(argv[1]);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&m);
    counter++;
    pthread_mutex_unlock(&m);
    int one = 1, zero = 0;
    pthread_create(&t, NULL, alternate, &one);
    alternate(&zero);
    pthread_join(t, NULL);
    printf("%ld\n", counter);
    return 0;
}
/* SPDX-License-Identifier: MIT */
