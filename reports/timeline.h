/* SPDX-License-Identifier: MIT */
/* timeline.h: the timeline model of a trace database, shared by the
 * reports that draw time (the Perfetto/Chrome trace-event JSON of
 * perfetto.c, the HTML report's SVG timeline).
 *
 * It reads a trace read-only and yields, per process, one lane per thread
 * and, in one pass over the events, what happened on the lanes: blocking
 * calls (state intervals), held locks, channel operations, instants
 * (closes, findings, deadlocks, fatal signals), flows (a send to the
 * receive it fed) and channel length samples. Memory is bounded by what is
 * live at a moment (open calls, held locks, channel values in flight, one
 * small record per thread), never by the number of events.
 *
 * Times are CLOCK_MONOTONIC nanoseconds as stored; opts.from_ns/to_ns are
 * relative to the trace's start (weft_tl_start). Items arrive through a
 * callback, in the order in which they become known: an interval when it
 * ends (so roughly by end time), a flow when its receive happens. A
 * consumer that must stay small (the SVG timeline) buckets them as they
 * come; one that keeps everything (Perfetto) writes them out.
 *
 * The flow rule (docs/timeline.md says more): libweft gives every
 * happens-before edge of a channel a ticket, unique per channel, released
 * by one operation and acquired by the other. A receive acquires only the
 * ticket of the send whose value it got (or, when it saw the close, the
 * close's ticket). So a flow is: a receive-side operation (a receive,
 * try-receive, or a select whose receive case ran) that got a value
 * acquired ticket T of channel C (events.hb_obj/acq, or an hb row of its
 * own inside the call), and T was released on C (events.rel, or an
 * hb_release row of the sender's call). Exact with --all-events; without it, the fast
 * operations and the annotations are counted in event_counts and have no
 * rows, so only the flows whose both ends have rows are found. */
#ifndef WEFT_REPORTS_TIMELINE_H
#define WEFT_REPORTS_TIMELINE_H

#include <stdint.h>

#include <sqlite3.h>

/* What a thread is doing in a state interval (a blocking call). */
enum weft_tl_state {
    WEFT_TL_RUNNING = 0, /* never emitted: the time between intervals */
    WEFT_TL_CHAN_SEND,
    WEFT_TL_CHAN_RECV,
    WEFT_TL_SELECT,
    WEFT_TL_WG_WAIT,
    WEFT_TL_MUTEX_LOCK,
    WEFT_TL_RWLOCK_RD,
    WEFT_TL_RWLOCK_WR,
    WEFT_TL_COND_WAIT,
    WEFT_TL_BARRIER,
    WEFT_TL_SEM_WAIT, /* a POSIX semaphore */
    WEFT_TL_JOIN,
    WEFT_TL_GROUP_GO, /* weft_group_go waiting for room under its limit */
    WEFT_TL_GROUP_WAIT,
    WEFT_TL_WEFT_SEM, /* weft_sem_acquire */
    WEFT_TL_LIMITER,
    WEFT_TL_FUTURE_GET,
    WEFT_TL_FUTURE_FREE,
    WEFT_TL_NSTATES
};
/* "chan send", "chan recv", "select", "WaitGroup wait", "mutex lock", ... */
const char *weft_tl_state_name(enum weft_tl_state s);

enum weft_tl_kind {
    WEFT_TL_STATE,   /* a blocking call: [ts, end] on thread, state, object */
    WEFT_TL_HELD,    /* a lock held: [ts, end], object (mutex or rwlock) */
    WEFT_TL_OP,      /* a channel operation that did not wait: ts == end */
    WEFT_TL_INSTANT, /* at ts: a close, a finding, a deadlock, a fatal signal */
    WEFT_TL_FLOW,    /* from (thread, ts) to (to_thread, end) on channel object */
    WEFT_TL_COUNTER, /* a buffered channel's length at ts: value */
    WEFT_TL_NKINDS
};

/* Flags of an item. */
enum {
    WEFT_TL_CLIPPED = 1, /* moved inside its thread's lane (a record after the exit) */
    WEFT_TL_NO_END = 2,  /* a call or hold that never ended: lasts to the lane's end */
    WEFT_TL_CROSSED = 4, /* HELD: released while a lock taken later was still held
                            (not nested in the thread's other holds) */
    WEFT_TL_FAILED = 8,  /* the call returned an error (a closed channel, a timeout, ...) */
    WEFT_TL_WAITED = 16, /* OP/STATE of a channel: it waited (STATE) */
};

/* One thing to draw. Strings point into the walk's memory: valid during
 * the callback only. */
struct weft_tl_item {
    enum weft_tl_kind kind;
    int flags;
    int64_t pid;
    int64_t thread;           /* threads.id (FLOW: the sender's) */
    int64_t ts, end;          /* ns; end == ts for OP, INSTANT, COUNTER */
    enum weft_tl_state state; /* STATE */
    int64_t object;           /* objects.id (0: none) */
    int64_t addr;             /* the object's raw address (channel, lock) */
    const char *what;         /* OP: the kind name (chan_send_end, ...); HELD: mutex, rwlock_rd,
                                 rwlock_wr; INSTANT: close, double close, deadlock, fatal signal,
                                 or the finding's kind */
    const char *detail;       /* INSTANT of a finding: its message; else NULL */
    const char *severity;     /* INSTANT of a finding: error | warning */
    int64_t event;            /* events.id (STATE, HELD: of its end; FLOW: the receive's;
                                 INSTANT of a finding: findings.id) */
    int64_t result;           /* OP, STATE: the call's result (events.arg) */
    /* FLOW only */
    int64_t to_thread;  /* the receiver */
    int64_t from_event; /* the release's events.id */
    uint64_t flow_id;   /* unique in the walk, never reused (1, 2, ...) */
    /* COUNTER only */
    int64_t value;
    int64_t cap; /* the channel's capacity (OP, COUNTER, FLOW when known, else -1) */
};

