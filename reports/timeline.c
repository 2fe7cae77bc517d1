/* timeline.c: the timeline model (timeline.h): lanes, state intervals,
 * held locks, channel operations, instants, flows and channel lengths of
 * a trace database, read in one ordered pass over events (merged by time
 * with the findings).
 *
 * What it keeps while it reads, all of it live state: per thread, its
 * open blocking call and the locks it holds (an array indexed by
 * threads.id, one small record per thread); per channel not yet freed,
 * its capacity, length and close ticket; per ticket released on a
 * channel and not yet acquired, who released it. Tickets that nobody
 * acquires (a value never received, a receive's ticket no later send
 * needs, a partner folded into event_counts) would pile up, so the oldest
 * are forgotten beyond TICKETS_MAX (counted in stats.dropped_tickets). */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#include "tl_map.h"
#include "weft.h"

/* The most tickets remembered at once (a FIFO of their keys evicts). */
enum { TICKETS_MAX = 1 << 17 };

/* What an event kind means to the timeline. */
enum role {
    R_NONE,
    R_BEGIN,      /* begins a blocking call (kinds.blocking = 1) */
    R_END,        /* ends one (kinds.blocking = 2) */
    R_TRY_SEND,
    R_TRY_RECV,
    R_TRYLOCK,    /* mutex_trylock, rwlock_trylock */
    R_UNLOCK,     /* mutex_unlock, rwlock_unlock */
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
    int64_t a_thread, a_ts, a_event, a_from_ts, a_from_event, a_hb;
    int a_valid;
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

static const char *const state_names[WEFT_TL_NSTATES] = {
    [WEFT_TL_RUNNING] = "running",        [WEFT_TL_CHAN_SEND] = "chan send",
    [WEFT_TL_CHAN_RECV] = "chan recv",    [WEFT_TL_SELECT] = "select",
    [WEFT_TL_WG_WAIT] = "WaitGroup wait", [WEFT_TL_MUTEX_LOCK] = "mutex lock",
    [WEFT_TL_RWLOCK_RD] = "rwlock read",  [WEFT_TL_RWLOCK_WR] = "rwlock write",
    [WEFT_TL_COND_WAIT] = "cond wait",    [WEFT_TL_BARRIER] = "barrier wait",
    [WEFT_TL_SEM_WAIT] = "sem wait",      [WEFT_TL_JOIN] = "join",
    [WEFT_TL_GROUP_GO] = "group go",      [WEFT_TL_GROUP_WAIT] = "group wait",
    [WEFT_TL_WEFT_SEM] = "weft_sem acquire", [WEFT_TL_LIMITER] = "limiter wait",
    [WEFT_TL_FUTURE_GET] = "future get",  [WEFT_TL_FUTURE_FREE] = "future free",
};

const char *weft_tl_state_name(enum weft_tl_state s) {
    return (unsigned)s < WEFT_TL_NSTATES ? state_names[s] : "?";
}

/* The blocking calls by the stem of their begin/end kind names. */
static const struct {
    const char *stem;
    enum weft_tl_state state;
} calls[] = {
    {"chan_send", WEFT_TL_CHAN_SEND},     {"chan_recv", WEFT_TL_CHAN_RECV},
    {"select", WEFT_TL_SELECT},           {"wg_wait", WEFT_TL_WG_WAIT},
    {"mutex_lock", WEFT_TL_MUTEX_LOCK},   {"rwlock_rdlock", WEFT_TL_RWLOCK_RD},
    {"rwlock_wrlock", WEFT_TL_RWLOCK_WR}, {"cond_wait", WEFT_TL_COND_WAIT},
    {"barrier_wait", WEFT_TL_BARRIER},    {"sem_wait", WEFT_TL_SEM_WAIT},
    {"join", WEFT_TL_JOIN},               {"group_go", WEFT_TL_GROUP_GO},
    {"group_wait", WEFT_TL_GROUP_WAIT},   {"weft_sem_acquire", WEFT_TL_WEFT_SEM},
    {"limiter_wait", WEFT_TL_LIMITER},    {"future_get", WEFT_TL_FUTURE_GET},
    {"future_free", WEFT_TL_FUTURE_FREE},
};

static int call_state(const char *name) {
    size_t n = strlen(name);
    const char *suffix = n > 6 && !strcmp(name + n - 6, "_begin") ? "_begin" : "_end";
    size_t stem = n - strlen(suffix);
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        if (strlen(calls[i].stem) == stem && !strncmp(name, calls[i].stem, stem))
            return calls[i].state;
    return WEFT_TL_RUNNING;
}

static void classify(struct kind *k, int blocking) {
    static const struct {
        const char *name;
        enum role role;
        int side, lock;
    } named[] = {
        {"chan_try_send", R_TRY_SEND, SIDE_SEND, 0}, {"chan_try_recv", R_TRY_RECV, SIDE_RECV, 0},
        {"mutex_trylock", R_TRYLOCK, 0, 1},          {"rwlock_trylock", R_TRYLOCK, 0, 2},
        {"mutex_unlock", R_UNLOCK, 0, 0},            {"rwlock_unlock", R_UNLOCK, 0, 0},
        {"hb_release", R_HB_REL, 0, 0},              {"hb_acquire", R_HB_ACQ, 0, 0},
        {"chan_make", R_MAKE, 0, 0},                 {"chan_close", R_CLOSE, 0, 0},
        {"chan_free", R_FREE, 0, 0},                 {"deadlock", R_DEADLOCK, 0, 0},
        {"fatal_signal", R_FATAL, 0, 0},
    };
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (!strcmp(k->name, named[i].name)) {
            k->role = (unsigned char)named[i].role;
            k->side = (unsigned char)named[i].side;
            k->lock = (unsigned char)named[i].lock;
            return;
        }
    if (blocking == 1 || blocking == 2) {
        k->role = blocking == 1 ? R_BEGIN : R_END;
        k->state = (unsigned char)call_state(k->name);
        if (!strcmp(k->name, "chan_send_end"))
            k->side = SIDE_SEND;
        else if (!strcmp(k->name, "chan_recv_end"))
            k->side = SIDE_RECV;
        else if (!strcmp(k->name, "mutex_lock_end"))
            k->lock = 1;
        else if (!strcmp(k->name, "rwlock_rdlock_end"))
            k->lock = 2;
        else if (!strcmp(k->name, "rwlock_wrlock_end"))
            k->lock = 3;
    }
}

static sqlite3_stmt *prep(weft_tl *tl, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(tl->db, sql, -1, &st, NULL) != SQLITE_OK) {
        weft_err("report: %s: %s", tl->path, sqlite3_errmsg(tl->db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static int done(weft_tl *tl, sqlite3_stmt *st, int rc) {
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        weft_err("report: %s: %s", tl->path, sqlite3_errstr(rc));
        return -1;
    }
    return 0;
}

static int64_t col64(sqlite3_stmt *st, int i) { return sqlite3_column_int64(st, i); }
static int isnull(sqlite3_stmt *st, int i) { return sqlite3_column_type(st, i) == SQLITE_NULL; }

static int load(weft_tl *tl) {
    sqlite3_stmt *st = prep(tl, "SELECT min(start_ns), max(end_ns) FROM processes");
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        tl->start = col64(st, 0);
        tl->end = isnull(st, 1) ? INT64_MAX : col64(st, 1);
        rc = SQLITE_DONE;
    }
    if (done(tl, st, rc) != 0)
        return -1;
    tl->from = tl->start + tl->opts.from_ns;
    tl->to = tl->opts.to_ns > 0 ? tl->start + tl->opts.to_ns : INT64_MAX;

    if (!(st = prep(tl, "SELECT id, name, blocking FROM kinds")))
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = col64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (id < 0 || id > 255 || !name)
            continue;
        struct kind *k = &tl->kinds[id];
        free(k->name);
        if (!(k->name = strdup(name))) {
            sqlite3_finalize(st);
            weft_err("out of memory");
            return -1;
        }
        classify(k, sqlite3_column_int(st, 2));
    }
    if (done(tl, st, rc) != 0)
        return -1;

    if (!(st = prep(tl, "SELECT coalesce(max(id), 0) FROM threads")))
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        tl->nthr = col64(st, 0) + 1;
        rc = SQLITE_DONE;
    }
    if (done(tl, st, rc) != 0)
        return -1;
    if (tl->nthr < 1 || tl->nthr > INT32_MAX || !(tl->thr = calloc((size_t)tl->nthr, sizeof *tl->thr))) {
        weft_err("report: %s: out of memory for %lld threads", tl->path, (long long)tl->nthr);
        return -1;
    }
    /* A lane runs from the thread's creation (its start, for main) to its
     * exit, or to its process's last record when it never exited. */
    if (!(st = prep(tl, "SELECT t.id, t.pid, coalesce(t.created_ns, t.started_ns, p.start_ns), "
                        "coalesce(t.exited_ns, p.end_ns) FROM threads t "
                        "LEFT JOIN processes p ON p.pid = t.pid")))
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = col64(st, 0);
        if (id <= 0 || id >= tl->nthr)
            continue;
        struct thr *t = &tl->thr[id];
        t->pid = col64(st, 1);
        t->begin = isnull(st, 2) ? tl->start : col64(st, 2);
        t->end = isnull(st, 3) ? tl->end : col64(st, 3);
        if (t->end < t->begin)
            t->end = t->begin;
    }
    return done(tl, st, rc);
}

