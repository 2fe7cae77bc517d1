/* testutil.c: the shared helpers of libweft's Check tests; see testutil.h
 * for what they are and why they exist. */
#define _GNU_SOURCE
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TU_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TU_SANITIZED 1
#endif
#endif
#ifndef TU_SANITIZED
#define TU_SANITIZED 0
#endif

int64_t tu_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tu_sleep_ms(int64_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

bool tu_on_valgrind(void) {
    return RUNNING_ON_VALGRIND != 0;
}

bool tu_sanitized(void) {
    return TU_SANITIZED;
}

double tu_scale(void) {
    const char *e = getenv("WEFT_TEST_SCALE");
    if (e && *e) {
        double s = strtod(e, NULL);
        if (s > 0)
            return s;
    }
    return tu_on_valgrind() ? 0.05 : 1.0;
}

long tu_scaled(long n, long min) {
    long v = (long)((double)n * tu_scale());
    return v < min ? min : v;
}

long tu_threads(long n, long vg_max) {
    return tu_on_valgrind() && n > vg_max ? vg_max : n;
}

int tu_slowness(void) {
    if (tu_on_valgrind())
        return 30;
    return TU_SANITIZED ? 4 : 1;
}

int64_t tu_slack_ns(int64_t ms) {
    return ms * TU_MS * tu_slowness();
}

static pthread_t spawn(void *(*fn)(void *), void *arg, size_t stack) {
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    if (stack)
        pthread_attr_setstacksize(&attr, stack);
    int rc = pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "testutil: pthread_create: %s\n", strerror(rc));
        abort();
    }
    return t;
}

pthread_t tu_spawn(void *(*fn)(void *), void *arg) {
    return spawn(fn, arg, 0);
}

pthread_t tu_spawn_small(void *(*fn)(void *), void *arg) {
    /* ASan's redzones make frames much larger; keep some headroom there. */
    return spawn(fn, arg, TU_SANITIZED ? 1024 * 1024 : 256 * 1024);
}

void *tu_join(pthread_t t) {
    void *ret = NULL;
    int rc = pthread_join(t, &ret);
    if (rc != 0) {
        fprintf(stderr, "testutil: pthread_join: %s\n", strerror(rc));
        abort();
    }
    return ret;
}

void tu_counter_init(tu_counter *c) {
    pthread_mutex_init(&c->mu, NULL);
    c->v = 0;
    c->max = 0;
}

void tu_counter_destroy(tu_counter *c) {
    pthread_mutex_destroy(&c->mu);
}

long tu_counter_add(tu_counter *c, long d) {
    pthread_mutex_lock(&c->mu);
    long v = c->v += d;
    if (v > c->max)
        c->max = v;
    pthread_mutex_unlock(&c->mu);
    return v;
}

long tu_counter_get(tu_counter *c) {
    pthread_mutex_lock(&c->mu);
    long v = c->v;
    pthread_mutex_unlock(&c->mu);
    return v;
}

long tu_counter_max(tu_counter *c) {
    pthread_mutex_lock(&c->mu);
    long v = c->max;
    pthread_mutex_unlock(&c->mu);
    return v;
}

bool tu_counter_wait_ge(tu_counter *c, long v, int64_t timeout_ns) {
    int64_t end = tu_now_ns() + timeout_ns;
    while (tu_counter_get(c) < v) {
        if (tu_now_ns() > end)
            return false;
        tu_sleep_ms(1);
    }
    return true;
}

static void *chan_op_main(void *p) {
    tu_chan_op *o = p;
    o->rc = o->op == WEFT_SEND ? weft_chan_send(o->ch, o->elem) : weft_chan_recv(o->ch, o->elem);
    tu_counter_add(&o->done, 1);
    return NULL;
}

void tu_chan_op_start(tu_chan_op *o, weft_chan *ch, int op, void *elem) {
    o->ch = ch;
    o->op = op;
    o->elem = elem;
    o->rc = 1; /* neither 0 nor a WEFT_E* code: "did not return" */
    tu_counter_init(&o->done);
    o->thread = tu_spawn(chan_op_main, o);
}

bool tu_chan_op_done(tu_chan_op *o) {
    return tu_counter_get(&o->done) != 0;
}

int tu_chan_op_join(tu_chan_op *o) {
    tu_join(o->thread);
    tu_counter_destroy(&o->done);
    return o->rc;
}

void tu_chan_op_abandon(tu_chan_op *o) {
    pthread_detach(o->thread);
}

bool tu_chan_op_still_blocked(tu_chan_op *o, int64_t ms) {
    /* Not the full tu_slowness(): this only gives a wrong op a chance to
     * show itself, and the Valgrind runs must stay within their budget. */
    tu_sleep_ms(ms * (tu_on_valgrind() ? 3 : 1));
    return !tu_chan_op_done(o);
}

static void *select_op_main(void *p) {
    tu_select_op *o = p;
    o->rc = weft_select(o->cases, o->n, o->flags);
    tu_counter_add(&o->done, 1);
    return NULL;
}

void tu_select_op_start(tu_select_op *o, weft_case *cases, size_t n, int flags) {
    o->cases = cases;
    o->n = n;
    o->flags = flags;
    o->rc = 12345; /* no index nor WEFT_E* code: "did not return" */
    tu_counter_init(&o->done);
    o->thread = tu_spawn(select_op_main, o);
}

bool tu_select_op_still_blocked(tu_select_op *o, int64_t ms) {
    tu_sleep_ms(ms * (tu_on_valgrind() ? 3 : 1));
    return tu_counter_get(&o->done) == 0;
}

int tu_select_op_join(tu_select_op *o) {
    tu_join(o->thread);
    tu_counter_destroy(&o->done);
    return o->rc;
}

void tu_select_op_abandon(tu_select_op *o) {
    pthread_detach(o->thread);
}

/* The watchdog is SIGALRM: it needs no thread (which would itself show up
 * in thread-counting tests) and works the same with and without CK_FORK. */
static char watchdog_msg[256];

static void watchdog_fire(int sig) {
    (void)sig;
    static const char pre[] = "\ntestutil: WATCHDOG: test hung (deadlock?): ";
    ssize_t r = write(2, pre, sizeof pre - 1);
    r = write(2, watchdog_msg, strlen(watchdog_msg));
    r = write(2, "\n", 1);
    (void)r;
    abort();
}

void tu_watchdog_start(double seconds, const char *what) {
    snprintf(watchdog_msg, sizeof watchdog_msg, "%s", what);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_fire;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    double s = seconds * tu_slowness();
    alarm(s < 1 ? 1 : (unsigned)s);
}

void tu_watchdog_stop(void) {
    alarm(0);
}

int tu_main(Suite *(*make)(void)) {
    /* Check's own default is 4 s per test, too tight for Valgrind and for
     * slow CI; the watchdogs and CTest's TIMEOUT bound real hangs. */
    setenv("CK_DEFAULT_TIMEOUT", tu_on_valgrind() ? "600" : "60", 0);
    SRunner *sr = srunner_create(make());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
/* SPDX-License-Identifier: MIT */
