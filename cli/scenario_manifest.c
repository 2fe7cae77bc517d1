/* SPDX-License-Identifier: MIT */
/* scenario_manifest.c: reads the scenarios' manifest, a line-based file
 * (its header defines the format): records of "key: value" lines separated
 * by blank lines, '#' lines are comments. Deliberately no general format
 * (no quoting, no nesting): each key has one meaning and one line shape,
 * and anything else is an error naming the file and line, so a typo in
 * the manifest never silently weakens what a scenario is checked for. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_manifest.h"
#include "cli.h"

/* What one read needs to say where it went wrong. */
struct rd {
    const char *cmd, *path;
    int line;
};

#define BAD(r, ...) bad(r, __VA_ARGS__)
__attribute__((format(printf, 2, 3))) static int bad(const struct rd *r, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    weft_err("%s: %s:%d: %s", r->cmd, r->path, r->line, msg);
    return -1;
}

static void *grow(void *p, int n, size_t size) {
    /* room for one more (n in use); the arrays are small */
    return realloc(p, (size_t)(n + 1) * size);
}

static char *xstrdup(const char *s) {
    char *d = strdup(s);
    if (!d) {
        weft_err("out of memory");
        exit(125);
    }
    return d;
}

/* A name is a program in the scenario directory: no path, nothing odd. */
static int valid_name(const char *s) {
    if (!*s || *s == '.' || *s == '-')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return 0;
    return 1;
}

static int valid_kind(const char *s) {
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return 0;
    return 1;
}

/* Decimal digits only, lo..hi: 0 with *out set, else -1. */
static int num(const char *s, long lo, long hi, long *out) {
    long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > hi)
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A single-valued key: set once. */
static int set_once(const struct rd *r, char **field, const char *key, const char *v) {
    if (*field)
        return BAD(r, "%s: given twice in one record", key);
    if (!*v)
        return BAD(r, "%s: needs a value", key);
    *field = xstrdup(v);
    return 0;
}

static int split_args(struct weft_scenario *s, const char *v) {
    char *copy = xstrdup(v), *save = NULL;
    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        s->args = grow(s->args, s->nargs + 1, sizeof *s->args);
        s->args[s->nargs++] = xstrdup(t);
    }
    free(copy);
    return 0;
}

