/* SPDX-License-Identifier: MIT */
/* feed.c: the model's stream to the detectors (weft.h's items): the
 * items of what each record touched, the cases of a select, the events;
 * the bounded queue that hands them over in blocks to the hook's thread;
 * the lock by which the loader and the hook share the one connection;
 * and the arena of the strings the items point to. All of it lives in
 * the ingest's struct weft__ingest (ingest_internal.h): the hook's
 * callbacks get the ingest as their argument. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_internal.h"

/* ---- the detectors beside the load ----
 * The `loaded` hook runs on a thread of its own while write_events fills
 * the database: the two share the connection through this lock, each
 * side holding it only around its own SQLite calls. The hook needs the
 * database only before the stream (its set-up) and after it (its last
 * steps): the tables are all in by then, since the stream ends only once
 * they are written. */
static void guard_enter(void *arg) {
    struct weft__ingest *g = arg;
    pthread_mutex_lock(&g->guard.mu);
}

static void guard_leave(void *arg) {
    struct weft__ingest *g = arg;
    pthread_mutex_unlock(&g->guard.mu);
}

/* The loader's side: hold the connection (a no-op while neither the
 * hook's thread nor the events' writer runs beside it). */
void weft__ingest_db_hold(struct weft__ingest *g) {
    if (g->guard.writer || g->guard.on)
        pthread_mutex_lock(&g->guard.mu);
}

void weft__ingest_db_release(struct weft__ingest *g) {
    if (g->guard.writer || g->guard.on)
        pthread_mutex_unlock(&g->guard.mu);
}

/* ---- the events handed to the hook ----
 * write_events makes every event once, in order, and hands them to the
 * hook's thread in blocks of QBLK through this queue. It holds at most
 * QMAX blocks: the loader waits when the hook is that far behind, so the
 * events in memory are bounded whatever the trace's length. Without a
 * thread for the hook (it runs after the load), the queue keeps every
 * block instead. Never published while the loader holds the connection:
 * a full queue waits for the hook, which may wait for the connection. */

/* Publishes the block being filled (with every event's rows in). */
static void q_publish(struct weft__ingest *g) {
    struct qblk *b = g->q.fill;
    g->q.fill = NULL;
    if (!b || !b->n) {
        free(b);
        return;
    }
#if defined(__x86_64__) && defined(__SSE2__)
    _mm_sfence(); /* the block's streaming stores (weft__ingest_q_store) before it is handed over */
#endif
    pthread_mutex_lock(&g->q.mu);
    while (g->q.bounded && g->q.count >= QMAX)
        pthread_cond_wait(&g->q.cv, &g->q.mu);
    b->next = NULL;
    if (g->q.tail)
        g->q.tail->next = b;
    else
        g->q.head = b;
    g->q.tail = b;
    g->q.count++;
    pthread_cond_broadcast(&g->q.cv);
    pthread_mutex_unlock(&g->q.mu);
}

/* One more item for the hook, when it starts a block or fills one (the
 * rest: weft__ingest_push, inline): 0, or -1 when out of memory. */
int weft__ingest_push_block(struct weft__ingest *g, const struct weft_trace_item *it) {
    if (!g->q.fill) {
        pthread_mutex_lock(&g->q.mu);
        struct qblk *b = g->q.spare;
        if (b)
            g->q.spare = b->next;
        pthread_mutex_unlock(&g->q.mu);
        if (!b && !(b = malloc(sizeof *b)))
            return -1;
        b->n = 0;
        g->q.fill = b;
    }
    weft__ingest_q_store(&g->q.fill->e[g->q.fill->n++], it);
    if (g->q.fill->n == QBLK)
        q_publish(g);
    return 0;
}

/* No more events. */
static void q_end(struct weft__ingest *g) {
    q_publish(g);
    pthread_mutex_lock(&g->q.mu);
    g->q.ended = 1;
    pthread_cond_broadcast(&g->q.cv);
    pthread_mutex_unlock(&g->q.mu);
}

