/* test_timer.c: unit tests of libweft's timer channels (Go's time.After,
 * time.Timer and time.Ticker, with Go 1.23's Stop/Reset semantics) against
 * <weft/weft.h>: weft_after fires once, no earlier than asked, with the due
 * time as its value; Stop before the value is received returns true and
 * nothing is received afterwards (also when the value was already in the
 * channel), Stop after it was received returns false; Reset returns the
 * same and never lets a stale value through; a ticker ticks on its grid
 * (no drift), at least N times in N periods, drops ticks a slow receiver
 * misses (never more than one buffered), stops, resets, and refuses bad
 * periods; the time.After timeout idiom in a select; a thousand timers at
 * once, fired in deadline order; races of Stop and Reset with the timer
 * thread; timers across fork.
 *
 * Time: only lower bounds and orderings are asserted. Upper bounds would
 * flake on a loaded machine; where a test must wait for something that
 * should not happen, a second timer ends the wait (a select), so nothing
 * here hangs if the timer under test misbehaves. */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Receives an int64_t from ch, failing the test after a generous slack. */
static int64_t recv_within(weft_chan *ch, int64_t slack_ms) {
    int64_t v = -1;
    weft_chan *limit = weft_after(tu_slack_ns(slack_ms));
    ck_assert_ptr_nonnull(limit);
    weft_case c[2] = {{ch, WEFT_RECV, &v, 0}, {limit, WEFT_RECV, NULL, 0}};
    int i = weft_select(c, 2, 0);
    weft_chan_free(limit);
    ck_assert_msg(i == 0, "no value within %lld ms", (long long)slack_ms);
    ck_assert_int_eq(c[0].result, 0);
    return v;
}

/* Whether ch stays empty for ms (ended by another timer, not a sleep). */
static bool stays_empty(weft_chan *ch, int64_t ms) {
    weft_chan *limit = weft_after(ms * TU_MS);
    ck_assert_ptr_nonnull(limit);
    weft_case c[2] = {{ch, WEFT_RECV, NULL, 0}, {limit, WEFT_RECV, NULL, 0}};
    int i = weft_select(c, 2, 0);
    weft_chan_free(limit);
    return i == 1;
}

/* Polls until ch holds a value nobody has received (Go 1.23's "fired but
 * not received" state), within a slack. */
static void wait_buffered(weft_chan *ch) {
    int64_t end = tu_now_ns() + tu_slack_ns(5000);
    while (weft_chan_len(ch) == 0 && tu_now_ns() < end)
        tu_sleep_ms(1);
    ck_assert_uint_eq(weft_chan_len(ch), 1);
}

/* ---- time.After ---------------------------------------------------- */

START_TEST(test_after_fires_once) {
    int64_t d = 30 * TU_MS;
    int64_t start = tu_now_ns();
    weft_chan *c = weft_after(d);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(weft_chan_cap(c), 1);
    int64_t v = recv_within(c, 5000);
    int64_t got = tu_now_ns();
    /* The value is the time it was due: no earlier than asked, and not
     * later than when we got it. */
    ck_assert_int_ge(v, start + d);
    ck_assert_int_le(v, got);
    ck_assert_int_ge(got, start + d);
    /* Once: nothing more comes. */
    ck_assert(stays_empty(c, 50));
    weft_chan_free(c);
}
END_TEST

START_TEST(test_after_zero_and_negative) {
    weft_chan *z = weft_after(0);
    weft_chan *n = weft_after(-5 * TU_MS);
    weft_chan *m = weft_after(INT64_MIN);
    ck_assert_ptr_nonnull(z);
    ck_assert_ptr_nonnull(n);
    ck_assert_ptr_nonnull(m);
    int64_t now = tu_now_ns();
    ck_assert_int_le(recv_within(z, 5000), tu_now_ns());
    ck_assert_int_le(recv_within(n, 5000), tu_now_ns());
    ck_assert_int_le(recv_within(m, 5000), tu_now_ns());
    ck_assert_int_ge(tu_now_ns(), now);
    weft_chan_free(z);
    weft_chan_free(n);
    weft_chan_free(m);
}
END_TEST

/* Go 1.23: a receive from an expired timer's channel finds the value at
 * once, even a non-blocking one, without waiting for the timer thread. */
