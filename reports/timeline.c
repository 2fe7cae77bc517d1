/* SPDX-License-Identifier: MIT */
/* timeline.c: the timeline model (timeline.h): opening a trace, its
 * processes and lanes, and the one ordered pass over events (merged by
 * time with the findings) that turns them into state intervals, held
 * locks, channel operations and instants, emitted through the window, the
 * cap and the per-thread totals. Channels (tickets, flows, lengths) are
 * tl_chan.c's, the meaning of each event kind tl_kinds.c's.
 *
 * What it keeps while it reads, all of it live state: per thread, its
 * open blocking call and the locks it holds (an array indexed by
 * threads.id, one small record per thread); per channel not yet freed,
 * its capacity, length and close ticket; per ticket released on a
 * channel and not yet acquired, who released it (at most TICKETS_MAX,
 * tl_chan.c). */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "tl_internal.h"
#include "weft.h"

sqlite3_stmt *weft__tl_prep(weft_tl *tl, const char *sql) {
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

static int64_t col64(sqlite3_stmt *st, int i) {
    return sqlite3_column_int64(st, i);
}
static int isnull(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL;
}

static int load(weft_tl *tl) {
    sqlite3_stmt *st = weft__tl_prep(tl, "SELECT min(start_ns), max(end_ns) FROM processes");
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        /* bounded as the reader bounds record times (WEFT_TS_MAX): the
         * window and every offset are differences of these */
        tl->start = weft_report_ts(col64(st, 0));
        tl->end = isnull(st, 1) ? (int64_t)WEFT_TS_MAX : weft_report_ts(col64(st, 1));
        rc = SQLITE_DONE;
    }
    if (done(tl, st, rc) != 0)
        return -1;
    tl->from = tl->start + tl->opts.from_ns;
    tl->to = tl->opts.to_ns > 0 ? tl->start + tl->opts.to_ns : INT64_MAX;

    if (!(st = weft__tl_prep(tl, "SELECT id, name, blocking FROM kinds")))
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
        weft__tl_classify(k, sqlite3_column_int(st, 2));
    }
    if (done(tl, st, rc) != 0)
        return -1;

    if (!(st = weft__tl_prep(tl, "SELECT coalesce(max(id), 0), min(id), count(*) FROM threads")))
        return -1;
    rc = sqlite3_step(st);
    int64_t lowest = 1, nrows = 0;
    if (rc == SQLITE_ROW) {
        tl->nthr = col64(st, 0) + 1;
        lowest = isnull(st, 1) ? 1 : col64(st, 1);
        nrows = col64(st, 2);
        rc = SQLITE_DONE;
    }
    if (done(tl, st, rc) != 0)
        return -1;
    /* Thread ids index an array (weft_report_thread_id_ok). */
    if (nrows && (!weft_report_thread_id_ok(lowest, nrows) ||
                  !weft_report_thread_id_ok(tl->nthr - 1, nrows))) {
        weft_err("report: %s: damaged trace (thread ids %lld..%lld for %lld threads)", tl->path,
                 (long long)lowest, (long long)tl->nthr - 1, (long long)nrows);
        return -1;
    }
    if (tl->nthr < 1 || tl->nthr > INT32_MAX ||
        !(tl->thr = calloc((size_t)tl->nthr, sizeof *tl->thr))) {
        weft_err("report: %s: out of memory for %lld threads", tl->path, (long long)tl->nthr);
        return -1;
    }
    /* A lane runs from the thread's creation to its exit, or to its
     * process's last record when it never exited. The new thread may
     * record its start (and more) before its creator records the
     * creation: the earlier of the two. A thread we did not see created
     * (main) from its process's start. */
    if (!(st = weft__tl_prep(
              tl, "SELECT t.id, t.pid, "
                  "min(coalesce(t.created_ns, t.started_ns, p.start_ns), "
                  "coalesce(t.started_ns, t.created_ns, p.start_ns), "
                  "CASE WHEN t.adopted THEN coalesce(p.start_ns, t.started_ns, "
                  "t.created_ns) ELSE coalesce(t.created_ns, t.started_ns, p.start_ns) END), "
                  "coalesce(t.exited_ns, p.end_ns) FROM threads t "
                  "LEFT JOIN processes p ON p.pid = t.pid")))
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = col64(st, 0);
        if (id <= 0 || id >= tl->nthr)
            continue;
        struct thr *t = &tl->thr[id];
        t->pid = col64(st, 1);
        t->begin = isnull(st, 2) ? tl->start : weft_report_ts(col64(st, 2));
        t->end = isnull(st, 3) ? tl->end : weft_report_ts(col64(st, 3));
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

