/* SPDX-License-Identifier: MIT */
/* ingest.c: raw logs (one per process) into a new trace database with the
 * schema of schema.sql, in one pass. Every log is opened and validated
 * first (stream.c: its chunks cut into runs); the merge then hands over
 * the records of all logs in time order, and each goes into the model
 * (processes, threads, objects, stacks, modules), into the events table
 * (with prepared statements in large transactions, journaling off) and,
 * with the rows of what it changed, to the detectors' queue. The tables
 * the model made are written at the end, the indexes after them. Memory
 * holds what is in flight, never the trace. The database is built under
 * a temporary name and renamed into place, so a failed ingest never
 * leaves half a trace behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest_internal.h"
#include "relock.h"

/* WEFT_INGEST_PROFILE=1: the time of each phase on stderr (for tuning). */
void weft__ingest_phase(struct weft__ingest *g, const char *what) {
    if (g->profile < 0) {
        const char *e = getenv("WEFT_INGEST_PROFILE");
        g->profile = e && *e == '1';
    }
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (g->profile && what)
        fprintf(stderr, "weft ingest: %-8s %.3f s\n", what,
                (double)(t.tv_sec - g->phase_t0.tv_sec) + (t.tv_nsec - g->phase_t0.tv_nsec) / 1e9);
    g->phase_t0 = t;
}

/* Indexes over events cost more than loading them (about 1 us per row
 * each): only with --index. */
static const char events_index_sql[] = "CREATE INDEX events_thread ON events(thread, id);"
                                       "CREATE INDEX events_object ON events(object, id);";

static const char index_sql[] = "CREATE INDEX threads_pid ON threads(pid, tid);"
                                "CREATE INDEX threads_handle ON threads(pid, handle);"
                                "CREATE INDEX objects_addr ON objects(pid, kind, address);"
                                "CREATE INDEX modules_pid ON modules(pid);";

void weft__ingest_cleanup(struct weft__ingest *g) {
    for (int i = 0; i < g->nprocs; i++) {
        weft_slog_close(&g->procs[i].log);
        free(g->procs[i].thr);
        free(g->procs[i].gid);
        free(g->procs[i].handles.e);
        for (size_t x = 0; x < g->procs[i].nmeta; x++)
            free((void *)g->procs[i].meta[x].data);
        free(g->procs[i].meta);
        weft_symmap_free(g->procs[i].sym);
    }
    free(g->procs);
    if (!g->symtab_borrowed)
        weft_symtab_free(g->symtab);
    g->symtab = NULL;
    g->symtab_borrowed = 0;
    g->prewarmed = 0;
    g->procs = NULL;
    g->nprocs = 0;
    free(g->objs);
    g->objs = NULL;
    g->nobjs = g->capobjs = 0;
    free(g->live.e);
    memset(&g->live, 0, sizeof g->live);
    free(g->losses);
    g->losses = NULL;
    g->nlosses = g->caplosses = 0;
    free(g->forks);
    g->forks = NULL;
    g->nforks = g->capforks = 0;
    free(g->spawns);
    g->spawns = NULL;
    g->nspawns = g->capspawns = 0;
}

/* ---- blocking calls: begin_ts, and channel begins folded into their end ----
 * Every end row of a blocking call carries the time of its begin. A send
 * or receive that had to wait was a begin row and an end row; without
 * --all-events it is one row, the end's, with the begin's time and stack
 * (a quarter of a busy channel program's rows). The begin keeps a row of
 * its own when no matching end follows on its thread: a thread blocked at
 * exit is seen waiting. Only channel begins fold: other begins carry
 * meaning of their own (a condvar wait releases its mutex, a select's
 * cases hang off its begin). Kinds pair as end = begin + 1 (log.h).
 *
 * An end written without a begin of its own (a lock that did not wait, a
 * folded relock: weft_kind_lone_end) ends nothing: inside an open call it
 * is a signal handler's, and the thread is still in that call. A begin
 * while a call is open is a handler's blocking call too: the open call
 * is kept aside (its begin's time and the thread's last blocking event)
 * and is the thread's open call again when the handler's call ends. One
 * call is kept aside: a handler's call inside another handler's replaces
 * the inner one, as any begin replaced the open call before. The trace
 * has no record of a handler's return: one that leaves by siglongjmp
 * leaves its thread seen inside the call it interrupted for good
 * (docs/harness.md, "Calls inside calls"). */
struct open_call {
    int64_t ts;                  /* 0: none */
    int folded;                  /* 1: no row written yet */
    struct weft_trace_event row; /* the begin's row, when folded */
    int nested;                  /* 1: outer_ts and outer hold the interrupted call */
    int64_t outer_ts;
    struct weft__blocked outer;
};

static int chan_begin(unsigned kind) {
    return kind == WEFT_K_CHAN_SEND_BEGIN || kind == WEFT_K_CHAN_RECV_BEGIN;
}

/* A lock acquisition that did not wait (a lock's end with arg2 = 0, a
 * trylock) and succeeded carries its call site as a one-frame stack, but
 * only when the site differs from the thread's previous such record: the
 * shim leaves the stack out when it is the thread's last site again (a
 * lock in a loop: the stack word would make each lock record twice as
 * long). Each such record without a stack gets the stack of the last one
 * of its thread (and log) that had one, in time order, before anything
 * reads the stacks: last holds (log, thread) -> that stack, one entry per
 * thread. A record whose thread never had one (an older shim, no stacks)
 * stays without. Both passes over the records run it alike. */
static int fill_lock_site(struct map *last, uint32_t proc, struct weft_rec *r) {
    int site;
    switch (r->kind) {
    case WEFT_K_MUTEX_LOCK_END:
    case WEFT_K_RW_RDLOCK_END:
    case WEFT_K_RW_WRLOCK_END:
        site = r->arg == 0 && r->arg2 == 0;
        break;
    case WEFT_K_MUTEX_TRYLOCK:
    case WEFT_K_RW_TRYLOCK:
        site = r->arg == 0;
        break;
    default:
        site = 0;
    }
    if (!site)
        return 0;
    uint64_t v;
    if (r->stack)
        return map_put(last, proc, r->tid, r->stack);
    if (map_get(last, proc, r->tid, &v))
        r->stack = (uint32_t)v;
    return 0;
}

/* The event of record r (of process pi) as stored in its events row. */
static void row_of(const struct weft__ingest *g, const struct weft_rec *r, uint32_t pi, uint64_t id,
                   uint64_t object, struct weft_trace_event *e) {
    const struct proc *p = &g->procs[pi];
    int hb = (r->fields & (WEFT_W_ACQ | WEFT_W_REL)) != 0;
    /* every field set (no memset: this runs for every event) */
    e->id = (int64_t)id;
    e->pid = p->pid;
    e->thread = (int64_t)weft__ingest_gtid(p, r->tid);
    e->ts = (int64_t)r->ts;
    e->kind = r->kind;
    e->object = (int64_t)object;
    e->obj = (int64_t)r->obj;
    e->arg = (int64_t)r->arg;
    e->arg2 = (int64_t)r->arg2;
    e->stack = r->stack && r->stack <= p->max_stack ? (int64_t)(p->stack_base + r->stack) : 0;
    e->rel_once = (int)r->once;
    e->hb_obj = hb ? (int64_t)r->hbobj : 0;
    e->has_acq = hb && (r->fields & WEFT_W_ACQ);
    e->acq = e->has_acq ? (int64_t)r->acq : 0;
    e->has_rel = hb && (r->fields & WEFT_W_REL);
    e->rel = e->has_rel ? (int64_t)r->rel : 0;
}