weft_tl *weft_tl_open(sqlite3 *db, const char *path, const struct weft_tl_opts *opts) {
    weft_tl *tl = calloc(1, sizeof *tl);
    if (!tl) {
        weft_err("out of memory");
        return NULL;
    }
    tl->db = db;
    tl->path = path;
    if (opts)
        tl->opts = *opts;
    tl->chans = (struct weft__tl_map){NULL, sizeof(struct chan), 2, 0, 0};
    tl->tickets = (struct weft__tl_map){NULL, sizeof(struct ticket), 3, 0, 0};
    if (load(tl) != 0) {
        weft_tl_close(tl);
        return NULL;
    }
    return tl;
}

void weft_tl_close(weft_tl *tl) {
    if (!tl)
        return;
    for (int i = 0; i < 256; i++)
        free(tl->kinds[i].name);
    for (int64_t i = 0; tl->thr && i < tl->nthr; i++)
        free(tl->thr[i].held);
    free(tl->thr);
    free(tl->ring);
    weft__tl_map_free(&tl->chans);
    weft__tl_map_free(&tl->tickets);
    sqlite3_finalize(tl->cases);
    free(tl);
}

int64_t weft_tl_start(const weft_tl *tl) { return tl->start; }

void weft_tl_window(const weft_tl *tl, int64_t *from, int64_t *to) {
    *from = tl->from;
    *to = tl->to;
}

