/* SPDX-License-Identifier: MIT */
/* engine.c: runs the detectors over a trace's stream of items (weft.h:
 * the shape, the threads' and objects' rows, the events in trace order),
 * whether the ingest hands them over as it reads the logs or they are
 * read back from a database (the ingest's dbsource.c). Replays every
 * event once through the happens-before engine (the edges of
 * docs/detectors.md), keeps each thread's current blocking call, hands
 * each event to every detector of the registry, then lets them finish;
 * the findings replace the findings table's rows in one transaction. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static char *dupcol(sqlite3_stmt *st, int i) {
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? strdup((const char *)s) : NULL;
}

static int64_t col64(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

/* Which kinds begin (1) or end (2) a blocking call, from log.h. */
const unsigned char weft__blocking[WEFT_K_MAX] = {
#define B(name, num, str, fam, blk) [num] = blk,
    WEFT_KINDS(B)
#undef B
};
static const char *const kind_names[WEFT_K_MAX] = {
#define N(name, num, str, fam, blk) [num] = str,
    WEFT_KINDS(N)
#undef N
};

const char *weft__kind_name(int kind) {
    return kind > 0 && kind < WEFT_K_MAX && kind_names[kind] ? kind_names[kind] : "?";
}

const struct weft__proc *weft__proc_of(const struct weft__dctx *c, int64_t pid) {
    for (int i = 0; i < c->nprocs; i++)
        if (c->procs[i].pid == pid)
            return &c->procs[i];
    return NULL;
}

int weft__proc_exited_normally(const struct weft__proc *p) {
    return p && p->exit_kind &&
           (!strcmp(p->exit_kind, "return") || !strcmp(p->exit_kind, "exit") ||
            !strcmp(p->exit_kind, "_exit"));
}

const char *weft__thread_name(struct weft__dctx *c, uint32_t id, char *buf, size_t n) {
    (void)c;
    snprintf(buf, n, WEFT__THREAD_REF "%u" WEFT__THREAD_REF_END, id);
    return buf;
}

const char *weft__thread_name_now(struct weft__dctx *c, uint32_t id, char *buf, size_t n) {
    struct weft__thr *t = weft__thr_of(c, id);
    if (!t)
        snprintf(buf, n, "thread ?");
    else if (t->name && *t->name)
        snprintf(buf, n, "thread %lld \"%s\" (%s)", (long long)t->tid, t->name,
                 t->start ? t->start : "?");
    else
        snprintf(buf, n, "thread %lld (%s)", (long long)t->tid, t->start ? t->start : "?");
    return buf;
}

void weft__db_enter(struct weft__dctx *c) {
    const struct weft_db_guard *g = c->opts->guard;
    if (g && c->held++ == 0)
        g->enter(g->arg);
}

void weft__db_leave(struct weft__dctx *c) {
    const struct weft_db_guard *g = c->opts->guard;
    if (g && --c->held == 0)
        g->leave(g->arg);
}

/* An object's row as a stream's OBJECT item gave it (stream mode). */
struct weft__objrow {
    uint64_t id;
    int64_t pid, address, create_stack, destroy_stack;
    const char *kind, *info; /* the ingest's static strings */
};

int weft__object(struct weft__dctx *c, int64_t id, struct weft__objinfo *out) {
    memset(out, 0, sizeof *out);
    uint64_t k = (uint64_t)id;
    const struct weft__objrow *o = id > 0 ? weft__table_get(&c->objects, &k, 0) : NULL;
    if (!o)
        return -1;
    snprintf(out->kind, sizeof out->kind, "%s", o->kind ? o->kind : "?");
    out->address = o->address;
    out->create_stack = o->create_stack;
    out->destroy_stack = o->destroy_stack;
    snprintf(out->info, sizeof out->info, "%s", o->info ? o->info : "");
    return 0;
}

int weft__select_case(struct weft__dctx *c, uint32_t th, int64_t ev, int64_t idx, int64_t *object) {
    *object = 0;
    struct weft__thr *t = weft__thr_of(c, th);
    for (int k = 0; t && k < 2; k++)
        if (t->sel_ev[k] == ev && ev)
            for (uint32_t i = 0; i < t->sel_n[k]; i++)
                if (t->sel_case[k][i].idx == idx) {
                    *object = t->sel_case[k][i].object;
                    return t->sel_case[k][i].op;
                }
    return -1;
}

