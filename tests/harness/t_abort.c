/* t_abort.c: abort() while another thread is blocked in pthread_join on a
 * thread that never ends. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "asleep.h"

static pthread_t forever;
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
    pthread_join(forever, NULL);
    return NULL;
}

int main(void) {
    pthread_t j;
    pthread_create(&forever, NULL, sleeper, NULL);
    pthread_create(&j, NULL, joiner, NULL);
    test_wait_asleep(&joiner_tid);
    abort();
}
/* SPDX-License-Identifier: MIT */
