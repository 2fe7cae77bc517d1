/* testutil.h: helpers shared by libweft's Check tests (tests/unit/).
 *
 * Owns the small things every test file needs and must not copy: a
 * monotonic clock and sleep, thread start/join that abort on failure, the
 * WEFT_TEST_SCALE factor, timing slack that widens under Valgrind and the
 * sanitizers, a mutex-protected counter for state shared between threads,
 * a watchdog that turns a hang into a message, and the common main().
 *
 * Why a mutex counter instead of C11 atomics: Helgrind and DRD do not
 * understand atomic instructions as synchronisation, so test-side atomics
 * would produce race reports in *test* code under the helgrind/drd labels.
 * A pthread mutex is understood by both tools, and keeps the tests' own
 * bookkeeping out of the reports, so that whatever they report is libweft's.
 *
 * Rule for every test: Check assertions only in the thread running the
 * test (a failed ck_assert longjmps in no-fork mode, which must not happen
 * on another thread). Worker threads record what they saw; the test thread
 * asserts after joining them or after a channel/WaitGroup orders it.
 */
#ifndef WEFT_TESTS_TESTUTIL_H
#define WEFT_TESTS_TESTUTIL_H

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <weft/weft.h>

#define TU_MS ((int64_t)1000000)

/* Check's ck_assert* talk to the runner (a write to its pipe) even when
 * they pass; in loops of many thousands that dominates the run time. These
 * evaluate the condition first and call Check only on failure. */
#define tu_assert(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_assert(cond);                                                                       \
    } while (0)
#define tu_assert_msg(cond, ...)                                                                   \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_assert_msg(cond, __VA_ARGS__);                                                      \
    } while (0)

/* CLOCK_MONOTONIC in ns, read directly (not through libweft, which is the
 * thing under test). */
int64_t tu_now_ns(void);
void tu_sleep_ms(int64_t ms);

/* WEFT_TEST_SCALE (a float, default 1; 0.05 under Valgrind when unset). */
double tu_scale(void);
/* n scaled, but at least min: loop counts and sizes. */
long tu_scaled(long n, long min);
bool tu_on_valgrind(void);
/* Built with ASan or TSan (whose runtimes in Debian 12's gcc and clang
 * take no locks across fork: see test_timer's fork test). */
bool tu_sanitized(void);
/* A number of threads: n natively, at most vg_max under Valgrind. DRD's
 * cost grows steeply with the number of threads that synchronise (a 50-stage
 * daisy chain takes minutes there), while the interleavings worth checking
 * already show with a handful. */
long tu_threads(long n, long vg_max);
/* How much slower than native we may run: 1 natively, more under the
 * sanitizers and much more under Valgrind. Multiplies upper time bounds. */
int tu_slowness(void);
/* A generous upper bound for "promptly": ms * tu_slowness(), in ns. */
int64_t tu_slack_ns(int64_t ms);

/* Threads. tu_spawn aborts on failure (a test cannot go on without it).
 * tu_spawn_small uses a 256 KiB stack, for tests that start hundreds. */
pthread_t tu_spawn(void *(*fn)(void *), void *arg);
pthread_t tu_spawn_small(void *(*fn)(void *), void *arg);
void *tu_join(pthread_t t);

/* A counter/flag shared between threads, ordered by a mutex (see above). */
typedef struct tu_counter {
    pthread_mutex_t mu;
    long v;
    long max; /* the largest value v ever had */
} tu_counter;
void tu_counter_init(tu_counter *c);
void tu_counter_destroy(tu_counter *c);
long tu_counter_add(tu_counter *c, long d); /* returns the new value */
long tu_counter_get(tu_counter *c);
long tu_counter_max(tu_counter *c);
/* Polls (every 1 ms) until the counter reaches at least v or timeout_ns
 * passes; returns whether it did. Only for states that nothing in the API
 * can signal (e.g. "n threads are now inside a blocking call"). */
bool tu_counter_wait_ge(tu_counter *c, long v, int64_t timeout_ns);

/* One channel operation (weft_chan_send or weft_chan_recv) on its own
 * thread, for tests that need "this op is blocked" and "it returned rc".
 * rc and *elem may be read only after tu_chan_op_join, or after
 * tu_chan_op_done returned true. */
typedef struct tu_chan_op {
    weft_chan *ch;
    int op; /* WEFT_SEND or WEFT_RECV */
    void *elem;
    int rc;
    tu_counter done;
    pthread_t thread;
} tu_chan_op;
void tu_chan_op_start(tu_chan_op *o, weft_chan *ch, int op, void *elem);
bool tu_chan_op_done(tu_chan_op *o);
/* Joins the thread; returns the op's result. */
int tu_chan_op_join(tu_chan_op *o);
/* For an op that must block forever (nil channel): detaches the thread. The
 * tu_chan_op and elem must then have static storage. */
void tu_chan_op_abandon(tu_chan_op *o);
/* Sleeps about `ms` to give a would-be-wrong op time to
 * return, then reports whether it is still blocked. */
bool tu_chan_op_still_blocked(tu_chan_op *o, int64_t ms);

/* The same for a weft_select. */
typedef struct tu_select_op {
    weft_case *cases;
    size_t n;
    int flags;
    int rc;
    tu_counter done;
    pthread_t thread;
} tu_select_op;
void tu_select_op_start(tu_select_op *o, weft_case *cases, size_t n, int flags);
bool tu_select_op_still_blocked(tu_select_op *o, int64_t ms);
int tu_select_op_join(tu_select_op *o);
void tu_select_op_abandon(tu_select_op *o);

/* Aborts the process with `what` on stderr unless tu_watchdog_stop() is
 * called within `seconds` (scaled by tu_slowness()). One at a time. */
void tu_watchdog_start(double seconds, const char *what);
void tu_watchdog_stop(void);

/* The common main(): sets a generous CK_DEFAULT_TIMEOUT unless the
 * environment has one (before make() builds the TCases, which read it),
 * runs the suite (CK_ENV verbosity; Check forks per test unless
 * CK_FORK=no) and returns the exit status. */
int tu_main(Suite *(*make)(void));

#endif
/* SPDX-License-Identifier: MIT */
