/* SPDX-License-Identifier: MIT */
/* html_chans.c: the HTML report's channels, from our own queries over
 * each trace (objects, events and event_counts, so that every operation
 * is counted, with or without --all-events): a row per channel (capacity,
 * creating function, sends and receives that went through, closes and by
 * whom, threads blocked on it at the end, freed or not), and the channel
 * graph: start routines as nodes, an edge per channel from each routine
 * that sent on it to each that received, with both counts; a side with
 * nobody is "(nobody)", which is how a leak looks (a send nobody
 * receives). Bounded: at most MAX_CHANS channels and MAX_EDGES edges, the
 * rest counted in a note. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "weft.h"

enum { MAX_CHANS = 2000, MAX_EDGES = 600 };

struct end {
    char *routine;
    int64_t count;
};

struct chan {
    int trace;
    int64_t id;
    char addr[24];
    int64_t cap, sends, recvs, closes, blocked;
    int freed, has_cap;
    char *creator, *closer, *info;
    struct end *snd, *rcv;
    int nsnd, nrcv;
};

static void add_end(struct end **e, int *n, const char *routine, int64_t count) {
    for (int i = 0; i < *n; i++)
        if (!strcmp((*e)[i].routine, routine)) {
            (*e)[i].count += count;
            return;
        }
    struct end *ne = realloc(*e, (size_t)(*n + 1) * sizeof *ne);
    if (!ne)
        return;
    *e = ne;
    ne[*n].routine = strdup(routine);
    if (!ne[*n].routine)
        return;
    ne[(*n)++].count = count;
}

static int by_chan_id(const void *a, const void *b) {
    const struct chan *x = a, *y = b;
    return x->trace != y->trace ? x->trace - y->trace : (x->id > y->id) - (x->id < y->id);
}

static struct chan *find_chan(struct chan *c, int n, int trace, int64_t id) {
    struct chan key = {.trace = trace, .id = id};
    if (!n)
        return NULL;
    return bsearch(&key, c, (size_t)n, sizeof *c, by_chan_id);
}

/* A thread's start routine as the graph names it. */
#define ROUTINE_SQL                                                                                \
    "coalesce(t.start_function, CASE WHEN t.tid = 1 THEN 'main' END, 'thread ' || t.tid)"

/* The plain operations per (channel, thread, side) that went through:
 * their rows and their counts; closes the FROM ( of the query around it. */
#define OPS_SQL                                                                                    \
    "SELECT e.object, e.thread, CASE WHEN k.name IN ('chan_send_end', 'chan_try_send') "           \
    "THEN 's' ELSE 'r' END AS op, count(*) AS n FROM events e JOIN kinds k ON k.id = e.kind "      \
    "WHERE k.name IN ('chan_send_end', 'chan_recv_end', 'chan_try_send', 'chan_try_recv') "        \
    "AND e.arg = 0 AND e.object IS NOT NULL GROUP BY 1, 2, 3 "                                     \
    "UNION ALL SELECT c.object, c.thread, CASE WHEN c.kind = 'chan_send_end' THEN 's' "            \
    "ELSE 'r' END, sum(c.count) FROM event_counts c WHERE c.kind IN ('chan_send_end', "            \
    "'chan_recv_end') AND c.object IS NOT NULL GROUP BY 1, 2, 3) x "                               \
    "JOIN threads t ON t.id = x.thread GROUP BY 1, 2, 3"