int weft__known_object(struct weft__dctx *c, int64_t pid, int64_t addr) {
    uint64_t k[2] = {(uint64_t)pid, (uint64_t)addr};
    return pid > 0 && weft__table_get(&c->known, k, 0) != NULL;
}

/* A row of PROCS_SQL into p (its exit_kind replaced). */
#define PROCS_SQL "SELECT pid, exit_kind, exit_code, signal, finished FROM processes"
static void proc_row(struct weft__proc *p, sqlite3_stmt *st) {
    p->pid = col64(st, 0);
    free(p->exit_kind);
    p->exit_kind = dupcol(st, 1);
    p->has_code = sqlite3_column_type(st, 2) != SQLITE_NULL;
    p->code = (int)col64(st, 2);
    p->signal = (int)col64(st, 3);
    p->finished = (int)col64(st, 4);
}

/* Keys of the per-object clocks in the engine's table: (pid * 8 + tag);
 * TAG_HB's is WEFT__HB_KEY (internal.h). */
enum { TAG_HB = 0, TAG_MUTEX = 1, TAG_RW = 2, TAG_COND = 3, TAG_BARRIER = 4, TAG_SEM = 5 };
#define KEY(pid, tag) ((uint64_t)(pid)*8u + (tag))
_Static_assert(KEY(3, TAG_HB) == WEFT__HB_KEY(3), "the hb tickets' key");

/* A detached thread that ended can never be joined: it leaves the
 * happens-before engine (weft__vc_exited), at its end or at its detach,
 * whichever the trace shows last (a worker can finish before its
 * creator's detach record, weft_go's threads often do). */
static void gone_if_detached(struct weft__dctx *c, uint32_t id, const struct weft__thr *t) {
    if (!t->ended || !t->detached)
        return;
    if (c->hb)
        weft__vc_exited(c->hb, id);
    if (c->hb_nolock)
        weft__vc_exited(c->hb_nolock, id);
}

int weft__hb_nolock_start(struct weft__dctx *c) {
    if (!c->hb_nolock)
        c->hb_nolock = weft__vc_new(c->nthreads);
    return c->hb_nolock ? 0 : -1;
}

/* The happens-before edges of one event (docs/detectors.md lists them)
 * into h: c->hb, or with locks = 0 c->hb_nolock, which leaves out the
 * mutex and rwlock edges (a cond wait still acquires its signals). */
