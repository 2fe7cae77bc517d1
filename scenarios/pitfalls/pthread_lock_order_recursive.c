/* pthread_lock_order_recursive: the accounts' mutexes are recursive and
 * an audit holds the bank's lock while the transfer, inside it, takes it
 * again. Every thread takes the bank lock before an account; the
 * relock under an account is the thread's own lock taken again (a
 * recursive mutex does not wait for its owner), no order. No finding. */
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
static pthread_mutex_t bank_mu;

static void transfer(struct account *from, struct account *to, long n) {
    pthread_mutex_lock(&bank_mu);
    pthread_mutex_lock(&from->mu);
    pthread_mutex_lock(&bank_mu); /* again: recursive, already ours */
    from->balance -= n;
    pthread_mutex_unlock(&bank_mu);
    pthread_mutex_unlock(&from->mu);
    pthread_mutex_lock(&to->mu);
    to->balance += n;
    pthread_mutex_unlock(&to->mu);
    pthread_mutex_unlock(&bank_mu);
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
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&bank_mu, &at);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, pay, &dirs[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("balances %ld %ld\n", acct[0].balance, acct[1].balance);
    return 0;
}
/* SPDX-License-Identifier: MIT */
