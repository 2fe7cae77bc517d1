/* SPDX-License-Identifier: MIT */
/* findings.c: weft__report, what every detector calls with a finding,
 * and the end of the run that writes them. A finding is held in memory
 * as it is reported: its message, its stacks object ({"role": id}), the
 * time, and the stacks' ids. Once the last event is in and the trace's
 * tables are complete (in a stream, the stacks are symbolized at the
 * end), weft__findings_flush applies the suppressions, which match the
 * stacks' frames, and writes one row of `findings` each. Reading them
 * back and printing them is reports/' job. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct weft__finding {
    const char *kind, *severity; /* static strings of the detectors */
    int64_t pid, thread, object, ts;
    char *msg, *stacks;
    int64_t *roles; /* the stacks' ids, for the suppressions */
    int nroles;
};

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
    /* Stacks: {"role": id, ...}; role names are ours (no escaping needed). */
    char stacks[1024];
    size_t n = 0;
    n += (size_t)snprintf(stacks, sizeof stacks, "{");
    int first = 1;
    for (int i = 0; i < nroles && n < sizeof stacks - 64; i++) {
        if (!roles[i].stack)
            continue;
        n += (size_t)snprintf(stacks + n, sizeof stacks - n, "%s\"%s\": %lld", first ? "" : ", ",
                              roles[i].role, (long long)roles[i].stack);
        first = 0;
    }
    snprintf(stacks + n, sizeof stacks - n, "}");
    struct weft__finding *f = &c->found[c->nfound];
    *f = (struct weft__finding){kind,        severity,       pid,  thread, object, c->now,
                                strdup(msg), strdup(stacks), NULL, 0};
    if (nroles > 0 && (f->roles = malloc((size_t)nroles * sizeof *f->roles)) != NULL)
        for (int i = 0; i < nroles; i++)
            f->roles[f->nroles++] = roles[i].stack;
    if (!f->msg || !f->stacks) {
        free(f->msg);
        free(f->stacks);
        free(f->roles);
        return;
    }
    c->nfound++;
}

/* f's message with every thread reference (weft__thread_name) replaced
 * by the thread's name now, or NULL when out of memory. */
static char *expand_names(struct weft__dctx *c, const char *msg) {
    size_t cap = strlen(msg) + 1, len = 0;
    char *out = malloc(cap);
    for (const char *s = msg; out && *s;) {
        char name[512], *end = NULL;
        const char *piece = s;
        size_t n = 1;
        if (*s == WEFT__THREAD_REF[0]) {
            unsigned long id = strtoul(s + 1, &end, 10);
            if (end != s + 1 && *end == WEFT__THREAD_REF_END[0] && id <= UINT32_MAX) {
                piece = weft__thread_name_now(c, (uint32_t)id, name, sizeof name);
                n = strlen(piece);
                s = end + 1;
            } else { /* cut by a message's length: dropped whole */
                s += strcspn(s, WEFT__THREAD_REF_END);
                s += *s != 0;
                continue;
            }
        } else
            s++;
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(out, cap);
            if (!grown)
                free(out);
            out = grown;
            if (!out)
                break;
        }
        memcpy(out + len, piece, n);
        len += n;
        out[len] = 0;
    }
    if (out)
        out[len] = 0;
    return out;
}

int weft__findings_flush(struct weft__dctx *c) {
    int rc = 0;
    for (size_t i = 0; i < c->nfound && rc == 0; i++) {
        struct weft__finding *f = &c->found[i];
        struct weft__role roles[64];
        int nr = f->nroles < 64 ? f->nroles : 64;
        for (int k = 0; k < nr; k++)
            roles[k] = (struct weft__role){"", f->roles[k]};
        if (weft__supp_match(c, f->kind, f->thread, roles, nr)) {
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
        sqlite3_bind_text(st, 7, f->stacks, -1, SQLITE_STATIC);
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
    for (size_t i = 0; i < c->nfound; i++) {
        free(c->found[i].msg);
        free(c->found[i].stacks);
        free(c->found[i].roles);
    }
    free(c->found);
    c->found = NULL;
    c->nfound = c->capfound = 0;
}
