/* pitfall_mutex_never_released: a mutex that is never unlocked (Go's
 * goroutine-leak test "Mutex"). main locks the cache, returns from its
 * early path without the unlock, and the goroutine that wants the cache
 * next waits for the lock forever. Pair every lock with its unlock on
 * every path (Go: defer mu.Unlock()). */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

static void refresher(void *arg) {
    (void)arg;
    pthread_mutex_lock(&cache_mu); /* BUG: main never unlocks it: this waits forever */
    pthread_mutex_unlock(&cache_mu);
}

static int lookup(int key) {
    pthread_mutex_lock(&cache_mu);
    if (key < 0)
        return -1; /* the early return skips the unlock */
    pthread_mutex_unlock(&cache_mu);
    return key;
}

int main(void) {
    lookup(-1);
    weft_go(refresher, NULL);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
