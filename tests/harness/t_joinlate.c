/* SPDX-License-Identifier: MIT */
/* t_joinlate.c: 3 threads created and joined one after the other, run
 * with libjoinlate.so behind the shim (see joinlate.c): every join's end
 * is recorded after another thread took the joined one's handle. Then 3
 * threads created and detached: each detach is recorded after the
 * detached thread ended and a new thread took its handle. */
#include <pthread.h>
#include <stdio.h>

static void *worker(void *a) {
    return a;
}

static void *detached(void *a) {
    return a;
}

int main(void) {
    for (long i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, worker, (void *)i);
        pthread_join(t, NULL);
    }
    puts("joined 3");
    for (long i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, detached, (void *)i);
        pthread_detach(t);
    }
    puts("detached 3");
    return 0;
}