START_TEST(test_expired_receive_at_once) {
    long n = tu_scaled(200, 20);
    for (long i = 0; i < n; i++) {
        int64_t before = tu_now_ns();
        weft_chan *c = weft_after(0);
        int64_t v = 0;
        tu_assert(weft_chan_try_recv(c, &v) == 0);
        tu_assert(v >= before && v <= tu_now_ns());
        tu_assert(weft_chan_try_recv(c, NULL) == WEFT_EAGAIN); /* once */
        weft_chan_free(c);
    }
    /* Past its deadline, a select with a default picks it. */
    weft_chan *c = weft_after(2 * TU_MS);
    int64_t made = tu_now_ns();
    while (tu_now_ns() <= made + 2 * TU_MS) {
    }
    weft_chan *never = weft_chan_make(0, 0);
    weft_case cs[2] = {{never, WEFT_RECV, NULL, 0}, {c, WEFT_RECV, NULL, 0}};
    ck_assert_int_eq(weft_select(cs, 2, WEFT_NONBLOCK), 1);
    weft_chan_free(c);
    weft_chan_free(never);

    /* A ticker past its period has a tick to take, then none. */
    weft_ticker *t = weft_ticker_new(2 * TU_MS);
    made = tu_now_ns();
    while (tu_now_ns() <= made + 2 * TU_MS) {
    }
    ck_assert_int_eq(weft_chan_try_recv(weft_ticker_chan(t), NULL), 0);
    weft_ticker_free(t);

    /* A timer taken early by a receive does not fire again, and Stop
     * then finds it fired and received. */
    weft_timer *tm = weft_timer_new(0);
    ck_assert_int_eq(weft_chan_try_recv(weft_timer_chan(tm), NULL), 0);
    ck_assert(!weft_timer_stop(tm));
    ck_assert(stays_empty(weft_timer_chan(tm), 20));
    weft_timer_free(tm);
}
END_TEST

/* Freeing a pending weft_after channel cancels its timer: nothing fires
 * into freed memory (ASan and Valgrind would say so), and a far one does
 * not keep anything waiting. */
START_TEST(test_after_free_pending) {
    for (int i = 0; i < 100; i++)
        weft_chan_free(weft_after(3600 * 1000 * TU_MS));
    /* Some due right now, freed while the timer thread may be sending. */
    long n = tu_scaled(2000, 50);
    for (long i = 0; i < n; i++)
        weft_chan_free(weft_after((int64_t)(i % 3) * 1000));
    weft_chan_free(NULL);
}
END_TEST

/* Timers fire in deadline order, whatever the order they were made in:
 * once a later one has fired, every earlier one has too. */
START_TEST(test_after_order) {
    int64_t t0 = tu_now_ns();
    weft_chan *late = weft_after(40 * TU_MS);
    weft_chan *early = weft_after(10 * TU_MS);
    weft_chan *mid = weft_after(20 * TU_MS);
    int64_t made = tu_now_ns() - t0;
    recv_within(late, 5000);
    /* Only if making them took less than the 20 ms between their
     * deadlines: a thread preempted longer in between could have made
     * `early` due after `late`. */
    if (made < 20 * TU_MS) {
        ck_assert_int_eq(weft_chan_try_recv(early, NULL), 0);
        ck_assert_int_eq(weft_chan_try_recv(mid, NULL), 0);
    }
    weft_chan_free(late);
    weft_chan_free(early);
    weft_chan_free(mid);
}
END_TEST

/* ---- time.Timer ---------------------------------------------------- */

START_TEST(test_timer_stop_before_fire) {
    weft_timer *t = weft_timer_new(3600 * 1000 * TU_MS);
    ck_assert_ptr_nonnull(t);
    weft_chan *c = weft_timer_chan(t);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(weft_chan_cap(c), 1);
    ck_assert(weft_timer_stop(t));
    ck_assert(!weft_timer_stop(t)); /* already stopped */
    ck_assert_int_eq(weft_chan_try_recv(c, NULL), WEFT_EAGAIN);
    weft_timer_free(t);

    /* A short one stopped at once: if stop says it was in time, nothing
     * ever arrives. */
    t = weft_timer_new(20 * TU_MS);
    c = weft_timer_chan(t);
    if (weft_timer_stop(t))
        ck_assert(stays_empty(c, 60));
    weft_timer_free(t);
}
END_TEST

