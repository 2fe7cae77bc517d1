/* SPDX-License-Identifier: MIT */
/* t_live.c: a program that runs for a while (argv[1] seconds, default 2)
 * so that a live ingest reads its logs in many steps: worker threads
 * taking turns at a mutex with short sleeps, threads started while it
 * runs (the trace gains threads between steps), a child forked half way
 * (a log that appears while the ingest runs) that works the same way,
 * and in each process one thread left unjoined (a finding to compare).
 * argv[2]: the locks between two sleeps (default 50; more: a bigger log).
 * Prints "live ok". */
#define _GNU_SOURCE /* syscall(SYS_gettid) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static double seconds = 2;
static int rounds = 50;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void *work(void *a) {
    double until = *(double *)a;
    struct timespec nap = {0, 2000000};
    while (now() < until) {
        for (int i = 0; i < rounds; i++) {
            pthread_mutex_lock(&mu);
            counter++;
            pthread_mutex_unlock(&mu);
        }
        nanosleep(&nap, NULL);
    }
    return NULL;
}

static void *quick(void *a) {
    (void)a;
    return NULL;
}

/* The leaked thread's kernel id: main waits until it is gone, so that
 * its end is in the log (an unjoined-thread finding, on every schedule). */
static volatile pid_t leak_tid;

static void *leaked(void *a) {
    (void)a;
    leak_tid = (pid_t)syscall(SYS_gettid);
    return NULL;
}

static void run(double until) {
    pthread_t t[3], late;
    for (int k = 0; k < 3; k++)
        pthread_create(&t[k], NULL, work, &until);
    /* threads that come and go while it runs */
    struct timespec nap = {0, 50000000};
    while (now() < until) {
        pthread_create(&late, NULL, quick, NULL);
        pthread_join(late, NULL);
        nanosleep(&nap, NULL);
    }
    for (int k = 0; k < 3; k++)
        pthread_join(t[k], NULL);
    pthread_t leak;
    leak_tid = 0;
    pthread_create(&leak, NULL, leaked, NULL); /* never joined */
    char path[64];
    for (int i = 0; i < 2000; i++) { /* up to 20 s */
        struct timespec ms10 = {0, 10000000};
        if (leak_tid) {
            snprintf(path, sizeof path, "/proc/self/task/%d", (int)leak_tid);
            if (access(path, F_OK) != 0)
                break;
        }
        nanosleep(&ms10, NULL);
    }
}

int main(int argc, char **argv) {
    if (argc > 1)
        seconds = atof(argv[1]);
    if (argc > 2)
        rounds = atoi(argv[2]);
    double start = now();
    pid_t pid = -1;
    struct timespec half = {(time_t)(seconds / 2),
                            (long)((seconds / 2 - (time_t)(seconds / 2)) * 1e9)};
    nanosleep(&half, NULL);
    pid = fork();
    if (pid == 0) {
        run(now() + seconds / 4);
        return 0;
    }
    run(start + seconds);
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    puts("live ok");
    return 0;
}
