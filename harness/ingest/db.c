/* SPDX-License-Identifier: MIT */
/* db.c: opening trace databases safely: may `-o FILE` be written (never
 * clobber a file that is not a weft trace), and is a database we are
 * asked to read a weft trace of the schema version we understand, and how
 * many processes a trace just written holds. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weft.h"

static int pragma_int(sqlite3 *db, const char *sql, int *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int weft_db_check_output(const char *path) {
    char *copy = strdup(path);
    if (!copy) {
        weft_err("out of memory");
        return -1;
    }
    const char *dir = dirname(copy);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        weft_err("cannot write %s: directory %s does not exist", path, dir);
        free(copy);
        return -1;
    }
    if (access(dir, W_OK) != 0) {
        weft_err("cannot write %s: %s", path, strerror(errno));
        free(copy);
        return -1;
    }
    free(copy);
    if (lstat(path, &st) != 0)
        return 0; /* a new file */
    if (!S_ISREG(st.st_mode)) {
        weft_err("cannot write %s: not a regular file", path);
        return -1;
    }
    if (st.st_size == 0)
        return 0;
    /* Replace only an earlier weft trace. */
    sqlite3 *db = NULL;
    int app = 0;
    int ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
             pragma_int(db, "PRAGMA application_id", &app) == 0 && app == WEFT_APPLICATION_ID;
    sqlite3_close(db);
    if (!ok) {
        weft_err("refusing to overwrite %s: it is not a weft trace database", path);
        return -1;
    }
    return 0;
}

sqlite3 *weft_db_open_read(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        weft_err("%s: %s", path, strerror(errno));
        return NULL;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        weft_err("%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    int app = 0, ver = 0;
    if (pragma_int(db, "PRAGMA application_id", &app) != 0 || app != WEFT_APPLICATION_ID) {
        weft_err("%s: not a weft trace database", path);
        sqlite3_close(db);
        return NULL;
    }
    pragma_int(db, "PRAGMA user_version", &ver);
    if (ver != WEFT_SCHEMA_VERSION) {
        weft_err("%s: trace schema version %d, this weft reads version %d (re-ingest the log)",
                 path, ver, WEFT_SCHEMA_VERSION);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

long weft_db_count_processes(const char *path, const char *who) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM processes", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    else
        weft_err("%scannot read the new trace: %s", who, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}
