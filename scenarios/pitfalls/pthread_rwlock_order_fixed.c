/* pthread_rwlock_order_fixed: the reporter read-locks the configuration
 * before it takes the log mutex, the updater's order: the configuration
 * always comes first, so the two can no longer wait for each other. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static pthread_rwlock_t config_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int config_version;
static atomic_int updated;

static void *updater(void *arg) {
    (void)arg;
    pthread_rwlock_wrlock(&config_rw);
    config_version++;
    pthread_mutex_lock(&log_mu);
    printf("config now version %d\n", config_version);
    pthread_mutex_unlock(&log_mu);
    pthread_rwlock_unlock(&config_rw);
    atomic_store(&updated, 1);
    return NULL;
}

static void *reporter(void *arg) {
    (void)arg;
    while (!atomic_load(&updated))
        sched_yield();
    pthread_rwlock_rdlock(&config_rw);
    pthread_mutex_lock(&log_mu);
    printf("report: version %d\n", config_version);
    pthread_mutex_unlock(&log_mu);
    pthread_rwlock_unlock(&config_rw);
    return NULL;
}

int main(void) {
    pthread_t u, r;
    pthread_create(&u, NULL, updater, NULL);
    pthread_create(&r, NULL, reporter, NULL);
    pthread_join(u, NULL);
    pthread_join(r, NULL);
    return 0;
}
/* SPDX-License-Identifier: MIT */
