/* t_gaps_wg.c: a thread woken by the exiting thread's last release, which
 * had not returned when the process ended (gaps.sh, issue 10's window).
 * Usage: t_gaps_wg MODE:
 *   wg          a waiter in weft_wg_wait; main's Done brings the counter
 *               to zero and main returns at once
 *   wg_pause    the same window held open: the woken waiter tells main
 *               through a pipe that its Wait returned, then sleeps in
 *               pause() (unrecorded, as its way back from the call would
 *               be); main returns after its Done and that byte
 *   cond_pause  the same for a cond wait (`while (!ready) wait; unlock`),
 *               main's signal and unlock its last release
 *   late        as wg_pause, but main unlocks a mutex after the waiter
 *               woke: that release is not what woke it, and the sleeping
 *               waiter is reported (running) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <weft/weft.h>

#include "asleep.h"

static weft_wg wg;
static _Atomic pid_t waiter_tid;
static int sig[2];
static int hold_open;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER, other = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void after_wake(void) {
    if (!hold_open)
        return;
    if (write(sig[1], "w", 1) != 1)
        return;
    for (;;)
        pause();
}

static void *wg_waiter(void *arg) {
    (void)arg;
    waiter_tid = test_gettid();
    weft_wg_wait(&wg);
    after_wake();
    return NULL;
}

static void *cond_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    waiter_tid = test_gettid();
    while (!ready)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    after_wake();
    return NULL;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    int cond = !strcmp(mode, "cond_pause");
    hold_open = strcmp(mode, "wg") != 0;
    if (pipe(sig) != 0)
        return 1;
    if (!cond)
        weft_wg_add(&wg, 1);
    pthread_t t;
    pthread_create(&t, NULL, cond ? cond_waiter : wg_waiter, NULL);
    pthread_detach(t); /* no one joins it: main returns right after waking it */
    test_wait_asleep(&waiter_tid);
    printf("releasing\n");
    fflush(stdout);
    if (cond) {
        pthread_mutex_lock(&mu);
        ready = 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    } else {
        weft_wg_done(&wg);
    }
    char c;
    if (hold_open && read(sig[0], &c, 1) != 1)
        return 1;
    if (!strcmp(mode, "late")) {
        pthread_mutex_lock(&other);
        pthread_mutex_unlock(&other);
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