static int next_event(void *src, const struct weft_trace_item **e) {
    struct weft__ingest *g = src;
    if (!g->q.read || g->q.rpos == g->q.read->n) {
        pthread_mutex_lock(&g->q.mu);
        if (g->q.read) { /* read through: the loader fills it again */
            g->q.read->next = g->q.spare;
            g->q.spare = g->q.read;
            g->q.read = NULL;
        }
        while (!g->q.head && !g->q.ended)
            pthread_cond_wait(&g->q.cv, &g->q.mu);
        g->q.read = g->q.head;
        if (g->q.head) {
            g->q.head = g->q.head->next;
            if (!g->q.head)
                g->q.tail = NULL;
            g->q.count--;
            pthread_cond_broadcast(&g->q.cv);
        }
        pthread_mutex_unlock(&g->q.mu);
        g->q.rpos = 0;
        if (!g->q.read)
            return 0;
    }
    *e = &g->q.read->e[g->q.rpos++];
    return 1;
}

static void q_free(struct weft__ingest *g) {
    free(g->q.fill);
    free(g->q.read);
    struct qblk *lists[] = {g->q.head, g->q.spare};
    for (int i = 0; i < 2; i++)
        while (lists[i]) {
            struct qblk *b = lists[i];
            lists[i] = b->next;
            free(b);
        }
    g->q.head = g->q.spare = NULL;
    g->q.tail = NULL;
    g->q.fill = g->q.read = NULL;
    g->q.count = g->q.rpos = 0;
    g->q.ended = g->q.bounded = 0;
}

static void *hook_main(void *arg) {
    struct hook_run *h = arg;
    h->rc = h->o->loaded(h->g->db, &h->g->db_guard, next_event, h->g, h->o->user);
    return NULL;
}

/* Starts the hook beside the load; without a thread, it runs at join. */
void weft__ingest_hook_start(struct weft__ingest *g, struct hook_run *h,
                             const struct weft_ingest_opts *o) {
    *h = (struct hook_run){.g = g, .o = o};
    g->guard.on = weft_thread_start(&h->th, hook_main, h) == 0;
    g->q.bounded = g->guard.on;
}

int weft__ingest_hook_join(struct weft__ingest *g, struct hook_run *h) {
    q_end(g);
    if (g->guard.on) {
        pthread_join(h->th, NULL);
        g->guard.on = 0;
    } else {
        hook_main(h);
    }
    return h->rc;
}

/* ---- the model's stream for the hook ----
 * Strings of the rows handed to the hook (thread names, start functions
 * not found) are copied into this arena, which only grows until the
 * ingest ends: the hook's thread reads them after the queue handed them
 * over, while this one goes on. */

static const char *intern(struct weft__ingest *g, const char *str) {
    size_t len = strlen(str);
    uint64_t h = 0x811c9dc5u, v;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)str[i]) * 0x100000001b3u;
    if (map_get(&g->interned, h, len, &v) && !strcmp((const char *)(uintptr_t)v, str))
        return (const char *)(uintptr_t)v;
    if (len + 1 > sizeof g->arena->buf)
        len = sizeof g->arena->buf - 1;
    if (!g->arena || g->arena->used + len + 1 > sizeof g->arena->buf) {
        struct arena_blk *b = malloc(sizeof *b);
        if (!b)
            return NULL;
        b->next = g->arena;
        b->used = 0;
        g->arena = b;
    }
    char *out = g->arena->buf + g->arena->used;
    memcpy(out, str, len);
    out[len] = 0;
    g->arena->used += len + 1;
    map_put(&g->interned, h, len, (uint64_t)(uintptr_t)out);
    return out;
}

static void arena_free(struct weft__ingest *g) {
    while (g->arena) {
        struct arena_blk *b = g->arena->next;
        free(g->arena);
        g->arena = b;
    }
    free(g->interned.e);
    memset(&g->interned, 0, sizeof g->interned);
}

/* The name of thread t's start function as the detectors print it. */
static const char *start_name(struct weft__ingest *g, struct proc *p, const struct thr *t,
                              uint32_t tid) {
    if (t->adopted)
        return tid + p->tid_offset == 1 ? "main" : "(adopted)";
    const char *fn = weft__ingest_start_function(p, t);
    if (fn)
        return fn; /* lives as long as the symbol table */
    char hexs[32];
    snprintf(hexs, sizeof hexs, "0x%llx", (unsigned long long)t->start_routine);
    return intern(g, hexs);
}

