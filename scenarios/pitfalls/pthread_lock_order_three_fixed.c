/* pthread_lock_order_three_fixed: each diner takes the lower-numbered
 * of its two forks first (the last one takes fork 0, then fork 2), so
 * the forks are always taken in one order and the cycle is gone. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static pthread_mutex_t fork_mu[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                     PTHREAD_MUTEX_INITIALIZER};
static int meals[3];
static atomic_int turn;

static void *diner(void *arg) {
    int i = *(int *)arg, left = i, right = (i + 1) % 3;
    int lo = left < right ? left : right, hi = left < right ? right : left;
    while (atomic_load(&turn) != i)
        sched_yield();
    pthread_mutex_lock(&fork_mu[lo]);
    pthread_mutex_lock(&fork_mu[hi]);
    meals[i]++;
    pthread_mutex_unlock(&fork_mu[hi]);
    pthread_mutex_unlock(&fork_mu[lo]);
    atomic_store(&turn, i + 1);
    return NULL;
}

int main(void) {
    pthread_t t[3];
    int ids[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, diner, &ids[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("meals %d %d %d\n", meals[0], meals[1], meals[2]);
    return 0;
}
/* SPDX-License-Identifier: MIT */
