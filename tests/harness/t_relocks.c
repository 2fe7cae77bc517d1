/* SPDX-License-Identifier: MIT */
/* t_relocks.c: the lock patterns a fold of relock pairs must leave exact
 * (tests/differential/relock_diff.sh ingests its trace with folding and
 * without, and every table must agree):
 *   - cycling: two mutexes taken in turn, B A A, N times (sqlite's shape);
 *   - nested: a relock loop on one mutex while another is held (no relock
 *     may fold: the acquisitions are lock-order edges);
 *   - order: a lock-order inversion (A then B here, B then A there) with
 *     relock loops around it;
 *   - condvar: a producer and a consumer through a condition variable,
 *     relocking between hand-offs;
 *   - trylock: relocks by trylock, and a failed trylock of a held mutex;
 *   - remade: a mutex destroyed and made again at its address, relocked;
 *   - contended: two threads relocking one mutex, taking it from each
 *     other now and then;
 *   - leaked: a thread that unlocks a mutex main then takes (a release main
 *     acquires), then relocks another forever: leaked at main's exit, with
 *     a last release main never acquired;
 *   - blocked: a thread left waiting at exit for a mutex a relocking thread
 *     holds.
 * Ends by exit(0) with the last two threads still running. N = argv[1]
 * (default 2000). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long n = 2000;
static volatile long sink;
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t x = PTHREAD_MUTEX_INITIALIZER, y = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t q = PTHREAD_MUTEX_INITIALIZER, g = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t r0 = PTHREAD_MUTEX_INITIALIZER, spin = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER, mine = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t remade;
static int items, done_producing;
static volatile int leaked_ready, holder_ready;

static void relock(pthread_mutex_t *m, long times) {
    for (long i = 0; i < times; i++) {
        pthread_mutex_lock(m);
        sink++;
        pthread_mutex_unlock(m);
    }
}

static void *cycling(void *arg) {
    (void)arg;
    for (long i = 0; i < n; i++) {
        relock(&b, 1);
        relock(&a, 2);
    }
    return NULL;
}

static void *nested(void *arg) {
    (void)arg;
    pthread_mutex_lock(&x);
    relock(&y, n / 4);
    pthread_mutex_unlock(&x);
    relock(&y, n / 4);
    return NULL;
}

static void *order_ab(void *arg) {
    (void)arg;
    relock(&a, 50);
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    relock(&b, 50);
    return NULL;
}

static void *order_ba(void *arg) {
    (void)arg;
    relock(&b, 50);
    pthread_mutex_lock(&b);
    pthread_mutex_lock(&a);
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    relock(&a, 50);
    return NULL;
}

static void *producer(void *arg) {
    (void)arg;
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&q);
        items++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&q);
        relock(&g, 5);
    }
    pthread_mutex_lock(&q);
    done_producing = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&q);
    return NULL;
}

static void *consumer(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q);
        while (!items && !done_producing)
            pthread_cond_wait(&cv, &q);
        if (!items && done_producing) {
            pthread_mutex_unlock(&q);
            return NULL;
        }
        items--;
        pthread_mutex_unlock(&q);
        relock(&q, 3);
    }
}

static void *trylocks(void *arg) {
    (void)arg;
    for (long i = 0; i < n / 4; i++)
        if (pthread_mutex_trylock(&g) == 0) {
            sink++;
            pthread_mutex_unlock(&g);
        }
    pthread_mutex_lock(&held);
    if (pthread_mutex_trylock(&held) == 0) /* a normal mutex: EBUSY */
        pthread_mutex_unlock(&held);
    pthread_mutex_unlock(&held);
    return NULL;
}

static void *remaking(void *arg) {
    (void)arg;
    for (int k = 0; k < 3; k++) {
        pthread_mutex_init(&remade, NULL);
        relock(&remade, 40);
        pthread_mutex_destroy(&remade);
    }
    return NULL;
}

/* Two of these relock spin at once: each relock of one is taken back
 * from the other now and then (those pairs keep their rows). */
static void *contended(void *arg) {
    (void)arg;
    relock(&spin, n / 4);
    return NULL;
}

/* Unlocks r0 (main takes it next), then relocks its own mutex forever:
 * it unlocked that one last already, so every pair after r0 folds, and
 * only their releases (which main never acquires) say it is not merely
 * finishing. */
static void *leaked(void *arg) {
    (void)arg;
    relock(&mine, 1);
    pthread_mutex_lock(&r0);
    leaked_ready = 1;
    pthread_mutex_unlock(&r0);
    for (;;)
        relock(&mine, 1);
    return NULL;
}

/* Takes held and keeps relocking it, so that main's waiter stays blocked
 * (or, if it gets it once, ends). */
static void *holder(void *arg) {
    (void)arg;
    pthread_mutex_lock(&held);
    holder_ready = 1;
    for (;;) {
        pthread_mutex_unlock(&held);
        pthread_mutex_lock(&held);
        usleep(100);
    }
    return NULL;
}

static void *waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&held); /* the holder keeps it */
    pthread_mutex_unlock(&held);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1)
        n = atol(argv[1]);
    void *(*joined[])(void *) = {cycling,  nested,   order_ab, order_ba,  producer,
                                 consumer, trylocks, remaking, contended, contended};
    enum { NJ = sizeof joined / sizeof *joined };
    pthread_t t[NJ];
    for (int i = 0; i < NJ; i++)
        if (pthread_create(&t[i], NULL, joined[i], NULL) != 0)
            return 1;
    for (int i = 0; i < NJ; i++)
        pthread_join(t[i], NULL);
    pthread_t lt, ht, wt;
    if (pthread_create(&lt, NULL, leaked, NULL) != 0 ||
        pthread_create(&ht, NULL, holder, NULL) != 0)
        return 1;
    while (!leaked_ready || !holder_ready)
        usleep(100);
    pthread_mutex_lock(&r0); /* acquires the leaked thread's last unlock of r0 */
    pthread_mutex_unlock(&r0);
    if (pthread_create(&wt, NULL, waiter, NULL) != 0)
        return 1;
    usleep(20000);
    printf("%ld\n", sink > 0 ? 1L : 0L);
    fflush(stdout);
    exit(0);
}