/* One "key: value" line into the record s. */
static int apply(const struct rd *r, struct weft_scenario *s, const char *key, char *v,
                 int *seen_args, int *seen_status, int *seen_timeout) {
    if (!strcmp(key, "scenario")) {
        if (s->name)
            return BAD(r, "a second scenario: line in one record (records are separated by a "
                          "blank line)");
        if (!valid_name(v))
            return BAD(r, "scenario: '%s' is not a program name (letters, digits, _ - .)", v);
        s->name = xstrdup(v);
        s->where = r->line;
        return 0;
    }
    if (!strcmp(key, "family"))
        return set_once(r, &s->family, key, v);
    if (!strcmp(key, "class"))
        return set_once(r, &s->klass, key, v);
    if (!strcmp(key, "seed"))
        return set_once(r, &s->seed, key, v);
    if (!strcmp(key, "fix-of"))
        return set_once(r, &s->fix_of, key, v);
    if (!strcmp(key, "summary"))
        return set_once(r, &s->summary, key, v);
    if (!strcmp(key, "known"))
        return set_once(r, &s->known, key, v);
    if (!strcmp(key, "args")) {
        if ((*seen_args)++)
            return BAD(r, "args: given twice in one record");
        return split_args(s, v);
    }
    if (!strcmp(key, "explain")) {
        /* repeatable: the lines joined with spaces */
        size_t old = s->explain ? strlen(s->explain) : 0;
        char *e = realloc(s->explain, old + strlen(v) + 2);
        if (!e)
            return BAD(r, "out of memory");
        if (old)
            e[old++] = ' ';
        strcpy(e + old, v);
        s->explain = e;
        return 0;
    }
    if (!strcmp(key, "expect")) {
        char kind[128];
        long count;
        char *sp = strchr(v, ' ');
        if (!sp || (size_t)(sp - v) >= sizeof kind)
            return BAD(r, "expect: wants KIND COUNT, not '%s'", v);
        memcpy(kind, v, (size_t)(sp - v));
        kind[sp - v] = 0;
        while (*sp == ' ')
            sp++;
        if (!valid_kind(kind) || num(sp, 1, 1000000, &count) != 0)
            return BAD(r,
                       "expect: wants KIND COUNT (a finding kind and a count 1..1000000), "
                       "not '%s'",
                       v);
        for (int i = 0; i < s->nexpect; i++)
            if (!strcmp(s->expect[i].kind, kind))
                return BAD(r, "expect: %s given twice in one record", kind);
        s->expect = grow(s->expect, s->nexpect, sizeof *s->expect);
        s->expect[s->nexpect].kind = xstrdup(kind);
        s->expect[s->nexpect++].count = count;
        return 0;
    }
    if (!strcmp(key, "line")) {
        char kind[128];
        long ln;
        char *sp = strchr(v, ' '), *colon = strrchr(v, ':');
        if (!sp || (size_t)(sp - v) >= sizeof kind || !colon || colon < sp)
            return BAD(r, "line: wants KIND SOURCE:LINE, not '%s'", v);
        memcpy(kind, v, (size_t)(sp - v));
        kind[sp - v] = 0;
        while (*sp == ' ')
            sp++;
        *colon = 0;
        if (!valid_kind(kind) || !*sp || strchr(sp, ' ') || num(colon + 1, 1, 10000000, &ln) != 0) {
            *colon = ':';
            return BAD(r,
                       "line: wants KIND SOURCE:LINE (a kind, a source file, a line "
                       "number), not '%s'",
                       v);
        }
        s->lines = grow(s->lines, s->nlines, sizeof *s->lines);
        s->lines[s->nlines].kind = xstrdup(kind);
        s->lines[s->nlines].source = xstrdup(sp);
        s->lines[s->nlines++].line = ln;
        return 0;
    }
    if (!strcmp(key, "output")) {
        s->output = grow(s->output, s->noutput, sizeof *s->output);
        s->output[s->noutput++] = xstrdup(v);
        s->has_output = 1;
        return 0;
    }
    if (!strcmp(key, "status")) {
        long st;
        if ((*seen_status)++)
            return BAD(r, "status: given twice in one record");
        if (num(v, 0, 255, &st) != 0)
            return BAD(r, "status: wants an exit status 0..255, not '%s'", v);
        s->status = (int)st;
        return 0;
    }
    if (!strcmp(key, "timeout")) {
        if ((*seen_timeout)++)
            return BAD(r, "timeout: given twice in one record");
        if (num(v, 1, 3600, &s->timeout) != 0)
            return BAD(r, "timeout: wants seconds 1..3600, not '%s'", v);
        return 0;
    }
    return BAD(r, "unknown key '%s' (the manifest's header lists the keys)", key);
}

/* The record just ended (at line r->line): complete? */
static int close_record(const struct rd *r, struct weft_scenario *s, int first) {
    struct rd at = *r;
    at.line = first;
    if (!s->name)
        return BAD(&at, "a record without a scenario: line");
    at.line = s->where;
    if (!s->family)
        return BAD(&at, "scenario %s has no family: line", s->name);
    if (!s->klass)
        return BAD(&at, "scenario %s has no class: line", s->name);
    if (!s->summary)
        return BAD(&at, "scenario %s has no summary: line", s->name);
    for (int i = 0; i < s->nlines; i++)
        if (weft_scenario_expected(s, s->lines[i].kind) == 0)
            return BAD(&at, "scenario %s: line: %s names a kind it has no expect: line for",
                       s->name, s->lines[i].kind);
    return 0;
}

static void free_one(struct weft_scenario *s) {
    free(s->name);
    free(s->family);
    free(s->klass);
    free(s->seed);
    free(s->fix_of);
    free(s->summary);
    free(s->known);
    free(s->explain);
    for (int i = 0; i < s->nargs; i++)
        free(s->args[i]);
    free(s->args);
    for (int i = 0; i < s->nexpect; i++)
        free(s->expect[i].kind);
    free(s->expect);
    for (int i = 0; i < s->nlines; i++) {
        free(s->lines[i].kind);
        free(s->lines[i].source);
    }
    free(s->lines);
    for (int i = 0; i < s->noutput; i++)
        free(s->output[i]);
    free(s->output);
}

