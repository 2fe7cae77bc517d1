/* test_ctx.c: unit tests of weft_ctx (Go's context) against <weft/weft.h>:
 * background (never cancelled, done == NULL), cancel (idempotent,
 * propagates down to children and grandchildren, never up), children of
 * cancelled parents, timeouts and deadlines (WEFT_ETIMEDOUT, done closed
 * within a slack, past deadlines, child deadlines capped by the parent's),
 * weft_ctx_deadline, freeing live contexts, and races between cancel,
 * child creation and waiters. */
#include "testutil.h"

#include <stdint.h>

/* Whether ctx's done channel is closed, without blocking. */
static bool done_closed(weft_ctx *ctx) {
    weft_chan *d = weft_ctx_done(ctx);
    return d != NULL && weft_chan_try_recv(d, NULL) == WEFT_ECLOSED;
}

START_TEST(test_background) {
    weft_ctx *bg = weft_ctx_background();
    ck_assert_ptr_nonnull(bg);
    ck_assert_ptr_eq(weft_ctx_background(), bg);
    ck_assert_int_eq(weft_ctx_err(bg), 0);
    ck_assert_ptr_null(weft_ctx_done(bg));
    ck_assert(weft_ctx_deadline(bg) == INT64_MAX);
    /* NULL means the background context. */
    ck_assert_int_eq(weft_ctx_err(NULL), 0);
    ck_assert_ptr_null(weft_ctx_done(NULL));
    ck_assert(weft_ctx_deadline(NULL) == INT64_MAX);
}
END_TEST

START_TEST(test_cancel_idempotent) {
    weft_ctx *c = weft_ctx_with_cancel(NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(weft_ctx_err(c), 0);
    weft_chan *d = weft_ctx_done(c);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_eq(weft_ctx_done(c), d); /* the same channel each time */
    ck_assert_int_eq(weft_chan_try_recv(d, NULL), WEFT_EAGAIN);
    ck_assert(weft_ctx_deadline(c) == INT64_MAX);
    weft_ctx_cancel(c);
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ECANCELED);
    ck_assert_int_eq(weft_chan_recv(d, NULL), WEFT_ECLOSED);
    weft_ctx_cancel(c);
    weft_ctx_cancel(c);
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ECANCELED);
    ck_assert_int_eq(weft_chan_recv(d, NULL), WEFT_ECLOSED);
    weft_ctx_free(c);
}
END_TEST

START_TEST(test_propagation_down_not_up) {
    weft_ctx *root = weft_ctx_with_cancel(weft_ctx_background());
    weft_ctx *parent = weft_ctx_with_cancel(root);
    weft_ctx *child = weft_ctx_with_cancel(parent);
    weft_ctx *grandchild = weft_ctx_with_timeout(child, 3600 * 1000 * TU_MS);
    weft_ctx *sibling = weft_ctx_with_cancel(root);
    weft_ctx_cancel(child);
    ck_assert_int_eq(weft_ctx_err(child), WEFT_ECANCELED);
    ck_assert_int_eq(weft_ctx_err(grandchild), WEFT_ECANCELED);
    ck_assert(done_closed(grandchild));
    ck_assert_int_eq(weft_ctx_err(parent), 0);
    ck_assert_int_eq(weft_ctx_err(root), 0);
    ck_assert_int_eq(weft_ctx_err(sibling), 0);
    ck_assert(!done_closed(parent));
    weft_ctx_cancel(root);
    ck_assert_int_eq(weft_ctx_err(parent), WEFT_ECANCELED);
    ck_assert_int_eq(weft_ctx_err(sibling), WEFT_ECANCELED);
    ck_assert(done_closed(parent) && done_closed(sibling) && done_closed(root));
    /* The grandchild keeps its first error. */
    ck_assert_int_eq(weft_ctx_err(grandchild), WEFT_ECANCELED);
    weft_ctx_free(grandchild);
    weft_ctx_free(child);
    weft_ctx_free(sibling);
    weft_ctx_free(parent);
    weft_ctx_free(root);
}
END_TEST

START_TEST(test_child_of_cancelled_starts_cancelled) {
    weft_ctx *p = weft_ctx_with_cancel(NULL);
    weft_ctx_cancel(p);
    weft_ctx *c1 = weft_ctx_with_cancel(p);
    weft_ctx *c2 = weft_ctx_with_timeout(p, 3600 * 1000 * TU_MS);
    weft_ctx *c3 = weft_ctx_with_deadline(p, INT64_MAX);
    ck_assert_ptr_nonnull(c1);
    ck_assert_ptr_nonnull(c2);
    ck_assert_ptr_nonnull(c3);
    ck_assert_int_eq(weft_ctx_err(c1), WEFT_ECANCELED);
    ck_assert_int_eq(weft_ctx_err(c2), WEFT_ECANCELED);
    ck_assert_int_eq(weft_ctx_err(c3), WEFT_ECANCELED);
    ck_assert(done_closed(c1) && done_closed(c2) && done_closed(c3));
    weft_ctx_free(c1);
    weft_ctx_free(c2);
    weft_ctx_free(c3);
    weft_ctx_free(p);
}
END_TEST

