/* SPDX-License-Identifier: MIT */
/* internal.h: what the detector units share: the replay context (threads,
 * processes, the happens-before engine), the event as replayed, the
 * detector interface of registry.c and the way findings are reported.
 * Internal to detectors/. */
#ifndef WEFT_DETECTORS_INTERNAL_H
#define WEFT_DETECTORS_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "detectors.h"
#include "vc.h"
#include "log.h"
#include "table.h"
#include "weft.h"

/* One row of `threads`, plus what the replay learns as it goes. */
struct weft__thr {
    int64_t pid, tid, parent, created_ns, joined_by, joined_ns, create_stack, exit_stack, arg;
    int adopted, internal, exited, joined, detached, has_row;
    char *exit_kind, *start, *name, *created_by;
    /* replay state */
    int started, start_seen_create, live;
    int64_t ended;            /* the id of its end event (return, pthread_exit, cancel), 0 */
    uint32_t last_child;      /* the thread this one created last (for thread_arg) */
    weft__rv start_rv;        /* the creator's clock for the child, when the create came first */
    weft__rv start_rv_nolock; /* the same in c->hb_nolock */
    /* the blocking call it is in, if any (last begin without its end;
     * kind 0: none) */
    struct weft__call {
        int kind;
        int64_t obj, object, stack, event, arg2;
        /* answered.c: the begin event of the blocking call a partner
         * already answered (0: none), and a join's target thread */
        int64_t answered;
        uint32_t target;
        int64_t signals, broadcasts; /* a cond's, when the wait began */
    } call;
    /* A signal handler's blocking call inside that one (a begin while a
     * call was open): the call it interrupted, the thread's call again
     * when the handler's ends (engine.c, state_event; answered.c may
     * still find it answered). One is kept, as by the ingest. */
    int nested;
    struct weft__call outer;
    /* the cases of its last two selects that carried them (a stream's
     * CASE items): sel_ev[k]'s cases, 0 when the slot is empty */
    int64_t sel_ev[2];
    struct weft_case_row *sel_case[2];
    uint32_t sel_n[2], sel_cap[2];
    int sel_next; /* the slot the next select takes */
};

struct weft__proc {
    int64_t pid;
    char *exit_kind;
    int has_code, code, signal, finished;
};

/* One event as replayed (a row of `events`). */
struct weft__ev {
    int64_t id, pid, ts, object, obj, arg, arg2, stack;
    /* libweft annotations folded into the event (events.hb_obj/acq/rel):
     * the engine applies them before the event. has_acq/has_rel say which. */
    int64_t hb_obj, acq, rel;
    int has_acq, has_rel;
    int rel_once; /* that release is acquired at most once (0 from a database: not stored) */
    int64_t peer; /* a create's child, a join's target (0: none known) */
    uint32_t thread;
    int kind;
};

struct weft__finding; /* findings.c: one reported, held until the end */

#define WEFT__MAX_DETECTORS 16 /* registry.c has weft__ndetectors of them */

/* The key (k1) under which the engine's clocks (c->hb) keep libweft's
 * happens-before tickets of process pid: (obj, seq) are k2, k3. */
#define WEFT__HB_KEY(pid) ((uint64_t)(pid)*8u)

