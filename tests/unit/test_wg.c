/* test_wg.c: unit tests of weft_wg (Go's sync.WaitGroup) against
 * <weft/weft.h>: the zero value is usable, add/done/wait, WEFT_ERANGE on a
 * counter that would go negative or past INT32_MAX (and no change then),
 * reuse after wait, many waiters. */
#include "testutil.h"

#include <stdint.h>

#define BLOCK_MS 50

/* A weft_wg_wait on its own thread, observable as still blocked or done. */
typedef struct {
    weft_wg *wg;
    tu_counter done;
    pthread_t t;
} waiter;

static void *wait_main(void *p) {
    waiter *w = p;
    weft_wg_wait(w->wg);
    tu_counter_add(&w->done, 1);
    return NULL;
}

static void waiter_start(waiter *w, weft_wg *wg) {
    w->wg = wg;
    tu_counter_init(&w->done);
    w->t = tu_spawn(wait_main, w);
}

static bool waiter_still_blocked(waiter *w, int64_t ms) {
    tu_sleep_ms(ms * (tu_on_valgrind() ? 3 : 1));
    return tu_counter_get(&w->done) == 0;
}

static void waiter_join(waiter *w) {
    tu_join(w->t);
    tu_counter_destroy(&w->done);
}

static weft_wg static_wg; /* zero-initialised storage, like a Go global */

START_TEST(test_zero_value) {
    weft_wg wg = {0};
    weft_wg_wait(&wg); /* returns at once: counter 0 */
    weft_wg_wait(&static_wg);
    weft_wg init = WEFT_WG_INIT;
    weft_wg_wait(&init);
    ck_assert_int_eq(weft_wg_add(&wg, 0), 0);
    weft_wg_wait(&wg);
}
END_TEST

typedef struct {
    weft_wg *wg;
    tu_counter *finished;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    tu_sleep_ms(2); /* be still running when wait starts, most of the time */
    tu_counter_add(a->finished, 1);
    weft_wg_done(a->wg);
    return NULL;
}

START_TEST(test_add_done_wait) {
    enum { N = 16 };
    weft_wg wg = {0};
    tu_counter finished;
    tu_counter_init(&finished);
    worker_arg a = {&wg, &finished};
    pthread_t t[N];
    ck_assert_int_eq(weft_wg_add(&wg, N), 0);
    for (int i = 0; i < N; i++)
        t[i] = tu_spawn(worker, &a);
    weft_wg_wait(&wg);
    /* Every Done happened before Wait returned. */
    ck_assert_int_eq(tu_counter_get(&finished), N);
    for (int i = 0; i < N; i++)
        tu_join(t[i]);
    tu_counter_destroy(&finished);
}
END_TEST

START_TEST(test_wait_blocks_while_positive) {
    weft_wg wg = {0};
    ck_assert_int_eq(weft_wg_add(&wg, 2), 0);
    waiter w;
    waiter_start(&w, &wg);
    ck_assert_msg(waiter_still_blocked(&w, BLOCK_MS), "wait returned at counter 2");
    weft_wg_done(&wg);
    ck_assert_msg(waiter_still_blocked(&w, BLOCK_MS), "wait returned at counter 1");
    weft_wg_done(&wg);
    waiter_join(&w);
}
END_TEST

/* The counter must not move when an add is refused. */
START_TEST(test_negative_is_erange_and_unchanged) {
    weft_wg wg = {0};
    ck_assert_int_eq(weft_wg_add(&wg, -1), WEFT_ERANGE);
    weft_wg_wait(&wg); /* still 0 */
    ck_assert_int_eq(weft_wg_add(&wg, 2), 0);
    ck_assert_int_eq(weft_wg_add(&wg, -3), WEFT_ERANGE);
    /* Still 2: one done leaves a waiter blocked, the second frees it. */
    weft_wg_done(&wg);
    waiter w;
    waiter_start(&w, &wg);
    ck_assert_msg(waiter_still_blocked(&w, BLOCK_MS), "a refused add changed the counter");
    weft_wg_done(&wg);
    waiter_join(&w);
}
END_TEST

