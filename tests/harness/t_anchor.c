/* SPDX-License-Identifier: MIT */
/* t_anchor.c: locks named by their anchor (log.h, WEFT_H_BACK), in the
 * shapes the shim must get right. One thread, so that two runs record
 * the same events in the same order (pipeline.sh's backref_same compares
 * the trace of a run with anchors against one without):
 *   - cycle: mutex b from one call site, then a from two others, N times
 *     (sqlite3's shape: three mutex and site pairs in turn);
 *   - many: forty mutexes in turn, more than the shim keeps anchors for;
 *   - far: a relock whose anchor is more than WEFT_BACK_MAX words back
 *     (3000 semaphore posts between);
 *   - trylock: relocks by trylock beside locks of the same mutex;
 *   - held: locks of a while b is held (no relocks: named all the same);
 *   - nested: inside each of the forty, a from one site and b from
 *     another (memcached's shape: the same few mutexes taken inside a
 *     lock that changes every time).
 * N = argv[1] (default 500). */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
#define MANY 40
static pthread_mutex_t many[MANY];
static volatile long sink;

/* Each its own call site: noinline, one lock call in each. */
static __attribute__((noinline)) void take_b(void) {
    pthread_mutex_lock(&b);
    sink++;
    pthread_mutex_unlock(&b);
}
static __attribute__((noinline)) void take_a1(void) {
    pthread_mutex_lock(&a);
    sink++;
    pthread_mutex_unlock(&a);
}
static __attribute__((noinline)) void take_a2(void) {
    pthread_mutex_lock(&a);
    sink += 2;
    pthread_mutex_unlock(&a);
}
static __attribute__((noinline)) void try_a(void) {
    if (pthread_mutex_trylock(&a) == 0) {
        sink++;
        pthread_mutex_unlock(&a);
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 500;
    for (long i = 0; i < n; i++) { /* cycle */
        take_b();
        take_a1();
        take_a2();
    }
    for (int k = 0; k < MANY; k++)
        pthread_mutex_init(&many[k], NULL);
    for (long i = 0; i < n; i++) /* many */
        for (int k = 0; k < MANY; k++) {
            pthread_mutex_lock(&many[k]);
            sink++;
            pthread_mutex_unlock(&many[k]);
        }
    sem_t s; /* far */
    sem_init(&s, 0, 0);
    for (int i = 0; i < 4; i++) {
        take_a1();
        for (int k = 0; k < 3000; k++)
            sem_post(&s);
        take_a1();
    }
    sem_destroy(&s);
    for (long i = 0; i < n; i++) { /* trylock */
        try_a();
        take_a1();
    }
    pthread_mutex_lock(&b); /* held */
    for (long i = 0; i < n; i++)
        take_a1();
    pthread_mutex_unlock(&b);
    for (long i = 0; i < n; i++) { /* nested */
        pthread_mutex_t *m = &many[i % MANY];
        pthread_mutex_lock(m);
        take_a2();
        take_b();
        pthread_mutex_unlock(m);
    }
    for (int k = 0; k < MANY; k++)
        pthread_mutex_destroy(&many[k]);
    return 0;
}
