/* pthread_mutex_at_exit: a mutex held at thread exit. The worker locks the
 * table, hits an error and returns without unlocking; the mutex stays
 * locked by a thread that no longer exists, and the next thread to lock it
 * waits forever (here main only checks with trylock). The fix is
 * pthread_mutex_at_exit_fixed. Plain pthreads, no libweft. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static int table[4];

static void *worker(void *arg) {
    int slot = *(int *)arg;
    pthread_mutex_lock(&table_mu); /* the lock weft reports as held at exit */
    if (slot < 0 || slot >= 4)
        return NULL; /* BUG: the error path returns with table_mu locked */
    table[slot]++;
    pthread_mutex_unlock(&table_mu);
    return NULL;
}

int main(void) {
    int slot = 7;
    pthread_t t;
    pthread_create(&t, NULL, worker, &slot);
    pthread_join(t, NULL);
    printf("table lock %s\n", pthread_mutex_trylock(&table_mu) == EBUSY ? "still held" : "free");
    return 0;
}
/* SPDX-License-Identifier: MIT */
