/* SPDX-License-Identifier: MIT */
/* cmd_report.c: `weft report [--format=text|json|html|perfetto|sarif|junit]
 * [-o FILE] [--perfetto-link NAME] [--baseline OLD.db|OLD.json [--only-new]] [--srcroot DIR]
 * [--from MS] [--to MS] [--max-events N] trace.db...`: the command around
 * reports/ (report.h), which loads the traces' findings into one model,
 * groups them by fingerprint and writes each format. Every input is checked (a regular
 * file, a weft trace of this schema with its tables) before anything is
 * written; the output is checked when it is closed: a report that could
 * not be written whole is an error (exit 125), and -o never replaces an
 * input or a file that is not a weft report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perfetto.h"
#include "report.h"
#include "cli.h"

/* The tables and views a report reads. */
static const char *const needed[] = {"processes", "threads", "objects",
                                     "findings",  "frames",  "thread_summary"};

/* The statement for sql on the trace at path, or NULL after one line. */
static sqlite3_stmt *prepare(sqlite3 *db, const char *path, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        weft_err("report: %s: %s", path, sqlite3_errmsg(db));
    return st;
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

int weft_cmd_report(int argc, char **argv) {
    weft_cli_outputs_on_signals();
    const char *format = NULL, *out = NULL, *baseline = NULL, *srcroot = NULL, *plink = NULL;
    int only_new = 0;
    struct weft_report model = {0};
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
                   (r = weft_opt_value("report", argc, argv, &i, NULL, "--baseline", &baseline)) ||
                   (r = weft_opt_value("report", argc, argv, &i, NULL, "--srcroot", &srcroot)) ||
                   (r = weft_opt_value("report", argc, argv, &i, NULL, "--perfetto-link",
                                       &plink)) ||
                   (r = weft_opt_number("report", argc, argv, &i, "--from", 0, 1LL << 40, &from,
                                        &po.from_ms)) ||
                   (r = weft_opt_number("report", argc, argv, &i, "--to", 1, 1LL << 40, &to,
                                        &po.to_ms)) ||
                   (r = weft_opt_number("report", argc, argv, &i, "--max-events", 0, 1LL << 50,
                                        &maxev, &po.max_events))) {
            if (r < 0)
                goto done;
        } else if (!strcmp(a, "--only-new")) {
            only_new = 1;
        } else {
            weft_err("report: unknown option '%s' (try weft --help)", a);
            goto done;
        }
    }
    if (!format)
        format = "text";
    if (strcmp(format, "json") && strcmp(format, "text") && strcmp(format, "html") &&
        strcmp(format, "perfetto") && strcmp(format, "sarif") && strcmp(format, "junit")) {
        weft_err("report: unknown format '%s' (text, json, html, perfetto, sarif or junit)",
                 format);
        goto done;
    }
    if (srcroot && strcmp(format, "sarif")) {
        weft_err("report: --srcroot is for --format=sarif");
        goto done;
    }
    if (plink && (strcmp(format, "html") || weft_html_link_check("report", plink) != 0)) {
        if (strcmp(format, "html"))
            weft_err("report: --perfetto-link is for --format=html");
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
    if (only_new && !baseline) {
        weft_err("report: --only-new needs --baseline OLD.db|OLD.json");
        goto done;
    }
    for (int i = 0; i < ndb; i++)
        if (weft_check_regular("trace", dbs[i]) != 0 || !(db[i] = weft_db_open_read(dbs[i])) ||
            check_tables(db[i], dbs[i]) != 0)
            goto done;
    if (weft_report_load(&model, ndb, (const char *const *)dbs, db) != 0 ||
        (baseline && weft_report_baseline(&model, baseline) != 0))
        goto done;
    if (only_new)
        weft_report_only_new(&model);
    if (out) {
        const char *ins[ndb + 1];
        for (int i = 0; i < ndb; i++)
            ins[i] = dbs[i];
        ins[ndb] = baseline; /* never overwritten either */
        if (weft_out_check("report", out, WEFT_OUT_REPORT, (char **)ins, ndb + !!baseline) != 0 ||
            weft_out_begin(&ob, out) != 0 || !(f = weft_out_open(&ob, "report")))
            goto done;
    } else {
        f = stdout;
    }
    int bad;
    if (!strcmp(format, "perfetto"))
        bad = weft_report_perfetto(f, db, dbs, ndb, &po) != 0;
    else if (!strcmp(format, "json"))
        bad = weft_report_json(&model, f) != 0;
    else if (!strcmp(format, "html"))
        bad = weft_report_html(&model, f, plink, out) != 0;
    else if (!strcmp(format, "sarif"))
        bad = weft_report_sarif(&model, f, srcroot) != 0;
    else if (!strcmp(format, "junit"))
        bad = weft_report_junit(&model, f) != 0;
    else
        bad = weft_report_text(&model, f, 1) != 0;
    if (bad)
        goto done;
    int werr = weft_out_close(f, "report", out ? out : "standard output");
    f = NULL;
    if (werr)
        goto done;
    if (out && weft_out_commit(&ob, 0) != 0)
        goto done;
    rc = 0;
done:
    if (f && f != stdout)
        fclose(f);
    if (rc != 0)
        weft_out_abort(&ob);
    weft_report_free(&model);
    for (int i = 0; db && i < ndb; i++)
        sqlite3_close(db[i]);
    free(dbs);
    free(db);
    return rc;
}
