/* SPDX-License-Identifier: MIT */
/* ingest_internal.h: what the ingest's files share (never included from
 * outside harness/ingest/): the one value an ingest is (struct
 * weft__ingest: every piece of its mutable state, so several ingests can
 * run in one process, each on its own thread), the model's types, the
 * small open-addressing map, and the functions each file offers the
 * others. Who owns what:
 *   model.c   the model: processes, threads, objects with generations,
 *             what each record changed (touched), the symbol maps;
 *   procs.c   the losses, the children (forks, spawns), the processes
 *             still running;
 *   rows.c    the database writer: the SQL helpers, the events rows in
 *             batches, folding and counting (event_counts, mutex relocks),
 *             the rows hanging off events, blocked_at_exit;
 *   tables.c  the tables the model made, written at the end;
 *   feed.c    the detectors' item stream: the bounded queue, the hook's
 *             thread, the connection's guard, the strings' arena;
 *   ingest.c  the driver: opening the logs, the one pass, the end. */
#ifndef WEFT_INGEST_INTERNAL_H
#define WEFT_INGEST_INTERNAL_H

#include <pthread.h>
#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stream.h"
#include "symbolize.h"
#include "thread.h"
#include "log_reader.h"
#include "room.h"
#include "weft.h"

/* ---- a small open-addressing map: (a, b) -> v ----
 * Inline here: the model looks up every record's object in one. */
struct ment {
    uint64_t a, b, v;
    int used;
};
struct map {
    struct ment *e;
    size_t cap, n;
};

static inline uint64_t hash2(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9e3779b97f4a7c15u ^ (b + 0x632be59bd9b4e019u);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    return h ^ (h >> 32);
}

static inline int map_put(struct map *m, uint64_t a, uint64_t b, uint64_t v) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 256;
        struct ment *ne = calloc(ncap, sizeof *ne);
        if (!ne)
            return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->e[i].used) {
                size_t j = hash2(m->e[i].a, m->e[i].b) & (ncap - 1);
                while (ne[j].used)
                    j = (j + 1) & (ncap - 1);
                ne[j] = m->e[i];
            }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    size_t j = hash2(a, b) & (m->cap - 1);
    while (m->e[j].used && (m->e[j].a != a || m->e[j].b != b))
        j = (j + 1) & (m->cap - 1);
    if (!m->e[j].used)
        m->n++;
    m->e[j] = (struct ment){a, b, v, 1};
    return 0;
}

