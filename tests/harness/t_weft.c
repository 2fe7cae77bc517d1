/* t_weft.c: every public libweft call once, with the misuse results the
 * detectors build on (double close, send on closed, negative WaitGroup,
 * semaphore over-release), a select that waits and one that does not,
 * threads made by weft_go, a group and a future, and libweft's timer
 * thread (a context with a timeout). Prints "weft ok" when every result
 * is what libweft documents. */
#include <stdio.h>
#include <unistd.h>

#include <weft/weft.h>

#include "asleep.h"

static weft_wg wg = WEFT_WG_INIT;
static weft_chan *work;
static _Atomic pid_t gopher_tid;

static void gopher(void *arg) {
    gopher_tid = test_gettid();
    int v = *(int *)arg;
    weft_chan_send(work, &v); /* main receives after a while: this one waits */
    weft_wg_done(&wg);
}

static int grouped(weft_ctx *ctx, void *arg) {
    (void)ctx;
    return *(int *)arg;
}

static int compute(void *arg, void *result) {
    *(int *)result = *(int *)arg * 2;
    return 0;
}

int main(void) {
    int bad = 0, v = 7, got = 0;
    work = weft_chan_make(sizeof(int), 0);
    weft_chan *buf = weft_chan_make(sizeof(int), 2);
    weft_wg_add(&wg, 1);
    weft_go(gopher, &v);
    /* until the gopher waits in its send: a fixed sleep was not enough
     * on a loaded machine (the send did not wait, and harness:weft's
     * "send waited" failed). Asleep on a futex twice, 5 ms apart: the
     * first may be a lock on its way to the send (malloc's, stdio's),
     * held for microseconds. Then 2 ms more, so that the send's wait
     * outlasts --min-wait (100 us) and is a row, not a count. */
    test_wait_futex(&gopher_tid);
    usleep(5000);
    test_wait_futex(&gopher_tid);
    usleep(2000);
    bad += weft_chan_recv(work, &got) != 0 || got != 7;
    weft_wg_wait(&wg);
    bad += weft_wg_add(&wg, -1) != WEFT_ERANGE; /* negative counter */
    weft_wg_done(&wg);                          /* again: recorded with its result */

    bad += weft_chan_try_recv(buf, &got) != WEFT_EAGAIN;
    bad += weft_chan_try_send(buf, &v) != 0;
    bad += weft_chan_len(buf) != 1 || weft_chan_cap(buf) != 2;
    weft_case cs[2] = {{buf, WEFT_RECV, &got, 0}, {NULL, WEFT_SEND, &v, 0}};
    bad += weft_select(cs, 2, 0) != 0 || got != 7; /* ready: no wait */
    bad += weft_select(cs, 2, WEFT_NONBLOCK) != WEFT_EAGAIN;
    bad += weft_chan_close(buf) != 0;
    bad += weft_chan_close(buf) != WEFT_ECLOSED;    /* double close */
    bad += weft_chan_send(buf, &v) != WEFT_ECLOSED; /* send on closed */
    bad += weft_chan_recv(buf, &got) != WEFT_ECLOSED;
    weft_chan_free(buf);

    weft_ctx *c = weft_ctx_with_cancel(NULL);
    weft_ctx *t = weft_ctx_with_timeout(c, 20000000); /* 20 ms: the timer thread */
    weft_case wc[1] = {{weft_ctx_done(t), WEFT_RECV, NULL, 0}};
    bad += weft_select(wc, 1, 0) != 0; /* waits for the deadline */
    bad += weft_ctx_err(t) != WEFT_ETIMEDOUT;
    weft_ctx_cancel(c);
    weft_ctx_free(t);
    weft_ctx_free(c);
    weft_ctx *d = weft_ctx_with_deadline(NULL, weft_now_ns() + 1000000000);
    weft_ctx_cancel(d);
    weft_ctx_free(d);

    weft_group *g = weft_group_new(NULL);
    int zero = 0, five = 5;
    bad += weft_group_set_limit(g, 2) != 0;
    bad += weft_group_go(g, grouped, &zero) != 0;
    bad += !weft_group_try_go(g, grouped, &five) && 0;
    bad += weft_group_wait(g) != 5 && weft_group_wait(g) != 0;
    weft_group_free(g);

    weft_sem *s = weft_sem_new(2);
    bad += weft_sem_acquire(NULL, s, 2) != 0;
    bad += weft_sem_try_acquire(s, 1);
    bad += weft_sem_release(s, 2) != 0;
    bad += weft_sem_release(s, 1) != WEFT_ERANGE; /* over-release */
    weft_sem_free(s);

    weft_limiter *l = weft_limiter_new(1000.0, 1);
    bad += !weft_limiter_allow(l);
    bad += weft_limiter_wait(NULL, l) != 0;
    weft_limiter_free(l);

    weft_future *f = weft_future_start(compute, &v, sizeof(int));
    bad += weft_future_get(f, &got) != 0 || got != 14;
    bad += weft_future_get_timeout(f, &got, 1000000) != 0;
    weft_future_free(f);
    weft_chan_free(work);
    printf(bad ? "weft bad %d\n" : "weft ok\n", bad);
    return bad;
}
/* SPDX-License-Identifier: MIT */
