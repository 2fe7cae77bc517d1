/* SPDX-License-Identifier: MIT */
/* writer.c: the events rows on their way into SQLite. The pass hands
 * them over one at a time (weft__ingest_put_row); they go out BATCH per
 * INSERT statement, written by a thread of their own beside the pass.
 *
 * Why a thread: binding and stepping the inserts was a third of the
 * pass's thread when a program's mutexes change hands on every request
 * (memcached: 1.25M rows of 5.3M events, before rows.c counted the
 * hand-offs its takers knew), and that thread is the ingest's critical
 * path. Here the pass only copies each row into a
 * batch; full batches queue up (QBATCHES of them, so the rows in memory
 * are bounded) and the writer binds and steps them in order, holding the
 * connection's guard (feed.c) around each statement like every other
 * user of the connection while it runs. The first full batch starts the
 * thread; a pass with fewer rows never makes one. When the thread cannot
 * be made, the pass writes its batches itself; when the many-row
 * statement cannot be prepared (an SQLite built with a lower limit on
 * bound values than BATCH x 14), it writes them one row at a time.
 *
 * Errors: the writer keeps the first one (SQLite's message) and stops
 * writing; the pass says it at its next hand-over or drain, on its own
 * thread, and fails. Whoever needs every row so far in the database (the
 * pass's end, a live checkpoint's commit) drains first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_internal.h"
#include "thread.h"

/* Full batches waiting or being written: the pass waits when the writer
 * is this far behind (16 x 200 rows, about 430 KB). */
enum { QBATCHES = 16 };

static void bind_row(sqlite3_stmt *t, int o, const struct weft_trace_event *e, int64_t begin_ts) {
    I64(t, o + 1, e->id);
    I64(t, o + 2, e->pid);
    I64(t, o + 3, e->thread);
    I64(t, o + 4, e->ts);
    I64(t, o + 5, e->kind);
    OPT(t, o + 6, e->object);
    I64(t, o + 7, e->obj);
    I64(t, o + 8, e->arg);
    I64(t, o + 9, e->arg2);
    OPT(t, o + 10, e->stack);
    if (e->has_acq || e->has_rel) {
        I64(t, o + 11, e->hb_obj);
        if (e->has_acq)
            I64(t, o + 12, e->acq);
        else
            sqlite3_bind_null(t, o + 12);
        if (e->has_rel)
            I64(t, o + 13, e->rel);
        else
            sqlite3_bind_null(t, o + 13);
    } else {
        sqlite3_bind_null(t, o + 11);
        sqlite3_bind_null(t, o + 12);
        sqlite3_bind_null(t, o + 13);
    }
    OPT(t, o + 14, begin_ts);
}

/* Batch b's first n rows into the database: one statement for a whole
 * batch, else one per row. 0, or -1 with SQLite's message in w->err.
 * The caller holds the connection (db_hold). */
static int write_batch(struct weft__ingest *g, struct rows *w, const struct weft__row_batch *b,
                       int n) {
    int rc = SQLITE_DONE;
    if (n == BATCH && w->many) {
        for (int k = 0; k < BATCH; k++)
            bind_row(w->many, k * NCOLS, &b->e[k], b->begin_ts[k]);
        rc = sqlite3_step(w->many);
        sqlite3_reset(w->many);
    } else {
        for (int k = 0; k < n && rc == SQLITE_DONE; k++) {
            bind_row(w->one, 0, &b->e[k], b->begin_ts[k]);
            rc = sqlite3_step(w->one);
            sqlite3_reset(w->one);
        }
    }
    if (rc == SQLITE_DONE)
        return 0;
    snprintf(w->err, sizeof w->err, "database: %s", sqlite3_errmsg(g->db));
    return -1;
}

