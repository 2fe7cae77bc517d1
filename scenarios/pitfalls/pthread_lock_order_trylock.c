/* pthread_lock_order_trylock: the transfers of pthread_lock_order, in
 * opposite orders, but the second account is only tried: when it is
 * busy the transfer lets go of the first and starts again. A trylock
 * never waits, so the cycle cannot close (the usual cure when one
 * global order is not possible). No finding. */
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
    for (;;) {
        pthread_mutex_lock(&from->mu);
        if (pthread_mutex_trylock(&to->mu) == 0)
            break;
        pthread_mutex_unlock(&from->mu); /* busy: back off, try again */
        sched_yield();
    }
    from->balance -= n;
    to->balance += n;
    pthread_mutex_unlock(&to->mu);
    pthread_mutex_unlock(&from->mu);
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
