/* SPDX-License-Identifier: MIT */
/* rows.c: what becomes of the events in the database, besides their
 * rows (which writer.c writes): the SQL helpers every table's writer
 * uses, event_counts (the events counted instead of a row each: plain
 * channel operations, short waits, hb annotations, and mutex locks that
 * carried no new edge, with each live mutex's pending unlock), the rows
 * hanging off events (select_cases, deadlock_waits) and blocked_at_exit.
 * The connection and the counts live in the ingest's struct
 * weft__ingest (ingest_internal.h); the loader holds the
 * connection (feed.c's guard) around each use while the detectors or
 * the events' writer run beside it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_internal.h"
#include "relock.h"

int weft__ingest_exec(struct weft__ingest *g, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(g->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        weft_err("database: %s", msg ? msg : sqlite3_errmsg(g->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

sqlite3_stmt *weft__ingest_prep(struct weft__ingest *g, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(g->db, sql, -1, &st, NULL) != SQLITE_OK)
        weft_err("database: %s", sqlite3_errmsg(g->db));
    return st;
}

int weft__ingest_step(struct weft__ingest *g, sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        weft_err("database: %s", sqlite3_errmsg(g->db));
        return -1;
    }
    return 0;
}

/* The payloads some events carry: a select's cases, a deadlock's waits. */
int weft__ingest_has_extra(const struct weft_rec *r) {
    return r->dlen && (r->kind == WEFT_K_SELECT_BEGIN || r->kind == WEFT_K_SELECT_END ||
                       r->kind == WEFT_K_DEADLOCK);
}

