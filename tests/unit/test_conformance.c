/* test_conformance.c: the behaviours Go's own channel tests check, ported
 * to libweft (the test/chan directory and runtime/chan_test.go in the Go tree):
 * FIFO (fifo.go), a daisy chain of threads (goroutines.go), exactly-once
 * delivery under competing selects (doubleselect.go), non-blocking ops
 * (nonblock.go), nil channels and closed channels in select (select3.go,
 * closedchan.go), "only one case runs" and a losing send case is not
 * delivered (select.go), the prime sieve (sieve1.go), a select never
 * matching itself (TestSelfSelect), TestNonblockRecvRace,
 * TestNonblockSelectRace(2), TestMultiConsumer, TestSelectDuplicateChannel,
 * TestSelectStress, TestChan's multi-sender part; plus select cleanup after
 * a lost case (no stale waiter left on the losing channel) and select
 * fairness with a chi-square bound that cannot flake (p < 1e-9).
 * No allocation per select is checked in test_noalloc.c. */
#define _GNU_SOURCE
#include "testutil.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK_MS 50

static weft_chan *mk(size_t elem, size_t cap) {
    weft_chan *c = weft_chan_make(elem, cap);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* ---- fifo.go ----------------------------------------------------------- */

START_TEST(test_async_fifo) {
    enum { N = 1000 };
    weft_chan *c = mk(sizeof(int), N);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(weft_chan_send(c, &i), 0);
    for (int i = 0; i < N; i++) {
        int v = -1;
        ck_assert_int_eq(weft_chan_recv(c, &v), 0);
        ck_assert_int_eq(v, i);
    }
    weft_chan_free(c);
}
END_TEST

/* SynchFifo: a chain of threads, each waiting for its predecessor's
 * signal, then receiving from a shared unbuffered channel: the values come
 * out in the order the receivers lined up. */
typedef struct {
    weft_chan *ch, *in, *out;
    int val, errors;
} fifo_link;

static void *fifo_link_main(void *p) {
    fifo_link *l = p;
    int v = -1;
    if (weft_chan_recv(l->in, NULL) != 0)
        l->errors++;
    if (weft_chan_recv(l->ch, &v) != 0 || v != l->val)
        l->errors++;
    if (weft_chan_send(l->out, NULL) != 0)
        l->errors++;
    return NULL;
}

START_TEST(test_sync_fifo) {
    int n = (int)tu_threads(tu_scaled(200, 10), 10);
    weft_chan *ch = mk(sizeof(int), 0);
    weft_chan **link = malloc(sizeof *link * (size_t)(n + 1));
    fifo_link *l = malloc(sizeof *l * (size_t)n);
    pthread_t *t = malloc(sizeof *t * (size_t)n);
    for (int i = 0; i <= n; i++)
        link[i] = mk(0, 0);
    for (int i = 0; i < n; i++) {
        l[i] = (fifo_link){ch, link[i], link[i + 1], i, 0};
        t[i] = tu_spawn_small(fifo_link_main, &l[i]);
    }
    ck_assert_int_eq(weft_chan_send(link[0], NULL), 0);
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(weft_chan_send(ch, &i), 0);
    ck_assert_int_eq(weft_chan_recv(link[n], NULL), 0);
    for (int i = 0; i < n; i++) {
        tu_join(t[i]);
        ck_assert_msg(l[i].errors == 0, "link %d got a value out of order", i);
    }
    for (int i = 0; i <= n; i++)
        weft_chan_free(link[i]);
    weft_chan_free(ch);
    free(link);
    free(l);
    free(t);
}
END_TEST

/* ---- goroutines.go: a daisy chain ------------------------------------- */

typedef struct {
    weft_chan *in, *out;
    int errors;
} stage_arg;

static void *stage_main(void *p) {
    stage_arg *a = p;
    long v;
    int rc;
    while ((rc = weft_chan_recv(a->in, &v)) == 0) {
        v++;
        if (weft_chan_send(a->out, &v) != 0)
            a->errors++;
    }
    if (rc != WEFT_ECLOSED)
        a->errors++;
    if (weft_chan_close(a->out) != 0)
        a->errors++;
    return NULL;
}

typedef struct {
    weft_chan *out;
    long k;
} feeder_arg;

static void *feeder_main(void *p) {
    feeder_arg *f = p;
    for (long i = 0; i < f->k; i++)
        weft_chan_send(f->out, &i);
    weft_chan_close(f->out);
    return NULL;
}

START_TEST(test_daisy_chain) {
    int n = (int)tu_threads(tu_scaled(1000, 50), 8);
    const long K = 20;
    tu_watchdog_start(120, "daisy chain");
    weft_chan **ch = malloc(sizeof *ch * (size_t)(n + 1));
    stage_arg *a = malloc(sizeof *a * (size_t)n);
    pthread_t *t = malloc(sizeof *t * (size_t)n);
    for (int i = 0; i <= n; i++)
        ch[i] = mk(sizeof(long), 0);
    for (int i = 0; i < n; i++) {
        a[i] = (stage_arg){ch[i], ch[i + 1], 0};
        t[i] = tu_spawn_small(stage_main, &a[i]);
    }
    feeder_arg f = {ch[0], K};
    pthread_t ft = tu_spawn(feeder_main, &f);
    for (long i = 0; i < K; i++) {
        long v = -1;
        ck_assert_int_eq(weft_chan_recv(ch[n], &v), 0);
        ck_assert_int_eq(v, i + n); /* in order, incremented once per stage */
    }
    ck_assert_int_eq(weft_chan_recv(ch[n], NULL), WEFT_ECLOSED);
    tu_join(ft);
    for (int i = 0; i < n; i++) {
        tu_join(t[i]);
        ck_assert_int_eq(a[i].errors, 0);
    }
    for (int i = 0; i <= n; i++)
        weft_chan_free(ch[i]);
    free(ch);
    free(a);
    free(t);
    tu_watchdog_stop();
}
END_TEST

/* ---- doubleselect.go ---------------------------------------------------- */

typedef struct {
    weft_chan *c[4];
    long n;
    int errors;
} dsel_sender;

static void *dsel_send_main(void *p) {
    dsel_sender *s = p;
    for (long i = 0; i < s->n; i++) {
        weft_case cs[4];
        for (int k = 0; k < 4; k++)
            cs[k] = (weft_case){s->c[k], WEFT_SEND, &i, 1};
        int k = weft_select(cs, 4, 0);
        if (k < 0 || k > 3 || cs[k].result != 0)
            s->errors++;
    }
    for (int k = 0; k < 4; k++)
        weft_chan_close(s->c[k]);
    return NULL;
}

/* mux: forwards one channel until closed (as in doubleselect.go). */
typedef struct {
    weft_chan *in[4];
    int nin; /* 1: plain recv loop; 4: a select over all four */
    weft_chan *out;
    int errors;
} dsel_fwd;

static void *dsel_fwd_main(void *p) {
    dsel_fwd *f = p;
    long v;
    if (f->nin == 1) {
        int rc;
        while ((rc = weft_chan_recv(f->in[0], &v)) == 0)
            if (weft_chan_send(f->out, &v) != 0)
                f->errors++;
        if (rc != WEFT_ECLOSED)
            f->errors++;
        return NULL;
    }
    weft_case cs[4];
    for (int k = 0; k < 4; k++)
        cs[k] = (weft_case){f->in[k], WEFT_RECV, &v, 1};
    int open = 4;
    while (open > 0) {
        int k = weft_select(cs, 4, 0);
        if (k < 0 || k > 3) {
            f->errors++;
            break;
        }
        if (cs[k].result == WEFT_ECLOSED) {
            cs[k].ch = NULL; /* Go's idiom: a nil channel drops out */
            open--;
        } else if (cs[k].result != 0 || weft_chan_send(f->out, &v) != 0) {
            f->errors++;
        }
    }
    return NULL;
}

typedef struct {
    pthread_t *t;
    int n;
    weft_chan *out;
} closer_arg;

static void *closer_main(void *p) {
    closer_arg *c = p;
    for (int i = 0; i < c->n; i++)
        tu_join(c->t[i]);
    weft_chan_close(c->out);
    return NULL;
}

START_TEST(test_doubleselect) {
    enum { F = 7 };
    long n = tu_scaled(20000, 500);
    tu_watchdog_start(120, "doubleselect");
    dsel_sender s;
    s.n = n;
    s.errors = 0;
    for (int k = 0; k < 4; k++)
        s.c[k] = mk(sizeof(long), 0);
    weft_chan *cmux = mk(sizeof(long), 0);
    dsel_fwd f[F];
    pthread_t ft[F];
    for (int i = 0; i < F; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].out = cmux;
        if (i < 4) { /* one plain receiver per channel, as in Go */
            f[i].nin = 1;
            f[i].in[0] = s.c[i];
        } else { /* and competing selects on all four */
            f[i].nin = 4;
            memcpy(f[i].in, s.c, sizeof s.c);
        }
        ft[i] = tu_spawn(dsel_fwd_main, &f[i]);
    }
    pthread_t st = tu_spawn(dsel_send_main, &s);
    closer_arg ca = {ft, F, cmux};
    pthread_t ct = tu_spawn(closer_main, &ca);
    unsigned char *seen = calloc((size_t)n, 1);
    long v, total = 0;
    while (weft_chan_recv(cmux, &v) == 0) {
        tu_assert_msg(v >= 0 && v < n, "got a value never sent: %ld", v);
        tu_assert_msg(seen[v] == 0, "got duplicate value %ld", v);
        seen[v] = 1;
        total++;
    }
    ck_assert_int_eq(total, n);
    tu_join(ct);
    tu_join(st);
    ck_assert_int_eq(s.errors, 0);
    for (int i = 0; i < F; i++)
        ck_assert_int_eq(f[i].errors, 0);
    free(seen);
    for (int k = 0; k < 4; k++)
        weft_chan_free(s.c[k]);
    weft_chan_free(cmux);
    tu_watchdog_stop();
}
END_TEST

