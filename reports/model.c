/* SPDX-License-Identifier: MIT */
/* model.c: loads trace databases into the finding model of report.h:
 * processes, findings with their threads and what those wait on at exit,
 * every stack a finding names with its frames (read once per trace and
 * shared by the findings that name it), then the fingerprints and the
 * groups. Strings and frames live in one arena freed with the model. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "weft.h"

/* ---- the arena: blocks of at least 64 KiB, never moved ---- */

struct weft__arena {
    struct weft__arena *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
};

void *weft__arena_alloc(struct weft__arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    struct weft__arena *b = a->next;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        /* The head block only links the others. */
        b->next = a->next;
        a->next = b;
    }
    void *p = b->mem + b->used;
    b->used += n;
    return p;
}

const char *weft__arena_str(struct weft__arena *a, const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = weft__arena_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Room for item n of an arena array *p of capacity *cap (first: its
 * first capacity): when full, a block twice as big takes a copy and the
 * old one is left behind (the arrays are small: a stack's frames, a
 * finding's stacks). 0, or -1 when out of memory. */
static int arena_room(struct weft__arena *a, void **p, int n, int *cap, size_t size, int first) {
    if (n < *cap)
        return 0;
    int nc = *cap ? *cap * 2 : first;
    void *np = weft__arena_alloc(a, (size_t)nc * size);
    if (!np)
        return -1;
    if (n)
        memcpy(np, *p, (size_t)n * size);
    *p = np;
    *cap = nc;
    return 0;
}

static void arena_free(struct weft__arena *a) {
    while (a) {
        struct weft__arena *n = a->next;
        free(a);
        a = n;
    }
}

/* ---- loading ---- */

/* A stack as loaded: its id and frames (sorted by id for lookups). */
struct lstack {
    int64_t id;
    int n;
    struct weft_rframe *f;
};

struct loader {
    struct weft_report *r;
    sqlite3 *db;
    const char *path;
    struct lstack *stacks;
    size_t nstacks;
};

static const char *col_str(struct weft__arena *a, sqlite3_stmt *st, int i, int *oom) {
    const char *s = (const char *)sqlite3_column_text(st, i);
    const char *p = weft__arena_str(a, s);
    if (s && !p)
        *oom = 1;
    return p;
}

static int sql_fail(struct loader *l, sqlite3_stmt *st) {
    weft_err("report: %s: %s", l->path, sqlite3_errmsg(l->db));
    sqlite3_finalize(st);
    return -1;
}

/* Ends a walk of st's rows: finalized; 0 when the last step said done,
 * else -1 after one line (out of memory, or SQLite's error). */
static int walked(struct loader *l, sqlite3_stmt *st, int rc, int oom) {
    if (oom) {
        sqlite3_finalize(st);
        weft_err("report: out of memory");
        return -1;
    }
    if (rc != SQLITE_DONE)
        return sql_fail(l, st);
    sqlite3_finalize(st);
    return 0;
}

static void *grow(void *p, int n, int *cap, size_t size) {
    if (n < *cap)
        return p;
    int nc = *cap ? *cap * 2 : 16;
    void *np = realloc(p, (size_t)nc * size);
    if (np)
        *cap = nc;
    return np;
}

static int load_procs(struct loader *l, int trace, int *cap) {
    struct weft_report *r = l->r;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT pid, parent_pid, argv, exe, exit_kind, exit_code, signal, "
                           "finished, complete, dropped_events, start_ns, end_ns, "
                           "(SELECT count(*) FROM threads t WHERE t.pid = p.pid), "
                           "(SELECT count(*) FROM objects o WHERE o.pid = p.pid AND "
                           "o.kind <> 'thread') FROM processes p ORDER BY start_ns, pid",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(l, st);
    int rc, oom = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct weft_rproc *np = grow(r->procs, r->nprocs, cap, sizeof *np);
        if (!np) {
            oom = 1;
            break;
        }
        r->procs = np;
        struct weft_rproc *p = &r->procs[r->nprocs++];
        memset(p, 0, sizeof *p);
        p->trace = trace;
        p->pid = sqlite3_column_int64(st, 0);
        p->parent_pid = sqlite3_column_int64(st, 1);
        p->argv = col_str(r->arena, st, 2, &oom);
        p->exe = col_str(r->arena, st, 3, &oom);
        p->exit_kind = col_str(r->arena, st, 4, &oom);
        p->has_code = sqlite3_column_type(st, 5) != SQLITE_NULL;
        p->code = sqlite3_column_int(st, 5);
        p->has_signal = sqlite3_column_type(st, 6) != SQLITE_NULL;
        p->signal = sqlite3_column_int(st, 6);
        p->finished = sqlite3_column_int(st, 7);
        p->complete = sqlite3_column_int(st, 8);
        p->dropped = sqlite3_column_int64(st, 9);
        p->start_ns = weft_report_ts(sqlite3_column_int64(st, 10));
        p->end_ns = weft_report_ts(sqlite3_column_int64(st, 11));
        p->threads = sqlite3_column_int64(st, 12);
        p->objects = sqlite3_column_int64(st, 13);
        if (oom)
            break;
    }
    return walked(l, st, rc, oom);
}

/* Every stack a finding of this trace names, with its frames. */
static int load_stacks(struct loader *l) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(
            l->db,
            "SELECT fr.stack, fr.depth, fr.pc, fr.function, fr.file, fr.line, fr.module "
            "FROM frames fr WHERE fr.stack IN (SELECT DISTINCT j.value FROM findings f, "
            "json_each(CASE WHEN json_valid(f.stacks) AND json_type(f.stacks) = 'object' "
            "THEN f.stacks ELSE '{}' END) j) "
            "ORDER BY fr.stack, fr.depth",
            -1, &st, NULL) != SQLITE_OK)
        return sql_fail(l, st);
    struct weft__arena *a = l->r->arena;
    size_t cap = 0;
    int rc, oom = 0, fcap = 0;
    struct lstack *cur = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (!cur || cur->id != id) {
            if (l->nstacks == cap) {
                cap = cap ? cap * 2 : 64;
                struct lstack *ns = realloc(l->stacks, cap * sizeof *ns);
                if (!ns) {
                    oom = 1;
                    break;
                }
                l->stacks = ns;
            }
            cur = &l->stacks[l->nstacks++];
            *cur = (struct lstack){id, 0, NULL};
            fcap = 0;
        }
        if (arena_room(a, (void **)&cur->f, cur->n, &fcap, sizeof *cur->f, 16) != 0) {
            oom = 1;
            break;
        }
        struct weft_rframe *f = &cur->f[cur->n++];
        f->pc = sqlite3_column_int64(st, 2);
        f->function = col_str(a, st, 3, &oom);
        f->file = col_str(a, st, 4, &oom);
        f->line = sqlite3_column_int(st, 5);
        f->module = col_str(a, st, 6, &oom);
        if (oom)
            break;
    }
    return walked(l, st, rc, oom);
}

