/* SPDX-License-Identifier: MIT */
/* stale_ticket.c: a ticket answers only the call that released it
 * (answered.c, the tags of vc.h). A worker's receive queues itself and
 * releases ticket 4; its call ends; its next receive queues itself and
 * releases ticket 8, and stays blocked while main returns. In trace order
 * main's send acquires a ticket only after the second receive began:
 *   stale  it acquires ticket 4, released in the call that already ended:
 *          the worker's second receive was answered by no one, and the
 *          worker is leaked (one leaked-thread finding);
 *   fresh  it acquires ticket 8: the second receive was answered, and the
 *          worker is finishing, not leaked (no finding).
 * The partner's record can come after the woken thread's next begin in a
 * real trace: it is written when the partner's call returns, after the
 * wake-up. Items are fed to weft_detect_events as the ingest would, over
 * a fresh database with the process's row. */
#include <stdio.h>
#include <string.h>

#include "detectors.h"
#include "log.h"
#include "weft.h"

enum { PID = 100, CHAN = 0x5000, CHAN_OBJECT = 3 };

static const int64_t pids[] = {PID};

#define EV(i, th, t, k, ...)                                                                       \
    {                                                                                              \
        .type = WEFT_ITEM_EVENT, .u.ev = {                                                         \
            .id = (i),                                                                             \
            .pid = PID,                                                                            \
            .thread = (th),                                                                        \
            .ts = (t),                                                                             \
            .kind = (k),                                                                           \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }

/* The stream, the acquired ticket's sequence at items[ACQ]. */
enum { ACQ = 12 };
static struct weft_trace_item items[] = {
    {.type = WEFT_ITEM_SHAPE, .u.shape = {.nthreads = 2, .nprocs = 1, .pids = pids}},
    {.type = WEFT_ITEM_THREAD,
     .u.th = {.id = 1, .pid = PID, .tid = 1, .adopted = 1, .start = "main"}},
    {.type = WEFT_ITEM_THREAD,
     .u.th = {.id = 2,
              .pid = PID,
              .tid = 2,
              .parent = 1,
              .created_ns = 10,
              .start = "worker",
              .created_by = "pthread_create"}},
    {.type = WEFT_ITEM_OBJECT,
     .u.ob = {.id = CHAN_OBJECT, .pid = PID, .kind = "chan", .address = CHAN}},
    EV(1, 1, 10, WEFT_K_CHAN_MAKE, .obj = CHAN, .object = CHAN_OBJECT, .arg = 8),
    EV(2, 1, 11, WEFT_K_THREAD_CREATE, .obj = 0x2000, .peer = 2),
    EV(3, 2, 12, WEFT_K_THREAD_START, .obj = 0x2000),
    /* the first receive: queued, its ticket 4 released inside it */
    EV(4, 2, 13, WEFT_K_CHAN_RECV_BEGIN, .obj = CHAN, .object = CHAN_OBJECT),
    EV(5, 2, 14, WEFT_K_HB_RELEASE, .obj = CHAN, .arg = 4, .rel_once = 1),
    /* main's send served it (its record comes later); the receive ends */
    EV(6, 2, 15, WEFT_K_CHAN_RECV_END, .obj = CHAN, .object = CHAN_OBJECT),
    /* the second receive: queued, ticket 8 */
    EV(7, 2, 16, WEFT_K_CHAN_RECV_BEGIN, .obj = CHAN, .object = CHAN_OBJECT),
    EV(8, 2, 17, WEFT_K_HB_RELEASE, .obj = CHAN, .arg = 8, .rel_once = 1),
    /* main's send, acquiring one of the tickets (items[ACQ]) */
    EV(9, 1, 18, WEFT_K_CHAN_SEND_END, .obj = CHAN, .object = CHAN_OBJECT, .has_acq = 1,
       .hb_obj = CHAN, .acq = 4),
    EV(10, 1, 19, WEFT_K_MAIN_RETURN, .arg = 0),
};

static int next(void *src, const struct weft_trace_item **it) {
    size_t *i = src;
    if (*i == sizeof items / sizeof items[0])
        return 0;
    *it = &items[(*i)++];
    return 1;
}

/* The leaked-thread findings of the stream, with ticket seq acquired;
 * -1 when the detectors or the database failed. */
static int leaks(int64_t seq) {
    items[ACQ].u.ev.acq = seq;
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, weft__schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db,
                     "INSERT INTO processes (pid, exit_kind, exit_code, finished) "
                     "VALUES (100, 'return', 0, 1)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "stale_ticket: cannot make the database: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    size_t pos = 0;
    struct weft_detect_opts o = {0};
    struct weft_detect_result r;
    if (weft_detect_events(db, &o, &r, next, &pos) != 0) {
        fprintf(stderr, "stale_ticket: the detectors failed\n");
        sqlite3_close(db);
        return -1;
    }
    int n = 0;
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT kind, message FROM findings", -1, &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *msg = (const char *)sqlite3_column_text(st, 1);
        printf("ticket %lld: %s: %s\n", (long long)seq, kind, msg);
        n += !strcmp(kind, "leaked-thread") && strstr(msg, "blocked in chan_recv");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

int main(void) {
    if (items[ACQ].type != WEFT_ITEM_EVENT || items[ACQ].u.ev.kind != WEFT_K_CHAN_SEND_END) {
        fprintf(stderr, "stale_ticket: items[ACQ] is not main's send\n");
        return 1;
    }
    int stale = leaks(4), fresh = leaks(8);
    if (stale != 1 || fresh != 0) {
        fprintf(stderr,
                "stale_ticket: want the worker leaked when main acquires the ticket of its "
                "ended receive (got %d findings) and not when it acquires the waiting "
                "receive's (got %d)\n",
                stale, fresh);
        return 1;
    }
    return 0;
}
