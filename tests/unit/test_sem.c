/* test_sem.c: unit tests of weft_sem (golang.org/x/sync/semaphore.Weighted)
 * against <weft/weft.h>: try_acquire, FIFO (a large waiter at the head
 * blocks later small ones, and its cancellation lets them through),
 * acquire with a cancelled or timed-out ctx returns the ctx error and holds
 * nothing, n larger than the size waits for the ctx, over-release is
 * WEFT_ERANGE with no change, n < 0 is WEFT_EINVAL. */
#include "testutil.h"

#define BLOCK_MS 50

/* A weft_sem_acquire on its own thread. */
typedef struct {
    weft_ctx *ctx;
    weft_sem *s;
    int64_t n;
    int rc;
    tu_counter done;
    pthread_t t;
} acq_op;

static void *acq_main(void *p) {
    acq_op *a = p;
    a->rc = weft_sem_acquire(a->ctx, a->s, a->n);
    tu_counter_add(&a->done, 1);
    return NULL;
}

static void acq_start(acq_op *a, weft_ctx *ctx, weft_sem *s, int64_t n) {
    a->ctx = ctx;
    a->s = s;
    a->n = n;
    a->rc = 1;
    tu_counter_init(&a->done);
    a->t = tu_spawn(acq_main, a);
}

static bool acq_done(acq_op *a) {
    return tu_counter_get(&a->done) != 0;
}

static int acq_join(acq_op *a) {
    tu_join(a->t);
    tu_counter_destroy(&a->done);
    return a->rc;
}

static void pause_ms(int64_t ms) {
    tu_sleep_ms(ms * (tu_on_valgrind() ? 3 : 1));
}

/* x/sync's TryAcquire fails while anyone waits, even if n would fit: that
 * is the observable sign that a waiter is queued. Polls for it. */
static bool wait_until_queued(weft_sem *s) {
    int64_t end = tu_now_ns() + tu_slack_ns(5000);
    while (tu_now_ns() < end) {
        if (!weft_sem_try_acquire(s, 1))
            return true;
        weft_sem_release(s, 1);
        tu_sleep_ms(1);
    }
    return false;
}

START_TEST(test_try_acquire) {
    weft_sem *s = weft_sem_new(3);
    ck_assert_ptr_nonnull(s);
    ck_assert(weft_sem_try_acquire(s, 2));
    ck_assert(!weft_sem_try_acquire(s, 2));
    ck_assert(weft_sem_try_acquire(s, 1));
    ck_assert(!weft_sem_try_acquire(s, 1));
    ck_assert(weft_sem_try_acquire(s, 0));
    ck_assert_int_eq(weft_sem_release(s, 3), 0);
    ck_assert(weft_sem_try_acquire(s, 3));
    ck_assert(!weft_sem_try_acquire(s, 1));
    ck_assert_int_eq(weft_sem_release(s, 3), 0);
    ck_assert(!weft_sem_try_acquire(s, 4)); /* more than the size */
    weft_sem_free(s);
}
END_TEST

START_TEST(test_acquire_release_basic) {
    weft_sem *s = weft_sem_new(4);
    ck_assert_int_eq(weft_sem_acquire(NULL, s, 3), 0);
    ck_assert_int_eq(weft_sem_acquire(weft_ctx_background(), s, 1), 0);
    ck_assert_int_eq(weft_sem_acquire(NULL, s, 0), 0);
    ck_assert(!weft_sem_try_acquire(s, 1));
    ck_assert_int_eq(weft_sem_release(s, 4), 0);
    ck_assert_int_eq(weft_sem_acquire(NULL, s, -1), WEFT_EINVAL);
    ck_assert(weft_sem_try_acquire(s, 4)); /* the EINVAL took nothing */
    weft_sem_release(s, 4);
    weft_sem_free(s);
}
END_TEST

START_TEST(test_release_wakes_waiter) {
    weft_sem *s = weft_sem_new(3);
    ck_assert(weft_sem_try_acquire(s, 2));
    acq_op a;
    acq_start(&a, NULL, s, 3);
    pause_ms(BLOCK_MS);
    ck_assert_msg(!acq_done(&a), "acquire(3) returned with 1 free");
    ck_assert_int_eq(weft_sem_release(s, 1), 0);
    pause_ms(BLOCK_MS);
    ck_assert_msg(!acq_done(&a), "acquire(3) returned with 2 free");
    ck_assert_int_eq(weft_sem_release(s, 1), 0);
    ck_assert_int_eq(acq_join(&a), 0);
    ck_assert(!weft_sem_try_acquire(s, 1)); /* the waiter holds all 3 */
    ck_assert_int_eq(weft_sem_release(s, 3), 0);
    weft_sem_free(s);
}
END_TEST

