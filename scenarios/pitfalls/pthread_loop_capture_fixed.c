/* pthread_loop_capture_fixed: a slot per thread that outlives it, so each
 * thread reads exactly its own value. */
#include <pthread.h>
#include <stdio.h>

static int seen[4];

static void *worker(void *arg) {
    int i = *(int *)arg;
    __atomic_fetch_add(&seen[i], 1, __ATOMIC_RELAXED);
    return NULL;
}

int main(void) {
    pthread_t t[4];
    int ids[4];
    for (int i = 0; i < 4; i++) {
        ids[i] = i;
        pthread_create(&t[i], NULL, worker, &ids[i]); /* FIX: a slot of its own per thread */
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        printf("worker %d ran %d time(s)\n", i, seen[i]);
    return 0;
}
/* SPDX-License-Identifier: MIT */
