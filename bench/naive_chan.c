/* SPDX-License-Identifier: MIT */
/* naive_chan.c: the naive channel, select and WaitGroup of naive_chan.h, the
 * benchmarks' floor peer. See the header for why it is built this way; the
 * comments here only explain the parts that have to be right for the
 * benchmarks to finish (the rendezvous and the select wake-up). */
#define _POSIX_C_SOURCE 200809L

#include "naive_chan.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct naive_chan {
    pthread_mutex_t mu;
    pthread_cond_t not_empty; /* receivers wait here for a value or a close */
    pthread_cond_t not_full;  /* senders wait here for a slot, or for pickup */
    unsigned char *buf;
    size_t elem_size;
    size_t slots; /* capacity, or 1 for an unbuffered channel */
    size_t head;
    size_t count;
    bool unbuffered;
    bool closed;
    /* Unbuffered only: values deposited and taken so far, so that a sender
     * knows when *its* value was picked up, and how many receivers sit in
     * recv (a try_send may only deposit when one is there to take it). */
    uint64_t deposited;
    uint64_t taken;
    int recv_waiting;
};

/* ---- the process-wide select wake-up ----------------------------------
 * A select that found nothing ready sleeps on sel_cv until sel_version moves.
 * Every channel operation bumps the version after it changed a channel, but
 * only while some select is running (sel_waiters > 0), so the benchmarks
 * that do not select pay one atomic load for it. No wake-up is lost: a
 * select increments sel_waiters and reads the version before it polls a
 * channel under that channel's mutex, and an operation reads sel_waiters
 * after it released the same mutex, so either the poll sees the change or
 * the operation sees the waiter and bumps the version the select waits on. */
static pthread_mutex_t sel_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sel_cv = PTHREAD_COND_INITIALIZER;
static uint64_t sel_version;
static atomic_int sel_waiters;

static void notify_select(void) {
    if (atomic_load(&sel_waiters) == 0)
        return;
    pthread_mutex_lock(&sel_mu);
    sel_version++;
    pthread_cond_broadcast(&sel_cv);
    pthread_mutex_unlock(&sel_mu);
}

naive_chan *naive_chan_make(size_t elem_size, size_t capacity) {
    naive_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->elem_size = elem_size;
    ch->unbuffered = capacity == 0;
    ch->slots = capacity ? capacity : 1;
    /* At least one byte per slot, so that elem_size 0 still gets memory. */
    ch->buf = calloc(ch->slots, elem_size ? elem_size : 1);
    if (!ch->buf) {
        free(ch);
        return NULL;
    }
    pthread_mutex_init(&ch->mu, NULL);
    pthread_cond_init(&ch->not_empty, NULL);
    pthread_cond_init(&ch->not_full, NULL);
    return ch;
}

void naive_chan_free(naive_chan *ch) {
    if (!ch)
        return;
    pthread_cond_destroy(&ch->not_full);
    pthread_cond_destroy(&ch->not_empty);
    pthread_mutex_destroy(&ch->mu);
    free(ch->buf);
    free(ch);
}

static void put_locked(naive_chan *ch, const void *elem) {
    size_t tail = (ch->head + ch->count) % ch->slots;
    if (ch->elem_size && elem)
        memcpy(ch->buf + tail * ch->elem_size, elem, ch->elem_size);
    else if (ch->elem_size)
        memset(ch->buf + tail * ch->elem_size, 0, ch->elem_size);
    ch->count++;
}

static void take_locked(naive_chan *ch, void *elem) {
    if (ch->elem_size && elem)
        memcpy(elem, ch->buf + ch->head * ch->elem_size, ch->elem_size);
    ch->head = (ch->head + 1) % ch->slots;
    ch->count--;
    if (ch->unbuffered) {
        ch->taken++;
        /* Both the depositing sender (waiting for pickup) and the next
         * senders (waiting for the slot) sleep on not_full. */
        pthread_cond_broadcast(&ch->not_full);
    } else {
        pthread_cond_signal(&ch->not_full);
    }
}

/* Unbuffered, called with the slot free and the mutex held: deposit and wait
 * until a receiver took this very value. If the channel is closed first, the
 * value is taken back and the send fails, as a blocked Go send would. */
static int rendezvous_locked(naive_chan *ch, const void *elem) {
    put_locked(ch, elem);
    uint64_t mine = ++ch->deposited;
    pthread_cond_signal(&ch->not_empty);
    pthread_mutex_unlock(&ch->mu);
    notify_select();
    pthread_mutex_lock(&ch->mu);
    while (ch->taken < mine && !ch->closed)
        pthread_cond_wait(&ch->not_full, &ch->mu);
    if (ch->taken < mine) {
        ch->count = 0; /* only one deposit at a time: the slot is ours */
        pthread_cond_broadcast(&ch->not_full);
        pthread_mutex_unlock(&ch->mu);
        return NAIVE_ECLOSED;
    }
    pthread_mutex_unlock(&ch->mu);
    return 0;
}

/* Hands elem over once a send may proceed: a rendezvous on an unbuffered
 * channel, else into the buffer. Unlocks. */
static int deliver_locked(naive_chan *ch, const void *elem) {
    if (ch->unbuffered)
        return rendezvous_locked(ch, elem);
    put_locked(ch, elem);
    pthread_cond_signal(&ch->not_empty);
    pthread_mutex_unlock(&ch->mu);
    notify_select();
    return 0;
}

