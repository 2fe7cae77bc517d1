/* SPDX-License-Identifier: MIT */
/* t_handoff.c: mutexes handed from one thread to another, where the
 * second hand-off tells the taker nothing new (the ingest counts it with
 * its unlock instead of storing two rows; rows.c):
 *   thread a locks m1, then m2, unlocks m2, then m1, and locks and
 *   unlocks m2 once more; main joins a; thread b then locks and unlocks
 *   m2 (a's last release of all: an edge) and then m1 (which a released
 *   before it: b knows that release through m2, no edge). Last, thread c
 *   locks and unlocks m2, then m1: both edges, for c knows b's release
 *   of m2 when it takes m1, but b released m1 after m2. Each thread
 *   starts after the last is joined, so no lock waits and the order is
 *   fixed. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void take(pthread_mutex_t *m) {
    pthread_mutex_lock(m);
    counter++;
    pthread_mutex_unlock(m);
}

static void *a(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m1);
    pthread_mutex_lock(&m2);
    counter++;
    pthread_mutex_unlock(&m2);
    pthread_mutex_unlock(&m1);
    take(&m2);
    return NULL;
}

static void *b(void *arg) {
    (void)arg;
    take(&m2);
    take(&m1);
    return NULL;
}

static void *c(void *arg) {
    (void)arg;
    take(&m2);
    take(&m1);
    return NULL;
}

int main(void) {
    void *(*fns[3])(void *) = {a, b, c};
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, fns[i], NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
    }
    printf("%ld\n", counter);
    return 0;
}