static const struct lstack *find_stack(const struct loader *l, int64_t id) {
    size_t lo = 0, hi = l->nstacks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->stacks[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->nstacks && l->stacks[lo].id == id ? &l->stacks[lo] : NULL;
}

static int proc_index(const struct weft_report *r, int trace, int64_t pid) {
    for (int i = 0; i < r->nprocs; i++)
        if (r->procs[i].trace == trace && r->procs[i].pid == pid)
            return i;
    return -1;
}

static int load_findings(struct loader *l, int trace, int *cap) {
    struct weft_report *r = l->r;
    struct weft__arena *a = r->arena;
    sqlite3_stmt *st = NULL, *roles = NULL;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT f.id, f.kind, f.severity, f.pid, f.thread, f.object, "
                           "f.message, f.stacks, f.uncertain, f.ts, t.tid, t.name, "
                           "t.start_function, b.kind, f.count, f.detail FROM findings f "
                           "LEFT JOIN threads t ON t.id = f.thread "
                           "LEFT JOIN blocked_at_exit b ON b.thread = f.thread ORDER BY f.id",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(l, st);
    /* The stacks object ({"role": id, ...}, in the detector's order),
     * through SQLite's JSON reader; a damaged one names no stacks (a
     * scalar or an array would give rows without a role). */
    if (sqlite3_prepare_v2(l->db,
                           "SELECT key, value FROM json_each(CASE WHEN json_valid(?1) AND "
                           "json_type(?1) = 'object' THEN ?1 ELSE '{}' END) "
                           "WHERE type = 'integer'",
                           -1, &roles, NULL) != SQLITE_OK) {
        sqlite3_finalize(roles);
        return sql_fail(l, st);
    }
    int rc, oom = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct weft_rfinding *nf = grow(r->findings, r->nfindings, cap, sizeof *nf);
        if (!nf) {
            oom = 1;
            break;
        }
        r->findings = nf;
        struct weft_rfinding *f = &r->findings[r->nfindings];
        memset(f, 0, sizeof *f);
        f->trace = trace;
        f->id = sqlite3_column_int64(st, 0);
        f->kind = col_str(a, st, 1, &oom);
        f->severity = col_str(a, st, 2, &oom);
        f->pid = sqlite3_column_int64(st, 3);
        f->thread = sqlite3_column_int64(st, 4);
        f->object = sqlite3_column_int64(st, 5);
        f->message = col_str(a, st, 6, &oom);
        f->uncertain = sqlite3_column_int(st, 8);
        f->proc = proc_index(r, trace, f->pid);
        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            f->ts = weft_report_ts(sqlite3_column_int64(st, 9));
        else if (f->proc >= 0)
            f->ts = r->procs[f->proc].end_ns;
        f->tid = sqlite3_column_int64(st, 10);
        f->thread_name = col_str(a, st, 11, &oom);
        f->start_function = col_str(a, st, 12, &oom);
        /* A process's first thread runs main: it has no start routine of
         * its own to be named by (the timeline's lanes say "main" too). */
        if (!f->start_function && f->tid == 1)
            f->start_function = "main";
        f->blocked_in = col_str(a, st, 13, &oom);
        f->count = sqlite3_column_int(st, 14) > 0 ? sqlite3_column_int(st, 14) : 1;
        f->detail = f->count > 1 ? col_str(a, st, 15, &oom) : NULL;
        if (!f->kind)
            f->kind = "?";
        if (!f->severity)
            f->severity = "error";
        if (!f->message)
            f->message = "";
        sqlite3_reset(roles);
        sqlite3_bind_text(roles, 1, (const char *)sqlite3_column_text(st, 7), -1, SQLITE_TRANSIENT);
        int scap = 0;
        while (sqlite3_step(roles) == SQLITE_ROW) {
            if (arena_room(a, (void **)&f->stacks, f->nstacks, &scap, sizeof *f->stacks, 4) != 0) {
                oom = 1;
                break;
            }
            struct weft_rstack *s = &f->stacks[f->nstacks++];
            s->role = col_str(a, roles, 0, &oom);
            s->id = sqlite3_column_int64(roles, 1);
            const struct lstack *ls = find_stack(l, s->id);
            s->n = ls ? ls->n : 0;
            s->f = ls ? ls->f : NULL;
        }
        if (oom)
            break;
        r->nfindings++;
    }
    sqlite3_finalize(roles);
    return walked(l, st, rc, oom);
}

