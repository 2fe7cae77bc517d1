/* unjoined: a joinable thread finishes and is never joined nor detached
 * (unjoined-thread); with "detach" main detaches it after it finished
 * (fine); with "join" main joins it; with "many N" N threads of one
 * loop are left unjoined before it (one finding of N threads, then that
 * thread's own). main waits until the kernel has removed each
 * thread, so "finished" is certain at exit. With "named NAME" the
 * thread names itself NAME, with "helper" main starts it through
 * spawn() (the suppressions' name= and spawner= terms). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asleep.h"

static _Atomic pid_t os_tid;

static const char *name;

static void *work(void *arg) {
    if (name)
        pthread_setname_np(pthread_self(), name);
    os_tid = test_gettid();
    return arg;
}

/* The thread's creator when "helper": its own frame under main's. */
__attribute__((noinline)) static void spawn(pthread_t *t) {
    pthread_create(t, NULL, work, NULL);
    __asm__ volatile("" ::: "memory"); /* no tail call: spawn stays on the stack */
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_t t;
    int n = !strcmp(mode, "many") && argc > 2 ? atoi(argv[2]) : 0;
    for (int i = 0; i < n; i++) {
        os_tid = 0;                           /* wait for this one, not the one before */
        pthread_create(&t, NULL, work, NULL); /* key: loop */
        test_wait_gone(&os_tid);
    }
    if (!strcmp(mode, "named") && argc > 2)
        name = argv[2];
    os_tid = 0;
    if (!strcmp(mode, "helper"))
        spawn(&t);
    else
        pthread_create(&t, NULL, work, NULL);
    test_wait_gone(&os_tid);
    if (!strcmp(mode, "detach"))
        pthread_detach(t);
    else if (!strcmp(mode, "join"))
        pthread_join(t, NULL);
    return 0;
}
/* SPDX-License-Identifier: MIT */
