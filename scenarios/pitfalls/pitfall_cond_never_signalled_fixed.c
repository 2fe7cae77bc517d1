/* pitfall_cond_never_signalled_fixed: whoever sets `ready` does it under
 * the mutex and signals, so the waiter's predicate loop ends. */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;
static weft_wg wg;

static void waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!ready)
        pthread_cond_wait(&cond, &mu);
    pthread_mutex_unlock(&mu);
    weft_wg_done(&wg);
}

int main(void) {
    weft_wg_add(&wg, 1);
    weft_go(waiter, NULL);
    pthread_mutex_lock(&mu);
    ready = 1;
    pthread_cond_signal(&cond); /* FIX: the change is signalled */
    pthread_mutex_unlock(&mu);
    weft_wg_wait(&wg);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
