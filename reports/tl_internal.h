/* SPDX-License-Identifier: MIT */
/* tl_internal.h: what the files of the timeline model share (timeline.c
 * reads and dispatches, tl_kinds.c names event kinds, tl_chan.c follows
 * channels: tickets, flows, lengths): the walk's state and its helpers.
 * Not for the model's users: they include timeline.h. */
#ifndef WEFT_REPORTS_TL_INTERNAL_H
#define WEFT_REPORTS_TL_INTERNAL_H

#include <stdint.h>

#include <sqlite3.h>

#include "timeline.h"
#include "tl_map.h"

/* The most tickets remembered at once (a FIFO of their keys evicts). */
enum { TICKETS_MAX = 1 << 17 };

/* What an event kind means to the timeline. */
enum role {
    R_NONE,
    R_BEGIN, /* begins a blocking call (kinds.blocking = 1) */
    R_END,   /* ends one (kinds.blocking = 2) */
    R_TRY_SEND,
    R_TRY_RECV,
    R_TRYLOCK, /* mutex_trylock, rwlock_trylock */
    R_UNLOCK,  /* mutex_unlock, rwlock_unlock */
    R_HB_REL,
    R_HB_ACQ,
    R_MAKE,
    R_CLOSE,
    R_FREE,
    R_DEADLOCK,
    R_FATAL,
};

/* Channel sides of an operation. */
enum { SIDE_NONE, SIDE_SEND, SIDE_RECV };

struct kind {
    char *name;
    unsigned char role, state, side; /* side: SEND/RECV for channel ops */
    unsigned char lock;              /* 1 mutex, 2 rwlock read, 3 rwlock write (lock ends) */
};

struct hold {
    int64_t addr, object, ts, event;
    int count, lock;
};

struct thr {
    int64_t pid, begin, end;
    int64_t s_ts, s_object, s_addr, s_event; /* the open blocking call */
    int s_state, s_kind;                     /* s_state 0: none */
    /* A ticket acquired inside the open call (an hb row of its own): the
     * call's end says whether that was a receive. */
    int64_t a_thread, a_ts, a_event, a_from_ts, a_from_event, a_hb, a_hbrow;
    int a_valid;
    /* a flow from inside the open call was emitted: its slice, which ends
     * later, has its place under the cap already */
    int reserved;
    /* the first libweft annotation row of a channel call not yet begun or
     * ended (its try, before its begin or its end): where its slice starts */
    int64_t t_first;
    struct weft_tl_totals tot;
    struct hold *held;
    int nheld, capheld;
};

struct chan {
    uint64_t pid, addr; /* key */
    int64_t cap, len, made_ts, close_tk, object;
};

struct ticket {
    uint64_t pid, hb, tk; /* key */
    int64_t thread, ts, event, seq;
    int64_t hbrow; /* released by an annotation row (not a call's own row) */
};

struct ring_slot {
    uint64_t pid, hb, tk;
    int64_t seq;
};

struct weft_tl {
    sqlite3 *db;
    const char *path;
    struct weft_tl_opts opts;
    int64_t start, end, from, to;
    struct kind kinds[256];
    struct thr *thr;
    int64_t nthr;
    struct weft__tl_map chans, tickets;
    struct ring_slot *ring;
    size_t ring_head, ring_n;
    int64_t seq;
    uint64_t flow_ids, total;
    /* where a channel's hb byte lies from its address (one struct layout
     * for all: learnt from the first row that shows both) */
    int64_t hb_off;
    int hb_off_known;
    struct weft_tl_stats st;
    weft_tl_item_fn fn;
    void *ctx;
    int stop;
    sqlite3_stmt *cases;
    int walked;
};

/* One events row, as read. */
struct row {
    int64_t id, pid, thread, ts, kind, object, obj, arg, arg2, hb, acq, rel, begin_ts;
    int has_acq, has_rel, has_begin;
};

/* tl_kinds.c: what kind k (its name set) means, from kinds.blocking. */
void weft__tl_classify(struct kind *k, int blocking);

/* timeline.c */
/* The statement for sql, or NULL after one weft_err line. */
sqlite3_stmt *weft__tl_prep(weft_tl *tl, const char *sql);
/* threads.id's record, or NULL. */
struct thr *weft__tl_thr(weft_tl *tl, int64_t id);
/* Emits it (lane, window, cap, totals). */
void weft__tl_emit(weft_tl *tl, struct weft_tl_item *it);

/* tl_chan.c */
/* The channel at addr in pid (created, capacity unknown, with create). */
struct chan *weft__tl_chan_get(weft_tl *tl, int64_t pid, int64_t addr, int create);
/* Remembers a ticket released on hb (hbrow: by an annotation row). */
void weft__tl_ticket_put(weft_tl *tl, int64_t pid, int64_t hb, int64_t tk, int64_t thread,
                         int64_t ts, int64_t event, int hbrow);
/* Takes a ticket out; 1 with *out when it was there. */
int weft__tl_ticket_take(weft_tl *tl, int64_t pid, int64_t hb, int64_t tk, struct ticket *out);
/* The side of the case a select ran (SIDE_*). */
int weft__tl_select_side(weft_tl *tl, int64_t cases_event, int64_t idx);
/* A completed channel operation of thread th: its flows, tickets and length. */
void weft__tl_chan_op(weft_tl *tl, struct thr *th, const struct row *e, int side, int64_t cap_hint);

#endif