/* The events counted in event_counts instead of a row each (rows.c). */
static int summed(const struct weft_rec *r) {
    return ((r->kind == WEFT_K_CHAN_SEND_END || r->kind == WEFT_K_CHAN_RECV_END) && r->arg == 0 &&
            r->arg2 == 0 && r->stack == 0) ||
           r->kind == WEFT_K_HB_RELEASE || r->kind == WEFT_K_HB_ACQUIRE;
}

/* The other thread of a thread event (weft_trace_event.peer). */
static int64_t peer_of(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r) {
    struct proc *p = &g->procs[pi];
    uint32_t tt = 0;
    if (r->kind == WEFT_K_THREAD_CREATE)
        tt = (uint32_t)(r->aux & WEFT_TID_MASK);
    else if ((r->kind == WEFT_K_JOIN_END || r->kind == WEFT_K_TRYJOIN) && r->arg == 0)
        tt = weft__ingest_join_target(p, r);
    return tt && tt <= p->max_tid ? (int64_t)weft__ingest_gtid(p, tt) : 0;
}

/* Two threads share one connection (the detectors beside the load),
 * never at once (feed.c's guard): SQLite's own mutexes are not needed for
 * that, nor memory statistics. Each ingest has its own connection, so
 * ingests on several threads need none either. SQLite's configuration is
 * process-wide and may change only before its first use: once, whichever
 * ingest comes first (a later call would fail and change nothing). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void) {
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* The one pass: every record in global order into the model (processes,
 * threads, objects; MODULE and STACK records kept per process), then into
 * the events table (with the folding above), the counts of the counted
 * events, the rows hanging off events (select_cases, deadlock_waits) and
 * blocked_at_exit; with a hook, every event goes to its queue too, after
 * the rows of what it changed. Its working state lives in the ingest
 * (g->pass), so that a live ingest drives it a step at a time, as the
 * logs grow: pass_begin, pass_record for each record, pass_end. */
struct weft__pass {
    struct rows w;
    sqlite3_stmt *sc, *sd;
    struct open_call *open;     /* per thread: its folded or open begin */
    struct weft__blocked *last; /* per thread: its last blocking event */
    uint64_t nthr;              /* threads the two arrays have room for */
    struct map sites;
    struct mtxs mx;
    uint64_t id;
    int all, hooked, quiet;
    int64_t min_wait;
    /* --keep-rows: (time, id) every TRIM_EVERY events, the rows below
     * trimmed_below dropped, how many */
    int64_t keep_ns;
    struct {
        uint64_t ts, id;
    } samp[1024];
    size_t nsamp;
    uint64_t trimmed_below, trimmed;
    sqlite3_stmt *del_ev, *del_sc;
    uint64_t folds, folded_pairs; /* relock records and their pairs (WEFT_INGEST_PROFILE) */
    uint64_t runs, run_locks;     /* the shim's relock runs and the locks they counted */
    uint64_t warm_after; /* the symbol table warms at this id (WARM_AFTER; then never again) */
};

/* Events into a pass after which the symbol table loads the installed
 * debug files beside it (weft_symtab_warm): by then there is enough of
 * the pass left to hide libc's 0.04 s (a sqlite3 index build's 6M events
 * take 0.15 s), and a short ingest (a scenario's thousands) never loads a
 * file that no stack asks for. */
enum { WARM_AFTER = 262144 };

enum { TRIM_EVERY = 16384 };

/* --keep-rows: the event rows older than the window (by the id of the
 * last sample at least that old: ids follow time, except each mutex's
 * pending unlock and a folded begin, written later with their older
 * ids, which then stay) are deleted, with their select_cases. SQLite
 * reuses the pages they free, so the database stays as large as the
 * window. 0, or -1. */
static int trim_rows(struct weft__ingest *g, uint64_t ts, uint64_t id) {
    struct weft__pass *ps = g->pass;
    if (ps->nsamp == sizeof ps->samp / sizeof *ps->samp) {
        for (size_t k = 0; k < ps->nsamp / 2;
             k++) /* every other one: the window halves its grain */
            ps->samp[k] = ps->samp[2 * k + 1];
        ps->nsamp /= 2;
    }
    ps->samp[ps->nsamp].ts = ts;
    ps->samp[ps->nsamp++].id = id;
    if (ts < (uint64_t)ps->keep_ns)
        return 0;
    size_t k = 0;
    uint64_t cut = 0;
    while (k < ps->nsamp && ps->samp[k].ts <= ts - (uint64_t)ps->keep_ns)
        cut = ps->samp[k++].id;
    if (cut < ps->trimmed_below + 4 * TRIM_EVERY)
        return 0;
    memmove(ps->samp, ps->samp + k, (ps->nsamp - k) * sizeof *ps->samp);
    ps->nsamp -= k;
    weft__ingest_db_hold(g);
    int bad = 0;
    if (!ps->del_ev) {
        ps->del_ev = weft__ingest_prep(g, "DELETE FROM events WHERE id < ?");
        ps->del_sc = weft__ingest_prep(g, "DELETE FROM select_cases WHERE event < ?");
    }
    if (!ps->del_ev || !ps->del_sc) {
        bad = -1;
    } else {
        I64(ps->del_ev, 1, cut);
        bad = weft__ingest_step(g, ps->del_ev);
        ps->trimmed += (uint64_t)sqlite3_changes(g->db);
        I64(ps->del_sc, 1, cut);
        bad = bad || weft__ingest_step(g, ps->del_sc);
    }
    weft__ingest_db_release(g);
    ps->trimmed_below = cut;
    return bad ? -1 : 0;
}

/* Room for threads up to nthr in the pass's per-thread arrays. */
int weft__ingest_pass_grow(struct weft__ingest *g, uint64_t nthr) {
    struct weft__pass *ps = g->pass;
    if (nthr <= ps->nthr && ps->open)
        return 0;
    uint64_t from = ps->open ? ps->nthr + 1 : 0;
    struct open_call *o = realloc(ps->open, (nthr + 1) * sizeof *o);
    if (!o)
        return -1;
    ps->open = o;
    memset(ps->open + from, 0, (nthr + 1 - from) * sizeof *ps->open);
    struct weft__blocked *l = realloc(ps->last, (nthr + 1) * sizeof *l);
    if (!l)
        return -1;
    ps->last = l;
    memset(ps->last + from, 0, (nthr + 1 - from) * sizeof *ps->last);
    ps->nthr = nthr;
    return 0;
}

