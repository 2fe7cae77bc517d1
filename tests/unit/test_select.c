/* test_select.c: unit tests of weft_select against <weft/weft.h>: which
 * case runs, each case's result, WEFT_NONBLOCK (Go's default clause),
 * blocking until a partner arrives or a close, nil (NULL) cases, send cases
 * on closed channels, n == 0. Fairness, self-matching, exactly-once
 * delivery under competing selects and stale waiters are in
 * test_conformance.c; no allocation per call in test_noalloc.c. */
#include "testutil.h"

#include <string.h>

#define BLOCK_MS 50

START_TEST(test_nonblock_nothing_ready) {
    weft_chan *a = weft_chan_make(sizeof(int), 0);
    weft_chan *b = weft_chan_make(sizeof(int), 1);
    int x = 1, y = 2;
    ck_assert_int_eq(weft_chan_send(b, &y), 0); /* b full: its send case is not ready */
    weft_case cs[] = {
        {a, WEFT_RECV, &x, 0},
        {a, WEFT_SEND, &x, 0},
        {b, WEFT_SEND, &x, 0},
    };
    ck_assert_int_eq(weft_select(cs, 3, WEFT_NONBLOCK), WEFT_EAGAIN);
    ck_assert_int_eq(x, 1);
    ck_assert_uint_eq(weft_chan_len(b), 1);
    ck_assert_int_eq(weft_select(NULL, 0, WEFT_NONBLOCK), WEFT_EAGAIN);
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

START_TEST(test_recv_case_ready) {
    weft_chan *a = weft_chan_make(sizeof(int), 1);
    weft_chan *b = weft_chan_make(sizeof(int), 1);
    for (int flags = 0; flags <= WEFT_NONBLOCK; flags++) {
        int v = 77 + flags, ga = -1, gb = -1;
        ck_assert_int_eq(weft_chan_send(b, &v), 0);
        weft_case cs[] = {{a, WEFT_RECV, &ga, 99}, {b, WEFT_RECV, &gb, 99}};
        ck_assert_int_eq(weft_select(cs, 2, flags), 1);
        ck_assert_int_eq(cs[1].result, 0);
        ck_assert_int_eq(gb, 77 + flags);
        ck_assert_int_eq(ga, -1);
        ck_assert_uint_eq(weft_chan_len(b), 0);
    }
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

START_TEST(test_send_case_ready) {
    weft_chan *full = weft_chan_make(sizeof(int), 1);
    weft_chan *room = weft_chan_make(sizeof(int), 1);
    int x = 5, y = 6, got = -1;
    weft_chan_send(full, &x);
    weft_case cs[] = {{full, WEFT_SEND, &x, 99}, {room, WEFT_SEND, &y, 99}};
    ck_assert_int_eq(weft_select(cs, 2, WEFT_NONBLOCK), 1);
    ck_assert_int_eq(cs[1].result, 0);
    ck_assert_int_eq(weft_chan_try_recv(room, &got), 0);
    ck_assert_int_eq(got, 6);
    ck_assert_uint_eq(weft_chan_len(full), 1);
    weft_chan_free(full);
    weft_chan_free(room);
}
END_TEST

/* A recv case elem may be NULL: the value is dropped but still taken. */
START_TEST(test_recv_case_null_elem) {
    weft_chan *a = weft_chan_make(sizeof(int), 1);
    int v = 1;
    weft_chan_send(a, &v);
    weft_case cs[] = {{a, WEFT_RECV, NULL, 99}};
    ck_assert_int_eq(weft_select(cs, 1, 0), 0);
    ck_assert_int_eq(cs[0].result, 0);
    ck_assert_uint_eq(weft_chan_len(a), 0);
    weft_chan_free(a);
}
END_TEST

/* Blocks, then a sender on another thread makes the recv case ready. */
START_TEST(test_blocking_recv_woken_by_send) {
    weft_chan *a = weft_chan_make(sizeof(int), 0);
    weft_chan *b = weft_chan_make(sizeof(int), 0);
    int ga = -1, gb = -1, v = 31;
    weft_case cs[] = {{a, WEFT_RECV, &ga, 99}, {b, WEFT_RECV, &gb, 99}};
    tu_select_op s;
    tu_select_op_start(&s, cs, 2, 0);
    ck_assert_msg(tu_select_op_still_blocked(&s, BLOCK_MS), "select returned with nothing ready");
    ck_assert_int_eq(weft_chan_send(b, &v), 0);
    ck_assert_int_eq(tu_select_op_join(&s), 1);
    ck_assert_int_eq(cs[1].result, 0);
    ck_assert_int_eq(gb, 31);
    ck_assert_int_eq(ga, -1);
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

/* Blocks on a send case; a receiver arriving takes exactly that value. */
START_TEST(test_blocking_send_woken_by_recv) {
    weft_chan *a = weft_chan_make(sizeof(int), 0);
    weft_chan *b = weft_chan_make(sizeof(int), 0);
    int va = 1, vb = 2, got = -1;
    weft_case cs[] = {{a, WEFT_SEND, &va, 99}, {b, WEFT_SEND, &vb, 99}};
    tu_select_op s;
    tu_select_op_start(&s, cs, 2, 0);
    ck_assert(tu_select_op_still_blocked(&s, BLOCK_MS));
    ck_assert_int_eq(weft_chan_recv(a, &got), 0);
    ck_assert_int_eq(got, 1);
    ck_assert_int_eq(tu_select_op_join(&s), 0);
    ck_assert_int_eq(cs[0].result, 0);
    /* b's send did not happen. */
    ck_assert_int_eq(weft_chan_try_recv(b, &got), WEFT_EAGAIN);
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

START_TEST(test_blocking_recv_woken_by_close) {
    weft_chan *a = weft_chan_make(sizeof(long), 0);
    weft_chan *b = weft_chan_make(sizeof(long), 2);
    long ga = 0x7777, gb = -1;
    weft_case cs[] = {{a, WEFT_RECV, &ga, 99}, {b, WEFT_RECV, &gb, 99}};
    tu_select_op s;
    tu_select_op_start(&s, cs, 2, 0);
    ck_assert(tu_select_op_still_blocked(&s, BLOCK_MS));
    ck_assert_int_eq(weft_chan_close(a), 0);
    ck_assert_int_eq(tu_select_op_join(&s), 0);
    ck_assert_int_eq(cs[0].result, WEFT_ECLOSED);
    ck_assert_int_eq(ga, 0); /* zeroed, like a plain recv */
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

/* A blocked send case is woken by close and reports WEFT_ECLOSED. */
START_TEST(test_blocking_send_woken_by_close) {
    weft_chan *a = weft_chan_make(sizeof(int), 0);
    weft_chan *b = weft_chan_make(sizeof(int), 0);
    int va = 1, gb = -1;
    weft_case cs[] = {{a, WEFT_SEND, &va, 99}, {b, WEFT_RECV, &gb, 99}};
    tu_select_op s;
    tu_select_op_start(&s, cs, 2, 0);
    ck_assert(tu_select_op_still_blocked(&s, BLOCK_MS));
    ck_assert_int_eq(weft_chan_close(a), 0);
    ck_assert_int_eq(tu_select_op_join(&s), 0);
    ck_assert_int_eq(cs[0].result, WEFT_ECLOSED);
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

START_TEST(test_send_case_on_closed) {
    weft_chan *a = weft_chan_make(sizeof(int), 4);
    weft_chan_close(a);
    int v = 1;
    weft_case cs[] = {{a, WEFT_SEND, &v, 99}};
    ck_assert_int_eq(weft_select(cs, 1, 0), 0);
    ck_assert_int_eq(cs[0].result, WEFT_ECLOSED);
    cs[0].result = 99;
    ck_assert_int_eq(weft_select(cs, 1, WEFT_NONBLOCK), 0);
    ck_assert_int_eq(cs[0].result, WEFT_ECLOSED);
    ck_assert_uint_eq(weft_chan_len(a), 0); /* nothing was stored */
    weft_chan_free(a);
}
END_TEST

START_TEST(test_nil_cases_never_ready) {
    weft_chan *a = weft_chan_make(sizeof(int), 1);
    int v = 1, got = -1;
    weft_case nils[] = {{NULL, WEFT_RECV, &got, 99}, {NULL, WEFT_SEND, &v, 99}};
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(weft_select(nils, 2, WEFT_NONBLOCK), WEFT_EAGAIN);
    weft_chan_send(a, &v);
    weft_case cs[] = {
        {NULL, WEFT_RECV, &got, 99}, {NULL, WEFT_SEND, &v, 99}, {a, WEFT_RECV, &got, 99}};
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(weft_select(cs, 3, 0), 2);
        ck_assert_int_eq(got, 1);
        weft_chan_send(a, &v);
    }
    weft_chan_free(a);
}
END_TEST

/* n == 0 and a select of only nil cases block forever (Go's `select {}`).
 * The threads stay behind, detached; their state is static. */
static weft_case forever_cases[2] = {{NULL, WEFT_RECV, NULL, 0}, {NULL, WEFT_SEND, NULL, 0}};
static tu_select_op forever_empty, forever_nil;

START_TEST(test_empty_and_nil_select_block_forever) {
    tu_select_op_start(&forever_empty, NULL, 0, 0);
    tu_select_op_start(&forever_nil, forever_cases, 2, 0);
    ck_assert_msg(tu_select_op_still_blocked(&forever_empty, BLOCK_MS),
                  "select with n == 0 returned");
    ck_assert_msg(tu_select_op_still_blocked(&forever_nil, 0), "select on nil channels returned");
    tu_select_op_abandon(&forever_empty);
    tu_select_op_abandon(&forever_nil);
}
END_TEST

/* Exactly one case runs: with two ready recv cases, one value is taken. */
START_TEST(test_only_one_case_runs) {
    weft_chan *a = weft_chan_make(sizeof(int), 1);
    weft_chan *b = weft_chan_make(sizeof(int), 1);
    int got = -1;
    for (int i = 0; i < 200; i++) {
        int va = 1, vb = 2;
        weft_chan_send(a, &va);
        weft_chan_send(b, &vb);
        weft_case cs[] = {{a, WEFT_RECV, &got, 99}, {b, WEFT_RECV, &got, 99}};
        int k = weft_select(cs, 2, i % 2 ? WEFT_NONBLOCK : 0);
        ck_assert(k == 0 || k == 1);
        ck_assert_int_eq(got, k + 1);
        ck_assert_uint_eq(weft_chan_len(a) + weft_chan_len(b), 1);
        ck_assert_uint_eq(weft_chan_len(k == 0 ? b : a), 1);
        weft_chan_recv(k == 0 ? b : a, NULL);
    }
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

/* The same channel in two cases is fine, and still only one runs. */
START_TEST(test_duplicate_channel_cases) {
    weft_chan *a = weft_chan_make(sizeof(int), 1);
    int v = 8, g1 = -1, g2 = -1;
    weft_chan_send(a, &v);
    weft_case cs[] = {{a, WEFT_RECV, &g1, 99}, {a, WEFT_RECV, &g2, 99}};
    int k = weft_select(cs, 2, 0);
    ck_assert(k == 0 || k == 1);
    ck_assert_int_eq(k == 0 ? g1 : g2, 8);
    ck_assert_int_eq(k == 0 ? g2 : g1, -1);
    ck_assert_uint_eq(weft_chan_len(a), 0);
    weft_chan_free(a);
}
END_TEST

/* Zero-size elements through select, both directions. */
START_TEST(test_zero_size_select) {
    weft_chan *a = weft_chan_make(0, 1);
    weft_case snd[] = {{a, WEFT_SEND, NULL, 99}};
    weft_case rcv[] = {{a, WEFT_RECV, NULL, 99}};
    ck_assert_int_eq(weft_select(snd, 1, WEFT_NONBLOCK), 0);
    ck_assert_int_eq(weft_select(snd, 1, WEFT_NONBLOCK), WEFT_EAGAIN);
    ck_assert_int_eq(weft_select(rcv, 1, 0), 0);
    ck_assert_int_eq(rcv[0].result, 0);
    ck_assert_int_eq(weft_select(rcv, 1, WEFT_NONBLOCK), WEFT_EAGAIN);
    weft_chan_close(a);
    ck_assert_int_eq(weft_select(rcv, 1, 0), 0);
    ck_assert_int_eq(rcv[0].result, WEFT_ECLOSED);
    weft_chan_free(a);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("ready");
    tcase_add_test(tc, test_nonblock_nothing_ready);
    tcase_add_test(tc, test_recv_case_ready);
    tcase_add_test(tc, test_send_case_ready);
    tcase_add_test(tc, test_recv_case_null_elem);
    tcase_add_test(tc, test_send_case_on_closed);
    tcase_add_test(tc, test_nil_cases_never_ready);
    tcase_add_test(tc, test_only_one_case_runs);
    tcase_add_test(tc, test_duplicate_channel_cases);
    tcase_add_test(tc, test_zero_size_select);
    suite_add_tcase(s, tc);

    tc = tcase_create("blocking");
    tcase_add_test(tc, test_blocking_recv_woken_by_send);
    tcase_add_test(tc, test_blocking_send_woken_by_recv);
    tcase_add_test(tc, test_blocking_recv_woken_by_close);
    tcase_add_test(tc, test_blocking_send_woken_by_close);
    tcase_add_test(tc, test_empty_and_nil_select_block_forever);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
