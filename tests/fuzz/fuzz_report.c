/* fuzz_report.c: libFuzzer target for report generation from a damaged
 * trace database. A real trace (WEFT_FUZZ_DB, made by the test script
 * from a scenario) is loaded into memory once; each input is a list of
 * edits applied to a fresh copy of it: a cell set to another integer,
 * text (of any bytes), blob, real or NULL, a row deleted, a table
 * dropped. Then the report model is loaded and every writer writes it.
 * Damage may make a load fail with one line; nothing may crash, hang or
 * trip a sanitizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto.h"
#include "report.h"
#include "weft.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static unsigned char *seed;
static sqlite3_int64 seed_size;
static FILE *devnull;

struct table {
    char name[64];
    char cols[24][64];
    int ncols;
};
static struct table tables[32];
static int ntables;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *path = getenv("WEFT_FUZZ_DB");
    sqlite3 *db = NULL;
    if (!path || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "fuzz_report: set WEFT_FUZZ_DB to a weft trace database\n");
        exit(1);
    }
    seed = sqlite3_serialize(db, "main", &seed_size, 0);
    sqlite3_stmt *st = NULL, *ti = NULL;
    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1,
                       &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW && ntables < 32) {
        struct table *t = &tables[ntables++];
        snprintf(t->name, sizeof t->name, "%s", (const char *)sqlite3_column_text(st, 0));
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s')", t->name);
        sqlite3_prepare_v2(db, sql, -1, &ti, NULL);
        while (ti && sqlite3_step(ti) == SQLITE_ROW && t->ncols < 24)
            snprintf(t->cols[t->ncols++], 64, "%s", (const char *)sqlite3_column_text(ti, 0));
        sqlite3_finalize(ti);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    devnull = fopen("/dev/null", "w");
    if (!seed || !ntables || !devnull) {
        fprintf(stderr, "fuzz_report: cannot read %s\n", path);
        exit(1);
    }
    return 0;
}

/* Applies one edit read from *p; 0 when the input is used up. */
static int edit(sqlite3 *db, const uint8_t **p, const uint8_t *end) {
    if (end - *p < 6)
        return 0;
    const uint8_t *q = *p;
    const struct table *t = &tables[q[0] % ntables];
    int op = q[1] % 8, row = q[2] | q[3] << 8, col = t->ncols ? q[4] % t->ncols : 0;
    size_t len = q[5] % 24;
    *p += 6;
    if ((size_t)(end - *p) < len)
        len = (size_t)(end - *p);
    const uint8_t *val = *p;
    *p += len;
    char sql[512];
    sqlite3_stmt *st = NULL;
    if (op == 7) {
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS \"%s\"", t->name);
    } else if (op == 6) {
        snprintf(sql, sizeof sql,
                 "DELETE FROM \"%s\" WHERE rowid = (SELECT rowid FROM \"%s\" LIMIT 1 OFFSET %d)",
                 t->name, t->name, row % 64);
    } else {
        if (!t->ncols)
            return 1;
        snprintf(sql, sizeof sql,
                 "UPDATE \"%s\" SET \"%s\" = ?1 WHERE rowid = (SELECT rowid FROM \"%s\" "
                 "LIMIT 1 OFFSET %d)",
                 t->name, t->cols[col], t->name, row % 64);
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        int64_t iv = 0;
        memcpy(&iv, val, len < 8 ? len : 8);
        switch (op) {
        case 0:
            sqlite3_bind_int64(st, 1, iv);
            break;
        case 1:
            sqlite3_bind_int64(st, 1, (int64_t)(int8_t)(len ? val[0] : 0));
            break;
        case 2:
            sqlite3_bind_text(st, 1, (const char *)val, (int)len, SQLITE_TRANSIENT);
            break;
        case 3:
            sqlite3_bind_blob(st, 1, val, (int)len, SQLITE_TRANSIENT);
            break;
        case 4:
            sqlite3_bind_double(st, 1, (double)iv);
            break;
        case 5:
            sqlite3_bind_null(st, 1);
            break;
        default:
            break;
        }
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return 0;
    unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)seed_size);
    if (!copy) {
        sqlite3_close(db);
        return 0;
    }
    memcpy(copy, seed, (size_t)seed_size);
    if (sqlite3_deserialize(db, "main", copy, seed_size, seed_size,
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    const uint8_t *p = data, *end = data + n;
    for (int i = 0; i < 32 && edit(db, &p, end); i++)
        ;
    struct weft_report r;
    const char *path = "fuzz.db";
    if (weft_report_load(&r, 1, &path, &db) == 0) {
        weft_report_text(&r, devnull, 1);
        weft_report_json(&r, devnull);
        weft_report_html(&r, devnull, "x y/r.perfetto.json", NULL);
        weft_report_sarif(&r, devnull, "/");
        weft_report_junit(&r, devnull);
        weft_report_free(&r);
    }
    /* The timeline's writer reads the database itself. */
    char *paths[1] = {(char *)path};
    struct weft_perfetto_opts po = {-1, -1, 5000};
    weft_report_perfetto(devnull, &db, paths, 1, &po);
    sqlite3_close(db);
    return 0;
}
/* SPDX-License-Identifier: MIT */
