/* pthread_never_joined_fixed: main joins the thread it started (or it
 * would create it detached, if nobody needs its end). */
#include <pthread.h>
#include <stdio.h>

static void *background(void *arg) {
    (void)arg;
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, background, NULL);
    pthread_join(t, NULL); /* FIX: its resources are released here */
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
