/* SPDX-License-Identifier: MIT */
/* t_sigwait.c: a thread blocked for good in sem_wait gets SIGUSR1, whose
 * handler takes a mutex (sigwait.sh). Usage: t_sigwait MODE:
 *   none   no signal
 *   lock   six signals; each time the handler locks the free mutex and
 *          unlocks it: a lock that did not wait is one end record with
 *          no begin of its own, and from the second on a relock the
 *          ingest folds
 *   wait   main holds the mutex when it signals and unlocks it once the
 *          handler waits for it: the handler's lock waits (a begin and
 *          an end inside the sem_wait)
 *   stuck  main holds the mutex for good: the thread is left waiting in
 *          the handler's lock, inside its sem_wait
 * The handler returns into sem_wait (SA_RESTART, and the wait is taken
 * again on EINTR), so that the thread is left there at exit in every mode
 * but stuck. main prints how many times the handler ran and returns
 * without posting. The lines the tests look for carry a marker comment
 * (LINE:name). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "asleep.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t s;
static _Atomic pid_t waiter_tid;
static atomic_int entered, handled;

static void on_usr1(int sig) {
    (void)sig;
    atomic_fetch_add(&entered, 1);
    pthread_mutex_lock(&m); /* LINE:handler */
    pthread_mutex_unlock(&m);
    atomic_fetch_add(&handled, 1);
}

static void *waiter(void *a) {
    (void)a;
    waiter_tid = test_gettid();
    while (sem_wait(&s) != 0 && errno == EINTR) /* LINE:wait */
        ;
    return NULL;
}

/* Signals the waiter and waits until its handler is inside its lock
 * (asleep there when main holds the mutex). */
static void signal_waiter(pthread_t th) {
    int before = atomic_load(&entered);
    pthread_kill(th, SIGUSR1);
    while (atomic_load(&entered) == before)
        usleep(1000);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "none";
    sem_init(&s, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    test_wait_asleep(&waiter_tid);
    if (!strcmp(mode, "lock")) {
        for (int i = 0; i < 6; i++) {
            int before = atomic_load(&handled);
            signal_waiter(th);
            while (atomic_load(&handled) == before)
                usleep(1000);
            test_wait_asleep(&waiter_tid); /* back in sem_wait */
        }
    } else if (!strcmp(mode, "wait") || !strcmp(mode, "stuck")) {
        pthread_mutex_lock(&m);
        signal_waiter(th);
        test_wait_asleep(&waiter_tid); /* in the handler's lock */
        if (!strcmp(mode, "wait")) {
            pthread_mutex_unlock(&m);
            while (atomic_load(&handled) == 0)
                usleep(1000);
            test_wait_asleep(&waiter_tid); /* back in sem_wait */
        }
    }
    printf("handled %d\n", atomic_load(&handled));
    return 0;
}