/* A child inherits the parent's error: of a timed-out parent, ETIMEDOUT. */
START_TEST(test_child_of_timed_out_parent) {
    weft_ctx *p = weft_ctx_with_deadline(NULL, tu_now_ns() - 1);
    weft_ctx *c = weft_ctx_with_cancel(p);
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ETIMEDOUT);
    ck_assert(done_closed(c));
    weft_ctx_free(c);
    weft_ctx_free(p);
}
END_TEST

START_TEST(test_timeout) {
    const int64_t timeout = 50 * TU_MS;
    int64_t t0 = tu_now_ns();
    weft_ctx *c = weft_ctx_with_timeout(NULL, timeout);
    int64_t t1 = tu_now_ns();
    ck_assert_int_eq(weft_ctx_err(c), 0);
    int64_t dl = weft_ctx_deadline(c);
    ck_assert(dl >= t0 + timeout && dl <= t1 + timeout);
    ck_assert_int_eq(weft_chan_recv(weft_ctx_done(c), NULL), WEFT_ECLOSED);
    int64_t t2 = tu_now_ns();
    /* Never early (1 ms for clock granularity); how late:
     * bench/bench_lateness, not a test. */
    ck_assert_msg(t2 - t0 >= timeout - TU_MS, "done closed after %lld ns, before the timeout",
                  (long long)(t2 - t0));
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ETIMEDOUT);
    weft_ctx_cancel(c); /* cancel after the deadline: the error stays */
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ETIMEDOUT);
    weft_ctx_free(c);
}
END_TEST

/* A timeout also wakes a select on done, and the children of the ctx. */
START_TEST(test_timeout_propagates_to_children) {
    weft_ctx *p = weft_ctx_with_timeout(NULL, 30 * TU_MS);
    weft_ctx *c = weft_ctx_with_cancel(p);
    weft_ctx *g = weft_ctx_with_cancel(c);
    ck_assert(weft_ctx_deadline(c) == weft_ctx_deadline(p));
    ck_assert(weft_ctx_deadline(g) == weft_ctx_deadline(p));
    weft_chan *never = weft_chan_make(0, 0);
    weft_case cs[] = {{never, WEFT_RECV, NULL, 0}, {weft_ctx_done(g), WEFT_RECV, NULL, 0}};
    ck_assert_int_eq(weft_select(cs, 2, 0), 1);
    ck_assert_int_eq(cs[1].result, WEFT_ECLOSED);
    ck_assert_int_eq(weft_ctx_err(g), WEFT_ETIMEDOUT);
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ETIMEDOUT);
    ck_assert_int_eq(weft_ctx_err(p), WEFT_ETIMEDOUT);
    weft_chan_free(never);
    weft_ctx_free(g);
    weft_ctx_free(c);
    weft_ctx_free(p);
}
END_TEST

START_TEST(test_deadline_in_past) {
    int64_t past = tu_now_ns() - 1000 * TU_MS;
    weft_ctx *c = weft_ctx_with_deadline(NULL, past);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ETIMEDOUT);
    ck_assert(done_closed(c));
    ck_assert(weft_ctx_deadline(c) == past);
    weft_ctx_free(c);
    weft_ctx *z = weft_ctx_with_timeout(NULL, 0);
    weft_ctx *n = weft_ctx_with_timeout(NULL, -5 * TU_MS);
    ck_assert_int_eq(weft_ctx_err(z), WEFT_ETIMEDOUT);
    ck_assert_int_eq(weft_ctx_err(n), WEFT_ETIMEDOUT);
    ck_assert(done_closed(z) && done_closed(n));
    weft_ctx_free(z);
    weft_ctx_free(n);
}
END_TEST

