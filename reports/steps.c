/* SPDX-License-Identifier: MIT */
/* steps.c: matches each stack of a finding to the event it was taken at,
 * giving the thread that made that call and when (steps.h). Stacks are
 * stored once however often they were seen (a close in a loop, a worker
 * function run by many threads), so a stack alone does not say which
 * event: the one chosen touches the finding's object, is made by the
 * finding's own thread for the roles that thread plays (the second close,
 * the blocked call, the exit), and is the last one up to the finding's
 * time (the first one for a creation or a first close: the two closes of
 * one close() call in a loop share their stack). A thread's own creation
 * and the call it is blocked in at exit are read directly (threads,
 * blocked_at_exit); the others take one scan of the events per trace,
 * whatever the number of findings, since the events table has no index
 * on its stacks unless the trace was ingested with --index. */
#include <stdlib.h>
#include <string.h>

#include "steps.h"
#include "weft.h"

struct req {
    int step; /* index into the steps */
    int trace;
    int64_t pid, stack, object, fthread, fts;
    int early; /* the first event wins, not the last before the finding */
    int own;   /* the finding's thread made this call */
    int found;
    int64_t ts, thread;
    int b_obj, b_thr;
};

static int early_role(const char *role) {
    return !strcmp(role, "creation") || !strcmp(role, "object_creation") ||
           !strcmp(role, "first_close");
}

/* Is the candidate (object, thread, ts) better for q than what it has? */
static int better(const struct req *q, int64_t object, int64_t thread, int64_t ts) {
    int obj = q->object && object == q->object;
    int thr = q->own && thread == q->fthread;
    if (!q->found)
        return 1;
    if (obj != q->b_obj)
        return obj > q->b_obj;
    if (thr != q->b_thr)
        return thr > q->b_thr;
    if (q->early)
        return ts < q->ts;
    int before = ts <= q->fts, had = q->ts <= q->fts;
    if (before != had)
        return before;
    return before ? ts > q->ts : ts < q->ts;
}

static void take(struct req *q, int64_t object, int64_t thread, int64_t ts) {
    q->b_obj = q->object && object == q->object;
    q->b_thr = q->own && thread == q->fthread;
    q->ts = ts;
    q->thread = thread;
    q->found = 1;
}

static int by_stack(const void *a, const void *b) {
    const struct req *x = *(struct req *const *)a, *y = *(struct req *const *)b;
    if (x->trace != y->trace)
        return x->trace - y->trace;
    return (x->stack > y->stack) - (x->stack < y->stack);
}

/* A thread's creation and the call it is blocked in at exit: one row each. */
static void direct(sqlite3 *db, struct req *q, const char *role) {
    const char *sql = NULL;
    if (!strcmp(role, "creation"))
        sql = "SELECT parent, created_ns FROM threads WHERE id = ?1 AND create_stack = ?2 "
              "AND parent IS NOT NULL";
    else if (!strcmp(role, "blocked"))
        sql = "SELECT e.thread, e.ts FROM blocked_at_exit b JOIN events e ON e.id = b.event "
              "WHERE b.thread = ?1 AND b.stack = ?2";
    sqlite3_stmt *st = NULL;
    if (!sql || !q->fthread || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_bind_int64(st, 1, q->fthread);
    sqlite3_bind_int64(st, 2, q->stack);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL) {
        q->thread = sqlite3_column_int64(st, 0);
        q->ts = sqlite3_column_int64(st, 1);
        q->found = 2; /* final: the scan leaves it alone */
    }
    sqlite3_finalize(st);
}

/* One scan of trace t's events with the pending stacks in qs[lo..hi). A
 * trace whose events cannot be read (damaged) leaves the steps at their
 * defaults (the finding's thread and time): -1 only when out of memory. */
static int scan(const struct weft_report *r, int t, struct req **qs, int lo, int hi) {
    size_t cap = (size_t)(hi - lo) * 24 + 4, len = 0;
    char *ids = malloc(cap);
    if (!ids) {
        weft_err("report: out of memory");
        return -1;
    }
    ids[len++] = '[';
    for (int i = lo; i < hi; i++)
        if (i == lo || qs[i]->stack != qs[i - 1]->stack)
            len += (size_t)snprintf(ids + len, cap - len, "%s%lld", len > 1 ? "," : "",
                                    (long long)qs[i]->stack);
    snprintf(ids + len, cap - len, "]");
    sqlite3 *db = r->traces[t].db;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT pid, stack, thread, ts, object FROM events "
                           "WHERE stack IN (SELECT value FROM json_each(?1))",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        free(ids);
        return 0;
    }
    sqlite3_bind_text(st, 1, ids, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(st, 0), stack = sqlite3_column_int64(st, 1);
        int64_t thread = sqlite3_column_int64(st, 2), ts = sqlite3_column_int64(st, 3);
        int64_t object = sqlite3_column_int64(st, 4);
        int a = lo, b = hi; /* the first request for this stack */
        while (a < b) {
            int m = (a + b) / 2;
            if (qs[m]->stack < stack)
                a = m + 1;
            else
                b = m;
        }
        for (; a < hi && qs[a]->stack == stack; a++)
            if (qs[a]->pid == pid && better(qs[a], object, thread, ts))
                take(qs[a], object, thread, ts);
    }
    sqlite3_finalize(st);
    free(ids);
    return 0;
}

struct weft_rstep *weft_report_steps(const struct weft_report *r, const int *which, int n,
                                     int *nout) {
    int total = 0;
    for (int i = 0; i < n; i++)
        total += r->findings[which[i]].nstacks;
    *nout = total;
    struct weft_rstep *steps = calloc((size_t)(total ? total : 1), sizeof *steps);
    struct req *reqs = calloc((size_t)(total ? total : 1), sizeof *reqs);
    struct req **qs = calloc((size_t)(total ? total : 1), sizeof *qs);
    if (!steps || !reqs || !qs) {
        weft_err("report: out of memory");
        goto fail;
    }
    int k = 0, pending = 0;
    for (int i = 0; i < n; i++) {
        const struct weft_rfinding *f = &r->findings[which[i]];
        for (int s = 0; s < f->nstacks; s++, k++) {
            const char *role = f->stacks[s].role ? f->stacks[s].role : "";
            struct req *q = &reqs[k];
            *q = (struct req){.step = k,
                              .trace = f->trace,
                              .pid = f->pid,
                              .stack = f->stacks[s].id,
                              .object = f->object,
                              .fthread = f->thread,
                              .fts = f->ts,
                              .early = early_role(role),
                              .own = !early_role(role)};
            steps[k] =
                (struct weft_rstep){which[i], s, q->own ? f->thread : 0, q->early ? 0 : f->ts};
            direct(r->traces[f->trace].db, q, role);
            if (q->found != 2)
                qs[pending++] = q;
        }
    }
    qsort(qs, (size_t)pending, sizeof *qs, by_stack);
    for (int lo = 0; lo < pending;) {
        int hi = lo;
        while (hi < pending && qs[hi]->trace == qs[lo]->trace)
            hi++;
        if (scan(r, qs[lo]->trace, qs, lo, hi) != 0)
            goto fail;
        lo = hi;
    }
    for (int i = 0; i < total; i++)
        if (reqs[i].found) {
            steps[i].thread = reqs[i].thread;
            steps[i].ts = reqs[i].ts;
        }
    free(reqs);
    free(qs);
    return steps;
fail:
    free(steps);
    free(reqs);
    free(qs);
    return NULL;
}
