/* t_woken.c: a thread whose blocking call has been ended by another
 * thread, but which has not come back from it yet, is not stuck. Main
 * receives on an unbuffered channel; once it sleeps there, a second thread
 * interrupts it with a signal, and while main runs the handler (for
 * 600 ms: spinning with "spin", asleep in clock_nanosleep with "sleep"),
 * sends it the value and exits. For all that time main is the only thread
 * and still inside weft_chan_recv, exactly like a receiver that was woken
 * but has not been given a CPU yet on a loaded machine: the watchdog must
 * look at what the thread really does (running, or asleep in something
 * other than a futex) and stay quiet. Prints "got 7". */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <weft/weft.h>

#include "asleep.h"

enum { HANDLER_MS = 600 };

static weft_chan *ch;
static _Atomic pid_t main_tid;
static _Atomic int in_handler;
static int sleep_mode;

static void on_usr1(int sig) {
    (void)sig;
    atomic_store(&in_handler, 1);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (sleep_mode) {
        struct timespec d = {HANDLER_MS / 1000, (HANDLER_MS % 1000) * 1000000L};
        syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &d, NULL);
        return;
    }
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < HANDLER_MS);
}

static void *sender(void *arg) {
    (void)arg;
    test_wait_asleep(&main_tid);
    syscall(SYS_tgkill, getpid(), (pid_t)main_tid, SIGUSR1);
    while (!atomic_load(&in_handler))
        usleep(1000);
    int v = 7;
    weft_chan_send(ch, &v);
    return NULL;
}

int main(int argc, char **argv) {
    sleep_mode = argc > 1 && !strcmp(argv[1], "sleep");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    ch = weft_chan_make(sizeof(int), 0);
    main_tid = test_gettid();
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &a, sender, NULL);
    int v = 0;
    weft_chan_recv(ch, &v);
    printf("got %d\n", v);
    return 0;
}
/* SPDX-License-Identifier: MIT */
