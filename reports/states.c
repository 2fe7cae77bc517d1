/* SPDX-License-Identifier: MIT */
/* states.c: what the threads were doing, outside the findings: the state
 * at death of a process killed by a signal (or whose log just stops: a
 * SIGKILL), reconstructed from the trace (each thread alive at the end,
 * and the wait it had begun and not ended: blocked_at_exit), like the
 * dump weft run prints on SIGUSR1 while a program runs; and the reports
 * of weft run --leak-check (the leak_checks table, which traces made
 * before it lack). Text and JSON; read straight from each trace's
 * database, as the losses are.
 *
 * Not findings: the leak detectors judge only a process that ended by
 * itself (a killed one says nothing of what it meant to finish,
 * detectors/d_threads.c), and this section judges nothing either: it
 * says where each thread was when the program was killed. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "textesc.h"

/* One thread at its process's death. */
struct dthread {
    int64_t tid, obj, since, create_stack;
    const char *name, *kind; /* kind: the begin kind of its open wait, NULL: running */
    int has_since;
};

/* The processes of a trace that died by a signal or whose log stops. */
static const char proc_sql[] =
    "SELECT pid, exit_kind, signal, end_ns, exe, start_ns FROM processes WHERE exit_kind IN "
    "('signal', 'unknown') ORDER BY pid";
/* Its threads alive at the end, the program's own, with their open wait. */
static const char thread_sql[] =
    "SELECT t.tid, coalesce(nullif(t.name, ''), t.start_function, CASE WHEN t.tid = 1 THEN "
    "'main' END), b.kind, b.obj, e.ts, "
    "t.create_stack FROM threads t LEFT JOIN blocked_at_exit b ON b.thread = t.id "
    "LEFT JOIN events e ON e.id = b.event WHERE t.pid = ? AND t.exited_ns IS NULL AND "
    "t.internal = 0 ORDER BY t.tid";
static const char frame_sql[] =
    "SELECT function, file, line, module, pc FROM frames WHERE stack = ? ORDER BY depth";

static void dthread_of(sqlite3_stmt *st, struct dthread *d) {
    d->tid = sqlite3_column_int64(st, 0);
    d->name = (const char *)sqlite3_column_text(st, 1);
    d->kind = (const char *)sqlite3_column_text(st, 2);
    d->obj = sqlite3_column_int64(st, 3);
    d->has_since = sqlite3_column_type(st, 4) != SQLITE_NULL;
    d->since = sqlite3_column_int64(st, 4);
    d->create_stack = sqlite3_column_int64(st, 5);
}

/* "killed by SIGKILL", or what the log says. */
static void cause(char *buf, size_t n, const char *exit_kind, int has_sig, int sig) {
    const char *abbrev = has_sig ? sigabbrev_np(sig) : NULL;
    if (!strcmp(exit_kind, "signal") && abbrev)
        snprintf(buf, n, "killed by SIG%s", abbrev);
    else if (!strcmp(exit_kind, "signal"))
        snprintf(buf, n, "killed by signal %d", sig);
    else
        snprintf(buf, n, "its log stops (killed, e.g. by SIGKILL)");
}

/* The processes of a trace that died, one at a time, each with its
 * threads: the walk the text and the JSON share. */
struct deaths {
    sqlite3 *db;
    sqlite3_stmt *ps, *ts;
    int64_t pid, start, end;
    const char *exe;
    int has_sig, sig;
    char why[96];
};

static int deaths_open(struct deaths *d, sqlite3 *db) {
    memset(d, 0, sizeof *d);
    d->db = db;
    if (sqlite3_prepare_v2(db, proc_sql, -1, &d->ps, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, thread_sql, -1, &d->ts, NULL) == SQLITE_OK)
        return 0;
    sqlite3_finalize(d->ps);
    sqlite3_finalize(d->ts);
    return -1;
}