/* The items of the threads and objects the last record touched. */
int weft__ingest_push_touched(struct weft__ingest *g) {
    for (int i = 0; i < g->touched.nthr; i++) {
        struct proc *p = &g->procs[g->touched.proc[i]];
        uint32_t tid = g->touched.tid[i];
        if (tid == 0 || tid > p->max_tid)
            continue;
        const struct thr *t = &p->thr[tid];
        struct weft_trace_item it = {.type = WEFT_ITEM_THREAD};
        struct weft_thread_row *row = &it.u.th;
        row->id = (int64_t)(weft__ingest_gtid(p, tid));
        row->pid = p->pid;
        row->tid = tid + p->tid_offset;
        row->parent =
            t->parent && t->parent <= p->max_tid ? (int64_t)weft__ingest_gtid(p, t->parent) : 0;
        row->created_ns = (int64_t)t->created;
        row->joined = t->joined != 0;
        row->joined_ns = (int64_t)t->joined;
        row->joined_by = t->joined_by ? (int64_t)weft__ingest_gtid(p, t->joined_by) : 0;
        row->create_stack = t->create_stack ? (int64_t)(p->stack_base + t->create_stack) : 0;
        row->exit_stack = t->exit_stack ? (int64_t)(p->stack_base + t->exit_stack) : 0;
        row->arg = t->start_routine ? (int64_t)t->arg : 0;
        row->adopted = t->adopted;
        row->internal = t->internal;
        row->detached = t->detached != 0;
        row->exit_kind = t->exit_kind;
        row->start = start_name(g, p, t, tid);
        row->name = t->name[0] ? intern(g, t->name) : NULL;
        row->created_by = weft__ingest_created_by(t);
        if (weft__ingest_push(g, &it) != 0)
            return -1;
    }
    for (int i = 0; i < g->touched.nobj; i++) {
        uint64_t id = g->touched.obj[i];
        if (!id || id > g->nobjs)
            continue;
        const struct obj *o = &g->objs[id - 1];
        const struct proc *p = &g->procs[o->proc];
        struct weft_trace_item it = {.type = WEFT_ITEM_OBJECT};
        it.u.ob = (struct weft_object_row){
            (int64_t)id,
            p->pid,
            (int64_t)o->address,
            o->create_stack ? (int64_t)(p->stack_base + o->create_stack) : 0,
            o->destroy_stack ? (int64_t)(p->stack_base + o->destroy_stack) : 0,
            o->kind,
            o->info};
        if (weft__ingest_push(g, &it) != 0)
            return -1;
    }
    return 0;
}

/* The cases of a select record, for the hook (after write_extra, and
 * never while holding the connection: a full block waits for the hook). */
int weft__ingest_push_cases(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r,
                            uint64_t id) {
    if (!weft__ingest_has_extra(r) || r->kind == WEFT_K_DEADLOCK)
        return 0;
    uint64_t words[WEFT_LOG_MAX_DATA / 8 + 1];
    size_t n = payload(r, (char *)words, sizeof words) / 8;
    for (size_t i = 0; i < n; i++) {
        uint64_t ch = words[i] & ~(uint64_t)3;
        struct weft_trace_item it = {.type = WEFT_ITEM_CASE};
        it.u.sc = (struct weft_case_row){
            (int64_t)id, (int64_t)i, (int64_t)(ch ? weft__ingest_live_obj(g, pi, "chan", ch) : 0),
            (words[i] & 3) == 1 ? 1 : 2};
        if (weft__ingest_push(g, &it) != 0)
            return -1;
    }
    return 0;
}

int weft__ingest_feed_init(struct weft__ingest *g) {
    g->db_guard = (struct weft_db_guard){guard_enter, guard_leave, g};
    if (pthread_mutex_init(&g->guard.mu, NULL) != 0)
        return -1;
    if (pthread_mutex_init(&g->q.mu, NULL) != 0) {
        pthread_mutex_destroy(&g->guard.mu);
        return -1;
    }
    if (pthread_cond_init(&g->q.cv, NULL) != 0) {
        pthread_mutex_destroy(&g->q.mu);
        pthread_mutex_destroy(&g->guard.mu);
        return -1;
    }
    return 0;
}

void weft__ingest_feed_free(struct weft__ingest *g) {
    q_free(g);
    arena_free(g);
    pthread_cond_destroy(&g->q.cv);
    pthread_mutex_destroy(&g->q.mu);
    pthread_mutex_destroy(&g->guard.mu);
}
