/* SPDX-License-Identifier: MIT */
/* scenario_check.c: one finished run of a scenario against its manifest
 * record: the findings by kind and count, the first frame of each
 * finding's stacks at the listed lines, stdout line by line, and the exit
 * status. The trace is read straight from the database the run wrote
 * (the findings table and the innermost frame of each stack it names), so
 * what is compared is exactly what `weft report` would show. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "scenario_run.h"
#include "textesc.h"
#include "weft.h"

void weft_buf_printf(struct weft_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s)
            return; /* the text is a report: shorter rather than nothing */
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void weft_buf_free(struct weft_buf *b) {
    free(b->s);
    memset(b, 0, sizeof *b);
}

void weft_srun_free(struct weft_srun *r) {
    for (int i = 0; i < r->nfound; i++)
        free(r->found[i].kind);
    free(r->found);
    r->found = NULL;
    r->nfound = 0;
    weft_buf_free(&r->why);
    weft_buf_free(&r->findings);
}

/* n findings of kind more (a row's count: the threads it stands for) */
static void count_kind(struct weft_srun *r, const char *kind, long n) {
    for (int i = 0; i < r->nfound; i++)
        if (!strcmp(r->found[i].kind, kind)) {
            r->found[i].count += n;
            return;
        }
    struct weft_found *f = realloc(r->found, (size_t)(r->nfound + 1) * sizeof *f);
    char *k = strdup(kind);
    if (!f || !k) {
        free(k);
        if (f)
            r->found = f;
        return;
    }
    r->found = f;
    r->found[r->nfound].kind = k;
    r->found[r->nfound++].count = n;
}

static long found_count(const struct weft_srun *r, const char *kind) {
    for (int i = 0; i < r->nfound; i++)
        if (!strcmp(r->found[i].kind, kind))
            return r->found[i].count;
    return 0;
}

/* Does the frame's file name the source (equal, or ending in /source)? */
static int same_source(const char *file, const char *source) {
    if (!file)
        return 0;
    size_t fl = strlen(file), sl = strlen(source);
    if (fl == sl)
        return !strcmp(file, source);
    return fl > sl && file[fl - sl - 1] == '/' && !strcmp(file + fl - sl, source);
}

/* The last non-empty line of the file dir/name, escaped, into out. */
static void last_line(const char *dir, const char *name, char *out, size_t max) {
    char path[4200], buf[4096];
    out[0] = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    char *start = strrchr(buf, '\n');
    weft_text_escape(out, max, start ? start + 1 : buf);
}

/* One finding: its kind, its stacks' innermost frames (as text), and
 * whether one of them is at a listed line of its kind. */
struct ffinding {
    char kind[128];
    char frames[512];
    int match;
};

static int kind_has_lines(const struct weft_scenario *s, const char *kind) {
    for (int i = 0; i < s->nlines; i++)
        if (!strcmp(s->lines[i].kind, kind))
            return 1;
    return 0;
}