struct weft__dctx {
    sqlite3 *db;
    /* The events come as a stream of items (weft.h), from the ingest or
     * read back from a database: the threads' and objects' rows come with
     * them, and db is read only once the stream ends. */
    struct weft__table objects;      /* struct weft__objrow by objects.id */
    struct weft__table known;        /* (pid, address) of non-thread objects */
    struct weft_case_row *pend_case; /* cases before their event */
    uint32_t npend_case, cappend_case;
    struct weft__finding *found; /* findings.c: reported, not yet written */
    size_t nfound, capfound;
    const struct weft_detect_opts *opts;
    struct weft__vc *hb;
    /* Happens-before without the mutex and rwlock edges (lock-order
     * inversions are judged by it: the locks' own edges order every two
     * critical sections), from the moment a detector asks for it
     * (weft__hb_nolock_start) on; NULL until then. */
    struct weft__vc *hb_nolock;
    uint32_t nthreads;
    struct weft__thr *thr; /* indexed by threads.id, 0 unused */
    struct weft__proc *procs;
    int nprocs;
    struct weft_detect_result *res;
    sqlite3_stmt *ins, *frames_q;
    struct weft_supp_list *defaults; /* weft's default suppressions (NULL: off) */
    struct weft__answered *answered; /* answered.c */
    /* The tag of the hb ticket this event acquired (engine.c's hb_event,
     * weft__vc_acquired_tag), 0 0: none; answered.c reads it. */
    uint32_t acq_tag_thread;
    int64_t acq_tag_event;
    int held;    /* nesting of weft__db_enter */
    int64_t now; /* ts of the event being replayed; 0 in finish() (findings.ts) */
    void *det[WEFT__MAX_DETECTORS]; /* each family's state (its self), by registry index */
    /* By event kind (0 for a kind out of range): the registry indexes of
     * the detectors whose event() wants it, in registry order. */
    unsigned char ndisp[WEFT_K_MAX], disp[WEFT_K_MAX][WEFT__MAX_DETECTORS];
};

/* Starts c->hb_nolock (above) from this event on: events ordered through
 * edges that all come after this point are ordered in it as in c->hb,
 * lock edges aside. 0, or -1 when out of memory. */
int weft__hb_nolock_start(struct weft__dctx *c);

/* Around every use of c->db while the ingest loads the trace beside the
 * detectors (weft_db_guard): before the stream and after it. No-ops
 * without a guard. Nests. */
void weft__db_enter(struct weft__dctx *c);
void weft__db_leave(struct weft__dctx *c);

/* A detector family: the hooks it needs (any may be NULL). event() sees
 * every event in trace order, after the happens-before engine has applied
 * it; finish() runs once after the last event. Both report through
 * weft__report. A family keeps its state in `self` (size bytes, one per
 * run of the detectors: no file-scope state, so that several runs can go
 * on in one process); drop() frees it whether or not finish() ran. */
struct weft__detector {
    const char *name;
    size_t size; /* of its state: zeroed before init, handed to every hook as self */
    int (*init)(struct weft__dctx *c, void *self);
    void (*event)(struct weft__dctx *c, void *self, const struct weft__ev *e);
    int (*finish)(struct weft__dctx *c, void *self);
    void (*drop)(void *self); /* frees what self holds, finished or not */
    /* Whether event() reads events of this kind, or NULL for every kind:
     * the engine calls event() only for those (one call per detector for
     * every event, most of them returning at once, was a tenth of the
     * detectors' time on a channel-heavy trace). */
    int (*wants)(int kind);
    /* A live ingest's stream grows (a SHAPE item after the first): a
     * family with per-thread or per-process arrays grows them here, or
     * NULL. c->nthreads was old_n (arrays grow to c->nthreads + 1,
     * zeroed), c->nprocs was old_procs. 0, or -1 when out of memory. */
    int (*grow)(struct weft__dctx *c, void *self, uint32_t old_n, int old_procs);
};

/* *arr (n_old + 1 elements of size bytes) grown to n_new + 1, the new
 * ones zeroed: 0, or -1 when out of memory (then unchanged). */
int weft__grow_array(void **arr, size_t size, uint32_t n_old, uint32_t n_new);

extern const struct weft__detector *const weft__detectors[];
extern const int weft__ndetectors;

/* A stack that matters to a finding, by role ("close", "first_close",
 * "creation", ...). Stack 0 is skipped. With creation_of, the stack is
 * that thread's creation stack as the trace knows it at the end (a
 * thread's events can come before its creator's record of the create). */
struct weft__role {
    const char *role;
    int64_t stack;
    uint32_t creation_of;
};

/* Reports a finding (unless suppressed). severity: "error" | "warning".
 * thread/object 0: none. */
void weft__report(struct weft__dctx *c, const char *kind, const char *severity, int64_t pid,
                  int64_t thread, int64_t object, const struct weft__role *roles, int nroles,
                  const char *fmt, ...) __attribute__((format(printf, 9, 10)));

