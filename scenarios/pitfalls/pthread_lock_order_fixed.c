/* pthread_lock_order_fixed: every transfer locks the two accounts in
 * one global order (the lower account number first), whatever the
 * direction, so no two transfers can each hold what the other waits
 * for. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

struct account {
    pthread_mutex_t mu;
    long balance;
};
static struct account acct[2] = {{PTHREAD_MUTEX_INITIALIZER, 100}, {PTHREAD_MUTEX_INITIALIZER, 100}};
static atomic_int first_done;

static void transfer(struct account *from, struct account *to, long n) {
    struct account *lo = from < to ? from : to, *hi = from < to ? to : from;
    pthread_mutex_lock(&lo->mu);
    pthread_mutex_lock(&hi->mu);
    from->balance -= n;
    to->balance += n;
    pthread_mutex_unlock(&hi->mu);
    pthread_mutex_unlock(&lo->mu);
}

static void *pay(void *arg) {
    int dir = *(int *)arg;
    while (dir == 1 && !atomic_load(&first_done))
        sched_yield();
    transfer(&acct[dir], &acct[1 - dir], 10 * (dir + 1));
    atomic_store(&first_done, 1);
    return NULL;
}

int main(void) {
    pthread_t t[2];
    int dirs[2] = {0, 1};
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, pay, &dirs[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("balances %ld %ld\n", acct[0].balance, acct[1].balance);
    return 0;
}
/* SPDX-License-Identifier: MIT */