int weft__ingest_write_extra(struct weft__ingest *g, struct proc *p, uint32_t pi,
                             const struct weft_rec *r, uint64_t id, sqlite3_stmt *sc,
                             sqlite3_stmt *sd) {
    if (!weft__ingest_has_extra(r))
        return 0;
    uint64_t words[WEFT_LOG_MAX_DATA / 8 + 1];
    size_t n = payload(r, (char *)words, sizeof words) / 8;
    if (r->kind == WEFT_K_DEADLOCK) {
        for (size_t i = 0; i + 1 < n; i += 2) {
            uint32_t tid = (uint32_t)words[i];
            unsigned kind = (unsigned)(words[i] >> 32) & 0xffff;
            if (!tid || tid > p->max_tid)
                continue;
            const char *fam = weft_kind_family(kind);
            uint64_t o = 0;
            if (fam && !strcmp(fam, "thread")) { /* a join: the target thread */
                uint32_t tt = weft__ingest_tid_of_handle(p, words[i + 1]);
                o = tt && tt <= p->max_tid ? p->thr[tt].object : 0;
            } else if (fam) {
                o = weft__ingest_live_obj(g, pi, !strcmp(fam, "select") ? "chan" : fam,
                                          words[i + 1]);
            }
            I64(sd, 1, id);
            I64(sd, 2, weft__ingest_gtid(p, tid));
            TXT(sd, 3, weft_kind_name(kind) ? weft_kind_name(kind) : "?");
            I64(sd, 4, words[i + 1]);
            OPT(sd, 5, o);
            if (weft__ingest_step(g, sd))
                return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t ch = words[i] & ~(uint64_t)3;
        uint64_t object = ch ? weft__ingest_live_obj(g, pi, "chan", ch) : 0;
        I64(sc, 1, id);
        I64(sc, 2, i);
        I64(sc, 3, ch);
        TXT(sc, 4, (words[i] & 3) == 1 ? "send" : "recv");
        OPT(sc, 5, object);
        if (weft__ingest_step(g, sc))
            return -1;
    }
    return 0;
}

/* ---- event_counts: high-volume events counted instead of a row each ----
 * A send or receive that completed without error and without waiting, or
 * after a wait shorter than --min-wait (a rendezvous that parked for a
 * few microseconds: the bulk of a busy channel's records), and libweft's
 * standalone happens-before annotations, are counted per (thread, object,
 * kind), with how many waited and for how long in all. Everything else
 * keeps its row: every begin, every longer wait (so blocking is visible
 * row by row), every error (send on closed), closes, selects, WaitGroups,
 * threads, locks. The detectors see every event anyway (from memory).
 * --all-events keeps a row for each. */

/* The counts of event e's thread, kind and object, made at e when new. */
static struct sum *sum_of(struct weft__ingest *g, const struct weft_trace_event *e) {
    uint64_t key = (uint64_t)e->thread << 8 | (uint64_t)e->kind, v = 0;
    struct sum *x;
    if (map_get(&g->sum_idx, key, (uint64_t)e->object, &v))
        return &g->sums[v - 1];
    if (ROOM(g->sums, g->nsums, g->capsums, 64) != 0) {
        weft_err("out of memory");
        return NULL;
    }
    x = &g->sums[g->nsums++];
    *x =
        (struct sum){e->pid, e->thread, e->object, e->obj, e->kind, 0, e->ts, 0, e->id, 0, 0, 0, 0};
    if (map_put(&g->sum_idx, key, (uint64_t)e->object, g->nsums) != 0) {
        weft_err("out of memory");
        return NULL;
    }
    return x;
}

/* k more events of e's thread, kind and object counted at once (their
 * last id and time are set by the caller's next count). */
static int sum_add(struct weft__ingest *g, const struct weft_trace_event *e, uint64_t k) {
    struct sum *x = sum_of(g, e);
    if (!x)
        return -1;
    x->count += (int64_t)k;
    return 0;
}

/* Counts event e (they come in id order); wait_ns >= 0: it waited that
 * long, and stands for its begin too. */
int weft__ingest_sum_op(struct weft__ingest *g, const struct weft_trace_event *e, int64_t wait_ns) {
    struct sum *x = sum_of(g, e);
    if (!x)
        return -1;
    x->count++;
    x->last_ns = e->ts;
    x->last_id = e->id;
    if (wait_ns >= 0) {
        x->waited++;
        x->wait_ns += wait_ns;
        if (wait_ns > x->max_wait_ns)
            x->max_wait_ns = wait_ns;
    }
    return 0;
}

int weft__ingest_write_sums(struct weft__ingest *g) {
    sqlite3_stmt *st =
        weft__ingest_prep(g, "INSERT INTO event_counts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int rc = st ? 0 : -1;
    for (size_t i = 0; i < g->nsums && !rc; i++) {
        struct sum *x = &g->sums[i];
        I64(st, 1, x->pid);
        I64(st, 2, x->thread);
        OPT(st, 3, x->object);
        I64(st, 4, x->obj);
        TXT(st, 5, weft_kind_name((unsigned)x->kind));
        I64(st, 6, x->count);
        I64(st, 7, x->first_ns);
        I64(st, 8, x->last_ns);
        I64(st, 9, x->first_id);
        I64(st, 10, x->last_id);
        I64(st, 11, x->waited);
        I64(st, 12, x->wait_ns);
        I64(st, 13, x->max_wait_ns);
        rc = weft__ingest_step(g, st);
    }
    sqlite3_finalize(st);
    free(g->sums);
    g->sums = NULL;
    g->nsums = g->capsums = 0;
    free(g->sum_idx.e);
    memset(&g->sum_idx, 0, sizeof g->sum_idx);
    return rc;
}

/* blocked_at_exit: per thread, its last blocking event when that is a
 * begin (write_events keeps them). */
int weft__ingest_write_blocked(struct weft__ingest *g, const struct weft__blocked *last,
                               uint64_t nthr) {
    sqlite3_stmt *st = weft__ingest_prep(g, "INSERT INTO blocked_at_exit VALUES (?,?,?,?,?,?,?)");
    int rc = -1;
    if (!st)
        goto out;
    for (uint64_t t = 1; t <= nthr; t++) {
        const struct weft__blocked *e = &last[t];
        if (!e->id || weft_kind_blocking((unsigned)e->kind) != 1)
            continue;
        I64(st, 1, t);
        I64(st, 2, e->pid);
        TXT(st, 3, weft_kind_name((unsigned)e->kind));
        I64(st, 4, e->obj);
        OPT(st, 5, e->object);
        OPT(st, 6, e->stack);
        I64(st, 7, e->id);
        if (weft__ingest_step(g, st))
            goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* ---- mutex operations that carry no new happens-before edge ----
 * A mutex locked, without waiting, by a thread that already knows its
 * last unlock acquires nothing it did not have: a mutex release replaces
 * the mutex's clock with the releaser's, so the lock joins in a clock
 * the locker's already covers. Such a lock and the unlock before it are
 * counted in event_counts, like the channel operations above, instead of
 * a row each. Two cases are known here, from the mutexes alone:
 *  - the locker is the mutex's last releaser (a lock in a loop: most of
 *    a lock-heavy program's records);
 *  - the locker took, directly from the releaser, a mutex that releaser
 *    gave back at or after this unlock: a releaser's clock only grows
 *    along its thread, so the locker knows this unlock through that one.
 *    A server's global locks pass between its workers so (memcached:
 *    80% of the locks that change threads; known below as the
 *    releaser's latest release each thread acquired, `known`).
 * Knowledge that came another way (a channel, a join, a chain through a
 * third thread) is not followed: such a lock keeps its rows, as before.
 * Whether an unlock carried an edge is known only at the mutex's next
 * acquisition, so each mutex's last unlock waits here, one per live
 * mutex: counted with that acquisition when it carries nothing new, else
 * written as a row with its own id. A condition wait releases its mutex
 * too. The detectors see every event anyway (the hook's queue);
 * --all-events keeps a row for each; WEFT_INGEST_HANDOFFS=0 counts only
 * the first case (to compare: harness:handoff_counted). */

static struct mtx *mtx_of(struct mtxs *t, uint32_t pi, uint64_t addr, int add) {
    uint64_t v = 0;
    if (map_get(&t->idx, pi, addr, &v) && v)
        return &t->m[v - 1];
    if (!add || ROOM(t->m, t->n, t->cap, 64) != 0 || map_put(&t->idx, pi, addr, t->n + 1) != 0)
        return NULL;
    t->m[t->n] = (struct mtx){0};
    return &t->m[t->n++];
}

/* Thread t's next mutex release: its place among t's releases (1 for
 * the first; 0 when out of memory, which no acquisition counts as known). */
static uint64_t next_release(struct mtxs *t, int64_t thread) {
    size_t th = (size_t)thread;
    if (th >= t->nrels) {
        size_t n = t->nrels ? t->nrels : 64;
        while (n <= th)
            n *= 2;
        uint64_t *r = realloc(t->rels, n * sizeof *r);
        if (!r)
            return 0;
        memset(r + t->nrels, 0, (n - t->nrels) * sizeof *r);
        t->rels = r;
        t->nrels = n;
    }
    return ++t->rels[th];
}

/* The (taker, releaser) pairs known at most: then all are forgotten (a
 * lock then keeps rows it could have been spared, never the reverse), so
 * that a program that makes threads forever does not make pairs forever
 * in the ingest (the map then takes 4 MB; memcached has 90 pairs). */
enum { KNOWN_MAX = 65536 };

/* Thread `thread` takes m: whether it knew m's last release already (it
 * acquired a release of the same releaser at or after it); it knows it
 * from now on. */
static int knew_release(struct mtxs *t, const struct mtx *m, int64_t thread) {
    uint64_t had = 0;
    if (!m->releaser || !m->rel_seq || m->releaser == thread)
        return 0;
    map_get(&t->known, (uint64_t)thread, (uint64_t)m->releaser, &had);
    if (had >= m->rel_seq)
        return 1;
    if (t->known.n >= KNOWN_MAX) {
        free(t->known.e);
        memset(&t->known, 0, sizeof t->known);
    }
    map_put(&t->known, (uint64_t)thread, (uint64_t)m->releaser, m->rel_seq); /* (memory: forgets) */
    return 0;
}

/* What write_events does with a mutex event e (record r) when it does
 * not keep every row: 1 when e is counted or deferred (no row now), 0
 * when it gets its row; a pending unlock it settles is counted or
 * written. *bad on a write or memory failure. */
int weft__ingest_mutex_op(struct weft__ingest *g, struct mtxs *mx, struct rows *w, uint32_t pi,
                          const struct weft_rec *r, const struct weft_trace_event *e, int *bad) {
    struct mtx *m;
    uint64_t addr = r->obj;
    int acquire = 0, took = 0; /* took it (acquire: and did not wait) */
    switch (r->kind) {
    case WEFT_K_MUTEX_UNLOCK:
        if (r->arg != 0 || !(m = mtx_of(mx, pi, addr, 1)))
            return 0; /* a failed unlock keeps its row (so does one out of memory) */
        if (m->pending)
            *bad = weft__ingest_put_row(g, w, &m->unlock, 0);
        m->pending = 1;
        m->unlock = *e;
        m->releaser = e->thread;
        m->rel_seq = next_release(mx, e->thread);
        return 1;
    case WEFT_K_COND_WAIT_BEGIN: /* releases its mutex (arg) */
        addr = r->arg;
        if ((m = mtx_of(mx, pi, addr, 1)) != NULL) {
            if (m->pending)
                *bad = weft__ingest_put_row(g, w, &m->unlock, 0);
            m->pending = 0;
            m->releaser = e->thread;
            m->rel_seq = next_release(mx, e->thread);
        }
        return 0;
    case WEFT_K_MUTEX_LOCK_END: /* arg2: it waited */
        took = r->arg == 0;
        acquire = took && r->arg2 == 0;
        break;
    case WEFT_K_MUTEX_TRYLOCK:
        if (r->arg != 0)
            return 0; /* not taken: no acquisition */
        took = acquire = 1;
        break;
    case WEFT_K_COND_WAIT_END: /* takes its mutex (arg2) again */
        addr = r->arg2;
        took = r->arg == 0; /* (another result: it may not hold it, so it learns nothing) */
        break;
    case WEFT_K_MUTEX_DESTROY:
        break;
    default:
        return 0;
    }
    m = mtx_of(mx, pi, addr, 0);
    if (!m)
        return 0;
    int knew = took && !mx->known_off && knew_release(mx, m, e->thread);
    mx->known_count += (uint64_t)(acquire && knew);
    if (acquire && (m->releaser == e->thread || knew)) {
        /* taken by its last releaser, or by a thread that knew that
         * release: no edge, lock and unlock counted */
        if (m->pending)
            *bad = weft__ingest_sum_op(g, &m->unlock, -1);
        m->pending = 0;
        if (!*bad)
            *bad = weft__ingest_sum_op(g, e, -1);
        return 1;
    }
    if (m->pending) /* another thread's acquisition: that unlock was an edge */
        *bad = weft__ingest_put_row(g, w, &m->unlock, 0);
    m->pending = 0;
    if (r->kind == WEFT_K_MUTEX_DESTROY)
        map_put(&mx->idx, pi, addr, 0);
    return 0;
}

/* Lock (or unlock) e of a folded pair through weft__ingest_mutex_op, as
 * the pass would: a row when it keeps one. 0, or -1. */
static int pair_op(struct weft__ingest *g, struct mtxs *mx, struct rows *w, uint32_t pi,
                   struct weft_trace_event *e, int kind, uint64_t id, uint64_t ns) {
    struct weft_rec r = {.kind = (uint16_t)kind, .obj = (uint64_t)e->obj};
    int bad = 0;
    e->kind = kind;
    e->id = (int64_t)id;
    e->ts = (int64_t)ns;
    if (!weft__ingest_mutex_op(g, mx, w, pi, &r, e, &bad) && !bad)
        bad = weft__ingest_put_row(g, w, e, 0);
    return bad ? -1 : 0;
}

/* Pair i of a folded run (ids from base): its lock (stack: the lock's
 * site), then its unlock (no stack). */
static int pair(struct weft__ingest *g, struct mtxs *mx, struct rows *w, uint32_t pi,
                struct weft_trace_event *e, int64_t stack, uint64_t base, uint32_t i,
                uint64_t lock_ns, uint64_t unlock_ns) {
    e->stack = stack;
    if (pair_op(g, mx, w, pi, e, WEFT_K_MUTEX_LOCK_END, base + 2 * (uint64_t)i, lock_ns) != 0)
        return -1;
    e->stack = 0;
    return pair_op(g, mx, w, pi, e, WEFT_K_MUTEX_UNLOCK, base + 2 * (uint64_t)i + 1, unlock_ns);
}

/* A run of folded relock pairs (relock.h) of one mutex, x, of thread
 * event tmpl's thread (its pid, thread and lock stack; ids from base): what
 * weft__ingest_mutex_op does with each of its locks and unlocks, in
 * order, without a call per pair. Its first pair goes through
 * weft__ingest_mutex_op (the unlock pending before it is settled, a lock
 * that was no relock after all gets its row), the middle ones are counted
 * at once, the last one goes through it again, leaving its unlock pending
 * as the next relock expects. 0, or -1 (said). */
int weft__ingest_mutex_relocks(struct weft__ingest *g, struct mtxs *mx, struct rows *w, uint32_t pi,
                               const struct weft_trace_event *tmpl, const struct weft_relocks *x,
                               uint64_t base) {
    struct weft_trace_event e = *tmpl;
    e.obj = (int64_t)x->obj;
    e.object = (int64_t)weft__ingest_live_obj(g, pi, "mutex", x->obj);
    if (pair(g, mx, w, pi, &e, tmpl->stack, base, x->first, x->first_lock_ns, x->first_unlock_ns) !=
        0)
        return -1;
    if (x->pairs == 1)
        return 0;
    if (x->pairs > 2) {
        /* pairs 1 .. pairs - 2: each lock counts the unlock before it and
         * itself (the last pair below sets the counts' last id and time);
         * the unlock of the second-to-last pair waits */
        struct mtx *m = mtx_of(mx, pi, x->obj, 0);
        if (!m || !m->pending || m->releaser != e.thread) {
            weft_err("ingest: mutex 0x%llx: a folded relock whose unlock is not pending",
                     (unsigned long long)x->obj);
            return -1;
        }
        struct weft_trace_event lock = e;
        lock.kind = WEFT_K_MUTEX_LOCK_END;
        if (sum_add(g, &m->unlock, x->pairs - 2) != 0 || sum_add(g, &lock, x->pairs - 2) != 0)
            return -1;
        m->unlock.id = (int64_t)(base + 2 * (uint64_t)x->prev + 1);
        m->unlock.ts = (int64_t)x->prev_unlock_ns;
    }
    return pair(g, mx, w, pi, &e, tmpl->stack, base, x->last, x->last_lock_ns, x->last_unlock_ns);
}