const struct weft_tl_stats *weft_tl_stats(const weft_tl *tl) { return &tl->st; }

/* ---- processes and lanes ---- */

int weft_tl_processes(weft_tl *tl, weft_tl_process_fn fn, void *ctx) {
    sqlite3_stmt *st = prep(tl, "SELECT pid, coalesce(parent_pid, 0), argv, exe, start_ns, "
                                "coalesce(end_ns, start_ns), "
                                "(SELECT count(*) FROM threads t WHERE t.pid = p.pid), finished, "
                                "complete FROM processes p ORDER BY start_ns, pid");
    if (!st)
        return -1;
    int rc, r = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct weft_tl_process p = {
            .pid = col64(st, 0),
            .parent_pid = col64(st, 1),
            .argv = (const char *)sqlite3_column_text(st, 2),
            .exe = (const char *)sqlite3_column_text(st, 3),
            .start_ns = col64(st, 4),
            .end_ns = col64(st, 5),
            .threads = col64(st, 6),
            .finished = sqlite3_column_int(st, 7),
            .complete = sqlite3_column_int(st, 8),
        };
        if ((r = fn(ctx, &p)) != 0)
            break;
    }
    if (r != 0) {
        sqlite3_finalize(st);
        return r;
    }
    return done(tl, st, rc);
}

int weft_tl_lanes(weft_tl *tl, weft_tl_lane_fn fn, void *ctx) {
    /* The OS tid is unique among the process's threads unless the kernel
     * reused it for a later one (a window count, not a subquery per row:
     * threads has no index on os_tid). */
    sqlite3_stmt *st = prep(
        tl, "SELECT t.id, t.pid, t.tid, coalesce(t.os_tid, 0), "
            "count(*) OVER (PARTITION BY t.pid, t.os_tid), t.name, t.start_function, "
            "t.created_by, coalesce(t.created_ns, 0), coalesce(t.started_ns, 0), "
            "coalesce(t.exited_ns, 0), t.internal, t.exit_kind "
            "FROM threads t LEFT JOIN processes p ON p.pid = t.pid "
            "ORDER BY p.start_ns, t.pid, t.tid");
    if (!st)
        return -1;
    int rc, r = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = col64(st, 0);
        struct weft_tl_lane l = {
            .id = id,
            .pid = col64(st, 1),
            .tid = col64(st, 2),
            .os_tid = col64(st, 3),
            .os_tid_unique = !isnull(st, 3) && col64(st, 3) > 0 && col64(st, 4) == 1,
            .name = (const char *)sqlite3_column_text(st, 5),
            .start_function = (const char *)sqlite3_column_text(st, 6),
            .created_by = (const char *)sqlite3_column_text(st, 7),
            .created_ns = col64(st, 8),
            .started_ns = col64(st, 9),
            .exited_ns = col64(st, 10),
            .internal = sqlite3_column_int(st, 11),
            .exit_kind = (const char *)sqlite3_column_text(st, 12),
            .main = col64(st, 2) == 1,
        };
        if (id > 0 && id < tl->nthr) {
            l.begin = tl->thr[id].begin;
            l.end = tl->thr[id].end;
        }
        if ((r = fn(ctx, &l)) != 0)
            break;
    }
    if (r != 0) {
        sqlite3_finalize(st);
        return r;
    }
    return done(tl, st, rc);
}

