/* t_sigkill.c: SIGKILL of itself with threads alive, one blocked in join:
 * no handler can run, the log must hold everything recorded before. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "asleep.h"

static pthread_t t[3];
static _Atomic pid_t joiner_tid;

static void *sleeper(void *a) {
    (void)a;
    for (;;)
        pause();
    return NULL;
}

static void *joiner(void *a) {
    (void)a;
    joiner_tid = test_gettid();
    pthread_join(t[0], NULL);
    return NULL;
}

int main(void) {
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, sleeper, NULL);
    pthread_t j;
    pthread_create(&j, NULL, joiner, NULL);
    test_wait_asleep(&joiner_tid);
    kill(getpid(), SIGKILL);
    return 0;
}
/* SPDX-License-Identifier: MIT */
