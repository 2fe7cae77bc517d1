/* wg: WaitGroup uses. Modes:
 *   worker-add-lucky    the worker Adds; main sleeps, then Waits: Add ran
 *                       first, but nothing orders it (wg-add-concurrent-with-wait)
 *   worker-add-unlucky  same without the sleep (usually Wait runs first)
 *   worker-add-cond     the worker Adds, then tells main through a condvar
 *                       before main's Wait (fine)
 *   worker-add-mutex    the worker Adds, sets a flag under a mutex and ends;
 *                       main, once it is gone, reads the flag under the
 *                       mutex, then Waits: ordered by the mutex alone (fine)
 *   worker-add-timedwait the worker Adds and sets a flag under the mutex
 *                       while main sleeps in a timed wait on a condvar
 *                       nobody signals: main sees the flag when its wait
 *                       times out and takes the mutex back (fine)
 *   worker-add-rwlock   the same through a flag under a rwlock (fine)
 *   worker-add-chan     the same through a weft channel (fine)
 *   worker-add-psem     the same through a POSIX semaphore (fine)
 *   main-add            Add before starting the goroutine (fine)
 *   negative            Done on an empty group (wg-negative-counter)
 *   reuse               a new Add while a Wait of the previous round has
 *                       not returned (wg-reused-before-wait-returned)
 *   reuse-ok            the new round starts after the waiter was joined */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <weft/weft.h>

#include "asleep.h"

static weft_wg wg;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int added;
static _Atomic pid_t worker_tid, waiter_tid;
static volatile int in_handler, go_on;

static void worker(void *arg) {
    worker_tid = test_gettid();
    weft_wg_add(&wg, 1);
    if (arg) {
        pthread_mutex_lock(&mu);
        added = 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    weft_wg_done(&wg);
}

/* The worker's Add reaches main's Wait through a rwlock or a POSIX
 * semaphore only: the detectors must see those as ordering too. */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t psem;

static void worker_rw(void *arg) {
    (void)arg;
    weft_wg_add(&wg, 1);
    pthread_rwlock_wrlock(&rw);
    added = 1;
    pthread_rwlock_unlock(&rw);
    weft_wg_done(&wg);
}

static _Atomic pid_t main_tid;

static void worker_mutex(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    weft_wg_add(&wg, 1);
    pthread_mutex_lock(&mu);
    added = 1;
    pthread_mutex_unlock(&mu);
    weft_wg_done(&wg);
}

static void worker_quiet(void *arg) {
    (void)arg;
    weft_wg_add(&wg, 1);
    test_wait_futex(&main_tid); /* main sleeps in its timed wait */
    pthread_mutex_lock(&mu);
    added = 1; /* no signal: main finds it when its wait times out */
    pthread_mutex_unlock(&mu);
    weft_wg_done(&wg);
}

static weft_chan *handoff;

static void worker_chan(void *arg) {
    (void)arg;
    weft_wg_add(&wg, 1);
    int v = 1;
    weft_chan_send(handoff, &v);
    weft_wg_done(&wg);
}

static void worker_psem(void *arg) {
    (void)arg;
    weft_wg_add(&wg, 1);
    sem_post(&psem);
    weft_wg_done(&wg);
}

/* arg: where to store the thread's id first (or NULL) */
static void done(void *arg) {
    if (arg)
        *(_Atomic pid_t *)arg = test_gettid();
    weft_wg_done(&wg);
}

static void *waiter(void *arg) {
    (void)arg;
    waiter_tid = test_gettid();
    weft_wg_wait(&wg);
    return NULL;
}

/* Holds the waiter inside Wait (in a signal handler) until main lets it
 * go: the new round's Add then surely comes before that Wait returns. */
static void slow_handler(int sig) {
    (void)sig;
    in_handler = 1;
    struct timespec ts = {0, 1000 * 1000};
    while (!go_on)
        nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "worker-add-lucky") || !strcmp(m, "worker-add-unlucky")) {
        weft_go(worker, NULL);
        if (!strcmp(m, "worker-add-lucky"))
            usleep(20000);
        weft_wg_wait(&wg);
        test_wait_gone(&worker_tid); /* the unlucky Add may come after Wait */
    } else if (!strcmp(m, "worker-add-cond")) {
        weft_go(worker, &mu);
        pthread_mutex_lock(&mu);
        while (!added)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        weft_wg_wait(&wg);
    } else if (!strcmp(m, "worker-add-mutex")) {
        weft_go(worker_mutex, NULL);
        test_wait_gone(&worker_tid); /* through /proc: orders nothing */
        pthread_mutex_lock(&mu);
        int seen = added;
        pthread_mutex_unlock(&mu);
        if (!seen)
            return 3;
        weft_wg_wait(&wg);
    } else if (!strcmp(m, "worker-add-timedwait")) {
        main_tid = test_gettid();
        pthread_mutex_lock(&mu);
        weft_go(worker_quiet, NULL);
        while (!added) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 20 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&cv, &mu, &ts);
        }
        pthread_mutex_unlock(&mu);
        weft_wg_wait(&wg);
    } else if (!strcmp(m, "worker-add-rwlock")) {
        weft_go(worker_rw, NULL);
        for (int seen = 0; !seen; sched_yield()) {
            pthread_rwlock_rdlock(&rw);
            seen = added;
            pthread_rwlock_unlock(&rw);
        }
        weft_wg_wait(&wg);
    } else if (!strcmp(m, "worker-add-chan")) {
        handoff = weft_chan_make(sizeof(int), 0);
        weft_go(worker_chan, NULL);
        int v;
        weft_chan_recv(handoff, &v);
        weft_wg_wait(&wg);
    } else if (!strcmp(m, "worker-add-psem")) {
        sem_init(&psem, 0, 0);
        weft_go(worker_psem, NULL);
        while (sem_wait(&psem) != 0) {
        }
        weft_wg_wait(&wg);
    } else if (!strcmp(m, "main-add")) {
        static _Atomic pid_t done_tid[4];
        for (int i = 0; i < 4; i++) {
            weft_wg_add(&wg, 1);
            weft_go(done, &done_tid[i]);
        }
        weft_wg_wait(&wg);
        /* A thread whose Done woke the Wait may still be returning: main
         * waits for each to end (as goleak would), or the exit finds one
         * running and rightly calls it leaked (1 run in 20 under CI's
         * load). */
        for (int i = 0; i < 4; i++)
            test_wait_gone(&done_tid[i]);
    } else if (!strcmp(m, "negative")) {
        weft_wg_done(&wg); /* key: done */
    } else if (!strcmp(m, "reuse") || !strcmp(m, "reuse-ok")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = slow_handler;
        sigaction(SIGUSR1, &sa, NULL);
        weft_wg_add(&wg, 1);
        pthread_t t;
        pthread_create(&t, NULL, waiter, NULL);
        test_wait_futex(&waiter_tid); /* the waiter sleeps in Wait */
        if (!strcmp(m, "reuse")) {
            pthread_kill(t, SIGUSR1); /* ... and is held in the handler */
            while (!in_handler)
                usleep(1000);
        }
        weft_wg_done(&wg);
        if (!strcmp(m, "reuse-ok"))
            pthread_join(t, NULL);
        weft_wg_add(&wg, 1); /* round 2 */
        go_on = 1;
        weft_wg_done(&wg);
        if (!strcmp(m, "reuse"))
            pthread_join(t, NULL);
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
