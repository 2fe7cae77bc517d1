/* check_leaky.c: a Check suite that test_check runs as a child and expects
 * to fail: one of its three tests leaks a thread blocked on a channel, and
 * WEFT_CHECK_NO_LEAKS must fail that test (and only it), with the report
 * as the message. Always in fork mode: the leaked thread dies with the
 * test's process. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <weft/check.h>

static void stuck(void *p) {
    pthread_setname_np(pthread_self(), "leaked-one");
    int v;
    weft_chan_recv(p, &v);
}

static void *quick(void *p) {
    return p;
}

START_TEST(test_clean) {
    weft_check_baseline *b = weft_check_baseline_take();
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, quick, NULL), 0);
    pthread_join(t, NULL);
    WEFT_CHECK_NO_LEAKS(b);
    weft_check_baseline_free(b);
}
END_TEST

START_TEST(test_leaks) {
    weft_check_baseline *b = weft_check_baseline_take();
    weft_chan *ch = weft_chan_make(sizeof(int), 0);
    ck_assert_int_eq(weft_go(stuck, ch), 0);
    WEFT_CHECK_NO_LEAKS_TIMEOUT(b, 100000000);
    weft_check_baseline_free(b);
}
END_TEST

/* A baseline taken in a checked fixture runs in the test's process too. */
static weft_check_baseline *fixture_b;
static void setup(void) {
    fixture_b = weft_check_baseline_take();
}
static void teardown(void) {
    WEFT_CHECK_NO_LEAKS(fixture_b);
    weft_check_baseline_free(fixture_b);
}

START_TEST(test_clean_fixture) {
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, quick, NULL), 0);
    pthread_join(t, NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("leaky");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_clean);
    tcase_add_test(tc, test_leaks);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("fixture");
    tcase_add_checked_fixture(tf, setup, teardown);
    tcase_add_test(tf, test_clean_fixture);
    suite_add_tcase(s, tf);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
/* SPDX-License-Identifier: MIT */
