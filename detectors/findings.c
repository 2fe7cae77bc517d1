/* findings.c: findings in and out of the trace database: weft__report
 * (what detectors call: suppression check, message, stacks JSON, one row
 * of `findings`), and the two printed forms: the valgrind-like text
 * summary (==weft== blocks, stacks as "#0 func file:line") and the JSON
 * findings of `weft report --format=json` (stacks expanded to frames).
 * The text summary also says what the trace lost (`losses`) and which
 * programs a traced process exec'd untraced (`images`), and marks the
 * findings that a loss could explain (findings.uncertain). Text the
 * program chose (messages quoting thread names, functions, files,
 * modules, paths) is escaped in both: textesc.c, json.c. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "json.h"
#include "textesc.h"

void weft__report(struct weft__dctx *c, const char *kind, const char *severity, int64_t pid,
                  int64_t thread, int64_t object, const struct weft__role *roles, int nroles,
                  const char *fmt, ...) {
    weft__db_enter(c, 0);
    if (weft__supp_match(c, kind, roles, nroles)) {
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

/* ---- printing ---- */

/* Calls fn(role, stack id) for each member of a stacks JSON object as
 * weft__report writes it: {"role": id, ...}. */
static void each_role(const char *json, void (*fn)(void *, const char *, long long), void *arg) {
    const char *p = json;
    while (p && (p = strchr(p, '"'))) {
        const char *end = strchr(p + 1, '"');
        if (!end)
            return;
        char role[64];
        size_t len = (size_t)(end - p - 1);
        if (len >= sizeof role)
            len = sizeof role - 1;
        memcpy(role, p + 1, len);
        role[len] = 0;
        const char *colon = strchr(end, ':');
        if (!colon)
            return;
        long long id = strtoll(colon + 1, (char **)&p, 10);
        fn(arg, role, id);
    }
}

struct text_arg {
    sqlite3_stmt *fr;
    FILE *f;
};

static void text_stack(void *a, const char *role, long long id) {
    struct text_arg *t = a;
    fputs("==weft==   ", t->f);
    weft_text_str(t->f, role);
    fputs(":\n", t->f);
    sqlite3_reset(t->fr);
    sqlite3_bind_int64(t->fr, 1, id);
    int any = 0;
    while (sqlite3_step(t->fr) == SQLITE_ROW) {
        const unsigned char *fn = sqlite3_column_text(t->fr, 2);
        const unsigned char *file = sqlite3_column_text(t->fr, 3);
        const unsigned char *mod = sqlite3_column_text(t->fr, 5);
        fprintf(t->f, "==weft==     #%d ", sqlite3_column_int(t->fr, 0));
        if (fn)
            weft_text_str(t->f, (const char *)fn);
        else
            fprintf(t->f, "0x%llx", (unsigned long long)sqlite3_column_int64(t->fr, 1));
        if (file && sqlite3_column_type(t->fr, 4) != SQLITE_NULL) {
            fputc(' ', t->f);
            weft_text_str(t->f, (const char *)file);
            fprintf(t->f, ":%d", sqlite3_column_int(t->fr, 4));
        } else if (mod) {
            fputs(" (", t->f);
            weft_text_str(t->f, (const char *)mod);
            fputc(')', t->f);
        }
        fputc('\n', t->f);
        any = 1;
    }
    if (!any)
        fputs("==weft==     (no frames recorded)\n", t->f);
}

static const char frames_sql[] =
    "SELECT depth, pc, function, file, line, module FROM frames WHERE stack = ? ORDER BY depth";

/* What process pid lost, as "1234 lost events" / "3 lost chunks of
 * records" / both, into buf ("" when nothing is recorded as lost). */
static const char *lost_in(sqlite3 *db, long long pid, char *buf, size_t n) {
    sqlite3_stmt *st = NULL;
    long long ev = 0, ch = 0;
    buf[0] = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(CASE WHEN what = 'dropped-events' THEN count END), 0), "
                               "coalesce(sum(CASE WHEN what IN ('bad-chunk', 'unwritten-chunk', "
                               "'truncated') THEN count END), 0) FROM losses WHERE pid = ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, pid);
        if (sqlite3_step(st) == SQLITE_ROW) {
            ev = sqlite3_column_int64(st, 0);
            ch = sqlite3_column_int64(st, 1);
        }
    }
    sqlite3_finalize(st);
    if (ev && ch)
        snprintf(buf, n, "%lld lost event%s and %lld lost chunk%s of records", ev,
                 ev == 1 ? "" : "s", ch, ch == 1 ? "" : "s");
    else if (ev)
        snprintf(buf, n, "%lld lost event%s", ev, ev == 1 ? "" : "s");
    else if (ch)
        snprintf(buf, n, "%lld lost chunk%s of records", ch, ch == 1 ? "" : "s");
    return buf;
}

/* A path or detail from the trace, escaped for the terminal (textesc.c)
 * into buf, for use as a printf argument. */