static void *writer_main(void *arg) {
    struct rows *w = arg;
    struct weft__ingest *g = w->g;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->written == w->filled && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->written == w->filled)
            break;
        const struct weft__row_batch *b = &w->q[w->written % QBATCHES];
        int failed = w->bad;
        pthread_mutex_unlock(&w->mu);
        if (!failed) {
            weft__ingest_db_hold(g);
            failed = write_batch(g, w, b, BATCH);
            weft__ingest_db_release(g);
        }
        pthread_mutex_lock(&w->mu);
        w->bad |= failed;
        w->written++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int weft__ingest_rows_init(struct weft__ingest *g, struct rows *w) {
    /* "INSERT INTO events VALUES (?,...)": the one-row statement, then
     * the same with BATCH rows */
    static const char head[] = "INSERT INTO events VALUES ",
                      row[] = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    char sql[sizeof head + BATCH * sizeof row];
    size_t at = (size_t)snprintf(sql, sizeof sql, "%s%s", head, row);
    weft__ingest_db_hold(g);
    w->one = weft__ingest_prep(g, sql);
    for (int b = 1; b < BATCH; b++)
        at += (size_t)snprintf(sql + at, sizeof sql - at, ",%s", row);
    w->many = weft__ingest_prep(g, sql);
    weft__ingest_db_release(g);
    if (!w->one)
        return -1;
    if (!(w->q = malloc(QBATCHES * sizeof *w->q)) || pthread_mutex_init(&w->mu, NULL) != 0) {
        weft_err("out of memory");
        return -1;
    }
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        weft_err("out of memory");
        return -1;
    }
    w->made = 1;
    w->g = g;
    return 0;
}

/* The writer's first error, said on the pass's thread: -1. */
static int said(struct rows *w) {
    weft_err("%s", w->err[0] ? w->err : "database: the events could not be written");
    w->err[0] = 0;
    return -1;
}

/* Waits until every batch handed over is written: 0, or -1 (said). */
static int drain(struct rows *w) {
    if (!w->running) /* (without the thread, each batch was said as written) */
        return 0;
    pthread_mutex_lock(&w->mu);
    while (w->written != w->filled)
        pthread_cond_wait(&w->cv, &w->mu);
    int bad = w->bad;
    pthread_mutex_unlock(&w->mu);
    return bad ? said(w) : 0;
}

/* The batch being filled is full: to the writer, or written here. */
static int hand_over(struct weft__ingest *g, struct rows *w) {
    if (w->filled == 0 && w->many) { /* the first batch: the thread */
        /* every use of the connection takes the guard from now on */
        g->guard.writer = 1;
        if (weft_thread_start(&w->th, writer_main, w) == 0)
            w->running = 1;
        else
            g->guard.writer = 0; /* no thread: the pass writes its batches */
    }
    if (!w->running) {
        weft__ingest_db_hold(g);
        int bad = write_batch(g, w, &w->q[w->filled % QBATCHES], BATCH);
        weft__ingest_db_release(g);
        w->filled++;
        w->written++;
        return bad ? said(w) : 0;
    }
    pthread_mutex_lock(&w->mu);
    w->filled++;
    pthread_cond_broadcast(&w->cv);
    while (w->filled - w->written >= QBATCHES)
        pthread_cond_wait(&w->cv, &w->mu);
    int bad = w->bad;
    pthread_mutex_unlock(&w->mu);
    return bad ? said(w) : 0;
}

int weft__ingest_put_row(struct weft__ingest *g, struct rows *w, const struct weft_trace_event *e,
                         int64_t begin_ts) {
    struct weft__row_batch *b = &w->q[w->filled % QBATCHES];
    w->count++;
    b->e[w->n] = *e;
    b->begin_ts[w->n] = begin_ts;
    if (++w->n < BATCH)
        return 0;
    w->n = 0;
    return hand_over(g, w);
}

int weft__ingest_flush_rows(struct weft__ingest *g, struct rows *w) {
    if (drain(w) != 0)
        return -1;
    weft__ingest_db_hold(g);
    int bad = write_batch(g, w, &w->q[w->filled % QBATCHES], w->n);
    weft__ingest_db_release(g);
    w->n = 0;
    return bad ? said(w) : 0;
}

void weft__ingest_rows_free(struct weft__ingest *g, struct rows *w) {
    if (w->running) {
        pthread_mutex_lock(&w->mu);
        w->stop = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
        w->running = 0;
        g->guard.writer = 0;
    }
    if (w->made) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
    }
    free(w->q);
    w->q = NULL;
    weft__ingest_db_hold(g);
    sqlite3_finalize(w->one);
    sqlite3_finalize(w->many);
    weft__ingest_db_release(g);
    w->one = w->many = NULL;
}