/* ---- nonblock.go ---------------------------------------------------------- */

typedef struct {
    weft_chan *c;
    int n, errors;
    bool use_select;
} partner_arg;

static void *slow_receiver(void *p) {
    partner_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        int v = -1;
        if (weft_chan_recv(a->c, &v) != 0 || v != i)
            a->errors++;
    }
    return NULL;
}

static void *slow_sender(void *p) {
    partner_arg *a = p;
    for (int i = 0; i < a->n; i++)
        if (weft_chan_send(a->c, &i) != 0)
            a->errors++;
    return NULL;
}

/* A non-blocking op, as try op or as select with WEFT_NONBLOCK. */
static int nb_op(weft_chan *c, int op, int *v, bool use_select) {
    if (!use_select)
        return op == WEFT_SEND ? weft_chan_try_send(c, v) : weft_chan_try_recv(c, v);
    weft_case cs[] = {{c, op, v, 1}};
    int k = weft_select(cs, 1, WEFT_NONBLOCK);
    return k == WEFT_EAGAIN ? WEFT_EAGAIN : cs[0].result;
}

/* Retries a non-blocking op until it succeeds (the partner arrives), for
 * at most a generous time. */
static int nb_retry(weft_chan *c, int op, int *v, bool use_select) {
    int64_t end = tu_now_ns() + tu_slack_ns(5000);
    int rc;
    while ((rc = nb_op(c, op, v, use_select)) == WEFT_EAGAIN && tu_now_ns() < end)
        sched_yield();
    return rc;
}

START_TEST(test_nonblock) {
    const size_t caps[] = {0, 1, 2, 8, 16};
    const int M = 20;
    for (int sel = 0; sel <= 1; sel++)
        for (size_t ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
            size_t cap = caps[ci];
            weft_chan *c = mk(sizeof(int), cap);
            int v = 0;
            ck_assert_int_eq(nb_op(c, WEFT_RECV, &v, sel), WEFT_EAGAIN);
            for (size_t k = 0; k < cap; k++)
                ck_assert_int_eq(nb_op(c, WEFT_SEND, &v, sel), 0);
            ck_assert_int_eq(nb_op(c, WEFT_SEND, &v, sel), WEFT_EAGAIN);
            for (size_t k = 0; k < cap; k++)
                ck_assert_int_eq(nb_op(c, WEFT_RECV, &v, sel), 0);
            ck_assert_int_eq(nb_op(c, WEFT_RECV, &v, sel), WEFT_EAGAIN);

            /* Non-blocking sends to a receiving partner all get through. */
            partner_arg a = {c, M, 0, false};
            pthread_t t = tu_spawn(slow_receiver, &a);
            for (int i = 0; i < M; i++) {
                int x = i;
                ck_assert_int_eq(nb_retry(c, WEFT_SEND, &x, sel), 0);
            }
            tu_join(t);
            ck_assert_int_eq(a.errors, 0);

            /* Non-blocking receives from a sending partner, in order. */
            partner_arg b = {c, M, 0, false};
            t = tu_spawn(slow_sender, &b);
            for (int i = 0; i < M; i++) {
                int x = -1;
                ck_assert_int_eq(nb_retry(c, WEFT_RECV, &x, sel), 0);
                ck_assert_int_eq(x, i);
            }
            tu_join(t);
            ck_assert_int_eq(b.errors, 0);
            weft_chan_free(c);
        }
}
END_TEST

