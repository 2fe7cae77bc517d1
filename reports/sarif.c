/* SPDX-License-Identifier: MIT */
/* sarif.c: `weft report --format=sarif`, SARIF 2.1.0 for code scanning
 * (GitHub's, IDE viewers). One run: a rule per kind of the catalogue
 * (detectors/kinds.c) with its title, explanation, fix, level and
 * precision; one result per group of findings (one fingerprint) with its
 * occurrenceCount, the place to fix first, the other stacks' frames as
 * related locations, and a code flow telling the story thread by thread:
 * first a merged flow of every step in the order it happened (viewers
 * that show one thread flow show that one), then one flow per thread
 * involved, named by the trace's thread ids (OS thread ids are reused).
 * File URIs are relative to the source root (--srcroot, default the
 * current directory) through %SRCROOT%; files outside it stay absolute
 * file:// URIs. With a baseline, each result has its baselineState and
 * the baseline's groups no longer found are results marked absent.
 * Every string goes through json.c: valid JSON whatever the program put
 * in its names and paths. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detectors.h"
#include "json.h"
#include "report.h"
#include "steps.h"
#include "weft.h"

#ifndef WEFT_VERSION
#define WEFT_VERSION "0"
#endif

/* GitHub code scanning's limits on an uploaded SARIF file, "SARIF results
 * exceed limit" in its documentation (docs.github.com, code-security/
 * code-scanning/troubleshooting-sarif-uploads/results-exceed-limit): a
 * run may hold 25,000 results but only the top 5,000 are kept,
 * prioritized by severity; a result 1,000 locations of which 100 are
 * kept; 10,000 thread flow locations of which 1,000 are kept. We stay
 * within what is kept, so nothing is dropped silently over there: errors
 * before warnings when results must be left out (the run's properties
 * count them), and the related locations and flow steps cut at those
 * numbers. */
#define MAX_RESULTS 5000
#define MAX_LOCATIONS 100   /* locations + relatedLocations of a result */
#define MAX_FLOW_STEPS 1000 /* thread flow locations of a result, all flows */
/* Each frame of a stack is a location too: a thread flow step carries
 * only the innermost frames of its stack (the result's stacks have them
 * all, once), so that a result stays far from the 1,000 locations GitHub
 * accepts whatever --stack-depth was. */
#define FLOW_FRAMES 8

static void str(FILE *f, const char *s) {
    weft_json_str(f, (const unsigned char *)s);
}

/* ---- URIs ---- */

struct ctx {
    const struct weft_report *r;
    FILE *f;
    char root[PATH_MAX]; /* the source root, absolute, no trailing '/' ("" for /) */
    size_t rootlen;
};

/* path relative to the source root when it is inside it, else NULL. */
static const char *under_root(const struct ctx *c, const char *path) {
    return !strncmp(path, c->root, c->rootlen) && path[c->rootlen] == '/' ? path + c->rootlen + 1
                                                                          : NULL;
}

/* "artifactLocation" of a locatable file: relative to the source root
 * when it is inside (or a relative path found there), else an absolute
 * file:// URI. */
static void artifact(struct ctx *c, const char *file) {
    FILE *f = c->f;
    const char *rel = file;
    char real[PATH_MAX];
    if (file[0] == '/') {
        rel = under_root(c, file);
        /* The trace may name it through a symbolic link that the root's
         * real path does not go through. */
        if (!rel && realpath(file, real))
            rel = under_root(c, real);
        if (!rel) {
            fputs("{\"uri\": \"file://", f);
            weft_report_uri_path(f, file);
            fputs("\"}", f);
            return;
        }
    }
    fputs("{\"uri\": \"", f);
    weft_report_uri_path(f, rel);
    fputs("\", \"uriBaseId\": \"%SRCROOT%\"}", f);
}

/* ---- locations ---- */

static int has_source(const struct weft_rframe *fr) {
    return fr->file && *fr->file && fr->line > 0;
}

