/* SPDX-License-Identifier: MIT */
/* suppress.c: suppression files (--suppressions=FILE) and weft's own
 * default rules (default_supp.c): parsing and matching. The format
 * (docs/detectors.md) is TSan-like: one `kind:pattern` per line, '#'
 * starts a comment, blank lines ignored; kind is a finding kind or `*`;
 * pattern is a glob (fnmatch) matched against the function, the source
 * file path and its base name, and the module (library or program) path
 * and its base name of every frame of every stack of a finding, and the
 * start function of the finding's thread (a leaked thread caught running
 * has no stack of its own; a stripped library's frames have only their
 * module). A finding with a matching line is suppressed: it is counted,
 * not stored.
 *
 * A pattern may instead be made of qualified terms, all of which must
 * match: `module=GLOB` (the module path or base name of a frame of any
 * stack of the finding), `creator=GLOB` (the function or the module of
 * a frame of the creation stack of the finding's thread, as TSan's
 * `thread:` suppressions match a thread's creation stack), `spawner=GLOB`
 * (the same of one frame only: the code that asked for the thread, the
 * innermost frame of the creation stack outside the C and C++ runtime
 * libraries and the loader) and `name=GLOB` (the thread's name), e.g.
 * `leaked-thread:module=liblzma.so* creator=lzma_code`: a stripped
 * library's workers silenced by where they come from, not by their
 * private symbols, and nothing else. creator= matches any frame, so it
 * also silences a thread that a pool's worker started itself; the
 * defaults use spawner=, which does not. */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct rule {
    char *kind, *pattern;                    /* pattern NULL: a rule of qualified terms */
    char *module, *creator, *spawner, *name; /* its terms (NULL: not given) */
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
        free(s->r[i].module);
        free(s->r[i].creator);
        free(s->r[i].spawner);
        free(s->r[i].name);
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

/* A term's value when t starts with `name=`, else NULL. */
static const char *term(const char *t, const char *name) {
    size_t n = strlen(name);
    return !strncmp(t, name, n) && t[n] == '=' ? t + n + 1 : NULL;
}

/* The qualified terms a rule may be made of, and where each goes. */
static const char *const term_names[] = {"module", "creator", "spawner", "name"};
#define NTERMS ((int)(sizeof term_names / sizeof *term_names))
static char **term_slot(struct rule *r, int k) {
    char **slots[NTERMS] = {&r->module, &r->creator, &r->spawner, &r->name};
    return slots[k];
}

/* Whether pat starts with a qualified term. */
static int qualified(const char *pat) {
    for (int k = 0; k < NTERMS; k++)
        if (term(pat, term_names[k]))
            return 1;
    return 0;
}

/* The qualified terms of pat into r; 0, or -1 with the error said
 * (path:line). pat is cut into its words. */
static int parse_terms(char *pat, struct rule *r, const char *path, int lineno) {
    for (char *save = NULL, *w = strtok_r(pat, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        int k = 0;
        const char *v = NULL;
        while (k < NTERMS && !(v = term(w, term_names[k])))
            k++;
        if (!v) {
            weft_err("%s:%d: '%s': a rule of terms takes only module=, creator=, spawner= and "
                     "name=GLOB",
                     path, lineno, w);
            return -1;
        }
        char **slot = term_slot(r, k);
        if (!*v || *slot) {
            weft_err("%s:%d: '%s': %s", path, lineno, w, *v ? "given twice" : "empty pattern");
            return -1;
        }
        if (!(*slot = strdup(v))) {
            weft_err("suppressions %s: out of memory", path);
            return -1;
        }
    }
    return 0;
}

/* The rules read from f, named path in errors (f is closed here). NULL
 * after one line on stderr. */
static struct weft_supp_list *parse(FILE *f, const char *path) {
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
        struct rule *r = &s->r[s->n];
        *r = (struct rule){.kind = strdup(kind)};
        s->n++; /* freed with the list from here on */
        int q = qualified(pat);
        if (!q)
            r->pattern = strdup(pat);
        if (!r->kind || (!q && !r->pattern))
            goto oom;
        if (q && parse_terms(pat, r, path, lineno) != 0)
            goto bad;
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

struct weft_supp_list *weft_supp_load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        weft_err("suppressions %s: %s", path, strerror(errno));
        return NULL;
    }
    return parse(f, path);
}

struct weft_supp_list *weft__supp_defaults(void) {
    FILE *f = fmemopen((void *)(uintptr_t)weft__default_supp, strlen(weft__default_supp), "r");
    if (!f) {
        weft_err("weft's default suppressions: %s", strerror(errno));
        return NULL;
    }
    return parse(f, "weft's default suppressions");
}

static int glob(const char *pat, const char *s) {
    return s && fnmatch(pat, s, 0) == 0;
}

/* Whether pattern matches path or its base name. */
static int glob_path(const char *pat, const char *path) {
    const char *base = path ? strrchr(path, '/') : NULL;
    return glob(pat, path) || (base && glob(pat, base + 1));
}

enum { F_FUNCTION = 1, F_FILE = 2, F_MODULE = 4, F_SPAWNER = 8 };

/* Whether a frame in module (a path) belongs to the C or C++ runtime
 * libraries or the loader: the frames of pthread_create, thrd_create
 * and std::thread, which are not the code that asked for a thread. */
static int runtime_module(const char *module) {
    static const char *const libs[] = {"libc.so*", "libpthread.so*", "ld-linux*.so*",
                                       "libstdc++.so*", "libc++.so*"};
    for (size_t k = 0; k < sizeof libs / sizeof *libs; k++)
        if (glob_path(libs[k], module))
            return 1;
    return 0;
}

/* Whether a frame of stack matches pat in one of the fields `what`
 * (F_*: the function; the file's path or base name; the module's). With
 * F_SPAWNER only the innermost frame outside the runtime libraries is
 * looked at. */
static int stack_has(struct weft__dctx *c, int64_t stack, const char *pat, int what) {
    if (!stack)
        return 0;
    sqlite3_reset(c->frames_q);
    sqlite3_bind_int64(c->frames_q, 1, stack);
    int hit = 0;
    while (!hit && sqlite3_step(c->frames_q) == SQLITE_ROW) {
        const char *module = (const char *)sqlite3_column_text(c->frames_q, 2);
        if ((what & F_SPAWNER) && runtime_module(module))
            continue;
        hit =
            ((what & F_FUNCTION) && glob(pat, (const char *)sqlite3_column_text(c->frames_q, 0))) ||
            ((what & F_FILE) &&
             glob_path(pat, (const char *)sqlite3_column_text(c->frames_q, 1))) ||
            ((what & F_MODULE) && glob_path(pat, module));
        if (what & F_SPAWNER)
            break;
    }
    sqlite3_reset(c->frames_q);
    return hit;
}

static int roles_have(struct weft__dctx *c, const struct weft__role *roles, int nroles,
                      const char *pat, int what) {
    for (int k = 0; k < nroles; k++)
        if (stack_has(c, roles[k].stack, pat, what))
            return 1;
    return 0;
}

static int rule_matches(struct weft__dctx *c, const struct rule *r, const struct weft__thr *t,
                        const struct weft__role *roles, int nroles) {
    if (r->pattern)
        return (t && glob(r->pattern, t->start)) ||
               roles_have(c, roles, nroles, r->pattern, F_FUNCTION | F_FILE | F_MODULE);
    /* every term given must hold */
    if (r->module && !roles_have(c, roles, nroles, r->module, F_MODULE))
        return 0;
    if (r->creator && !(t && stack_has(c, t->create_stack, r->creator, F_FUNCTION | F_MODULE)))
        return 0;
    if (r->spawner &&
        !(t && stack_has(c, t->create_stack, r->spawner, F_FUNCTION | F_MODULE | F_SPAWNER)))
        return 0;
    if (r->name && !(t && glob(r->name, t->name)))
        return 0;
    return 1;
}

static int list_matches(struct weft__dctx *c, const struct weft_supp_list *s, const char *kind,
                        const struct weft__thr *t, const struct weft__role *roles, int nroles) {
    for (int i = 0; s && i < s->n; i++)
        if ((!strcmp(s->r[i].kind, "*") || !strcmp(s->r[i].kind, kind)) &&
            rule_matches(c, &s->r[i], t, roles, nroles))
            return 1;
    return 0;
}

int weft__supp_match(struct weft__dctx *c, const char *kind, int64_t thread,
                     const struct weft__role *roles, int nroles) {
    const struct weft__thr *t = thread ? weft__thr_of(c, (uint32_t)thread) : NULL;
    if (list_matches(c, c->opts->supp, kind, t, roles, nroles))
        return 1;
    return list_matches(c, c->defaults, kind, t, roles, nroles) ? 2 : 0;
}
