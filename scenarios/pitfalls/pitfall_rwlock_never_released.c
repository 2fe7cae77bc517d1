/* pitfall_rwlock_never_released: a write lock never released (Go's
 * goroutine-leak test "RWMutex"). main takes the config's write lock to
 * update it, bails out on a validation error without the unlock, and the
 * reader goroutine waits for its read lock forever. */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;
static int config = 1;

static void reader(void *arg) {
    (void)arg;
    pthread_rwlock_rdlock(&config_lock); /* BUG: the writer never unlocks: this waits forever */
    printf("config %d\n", config);
    pthread_rwlock_unlock(&config_lock);
}

static int update(int v) {
    pthread_rwlock_wrlock(&config_lock);
    if (v <= 0)
        return -1; /* the error path keeps the write lock */
    config = v;
    pthread_rwlock_unlock(&config_lock);
    return 0;
}

int main(void) {
    update(0);
    weft_go(reader, NULL);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