/* Can a viewer open the frame's file: an absolute path, or a relative one
 * found under the source root? (glibc's frames name files relative to a
 * build directory that is not here: "../sysdeps/...".) */
static int locatable(const struct ctx *c, const struct weft_rframe *fr) {
    if (!has_source(fr))
        return 0;
    if (fr->file[0] == '/')
        return 1;
    char there[2 * PATH_MAX];
    snprintf(there, sizeof there, "%s/%s", c->root, fr->file);
    return access(there, F_OK) == 0;
}

/* The first frame of s in a file a viewer can open, or NULL. */
static const struct weft_rframe *stack_site(const struct ctx *c, const struct weft_rstack *s) {
    for (int i = 0; s && i < s->n; i++)
        if (locatable(c, &s->f[i]))
            return &s->f[i];
    return NULL;
}

/* The members of a location object for frame fr (no braces): where it is
 * in the source, and the function as a logical location. A file that
 * cannot be located is named in the function's full name. */
static void location_body(struct ctx *c, const struct weft_rframe *fr) {
    FILE *f = c->f;
    const char *sep = "";
    if (locatable(c, fr)) {
        fputs("\"physicalLocation\": {\"artifactLocation\": ", f);
        artifact(c, fr->file);
        fprintf(f, ", \"region\": {\"startLine\": %d}}", fr->line);
        sep = ", ";
    }
    if (fr->function) {
        fprintf(f, "%s\"logicalLocations\": [{\"name\": ", sep);
        str(f, fr->function);
        fputs(", \"fullyQualifiedName\": ", f);
        if (has_source(fr) && !locatable(c, fr)) {
            char *m = NULL;
            size_t ml = 0;
            FILE *mf = open_memstream(&m, &ml);
            if (mf) {
                fprintf(mf, "%s (%s:%d)", fr->function, fr->file, fr->line);
                fclose(mf);
            }
            str(f, m ? m : fr->function);
            free(m);
        } else {
            str(f, fr->function);
        }
        fputs(", \"kind\": \"function\"}]", f);
    }
}

/* A stack object with at most max frames of s (innermost first). */
static void stack_json(struct ctx *c, const struct weft_rstack *s, int64_t thread, int max) {
    FILE *f = c->f;
    fputs("{\"message\": {\"text\": ", f);
    str(f, s->role);
    fputs("}, \"frames\": [", f);
    for (int k = 0; k < s->n && k < max; k++) {
        const struct weft_rframe *fr = &s->f[k];
        fprintf(f, "%s{\"location\": {", k ? ", " : "");
        location_body(c, fr);
        if (!has_source(fr) && !fr->function)
            fprintf(f, "\"message\": {\"text\": \"0x%llx\"}", (unsigned long long)fr->pc);
        fputc('}', f);
        if (fr->module) {
            fputs(", \"module\": ", f);
            str(f, fr->module);
        }
        if (thread > 0)
            fprintf(f, ", \"threadId\": %lld", (long long)thread);
        fputc('}', f);
    }
    fputs("]}", f);
}

/* ---- rules ---- */

/* "leaked-thread" -> "LeakedThread": SARIF's rule names are identifiers. */
static void rule_name(FILE *f, const char *kind) {
    fputc('"', f);
    for (int up = 1; *kind; kind++) {
        unsigned char ch = (unsigned char)*kind;
        if (ch == '-' || ch == '_') {
            up = 1;
            continue;
        }
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
            fputc(up && ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch, f);
        up = 0;
    }
    fputc('"', f);
}

static const char *level(const char *severity) {
    return severity && !strcmp(severity, "error") ? "error" : "warning";
}

/* The kinds of findings not in the catalogue (a newer detector's, a
 * damaged trace's) also get a rule, after the catalogue's: their names. */
struct extra {
    const char **kinds;
    int n;
};

