/* t_chan_leak.c: threads blocked on channels that no running thread can
 * reach, while main goes on (the watchdog's channel check, reach.c), and
 * the near misses it must leave alone. argv[1] picks the case:
 *   pool    a producer starts 3 workers on its jobs channel, sends 3 jobs
 *           and returns without closing it: the 3 workers leak;
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

/* Polls our stderr for weft's line about a channel leak. */
static void wait_for_report(void) {
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000; i++) {
        int fd = open("/proc/self/fd/2", O_RDONLY);
        if (fd < 0)
            return;
        char buf[8192];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = 0;
            if (strstr(buf, " on channels no running thread can reach"))
                return;
        }
        nanosleep(&tick, NULL);
    }
}

static void start(void *(*fn)(void *), void *arg) {
    pthread_t t;
    pthread_create(&t, NULL, fn, arg);
    pthread_detach(t);
}

/* ---- pool ---- */
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
    return NULL; /* BUG: jobs is never closed */
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