/* ---- select3.go / closedchan.go: nil and closed channels in select ------ */

static void *delayed_close(void *p) {
    tu_sleep_ms(20);
    weft_chan_close(p);
    return NULL;
}

START_TEST(test_nil_channels_in_select) {
    int v = 0;
    weft_case nils[] = {
        {NULL, WEFT_RECV, &v, 1}, {NULL, WEFT_SEND, &v, 1}, {NULL, WEFT_RECV, NULL, 1}};
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(weft_select(nils, 3, WEFT_NONBLOCK), WEFT_EAGAIN);
    /* Blocking: only nil cases plus one that becomes ready (closed) later:
     * the select wakes on that one. */
    weft_chan *c = mk(sizeof(int), 0);
    weft_case cs[] = {{NULL, WEFT_RECV, &v, 1}, {NULL, WEFT_SEND, &v, 1}, {c, WEFT_RECV, &v, 1}};
    pthread_t t = tu_spawn(delayed_close, c);
    ck_assert_int_eq(weft_select(cs, 3, 0), 2);
    ck_assert_int_eq(cs[2].result, WEFT_ECLOSED);
    tu_join(t);
    weft_chan_free(c);
}
END_TEST

/* Every way of receiving from a closed channel: buffered values first,
 * then zero + WEFT_ECLOSED, again and again. */
enum { RECV_PLAIN, RECV_TRY, RECV_SELECT, RECV_SELECT_NB, RECV_KINDS };

static int recv_by(int how, weft_chan *c, long *v) {
    weft_chan *never = NULL;
    weft_case cs[] = {{never, WEFT_RECV, NULL, 1}, {c, WEFT_RECV, v, 1}};
    int k;
    switch (how) {
    case RECV_PLAIN:
        return weft_chan_recv(c, v);
    case RECV_TRY:
        return weft_chan_try_recv(c, v);
    case RECV_SELECT:
        k = weft_select(cs, 2, 0);
        return k == 1 ? cs[1].result : 1000 + k;
    default:
        k = weft_select(cs, 2, WEFT_NONBLOCK);
        return k == 1 ? cs[1].result : 1000 + k;
    }
}

START_TEST(test_closedchan) {
    for (int how = 0; how < RECV_KINDS; how++)
        for (size_t cap = 0; cap <= 3; cap += 3) {
            weft_chan *c = mk(sizeof(long), cap);
            long v;
            for (long i = 0; i < (long)cap; i++)
                weft_chan_send(c, &i);
            ck_assert_int_eq(weft_chan_close(c), 0);
            ck_assert_uint_eq(weft_chan_len(c), cap);
            ck_assert_uint_eq(weft_chan_cap(c), cap);
            for (long i = 0; i < (long)cap; i++) {
                v = -1;
                ck_assert_int_eq(recv_by(how, c, &v), 0);
                ck_assert_int_eq(v, i);
            }
            for (int i = 0; i < 5; i++) {
                v = 0x5555;
                ck_assert_int_eq(recv_by(how, c, &v), WEFT_ECLOSED);
                ck_assert_int_eq(v, 0);
            }
            /* Sends fail, by every means, and change nothing. */
            long x = 7;
            ck_assert_int_eq(weft_chan_send(c, &x), WEFT_ECLOSED);
            ck_assert_int_eq(weft_chan_try_send(c, &x), WEFT_ECLOSED);
            weft_case snd[] = {{NULL, WEFT_SEND, &x, 1}, {c, WEFT_SEND, &x, 1}};
            ck_assert_int_eq(weft_select(snd, 2, 0), 1);
            ck_assert_int_eq(snd[1].result, WEFT_ECLOSED);
            snd[1].result = 1;
            ck_assert_int_eq(weft_select(snd, 2, WEFT_NONBLOCK), 1);
            ck_assert_int_eq(snd[1].result, WEFT_ECLOSED);
            ck_assert_int_eq(weft_chan_close(c), WEFT_ECLOSED);
            ck_assert_uint_eq(weft_chan_len(c), 0);
            ck_assert_int_eq(recv_by(how, c, &v), WEFT_ECLOSED);
            weft_chan_free(c);
        }
}
END_TEST

/* A closed channel's recv case is ready, so it competes fairly with other
 * ready cases: both must win sometimes. */
START_TEST(test_closed_case_competes) {
    weft_chan *closed = mk(sizeof(int), 0);
    weft_chan *full = mk(sizeof(int), 1);
    weft_chan_close(closed);
    int v = 1, wins[2] = {0, 0};
    weft_chan_send(full, &v);
    for (int i = 0; i < 400; i++) {
        weft_case cs[] = {{closed, WEFT_RECV, &v, 1}, {full, WEFT_RECV, &v, 1}};
        int k = weft_select(cs, 2, 0);
        ck_assert(k == 0 || k == 1);
        wins[k]++;
        if (k == 1) {
            ck_assert_int_eq(cs[1].result, 0);
            weft_chan_send(full, &v);
        } else {
            ck_assert_int_eq(cs[0].result, WEFT_ECLOSED);
        }
    }
    ck_assert(wins[0] > 0 && wins[1] > 0); /* each fails with p = 2^-400 */
    weft_chan_free(closed);
    weft_chan_free(full);
}
END_TEST

/* ---- select.go: only one case runs; a losing send is not delivered ------ */

