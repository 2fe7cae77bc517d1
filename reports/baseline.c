/* SPDX-License-Identifier: MIT */
/* baseline.c: `weft report --baseline OLD.db|OLD.json` and --only-new.
 * The baseline's groups (fingerprint, kind, a message, a count) come from
 * an older trace database, loaded and fingerprinted like the current
 * traces, or from an older `weft report --format=json`, read through
 * SQLite's JSON functions (a well-kept parser, already linked). Each group
 * now is then new or unchanged; the baseline's groups missing now are
 * listed as absent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "infile.h"
#include "report.h"
#include "weft.h"

struct old {
    char fp[WEFT_FP_LEN + 1];
    const char *kind, *message;
    int count, seen;
};

struct olds {
    struct old *o;
    int n, cap;
};

static int add_old(struct olds *v, struct weft__arena *a, const char *fp, const char *kind,
                   const char *message, int count) {
    if (!fp || strlen(fp) != WEFT_FP_LEN)
        return 0; /* not one of ours: nothing to match */
    if (v->n == v->cap) {
        int nc = v->cap ? v->cap * 2 : 32;
        struct old *no = realloc(v->o, (size_t)nc * sizeof *no);
        if (!no)
            return -1;
        v->o = no;
        v->cap = nc;
    }
    struct old *o = &v->o[v->n++];
    memcpy(o->fp, fp, sizeof o->fp);
    o->kind = weft__arena_str(a, kind ? kind : "?");
    o->message = weft__arena_str(a, message ? message : "");
    o->count = count;
    o->seen = 0;
    return o->kind && o->message ? 0 : -1;
}

static int from_db(struct olds *v, struct weft__arena *a, const char *path) {
    sqlite3 *db = weft_db_open_read(path);
    if (!db)
        return -1;
    struct weft_report old;
    int rc = weft_report_load(&old, 1, &path, &db);
    for (int i = 0; rc == 0 && i < old.ngroups; i++) {
        const struct weft_rfinding *x = &old.findings[old.groups[i].first];
        if (add_old(v, a, old.groups[i].fp, x->kind, x->message, old.groups[i].count) != 0) {
            weft_err("report: out of memory");
            rc = -1;
        }
    }
    if (rc == 0)
        weft_report_free(&old);
    sqlite3_close(db);
    return rc;
}

/* The whole file, NUL-terminated, or NULL after one line. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        weft_err("report: baseline %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n < cap - 1)
            break;
        char *nb = cap < ((size_t)1 << 31) ? realloc(buf, cap * 2) : NULL;
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        weft_err("report: baseline %s: %s", path, buf ? "read error" : "too big or out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int from_json(struct olds *v, struct weft__arena *a, const char *path) {
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!text)
        return -1;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT json_valid(?1), json_type(?1, '$.groups'), "
                           "json_extract(?1, '$.version')",
                           -1, &st, NULL) != SQLITE_OK) {
        weft_err("report: baseline %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 0) ||
        sqlite3_column_type(st, 2) != SQLITE_INTEGER) {
        weft_err("report: baseline %s: neither a weft trace database nor a weft JSON report", path);
        goto out;
    }
    const char *type = (const char *)sqlite3_column_text(st, 1);
    if (!type || strcmp(type, "array")) {
        weft_err("report: baseline %s: a JSON report without fingerprints (an older weft's): "
                 "make it again with weft report --format=json from its trace",
                 path);
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT json_extract(value, '$.fingerprint'), json_extract(value, "
                           "'$.kind'), json_extract(value, '$.message'), json_extract(value, "
                           "'$.count') FROM json_each(?1, '$.groups') WHERE "
                           "coalesce(json_extract(value, '$.baseline'), '') <> 'absent' AND "
                           "json_extract(value, '$.scheme') = '" WEFT_FP_VERSION "'",
                           -1, &st, NULL) != SQLITE_OK) {
        weft_err("report: baseline %s: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW)
        if (add_old(v, a, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1),
                    (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3)) != 0) {
            weft_err("report: out of memory");
            goto out;
        }
    if (s != SQLITE_DONE) {
        weft_err("report: baseline %s: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(text);
    return rc;
}

/* A SQLite database starts with these 16 bytes. */
static int is_sqlite(const char *path) {
    char head[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head && !memcmp(head, "SQLite format 3", 16);
}

int weft_report_baseline(struct weft_report *r, const char *path) {
    if (weft_check_regular("baseline", path) != 0)
        return -1;
    struct olds v = {0};
    if ((is_sqlite(path) ? from_db : from_json)(&v, r->arena, path) != 0) {
        free(v.o);
        return -1;
    }
    for (int g = 0; g < r->ngroups; g++) {
        r->groups[g].state = WEFT_BASE_NEW;
        for (int i = 0; i < v.n; i++)
            if (!strcmp(v.o[i].fp, r->groups[g].fp)) {
                r->groups[g].state = WEFT_BASE_UNCHANGED;
                v.o[i].seen = 1;
            }
    }
    int absent = 0;
    for (int i = 0; i < v.n; i++)
        absent += !v.o[i].seen;
    free(r->absent);
    r->absent = calloc((size_t)(absent ? absent : 1), sizeof *r->absent);
    if (!r->absent) {
        free(v.o);
        weft_err("report: out of memory");
        return -1;
    }
    r->nabsent = 0;
    for (int i = 0; i < v.n; i++)
        if (!v.o[i].seen) {
            /* The same fingerprint twice in one baseline (two traces): once. */
            int dup = 0;
            for (int k = 0; k < r->nabsent && !dup; k++)
                dup = !strcmp(r->absent[k].fp, v.o[i].fp);
            if (dup)
                continue;
            struct weft_rabsent *x = &r->absent[r->nabsent++];
            memcpy(x->fp, v.o[i].fp, sizeof x->fp);
            x->kind = v.o[i].kind;
            x->message = v.o[i].message;
            x->count = v.o[i].count;
        }
    r->has_baseline = 1;
    free(v.o);
    return 0;
}

void weft_report_only_new(struct weft_report *r) {
    /* Keep the new groups and their findings, renumbered in order. */
    int *map = malloc((size_t)(r->ngroups ? r->ngroups : 1) * sizeof *map);
    if (!map)
        return; /* nothing filtered: more, never less, than asked */
    int ng = 0;
    for (int g = 0; g < r->ngroups; g++)
        map[g] = r->groups[g].state == WEFT_BASE_UNCHANGED ? -1 : ng++;
    int nf = 0;
    for (int i = 0; i < r->nfindings; i++) {
        int g = map[r->findings[i].group];
        if (g < 0)
            continue;
        r->findings[nf] = r->findings[i];
        r->findings[nf].group = g;
        nf++;
    }
    /* Each kept group's first finding is its first kept one. */
    ng = 0;
    for (int g = 0; g < r->ngroups; g++)
        if (map[g] >= 0)
            r->groups[ng++] = r->groups[g];
    for (int g = 0; g < ng; g++)
        r->groups[g].first = -1;
    for (int i = nf - 1; i >= 0; i--)
        r->groups[r->findings[i].group].first = i;
    r->ngroups = ng;
    r->nfindings = nf;
    r->nabsent = 0;
    free(map);
}