START_TEST(test_timer_stop_after_fire) {
    int64_t start = tu_now_ns();
    weft_timer *t = weft_timer_new(5 * TU_MS);
    ck_assert_ptr_nonnull(t);
    int64_t v = recv_within(weft_timer_chan(t), 5000);
    ck_assert_int_ge(v, start + 5 * TU_MS);
    ck_assert(!weft_timer_stop(t)); /* fired and received */
    ck_assert(!weft_timer_stop(t));
    weft_timer_free(t);
}
END_TEST

/* Go 1.23: a timer whose value sits in the channel unreceived has not
 * fired as far as Stop is concerned: Stop takes the value back and
 * returns true, and no stale value is received afterwards. */
START_TEST(test_timer_stop_drains_unreceived) {
    weft_timer *t = weft_timer_new(1 * TU_MS);
    weft_chan *c = weft_timer_chan(t);
    wait_buffered(c);
    ck_assert(weft_timer_stop(t));
    ck_assert_uint_eq(weft_chan_len(c), 0);
    ck_assert_int_eq(weft_chan_try_recv(c, NULL), WEFT_EAGAIN);
    ck_assert(!weft_timer_stop(t));
    weft_timer_free(t);
}
END_TEST

START_TEST(test_timer_reset) {
    /* Reset of a pending timer: true, and it fires at the new time. */
    weft_timer *t = weft_timer_new(3600 * 1000 * TU_MS);
    weft_chan *c = weft_timer_chan(t);
    int64_t r = tu_now_ns();
    ck_assert(weft_timer_reset(t, 20 * TU_MS));
    int64_t v = recv_within(c, 5000);
    ck_assert_int_ge(v, r + 20 * TU_MS);

    /* Reset after it fired and was received: false, and it fires again. */
    r = tu_now_ns();
    ck_assert(!weft_timer_reset(t, 10 * TU_MS));
    v = recv_within(c, 5000);
    ck_assert_int_ge(v, r + 10 * TU_MS);
    ck_assert(!weft_timer_stop(t));
    weft_timer_free(t);
}
END_TEST

START_TEST(test_timer_reset_drains_unreceived) {
    weft_timer *t = weft_timer_new(1 * TU_MS);
    weft_chan *c = weft_timer_chan(t);
    wait_buffered(c);
    int64_t r = tu_now_ns();
    ck_assert(weft_timer_reset(t, 15 * TU_MS));
    int64_t v = recv_within(c, 5000);
    ck_assert_int_ge(v, r + 15 * TU_MS); /* not the stale value */
    ck_assert(!weft_timer_stop(t));

    /* Reset of a stopped timer: false, and it runs again. */
    r = tu_now_ns();
    ck_assert(!weft_timer_reset(t, 5 * TU_MS));
    v = recv_within(c, 5000);
    ck_assert_int_ge(v, r + 5 * TU_MS);
    weft_timer_free(t);
    weft_timer_free(NULL);
}
END_TEST

/* Stop and Reset racing the timer thread: with nobody receiving, a value
 * is never "received", so (Go 1.23) Stop and Reset always return true,
 * the channel is empty once they return, and a value received after a
 * Reset is never older than the Reset. */
START_TEST(test_timer_stop_reset_race) {
    long n = tu_scaled(3000, 100);
    weft_timer *t = weft_timer_new(0);
    weft_chan *c = weft_timer_chan(t);
    for (long i = 0; i < n; i++) {
        int64_t d = (int64_t)(rand() % 50) * 1000; /* 0 to 50 us */
        if (i % 2) {
            tu_assert(weft_timer_stop(t));
            tu_assert(weft_chan_len(c) == 0);
            tu_assert(weft_chan_try_recv(c, NULL) == WEFT_EAGAIN);
            tu_assert(!weft_timer_stop(t));
            tu_assert(!weft_timer_reset(t, d));
        } else {
            int64_t r = tu_now_ns();
            tu_assert(weft_timer_reset(t, d));
            int64_t v = 0;
            if (weft_chan_try_recv(c, &v) == 0)
                tu_assert_msg(v >= r + d, "a stale value after reset");
            else
                tu_assert(weft_timer_stop(t));
            /* Received or stopped: nothing pending, so false; armed again
             * for the next round. */
            tu_assert(!weft_timer_reset(t, d));
        }
    }
    weft_timer_free(t);
}
END_TEST

/* ---- time.Ticker --------------------------------------------------- */