void weft__ingest_pass_free(struct weft__ingest *g) {
    struct weft__pass *ps = g->pass;
    if (!ps)
        return;
    free(ps->open);
    free(ps->last);
    free(ps->sites.e);
    free(ps->mx.m);
    free(ps->mx.idx.e);
    free(ps->mx.rels);
    free(ps->mx.known.e);
    weft__ingest_rows_free(g, &ps->w);
    weft__ingest_db_hold(g);
    sqlite3_finalize(ps->sc);
    sqlite3_finalize(ps->sd);
    sqlite3_finalize(ps->del_ev);
    sqlite3_finalize(ps->del_sc);
    weft__ingest_db_release(g);
    free(ps);
    g->pass = NULL;
}

int weft__ingest_folds(const struct weft__ingest *g) {
    const char *e = getenv("WEFT_INGEST_RELOCKS");
    return g->pass && !g->pass->all && !(e && *e == '0');
}

int weft__ingest_pass_begin(struct weft__ingest *g, const struct weft_ingest_opts *opts, int hooked,
                            uint64_t nthr) {
    struct weft__pass *ps = calloc(1, sizeof *ps);
    g->pass = ps;
    if (!ps || weft__ingest_pass_grow(g, nthr) != 0) {
        weft_err("out of memory");
        return -1;
    }
    if (weft__ingest_rows_init(g, &ps->w) != 0)
        return -1;
    weft__ingest_db_hold(g);
    ps->sc = weft__ingest_prep(g, "INSERT INTO select_cases VALUES (?,?,?,?,?)");
    ps->sd = weft__ingest_prep(g, "INSERT INTO deadlock_waits VALUES (?,?,?,?,?)");
    weft__ingest_db_release(g);
    if (!ps->sc || !ps->sd)
        return -1;
    ps->all = opts && opts->all_events;
    const char *ho = getenv("WEFT_INGEST_HANDOFFS"); /* (tests, A/B) */
    ps->mx.known_off = ho && *ho == '0';
    ps->min_wait = opts ? opts->min_wait_ns : 0;
    const char *wa = getenv("WEFT_INGEST_WARM_AFTER"); /* (tests) */
    ps->warm_after = wa && *wa ? strtoull(wa, NULL, 10) : WARM_AFTER;
    ps->keep_ns = opts && opts->keep_rows_ns > 0 ? opts->keep_rows_ns : 0;
    ps->quiet = opts && opts->quiet;
    ps->hooked = hooked;
    return 0;
}

size_t weft__ingest_pass_size(void) {
    return sizeof(struct weft__pass);
}

/* The pass's state for a checkpoint (checkpoint.c, whose sizes() checks
 * the struct's size): the struct as it is (its statements and buffers
 * are made again on load), then the
 * per-thread arrays, the lock sites, the mutexes' pending unlocks and
 * what each thread knows of the others' releases. The batch of rows is
 * written before (weft__ingest_pass_flush). */
void weft__ingest_pass_save(struct weft__ingest *g, struct weft__ckbuf *b) {
    struct weft__pass *ps = g->pass;
    weft__ck_put(b, ps, sizeof *ps);
    weft__ck_arr(b, ps->open, ps->nthr + 1, sizeof *ps->open);
    weft__ck_arr(b, ps->last, ps->nthr + 1, sizeof *ps->last);
    weft__ck_map(b, &ps->sites);
    weft__ck_arr(b, ps->mx.m, ps->mx.n, sizeof *ps->mx.m);
    weft__ck_map(b, &ps->mx.idx);
    weft__ck_arr(b, ps->mx.rels, ps->mx.nrels, sizeof *ps->mx.rels);
    weft__ck_map(b, &ps->mx.known);
}

/* Into the pass that weft__ingest_pass_begin made. */
int weft__ingest_pass_load(struct weft__ingest *g, struct weft__ckbuf *b) {
    struct weft__pass *ps = g->pass, was;
    weft__ck_get(b, &was, sizeof was);
    size_t n;
    struct open_call *o = weft__ck_get_arr(b, &n, sizeof *o);
    struct weft__blocked *l = weft__ck_get_arr(b, &n, sizeof *l);
    if (b->bad || !o || !l || n != was.nthr + 1 || was.w.n) {
        free(o);
        free(l);
        return -1;
    }
    free(ps->open);
    free(ps->last);
    ps->open = o;
    ps->last = l;
    ps->nthr = was.nthr;
    weft__ck_get_map(b, &ps->sites);
    ps->mx.m = weft__ck_get_arr(b, &ps->mx.n, sizeof *ps->mx.m);
    ps->mx.cap = ps->mx.n;
    weft__ck_get_map(b, &ps->mx.idx);
    ps->mx.rels = weft__ck_get_arr(b, &ps->mx.nrels, sizeof *ps->mx.rels);
    weft__ck_get_map(b, &ps->mx.known);
    ps->w.count = was.w.count;
    ps->id = was.id;
    ps->all = was.all;
    ps->min_wait = was.min_wait;
    ps->keep_ns = was.keep_ns;
    memcpy(ps->samp, was.samp, sizeof ps->samp);
    ps->nsamp = was.nsamp;
    ps->trimmed_below = was.trimmed_below;
    ps->trimmed = was.trimmed;
    return b->bad ? -1 : 0;
}

int weft__ingest_pass_flush(struct weft__ingest *g) {
    struct rows *w = &g->pass->w;
    return weft__ingest_flush_rows(g, w);
}

/* A run of folded relock pairs (relock.h): what the pass below does with
 * each of its locks and unlocks, at once. Its locks did not wait (ends
 * without a begin: they leave the thread's open call, if any, as it is);
 * each lock's site is the thread's last one; the
 * mutexes' rows and counts are rows.c's; the detectors take one event
 * per mutex (arg: its pairs, id: its last unlock's). */
