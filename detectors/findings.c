/* SPDX-License-Identifier: MIT */
/* findings.c: weft__report, what every detector calls with a finding,
 * and the end of the run that writes them. A finding is held in memory
 * as it is reported: its message (threads in it by reference), its
 * stacks by role, the time. Once the last event is in and the trace's
 * tables are complete (in a stream, the stacks are symbolized at the
 * end), weft__findings_flush names the threads and resolves the stacks
 * as the trace knows them then, applies the suppressions, which match
 * the stacks' frames, and writes one row of `findings` each (the stacks
 * as an object {"role": id}). Reading them
 * back and printing them is reports/' job.
 *
 * The findings of one thread each (leaked-thread, unjoined-thread) with
 * the same kind, severity, process and stacks (the same creation site,
 * and the same place they wait) are one row: the first of them, with `count` the number
 * of threads and `detail` naming the first WEFT__FOLD_NAMES of them. A
 * program that leaks 100k workers of one loop gets one finding that says
 * 100000, not 100k rows. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Threads named in the detail of a finding that stands for several. */
#define WEFT__FOLD_NAMES 16

struct weft__finding {
    const char *kind, *severity; /* static strings of the detectors */
    int64_t pid, thread, object, ts;
    char *msg;
    struct weft__role *roles; /* their names copied; a creation_of resolved at the end */
    int nroles;
    /* at the flush: its stacks object; the threads it stands for (0: it
     * was suppressed or folded into an earlier one), the first of them */
    char *stacks;
    int64_t count;
    uint32_t named[WEFT__FOLD_NAMES];
};

static void finding_free(struct weft__finding *f) {
    free(f->msg);
    free(f->stacks);
    for (int i = 0; i < f->nroles; i++)
        free((char *)f->roles[i].role);
    free(f->roles);
}

