/* SPDX-License-Identifier: MIT */
/* t_livechurn.c: four "worker" threads that keep starting and ending
 * waits of two kinds on two objects: a contended mutex, and a channel of
 * one slot that each of them sends on, then receives from (no deadlock:
 * a worker blocked in a receive has sent, so the slot is not empty). A
 * slot of the live state copied half old, half new would pair one wait's
 * kind with the other's object: leakcheck_test.sh's dump_churn dumps it
 * over and over and checks every pair. Prints "objs MUTEX CHAN" and
 * "ready PID", runs until a line comes on stdin, then "done". */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include <weft/weft.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static weft_chan *ch;
static volatile int stop;

static void *worker(void *arg) {
    (void)arg;
    int v = 0;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        pthread_mutex_lock(&mu);
        for (volatile int i = 0; i < 200; i++) {
        }
        pthread_mutex_unlock(&mu);
        weft_chan_send(ch, &v);
        weft_chan_recv(ch, &v);
    }
    return NULL;
}

int main(void) {
    ch = weft_chan_make(sizeof(int), 1);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        pthread_create(&t[i], NULL, worker, NULL);
        pthread_setname_np(t[i], "worker");
    }
    printf("objs %p %p\nready %d\n", (void *)&mu, (void *)ch, (int)getpid());
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) {
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("done\n");
    return 0;
}