static void hb_event(struct weft__dctx *c, struct weft__vc *h, const struct weft__ev *e,
                     int locks) {
    if (!h)
        return;
    uint32_t t = e->thread;
    uint64_t obj = (uint64_t)e->obj;
    /* Annotations folded into the event come first: they happened inside
     * the call, before it took effect. */
    if (e->has_acq) {
        weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_HB), (uint64_t)e->hb_obj, (uint64_t)e->acq);
        if (locks) /* the ticket's tag, for answered.c (which runs after) */
            weft__vc_acquired_tag(h, &c->acq_tag_thread, &c->acq_tag_event);
    }
    if (e->has_rel)
        weft__vc_obj_release(h, t, KEY(e->pid, TAG_HB), (uint64_t)e->hb_obj, (uint64_t)e->rel,
                             e->rel_once ? WEFT__VC_ONCE : 0);
    switch (e->kind) {
    case WEFT_K_THREAD_CREATE: {
        uint32_t child = (uint32_t)e->peer;
        struct weft__thr *ct = weft__thr_of(c, child);
        if (ct && !ct->started) {
            /* the child acquires it at its start */
            weft__vc_release(h, t, locks ? &ct->start_rv : &ct->start_rv_nolock, 1);
        } else {
            weft__rv dummy = {0}; /* the child started first: it took our clock then */
            weft__vc_release(h, t, &dummy, 1);
            weft__rv_drop(&dummy);
        }
        break;
    }
    case WEFT_K_THREAD_START: {
        struct weft__thr *me = weft__thr_of(c, t);
        if (!me)
            break;
        weft__rv *srv = locks ? &me->start_rv : &me->start_rv_nolock;
        if (srv->s || srv->t) {
            weft__vc_acquire(h, t, srv);
            weft__rv_drop(srv);
        } else if (me->parent && !me->start_seen_create) {
            /* pthread_create has not returned yet in the creator, which
             * therefore did nothing since the call: its clock now is its
             * clock at the call. */
            weft__rv v = weft__vc_now(h, (uint32_t)me->parent);
            weft__vc_acquire(h, t, &v);
            weft__rv_drop(&v);
        }
        break;
    }
    case WEFT_K_JOIN_END:
    case WEFT_K_TRYJOIN:
        if (e->arg == 0) {
            uint32_t child = (uint32_t)e->peer;
            if (child) {
                weft__rv v = weft__vc_now(h, child);
                weft__vc_acquire(h, t, &v);
                weft__rv_drop(&v);
                weft__vc_joined(h, child, t);
            }
        }
        break;
    case WEFT_K_MUTEX_LOCK_END:
    case WEFT_K_MUTEX_TRYLOCK:
        if (e->arg == 0 && locks)
            weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_MUTEX), obj, 0);
        break;
    case WEFT_K_MUTEX_UNLOCK:
    case WEFT_K_MUTEX_RELOCKS: /* its locks took back the thread's own clock */
        if (locks)
            weft__vc_obj_release(h, t, KEY(e->pid, TAG_MUTEX), obj, 0, 1);
        break;
    case WEFT_K_RW_RDLOCK_END:
    case WEFT_K_RW_WRLOCK_END:
    case WEFT_K_RW_TRYLOCK:
        if (e->arg == 0 && locks)
            weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_RW), obj, 0);
        break;
    case WEFT_K_RW_UNLOCK:
        if (locks)
            weft__vc_obj_release(h, t, KEY(e->pid, TAG_RW), obj, 0, 0);
        break;
    case WEFT_K_COND_WAIT_BEGIN: /* the wait unlocks its mutex */
        if (locks)
            weft__vc_obj_release(h, t, KEY(e->pid, TAG_MUTEX), (uint64_t)e->arg, 0, 1);
        break;
    case WEFT_K_COND_WAIT_END: /* ... and locks it again */
        if (locks)
            weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_MUTEX), (uint64_t)e->arg2, 0);
        weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_COND), obj, 0);
        break;
    case WEFT_K_COND_SIGNAL:
    case WEFT_K_COND_BROADCAST:
        weft__vc_obj_release(h, t, KEY(e->pid, TAG_COND), obj, 0, 0);
        break;
    case WEFT_K_BARRIER_WAIT_BEGIN:
        weft__vc_obj_release(h, t, KEY(e->pid, TAG_BARRIER), obj, 0, 0);
        break;
    case WEFT_K_BARRIER_WAIT_END:
        weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_BARRIER), obj, 0);
        break;
    case WEFT_K_SEM_POST:
        weft__vc_obj_release(h, t, KEY(e->pid, TAG_SEM), obj, 0, 0);
        break;
    case WEFT_K_SEM_WAIT_END:
    case WEFT_K_SEM_TRYWAIT:
        if (e->arg == 0)
            weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_SEM), obj, 0);
        break;
    case WEFT_K_HB_RELEASE:
        weft__vc_obj_release(h, t, KEY(e->pid, TAG_HB), obj, (uint64_t)e->arg,
                             e->rel_once ? WEFT__VC_ONCE : 0);
        break;
    case WEFT_K_HB_ACQUIRE:
        weft__vc_obj_acquire(h, t, KEY(e->pid, TAG_HB), obj, (uint64_t)e->arg);
        if (locks)
            weft__vc_acquired_tag(h, &c->acq_tag_thread, &c->acq_tag_event);
        break;
    default:
        break;
    }
}

/* Thread bookkeeping every detector may read, once per event after both
 * sets of clocks took its edges: started, ended, the last child, and the
 * blocking call it is in. */