/* The next process (1), or 0 at the end; its threads come next. */
static int deaths_next(struct deaths *d) {
    if (sqlite3_step(d->ps) != SQLITE_ROW)
        return 0;
    d->pid = sqlite3_column_int64(d->ps, 0);
    d->end = sqlite3_column_int64(d->ps, 3);
    d->start = sqlite3_column_int64(d->ps, 5);
    d->exe = (const char *)sqlite3_column_text(d->ps, 4);
    d->has_sig = sqlite3_column_type(d->ps, 2) != SQLITE_NULL;
    d->sig = sqlite3_column_int(d->ps, 2);
    cause(d->why, sizeof d->why, (const char *)sqlite3_column_text(d->ps, 1), d->has_sig, d->sig);
    sqlite3_reset(d->ts);
    sqlite3_bind_int64(d->ts, 1, d->pid);
    return 1;
}

/* The current process's next thread (1), or 0. */
static int deaths_thread(struct deaths *d, struct dthread *t) {
    if (sqlite3_step(d->ts) != SQLITE_ROW)
        return 0;
    dthread_of(d->ts, t);
    return 1;
}

static void deaths_close(struct deaths *d) {
    sqlite3_finalize(d->ps);
    sqlite3_finalize(d->ts);
}

static void frames_text(sqlite3 *db, FILE *f, int64_t stack) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, frame_sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, stack);
        for (int depth = 0; sqlite3_step(st) == SQLITE_ROW; depth++) {
            const struct weft_rframe fr = {
                sqlite3_column_int64(st, 4), (const char *)sqlite3_column_text(st, 0),
                (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 3),
                sqlite3_column_int(st, 2)};
            weft_report_frame_text(f, depth, &fr);
        }
    }
    sqlite3_finalize(st);
}

static void death_text(sqlite3 *db, FILE *f) {
    struct deaths d;
    if (deaths_open(&d, db) != 0)
        return;
    while (deaths_next(&d)) {
        fprintf(f, "==weft== state at death: process %lld ", (long long)d.pid);
        weft_text_str(f, d.exe ? d.exe : "?");
        /* Times from the process's start: a SIGKILL leaves no record of
         * when it came, only of the last thing done before it. */
        fprintf(f, ", %s; its threads at its last record (+%.3f s):\n", d.why,
                (double)weft_report_span(d.start, d.end) / 1e9);
        struct dthread t;
        while (deaths_thread(&d, &t)) {
            fprintf(f, "==weft==   thread %lld \"", (long long)t.tid);
            weft_text_str(f, t.name ? t.name : "?");
            if (t.kind) {
                fputs("\" [", f);
                weft_text_str(f, weft_report_wait_name(t.kind));
                fprintf(f, " on 0x%llx", (unsigned long long)t.obj);
                if (t.has_since)
                    fprintf(f, ", since +%.3f s", (double)weft_report_span(d.start, t.since) / 1e9);
                fputc(']', f);
            } else {
                fputs("\" [running]", f);
            }
            fputs(t.create_stack ? ", created at:\n" : "\n", f);
            if (t.create_stack)
                frames_text(db, f, t.create_stack);
        }
    }
    deaths_close(&d);
}

static void leaks_text(sqlite3 *db, FILE *f) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT l.pid, l.tid, coalesce(nullif(t.name, ''), t.start_function), "
                           "l.kind, l.obj, l.waited_ns, t.create_stack FROM leak_checks l "
                           "LEFT JOIN threads t ON t.id = l.thread ORDER BY l.rowid",
                           -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 2);
            const char *kind = (const char *)sqlite3_column_text(st, 3);
            fprintf(f, "==weft== leak check during the run: thread %lld \"",
                    sqlite3_column_int64(st, 1));
            weft_text_str(f, name ? name : "?");
            fprintf(f, "\" of process %lld blocked for %.2f s in ", sqlite3_column_int64(st, 0),
                    (double)sqlite3_column_int64(st, 5) / 1e9);
            weft_text_str(f, kind ? weft_report_wait_name(kind) : "?");
            fprintf(f, " on 0x%llx", (unsigned long long)sqlite3_column_int64(st, 4));
            int64_t cs = sqlite3_column_int64(st, 6);
            fputs(cs ? ", created at:\n" : "\n", f);
            if (cs)
                frames_text(db, f, cs);
        }
    sqlite3_finalize(st);
}

void weft_report_states_text(const struct weft_report *r, FILE *f, int with_leaks) {
    for (int t = 0; t < r->ntraces; t++) {
        if (with_leaks)
            leaks_text(r->traces[t].db, f);
        death_text(r->traces[t].db, f);
    }
}

