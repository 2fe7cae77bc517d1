/* pthread_loop_capture: the seed's loop-variable capture in plain C with
 * pthreads. The loop passes &i to every thread; each thread reads *arg
 * whenever it runs, by which time the loop may have moved i on (or left
 * its scope): the threads see the same or later values, not their own.
 * The fix is pthread_loop_capture_fixed. Plain pthreads, no libweft. */
#include <pthread.h>
#include <stdio.h>

static int seen[4];

static void *worker(void *arg) {
    int i = *(int *)arg; /* reads the loop's variable, not a copy */
    if (i >= 0 && i < 4)
        __atomic_fetch_add(&seen[i], 1, __ATOMIC_RELAXED);
    return NULL;
}

int main(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, &i); /* BUG: every thread gets the address of the same i */
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
