/* answered: a thread whose blocking call was already answered when the
 * process ended is finishing, not leaked (docs/detectors.md, "leaked-
 * thread"); one blocked for good still is.
 *   exit       a worker calls exit(3) while main joins it: no finding
 *   exitjoin   a worker calls exit(3) while another thread joins it
 *   handoff    main sends the last of 100 values to a worker blocked in
 *              its receive, and returns at once: no finding
 *   select     main sends to a worker blocked in a two-case select, and
 *              returns at once: no finding
 *   daisy      Go's daisy chain of 1000 goroutines (left <- 1 + <-right);
 *              main returns right after the last hand-off: no finding
 *   doublesel  two threads (a worker and main) each select 1000 times on
 *              a send to the other and a receive from it; main returns
 *              right after its last select: no finding
 *   wg         main's Done brings a WaitGroup to zero while a worker
 *              waits on it, and returns at once: no finding
 *   buffered   main sends one value on a buffered channel to a worker
 *              blocked in its receive, and returns at once: no finding
 *   close      main closes the channel a worker is blocked receiving
 *              from, and returns at once: no finding
 *   mutex      main unlocks the mutex a worker is blocked locking, and
 *              returns at once: no finding
 *   cond       main signals the condition a worker waits on, and returns
 *              at once: no finding
 *   mutexleak  main returns holding the mutex a worker is blocked
 *              locking: leaked-thread
 *   joinleak   a thread joins a worker blocked for good in a receive:
 *              both leaked-thread (the join's target never ends)
 *   leak       a worker blocked in a receive no one will ever answer:
 *              leaked-thread
 *   leak2      a worker got main's value, then blocked in its next
 *              receive for good: leaked-thread (the answered call was
 *              the previous one) */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <weft/weft.h>

#include "asleep.h"

static weft_chan *ch, *other;
static weft_wg wg;
static _Atomic pid_t worker_tid, joiner_tid;
static pthread_t exiting;

static void *exit_worker(void *arg) {
    if (arg)
        test_wait_futex(&joiner_tid); /* the joiner is in its join first */
    exit(3);
}

static void *forever_thread(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    int v;
    weft_chan_recv(ch, &v);
    return NULL;
}

static void *joiner(void *arg) {
    (void)arg;
    joiner_tid = test_gettid();
    pthread_join(exiting, NULL);
    return NULL;
}

static void receiver(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    int v;
    while (weft_chan_recv(ch, &v) == 0 && v != 99) {
    }
}

static void selector(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    int a, b;
    weft_case cs[2] = {{other, WEFT_RECV, &a, 0}, {ch, WEFT_RECV, &b, 0}};
    weft_select(cs, 2, 0);
}

static void waiter(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    weft_wg_wait(&wg);
}

static void forever(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    int v;
    while (weft_chan_recv(ch, &v) == 0) {
    }
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int flag;

static void locker(void *arg) {
    (void)arg;
    worker_tid = test_gettid();
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
}

static void cond_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    worker_tid = test_gettid();
    while (!flag)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

enum { ROUNDS = 1000 };

/* One side of the double select: `first` is the side that sends on ch
 * and receives on other; the other side the reverse. */
static void double_select(int first) {
    int out = 1, in;
    weft_case cs[2] = {{first ? ch : other, WEFT_SEND, &out, 0},
                       {first ? other : ch, WEFT_RECV, &in, 0}};
    for (int i = 0; i < ROUNDS; i++)
        weft_select(cs, 2, 0);
}

static void selecting(void *arg) {
    (void)arg;
    double_select(1);
}

struct link {
    weft_chan *left, *right;
};

static void whisper(void *arg) {
    struct link *l = arg;
    int v;
    weft_chan_recv(l->right, &v);
    v++;
    weft_chan_send(l->left, &v);
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    ch = weft_chan_make(sizeof(int), 0);
    other = weft_chan_make(sizeof(int), 0);
    if (!strcmp(m, "exit")) {
        pthread_t t;
        pthread_create(&t, NULL, exit_worker, NULL);
        pthread_join(t, NULL);
    } else if (!strcmp(m, "exitjoin")) {
        pthread_t j;
        static int wait_for_joiner = 1;
        pthread_create(&exiting, NULL, exit_worker, &wait_for_joiner);
        pthread_create(&j, NULL, joiner, NULL);
        pthread_join(j, NULL);
    } else if (!strcmp(m, "handoff")) {
        weft_go(receiver, NULL);
        for (int i = 0; i < 100; i++)
            weft_chan_send(ch, &i);
    } else if (!strcmp(m, "select")) {
        weft_go(selector, NULL);
        test_wait_futex(&worker_tid); /* the select is queued on both channels */
        int v = 1;
        weft_chan_send(ch, &v);
    } else if (!strcmp(m, "daisy")) {
        enum { N = 1000 };
        static struct link links[N];
        weft_chan *leftmost = weft_chan_make(sizeof(int), 0), *left = leftmost, *right = left;
        for (int i = 0; i < N; i++) {
            right = weft_chan_make(sizeof(int), 0);
            links[i] = (struct link){left, right};
            weft_go(whisper, &links[i]);
            left = right;
        }
        int v = 1;
        weft_chan_send(right, &v);
        weft_chan_recv(leftmost, &v);
        if (v != N + 1)
            return 1;
    } else if (!strcmp(m, "doublesel")) {
        weft_go(selecting, NULL);
        double_select(0);
    } else if (!strcmp(m, "wg")) {
        weft_wg_add(&wg, 1);
        weft_go(waiter, NULL);
        test_wait_futex(&worker_tid);
        weft_wg_done(&wg);
    } else if (!strcmp(m, "buffered")) {
        ch = weft_chan_make(sizeof(int), 4);
        weft_go(forever, NULL);
        test_wait_futex(&worker_tid);
        int v = 1;
        weft_chan_send(ch, &v); /* the worker takes it, then receives again */
        weft_chan_close(ch);
    } else if (!strcmp(m, "close")) {
        weft_go(forever, NULL);
        test_wait_futex(&worker_tid);
        weft_chan_close(ch);
    } else if (!strcmp(m, "mutex") || !strcmp(m, "mutexleak")) {
        pthread_mutex_lock(&mu);
        weft_go(locker, NULL);
        test_wait_futex(&worker_tid);
        if (!strcmp(m, "mutex"))
            pthread_mutex_unlock(&mu);
    } else if (!strcmp(m, "cond")) {
        weft_go(cond_waiter, NULL);
        test_wait_futex(&worker_tid);
        pthread_mutex_lock(&mu);
        flag = 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    } else if (!strcmp(m, "joinleak")) {
        pthread_t j;
        pthread_create(&exiting, NULL, forever_thread, NULL);
        pthread_create(&j, NULL, joiner, NULL);
        test_wait_futex(&worker_tid);
        test_wait_futex(&joiner_tid);
    } else if (!strcmp(m, "leak")) {
        weft_go(forever, NULL);
        test_wait_futex(&worker_tid);
    } else if (!strcmp(m, "leak2")) {
        weft_go(forever, NULL);
        int v = 1;
        weft_chan_send(ch, &v);
        test_wait_futex(&worker_tid); /* in its next receive, for good */
    } else {
        return 2;
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
