/* t_sync.c: pthread sync objects and fds used as channels: a contended
 * mutex, a condvar handshake, a semaphore, a barrier; a pipe whose reader
 * is closed (write fails with EPIPE, errno kept), a double close (EBADF,
 * errno kept), dup2 and a socketpair and an eventfd. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "asleep.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static sem_t sem;
static pthread_barrier_t bar;

static _Atomic pid_t worker_tid, main_tid;

static void *worker(void *a) {
    (void)a;
    worker_tid = test_gettid();
    pthread_mutex_lock(&mu);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    test_wait_asleep(&main_tid); /* main waits in sem_wait */
    sem_post(&sem);
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(void) {
    int bad = 0;
    sem_init(&sem, 0, 0);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_mutex_lock(&mu);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    test_wait_asleep(&worker_tid); /* the worker waits for mu: contention */
    while (!ready)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    main_tid = test_gettid();
    sem_wait(&sem);
    pthread_barrier_wait(&bar);
    pthread_join(t, NULL);

    signal(SIGPIPE, SIG_IGN);
    int p[2];
    pipe(p);
    close(p[0]);
    errno = 0;
    if (write(p[1], "x", 1) != -1 || errno != EPIPE)
        bad++;
    close(p[1]);
    errno = 0;
    if (close(p[1]) != -1 || errno != EBADF) /* double close */
        bad++;
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    int d = dup(s[0]);
    dup2(s[1], d);
    close(d);
    close(s[0]);
    close(s[1]);
    int e = eventfd(0, 0);
    close(e);
    printf("%d bad\n", bad);
    return bad;
}
/* SPDX-License-Identifier: MIT */
