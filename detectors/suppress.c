/* SPDX-License-Identifier: MIT */
/* suppress.c: suppression files (--suppressions=FILE): parsing and
 * matching. The format (docs/detectors.md) is TSan-like: one
 * `kind:pattern` per line, '#' starts a comment, blank lines ignored; kind
 * is a finding kind or `*`; pattern is a glob (fnmatch) matched against
 * the function, the source file path and its base name, and the module
 * (library or program) path and its base name of every frame of every
 * stack of a finding, and the start function of the finding's thread (a
 * leaked thread caught running has no stack of its own; a stripped
 * library's frames have only their module). A finding with a matching
 * line is suppressed: it is counted, not stored. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct rule {
    char *kind, *pattern;
};

struct weft_supp_list {
    struct rule *r;
    int n;
};

void weft_supp_free(struct weft_supp_list *s) {
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        free(s->r[i].kind);
        free(s->r[i].pattern);
    }
    free(s->r);
    free(s);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

struct weft_supp_list *weft_supp_load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        weft_err("suppressions %s: %s", path, strerror(errno));
        return NULL;
    }
    struct weft_supp_list *s = calloc(1, sizeof *s);
    char line[4096];
    int lineno = 0, cap = 0;
    while (s && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *l = trim(line);
        if (!*l)
            continue;
        char *colon = strchr(l, ':');
        if (!colon) {
            weft_err("%s:%d: expected 'kind:pattern', got '%s'", path, lineno, l);
            goto bad;
        }
        *colon = 0;
        char *kind = trim(l), *pat = trim(colon + 1);
        if (strcmp(kind, "*") && !weft_kind_info(kind)) {
            weft_err("%s:%d: unknown finding kind '%s'", path, lineno, kind);
            goto bad;
        }
        if (!*pat) {
            weft_err("%s:%d: empty pattern", path, lineno);
            goto bad;
        }
        if (s->n == cap) {
            cap = cap ? cap * 2 : 8;
            struct rule *nr = realloc(s->r, (size_t)cap * sizeof *nr);
            if (!nr)
                goto oom;
            s->r = nr;
        }
        s->r[s->n].kind = strdup(kind);
        s->r[s->n].pattern = strdup(pat);
        s->n++;
    }
    if (!s)
        goto oom;
    fclose(f);
    return s;
oom:
    weft_err("suppressions %s: out of memory", path);
bad:
    fclose(f);
    weft_supp_free(s);
    return NULL;
}

static int glob(const char *pat, const char *s) {
    return s && fnmatch(pat, s, 0) == 0;
}

/* Whether pattern matches path or its base name. */
static int glob_path(const char *pat, const char *path) {
    const char *base = path ? strrchr(path, '/') : NULL;
    return glob(pat, path) || (base && glob(pat, base + 1));
}

int weft__supp_match(struct weft__dctx *c, const char *kind, int64_t thread,
                     const struct weft__role *roles, int nroles) {
    const struct weft_supp_list *s = c->opts->supp;
    if (!s || !s->n)
        return 0;
    const struct weft__thr *t = thread ? weft__thr_of(c, (uint32_t)thread) : NULL;
    for (int i = 0; i < s->n; i++) {
        const char *pat = s->r[i].pattern;
        if (strcmp(s->r[i].kind, "*") && strcmp(s->r[i].kind, kind))
            continue;
        if (t && glob(pat, t->start))
            return 1;
        for (int k = 0; k < nroles; k++) {
            if (!roles[k].stack)
                continue;
            sqlite3_reset(c->frames_q);
            sqlite3_bind_int64(c->frames_q, 1, roles[k].stack);
            while (sqlite3_step(c->frames_q) == SQLITE_ROW)
                if (glob(pat, (const char *)sqlite3_column_text(c->frames_q, 0)) ||
                    glob_path(pat, (const char *)sqlite3_column_text(c->frames_q, 1)) ||
                    glob_path(pat, (const char *)sqlite3_column_text(c->frames_q, 2)))
                    return 1;
        }
    }
    return 0;
}
