/* SPDX-License-Identifier: MIT */
/* dbsource.c: the trace model's stream (weft.h's items) read back from a
 * trace database, for whoever runs the detectors over a trace that was
 * ingested before (the detectors' benchmark, a re-run of the detectors):
 * they consume the same items whether the ingest streams them as it
 * reads the logs or this file reads them from the tables.
 *
 * A database holds each row as it stood at the end of the trace, so the
 * stream gives the shape, then every thread's and object's final row,
 * then the events in order (their id), each after the cases of its
 * select. The rows' strings live as long as the source. What the
 * database does not store is rebuilt: an event's `peer` (a create's
 * child, a join's target) from the threads' parent/created_ns and
 * joined_by/joined_ns. rel_once is not stored and stays 0: it only lets
 * the detectors forget a ticket sooner. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "weft.h"

/* (key, ts) -> thread: the thread whose parent (joiner) is key and whose
 * created_ns (joined_ns) is ts. */
struct pair {
    int64_t key, ts, thread;
};

struct weft_db_source {
    sqlite3 *db;
    int phase; /* 0 shape, 1 threads, 2 objects, 3 events, 4 end */
    sqlite3_stmt *threads, *objects, *events, *cases;
    int case_row;   /* cases holds a row not given yet */
    int cases_done; /* cases stepped to its end (stepping again restarts it) */
    int64_t *pids;
    int nprocs;
    uint32_t nthreads;
    struct pair *creates, *joins;
    size_t ncreates, njoins;
    char **strs; /* the strings handed out */
    size_t nstrs, capstrs;
    struct weft_trace_item held; /* the event whose cases come first */
    struct weft_trace_item item; /* the one handed out */
    int has_held;
};

static int64_t col64(sqlite3_stmt *st, int i) {
    return sqlite3_column_int64(st, i);
}

/* Column i as a string that lives as long as s, or NULL; *bad on OOM. */
static const char *keep(struct weft_db_source *s, sqlite3_stmt *st, int i, int *bad) {
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    if (s->nstrs == s->capstrs) {
        size_t nc = s->capstrs ? s->capstrs * 2 : 64;
        char **n = realloc(s->strs, nc * sizeof *n);
        if (!n) {
            *bad = 1;
            return NULL;
        }
        s->strs = n;
        s->capstrs = nc;
    }
    char *d = strdup((const char *)t);
    if (!d) {
        *bad = 1;
        return NULL;
    }
    return s->strs[s->nstrs++] = d;
}

static int cmp_pair(const void *a, const void *b) {
    const struct pair *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int64_t find_pair(const struct pair *v, size_t n, int64_t key, int64_t ts) {
    struct pair want = {key, ts, 0};
    const struct pair *p = bsearch(&want, v, n, sizeof *v, cmp_pair);
    return p ? p->thread : 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
        return 0;
    weft_err("detectors: cannot read the trace database: %s", sqlite3_errmsg(db));
    return -1;
}

/* The shape, and the create and join pairs (one row per thread at most). */
static int load_shape(struct weft_db_source *s) {
    sqlite3_stmt *st;
    if (prepare(s->db, "SELECT coalesce(max(id), 0), count(*) FROM threads", &st) != 0)
        return -1;
    size_t n = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        s->nthreads = (uint32_t)col64(st, 0);
        n = (size_t)col64(st, 1);
    }
    sqlite3_finalize(st);
    s->creates = calloc(n + 1, sizeof *s->creates);
    s->joins = calloc(n + 1, sizeof *s->joins);
    if (!s->creates || !s->joins)
        return -1;
    if (prepare(s->db,
                "SELECT id, parent, created_ns, joined_by, joined_ns FROM threads "
                "ORDER BY id",
                &st) != 0)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW && s->ncreates < n && s->njoins < n) {
        int64_t id = col64(st, 0);
        if (col64(st, 1) && sqlite3_column_type(st, 2) != SQLITE_NULL)
            s->creates[s->ncreates++] = (struct pair){col64(st, 1), col64(st, 2), id};
        if (col64(st, 3) && sqlite3_column_type(st, 4) != SQLITE_NULL)
            s->joins[s->njoins++] = (struct pair){col64(st, 3), col64(st, 4), id};
    }
    sqlite3_finalize(st);
    qsort(s->creates, s->ncreates, sizeof *s->creates, cmp_pair);
    qsort(s->joins, s->njoins, sizeof *s->joins, cmp_pair);
    if (prepare(s->db, "SELECT DISTINCT pid FROM processes ORDER BY pid", &st) != 0)
        return -1;
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (s->nprocs == cap) {
            cap = cap ? cap * 2 : 8;
            int64_t *np = realloc(s->pids, (size_t)cap * sizeof *np);
            if (!np) {
                sqlite3_finalize(st);
                return -1;
            }
            s->pids = np;
        }
        s->pids[s->nprocs++] = col64(st, 0);
    }
    sqlite3_finalize(st);
    return 0;
}

