/* SPDX-License-Identifier: MIT */
/* html_data.c: the HTML report's views of the threads: the timeline (a
 * lane per thread, its blocking calls as state bars, closes and findings
 * as markers, sends to the receives they fed as arrows), drawn from one
 * walk of reports/timeline.h's model per trace, and the per-thread table
 * (running and blocked time). A page must stay small for a trace of
 * millions of events, so everything is bounded as it is read: a lane's
 * calls closer than its resolution are merged into one bar that keeps the
 * share of time blocked, arrows are a uniform sample, markers and lanes
 * are capped; each cut is said on the page (notes). Memory is bounded by
 * the output, never by the number of events. Also the helpers the
 * report's queries share (html.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "log.h"
#include "report.h"
#include "timeline.h"
#include "weft.h"

/* Bounds of one page (the whole report, over every trace). */
enum {
    MAX_LANES = 2000,
    IV_BUDGET = 40000, /* state bars in all */
    MAX_IV = 60000,
    MAX_CLOSES = 3000,
    MAX_FINDING_MARKS = 3000,
    MAX_FLOWS = 2000,
};

void weft__html_note(struct weft__html_notes *n, const char *fmt, ...) {
    if (n->n >= (int)(sizeof n->s / sizeof *n->s))
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&n->s[n->n], fmt, ap) >= 0)
        n->n++;
    va_end(ap);
}

/* The states a lane is drawn in; the page's legend has the same order. */
static const char *const states[] = {"send", "recv", "select", "wg",      "lock",
                                     "cond", "join", "sem",    "barrier", "other"};

static int state_of(const char *k) {
    static const char *const pre[][2] = {
        {"chan_send", "send"},  {"chan_recv", "recv"}, {"select", "select"},   {"wg_wait", "wg"},
        {"mutex_lock", "lock"}, {"rwlock", "lock"},    {"cond_wait", "cond"},  {"join", "join"},
        {"sem_wait", "sem"},    {"weft_sem", "sem"},   {"barrier", "barrier"}, {"group", "wg"},
        {"limiter", "sem"},     {"future", "join"},
    };
    for (size_t i = 0; k && i < sizeof pre / sizeof *pre; i++)
        if (!strncmp(k, pre[i][0], strlen(pre[i][0])))
            for (int s = 0; s < (int)(sizeof states / sizeof *states); s++)
                if (!strcmp(states[s], pre[i][1]))
                    return s;
    return (int)(sizeof states / sizeof *states) - 1;
}

struct lane {
    int trace;
    int64_t id, pid, tid, begin, end, blocked;
    char *name, *fn, *state, *exit_kind;
    int internal;
    /* the bar being merged: [ps, pe], blocked time in it per state */
    int64_t ps, pe, res;
    int64_t share[sizeof states / sizeof *states];
    int pn, open;
    int finding; /* a finding names this thread */
    int out;     /* index on the page, -1 when the lane was left out */
};

struct iv {
    int lane, state, n;
    int64_t s, e, blocked;
};

struct data {
    const struct weft_report *r;
    struct weft__html_notes *notes;
    struct lane *lanes;
    int nlanes, cap;
    struct iv *iv;
    int niv, ivcap;
    int64_t iv_dropped;
    int64_t t0;         /* the trace being read's start */
    int nfmarks;        /* finding markers written */
    int64_t fmarks_out; /* and left out */
    /* lane index by threads.id for the trace being read */
    int *by_id;
    int64_t nby;
};

char *weft__html_dup(sqlite3_stmt *st, int i) {
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? strdup((const char *)s) : NULL;
}