int64_t weft_tl_start(const weft_tl *tl) {
    return tl->start;
}

void weft_tl_window(const weft_tl *tl, int64_t *from, int64_t *to) {
    *from = tl->from;
    *to = tl->to;
}

const struct weft_tl_stats *weft_tl_stats(const weft_tl *tl) {
    return &tl->st;
}

/* ---- processes and lanes ---- */

int weft_tl_processes(weft_tl *tl, weft_tl_process_fn fn, void *ctx) {
    sqlite3_stmt *st =
        weft__tl_prep(tl, "SELECT pid, coalesce(parent_pid, 0), argv, exe, start_ns, "
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
    sqlite3_stmt *st =
        weft__tl_prep(tl, "SELECT t.id, t.pid, t.tid, coalesce(t.os_tid, 0), "
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

struct thr *weft__tl_thr(weft_tl *tl, int64_t id) {
    return id > 0 && id < tl->nthr ? &tl->thr[id] : NULL;
}

/* Keeps t inside the thread's lane (a record written after the thread's
 * exit record, e.g. by a TLS destructor, is drawn at its exit). */
static int64_t clamp(weft_tl *tl, int64_t thread, int64_t t, int *flags) {
    struct thr *th = weft__tl_thr(tl, thread);
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

/* The part of [a, b] inside the window, in ns. */
static int64_t in_window(const weft_tl *tl, int64_t a, int64_t b) {
    if (a < tl->from)
        a = tl->from;
    if (b > tl->to)
        b = tl->to;
    return b > a ? b - a : 0;
}

/* Adds an item inside the window to its thread's totals. */
static void tally(weft_tl *tl, const struct weft_tl_item *it) {
    struct thr *th = weft__tl_thr(tl, it->thread);
    switch (it->kind) {
    case WEFT_TL_STATE:
        if (th && (unsigned)it->state < WEFT_TL_NSTATES)
            th->tot.blocked_ns[it->state] += in_window(tl, it->ts, it->end);
        break;
    case WEFT_TL_HELD:
        if (th)
            th->tot.held_ns += in_window(tl, it->ts, it->end);
        break;
    case WEFT_TL_OP:
        if (th)
            th->tot.ops++;
        break;
    case WEFT_TL_INSTANT:
        if (th)
            th->tot.instants++;
        break;
    case WEFT_TL_FLOW: {
        struct thr *to = weft__tl_thr(tl, it->to_thread);
        if (th)
            th->tot.flows_out++;
        if (to)
            to->tot.flows_in++;
        break;
    }
    default:
        break;
    }
}

/* Emits it unless it lies outside the window or the cap is reached. The
 * window selects, it does not cut: an interval that overlaps it is given
 * whole, so that intervals stay nested as they were. */
void weft__tl_emit(weft_tl *tl, struct weft_tl_item *it) {
    if (tl->stop)
        return;
    /* A flow from a call still open (a sender that waits) takes two
     * places under the cap: its own and its sender's slice, emitted when
     * the call ends, so that no arrow is written without the slice it
     * starts in. */
    struct thr *from = it->kind == WEFT_TL_FLOW ? weft__tl_thr(tl, it->thread) : NULL;
    int need = from && from->s_state && from->s_ts <= it->ts ? 2 : 1;
    struct thr *own =
        it->kind == WEFT_TL_STATE || it->kind == WEFT_TL_OP ? weft__tl_thr(tl, it->thread) : NULL;
    int reserved = own && own->reserved;
    if (reserved)
        own->reserved = 0;
    if (it->kind == WEFT_TL_FLOW) {
        it->ts = clamp(tl, it->thread, it->ts, &it->flags);
        it->end = clamp(tl, it->to_thread, it->end, &it->flags);
    } else if (it->thread) {
        it->ts = clamp(tl, it->thread, it->ts, &it->flags);
        it->end = clamp(tl, it->thread, it->end, &it->flags);
    }
    if (it->end < it->ts)
        it->end = it->ts;
    int inside = it->kind == WEFT_TL_FLOW ? it->ts >= tl->from && it->end <= tl->to
                                          : it->end >= tl->from && it->ts <= tl->to;
    if (!inside) {
        tl->st.outside[it->kind]++;
        if (reserved)
            tl->total--;
        return;
    }
    tally(tl, it);
    if (!reserved && tl->opts.max_items && tl->total + (uint64_t)need > tl->opts.max_items) {
        if (!tl->st.cap_ts)
            tl->st.cap_ts = it->end;
        tl->st.capped[it->kind]++;
        return;
    }
    if (it->kind == WEFT_TL_FLOW)
        it->flow_id = ++tl->flow_ids;
    if (!reserved)
        tl->total += (uint64_t)need;
    if (need == 2)
        from->reserved = 1;
    tl->st.emitted[it->kind]++;
    int r = tl->fn(tl->ctx, it);
    if (r != 0)
        tl->stop = r;
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
    struct weft_tl_item it = {.kind = WEFT_TL_HELD,
                              .flags = flags,
                              .pid = th->pid,
                              .thread = thread,
                              .ts = h->ts,
                              .end = end,
                              .object = h->object,
                              .addr = h->addr,
                              .what = lock_name(h->lock),
                              .event = event,
                              .cap = -1};
    weft__tl_emit(tl, &it);
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

/* A channel operation that did not wait, as an item: its slice starts
 * just before its first try's annotations (first, when it had some), so
 * that arrows from them land inside it. cap -1: not looked up. */
static struct weft_tl_item op_item(const struct row *e, const struct kind *k, int flags,
                                   int64_t first) {
    return (struct weft_tl_item){.kind = WEFT_TL_OP,
                                 .flags = flags,
                                 .pid = e->pid,
                                 .thread = e->thread,
                                 .ts = first ? first - 1 : e->ts,
                                 .end = e->ts,
                                 .object = e->object,
                                 .addr = e->obj,
                                 .what = k->name,
                                 .event = e->id,
                                 .result = e->arg,
                                 .cap = -1};
}

static void emit_state(weft_tl *tl, const struct row *e, int state, int64_t from, int flags,
                       const char *what) {
    struct weft_tl_item it = {.kind = WEFT_TL_STATE,
                              .flags = flags,
                              .pid = e->pid,
                              .thread = e->thread,
                              .ts = from,
                              .end = e->ts,
                              .state = (enum weft_tl_state)state,
                              .object = e->object,
                              .addr = e->obj,
                              .what = what,
                              .event = e->id,
                              .result = e->arg,
                              .cap = -1};
    weft__tl_emit(tl, &it);
}

static void instant(weft_tl *tl, const struct row *e, const char *what) {
    struct weft_tl_item it = {.kind = WEFT_TL_INSTANT,
                              .pid = e->pid,
                              .thread = e->thread,
                              .ts = e->ts,
                              .end = e->ts,
                              .object = e->object,
                              .addr = e->obj,
                              .what = what,
                              .event = e->id,
                              .result = e->arg,
                              .cap = -1};
    weft__tl_emit(tl, &it);
}

static void on_event(weft_tl *tl, const struct row *e) {
    struct kind *k = &tl->kinds[e->kind & 255];
    struct thr *th = weft__tl_thr(tl, e->thread);
    if (!th)
        return;
    /* A channel call's annotation rows can come before its begin or its
     * end row (its first try): its slice starts just before the first of
     * them, so that the arrows they carry start and end inside it. Any
     * other row of the thread means they belonged to something else. */
    int hbrow = k->role == R_HB_REL || k->role == R_HB_ACQ;
    int64_t first = th->t_first;
    if (!hbrow) {
        th->t_first = 0;
        if (k->role != R_BEGIN && k->role != R_END && k->role != R_TRY_SEND &&
            k->role != R_TRY_RECV)
            th->a_valid = 0;
    }
    switch (k->role) {
    case R_BEGIN:
        if (th->s_state) { /* a begin whose end we never saw: it lasted until this one */
            struct row prev = {.id = th->s_event,
                               .pid = e->pid,
                               .thread = e->thread,
                               .ts = e->ts,
                               .object = th->s_object,
                               .obj = th->s_addr};
            emit_state(tl, &prev, th->s_state, th->s_ts, WEFT_TL_NO_END,
                       tl->kinds[th->s_kind & 255].name);
        }
        th->s_state = k->state; /* 0 for a begin we do not draw */
        th->s_ts = e->ts;
        if (first && (k->state == WEFT_TL_CHAN_SEND || k->state == WEFT_TL_CHAN_RECV ||
                      k->state == WEFT_TL_SELECT))
            th->s_ts = first - 1;
        else
            th->a_valid = 0;
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
            side = weft__tl_select_side(tl, cases_event, e->arg);
        int flags =
            e->arg < 0 && !(k->state == WEFT_TL_SELECT && e->arg == -11) ? WEFT_TL_FAILED : 0;
        if (k->state == WEFT_TL_SELECT && e->arg >= 0 && e->arg2 < 0)
            flags |= WEFT_TL_FAILED;
        if (from >= 0) {
            emit_state(tl, e, k->state, from, flags | (chan ? WEFT_TL_WAITED : 0), k->name);
        } else if (chan && !(k->state == WEFT_TL_SELECT && e->arg == -11)) {
            /* (a select that found nothing ready is not drawn, like a try) */
            struct weft_tl_item it = op_item(e, k, flags, first);
            struct chan *c = e->obj ? weft__tl_chan_get(tl, e->pid, e->obj, 0) : NULL;
            if (c)
                it.cap = c->cap;
            weft__tl_emit(tl, &it);
        }
        if (chan) {
            struct row r = *e;
            if (k->state == WEFT_TL_SELECT)
                r.arg = e->arg >= 0 ? e->arg2 : e->arg; /* the case's result */
            weft__tl_chan_op(tl, th, &r, side, -1);
        }
        if (k->lock && e->arg == 0)
            hold(tl, th, e, k->lock);
        break;
    }
    case R_TRY_SEND:
    case R_TRY_RECV: {
        struct weft_tl_item it =
            op_item(e, k, e->arg < 0 && e->arg != -11 ? WEFT_TL_FAILED : 0, first);
        /* A try that found nothing (-11) is not drawn: polling loops
         * would bury the timeline. */
        if (e->arg != -11)
            weft__tl_emit(tl, &it);
        weft__tl_chan_op(tl, th, e, k->side, -1);
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
        if (!th->s_state && !th->t_first)
            th->t_first = e->ts;
        int64_t ahb = k->role == R_HB_ACQ ? e->obj : e->hb;
        int64_t atk = k->role == R_HB_ACQ ? e->arg : e->acq;
        struct ticket t;
        if (!tl->hb_off_known && k->role == R_HB_REL && th->s_addr &&
            (th->s_state == WEFT_TL_CHAN_SEND || th->s_state == WEFT_TL_CHAN_RECV)) {
            tl->hb_off = e->obj - th->s_addr;
            tl->hb_off_known = 1;
        }
        if ((k->role == R_HB_ACQ || e->has_acq) && ahb &&
            weft__tl_ticket_take(tl, e->pid, ahb, atk, &t)) {
            th->a_valid = 1;
            th->a_hb = ahb;
            th->a_thread = t.thread;
            th->a_from_ts = t.ts;
            th->a_from_event = t.event;
            th->a_hbrow = t.hbrow;
            th->a_ts = e->ts;
            th->a_event = e->id;
        }
        if (k->role == R_HB_REL)
            weft__tl_ticket_put(tl, e->pid, e->obj, e->arg, e->thread, e->ts, e->id, 1);
        break;
    }
    case R_MAKE: {
        struct chan *c = weft__tl_chan_get(tl, e->pid, e->obj, 1);
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
        struct chan *c = weft__tl_chan_get(tl, e->pid, e->obj, 1);
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

/* The findings, ordered by when they happened (NULL ts: the process's end);
 * one of several threads (findings.count) says which in its message. */
static sqlite3_stmt *findings_cursor(weft_tl *tl) {
    return weft__tl_prep(tl, "SELECT f.id, coalesce(f.pid, 0), coalesce(f.thread, 0), "
                             "coalesce(f.object, 0), f.kind, f.severity, "
                             "f.message || coalesce(' (' || f.detail || ')', ''), "
                             "coalesce(f.ts, p.end_ns, p.start_ns, 0) AS t FROM findings f "
                             "LEFT JOIN processes p ON p.pid = f.pid ORDER BY t, f.id");
}

static void finding(weft_tl *tl, sqlite3_stmt *f) {
    struct weft_tl_item it = {
        .kind = WEFT_TL_INSTANT,
        .pid = col64(f, 1),
        .thread = col64(f, 2),
        .object = col64(f, 3),
        .what = (const char *)sqlite3_column_text(f, 4),
        .severity = (const char *)sqlite3_column_text(f, 5),
        .detail = (const char *)sqlite3_column_text(f, 6),
        .ts = col64(f, 7),
        .end = col64(f, 7),
        .event = col64(f, 0),
        .cap = -1,
    };
    if (!it.ts)
        it.ts = it.end = tl->end != INT64_MAX ? tl->end : tl->start;
    if (!weft__tl_thr(tl, it.thread))
        it.thread = 0;
    if (!it.what)
        it.what = "finding";
    weft__tl_emit(tl, &it);
}

static int meta_all_events(weft_tl *tl) {
    sqlite3_stmt *st = weft__tl_prep(tl, "SELECT value FROM meta WHERE key = 'all_events'");
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
    sqlite3_stmt *ev =
        weft__tl_prep(tl, "SELECT id, pid, thread, ts, kind, coalesce(object, 0), "
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
            .id = col64(ev, 0),
            .pid = col64(ev, 1),
            .thread = col64(ev, 2),
            .ts = col64(ev, 3),
            .kind = col64(ev, 4),
            .object = col64(ev, 5),
            .obj = col64(ev, 6),
            .arg = col64(ev, 7),
            .arg2 = col64(ev, 8),
            .hb = col64(ev, 9),
            .acq = col64(ev, 10),
            .rel = col64(ev, 11),
            .begin_ts = col64(ev, 12),
            .has_acq = !isnull(ev, 10),
            .has_rel = !isnull(ev, 11),
            .has_begin = !isnull(ev, 12),
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
            struct row r = {.id = th->s_event,
                            .pid = th->pid,
                            .thread = id,
                            .ts = th->end,
                            .object = th->s_object,
                            .obj = th->s_addr};
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

const struct weft_tl_totals *weft_tl_totals(const weft_tl *tl, int64_t thread) {
    if (thread <= 0 || thread >= tl->nthr)
        return NULL;
    struct thr *th = &tl->thr[thread];
    th->tot.lane_ns = in_window(tl, th->begin, th->end);
    return &th->tot;
}
