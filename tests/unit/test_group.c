/* test_group.c: unit tests of weft_group (golang.org/x/sync/errgroup with
 * WithContext and SetLimit) against <weft/weft.h>: wait returns the first
 * non-zero result; the group ctx is cancelled on the first error and when
 * wait returns, and follows its parent; set_limit bounds concurrency
 * (measured), go blocks and try_go fails at the limit, set_limit while
 * functions run is WEFT_EINVAL; a NULL parent is the background. */
#include "testutil.h"

#define BLOCK_MS 50

static int ret_zero(weft_ctx *ctx, void *arg) {
    (void)ctx;
    tu_counter_add(arg, 1);
    return 0;
}

START_TEST(test_null_parent_all_ok) {
    weft_group *g = weft_group_new(NULL);
    ck_assert_ptr_nonnull(g);
    weft_ctx *gc = weft_group_ctx(g);
    ck_assert_ptr_nonnull(gc);
    ck_assert_int_eq(weft_ctx_err(gc), 0);
    tu_counter ran;
    tu_counter_init(&ran);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(weft_group_go(g, ret_zero, &ran), 0);
    ck_assert_int_eq(weft_group_wait(g), 0);
    ck_assert_int_eq(tu_counter_get(&ran), 5); /* all finished before wait returned */
    /* Cancelled when wait returns, even without an error. */
    ck_assert_int_eq(weft_ctx_err(gc), WEFT_ECANCELED);
    weft_group_free(g);
    tu_counter_destroy(&ran);
}
END_TEST

START_TEST(test_wait_with_no_functions) {
    weft_group *g = weft_group_new(weft_ctx_background());
    ck_assert_int_eq(weft_group_wait(g), 0);
    ck_assert_int_eq(weft_ctx_err(weft_group_ctx(g)), WEFT_ECANCELED);
    weft_group_free(g);
}
END_TEST

/* The ctx a function gets is the group's, live while no error happened. */
typedef struct {
    weft_group *g;
    tu_counter bad; /* functions that saw a wrong ctx */
} ctx_check_arg;

static int check_ctx(weft_ctx *ctx, void *p) {
    ctx_check_arg *a = p;
    if (ctx != weft_group_ctx(a->g) || weft_ctx_err(ctx) != 0)
        tu_counter_add(&a->bad, 1);
    return 0;
}

START_TEST(test_fn_gets_live_group_ctx) {
    ctx_check_arg a;
    a.g = weft_group_new(NULL);
    tu_counter_init(&a.bad);
    for (int i = 0; i < 8; i++)
        weft_group_go(a.g, check_ctx, &a);
    ck_assert_int_eq(weft_group_wait(a.g), 0);
    ck_assert_int_eq(tu_counter_get(&a.bad), 0);
    weft_group_free(a.g);
    tu_counter_destroy(&a.bad);
}
END_TEST

/* The first error wins; the others, which return later because they wait
 * for the cancellation the first error causes, do not replace it. */
static int fail_now(weft_ctx *ctx, void *arg) {
    (void)ctx;
    (void)arg;
    return -1001;
}

static int fail_after_cancel(weft_ctx *ctx, void *arg) {
    (void)arg;
    /* Blocks until the group ctx is cancelled by fail_now's error. */
    weft_chan_recv(weft_ctx_done(ctx), NULL);
    return weft_ctx_err(ctx) == WEFT_ECANCELED ? -2002 : -3003;
}