/* Helpers over the trace. */
const struct weft__proc *weft__proc_of(const struct weft__dctx *c, int64_t pid);
/* (inline: every detector asks it of every event) */
static inline struct weft__thr *weft__thr_of(struct weft__dctx *c, uint32_t id) {
    return id >= 1 && id <= c->nthreads ? &c->thr[id] : NULL;
}
/* objects row: kind (static buffer copy), address, create_stack; 0 or -1. */
struct weft__objinfo {
    char kind[32];
    int64_t address, create_stack, destroy_stack;
    char info[32];
};
int weft__object(struct weft__dctx *c, int64_t id, struct weft__objinfo *out);
/* Case idx of the select whose cases are on event ev (of thread th): its
 * op (1 send, 2 receive) and channel object (*object); -1 when there is
 * no such case. */
int weft__select_case(struct weft__dctx *c, uint32_t th, int64_t ev, int64_t idx, int64_t *object);
/* Whether addr is a sync object of process pid the trace knows (not a
 * thread): shared on purpose. */
int weft__known_object(struct weft__dctx *c, int64_t pid, int64_t addr);
/* After the last event and once every table is in: suppressions applied,
 * the findings written (findings.c). 0, or -1 on a database error. */
int weft__findings_flush(struct weft__dctx *c);
void weft__findings_free(struct weft__dctx *c);
/* A reference to thread id for a finding's message, into buf. The
 * findings are written at the end, and the reference becomes the
 * thread's name then ("thread 3 \"name\" (worker)"): a thread's first
 * events can come before its creator's record of the create (the child
 * runs before pthread_create returns), and its name can be set later, so
 * the name known at the finding is not yet the thread's. */
const char *weft__thread_name(struct weft__dctx *c, uint32_t id, char *buf, size_t n);
#define WEFT__THREAD_REF "\x1e"     /* record separator: not in a message */
#define WEFT__THREAD_REF_END "\x1f" /* unit separator */
/* The thread's name as it stands now, into buf (what a reference becomes). */
const char *weft__thread_name_now(struct weft__dctx *c, uint32_t id, char *buf, size_t n);
/* 1: the kind begins a blocking call, 2: it ends one, 0: neither (log.h;
 * engine.c's table). Inline, as the next: asked of every event. */
extern const unsigned char weft__blocking[WEFT_K_MAX];
static inline int weft__kind_blocking(int kind) {
    return kind > 0 && kind < WEFT_K_MAX ? weft__blocking[kind] : 0;
}
/* What event e does to its thread's blocking calls: 1 begins one, 2 ends
 * one, 0 neither; an end without a begin of its own (a lock that did not
 * wait: log.h's weft_kind_lone_end) and a run of folded relocks are 0. */
static inline int weft__call_phase(const struct weft__ev *e) {
    int phase = weft__kind_blocking(e->kind);
    return phase == 2 && weft_kind_lone_end((unsigned)e->kind, (uint64_t)e->arg2) ? 0 : phase;
}
/* Short name of a blocking kind ("chan recv", "wg wait", ...). */
const char *weft__kind_name(int kind);
/* Whether the process ended in a way where "alive at exit" means
 * something: it returned from main, called exit or _exit. */
int weft__proc_exited_normally(const struct weft__proc *p);

/* Blocking calls already answered (answered.c): the engine feeds it
 * every event after its own bookkeeping; at the end, whether thread id's
 * blocking call was matched by a partner (or its WaitGroup reached zero,
 * its join target ended or is exit_thread, the thread that ended the
 * process), so that it is finishing, not blocked. */
struct weft__answered;
int weft__answered_init(struct weft__dctx *c);
void weft__answered_event(struct weft__dctx *c, const struct weft__ev *e);
int weft__answered_at_exit(struct weft__dctx *c, uint32_t id, uint32_t exit_thread);
void weft__answered_free(struct weft__dctx *c);

/* Suppressions (suppress.c): 0 when no rule silences the finding, 1 a
 * rule of the user's file, 2 one of weft's defaults (default_supp.c,
 * parsed by weft__supp_defaults: NULL after one line on stderr). */
extern const char weft__default_supp[];
struct weft_supp_list *weft__supp_defaults(void);
int weft__supp_match(struct weft__dctx *c, const char *kind, int64_t thread,
                     const struct weft__role *roles, int nroles);

#endif
