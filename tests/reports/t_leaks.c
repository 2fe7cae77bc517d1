/* t_leaks.c: N threads started from one call site, each blocked forever
 * in a condition wait nobody signals: N leaked threads that are one bug
 * (one fingerprint, one group of N). Main returns only once every thread
 * is inside its wait (each counts itself under the mutex, which only the
 * wait gives back), so every run has all N blocked at the same line. The
 * reports tests compile it themselves, so that a copy with its lines
 * moved can be rebuilt. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER, never = PTHREAD_COND_INITIALIZER;
static int waiting;

static void *reader(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    waiting++;
    pthread_cond_signal(&ready);
    for (;;)
        pthread_cond_wait(&never, &mu);
    return NULL;
}

static void start_readers(int n) {
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, reader, NULL) != 0)
            exit(2);
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 5;
    start_readers(n);
    pthread_mutex_lock(&mu);
    while (waiting < n)
        pthread_cond_wait(&ready, &mu);
    pthread_mutex_unlock(&mu);
    printf("started %d\n", n);
    return 0;
}
/* SPDX-License-Identifier: MIT */