static const char *plain(const char *s, char *buf, size_t n) {
    weft_text_escape(buf, n, s ? s : "");
    return buf;
}

/* "==weft== trace incomplete: ..." lines, one per kind of loss, and a
 * note for each program a traced process exec'd that ran untraced. */
static void losses_text(sqlite3 *db, FILE *f) {
    sqlite3_stmt *st = NULL;
    char safe[4 * 4200];
    if (sqlite3_prepare_v2(db, "SELECT what, sum(count), count(*), "
                               "group_concat(DISTINCT pid), min(detail) FROM losses "
                               "GROUP BY what ORDER BY min(rowid)",
                           -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *what = (const char *)sqlite3_column_text(st, 0);
            long long count = sqlite3_column_int64(st, 1), rows = sqlite3_column_int64(st, 2);
            const char *pids = (const char *)sqlite3_column_text(st, 3);
            const char *detail = (const char *)sqlite3_column_text(st, 4);
            char who[96] = "";
            if (pids) { /* "process 42" / "processes 42,43,..." (a few) */
                int many = strchr(pids, ',') != NULL;
                snprintf(who, sizeof who, " in process%s %.60s%s", many ? "es" : "", pids,
                         strlen(pids) > 60 ? "..." : "");
            }
            if (!what)
                continue;
            fputs("==weft== trace incomplete: ", f);
            if (!strcmp(what, "dropped-events"))
                fprintf(f, "%lld event%s not recorded%s (the log was full: WEFT_LOG_MB "
                           "raises its size; or its disk was full)\n",
                        count, count == 1 ? "" : "s", who);
            else if (!strcmp(what, "bad-chunk"))
                fprintf(f, "%lld damaged chunk%s of records skipped%s\n", count,
                        count == 1 ? "" : "s", who);
            else if (!strcmp(what, "unwritten-chunk"))
                fprintf(f, "%lld chunk%s of records never written%s (a process killed as it "
                           "began one, or holes in the log: was its disk full?)\n", count,
                        count == 1 ? "" : "s", who);
            else if (!strcmp(what, "truncated"))
                fprintf(f, "%lld chunk%s of records cut off the end of the log%s\n", count,
                        count == 1 ? "" : "s", who);
            else if (!strcmp(what, "empty-log"))
                fprintf(f, "%lld empty log%s%s (processes killed, or out of memory or disk, "
                           "before they wrote one)\n", rows, rows == 1 ? "" : "s", who);
            else if (!strcmp(what, "running"))
                fprintf(f, "process%s %.60s%s %s still running when the trace was read (a "
                           "daemon, or a child that outlived the program): %s trace stops "
                           "there\n",
                        rows == 1 ? "" : "es", pids ? pids : "?",
                        pids && strlen(pids) > 60 ? "..." : "", rows == 1 ? "was" : "were",
                        rows == 1 ? "its" : "their");
            else if (!strcmp(what, "missing-log"))
                fprintf(f, "%lld forked process%s left no log%s\n", rows,
                        rows == 1 ? "" : "es", who);
            else
                fprintf(f, "%lld log%s left out (%s): %s\n", rows, rows == 1 ? "" : "s", what,
                        plain(detail, safe, sizeof safe));
        }
    sqlite3_finalize(st);
    st = NULL;
    /* The first few (a wrapper script's exec comes first), then a count:
     * GNU parallel's every job would be a line. */
    int notes = 0, children = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'trace_children'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        children = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    /* Traced children: the program left no log of its own (a static or
     * setuid one, or one still starting when the trace was read). */
    const char *why = children ? "which left no log (a static or setuid program, or one "
                                 "still starting when the trace was read)"
                               : "which ran untraced: use --trace-children to trace it";
    if (sqlite3_prepare_v2(db, "SELECT pid, exec_path FROM images WHERE untraced "
                               "ORDER BY start_ns, pid, seq",
                           -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW)
            if (++notes <= 3)
                fprintf(f, "==weft== note: process %lld exec'd %s, %s\n",
                        sqlite3_column_int64(st, 0),
                        plain((const char *)sqlite3_column_text(st, 1), safe, sizeof safe),
                        why);
    if (notes > 3)
        fprintf(f, "==weft== note: %d more processes exec'd programs that left no log%s\n",
                notes - 3, children ? "" : " (--trace-children traces them)");
    sqlite3_finalize(st);
}

void weft_findings_text(sqlite3 *db, FILE *f) {
    sqlite3_stmt *st = NULL, *fr = NULL;
    int n = 0, errors = 0, uncertain = 0;
    if (sqlite3_prepare_v2(db, "SELECT kind, severity, pid, message, stacks, uncertain "
                               "FROM findings ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, frames_sql, -1, &fr, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return;
    }
    struct text_arg ta = {fr, f};
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *sev = (const char *)sqlite3_column_text(st, 1);
        /* The message quotes thread names and paths the program chose. */
        fputs("==weft== ", f);
        weft_text_str(f, sev);
        fputs(": ", f);
        weft_text_str(f, (const char *)sqlite3_column_text(st, 0));
        fprintf(f, " (pid %lld)\n==weft==   ", sqlite3_column_int64(st, 2));
        weft_text_str(f, (const char *)sqlite3_column_text(st, 3));
        fputc('\n', f);
        if (sqlite3_column_int(st, 5)) {
            char lost[160];
            uncertain++;
            lost_in(db, sqlite3_column_int64(st, 2), lost, sizeof lost);
            fprintf(f, "==weft==   (uncertain: may be a consequence of the %s)\n",
                    lost[0] ? lost : "records this process lost");
        }
        each_role((const char *)sqlite3_column_text(st, 4), text_stack, &ta);
        fputs("==weft==\n", f);
        n++;
        if (sev && !strcmp(sev, "error"))
            errors++;
    }
    losses_text(db, f);
    fprintf(f, "==weft== %d finding%s (%d error%s, %d warning%s", n, n == 1 ? "" : "s", errors,
            errors == 1 ? "" : "s", n - errors, n - errors == 1 ? "" : "s");
    if (uncertain)
        fprintf(f, "; %d uncertain", uncertain);
    fputs(")\n", f);
    sqlite3_finalize(st);
    sqlite3_finalize(fr);
}

struct json_arg {
    sqlite3_stmt *fr;
    FILE *f;
    int first;
};

static void json_stack(void *a, const char *role, long long id) {
    struct json_arg *j = a;
    fputs(j->first ? "" : ", ", j->f);
    weft_json_str(j->f, (const unsigned char *)role);
    fputs(": [", j->f);
    j->first = 0;
    sqlite3_reset(j->fr);
    sqlite3_bind_int64(j->fr, 1, id);
    int first = 1;
    while (sqlite3_step(j->fr) == SQLITE_ROW) {
        fprintf(j->f, "%s{\"pc\": \"0x%llx\", \"function\": ", first ? "" : ", ",
                (unsigned long long)sqlite3_column_int64(j->fr, 1));
        weft_json_str(j->f, sqlite3_column_text(j->fr, 2));
        fputs(", \"file\": ", j->f);
        weft_json_str(j->f, sqlite3_column_text(j->fr, 3));
        if (sqlite3_column_type(j->fr, 4) != SQLITE_NULL)
            fprintf(j->f, ", \"line\": %d}", sqlite3_column_int(j->fr, 4));
        else
            fputs(", \"line\": null}", j->f);
        first = 0;
    }
    fputc(']', j->f);
}

int weft_findings_json(sqlite3 *db, FILE *f, int *first) {
    sqlite3_stmt *st = NULL, *fr = NULL;
    if (sqlite3_prepare_v2(db, "SELECT kind, severity, pid, message, thread, object, stacks, "
                               "(SELECT tid FROM threads t WHERE t.id = findings.thread), "
                               "uncertain FROM findings ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, frames_sql, -1, &fr, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        fprintf(f, "%s\n    {\"kind\": ", *first ? "" : ",");
        *first = 0;
        weft_json_str(f, sqlite3_column_text(st, 0));
        fputs(", \"severity\": ", f);
        weft_json_str(f, sqlite3_column_text(st, 1));
        fprintf(f, ", \"pid\": %lld, \"message\": ", sqlite3_column_int64(st, 2));
        weft_json_str(f, sqlite3_column_text(st, 3));
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            fprintf(f, ", \"thread\": %lld, \"tid\": %lld", sqlite3_column_int64(st, 4),
                    sqlite3_column_int64(st, 7));
        else
            fputs(", \"thread\": null", f);
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            fprintf(f, ", \"object\": %lld", sqlite3_column_int64(st, 5));
        else
            fputs(", \"object\": null", f);
        fprintf(f, ", \"uncertain\": %s", sqlite3_column_int(st, 8) ? "true" : "false");
        fputs(", \"stacks\": {", f);
        struct json_arg ja = {fr, f, 1};
        each_role((const char *)sqlite3_column_text(st, 6), json_stack, &ja);
        fputs("}}", f);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(fr);
    return 0;
}

int weft_losses_json(sqlite3 *db, FILE *f, int *first) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT pid, log, what, count, detail FROM losses ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        fprintf(f, "%s\n    {\"pid\": ", *first ? "" : ",");
        *first = 0;
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            fprintf(f, "%lld", sqlite3_column_int64(st, 0));
        else
            fputs("null", f);
        fputs(", \"log\": ", f);
        weft_json_str(f, sqlite3_column_text(st, 1));
        fputs(", \"what\": ", f);
        weft_json_str(f, sqlite3_column_text(st, 2));
        fprintf(f, ", \"count\": %lld, \"detail\": ", sqlite3_column_int64(st, 3));
        weft_json_str(f, sqlite3_column_text(st, 4));
        fputc('}', f);
    }
    sqlite3_finalize(st);
    return 0;
}