START_TEST(test_first_error_wins_and_cancels) {
    weft_group *g = weft_group_new(NULL);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(weft_group_go(g, fail_after_cancel, NULL), 0);
    ck_assert_int_eq(weft_group_go(g, fail_now, NULL), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(weft_group_go(g, fail_after_cancel, NULL), 0);
    ck_assert_int_eq(weft_group_wait(g), -1001);
    ck_assert_int_eq(weft_ctx_err(weft_group_ctx(g)), WEFT_ECANCELED);
    weft_group_free(g);
}
END_TEST

/* The group ctx is cancelled at the first error, before wait is called. */
START_TEST(test_ctx_cancelled_on_first_error_before_wait) {
    weft_group *g = weft_group_new(NULL);
    weft_group_go(g, fail_now, NULL);
    ck_assert_int_eq(weft_chan_recv(weft_ctx_done(weft_group_ctx(g)), NULL), WEFT_ECLOSED);
    ck_assert_int_eq(weft_ctx_err(weft_group_ctx(g)), WEFT_ECANCELED);
    ck_assert_int_eq(weft_group_wait(g), -1001);
    weft_group_free(g);
}
END_TEST

START_TEST(test_parent_cancel_propagates) {
    weft_ctx *parent = weft_ctx_with_cancel(NULL);
    weft_group *g = weft_group_new(parent);
    weft_ctx *gc = weft_group_ctx(g);
    ck_assert_int_eq(weft_ctx_err(gc), 0);
    weft_group_go(g, fail_after_cancel, NULL); /* ends once gc is cancelled */
    weft_ctx_cancel(parent);
    ck_assert_int_eq(weft_group_wait(g), -2002);
    ck_assert_int_eq(weft_ctx_err(gc), WEFT_ECANCELED);
    weft_group_free(g);
    weft_ctx_free(parent);
}
END_TEST

/* Concurrency measured with a counter: never above the limit. */
typedef struct {
    tu_counter running;
    tu_counter finished;
} conc_arg;

static int measure(weft_ctx *ctx, void *p) {
    (void)ctx;
    conc_arg *a = p;
    tu_counter_add(&a->running, 1);
    tu_sleep_ms(3); /* overlap with the others, if the limit lets them */
    tu_counter_add(&a->running, -1);
    tu_counter_add(&a->finished, 1);
    return 0;
}

START_TEST(test_limit_bounds_concurrency) {
    for (int limit = 1; limit <= 3; limit++) {
        conc_arg a;
        tu_counter_init(&a.running);
        tu_counter_init(&a.finished);
        weft_group *g = weft_group_new(NULL);
        ck_assert_int_eq(weft_group_set_limit(g, limit), 0);
        int n = 6 * limit;
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(weft_group_go(g, measure, &a), 0);
        ck_assert_int_eq(weft_group_wait(g), 0);
        ck_assert_int_eq(tu_counter_get(&a.finished), n);
        ck_assert_msg(tu_counter_max(&a.running) <= limit, "limit %d, but %ld ran at once", limit,
                      tu_counter_max(&a.running));
        ck_assert_int_ge(tu_counter_max(&a.running), 1);
        weft_group_free(g);
        tu_counter_destroy(&a.running);
        tu_counter_destroy(&a.finished);
    }
}
END_TEST

/* A function that runs until the test thread lets it go. */
typedef struct {
    weft_chan *release; /* closed to let every blocker return */
    tu_counter started;
} blocker_arg;

static int blocker(weft_ctx *ctx, void *p) {
    (void)ctx;
    blocker_arg *a = p;
    tu_counter_add(&a->started, 1);
    weft_chan_recv(a->release, NULL);
    return 0;
}

static void blocker_init(blocker_arg *a) {
    a->release = weft_chan_make(0, 0);
    tu_counter_init(&a->started);
}

static void blocker_destroy(blocker_arg *a) {
    weft_chan_free(a->release);
    tu_counter_destroy(&a->started);
}

START_TEST(test_no_limit_runs_all_at_once) {
    enum { N = 20 };
    blocker_arg a;
    blocker_init(&a);
    weft_group *g = weft_group_new(NULL);
    ck_assert_int_eq(weft_group_set_limit(g, -1), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(weft_group_go(g, blocker, &a), 0);
    /* All N are inside blocker at once: nothing limits them. */
    ck_assert(tu_counter_wait_ge(&a.started, N, tu_slack_ns(5000)));
    weft_chan_close(a.release);
    ck_assert_int_eq(weft_group_wait(g), 0);
    weft_group_free(g);
    blocker_destroy(&a);
}
END_TEST

START_TEST(test_try_go_at_limit) {
    blocker_arg a;
    blocker_init(&a);
    tu_counter ran;
    tu_counter_init(&ran);
    weft_group *g = weft_group_new(NULL);
    ck_assert_int_eq(weft_group_set_limit(g, 2), 0);
    ck_assert(weft_group_try_go(g, blocker, &a));
    ck_assert(weft_group_try_go(g, blocker, &a));
    ck_assert(!weft_group_try_go(g, ret_zero, &ran));
    ck_assert(!weft_group_try_go(g, ret_zero, &ran));
    weft_chan_close(a.release);
    /* Slots free up as the blockers return; go (blocking) then gets one. */
    ck_assert_int_eq(weft_group_go(g, ret_zero, &ran), 0);
    ck_assert_int_eq(weft_group_wait(g), 0);
    ck_assert_int_eq(tu_counter_get(&ran), 1); /* the refused ones never ran */
    weft_group_free(g);
    tu_counter_destroy(&ran);
    blocker_destroy(&a);
}
END_TEST

/* group_go blocks while the limit is reached. */
typedef struct {
    weft_group *g;
    tu_counter *ran;
    int rc;
    tu_counter done;
} go_arg;

static void *go_main(void *p) {
    go_arg *a = p;
    a->rc = weft_group_go(a->g, ret_zero, a->ran);
    tu_counter_add(&a->done, 1);
    return NULL;
}

START_TEST(test_go_blocks_at_limit) {
    blocker_arg a;
    blocker_init(&a);
    tu_counter ran;
    tu_counter_init(&ran);
    weft_group *g = weft_group_new(NULL);
    ck_assert_int_eq(weft_group_set_limit(g, 1), 0);
    ck_assert_int_eq(weft_group_go(g, blocker, &a), 0);
    go_arg ga;
    ga.g = g;
    ga.ran = &ran;
    ga.rc = 1;
    tu_counter_init(&ga.done);
    pthread_t t = tu_spawn(go_main, &ga);
    tu_sleep_ms(BLOCK_MS * (tu_on_valgrind() ? 3 : 1));
    ck_assert_msg(tu_counter_get(&ga.done) == 0, "group_go returned at the limit");
    ck_assert_int_eq(tu_counter_get(&ran), 0);
    weft_chan_close(a.release);
    tu_join(t);
    ck_assert_int_eq(ga.rc, 0);
    ck_assert_int_eq(weft_group_wait(g), 0);
    ck_assert_int_eq(tu_counter_get(&ran), 1);
    weft_group_free(g);
    tu_counter_destroy(&ran);
    tu_counter_destroy(&ga.done);
    blocker_destroy(&a);
}
END_TEST

START_TEST(test_set_limit_while_running) {
    blocker_arg a;
    blocker_init(&a);
    weft_group *g = weft_group_new(NULL);
    ck_assert_int_eq(weft_group_go(g, blocker, &a), 0);
    ck_assert_int_eq(weft_group_set_limit(g, 3), WEFT_EINVAL);
    ck_assert_int_eq(weft_group_set_limit(g, -1), WEFT_EINVAL);
    weft_chan_close(a.release);
    ck_assert_int_eq(weft_group_wait(g), 0);
    weft_group_free(g);
    blocker_destroy(&a);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("group");
    TCase *tc = tcase_create("group");
    tcase_add_test(tc, test_null_parent_all_ok);
    tcase_add_test(tc, test_wait_with_no_functions);
    tcase_add_test(tc, test_fn_gets_live_group_ctx);
    tcase_add_test(tc, test_first_error_wins_and_cancels);
    tcase_add_test(tc, test_ctx_cancelled_on_first_error_before_wait);
    tcase_add_test(tc, test_parent_cancel_propagates);
    suite_add_tcase(s, tc);

    tc = tcase_create("limit");
    tcase_add_test(tc, test_limit_bounds_concurrency);
    tcase_add_test(tc, test_no_limit_runs_all_at_once);
    tcase_add_test(tc, test_try_go_at_limit);
    tcase_add_test(tc, test_go_blocks_at_limit);
    tcase_add_test(tc, test_set_limit_while_running);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