/* ---- emitting ---- */

static struct thr *thr_of(weft_tl *tl, int64_t id) {
    return id > 0 && id < tl->nthr ? &tl->thr[id] : NULL;
}

/* Keeps t inside the thread's lane (a record written after the thread's
 * exit record, e.g. by a TLS destructor, is drawn at its exit). */
static int64_t clamp(weft_tl *tl, int64_t thread, int64_t t, int *flags) {
    struct thr *th = thr_of(tl, thread);
    if (!th)
        return t;
    if (t < th->begin) {
        *flags |= WEFT_TL_CLIPPED;
        return th->begin;
    }
    if (t > th->end) {
        *flags |= WEFT_TL_CLIPPED;
        return th->end;
    }
    return t;
}

/* Emits it unless it lies outside the window or the cap is reached. The
 * window selects, it does not cut: an interval that overlaps it is given
 * whole, so that intervals stay nested as they were. */
static void emit(weft_tl *tl, struct weft_tl_item *it) {
    if (tl->stop)
        return;
    if (it->kind == WEFT_TL_FLOW) {
        it->ts = clamp(tl, it->thread, it->ts, &it->flags);
        it->end = clamp(tl, it->to_thread, it->end, &it->flags);
    } else if (it->thread) {
        it->ts = clamp(tl, it->thread, it->ts, &it->flags);
        it->end = clamp(tl, it->thread, it->end, &it->flags);
    }
    if (it->end < it->ts)
        it->end = it->ts;
    int inside = it->kind == WEFT_TL_FLOW
                     ? it->ts >= tl->from && it->end <= tl->to
                     : it->end >= tl->from && it->ts <= tl->to;
    if (!inside) {
        tl->st.outside[it->kind]++;
        return;
    }
    if (tl->opts.max_items && tl->total >= tl->opts.max_items) {
        if (!tl->st.cap_ts)
            tl->st.cap_ts = it->end;
        tl->st.capped[it->kind]++;
        return;
    }
    if (it->kind == WEFT_TL_FLOW)
        it->flow_id = ++tl->flow_ids;
    tl->total++;
    tl->st.emitted[it->kind]++;
    int r = tl->fn(tl->ctx, it);
    if (r != 0)
        tl->stop = r;
}

/* ---- channels and tickets ---- */

static struct chan *chan_get(weft_tl *tl, int64_t pid, int64_t addr, int create) {
    uint64_t key[2] = {(uint64_t)pid, (uint64_t)addr};
    struct chan *c = weft__tl_map_get(&tl->chans, key, 0);
    if (!c && create && (c = weft__tl_map_get(&tl->chans, key, 1)))
        c->cap = -1;
    return c;
}

static void ticket_forget_oldest(weft_tl *tl) {
    struct ring_slot *r = &tl->ring[tl->ring_head];
    tl->ring_head = (tl->ring_head + 1) % TICKETS_MAX;
    tl->ring_n--;
    uint64_t key[3] = {r->pid, r->hb, r->tk};
    struct ticket *t = weft__tl_map_get(&tl->tickets, key, 0);
    if (t && t->seq == r->seq) {
        weft__tl_map_remove(&tl->tickets, key);
        tl->st.dropped_tickets++;
    }
}

static void ticket_put(weft_tl *tl, int64_t pid, int64_t hb, int64_t tk, int64_t thread,
                       int64_t ts, int64_t event) {
    if (!pid || !hb)
        return;
    if (!tl->ring && !(tl->ring = calloc(TICKETS_MAX, sizeof *tl->ring)))
        return;
    if (tl->ring_n == TICKETS_MAX)
        ticket_forget_oldest(tl);
    uint64_t key[3] = {(uint64_t)pid, (uint64_t)hb, (uint64_t)tk};
    struct ticket *t = weft__tl_map_get(&tl->tickets, key, 1);
    if (!t)
        return;
    t->thread = thread;
    t->ts = ts;
    t->event = event;
    t->seq = ++tl->seq;
    struct ring_slot *r = &tl->ring[(tl->ring_head + tl->ring_n++) % TICKETS_MAX];
    *r = (struct ring_slot){key[0], key[1], key[2], t->seq};
}

/* Takes the ticket out; 1 with *out when it was there. */
static int ticket_take(weft_tl *tl, int64_t pid, int64_t hb, int64_t tk, struct ticket *out) {
    uint64_t key[3] = {(uint64_t)pid, (uint64_t)hb, (uint64_t)tk};
    struct ticket *t = weft__tl_map_get(&tl->tickets, key, 0);
    if (!t)
        return 0;
    *out = *t;
    weft__tl_map_remove(&tl->tickets, key);
    return 1;
}