static void state_event(struct weft__dctx *c, const struct weft__ev *e) {
    struct weft__thr *t = weft__thr_of(c, e->thread);
    if (!t || e->kind <= 0 || e->kind >= WEFT_K_MAX)
        return;
    switch (e->kind) {
    case WEFT_K_THREAD_CREATE: {
        struct weft__thr *ct = weft__thr_of(c, (uint32_t)e->peer);
        if (ct)
            ct->start_seen_create = 1;
        t->last_child = (uint32_t)e->peer;
        break;
    }
    case WEFT_K_THREAD_START:
        t->started = 1;
        break;
    case WEFT_K_THREAD_RETURN:
    case WEFT_K_THREAD_EXIT:
    case WEFT_K_THREAD_CANCELED:
        t->ended = e->id;
        gone_if_detached(c, e->thread, t);
        break;
    default:
        break;
    }
    int phase = weft__call_phase(e);
    if (phase == 1) {
        if (t->call.kind && !t->nested) {
            /* a signal handler's call inside the open one: that one aside
             * (a third level replaces the handler's, as the ingest does) */
            t->nested = 1;
            t->outer = t->call;
        }
        t->call.kind = e->kind;
        t->call.answered = 0;
        t->call.target = 0;
        t->call.obj = e->obj;
        t->call.arg2 = e->arg2;
        t->call.object = e->object;
        t->call.stack = e->stack;
        t->call.event = e->id;
    } else if (phase == 2 && t->nested) {
        /* the handler's call ended: back in the one it interrupted */
        t->nested = 0;
        t->call = t->outer;
    } else if (phase == 2) {
        t->call.kind = 0;
    }
}

static void free_ctx(struct weft__dctx *c) {
    for (int i = 0; i < weft__ndetectors; i++) {
        if (c->det[i] && weft__detectors[i]->drop)
            weft__detectors[i]->drop(c->det[i]);
        free(c->det[i]);
    }
    for (uint32_t i = 0; i <= c->nthreads && c->thr; i++) {
        struct weft__thr *t = &c->thr[i];
        free(t->exit_kind);
        free(t->start);
        free(t->name);
        free(t->created_by);
        free(t->sel_case[0]);
        free(t->sel_case[1]);
        weft__rv_drop(&t->start_rv);
        weft__rv_drop(&t->start_rv_nolock);
    }
    free(c->thr);
    for (int i = 0; i < c->nprocs; i++)
        free(c->procs[i].exit_kind);
    free(c->procs);
    weft__vc_free(c->hb);
    weft__vc_free(c->hb_nolock);
    weft__answered_free(c);
    sqlite3_finalize(c->ins);
    sqlite3_finalize(c->frames_q);
    weft_supp_free(c->defaults);
    weft__table_free(&c->objects);
    weft__table_free(&c->known);
    free(c->pend_case);
    weft__findings_free(c);
}

/* ---- stream mode: the model's rows as the ingest hands them over ---- */

static char *dupstr(const char *s) {
    return s ? strdup(s) : NULL;
}

int weft__grow_array(void **arr, size_t size, uint32_t n_old, uint32_t n_new) {
    if (n_new <= n_old)
        return 0;
    char *p = realloc(*arr, ((size_t)n_new + 1) * size);
    if (!p)
        return -1;
    memset(p + ((size_t)n_old + 1) * size, 0, (size_t)(n_new - n_old) * size);
    *arr = p;
    return 0;
}

/* A SHAPE after the first (a live ingest's trace grows while it is read):
 * more threads, and processes not named before. */
static int stream_grow(struct weft__dctx *c, const struct weft_trace_shape *sh) {
    uint32_t old_n = c->nthreads;
    int old_procs = c->nprocs;
    if (sh->nthreads > old_n) {
        if (weft__grow_array((void **)&c->thr, sizeof *c->thr, old_n, sh->nthreads) != 0 ||
            weft__vc_grow(c->hb, sh->nthreads) != 0 ||
            (c->hb_nolock && weft__vc_grow(c->hb_nolock, sh->nthreads) != 0))
            return -1;
        c->nthreads = sh->nthreads;
    }
    for (int i = 0; i < sh->nprocs; i++) {
        if (weft__proc_of(c, sh->pids[i]))
            continue;
        struct weft__proc *np = realloc(c->procs, ((size_t)c->nprocs + 2) * sizeof *np);
        if (!np)
            return -1;
        c->procs = np;
        memset(&c->procs[c->nprocs], 0, sizeof *c->procs);
        c->procs[c->nprocs++].pid = sh->pids[i];
    }
    for (int i = 0; i < weft__ndetectors; i++)
        if (weft__detectors[i]->grow &&
            weft__detectors[i]->grow(c, c->det[i], old_n, old_procs) != 0)
            return -1;
    return 0;
}

