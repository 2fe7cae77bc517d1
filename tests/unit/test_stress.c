/* test_stress.c: many threads hammering one buffered and one unbuffered
 * channel at once (plain, try and select ops mixed), for ~2 s scaled by
 * WEFT_TEST_SCALE, then close: every value whose send returned 0 is
 * received exactly once (no loss, no duplicate, no torn copy), none whose
 * send failed is, and nothing deadlocks (a watchdog aborts with a message).
 * The second test closes the channels while they are hammered.
 *
 * Every value is a unique id (producer << 32 | sequence) with a check word;
 * each receiver records what it got in its own array, merged by the test
 * thread after joining, so the bookkeeping adds no shared state. */
#define _GNU_SOURCE
#include "testutil.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

enum { SENDERS = 8, RECEIVERS = 8, SELECTERS = 4, PRODUCERS = SENDERS + SELECTERS };
/* A producer stops after this many values, to bound the bookkeeping. */
#define PER_PRODUCER (1L << 19)

typedef struct {
    uint64_t id, check;
} item;

static uint64_t check_of(uint64_t id) {
    return (id * 0x9E3779B97F4A7C15ull) ^ 0xA5A5A5A5A5A5A5A5ull;
}

static item make_item(int producer, long seq) {
    uint64_t id = (uint64_t)producer << 32 | (uint64_t)seq;
    return (item){id, check_of(id)};
}

/* What a receiver got: a growable list of ids. */
typedef struct {
    uint64_t *ids;
    long n, cap;
    long torn; /* items whose check word did not match */
} got_list;

static void got_add(got_list *g, const item *it) {
    if (it->check != check_of(it->id)) {
        g->torn++;
        return;
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 4096;
        g->ids = realloc(g->ids, sizeof *g->ids * (size_t)g->cap);
        if (!g->ids)
            abort();
    }
    g->ids[g->n++] = it->id;
}

typedef struct {
    weft_chan *ch[2]; /* [0] buffered, [1] unbuffered */
    weft_chan *start; /* closed once every thread exists and the deadline is set */
    int64_t deadline; /* producers stop sending then */
    weft_wg *sending; /* Done when a producer stops sending */
    long sent;        /* atomic: sends that returned 0 so far */
} shared;

/* Every thread starts here, so that slow thread creation (Valgrind) does
 * not eat the run time, and reads sh->deadline only after the close. */
static void await_start(shared *sh) {
    weft_chan_recv(sh->start, NULL);
}

/* Per-thread state, read by the test thread after the join. */
typedef struct {
    shared *sh;
    int id;
    long attempts;         /* sequence numbers used */
    unsigned char *status; /* per sequence: 1 sent (rc 0), 2 refused (ECLOSED) */
    got_list got;
    long errors; /* unexpected return codes */
} worker;

enum { ST_SENT = 1, ST_REFUSED = 2 };

static void note_send(worker *w, long seq, int rc) {
    if (rc == 0) {
        w->status[seq] = ST_SENT;
        __atomic_add_fetch(&w->sh->sent, 1, __ATOMIC_RELAXED);
    } else if (rc == WEFT_ECLOSED)
        w->status[seq] = ST_REFUSED;
    else
        w->errors++;
}

/* A sender: plain sends, and try_sends that mostly fall back to a plain
 * send. It stops at the deadline or once both channels refused it. */
static void *sender_main(void *p) {
    worker *w = p;
    shared *sh = w->sh;
    await_start(sh);
    bool closed[2] = {false, false};
    unsigned r = (unsigned)w->id * 2654435761u;
    while (w->attempts < PER_PRODUCER && tu_now_ns() < sh->deadline && !(closed[0] && closed[1])) {
        long seq = w->attempts++;
        item it = make_item(w->id, seq);
        r = r * 1103515245u + 12345u;
        int k = closed[0] ? 1 : closed[1] ? 0 : (int)((r >> 16) & 1);
        int rc = weft_chan_try_send(sh->ch[k], &it);
        if (rc == WEFT_EAGAIN && ((r >> 20) & 3) != 0)
            rc = weft_chan_send(sh->ch[k], &it);
        if (rc == WEFT_EAGAIN) /* not sent: that sequence number stays unused */
            continue;
        note_send(w, seq, rc);
        if (rc == WEFT_ECLOSED)
            closed[k] = true;
    }
    weft_wg_done(sh->sending);
    return NULL;
}

/* A receiver: select over both, plain recv on one, or try_recv, until both
 * channels are closed (and drained). */
