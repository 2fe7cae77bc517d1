/* SPDX-License-Identifier: MIT */
/* perfetto.c: the Perfetto / Chrome trace-event JSON report
 * (perfetto.h), one writer over the timeline model.
 *
 * What it writes, per trace: a process (process_name metadata) per
 * process and a named thread track per thread (thread_name, sort index;
 * libweft's and weft's own threads are marked internal), with a slice for
 * the thread's life from creation to exit, inside it a complete ("X")
 * slice per blocking call and per lock held, a zero-length slice per
 * channel operation that did not wait (flows bind to slices), instants
 * ("i") for closes, findings, deadlocks and fatal signals, flow arrows
 * ("s" then "f", bound to the enclosing slices, ids never reused across
 * the file) from each send to the receive it fed, and a counter ("C")
 * per buffered channel's length. Times are microseconds from the trace's
 * start, written from integer nanoseconds (no rounding).
 *
 * Slices on a thread track must nest: Perfetto drops a slice that
 * overlaps another partly. Its importer sorts the events by ts, at equal
 * ts the complete slices first, longest first, then the rest (flow ends,
 * instants) in file order, and binds a flow end to the slice on top of
 * its track's stack: so every flow end lies inside the slice of its own
 * operation, which nothing else starts inside (timeline.h). Blocking calls nest inside the locks
 * held around them; a lock released while one taken after it is still held would not, so such a
 * hold is drawn as an async slice ("b"/"e") of the process instead. What was left out (the window,
 * the cap) is said in "otherData" and, when the cap cut, by a global instant where it did. Every
 * string from the traced program goes through harness/util/json.c. */
#include "perfetto.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "timeline.h"
#include "weft.h"

struct pf {
    FILE *f;
    int64_t start; /* the current trace's start */
    int64_t *tid;  /* threads.id -> the tid written */
    int64_t ntid;
    uint64_t flows, asyncs; /* ids written so far, over all traces */
    const char *path;
    weft_tl *tl;
};

static const char *const kind_names[WEFT_TL_NKINDS] = {"slices",   "holds", "ops",
                                                       "instants", "flows", "counters"};

/* Microseconds from the trace start, from nanoseconds, exactly. */
static void us(FILE *f, int64_t t) {
    if (t < 0)
        t = 0;
    fprintf(f, "%" PRId64 ".%03" PRId64, t / 1000, t % 1000);
}

static void ts(struct pf *p, int64_t t) {
    fputs(", \"ts\": ", p->f);
    us(p->f, t - p->start);
}

static int64_t tid_of(struct pf *p, int64_t thread) {
    return thread > 0 && thread < p->ntid && p->tid[thread] ? p->tid[thread] : 0;
}

static void head(struct pf *p, const char *ph, const char *name, const char *cat, int64_t pid,
                 int64_t thread) {
    fprintf(p->f,
            ",\n{\"ph\": \"%s\", \"name\": \"%s\", \"cat\": \"%s\", \"pid\": %" PRId64
            ", \"tid\": %" PRId64,
            ph, name, cat, pid, tid_of(p, thread));
}

static void addr(FILE *f, const char *key, int64_t a) {
    fprintf(f, ", \"%s\": \"0x%" PRIx64 "\"", key, (uint64_t)a);
}

static int on_process(void *ctx, const struct weft_tl_process *pr) {
    struct pf *p = ctx;
    /* The program's name: its exe's last component, else "process". */
    const char *exe = pr->exe, *base = exe ? strrchr(exe, '/') : NULL;
    base = base ? base + 1 : exe;
    fprintf(p->f,
            ",\n{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %" PRId64
            ", \"tid\": 0, \"args\": {\"name\": ",
            pr->pid);
    weft_json_str(p->f, (const unsigned char *)(base && *base ? base : "process"));
    fputs("}}", p->f);
    fprintf(p->f,
            ",\n{\"ph\": \"M\", \"name\": \"process_labels\", \"pid\": %" PRId64
            ", \"tid\": 0, \"args\": {\"labels\": ",
            pr->pid);
    weft_json_str(p->f, (const unsigned char *)p->path);
    fputs("}}", p->f);
    return 0;
}