START_TEST(test_losing_send_not_delivered) {
    weft_chan *a = mk(sizeof(int), 1); /* send case: room for one */
    weft_chan *b = mk(sizeof(int), 1); /* recv case: holds one */
    int wins[2] = {0, 0};
    for (int i = 0; i < 1000; i++) {
        int x = 1000 + i, y = 2000 + i, got = -1;
        weft_chan_send(b, &y);
        weft_case cs[] = {{a, WEFT_SEND, &x, 1}, {b, WEFT_RECV, &got, 1}};
        int k = weft_select(cs, 2, i % 2 ? WEFT_NONBLOCK : 0);
        ck_assert(k == 0 || k == 1);
        wins[k]++;
        if (k == 0) { /* the send ran: b untouched, a holds x */
            ck_assert_uint_eq(weft_chan_len(b), 1);
            ck_assert_int_eq(got, -1);
            ck_assert_int_eq(weft_chan_try_recv(a, &got), 0);
            ck_assert_int_eq(got, x);
            weft_chan_recv(b, NULL);
        } else { /* the recv ran: nothing was sent on a */
            ck_assert_int_eq(got, y);
            ck_assert_uint_eq(weft_chan_len(a), 0);
        }
        ck_assert_uint_eq(weft_chan_len(a) + weft_chan_len(b), 0);
    }
    ck_assert(wins[0] > 0 && wins[1] > 0);
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

/* The same with an unbuffered send case and a real receiver on the other
 * side: the receiver sees exactly the values whose send case won. */
typedef struct {
    weft_chan *c;
    long *got;
    long n;
} collect_arg;

static void *collect_main(void *p) {
    collect_arg *a = p;
    long v;
    while (weft_chan_recv(a->c, &v) == 0)
        a->got[a->n++] = v;
    return NULL;
}

START_TEST(test_losing_send_not_delivered_unbuffered) {
    int m = (int)tu_scaled(5000, 300);
    weft_chan *a = mk(sizeof(long), 0);
    weft_chan *b = mk(sizeof(long), 1);
    long *sent = malloc(sizeof(long) * (size_t)(m + 1));
    long nsent = 0;
    collect_arg ca = {a, malloc(sizeof(long) * (size_t)(m + 1)), 0};
    pthread_t t = tu_spawn(collect_main, &ca);
    /* The send case is ready only while the receiver waits: on a loaded
     * machine it may not get a CPU during the first m rounds, so the
     * rounds go on (yielding) until one send case has won. */
    for (long i = 0; i < m || (nsent == 0 && i < 1000L * m); i++) {
        if (i >= m)
            sched_yield();
        long x = i, y = -i, got;
        weft_chan_try_send(b, &y); /* b ready, unless still full from before */
        weft_case cs[] = {{a, WEFT_SEND, &x, 1}, {b, WEFT_RECV, &got, 1}};
        int k = weft_select(cs, 2, 0);
        ck_assert(k == 0 || k == 1);
        if (k == 0)
            sent[nsent++] = x;
    }
    weft_chan_close(a);
    tu_join(t);
    ck_assert_int_gt(nsent, 0);
    ck_assert_int_eq(ca.n, nsent);
    for (long i = 0; i < nsent; i++)
        tu_assert_msg(ca.got[i] == sent[i], "receiver got %ld, but the send case of %ld won",
                      ca.got[i], sent[i]);
    free(sent);
    free(ca.got);
    weft_chan_free(a);
    weft_chan_free(b);
}
END_TEST

/* ---- sieve1.go ----------------------------------------------------------- */

typedef struct {
    weft_chan *out;
    long limit;
} gen_arg;

static void *gen_main(void *p) {
    gen_arg *g = p;
    for (long i = 2; i <= g->limit; i++)
        if (weft_chan_send(g->out, &i) != 0)
            break;
    weft_chan_close(g->out);
    return NULL;
}

typedef struct {
    weft_chan *in, *out;
    long prime;
} filter_arg;

static void *filter_main(void *p) {
    filter_arg *f = p;
    long v;
    while (weft_chan_recv(f->in, &v) == 0)
        if (v % f->prime != 0)
            weft_chan_send(f->out, &v);
    weft_chan_close(f->out);
    return NULL;
}

START_TEST(test_sieve) {
    /* Under Valgrind up to 30 only: 10 primes, so 10 filter threads. */
    long limit = tu_on_valgrind() ? 30 : tu_scaled(1500, 200);
    /* The plain sieve of Eratosthenes, for reference. */
    char *composite = calloc((size_t)limit + 1, 1);
    long nprimes = 0;
    for (long i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        nprimes++;
        for (long j = i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    weft_chan **ch = malloc(sizeof *ch * (size_t)(nprimes + 1));
    filter_arg *fa = malloc(sizeof *fa * (size_t)nprimes);
    pthread_t *ft = malloc(sizeof *ft * (size_t)nprimes);
    tu_watchdog_start(120, "sieve");
    ch[0] = mk(sizeof(long), 0);
    gen_arg g = {ch[0], limit};
    pthread_t gt = tu_spawn(gen_main, &g);
    long found = 0, p, last = 1;
    weft_chan *in = ch[0];
    while (weft_chan_recv(in, &p) == 0) {
        ck_assert_msg(found < nprimes, "sieve found more primes than there are");
        ck_assert_msg(p > last && p <= limit && !composite[p], "sieve produced %ld", p);
        /* p is the next prime after the last one: none skipped */
        for (long q = last + 1; q < p; q++)
            ck_assert_msg(composite[q], "sieve skipped the prime %ld", q);
        last = p;
        ch[found + 1] = mk(sizeof(long), 0);
        fa[found] = (filter_arg){in, ch[found + 1], p};
        ft[found] = tu_spawn_small(filter_main, &fa[found]);
        in = ch[found + 1];
        found++;
    }
    ck_assert_int_eq(found, nprimes);
    tu_join(gt);
    for (long i = 0; i < found; i++)
        tu_join(ft[i]);
    for (long i = 0; i <= found; i++)
        weft_chan_free(ch[i]);
    tu_watchdog_stop();
    free(composite);
    free(ch);
    free(fa);
    free(ft);
}
END_TEST

/* ---- select cleanup after a lost case ----------------------------------- */

/* Sends `n` values on `c`, each after the selecting thread announced it is
 * about to select (and a short pause), so that most selects are parked on
 * every channel when the value arrives. */
typedef struct {
    weft_chan *c;
    tu_counter *armed;
    long n;
} poke_arg;

static void *poke_main(void *p) {
    poke_arg *a = p;
    for (long i = 0; i < a->n; i++) {
        while (tu_counter_get(a->armed) < i + 1)
            sched_yield();
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
        weft_chan_send(a->c, &i);
    }
    return NULL;
}

/* One configuration: the select has `loser` as case 0 (op, on a channel
 * that is never ready for it) and a recv on `b` as case 1, which wins. */
static void run_lost_case(weft_chan *loser, int op, long n) {
    weft_chan *b = mk(sizeof(long), 0);
    tu_counter armed;
    tu_counter_init(&armed);
    poke_arg pa = {b, &armed, n};
    pthread_t t = tu_spawn(poke_main, &pa);
    for (long i = 0; i < n; i++) {
        long x = 1000000 + i, got = -1;
        weft_case cs[] = {{loser, op, &x, 1}, {b, WEFT_RECV, &got, 1}};
        tu_counter_add(&armed, 1);
        ck_assert_int_eq(weft_select(cs, 2, 0), 1);
        ck_assert_int_eq(got, i);
    }
    tu_join(t);
    tu_counter_destroy(&armed);
    weft_chan_free(b);
}

START_TEST(test_select_cleanup_lost_recv_unbuffered) {
    long n = tu_scaled(1000, 50);
    weft_chan *a = mk(sizeof(long), 0);
    run_lost_case(a, WEFT_RECV, n);
    /* A stale parked receiver would let this "succeed" into a dead select. */
    long x = 5;
    ck_assert_int_eq(weft_chan_try_send(a, &x), WEFT_EAGAIN);
    ck_assert_uint_eq(weft_chan_len(a), 0);
    /* And a real receiver then gets exactly what is sent. */
    tu_chan_op r;
    long got = -1;
    tu_chan_op_start(&r, a, WEFT_RECV, &got);
    ck_assert_int_eq(weft_chan_send(a, &x), 0);
    ck_assert_int_eq(tu_chan_op_join(&r), 0);
    ck_assert_int_eq(got, 5);
    weft_chan_free(a);
}
END_TEST

START_TEST(test_select_cleanup_lost_send_unbuffered) {
    long n = tu_scaled(1000, 50);
    weft_chan *a = mk(sizeof(long), 0);
    run_lost_case(a, WEFT_SEND, n);
    /* A stale parked sender would hand over one of the 1000000+i values. */
    long got = -1;
    ck_assert_int_eq(weft_chan_try_recv(a, &got), WEFT_EAGAIN);
    ck_assert_int_eq(got, -1);
    ck_assert_uint_eq(weft_chan_len(a), 0);
    weft_chan_free(a);
}
END_TEST

START_TEST(test_select_cleanup_lost_recv_buffered) {
    long n = tu_scaled(1000, 50);
    weft_chan *a = mk(sizeof(long), 2);
    run_lost_case(a, WEFT_RECV, n);
    long x = 1, y = 2, got = -1;
    ck_assert_int_eq(weft_chan_send(a, &x), 0);
    ck_assert_int_eq(weft_chan_send(a, &y), 0);
    ck_assert_uint_eq(weft_chan_len(a), 2); /* no stale receiver took them */
    ck_assert_int_eq(weft_chan_try_recv(a, &got), 0);
    ck_assert_int_eq(got, 1);
    ck_assert_int_eq(weft_chan_try_recv(a, &got), 0);
    ck_assert_int_eq(got, 2);
    ck_assert_int_eq(weft_chan_try_recv(a, &got), WEFT_EAGAIN);
    weft_chan_free(a);
}
END_TEST

START_TEST(test_select_cleanup_lost_send_buffered) {
    long n = tu_scaled(1000, 50);
    weft_chan *a = mk(sizeof(long), 2);
    long x = 1, y = 2, got = -1;
    weft_chan_send(a, &x);
    weft_chan_send(a, &y); /* full: the send case loses every time */
    run_lost_case(a, WEFT_SEND, n);
    ck_assert_uint_eq(weft_chan_len(a), 2);
    ck_assert_int_eq(weft_chan_recv(a, &got), 0);
    ck_assert_int_eq(got, 1);
    ck_assert_int_eq(weft_chan_recv(a, &got), 0);
    ck_assert_int_eq(got, 2);
    /* A stale parked sender would now refill the freed slots. */
    ck_assert_int_eq(weft_chan_try_recv(a, &got), WEFT_EAGAIN);
    ck_assert_uint_eq(weft_chan_len(a), 0);
    weft_chan_free(a);
}
END_TEST

/* ---- zero-size elements under concurrency ------------------------------- */

typedef struct {
    weft_chan *c;
    long n;
    int errors;
} zs_arg;

static void *zs_sender(void *p) {
    zs_arg *a = p;
    for (long i = 0; i < a->n; i++) {
        int rc;
        if (i % 2) {
            weft_case cs[] = {{a->c, WEFT_SEND, NULL, 1}};
            rc = weft_select(cs, 1, 0) == 0 ? cs[0].result : -1;
        } else {
            rc = weft_chan_send(a->c, NULL);
        }
        if (rc != 0)
            a->errors++;
    }
    return NULL;
}

START_TEST(test_zero_size_concurrent) {
    enum { S = 4 };
    long n = tu_scaled(3000, 100);
    for (size_t cap = 0; cap <= 4; cap += 4) {
        weft_chan *c = mk(0, cap);
        zs_arg a[S];
        pthread_t t[S];
        for (int i = 0; i < S; i++) {
            a[i] = (zs_arg){c, n, 0};
            t[i] = tu_spawn(zs_sender, &a[i]);
        }
        for (long i = 0; i < S * n; i++)
            tu_assert(weft_chan_recv(c, NULL) == 0);
        for (int i = 0; i < S; i++) {
            tu_join(t[i]);
            ck_assert_int_eq(a[i].errors, 0);
        }
        ck_assert_int_eq(weft_chan_try_recv(c, NULL), WEFT_EAGAIN);
        weft_chan_free(c);
    }
}
END_TEST

/* ---- a select never matches itself ---------------------------------------- */

START_TEST(test_select_self_never_matches) {
    weft_chan *c = mk(sizeof(long), 0);
    long out = 11, in = -1;
    weft_case cs[] = {{c, WEFT_SEND, &out, 1}, {c, WEFT_RECV, &in, 1}};
    ck_assert_int_eq(weft_select(cs, 2, WEFT_NONBLOCK), WEFT_EAGAIN);
    ck_assert_int_eq(in, -1);
    /* Blocking, it stays blocked until another thread acts: round 0 that
     * thread receives (the send case runs), round 1 it sends. */
    for (int round = 0; round < 2; round++) {
        in = -1;
        tu_select_op so;
        tu_select_op_start(&so, cs, 2, 0);
        ck_assert_msg(tu_select_op_still_blocked(&so, BLOCK_MS),
                      "a select matched its own send and receive (returned %d)", so.rc);
        long v = -1;
        if (round == 0) {
            ck_assert_int_eq(weft_chan_recv(c, &v), 0);
            ck_assert_int_eq(v, 11);
            ck_assert_int_eq(tu_select_op_join(&so), 0);
            ck_assert_int_eq(in, -1);
        } else {
            v = 99;
            ck_assert_int_eq(weft_chan_send(c, &v), 0);
            ck_assert_int_eq(tu_select_op_join(&so), 1);
            ck_assert_int_eq(in, 99);
        }
        ck_assert_int_eq(cs[round].result, 0);
    }
    weft_chan_free(c);
}
END_TEST

/* ---- TestSelfSelect ------------------------------------------------------ */

typedef struct {
    weft_chan *c;
    int p, iters;
    bool unbuffered;
    int self_recv, errors;
} selfsel_arg;

static void *selfsel_main(void *q) {
    selfsel_arg *a = q;
    for (int i = 0; i < a->iters; i++) {
        int out = a->p, in = -1;
        weft_case cs[2];
        int si, ri;
        if (a->p == 0 || i % 2 == 0) {
            si = 0;
            ri = 1;
        } else {
            si = 1;
            ri = 0;
        }
        cs[si] = (weft_case){a->c, WEFT_SEND, &out, 1};
        cs[ri] = (weft_case){a->c, WEFT_RECV, &in, 1};
        int k = weft_select(cs, 2, 0);
        if (k != si && k != ri)
            a->errors++;
        else if (cs[k].result != 0)
            a->errors++;
        else if (k == ri && a->unbuffered && in == a->p)
            a->self_recv++;
    }
    return NULL;
}

START_TEST(test_self_select_go) {
    int iters = (int)tu_scaled(1000, 100);
    tu_watchdog_start(60, "TestSelfSelect");
    for (size_t cap = 0; cap <= 10; cap += 10) {
        weft_chan *c = mk(sizeof(int), cap);
        selfsel_arg a[2];
        pthread_t t[2];
        for (int p = 0; p < 2; p++) {
            a[p] = (selfsel_arg){c, p, iters, cap == 0, 0, 0};
            t[p] = tu_spawn(selfsel_main, &a[p]);
        }
        for (int p = 0; p < 2; p++) {
            tu_join(t[p]);
            ck_assert_int_eq(a[p].errors, 0);
            ck_assert_msg(a[p].self_recv == 0, "select received its own send (%d times)",
                          a[p].self_recv);
        }
        weft_chan_free(c);
    }
    tu_watchdog_stop();
}
END_TEST

/* ---- TestNonblockRecvRace / TestNonblockSelectRace(2) --------------------- */

typedef struct {
    weft_chan *c1, *c2;
    int rc;
} nbrace_arg;

static void *nbrace_one(void *p) {
    nbrace_arg *a = p;
    weft_case cs[] = {{a->c1, WEFT_RECV, NULL, 1}};
    a->rc = weft_select(cs, 1, WEFT_NONBLOCK);
    return NULL;
}

static void *nbrace_two(void *p) {
    nbrace_arg *a = p;
    weft_case cs[] = {{a->c1, WEFT_RECV, NULL, 1}, {a->c2, WEFT_RECV, NULL, 1}};
    a->rc = weft_select(cs, 2, WEFT_NONBLOCK);
    return NULL;
}

/* A buffered channel holding a value is ready, also while being closed. */
START_TEST(test_nonblock_recv_race) {
    long n = tu_scaled(3000, 100);
    for (long i = 0; i < n; i++) {
        weft_chan *c = mk(sizeof(int), 1);
        int one = 1;
        weft_chan_send(c, &one);
        nbrace_arg a = {c, NULL, 1};
        pthread_t t = tu_spawn(nbrace_one, &a);
        weft_chan_close(c);
        weft_chan_recv(c, NULL);
        tu_join(t);
        ck_assert_msg(a.rc == 0, "iteration %ld: chan is not ready (%d)", i, a.rc);
        weft_chan_free(c);
    }
}
END_TEST

/* One of two channels is always ready: c1 holds a value until c2 gets
 * one, so a non-blocking select must never find neither. */
START_TEST(test_nonblock_select_race) {
    long n = tu_scaled(3000, 100);
    for (int variant = 0; variant < 2; variant++)
        for (long i = 0; i < n; i++) {
            weft_chan *c1 = mk(sizeof(int), 1);
            weft_chan *c2 = mk(sizeof(int), 1);
            int one = 1;
            weft_chan_send(c1, &one);
            nbrace_arg a = {c1, c2, 1};
            pthread_t t = tu_spawn(nbrace_two, &a);
            if (variant == 0)
                weft_chan_send(c2, &one); /* TestNonblockSelectRace */
            else
                weft_chan_close(c2); /* TestNonblockSelectRace2 */
            weft_chan_try_recv(c1, NULL);
            tu_join(t);
            ck_assert_msg(a.rc == 0 || a.rc == 1, "variant %d iteration %ld: no chan is ready",
                          variant, i);
            weft_chan_free(c1);
            weft_chan_free(c2);
        }
}
END_TEST

/* ---- TestMultiConsumer ---------------------------------------------------- */

static const int pn[] = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
#define NPN ((int)(sizeof pn / sizeof pn[0]))

typedef struct {
    weft_chan *q, *r;
    int w, errors;
} mc_worker;

static void *mc_worker_main(void *p) {
    mc_worker *a = p;
    int v;
    while (weft_chan_recv(a->q, &v) == 0) {
        if (pn[a->w % NPN] == v) /* mess with the fifo-ish nature of range */
            sched_yield();
        if (weft_chan_send(a->r, &v) != 0)
            a->errors++;
    }
    return NULL;
}

typedef struct {
    weft_chan *q, *r;
    long niter, expect;
    pthread_t *workers;
    int nwork;
} mc_feeder;

static void *mc_feeder_main(void *p) {
    mc_feeder *f = p;
    for (long i = 0; i < f->niter; i++) {
        int v = pn[i % NPN];
        f->expect += v;
        weft_chan_send(f->q, &v);
    }
    weft_chan_close(f->q); /* no more work */
    for (int i = 0; i < f->nwork; i++)
        tu_join(f->workers[i]); /* workers done */
    weft_chan_close(f->r);      /* ... so there can be no more results */
    return NULL;
}

START_TEST(test_multi_consumer) {
    enum { MAXWORK = 23 };
    int nwork = (int)tu_threads(MAXWORK, 4);
    long niter = tu_on_valgrind() ? 2000 : tu_scaled(100000, 3000);
    weft_chan *q = mk(sizeof(int), (size_t)nwork * 3);
    weft_chan *r = mk(sizeof(int), (size_t)nwork * 3);
    mc_worker w[MAXWORK];
    pthread_t wt[MAXWORK];
    for (int i = 0; i < nwork; i++) {
        w[i] = (mc_worker){q, r, i, 0};
        wt[i] = tu_spawn(mc_worker_main, &w[i]);
    }
    mc_feeder f = {q, r, niter, 0, wt, nwork};
    pthread_t ft = tu_spawn(mc_feeder_main, &f);
    long n = 0, s = 0;
    int v;
    while (weft_chan_recv(r, &v) == 0) {
        n++;
        s += v;
    }
    tu_join(ft);
    ck_assert_int_eq(n, niter);
    ck_assert_int_eq(s, f.expect);
    for (int i = 0; i < nwork; i++)
        ck_assert_int_eq(w[i].errors, 0);
    weft_chan_free(q);
    weft_chan_free(r);
}
END_TEST

/* ---- TestSelectDuplicateChannel ------------------------------------------ */

typedef struct {
    weft_chan *c, *d, *e;
} dup_arg;

static void *dup_a(void *p) {
    dup_arg *a = p;
    int v;
    weft_case cs[] = {{a->c, WEFT_RECV, &v, 1}, {a->c, WEFT_RECV, &v, 1}, {a->d, WEFT_RECV, &v, 1}};
    weft_select(cs, 3, 0);
    int nine = 9;
    weft_chan_send(a->e, &nine);
    return NULL;
}

static void *dup_b(void *p) {
    dup_arg *a = p;
    weft_chan_recv(a->c, NULL);
    return NULL;
}

START_TEST(test_select_duplicate_channel) {
    tu_watchdog_start(30, "TestSelectDuplicateChannel: recv queue corrupted?");
    for (int round = 0; round < 20; round++) {
        dup_arg a = {mk(sizeof(int), 0), mk(sizeof(int), 0), mk(sizeof(int), 0)};
        pthread_t ta = tu_spawn(dup_a, &a);
        tu_sleep_ms(1); /* as in Go: let A get queued first on c (twice) */
        pthread_t tb = tu_spawn(dup_b, &a);
        tu_sleep_ms(1); /* and B queued on c behind it */
        int v = 7;
        ck_assert_int_eq(weft_chan_send(a.d, &v), 0); /* wakes A, which leaves c */
        ck_assert_int_eq(weft_chan_recv(a.e, &v), 0);
        ck_assert_int_eq(v, 9);
        v = 8;
        ck_assert_int_eq(weft_chan_send(a.c, &v), 0); /* must wake B, not A */
        tu_join(ta);
        tu_join(tb);
        weft_chan_free(a.c);
        weft_chan_free(a.d);
        weft_chan_free(a.e);
    }
    tu_watchdog_stop();
}
END_TEST

/* ---- TestSelectStress ----------------------------------------------------- */

typedef struct {
    weft_chan **c;
    int k;
    long n;
    int errors;
} ss_arg;

static void *ss_send(void *p) {
    ss_arg *a = p;
    int z = 0;
    for (long i = 0; i < a->n; i++)
        if (weft_chan_send(a->c[a->k], &z) != 0)
            a->errors++;
    return NULL;
}

static void *ss_recv(void *p) {
    ss_arg *a = p;
    for (long i = 0; i < a->n; i++)
        if (weft_chan_recv(a->c[a->k], NULL) != 0)
            a->errors++;
    return NULL;
}

/* N values on each channel in one select, dropping (nil-ing) a channel
 * once it has had its N; the case order differs per direction, as in Go. */
static void *ss_select(void *p) {
    ss_arg *a = p;
    int op = a->k; /* WEFT_SEND or WEFT_RECV */
    static const int order[2][4] = {{3, 2, 0, 1}, {0, 1, 2, 3}};
    const int *ord = order[op == WEFT_SEND ? 0 : 1];
    long cnt[4] = {0, 0, 0, 0};
    int z = 0;
    weft_case cs[4];
    for (int i = 0; i < 4; i++)
        cs[i] = (weft_case){a->c[ord[i]], op, &z, 1};
    for (long i = 0; i < 4 * a->n; i++) {
        int k = weft_select(cs, 4, 0);
        if (k < 0 || k > 3 || cs[k].result != 0) {
            a->errors++;
            continue;
        }
        if (++cnt[k] == a->n)
            cs[k].ch = NULL;
    }
    return NULL;
}

START_TEST(test_select_stress) {
    /* 10 threads on 4 channels: slow under DRD, so fewer values there. */
    long n = tu_on_valgrind() ? 150 : tu_scaled(20000, 300);
    tu_watchdog_start(120, "TestSelectStress");
    weft_chan *c[4] = {mk(sizeof(int), 0), mk(sizeof(int), 0), mk(sizeof(int), 2),
                       mk(sizeof(int), 3)};
    ss_arg a[10];
    pthread_t t[10];
    for (int k = 0; k < 4; k++) {
        a[2 * k] = (ss_arg){c, k, n, 0};
        t[2 * k] = tu_spawn(ss_send, &a[2 * k]);
        a[2 * k + 1] = (ss_arg){c, k, n, 0};
        t[2 * k + 1] = tu_spawn(ss_recv, &a[2 * k + 1]);
    }
    a[8] = (ss_arg){c, WEFT_SEND, n, 0};
    t[8] = tu_spawn(ss_select, &a[8]);
    a[9] = (ss_arg){c, WEFT_RECV, n, 0};
    t[9] = tu_spawn(ss_select, &a[9]);
    for (int i = 0; i < 10; i++) {
        tu_join(t[i]);
        ck_assert_int_eq(a[i].errors, 0);
    }
    for (int k = 0; k < 4; k++) {
        ck_assert_uint_eq(weft_chan_len(c[k]), 0);
        weft_chan_free(c[k]);
    }
    tu_watchdog_stop();
}
END_TEST

/* ---- TestChan: 4 senders, 4 receivers, capacities 0..19 ------------------ */

typedef struct {
    weft_chan *c;
    int l;
    int *recv; /* receivers: count per value, merged after join */
    int errors;
} tc_arg;

static void *tc_send(void *p) {
    tc_arg *a = p;
    for (int i = 0; i < a->l; i++)
        if (weft_chan_send(a->c, &i) != 0)
            a->errors++;
    return NULL;
}

static void *tc_recv(void *p) {
    tc_arg *a = p;
    for (int i = 0; i < a->l; i++) {
        int v = -1;
        if (weft_chan_recv(a->c, &v) != 0 || v < 0 || v >= a->l)
            a->errors++;
        else
            a->recv[v]++;
    }
    return NULL;
}

START_TEST(test_chan_many_senders_receivers) {
    enum { P = 4 };
    int l = (int)tu_scaled(1000, 50);
    for (size_t cap = 0; cap < 20; cap += (tu_scale() < 0.5 ? 6 : 1)) {
        weft_chan *c = mk(sizeof(int), cap);
        tc_arg s[P], r[P];
        pthread_t st[P], rt[P];
        for (int i = 0; i < P; i++) {
            s[i] = (tc_arg){c, l, NULL, 0};
            r[i] = (tc_arg){c, l, calloc((size_t)l, sizeof(int)), 0};
            st[i] = tu_spawn(tc_send, &s[i]);
            rt[i] = tu_spawn(tc_recv, &r[i]);
        }
        for (int i = 0; i < P; i++) {
            tu_join(st[i]);
            tu_join(rt[i]);
            ck_assert_int_eq(s[i].errors, 0);
            ck_assert_int_eq(r[i].errors, 0);
        }
        for (int v = 0; v < l; v++) {
            int total = 0;
            for (int i = 0; i < P; i++)
                total += r[i].recv[v];
            tu_assert_msg(total == P, "cap %zu: value %d received %d times, want %d", cap, v, total,
                          P);
        }
        for (int i = 0; i < P; i++)
            free(r[i].recv);
        weft_chan_free(c);
    }
}
END_TEST

/* ---- fairness --------------------------------------------------------------- */

/* Chi-square with 3 degrees of freedom: P(X > 50) is about 8e-11, so a
 * fair select fails this check less than once in ten billion runs, while
 * a biased one (e.g. always the first ready case, or 30/23/23/23) fails
 * it for sure at these trial counts. */
#define CHI2_3DF_BOUND 50.0

static double chi2(const long *count, int k, long trials) {
    double e = (double)trials / k, x = 0;
    for (int i = 0; i < k; i++)
        x += ((double)count[i] - e) * ((double)count[i] - e) / e;
    return x;
}

START_TEST(test_fairness_recv) {
    long trials = tu_scaled(100000, 4000);
    weft_chan *c[4];
    int v = 1;
    weft_case cs[4];
    long count[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        c[i] = mk(sizeof(int), 1);
        weft_chan_send(c[i], &v);
        cs[i] = (weft_case){c[i], WEFT_RECV, &v, 1};
    }
    for (long t = 0; t < trials; t++) {
        int k = weft_select(cs, 4, t % 2 ? WEFT_NONBLOCK : 0);
        tu_assert(k >= 0 && k < 4);
        count[k]++;
        tu_assert(weft_chan_try_send(c[k], &v) == 0); /* ready again */
    }
    double x = chi2(count, 4, trials);
    ck_assert_msg(x < CHI2_3DF_BOUND, "unfair select: %ld %ld %ld %ld (chi2 %.1f)", count[0],
                  count[1], count[2], count[3], x);
    for (int i = 0; i < 4; i++)
        weft_chan_free(c[i]);
}
END_TEST

/* Four ready cases (two sends, two receives) among four never-ready ones
 * (nil, empty, full): uniform among the ready, never a non-ready one. */
START_TEST(test_fairness_mixed) {
    long trials = tu_scaled(100000, 4000);
    weft_chan *r0 = mk(sizeof(int), 1), *r1 = mk(sizeof(int), 1);
    weft_chan *s0 = mk(sizeof(int), 1), *s1 = mk(sizeof(int), 1);
    weft_chan *empty = mk(sizeof(int), 1), *full = mk(sizeof(int), 1);
    weft_chan *unbuf = mk(sizeof(int), 0);
    int v = 1;
    weft_chan_send(r0, &v);
    weft_chan_send(r1, &v);
    weft_chan_send(full, &v);
    weft_case cs[] = {
        {NULL, WEFT_RECV, &v, 1}, {r0, WEFT_RECV, &v, 1},   {empty, WEFT_RECV, &v, 1},
        {s0, WEFT_SEND, &v, 1},   {full, WEFT_SEND, &v, 1}, {r1, WEFT_RECV, &v, 1},
        {NULL, WEFT_SEND, &v, 1}, {s1, WEFT_SEND, &v, 1},   {unbuf, WEFT_SEND, &v, 1},
    };
    const int ready[4] = {1, 3, 5, 7};
    long count[4] = {0, 0, 0, 0};
    for (long t = 0; t < trials; t++) {
        int k = weft_select(cs, 9, t % 2 ? WEFT_NONBLOCK : 0);
        int slot = -1;
        for (int i = 0; i < 4; i++)
            if (ready[i] == k)
                slot = i;
        tu_assert_msg(slot >= 0, "select chose case %d, which was not ready", k);
        count[slot]++;
        /* restore readiness */
        if (cs[k].op == WEFT_RECV)
            tu_assert(weft_chan_try_send(cs[k].ch, &v) == 0);
        else
            tu_assert(weft_chan_try_recv(cs[k].ch, NULL) == 0);
    }
    double x = chi2(count, 4, trials);
    ck_assert_msg(x < CHI2_3DF_BOUND, "unfair select: %ld %ld %ld %ld (chi2 %.1f)", count[0],
                  count[1], count[2], count[3], x);
    weft_chan *all[] = {r0, r1, s0, s1, empty, full, unbuf};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        weft_chan_free(all[i]);
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("fifo");
    tcase_add_test(tc, test_async_fifo);
    tcase_add_test(tc, test_sync_fifo);
    tcase_add_test(tc, test_daisy_chain);
    tcase_add_test(tc, test_sieve);
    tcase_add_test(tc, test_chan_many_senders_receivers);
    tcase_add_test(tc, test_multi_consumer);
    tcase_add_test(tc, test_zero_size_concurrent);
    suite_add_tcase(s, tc);

    tc = tcase_create("select");
    tcase_add_test(tc, test_doubleselect);
    tcase_add_test(tc, test_nonblock);
    tcase_add_test(tc, test_nil_channels_in_select);
    tcase_add_test(tc, test_losing_send_not_delivered);
    tcase_add_test(tc, test_losing_send_not_delivered_unbuffered);
    tcase_add_test(tc, test_select_self_never_matches);
    tcase_add_test(tc, test_self_select_go);
    tcase_add_test(tc, test_nonblock_recv_race);
    tcase_add_test(tc, test_nonblock_select_race);
    tcase_add_test(tc, test_select_duplicate_channel);
    tcase_add_test(tc, test_select_stress);
    suite_add_tcase(s, tc);

    tc = tcase_create("closed");
    tcase_add_test(tc, test_closedchan);
    tcase_add_test(tc, test_closed_case_competes);
    suite_add_tcase(s, tc);

    tc = tcase_create("cleanup");
    tcase_add_test(tc, test_select_cleanup_lost_recv_unbuffered);
    tcase_add_test(tc, test_select_cleanup_lost_send_unbuffered);
    tcase_add_test(tc, test_select_cleanup_lost_recv_buffered);
    tcase_add_test(tc, test_select_cleanup_lost_send_buffered);
    suite_add_tcase(s, tc);

    tc = tcase_create("fairness");
    tcase_add_test(tc, test_fairness_recv);
    tcase_add_test(tc, test_fairness_mixed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
