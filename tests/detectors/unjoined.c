/* unjoined: a joinable thread finishes and is never joined nor detached
 * (unjoined-thread); with "detach" main detaches it after it finished
 * (fine); with "join" main joins it. main waits until the kernel has
 * removed the thread, so "finished" is certain at exit. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asleep.h"

static _Atomic pid_t os_tid;

static void *work(void *arg) {
    os_tid = test_gettid();
    return arg;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    test_wait_gone(&os_tid);
    if (!strcmp(mode, "detach"))
        pthread_detach(t);
    else if (!strcmp(mode, "join"))
        pthread_join(t, NULL);
    return 0;
}
/* SPDX-License-Identifier: MIT */
