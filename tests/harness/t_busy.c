/* t_busy.c: a log big enough that ingest reads it on several threads
 * (over 64 chunks per process, over 8192 records): two processes, each
 * with two threads taking turns at a contended mutex, so that locks wait
 * (begin and end records) as well as not. Prints "busy ok". */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ROUNDS = 60000 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *work(void *a) {
    (void)a;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static int run(void) {
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, work, NULL);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    return counter == 2L * ROUNDS;
}

int main(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(run() ? 0 : 1);
    int ok = run(), st = 0;
    waitpid(pid, &st, 0);
    ok = ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf(ok ? "busy ok\n" : "busy bad\n");
    return ok ? 0 : 1;
}
/* SPDX-License-Identifier: MIT */