static int read_chans(sqlite3 *db, const char *path, int t, struct chan **cs, int *n,
                      int64_t *left_out) {
    sqlite3_stmt *st = weft__html_prep(
        db, path,
        "SELECT o.id, printf('0x%x', o.address), o.destroyed_ns IS NOT NULL, o.info, "
        "(SELECT fr.function FROM frames fr WHERE fr.stack = o.create_stack AND fr.function "
        "IS NOT NULL ORDER BY fr.depth LIMIT 1) "
        "FROM objects o WHERE o.kind = 'chan' ORDER BY o.id");
    if (!st)
        return -1;
    int cap = *n;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n >= MAX_CHANS) {
            (*left_out)++;
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct chan *nc = realloc(*cs, (size_t)cap * sizeof *nc);
            if (!nc)
                break;
            *cs = nc;
        }
        struct chan *c = &(*cs)[(*n)++];
        memset(c, 0, sizeof *c);
        c->trace = t;
        c->id = sqlite3_column_int64(st, 0);
        snprintf(c->addr, sizeof c->addr, "%s", (const char *)sqlite3_column_text(st, 1));
        c->freed = sqlite3_column_int(st, 2);
        c->info = weft__html_dup(st, 3);
        c->creator = weft__html_dup(st, 4);
    }
    sqlite3_finalize(st);
    if (*n)
        qsort(*cs, (size_t)*n, sizeof **cs, by_chan_id);
    /* Capacities: one pass over the chan_make rows (a lookup per channel
     * would scan the events once each: events has no index by object). */
    st = weft__html_prep(
        db, path,
        "SELECT e.object, e.arg2 FROM events e "
        "WHERE e.kind = (SELECT id FROM kinds WHERE name = 'chan_make') AND e.object IS NOT NULL");
    if (!st)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct chan *c = find_chan(*cs, *n, t, sqlite3_column_int64(st, 0));
        if (c && !c->has_cap) {
            c->has_cap = 1;
            c->cap = sqlite3_column_int64(st, 1);
        }
    }
    sqlite3_finalize(st);
    /* Who sent and received how much: the rows, plus the operations only
     * counted (event_counts), plus the cases selects ran (the side from
     * select_cases of the select's begin, the thread's select row just
     * before its end, or of the end itself when it did not wait); only
     * those that went through (result 0). */
    /* The select part scans the events once more: only when a select ran. */
    int selects = 0;
    st = weft__html_prep(db, path, "SELECT EXISTS (SELECT 1 FROM select_cases)");
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        selects = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    static const char sel_sql[] =
        "WITH sk AS (SELECT (SELECT id FROM kinds WHERE name = 'select_begin') AS b, "
        "(SELECT id FROM kinds WHERE name = 'select_end') AS e), "
        "s AS (SELECT e.id, e.thread, e.kind, e.object, e.arg, e.arg2, "
        "lag(e.kind) OVER w AS pkind, lag(e.id) OVER w AS pid FROM events e, sk "
        "WHERE e.kind IN (sk.b, sk.e) WINDOW w AS (PARTITION BY e.thread ORDER BY e.id)) "
        "SELECT x.object, " ROUTINE_SQL ", x.op, sum(x.n) FROM ("
        "SELECT s.object, s.thread, CASE WHEN sc.op = 'send' THEN 's' ELSE 'r' END AS op, "
        "count(*) AS n FROM s, sk JOIN select_cases sc ON sc.event = CASE WHEN s.pkind = sk.b "
        "THEN s.pid ELSE s.id END AND sc.idx = s.arg WHERE s.kind = sk.e AND s.arg >= 0 AND "
        "s.arg2 = 0 AND s.object IS NOT NULL GROUP BY 1, 2, 3 UNION ALL " OPS_SQL;
    static const char plain_sql[] =
        "SELECT x.object, " ROUTINE_SQL ", x.op, sum(x.n) FROM (" OPS_SQL;
    st = weft__html_prep(db, path, selects ? sel_sql : plain_sql);
    if (!st)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct chan *c = find_chan(*cs, *n, t, sqlite3_column_int64(st, 0));
        if (!c)
            continue;
        const char *routine = (const char *)sqlite3_column_text(st, 1);
        int64_t cnt = sqlite3_column_int64(st, 3);
        if (sqlite3_column_text(st, 2)[0] == 's') {
            c->sends += cnt;
            add_end(&c->snd, &c->nsnd, routine ? routine : "?", cnt);
        } else {
            c->recvs += cnt;
            add_end(&c->rcv, &c->nrcv, routine ? routine : "?", cnt);
        }
    }
    sqlite3_finalize(st);
    st = weft__html_prep(
        db, path,
        "SELECT e.object, " ROUTINE_SQL ", e.arg FROM events e JOIN threads t ON t.id = e.thread "
        "WHERE e.kind = (SELECT id FROM kinds WHERE name = 'chan_close') ORDER BY e.id");
    if (!st)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct chan *c = find_chan(*cs, *n, t, sqlite3_column_int64(st, 0));
        if (!c)
            continue;
        c->closes++;
        if (!c->closer)
            c->closer = weft__html_dup(st, 1);
    }
    sqlite3_finalize(st);
    /* Threads blocked on it when the trace ended (the leaks): their
     * routines are a side of the channel too, with nothing gone through. */
    st = weft__html_prep(
        db, path,
        "SELECT b.object, " ROUTINE_SQL ", b.kind FROM blocked_at_exit b "
        "JOIN threads t ON t.id = b.thread WHERE b.kind IN ('chan_send_begin', 'chan_recv_begin')");
    if (!st)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct chan *c = find_chan(*cs, *n, t, sqlite3_column_int64(st, 0));
        if (!c)
            continue;
        const char *routine = (const char *)sqlite3_column_text(st, 1);
        c->blocked++;
        if (!strcmp((const char *)sqlite3_column_text(st, 2), "chan_send_begin"))
            add_end(&c->snd, &c->nsnd, routine ? routine : "?", 0);
        else
            add_end(&c->rcv, &c->nrcv, routine ? routine : "?", 0);
    }
    sqlite3_finalize(st);
    return 0;
}

