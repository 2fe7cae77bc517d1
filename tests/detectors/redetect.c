/* redetect.c: the detectors over a trace read back from its database
 * give the findings the ingest's stream gave. For each trace database
 * named: its findings are read, the detectors run again over the
 * database (weft_detect_file: the ingest's database source), and the
 * findings read again; both sets must be equal, row for row (kind,
 * severity, pid, thread, object, message, stacks, time, uncertain).
 * Prints each difference; exit 1 if any. The database is changed (its
 * findings rewritten): give it a copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"

/* The findings of db as sorted lines. */
static char **findings(const char *path, size_t *n) {
    sqlite3 *db = NULL;
    char **v = NULL;
    *n = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "redetect: cannot open %s\n", path);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT kind || '|' || severity || '|' || pid || '|' || "
                           "coalesce(thread, '-') || '|' || coalesce(object, '-') || '|' || "
                           "message || '|' || stacks || '|' || coalesce(ts, '-') || '|' || "
                           "uncertain FROM findings ORDER BY 1",
                           -1, &st, NULL) == SQLITE_OK) {
        size_t cap = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                v = realloc(v, cap * sizeof *v);
                if (!v)
                    abort();
            }
            v[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
        }
    } else {
        fprintf(stderr, "redetect: %s: %s\n", path, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

int main(int argc, char **argv) {
    int bad = 0, total = 0;
    for (int i = 1; i < argc; i++) {
        size_t na, nb;
        char **a = findings(argv[i], &na);
        struct weft_detect_result r;
        if (weft_detect_file(argv[i], NULL, &r) != 0) {
            fprintf(stderr, "redetect: %s: the detectors failed\n", argv[i]);
            bad = 1;
            continue;
        }
        char **b = findings(argv[i], &nb);
        size_t x = 0, y = 0;
        while (x < na || y < nb) {
            int c = x == na ? 1 : y == nb ? -1 : strcmp(a[x], b[y]);
            if (c == 0) {
                x++, y++;
                continue;
            }
            fprintf(stderr, "redetect: %s: %s %s\n", argv[i], c < 0 ? "only streamed:" : "only redetected:",
                    c < 0 ? a[x] : b[y]);
            bad = 1;
            if (c < 0)
                x++;
            else
                y++;
        }
        total += (int)na;
        for (size_t k = 0; k < na; k++)
            free(a[k]);
        for (size_t k = 0; k < nb; k++)
            free(b[k]);
        free(a);
        free(b);
    }
    printf("redetect: %d traces, %d findings compared\n", argc - 1, total);
    return bad;
}
/* SPDX-License-Identifier: MIT */
