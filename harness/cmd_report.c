/* cmd_report.c: `weft report [--format=text|json] [-o FILE] trace.db...`.
 * JSON has the shape DESIGN.md fixes ({"version":1,"processes":[...],
 * "findings":[...]}), always valid JSON whatever the program put in its
 * argv or names (json.c); text is a short per-process summary and the
 * findings as `weft run` prints them, with the program's text escaped
 * (textesc.c), until the reports/ directory takes over. Findings come from
 * the findings table (filled by the detectors at ingest;
 * detectors/findings.c prints them). Every input is checked (a regular
 * file, a weft trace of this schema with its tables) before anything is
 * written; the output is checked when it is closed: a report that could
 * not be written whole is an error (exit 125), and -o never replaces an
 * input or a file that is not a weft report. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detectors.h"
#include "json.h"
#include "perfetto.h"
#include "textesc.h"
#include "weft.h"

/* The tables and views a report reads. */
static const char *const needed[] = {"processes", "threads", "objects", "findings", "frames",
                                     "thread_summary"};

/* The statement for sql on the trace at path, or NULL after one line. */
static sqlite3_stmt *prepare(sqlite3 *db, const char *path, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        weft_err("report: %s: %s", path, sqlite3_errmsg(db));
    return st;
}

/* Ends a walk of st's rows: finalized, and -1 after one line unless the
 * last step said done. */
static int walked(sqlite3_stmt *st, int rc, const char *path) {
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        weft_err("report: %s: %s", path, sqlite3_errstr(rc));
        return -1;
    }
    return 0;
}

static int check_tables(sqlite3 *db, const char *path) {
    sqlite3_stmt *st = prepare(db, path, "SELECT count(*) FROM sqlite_master WHERE name = ?");
    if (!st)
        return -1;
    for (size_t i = 0; i < sizeof needed / sizeof *needed; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, needed[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) == 0) {
            weft_err("report: %s: not a complete weft trace (no table %s)", path, needed[i]);
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* 0, or -1 after one line naming the trace. */
static int json_procs(FILE *f, sqlite3 *db, const char *path, int *first_proc) {
    sqlite3_stmt *st = prepare(
        db, path,
        "SELECT pid, parent_pid, argv, exit_kind, exit_code, signal, exe, finished, "
        "dropped_events, (SELECT count(*) FROM threads t WHERE t.pid = p.pid), "
        "(SELECT count(*) FROM objects o WHERE o.pid = p.pid AND o.kind <> 'thread') "
        "FROM processes p ORDER BY start_ns");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fprintf(f, "%s\n    {\"pid\": %lld, \"parent_pid\": %lld, \"argv\": ",
                *first_proc ? "" : ",", sqlite3_column_int64(st, 0),
                sqlite3_column_int64(st, 1));
        /* Re-emitted, not copied: a trace written by an older weft (or
         * damaged) may hold an argv that is not valid JSON. */
        weft_json_reemit_strings(f, (const char *)sqlite3_column_text(st, 2));
        fputs(", ", f);
        *first_proc = 0;
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            fprintf(f, "\"exit_code\": %d, ", sqlite3_column_int(st, 4));
        else if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            fprintf(f, "\"signal\": %d, ", sqlite3_column_int(st, 5));
        fputs("\"exit_kind\": ", f);
        weft_json_str(f, sqlite3_column_text(st, 3));
        fputs(", \"exe\": ", f);
        weft_json_str(f, sqlite3_column_text(st, 6));
        fprintf(f, ", \"finished\": %s, \"dropped_events\": %lld, \"threads\": %lld, "
                   "\"objects\": %lld}",
                sqlite3_column_int(st, 7) ? "true" : "false", sqlite3_column_int64(st, 8),
                sqlite3_column_int64(st, 9), sqlite3_column_int64(st, 10));
    }
    return walked(st, rc, path);
}

static int text_db(FILE *f, sqlite3 *db, const char *path) {
    sqlite3_stmt *st = prepare(
        db, path,
        "SELECT p.pid, p.argv, p.exit_kind, p.exit_code, p.signal, "
        "(SELECT count(*) FROM threads t WHERE t.pid = p.pid), "
        "(SELECT count(*) FROM thread_summary s WHERE s.pid = p.pid AND "
        "s.state IN ('alive-at-exit', 'exited-unjoined')) FROM processes p ORDER BY start_ns");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fprintf(f, "==weft== process %lld ", sqlite3_column_int64(st, 0));
        weft_text_str(f, (const char *)sqlite3_column_text(st, 1));
        fputs(": ", f);
        if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
            weft_text_str(f, (const char *)sqlite3_column_text(st, 2));
            fprintf(f, " %d", sqlite3_column_int(st, 3));
        } else if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
            fprintf(f, "killed by signal %d", sqlite3_column_int(st, 4));
        } else {
            weft_text_str(f, (const char *)sqlite3_column_text(st, 2));
        }
        fprintf(f, "; %lld threads, %lld not joined or detached\n", sqlite3_column_int64(st, 5),
                sqlite3_column_int64(st, 6));
    }
    if (walked(st, rc, path) != 0)
        return -1;
    weft_findings_text(db, f);
    return 0;
}

