/* misc: the remaining kinds. Modes: lockheld (a thread returns holding a
 * mutex), lockheld-cond (... that a condition wait took back), lockok; semover (weft_sem_release
 * beyond what is held), semok; deadlock (main receives on a channel nobody sends to), nodeadlock
 * (the sender comes after a while); many N (N threads alive at once, for unbounded-threads with
 * --max-threads); loopcap (threads get &i of a loop), loopcap-sem (each thread posts a semaphore
 * after copying i, which the loop waits for before i++), loopcap-shared (one unchanged context on
 * main's stack for all), loopcap-wg (a WaitGroup on main's stack given to every thread, Add before
 * each create: it changes, but it is shared on purpose). */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <weft/weft.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t bar;

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready, go;

/* Takes mu back from a condition wait, and returns holding it. */
static void *condlocker(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    ready = 1;
    while (!go)
        pthread_cond_wait(&cv, &mu);
    return NULL;
}

static void *locker(void *arg) {
    pthread_mutex_lock(&mu);
    if (arg)
        pthread_mutex_unlock(&mu);
    return NULL;
}

static void late_send(void *arg) {
    usleep(20000);
    int v = 1;
    weft_chan_send(arg, &v);
}

static sem_t copied;

static void *take_int(void *arg) {
    volatile int v = *(int *)arg; /* the racy read in the loopcap mode */
    (void)v;
    return NULL;
}

static void *take_int_then_post(void *arg) {
    volatile int v = *(int *)arg;
    (void)v;
    sem_post(&copied);
    return NULL;
}

static void *wg_done_thread(void *arg) {
    weft_wg_done(arg);
    return NULL;
}

static void loops(const char *m) {
    enum { N = 4 };
    pthread_t t[N];
    struct {
        int a, b;
    } shared = {7, 8};
    int i;
    if (!strcmp(m, "loopcap-sem"))
        sem_init(&copied, 0, 0);
    if (!strcmp(m, "loopcap-wg")) {
        weft_wg wg = WEFT_WG_INIT;
        for (i = 0; i < N; i++) {
            weft_wg_add(&wg, 1);
            pthread_create(&t[i], NULL, wg_done_thread, &wg);
        }
        weft_wg_wait(&wg);
        for (i = 0; i < N; i++)
            pthread_join(t[i], NULL);
        return;
    }
    for (i = 0; i < N; i++) {
        if (!strcmp(m, "loopcap")) {
            pthread_create(&t[i], NULL, take_int, &i);
        } else if (!strcmp(m, "loopcap-sem")) {
            pthread_create(&t[i], NULL, take_int_then_post, &i);
            sem_wait(&copied);
        } else {
            pthread_create(&t[i], NULL, take_int, &shared);
        }
    }
    for (i = 0; i < N; i++)
        pthread_join(t[i], NULL);
}

static void *hold(void *arg) {
    (void)arg;
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "lockheld") || !strcmp(m, "lockok")) {
        pthread_t t;
        pthread_create(&t, NULL, locker, !strcmp(m, "lockok") ? &mu : NULL);
        pthread_join(t, NULL);
    } else if (!strcmp(m, "lockheld-cond")) {
        /* main can take mu once condlocker said it is ready only when
         * condlocker's wait gave it back: its return then holds the mutex
         * that the wait took again */
        pthread_t t;
        pthread_create(&t, NULL, condlocker, NULL);
        for (int seen = 0; !seen;) {
            pthread_mutex_lock(&mu);
            seen = ready;
            if (seen) {
                go = 1;
                pthread_cond_signal(&cv);
            }
            pthread_mutex_unlock(&mu);
        }
        pthread_join(t, NULL);
    } else if (!strcmp(m, "semover") || !strcmp(m, "semok")) {
        weft_sem *s = weft_sem_new(2);
        weft_sem_acquire(NULL, s, 1);
        weft_sem_release(s, !strcmp(m, "semover") ? 2 : 1); /* key: release */
        weft_sem_free(s);
    } else if (!strcmp(m, "deadlock") || !strcmp(m, "nodeadlock")) {
        weft_chan *ch = weft_chan_make(sizeof(int), 0);
        int v;
        if (!strcmp(m, "nodeadlock"))
            weft_go(late_send, ch);
        weft_chan_recv(ch, &v);
    } else if (!strncmp(m, "loopcap", 7)) {
        loops(m);
    } else if (!strcmp(m, "many")) {
        int n = argc > 2 ? atoi(argv[2]) : 10;
        pthread_t *t = calloc((size_t)n, sizeof *t);
        pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
        for (int i = 0; i < n; i++)
            pthread_create(&t[i], NULL, hold, NULL);
        pthread_barrier_wait(&bar);
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        free(t);
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