/* The side of the case a select ran (select_cases of its begin, or of
 * its end when it did not wait). */
static int select_side(weft_tl *tl, int64_t cases_event, int64_t idx) {
    if (idx < 0)
        return SIDE_NONE;
    if (!tl->cases &&
        !(tl->cases = prep(tl, "SELECT op FROM select_cases WHERE event = ? AND idx = ?")))
        return SIDE_NONE;
    sqlite3_reset(tl->cases);
    sqlite3_bind_int64(tl->cases, 1, cases_event);
    sqlite3_bind_int64(tl->cases, 2, idx);
    int side = SIDE_NONE;
    if (sqlite3_step(tl->cases) == SQLITE_ROW) {
        const char *op = (const char *)sqlite3_column_text(tl->cases, 0);
        side = op && !strcmp(op, "send") ? SIDE_SEND : op && !strcmp(op, "recv") ? SIDE_RECV
                                                                                 : SIDE_NONE;
    }
    sqlite3_reset(tl->cases);
    return side;
}

/* One events row, as read. */
struct row {
    int64_t id, pid, thread, ts, kind, object, obj, arg, arg2, hb, acq, rel, begin_ts;
    int has_acq, has_rel, has_begin;
};

/* The tickets and the length of a channel operation that completed:
 * first what it acquired (a receive: the flow from the send that fed
 * it), then what it released (a send: the ticket its receive will
 * acquire). */
static void chan_op(weft_tl *tl, struct thr *th, const struct row *e, int side,
                    int64_t cap_hint) {
    struct chan *c = e->obj ? chan_get(tl, e->pid, e->obj, 1) : NULL;
    int64_t cap = c ? c->cap : cap_hint;
    if (!tl->hb_off_known && e->hb && e->obj) {
        tl->hb_off = e->hb - e->obj;
        tl->hb_off_known = 1;
    }
    if (th->a_valid) {
        /* acquired inside the call (or its try before), at a_ts, on this
         * channel */
        th->a_valid = 0;
        int same = !tl->hb_off_known || !e->obj || th->a_hb == e->obj + tl->hb_off;
        if (side == SIDE_RECV && e->arg == 0 && same && (!c || !c->made_ts || th->a_from_ts >= c->made_ts)) {
            struct weft_tl_item it = {
                .kind = WEFT_TL_FLOW, .pid = e->pid, .thread = th->a_thread, .ts = th->a_from_ts,
                .end = th->a_ts, .to_thread = e->thread, .from_event = th->a_from_event,
                .event = th->a_event, .object = e->object, .addr = e->obj, .cap = cap,
                .what = "chan",
            };
            emit(tl, &it);
        }
    }
    if (e->has_acq && e->hb) {
        struct ticket t;
        if (ticket_take(tl, e->pid, e->hb, e->acq, &t)) {
            if (side == SIDE_RECV && e->arg == 0 && (!c || !c->made_ts || t.ts >= c->made_ts)) {
                struct weft_tl_item it = {
                    .kind = WEFT_TL_FLOW, .pid = e->pid, .thread = t.thread, .ts = t.ts,
                    .end = e->ts, .to_thread = e->thread, .from_event = t.event,
                    .event = e->id, .object = e->object, .addr = e->obj, .cap = cap,
                    .what = "chan",
                };
                emit(tl, &it);
            }
        } else if (side == SIDE_RECV && e->arg == 0 && (!c || c->close_tk != e->acq)) {
            tl->st.unmatched_acquires++;
        }
    }
    if (e->has_rel && e->hb)
        ticket_put(tl, e->pid, e->hb, e->rel, e->thread, e->ts, e->id);
    /* The length moves with each value that passes (sends minus
     * receives): whole only when every operation has its row. */
    if (c && e->arg == 0 && side != SIDE_NONE) {
        c->len += side == SIDE_SEND ? 1 : -1;
        if (c->len < 0)
            c->len = 0;
        if (c->cap > 0 && c->len > c->cap)
            c->len = c->cap;
        if (c->cap > 0 && tl->st.all_events) {
            struct weft_tl_item it = {.kind = WEFT_TL_COUNTER, .pid = e->pid, .ts = e->ts,
                                      .end = e->ts, .object = c->object ? c->object : e->object,
                                      .addr = e->obj, .value = c->len, .cap = c->cap,
                                      .what = "len"};
            emit(tl, &it);
        }
    }
}

/* ---- locks held ---- */

