/* test_rate.c: unit tests of weft_limiter (golang.org/x/time/rate token
 * bucket) against <weft/weft.h>: it starts full (burst immediate allows,
 * then false), refills at the rate (checked with generous margins), wait
 * with a cancelled ctx, a wait that would pass the ctx deadline fails at
 * once with WEFT_ETIMEDOUT, burst 0 with a finite rate (wait WEFT_EINVAL,
 * allow false), an INFINITY rate always allows, bad arguments, and allow
 * racing from several threads hands out exactly burst tokens. */
#include "testutil.h"

#include <math.h>

START_TEST(test_new_bad_args) {
    ck_assert_ptr_null(weft_limiter_new(-1.0, 1));
    ck_assert_ptr_null(weft_limiter_new(1.0, -1));
    weft_limiter *l = weft_limiter_new(0.0, 0);
    ck_assert_ptr_nonnull(l);
    weft_limiter_free(l);
}
END_TEST

START_TEST(test_starts_full) {
    /* 0.1/s: no new token for 10 s, far beyond this test. */
    weft_limiter *l = weft_limiter_new(0.1, 5);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(weft_limiter_allow(l), "allow %d of a full burst-5 bucket refused", i);
    for (int i = 0; i < 3; i++)
        ck_assert(!weft_limiter_allow(l));
    weft_limiter_free(l);
}
END_TEST

START_TEST(test_waits_immediate_within_burst) {
    weft_limiter *l = weft_limiter_new(0.1, 3);
    /* Without waiting: a wait for a new token (10 s at 0.1/s) could not
     * end before this context's deadline, and fails at once (as Go's
     * Wait, "would exceed context deadline") or at it. */
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 2000 * TU_MS);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(weft_limiter_wait(ctx, l), 0);
    weft_ctx_free(ctx);
    ck_assert(!weft_limiter_allow(l));
    weft_limiter_free(l);
}
END_TEST

/* 5/s: one token each 200 ms. Whether a token may already be back depends
 * on the time that passed, so each assertion looks at the clock. */
START_TEST(test_refill) {
    weft_limiter *l = weft_limiter_new(5.0, 1);
    int64_t t0 = tu_now_ns();
    ck_assert(weft_limiter_allow(l));
    bool again = weft_limiter_allow(l);
    if (tu_now_ns() - t0 < 150 * TU_MS)
        ck_assert_msg(!again, "a token came back well before 200 ms");
    tu_sleep_ms(500); /* 2.5 tokens' worth, but burst 1 caps it */
    ck_assert(weft_limiter_allow(l));
    int64_t t1 = tu_now_ns();
    again = weft_limiter_allow(l);
    if (tu_now_ns() - t1 < 150 * TU_MS)
        ck_assert_msg(!again, "burst 1 held more than one token");
    weft_limiter_free(l);
}
END_TEST

/* 100/s, burst 1: after the initial token, 20 waits take about 200 ms. */
START_TEST(test_wait_paces_at_rate) {
    enum { N = 20 };
    /* t0 before the limiter: its k-th new token comes at least k * 10 ms
     * after t0. */
    int64_t t0 = tu_now_ns();
    weft_limiter *l = weft_limiter_new(100.0, 1);
    for (int i = 0; i <= N; i++)
        ck_assert_int_eq(weft_limiter_wait(NULL, l), 0);
    int64_t el = tu_now_ns() - t0;
    ck_assert_msg(el >= N * 10 * TU_MS - TU_MS, "%d waits at 100/s took only %lld ms", N,
                  (long long)(el / TU_MS));
    /* (how late the pacing is: bench/bench_lateness, not a test) */
    weft_limiter_free(l);
}
END_TEST

/* Several waiters share the rate: 4 threads x 5 waits at 100/s, burst 2:
 * 20 tokens, 2 at once, the other 18 in about 180 ms. */
typedef struct {
    weft_limiter *l;
    int n, errors;
} waiter_arg;

static void *waiter_main(void *p) {
    waiter_arg *a = p;
    for (int i = 0; i < a->n; i++)
        if (weft_limiter_wait(NULL, a->l) != 0)
            a->errors++;
    return NULL;
}