START_TEST(test_child_deadline_capped_by_parent) {
    int64_t now = tu_now_ns();
    int64_t pdl = now + 80 * TU_MS;
    weft_ctx *p = weft_ctx_with_deadline(NULL, pdl);
    ck_assert(weft_ctx_deadline(p) == pdl);
    weft_ctx *later = weft_ctx_with_timeout(p, 3600 * 1000 * TU_MS);
    weft_ctx *later2 = weft_ctx_with_deadline(p, pdl + 1000 * TU_MS);
    weft_ctx *sooner = weft_ctx_with_deadline(p, now + 20 * TU_MS);
    ck_assert(weft_ctx_deadline(later) == pdl);
    ck_assert(weft_ctx_deadline(later2) == pdl);
    ck_assert(weft_ctx_deadline(sooner) == now + 20 * TU_MS);
    /* The sooner child fires on its own deadline, leaving the parent. */
    ck_assert_int_eq(weft_chan_recv(weft_ctx_done(sooner), NULL), WEFT_ECLOSED);
    ck_assert_int_eq(weft_ctx_err(sooner), WEFT_ETIMEDOUT);
    int perr = weft_ctx_err(p);
    if (tu_now_ns() < pdl) /* perr was read before the parent's deadline */
        ck_assert_int_eq(perr, 0);
    /* The later children end with the parent, as timed out. */
    ck_assert_int_eq(weft_chan_recv(weft_ctx_done(later), NULL), WEFT_ECLOSED);
    ck_assert(tu_now_ns() >= pdl - TU_MS);
    ck_assert_int_eq(weft_ctx_err(later), WEFT_ETIMEDOUT);
    ck_assert_int_eq(weft_ctx_err(later2), WEFT_ETIMEDOUT);
    ck_assert_int_eq(weft_ctx_err(p), WEFT_ETIMEDOUT);
    weft_ctx_free(later);
    weft_ctx_free(later2);
    weft_ctx_free(sooner);
    weft_ctx_free(p);
}
END_TEST

START_TEST(test_sooner_child_does_not_cancel_parent) {
    weft_ctx *p = weft_ctx_with_timeout(NULL, 3600 * 1000 * TU_MS);
    weft_ctx *c = weft_ctx_with_timeout(p, 10 * TU_MS);
    ck_assert_int_eq(weft_chan_recv(weft_ctx_done(c), NULL), WEFT_ECLOSED);
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ETIMEDOUT);
    ck_assert_int_eq(weft_ctx_err(p), 0);
    ck_assert(!done_closed(p));
    weft_ctx_free(c);
    weft_ctx_free(p);
}
END_TEST

/* Cancelled before its deadline: ECANCELED, and it stays so after. */
START_TEST(test_cancel_before_deadline_stays_cancelled) {
    weft_ctx *c = weft_ctx_with_timeout(NULL, 20 * TU_MS);
    weft_ctx_cancel(c);
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ECANCELED);
    tu_sleep_ms(40);
    ck_assert_int_eq(weft_ctx_err(c), WEFT_ECANCELED);
    weft_ctx_free(c);
}
END_TEST

/* Freeing a live context cancels it; its children are detached (still
 * usable, and cancelled with it), not freed. ASan catches any use of
 * freed memory in these. */
START_TEST(test_free_live_ctx) {
    weft_ctx *c = weft_ctx_with_cancel(NULL);
    weft_ctx_free(c); /* live, no children */

    weft_ctx *p = weft_ctx_with_cancel(NULL);
    weft_ctx *child = weft_ctx_with_cancel(p);
    weft_ctx *grandchild = weft_ctx_with_cancel(child);
    weft_chan *cd = weft_ctx_done(child);
    weft_ctx_free(p);
    ck_assert_int_eq(weft_ctx_err(child), WEFT_ECANCELED);
    ck_assert_int_eq(weft_chan_recv(cd, NULL), WEFT_ECLOSED);
    ck_assert_int_eq(weft_ctx_err(grandchild), WEFT_ECANCELED);
    weft_ctx_cancel(child); /* still a valid ctx */
    weft_ctx *late = weft_ctx_with_cancel(child);
    ck_assert_int_eq(weft_ctx_err(late), WEFT_ECANCELED);
    weft_ctx_free(late);
    weft_ctx_free(grandchild);
    weft_ctx_free(child);
}
END_TEST

/* A freed child must be unlinked from its parent: cancelling the parent
 * later must not touch it. */
START_TEST(test_free_child_then_cancel_parent) {
    weft_ctx *p = weft_ctx_with_cancel(NULL);
    for (int i = 0; i < 10; i++) {
        weft_ctx *c = weft_ctx_with_cancel(p);
        weft_ctx *t = weft_ctx_with_timeout(p, 3600 * 1000 * TU_MS);
        weft_ctx_free(c);
        weft_ctx_free(t);
    }
    weft_ctx *kept = weft_ctx_with_cancel(p);
    weft_ctx_cancel(p);
    ck_assert_int_eq(weft_ctx_err(kept), WEFT_ECANCELED);
    weft_ctx_free(kept);
    weft_ctx_free(p);
}
END_TEST

/* A timeout ctx freed before it fires: the timer must not fire into freed
 * memory. */