static void hold(weft_tl *tl, struct thr *th, const struct row *e, int lock) {
    for (int i = 0; i < th->nheld; i++)
        if (th->held[i].addr == e->obj) {
            th->held[i].count++; /* a recursive mutex, or a second read lock */
            return;
        }
    if (th->nheld == th->capheld) {
        int n = th->capheld ? th->capheld * 2 : 4;
        struct hold *h = realloc(th->held, (size_t)n * sizeof *h);
        if (!h)
            return;
        th->held = h;
        th->capheld = n;
    }
    th->held[th->nheld++] = (struct hold){e->obj, e->object, e->ts, e->id, 1, lock};
    (void)tl;
}

static const char *lock_name(int lock) {
    return lock == 1 ? "mutex" : lock == 2 ? "rwlock_rd" : "rwlock_wr";
}

static void emit_hold(weft_tl *tl, int64_t thread, struct thr *th, int i, int64_t end,
                      int64_t event, int flags) {
    struct hold *h = &th->held[i];
    if (i != th->nheld - 1)
        flags |= WEFT_TL_CROSSED;
    struct weft_tl_item it = {.kind = WEFT_TL_HELD, .flags = flags, .pid = th->pid,
                              .thread = thread, .ts = h->ts, .end = end, .object = h->object,
                              .addr = h->addr, .what = lock_name(h->lock), .event = event,
                              .cap = -1};
    emit(tl, &it);
    memmove(&th->held[i], &th->held[i + 1], (size_t)(th->nheld - i - 1) * sizeof *h);
    th->nheld--;
}

static void unhold(weft_tl *tl, struct thr *th, const struct row *e) {
    for (int i = th->nheld - 1; i >= 0; i--)
        if (th->held[i].addr == e->obj) {
            if (--th->held[i].count == 0)
                emit_hold(tl, e->thread, th, i, e->ts, e->id, 0);
            return;
        }
}

/* ---- the walk ---- */

static void emit_state(weft_tl *tl, const struct row *e, int state, int64_t from, int flags,
                       const char *what) {
    struct weft_tl_item it = {.kind = WEFT_TL_STATE, .flags = flags, .pid = e->pid,
                              .thread = e->thread, .ts = from, .end = e->ts,
                              .state = (enum weft_tl_state)state, .object = e->object,
                              .addr = e->obj, .what = what, .event = e->id, .result = e->arg,
                              .cap = -1};
    emit(tl, &it);
}

static void instant(weft_tl *tl, const struct row *e, const char *what) {
    struct weft_tl_item it = {.kind = WEFT_TL_INSTANT, .pid = e->pid, .thread = e->thread,
                              .ts = e->ts, .end = e->ts, .object = e->object, .addr = e->obj,
                              .what = what, .event = e->id, .result = e->arg, .cap = -1};
    emit(tl, &it);
}