sqlite3_stmt *weft__html_prep(sqlite3 *db, const char *path, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        weft_err("report: %s: %s", path, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static struct lane *lane_of(struct data *d, int64_t id) {
    if (id < 0 || id >= d->nby || d->by_id[id] < 0)
        return NULL;
    return &d->lanes[d->by_id[id]];
}

/* ---- the state bars ---- */

static void flush_bar(struct data *d, struct lane *l) {
    if (!l->pn)
        return;
    int best = 0;
    int64_t sum = 0;
    for (int s = 0; s < (int)(sizeof states / sizeof *states); s++) {
        sum += l->share[s];
        if (l->share[s] > l->share[best])
            best = s;
    }
    if (d->niv >= MAX_IV) {
        d->iv_dropped += l->pn;
    } else {
        if (d->niv == d->ivcap) {
            int nc = d->ivcap ? d->ivcap * 2 : 1024;
            struct iv *n = realloc(d->iv, (size_t)nc * sizeof *n);
            if (!n) {
                d->iv_dropped += l->pn;
                goto reset;
            }
            d->iv = n;
            d->ivcap = nc;
        }
        d->iv[d->niv++] = (struct iv){(int)(l - d->lanes), best, l->pn, l->ps, l->pe, sum};
    }
reset:
    memset(l->share, 0, sizeof l->share);
    l->pn = 0;
}

/* One blocking call of lane l: [s, e] in state st. Calls of one thread
 * come in time order; a call that starts within the lane's resolution of
 * the bar being merged joins it, as long as the bar stays short. */
static void add_call(struct data *d, struct lane *l, int64_t s, int64_t e, int st) {
    if (e < s)
        e = s;
    l->blocked += e - s;
    if (l->pn && s - l->pe <= l->res && e - l->ps <= 2 * l->res) {
        if (e > l->pe)
            l->pe = e;
    } else {
        flush_bar(d, l);
        l->ps = s;
        l->pe = e;
    }
    l->share[st] += e - s;
    l->pn++;
}

/* ---- reading one trace ---- */

static int read_lanes(struct data *d, int t, sqlite3 *db, const char *path) {
    sqlite3_stmt *st = weft__html_prep(
        db, path,
        "SELECT t.id, t.pid, t.tid, t.name, t.start_function, "
        "coalesce(t.created_ns, t.started_ns, p.start_ns), coalesce(t.exited_ns, p.end_ns), "
        "t.exit_kind, t.internal, s.state FROM threads t JOIN processes p ON p.pid = t.pid "
        "LEFT JOIN thread_summary s ON s.id = t.id ORDER BY p.start_ns, t.pid, t.tid");
    if (!st)
        return -1;
    int64_t maxid = 0;
    int first = d->nlanes;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (d->nlanes == d->cap) {
            int nc = d->cap ? d->cap * 2 : 64;
            struct lane *n = realloc(d->lanes, (size_t)nc * sizeof *n);
            if (!n) {
                sqlite3_finalize(st);
                weft_err("report: out of memory");
                return -1;
            }
            d->lanes = n;
            d->cap = nc;
        }
        struct lane *l = &d->lanes[d->nlanes++];
        memset(l, 0, sizeof *l);
        l->trace = t;
        l->id = sqlite3_column_int64(st, 0);
        l->pid = sqlite3_column_int64(st, 1);
        l->tid = sqlite3_column_int64(st, 2);
        l->name = weft__html_dup(st, 3);
        l->fn = weft__html_dup(st, 4);
        /* times bounded as the reader bounds them (WEFT_TS_MAX): a damaged
         * database's must not overflow the differences below */
        l->begin = weft_report_ts(sqlite3_column_int64(st, 5));
        l->end = weft_report_ts(sqlite3_column_int64(st, 6));
        if (l->end < l->begin)
            l->end = l->begin;
        l->exit_kind = weft__html_dup(st, 7);
        l->internal = sqlite3_column_int(st, 8);
        l->state = weft__html_dup(st, 9);
        maxid = l->id > maxid ? l->id : maxid;
    }
    sqlite3_finalize(st);
    /* Thread ids index an array below (weft_report_thread_id_ok). */
    for (int i = first; i < d->nlanes; i++)
        if (!weft_report_thread_id_ok(d->lanes[i].id, d->nlanes)) {
            weft_err("report: %s: damaged trace (thread id %lld)", path, (long long)d->lanes[i].id);
            return -1;
        }
    free(d->by_id);
    d->nby = maxid + 1;
    d->by_id = malloc((size_t)d->nby * sizeof *d->by_id);
    if (!d->by_id) {
        weft_err("report: out of memory");
        return -1;
    }
    for (int64_t i = 0; i < d->nby; i++)
        d->by_id[i] = -1;
    int n = d->nlanes - first;
    /* The resolution: a trace's lanes share its bar budget. */
    int cols = n ? IV_BUDGET / n : 1;
    cols = cols < 50 ? 50 : cols > 3000 ? 3000 : cols;
    int64_t span = 1;
    for (int i = first; i < d->nlanes; i++) {
        d->by_id[d->lanes[i].id] = i;
        if (d->lanes[i].end - d->t0 > span)
            span = d->lanes[i].end - d->t0;
    }
    for (int i = first; i < d->nlanes; i++)
        d->lanes[i].res = span / cols > 0 ? span / cols : 1;
    return 0;
}

/* ---- the walk over the events (reports/timeline.h) ---- */

/* The page's state of a timeline state. */
static int state_of_tl(enum weft_tl_state s) {
    switch (s) {
    case WEFT_TL_CHAN_SEND:
        return state_of("chan_send");
    case WEFT_TL_CHAN_RECV:
        return state_of("chan_recv");
    case WEFT_TL_SELECT:
        return state_of("select");
    case WEFT_TL_WG_WAIT:
    case WEFT_TL_GROUP_WAIT:
        return state_of("wg_wait");
    case WEFT_TL_MUTEX_LOCK:
    case WEFT_TL_RWLOCK_RD:
    case WEFT_TL_RWLOCK_WR:
        return state_of("mutex_lock");
    case WEFT_TL_COND_WAIT:
        return state_of("cond_wait");
    case WEFT_TL_BARRIER:
        return state_of("barrier");
    case WEFT_TL_SEM_WAIT:
    case WEFT_TL_WEFT_SEM:
    case WEFT_TL_LIMITER:
    case WEFT_TL_GROUP_GO: /* waits for a token of the group's limit: a semaphore */
        return state_of("sem_wait");
    case WEFT_TL_JOIN:
    case WEFT_TL_FUTURE_GET:
    case WEFT_TL_FUTURE_FREE:
        return state_of("join");
    default:
        return state_of(NULL);
    }
}

struct flow {
    int a, b;
    int64_t ta, tb;
};

/* What one walk writes: markers to mj, a reservoir of arrows. */
struct walk {
    struct data *d;
    int trace;
    FILE *mj;
    int *nmarks;
    int64_t *marks_out, *flows_seen;
    struct flow *res;
    int nres, room;
    uint64_t rng;
    int64_t seen; /* arrows of this trace */
};

/* The group of finding id of the trace (findings are in trace, then id
 * order), or -1. */
static int group_of(const struct weft_report *r, int trace, int64_t id) {
    int lo = 0, hi = r->nfindings;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const struct weft_rfinding *f = &r->findings[mid];
        if (f->trace < trace || (f->trace == trace && f->id < id))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->nfindings && r->findings[lo].trace == trace && r->findings[lo].id == id
               ? r->findings[lo].group
               : -1;
}

static int on_item(void *ctx, const struct weft_tl_item *it) {
    struct walk *w = ctx;
    struct data *d = w->d;
    struct lane *l = lane_of(d, it->thread);
    switch (it->kind) {
    case WEFT_TL_STATE:
        if (l) {
            add_call(d, l, it->ts, it->end, state_of_tl(it->state));
            if (it->flags & WEFT_TL_NO_END)
                l->open = 1;
        }
        break;
    case WEFT_TL_INSTANT: {
        int finding = it->severity != NULL;
        /* a finding of no thread goes on its process's first lane */
        for (int k = 0; !l && finding && k < d->nlanes; k++)
            if (d->lanes[k].trace == w->trace && d->lanes[k].pid == it->pid && d->lanes[k].out >= 0)
                l = &d->lanes[k];
        if (!l || l->out < 0)
            break;
        if (finding ? d->nfmarks >= MAX_FINDING_MARKS : *w->nmarks - d->nfmarks >= MAX_CLOSES) {
            if (finding)
                d->fmarks_out++;
            else
                (*w->marks_out)++;
            break;
        }
        d->nfmarks += finding;
        fprintf(w->mj, "%s[%d, %lld, ", (*w->nmarks)++ ? ", " : "", l->out,
                (long long)((it->ts - d->t0) / 1000));
        weft__html_str(w->mj, it->what);
        fputs(", ", w->mj);
        if (finding) {
            weft__html_str(w->mj, it->detail);
            fprintf(w->mj, ", %d]", group_of(d->r, w->trace, it->event));
        } else {
            char addr[32];
            snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)it->addr);
            weft__html_str(w->mj, addr);
            fputc(']', w->mj);
        }
        break;
    }
    case WEFT_TL_FLOW: {
        struct lane *b = lane_of(d, it->to_thread);
        if (!l || !b || l->out < 0 || b->out < 0)
            break;
        struct flow x = {l->out, b->out, it->ts, it->end};
        (*w->flows_seen)++;
        w->seen++;
        /* a reservoir: a uniform sample, the same for the same trace */
        if (w->nres < w->room) {
            w->res[w->nres++] = x;
        } else {
            w->rng ^= w->rng << 13, w->rng ^= w->rng >> 7, w->rng ^= w->rng << 17;
            uint64_t k = w->rng % (uint64_t)w->seen;
            if (k < (uint64_t)w->nres)
                w->res[k] = x;
        }
        break;
    }
    default:
        break; /* held locks, plain operations, counters: not drawn here */
    }
    return 0;
}

