/* late_name.c: a finding names its threads as the trace knows them at
 * the end, not as they stood at the finding. A thread's first events can
 * come before its creator's record of the create (the child runs before
 * pthread_create returns), and a thread can be named after a finding:
 * the stream below reports a negative WaitGroup counter on thread 2, and
 * then a mutex it holds as it returns, while its row does not yet know
 * its start function, name or creation stack, then gives them. The
 * findings must say `thread 2 "w1" (worker)`, and the lock held at exit
 * must carry thread 2's creation stack (7). Items are
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
    /* thread 2 as its own first records show it: no start function yet */
    {.type = WEFT_ITEM_THREAD, .u.th = {.id = 2, .pid = 100, .tid = 2, .start = "0x0"}},
    {.type = WEFT_ITEM_EVENT,
     .u.ev = {.id = 1,
              .pid = 100,
              .thread = 2,
              .ts = 10,
              .kind = WEFT_K_WG_DONE,
              .obj = 0x1000,
              .arg2 = -34}},
    {.type = WEFT_ITEM_EVENT,
     .u.ev = {.id = 2,
              .pid = 100,
              .thread = 2,
              .ts = 11,
              .kind = WEFT_K_MUTEX_LOCK_END,
              .obj = 0x3000,
              .stack = 5}},
    {.type = WEFT_ITEM_THREAD,
     .u.th = {.id = 2, .pid = 100, .tid = 2, .start = "0x0", .exit_kind = "return"}},
    {.type = WEFT_ITEM_EVENT,
     .u.ev = {.id = 3, .pid = 100, .thread = 2, .ts = 11, .kind = WEFT_K_THREAD_RETURN}},
    /* then the creator's record of the create: start function, name, stack */
    {.type = WEFT_ITEM_THREAD,
     .u.th = {.id = 2,
              .pid = 100,
              .tid = 2,
              .parent = 1,
              .created_ns = 12,
              .create_stack = 7,
              .start = "worker",
              .name = "w1",
              .created_by = "pthread_create",
              .exit_kind = "return"}},
    {.type = WEFT_ITEM_EVENT,
     .u.ev = {.id = 4,
              .pid = 100,
              .thread = 1,
              .ts = 12,
              .kind = WEFT_K_THREAD_CREATE,
              .obj = 0x2000,
              .peer = 2}},
};

static int next(void *src, const struct weft_trace_item **it) {
    size_t *i = src;
    if (*i == sizeof items / sizeof items[0])
        return 0;
    *it = &items[(*i)++];
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
    int locks = 0;
    sqlite3_prepare_v2(db, "SELECT kind, message, stacks FROM findings", -1, &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *msg = (const char *)sqlite3_column_text(st, 1);
        const char *stacks = (const char *)sqlite3_column_text(st, 2);
        printf("%s: %s %s\n", kind, msg, stacks);
        if (!strcmp(kind, "lock-held-at-exit")) {
            locks++;
            if (!strstr(msg, "thread 2 \"w1\" (worker) returned") ||
                !strstr(stacks, "\"creation\": 7") || !strstr(stacks, "\"lock\": 5"))
                bad++;
            continue;
        }
        if (strcmp(kind, "wg-negative-counter"))
            continue;
        found++;
        if (!strstr(msg, "by thread 2 \"w1\" (worker) would") || strchr(msg, '\x1e') ||
            strchr(msg, '\x1f'))
            bad++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (found != 1 || locks != 1 || bad) {
        fprintf(stderr,
                "late_name: want one wg-negative-counter and one lock-held-at-exit naming thread 2 "
                "\"w1\" (worker), the lock with its creation stack; got %d and %d, %d wrong\n",
                found, locks, bad);
        return 1;
    }
    return 0;
}
/* SPDX-License-Identifier: MIT */
