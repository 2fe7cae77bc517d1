/* SPDX-License-Identifier: MIT */
/* workload.c: a trace for the detector benchmark: a pipeline of channels
 * (producer -> NWORK workers -> collector), a mutex-protected counter, a
 * WaitGroup, and batches of short-lived threads joined by main. About 1M
 * events with the default N (argv[1]: items). With argv[2] "nested",
 * each worker also takes one of 64 bucket mutexes while it holds the
 * counter's (always in that order, like a server's item locks under a
 * table lock): the lock graph's work for lock-order-inversion. Correct:
 * zero findings. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <weft/weft.h>

enum { NWORK = 4 };
static weft_chan *in, *out;
static weft_wg wg;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long total;
static int nested;
static pthread_mutex_t bucket[64];
static long count[64];

static void worker(void *arg) {
    (void)arg;
    int v;
    while (weft_chan_recv(in, &v) == 0) {
        pthread_mutex_lock(&mu);
        total += v;
        if (nested) {
            pthread_mutex_lock(&bucket[v % 64]);
            count[v % 64]++;
            pthread_mutex_unlock(&bucket[v % 64]);
        }
        pthread_mutex_unlock(&mu);
        weft_chan_send(out, &v);
    }
    weft_wg_done(&wg);
}

static void closer(void *arg) {
    (void)arg;
    weft_wg_wait(&wg);
    weft_chan_close(out);
}

static void *shortlived(void *arg) {
    return arg;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 60000;
    nested = argc > 2 && !strcmp(argv[2], "nested");
    for (int i = 0; i < 64; i++)
        pthread_mutex_init(&bucket[i], NULL);
    in = weft_chan_make(sizeof(int), 16);
    out = weft_chan_make(sizeof(int), 16);
    weft_wg_add(&wg, NWORK);
    for (int i = 0; i < NWORK; i++)
        weft_go(worker, NULL);
    weft_go(closer, NULL);
    weft_chan *done = weft_chan_make(0, 0);
    for (int i = 0; i < n; i++) {
        weft_chan_send(in, &i);
        int v;
        if (i % 16 == 15)
            for (int k = 0; k < 16; k++)
                weft_chan_recv(out, &v);
    }
    weft_chan_close(in);
    int v;
    while (weft_chan_recv(out, &v) == 0) {
    }
    for (int b = 0; b < n / 100; b++) {
        pthread_t t[4];
        for (int k = 0; k < 4; k++)
            pthread_create(&t[k], NULL, shortlived, NULL);
        for (int k = 0; k < 4; k++)
            pthread_join(t[k], NULL);
    }
    weft_chan_free(done);
    return total > 0 ? 0 : 1;
}