static inline int map_get(const struct map *m, uint64_t a, uint64_t b, uint64_t *v) {
    if (!m->cap)
        return 0;
    size_t j = hash2(a, b) & (m->cap - 1);
    while (m->e[j].used) {
        if (m->e[j].a == a && m->e[j].b == b) {
            *v = m->e[j].v;
            return 1;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}

/* Removal by marking the value: keys of closed fds and destroyed mutexes
 * map to 0 ("none live"); the next use makes a new generation. */

/* The payload of a record, NUL-terminated, cut to max - 1 bytes. */
static inline size_t payload(const struct weft_rec *r, char *buf, size_t max) {
    size_t n = r->dlen < max - 1 ? r->dlen : max - 1;
    if (n)
        memcpy(buf, r->data, n);
    buf[n] = 0;
    return n;
}

/* A STACK record's return addresses, at most WEFT__STACK_MAX: its depth. */
#define WEFT__STACK_MAX 129
static inline size_t stack_pcs(const struct weft_rec *r, uint64_t pcs[WEFT__STACK_MAX + 1]) {
    size_t depth = payload(r, (char *)pcs, (WEFT__STACK_MAX + 1) * sizeof *pcs) / 8;
    return depth > r->arg ? (size_t)r->arg : depth;
}

/* ---- the model's types (model.c) ---- */
struct thr {
    int seen, adopted, via, internal;
    uint64_t handle, os_tid, start_routine, arg;
    uint64_t created, started, exited, joined, detached;
    uint64_t exit_value;
    const char *exit_kind;
    uint32_t parent, joined_by, create_stack, exit_stack; /* local ids */
    uint64_t object;                                      /* objects.id */
    /* The join this thread began last: the handle and the thread it named
     * then (see weft__ingest_join_target). */
    uint64_t join_handle;
    uint32_t join_tid;
    char name[68];
};

struct obj {
    uint32_t proc;
    const char *kind;
    uint64_t address, generation;
    uint64_t created, destroyed;
    uint32_t create_stack, destroy_stack; /* local */
    uint64_t thread;                      /* global thread id for kind thread */
    const char *info;
};

struct proc {
    struct weft_slog log;
    const char *path;
    int pid, ppid;
    uint32_t parent_tid;
    uint32_t max_tid, max_stack;
    uint64_t thread_base, stack_base;
    /* A live ingest's global thread ids, by local tid (max_tid + 1 of
     * them), given as the threads appear; NULL: thread_base + tid. */
    uint64_t *gid;
    struct thr *thr;
    struct map handles;      /* (handle, 0) -> local tid */
    struct weft_symmap *sym; /* its module map, for stacks and start routines */
    char argv_json[16384];
    char exe[4096];
    uint64_t end_ns, events;
    /* its MODULE and STACK records, in log order: not events, kept apart */
    struct weft_rec *meta; /* copies, with their payloads (owned) */
    size_t nmeta, capmeta;
    const char *exit_kind;
    int has_code, code, signal, finished;
    /* the program this image exec'd last, when that exec did not fail
     * (exec_path[0] == 0: none): it ran untraced unless a later image of
     * the same pid is in the trace */
    char exec_path[4096];
    int exec_as_other; /* that exec came after the process changed its user */
    int complete;      /* every record of the image was read */
    /* exec: a later image of the same OS process is merged into the row of
     * the first one (root); its thread tids follow the earlier images'. */
    int root;            /* index of the first image, or its own index */
    uint32_t tid_offset; /* added to its tids in the threads table */
};

/* The global id (threads.id) of p's thread tid. */
static inline uint64_t weft__ingest_gtid(const struct proc *p, uint32_t tid) {
    if (p->gid)
        return tid <= p->max_tid ? p->gid[tid] : 0;
    return p->thread_base + tid;
}

/* ---- losses: what could not be read, one row of `losses` each (procs.c) ----
 * what: dropped-events, bad-chunk, unwritten-chunk, truncated,
 * unreadable-log, empty-log, duplicate-log, missing-log, running,
 * live-consumed, late-relocks, held-at-exit (docs/schema.md). */
struct loss {
    int pid;         /* 0: unknown */
    const char *log; /* NULL: none */
    const char *what;
    uint64_t count;
    char detail[WEFT_LOG_ERR + 64];
};

/* Children started by posix_spawn (pid, path, when): the ingest notes
 * those that left no log (they ran untraced). */
struct spawned {
    int pid;
    char path[256];
    int64_t ts;
};
/* Children forked by traced processes (FORK records): each should have a
 * log; one without is a missing-log loss. */
struct forked {
    int pid, parent;
};

/* One (thread, object, kind) of event_counts (rows.c). */
struct sum {
    int64_t pid, thread, object, obj, kind, count, first_ns, last_ns, first_id, last_id;
    int64_t waited, wait_ns, max_wait_ns;
};

/* A block of the detectors' queue (feed.c). */
#define QBLK 4096
#define QMAX 8
struct qblk {
    struct qblk *next;
    size_t n;
    struct weft_trace_item e[QBLK];
};

/* A block of the strings handed to the hook (feed.c). */
struct arena_blk {
    struct arena_blk *next;
    size_t used;
    char buf[65536 - 2 * sizeof(void *)];
};

/* ---- one ingest ----
 * Every piece of mutable state of one weft_ingest call: allocated by it,
 * passed to every function, freed at its end. Nothing of an ingest lives
 * in a file-scope variable, so two ingests on two threads never meet. */
struct weft__ingest {
    /* the model (model.c): one proc per image (log) read, the objects
     * (ids are index + 1), the live ones by (process, family, address) */
    struct proc *procs;
    int nprocs;
    struct obj *objs;
    size_t nobjs, capobjs;
    struct map live; /* (proc << 8 | family, address) -> objects.id */
    /* What the model changed with the record at hand: the threads and
     * objects whose rows the hook gets before the event (the feed). A
     * record touches a few at most; more would be a bug, and is dropped. */
    struct {
        uint32_t proc[8], tid[8];
        int nthr;
        uint64_t obj[8];
        int nobj;
    } touched;
    /* family_code's answers, by the string's address: almost every
     * record asks it about one of a few static strings */
    const char *fam_seen[16];
    uint64_t fam_code[16];
    /* object_family's table, made on first use */
    signed char is_obj_family[WEFT_K_MAX];
    int is_obj_family_made;
    /* One symbol table for the whole ingest: each module file is opened
     * and its DWARF read once, however many processes mapped it
     * (symbolize.h). */
    struct weft_symtab *symtab;
    int symtab_borrowed; /* the caller's (weft_ingest_opts.symtab): not freed here */
    unsigned prewarmed;  /* its files loaded before the ingest began (WEFT_INGEST_PROFILE) */

    /* the losses and the children (procs.c) */
    struct loss *losses;
    size_t nlosses, caplosses;
    struct spawned *spawns;
    size_t nspawns, capspawns;
    struct forked *forks;
    size_t nforks, capforks;

    /* the database (rows.c, tables.c) and event_counts */
    sqlite3 *db;
    struct sum *sums;
    size_t nsums, capsums;
    struct map sum_idx; /* (thread << 8 | kind, object) -> 1 + index */

    /* the detectors beside the load (feed.c): the connection's guard ... */
    struct {
        pthread_mutex_t mu;
        int on;     /* the hook's thread is running */
        int writer; /* the events' writer's thread is running (writer.c) */
    } guard;
    struct weft_db_guard db_guard; /* arg: this ingest */
    /* ... the queue of items to the hook ... */
    struct {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        struct qblk *head, *tail; /* published, not yet taken */
        size_t count;             /* blocks published, not yet taken */
        /* Blocks the hook has read, for the loader to fill again: a new
         * block of 4096 items (590 KB) each time cost page faults,
         * zeroing and unmapping on both threads, some 4% of the ingest. */
        struct qblk *spare;
        int ended, bounded;
        /* Each side's cursor on a cache line of its own: the hook moves
         * rpos at every item, the loader reads fill at every event. Kept
         * apart by a line's worth of padding, not by _Alignas: the ingest
         * is calloc'd, and malloc's memory is only 16-byte aligned. */
        struct qblk *fill; /* the loader's block being filled */
        char apart_[64];
        struct qblk *read; /* the hook's block being read */
        size_t rpos;
        char after_[64];
    } q;
    /* ... and the strings of the rows handed to it */
    struct arena_blk *arena;
    struct map interned; /* (hash, length) -> the string */

    /* the one pass's working state (ingest.c) */
    struct weft__pass *pass;

    /* A live ingest that commits as it goes (checkpoint.c): the
     * database keeps a rollback journal, so that weft killed leaves its
     * last commit whole. The strings a resumed model points to. */
    int durable;
    char **kept;
    size_t nkept, capkept;

    /* WEFT_INGEST_PROFILE=1: the time of each phase on stderr */
    int profile;
    struct timespec phase_t0;
};

/* ---- ingest.c: the pass and the ends of an ingest, shared with live.c ---- */
struct hook_run;
/* Whether the merge folds relock pairs (relock.h), by the pass begun (or
 * resumed): not with --all-events (every event has its row), nor with
 * WEFT_INGEST_RELOCKS=0 (the differential test's other side). */
int weft__ingest_folds(const struct weft__ingest *g);
int weft__ingest_pass_begin(struct weft__ingest *g, const struct weft_ingest_opts *opts, int hooked,
                            uint64_t nthr);
int weft__ingest_pass_grow(struct weft__ingest *g, uint64_t nthr);
int weft__ingest_pass_record(struct weft__ingest *g, struct weft_rec *rec, uint32_t pi);
/* The events record r stands for: 2 per pair of a folded or counted run
 * of relocks (and 1 for a run's lock still held), else 1. */
uint64_t weft__ingest_rec_events(const struct weft_rec *r);
int weft__ingest_pass_end(struct weft__ingest *g, struct weft_ingest_stats *stats);
void weft__ingest_pass_free(struct weft__ingest *g);
void weft__ingest_note_log(struct weft__ingest *g, struct proc *p);
void weft__ingest_note_running(struct weft__ingest *g);
void weft__ingest_order_images(struct weft__ingest *g);
/* The trace database's page cache, for every connection an ingest
 * writes through (ingest.c, weft__ingest_db_begin, says why 4 MiB). */
#define WEFT__INGEST_CACHE_SIZE "PRAGMA cache_size=-4096;"
int weft__ingest_db_begin(struct weft__ingest *g, char *tmp, size_t n, const char *db_path,
                          const struct weft_ingest_opts *opts);
int weft__ingest_db_end(struct weft__ingest *g, const struct weft_ingest_opts *opts,
                        struct weft_ingest_stats *stats, int bad, struct hook_run *hook,
                        const char *tmp, const char *db_path);
void weft__ingest_cleanup(struct weft__ingest *g);
/* WEFT_INGEST_PROFILE=1: the time since the last call, as phase `what`,
 * on stderr (what NULL: only the clock is set). */
void weft__ingest_phase(struct weft__ingest *g, const char *what);
/* A new ingest context (NULL + one line when out of memory), and its end:
 * the one for weft_ingest and weft_ingest_live alike. */
struct weft__ingest *weft__ingest_new(void);
/* The one line for an ingest that found no log it could read. */
void weft__ingest_no_log(const struct weft__ingest *g);
void weft__ingest_free(struct weft__ingest *g);

/* ---- checkpoint.c: the state of an ingest as bytes, to resume it ----
 * A growing buffer written and read in order; a read past its end or a
 * failed allocation sets bad, and every later call does nothing. */
struct weft__ckbuf {
    unsigned char *p;
    size_t n, cap, pos;
    int bad;
};
void weft__ck_put(struct weft__ckbuf *b, const void *v, size_t n);
void weft__ck_get(struct weft__ckbuf *b, void *v, size_t n);
void weft__ck_u64(struct weft__ckbuf *b, uint64_t v);
uint64_t weft__ck_get_u64(struct weft__ckbuf *b);
void weft__ck_str(struct weft__ckbuf *b, const char *s);
/* A string written by weft__ck_str, kept by the ingest (one copy of each
 * text), or NULL. */
const char *weft__ck_get_str(struct weft__ingest *g, struct weft__ckbuf *b);
/* n elements of size bytes at *arr (malloc'd on load; NULL when n is 0). */
void weft__ck_arr(struct weft__ckbuf *b, const void *arr, size_t n, size_t size);
void *weft__ck_get_arr(struct weft__ckbuf *b, size_t *n, size_t size);
void weft__ck_map(struct weft__ckbuf *b, const struct map *m);
void weft__ck_get_map(struct weft__ckbuf *b, struct map *m);
/* The model (processes without their logs, objects, losses, children,
 * event_counts), then the pass (ingest.c). Load: into a new ingest whose
 * procs array has room for the processes saved; each proc's log is left
 * zeroed for the caller to open. */
void weft__ingest_ck_save(struct weft__ingest *g, struct weft__ckbuf *b);
int weft__ingest_ck_load(struct weft__ingest *g, struct weft__ckbuf *b);
void weft__ingest_pass_save(struct weft__ingest *g, struct weft__ckbuf *b);
int weft__ingest_pass_load(struct weft__ingest *g, struct weft__ckbuf *b);
/* sizeof(struct weft__pass), which only ingest.c knows (checkpoint.c
 * refuses a state saved with another). */
size_t weft__ingest_pass_size(void);
/* The rows the pass holds in its batch, written (before a commit). */
int weft__ingest_pass_flush(struct weft__ingest *g);

/* ---- model.c ---- */
/* Pass 1 for one record of image pi: update the model; returns the
 * objects.id the event is about (0: none). */
uint64_t weft__ingest_model(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r);
/* Keeps a MODULE or STACK record of p (a copy): 0, or -1 out of memory. */
int weft__ingest_add_meta(struct proc *p, const struct weft_rec *r);
/* Adds a MODULE record to pi's module map: 0, or -1 out of memory. */
int weft__ingest_sym_module(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r);
void weft__ingest_sym_stack(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r);
/* The objects.id live now for a family's address (0: none). */
uint64_t weft__ingest_live_obj(struct weft__ingest *g, uint32_t proc, const char *fam,
                               uint64_t addr);
/* threads.created_by, and the start function's name (NULL: none). */
const char *weft__ingest_created_by(const struct thr *t);
const char *weft__ingest_start_function(const struct proc *p, const struct thr *t);

/* The local tid of a thread handle in p (0: none). */
static inline uint32_t weft__ingest_tid_of_handle(struct proc *p, uint64_t handle) {
    uint64_t v = 0;
    return map_get(&p->handles, handle, 0, &v) ? (uint32_t)v : 0;
}

/* The local tid a thread record names by handle (0: none). A join's end
 * names the thread its begin named: the shim writes the end after the
 * real join returned, and by then glibc may have given the joined
 * thread's handle (its descriptor, at the top of its cached stack) to a
 * thread that another thread created and recorded in between; by handle
 * the end would join that new thread, and leave the one really joined
 * "exited-unjoined" (the fault matrix found it under load). A joinable
 * thread's handle cannot be reused before it is joined, so the begin's
 * thread is the right one. */
static inline uint32_t weft__ingest_join_target(struct proc *p, const struct weft_rec *r) {
    if (r->kind == WEFT_K_JOIN_END && r->tid <= p->max_tid && p->thr[r->tid].join_tid &&
        p->thr[r->tid].join_handle == r->obj)
        return p->thr[r->tid].join_tid;
    return weft__ingest_tid_of_handle(p, r->obj);
}

/* ---- procs.c ---- */
void weft__ingest_add_loss(struct weft__ingest *g, int pid, const char *log, const char *what,
                           uint64_t count, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int weft__ingest_has_loss_of(const struct weft__ingest *g, int pid);
/* Whether pid is alive and began between lo_ns and hi_ns (procs.c). */
int weft__ingest_still_running_since(int pid, uint64_t lo_ns, uint64_t hi_ns);
int weft__ingest_still_running(int pid, uint64_t log_start_ns);
/* Whether log's header says now that its process finished (it may have
 * since the log was read). */
int weft__ingest_finished_now(const char *log);
uint64_t weft__ingest_mono_now(void);
int weft__ingest_pid_of_name(const char *path);
/* The forked children without a log: losses (after the pass). */
void weft__ingest_check_forks(struct weft__ingest *g, const struct weft_ingest_opts *opts);
/* One warning line per kind of loss (stderr), after the ingest. */
void weft__ingest_warn_losses(const struct weft__ingest *g);

/* ---- rows.c ---- */
#define BATCH 200 /* events per INSERT statement */
#define NCOLS 14  /* columns of events */
int weft__ingest_exec(struct weft__ingest *g, const char *sql);
sqlite3_stmt *weft__ingest_prep(struct weft__ingest *g, const char *sql);
int weft__ingest_step(struct weft__ingest *g, sqlite3_stmt *st);
#define I64(st, i, v) sqlite3_bind_int64(st, i, (sqlite3_int64)(v))
#define OPT(st, i, v) ((v) ? I64(st, i, v) : sqlite3_bind_null(st, i))
static inline int TXT(sqlite3_stmt *st, int i, const char *s) {
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* ---- writer.c ----
 * Rows go out BATCH per statement (SQLite's per-statement cost: step,
 * reset, VDBE setup, is most of a one-row insert), written by a thread
 * beside the pass; the tail of the last batch goes one row at a time. */
struct weft__row_batch {
    struct weft_trace_event e[BATCH];
    int64_t begin_ts[BATCH];
};
struct rows {
    sqlite3_stmt *one, *many;
    struct weft__row_batch *q; /* the writer's queue; q[filled % its length] is being filled */
    int n;                     /* rows in that batch */
    uint64_t count;            /* rows put */
    /* the writer's thread: batches handed over and written, under mu */
    uint64_t filled, written;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    struct weft__ingest *g; /* the writer's */
    int made;               /* mu and cv */
    int running, stop, bad;
    char err[256]; /* the writer's first error */
};
/* The statements and the queue: 0, or -1 (said). */
int weft__ingest_rows_init(struct weft__ingest *g, struct rows *w);
/* Every row put so far into the database: 0, or -1 (said). */
int weft__ingest_flush_rows(struct weft__ingest *g, struct rows *w);
int weft__ingest_put_row(struct weft__ingest *g, struct rows *w, const struct weft_trace_event *e,
                         int64_t begin_ts);
/* Stops the writer (after the batches handed over) and frees the queue
 * and the statements. */
void weft__ingest_rows_free(struct weft__ingest *g, struct rows *w);
/* Counted events (event_counts). */
int weft__ingest_sum_op(struct weft__ingest *g, const struct weft_trace_event *e, int64_t wait_ns);
int weft__ingest_write_sums(struct weft__ingest *g);

/* Each live mutex's last unlock, held until it is known to be an edge. */
struct mtx {
    int64_t releaser; /* thread of the last release (0: none seen) */
    uint64_t rel_seq; /* that release's place among its thread's (rels) */
    int pending;      /* the last unlock has no row yet */
    struct weft_trace_event unlock;
};
struct mtxs {
    struct mtx *m;
    size_t n, cap;
    struct map idx;       /* (process, address) -> 1 + index (0: destroyed) */
    uint64_t *rels;       /* per thread: its mutex releases so far */
    size_t nrels;         /* threads rels has room for */
    struct map known;     /* (acquirer, releaser) -> the releaser's latest release it acquired */
    int known_off;        /* WEFT_INGEST_HANDOFFS=0: only relocks are counted */
    uint64_t known_count; /* hand-offs counted as known (WEFT_INGEST_PROFILE) */
};
struct weft_relocks;
int weft__ingest_mutex_relocks(struct weft__ingest *g, struct mtxs *mx, struct rows *w, uint32_t pi,
                               const struct weft_trace_event *tmpl, const struct weft_relocks *x,
                               uint64_t base);
int weft__ingest_mutex_op(struct weft__ingest *g, struct mtxs *mx, struct rows *w, uint32_t pi,
                          const struct weft_rec *r, const struct weft_trace_event *e, int *bad);

/* The payloads some events carry: a select's cases, a deadlock's waits. */
int weft__ingest_has_extra(const struct weft_rec *r);
int weft__ingest_write_extra(struct weft__ingest *g, struct proc *p, uint32_t pi,
                             const struct weft_rec *r, uint64_t id, sqlite3_stmt *sc,
                             sqlite3_stmt *sd);
/* A thread's last blocking event, what blocked_at_exit needs of it: kept
 * for every blocking record, so only these fields (copying the whole
 * event there was 4% of the ingest). */
struct weft__blocked {
    int64_t id, pid, obj, object, stack;
    int64_t kind;
};
int weft__ingest_write_blocked(struct weft__ingest *g, const struct weft__blocked *last,
                               uint64_t nthr);

/* ---- tables.c ---- */
int weft__ingest_write_kinds(struct weft__ingest *g);
int weft__ingest_write_modules_stacks(struct weft__ingest *g, uint32_t pi, uint64_t *nstacks);
int weft__ingest_write_processes_threads(struct weft__ingest *g,
                                         const struct weft_ingest_opts *opts, uint64_t *nthreads);
int weft__ingest_write_images(struct weft__ingest *g);
int weft__ingest_write_losses(struct weft__ingest *g);
int weft__ingest_write_objects(struct weft__ingest *g);

/* ---- feed.c ---- */
/* The queue's and the guard's locks: 0, or -1. */
int weft__ingest_feed_init(struct weft__ingest *g);
/* Frees what the feed holds (the queue's blocks, the arena). */
void weft__ingest_feed_free(struct weft__ingest *g);
/* The loader's side of the connection: hold it (a no-op without the hook
 * or the events' writer). */
void weft__ingest_db_hold(struct weft__ingest *g);
void weft__ingest_db_release(struct weft__ingest *g);
/* An item into the queue's block. On x86-64 with streaming stores, which
 * bypass the cache: the hook's thread, on the other CPU, has read the
 * lines of a reused block last, so an ordinary store had to take each
 * line back from that CPU first. Those stores filled the loader's store
 * buffer and stalled it: on this project's 2-CPU VM about a third of the
 * loader's time (the ingest of a 1M-item chan_work log went from 1.27 s
 * to 0.66 s, A/B over 10 interleaved pairs). The hook reads
 * the block in order, which the hardware prefetches. q_publish fences
 * the stores before the block changes hands. */
#if defined(__x86_64__) && defined(__SSE2__)
/* Word i of src to word i of dst, past the cache. */
static inline void weft__ingest_q_word(long long *dst, const char *src, size_t i) {
    long long v;
    memcpy(&v, src + i * sizeof v, sizeof v);
    _mm_stream_si64(dst + i, v);
}
/* n words of src to dst, past the cache. */
static inline void weft__ingest_q_words(long long *dst, const void *src, size_t n) {
    const char *s = src;
    for (size_t q = 0; q < n / 4; q++) { /* four at a time: -O2 does not unroll it */
        weft__ingest_q_word(dst, s, 4 * q);
        weft__ingest_q_word(dst, s, 4 * q + 1);
        weft__ingest_q_word(dst, s, 4 * q + 2);
        weft__ingest_q_word(dst, s, 4 * q + 3);
    }
    for (size_t i = n / 4 * 4; i < n; i++)
        weft__ingest_q_word(dst, s, i);
}
_Static_assert(sizeof(struct weft_trace_item) % sizeof(long long) == 0, "an item is whole words");
_Static_assert(offsetof(struct weft_trace_item, u) == sizeof(long long) &&
                   sizeof(struct weft_trace_event) % sizeof(long long) == 0,
               "an event item is a word of type, then the event's words");
#endif
static inline void weft__ingest_q_store(struct weft_trace_item *dst,
                                        const struct weft_trace_item *src) {
#if defined(__x86_64__) && defined(__SSE2__)
    weft__ingest_q_words((long long *)(void *)dst, src, sizeof *src / sizeof(long long));
#else
    *dst = *src;
#endif
}
/* Same for an event, written as an item without a copy of it first. */
static inline void weft__ingest_q_store_event(struct weft_trace_item *dst,
                                              const struct weft_trace_event *e) {
#if defined(__x86_64__) && defined(__SSE2__)
    long long *d = (long long *)(void *)dst;
    _mm_stream_si64(d, WEFT_ITEM_EVENT); /* type, and the padding after it (little-endian) */
    weft__ingest_q_words(d + 1, e, sizeof *e / sizeof(long long));
#else
    dst->type = WEFT_ITEM_EVENT;
    dst->u.ev = *e;
#endif
}
/* One more item for the hook: 0, or -1 when out of memory. Inline: every
 * event and most rows go through it; the block's first and last item
 * (a new block, a full one published) go to weft__ingest_push_block. */
int weft__ingest_push_block(struct weft__ingest *g, const struct weft_trace_item *it);
static inline int weft__ingest_push(struct weft__ingest *g, const struct weft_trace_item *it) {
    struct qblk *b = g->q.fill;
    if (b && b->n + 1 < QBLK) {
        weft__ingest_q_store(&b->e[b->n++], it);
        return 0;
    }
    return weft__ingest_push_block(g, it);
}
/* Same for an event. */
static inline int weft__ingest_push_event(struct weft__ingest *g,
                                          const struct weft_trace_event *e) {
    struct qblk *b = g->q.fill;
    if (b && b->n + 1 < QBLK) {
        weft__ingest_q_store_event(&b->e[b->n++], e);
        return 0;
    }
    struct weft_trace_item it = {.type = WEFT_ITEM_EVENT};
    it.u.ev = *e;
    return weft__ingest_push_block(g, &it);
}
/* The items of the threads and objects the last record touched. */
int weft__ingest_push_touched(struct weft__ingest *g);
/* The cases of a select record, for the hook. */
int weft__ingest_push_cases(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r,
                            uint64_t id);
struct hook_run {
    struct weft__ingest *g;
    const struct weft_ingest_opts *o;
    int rc;
    pthread_t th;
};
void weft__ingest_hook_start(struct weft__ingest *g, struct hook_run *h,
                             const struct weft_ingest_opts *o);
int weft__ingest_hook_join(struct weft__ingest *g, struct hook_run *h);

#endif