static int pass_relocks(struct weft__ingest *g, const struct weft_rec *r, uint32_t pi) {
    struct weft__pass *ps = g->pass;
    const struct weft_relocks *x = (const struct weft_relocks *)(const void *)r->data;
    uint64_t n = r->arg, site = 0;
    if (r->stack && map_put(&ps->sites, pi, r->tid, r->stack) != 0) {
        weft_err("out of memory for the lock sites");
        return -1;
    }
    map_get(&ps->sites, pi, r->tid, &site);
    g->touched.nthr = g->touched.nobj = 0;
    uint64_t object = weft__ingest_model(g, pi, r);
    if (ps->hooked && (g->touched.nthr || g->touched.nobj) && weft__ingest_push_touched(g) != 0) {
        weft_err("out of memory");
        return -1;
    }
    uint64_t base = ps->id + 1;
    ps->id += 2 * n;
    for (uint64_t id = (base + TRIM_EVERY - 1) / TRIM_EVERY * TRIM_EVERY;
         ps->keep_ns && id <= ps->id; id += TRIM_EVERY)
        if (trim_rows(g, r->ts, id) != 0)
            return -1;
    /* its last lock, as the thread's last blocking event and the mutex
     * rows' template */
    struct weft_rec lr = *r;
    lr.kind = WEFT_K_MUTEX_LOCK_END;
    lr.arg = lr.arg2 = 0;
    lr.stack = (uint32_t)site;
    lr.data = NULL;
    lr.dlen = 0;
    struct weft_trace_event e;
    row_of(g, &lr, pi, base + 2 * (n - 1), object, &e);
    e.peer = 0;
    for (uint64_t k = 0; k < r->arg2; k++)
        if (weft__ingest_mutex_relocks(g, &ps->mx, &ps->w, pi, &e, &x[k], base) != 0)
            return -1;
    if (!ps->hooked)
        return 0;
    /* the detectors: one event per mutex, at its last unlock, in order */
    const struct weft_relocks *by[WEFT_RELOCKS_MAX];
    uint64_t nm = r->arg2 < WEFT_RELOCKS_MAX ? r->arg2 : WEFT_RELOCKS_MAX;
    for (uint64_t k = 0; k < nm; k++) {
        uint64_t j = k;
        for (; j && by[j - 1]->last > x[k].last; j--)
            by[j] = by[j - 1];
        by[j] = &x[k];
    }
    e.kind = WEFT_K_MUTEX_RELOCKS;
    for (uint64_t k = 0; k < nm; k++) {
        e.id = (int64_t)(base + 2 * (uint64_t)by[k]->last + 1);
        e.ts = (int64_t)by[k]->last_unlock_ns;
        e.obj = (int64_t)by[k]->obj;
        e.object = (int64_t)weft__ingest_live_obj(g, pi, "mutex", by[k]->obj);
        e.arg = by[k]->pairs;
        if (weft__ingest_push_event(g, &e) != 0) {
            weft_err("out of memory");
            return -1;
        }
    }
    return 0;
}

/* Slot i of relock run r (log.h, WEFT_K_MUTEX_RUN): its state (0: a free
 * slot), with its mutex and its latest lock's site. */
static uint32_t run_slot(const struct weft_rec *r, uint32_t i, uint64_t *obj, uint32_t *site) {
    uint64_t sw;
    memcpy(obj, r->data + 16 * i, 8);
    memcpy(&sw, r->data + 16 * i + 8, 8);
    *site = (uint32_t)sw;
    return *obj ? (uint32_t)(sw >> 32) : 0;
}

/* A relock run the shim counted in place (log.h, WEFT_K_MUTEX_RUN), all
 * at the run's time: per slot its pairs as the reader folds pairs
 * (pass_relocks; with --all-events each lock and unlock as a record),
 * then its lock still held, if any, as a flagged relock of its own. The
 * shim counts a run's locks without making their sites the thread's
 * last one (stack.c's pc_last stays as the records before the run left
 * it), so neither does this: the last site is put back after. */
static int pass_run(struct weft__ingest *g, const struct weft_rec *r, uint32_t pi) {
    struct weft__pass *ps = g->pass;
    uint64_t last = 0, obj;
    int had = map_get(&ps->sites, pi, r->tid, &last), rc = 0;
    ps->runs++;
    for (uint32_t i = 0, site; i < r->dlen / 16 && !rc; i++) {
        uint32_t st = run_slot(r, i, &obj, &site), held = st & WEFT_RUN_HELD;
        uint32_t pairs = (st >> 1) - held;
        if (!st)
            continue;
        ps->run_locks += st >> 1;
        struct weft_rec x = {.fields = WEFT_W_OBJ | WEFT_W_SA,
                             .tid = r->tid,
                             .ts = r->ts,
                             .obj = obj,
                             .stack = site,
                             .relock = 1};
        if (pairs && !ps->all) {
            struct weft_relocks rl = {.obj = obj,
                                      .pairs = pairs,
                                      .prev = pairs >= 2 ? pairs - 2 : 0,
                                      .last = pairs - 1,
                                      .first_lock_ns = r->ts,
                                      .first_unlock_ns = r->ts,
                                      .prev_unlock_ns = r->ts,
                                      .last_lock_ns = r->ts,
                                      .last_unlock_ns = r->ts};
            struct weft_rec f = x;
            f.kind = WEFT_K_MUTEX_RELOCKS;
            f.arg = pairs;
            f.arg2 = 1;
            f.data = (const unsigned char *)&rl;
            f.dlen = sizeof rl;
            rc = pass_relocks(g, &f, pi);
        }
        for (uint32_t k = 0; ps->all && k < pairs && !rc; k++) {
            struct weft_rec l = x, u = x;
            l.kind = WEFT_K_MUTEX_LOCK_END;
            u.kind = WEFT_K_MUTEX_UNLOCK;
            u.fields = WEFT_W_OBJ;
            u.stack = 0;
            u.relock = 0;
            rc = weft__ingest_pass_record(g, &l, pi) || weft__ingest_pass_record(g, &u, pi);
        }
        if (held && !rc) {
            struct weft_rec l = x;
            l.kind = WEFT_K_MUTEX_LOCK_END;
            rc = weft__ingest_pass_record(g, &l, pi);
        }
    }
    if (had && !rc && map_put(&ps->sites, pi, r->tid, last) != 0) {
        weft_err("out of memory for the lock sites");
        rc = -1;
    }
    return rc ? -1 : 0;
}

uint64_t weft__ingest_rec_events(const struct weft_rec *r) {
    if (r->kind == WEFT_K_MUTEX_RELOCKS)
        return 2 * r->arg;
    if (r->kind != WEFT_K_MUTEX_RUN)
        return 1;
    uint64_t n = 0, obj;
    for (uint32_t i = 0, site; i < r->dlen / 16; i++) {
        uint32_t st = run_slot(r, i, &obj, &site);
        n += 2 * (uint64_t)(st >> 1) - (st & WEFT_RUN_HELD);
    }
    return n;
}

