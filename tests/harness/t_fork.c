/* t_fork.c: a thread runs while main forks; the child makes a thread of its
 * own, then leaves with _exit(9); the parent waits and exits with the
 * child's status + 1. With an argument, main also locks a mutex at one
 * call site (take) just before the fork, and the child at the same site
 * first thing: the child's lock must carry that site of its own (the
 * shim's per-thread site ids are the parent's log's, not the child's). */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void take(void) {
    pthread_mutex_lock(&m); /* the site */
    pthread_mutex_unlock(&m);
}

static void *work(void *a) {
    (void)a;
    usleep(1000);
    return NULL;
}

int main(int argc, char **argv) {
    (void)argv;
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    fflush(stdout);
    if (argc > 1)
        take();
    pid_t pid = fork();
    if (pid == 0) {
        if (argc > 1)
            take();
        pthread_t c;
        pthread_create(&c, NULL, work, NULL);
        pthread_join(c, NULL);
        _exit(9);
    }
    pthread_join(t, NULL);
    int st;
    waitpid(pid, &st, 0);
    printf("child %d\n", WEXITSTATUS(st));
    return WEXITSTATUS(st) + 1;
}
/* SPDX-License-Identifier: MIT */
