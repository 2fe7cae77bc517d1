/* test_future.c: unit tests of weft_future against <weft/weft.h>: get
 * returns fn's own code and copies its result, again and again once
 * settled; the result buffer starts zeroed; get_timeout times out while fn
 * runs and gets the value later; many concurrent getters; free while fn
 * runs waits for it (ASan would see a write into freed memory otherwise). */
#include "testutil.h"

#include <string.h>

typedef struct {
    long a, b;
    char tag[16];
} result_t;

static int fill_result(void *arg, void *result) {
    result_t *r = result;
    r->a = *(long *)arg;
    r->b = -r->a;
    strcpy(r->tag, "filled");
    return 7;
}

START_TEST(test_get_code_and_result) {
    long in = 42;
    weft_future *f = weft_future_start(fill_result, &in, sizeof(result_t));
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 3; i++) {
        result_t r;
        memset(&r, 0xCC, sizeof r);
        ck_assert_int_eq(weft_future_get(f, &r), 7);
        ck_assert_int_eq(r.a, 42);
        ck_assert_int_eq(r.b, -42);
        ck_assert_str_eq(r.tag, "filled");
    }
    ck_assert_int_eq(weft_future_get(f, NULL), 7);
    result_t r;
    ck_assert_int_eq(weft_future_get_timeout(f, &r, 0), 7); /* settled: no wait */
    ck_assert_int_eq(r.a, 42);
    weft_future_free(f);
}
END_TEST

static int negative_code(void *arg, void *result) {
    (void)arg;
    (void)result;
    return WEFT_ECANCELED;
}

START_TEST(test_negative_code_and_no_result) {
    weft_future *f = weft_future_start(negative_code, NULL, 0);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(weft_future_get(f, NULL), WEFT_ECANCELED);
    ck_assert_int_eq(weft_future_get(f, NULL), WEFT_ECANCELED);
    weft_future_free(f);
}
END_TEST

/* fn sees a zeroed result buffer: it reports whether every byte was 0. */
static int check_zeroed(void *arg, void *result) {
    (void)arg;
    const unsigned char *p = result;
    for (size_t i = 0; i < 256; i++)
        if (p[i] != 0)
            return 1;
    return 0;
}

START_TEST(test_result_starts_zeroed) {
    for (int i = 0; i < 10; i++) {
        weft_future *f = weft_future_start(check_zeroed, NULL, 256);
        ck_assert_int_eq(weft_future_get(f, NULL), 0);
        weft_future_free(f);
    }
}
END_TEST

/* fn runs until the test lets it go through a channel. */
typedef struct {
    weft_chan *go;
    tu_counter finished;
} gated_arg;

static int gated(void *arg, void *result) {
    gated_arg *g = arg;
    long v = 0;
    weft_chan_recv(g->go, &v);
    *(long *)result = v;
    tu_counter_add(&g->finished, 1);
    return 3;
}

START_TEST(test_get_timeout_then_value) {
    gated_arg g;
    g.go = weft_chan_make(sizeof(long), 0);
    tu_counter_init(&g.finished);
    weft_future *f = weft_future_start(gated, &g, sizeof(long));
    long r = -1;
    int64_t t0 = tu_now_ns();
    ck_assert_int_eq(weft_future_get_timeout(f, &r, 30 * TU_MS), WEFT_ETIMEDOUT);
    int64_t el = tu_now_ns() - t0;
    ck_assert_msg(el >= 29 * TU_MS, "get_timeout gave up after %lld ns", (long long)el);
    /* (how late it is: bench/bench_lateness, not a test) */
    ck_assert_int_eq(weft_future_get_timeout(f, &r, 0), WEFT_ETIMEDOUT);
    long v = 99;
    ck_assert_int_eq(weft_chan_send(g.go, &v), 0);
    ck_assert_int_eq(weft_future_get_timeout(f, &r, 10000 * TU_MS), 3);
    ck_assert_int_eq(r, 99);
    ck_assert_int_eq(weft_future_get(f, &r), 3);
    weft_future_free(f);
    weft_chan_free(g.go);
    tu_counter_destroy(&g.finished);
}
END_TEST

typedef struct {
    weft_future *f;
    weft_wg *ready;
    int rc;
    long r;
    bool timed;
} getter_arg;

static void *getter(void *p) {
    getter_arg *a = p;
    weft_wg_done(a->ready);
    a->rc = a->timed ? weft_future_get_timeout(a->f, &a->r, 60000 * TU_MS)
                     : weft_future_get(a->f, &a->r);
    return NULL;
}

START_TEST(test_many_concurrent_getters) {
    enum { N = 16 };
    gated_arg g;
    g.go = weft_chan_make(sizeof(long), 0);
    tu_counter_init(&g.finished);
    weft_future *f = weft_future_start(gated, &g, sizeof(long));
    weft_wg ready = {0};
    weft_wg_add(&ready, N);
    getter_arg a[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        a[i] = (getter_arg){f, &ready, 1, -1, i % 2 == 1};
        t[i] = tu_spawn(getter, &a[i]);
    }
    weft_wg_wait(&ready); /* every getter is about to get (most are blocked) */
    long v = 1234;
    weft_chan_send(g.go, &v);
    for (int i = 0; i < N; i++) {
        tu_join(t[i]);
        ck_assert_int_eq(a[i].rc, 3);
        ck_assert_int_eq(a[i].r, 1234);
    }
    weft_future_free(f);
    weft_chan_free(g.go);
    tu_counter_destroy(&g.finished);
}
END_TEST

/* Releases the gate after a pause, from another thread, so that the test
 * thread is inside weft_future_free while fn still runs. */
typedef struct {
    gated_arg *g;
} opener_arg;

static void *opener(void *p) {
    opener_arg *o = p;
    tu_sleep_ms(50);
    long v = 5;
    weft_chan_send(o->g->go, &v);
    return NULL;
}

START_TEST(test_free_while_running_waits) {
    gated_arg g;
    g.go = weft_chan_make(sizeof(long), 0);
    tu_counter_init(&g.finished);
    weft_future *f = weft_future_start(gated, &g, sizeof(long));
    opener_arg o = {&g};
    pthread_t t = tu_spawn(opener, &o);
    weft_future_free(f);
    /* free returned: fn must have finished (and written its result into
     * the future's buffer before that was freed). */
    ck_assert_int_eq(tu_counter_get(&g.finished), 1);
    tu_join(t);
    weft_chan_free(g.go);
    tu_counter_destroy(&g.finished);
}
END_TEST

START_TEST(test_free_without_get) {
    long in = 1;
    for (int i = 0; i < 20; i++) {
        weft_future *f = weft_future_start(fill_result, &in, sizeof(result_t));
        weft_future_free(f);
    }
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("future");
    TCase *tc = tcase_create("future");
    tcase_add_test(tc, test_get_code_and_result);
    tcase_add_test(tc, test_negative_code_and_no_result);
    tcase_add_test(tc, test_result_starts_zeroed);
    tcase_add_test(tc, test_get_timeout_then_value);
    tcase_add_test(tc, test_many_concurrent_getters);
    tcase_add_test(tc, test_free_while_running_waits);
    tcase_add_test(tc, test_free_without_get);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
