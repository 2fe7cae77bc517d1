/* SPDX-License-Identifier: MIT */
/* t_pingpong.c: two threads take one mutex strictly in turn, HANDOFFS
 * times, so that each lock comes within a few hundred ns of the other
 * thread's unlock: the records of those handoffs must come in the trace
 * in the order they happened, every lock after the unlock it waited for
 * (harness:lock_pingpong). The turn is an atomic that weft does not see
 * (it orders nothing in the trace); a thread waiting for it spins, and
 * yields now and then so that a loaded machine still runs the other.
 * Stops after 3 s if it has not finished by then. Prints the number of
 * locks. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

enum { HANDOFFS = 100000 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int turn = 1, stop;
static atomic_long locks;
static struct timespec t0;

static int too_late(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec - t0.tv_sec > 3;
}

static void *hammer(void *arg) {
    int me = (int)(long)arg;
    for (int i = 0; i < HANDOFFS / 2; i++) {
        for (unsigned spin = 1; atomic_load(&turn) != me; spin++) {
            if (atomic_load(&stop))
                return NULL;
            if (spin % 256 == 0) {
                sched_yield();
                if (too_late()) {
                    atomic_store(&stop, 1);
                    return NULL;
                }
            }
        }
        pthread_mutex_lock(&mu);
        atomic_fetch_add(&locks, 1);
        pthread_mutex_unlock(&mu);
        atomic_store(&turn, 3 - me);
    }
    return NULL;
}

int main(void) {
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, hammer, (void *)(i + 1));
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("%ld\n", atomic_load(&locks));
    return 0;
}