static void check_findings(struct weft_srun *r) {
    const struct weft_scenario *s = r->sc;
    char path[4200];
    snprintf(path, sizeof path, "%s/trace.db", r->dir);
    if (access(path, F_OK) != 0) {
        char last[512];
        last_line(r->dir, "stderr", last, sizeof last);
        weft_buf_printf(&r->why, "no trace was written%s%s\n", last[0] ? ": " : "", last);
        return;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    /* Each finding with the innermost frame of each stack it names (one
     * row a stack; a finding without stacks gives one row of NULLs). */
    const char *sql = "SELECT f.id, f.kind, fr.function, fr.file, fr.line, f.count FROM findings f "
                      "LEFT JOIN json_each(f.stacks) j "
                      "LEFT JOIN frames fr ON fr.stack = j.value AND fr.depth = 0 "
                      "ORDER BY f.id, j.key";
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        weft_buf_printf(&r->why, "cannot read the trace: %s\n",
                        db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return;
    }
    struct ffinding *ff = NULL;
    int nff = 0;
    int *hit = calloc((size_t)s->nlines + 1, sizeof *hit);
    long long last_id = -1;
    int rc = SQLITE_DONE;
    while (hit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        const char *fn = (const char *)sqlite3_column_text(st, 2);
        const char *file = (const char *)sqlite3_column_text(st, 3);
        int has_line = sqlite3_column_type(st, 4) != SQLITE_NULL;
        long line = (long)sqlite3_column_int64(st, 4);
        if (!kind)
            kind = "?";
        if (id != last_id) {
            struct ffinding *g = realloc(ff, (size_t)(nff + 1) * sizeof *g);
            if (!g)
                break;
            ff = g;
            memset(&ff[nff], 0, sizeof *ff);
            snprintf(ff[nff].kind, sizeof ff[nff].kind, "%s", kind);
            nff++;
            count_kind(r, kind,
                       sqlite3_column_int64(st, 5) > 0 ? (long)sqlite3_column_int64(st, 5) : 1);
            last_id = id;
        }
        struct ffinding *f = &ff[nff - 1];
        if (fn || file) {
            char efn[128], efile[256];
            size_t fl = strlen(f->frames);
            weft_text_escape(efn, sizeof efn, fn ? fn : "?");
            weft_text_escape(efile, sizeof efile, file ? file : "?");
            snprintf(f->frames + fl, sizeof f->frames - fl, "%s%s %s:%ld", fl ? ", " : "", efn,
                     efile, has_line ? line : 0L);
        }
        for (int i = 0; i < s->nlines; i++)
            if (!strcmp(s->lines[i].kind, kind) && has_line && line == s->lines[i].line &&
                same_source(file, s->lines[i].source)) {
                f->match = 1;
                hit[i] = 1;
            }
    }
    if (!hit)
        weft_buf_printf(&r->why, "out of memory\n");
    else if (rc != SQLITE_DONE)
        weft_buf_printf(&r->why, "cannot read the trace: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);

    for (int k = 0; k < nff; k++)
        weft_buf_printf(&r->findings, "%s: %s\n", ff[k].kind,
                        ff[k].frames[0] ? ff[k].frames : "(no stack)");
    /* Counts: every kind expected, every kind found. */
    for (int i = 0; i < s->nexpect; i++) {
        long got = found_count(r, s->expect[i].kind);
        if (got != s->expect[i].count)
            weft_buf_printf(&r->why, "%s: expected %ld, found %ld\n", s->expect[i].kind,
                            s->expect[i].count, got);
    }
    for (int i = 0; i < r->nfound; i++)
        if (weft_scenario_expected(s, r->found[i].kind) == 0)
            weft_buf_printf(&r->why, "%s: expected 0, found %ld\n", r->found[i].kind,
                            r->found[i].count);
    /* Lines: each listed line is the first frame of some finding of its
     * kind, and no finding of such a kind points elsewhere. */
    for (int i = 0; hit && i < s->nlines; i++)
        if (!hit[i] && found_count(r, s->lines[i].kind) > 0)
            weft_buf_printf(&r->why, "%s: no finding's first frame is at %s:%ld\n",
                            s->lines[i].kind, s->lines[i].source, s->lines[i].line);
    for (int k = 0; k < nff; k++)
        if (!ff[k].match && kind_has_lines(s, ff[k].kind))
            weft_buf_printf(&r->why, "%s: first frame not at a listed line: %s\n", ff[k].kind,
                            ff[k].frames[0] ? ff[k].frames : "(no stack)");
    free(hit);
    free(ff);
}

/* stdout against the output: lines (only when the record has some). */
static void check_output(struct weft_srun *r) {
    const struct weft_scenario *s = r->sc;
    if (!s->has_output)
        return;
    char path[4200];
    snprintf(path, sizeof path, "%s/stdout", r->dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        weft_buf_printf(&r->why, "output: cannot read stdout: %s\n", strerror(errno));
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0, bad = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = 0;
        if (!bad && (n >= s->noutput || strcmp(line, s->output[n]) != 0)) {
            char got[256], want[256];
            weft_text_escape(got, sizeof got, line);
            weft_text_escape(want, sizeof want, n < s->noutput ? s->output[n] : "");
            if (n < s->noutput)
                weft_buf_printf(&r->why, "output line %d: expected '%s', got '%s'\n", n + 1, want,
                                got);
            else
                weft_buf_printf(&r->why, "output line %d: expected no more lines, got '%s'\n",
                                n + 1, got);
            bad = 1;
        }
        n++;
    }
    free(line);
    fclose(f);
    if (!bad && n < s->noutput) {
        char want[256];
        weft_text_escape(want, sizeof want, s->output[n]);
        weft_buf_printf(&r->why, "output: %d line%s, expected %d (line %d: '%s' missing)\n", n,
                        n == 1 ? "" : "s", s->noutput, n + 1, want);
    }
}

void weft_scenario_check(struct weft_srun *r) {
    const struct weft_scenario *s = r->sc;
    if (r->timed_out)
        weft_buf_printf(&r->why, "timed out after %ld s (killed)\n", s->timeout);
    if (WIFEXITED(r->wstatus)) {
        int st = WEXITSTATUS(r->wstatus);
        if (st != s->status) {
            char last[512] = "";
            /* weft's own failures: its last line says why */
            if (st >= 124 && st <= 127)
                last_line(r->dir, "stderr", last, sizeof last);
            weft_buf_printf(&r->why, "status: expected %d, got %d%s%s\n", s->status, st,
                            last[0] ? ": " : "", last);
        }
    } else if (WIFSIGNALED(r->wstatus) && !r->timed_out) {
        weft_buf_printf(&r->why, "weft run itself died of signal %d\n", WTERMSIG(r->wstatus));
    }
    check_findings(r);
    check_output(r);
    r->pass = r->why.len == 0;
}