static void *receiver_main(void *p) {
    worker *w = p;
    shared *sh = w->sh;
    await_start(sh);
    bool closed[2] = {false, false};
    unsigned r = (unsigned)w->id * 2246822519u;
    while (!closed[0] || !closed[1]) {
        item it;
        r = r * 1103515245u + 12345u;
        int how = (int)((r >> 16) % 3);
        if (how == 0) {
            weft_case cs[2] = {{closed[0] ? NULL : sh->ch[0], WEFT_RECV, &it, 1},
                               {closed[1] ? NULL : sh->ch[1], WEFT_RECV, &it, 1}};
            int k = weft_select(cs, 2, 0);
            if (k < 0 || k > 1) {
                w->errors++;
                continue;
            }
            if (cs[k].result == 0)
                got_add(&w->got, &it);
            else if (cs[k].result == WEFT_ECLOSED)
                closed[k] = true;
            else
                w->errors++;
        } else {
            int k = closed[0] ? 1 : closed[1] ? 0 : (int)((r >> 20) & 1);
            int rc = how == 1 ? weft_chan_recv(sh->ch[k], &it) : weft_chan_try_recv(sh->ch[k], &it);
            if (rc == 0)
                got_add(&w->got, &it);
            else if (rc == WEFT_ECLOSED)
                closed[k] = true;
            else if (rc == WEFT_EAGAIN)
                sched_yield();
            else
                w->errors++;
        }
    }
    return NULL;
}

/* A selecter: until the deadline, selects mixing sends and receives on
 * both channels (blocking or not); then it only receives, until both are
 * closed. A send case refused by a close is dropped from the select. */
static void *selecter_main(void *p) {
    worker *w = p;
    shared *sh = w->sh;
    await_start(sh);
    bool sending = true, send_closed[2] = {false, false}, recv_closed[2] = {false, false};
    unsigned r = (unsigned)w->id * 3266489917u;
    while (!recv_closed[0] || !recv_closed[1]) {
        if (sending && (w->attempts >= PER_PRODUCER || tu_now_ns() >= sh->deadline ||
                        (send_closed[0] && send_closed[1]))) {
            sending = false;
            weft_wg_done(sh->sending);
        }
        long seq = w->attempts;
        item out = make_item(w->id, seq), in;
        weft_case cs[4];
        for (int k = 0; k < 2; k++) {
            cs[k] = (weft_case){sending && !send_closed[k] ? sh->ch[k] : NULL, WEFT_SEND, &out, 1};
            cs[2 + k] = (weft_case){recv_closed[k] ? NULL : sh->ch[k], WEFT_RECV, &in, 1};
        }
        r = r * 1103515245u + 12345u;
        int k = weft_select(cs, 4, ((r >> 16) & 3) == 0 ? WEFT_NONBLOCK : 0);
        if (k == WEFT_EAGAIN) {
            sched_yield();
            continue;
        }
        if (k < 0 || k > 3) {
            w->errors++;
            continue;
        }
        if (k < 2) {
            w->attempts++;
            note_send(w, seq, cs[k].result);
            if (cs[k].result == WEFT_ECLOSED)
                send_closed[k] = true;
        } else if (cs[k].result == 0) {
            got_add(&w->got, &in);
        } else if (cs[k].result == WEFT_ECLOSED) {
            recv_closed[k - 2] = true;
        } else {
            w->errors++;
        }
    }
    if (sending)
        weft_wg_done(sh->sending);
    return NULL;
}

/* Runs one round with a buffered channel of capacity `cap`: starts
 * everyone, closes both channels `close_after_ms` after the start (or once
 * every producer stopped sending, if negative), joins, and checks
 * exactly-once delivery. */