static void chans_json(FILE *j, const struct chan *cs, int n) {
    fputs(", \"channels\": [", j);
    for (int i = 0; i < n; i++) {
        const struct chan *c = &cs[i];
        fprintf(j, "%s\n{\"trace\": %d, \"id\": %lld, \"addr\": \"%s\", \"cap\": ", i ? "," : "",
                c->trace, (long long)c->id, c->addr);
        if (c->has_cap)
            fprintf(j, "%lld", (long long)c->cap);
        else
            fputs("null", j);
        fputs(", \"creator\": ", j);
        weft__html_str(j, c->creator);
        fputs(", \"info\": ", j);
        weft__html_str(j, c->info);
        fputs(", \"closer\": ", j);
        weft__html_str(j, c->closer);
        fprintf(j,
                ", \"sends\": %lld, \"recvs\": %lld, \"closes\": %lld, \"blocked\": %lld, "
                "\"freed\": %s}",
                (long long)c->sends, (long long)c->recvs, (long long)c->closes,
                (long long)c->blocked, c->freed ? "true" : "false");
    }
    fputs("]", j);
    /* The graph: an edge per channel and (sender, receiver) routines; a
     * channel with no sender or no receiver gets "(nobody)" on that side,
     * which is how a leak looks: a receive nobody sends to. */
    fputs(", \"graph\": [", j);
    int ne = 0, left = 0;
    for (int i = 0; i < n; i++) {
        const struct chan *c = &cs[i];
        int ns = c->nsnd ? c->nsnd : 1, nr = c->nrcv ? c->nrcv : 1;
        if (!c->nsnd && !c->nrcv && !c->closes)
            continue; /* made and never used */
        for (int a = 0; a < ns; a++)
            for (int b = 0; b < nr; b++) {
                if (ne >= MAX_EDGES) {
                    left++;
                    continue;
                }
                fprintf(j, "%s\n[", ne++ ? "," : "");
                /* a channel only closed: from its closer */
                weft__html_str(j, c->nsnd ? c->snd[a].routine : c->closer ? c->closer : "(nobody)");
                fputs(", ", j);
                weft__html_str(j, c->nrcv ? c->rcv[b].routine : "(nobody)");
                fprintf(j, ", %d, %lld, %lld, %d]", i, (long long)(c->nsnd ? c->snd[a].count : 0),
                        (long long)(c->nrcv ? c->rcv[b].count : 0), ne);
            }
    }
    fputs("]", j);
    if (left)
        fprintf(j, ", \"graph_left_out\": %d", left);
}

static void free_chans(struct chan *cs, int n) {
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < cs[i].nsnd; k++)
            free(cs[i].snd[k].routine);
        for (int k = 0; k < cs[i].nrcv; k++)
            free(cs[i].rcv[k].routine);
        free(cs[i].snd);
        free(cs[i].rcv);
        free(cs[i].creator);
        free(cs[i].closer);
        free(cs[i].info);
    }
    free(cs);
}

int weft__html_chans(const struct weft_report *r, FILE *j, struct weft__html_notes *notes) {
    struct chan *cs = NULL;
    int nch = 0, rc = 0;
    int64_t left_out = 0;
    for (int t = 0; t < r->ntraces && !rc; t++)
        rc = read_chans(r->traces[t].db, r->traces[t].path, t, &cs, &nch, &left_out);
    if (!rc) {
        chans_json(j, cs, nch);
        if (left_out)
            weft__html_note(notes, "channels: %lld left out (over %d)", (long long)left_out,
                            MAX_CHANS);
    }
    free_chans(cs, nch);
    return rc;
}