int naive_chan_send(naive_chan *ch, const void *elem) {
    pthread_mutex_lock(&ch->mu);
    while (!ch->closed && ch->count == ch->slots)
        pthread_cond_wait(&ch->not_full, &ch->mu);
    if (ch->closed) {
        pthread_mutex_unlock(&ch->mu);
        return NAIVE_ECLOSED;
    }
    return deliver_locked(ch, elem);
}

int naive_chan_try_send(naive_chan *ch, const void *elem) {
    pthread_mutex_lock(&ch->mu);
    if (ch->closed) {
        pthread_mutex_unlock(&ch->mu);
        return NAIVE_ECLOSED;
    }
    /* Unbuffered: ready only when a receiver is blocked in recv, like Go. */
    if (ch->count == ch->slots || (ch->unbuffered && ch->recv_waiting == 0)) {
        pthread_mutex_unlock(&ch->mu);
        return NAIVE_EAGAIN;
    }
    return deliver_locked(ch, elem);
}

static int closed_empty(void *elem, size_t elem_size) {
    if (elem && elem_size)
        memset(elem, 0, elem_size);
    return NAIVE_ECLOSED;
}

int naive_chan_recv(naive_chan *ch, void *elem) {
    pthread_mutex_lock(&ch->mu);
    ch->recv_waiting++;
    while (ch->count == 0 && !ch->closed)
        pthread_cond_wait(&ch->not_empty, &ch->mu);
    ch->recv_waiting--;
    if (ch->count == 0) {
        pthread_mutex_unlock(&ch->mu);
        return closed_empty(elem, ch->elem_size);
    }
    take_locked(ch, elem);
    pthread_mutex_unlock(&ch->mu);
    notify_select();
    return 0;
}

int naive_chan_try_recv(naive_chan *ch, void *elem) {
    pthread_mutex_lock(&ch->mu);
    if (ch->count == 0) {
        bool closed = ch->closed;
        pthread_mutex_unlock(&ch->mu);
        if (closed)
            return closed_empty(elem, ch->elem_size);
        return NAIVE_EAGAIN;
    }
    take_locked(ch, elem);
    pthread_mutex_unlock(&ch->mu);
    notify_select();
    return 0;
}

int naive_chan_close(naive_chan *ch) {
    pthread_mutex_lock(&ch->mu);
    if (ch->closed) {
        pthread_mutex_unlock(&ch->mu);
        return NAIVE_ECLOSED;
    }
    ch->closed = true;
    pthread_cond_broadcast(&ch->not_empty);
    pthread_cond_broadcast(&ch->not_full);
    pthread_mutex_unlock(&ch->mu);
    notify_select();
    return 0;
}

/* A per-thread xorshift, only to pick where polling starts. */
static unsigned next_rand(void) {
    static _Thread_local uint32_t s;
    if (s == 0)
        s = (uint32_t)(uintptr_t)&s | 1u;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}

static int try_case(naive_case *c) {
    if (c->op == NAIVE_SEND)
        return naive_chan_try_send(c->ch, c->elem);
    return naive_chan_try_recv(c->ch, c->elem);
}

int naive_select(naive_case *cases, size_t n) {
    atomic_fetch_add(&sel_waiters, 1);
    for (;;) {
        pthread_mutex_lock(&sel_mu);
        uint64_t seen = sel_version;
        pthread_mutex_unlock(&sel_mu);
        size_t start = n ? next_rand() % n : 0;
        for (size_t k = 0; k < n; k++) {
            size_t i = (start + k) % n;
            if (!cases[i].ch)
                continue;
            int rc = try_case(&cases[i]);
            if (rc != NAIVE_EAGAIN) {
                cases[i].result = rc;
                atomic_fetch_sub(&sel_waiters, 1);
                return (int)i;
            }
        }
        pthread_mutex_lock(&sel_mu);
        while (sel_version == seen)
            pthread_cond_wait(&sel_cv, &sel_mu);
        pthread_mutex_unlock(&sel_mu);
    }
}

void naive_wg_init(naive_wg *wg) {
    pthread_mutex_init(&wg->mu, NULL);
    pthread_cond_init(&wg->zero, NULL);
    wg->count = 0;
}

void naive_wg_destroy(naive_wg *wg) {
    pthread_cond_destroy(&wg->zero);
    pthread_mutex_destroy(&wg->mu);
}

int naive_wg_add(naive_wg *wg, int delta) {
    pthread_mutex_lock(&wg->mu);
    if ((long)wg->count + delta < 0) {
        pthread_mutex_unlock(&wg->mu);
        return NAIVE_ERANGE;
    }
    wg->count += delta;
    if (wg->count == 0)
        pthread_cond_broadcast(&wg->zero);
    pthread_mutex_unlock(&wg->mu);
    return 0;
}

void naive_wg_done(naive_wg *wg) {
    (void)naive_wg_add(wg, -1);
}

void naive_wg_wait(naive_wg *wg) {
    pthread_mutex_lock(&wg->mu);
    while (wg->count > 0)
        pthread_cond_wait(&wg->zero, &wg->mu);
    pthread_mutex_unlock(&wg->mu);
}
