/* SPDX-License-Identifier: MIT */
/* reach_check.c: the watchdog's check of channel waits (harness/shim/
 * reach.c), driven alone. The watchdog's side (its table of waits, the
 * kernel's "asleep in a futex", the report) is faked here, so each case
 * is a script of what the table says at each check, on a clock of our
 * own. Threads of this process hold the reach slots (the check asks
 * /proc/self/task that every thread has one); they only sleep.
 *
 * The rule under test: a waiter is stuck when it was found in the same
 * wait at every check for a whole timeout. Seen waiting at every check
 * but in a new wait each time, it is not. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "reach.h"

enum { NT = 3, TIMEOUT = 100, STEP = 10 };

/* ---- the fake watchdog ---- */
static struct weft__wd_wait table[NT];
static int ntable;
static int reports, reported_n;

int weft__wd_waits(struct weft__wd_wait *w, int max) {
    int n = ntable < max ? ntable : max;
    for (int i = 0; i < n; i++)
        w[i] = table[i];
    return n;
}

int weft__wd_asleep(int32_t ostid) {
    (void)ostid;
    return 1;
}

void weft__wd_report_chans(const struct weft__wd_wait *w, int n) {
    (void)w;
    reports++;
    reported_n = n;
}

/* ---- the threads that hold the slots ---- */
static int32_t ostid[NT];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int joined, done;
static const uint64_t chan_a = 0x10000, chan_b = 0x20000;

/* gen (0) reaches a, square (1) a and b, main-like sink (2) b. */
static void *holder(void *p) {
    int i = (int)(intptr_t)p;
    weft__reach_join();
    if (i <= 1)
        weft__reach_add(chan_a);
    if (i >= 1)
        weft__reach_add(chan_b);
    pthread_mutex_lock(&mu);
    ostid[i] = (int32_t)syscall(SYS_gettid);
    joined++;
    pthread_cond_broadcast(&cv);
    while (!done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void waits(int i, uint16_t kind, uint64_t ch, uint32_t count) {
    table[ntable++] = (struct weft__wd_wait){
        .tid = (uint32_t)i + 1, .kind = kind, .ostid = ostid[i], .waits = count, .obj = ch};
}

static int failures;

static void expect(const char *what, int got, int want) {
    if (got != want) {
        fprintf(stderr, "FAIL [reach_check]: %s: got %d, want %d\n", what, got, want);
        failures++;
    }
}

/* Checks every STEP ms for `span` ms from `start`: at each, gen waits to
 * send on a, square to receive from a and the sink to receive from b, so
 * that nobody outside them reaches either channel. fresh: each check
 * finds every one of them in a new wait (their counts move on), as in a
 * pipeline that works and whose threads the checks happen to catch in
 * their waits each time (each wait ends as the next item comes); else
 * the same waits all along, a pipeline stuck for good. Returns the
 * number of reports. */
static int run(uint64_t start, uint64_t span, int fresh) {
    reports = 0;
    reported_n = 0;
    uint32_t count = 1;
    for (uint64_t now = start; now <= start + span; now += STEP, count += (uint32_t)fresh) {
        ntable = 0;
        waits(0, WEFT_K_CHAN_SEND_BEGIN, chan_a, count);
        waits(1, WEFT_K_CHAN_RECV_BEGIN, chan_a, count);
        waits(2, WEFT_K_CHAN_RECV_BEGIN, chan_b, count);
        weft__reach_check(now, TIMEOUT);
    }
    return reports;
}

int main(void) {
    __atomic_store_n(&weft__reach_armed, 1, __ATOMIC_RELAXED);
    weft__reach_join(); /* the checker: the one thread /proc lists that needs no slot */
    pthread_t th[NT];
    for (int i = 0; i < NT; i++)
        if (pthread_create(&th[i], NULL, holder, (void *)(intptr_t)i) != 0)
            return 2;
    pthread_mutex_lock(&mu);
    while (joined < NT)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);

    expect("a working pipeline caught in new waits at every check: reports",
           run(1000, 5 * TIMEOUT, 1), 0);
    /* The same waits for good: a real leak of all three, reported once. */
    expect("the same waits for a timeout: reports", run(3000, 3 * TIMEOUT, 0), 1);
    expect("the same waits for a timeout: threads", reported_n, 3);

    pthread_mutex_lock(&mu);
    done = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);
    if (failures)
        return 1;
    printf("reach_check ok\n");
    return 0;
}