void weft__report(struct weft__dctx *c, const char *kind, const char *severity, int64_t pid,
                  int64_t thread, int64_t object, const struct weft__role *roles, int nroles,
                  const char *fmt, ...) {
    if (c->nfound == c->capfound) {
        size_t nc = c->capfound ? c->capfound * 2 : 16;
        struct weft__finding *n = realloc(c->found, nc * sizeof *n);
        if (!n)
            return; /* out of memory: this finding is lost, not the run */
        c->found = n;
        c->capfound = nc;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct weft__finding *f = &c->found[c->nfound];
    *f = (struct weft__finding){.kind = kind,
                                .severity = severity,
                                .pid = pid,
                                .thread = thread,
                                .object = object,
                                .ts = c->now,
                                .msg = strdup(msg)};
    int bad = !f->msg;
    if (nroles > 0 && !bad && !(f->roles = calloc((size_t)nroles, sizeof *f->roles)))
        bad = 1;
    for (int i = 0; i < nroles && !bad; i++) {
        f->roles[i] = roles[i];
        bad = !(f->roles[i].role = strdup(roles[i].role));
        f->nroles += !bad;
    }
    if (bad) {
        finding_free(f);
        return;
    }
    c->nfound++;
}

/* Appends n bytes of p to the string *out (length *len, capacity *cap);
 * frees it and leaves NULL when out of memory. */
static void append(char **out, size_t *len, size_t *cap, const char *p, size_t n) {
    if (*out && *len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        char *grown = realloc(*out, *cap);
        if (!grown)
            free(*out);
        *out = grown;
    }
    if (!*out)
        return;
    memcpy(*out + *len, p, n);
    *len += n;
    (*out)[*len] = 0;
}

/* f's message with every thread reference (weft__thread_name) replaced
 * by the thread's name now, or NULL when out of memory. A reference cut
 * by the message's length is dropped whole. */
static char *expand_names(struct weft__dctx *c, const char *msg) {
    size_t cap = strlen(msg) + 1, len = 0;
    char *out = malloc(cap), name[512];
    if (out)
        out[0] = 0;
    for (const char *s = msg; out && *s;) {
        size_t plain = strcspn(s, WEFT__THREAD_REF);
        append(&out, &len, &cap, s, plain);
        s += plain;
        if (!*s)
            break;
        char *end;
        unsigned long id = strtoul(s + 1, &end, 10);
        if (end != s + 1 && *end == WEFT__THREAD_REF_END[0] && id <= UINT32_MAX) {
            weft__thread_name_now(c, (uint32_t)id, name, sizeof name);
            append(&out, &len, &cap, name, strlen(name));
        } else {
            end = (char *)s + strcspn(s, WEFT__THREAD_REF_END);
        }
        s = *end ? end + 1 : end;
    }
    return out;
}

/* f's stacks: each role's stack (a thread's creation as the trace knows
 * it at the end), and the object {"role": id, ...} of those that have one
 * into buf (role names are the detectors' own: no escaping needed). */
static void resolve_stacks(struct weft__dctx *c, struct weft__finding *f, char *buf, size_t size) {
    size_t n = (size_t)snprintf(buf, size, "{");
    int first = 1;
    for (int i = 0; i < f->nroles; i++) {
        struct weft__role *r = &f->roles[i];
        if (r->creation_of) {
            const struct weft__thr *t = weft__thr_of(c, r->creation_of);
            r->stack = t ? t->create_stack : 0;
        }
        if (!r->stack || n >= size - 64)
            continue;
        n += (size_t)snprintf(buf + n, size - n, "%s\"%s\": %lld", first ? "" : ", ", r->role,
                              (long long)r->stack);
        first = 0;
    }
    snprintf(buf + n, size - n, "}");
}

/* The kinds of one finding per thread, which fold. Not
 * lock-held-at-exit: one per lock a thread kept, and one thread's locks
 * taken at one site are not several threads. */
static int thread_kind(const char *kind) {
    return !strcmp(kind, "leaked-thread") || !strcmp(kind, "unjoined-thread");
}

static uint64_t fnv(uint64_t h, const char *s) {
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull; /* a separator: ("ab","c") is not ("a","bc") */
}

/* A finding that others fold into: by (a hash of its kind, severity and
 * stacks, its pid), the index + 1 of the first finding with them. */
struct fold {
    int64_t k1, k2, first;
};

/* The first finding of f's kind, severity, process and stacks (folds
 * finds it); f itself when it is the first, or when another finding took
 * its key (a hash collision: then it stands alone). */
static struct weft__finding *fold_into(struct weft__dctx *c, struct weft__table *folds,
                                       struct weft__finding *f) {
    uint64_t h = fnv(fnv(fnv(0xcbf29ce484222325ull, f->kind), f->severity), f->stacks);
    uint64_t key[2] = {h | 1, (uint64_t)f->pid};
    struct fold *e = weft__table_get(folds, key, 1);
    if (!e)
        return f; /* out of memory: not folded, not lost */
    if (!e->first) {
        e->first = (f - c->found) + 1;
        return f;
    }
    struct weft__finding *g = &c->found[e->first - 1];
    return !strcmp(g->kind, f->kind) && !strcmp(g->severity, f->severity) && g->pid == f->pid &&
                   !strcmp(g->stacks, f->stacks)
               ? g
               : f;
}

/* "100000 threads: thread 2 (worker), thread 3 (worker), ... and 99984
 * more" for a finding that stands for several threads, into buf. */
static void fold_detail(struct weft__dctx *c, const struct weft__finding *f, char *buf,
                        size_t size) {
    size_t n = (size_t)snprintf(buf, size, "%lld threads:", (long long)f->count);
    int shown = f->count < WEFT__FOLD_NAMES ? (int)f->count : WEFT__FOLD_NAMES;
    for (int i = 0; i < shown && n < size; i++) {
        char name[256];
        weft__thread_name_now(c, f->named[i], name, sizeof name);
        n += (size_t)snprintf(buf + n, size - n, "%s %s", i ? "," : "", name);
    }
    if (f->count > shown && n < size)
        snprintf(buf + n, size - n, " and %lld more", (long long)(f->count - shown));
}

int weft__findings_flush(struct weft__dctx *c) {
    int rc = 0;
    struct weft__table folds = WEFT__TABLE(struct fold, 2);
    /* First the stacks of each, the suppressions and the folding: a
     * finding's count is known only once every later one is seen. */
    for (size_t i = 0; i < c->nfound; i++) {
        struct weft__finding *f = &c->found[i];
        char stacks[1024];
        resolve_stacks(c, f, stacks, sizeof stacks);
        int by = weft__supp_match(c, f->kind, f->thread, f->roles, f->nroles);
        if (by) {
            c->res->suppressed++;
            c->res->suppressed_default += by == 2;
            continue;
        }
        if (!(f->stacks = strdup(stacks))) {
            rc = -1;
            break;
        }
        struct weft__finding *g = f->thread && thread_kind(f->kind) ? fold_into(c, &folds, f) : f;
        if (g->count < WEFT__FOLD_NAMES)
            g->named[g->count] = (uint32_t)f->thread;
        g->count++;
    }
    weft__table_free(&folds);
    for (size_t i = 0; i < c->nfound && rc == 0; i++) {
        struct weft__finding *f = &c->found[i];
        if (!f->count)
            continue;
        sqlite3_stmt *st = c->ins;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, f->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, f->severity, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, f->pid);
        if (f->thread)
            sqlite3_bind_int64(st, 4, f->thread);
        else
            sqlite3_bind_null(st, 4);
        if (f->object)
            sqlite3_bind_int64(st, 5, f->object);
        else
            sqlite3_bind_null(st, 5);
        char *msg = expand_names(c, f->msg);
        if (!msg) {
            rc = -1;
            break;
        }
        sqlite3_bind_text(st, 6, msg, -1, free);
        sqlite3_bind_text(st, 7, f->stacks, -1, SQLITE_STATIC);
        if (f->ts)
            sqlite3_bind_int64(st, 8, f->ts);
        else
            sqlite3_bind_null(st, 8);
        sqlite3_bind_int64(st, 9, f->count);
        char detail[4096];
        if (f->count > 1) {
            fold_detail(c, f, detail, sizeof detail);
            sqlite3_bind_text(st, 10, detail, -1, SQLITE_TRANSIENT);
        } else {
            sqlite3_bind_null(st, 10);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = -1;
            break;
        }
        /* counted as the threads it stands for, as before the folding */
        c->res->findings += (int)f->count;
        if (!strcmp(f->severity, "error"))
            c->res->errors += (int)f->count;
        else
            c->res->warnings += (int)f->count;
    }
    weft__findings_free(c);
    return rc;
}

void weft__findings_free(struct weft__dctx *c) {
    for (size_t i = 0; i < c->nfound; i++)
        finding_free(&c->found[i]);
    free(c->found);
    c->found = NULL;
    c->nfound = c->capfound = 0;
}
