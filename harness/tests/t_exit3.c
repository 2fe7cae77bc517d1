/* t_exit3.c: a worker ends the process with exit(3) while main is blocked
 * joining it (Go's log.Fatal in a goroutine). Neither is a leak: the
 * worker is the process's end, and main waits on that very thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *worker(void *a) {
    (void)a;
    printf("worker: fatal\n");
    exit(3);
}

int main(void) {
    pthread_t t;
    printf("main: start\n");
    fflush(stdout);
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    printf("main: not reached\n");
    return 0;
}