START_TEST(test_free_before_timer_fires) {
    for (int i = 0; i < 20; i++) {
        weft_ctx *c = weft_ctx_with_timeout(NULL, (i % 5) * TU_MS);
        weft_ctx_free(c);
    }
    weft_ctx *p = weft_ctx_with_timeout(NULL, 10 * TU_MS);
    weft_ctx *c = weft_ctx_with_timeout(p, 5 * TU_MS);
    weft_ctx_free(c);
    weft_ctx_free(p);
    tu_sleep_ms(30);
}
END_TEST

typedef struct {
    weft_ctx *ctx;
    int rc;
} done_waiter;

static void *wait_done(void *p) {
    done_waiter *w = p;
    w->rc = weft_chan_recv(weft_ctx_done(w->ctx), NULL);
    return NULL;
}

START_TEST(test_cancel_wakes_all_waiters) {
    enum { N = 8 };
    weft_ctx *p = weft_ctx_with_cancel(NULL);
    weft_ctx *c = weft_ctx_with_cancel(p);
    done_waiter w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (done_waiter){i % 2 ? p : c, 1};
        t[i] = tu_spawn(wait_done, &w[i]);
    }
    tu_sleep_ms(20); /* most of them now blocked; the result holds either way */
    weft_ctx_cancel(p);
    for (int i = 0; i < N; i++) {
        tu_join(t[i]);
        ck_assert_int_eq(w[i].rc, WEFT_ECLOSED);
    }
    weft_ctx_free(c);
    weft_ctx_free(p);
}
END_TEST

/* Children created concurrently with the parent's cancel: every one of
 * them ends up cancelled, whichever side won the race. */
typedef struct {
    weft_ctx *parent;
    weft_ctx **out;
    int n;
} maker_arg;

static void *make_children(void *p) {
    maker_arg *a = p;
    for (int i = 0; i < a->n; i++)
        a->out[i] = (i % 3 == 0) ? weft_ctx_with_timeout(a->parent, 3600 * 1000 * TU_MS)
                                 : weft_ctx_with_cancel(a->parent);
    return NULL;
}

static void *cancel_main(void *p) {
    weft_ctx_cancel(p);
    return NULL;
}

START_TEST(test_race_cancel_with_child_creation) {
    enum { M = 3, N = 200 };
    int rounds = (int)tu_scaled(20, 3);
    for (int r = 0; r < rounds; r++) {
        weft_ctx *p = weft_ctx_with_cancel(NULL);
        static weft_ctx *kids[M][N];
        maker_arg a[M];
        pthread_t t[M + 2];
        for (int i = 0; i < M; i++) {
            a[i] = (maker_arg){p, kids[i], N};
            t[i] = tu_spawn(make_children, &a[i]);
        }
        /* Two concurrent cancels too: cancel is idempotent under races. */
        t[M] = tu_spawn(cancel_main, p);
        t[M + 1] = tu_spawn(cancel_main, p);
        for (int i = 0; i < M + 2; i++)
            tu_join(t[i]);
        for (int i = 0; i < M; i++)
            for (int k = 0; k < N; k++) {
                ck_assert_ptr_nonnull(kids[i][k]);
                ck_assert_int_eq(weft_ctx_err(kids[i][k]), WEFT_ECANCELED);
                ck_assert(done_closed(kids[i][k]));
                weft_ctx_free(kids[i][k]);
            }
        weft_ctx_free(p);
    }
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("ctx");
    TCase *tc = tcase_create("cancel");
    tcase_add_test(tc, test_background);
    tcase_add_test(tc, test_cancel_idempotent);
    tcase_add_test(tc, test_propagation_down_not_up);
    tcase_add_test(tc, test_child_of_cancelled_starts_cancelled);
    tcase_add_test(tc, test_child_of_timed_out_parent);
    tcase_add_test(tc, test_cancel_wakes_all_waiters);
    tcase_add_test(tc, test_race_cancel_with_child_creation);
    suite_add_tcase(s, tc);

    tc = tcase_create("deadline");
    tcase_add_test(tc, test_timeout);
    tcase_add_test(tc, test_timeout_propagates_to_children);
    tcase_add_test(tc, test_deadline_in_past);
    tcase_add_test(tc, test_child_deadline_capped_by_parent);
    tcase_add_test(tc, test_sooner_child_does_not_cancel_parent);
    tcase_add_test(tc, test_cancel_before_deadline_stays_cancelled);
    suite_add_tcase(s, tc);

    tc = tcase_create("free");
    tcase_add_test(tc, test_free_live_ctx);
    tcase_add_test(tc, test_free_child_then_cancel_parent);
    tcase_add_test(tc, test_free_before_timer_fires);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
