/* t_fork.c: a thread runs while main forks; the child makes a thread of its
 * own, then leaves with _exit(9); the parent waits and exits with the
 * child's status + 1. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *work(void *a) {
    (void)a;
    usleep(1000);
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
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
