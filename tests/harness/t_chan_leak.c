/* t_chan_leak.c: threads blocked on channels that no running thread can
 * reach, while main goes on (the watchdog's channel check, reach.c), and
 * the near misses it must leave alone. argv[1] picks the case:
 *   pool    a producer starts 3 workers on its jobs channel, sends 3 jobs
 *           and returns without closing it: the 3 workers leak;
 *   crowded the pool, while main keeps sending on and receiving from a
 *           channel of its own whose first carry entry (reach.h) is the
 *           jobs channel's: main must not learn jobs from it (with one
 *           carry filter per hash bucket it did, and the leak was never
 *           reported: by the hash's odds, about 1 run in 500 of the pool);
 *   lookalike the pool, while main keeps using two channels of its own
 *           whose filter bits (reach.h) cover both of the jobs channel's:
 *           main's filter alone says "maybe jobs", and must not be taken
 *           at its word (it was: by the hash's odds, about 1 run in 4,000
 *           of pitfall_chan_leak_pool went unreported for all 30 s);
 *   pair    two threads each wait to receive from the other (a channel
 *           pair made by a setup thread that returned);
 *   abandon a handler gives up on its worker's unbuffered result channel
 *           after a timer and returns: the worker's send blocks forever;
 *   reply   (near miss) a client sends its reply channel inside a request
 *           to a server that works a while, then replies: the server got
 *           the channel through the request's channel;
 *   queue   (near miss) the same with the reply channel passed through a
 *           queue under a mutex and a condvar;
 *   later   (near miss) a receiver waits while a thread that got the
 *           channel through its creation argument works, then sends (a
 *           setup thread made the channel and returned; main polls).
 * The leak cases then wait (polling, at most 30 s) until weft's line is
 * in their stderr, a regular file, and return: main never touched the
 * channels. The near misses work for 5 watchdog timeouts. */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <weft/weft.h>

#include "reach.h" /* the carry entries' hash, to make two channels meet */

static long timeout_ms(void) {
    const char *e = getenv("WEFT_DEADLOCK_TIMEOUT_MS");
    return e && *e ? atol(e) : 1000;
}

/* Busy for n watchdog timeouts, in sleeps (never a wait the watchdog marks). */
static void work(long n) {
    long ms = n * timeout_ms();
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether weft's line about a channel leak is in our stderr. */
static int reported(void) {
    int fd = open("/proc/self/fd/2", O_RDONLY);
    if (fd < 0)
        return 1;
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    return strstr(buf, " on channels no running thread can reach") != NULL;
}

/* Polls for it, at most 30 s. */
static void wait_for_report(void) {
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && !reported(); i++)
        nanosleep(&tick, NULL);
}

static void start(void *(*fn)(void *), void *arg) {
    pthread_t t;
    pthread_create(&t, NULL, fn, arg);
    pthread_detach(t);
}

/* ---- pool ---- */
static uintptr_t jobs_at; /* for crowded */

static void *worker(void *arg) {
    weft_chan *jobs = arg;
    int j;
    while (weft_chan_recv(jobs, &j) == 0)
        ;
    return NULL;
}

static void *producer(void *arg) {
    (void)arg;
    weft_chan *jobs = weft_chan_make(sizeof(int), 0);
    for (int w = 0; w < 3; w++)
        start(worker, jobs);
    for (int j = 0; j < 3; j++)
        weft_chan_send(jobs, &j);
    /* the address only, for main to pick a channel that meets it; never
     * a way to reach jobs (main never uses it as a channel) */
    __atomic_store_n(&jobs_at, (uintptr_t)jobs, __ATOMIC_RELEASE);
    return NULL; /* BUG: jobs is never closed */
}

/* ---- crowded ---- */
/* A buffered channel whose first carry entry is jobs'. Made by a thread
 * of its own that then returns, because a thread may reach every channel
 * it made: channels are made until one meets jobs (about
 * WEFT_REACH_CARRY of them), the others freed untouched, and the one
 * handed to main in a global (main's later use of it is what counts). */
static uintptr_t meets_at;