struct weft_db_source *weft_db_source_open(sqlite3 *db) {
    struct weft_db_source *s = calloc(1, sizeof *s);
    if (!s) {
        weft_err("detectors: out of memory");
        return NULL;
    }
    s->db = db;
    return s;
}

void weft_db_source_close(struct weft_db_source *s) {
    if (!s)
        return;
    sqlite3_finalize(s->threads);
    sqlite3_finalize(s->objects);
    sqlite3_finalize(s->events);
    sqlite3_finalize(s->cases);
    for (size_t i = 0; i < s->nstrs; i++)
        free(s->strs[i]);
    free(s->strs);
    free(s->pids);
    free(s->creates);
    free(s->joins);
    free(s);
}

static int thread_item(struct weft_db_source *s, struct weft_trace_item *it) {
    sqlite3_stmt *st = s->threads;
    struct weft_thread_row *r = &it->u.th;
    int bad = 0;
    it->type = WEFT_ITEM_THREAD;
    r->id = col64(st, 0);
    r->pid = col64(st, 1);
    r->tid = col64(st, 2);
    r->parent = col64(st, 3);
    r->created_ns = col64(st, 4);
    r->joined_by = col64(st, 5);
    r->joined_ns = col64(st, 6);
    r->joined = sqlite3_column_type(st, 6) != SQLITE_NULL;
    r->create_stack = col64(st, 7);
    r->exit_stack = col64(st, 8);
    r->arg = col64(st, 9);
    r->adopted = (int)col64(st, 10);
    r->internal = (int)col64(st, 11);
    r->exit_kind = keep(s, st, 12, &bad);
    r->detached = (int)col64(st, 13);
    r->start = r->adopted ? (r->tid == 1 ? "main" : "(adopted)") : keep(s, st, 14, &bad);
    r->name = keep(s, st, 15, &bad);
    r->created_by = keep(s, st, 16, &bad);
    return bad ? -1 : 1;
}

static int object_item(struct weft_db_source *s, struct weft_trace_item *it) {
    sqlite3_stmt *st = s->objects;
    struct weft_object_row *r = &it->u.ob;
    int bad = 0;
    it->type = WEFT_ITEM_OBJECT;
    r->id = col64(st, 0);
    r->pid = col64(st, 1);
    r->address = col64(st, 2);
    r->create_stack = col64(st, 3);
    r->destroy_stack = col64(st, 4);
    r->kind = keep(s, st, 5, &bad);
    r->info = keep(s, st, 6, &bad);
    return bad ? -1 : 1;
}

static void event_item(struct weft_db_source *s, struct weft_trace_item *it) {
    sqlite3_stmt *ev = s->events;
    struct weft_trace_event *e = &it->u.ev;
    memset(it, 0, sizeof *it); /* no peer left from the event before */
    it->type = WEFT_ITEM_EVENT;
    e->id = col64(ev, 0);
    e->pid = col64(ev, 1);
    e->thread = col64(ev, 2);
    e->ts = col64(ev, 3);
    e->kind = col64(ev, 4);
    e->object = col64(ev, 5);
    e->obj = col64(ev, 6);
    e->arg = col64(ev, 7);
    e->arg2 = col64(ev, 8);
    e->stack = col64(ev, 9);
    e->hb_obj = col64(ev, 10);
    e->has_acq = sqlite3_column_type(ev, 11) != SQLITE_NULL;
    e->acq = col64(ev, 11);
    e->has_rel = sqlite3_column_type(ev, 12) != SQLITE_NULL;
    e->rel = col64(ev, 12);
    if (e->kind == WEFT_K_THREAD_CREATE)
        e->peer = find_pair(s->creates, s->ncreates, e->thread, e->ts);
    else if ((e->kind == WEFT_K_JOIN_END || e->kind == WEFT_K_TRYJOIN) && e->arg == 0)
        e->peer = find_pair(s->joins, s->njoins, e->thread, e->ts);
}

