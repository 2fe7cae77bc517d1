/* t_worker_exit.c: a worker calls exit(4) while main is blocked in join. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void *worker(void *a) {
    (void)a;
    usleep(10000);
    exit(4);
}

static void *blocker(void *a) {
    (void)a;
    pause();
    return NULL;
}

int main(void) {
    pthread_t t, b;
    pthread_create(&b, NULL, blocker, NULL);
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(b, NULL);
    return 0;
}
/* SPDX-License-Identifier: MIT */
