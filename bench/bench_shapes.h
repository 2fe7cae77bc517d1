/* SPDX-License-Identifier: MIT */
/* bench_shapes.h: the bodies of the channel and WaitGroup benchmarks,
 * written once and instantiated once per implementation.
 *
 * bench_weft.c includes this file twice, once with the macros below mapped
 * to libweft and once mapped to the naive peer (naive_chan.h), so that both
 * run literally the same code and the calls stay direct (no function
 * pointers in the hot loops, which would tax the faster implementation the
 * most). It has no include guard on purpose. Each shape matches a mode of
 * bench/go/main.go; keep them identical when changing one.
 *
 * Expected macros: IMPL(name) (suffixes a name), CHAN, CASE, MAKE, SEND,
 * RECV, CLOSE, FREE, SELECT(cases, n), RECV_OP, ECLOSED, WG, WG_INIT(wg),
 * WG_DESTROY(wg), WG_ADD(wg, d), WG_DONE(wg), WG_WAIT(wg). Helpers from
 * bench_weft.c: now_ns, spawn, join, expect, die, triangle.
 *
 * Every benchmark returns the elapsed nanoseconds of the whole shape,
 * thread start-up included (it is noise next to millions of operations, and
 * the Go side pays for starting its goroutines the same way), and checks
 * that every item arrived exactly once, so a broken runtime cannot post a
 * fast time.
 */

/* A producer: sends the values [0, n) into ch. With `left` set, the last
 * producer to finish closes ch (fan-in); without it, each closes its own. */
struct IMPL(producer) {
    CHAN *ch;
    long n;
    atomic_int *left;
};

static void *IMPL(produce)(void *p) {
    struct IMPL(producer) *a = p;
    for (long i = 0; i < a->n; i++) {
        int v = (int)i;
        if (SEND(a->ch, &v) != 0)
            die("send failed");
    }
    if (!a->left || atomic_fetch_sub(a->left, 1) == 1)
        if (CLOSE(a->ch) != 0)
            die("close failed");
    return NULL;
}

/* buffered: one producer, one consumer (the main thread), capacity 1024. */
static int64_t IMPL(bench_buffered)(long n) {
    CHAN *ch = MAKE(sizeof(int), 1024);
    if (!ch)
        die("chan make failed");
    struct IMPL(producer) a = {ch, n, NULL};
    int64_t t0 = now_ns();
    pthread_t t;
    spawn(&t, IMPL(produce), &a);
    long long sum = 0;
    long got = 0;
    int v;
    while (RECV(ch, &v) == 0) {
        sum += v;
        got++;
    }
    join(t);
    int64_t elapsed = now_ns() - t0;
    FREE(ch);
    expect(got == n && sum == triangle(n), "buffered: items lost or duplicated");
    return elapsed;
}

/* pingpong: the main thread sends i on the unbuffered `ping`, a worker
 * echoes it on the unbuffered `pong`; one op is one round trip. */
struct IMPL(pinger) {
    CHAN *ping, *pong;
};

static void *IMPL(echo)(void *p) {
    struct IMPL(pinger) *a = p;
    int v;
    while (RECV(a->ping, &v) == 0)
        if (SEND(a->pong, &v) != 0)
            die("pong send failed");
    return NULL;
}

static int64_t IMPL(bench_pingpong)(long n) {
    struct IMPL(pinger) a = {MAKE(sizeof(int), 0), MAKE(sizeof(int), 0)};
    if (!a.ping || !a.pong)
        die("chan make failed");
    int64_t t0 = now_ns();
    pthread_t t;
    spawn(&t, IMPL(echo), &a);
    for (long i = 0; i < n; i++) {
        int v = (int)i, back = -1;
        if (SEND(a.ping, &v) != 0 || RECV(a.pong, &back) != 0)
            die("ping-pong failed");
        expect(back == v, "pingpong: wrong value echoed");
    }
    CLOSE(a.ping);
    join(t);
    int64_t elapsed = now_ns() - t0;
    FREE(a.ping);
    FREE(a.pong);
    return elapsed;
}

/* pipeline: the seed's three-stage pipeline over unbuffered channels. A
 * generator thread sends 0..n-1 on `nums`, a squarer thread receives each,
 * squares it modulo a prime and sends it on `sqs`, and the main thread sums
 * what arrives. Three threads, so on a 2-CPU machine one of them is always
 * waiting for a core: this is the shape that shows whether a channel's
 * waiting strategy copes with more runnable threads than CPUs. One op is one
 * item through both channels. */
struct IMPL(stage) {
    CHAN *in, *out;
    long n;
};

static void *IMPL(pipe_gen)(void *p) {
    struct IMPL(stage) *s = p;
    for (long i = 0; i < s->n; i++) {
        long v = i;
        if (SEND(s->out, &v) != 0)
            die("pipeline: gen send failed");
    }
    if (CLOSE(s->out) != 0)
        die("close failed");
    return NULL;
}

static void *IMPL(pipe_square)(void *p) {
    struct IMPL(stage) *s = p;
    long v;
    while (RECV(s->in, &v) == 0) {
        v = (long)((long long)v * v % 1000003);
        if (SEND(s->out, &v) != 0)
            die("pipeline: square send failed");
    }
    if (CLOSE(s->out) != 0)
        die("close failed");
    return NULL;
}