static void on_event(weft_tl *tl, const struct row *e) {
    struct kind *k = &tl->kinds[e->kind & 255];
    struct thr *th = thr_of(tl, e->thread);
    if (!th)
        return;
    switch (k->role) {
    case R_BEGIN:
        if (th->s_state) { /* a begin whose end we never saw: it lasted until this one */
            struct row prev = {.id = th->s_event, .pid = e->pid, .thread = e->thread,
                               .ts = e->ts, .object = th->s_object, .obj = th->s_addr};
            emit_state(tl, &prev, th->s_state, th->s_ts, WEFT_TL_NO_END,
                       tl->kinds[th->s_kind & 255].name);
        }
        th->s_state = k->state; /* 0 for a begin we do not draw */
        th->a_valid = 0;
        th->s_ts = e->ts;
        th->s_object = e->object;
        th->s_addr = e->obj;
        th->s_event = e->id;
        th->s_kind = (int)e->kind;
        break;
    case R_END: {
        int64_t from = -1;
        int begin_event = 0;
        if (th->s_state && th->s_state == k->state) {
            from = th->s_ts;
            begin_event = 1;
        } else if (e->has_begin) {
            from = e->begin_ts;
        }
        int64_t cases_event = begin_event ? th->s_event : e->id;
        th->s_state = 0;
        int side = k->side;
        int chan = side != SIDE_NONE || k->state == WEFT_TL_SELECT;
        if (k->state == WEFT_TL_SELECT)
            side = select_side(tl, cases_event, e->arg);
        int flags = e->arg < 0 && !(k->state == WEFT_TL_SELECT && e->arg == -11) ? WEFT_TL_FAILED : 0;
        if (k->state == WEFT_TL_SELECT && e->arg >= 0 && e->arg2 < 0)
            flags |= WEFT_TL_FAILED;
        if (from >= 0) {
            emit_state(tl, e, k->state, from, flags | (chan ? WEFT_TL_WAITED : 0), k->name);
        } else if (chan && !(k->state == WEFT_TL_SELECT && e->arg == -11)) {
            /* (a select that found nothing ready is not drawn, like a try) */
            struct weft_tl_item it = {.kind = WEFT_TL_OP, .flags = flags, .pid = e->pid,
                                      .thread = e->thread, .ts = e->ts, .end = e->ts,
                                      .object = e->object, .addr = e->obj, .what = k->name,
                                      .event = e->id, .result = e->arg, .cap = -1};
            struct chan *c = e->obj ? chan_get(tl, e->pid, e->obj, 0) : NULL;
            if (c)
                it.cap = c->cap;
            emit(tl, &it);
        }
        if (chan) {
            struct row r = *e;
            if (k->state == WEFT_TL_SELECT)
                r.arg = e->arg >= 0 ? e->arg2 : e->arg; /* the case's result */
            chan_op(tl, th, &r, side, -1);
        }
        if (k->lock && e->arg == 0)
            hold(tl, th, e, k->lock);
        break;
    }
    case R_TRY_SEND:
    case R_TRY_RECV: {
        struct weft_tl_item it = {.kind = WEFT_TL_OP, .flags = e->arg < 0 && e->arg != -11 ? WEFT_TL_FAILED : 0,
                                  .pid = e->pid, .thread = e->thread, .ts = e->ts, .end = e->ts,
                                  .object = e->object, .addr = e->obj, .what = k->name,
                                  .event = e->id, .result = e->arg, .cap = -1};
        /* A try that found nothing (-11) is not drawn: polling loops
         * would bury the timeline. */
        if (e->arg != -11)
            emit(tl, &it);
        chan_op(tl, th, e, k->side, -1);
        break;
    }
    case R_TRYLOCK:
        if (e->arg == 0)
            hold(tl, th, e, k->lock == 2 && e->arg2 == 1 ? 3 : k->lock);
        break;
    case R_UNLOCK:
        unhold(tl, th, e);
        break;
    case R_HB_REL:
    case R_HB_ACQ: {
        /* Inside a channel call that waits, libweft's annotations are rows
         * of their own: a release (it queued itself and sleeps, or it
         * served a waiting partner) is the ticket its partner acquires; an
         * acquire (on the row's hb_obj/acq, or an hb_acquire row) is the
         * partner's ticket, a flow if the call turns out a receive. */
        /* They also come just before an end without a begin: a select's
         * (or send's, receive's) first try, which did not wait. So every
         * release is remembered (one of another libweft object is never
         * acquired by a channel's receive), and an acquire waits for the
         * thread's next channel end, on the same channel. */
        int64_t ahb = k->role == R_HB_ACQ ? e->obj : e->hb;
        int64_t atk = k->role == R_HB_ACQ ? e->arg : e->acq;
        struct ticket t;
        if (!tl->hb_off_known && k->role == R_HB_REL && th->s_addr &&
            (th->s_state == WEFT_TL_CHAN_SEND || th->s_state == WEFT_TL_CHAN_RECV)) {
            tl->hb_off = e->obj - th->s_addr;
            tl->hb_off_known = 1;
        }
        if ((k->role == R_HB_ACQ || e->has_acq) && ahb && ticket_take(tl, e->pid, ahb, atk, &t)) {
            th->a_valid = 1;
            th->a_hb = ahb;
            th->a_thread = t.thread;
            th->a_from_ts = t.ts;
            th->a_from_event = t.event;
            th->a_ts = e->ts;
            th->a_event = e->id;
        }
        if (k->role == R_HB_REL)
            ticket_put(tl, e->pid, e->obj, e->arg, e->thread, e->ts, e->id);
        break;
    }
    case R_MAKE: {
        struct chan *c = chan_get(tl, e->pid, e->obj, 1);
        if (c) {
            c->cap = e->arg2;
            c->len = 0;
            c->made_ts = e->ts;
            c->close_tk = 0;
            c->object = e->object;
        }
        break;
    }
    case R_CLOSE: {
        struct chan *c = chan_get(tl, e->pid, e->obj, 1);
        if (c && e->arg == 0 && e->has_rel)
            c->close_tk = e->rel;
        instant(tl, e, e->arg == 0 ? "close" : e->arg == -32 ? "double close" : "close failed");
        break;
    }
    case R_FREE: {
        uint64_t key[2] = {(uint64_t)e->pid, (uint64_t)e->obj};
        weft__tl_map_remove(&tl->chans, key);
        break;
    }
    case R_DEADLOCK:
        instant(tl, e, "deadlock");
        break;
    case R_FATAL:
        instant(tl, e, "fatal signal");
        break;
    default:
        break;
    }
}

