/* t_threads.c: threads created, joined, detached, named; a thread that
 * ends by pthread_exit; exit status 3 from main. The test checks that each
 * shows up in the trace with the right state. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *ret_arg(void *a) {
    return a;
}
static void *by_exit(void *a) {
    pthread_exit(a);
}
static void *sleeper(void *a) {
    (void)a;
    usleep(20000);
    return NULL;
}

int main(void) {
    pthread_t j1, j2, d1, e1, u1, n1;
    pthread_create(&j1, NULL, ret_arg, (void *)1);
    pthread_create(&j2, NULL, ret_arg, (void *)2);
    pthread_create(&d1, NULL, sleeper, NULL);
    pthread_detach(d1);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t d2;
    pthread_create(&d2, &at, sleeper, NULL);
    pthread_create(&e1, NULL, by_exit, (void *)5);
    pthread_create(&u1, NULL, ret_arg, NULL); /* never joined */
    pthread_create(&n1, NULL, sleeper, NULL);
    pthread_setname_np(n1, "named-one");
    void *r;
    pthread_join(j1, &r);
    pthread_join(j2, &r);
    pthread_join(e1, &r);
    pthread_join(n1, &r);
    usleep(50000); /* let the detached ones and u1 finish */
    printf("threads done\n");
    return 3;
}
/* SPDX-License-Identifier: MIT */
