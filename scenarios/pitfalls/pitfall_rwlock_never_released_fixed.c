/* pitfall_rwlock_never_released_fixed: the error path releases the write
 * lock too, so the reader gets its read lock; main waits for it. */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>

static pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;
static int config = 1;
static weft_wg wg;

static void reader(void *arg) {
    (void)arg;
    pthread_rwlock_rdlock(&config_lock);
    printf("config %d\n", config);
    pthread_rwlock_unlock(&config_lock);
    weft_wg_done(&wg);
}

static int update(int v) {
    pthread_rwlock_wrlock(&config_lock);
    int r = -1;
    if (v > 0) {
        config = v;
        r = 0;
    }
    pthread_rwlock_unlock(&config_lock); /* FIX: one exit after the unlock */
    return r;
}

int main(void) {
    update(0);
    weft_wg_add(&wg, 1);
    weft_go(reader, NULL);
    weft_wg_wait(&wg);
    printf("main done\n");
    return 0;
}
/* SPDX-License-Identifier: MIT */
