/* test_misc.c: unit tests of libweft's small functions against
 * <weft/weft.h>: weft_strerror (every code named, distinctly), the
 * version, weft_now_ns (CLOCK_MONOTONIC), and weft_go (runs fn(arg) on
 * its own thread, many at once; a finished goroutine's thread is reused,
 * without its name, and not across fork). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testutil.h"

#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

START_TEST(test_strerror_distinct) {
    const int codes[] = {WEFT_ECLOSED, WEFT_EAGAIN, WEFT_ECANCELED, WEFT_ETIMEDOUT,
                         WEFT_EINVAL,  WEFT_ENOMEM, WEFT_ERANGE};
    enum { N = sizeof codes / sizeof codes[0] };
    const char *msg[N];
    for (int i = 0; i < N; i++) {
        msg[i] = weft_strerror(codes[i]);
        ck_assert_ptr_nonnull(msg[i]);
        ck_assert_msg(msg[i][0] != '\0', "empty message for %d", codes[i]);
        ck_assert_ptr_eq(weft_strerror(codes[i]), msg[i]); /* static */
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            ck_assert_msg(strcmp(msg[i], msg[j]) != 0, "codes %d and %d share \"%s\"", codes[i],
                          codes[j], msg[i]);
    /* 0, other negated errnos and nonsense still get a string. */
    ck_assert_ptr_nonnull(weft_strerror(0));
    ck_assert_ptr_nonnull(weft_strerror(-ENOENT));
    ck_assert_ptr_nonnull(weft_strerror(12345));
    ck_assert_ptr_nonnull(weft_strerror(-99999));
}
END_TEST

START_TEST(test_error_values) {
    /* The contract fixes them as negated errno values. */
    ck_assert_int_eq(WEFT_ECLOSED, -EPIPE);
    ck_assert_int_eq(WEFT_EAGAIN, -EAGAIN);
    ck_assert_int_eq(WEFT_ECANCELED, -ECANCELED);
    ck_assert_int_eq(WEFT_ETIMEDOUT, -ETIMEDOUT);
    ck_assert_int_eq(WEFT_EINVAL, -EINVAL);
    ck_assert_int_eq(WEFT_ENOMEM, -ENOMEM);
    ck_assert_int_eq(WEFT_ERANGE, -ERANGE);
}
END_TEST

START_TEST(test_version) {
    ck_assert_str_eq(weft_version(), WEFT_VERSION_STRING);
}
END_TEST

START_TEST(test_now_ns_monotonic) {
    int64_t a = tu_now_ns();
    int64_t w = weft_now_ns();
    int64_t b = tu_now_ns();
    ck_assert(a <= w && w <= b); /* the same clock as CLOCK_MONOTONIC */
    int64_t prev = weft_now_ns();
    for (int i = 0; i < 1000; i++) {
        int64_t n = weft_now_ns();
        ck_assert(n >= prev);
        prev = n;
    }
}
END_TEST

typedef struct {
    weft_wg *wg;
    tu_counter *sum;
    long value;
    pthread_t creator;
    tu_counter *same_thread; /* goroutines that ran on the creator's thread */
} go_arg;

static void go_fn(void *p) {
    go_arg *a = p;
    tu_counter_add(a->sum, a->value);
    if (pthread_equal(pthread_self(), a->creator))
        tu_counter_add(a->same_thread, 1);
    weft_wg_done(a->wg);
}

START_TEST(test_go_runs_fn) {
    enum { N = 50 };
    weft_wg wg = {0};
    tu_counter sum, same;
    tu_counter_init(&sum);
    tu_counter_init(&same);
    go_arg a[N];
    ck_assert_int_eq(weft_wg_add(&wg, N), 0);
    for (int i = 0; i < N; i++) {
        a[i] = (go_arg){&wg, &sum, i + 1, pthread_self(), &same};
        ck_assert_int_eq(weft_go(go_fn, &a[i]), 0);
    }
    weft_wg_wait(&wg);
    ck_assert_int_eq(tu_counter_get(&sum), N * (N + 1) / 2); /* each arg exactly once */
    ck_assert_int_eq(tu_counter_get(&same), 0);
    tu_counter_destroy(&sum);
    tu_counter_destroy(&same);
}
END_TEST

/* Goroutines run concurrently: N of them rendezvous on an unbuffered
 * channel chain, which cannot finish if they ran one after another. */
typedef struct {
    weft_chan *in, *out;
    weft_wg *wg;
} relay_arg;

static void relay(void *p) {
    relay_arg *r = p;
    long v;
    if (weft_chan_recv(r->in, &v) == 0) {
        v++;
        weft_chan_send(r->out, &v);
    }
    weft_wg_done(r->wg);
}

