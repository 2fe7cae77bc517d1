/* SPDX-License-Identifier: MIT */
/* t_leakcheck.c: a program with two threads blocked until main lets them
 * go: "chan-waiter" receives on a libweft channel nobody sends on yet,
 * "mutex-waiter" locks a mutex main holds. It prints its SIGUSR1
 * disposition, "ready" once both wait, then waits for a line on stdin
 * (a wait weft never marks: I/O); then it frees them, joins them and
 * exits 0 ("done"). Without stdin's line it waits until it is killed,
 * which the "state at death" tests do (leakcheck_test.sh). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <weft/weft.h>

static weft_chan *ch;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *chan_waiter(void *arg) {
    (void)arg;
    int v;
    weft_chan_recv(ch, &v);
    return NULL;
}

static void *mutex_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    return NULL;
}

static pthread_t spawn(void *(*fn)(void *), const char *name) {
    pthread_t t;
    pthread_create(&t, NULL, fn, NULL);
    pthread_setname_np(t, name);
    return t;
}

static const char *disposition(void) {
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    return sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "handled";
}

int main(void) {
    printf("usr1 %s\n", disposition());
    ch = weft_chan_make(sizeof(int), 0);
    pthread_mutex_lock(&m);
    pthread_t a = spawn(chan_waiter, "chan-waiter");
    pthread_t b = spawn(mutex_waiter, "mutex-waiter");
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        pause(); /* no line: wait to be killed */
    int v = 1;
    weft_chan_send(ch, &v);
    pthread_mutex_unlock(&m);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("usr1 %s\ndone\n", disposition());
    return 0;
}