/* One record (of image pi) through the pass: 0, or -1 (said). */
int weft__ingest_pass_record(struct weft__ingest *g, struct weft_rec *rec, uint32_t pi) {
    struct weft__pass *ps = g->pass;
    struct rows *w = &ps->w;
    const struct weft_rec *r = rec;
    int bad = 0, hooked = ps->hooked, all = ps->all;
    uint64_t nthr = ps->nthr;
    if (r->kind == WEFT_K_STACK || r->kind == WEFT_K_MODULE) {
        if (weft__ingest_add_meta(&g->procs[pi], r) != 0 ||
            (r->kind == WEFT_K_MODULE && weft__ingest_sym_module(g, pi, r) != 0)) {
            weft_err("out of memory");
            return -1;
        }
        if (r->kind == WEFT_K_STACK)
            weft__ingest_sym_stack(g, pi, r);
        return 0;
    }
    if (ps->id >= ps->warm_after && g->symtab) {
        ps->warm_after = UINT64_MAX;
        weft_symtab_warm(g->symtab);
    }
    if (r->kind == WEFT_K_MUTEX_RELOCKS) {
        ps->folds++; /* the reader's folds (the profile; the shim's runs apart) */
        ps->folded_pairs += r->arg;
        return pass_relocks(g, r, pi);
    }
    if (r->kind == WEFT_K_MUTEX_RUN)
        return pass_run(g, r, pi);
    if (fill_lock_site(&ps->sites, pi, rec) != 0) {
        weft_err("out of memory for the lock sites");
        return -1;
    }
    g->touched.nthr = g->touched.nobj = 0;
    uint64_t object = weft__ingest_model(g, pi, r);
    if (hooked && (g->touched.nthr || g->touched.nobj) && weft__ingest_push_touched(g) != 0) {
        weft_err("out of memory");
        return -1;
    }
    uint64_t id = ++ps->id; /* every event has its id, also one counted or folded */
    if (ps->keep_ns && id % TRIM_EVERY == 0 && trim_rows(g, r->ts, id) != 0)
        return -1;
    uint64_t t = weft__ingest_gtid(&g->procs[pi], r->tid);
    struct open_call *oc = t && t <= nthr ? &ps->open[t] : NULL;
    int blk = weft_kind_blocking(r->kind);
    if (blk == 2 && weft_kind_lone_end(r->kind, r->arg2))
        blk = 0; /* no call of its own: the open call stays open (open_call above) */
    int sum = !all && summed(r);
    int64_t begin_ts = 0, begin_stack = 0, short_wait = -1;
    struct weft_trace_event e;
    row_of(g, r, pi, id, object, &e);
    e.peer = peer_of(g, pi, r);
    if (blk && oc) {
        struct weft__blocked *l = &ps->last[t];
        if (blk == 1 && !oc->nested && l->id && weft_kind_blocking((unsigned)l->kind) == 1) {
            /* a handler's call inside the open one: that one aside */
            oc->nested = 1;
            oc->outer_ts = oc->ts;
            oc->outer = *l;
        }
        *l = (struct weft__blocked){e.id, e.pid, e.obj, e.object, e.stack, e.kind};
    }
    if (oc && (blk == 1 || blk == 2) && oc->folded) {
        /* This ends the folded begin, or the begin gets its own row. */
        const struct weft_trace_event *be = &oc->row;
        oc->folded = 0;
        if (blk == 2 && !sum && r->kind == (uint64_t)be->kind + 1u && (int64_t)r->obj == be->obj) {
            begin_stack = be->stack;
            /* a short wait that ended well: counted, begin and end */
            int64_t waited = (int64_t)r->ts - be->ts;
            if (r->arg == 0 && waited < ps->min_wait)
                short_wait = waited > 0 ? waited : 0;
        } else if ((bad = weft__ingest_put_row(g, w, be, 0)) != 0) {
            return -1;
        }
    }
    if (oc && blk == 2) {
        begin_ts = oc->ts;
        oc->ts = 0;
        if (oc->nested) {
            /* the handler's call ended: back in the one it interrupted
             * (whose folded begin, if any, got its row at the nested begin) */
            oc->nested = 0;
            oc->ts = oc->outer_ts;
            ps->last[t] = oc->outer;
        }
    }
    if (!all && !sum && short_wait < 0 && weft__ingest_mutex_op(g, &ps->mx, w, pi, r, &e, &bad)) {
        if (bad)
            return -1;
        goto next;
    }
    if (bad)
        return -1;
    if (sum || short_wait >= 0) {
        bad = weft__ingest_sum_op(g, &e, short_wait);
        goto next;
    }
    {
        struct weft_trace_event row = e;
        if (!row.stack)
            row.stack = begin_stack;
        if (oc && blk == 1) {
            oc->ts = (int64_t)r->ts;
            oc->folded = 0;
            if (!all && chan_begin(r->kind)) {
                oc->folded = 1;
                oc->row = row;
                goto next;
            }
        }
        bad = weft__ingest_put_row(g, w, &row, begin_ts);
        if (!bad && weft__ingest_has_extra(r)) {
            weft__ingest_db_hold(g);
            bad = weft__ingest_write_extra(g, &g->procs[pi], pi, r, id, ps->sc, ps->sd);
            weft__ingest_db_release(g);
            if (!bad && hooked)
                bad = weft__ingest_push_cases(g, pi, r, id);
        }
    }
next:
    if (!bad && hooked) {
        if (weft__ingest_push_event(g, &e) != 0) {
            weft_err("out of memory");
            bad = -1;
        }
    }
    return bad ? -1 : 0;
}

/* After the last record: the begins and unlocks still held get rows,
 * blocked_at_exit. 0, or -1. */
int weft__ingest_pass_end(struct weft__ingest *g, struct weft_ingest_stats *stats) {
    struct weft__pass *ps = g->pass;
    int bad = 0;
    if (g->profile > 0) {
        uint64_t backs = 0;
        for (int i = 0; i < g->nprocs; i++)
            backs += g->procs[i].log.backs;
        fprintf(stderr,
                "weft ingest: relocks  %llu pairs folded into %llu records\n"
                "weft ingest: runs     %llu relocks counted in %llu runs by the shim\n"
                "weft ingest: anchors  %llu records named theirs\n"
                "weft ingest: handoffs %llu known to their taker, counted\n",
                (unsigned long long)ps->folded_pairs, (unsigned long long)ps->folds,
                (unsigned long long)ps->run_locks, (unsigned long long)ps->runs,
                (unsigned long long)backs, (unsigned long long)ps->mx.known_count);
    }
    /* Begins that never ended: their threads were blocked at exit. */
    for (uint64_t t = 1; t <= ps->nthr && !bad; t++)
        if (ps->open[t].folded)
            bad = weft__ingest_put_row(g, &ps->w, &ps->open[t].row, 0);
    /* Unlocks no one acquired after: rows. */
    for (size_t k = 0; k < ps->mx.n && !bad; k++)
        if (ps->mx.m[k].pending)
            bad = weft__ingest_put_row(g, &ps->w, &ps->mx.m[k].unlock, 0);
    bad = bad || weft__ingest_flush_rows(g, &ps->w);
    if (!bad) {
        weft__ingest_db_hold(g);
        bad = weft__ingest_write_blocked(g, ps->last, ps->nthr);
        weft__ingest_db_release(g);
    }
    if (!bad && ps->keep_ns) {
        /* what --keep-rows dropped: in meta, and said in one line */
        weft__ingest_db_hold(g);
        sqlite3_stmt *sm = weft__ingest_prep(g, "INSERT INTO meta VALUES (?,?)");
        if (sm) {
            TXT(sm, 1, "keep_rows_ns");
            I64(sm, 2, ps->keep_ns);
            weft__ingest_step(g, sm);
            TXT(sm, 1, "rows_trimmed");
            I64(sm, 2, ps->trimmed);
            weft__ingest_step(g, sm);
            TXT(sm, 1, "rows_trimmed_below_id");
            I64(sm, 2, ps->trimmed_below);
            weft__ingest_step(g, sm);
            sqlite3_finalize(sm);
        } else {
            bad = -1;
        }
        weft__ingest_db_release(g);
        if (ps->trimmed && !ps->quiet)
            fprintf(stderr,
                    "weft: --keep-rows: %llu event rows older than the last %.3g s dropped (ids "
                    "below %llu); findings, objects and counts are whole: the detectors saw "
                    "every event\n",
                    (unsigned long long)ps->trimmed, (double)ps->keep_ns / 1e9,
                    (unsigned long long)ps->trimmed_below);
    }
    if (!bad && stats) {
        stats->events = ps->id;
        stats->rows = ps->w.count - ps->trimmed;
    }
    return bad ? -1 : 0;
}

