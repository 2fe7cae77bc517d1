/* pthread_never_joined: a thread never joined. main starts a joinable
 * thread and forgets it: the thread finishes, but its stack and its
 * descriptor stay allocated until someone joins it (the pthread form of
 * a zombie); a program that does this per request runs out of memory.
 * Join it, or create it detached. The fix is pthread_never_joined_fixed.
 * (main waits until the thread is gone, only so that it has surely
 * finished.) Plain pthreads, no libweft. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "settle.h"

static int tid_pipe[2];

static void *background(void *arg) {
    (void)arg;
    long tid = (long)syscall(SYS_gettid);
    if (write(tid_pipe[1], &tid, sizeof tid) != sizeof tid)
        return NULL;
    return NULL;
}

int main(void) {
    if (pipe(tid_pipe) != 0)
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, background, NULL); /* BUG: joinable, and never joined */
    long tid = 0;
    if (read(tid_pipe[0], &tid, sizeof tid) != sizeof tid)
        return 1;
    settle_thread_gone(tid);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
