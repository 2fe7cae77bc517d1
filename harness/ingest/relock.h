/* SPDX-License-Identifier: MIT */
/* relock.h: folding a thread's relock pairs while its run is read
 * (relock.c; used by stream.c's merge, read by the ingest's pass).
 *
 * A relock pair is a mutex_lock_end that the shim flagged as a relock
 * (log.h, WEFT_H_RELOCK: its thread unlocked the mutex last, no other
 * thread acquired it since, and the thread held no other lock), the
 * mutex_unlock right after it in the thread's run, and the promise that
 * the thread's next acquisition of that mutex is a flagged relock too.
 * Such a pair changes nothing any detector or table keeps but counts and
 * "the last of": its lock acquires the thread's own clock back, its
 * unlock is acquired by no one, the lock holders are the same before and
 * after, and no lock-order edge starts or ends in it. A run of such pairs,
 * with no record of any other thread between them in the global order,
 * comes out of the merge as one record of kind WEFT_K_MUTEX_RELOCKS:
 *   tid, ts (its last unlock's), obj (the mutex of its last pair), arg
 *   (the pairs), stack (of the last lock that carried one, or 0), data:
 *   arg2 struct weft_relocks, one per mutex (in the order they first
 *   appear).
 * The pairs take their ids as if they were events (2 per pair, in order),
 * so that every other event keeps its id. */
#ifndef WEFT_INGEST_RELOCK_H
#define WEFT_INGEST_RELOCK_H

#include <stdint.h>

#include "log.h"

/* One mutex's pairs in a folded run: pair i (from 0) has ids base + 2i
 * (lock) and base + 2i + 1 (unlock), base being the run's first id. */
struct weft_relocks {
    uint64_t obj;                      /* the mutex */
    uint32_t pairs, first, prev, last; /* pairs; the first, second-to-last and last of them */
    uint64_t first_lock_ns, first_unlock_ns, prev_unlock_ns, last_lock_ns, last_unlock_ns;
};

#define WEFT_RELOCKS_MAX 4 /* mutexes in one folded run */

/* The states of a record decoded ahead (relock.c). */
enum {
    AH_PLAIN = 1,
    AH_CAND,   /* a flagged relock; whether the unlock of its mutex follows is not known yet */
    AH_WAIT_L, /* a pair waiting for its mutex's next acquisition: its lock, */
    AH_WAIT_U, /* and its unlock */
    AH_FOLD_L, /* a pair that folds: its lock, */
    AH_FOLD_U  /* and its unlock */
};

/* A record decoded ahead of the merge. */
struct weft__ahead {
    struct weft_rec rec; /* ts in ns, tid set */
    uint64_t raw;        /* the raw time (the merge's tie) */
    uint32_t at, pos;    /* its words within the run: [at, pos) */
    uint8_t st;          /* AH_*: relock.c */
};

#define WEFT__FOLD_AHEAD 256 /* records decoded ahead, at most */

/* The records of one run decoded ahead (a ring), and the pairs waiting for
 * their thread's next acquisition of their mutex. */
struct weft__folder {
    struct weft__ahead q[WEFT__FOLD_AHEAD];
    uint32_t head, n;
    int ended;       /* the run has no more records */
    uint8_t wait[8]; /* ring slots of the pairs waiting (their locks) */
    uint32_t nwait;
    struct weft_relocks out[WEFT_RELOCKS_MAX]; /* the folded record's data */
};

void weft__fold_reset(struct weft__folder *f);
/* Whether a record more may be taken in (room left). */
static inline int weft__fold_room(const struct weft__folder *f) {
    return f->n < WEFT__FOLD_AHEAD;
}
/* The slot the next record of the run is decoded into (room left), then
 * taken in by weft__fold_push. */
static inline struct weft__ahead *weft__fold_slot(struct weft__folder *f) {
    return &f->q[(f->head + f->n) % WEFT__FOLD_AHEAD];
}
void weft__fold_push(struct weft__folder *f);
/* The run has no more records: every pair left waiting is a plain one. */
void weft__fold_end(struct weft__folder *f);
static inline const struct weft__ahead *weft__fold_at(const struct weft__folder *f, uint32_t i) {
    return &f->q[(f->head + i) % WEFT__FOLD_AHEAD];
}
/* The head record, once decided: 1 plain (a record to hand out as it is),
 * 2 the lock of a folded pair (weft__fold_take), 0 not decided yet (take
 * in more, or call weft__fold_end). */
static inline int weft__fold_head(const struct weft__folder *f) {
    if (!f->n)
        return 0;
    uint8_t st = weft__fold_at(f, 0)->st;
    return st == AH_PLAIN ? 1 : st == AH_FOLD_L ? 2 : 0;
}
/* The folded pairs in a row from the head, counted on from the from-th
 * (a count made before: those are still folded): how many (each two
 * records), and whether the record after them is decided (0: it may still
 * fold). */
uint32_t weft__fold_pairs(const struct weft__folder *f, uint32_t from, int *decided);
/* The first k folded pairs from the head into one WEFT_K_MUTEX_RELOCKS
 * record (*r; its data in f->out), or, when they span more than
 * WEFT_RELOCKS_MAX mutexes, as many as fit (returned). Then at and pos
 * say the words they cover. The records stay in f until weft__fold_drop. */
uint32_t weft__fold_take(struct weft__folder *f, uint32_t k, struct weft_rec *r, uint32_t *at,
                         uint32_t *pos);
/* The head's first k records were handed out. */
void weft__fold_drop(struct weft__folder *f, uint32_t k);
/* The queue is full and its head is not decided: it is a plain record. */
void weft__fold_force_head(struct weft__folder *f);
/* The head pair's records go out one by one after all (an other thread's
 * record falls between them). */
void weft__fold_unfold_head(struct weft__folder *f);

#endif
