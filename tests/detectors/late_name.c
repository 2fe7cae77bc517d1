/* late_name.c: a finding names its threads as the trace knows them at
 * the end, not as they stood at the finding. A thread's first events can
 * come before its creator's record of the create (the child runs before
 * pthread_create returns), and a thread can be named after a finding:
 * the stream below reports a negative WaitGroup counter on thread 2
 * while its row does not yet know its start function or name, then
 * gives them. The finding must say `thread 2 "w1" (worker)`. Items are
 * fed to weft_detect_events as the ingest would, over a fresh database. */
#include <stdio.h>
#include <string.h>

#include "detectors.h"
#include "log.h"
#include "weft.h"

static const int64_t pids[] = {100};

static const struct weft_trace_item items[] = {
    {.type = WEFT_ITEM_SHAPE, .u.shape = {.nthreads = 2, .nprocs = 1, .pids = pids}},
    {.type = WEFT_ITEM_THREAD,
     .u.th = {.id = 1, .pid = 100, .tid = 1, .adopted = 1, .start = "main"}},
    {.type = WEFT_ITEM_THREAD, .u.th = {.id = 2, .pid = 100, .tid = 2, .start = "0x0"}},
    {.type = WEFT_ITEM_EVENT,
     .u.ev = {.id = 1,
              .pid = 100,
              .thread = 2,
              .ts = 10,
              .kind = WEFT_K_WG_DONE,
              .obj = 0x1000,
              .arg2 = -34}},
    {.type = WEFT_ITEM_THREAD,
     .u.th = {.id = 2,
              .pid = 100,
              .tid = 2,
              .parent = 1,
              .created_ns = 12,
              .start = "worker",
              .name = "w1",
              .created_by = "pthread_create"}},
    {.type = WEFT_ITEM_EVENT,
     .u.ev = {.id = 2,
              .pid = 100,
              .thread = 1,
              .ts = 12,
              .kind = WEFT_K_THREAD_CREATE,
              .obj = 0x2000,
              .peer = 2}},
};

static int next(void *src, struct weft_trace_item *it) {
    size_t *i = src;
    if (*i == sizeof items / sizeof items[0])
        return 0;
    *it = items[(*i)++];
    return 1;
}

int main(void) {
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, weft__schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "late_name: cannot make the database: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    size_t pos = 0;
    struct weft_detect_opts o = {0};
    struct weft_detect_result r;
    if (weft_detect_events(db, &o, &r, next, &pos) != 0) {
        fprintf(stderr, "late_name: the detectors failed\n");
        return 1;
    }
    sqlite3_stmt *st = NULL;
    int found = 0, bad = 0;
    sqlite3_prepare_v2(db, "SELECT kind, message FROM findings", -1, &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *msg = (const char *)sqlite3_column_text(st, 1);
        printf("%s: %s\n", kind, msg);
        if (strcmp(kind, "wg-negative-counter"))
            continue;
        found++;
        if (!strstr(msg, "by thread 2 \"w1\" (worker) would") || strchr(msg, '\x1e') ||
            strchr(msg, '\x1f'))
            bad++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (found != 1 || bad) {
        fprintf(stderr,
                "late_name: want one wg-negative-counter naming thread 2 \"w1\" (worker); "
                "got %d, %d misnamed\n",
                found, bad);
        return 1;
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