static int rule_index(const struct extra *x, const char *kind) {
    int n;
    const struct weft_kind_info *k = weft_kinds(&n);
    for (int i = 0; i < n; i++)
        if (!strcmp(k[i].name, kind))
            return i;
    for (int i = 0; i < x->n; i++)
        if (!strcmp(x->kinds[i], kind))
            return n + i;
    return -1;
}

static int add_extra(struct extra *x, const char *kind, int cap) {
    if (rule_index(x, kind) >= 0 || x->n >= cap)
        return 0;
    x->kinds[x->n++] = kind;
    return 0;
}

static void rules_json(FILE *f, const struct extra *x) {
    int n;
    const struct weft_kind_info *k = weft_kinds(&n);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s\n        {\"id\": ", i ? "," : "");
        str(f, k[i].name);
        fputs(", \"name\": ", f);
        rule_name(f, k[i].name);
        fputs(", \"shortDescription\": {\"text\": ", f);
        str(f, k[i].title);
        fputs("}, \"fullDescription\": {\"text\": ", f);
        str(f, k[i].explain);
        fputs("}, \"help\": {\"text\": ", f);
        str(f, k[i].fix);
        fprintf(f, "}, \"defaultConfiguration\": {\"level\": \"%s\"}", level(k[i].severity));
        /* GitHub reads precision and problem.severity from the property
         * bag: the happens-before kinds and the errors a call returned
         * are exact, the heuristics are not. */
        fprintf(f,
                ", \"properties\": {\"precision\": \"%s\", \"problem.severity\": \"%s\", "
                "\"tags\": [\"concurrency\", \"reliability\"]}}",
                strcmp(k[i].precision, "exact") ? "medium" : "very-high", level(k[i].severity));
    }
    for (int i = 0; i < x->n; i++) {
        fprintf(f, "%s\n        {\"id\": ", n + i ? "," : "");
        str(f, x->kinds[i]);
        fputs(", \"name\": ", f);
        rule_name(f, x->kinds[i]);
        fputs(", \"shortDescription\": {\"text\": ", f);
        str(f, x->kinds[i]);
        fputs("}, \"properties\": {\"tags\": [\"concurrency\"]}}", f);
    }
}

/* ---- code flows ---- */

static const struct weft_rstep *order_base;

static int by_time(const void *a, const void *b) {
    const struct weft_rstep *x = &order_base[*(const int *)a], *y = &order_base[*(const int *)b];
    if (x->ts != y->ts)
        return (x->ts > y->ts) - (x->ts < y->ts);
    if (x->thread != y->thread)
        return (x->thread > y->thread) - (x->thread < y->thread);
    return x->stack - y->stack;
}

/* A thread flow's id: unique in the run whatever the OS reused. */
static void flow_id(FILE *f, const struct weft_rfinding *x, int64_t thread) {
    if (thread > 0)
        fprintf(f, "\"trace%d.pid%lld.thread%lld\"", x->trace, (long long)x->pid,
                (long long)thread);
    else
        fprintf(f, "\"trace%d.pid%lld.unknown\"", x->trace, (long long)x->pid);
}

/* thread 3 "stopper" (OS tid 1235, runs stopper) into buf. */
static void thread_words(struct ctx *c, const struct weft_rfinding *x, int64_t thread, char *buf,
                         size_t size) {
    snprintf(buf, size, thread > 0 ? "thread id %lld" : "a thread not recorded", (long long)thread);
    sqlite3_stmt *st = NULL;
    if (thread > 0 && sqlite3_prepare_v2(c->r->traces[x->trace].db,
                                         "SELECT tid, os_tid, name, start_function FROM "
                                         "threads WHERE id = ?",
                                         -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, thread);
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 2);
            const char *fn = (const char *)sqlite3_column_text(st, 3);
            int n = snprintf(buf, size, "thread %lld", sqlite3_column_int64(st, 0));
            if (name && *name && n < (int)size)
                n += snprintf(buf + n, size - (size_t)n, " \"%.64s\"", name);
            if (n < (int)size)
                n += snprintf(buf + n, size - (size_t)n, " (OS tid %lld",
                              sqlite3_column_int64(st, 1));
            if (fn && n < (int)size)
                n += snprintf(buf + n, size - (size_t)n, ", runs %.200s", fn);
            if (n < (int)size)
                snprintf(buf + n, size - (size_t)n, ")");
        }
    }
    sqlite3_finalize(st);
}