/* The findings, ordered by when they happened (NULL ts: the process's end). */
static sqlite3_stmt *findings_cursor(weft_tl *tl) {
    return prep(tl, "SELECT f.id, coalesce(f.pid, 0), coalesce(f.thread, 0), "
                    "coalesce(f.object, 0), f.kind, f.severity, f.message, "
                    "coalesce(f.ts, p.end_ns, p.start_ns, 0) AS t FROM findings f "
                    "LEFT JOIN processes p ON p.pid = f.pid ORDER BY t, f.id");
}

static void finding(weft_tl *tl, sqlite3_stmt *f) {
    struct weft_tl_item it = {
        .kind = WEFT_TL_INSTANT, .pid = col64(f, 1), .thread = col64(f, 2), .object = col64(f, 3),
        .what = (const char *)sqlite3_column_text(f, 4),
        .severity = (const char *)sqlite3_column_text(f, 5),
        .detail = (const char *)sqlite3_column_text(f, 6), .ts = col64(f, 7), .end = col64(f, 7),
        .event = col64(f, 0), .cap = -1,
    };
    if (!it.ts)
        it.ts = it.end = tl->end != INT64_MAX ? tl->end : tl->start;
    if (!thr_of(tl, it.thread))
        it.thread = 0;
    if (!it.what)
        it.what = "finding";
    emit(tl, &it);
}

static int meta_all_events(weft_tl *tl) {
    sqlite3_stmt *st = prep(tl, "SELECT value FROM meta WHERE key = 'all_events'");
    int v = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int weft_tl_walk(weft_tl *tl, weft_tl_item_fn fn, void *ctx) {
    if (tl->walked) {
        weft_err("report: %s: the timeline was walked already", tl->path);
        return -1;
    }
    tl->walked = 1;
    tl->fn = fn;
    tl->ctx = ctx;
    tl->st.all_events = meta_all_events(tl);
    sqlite3_stmt *ev = prep(tl, "SELECT id, pid, thread, ts, kind, coalesce(object, 0), "
                                "coalesce(obj, 0), coalesce(arg, 0), coalesce(arg2, 0), "
                                "coalesce(hb_obj, 0), acq, rel, begin_ts FROM events ORDER BY id");
    if (!ev)
        return -1;
    sqlite3_stmt *f = findings_cursor(tl);
    if (!f) {
        sqlite3_finalize(ev);
        return -1;
    }
    int frc = sqlite3_step(f), rc;
    while (!tl->stop && (rc = sqlite3_step(ev)) == SQLITE_ROW) {
        struct row e = {
            .id = col64(ev, 0), .pid = col64(ev, 1), .thread = col64(ev, 2), .ts = col64(ev, 3),
            .kind = col64(ev, 4), .object = col64(ev, 5), .obj = col64(ev, 6),
            .arg = col64(ev, 7), .arg2 = col64(ev, 8), .hb = col64(ev, 9),
            .acq = col64(ev, 10), .rel = col64(ev, 11), .begin_ts = col64(ev, 12),
            .has_acq = !isnull(ev, 10), .has_rel = !isnull(ev, 11), .has_begin = !isnull(ev, 12),
        };
        tl->st.events++;
        while (frc == SQLITE_ROW && col64(f, 7) <= e.ts && !tl->stop) {
            finding(tl, f);
            frc = sqlite3_step(f);
        }
        on_event(tl, &e);
    }
    if (tl->stop) {
        sqlite3_finalize(ev);
        sqlite3_finalize(f);
        return tl->stop;
    }
    if (done(tl, ev, rc) != 0) {
        sqlite3_finalize(f);
        return -1;
    }
    /* What never ended lasts to the end of its lane. */
    for (int64_t id = 1; id < tl->nthr && !tl->stop; id++) {
        struct thr *th = &tl->thr[id];
        if (th->s_state) {
            struct row r = {.id = th->s_event, .pid = th->pid, .thread = id, .ts = th->end,
                            .object = th->s_object, .obj = th->s_addr};
            emit_state(tl, &r, th->s_state, th->s_ts, WEFT_TL_NO_END,
                       tl->kinds[th->s_kind & 255].name);
            th->s_state = 0;
        }
        while (th->nheld > 0 && !tl->stop)
            emit_hold(tl, id, th, th->nheld - 1, th->end, th->held[th->nheld - 1].event,
                      WEFT_TL_NO_END);
    }
    while (frc == SQLITE_ROW && !tl->stop) {
        finding(tl, f);
        frc = sqlite3_step(f);
    }
    if (tl->stop) {
        sqlite3_finalize(f);
        return tl->stop;
    }
    return done(tl, f, frc);
}