/* Done at zero is Go's "negative WaitGroup counter": here a no-op. */
START_TEST(test_done_at_zero_is_no_change) {
    weft_wg wg = {0};
    weft_wg_done(&wg);
    weft_wg_wait(&wg);
    ck_assert_int_eq(weft_wg_add(&wg, 1), 0);
    waiter w;
    waiter_start(&w, &wg);
    ck_assert_msg(waiter_still_blocked(&w, BLOCK_MS), "done at 0 went negative, or wrapped");
    weft_wg_done(&wg);
    waiter_join(&w);
    ck_assert_int_eq(weft_wg_add(&wg, -1), WEFT_ERANGE);
}
END_TEST

START_TEST(test_overflow_is_erange) {
    weft_wg wg = {0};
    ck_assert_int_eq(weft_wg_add(&wg, INT32_MAX), 0);
    ck_assert_int_eq(weft_wg_add(&wg, 1), WEFT_ERANGE);
    ck_assert_int_eq(weft_wg_add(&wg, INT32_MAX), WEFT_ERANGE);
    ck_assert_int_eq(weft_wg_add(&wg, -INT32_MAX), 0);
    weft_wg_wait(&wg);
    ck_assert_int_eq(weft_wg_add(&wg, INT32_MIN), WEFT_ERANGE);
    weft_wg_wait(&wg);
}
END_TEST

/* A WaitGroup is reusable once Wait has returned. */
START_TEST(test_reuse_after_wait) {
    weft_wg wg = {0};
    tu_counter finished;
    tu_counter_init(&finished);
    worker_arg a = {&wg, &finished};
    int rounds = (int)tu_scaled(100, 10);
    long expect = 0;
    for (int r = 0; r < rounds; r++) {
        int n = 1 + r % 4;
        pthread_t t[4];
        ck_assert_int_eq(weft_wg_add(&wg, n), 0);
        for (int i = 0; i < n; i++)
            t[i] = tu_spawn(worker, &a);
        weft_wg_wait(&wg);
        expect += n;
        ck_assert_int_eq(tu_counter_get(&finished), expect);
        for (int i = 0; i < n; i++)
            tu_join(t[i]);
    }
    tu_counter_destroy(&finished);
}
END_TEST

START_TEST(test_many_waiters) {
    enum { W = 12 };
    weft_wg wg = {0};
    waiter w[W];
    ck_assert_int_eq(weft_wg_add(&wg, 3), 0);
    for (int i = 0; i < W; i++)
        waiter_start(&w[i], &wg);
    for (int i = 0; i < W; i++)
        ck_assert(waiter_still_blocked(&w[i], i == 0 ? BLOCK_MS : 0));
    weft_wg_done(&wg);
    weft_wg_done(&wg);
    for (int i = 0; i < W; i++)
        ck_assert(waiter_still_blocked(&w[i], i == 0 ? 10 : 0));
    weft_wg_done(&wg);
    for (int i = 0; i < W; i++)
        waiter_join(&w[i]); /* all released by the last Done */
}
END_TEST

/* One WaitGroup reused for many rounds, each with several waiters and a
 * Done racing with their arrival: no lost wake-up across epochs. */
static void *done_main(void *p) {
    weft_wg_done(p);
    return NULL;
}

static void *wait_only(void *p) {
    weft_wg_wait(p);
    return NULL;
}

START_TEST(test_rounds_with_waiters) {
    int rounds = (int)tu_scaled(300, 20);
    weft_wg wg = {0};
    tu_watchdog_start(60, "wg rounds with waiters (lost wake-up?)");
    for (int r = 0; r < rounds; r++) {
        pthread_t t[4];
        ck_assert_int_eq(weft_wg_add(&wg, 1), 0);
        t[0] = tu_spawn(wait_only, &wg);
        t[1] = tu_spawn(wait_only, &wg);
        t[2] = tu_spawn(done_main, &wg);
        t[3] = tu_spawn(wait_only, &wg);
        for (int i = 0; i < 4; i++)
            tu_join(t[i]);
    }
    tu_watchdog_stop();
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("wg");
    TCase *tc = tcase_create("wg");
    tcase_add_test(tc, test_zero_value);
    tcase_add_test(tc, test_add_done_wait);
    tcase_add_test(tc, test_wait_blocks_while_positive);
    tcase_add_test(tc, test_negative_is_erange_and_unchanged);
    tcase_add_test(tc, test_done_at_zero_is_no_change);
    tcase_add_test(tc, test_overflow_is_erange);
    tcase_add_test(tc, test_reuse_after_wait);
    tcase_add_test(tc, test_many_waiters);
    tcase_add_test(tc, test_rounds_with_waiters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