/* FIFO: a waiter for 7 at the head keeps a later waiter for 1 waiting,
 * although 1 would fit; both get served in order on release. */
START_TEST(test_fifo_large_head_blocks_small) {
    weft_sem *s = weft_sem_new(10);
    ck_assert(weft_sem_try_acquire(s, 8)); /* 2 free */
    acq_op big, small;
    acq_start(&big, NULL, s, 7);
    ck_assert_msg(wait_until_queued(s), "a waiter never made try_acquire(1) fail");
    acq_start(&small, NULL, s, 1);
    pause_ms(BLOCK_MS);
    ck_assert_msg(!acq_done(&small), "small waiter overtook the large head waiter");
    ck_assert(!acq_done(&big));
    ck_assert(!weft_sem_try_acquire(s, 1)); /* not even try gets past the queue */
    ck_assert_int_eq(weft_sem_release(s, 8), 0);
    ck_assert_int_eq(acq_join(&big), 0);
    ck_assert_int_eq(acq_join(&small), 0);
    /* 7 + 1 held: exactly 2 free. */
    ck_assert(weft_sem_try_acquire(s, 2));
    ck_assert(!weft_sem_try_acquire(s, 1));
    ck_assert_int_eq(weft_sem_release(s, 10), 0);
    weft_sem_free(s);
}
END_TEST

/* When the head waiter gives up (its ctx ends), the waiters behind it that
 * now fit must be served without any release. */
START_TEST(test_cancelled_head_lets_others_through) {
    weft_sem *s = weft_sem_new(10);
    ck_assert(weft_sem_try_acquire(s, 8));
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    acq_op big, small;
    acq_start(&big, ctx, s, 7);
    ck_assert(wait_until_queued(s));
    acq_start(&small, NULL, s, 2);
    pause_ms(BLOCK_MS);
    ck_assert(!acq_done(&small));
    weft_ctx_cancel(ctx);
    ck_assert_int_eq(acq_join(&big), WEFT_ECANCELED);
    ck_assert_int_eq(acq_join(&small), 0);
    ck_assert(!weft_sem_try_acquire(s, 1)); /* 8 + 2 held */
    ck_assert_int_eq(weft_sem_release(s, 10), 0);
    ck_assert(weft_sem_try_acquire(s, 10)); /* the cancelled waiter holds nothing */
    weft_sem_release(s, 10);
    weft_sem_free(s);
    weft_ctx_free(ctx);
}
END_TEST

/* Newer x/sync: a ctx already done fails the acquire even if it would
 * succeed without blocking, and nothing is then held. */
START_TEST(test_cancelled_ctx) {
    weft_sem *s = weft_sem_new(5);
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    weft_ctx_cancel(ctx);
    ck_assert_int_eq(weft_sem_acquire(ctx, s, 1), WEFT_ECANCELED);
    ck_assert_int_eq(weft_sem_acquire(ctx, s, 5), WEFT_ECANCELED);
    ck_assert(weft_sem_try_acquire(s, 5));
    weft_sem_release(s, 5);
    weft_ctx *past = weft_ctx_with_deadline(NULL, tu_now_ns() - 1);
    ck_assert_int_eq(weft_sem_acquire(past, s, 2), WEFT_ETIMEDOUT);
    ck_assert(weft_sem_try_acquire(s, 5));
    weft_sem_release(s, 5);
    weft_ctx_free(past);
    weft_ctx_free(ctx);
    weft_sem_free(s);
}
END_TEST

START_TEST(test_cancel_while_waiting) {
    weft_sem *s = weft_sem_new(2);
    ck_assert(weft_sem_try_acquire(s, 2));
    weft_ctx *ctx = weft_ctx_with_cancel(NULL);
    acq_op a;
    acq_start(&a, ctx, s, 1);
    pause_ms(BLOCK_MS);
    ck_assert(!acq_done(&a));
    weft_ctx_cancel(ctx);
    ck_assert_int_eq(acq_join(&a), WEFT_ECANCELED);
    ck_assert_int_eq(weft_sem_release(s, 2), 0);
    ck_assert(weft_sem_try_acquire(s, 2)); /* nothing held by the waiter */
    weft_sem_release(s, 2);
    weft_ctx_free(ctx);
    weft_sem_free(s);
}
END_TEST

