/* test_chan.c: unit tests of libweft channels (weft_chan_*), against the
 * contract in <weft/weft.h>: buffered and unbuffered channels, zero-size
 * elements, try ops, len/cap, close semantics (buffered values delivered
 * after close, then zero value + WEFT_ECLOSED), misuse codes, the nil
 * (NULL) channel, and blocked senders/receivers woken by close.
 * Select has its own file (test_select.c); Go's own channel tests are
 * ported in test_conformance.c. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* How long we give an op that must stay blocked to wrongly return. */
#define BLOCK_MS 50

static bool all_bytes(const void *p, size_t n, unsigned char b) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != b)
            return false;
    return true;
}

START_TEST(test_make_len_cap) {
    weft_chan *b = weft_chan_make(sizeof(int), 3);
    weft_chan *u = weft_chan_make(sizeof(int), 0);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(weft_chan_cap(b), 3);
    ck_assert_uint_eq(weft_chan_cap(u), 0);
    ck_assert_uint_eq(weft_chan_len(b), 0);
    ck_assert_uint_eq(weft_chan_len(u), 0);
    for (int i = 1; i <= 3; i++) {
        ck_assert_int_eq(weft_chan_send(b, &i), 0);
        ck_assert_uint_eq(weft_chan_len(b), (size_t)i);
    }
    int v;
    ck_assert_int_eq(weft_chan_recv(b, &v), 0);
    ck_assert_uint_eq(weft_chan_len(b), 2);
    ck_assert_uint_eq(weft_chan_cap(b), 3);
    weft_chan_free(b);
    weft_chan_free(u);
}
END_TEST