static int on_lane(void *ctx, const struct weft_tl_lane *l) {
    struct pf *p = ctx;
    if (l->id <= 0 || l->id >= p->ntid)
        return 0;
    /* The OS tid when it names this thread alone; else one of ours, above
     * any OS tid (pid_max is at most 2^22), so that no two threads share
     * a track. */
    int64_t tid = l->os_tid_unique ? l->os_tid : (INT64_C(1) << 22) + l->id;
    p->tid[l->id] = tid;
    const char *label = l->name && *l->name ? l->name
                        : l->start_function ? l->start_function
                        : l->main           ? "main"
                                            : "thread";
    const char *mark = l->internal == 1 ? " [libweft internal]"
                       : l->internal    ? " [weft internal]"
                                        : "";
    size_t n = strlen(label) + strlen(mark) + 1;
    char *name = malloc(n);
    if (!name) {
        weft_err("out of memory");
        return -1;
    }
    snprintf(name, n, "%s%s", label, mark);
    head(p, "M", "thread_name", "__metadata", l->pid, l->id);
    fputs(", \"args\": {\"name\": ", p->f);
    weft_json_str(p->f, (const unsigned char *)name);
    fputs("}}", p->f);
    head(p, "M", "thread_sort_index", "__metadata", l->pid, l->id);
    fprintf(p->f, ", \"args\": {\"sort_index\": %" PRId64 "}}", l->tid);
    free(name);
    return 0;
}

/* The thread's life, the outermost slice of its track (written before
 * anything inside it, so that equal start times keep the nesting). */
static int on_life(void *ctx, const struct weft_tl_lane *l) {
    struct pf *p = ctx;
    int64_t from, to;
    weft_tl_window(p->tl, &from, &to);
    if (l->end < from || l->begin > to || !tid_of(p, l->id))
        return 0;
    head(p, "X", "thread", "thread", l->pid, l->id);
    ts(p, l->begin);
    fputs(", \"dur\": ", p->f);
    us(p->f, l->end - l->begin);
    fprintf(p->f, ", \"args\": {\"tid\": %" PRId64 ", \"os_tid\": %" PRId64, l->tid, l->os_tid);
    fputs(", \"start_function\": ", p->f);
    weft_json_str(p->f, (const unsigned char *)l->start_function);
    fputs(", \"created_by\": ", p->f);
    weft_json_str(p->f, (const unsigned char *)l->created_by);
    fputs(", \"exit\": ", p->f);
    weft_json_str(p->f, (const unsigned char *)(l->exit_kind ? l->exit_kind : "alive at the end"));
    fprintf(p->f, ", \"internal\": %d}}", l->internal);
    return 0;
}

static const char *op_name(const char *kind) {
    if (!kind)
        return "chan op";
    if (!strcmp(kind, "chan_send_end"))
        return "chan send";
    if (!strcmp(kind, "chan_recv_end"))
        return "chan recv";
    if (!strcmp(kind, "chan_try_send"))
        return "chan try send";
    if (!strcmp(kind, "chan_try_recv"))
        return "chan try recv";
    if (!strcmp(kind, "select_end"))
        return "select";
    return "chan op";
}

static void common_args(FILE *f, const struct weft_tl_item *it) {
    fprintf(f, ", \"args\": {\"event\": %" PRId64, it->event);
    if (it->addr)
        addr(f, "object", it->addr);
    if (it->flags & WEFT_TL_NO_END)
        fputs(", \"never_ended\": true", f);
    if (it->flags & WEFT_TL_CLIPPED)
        fputs(", \"clipped_to_thread\": true", f);
}