static void flow_location(struct ctx *c, const struct weft_rstep *s, int order, const char *who) {
    FILE *f = c->f;
    const struct weft_rfinding *x = &c->r->findings[s->finding];
    const struct weft_rstack *k = &x->stacks[s->stack];
    const struct weft_rframe *site = stack_site(c, k);
    fputs("{\"location\": {", f);
    if (site) {
        location_body(c, site);
        fputs(", ", f);
    } else if (k->n && k->f[0].function) {
        location_body(c, &k->f[0]);
        fputs(", ", f);
    }
    char words[700];
    snprintf(words, sizeof words, "%s, in %s", k->role, who);
    fputs("\"message\": {\"text\": ", f);
    str(f, words);
    fputs("}}, \"stack\": ", f);
    stack_json(c, k, s->thread, FLOW_FRAMES);
    fprintf(f, ", \"executionOrder\": %d, \"properties\": {\"thread\": ", order);
    flow_id(f, x, s->thread);
    fprintf(f, ", \"ts\": %lld}}", (long long)s->ts);
}

/* The code flow of result x from its steps st[0..n): the merged flow,
 * then one per thread in the order they first appear. */
static void code_flows(struct ctx *c, const struct weft_rstep *st, int n) {
    FILE *f = c->f;
    const struct weft_rfinding *x = &c->r->findings[st[0].finding];
    int ord[n], done[n];
    char who[n][512];
    if (n * 2 > MAX_FLOW_STEPS)
        n = MAX_FLOW_STEPS / 2; /* each step is in the merged flow and in its thread's */
    for (int i = 0; i < n; i++) {
        ord[i] = i;
        done[i] = 0;
    }
    order_base = st;
    qsort(ord, (size_t)n, sizeof *ord, by_time);
    int order[n]; /* executionOrder of step i */
    for (int i = 0; i < n; i++) {
        order[ord[i]] = i + 1;
        thread_words(c, x, st[i].thread, who[i], sizeof who[i]);
    }
    fputs(", \"codeFlows\": [{\"message\": {\"text\": \"what each thread did, in the order it "
          "happened (the first flow merges them all)\"}, \"threadFlows\": [",
          f);
    fputs("\n          {\"id\": \"all\", \"message\": {\"text\": \"all threads, in the order it "
          "happened\"}, \"locations\": [",
          f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        flow_location(c, &st[ord[i]], i + 1, who[ord[i]]);
    }
    fputs("]}", f);
    for (int i = 0; i < n; i++) {
        int64_t t = st[ord[i]].thread;
        if (done[ord[i]])
            continue;
        fputs(",\n          {\"id\": ", f);
        flow_id(f, x, t);
        fputs(", \"message\": {\"text\": ", f);
        str(f, who[ord[i]]);
        fputs("}, \"locations\": [", f);
        int first = 1;
        for (int j = i; j < n; j++)
            if (!done[ord[j]] && st[ord[j]].thread == t) {
                done[ord[j]] = 1;
                fputs(first ? "" : ", ", f);
                first = 0;
                flow_location(c, &st[ord[j]], order[ord[j]], who[ord[j]]);
            }
        fputs("]}", f);
    }
    fputs("]}]", f);
}

/* ---- results ---- */

/* Writes s into m with SARIF's message escapes: a message may embed
 * links ("[text](id)" to a related location, SARIF 3.11.6), so the
 * program's own brackets and backslashes are escaped with a backslash. */
