/* SPDX-License-Identifier: MIT */
/* t_prewarm.c: a program that leaves the CPUs idle for argv[1] ms (a
 * sleep), then starts a thread that blocks for good and returns from
 * main: a leaked thread whose creation stack runs through libc, so that
 * the trace needs libc's debug file (weft run may load it while the
 * program sleeps: cli/prewarm.c). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void *blocked(void *arg) {
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 300;
    usleep((useconds_t)(ms * 1000));
    pthread_t t;
    if (pthread_create(&t, NULL, blocked, NULL) != 0)
        return 1;
    usleep(20000);
    return 0;
}