START_TEST(test_concurrent_waiters_share_rate) {
    enum { T = 4, N = 5 };
    int64_t t0 = tu_now_ns();
    weft_limiter *l = weft_limiter_new(100.0, 2);
    waiter_arg a[T];
    pthread_t t[T];
    for (int i = 0; i < T; i++) {
        a[i] = (waiter_arg){l, N, 0};
        t[i] = tu_spawn(waiter_main, &a[i]);
    }
    for (int i = 0; i < T; i++) {
        tu_join(t[i]);
        ck_assert_int_eq(a[i].errors, 0);
    }
    int64_t el = tu_now_ns() - t0;
    ck_assert_msg(el >= (T * N - 2) * 10 * TU_MS - TU_MS, "took only %lld ms",
                  (long long)(el / TU_MS));
    weft_limiter_free(l);
}
END_TEST

/* x/time/rate checks the ctx first: a done ctx fails the wait even with a
 * token available, and that token is not used up. */
START_TEST(test_wait_cancelled_ctx) {
    weft_limiter *l = weft_limiter_new(0.1, 1);
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    weft_ctx_cancel(ctx);
    ck_assert_int_eq(weft_limiter_wait(ctx, l), WEFT_ECANCELED);
    ck_assert(weft_limiter_allow(l)); /* still there */
    ck_assert_int_eq(weft_limiter_wait(ctx, l), WEFT_ECANCELED);
    weft_ctx_free(ctx);
    weft_limiter_free(l);
}
END_TEST

typedef struct {
    weft_ctx *ctx;
    weft_limiter *l;
    int rc;
} wait_arg;

static void *wait_main(void *p) {
    wait_arg *a = p;
    a->rc = weft_limiter_wait(a->ctx, a->l);
    return NULL;
}

/* Cancelled while waiting for a token (0.5/s: the token is 2 s away):
 * returns WEFT_ECANCELED promptly. */
START_TEST(test_wait_cancelled_while_waiting) {
    weft_limiter *l = weft_limiter_new(0.5, 1);
    ck_assert(weft_limiter_allow(l));
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    wait_arg a = {ctx, l, 1};
    int64_t t0 = tu_now_ns();
    pthread_t t = tu_spawn(wait_main, &a);
    tu_sleep_ms(30);
    weft_ctx_cancel(ctx);
    tu_join(t);
    int64_t el = tu_now_ns() - t0;
    ck_assert_int_eq(a.rc, WEFT_ECANCELED);
    if (!tu_on_valgrind())
        ck_assert_msg(el < 1500 * TU_MS, "cancelled wait returned after %lld ms",
                      (long long)(el / TU_MS));
    weft_ctx_free(ctx);
    weft_limiter_free(l);
}
END_TEST

/* The next token is 20 s away but the ctx ends in 5 s: WEFT_ETIMEDOUT at
 * once, without sleeping until the deadline. */
START_TEST(test_wait_would_pass_deadline) {
    weft_limiter *l = weft_limiter_new(0.05, 1);
    ck_assert(weft_limiter_allow(l));
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 5000 * TU_MS);
    int64_t t0 = tu_now_ns();
    ck_assert_int_eq(weft_limiter_wait(ctx, l), WEFT_ETIMEDOUT);
    int64_t el = tu_now_ns() - t0;
    ck_assert_msg(el < 2500 * TU_MS, "wait slept %lld ms before giving up",
                  (long long)(el / TU_MS));
    ck_assert_int_eq(weft_ctx_err(ctx), 0); /* the ctx itself is still live */
    weft_ctx_free(ctx);
    weft_limiter_free(l);
}
END_TEST