static void msg_esc(FILE *m, const char *s) {
    for (; s && *s; s++) {
        if (*s == '[' || *s == ']' || *s == '\\')
            fputc('\\', m);
        fputc(*s, m);
    }
}

/* Walks the related locations: the frames of the stacks other than the
 * main one that a viewer can open, at most MAX_LOCATIONS - 1 of them; the
 * statement after it sees each as stack i, frame k, number id - 1. The
 * message's links and the relatedLocations array are written by the same
 * walk, so their numbers agree. */
#define EACH_RELATED(c, x, ms, i, k, id)                                                           \
    for (int i = 0, id = 0; i < (x)->nstacks; i++)                                                 \
        if (&(x)->stacks[i] != (ms))                                                               \
            for (int k = 0; k < (x)->stacks[i].n && id < MAX_LOCATIONS - 1; k++)                   \
                if (locatable((c), &(x)->stacks[i].f[k]) && ++id)

/* The result's message: the finding's, "(and N more like it)", and a link
 * to the first related location of each other stack ("first_close in
 * stopper"), which is how GitHub shows related locations. */
static void message(struct ctx *c, const struct weft_rfinding *x, const struct weft_rgroup *g,
                    const struct weft_rstack *ms) {
    char *m = NULL;
    size_t ml = 0;
    FILE *mf = open_memstream(&m, &ml);
    if (!mf) {
        str(c->f, x->message);
        return;
    }
    msg_esc(mf, x->message);
    if (g->count > 1)
        fprintf(mf, " (and %d more like it)", g->count - 1);
    if (x->detail) { /* the threads of this finding's creation site */
        fputs(" (", mf);
        msg_esc(mf, x->detail);
        fputc(')', mf);
    }
    int last = -1, n = 0;
    EACH_RELATED(c, x, ms, i, k, id) {
        if (i == last)
            continue;
        last = i;
        fputs(n++ ? ", [" : ". See [", mf);
        msg_esc(mf, x->stacks[i].role);
        fputs(" in ", mf);
        msg_esc(mf, x->stacks[i].f[k].function ? x->stacks[i].f[k].function : "?");
        fprintf(mf, "](%d)", id - 1);
    }
    if (n)
        fputc('.', mf);
    fclose(mf);
    str(c->f, m);
    free(m);
}