START_TEST(test_ticker_invalid) {
    errno = 0;
    ck_assert_ptr_null(weft_ticker_new(0));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(weft_ticker_new(-1));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(weft_ticker_new(INT64_MIN));

    weft_ticker *t = weft_ticker_new(5 * TU_MS);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(weft_ticker_reset(t, 0), WEFT_EINVAL);
    ck_assert_int_eq(weft_ticker_reset(t, -TU_MS), WEFT_EINVAL);
    /* A refused reset changes nothing: it still ticks. */
    recv_within(weft_ticker_chan(t), 5000);
    weft_ticker_free(t);
    weft_ticker_free(NULL);
}
END_TEST

/* At least N ticks take at least N periods, and the values sit on the
 * grid start + k * period: the period does not drift by the timer
 * thread's lateness. */
START_TEST(test_ticker_grid) {
    int64_t p = 5 * TU_MS;
    int n = 10;
    int64_t start = tu_now_ns();
    weft_ticker *t = weft_ticker_new(p);
    ck_assert_ptr_nonnull(t);
    weft_chan *c = weft_ticker_chan(t);
    ck_assert_uint_eq(weft_chan_cap(c), 1);
    int64_t first = recv_within(c, 5000), prev = first;
    ck_assert_int_ge(first, start + p);
    for (int i = 1; i < n; i++) {
        int64_t v = recv_within(c, 5000);
        ck_assert_int_gt(v, prev);
        ck_assert_int_eq((v - first) % p, 0);
        prev = v;
    }
    ck_assert_int_ge(tu_now_ns(), start + (int64_t)n * p);
    ck_assert_int_ge(prev, start + (int64_t)n * p);
    weft_ticker_free(t);
}
END_TEST

/* A receiver slower than the period never finds more than one tick
 * waiting, and the ticks it gets skip the ones it missed. */
START_TEST(test_ticker_slow_receiver_drops) {
    int64_t p = 2 * TU_MS;
    weft_ticker *t = weft_ticker_new(p);
    weft_chan *c = weft_ticker_chan(t);
    /* 50 periods without receiving: one tick is kept, the rest dropped. */
    tu_sleep_ms(100);
    ck_assert_uint_le(weft_chan_len(c), 1);
    int64_t first = recv_within(c, 5000), prev = first;
    int n = 10;
    for (int i = 1; i < n; i++) {
        tu_sleep_ms(4 * p / TU_MS); /* 4 periods per tick */
        ck_assert_uint_le(weft_chan_len(c), 1);
        int64_t v = recv_within(c, 5000);
        ck_assert_int_gt(v, prev);
        ck_assert_int_eq((v - first) % p, 0);
        prev = v;
    }
    /* Each receive comes 4 periods after the one before it, so ticks
     * three apart are more than 4 periods apart: n ticks span more than
     * n - 1 periods, i.e. some were dropped. */
    ck_assert_int_ge((prev - first) / p, n);
    weft_ticker_free(t);
}
END_TEST

START_TEST(test_ticker_stop) {
    weft_ticker *t = weft_ticker_new(2 * TU_MS);
    weft_chan *c = weft_ticker_chan(t);
    recv_within(c, 5000);
    wait_buffered(c); /* a tick waiting: Stop takes it back */
    weft_ticker_stop(t);
    ck_assert_int_eq(weft_chan_try_recv(c, NULL), WEFT_EAGAIN);
    ck_assert(stays_empty(c, 30));
    weft_ticker_stop(t); /* again: nothing changes */
    ck_assert_int_eq(weft_chan_try_recv(c, NULL), WEFT_EAGAIN);
    weft_ticker_free(t);
}
END_TEST

START_TEST(test_ticker_reset) {
    weft_ticker *t = weft_ticker_new(3600 * 1000 * TU_MS);
    weft_chan *c = weft_ticker_chan(t);
    int64_t p = 5 * TU_MS;
    int64_t r = tu_now_ns();
    ck_assert_int_eq(weft_ticker_reset(t, p), 0);
    int64_t first = recv_within(c, 5000);
    ck_assert_int_ge(first, r + p);
    int64_t v = recv_within(c, 5000);
    ck_assert_int_eq((v - first) % p, 0);
    ck_assert_int_gt(v, first);

    /* Reset drains a waiting tick, and the next comes a new period after
     * the reset. */
    wait_buffered(c);
    int64_t q = 7 * TU_MS;
    r = tu_now_ns();
    ck_assert_int_eq(weft_ticker_reset(t, q), 0);
    first = recv_within(c, 5000);
    ck_assert_int_ge(first, r + q);
    v = recv_within(c, 5000);
    ck_assert_int_eq((v - first) % q, 0);

    /* Reset restarts a stopped ticker. */
    weft_ticker_stop(t);
    r = tu_now_ns();
    ck_assert_int_eq(weft_ticker_reset(t, p), 0);
    ck_assert_int_ge(recv_within(c, 5000), r + p);
    weft_ticker_free(t);
}
END_TEST