/* The whole pass over a merge of logs read once (weft ingest, weft run
 * after the program's exit). */
static int write_events(struct weft__ingest *g, const struct weft_ingest_opts *opts,
                        struct weft_merge *m, int hooked, struct weft_ingest_stats *stats) {
    uint64_t nthr = 0;
    for (int i = 0; i < g->nprocs; i++)
        nthr += g->procs[i].max_tid;
    int bad = weft__ingest_pass_begin(g, opts, hooked, nthr);
    weft_merge_fold(m, weft__ingest_folds(g));
    struct weft_rec rec;
    uint32_t pi;
    int got = 0;
    while (!bad && (got = weft_merge_next(m, &rec, &pi)) == 1)
        bad = weft__ingest_pass_record(g, &rec, pi);
    if (!bad && got < 0) {
        weft_err("%s", weft_merge_err(m));
        bad = -1;
    }
    bad = bad || weft__ingest_pass_end(g, stats);
    weft__ingest_pass_free(g);
    return bad ? -1 : 0;
}

/* What log p could not give: a loss each (dropped events, bad chunks,
 * chunks claimed and never written, a file cut short). */
void weft__ingest_note_log(struct weft__ingest *g, struct proc *p) {
    const struct weft_slog *l = &p->log;
    p->complete = 1;
    /* (held_at_exit is a part of dropped_events, with a cause of its own) */
    uint64_t held =
        l->hdr.held_at_exit < l->hdr.dropped_events ? l->hdr.held_at_exit : l->hdr.dropped_events;
    if (l->hdr.dropped_events > held) {
        weft__ingest_add_loss(
            g, p->pid, p->path, "dropped-events", l->hdr.dropped_events - held,
            "%llu events dropped in process %d (its log was full: raise WEFT_LOG_MB; "
            "or its disk was full)",
            (unsigned long long)(l->hdr.dropped_events - held), p->pid);
        p->complete = 0;
    }
    if (held) {
        weft__ingest_add_loss(g, p->pid, p->path, "held-at-exit", held,
                              "%llu event%s of threads still starting a wait when process %d "
                              "ended (not committed within %u ms of its end): those threads "
                              "may look blocked or leaked",
                              (unsigned long long)held, held == 1 ? "" : "s", p->pid,
                              WEFT_LOG_EXIT_WAIT_MS);
        p->complete = 0;
    }
    if (l->bad_chunks) {
        weft__ingest_add_loss(g, p->pid, p->path, "bad-chunk", l->bad_chunks, "%s", l->chunk_err);
        p->complete = 0;
    }
    /* The last chunks claimed, unwritten, of a process that ended through
     * exit (the log says it finished): threads cut by the exit between
     * their claim and their first record, like any thread cut in the
     * middle of a record then; no record was complete, nothing is
     * missing. A hole before a written chunk, or a process that died of
     * a kill, loses records so. */
    uint64_t unwritten = l->unwritten_chunks;
    if (l->hdr.flags & WEFT_LOG_F_FINISHED)
        unwritten -= l->trailing_unwritten;
    if (unwritten) {
        weft__ingest_add_loss(g, p->pid, p->path, "unwritten-chunk", unwritten,
                              "%s: %llu chunks were claimed but never written (the process was "
                              "killed as it began one, or a hole: was the disk full?)",
                              p->path, (unsigned long long)unwritten);
        p->complete = 0;
    }
    if (l->unhealed_chunks) {
        weft__ingest_add_loss(g, p->pid, p->path, "unwritten-chunk", l->unhealed_chunks,
                              "%s: %llu chunks staged in the log's slots could not be written "
                              "to their place (%s): their records are missing",
                              p->path, (unsigned long long)l->unhealed_chunks, l->heal_err);
        p->complete = 0;
    }
    if (l->missing_chunks) {
        weft__ingest_add_loss(g, p->pid, p->path, "truncated", l->missing_chunks,
                              "%s: the file ends %llu chunks before the last one claimed", p->path,
                              (unsigned long long)l->missing_chunks);
        p->complete = 0;
    }
    if (l->late_relocks) {
        weft__ingest_add_loss(
            g, p->pid, p->path, "late-relocks", l->late_relocks,
            "%s: %llu locks and unlocks were counted in relock runs after the live reader had "
            "taken them (their thread was held between its look at the clock and its count for "
            "more than %u ms): they are not in this trace",
            p->path, (unsigned long long)l->late_relocks, (WEFT_RUN_FINAL - 2) * WEFT_RUN_EPOCH_MS);
        p->complete = 0;
    }
    if (l->consumed_chunks) {
        weft__ingest_add_loss(
            g, p->pid, p->path, "live-consumed", l->consumed_chunks,
            "%s: %llu chunks were consumed by a weft run --live that did not finish (killed?) and "
            "given back to the disk: their events are not in this trace",
            p->path, (unsigned long long)l->consumed_chunks);
        p->complete = 0;
    }
}

/* A process still running (the last image of its pid has no end yet,
 * and the pid is alive, a daemon for instance): its trace stops here,
 * and a chunk it claimed but has not filled yet is not lost. So is one
 * that ended normally between the reading of its log and now (its log's
 * header says finished now, not when it was read). */
void weft__ingest_note_running(struct weft__ingest *g) {
    for (int i = 0; i < g->nprocs; i++) {
        struct proc *p = &g->procs[i];
        int later = 0;
        for (int j = 0; j < g->nprocs && !later; j++)
            later = j != i && g->procs[j].pid == p->pid &&
                    g->procs[j].log.hdr.start_mono_ns > p->log.hdr.start_mono_ns;
        if (later || (p->log.hdr.flags & WEFT_LOG_F_FINISHED) ||
            (!weft__ingest_still_running(p->pid, p->log.hdr.start_mono_ns) &&
             !(p->path && weft__ingest_finished_now(p->path))))
            continue;
        size_t k = 0;
        for (size_t m = 0; m < g->nlosses; m++) {
            if (g->losses[m].log == p->path && !strcmp(g->losses[m].what, "unwritten-chunk"))
                continue;
            g->losses[k++] = g->losses[m];
        }
        g->nlosses = k;
        weft__ingest_add_loss(
            g, p->pid, p->path, "running", 1,
            "process %d was still running when the trace was read (a daemon, or a child "
            "that outlived the program): its trace stops there",
            p->pid);
        p->complete = 0;
    }
}

/* Logs of one pid are successive images (exec): order them by start. */
void weft__ingest_order_images(struct weft__ingest *g) {
    for (int i = 0; i < g->nprocs; i++) {
        struct proc *p = &g->procs[i];
        p->root = i;
        for (int j = 0; j < g->nprocs; j++) {
            struct proc *o = &g->procs[j];
            if (j == i || o->pid != p->pid)
                continue;
            if (o->log.hdr.start_mono_ns < p->log.hdr.start_mono_ns) {
                p->tid_offset += o->max_tid;
                if (o->log.hdr.start_mono_ns < g->procs[p->root].log.hdr.start_mono_ns ||
                    p->root == i)
                    p->root = j;
            }
        }
    }
}