START_TEST(test_go_concurrent) {
    enum { N = 32 };
    weft_chan *ch[N + 1];
    relay_arg r[N];
    weft_wg wg = {0};
    for (int i = 0; i <= N; i++)
        ch[i] = weft_chan_make(sizeof(long), 0);
    weft_wg_add(&wg, N);
    /* Start them last-first, so that each blocks before its input exists. */
    for (int i = N - 1; i >= 0; i--) {
        r[i] = (relay_arg){ch[i], ch[i + 1], &wg};
        ck_assert_int_eq(weft_go(relay, &r[i]), 0);
    }
    long v = 0;
    ck_assert_int_eq(weft_chan_send(ch[0], &v), 0);
    ck_assert_int_eq(weft_chan_recv(ch[N], &v), 0);
    ck_assert_int_eq(v, N);
    weft_wg_wait(&wg); /* no goroutine is still inside a channel call */
    for (int i = 0; i <= N; i++)
        weft_chan_free(ch[i]);
}
END_TEST

/* Sequential goroutines, each started after the previous one returned:
 * libweft runs them on a reused thread rather than a new one each, and a
 * name one of them gave its thread does not follow into the next. */
typedef struct {
    weft_wg *wg;
    int tid;
    char name[16];
} seq_arg;

static void record_and_rename(void *p) {
    seq_arg *a = p;
    a->tid = (int)syscall(SYS_gettid);
    prctl(PR_GET_NAME, a->name);
    pthread_setname_np(pthread_self(), "g-renamed");
    weft_wg_done(a->wg);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(test_go_reuses_threads) {
    enum { N = 20 };
    seq_arg a[N];
    int distinct = 0;
    for (int i = 0; i < N; i++) {
        weft_wg wg = {0};
        a[i] = (seq_arg){.wg = &wg};
        weft_wg_add(&wg, 1);
        ck_assert_int_eq(weft_go(record_and_rename, &a[i]), 0);
        weft_wg_wait(&wg);
        /* Done is the fn's last act; give its thread time to go idle. */
        sleep_ms(10);
        ck_assert_msg(strcmp(a[i].name, "g-renamed") != 0,
                      "goroutine %d inherited the previous one's thread name", i);
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= a[j].tid == a[i].tid;
        distinct += !seen;
    }
    /* Without reuse every goroutine has a new thread (the kernel hands out
     * thread ids in sequence); with it, one or two serve them all. */
    ck_assert_msg(distinct <= N / 4, "%d goroutines ran on %d threads", N, distinct);
}
END_TEST

/* A goroutine may end its thread with pthread_exit: the kept-thread
 * bookkeeping lets go of it (ASan and Valgrind watch that), and later
 * goroutines still run. */
static void exit_early(void *p) {
    weft_wg_done(p);
    pthread_exit(NULL);
}

static void done_only(void *p) {
    weft_wg_done(p);
}

START_TEST(test_go_pthread_exit) {
    for (int round = 0; round < 3; round++) {
        weft_wg wg = {0};
        weft_wg_add(&wg, 4);
        ck_assert_int_eq(weft_go(exit_early, &wg), 0);
        ck_assert_int_eq(weft_go(exit_early, &wg), 0);
        ck_assert_int_eq(weft_go(done_only, &wg), 0);
        ck_assert_int_eq(weft_go(done_only, &wg), 0);
        weft_wg_wait(&wg);
        sleep_ms(5);
    }
}
END_TEST

/* After fork, the child has none of the parent's idle threads: a
 * goroutine started there must get a thread of its own and run. */
static void send_one(void *p) {
    int v = 7;
    weft_chan_send(p, &v);
}

START_TEST(test_go_after_fork) {
    /* Valgrind runs these tests in one process, and DRD carries the
     * happens-before annotations of earlier tests' stack-allocated groups
     * into the child, then takes its own pthread_create bookkeeping at the
     * same stack address for misuse of them. The plain, clang and
     * sanitizer runs cover this path. */
    if (tu_on_valgrind())
        return;
    /* Leave idle threads behind in the parent first. */
    for (int i = 0; i < 4; i++) {
        weft_wg wg = {0};
        seq_arg a = {.wg = &wg};
        weft_wg_add(&wg, 1);
        ck_assert_int_eq(weft_go(record_and_rename, &a), 0);
        weft_wg_wait(&wg);
    }
    sleep_ms(10);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        weft_chan *ch = weft_chan_make(sizeof(int), 0);
        weft_ctx *ctx = weft_ctx_with_timeout(NULL, 5000000000LL);
        int v = 0;
        if (weft_go(send_one, ch) != 0)
            _exit(2);
        weft_case c[2] = {{ch, WEFT_RECV, &v, 0}, {weft_ctx_done(ctx), WEFT_RECV, NULL, 0}};
        int k = weft_select(c, 2, 0);
        _exit(k == 0 && v == 7 ? 0 : 1);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("misc");
    TCase *tc = tcase_create("misc");
    tcase_add_test(tc, test_strerror_distinct);
    tcase_add_test(tc, test_error_values);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_now_ns_monotonic);
    tcase_add_test(tc, test_go_runs_fn);
    tcase_add_test(tc, test_go_concurrent);
    tcase_add_test(tc, test_go_reuses_threads);
    tcase_add_test(tc, test_go_after_fork);
    tcase_add_test(tc, test_go_pthread_exit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