static void result_json(struct ctx *c, const struct extra *xk, const struct weft_rgroup *g,
                        const struct weft_rstep *st, int nst) {
    FILE *f = c->f;
    const struct weft_report *r = c->r;
    const struct weft_rfinding *x = &r->findings[g->first];
    const struct weft_rframe *site = weft_report_site(x);
    const struct weft_rstack *ms = weft_report_main_stack(x);
    fputs("\n      {\"ruleId\": ", f);
    str(f, x->kind);
    int ri = rule_index(xk, x->kind);
    if (ri >= 0)
        fprintf(f, ", \"ruleIndex\": %d", ri);
    fprintf(f, ", \"level\": \"%s\", \"message\": {\"text\": ", level(x->severity));
    message(c, x, g, ms);
    fputc('}', f);
    /* The place to fix first. GitHub refuses a result without a file
     * ("locationFromSarifResult: expected at least one location"), so
     * when that place is in no file a viewer can open (a stack of
     * glibc's frames only), the first frame of any stack that is, and
     * failing that the program itself, with the function's name. */
    const struct weft_rframe *at = site && locatable(c, site) ? site : NULL;
    for (int i = 0; !at && i < x->nstacks; i++)
        at = stack_site(c, &x->stacks[i]);
    const char *exe = x->proc >= 0 ? r->procs[x->proc].exe : NULL;
    if (at) {
        fputs(", \"locations\": [{", f);
        location_body(c, at);
        fputs("}]", f);
    } else if (exe && exe[0] == '/') {
        fputs(", \"locations\": [{\"physicalLocation\": {\"artifactLocation\": ", f);
        artifact(c, exe);
        fputs("}", f);
        if (ms && ms->n && ms->f[0].function) {
            fputs(", \"logicalLocations\": [{\"name\": ", f);
            str(f, ms->f[0].function);
            fputs(", \"kind\": \"function\"}]", f);
        }
        fputs("}]", f);
    } else if (ms && ms->n && ms->f[0].function) {
        fputs(", \"locations\": [{", f);
        location_body(c, site ? site : &ms->f[0]);
        fputs("}]", f);
    }
    int nrel = 0;
    EACH_RELATED(c, x, ms, i, k, id) {
        const struct weft_rstack *s = &x->stacks[i];
        fputs(nrel++ ? ", " : ", \"relatedLocations\": [", f);
        fprintf(f, "{\"id\": %d, ", id - 1);
        location_body(c, &s->f[k]);
        fputs(", \"message\": {\"text\": ", f);
        char words[256];
        snprintf(words, sizeof words, "%s #%d %s", s->role, k,
                 s->f[k].function ? s->f[k].function : "?");
        str(f, words);
        fputs("}}", f);
    }
    if (nrel)
        fputc(']', f);
    if (nst)
        code_flows(c, st, nst);
    if (x->nstacks) {
        fputs(", \"stacks\": [", f);
        for (int i = 0, j = 0; i < x->nstacks; i++) {
            int64_t thread = 0;
            for (int s = 0; s < nst; s++)
                if (st[s].stack == i)
                    thread = st[s].thread;
            fputs(j++ ? ", " : "", f);
            stack_json(c, &x->stacks[i], thread, INT_MAX);
        }
        fputc(']', f);
    }
    fprintf(f, ", \"partialFingerprints\": {\"%s\": \"%s\"}, \"occurrenceCount\": %d",
            WEFT_FP_VERSION, g->fp, g->count);
    if (weft_bstate_name(g->state))
        fprintf(f, ", \"baselineState\": \"%s\"", weft_bstate_name(g->state));
    fprintf(f, ", \"properties\": {\"pid\": %lld, \"trace\": ", (long long)x->pid);
    str(f, r->traces[x->trace].path);
    fprintf(f, ", \"uncertain\": %s}}", x->uncertain ? "true" : "false");
}

static void absent_json(FILE *f, const struct extra *xk, const struct weft_rabsent *a) {
    const struct weft_kind_info *k = weft_kind_info(a->kind);
    fputs("\n      {\"ruleId\": ", f);
    str(f, a->kind ? a->kind : "?");
    int ri = a->kind ? rule_index(xk, a->kind) : -1;
    if (ri >= 0)
        fprintf(f, ", \"ruleIndex\": %d", ri);
    fprintf(f, ", \"level\": \"%s\", \"message\": {\"text\": ", level(k ? k->severity : NULL));
    char *m = NULL;
    size_t ml = 0;
    FILE *mf = open_memstream(&m, &ml);
    if (mf) {
        msg_esc(mf, a->message);
        fclose(mf);
    }
    str(f, m ? m : "");
    free(m);
    fprintf(f,
            "}, \"partialFingerprints\": {\"%s\": \"%s\"}, \"occurrenceCount\": %d, "
            "\"baselineState\": \"absent\"}",
            WEFT_FP_VERSION, a->fp, a->count > 0 ? a->count : 1);
}