/* One pass over the trace's events: state bars, markers, arrows. */
static int walk_trace(struct data *d, int t, sqlite3 *db, const char *path, FILE *mj, FILE *fj,
                      int *nmarks, int *nflows, int64_t *marks_out, int64_t *flows_seen) {
    struct weft_tl_opts o = {0, 0, 0};
    weft_tl *tl = weft_tl_open(db, path, &o);
    if (!tl)
        return -1;
    struct walk w = {
        d, t, mj, nmarks, marks_out, flows_seen, NULL, 0, MAX_FLOWS - *nflows, 0x9e3779b97f4a7c15u,
        0};
    w.res = malloc((size_t)(w.room > 0 ? w.room : 1) * sizeof *w.res);
    int rc = w.res ? weft_tl_walk(tl, on_item, &w) : -1;
    weft_tl_close(tl);
    if (!w.res)
        weft_err("report: out of memory");
    for (int i = 0; i < d->nlanes; i++)
        if (d->lanes[i].trace == t)
            flush_bar(d, &d->lanes[i]);
    for (int i = 0; i < w.nres; i++)
        fprintf(fj, "%s[%d, %lld, %d, %lld]", (*nflows)++ ? ", " : "", w.res[i].a,
                (long long)((w.res[i].ta - d->t0) / 1000), w.res[i].b,
                (long long)((w.res[i].tb - d->t0) / 1000));
    free(w.res);
    return rc;
}