START_TEST(test_timeout_while_waiting) {
    weft_sem *s = weft_sem_new(1);
    ck_assert(weft_sem_try_acquire(s, 1));
    /* t0 before the ctx: its deadline is then at least t0 + 40 ms. */
    int64_t t0 = tu_now_ns();
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 40 * TU_MS);
    ck_assert_int_eq(weft_sem_acquire(ctx, s, 1), WEFT_ETIMEDOUT);
    int64_t el = tu_now_ns() - t0;
    ck_assert_msg(el >= 39 * TU_MS, "acquire timed out after %lld ns", (long long)el);
    /* (how late it is: bench/bench_lateness, not a test) */
    ck_assert_int_eq(weft_sem_release(s, 1), 0);
    ck_assert(weft_sem_try_acquire(s, 1));
    weft_sem_release(s, 1);
    weft_ctx_free(ctx);
    weft_sem_free(s);
}
END_TEST

/* n larger than the size can never be satisfied: it waits for the ctx. */
START_TEST(test_acquire_more_than_size) {
    weft_sem *s = weft_sem_new(3);
    weft_ctx *ctx = weft_ctx_with_timeout(NULL, 30 * TU_MS);
    ck_assert_int_eq(weft_sem_acquire(ctx, s, 4), WEFT_ETIMEDOUT);
    ck_assert(weft_sem_try_acquire(s, 3)); /* nothing held */
    weft_sem_release(s, 3);
    weft_ctx_free(ctx);
    weft_sem_free(s);
}
END_TEST

START_TEST(test_over_release) {
    weft_sem *s = weft_sem_new(5);
    ck_assert_int_eq(weft_sem_release(s, 1), WEFT_ERANGE); /* nothing held */
    ck_assert(weft_sem_try_acquire(s, 2));
    ck_assert_int_eq(weft_sem_release(s, 3), WEFT_ERANGE);
    /* No change: still 2 held, 3 free. */
    ck_assert(weft_sem_try_acquire(s, 3));
    ck_assert(!weft_sem_try_acquire(s, 1));
    ck_assert_int_eq(weft_sem_release(s, 6), WEFT_ERANGE);
    ck_assert_int_eq(weft_sem_release(s, 5), 0);
    ck_assert_int_eq(weft_sem_release(s, 1), WEFT_ERANGE);
    ck_assert(weft_sem_try_acquire(s, 5));
    weft_sem_release(s, 5);
    weft_sem_free(s);
}
END_TEST

/* Several threads acquiring and releasing random weights: the total held
 * never exceeds the size (tracked under a mutex by the holders). */
typedef struct {
    weft_sem *s;
    tu_counter *held;
    int iters, seed;
    int errors;
} churn_arg;

static void *churn(void *p) {
    churn_arg *a = p;
    unsigned r = (unsigned)a->seed;
    for (int i = 0; i < a->iters; i++) {
        r = r * 1103515245u + 12345u;
        int64_t n = 1 + (r >> 16) % 4;
        if (weft_sem_acquire(NULL, a->s, n) != 0) {
            a->errors++;
            continue;
        }
        tu_counter_add(a->held, n);
        tu_counter_add(a->held, -n);
        if (weft_sem_release(a->s, n) != 0)
            a->errors++;
    }
    return NULL;
}

START_TEST(test_churn_never_over_size) {
    enum { T = 6 };
    weft_sem *s = weft_sem_new(5);
    tu_counter held;
    tu_counter_init(&held);
    churn_arg a[T];
    pthread_t t[T];
    for (int i = 0; i < T; i++) {
        a[i] = (churn_arg){s, &held, (int)tu_scaled(3000, 100), i + 1, 0};
        t[i] = tu_spawn(churn, &a[i]);
    }
    for (int i = 0; i < T; i++) {
        tu_join(t[i]);
        ck_assert_int_eq(a[i].errors, 0);
    }
    ck_assert_int_le(tu_counter_max(&held), 5);
    ck_assert(weft_sem_try_acquire(s, 5));
    weft_sem_release(s, 5);
    tu_counter_destroy(&held);
    weft_sem_free(s);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("sem");
    TCase *tc = tcase_create("sem");
    tcase_add_test(tc, test_try_acquire);
    tcase_add_test(tc, test_acquire_release_basic);
    tcase_add_test(tc, test_release_wakes_waiter);
    tcase_add_test(tc, test_fifo_large_head_blocks_small);
    tcase_add_test(tc, test_cancelled_head_lets_others_through);
    tcase_add_test(tc, test_cancelled_ctx);
    tcase_add_test(tc, test_cancel_while_waiting);
    tcase_add_test(tc, test_timeout_while_waiting);
    tcase_add_test(tc, test_acquire_more_than_size);
    tcase_add_test(tc, test_over_release);
    tcase_add_test(tc, test_churn_never_over_size);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
