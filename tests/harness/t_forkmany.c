/* t_forkmany.c: forks N children (argv[1], default 100), one after the
 * other; each runs three threads that it joins, then exits 0. The parent
 * prints how many children exited 0. For the ingest's memory on many
 * short-lived processes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int counter;

static void *work(void *a) {
    (void)a;
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100, ok = 0;
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            pthread_t t[3];
            for (int k = 0; k < 3; k++)
                pthread_create(&t[k], NULL, work, NULL);
            for (int k = 0; k < 3; k++)
                pthread_join(t[k], NULL);
            _exit(0);
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
    }
    printf("%d children ok\n", ok);
    return 0;
}
/* SPDX-License-Identifier: MIT */