/* ---- JSON ---- */

static void str(FILE *f, const char *s) {
    weft_json_str(f, (const unsigned char *)s);
}

static void frames_json(sqlite3 *db, FILE *f, int64_t stack) {
    sqlite3_stmt *st = NULL;
    fputc('[', f);
    if (stack && sqlite3_prepare_v2(db, frame_sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, stack);
        for (int k = 0; sqlite3_step(st) == SQLITE_ROW; k++) {
            fprintf(f, "%s{\"pc\": \"0x%llx\", \"function\": ", k ? ", " : "",
                    (unsigned long long)sqlite3_column_int64(st, 4));
            str(f, (const char *)sqlite3_column_text(st, 0));
            fputs(", \"file\": ", f);
            str(f, (const char *)sqlite3_column_text(st, 1));
            if (sqlite3_column_int(st, 2) > 0)
                fprintf(f, ", \"line\": %d}", sqlite3_column_int(st, 2));
            else
                fputs(", \"line\": null}", f);
        }
    }
    sqlite3_finalize(st);
    fputc(']', f);
}

void weft_report_states_json(const struct weft_report *r, FILE *f) {
    fputs(", \"state_at_death\": [", f);
    int first = 1;
    for (int i = 0; i < r->ntraces; i++) {
        struct deaths d;
        if (deaths_open(&d, r->traces[i].db) != 0)
            continue;
        while (deaths_next(&d)) {
            fprintf(f, "%s\n    {\"pid\": %lld, \"cause\": ", first ? "" : ",", (long long)d.pid);
            first = 0;
            str(f, d.why);
            fputs(", \"signal\": ", f);
            if (d.has_sig)
                fprintf(f, "%d", d.sig);
            else
                fputs("null", f);
            /* times in ns from the process's start */
            fprintf(f, ", \"last_record_ns\": %lld, \"threads\": [",
                    (long long)weft_report_span(d.start, d.end));
            struct dthread t;
            for (int k = 0; deaths_thread(&d, &t); k++) {
                fprintf(f, "%s\n      {\"tid\": %lld, \"name\": ", k ? "," : "", (long long)t.tid);
                str(f, t.name);
                fputs(", \"state\": ", f);
                str(f, t.kind ? "blocked" : "running");
                if (t.kind) {
                    fputs(", \"wait\": ", f);
                    str(f, t.kind);
                    fprintf(f, ", \"obj\": \"0x%llx\", \"since_ns\": ", (unsigned long long)t.obj);
                    if (t.has_since)
                        fprintf(f, "%lld", (long long)weft_report_span(d.start, t.since));
                    else
                        fputs("null", f);
                }
                fputs(", \"creation\": ", f);
                frames_json(d.db, f, t.create_stack);
                fputc('}', f);
            }
            fputs("]}", f);
        }
        deaths_close(&d);
    }
    fputs("\n  ], \"leak_checks\": [", f);
    first = 1;
    for (int t = 0; t < r->ntraces; t++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(r->traces[t].db,
                               "SELECT l.pid, l.tid, t.name, l.kind, l.obj, l.waited_ns, "
                               "t.create_stack FROM leak_checks l LEFT JOIN threads t ON "
                               "t.id = l.thread ORDER BY l.rowid",
                               -1, &st, NULL) == SQLITE_OK)
            while (sqlite3_step(st) == SQLITE_ROW) {
                fprintf(f, "%s\n    {\"pid\": %lld, \"tid\": %lld, \"name\": ", first ? "" : ",",
                        sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
                first = 0;
                str(f, (const char *)sqlite3_column_text(st, 2));
                fputs(", \"wait\": ", f);
                str(f, (const char *)sqlite3_column_text(st, 3));
                fprintf(f, ", \"obj\": \"0x%llx\", \"blocked_ns\": %lld, \"creation\": ",
                        (unsigned long long)sqlite3_column_int64(st, 4),
                        sqlite3_column_int64(st, 5));
                frames_json(r->traces[t].db, f, sqlite3_column_int64(st, 6));
                fputc('}', f);
            }
        sqlite3_finalize(st);
    }
    fputs("\n  ]", f);
}
