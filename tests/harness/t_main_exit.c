/* t_main_exit.c: main ends with pthread_exit while a worker still runs;
 * the process exits 0 when the worker returns. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *worker(void *a) {
    (void)a;
    usleep(30000);
    printf("worker done\n");
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_exit(NULL);
}
/* SPDX-License-Identifier: MIT */