int weft_cmd_report(int argc, char **argv) {
    const char *format = NULL, *out = NULL;
    char **dbs = calloc((size_t)argc, sizeof *dbs);
    sqlite3 **db = calloc((size_t)argc, sizeof *db);
    int ndb = 0, opts = 1, r, rc = 125;
    struct weft_out ob = {.dir = ""};
    FILE *f = NULL;
    /* --format=perfetto's window (ms from the trace start) and cap */
    struct weft_perfetto_opts po = {-1, -1, WEFT_PERFETTO_MAX_EVENTS};
    const char *from = NULL, *to = NULL, *maxev = NULL;
    if (!dbs || !db) {
        weft_err("out of memory");
        goto done;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts || a[0] != '-' || !a[1]) {
            dbs[ndb++] = argv[i];
        } else if (!strcmp(a, "--")) {
            opts = 0;
        } else if ((r = weft_opt_value("report", argc, argv, &i, NULL, "--format", &format)) ||
                   (r = weft_opt_value("report", argc, argv, &i, "-o", "--output", &out)) ||
                   (r = weft_opt_number("report", argc, argv, &i, "--from", 0, 1LL << 40, &from,
                                        &po.from_ms)) ||
                   (r = weft_opt_number("report", argc, argv, &i, "--to", 1, 1LL << 40, &to,
                                        &po.to_ms)) ||
                   (r = weft_opt_number("report", argc, argv, &i, "--max-events", 0, 1LL << 50,
                                        &maxev, &po.max_events))) {
            if (r < 0)
                goto done;
        } else {
            weft_err("report: unknown option '%s' (try weft --help)", a);
            goto done;
        }
    }
    if (!format)
        format = "text";
    if (strcmp(format, "json") && strcmp(format, "text") && strcmp(format, "perfetto")) {
        weft_err("report: format '%s' is not available yet (text, json, perfetto)", format);
        goto done;
    }
    if ((from || to || maxev) && strcmp(format, "perfetto")) {
        weft_err("report: --from, --to and --max-events are for --format=perfetto");
        goto done;
    }
    if (from && to && po.from_ms >= po.to_ms) {
        weft_err("report: --from %lld is not before --to %lld", po.from_ms, po.to_ms);
        goto done;
    }
    if (ndb == 0) {
        weft_err("report: no trace database given");
        goto done;
    }
    for (int i = 0; i < ndb; i++)
        if (weft_check_regular("trace", dbs[i]) != 0 || !(db[i] = weft_db_open_read(dbs[i])) ||
            check_tables(db[i], dbs[i]) != 0)
            goto done;
    if (out) {
        int fd = -1;
        if (weft_out_check("report", out, WEFT_OUT_REPORT, dbs, ndb) != 0 ||
            weft_out_begin(&ob, out) != 0)
            goto done;
        fd = open(ob.tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
            weft_err("report: cannot write %s: %s", out, strerror(errno));
            if (fd >= 0)
                close(fd);
            goto done;
        }
    } else {
        f = stdout;
    }
    int bad = 0;
    if (!strcmp(format, "perfetto")) {
        bad = weft_report_perfetto(f, db, dbs, ndb, &po) != 0;
    } else if (!strcmp(format, "json")) {
        int fp = 1, ff = 1;
        fputs("{\"version\": 1, \"processes\": [", f);
        for (int i = 0; i < ndb && !bad; i++)
            bad = json_procs(f, db[i], dbs[i], &fp) != 0;
        fputs("\n  ], \"findings\": [", f);
        for (int i = 0; i < ndb && !bad; i++)
            if (weft_findings_json(db[i], f, &ff) != 0) {
                weft_err("report: %s: cannot read the findings: %s", dbs[i],
                         sqlite3_errmsg(db[i]));
                bad = 1;
            }
        /* what the traces could not hold (detectors/findings.c) */
        int fl = 1;
        fputs("\n  ], \"losses\": [", f);
        for (int i = 0; i < ndb && !bad; i++)
            weft_losses_json(db[i], f, &fl);
        fputs("\n  ]}\n", f);
    } else {
        for (int i = 0; i < ndb && !bad; i++)
            bad = text_db(f, db[i], dbs[i]) != 0;
    }
    if (bad)
        goto done;
    /* Everything must have been written (a full disk, /dev/full, a closed
     * pipe): fflush and fclose say so. */
    errno = 0;
    int werr = fflush(f) != 0 || ferror(f);
    int e = errno;
    if (f != stdout) {
        errno = 0;
        if (fclose(f) != 0) {
            werr = 1;
            if (!e)
                e = errno;
        }
        f = NULL;
    }
    if (werr) {
        weft_err("report: cannot write %s: %s", out ? out : "standard output",
                 e ? strerror(e) : "write error");
        goto done;
    }
    if (out && weft_out_commit(&ob, 0) != 0)
        goto done;
    rc = 0;
done:
    if (f && f != stdout)
        fclose(f);
    if (rc != 0)
        weft_out_abort(&ob);
    for (int i = 0; db && i < ndb; i++)
        sqlite3_close(db[i]);
    free(dbs);
    free(db);
    return rc;
}
