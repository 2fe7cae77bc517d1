/* SPDX-License-Identifier: MIT */
/* t_runs.c: relock runs (log.h, WEFT_K_MUTEX_RUN), in the shapes the shim
 * must count exactly. The threads take turns (each joined, or waited for
 * by a flag, before the next starts), so that two runs record the same
 * events in the same order per thread (pipeline.sh's runs_same compares
 * a trace made with runs against one made without):
 *   - cycle: mutex b from one call site, then a from two others, N times
 *     (sqlite3's shape: three slots of a run), then another mutex from
 *     the run's last site;
 *   - five: five mutexes in turn, more than a run has slots for;
 *   - pause: relocks, a sleep of 250 ms (past the epoch a run may still
 *     be written in), relocks again;
 *   - between: a lock counted in a run, then a semaphore post (a record:
 *     the run is closed with its lock held), then the unlock;
 *   - ends holding: a thread that relocks, then returns with its mutex
 *     locked (lock-held-at-exit, the lock counted in its run);
 *   - held at exit: a thread that relocks, keeps its mutex locked and
 *     spins, and main ends the process by exit(0) meanwhile;
 *   - slow: 30 relocks 10 ms apart, a run that grows while a live reader
 *     may have read it already.
 * N = argv[1] (default 500); argv[2]: ms to sleep first (a live reader
 * reads nothing before its first second: its clock's calibration). */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t five[5] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                  PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                  PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t kept = PTHREAD_MUTEX_INITIALIZER, last = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t slow = PTHREAD_MUTEX_INITIALIZER, fresh = PTHREAD_MUTEX_INITIALIZER;
static sem_t s;
static volatile long sink;
static volatile int holding;
static long n = 500;

/* Each its own call site: noinline, one lock call in each. */
static __attribute__((noinline)) void take1(pthread_mutex_t *m) {
    pthread_mutex_lock(m);
    sink++;
    pthread_mutex_unlock(m);
}
static __attribute__((noinline)) void take2(pthread_mutex_t *m) {
    pthread_mutex_lock(m);
    sink++;
    pthread_mutex_unlock(m);
}
static __attribute__((noinline)) void take3(pthread_mutex_t *m) {
    pthread_mutex_lock(m);
    sink++;
    pthread_mutex_unlock(m);
}

static void relock(pthread_mutex_t *m, long times) {
    for (long i = 0; i < times; i++) {
        pthread_mutex_lock(m);
        sink++;
        pthread_mutex_unlock(m);
    }
}

/* times pairs, then one more lock kept, all from one call site (a new
 * site would write its stack, a record that ends the run first). */
static void relock_keep(pthread_mutex_t *m, long times) {
    for (long i = 0;; i++) {
        pthread_mutex_lock(m);
        if (i == times)
            return;
        sink++;
        pthread_mutex_unlock(m);
    }
}

static void *nothing(void *arg) {
    return arg;
}

static void *ends_holding(void *arg) {
    (void)arg;
    relock_keep(&kept, 10);
    return NULL;
}

static void *held_at_exit(void *arg) {
    (void)arg;
    relock_keep(&last, 10);
    holding = 1;
    for (;;)
        sink++;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1)
        n = atol(argv[1]);
    sem_init(&s, 0, 0);
    pthread_t t;
    if (argc > 2) {
        /* then a thread whose chunk's claim time, past the first second,
         * fixes the live reader's clock */
        usleep((useconds_t)atol(argv[2]) * 1000);
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
    }
    for (int i = 0; i < 30; i++) {
        relock(&slow, 1);
        usleep(10000);
    }
    for (long i = 0; i < n; i++) {
        take1(&b);
        take2(&a);
        take3(&a);
    }
    /* the run's last lock from take1's site, then a mutex's first lock
     * from there: its site is written, as the thread's last site is the
     * one before the run (stack.c's pc_last) */
    take1(&b);
    take1(&fresh);
    for (long i = 0; i < n; i++)
        relock(&five[i % 5], 1);
    relock(&a, n);
    usleep(250000);
    relock(&a, n);
    relock(&b, 10);
    pthread_mutex_lock(&b);
    sem_post(&s);
    pthread_mutex_unlock(&b);
    relock(&b, 10);
    pthread_create(&t, NULL, ends_holding, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, held_at_exit, NULL);
    while (!holding)
        sink++;
    exit(0);
}