/* SHAPE: the threads' ids and the processes, before any event. */
static int stream_shape(struct weft__dctx *c, const struct weft_trace_shape *sh) {
    c->nthreads = sh->nthreads;
    c->thr = calloc((size_t)c->nthreads + 1, sizeof *c->thr);
    c->procs = calloc((size_t)sh->nprocs + 1, sizeof *c->procs);
    if (!c->thr || !c->procs)
        return -1;
    for (int i = 0; i < sh->nprocs; i++)
        c->procs[c->nprocs++].pid = sh->pids[i];
    c->objects = (struct weft__table)WEFT__TABLE(struct weft__objrow, 1);
    c->known = (struct weft__table)WEFT__TABLE(uint64_t[2], 2);
    return 0;
}

/* THREAD: a thread's row as it stands now. */
static int stream_thread(struct weft__dctx *c, const struct weft_thread_row *row) {
    if (row->id < 1 || row->id > (int64_t)c->nthreads)
        return 0;
    struct weft__thr *t = &c->thr[row->id];
    t->has_row = 1;
    t->pid = row->pid;
    t->tid = row->tid;
    t->parent = row->parent;
    t->created_ns = row->created_ns;
    t->joined_by = row->joined_by;
    t->joined_ns = row->joined_ns;
    t->joined = row->joined;
    t->create_stack = row->create_stack;
    t->exit_stack = row->exit_stack;
    t->arg = row->arg;
    t->adopted = row->adopted;
    t->internal = row->internal;
    t->detached = row->detached;
    gone_if_detached(c, (uint32_t)row->id, t);
    t->exited = row->exit_kind != NULL;
    /* the strings change rarely (a name set, an exit): copied when they do */
    const char *now[4] = {row->exit_kind, row->start, row->name, row->created_by};
    char **mine[4] = {&t->exit_kind, &t->start, &t->name, &t->created_by};
    for (int k = 0; k < 4; k++)
        if (!now[k] != !*mine[k] || (now[k] && strcmp(now[k], *mine[k]))) {
            free(*mine[k]);
            if (!(*mine[k] = dupstr(now[k])) && now[k])
                return -1;
        }
    return 0;
}

/* OBJECT: an object's row as it stands now. */
static int stream_object(struct weft__dctx *c, const struct weft_object_row *row) {
    uint64_t k = (uint64_t)row->id;
    struct weft__objrow *o = row->id > 0 ? weft__table_get(&c->objects, &k, 1) : NULL;
    if (!o)
        return row->id > 0 ? -1 : 0;
    o->pid = row->pid;
    o->address = row->address;
    o->create_stack = row->create_stack;
    o->destroy_stack = row->destroy_stack;
    o->kind = row->kind;
    o->info = row->info;
    if (row->kind && strcmp(row->kind, "thread")) {
        uint64_t kk[2] = {(uint64_t)row->pid, (uint64_t)row->address};
        if (row->pid > 0 && !weft__table_get(&c->known, kk, 1))
            return -1;
    }
    return 0;
}

/* CASE: held until its event comes, then kept on the event's thread. */
static int stream_case(struct weft__dctx *c, const struct weft_case_row *row) {
    if (c->npend_case == c->cappend_case) {
        uint32_t nc = c->cappend_case ? c->cappend_case * 2 : 16;
        struct weft_case_row *n = realloc(c->pend_case, nc * sizeof *n);
        if (!n)
            return -1;
        c->pend_case = n;
        c->cappend_case = nc;
    }
    c->pend_case[c->npend_case++] = *row;
    return 0;
}

static int stream_cases_to(struct weft__dctx *c, const struct weft__ev *e) {
    struct weft__thr *t = weft__thr_of(c, e->thread);
    uint32_t n = c->npend_case;
    c->npend_case = 0;
    if (!t || !n || c->pend_case[0].event != e->id)
        return 0;
    int k = t->sel_next;
    t->sel_next = !k;
    if (n > t->sel_cap[k]) {
        struct weft_case_row *m = realloc(t->sel_case[k], n * sizeof *m);
        if (!m)
            return -1;
        t->sel_case[k] = m;
        t->sel_cap[k] = n;
    }
    memcpy(t->sel_case[k], c->pend_case, n * sizeof *c->pend_case);
    t->sel_n[k] = n;
    t->sel_ev[k] = e->id;
    return 0;
}