/* ---- select and many timers ---------------------------------------- */

struct late_sender {
    weft_chan *ch;
};

static void *send_one(void *arg) {
    struct late_sender *s = arg;
    int x = 42;
    weft_chan_send(s->ch, &x);
    return NULL;
}

/* Go's `select { case v := <-ch: ... case <-time.After(d): timeout }`. */
START_TEST(test_select_timeout_idiom) {
    weft_chan *ch = weft_chan_make(sizeof(int), 0);
    int x = 0;

    /* Nobody sends: the timeout wins, no earlier than d. */
    int64_t start = tu_now_ns();
    weft_chan *after = weft_after(20 * TU_MS);
    weft_case c[2] = {{ch, WEFT_RECV, &x, 0}, {after, WEFT_RECV, NULL, 0}};
    ck_assert_int_eq(weft_select(c, 2, 0), 1);
    ck_assert_int_ge(tu_now_ns(), start + 20 * TU_MS);
    weft_chan_free(after);

    /* A sender comes first: the value wins and the pending timeout is
     * freed before it fires. */
    struct late_sender s = {ch};
    pthread_t th = tu_spawn(send_one, &s);
    after = weft_after(3600 * 1000 * TU_MS);
    c[1].ch = after;
    ck_assert_int_eq(weft_select(c, 2, 0), 0);
    ck_assert_int_eq(x, 42);
    weft_chan_free(after);
    tu_join(th);
    weft_chan_free(ch);
}
END_TEST

/* A thousand timers at once share the one timer thread: each fires no
 * earlier than its own deadline, and each exactly once. */
START_TEST(test_thousand_timers) {
    enum { N = 1000 };
    static weft_chan *chs[N];
    static int64_t due[N];
    /* Fewer under Valgrind: DRD's cost per channel operation grows with
     * the number of live channels it has seen annotated (30 ms each at a
     * thousand), not because of anything libweft does. */
    int n = (int)tu_scaled(N, 50);
    for (int i = 0; i < n; i++) {
        int64_t d = (int64_t)(i % 50) * TU_MS / 2; /* 0 to 24.5 ms */
        due[i] = tu_now_ns() + d;
        chs[i] = weft_after(d);
        ck_assert_ptr_nonnull(chs[i]);
    }
    for (int i = 0; i < n; i++) {
        int64_t v = recv_within(chs[i], 10000);
        tu_assert_msg(v >= due[i], "timer %d fired early", i);
    }
    for (int i = 0; i < n; i++) {
        tu_assert(weft_chan_try_recv(chs[i], NULL) == WEFT_EAGAIN);
        weft_chan_free(chs[i]);
    }

    /* And a thousand tickers, stopped and freed while ticking. */
    static weft_ticker *tk[N];
    int m = n;
    for (int i = 0; i < m; i++) {
        tk[i] = weft_ticker_new(10 * TU_MS + (int64_t)i * 10000);
        ck_assert_ptr_nonnull(tk[i]);
    }
    recv_within(weft_ticker_chan(tk[m - 1]), 10000);
    for (int i = 0; i < m; i++) {
        weft_ticker_stop(tk[i]);
        tu_assert(weft_chan_try_recv(weft_ticker_chan(tk[i]), NULL) == WEFT_EAGAIN);
        weft_ticker_free(tk[i]);
    }
}
END_TEST

/* Several threads receiving from one ticker share its ticks; Stop from
 * another thread leaves them blocked (Stop does not close the channel),
 * and only a channel of our own ends them. */
struct tick_reader {
    weft_ticker *t;
    weft_chan *quit;
    tu_counter *got;
};

static void *read_ticks(void *arg) {
    struct tick_reader *r = arg;
    for (;;) {
        weft_case c[2] = {{weft_ticker_chan(r->t), WEFT_RECV, NULL, 0},
                          {r->quit, WEFT_RECV, NULL, 0}};
        if (weft_select(c, 2, 0) == 1)
            return NULL;
        tu_counter_add(r->got, 1);
    }
}