/* ---- the whole ---- */

/* meta's value for key as a number (def when absent). */
static int64_t meta_num(sqlite3 *db, const char *key, int64_t def) {
    sqlite3_stmt *st = NULL;
    int64_t v = def;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static int64_t trace_start(sqlite3 *db) {
    sqlite3_stmt *st = NULL;
    int64_t t0 = 0;
    if (sqlite3_prepare_v2(db, "SELECT min(start_ns) FROM processes", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        t0 = weft_report_ts(sqlite3_column_int64(st, 0)); /* a damaged trace: in range */
    sqlite3_finalize(st);
    return t0;
}

int weft__html_trace_data(const struct weft_report *r, FILE *j, struct weft__html_notes *notes) {
    struct data d = {.r = r, .notes = notes};
    int rc = -1, nmarks = 0, nflows = 0;
    int64_t closes_out = 0, flows_seen = 0, *t0s = NULL;
    char *marks = NULL, *flows = NULL;
    size_t msz = 0, fsz = 0;
    FILE *mj = open_memstream(&marks, &msz), *fj = open_memstream(&flows, &fsz);
    t0s = calloc((size_t)(r->ntraces ? r->ntraces : 1), sizeof *t0s);
    if (!mj || !fj || !t0s) {
        weft_err("report: out of memory");
        goto done;
    }
    int out = 0, lanes_out = 0, said_rows = 0;
    for (int t = 0; t < r->ntraces; t++) {
        sqlite3 *db = r->traces[t].db;
        const char *path = r->traces[t].path;
        d.t0 = t0s[t] = trace_start(db);
        if (!meta_num(db, "all_events", 1) && !said_rows++)
            weft__html_note(notes,
                            "timeline: waits shorter than %lld us (weft run --min-wait) and "
                            "channel operations that did not wait have no rows in the trace: "
                            "they are not drawn, and arrows join only operations that have "
                            "rows (weft run --all-events keeps them all; the tables count "
                            "every operation)",
                            (long long)(meta_num(db, "min_wait_ns", 0) / 1000));
        int first = d.nlanes;
        if (read_lanes(&d, t, db, path) != 0)
            goto done;
        /* Lanes past the bound: threads with findings stay, up to twice it. */
        for (int k = 0; k < r->nfindings; k++) {
            struct lane *l = r->findings[k].trace == t ? lane_of(&d, r->findings[k].thread) : NULL;
            if (l)
                l->finding = 1;
        }
        for (int i = first; i < d.nlanes; i++) {
            int keep = out < MAX_LANES || (d.lanes[i].finding && out < 2 * MAX_LANES);
            d.lanes[i].out = keep ? out++ : -1;
            lanes_out += !keep;
        }
        if (walk_trace(&d, t, db, path, mj, fj, &nmarks, &nflows, &closes_out, &flows_seen) != 0)
            goto done;
    }
    fflush(mj);
    fflush(fj);
    fputs(", \"timeline\": {\"states\": [", j);
    for (size_t s = 0; s < sizeof states / sizeof *states; s++)
        fprintf(j, "%s\"%s\"", s ? ", " : "", states[s]);
    fputs("], \"lanes\": [", j);
    for (int i = 0, n = 0; i < d.nlanes; i++) {
        const struct lane *l = &d.lanes[i];
        if (l->out < 0)
            continue;
        fprintf(j, "%s\n[%d, %lld, %lld, ", n++ ? "," : "", l->trace, (long long)l->pid,
                (long long)l->tid);
        weft__html_str(j, l->name);
        fputs(", ", j);
        weft__html_str(j, l->fn ? l->fn : l->tid == 1 ? "main" : NULL);
        fprintf(j, ", %lld, %lld, ", (long long)((l->begin - t0s[l->trace]) / 1000),
                (long long)((l->end - t0s[l->trace]) / 1000));
        weft__html_str(j, l->exit_kind);
        fprintf(j, ", %d, %d]", l->internal, l->open);
    }
    fputs("], \"bars\": [", j);
    int nb = 0;
    for (int i = 0; i < d.niv; i++) {
        const struct iv *v = &d.iv[i];
        const struct lane *l = &d.lanes[v->lane];
        if (l->out < 0)
            continue;
        int64_t len = v->e - v->s;
        /* share of the bar's time blocked, in percent (100 for a single call) */
        int pct = v->n == 1 || len <= 0 ? 100 : (int)(v->blocked * 100 / len);
        fprintf(j, "%s[%d, %lld, %lld, %d, %d, %d]", nb++ ? ", " : "", l->out,
                (long long)((v->s - t0s[l->trace]) / 1000),
                (long long)((v->e - t0s[l->trace]) / 1000), v->state, v->n, pct < 1 ? 1 : pct);
    }
    fprintf(j, "], \"marks\": [%s], \"flows\": [%s], \"flows_found\": %lld}", marks ? marks : "",
            flows ? flows : "", (long long)flows_seen);
    int64_t merged = 0;
    for (int i = 0; i < d.niv; i++)
        merged += d.iv[i].n > 1 ? d.iv[i].n : 0;
    if (merged)
        weft__html_note(notes,
                        "timeline: %lld blocking calls close together are drawn merged "
                        "into bars (a bar's shade is the share of its time blocked)",
                        (long long)merged);
    if (d.iv_dropped)
        weft__html_note(notes, "timeline: %lld blocking calls left out (over %d bars)",
                        (long long)d.iv_dropped, MAX_IV);
    if (lanes_out)
        weft__html_note(notes,
                        "timeline and thread table: %d threads left out (over %d lanes; "
                        "threads with findings are kept, up to %d)",
                        lanes_out, MAX_LANES, 2 * MAX_LANES);
    if (closes_out)
        weft__html_note(notes,
                        "timeline: %lld markers (closes, deadlocks, signals) left out "
                        "(over %d)",
                        (long long)closes_out, MAX_CLOSES);
    if (d.fmarks_out)
        weft__html_note(notes,
                        "timeline: %lld finding markers left out (over %d; every "
                        "finding's group is in the table)",
                        (long long)d.fmarks_out, MAX_FINDING_MARKS);
    if (flows_seen > nflows)
        weft__html_note(notes,
                        "timeline: %d of %lld send-to-receive arrows shown (a uniform "
                        "sample)",
                        nflows, (long long)flows_seen);
    /* The thread table: one row per lane shown. */
    fputs(", \"threads\": [", j);
    for (int i = 0, n = 0; i < d.nlanes; i++) {
        const struct lane *l = &d.lanes[i];
        if (l->out < 0)
            continue;
        int64_t life = l->end - l->begin, blocked = l->blocked > life ? life : l->blocked;
        fprintf(j, "%s\n[%d, %lld, %lld, ", n++ ? "," : "", l->out, (long long)l->pid,
                (long long)l->tid);
        weft__html_str(j, l->name);
        fputs(", ", j);
        weft__html_str(j, l->fn ? l->fn : l->tid == 1 ? "main" : NULL);
        fputs(", ", j);
        weft__html_str(j, l->state);
        fprintf(j, ", %lld, %lld, %lld, %lld]", (long long)((l->begin - t0s[l->trace]) / 1000),
                (long long)((l->end - t0s[l->trace]) / 1000), (long long)((life - blocked) / 1000),
                (long long)(blocked / 1000));
    }
    fputs("]", j);
    rc = 0;
done:
    if (mj)
        fclose(mj);
    if (fj)
        fclose(fj);
    free(marks);
    free(flows);
    free(t0s);
    for (int i = 0; i < d.nlanes; i++) {
        free(d.lanes[i].name);
        free(d.lanes[i].fn);
        free(d.lanes[i].state);
        free(d.lanes[i].exit_kind);
    }
    free(d.lanes);
    free(d.iv);
    free(d.by_id);
    return rc;
}
