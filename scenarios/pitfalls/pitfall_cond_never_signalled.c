/* pitfall_cond_never_signalled: a condition variable nobody signals (Go's
 * goroutine-leak test "Cond"). The goroutine waits for `ready`, but the
 * code that sets it forgets to signal (and main has already moved on), so
 * the wait never returns. Every cond wait needs a signal or broadcast that
 * is sure to come after its predicate changes. */
#include <pthread.h>
#include <stdio.h>
#include <weft/weft.h>
#include "settle.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;

static void waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!ready)
        pthread_cond_wait(&cond, &mu); /* BUG: nobody ever signals cond */
    pthread_mutex_unlock(&mu);
}

int main(void) {
    weft_go(waiter, NULL);
    printf("main done\n");
    settle();
    return 0;
}
/* SPDX-License-Identifier: MIT */