static void run_round(int64_t run_ms, int64_t close_after_ms, size_t cap) {
    shared sh;
    weft_wg sending = {0};
    sh.ch[0] = weft_chan_make(sizeof(item), cap);
    sh.ch[1] = weft_chan_make(sizeof(item), 0);
    ck_assert_ptr_nonnull(sh.ch[0]);
    ck_assert_ptr_nonnull(sh.ch[1]);
    sh.sending = &sending;
    sh.start = weft_chan_make(0, 0);
    sh.sent = 0;
    weft_wg_add(&sending, PRODUCERS);

    worker *w = calloc(PRODUCERS + RECEIVERS, sizeof *w);
    pthread_t t[PRODUCERS + RECEIVERS];
    for (int i = 0; i < PRODUCERS + RECEIVERS; i++) {
        w[i].sh = &sh;
        w[i].id = i;
        if (i < PRODUCERS)
            w[i].status = calloc(PER_PRODUCER, 1);
    }
    for (int i = 0; i < PRODUCERS + RECEIVERS; i++) {
        void *(*fn)(void *) = i < SENDERS     ? sender_main
                              : i < PRODUCERS ? selecter_main
                                              : receiver_main;
        t[i] = tu_spawn(fn, &w[i]);
    }
    int64_t start = tu_now_ns();
    sh.deadline = start + run_ms * TU_MS;
    weft_chan_close(sh.start);

    if (close_after_ms >= 0) {
        /* Not before a first send went through (the round checks that
         * some did): under Valgrind the threads may not have run at all
         * by close_after_ms (drd:stress, once). */
        while (!__atomic_load_n(&sh.sent, __ATOMIC_RELAXED) && tu_now_ns() < sh.deadline)
            tu_sleep_ms(1);
        int64_t now = tu_now_ns(), at = start + close_after_ms * TU_MS;
        if (at > now)
            tu_sleep_ms((at - now) / TU_MS);
    } else {
        weft_wg_wait(&sending); /* nobody sends any more */
    }
    /* Close the unbuffered one first half the time, to vary the race. */
    int first = (int)(start / 1000 % 2);
    ck_assert_int_eq(weft_chan_close(sh.ch[first]), 0);
    ck_assert_int_eq(weft_chan_close(sh.ch[1 - first]), 0);
    for (int i = 0; i < PRODUCERS + RECEIVERS; i++)
        tu_join(t[i]);
    weft_wg_wait(&sending);

    /* Merge what every thread received. */
    unsigned char *count[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++)
        count[p] = calloc(PER_PRODUCER, 1);
    long received = 0, sent = 0;
    for (int i = 0; i < PRODUCERS + RECEIVERS; i++) {
        tu_assert_msg(w[i].errors == 0, "thread %d saw %ld unexpected return codes", i,
                      w[i].errors);
        tu_assert_msg(w[i].got.torn == 0, "thread %d received %ld torn values", i, w[i].got.torn);
        for (long k = 0; k < w[i].got.n; k++) {
            uint64_t id = w[i].got.ids[k];
            int p = (int)(id >> 32);
            long seq = (long)(id & 0xffffffffu);
            tu_assert_msg(p < PRODUCERS && seq < w[p].attempts,
                          "received id %#llx that was never sent", (unsigned long long)id);
            tu_assert_msg(count[p][seq] == 0, "value %d/%ld received twice", p, seq);
            count[p][seq] = 1;
            received++;
        }
    }
    for (int p = 0; p < PRODUCERS; p++)
        for (long seq = 0; seq < w[p].attempts; seq++) {
            if (w[p].status[seq] == ST_SENT) {
                sent++;
                tu_assert_msg(count[p][seq] == 1, "value %d/%ld sent (rc 0) but never received", p,
                              seq);
            } else {
                tu_assert_msg(count[p][seq] == 0, "value %d/%ld received though its send failed", p,
                              seq);
            }
        }
    ck_assert_int_eq(received, sent);
    ck_assert_int_gt(sent, 0);

    for (int p = 0; p < PRODUCERS; p++) {
        free(count[p]);
        free(w[p].status);
    }
    for (int i = 0; i < PRODUCERS + RECEIVERS; i++)
        free(w[i].got.ids);
    free(w);
    weft_chan_free(sh.ch[0]);
    weft_chan_free(sh.ch[1]);
    weft_chan_free(sh.start);
}

START_TEST(test_hammer_then_close) {
    int64_t ms = (int64_t)(2000 * tu_scale());
    if (ms < 20)
        ms = 20;
    tu_watchdog_start((double)ms / 1000 * 10 + 60, "stress: hammer then close (deadlock?)");
    run_round(ms, -1, 16);
    tu_watchdog_stop();
}
END_TEST

/* Closed while producers still send: sends that returned 0 arrived, the
 * ones refused with WEFT_ECLOSED did not. Several short rounds, so that
 * the close lands in many different states, with capacities 1 and 2
 * (where every slot of the ring is reused all the time) and 16. */
START_TEST(test_close_while_hammered) {
    int rounds = (int)tu_scaled(8, 2);
    int64_t ms = (int64_t)(100 * tu_scale());
    if (ms < 10)
        ms = 10;
    tu_watchdog_start((double)rounds * ms / 1000 * 20 + 60,
                      "stress: close while hammered (deadlock?)");
    for (int r = 0; r < rounds; r++)
        /* producers would go on long after the close */
        run_round(ms * 100, ms, r % 3 == 0 ? 1 : r % 3 == 1 ? 2 : 16);
    tu_watchdog_stop();
}
END_TEST

static Suite *make_suite(void) {
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("stress");
    tcase_add_test(tc, test_hammer_then_close);
    tcase_add_test(tc, test_close_while_hammered);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return tu_main(make_suite);
}
/* SPDX-License-Identifier: MIT */