/* The next case row (ordered by event, idx) as an item if it belongs to
 * event `id`: 1, 0 when the next case is a later event's, -1. A case of
 * an earlier event that has no row (none should be) is passed over. */
static int case_item(struct weft_db_source *s, int64_t id, struct weft_trace_item *it) {
    for (;;) {
        if (!s->case_row) {
            if (s->cases_done)
                return 0;
            int rc = sqlite3_step(s->cases);
            if (rc == SQLITE_DONE) {
                s->cases_done = 1;
                return 0;
            }
            if (rc != SQLITE_ROW)
                return -1;
            s->case_row = 1;
        }
        if (col64(s->cases, 0) > id)
            return 0;
        s->case_row = 0;
        if (col64(s->cases, 0) == id)
            break;
    }
    const unsigned char *op = sqlite3_column_text(s->cases, 2);
    it->type = WEFT_ITEM_CASE;
    it->u.sc = (struct weft_case_row){col64(s->cases, 0), col64(s->cases, 1), col64(s->cases, 3),
                                      op && !strcmp((const char *)op, "send") ? 1 : 2};
    return 1;
}

/* The statement of phase p, prepared when the phase begins. */
static int begin_phase(struct weft_db_source *s) {
    switch (s->phase) {
    case 1:
        return prepare(s->db,
                       "SELECT id, pid, tid, parent, created_ns, joined_by, joined_ns, "
                       "create_stack, exit_stack, arg, adopted, internal, exit_kind, "
                       "detached_ns IS NOT NULL, coalesce(start_function, "
                       "printf('0x%x', start_routine)), name, created_by FROM threads "
                       "ORDER BY id",
                       &s->threads);
    case 2:
        return prepare(s->db,
                       "SELECT id, pid, address, create_stack, destroy_stack, kind, info "
                       "FROM objects ORDER BY id",
                       &s->objects);
    case 3:
        return prepare(s->db,
                       "SELECT id, pid, thread, ts, kind, object, obj, arg, arg2, stack, "
                       "hb_obj, acq, rel FROM events ORDER BY id",
                       &s->events) ||
               prepare(s->db, "SELECT event, idx, op, object FROM select_cases ORDER BY event, idx",
                       &s->cases);
    }
    return 0;
}

static int fill(struct weft_db_source *s, struct weft_trace_item *it) {
    memset(it, 0, sizeof *it);
    for (;;) {
        int rc;
        switch (s->phase) {
        case 0:
            if (load_shape(s) != 0)
                return -1;
            it->type = WEFT_ITEM_SHAPE;
            it->u.shape = (struct weft_trace_shape){s->nthreads, s->nprocs, s->pids};
            s->phase = 1;
            return begin_phase(s) == 0 ? 1 : -1;
        case 1:
        case 2:
            rc = sqlite3_step(s->phase == 1 ? s->threads : s->objects);
            if (rc == SQLITE_ROW)
                return s->phase == 1 ? thread_item(s, it) : object_item(s, it);
            if (rc != SQLITE_DONE)
                return -1;
            s->phase++;
            if (begin_phase(s) != 0)
                return -1;
            continue;
        case 3:
            if (!s->has_held) {
                rc = sqlite3_step(s->events);
                if (rc == SQLITE_DONE) {
                    s->phase = 4;
                    return 0;
                }
                if (rc != SQLITE_ROW)
                    return -1;
                event_item(s, &s->held);
                s->has_held = 1;
            }
            rc = case_item(s, s->held.u.ev.id, it);
            if (rc != 0)
                return rc;
            *it = s->held;
            s->has_held = 0;
            return 1;
        default:
            return 0;
        }
    }
}

int weft_db_source_next(void *src, const struct weft_trace_item **it) {
    struct weft_db_source *s = src;
    *it = &s->item;
    return fill(s, &s->item);
}