/* An item other than an event: a row the model changed, a select's
 * case, or a later SHAPE (a live trace's growth). 0, or -1 when out of
 * memory. */
static int stream_item(struct weft__dctx *c, const struct weft_trace_item *it) {
    switch (it->type) {
    case WEFT_ITEM_THREAD:
        return stream_thread(c, &it->u.th);
    case WEFT_ITEM_OBJECT:
        return stream_object(c, &it->u.ob);
    case WEFT_ITEM_CASE:
        return stream_case(c, &it->u.sc);
    case WEFT_ITEM_SHAPE:
        return stream_grow(c, &it->u.shape);
    default:
        return 0;
    }
}

/* At the end of a stream: the processes' rows (in by then). */
static int stream_procs(struct weft__dctx *c) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, PROCS_SQL, -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct weft__proc *p = (struct weft__proc *)weft__proc_of(c, col64(st, 0));
        if (p)
            proc_row(p, st);
    }
    sqlite3_finalize(st);
    return 0;
}

/* A database's trace: the same stream, read back from its tables by
 * the ingest's database source. */
int weft_detect(sqlite3 *db, const struct weft_detect_opts *o, struct weft_detect_result *r) {
    struct weft_db_source *src = weft_db_source_open(db);
    if (!src)
        return -1;
    int rc = weft_detect_events(db, o, r, weft_db_source_next, src);
    weft_db_source_close(src);
    return rc;
}

