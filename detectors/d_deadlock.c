/* SPDX-License-Identifier: MIT */
/* d_deadlock.c: deadlock: the watchdog ended the process because every
 * thread sat in a call only another thread could end, or found a cycle
 * of threads each waiting for a mutex the next one holds while the rest
 * of the process went on (the event's obj = 1), or a set of threads all
 * blocked on channels no running thread could reach (obj = 2; the
 * process went on too), in deadlock_waits. One
 * finding per deadlock, naming every thread and what it waits on, with
 * the stack of each wait. */
#include <string.h>

#include "internal.h"

enum { MAX_ROLES = 24 };

static int finish(struct weft__dctx *c, void *self) {
    (void)self;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT w.event, e.pid, w.thread, w.kind, w.obj, w.object, e.arg2, "
                           "e.obj "
                           "FROM deadlock_waits w JOIN events e ON e.id = w.event "
                           "ORDER BY w.event, w.thread",
                           -1, &st, NULL) != SQLITE_OK)
        return 0; /* an older database without the table: nothing to say */
    char msg[1800], names[MAX_ROLES][16];
    struct weft__role roles[MAX_ROLES] = {{0}};
    int64_t cur = -1, pid = 0, first_thread = 0, timeout = 0, cycle = 0;
    int n = 0, nroles = 0;
    size_t len = 0;
    for (int more = 1; more;) {
        more = sqlite3_step(st) == SQLITE_ROW;
        int64_t ev = more ? sqlite3_column_int64(st, 0) : -2;
        if (ev != cur && cur >= 0) {
            if (cycle == 1)
                weft__report(c, "deadlock", "error", pid, first_thread, 0, roles, nroles,
                             "deadlock: %d threads each wait for a mutex the next one holds, "
                             "for %lld ms, while the rest of the process went on:%s",
                             n, (long long)timeout, msg);
            else if (cycle == 2)
                weft__report(c, "deadlock", "error", pid, first_thread, 0, roles, nroles,
                             "deadlock: %d thread%s on channels that no running thread "
                             "can reach, for %lld ms, while the rest of the process went on:%s",
                             n, n == 1 ? " waits" : "s wait", (long long)timeout, msg);
            else
                weft__report(c, "deadlock", "error", pid, first_thread, 0, roles, nroles,
                             "deadlock: all %d threads blocked for %lld ms:%s", n,
                             (long long)timeout, msg);
        }
        if (!more)
            break;
        if (ev != cur) {
            cur = ev;
            pid = sqlite3_column_int64(st, 1);
            first_thread = sqlite3_column_int64(st, 2);
            timeout = sqlite3_column_int64(st, 6);
            cycle = sqlite3_column_int64(st, 7); /* 1: mutex cycle, 2: channels */
            n = nroles = 0;
            len = 0;
            msg[0] = 0;
        }
        uint32_t th = (uint32_t)sqlite3_column_int64(st, 2);
        const char *kind = (const char *)sqlite3_column_text(st, 3);
        char who[160];
        size_t kl = kind ? strlen(kind) : 0;
        if (kl > 6 && !strcmp(kind + kl - 6, "_begin"))
            kl -= 6;
        if (len < sizeof msg - 200)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s %s in %.*s 0x%llx",
                                    n ? ";" : "", weft__thread_name(c, th, who, sizeof who),
                                    (int)kl, kind ? kind : "?",
                                    (unsigned long long)sqlite3_column_int64(st, 4));
        n++;
        struct weft__thr *t = weft__thr_of(c, th);
        if (t && nroles < MAX_ROLES) {
            snprintf(names[nroles], sizeof names[nroles], "tid %lld", (long long)t->tid);
            roles[nroles].role = names[nroles];
            roles[nroles].stack = t->call.kind ? t->call.stack : 0;
            roles[nroles].creation_of = 0;
            nroles++;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

const struct weft__detector weft__det_deadlock = {.name = "deadlock", .finish = finish};
