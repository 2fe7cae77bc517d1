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
 * back and printing them is reports/' job. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct weft__finding {
    const char *kind, *severity; /* static strings of the detectors */
    int64_t pid, thread, object, ts;
    char *msg;
    struct weft__role *roles; /* their names copied; a creation_of resolved at the end */
    int nroles;
};

static void finding_free(struct weft__finding *f) {
    free(f->msg);
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
    *f = (struct weft__finding){kind, severity, pid, thread, object, c->now, strdup(msg), NULL, 0};
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

int weft__findings_flush(struct weft__dctx *c) {
    int rc = 0;
    for (size_t i = 0; i < c->nfound && rc == 0; i++) {
        struct weft__finding *f = &c->found[i];
        char stacks[1024];
        resolve_stacks(c, f, stacks, sizeof stacks);
        if (weft__supp_match(c, f->kind, f->thread, f->roles, f->nroles)) {
            c->res->suppressed++;
            continue;
        }
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
        sqlite3_bind_text(st, 7, stacks, -1, SQLITE_TRANSIENT);
        if (f->ts)
            sqlite3_bind_int64(st, 8, f->ts);
        else
            sqlite3_bind_null(st, 8);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = -1;
            break;
        }
        c->res->findings++;
        if (!strcmp(f->severity, "error"))
            c->res->errors++;
        else
            c->res->warnings++;
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