int weft_detect_events(sqlite3 *db, const struct weft_detect_opts *o, struct weft_detect_result *r,
                       weft_event_next next, void *src) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static const struct weft_detect_opts none;
    struct weft_detect_result dummy;
    if (!r)
        r = &dummy;
    memset(r, 0, sizeof *r);
    struct weft__dctx c = {.db = db, .opts = o ? o : &none, .res = r};
    int rc = -1;
    /* With a guard, the connection is shared: it is held for the set-up
     * and the finish, and only around each lookup or report between. */
    int own_tx = !c.opts->guard;
    weft__db_enter(&c);
    if ((own_tx && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) ||
        sqlite3_exec(db, "DELETE FROM findings", NULL, NULL, NULL) != SQLITE_OK)
        goto sqlerr;
    /* A stream opens with its shape. */
    const struct weft_trace_item *it;
    weft__db_leave(&c); /* the loader may need the connection to go on */
    int s = next(src, &it);
    weft__db_enter(&c);
    if (s != 1 || it->type != WEFT_ITEM_SHAPE) {
        if (s >= 0)
            weft_err("detectors: the trace's stream does not start with its shape");
        while (s == 1)
            s = next(src, &it);
        goto undo;
    }
    if (stream_shape(&c, &it->u.shape) != 0)
        goto oom;
    if (!c.opts->no_default_supp && !(c.defaults = weft__supp_defaults()))
        goto undo; /* said */
    c.hb = weft__vc_new(c.nthreads);
    if (!c.hb || weft__answered_init(&c) != 0)
        goto sqlerr;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO findings (kind, severity, pid, thread, object, "
                           "message, stacks, ts, count, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
                           -1, &c.ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            db, "SELECT function, file, module FROM frames WHERE stack = ? ORDER BY depth", -1,
            &c.frames_q, NULL) != SQLITE_OK)
        goto sqlerr;
    for (int i = 0; i < weft__ndetectors; i++)
        if (!(c.det[i] = calloc(1, weft__detectors[i]->size ? weft__detectors[i]->size : 1)) ||
            (weft__detectors[i]->init && weft__detectors[i]->init(&c, c.det[i]) != 0))
            goto oom;
    for (int k = 0; k < WEFT_K_MAX; k++)
        for (int i = 0; i < weft__ndetectors; i++) {
            const struct weft__detector *d = weft__detectors[i];
            if (d->event && (!d->wants || (k && d->wants(k))))
                c.disp[k][c.ndisp[k]++] = (unsigned char)i;
        }
    weft__db_leave(&c);
    while ((s = next(src, &it)) == 1) {
        if (it->type != WEFT_ITEM_EVENT) {
            if (stream_item(&c, it) != 0)
                goto oom_out;
            continue;
        }
        const struct weft_trace_event *te = &it->u.ev;
        struct weft__ev e;
        e.id = te->id;
        e.pid = te->pid;
        e.thread = (uint32_t)te->thread;
        e.ts = te->ts;
        e.kind = (int)te->kind;
        e.object = te->object;
        e.obj = te->obj;
        e.arg = te->arg;
        e.arg2 = te->arg2;
        e.stack = te->stack;
        e.hb_obj = te->hb_obj;
        e.has_acq = te->has_acq;
        e.acq = te->acq;
        e.has_rel = te->has_rel;
        e.rel = te->rel;
        e.rel_once = te->rel_once;
        e.peer = te->peer;
        if (stream_cases_to(&c, &e) != 0)
            goto oom_out;
        r->events++;
        c.now = e.ts;
        c.acq_tag_thread = 0;
        c.acq_tag_event = 0;
        hb_event(&c, c.hb, &e, 1);
        hb_event(&c, c.hb_nolock, &e, 0);
        state_event(&c, &e);
        weft__answered_event(&c, &e);
        int k = e.kind > 0 && e.kind < WEFT_K_MAX ? e.kind : 0;
        for (int j = 0; j < c.ndisp[k]; j++) {
            int i = c.disp[k][j];
            weft__detectors[i]->event(&c, c.det[i], &e);
        }
    }
    if (!c.held)
        weft__db_enter(&c);
    if (s != 0)
        goto sqlerr;
    if (stream_procs(&c) != 0)
        goto sqlerr;
    c.now = 0; /* what finish() finds is found at the end */
    for (int i = 0; i < weft__ndetectors; i++)
        if (weft__detectors[i]->finish && weft__detectors[i]->finish(&c, c.det[i]) != 0)
            goto oom;
    if (weft__findings_flush(&c) != 0)
        goto sqlerr;
    /* In a process whose records were partly lost (processes.complete =
     * 0: dropped events, skipped chunks), the kinds a missing record can
     * fabricate are marked uncertain: a lost exit, join or detach makes a
     * false leaked, unjoined or unbounded thread; a lost unlock a false
     * lock held at exit; a lost wait or Add a false over-release or
     * negative counter; a lost release a false WaitGroup race. Kinds the
     * trace shows by an error the call itself returned (double-close,
     * send-on-closed), by the watchdog's own record (deadlock) or by one
     * call's arguments stay certain: a loss cannot make them up. */
    if (sqlite3_exec(db,
                     "UPDATE findings SET uncertain = 1 WHERE kind IN ('leaked-thread', "
                     "'unjoined-thread', 'unbounded-threads', 'lock-held-at-exit', "
                     "'semaphore-over-release', 'wg-negative-counter', 'lock-order-inversion', "
                     "'wg-add-concurrent-with-wait', 'wg-reused-before-wait-returned') "
                     "AND pid IN (SELECT pid FROM processes WHERE complete = 0)",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto sqlerr;
    if (own_tx && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto sqlerr;
    rc = 0;
    goto out;
oom_out:
    /* The loader is still handing items over: they are taken (and
     * dropped) so that it never waits for room. */
    while (next(src, &it) == 1)
        ;
    weft__db_enter(&c);
oom:
    weft_err("detectors: out of memory");
    goto undo;
sqlerr:
    weft_err("detectors: %s", c.thr || c.hb ? sqlite3_errmsg(db) : "out of memory");
undo:
    /* Half a set of findings is worse than none. */
    if (own_tx)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    else
        sqlite3_exec(db, "DELETE FROM findings", NULL, NULL, NULL);
out:
    free_ctx(&c);
    if (c.held) {
        c.held = 1;
        weft__db_leave(&c);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}

int weft_detect_file(const char *path, const struct weft_detect_opts *o,
                     struct weft_detect_result *r) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        weft_err("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 5000);
    int rc = weft_detect(db, o, r);
    sqlite3_close(db);
    return rc;
}
