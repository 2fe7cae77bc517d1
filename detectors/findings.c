/* findings.c: weft__report, what every detector calls with a finding:
 * the suppression check, the message, the stacks object ({"role": id})
 * and the time, as one row of `findings`. Reading them back and printing
 * them is reports/' job. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void weft__report(struct weft__dctx *c, const char *kind, const char *severity, int64_t pid,
                  int64_t thread, int64_t object, const struct weft__role *roles, int nroles,
                  const char *fmt, ...) {
    weft__db_enter(c, 0);
    if (weft__supp_match(c, kind, thread, roles, nroles)) {
        c->res->suppressed++;
        goto done;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Stacks: {"role": id, ...}; role names are ours (no escaping needed). */
    char stacks[1024];
    size_t n = 0;
    n += (size_t)snprintf(stacks, sizeof stacks, "{");
    int first = 1;
    for (int i = 0; i < nroles && n < sizeof stacks - 64; i++) {
        if (!roles[i].stack)
            continue;
        n += (size_t)snprintf(stacks + n, sizeof stacks - n, "%s\"%s\": %lld", first ? "" : ", ",
                              roles[i].role, (long long)roles[i].stack);
        first = 0;
    }
    snprintf(stacks + n, sizeof stacks - n, "}");
    sqlite3_stmt *st = c->ins;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, severity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, pid);
    if (thread)
        sqlite3_bind_int64(st, 4, thread);
    else
        sqlite3_bind_null(st, 4);
    if (object)
        sqlite3_bind_int64(st, 5, object);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, msg, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, stacks, -1, SQLITE_TRANSIENT);
    if (c->now)
        sqlite3_bind_int64(st, 8, c->now);
    else
        sqlite3_bind_null(st, 8);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto done;
    c->res->findings++;
    if (!strcmp(severity, "error"))
        c->res->errors++;
    else
        c->res->warnings++;
done:
    weft__db_leave(c);
}