void weft_manifest_free(struct weft_manifest *m) {
    for (int i = 0; i < m->n; i++)
        free_one(&m->s[i]);
    free(m->s);
    m->s = NULL;
    m->n = 0;
}

int weft_manifest_read(const char *cmd, const char *path, struct weft_manifest *m) {
    struct rd r = {cmd, path, 0};
    m->s = NULL;
    m->n = 0;
    if (weft_check_regular(cmd, path) != 0)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f) {
        weft_err("%s: %s: %s", cmd, path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    struct weft_scenario cur;
    int open = 0, first = 0, seen_args = 0, seen_status = 0, seen_timeout = 0, rc = 0;
    while ((len = getline(&buf, &cap, f)) >= 0) {
        r.line++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = 0;
        if ((size_t)len != strlen(buf)) {
            rc = BAD(&r, "a NUL byte in the line");
            break;
        }
        char *p = buf;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#')
            continue;
        if (!*p) {
            /* a blank line ends the record */
            if (open) {
                if (close_record(&r, &cur, first) != 0) {
                    free_one(&cur);
                    open = 0;
                    rc = -1;
                    break;
                }
                m->s = grow(m->s, m->n, sizeof *m->s);
                m->s[m->n++] = cur;
                open = 0;
            }
            continue;
        }
        if (p != buf) {
            rc = BAD(&r, "a key must start the line (no indentation)");
            break;
        }
        char *colon = strchr(buf, ':');
        if (!colon) {
            rc = BAD(&r, "not a 'key: value' line");
            break;
        }
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        /* Trailing blanks are never meant (an output line's would be
         * invisible in the manifest): trimmed. */
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = 0;
        if (!open) {
            memset(&cur, 0, sizeof cur);
            cur.timeout = WEFT_SCENARIO_TIMEOUT;
            open = 1;
            first = r.line;
            seen_args = seen_status = seen_timeout = 0;
        }
        if (apply(&r, &cur, buf, v, &seen_args, &seen_status, &seen_timeout) != 0) {
            free_one(&cur);
            open = 0;
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        weft_err("%s: %s: cannot read: %s", cmd, path, strerror(errno));
        rc = -1;
    }
    if (rc != 0 && open) {
        /* A bad line inside a record: what the record had is freed (LSan
         * found it leaked by harness:scen_manifest_errors). */
        free_one(&cur);
        open = 0;
    }
    if (rc == 0 && open) {
        r.line++;
        if (close_record(&r, &cur, first) != 0) {
            free_one(&cur);
            rc = -1;
        } else {
            m->s = grow(m->s, m->n, sizeof *m->s);
            m->s[m->n++] = cur;
        }
    }
    free(buf);
    fclose(f);
    /* Across records: unique names, and every fix-of names a scenario. */
    for (int i = 0; rc == 0 && i < m->n; i++) {
        for (int j = 0; rc == 0 && j < i; j++)
            if (!strcmp(m->s[i].name, m->s[j].name)) {
                r.line = m->s[i].where;
                rc = BAD(&r, "scenario %s given twice (first at line %d)", m->s[i].name,
                         m->s[j].where);
            }
        if (rc == 0 && m->s[i].fix_of && !weft_manifest_find(m, m->s[i].fix_of)) {
            r.line = m->s[i].where;
            rc = BAD(&r, "scenario %s: fix-of: %s names no scenario", m->s[i].name, m->s[i].fix_of);
        }
    }
    if (rc != 0)
        weft_manifest_free(m);
    return rc;
}

const struct weft_scenario *weft_manifest_find(const struct weft_manifest *m, const char *name) {
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->s[i].name, name))
            return &m->s[i];
    return NULL;
}

long weft_scenario_expected(const struct weft_scenario *s, const char *kind) {
    for (int i = 0; i < s->nexpect; i++)
        if (!strcmp(s->expect[i].kind, kind))
            return s->expect[i].count;
    return 0;
}
