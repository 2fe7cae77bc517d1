/* SPDX-License-Identifier: MIT */
/* thread.c: weft's helper threads start with every signal blocked
 * (thread.h): the log reader's, the ingest's, the symbol table's and the
 * command's. */
#include <signal.h>

#include "thread.h"

int weft_thread_start(pthread_t *th, void *(*fn)(void *), void *arg) {
    sigset_t all, prev;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &prev);
    int rc = pthread_create(th, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &prev, NULL);
    return rc;
}