static int on_item(void *ctx, const struct weft_tl_item *it) {
    struct pf *p = ctx;
    FILE *f = p->f;
    switch (it->kind) {
    case WEFT_TL_STATE:
    case WEFT_TL_OP:
        head(p, "X", it->kind == WEFT_TL_STATE ? weft_tl_state_name(it->state) : op_name(it->what),
             it->kind == WEFT_TL_STATE ? "blocked" : "chan", it->pid, it->thread);
        ts(p, it->ts);
        fputs(", \"dur\": ", f);
        us(f, it->end - it->ts);
        common_args(f, it);
        fputs(", \"call\": ", f);
        weft_json_str(f, (const unsigned char *)it->what);
        fprintf(f, ", \"result\": %" PRId64 "}}", it->result);
        break;
    case WEFT_TL_HELD: {
        char name[64];
        snprintf(name, sizeof name, "holds %s 0x%" PRIx64, it->what, (uint64_t)it->addr);
        if (it->flags & WEFT_TL_CROSSED) {
            uint64_t id = ++p->asyncs;
            head(p, "b", name, "lock", it->pid, it->thread);
            ts(p, it->ts);
            fprintf(f, ", \"id\": \"0x%" PRIx64 "\"", id);
            common_args(f, it);
            fputs(", \"not_nested\": true}}", f);
            head(p, "e", name, "lock", it->pid, it->thread);
            ts(p, it->end);
            fprintf(f, ", \"id\": \"0x%" PRIx64 "\"}", id);
            break;
        }
        head(p, "X", name, "lock", it->pid, it->thread);
        ts(p, it->ts);
        fputs(", \"dur\": ", f);
        us(f, it->end - it->ts);
        common_args(f, it);
        fputs("}}", f);
        break;
    }
    case WEFT_TL_INSTANT:
        /* On its thread's track, or the process's when it has no thread.
         * The name is escaped: a finding's kind comes from the trace. */
        fputs(",\n{\"ph\": \"i\", \"name\": ", f);
        weft_json_str(f, (const unsigned char *)it->what);
        fprintf(f, ", \"cat\": \"%s\", \"pid\": %" PRId64, it->severity ? "finding" : "chan",
                it->pid);
        if (tid_of(p, it->thread))
            fprintf(f, ", \"tid\": %" PRId64 ", \"s\": \"t\"", tid_of(p, it->thread));
        else
            fputs(", \"s\": \"p\"", f);
        ts(p, it->ts);
        common_args(f, it);
        if (it->severity) {
            fputs(", \"severity\": ", f);
            weft_json_str(f, (const unsigned char *)it->severity);
            fputs(", \"message\": ", f);
            weft_json_str(f, (const unsigned char *)it->detail);
        }
        fputs("}}", f);
        break;
    case WEFT_TL_FLOW: {
        uint64_t id = ++p->flows;
        head(p, "s", "chan", "flow", it->pid, it->thread);
        ts(p, it->ts);
        fprintf(f, ", \"id\": %" PRIu64 "}", id);
        head(p, "f", "chan", "flow", it->pid, it->to_thread);
        ts(p, it->end);
        fprintf(f, ", \"id\": %" PRIu64 ", \"bp\": \"e\"}", id);
        break;
    }
    case WEFT_TL_COUNTER: {
        char name[64];
        snprintf(name, sizeof name, "chan 0x%" PRIx64, (uint64_t)it->addr);
        head(p, "C", name, "chan", it->pid, it->thread);
        ts(p, it->ts);
        fprintf(f, ", \"args\": {\"len\": %" PRId64 "}}", it->value);
        break;
    }
    default:
        break;
    }
    return ferror(f) ? 1 : 0; /* stops the walk; the caller says it */
}

static void counts(FILE *f, const char *key, const uint64_t *n) {
    fprintf(f, ", \"%s\": {", key);
    for (int k = 0; k < WEFT_TL_NKINDS; k++)
        fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", kind_names[k], n[k]);
    fputc('}', f);
}

static uint64_t sum(const uint64_t *n) {
    uint64_t s = 0;
    for (int k = 0; k < WEFT_TL_NKINDS; k++)
        s += n[k];
    return s;
}

/* What one trace's walk did, for otherData. */
struct done {
    struct weft_tl_stats st;
    int64_t start;
    weft_tl *tl; /* kept open for the totals */
};