static void *meeting(void *arg) {
    uintptr_t jobs = (uintptr_t)arg;
    enum { MAX = 16 * WEFT_REACH_CARRY };
    static weft_chan *tried[MAX];
    uint32_t want, b1, b2;
    weft__reach_buckets(jobs, &want, &b2);
    weft_chan *found = NULL;
    int n = 0;
    while (!found && n < MAX) {
        weft_chan *c = weft_chan_make(sizeof(int), 1);
        weft__reach_buckets((uintptr_t)c, &b1, &b2);
        if (b1 == want)
            found = c;
        else
            tried[n++] = c;
    }
    for (int i = 0; i < n; i++)
        weft_chan_free(tried[i]);
    __atomic_store_n(&meets_at, found ? (uintptr_t)found : 1, __ATOMIC_RELEASE);
    return NULL;
}

static uintptr_t poll_for(uintptr_t *at) {
    uintptr_t v;
    struct timespec tick = {0, 1000 * 1000};
    while (!(v = __atomic_load_n(at, __ATOMIC_ACQUIRE)))
        nanosleep(&tick, NULL);
    return v;
}

static void crowded(void) {
    start(producer, NULL);
    start(meeting, (void *)poll_for(&jobs_at));
    weft_chan *mine = (weft_chan *)poll_for(&meets_at);
    if (mine == (weft_chan *)1) {
        fprintf(stderr, "t_chan_leak: no channel meets the jobs channel's carry entry\n");
        exit(3);
    }
    /* main's own traffic: a push and a pull of mine, each round */
    for (int i = 0; i < 3000 && !reported(); i++) {
        weft_chan_send(mine, &i);
        int v;
        weft_chan_recv(mine, &v);
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
}

/* ---- lookalike ---- */
/* Two buffered channels, one with the first of the jobs channel's filter
 * bits among its own two, one with the second (a channel has 2 of 256
 * bits: about 1 in 128 does). Made by a thread of its own that then
 * returns, as in crowded, and handed to main in a global. */
static uintptr_t lookalike_at[2];

static void *lookalikes(void *arg) {
    unsigned want[2], a, b;
    weft__reach_bits((uintptr_t)arg, &want[0], &want[1]);
    enum { MAX = 16 * 1024 };
    static weft_chan *tried[MAX];
    weft_chan *found[2] = {NULL, NULL};
    int n = 0;
    while ((!found[0] || !found[1]) && n < MAX) {
        weft_chan *c = weft_chan_make(sizeof(int), 1);
        weft__reach_bits((uintptr_t)c, &a, &b);
        int k = !found[0] && (a == want[0] || b == want[0])   ? 0
                : !found[1] && (a == want[1] || b == want[1]) ? 1
                                                              : -1;
        if (k >= 0)
            found[k] = c;
        else
            tried[n++] = c;
    }
    for (int i = 0; i < n; i++)
        weft_chan_free(tried[i]);
    uintptr_t second = found[1] ? (uintptr_t)found[1] : 1;
    __atomic_store_n(&lookalike_at[1], second, __ATOMIC_RELEASE);
    __atomic_store_n(&lookalike_at[0], found[0] ? (uintptr_t)found[0] : 1, __ATOMIC_RELEASE);
    return NULL;
}

static void lookalike(void) {
    start(producer, NULL);
    start(lookalikes, (void *)poll_for(&jobs_at));
    weft_chan *mine[2] = {(weft_chan *)poll_for(&lookalike_at[0]),
                          (weft_chan *)__atomic_load_n(&lookalike_at[1], __ATOMIC_ACQUIRE)};
    if (mine[0] == (weft_chan *)1 || mine[1] == (weft_chan *)1) {
        fprintf(stderr, "t_chan_leak: no channels cover the jobs channel's filter bits\n");
        exit(3);
    }
    for (int i = 0; i < 3000 && !reported(); i++) {
        for (int k = 0; k < 2; k++) {
            int v;
            weft_chan_send(mine[k], &i);
            weft_chan_recv(mine[k], &v);
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
}

/* ---- pair ---- */
struct pair {
    weft_chan *in, *out;
};

static void *peer(void *arg) {
    struct pair *p = arg;
    int v;
    if (weft_chan_recv(p->in, &v) == 0) /* each waits for the other first */
        weft_chan_send(p->out, &v);
    return NULL;
}

static void *setup_pair(void *arg) {
    (void)arg;
    static struct pair p1, p2;
    weft_chan *a = weft_chan_make(sizeof(int), 0), *b = weft_chan_make(sizeof(int), 0);
    p1 = (struct pair){a, b};
    p2 = (struct pair){b, a};
    start(peer, &p1);
    start(peer, &p2);
    return NULL;
}

/* ---- abandon ---- */
static sem_t gave_up;

static void *slow_worker(void *arg) {
    weft_chan *result = arg;
    sem_wait(&gave_up); /* finishes only after the handler's timeout */
    int v = 42;
    weft_chan_send(result, &v); /* BUG: nobody will ever receive */
    return NULL;
}

static void *handler(void *arg) {
    (void)arg;
    weft_chan *result = weft_chan_make(sizeof(int), 0);
    start(slow_worker, result);
    weft_chan *timer = weft_after(10 * 1000 * 1000);
    int v;
    int64_t t;
    weft_case cases[2] = {{result, WEFT_RECV, &v, 0}, {timer, WEFT_RECV, &t, 0}};
    if (weft_select(cases, 2, 0) == 1)
        sem_post(&gave_up);
    return NULL;
}

/* ---- reply ---- */
struct req {
    weft_chan *reply;
};

static void *server(void *arg) {
    weft_chan *reqs = arg;
    struct req r;
    while (weft_chan_recv(reqs, &r) == 0) {
        work(5);
        int v = 7;
        weft_chan_send(r.reply, &v);
    }
    return NULL;
}

static void *client(void *arg) {
    weft_chan *reqs = arg;
    struct req r = {weft_chan_make(sizeof(int), 0)};
    weft_chan_send(reqs, &r);
    int v = 0;
    weft_chan_recv(r.reply, &v);
    printf("reply %d\n", v);
    return NULL;
}

/* ---- queue ---- */
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qc = PTHREAD_COND_INITIALIZER;
static weft_chan *queued; /* a one-slot request queue, under qm */

static void *queue_server(void *arg) {
    (void)arg;
    pthread_mutex_lock(&qm);
    while (!queued)
        pthread_cond_wait(&qc, &qm);
    weft_chan *reply = queued;
    pthread_mutex_unlock(&qm);
    work(5);
    int v = 8;
    weft_chan_send(reply, &v);
    return NULL;
}

static void *queue_client(void *arg) {
    (void)arg;
    weft_chan *reply = weft_chan_make(sizeof(int), 0);
    pthread_mutex_lock(&qm);
    queued = reply;
    pthread_cond_signal(&qc);
    pthread_mutex_unlock(&qm);
    int v = 0;
    weft_chan_recv(reply, &v);
    printf("reply %d\n", v);
    return NULL;
}

/* ---- later ---- */
static int received;

static void *receiver(void *arg) {
    int v = 0;
    weft_chan_recv(arg, &v);
    printf("received %d\n", v);
    fflush(stdout);
    __atomic_store_n(&received, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *late_sender(void *arg) {
    work(5);
    int v = 9;
    weft_chan_send(arg, &v);
    return NULL;
}

static void *setup_later(void *arg) {
    (void)arg;
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    start(receiver, c);
    start(late_sender, c);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    pthread_t a, b;
    if (!strcmp(argv[1], "pool") || !strcmp(argv[1], "pair") || !strcmp(argv[1], "abandon")) {
        sem_init(&gave_up, 0, 0);
        start(!strcmp(argv[1], "pool")   ? producer
              : !strcmp(argv[1], "pair") ? setup_pair
                                         : handler,
              NULL);
        wait_for_report();
        printf("main went on\n");
        return 0;
    }
    void (*busy)(void) = !strcmp(argv[1], "crowded")     ? crowded
                         : !strcmp(argv[1], "lookalike") ? lookalike
                                                         : NULL;
    if (busy) {
        busy();
        printf("main went on\n");
        return 0;
    }
    if (!strcmp(argv[1], "reply")) {
        weft_chan *reqs = weft_chan_make(sizeof(struct req), 0);
        pthread_create(&a, NULL, server, reqs);
        pthread_create(&b, NULL, client, reqs);
        pthread_join(b, NULL);
        weft_chan_close(reqs);
        pthread_join(a, NULL);
        return 0;
    }
    if (!strcmp(argv[1], "queue")) {
        pthread_create(&a, NULL, queue_server, NULL);
        pthread_create(&b, NULL, queue_client, NULL);
        pthread_join(b, NULL);
        pthread_join(a, NULL);
        return 0;
    }
    if (!strcmp(argv[1], "later")) {
        /* main never touches the channel: it polls for the end */
        start(setup_later, NULL);
        struct timespec tick = {0, 10 * 1000 * 1000};
        while (!__atomic_load_n(&received, __ATOMIC_ACQUIRE))
            nanosleep(&tick, NULL);
        return 0;
    }
    return 2;
}
/* SPDX-License-Identifier: MIT */