/* Groups by fingerprint, in order of first appearance: findings sorted
 * by (fingerprint, position) give each group as a run, whose first
 * member is its first finding. */
static int by_fp(const void *a, const void *b, void *findings) {
    const struct weft_rfinding *fs = findings;
    int x = *(const int *)a, y = *(const int *)b;
    int c = strcmp(fs[x].fp, fs[y].fp);
    return c ? c : (x > y) - (x < y);
}

static int by_first(const void *a, const void *b) {
    const struct weft_rgroup *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

static int group(struct weft_report *r) {
    size_t n = (size_t)(r->nfindings ? r->nfindings : 1);
    int *ord = malloc(n * sizeof *ord);
    r->groups = malloc(n * sizeof *r->groups);
    if (!ord || !r->groups) {
        free(ord);
        weft_err("report: out of memory");
        return -1;
    }
    for (int i = 0; i < r->nfindings; i++)
        ord[i] = i;
    qsort_r(ord, (size_t)r->nfindings, sizeof *ord, by_fp, r->findings);
    for (int i = 0; i < r->nfindings;) {
        int j = i;
        while (j < r->nfindings && !strcmp(r->findings[ord[j]].fp, r->findings[ord[i]].fp))
            j++;
        struct weft_rgroup *g = &r->groups[r->ngroups++];
        memcpy(g->fp, r->findings[ord[i]].fp, sizeof g->fp);
        g->first = ord[i];
        g->count = 0;
        for (int k = i; k < j; k++)
            g->count += r->findings[ord[k]].count;
        g->state = WEFT_BASE_NONE;
        i = j;
    }
    /* Runs come in fingerprint order: put the groups in order of their
     * first finding, then point each finding at its group. */
    qsort(r->groups, (size_t)r->ngroups, sizeof *r->groups, by_first);
    for (int g = 0; g < r->ngroups; g++)
        r->findings[r->groups[g].first].group = g;
    for (int i = 0; i < r->nfindings;) {
        int j = i, g = r->findings[ord[i]].group; /* the run's first finding knows it */
        while (j < r->nfindings && !strcmp(r->findings[ord[j]].fp, r->findings[ord[i]].fp))
            r->findings[ord[j++]].group = g;
        i = j;
    }
    free(ord);
    return 0;
}

int weft_report_total(const struct weft_report *r, const char *sev) {
    int n = 0;
    for (int i = 0; i < r->nfindings; i++)
        if (!sev || !strcmp(r->findings[i].severity, sev))
            n += r->findings[i].count;
    return n;
}

int weft_report_load(struct weft_report *r, int n, const char *const *paths, sqlite3 *const *dbs) {
    memset(r, 0, sizeof *r);
    r->arena = calloc(1, sizeof *r->arena);
    r->traces = calloc((size_t)(n ? n : 1), sizeof *r->traces);
    if (!r->arena || !r->traces) {
        weft_err("report: out of memory");
        weft_report_free(r);
        return -1;
    }
    int pcap = 0, fcap = 0;
    for (int i = 0; i < n; i++) {
        r->traces[i] = (struct weft_rtrace){paths[i], dbs[i]};
        r->ntraces++;
        struct loader l = {r, dbs[i], paths[i], NULL, 0};
        int rc = load_procs(&l, i, &pcap);
        if (!rc)
            rc = load_stacks(&l);
        if (!rc)
            rc = load_findings(&l, i, &fcap);
        free(l.stacks);
        if (rc) {
            weft_report_free(r);
            return -1;
        }
    }
    for (int i = 0; i < r->nfindings; i++)
        weft__fingerprint(&r->findings[i], r->findings[i].fp);
    if (group(r) != 0) {
        weft_report_free(r);
        return -1;
    }
    return 0;
}

void weft_report_free(struct weft_report *r) {
    arena_free(r->arena);
    free(r->traces);
    free(r->procs);
    free(r->findings);
    free(r->groups);
    free(r->absent);
    memset(r, 0, sizeof *r);
}

/* The roles a fix is made at, most telling first: the call that blocks,
 * sends, closes or counts wrong; the exit that kept a lock; then the
 * thread's or object's creation. A send-on-closed has both a send and a
 * close stack, and its fault is the send (Go panics there), so "send"
 * goes before "close"; a double-close's "close" is its second close. */
static const char *const main_roles[] = {"blocked", "send", "close", "add",  "done",
                                         "release", "lock", "wait",  "exit", "creation"};

const struct weft_rstack *weft_report_main_stack(const struct weft_rfinding *f) {
    for (size_t k = 0; k < sizeof main_roles / sizeof *main_roles; k++)
        for (int i = 0; i < f->nstacks; i++)
            if (!strcmp(f->stacks[i].role, main_roles[k]) && f->stacks[i].n)
                return &f->stacks[i];
    for (int i = 0; i < f->nstacks; i++)
        if (f->stacks[i].n)
            return &f->stacks[i];
    return NULL;
}

int weft_report_system_frame(const struct weft_rframe *f) {
    const char *b = f->module ? strrchr(f->module, '/') : NULL;
    const char *m = b ? b + 1 : f->module;
    return m && (!strncmp(m, "libc.so", 7) || !strncmp(m, "ld-linux", 8) ||
                 !strncmp(m, "libpthread.so", 13));
}

/* A line of the system's headers (a C++ std::mutex::lock inlined into
 * the program, glibc's inline helpers): the program's code is the caller. */
static int system_source(const char *file) {
    return !strncmp(file, "/usr/include/", 13) || !strncmp(file, "/usr/lib/gcc/", 13);
}

/* glibc's own frames carry lines when its debug file is installed: a
 * program built without -g would otherwise be summed up as
 * libc_start_call_main.h:58, the first frame with a line; and an
 * optimized C++ program's lock as gthr-default.h, the innermost of the
 * functions inlined at the call. */
static const struct weft_rframe *site_of(const struct weft_rstack *s) {
    for (int i = 0; s && i < s->n; i++)
        if (s->f[i].file && s->f[i].line > 0 && !weft_report_system_frame(&s->f[i]) &&
            !system_source(s->f[i].file))
            return &s->f[i];
    return NULL;
}

const struct weft_rframe *weft_report_site(const struct weft_rfinding *f) {
    return site_of(weft_report_main_stack(f));
}

const struct weft_rframe *weft_report_fault_frame(const struct weft_rfinding *f) {
    const struct weft_rstack *s = weft_report_main_stack(f);
    const struct weft_rframe *site = site_of(s);
    if (site || !s)
        return site;
    for (int i = 0; i < s->n; i++)
        if (!weft_report_system_frame(&s->f[i]))
            return &s->f[i];
    return s->n ? &s->f[0] : NULL;
}

int64_t weft_report_span(int64_t from, int64_t to) {
    if (to <= from)
        return 0;
    uint64_t d = (uint64_t)to - (uint64_t)from;
    return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

int64_t weft_report_ts(int64_t ts) {
    return ts < 0 ? 0 : ts > (int64_t)WEFT_TS_MAX ? (int64_t)WEFT_TS_MAX : ts;
}

int weft_report_thread_id_ok(int64_t id, int64_t n) {
    return id >= 1 && id <= 4 * n + 65536;
}

const char *weft_bstate_name(enum weft_bstate s) {
    return s == WEFT_BASE_NEW ? "new" : s == WEFT_BASE_UNCHANGED ? "unchanged" : NULL;
}

/* Go's words for what a goroutine waits on, where C has the same wait. */
static const char *const wait_words[][2] = {
    {"chan_send_begin", "chan send"},
    {"chan_recv_begin", "chan receive"},
    {"select_begin", "select"},
    {"wg_wait_begin", "WaitGroup wait"},
    {"mutex_lock_begin", "mutex lock"},
    {"rwlock_rdlock_begin", "rwlock read lock"},
    {"rwlock_wrlock_begin", "rwlock write lock"},
    {"cond_wait_begin", "cond wait"},
    {"join_begin", "join"},
    {"barrier_wait_begin", "barrier wait"},
    {"sem_wait_begin", "semaphore wait"},
    {"weft_sem_acquire_begin", "semaphore acquire"},
    {"group_wait_begin", "errgroup wait"},
    {"group_go_begin", "errgroup limit"},
    {"future_get_begin", "future get"},
    {"future_free_begin", "future free"},
    {"limiter_wait_begin", "rate limiter wait"},
    {"fd_read_begin", "read"},
    {"fd_write_begin", "write"},
};

const char *weft_report_wait_name(const char *begin_kind) {
    if (!begin_kind)
        return NULL;
    for (size_t i = 0; i < sizeof wait_words / sizeof *wait_words; i++)
        if (!strcmp(wait_words[i][0], begin_kind))
            return wait_words[i][1];
    return begin_kind;
}