/* A deadline far enough: the wait succeeds after about one token's time. */
START_TEST(test_wait_within_deadline) {
    weft_limiter *l = weft_limiter_new(20.0, 1);
    int64_t t0 = tu_now_ns(); /* before the allow: the next token is >= 50 ms later */
    ck_assert(weft_limiter_allow(l));
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 5000 * TU_MS);
    ck_assert_int_eq(weft_limiter_wait(ctx, l), 0);
    int64_t el = tu_now_ns() - t0;
    ck_assert_msg(el >= 49 * TU_MS, "waited only %lld ns for a 50 ms token", (long long)el);
    weft_ctx_free(ctx);
    weft_limiter_free(l);
}
END_TEST

START_TEST(test_burst_zero) {
    weft_limiter *l = weft_limiter_new(5.0, 0);
    ck_assert_ptr_nonnull(l);
    for (int i = 0; i < 3; i++)
        ck_assert(!weft_limiter_allow(l));
    ck_assert_int_eq(weft_limiter_wait(NULL, l), WEFT_EINVAL);
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 5000 * TU_MS);
    ck_assert_int_eq(weft_limiter_wait(ctx, l), WEFT_EINVAL);
    weft_ctx_free(ctx);
    weft_limiter_free(l);
}
END_TEST

START_TEST(test_infinite_rate) {
    weft_limiter *l = weft_limiter_new(INFINITY, 0);
    ck_assert_ptr_nonnull(l);
    for (int i = 0; i < 10000; i++)
        ck_assert(weft_limiter_allow(l));
    /* Never a wait for a token: a wait that needed one would fail at
     * once against this context's deadline (as for the burst above). */
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 2000 * TU_MS);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(weft_limiter_wait(ctx, l), 0);
    weft_ctx_free(ctx);
    weft_limiter_free(l);
    l = weft_limiter_new(INFINITY, 3);
    for (int i = 0; i < 100; i++)
        ck_assert(weft_limiter_allow(l));
    weft_limiter_free(l);
}
END_TEST

/* x/time/rate with limit 0: the burst is allowed once, then nothing. */
START_TEST(test_zero_rate_with_burst) {
    weft_limiter *l = weft_limiter_new(0.0, 2);
    ck_assert(weft_limiter_allow(l));
    ck_assert(weft_limiter_allow(l));
    ck_assert(!weft_limiter_allow(l));
    ck_assert(!weft_limiter_allow(l));
    weft_limiter_free(l);
}
END_TEST

/* Concurrent allow: exactly `burst` successes in total when the rate adds
 * nothing during the test. */
typedef struct {
    weft_limiter *l;
    int n, ok;
} allow_arg;

static void *allow_main(void *p) {
    allow_arg *a = p;
    for (int i = 0; i < a->n; i++)
        a->ok += weft_limiter_allow(a->l);
    return NULL;
}

START_TEST(test_concurrent_allow_exact) {
    enum { T = 8, BURST = 1000 };
    weft_limiter *l = weft_limiter_new(1e-6, BURST);
    allow_arg a[T];
    pthread_t t[T];
    for (int i = 0; i < T; i++) {
        a[i] = (allow_arg){l, BURST / 2, 0};
        t[i] = tu_spawn(allow_main, &a[i]);
    }
    int total = 0;
    for (int i = 0; i < T; i++) {
        tu_join(t[i]);
        total += a[i].ok;
    }
    ck_assert_int_eq(total, BURST);
    weft_limiter_free(l);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("rate");
    TCase *tc = tcase_create("rate");
    tcase_add_test(tc, test_new_bad_args);
    tcase_add_test(tc, test_starts_full);
    tcase_add_test(tc, test_waits_immediate_within_burst);
    tcase_add_test(tc, test_refill);
    tcase_add_test(tc, test_wait_paces_at_rate);
    tcase_add_test(tc, test_concurrent_waiters_share_rate);
    tcase_add_test(tc, test_wait_cancelled_ctx);
    tcase_add_test(tc, test_wait_cancelled_while_waiting);
    tcase_add_test(tc, test_wait_would_pass_deadline);
    tcase_add_test(tc, test_wait_within_deadline);
    tcase_add_test(tc, test_burst_zero);
    tcase_add_test(tc, test_infinite_rate);
    tcase_add_test(tc, test_zero_rate_with_burst);
    tcase_add_test(tc, test_concurrent_allow_exact);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