struct totals_ctx {
    FILE *f;
    weft_tl *tl;
    int n;
};

/* One thread's totals over the window (timeline.h, weft_tl_totals). */
static int on_totals(void *ctx, const struct weft_tl_lane *l) {
    struct totals_ctx *c = ctx;
    const struct weft_tl_totals *t = weft_tl_totals(c->tl, l->id);
    if (!t)
        return 0;
    FILE *f = c->f;
    int64_t blocked = 0;
    for (int k = 0; k < WEFT_TL_NSTATES; k++)
        blocked += t->blocked_ns[k];
    fprintf(f,
            "%s\n    {\"id\": %" PRId64 ", \"pid\": %" PRId64 ", \"tid\": %" PRId64
            ", \"lane_us\": ",
            c->n++ ? "," : "", l->id, l->pid, l->tid);
    us(f, t->lane_ns);
    fputs(", \"running_us\": ", f);
    us(f, t->lane_ns > blocked ? t->lane_ns - blocked : 0);
    fputs(", \"blocked_us\": {", f);
    int m = 0;
    for (int k = 0; k < WEFT_TL_NSTATES; k++)
        if (t->blocked_ns[k]) {
            fprintf(f, "%s\"%s\": ", m++ ? ", " : "", weft_tl_state_name((enum weft_tl_state)k));
            us(f, t->blocked_ns[k]);
        }
    fputs("}, \"held_us\": ", f);
    us(f, t->held_ns);
    fprintf(f,
            ", \"ops\": %" PRIu64 ", \"flows_out\": %" PRIu64 ", \"flows_in\": %" PRIu64
            ", \"instants\": %" PRIu64 "}",
            t->ops, t->flows_out, t->flows_in, t->instants);
    return ferror(f) ? 1 : 0;
}

static void summary(FILE *f, const char *path, const struct done *d,
                    const struct weft_perfetto_opts *o, long long cap) {
    const struct weft_tl_stats *st = &d->st;
    fputs("{\"trace\": ", f);
    weft_json_str(f, (const unsigned char *)path);
    fprintf(f, ", \"start_ns\": %" PRId64 ", \"all_events\": %s, \"events_read\": %" PRIu64,
            d->start, st->all_events ? "true" : "false", st->events);
    fputs(", \"window_ms\": {\"from\": ", f);
    if (o->from_ms >= 0)
        fprintf(f, "%lld", o->from_ms);
    else
        fputs("null", f);
    fputs(", \"to\": ", f);
    if (o->to_ms >= 0)
        fprintf(f, "%lld", o->to_ms);
    else
        fputs("null", f);
    fputs("}, \"max_events\": ", f);
    if (cap)
        fprintf(f, "%lld", cap);
    else
        fputs("null", f);
    counts(f, "emitted", st->emitted);
    counts(f, "outside_window", st->outside);
    counts(f, "left_out_by_cap", st->capped);
    fprintf(f, ", \"left_out\": %" PRIu64, sum(st->outside) + sum(st->capped));
    fputs(", \"cap_reached_ms\": ", f);
    if (st->cap_ts) {
        us(f, st->cap_ts - d->start);
        fputs(" ", f);
    } else {
        fputs("null", f);
    }
    fprintf(f, ", \"unmatched_receives\": %" PRIu64 ", \"forgotten_tickets\": %" PRIu64,
            st->unmatched_acquires, st->dropped_tickets);
    fputs(", \"notes\": [", f);
    int n = 0;
    if (!st->all_events)
        fprintf(f,
                "%s\"made without --all-events: channel operations that did not wait (or "
                "waited less than --min-wait) have no rows, so they are not drawn, flows are "
                "drawn only where both operations have rows, and channel lengths are not "
                "drawn\"",
                n++ ? ", " : "");
    if (sum(st->capped))
        fprintf(f,
                "%s\"the cap (--max-events) cut the timeline at cap_reached_ms (µs from the "
                "start, as ts): later items are left out; narrow the window with --from/--to\"",
                n++ ? ", " : "");
    fputs("], \"threads\": [", f);
    struct totals_ctx tc = {f, d->tl, 0};
    if (d->tl)
        weft_tl_lanes(d->tl, on_totals, &tc);
    fputs("]}", f);
}

