/* cmd_report.c: `weft report [--format=text|json] [-o FILE] trace.db...`.
 * JSON has the shape DESIGN.md fixes ({"version":1,"processes":[...],
 * "findings":[...]}); text is a short per-process summary and the
 * findings as `weft run` prints them, until the reports/ directory takes
 * over. Findings come from the findings table (filled by the detectors at
 * ingest; detectors/findings.c prints them). */
#include <stdio.h>
#include <string.h>

#include "detectors.h"
#include "json.h"
#include "weft.h"

static int json_db(FILE *f, sqlite3 *db, int *first_proc, int *first_finding, int pass) {
    sqlite3_stmt *st;
    if (pass == 0) {
        if (sqlite3_prepare_v2(db,
                               "SELECT pid, parent_pid, argv, exit_kind, exit_code, signal, "
                               "exe, finished, dropped_events, "
                               "(SELECT count(*) FROM threads t WHERE t.pid = p.pid), "
                               "(SELECT count(*) FROM objects o WHERE o.pid = p.pid AND o.kind <> 'thread') "
                               "FROM processes p ORDER BY start_ns",
                               -1, &st, NULL) != SQLITE_OK)
            return -1;
        while (sqlite3_step(st) == SQLITE_ROW) {
            fprintf(f, "%s\n    {\"pid\": %lld, \"parent_pid\": %lld, \"argv\": %s, ",
                    *first_proc ? "" : ",", sqlite3_column_int64(st, 0),
                    sqlite3_column_int64(st, 1),
                    sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "[]");
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
    } else {
        /* Findings, stacks expanded to frames (detectors/findings.c). */
        return weft_findings_json(db, f, first_finding);
    }
    sqlite3_finalize(st);
    return 0;
}

static void text_db(FILE *f, sqlite3 *db) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT p.pid, p.argv, p.exit_kind, p.exit_code, p.signal, "
                           "(SELECT count(*) FROM threads t WHERE t.pid = p.pid), "
                           "(SELECT count(*) FROM thread_summary s WHERE s.pid = p.pid AND "
                           "s.state IN ('alive-at-exit', 'exited-unjoined')) "
                           "FROM processes p ORDER BY start_ns",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        fprintf(f, "==weft== process %lld %s: ", sqlite3_column_int64(st, 0),
                (const char *)sqlite3_column_text(st, 1));
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            fprintf(f, "%s %d", sqlite3_column_text(st, 2), sqlite3_column_int(st, 3));
        else if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            fprintf(f, "killed by signal %d", sqlite3_column_int(st, 4));
        else
            fprintf(f, "%s", sqlite3_column_text(st, 2));
        fprintf(f, "; %lld threads, %lld not joined or detached\n", sqlite3_column_int64(st, 5),
                sqlite3_column_int64(st, 6));
    }
    sqlite3_finalize(st);
    weft_findings_text(db, f);
}

int weft_cmd_report(int argc, char **argv) {
    const char *format = "text", *out = NULL;
    const char *dbs[256];
    int ndb = 0;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--format=", 9))
            format = argv[i] + 9;
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-') {
            weft_err("report: unknown option '%s'", argv[i]);
            return 125;
        } else if (ndb < 256)
            dbs[ndb++] = argv[i];
    }
    if (strcmp(format, "json") && strcmp(format, "text")) {
        weft_err("report: format '%s' is not available yet (text, json)", format);
        return 125;
    }
    if (ndb == 0) {
        weft_err("report: no trace database given");
        return 125;
    }
    sqlite3 *db[256];
    for (int i = 0; i < ndb; i++) {
        db[i] = weft_db_open_read(dbs[i]);
        if (!db[i]) {
            while (i--)
                sqlite3_close(db[i]);
            return 125;
        }
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        weft_err("cannot write %s", out);
        for (int i = 0; i < ndb; i++)
            sqlite3_close(db[i]);
        return 125;
    }
    if (!strcmp(format, "json")) {
        int fp = 1, ff = 1;
        fputs("{\"version\": 1, \"processes\": [", f);
        for (int i = 0; i < ndb; i++)
            json_db(f, db[i], &fp, &ff, 0);
        fputs("\n  ], \"findings\": [", f);
        for (int i = 0; i < ndb; i++)
            json_db(f, db[i], &fp, &ff, 1);
        /* what the traces could not hold (detectors/findings.c) */
        int fl = 1;
        fputs("\n  ], \"losses\": [", f);
        for (int i = 0; i < ndb; i++)
            weft_losses_json(db[i], f, &fl);
        fputs("\n  ]}\n", f);
    } else {
        for (int i = 0; i < ndb; i++)
            text_db(f, db[i]);
    }
    for (int i = 0; i < ndb; i++)
        sqlite3_close(db[i]);
    if (out && fclose(f) != 0) {
        weft_err("cannot write %s", out);
        return 125;
    }
    return 0;
}
