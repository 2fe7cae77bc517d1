/* suppress.c: suppression files (--suppressions=FILE): parsing and
 * matching. The format (docs/detectors.md) is TSan-like: one
 * `kind:pattern` per line, '#' starts a comment, blank lines ignored; kind
 * is a finding kind or `*`; pattern is a glob (fnmatch) matched against
 * the function, the source file path and its base name of every frame of
 * every stack of a finding. A finding with a matching line is suppressed:
 * it is counted, not stored. */
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

static int glob(const char *pat, const char *s) { return s && fnmatch(pat, s, 0) == 0; }

int weft__supp_match(struct weft__dctx *c, const char *kind, const struct weft__role *roles,
                     int nroles) {
    const struct weft_supp_list *s = c->opts->supp;
    if (!s || !s->n)
        return 0;
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->r[i].kind, "*") && strcmp(s->r[i].kind, kind))
            continue;
        for (int k = 0; k < nroles; k++) {
            if (!roles[k].stack)
                continue;
            sqlite3_reset(c->frames_q);
            sqlite3_bind_int64(c->frames_q, 1, roles[k].stack);
            while (sqlite3_step(c->frames_q) == SQLITE_ROW) {
                const char *fn = (const char *)sqlite3_column_text(c->frames_q, 0);
                const char *file = (const char *)sqlite3_column_text(c->frames_q, 1);
                const char *base = file ? strrchr(file, '/') : NULL;
                if (glob(s->r[i].pattern, fn) || glob(s->r[i].pattern, file) ||
                    (base && glob(s->r[i].pattern, base + 1)))
                    return 1;
            }
        }
    }
    return 0;
}
