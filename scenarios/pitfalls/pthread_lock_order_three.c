/* pthread_lock_order_three: three diners at a round table, each takes
 * the fork on the left, then the one on the right: fork 0 before 1, 1
 * before 2, 2 before 0, a cycle of three locks that no two threads
 * show alone. This run does not hang (the diners eat in turn, kept
 * apart by an atomic counter weft does not see); if all three pick up
 * their left fork at once, none ever eats. The fix is
 * pthread_lock_order_three_fixed. Plain pthreads, no libweft. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static pthread_mutex_t fork_mu[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                     PTHREAD_MUTEX_INITIALIZER};
static int meals[3];
static atomic_int turn;

static void *diner(void *arg) {
    int i = *(int *)arg;
    while (atomic_load(&turn) != i)
        sched_yield();
    pthread_mutex_lock(&fork_mu[i]);
    pthread_mutex_lock(&fork_mu[(i + 1) % 3]); /* BUG: the last diner closes the cycle */
    meals[i]++;
    pthread_mutex_unlock(&fork_mu[(i + 1) % 3]);
    pthread_mutex_unlock(&fork_mu[i]);
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
