/* t_cancel.c: a thread blocked in pause() is cancelled and joined. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *blocker(void *a) {
    (void)a;
    for (;;)
        pause();
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, blocker, NULL);
    usleep(10000);
    pthread_cancel(t);
    void *r;
    pthread_join(t, &r);
    printf("%s\n", r == PTHREAD_CANCELED ? "canceled" : "not canceled");
    return r == PTHREAD_CANCELED ? 0 : 1;
}
/* SPDX-License-Identifier: MIT */