int weft_report_sarif(const struct weft_report *r, FILE *f, const char *srcroot) {
    struct ctx c = {.r = r, .f = f};
    struct stat sb;
    if (!srcroot)
        srcroot = ".";
    if (!realpath(srcroot, c.root) || stat(c.root, &sb) != 0) {
        weft_err("report: --srcroot %s: %s", srcroot, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        weft_err("report: --srcroot %s: not a directory", srcroot);
        return -1;
    }
    if (!strcmp(c.root, "/"))
        c.root[0] = 0;
    c.rootlen = strlen(c.root);

    /* The groups shown: all of them, or within the results GitHub keeps,
     * the errors first. */
    int errors = 0;
    for (int g = 0; g < r->ngroups; g++)
        errors += !strcmp(level(r->findings[r->groups[g].first].severity), "error");
    int room = MAX_RESULTS - (r->nabsent < MAX_RESULTS ? r->nabsent : MAX_RESULTS);
    int err_room = errors < room ? errors : room, warn_room = room - err_room;
    int *which = malloc((size_t)(r->ngroups ? r->ngroups : 1) * sizeof *which);
    int *gi = malloc((size_t)(r->ngroups ? r->ngroups : 1) * sizeof *gi);
    const char **extra = malloc((size_t)(r->ngroups + r->nabsent + 1) * sizeof *extra);
    if (!which || !gi || !extra) {
        free(which);
        free(gi);
        free(extra);
        weft_err("report: out of memory");
        return -1;
    }
    int n = 0;
    for (int g = 0; g < r->ngroups; g++) {
        int err = !strcmp(level(r->findings[r->groups[g].first].severity), "error");
        int *left = err ? &err_room : &warn_room;
        if (*left > 0) {
            (*left)--;
            gi[n] = g;
            which[n++] = r->groups[g].first;
        }
    }
    struct extra xk = {extra, 0};
    for (int i = 0; i < r->ngroups; i++)
        add_extra(&xk, r->findings[r->groups[i].first].kind, r->ngroups + r->nabsent);
    for (int i = 0; i < r->nabsent; i++)
        if (r->absent[i].kind)
            add_extra(&xk, r->absent[i].kind, r->ngroups + r->nabsent);
    int nsteps = 0;
    struct weft_rstep *steps = weft_report_steps(r, which, n, &nsteps);
    if (!steps) {
        free(which);
        free(gi);
        free(extra);
        return -1;
    }

    /* "version" first: outfile.c knows a weft report by its start. */
    fputs("{\"version\": \"2.1.0\", \"$schema\": "
          "\"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json\",\n  \"runs\": [{\n    \"tool\": {\"driver\": {\"name\": "
          "\"weft\", \"semanticVersion\": ",
          f);
    str(f, WEFT_VERSION);
    fputs(", \"rules\": [", f);
    rules_json(f, &xk);
    fputs("]}},\n    \"originalUriBaseIds\": {\"%SRCROOT%\": {\"uri\": \"file://", f);
    weft_report_uri_path(f, c.root);
    fputs("/\", \"description\": {\"text\": \"the source root (--srcroot)\"}}},\n", f);
    fputs("    \"invocations\": [{\"executionSuccessful\": true}],\n    \"results\": [", f);
    int off = 0;
    for (int i = 0; i < n; i++) {
        const struct weft_rgroup *g = &r->groups[gi[i]];
        int ns = r->findings[g->first].nstacks;
        fputs(i ? "," : "", f);
        result_json(&c, &xk, g, steps + off, ns);
        off += ns;
    }
    for (int i = 0; i < r->nabsent && i < MAX_RESULTS; i++) {
        fputs(n || i ? "," : "", f);
        absent_json(f, &xk, &r->absent[i]);
    }
    fputs("\n    ],\n    \"properties\": {\"fingerprintScheme\": \"" WEFT_FP_VERSION
          "\", \"traces\": [",
          f);
    for (int t = 0; t < r->ntraces; t++) {
        fputs(t ? ", " : "", f);
        str(f, r->traces[t].path);
    }
    fprintf(f, "], \"findings\": %d, \"groups\": %d, \"resultsLeftOut\": %d}\n  }]\n}\n",
            r->nfindings, r->ngroups,
            r->ngroups - n + (r->nabsent > MAX_RESULTS ? r->nabsent - MAX_RESULTS : 0));
    free(steps);
    free(which);
    free(gi);
    free(extra);
    return 0;
}