int weft_report_perfetto(FILE *f, sqlite3 **db, char **paths, int ndb,
                         const struct weft_perfetto_opts *o) {
    struct done *dn = calloc((size_t)ndb, sizeof *dn);
    if (!dn) {
        weft_err("out of memory");
        return -1;
    }
    long long cap = o->max_events;
    struct pf pf = {.f = f};
    int rc = 0;
    /* "version" first: weft's -o knows its own reports by their first
     * bytes (cli/outfile.c), and Perfetto takes any object that
     * starts with {" for JSON, skipping the keys it does not know. */
    fputs("{\"version\": 1, \"displayTimeUnit\": \"ns\", \"traceEvents\": [\n"
          "{\"ph\": \"M\", \"name\": \"weft\", \"pid\": 0, \"tid\": 0, \"args\": {\"report\": "
          "\"weft --format=perfetto\"}}",
          f);
    for (int i = 0; i < ndb && rc == 0; i++) {
        /* The window and the cap apply to each trace. */
        struct weft_tl_opts to = {
            .from_ns = o->from_ms > 0 ? o->from_ms * 1000000 : 0,
            .to_ns = o->to_ms > 0 ? o->to_ms * 1000000 : 0,
            .max_items = (uint64_t)cap,
        };
        weft_tl *tl = weft_tl_open(db[i], paths[i], &to);
        if (!tl) {
            rc = -1;
            break;
        }
        pf.tl = tl;
        pf.start = weft_tl_start(tl);
        pf.path = paths[i];
        sqlite3_stmt *st = NULL;
        int64_t n = 0;
        if (sqlite3_prepare_v2(db[i], "SELECT coalesce(max(id), 0) + 1 FROM threads", -1, &st,
                               NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        free(pf.tid);
        pf.ntid = n;
        if (n <= 0 || !(pf.tid = calloc((size_t)n, sizeof *pf.tid))) {
            weft_err("report: %s: cannot read its threads", paths[i]);
            weft_tl_close(tl);
            rc = -1;
            break;
        }
        rc = weft_tl_processes(tl, on_process, &pf);
        if (rc == 0)
            rc = weft_tl_lanes(tl, on_lane, &pf);
        if (rc == 0)
            rc = weft_tl_lanes(tl, on_life, &pf);
        if (rc == 0)
            rc = weft_tl_walk(tl, on_item, &pf);
        if (rc == 0) {
            dn[i].st = *weft_tl_stats(tl);
            dn[i].start = pf.start;
            if (dn[i].st.cap_ts) {
                fprintf(f,
                        ",\n{\"ph\": \"i\", \"s\": \"g\", \"pid\": 0, \"tid\": 0, \"name\": "
                        "\"weft: --max-events reached, %" PRIu64 " items left out\", "
                        "\"cat\": \"weft\"",
                        sum(dn[i].st.capped));
                ts(&pf, dn[i].st.cap_ts);
                fputs("}", f);
            }
        }
        dn[i].tl = tl; /* closed after the totals are written */
        pf.tl = NULL;
    }
    free(pf.tid);
    if (rc == 0) {
        fputs("\n], \"otherData\": {\"weft\": {\"version\": 1, \"time\": \"ts in microseconds "
              "from each trace's start\", \"traces\": [",
              f);
        for (int i = 0; i < ndb; i++) {
            fputs(i ? ",\n  " : "\n  ", f);
            summary(f, paths[i], &dn[i], o, cap);
        }
        fputs("]}}}\n", f);
    } else if (rc > 0) {
        weft_err("report: cannot write the report");
    }
    for (int i = 0; i < ndb; i++)
        weft_tl_close(dn[i].tl);
    free(dn);
    return rc == 0 ? 0 : -1;
}