/* The trace database under its temporary name tmp (of size n), with the
 * schema and meta, a transaction open. 0, or -1 (said). */
int weft__ingest_db_begin(struct weft__ingest *g, char *tmp, size_t n, const char *db_path,
                          const struct weft_ingest_opts *opts) {
    pthread_once(&sqlite_once, sqlite_setup);
    snprintf(tmp, n, "%s.tmp-%d", db_path, (int)getpid());
    unlink(tmp);
    if (sqlite3_open_v2(tmp, &g->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        weft_err("cannot create %s: %s", db_path, g->db ? sqlite3_errmsg(g->db) : "out of memory");
        return -1;
    }
    /* The page cache bounds the ingest's memory as much as anything. 4
     * MiB holds the pages the rows are appended through (the rightmost
     * path of each table) and the small tables; the rest is written out
     * as it fills, by the writer's thread during the pass, instead of
     * all at the end's commit on the pass's own (64 MiB did that: 0.90x
     * of the time for memcached's 294k rows and 0.88x for a sqlite3
     * index build's 6M rows under --all-events, peak 41 MB instead of
     * 102). Each page a cache takes is a page fault the first time, and
     * a page fault costs 12-18 us on a VM like ours. */
    /* A live ingest that commits as it goes keeps a rollback journal:
     * weft killed in a commit leaves the one before it (synchronous=OFF
     * is enough for that: it is the process that dies, not the system).
     * Pages of 64 KiB suit a trace of millions of rows (--all-events: a
     * sqlite3 index build's 6M rows in 0.92x of the time with 4 KiB
     * pages); every table and index starts with a page of its own,
     * zeroed and written, so a trace of few rows (most, without
     * --all-events) is made faster with 4 KiB (/bin/true's in 0.68x,
     * a sqlite3 index build's in 0.95x, memcached's 257k rows alike). */
    if (weft__ingest_exec(g, opts && opts->all_events ? "PRAGMA page_size=65536"
                                                      : "PRAGMA page_size=4096") ||
        weft__ingest_exec(
            g, "PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;" WEFT__INGEST_CACHE_SIZE
               "PRAGMA temp_store=MEMORY;") ||
        weft__ingest_exec(g, g->durable ? "PRAGMA journal_mode=TRUNCATE"
                                        : "PRAGMA journal_mode=OFF") ||
        weft__ingest_exec(g, weft__schema_sql) || weft__ingest_exec(g, "BEGIN"))
        return -1;
    {
        sqlite3_stmt *sm = weft__ingest_prep(g, "INSERT INTO meta VALUES (?,?)");
        if (!sm)
            return -1;
        TXT(sm, 1, "weft_version");
        TXT(sm, 2, WEFT_VERSION);
        weft__ingest_step(g, sm);
        TXT(sm, 1, "log_format");
        I64(sm, 2, WEFT_LOG_VERSION);
        weft__ingest_step(g, sm);
        /* 0: plain channel operations and hb annotations are in event_counts. */
        TXT(sm, 1, "all_events");
        I64(sm, 2, opts && opts->all_events);
        weft__ingest_step(g, sm);
        /* waits shorter than this were counted in event_counts */
        TXT(sm, 1, "min_wait_ns");
        I64(sm, 2, opts && !opts->all_events ? opts->min_wait_ns : 0);
        weft__ingest_step(g, sm);
        /* whether an exec'd program could have been traced (the notes) */
        int children = opts && opts->trace_children;
        for (int i = 0; i < g->nprocs; i++)
            children |= g->procs[i].root != i;
        TXT(sm, 1, "trace_children");
        I64(sm, 2, children);
        weft__ingest_step(g, sm);
        sqlite3_finalize(sm);
    }
    return 0;
}

/* The end of an ingest after its pass (bad: the pass failed): the forks
 * without a log, the tables the model made (in before the detectors'
 * stream ends: their last steps read them), the detectors joined (hook),
 * the commit, the indexes, the database renamed from tmp to db_path.
 * 0, or -1 (said; tmp is left to the caller). */
int weft__ingest_db_end(struct weft__ingest *g, const struct weft_ingest_opts *opts,
                        struct weft_ingest_stats *stats, int bad, struct hook_run *hook,
                        const char *tmp, const char *db_path) {
    uint64_t nstacks = 0, nthreads = 0;
    weft__ingest_phase(g, "events");
    weft__ingest_check_forks(g, opts);
    weft__ingest_db_hold(g);
    bad = bad || weft__ingest_write_kinds(g);
    for (int i = 0; i < g->nprocs && !bad; i++)
        bad = weft__ingest_write_modules_stacks(g, (uint32_t)i, &nstacks);
    bad = bad || weft__ingest_write_processes_threads(g, opts, &nthreads) ||
          weft__ingest_write_objects(g) || weft__ingest_write_images(g) ||
          weft__ingest_write_losses(g) || weft__ingest_write_sums(g);
    weft__ingest_db_release(g);
    weft__ingest_phase(g, "tables");
    if (g->profile > 0 && opts && opts->root_pid > 0) /* weft run: a program ran */
        fprintf(stderr, "weft ingest: prewarm  %u debug files loaded while the program ran\n",
                g->prewarmed);
    if (g->profile > 0 && g->symtab) {
        struct weft_symtab_stats ss;
        weft_symtab_stats(g->symtab, &ss);
        fprintf(stderr, "weft ingest: warmed   %u debug files beside the pass\n",
                weft_symtab_warmed(g->symtab));
        fprintf(stderr, "weft ingest: symbols  %zu addresses named, %zu from the cache\n",
                ss.results, ss.cache_hits);
    }
    if (hook && weft__ingest_hook_join(g, hook))
        bad = 1;
    weft__ingest_phase(g, "detect");
    if (bad || weft__ingest_exec(g, "COMMIT"))
        return -1;
    if (weft__ingest_exec(g, index_sql) ||
        (opts && opts->index && weft__ingest_exec(g, events_index_sql)) ||
        weft__ingest_exec(g, "PRAGMA journal_mode=DELETE"))
        return -1;
    weft__ingest_phase(g, "indexes");
    if (sqlite3_close(g->db) != SQLITE_OK) {
        weft_err("cannot write %s: %s", db_path, sqlite3_errmsg(g->db));
        return -1;
    }
    g->db = NULL;
    if (rename(tmp, db_path) != 0) {
        weft_err("cannot write %s: %s", db_path, strerror(errno));
        return -1;
    }
    if (stats) {
        stats->threads = nthreads;
        stats->processes = 0; /* processes, not images: an exec'd image is the same one */
        for (int i = 0; i < g->nprocs; i++)
            stats->processes += g->procs[i].root == i;
        stats->stacks = nstacks;
        stats->losses = g->nlosses;
    }
    return 0;
}
static int run(struct weft__ingest *g, char *const *logs, int nlogs, const char *db_path,
               const struct weft_ingest_opts *opts, struct weft_ingest_stats *stats) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct weft_merge *merge = NULL;
    struct weft_slog **slogs = NULL;
    uint32_t *rank = NULL;
    int64_t *pids = NULL;
    char tmp[4200];
    int rc = -1;
    g->db = NULL;
    tmp[0] = 0;
    if (opts && opts->symtab) {
        g->symtab = opts->symtab;
        g->symtab_borrowed = 1;
        g->prewarmed = weft_symtab_warmed(g->symtab);
    }
    g->procs = calloc((size_t)nlogs, sizeof *g->procs);
    if (!g->procs) {
        weft_err("out of memory");
        return -1;
    }
    uint64_t tbase = 0, sbase = 0;
    g->nprocs = 0;
    /* Every log that can be read is kept; what cannot is a loss, counted
     * and reported, never a reason to throw the others away. */
    for (int i = 0; i < nlogs; i++) {
        struct proc *p = &g->procs[g->nprocs];
        if (i == 0)
            weft__ingest_phase(g, NULL);
        if (weft_slog_open(&p->log, logs[i]) != 0) {
            /* an all-zero or empty file: a process killed (or out of memory
             * or disk) before it could write its log's header */
            int empty = strstr(p->log.err, "never written") || strstr(p->log.err, "too short");
            int lpid = weft__ingest_pid_of_name(logs[i]);
            /* or one still making it: a fork child or an exec'd image that
             * was starting while weft run's program ended (begun before the
             * ingest: no later than now) */
            if (empty && lpid > 0 &&
                weft__ingest_still_running_since(lpid, 0, weft__ingest_mono_now()))
                weft__ingest_add_loss(
                    g, lpid, logs[i], "running", 1,
                    "process %d was still running when the trace was read (a daemon, or a "
                    "child that outlived the program): its trace stops there",
                    lpid);
            else
                weft__ingest_add_loss(g, lpid, logs[i], empty ? "empty-log" : "unreadable-log", 1,
                                      "%s", p->log.err);
            continue;
        }
        int dup = 0;
        for (int j = 0; j < g->nprocs && !dup; j++)
            dup = g->procs[j].log.hdr.pid == p->log.hdr.pid &&
                  g->procs[j].log.hdr.start_mono_ns == p->log.hdr.start_mono_ns;
        if (dup) {
            weft__ingest_add_loss(g, p->log.hdr.pid, logs[i], "duplicate-log", 1,
                                  "%s: process %d appears in two logs: this one is left out",
                                  logs[i], p->log.hdr.pid);
            weft_slog_close(&p->log);
            continue;
        }
        g->nprocs++;
        p->path = logs[i];
        p->pid = p->log.hdr.pid;
        p->ppid = p->log.hdr.ppid;
        p->parent_tid = p->log.hdr.parent_tid;
        /* The header's counters size per-process arrays, but a damaged
         * header could claim billions: a thread or stack that matters is
         * named by a record (its own, its creator's, its STACK record), so
         * no more of them than records (and chunk owners) can matter. A
         * record naming one above this is out of range like any other. */
        uint64_t named = p->log.nevents + p->log.nchunks + 1;
        p->max_tid = p->log.hdr.next_tid < named ? p->log.hdr.next_tid : (uint32_t)named;
        p->max_stack = p->log.hdr.next_stack < named ? p->log.hdr.next_stack : (uint32_t)named;
        p->thread_base = tbase;
        p->stack_base = sbase;
        tbase += p->max_tid;
        sbase += p->max_stack;
        p->thr = calloc((size_t)p->max_tid + 1, sizeof *p->thr);
        if (!p->thr) {
            weft_err("out of memory");
            goto out;
        }
        weft__ingest_note_log(g, p);
    }
    weft__ingest_note_running(g);
    if (g->nprocs == 0) {
        /* nothing at all: no database (the caller says the trace is lost) */
        weft__ingest_no_log(g);
        rc = 1;
        goto out;
    }
    weft__ingest_order_images(g);
    /* One pass over the records in global order: time, then the
     * process's rank by pid, then the thread. */
    size_t np = (size_t)(g->nprocs > 0 ? g->nprocs : 1);
    slogs = malloc(np * sizeof *slogs);
    rank = calloc(np, sizeof *rank);
    pids = calloc(np, sizeof *pids);
    if (!slogs || !rank || !pids) {
        weft_err("out of memory");
        goto out;
    }
    int nroots = 0;
    uint32_t nthr = 0;
    for (int i = 0; i < g->nprocs; i++) {
        slogs[i] = &g->procs[i].log;
        for (int j = 0; j < g->nprocs; j++)
            rank[i] += g->procs[j].pid < g->procs[i].pid;
        if (g->procs[i].root == i)
            pids[nroots++] = g->procs[i].pid;
        nthr += g->procs[i].max_tid;
    }
    weft__ingest_phase(g, "read");
    if (weft__ingest_db_begin(g, tmp, sizeof tmp, db_path, opts) != 0)
        goto out;
    {
        struct hook_run hook;
        int hooked = opts && opts->loaded, bad = 0;
        merge = weft_merge_new(slogs, rank, g->nprocs);
        if (!merge) {
            weft_err("out of memory");
            goto out;
        }
        if (hooked) {
            weft__ingest_hook_start(g, &hook, opts);
            struct weft_trace_item it = {.type = WEFT_ITEM_SHAPE};
            it.u.shape = (struct weft_trace_shape){nthr, nroots, pids};
            bad = weft__ingest_push(g, &it);
        }
        bad = bad || write_events(g, opts, merge, hooked, stats);
        if (weft__ingest_db_end(g, opts, stats, bad, hooked ? &hook : NULL, tmp, db_path) != 0)
            goto out;
        tmp[0] = 0;
    }
    weft__ingest_warn_losses(g);
    rc = 0;
out:
    if (g->db)
        sqlite3_close(g->db);
    g->db = NULL;
    if (tmp[0])
        unlink(tmp);
    weft_merge_free(merge);
    free(slogs);
    free(rank);
    free(pids);
    weft__ingest_cleanup(g);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stats)
        stats->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}

void weft__ingest_no_log(const struct weft__ingest *g) {
    if (g->nlosses)
        weft_err("no readable log: %s%s", g->losses[0].detail,
                 g->nlosses > 1 ? " (and the other logs too)" : "");
    else
        weft_err("no log to ingest");
}

struct weft__ingest *weft__ingest_new(void) {
    struct weft__ingest *g = calloc(1, sizeof *g);
    if (!g || weft__ingest_feed_init(g) != 0) {
        free(g);
        weft_err("out of memory");
        return NULL;
    }
    g->profile = -1;
    return g;
}

void weft__ingest_free(struct weft__ingest *g) {
    weft__ingest_feed_free(g);
    for (size_t i = 0; i < g->nkept; i++)
        free(g->kept[i]);
    free(g->kept);
    free(g);
}

int weft_ingest(char *const *logs, int nlogs, const char *db_path,
                const struct weft_ingest_opts *opts, struct weft_ingest_stats *stats) {
    struct weft__ingest *g = weft__ingest_new();
    if (!g)
        return -1;
    int rc = run(g, logs, nlogs, db_path, opts, stats);
    weft__ingest_free(g);
    return rc;
}
