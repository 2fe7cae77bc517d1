/* SPDX-License-Identifier: MIT */
/* thread.h (util): starting a helper thread of weft's (thread.c). */
#ifndef WEFT_UTIL_THREAD_H
#define WEFT_UTIL_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread: a signal
 * for the process (Ctrl-C while weft writes a trace, the traced program's
 * own when a reader runs inside it) must land on a thread of the
 * caller's, whose handler expects to stop it, never on a helper that goes
 * on writing beside the handler. 0 on success, as pthread_create. */
int weft_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

#endif