START_TEST(test_ticker_many_readers) {
    tu_counter got;
    tu_counter_init(&got);
    weft_ticker *t = weft_ticker_new(TU_MS);
    weft_chan *quit = weft_chan_make(0, 0);
    struct tick_reader r = {t, quit, &got};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        th[i] = tu_spawn(read_ticks, &r);
    ck_assert(tu_counter_wait_ge(&got, 20, tu_slack_ns(5000)));
    weft_ticker_stop(t);
    weft_chan_close(quit);
    for (int i = 0; i < 4; i++)
        tu_join(th[i]);
    /* The readers are gone: no tick comes after the stop. */
    ck_assert(stays_empty(weft_ticker_chan(t), 20));
    weft_ticker_free(t);
    weft_chan_free(quit);
    tu_counter_destroy(&got);
}
END_TEST

/* fork while the timer thread is busy with a 1 ms ticker: the child's
 * timer thread takes over the inherited timers (the ticker keeps ticking
 * there, a pending weft_after fires there), and the parent's go on. */
static int child_after_fork(weft_ticker *t, weft_chan *a) {
    weft_chan *limit = weft_after(5000 * TU_MS);
    if (!limit)
        return 10;
    for (int i = 0; i < 3; i++) {
        weft_case c[2] = {{weft_ticker_chan(t), WEFT_RECV, NULL, 0}, {limit, WEFT_RECV, NULL, 0}};
        if (weft_select(c, 2, 0) != 0)
            return 11;
    }
    weft_case c[2] = {{a, WEFT_RECV, NULL, 0}, {limit, WEFT_RECV, NULL, 0}};
    if (weft_select(c, 2, 0) != 0)
        return 12;
    weft_ticker_stop(t);
    if (weft_chan_try_recv(weft_ticker_chan(t), NULL) != WEFT_EAGAIN)
        return 13;
    return 0;
}

START_TEST(test_fork) {
    /* As test_misc's fork test: DRD carries earlier tests' annotations
     * into a child of its one process. Not under the sanitizers either:
     * their runtimes here (gcc 12's, clang 14's; LLVM added fork handlers
     * in 18) hold none of their own locks across fork, so a child forked
     * while the timer thread or an exiting pool thread held the
     * allocator's or the thread registry's lock sleeps on it for good
     * (CI's ASan stage hung here once). The plain gcc and clang runs
     * cover this path. */
    if (tu_on_valgrind() || tu_sanitized())
        return;
    weft_ticker *t = weft_ticker_new(TU_MS);
    for (int i = 0; i < 20; i++) {
        recv_within(weft_ticker_chan(t), 5000);
        weft_chan *a = weft_after((int64_t)(i % 3) * TU_MS);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            _exit(child_after_fork(t, a));
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
        recv_within(a, 5000);
        weft_chan_free(a);
    }
    weft_ticker_free(t);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("after");
    tcase_add_test(tc, test_after_fires_once);
    tcase_add_test(tc, test_after_zero_and_negative);
    tcase_add_test(tc, test_expired_receive_at_once);
    tcase_add_test(tc, test_after_free_pending);
    tcase_add_test(tc, test_after_order);
    tcase_add_test(tc, test_select_timeout_idiom);
    suite_add_tcase(s, tc);

    tc = tcase_create("timer");
    tcase_add_test(tc, test_timer_stop_before_fire);
    tcase_add_test(tc, test_timer_stop_after_fire);
    tcase_add_test(tc, test_timer_stop_drains_unreceived);
    tcase_add_test(tc, test_timer_reset);
    tcase_add_test(tc, test_timer_reset_drains_unreceived);
    tcase_add_test(tc, test_timer_stop_reset_race);
    suite_add_tcase(s, tc);

    tc = tcase_create("ticker");
    tcase_add_test(tc, test_ticker_invalid);
    tcase_add_test(tc, test_ticker_grid);
    tcase_add_test(tc, test_ticker_slow_receiver_drops);
    tcase_add_test(tc, test_ticker_stop);
    tcase_add_test(tc, test_ticker_reset);
    tcase_add_test(tc, test_ticker_many_readers);
    suite_add_tcase(s, tc);

    tc = tcase_create("many");
    tcase_add_test(tc, test_thousand_timers);
    tcase_add_test(tc, test_fork);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
