/* SPDX-License-Identifier: MIT */
/* t_chaos.c: the chaos driver's program (chaos.sh): a little of everything
 * the recorder follows, in a few milliseconds, with an output and an exit
 * status that depend on nothing but the program: producers and a consumer
 * over a libweft channel, workers counting under a mutex, a WaitGroup,
 * a pipe, and two fork children that do the same in small and report
 * through their exit status. Prints its results; exits 3. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <weft/weft.h>

enum { PRODUCERS = 3, ITEMS = 300, COUNTERS = 4, ROUNDS = 2000 };

static weft_chan *ch;
static weft_wg wg;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *producer(void *arg) {
    long base = (long)arg * ITEMS;
    for (long i = 0; i < ITEMS; i++) {
        long v = base + i;
        weft_chan_send(ch, &v);
    }
    weft_wg_done(&wg);
    return NULL;
}

static void *closer(void *arg) {
    (void)arg;
    weft_wg_wait(&wg);
    weft_chan_close(ch);
    return NULL;
}

static void *count(void *arg) {
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* One round of everything: the channel's sum, and the counter. */
static long round_trip(int producers, int counters, long *count_out) {
    ch = weft_chan_make(sizeof(long), 4);
    pthread_t p[PRODUCERS], c[COUNTERS], cl;
    counter = 0;
    weft_wg_add(&wg, producers);
    for (long i = 0; i < producers; i++)
        pthread_create(&p[i], NULL, producer, (void *)i);
    pthread_create(&cl, NULL, closer, NULL);
    for (int i = 0; i < counters; i++)
        pthread_create(&c[i], NULL, count, NULL);
    long sum = 0, v;
    while (weft_chan_recv(ch, &v) == 0)
        sum += v;
    for (int i = 0; i < producers; i++)
        pthread_join(p[i], NULL);
    pthread_join(cl, NULL);
    for (int i = 0; i < counters; i++)
        pthread_join(c[i], NULL);
    weft_chan_free(ch);
    *count_out = counter;
    return sum;
}

int main(void) {
    int fds[2];
    if (pipe(fds) != 0)
        return 99;
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            long n, s = round_trip(1 + k, 1, &n);
            char b = (char)('a' + k);
            ssize_t w = write(fds[1], &b, 1);
            _exit(s == (long)ITEMS * (1 + k) * (ITEMS * (1 + k) - 1) / 2 && n == ROUNDS && w == 1
                      ? 20 + k
                      : 1);
        }
    }
    long n, s = round_trip(PRODUCERS, COUNTERS, &n);
    printf("sum %ld count %ld\n", s, n);
    for (int k = 0; k < 2; k++) {
        int st;
        waitpid(kids[k], &st, 0);
        printf("child %d: %d\n", k, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    char got[2];
    ssize_t r = read(fds[0], got, 2);
    printf("pipe %zd\n", r);
    return 3;
}
