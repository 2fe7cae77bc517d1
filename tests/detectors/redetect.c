/* redetect.c: the detectors over a trace read back from its database
 * give the findings the ingest's stream gave. For each trace database
 * named: its findings are read, the detectors run again over the
 * database (weft_detect_file: the ingest's database source), and the
 * findings read again; both sets must be equal, row for row (kind,
 * severity, pid, thread, object, message, stacks, time, uncertain).
 * Prints each difference; exit 1 if any. The database is changed (its
 * findings rewritten): give it a copy. Two threads share the databases,
 * each running the detectors over one at a time, so that two runs of the
 * detectors go on at once in this process: their state is per run. */
#include <pthread.h>
#include <stdatomic.h>
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

static char **paths;
static int npaths;
static atomic_int next_path, bad, total;

/* Compares one database's findings before and after the detectors ran
 * again over it. */
static void redetect(const char *path) {
    size_t na, nb;
    char **a = findings(path, &na);
    struct weft_detect_result r;
    if (weft_detect_file(path, NULL, &r) != 0) {
        fprintf(stderr, "redetect: %s: the detectors failed\n", path);
        bad = 1;
        return;
    }
    char **b = findings(path, &nb);
    size_t x = 0, y = 0;
    while (x < na || y < nb) {
        int c = x == na ? 1 : y == nb ? -1 : strcmp(a[x], b[y]);
        if (c == 0) {
            x++, y++;
            continue;
        }
        fprintf(stderr, "redetect: %s: %s %s\n", path,
                c < 0 ? "only streamed:" : "only redetected:", c < 0 ? a[x] : b[y]);
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

static void *worker(void *arg) {
    (void)arg;
    for (int i; (i = next_path++) < npaths;)
        redetect(paths[i]);
    return NULL;
}

int main(int argc, char **argv) {
    paths = argv + 1;
    npaths = argc - 1;
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) {
        fprintf(stderr, "redetect: cannot start a thread\n");
        return 1;
    }
    worker(NULL);
    pthread_join(t, NULL);
    printf("redetect: %d traces, %d findings compared\n", npaths, (int)total);
    return bad;
}
/* SPDX-License-Identifier: MIT */
