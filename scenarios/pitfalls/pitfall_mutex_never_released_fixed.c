/* pitfall_mutex_never_released_fixed: the early return unlocks too, so the
 * refresher gets the lock; main waits for it. */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static weft_wg wg;

static void refresher(void *arg) {
    (void)arg;
    pthread_mutex_lock(&cache_mu);
    pthread_mutex_unlock(&cache_mu);
    weft_wg_done(&wg);
}

static int lookup(int key) {
    pthread_mutex_lock(&cache_mu);
    if (key < 0) {
        pthread_mutex_unlock(&cache_mu); /* FIX: unlock on every path */
        return -1;
    }
    pthread_mutex_unlock(&cache_mu);
    return key;
}

int main(void) {
    lookup(-1);
    weft_wg_add(&wg, 1);
    weft_go(refresher, NULL);
    weft_wg_wait(&wg);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
