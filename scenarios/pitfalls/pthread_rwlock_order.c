/* pthread_rwlock_order: an updater write-locks the configuration, then
 * takes the log mutex to record the change; a reporter takes the log
 * mutex, then read-locks the configuration to print it. A read lock
 * waits for a writer, so this is a cycle: the updater holding the
 * configuration waits for the log, the reporter holding the log waits
 * for the configuration. This run does not hang (the reporter runs once
 * the update is done, by an atomic flag weft does not see). The fix is
 * pthread_rwlock_order_fixed. Plain pthreads, no libweft. */
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
    pthread_mutex_lock(&log_mu); /* config, then log */
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
    pthread_mutex_lock(&log_mu);
    pthread_rwlock_rdlock(&config_rw); /* BUG: log, then config */
    printf("report: version %d\n", config_version);
    pthread_rwlock_unlock(&config_rw);
    pthread_mutex_unlock(&log_mu);
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
