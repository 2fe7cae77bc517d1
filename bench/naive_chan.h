/* SPDX-License-Identifier: MIT */
/* naive_chan.h: the "floor" peer of the benchmarks, a deliberately naive
 * Go-style channel, select and WaitGroup.
 *
 * This file owns nothing of libweft and must stay independent of it: it is
 * what a C programmer writes in an afternoon with one pthread mutex and two
 * condition variables per channel. libweft is expected to beat it by a wide
 * margin (the target is 2x on every benchmark), so it has to be
 * correct, and plausible, but not clever:
 *   - a ring buffer guarded by one mutex, `not_empty` for receivers and
 *     `not_full` for senders;
 *   - an unbuffered channel is a one-slot buffer plus a rendezvous: the
 *     sender deposits its value and then waits until a receiver took it;
 *   - select polls every case with try-operations and, when none is ready,
 *     sleeps on one process-wide condition variable that every channel
 *     operation broadcasts while any select is waiting;
 *   - the WaitGroup is a counter under a mutex with a condvar.
 * Known limit, not used by the benchmarks: a select sending on an unbuffered
 * channel only meets a receiver blocked in naive_chan_recv, so two selects
 * on the two ends of one unbuffered channel never meet.
 * Error values are those of weft.h (negated errno) so the benchmark code can
 * treat both the same way, but they are spelled NAIVE_* here.
 */
#ifndef WEFT_BENCH_NAIVE_CHAN_H
#define WEFT_BENCH_NAIVE_CHAN_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#define NAIVE_ECLOSED (-EPIPE)
#define NAIVE_EAGAIN (-EAGAIN)
#define NAIVE_ERANGE (-ERANGE)

typedef struct naive_chan naive_chan;

/* capacity 0 makes an unbuffered (rendezvous) channel. NULL on ENOMEM. */
naive_chan *naive_chan_make(size_t elem_size, size_t capacity);
/* Blocking; NAIVE_ECLOSED on a closed channel (value not delivered). */
int naive_chan_send(naive_chan *ch, const void *elem);
/* Blocking; NAIVE_ECLOSED with elem zeroed once closed and drained. elem
 * may be NULL. */
int naive_chan_recv(naive_chan *ch, void *elem);
/* NAIVE_EAGAIN instead of blocking. */
int naive_chan_try_send(naive_chan *ch, const void *elem);
int naive_chan_try_recv(naive_chan *ch, void *elem);
/* NAIVE_ECLOSED if already closed. */
int naive_chan_close(naive_chan *ch);
void naive_chan_free(naive_chan *ch);

enum { NAIVE_SEND = 1, NAIVE_RECV = 2 };

/* Same shape as weft_case: a NULL ch is never ready. */
typedef struct naive_case {
    naive_chan *ch;
    int op;
    void *elem;
    int result;
} naive_case;

/* Blocks until one case ran; returns its index (the first ready one from a
 * random starting point). */
int naive_select(naive_case *cases, size_t n);

typedef struct naive_wg {
    pthread_mutex_t mu;
    pthread_cond_t zero;
    int count;
} naive_wg;

#define NAIVE_WG_INIT                                                                              \
    { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }

void naive_wg_init(naive_wg *wg);
void naive_wg_destroy(naive_wg *wg);
/* NAIVE_ERANGE (and no change) if the counter would go negative. */
int naive_wg_add(naive_wg *wg, int delta);
void naive_wg_done(naive_wg *wg);
void naive_wg_wait(naive_wg *wg);

#endif /* WEFT_BENCH_NAIVE_CHAN_H */
