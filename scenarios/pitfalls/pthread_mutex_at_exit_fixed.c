/* pthread_mutex_at_exit_fixed: every path out of the locked region
 * unlocks (one exit point after the unlock). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static int table[4];

static void *worker(void *arg) {
    int slot = *(int *)arg;
    pthread_mutex_lock(&table_mu);
    if (slot >= 0 && slot < 4)
        table[slot]++;
    pthread_mutex_unlock(&table_mu); /* FIX: unlocked on every path */
    return NULL;
}

int main(void) {
    int slot = 7;
    pthread_t t;
    pthread_create(&t, NULL, worker, &slot);
    pthread_join(t, NULL);
    int busy = pthread_mutex_trylock(&table_mu) == EBUSY;
    printf("table lock %s\n", busy ? "still held" : "free");
    if (!busy)
        pthread_mutex_unlock(&table_mu);
    return 0;
}
/* SPDX-License-Identifier: MIT */