START_TEST(test_buffered_fifo) {
    enum { N = 64 };
    weft_chan *c = weft_chan_make(sizeof(long), N);
    for (long i = 0; i < N; i++)
        ck_assert_int_eq(weft_chan_send(c, &i), 0);
    for (long i = 0; i < N; i++) {
        long v = -1;
        ck_assert_int_eq(weft_chan_recv(c, &v), 0);
        ck_assert_int_eq(v, i);
    }
    /* Wrap-around of the ring: interleave so head and tail pass the end. */
    long next_send = 0, next_recv = 0;
    for (int round = 0; round < 10 * N; round++) {
        for (int k = 0; k < 3; k++, next_send++)
            ck_assert_int_eq(weft_chan_try_send(c, &next_send), 0);
        for (int k = 0; k < 3; k++, next_recv++) {
            long v = -1;
            ck_assert_int_eq(weft_chan_try_recv(c, &v), 0);
            ck_assert_int_eq(v, next_recv);
        }
    }
    ck_assert_uint_eq(weft_chan_len(c), 0);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_try_ops_buffered) {
    weft_chan *c = weft_chan_make(sizeof(int), 2);
    int v = 7;
    ck_assert_int_eq(weft_chan_try_recv(c, &v), WEFT_EAGAIN);
    ck_assert_int_eq(v, 7); /* an EAGAIN receive leaves elem alone */
    v = 1;
    ck_assert_int_eq(weft_chan_try_send(c, &v), 0);
    v = 2;
    ck_assert_int_eq(weft_chan_try_send(c, &v), 0);
    v = 3;
    ck_assert_int_eq(weft_chan_try_send(c, &v), WEFT_EAGAIN);
    ck_assert_uint_eq(weft_chan_len(c), 2);
    ck_assert_int_eq(weft_chan_try_recv(c, &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(weft_chan_try_recv(c, &v), 0);
    ck_assert_int_eq(v, 2); /* the rejected 3 was not stored */
    ck_assert_int_eq(weft_chan_try_recv(c, &v), WEFT_EAGAIN);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_unbuffered_try_ops_without_partner) {
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    int v = 5;
    ck_assert_int_eq(weft_chan_try_send(c, &v), WEFT_EAGAIN);
    ck_assert_int_eq(weft_chan_try_recv(c, &v), WEFT_EAGAIN);
    ck_assert_uint_eq(weft_chan_len(c), 0);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_unbuffered_send_blocks_until_recv) {
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    int v = 42, got = 0;
    tu_chan_op s;
    tu_chan_op_start(&s, c, WEFT_SEND, &v);
    ck_assert_msg(tu_chan_op_still_blocked(&s, BLOCK_MS),
                  "unbuffered send returned with no receiver");
    ck_assert_uint_eq(weft_chan_len(c), 0); /* a blocked sender is not buffered */
    ck_assert_int_eq(weft_chan_recv(c, &got), 0);
    ck_assert_int_eq(got, 42);
    ck_assert_int_eq(tu_chan_op_join(&s), 0);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_unbuffered_recv_blocks_until_send) {
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    int v = 43, got = 0;
    tu_chan_op r;
    tu_chan_op_start(&r, c, WEFT_RECV, &got);
    ck_assert_msg(tu_chan_op_still_blocked(&r, BLOCK_MS), "recv returned with no sender");
    ck_assert_int_eq(weft_chan_send(c, &v), 0);
    ck_assert_int_eq(tu_chan_op_join(&r), 0);
    ck_assert_int_eq(got, 43);
    weft_chan_free(c);
}
END_TEST

/* Retries a try op until the peer thread has parked (or 2 s, scaled). */
static int poll_try(weft_chan *c, int op, void *elem) {
    int64_t end = tu_now_ns() + tu_slack_ns(2000);
    int rc;
    while ((rc = op == WEFT_SEND ? weft_chan_try_send(c, elem) : weft_chan_try_recv(c, elem)) ==
               WEFT_EAGAIN &&
           tu_now_ns() < end)
        tu_sleep_ms(1);
    return rc;
}

/* try_send succeeds once a receiver is parked: poll until it does. */
START_TEST(test_try_send_to_blocked_receiver) {
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    int v = 44, got = 0;
    tu_chan_op r;
    tu_chan_op_start(&r, c, WEFT_RECV, &got);
    ck_assert_int_eq(poll_try(c, WEFT_SEND, &v), 0);
    ck_assert_int_eq(tu_chan_op_join(&r), 0);
    ck_assert_int_eq(got, 44);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_try_recv_from_blocked_sender) {
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    int v = 45, got = 0;
    tu_chan_op s;
    tu_chan_op_start(&s, c, WEFT_SEND, &v);
    ck_assert_int_eq(poll_try(c, WEFT_RECV, &got), 0);
    ck_assert_int_eq(got, 45);
    ck_assert_int_eq(tu_chan_op_join(&s), 0);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_full_buffer_send_blocks) {
    weft_chan *c = weft_chan_make(sizeof(int), 1);
    int a = 1, b = 2, got = 0;
    ck_assert_int_eq(weft_chan_send(c, &a), 0);
    tu_chan_op s;
    tu_chan_op_start(&s, c, WEFT_SEND, &b);
    ck_assert_msg(tu_chan_op_still_blocked(&s, BLOCK_MS), "send into a full buffer returned");
    ck_assert_uint_eq(weft_chan_len(c), 1);
    ck_assert_int_eq(weft_chan_recv(c, &got), 0);
    ck_assert_int_eq(got, 1);
    ck_assert_int_eq(tu_chan_op_join(&s), 0);
    ck_assert_uint_eq(weft_chan_len(c), 1); /* the blocked value moved in */
    ck_assert_int_eq(weft_chan_recv(c, &got), 0);
    ck_assert_int_eq(got, 2);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_zero_size_buffered) {
    weft_chan *c = weft_chan_make(0, 2);
    char dummy = 0;
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(weft_chan_cap(c), 2);
    ck_assert_int_eq(weft_chan_send(c, &dummy), 0);
    ck_assert_int_eq(weft_chan_send(c, NULL), 0); /* nothing to read from */
    ck_assert_uint_eq(weft_chan_len(c), 2);
    ck_assert_int_eq(weft_chan_try_send(c, &dummy), WEFT_EAGAIN);
    ck_assert_int_eq(weft_chan_recv(c, NULL), 0);
    ck_assert_int_eq(weft_chan_recv(c, &dummy), 0);
    ck_assert_uint_eq(weft_chan_len(c), 0);
    ck_assert_int_eq(weft_chan_try_recv(c, NULL), WEFT_EAGAIN);
    ck_assert_int_eq(weft_chan_send(c, NULL), 0);
    ck_assert_int_eq(weft_chan_close(c), 0);
    ck_assert_int_eq(weft_chan_recv(c, NULL), 0); /* buffered "value" first */
    ck_assert_int_eq(weft_chan_recv(c, NULL), WEFT_ECLOSED);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_zero_size_unbuffered) {
    weft_chan *c = weft_chan_make(0, 0);
    ck_assert_int_eq(weft_chan_try_send(c, NULL), WEFT_EAGAIN);
    for (int i = 0; i < 3; i++) {
        tu_chan_op s;
        tu_chan_op_start(&s, c, WEFT_SEND, NULL);
        if (i == 0)
            ck_assert_msg(tu_chan_op_still_blocked(&s, BLOCK_MS),
                          "zero-size unbuffered send returned with no receiver");
        ck_assert_int_eq(weft_chan_recv(c, NULL), 0);
        ck_assert_int_eq(tu_chan_op_join(&s), 0);
    }
    weft_chan_free(c);
}
END_TEST

/* Elements are copied whole, whatever their size. */
START_TEST(test_large_elements) {
    typedef struct {
        unsigned char b[1000];
    } big;
    weft_chan *c = weft_chan_make(sizeof(big), 2);
    big *in = malloc(sizeof *in), *out = malloc(sizeof *out);
    for (int k = 0; k < 5; k++) {
        for (size_t i = 0; i < sizeof in->b; i++)
            in->b[i] = (unsigned char)(i * 7 + (size_t)k);
        ck_assert_int_eq(weft_chan_send(c, in), 0);
        memset(in, 0, sizeof *in); /* the channel must hold its own copy */
        memset(out, 0xEE, sizeof *out);
        ck_assert_int_eq(weft_chan_recv(c, out), 0);
        for (size_t i = 0; i < sizeof out->b; i++)
            ck_assert_uint_eq(out->b[i], (unsigned char)(i * 7 + (size_t)k));
    }
    free(in);
    free(out);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_recv_null_elem_discards) {
    weft_chan *c = weft_chan_make(sizeof(int), 2);
    int a = 1, b = 2, got = 0;
    weft_chan_send(c, &a);
    weft_chan_send(c, &b);
    ck_assert_int_eq(weft_chan_recv(c, NULL), 0);
    ck_assert_int_eq(weft_chan_try_recv(c, &got), 0);
    ck_assert_int_eq(got, 2);
    weft_chan_free(c);
}
END_TEST

/* Go: a closed channel delivers its buffered values, then the zero value
 * with ok == false, for ever. */
START_TEST(test_close_delivers_buffered_then_zero) {
    typedef struct {
        long a, b;
    } pair;
    weft_chan *c = weft_chan_make(sizeof(pair), 4);
    pair p1 = {1, 2}, p2 = {3, 4}, got;
    weft_chan_send(c, &p1);
    weft_chan_send(c, &p2);
    ck_assert_int_eq(weft_chan_close(c), 0);
    ck_assert_uint_eq(weft_chan_len(c), 2);
    ck_assert_uint_eq(weft_chan_cap(c), 4);
    ck_assert_int_eq(weft_chan_recv(c, &got), 0);
    ck_assert(got.a == 1 && got.b == 2);
    ck_assert_int_eq(weft_chan_try_recv(c, &got), 0);
    ck_assert(got.a == 3 && got.b == 4);
    ck_assert_uint_eq(weft_chan_len(c), 0);
    for (int i = 0; i < 3; i++) {
        memset(&got, 0xAB, sizeof got);
        ck_assert_int_eq(weft_chan_recv(c, &got), WEFT_ECLOSED);
        ck_assert_msg(all_bytes(&got, sizeof got, 0), "elem not zeroed by a closed recv");
        memset(&got, 0xAB, sizeof got);
        /* A closed channel never blocks, so try_recv reports the close
         * too, not WEFT_EAGAIN. */
        ck_assert_int_eq(weft_chan_try_recv(c, &got), WEFT_ECLOSED);
        ck_assert_msg(all_bytes(&got, sizeof got, 0), "elem not zeroed by a closed try_recv");
        ck_assert_int_eq(weft_chan_recv(c, NULL), WEFT_ECLOSED);
    }
    weft_chan_free(c);
}
END_TEST

START_TEST(test_close_unbuffered_recv) {
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    ck_assert_int_eq(weft_chan_close(c), 0);
    int got = -1;
    ck_assert_int_eq(weft_chan_recv(c, &got), WEFT_ECLOSED);
    ck_assert_int_eq(got, 0);
    got = -1;
    ck_assert_int_eq(weft_chan_try_recv(c, &got), WEFT_ECLOSED);
    ck_assert_int_eq(got, 0);
    ck_assert_uint_eq(weft_chan_len(c), 0);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_send_on_closed) {
    for (size_t cap = 0; cap <= 2; cap += 2) {
        weft_chan *c = weft_chan_make(sizeof(int), cap);
        ck_assert_int_eq(weft_chan_close(c), 0);
        int v = 9, got = -1;
        ck_assert_int_eq(weft_chan_send(c, &v), WEFT_ECLOSED);
        ck_assert_int_eq(weft_chan_try_send(c, &v), WEFT_ECLOSED);
        /* The value was not delivered, even with room in the buffer. */
        ck_assert_uint_eq(weft_chan_len(c), 0);
        ck_assert_int_eq(weft_chan_recv(c, &got), WEFT_ECLOSED);
        ck_assert_int_eq(got, 0);
        weft_chan_free(c);
    }
}
END_TEST

START_TEST(test_double_close) {
    weft_chan *c = weft_chan_make(sizeof(int), 1);
    ck_assert_int_eq(weft_chan_close(c), 0);
    ck_assert_int_eq(weft_chan_close(c), WEFT_ECLOSED);
    ck_assert_int_eq(weft_chan_close(c), WEFT_ECLOSED);
    /* ... and the channel still behaves as closed, not corrupted. */
    ck_assert_int_eq(weft_chan_recv(c, NULL), WEFT_ECLOSED);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_nil_channel) {
    int v = 3;
    ck_assert_int_eq(weft_chan_try_send(NULL, &v), WEFT_EAGAIN);
    ck_assert_int_eq(weft_chan_try_recv(NULL, &v), WEFT_EAGAIN);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(weft_chan_close(NULL), WEFT_EINVAL);
    weft_chan_free(NULL);
}
END_TEST

/* Go: len and cap of a nil channel are 0. */
START_TEST(test_nil_channel_len_cap) {
    ck_assert_uint_eq(weft_chan_len(NULL), 0);
    ck_assert_uint_eq(weft_chan_cap(NULL), 0);
}
END_TEST

/* Send and recv on the nil channel block forever. The threads are left
 * behind blocked (detached), so their state is static. */
START_TEST(test_nil_send_recv_block_forever) {
    static tu_chan_op s, r;
    static int v = 1, got;
    tu_chan_op_start(&s, NULL, WEFT_SEND, &v);
    tu_chan_op_start(&r, NULL, WEFT_RECV, &got);
    ck_assert_msg(tu_chan_op_still_blocked(&s, BLOCK_MS), "send on nil channel returned %d", s.rc);
    ck_assert_msg(tu_chan_op_still_blocked(&r, 0), "recv on nil channel returned %d", r.rc);
    tu_chan_op_abandon(&s);
    tu_chan_op_abandon(&r);
}
END_TEST

START_TEST(test_blocked_sender_woken_by_close) {
    weft_chan *c = weft_chan_make(sizeof(int), 0);
    int v = 11;
    tu_chan_op s;
    tu_chan_op_start(&s, c, WEFT_SEND, &v);
    ck_assert(tu_chan_op_still_blocked(&s, BLOCK_MS));
    ck_assert_int_eq(weft_chan_close(c), 0);
    ck_assert_int_eq(tu_chan_op_join(&s), WEFT_ECLOSED);
    int got = -1;
    ck_assert_int_eq(weft_chan_recv(c, &got), WEFT_ECLOSED); /* 11 was not delivered */
    ck_assert_int_eq(got, 0);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_blocked_sender_on_full_buffer_woken_by_close) {
    weft_chan *c = weft_chan_make(sizeof(int), 2);
    int a = 1, b = 2, x = 3, got = -1;
    weft_chan_send(c, &a);
    weft_chan_send(c, &b);
    tu_chan_op s;
    tu_chan_op_start(&s, c, WEFT_SEND, &x);
    ck_assert(tu_chan_op_still_blocked(&s, BLOCK_MS));
    ck_assert_int_eq(weft_chan_close(c), 0);
    ck_assert_int_eq(tu_chan_op_join(&s), WEFT_ECLOSED);
    /* Only the values whose send returned 0 come out. */
    ck_assert_uint_eq(weft_chan_len(c), 2);
    ck_assert_int_eq(weft_chan_recv(c, &got), 0);
    ck_assert_int_eq(got, 1);
    ck_assert_int_eq(weft_chan_recv(c, &got), 0);
    ck_assert_int_eq(got, 2);
    ck_assert_int_eq(weft_chan_recv(c, &got), WEFT_ECLOSED);
    ck_assert_int_eq(got, 0);
    weft_chan_free(c);
}
END_TEST

START_TEST(test_blocked_receivers_woken_by_close) {
    enum { N = 4 };
    for (size_t cap = 0; cap <= 3; cap += 3) {
        weft_chan *c = weft_chan_make(sizeof(long[4]), cap);
        long got[N][4];
        tu_chan_op r[N];
        memset(got, 0x5A, sizeof got);
        for (int i = 0; i < N; i++)
            tu_chan_op_start(&r[i], c, WEFT_RECV, got[i]);
        for (int i = 0; i < N; i++)
            ck_assert(tu_chan_op_still_blocked(&r[i], i == 0 ? BLOCK_MS : 0));
        ck_assert_int_eq(weft_chan_close(c), 0);
        for (int i = 0; i < N; i++) {
            ck_assert_int_eq(tu_chan_op_join(&r[i]), WEFT_ECLOSED);
            ck_assert_msg(all_bytes(got[i], sizeof got[i], 0), "woken receiver's elem not zeroed");
        }
        weft_chan_free(c);
    }
}
END_TEST

/* Go's TestChan, "send 100 integers, ensure that we receive them
 * non-corrupted in FIFO order", for capacities 0..19. */
typedef struct {
    weft_chan *c;
    int n;
    int rc; /* first non-zero send result */
} sender_arg;

static void *send_seq(void *p) {
    sender_arg *a = p;
    a->rc = 0;
    for (int i = 0; i < a->n; i++) {
        int rc = weft_chan_send(a->c, &i);
        if (rc != 0 && a->rc == 0)
            a->rc = rc;
    }
    return NULL;
}

START_TEST(test_fifo_across_capacities) {
    for (size_t cap = 0; cap < 20; cap++) {
        weft_chan *c = weft_chan_make(sizeof(int), cap);
        sender_arg a = {c, 100, 0};
        pthread_t t = tu_spawn(send_seq, &a);
        for (int i = 0; i < 100; i++) {
            int v = -1;
            ck_assert_int_eq(weft_chan_recv(c, &v), 0);
            ck_assert_int_eq(v, i);
        }
        tu_join(t);
        ck_assert_int_eq(a.rc, 0);
        ck_assert_int_eq(weft_chan_try_recv(c, NULL), WEFT_EAGAIN);
        weft_chan_free(c);
    }
}
END_TEST

/* With several senders, each sender's values still arrive in its order
 * (Go's channels are FIFO per channel). */
typedef struct {
    weft_chan *c;
    int id, n;
} tagged_arg;

static void *send_tagged(void *p) {
    tagged_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        int v[2] = {a->id, i};
        weft_chan_send(a->c, v);
    }
    return NULL;
}

START_TEST(test_per_sender_order) {
    enum { S = 4 };
    int n = (int)tu_scaled(5000, 200);
    for (size_t cap = 0; cap <= 3; cap += 3) {
        weft_chan *c = weft_chan_make(sizeof(int[2]), cap);
        tagged_arg a[S];
        pthread_t t[S];
        int next[S] = {0};
        for (int i = 0; i < S; i++) {
            a[i] = (tagged_arg){c, i, n};
            t[i] = tu_spawn(send_tagged, &a[i]);
        }
        for (int k = 0; k < S * n; k++) {
            int v[2];
            tu_assert(weft_chan_recv(c, v) == 0);
            tu_assert(v[0] >= 0 && v[0] < S);
            tu_assert_msg(v[1] == next[v[0]], "sender %d: got %d, want %d", v[0], v[1], next[v[0]]);
            next[v[0]]++;
        }
        for (int i = 0; i < S; i++)
            tu_join(t[i]);
        ck_assert_int_eq(weft_chan_try_recv(c, NULL), WEFT_EAGAIN);
        weft_chan_free(c);
    }
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("chan");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, test_make_len_cap);
    tcase_add_test(tc, test_buffered_fifo);
    tcase_add_test(tc, test_try_ops_buffered);
    tcase_add_test(tc, test_unbuffered_try_ops_without_partner);
    tcase_add_test(tc, test_zero_size_buffered);
    tcase_add_test(tc, test_large_elements);
    tcase_add_test(tc, test_recv_null_elem_discards);
    suite_add_tcase(s, tc);

    tc = tcase_create("blocking");
    tcase_add_test(tc, test_unbuffered_send_blocks_until_recv);
    tcase_add_test(tc, test_unbuffered_recv_blocks_until_send);
    tcase_add_test(tc, test_try_send_to_blocked_receiver);
    tcase_add_test(tc, test_try_recv_from_blocked_sender);
    tcase_add_test(tc, test_full_buffer_send_blocks);
    tcase_add_test(tc, test_zero_size_unbuffered);
    tcase_add_test(tc, test_fifo_across_capacities);
    tcase_add_test(tc, test_per_sender_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("close");
    tcase_add_test(tc, test_close_delivers_buffered_then_zero);
    tcase_add_test(tc, test_close_unbuffered_recv);
    tcase_add_test(tc, test_send_on_closed);
    tcase_add_test(tc, test_double_close);
    tcase_add_test(tc, test_blocked_sender_woken_by_close);
    tcase_add_test(tc, test_blocked_sender_on_full_buffer_woken_by_close);
    tcase_add_test(tc, test_blocked_receivers_woken_by_close);
    suite_add_tcase(s, tc);

    tc = tcase_create("nil");
    tcase_add_test(tc, test_nil_channel);
    tcase_add_test(tc, test_nil_channel_len_cap);
    tcase_add_test(tc, test_nil_send_recv_block_forever);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
