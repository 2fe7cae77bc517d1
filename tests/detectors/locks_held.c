/* SPDX-License-Identifier: MIT */
/* locks_held.c: lock-held-at-exit over many mutexes (d_locks.c keeps them
 * in a hash table). Thread 2 takes 200 mutexes in descending address
 * order and gives back all but a few before it returns: the ones it still
 * holds are reported, one finding each, in the order they were first
 * seen (not in address or table order); a mutex destroyed while held, one
 * unlocked in full after a recursive lock, and thread 1's own mutex are
 * not; a recursive one unlocked once and one that thread 1 wrongly
 * "unlocks" are. Items are fed to weft_detect_events as the ingest
 * would, over a fresh database. */
#include <stdio.h>
#include <string.h>

#include "detectors.h"
#include "log.h"
#include "weft.h"

#define NMU 200
static const int64_t pids[] = {100};
static struct weft_trace_item items[4 * NMU + 64];
static size_t nitems;
static int64_t next_id, now;

static uint64_t addr(int i) {
    return 0x10000u + (uint64_t)i * 0x40u;
}

static void ev(int64_t thread, int kind, int i) {
    struct weft_trace_item *it = &items[nitems++];
    it->type = WEFT_ITEM_EVENT;
    it->u.ev = (struct weft_trace_event){.id = ++next_id,
                                         .pid = 100,
                                         .thread = thread,
                                         .ts = now += 10,
                                         .kind = kind,
                                         .object = i + 1,
                                         .obj = (int64_t)addr(i)};
}

static int next(void *src, const struct weft_trace_item **it) {
    size_t *i = src;
    if (*i == nitems)
        return 0;
    *it = &items[(*i)++];
    return 1;
}

int main(void) {
    items[nitems++] = (struct weft_trace_item){
        .type = WEFT_ITEM_SHAPE, .u.shape = {.nthreads = 2, .nprocs = 1, .pids = pids}};
    items[nitems++] = (struct weft_trace_item){
        .type = WEFT_ITEM_THREAD,
        .u.th = {.id = 1, .pid = 100, .tid = 1, .adopted = 1, .start = "main"}};
    items[nitems++] = (struct weft_trace_item){
        .type = WEFT_ITEM_THREAD,
        .u.th = {.id = 2, .pid = 100, .tid = 2, .parent = 1, .start = "worker"}};
    ev(1, WEFT_K_MUTEX_LOCK_END, 199); /* main's own: main never exits here */
    for (int i = NMU - 2; i >= 0; i--)
        ev(2, i % 2 ? WEFT_K_MUTEX_TRYLOCK : WEFT_K_MUTEX_LOCK_END, i);
    ev(2, WEFT_K_MUTEX_LOCK_END, 40); /* recursive: still held after one unlock */
    ev(2, WEFT_K_MUTEX_LOCK_END, 41); /* recursive: unlocked twice below */
    for (int i = 0; i < NMU - 1; i++)
        if (i != 150 && i != 93 && i != 7 && i != 60 && i != 120)
            ev(2, WEFT_K_MUTEX_UNLOCK, i);
    ev(2, WEFT_K_MUTEX_UNLOCK, 41);
    ev(2, WEFT_K_MUTEX_DESTROY, 60);
    ev(1, WEFT_K_MUTEX_UNLOCK, 120); /* not the holder's unlock: ignored */
    ev(2, WEFT_K_THREAD_RETURN, 0);

    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, weft__schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "locks_held: cannot make the database: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    size_t pos = 0;
    struct weft_detect_opts o = {0};
    struct weft_detect_result r;
    if (weft_detect_events(db, &o, &r, next, &pos) != 0) {
        fprintf(stderr, "locks_held: the detectors failed\n");
        return 1;
    }
    /* First seen (thread 2 went down from 198): 150, 120, 93, 40, 7. */
    const int want[] = {150, 120, 93, 40, 7};
    const size_t nwant = sizeof want / sizeof want[0];
    sqlite3_stmt *st = NULL;
    size_t got = 0;
    int bad = 0;
    sqlite3_prepare_v2(db, "SELECT kind, thread, message FROM findings ORDER BY rowid", -1, &st,
                       NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *msg = (const char *)sqlite3_column_text(st, 2);
        printf("%s: %s\n", kind, msg);
        if (strcmp(kind, "lock-held-at-exit"))
            continue;
        char m[64];
        snprintf(m, sizeof m,
                 "mutex 0x%llx:", got < nwant ? (unsigned long long)addr(want[got]) : 0);
        if (got >= nwant || sqlite3_column_int64(st, 1) != 2 || !strstr(msg, m))
            bad = 1;
        got++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (got != nwant || bad) {
        fprintf(stderr,
                "locks_held: want %zu lock-held-at-exit findings on thread 2, for mutexes "
                "0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx in that order; got %zu%s\n",
                nwant, (unsigned long long)addr(150), (unsigned long long)addr(120),
                (unsigned long long)addr(93), (unsigned long long)addr(40),
                (unsigned long long)addr(7), got, bad ? ", not those or not in that order" : "");
        return 1;
    }
    return 0;
}