static int64_t IMPL(bench_pipeline)(long n) {
    CHAN *nums = MAKE(sizeof(long), 0), *sqs = MAKE(sizeof(long), 0);
    if (!nums || !sqs)
        die("chan make failed");
    struct IMPL(stage) g = {NULL, nums, n}, q = {nums, sqs, n};
    int64_t t0 = now_ns();
    pthread_t t[2];
    spawn(&t[0], IMPL(pipe_gen), &g);
    spawn(&t[1], IMPL(pipe_square), &q);
    long long sum = 0;
    long got = 0;
    long v;
    while (RECV(sqs, &v) == 0) {
        sum += v;
        got++;
    }
    join(t[0]);
    join(t[1]);
    int64_t elapsed = now_ns() - t0;
    FREE(nums);
    FREE(sqs);
    long long want = 0;
    for (long i = 0; i < n; i++)
        want += (long long)i * i % 1000003;
    expect(got == n && sum == want, "pipeline: items lost or duplicated");
    return elapsed;
}

/* fanin: 4 producers of n/4 items into one channel of capacity 128; the last
 * producer closes it; the main thread consumes. */
static int64_t IMPL(bench_fanin)(long n) {
    CHAN *ch = MAKE(sizeof(int), 128);
    if (!ch)
        die("chan make failed");
    atomic_int left = 4;
    struct IMPL(producer) a = {ch, n / 4, &left};
    int64_t t0 = now_ns();
    pthread_t t[4];
    for (int k = 0; k < 4; k++)
        spawn(&t[k], IMPL(produce), &a);
    long long sum = 0;
    long got = 0;
    int v;
    while (RECV(ch, &v) == 0) {
        sum += v;
        got++;
    }
    for (int k = 0; k < 4; k++)
        join(t[k]);
    int64_t elapsed = now_ns() - t0;
    FREE(ch);
    expect(got == n && sum == 4 * triangle(n / 4), "fanin: items lost or duplicated");
    return elapsed;
}

/* select4: 4 producers, each with its own channel of capacity 128 that it
 * closes when done; the main thread selects over the 4 receives and turns a
 * closed channel into a nil one (Go's idiom), until all 4 are closed. One op
 * is one received item. */
static int64_t IMPL(bench_select4)(long n) {
    struct IMPL(producer) a[4];
    CASE cases[4];
    int vals[4];
    for (int k = 0; k < 4; k++) {
        a[k] = (struct IMPL(producer)){MAKE(sizeof(int), 128), n / 4, NULL};
        if (!a[k].ch)
            die("chan make failed");
        cases[k] = (CASE){.ch = a[k].ch, .op = RECV_OP, .elem = &vals[k], .result = 0};
    }
    int64_t t0 = now_ns();
    pthread_t t[4];
    for (int k = 0; k < 4; k++)
        spawn(&t[k], IMPL(produce), &a[k]);
    long long sum = 0;
    long got = 0;
    for (int open = 4; open > 0;) {
        int k = SELECT(cases, 4);
        if (k < 0 || k >= 4)
            die("select failed");
        if (cases[k].result == ECLOSED) {
            cases[k].ch = NULL;
            open--;
        } else {
            sum += vals[k];
            got++;
        }
    }
    for (int k = 0; k < 4; k++)
        join(t[k]);
    int64_t elapsed = now_ns() - t0;
    for (int k = 0; k < 4; k++)
        FREE(a[k].ch);
    expect(got == n && sum == 4 * triangle(n / 4), "select4: items lost or duplicated");
    return elapsed;
}

/* wg: the cross-thread WaitGroup cycle. Per op the main thread does
 * Add(1), hands the item to a worker over a channel of capacity 1, and
 * Waits; the worker, blocked in recv, calls Done. So each op is one
 * channel wake-up and one Done-wakes-Wait wake-up: the WaitGroup leg is
 * what differs from pingpong. */
struct IMPL(waiter) {
    CHAN *work;
    WG *wg;
};

static void *IMPL(wg_worker)(void *p) {
    struct IMPL(waiter) *a = p;
    int v;
    while (RECV(a->work, &v) == 0)
        WG_DONE(a->wg);
    return NULL;
}

static int64_t IMPL(bench_wg)(long n) {
    WG wg;
    WG_INIT(&wg);
    struct IMPL(waiter) a = {MAKE(sizeof(int), 1), &wg};
    if (!a.work)
        die("chan make failed");
    int64_t t0 = now_ns();
    pthread_t t;
    spawn(&t, IMPL(wg_worker), &a);
    for (long i = 0; i < n; i++) {
        int v = (int)i;
        if (WG_ADD(&wg, 1) != 0 || SEND(a.work, &v) != 0)
            die("wg cycle failed");
        WG_WAIT(&wg);
    }
    CLOSE(a.work);
    join(t);
    int64_t elapsed = now_ns() - t0;
    FREE(a.work);
    WG_DESTROY(&wg);
    return elapsed;
}

/* wg_fast: Add(1), Done, Wait on one thread: the uncontended fast path that
 * most WaitGroup calls in real programs take. Nothing ever blocks. */
static int64_t IMPL(bench_wg_fast)(long n) {
    WG wg;
    WG_INIT(&wg);
    int64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (WG_ADD(&wg, 1) != 0)
            die("wg add failed");
        WG_DONE(&wg);
        WG_WAIT(&wg);
    }
    int64_t elapsed = now_ns() - t0;
    WG_DESTROY(&wg);
    return elapsed;
}