/* A thread's lane. */
struct weft_tl_lane {
    int64_t id, pid, tid, os_tid;              /* threads.id, trace tid, OS tid (0: unknown) */
    int os_tid_unique;                         /* no other thread of the process had that OS tid */
    const char *name;                          /* threads.name (NULL: none set) */
    const char *start_function;                /* NULL for main and adopted threads */
    const char *created_by;                    /* pthread_create | weft_go | ... | NULL */
    int64_t created_ns, started_ns, exited_ns; /* 0: unknown (NULL) */
    int64_t begin, end;    /* the lane: creation (or start) to exit (or process end) */
    int internal;          /* 1: libweft's own thread, 2: weft's watchdog */
    int main;              /* the process's first thread */
    const char *exit_kind; /* return | pthread_exit | canceled | NULL: alive at the end */
};

struct weft_tl_process {
    int64_t pid, parent_pid;
    const char *argv; /* the JSON array as stored */
    const char *exe;
    int64_t start_ns, end_ns;
    int64_t threads;
    int finished, complete;
};

struct weft_tl_opts {
    int64_t from_ns, to_ns; /* window, relative to the trace start; to_ns 0: open */
    uint64_t max_items;     /* 0: no cap */
};

/* What a walk emitted and left out, per item kind. */
struct weft_tl_stats {
    uint64_t emitted[WEFT_TL_NKINDS];
    uint64_t outside[WEFT_TL_NKINDS]; /* outside the window */
    uint64_t capped[WEFT_TL_NKINDS];  /* inside it, after the cap was reached */
    int64_t cap_ts;                   /* when the cap was reached (0: never) */
    uint64_t events;                  /* events rows read */
    uint64_t unmatched_acquires;      /* receives whose value's send has no row */
    uint64_t dropped_tickets;         /* pending releases forgotten to bound memory */
    int all_events;                   /* meta all_events = 1: flows and counters are whole
                                         (without it there are no COUNTER items) */
};

typedef struct weft_tl weft_tl;

/* Opens the model on db (read by the caller, e.g. weft_db_open_read);
 * path names it in messages. NULL after one weft_err line. */
weft_tl *weft_tl_open(sqlite3 *db, const char *path, const struct weft_tl_opts *opts);
void weft_tl_close(weft_tl *tl);
/* The trace's start (the earliest process start) in ns: opts are relative to it. */
int64_t weft_tl_start(const weft_tl *tl);
/* The window in absolute ns (to: INT64_MAX when open). */
void weft_tl_window(const weft_tl *tl, int64_t *from, int64_t *to);

/* Callbacks return 0 to go on, nonzero to stop the walk (which then
 * returns that value). The walks return 0, the callback's value, or -1
 * after one weft_err line. */
typedef int (*weft_tl_process_fn)(void *ctx, const struct weft_tl_process *p);
typedef int (*weft_tl_lane_fn)(void *ctx, const struct weft_tl_lane *l);
typedef int (*weft_tl_item_fn)(void *ctx, const struct weft_tl_item *it);

/* Processes by start time. */
int weft_tl_processes(weft_tl *tl, weft_tl_process_fn fn, void *ctx);
/* Lanes by process start, then trace tid. */
int weft_tl_lanes(weft_tl *tl, weft_tl_lane_fn fn, void *ctx);
/* One pass over the events (and the findings, merged in by time). The
 * window selects items, it does not cut them: an interval that overlaps
 * it comes whole (so intervals stay nested as they were), a flow only
 * when both its ends are inside. Items are kept inside their thread's
 * lane. The cap counts every item kind alike and keeps the earliest
 * (by the order of the callback). Can be called once per weft_tl. */
int weft_tl_walk(weft_tl *tl, weft_tl_item_fn fn, void *ctx);
/* After a walk: what it emitted and left out. */
const struct weft_tl_stats *weft_tl_stats(const weft_tl *tl);

/* Per thread, over the window whatever the cap left out (for a table of
 * threads, or a lane drawn as one bar): ns of its lane, ns in each
 * blocking state and holding locks (summed over the locks), cut to the
 * window; how many channel operations that did not wait, arrows out and
 * in, instants. Running is lane_ns minus the blocked states. */
struct weft_tl_totals {
    int64_t lane_ns;
    int64_t blocked_ns[WEFT_TL_NSTATES];
    int64_t held_ns;
    uint64_t ops, flows_out, flows_in, instants;
};
/* After a walk: the totals of thread (threads.id), or NULL. */
const struct weft_tl_totals *weft_tl_totals(const weft_tl *tl, int64_t thread);

#endif
