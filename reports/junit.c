/* SPDX-License-Identifier: MIT */
/* junit.c: `weft report --format=junit`, JUnit XML for CI test views
 * (Jenkins, GitLab, GitHub actions' test reporters). A testsuite per
 * trace, a testcase per process run in it: classname the program's base
 * name, name its arguments and which run of that command line it was in
 * the trace (its rank by start time: 1, 2, ...; not its pid, which
 * changes from run to run), so that the same test keeps its name in the
 * next CI run. A process with findings fails: a failure element per group
 * of findings it has (one fingerprint), holding the text report's block
 * for it (text.c), with "and N more like it" counted in that process.
 * A process killed by a signal (a crash, an abort) is an error of its
 * test: an error element, whatever its findings. As JUnit counts tests,
 * not elements, tests counts the testcases, errors those with an error,
 * failures those with findings and no error. The trace's path, the pid
 * and how the process ended are in system-out.
 * Every string goes through xmlesc.c: well-formed XML whatever the
 * program's argv, names or paths hold. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "weft.h"
#include "xmlesc.h"

/* The program's base name: its exe, else argv[0], else "process". */
static const char *base_name(const char *path) {
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path;
}

/* The process's arguments joined by spaces (decoded from the JSON array
 * ingest stored, by SQLite's JSON reader; a damaged one as it is), into
 * a malloc'ed string; argv0 gets the first argument alone. */
static char *argv_words(sqlite3 *db, const char *argv, char **argv0) {
    char *out = NULL;
    *argv0 = NULL;
    sqlite3_stmt *st = NULL;
    if (argv && sqlite3_prepare_v2(db,
                                   "SELECT group_concat(value, ' '), "
                                   "(SELECT value FROM json_each(?1) WHERE key = 0) FROM "
                                   "json_each(CASE WHEN json_valid(?1) THEN ?1 ELSE '[]' END)",
                                   -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, argv, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
            out = strdup((const char *)sqlite3_column_text(st, 0));
            if (sqlite3_column_text(st, 1))
                *argv0 = strdup((const char *)sqlite3_column_text(st, 1));
        }
    }
    sqlite3_finalize(st);
    if (!out)
        out = strdup(argv ? argv : "");
    return out;
}

struct tcase {
    char *classname, *words, *name;
    int proc;
    int failed, errored;
};

static void free_cases(struct tcase *c, int n) {
    for (int i = 0; i < n; i++) {
        free(c[i].classname);
        free(c[i].words);
        free(c[i].name);
    }
    free(c);
}

/* The testcases of trace t, named, in the model's process order. */
static struct tcase *cases_of(const struct weft_report *r, int t, int *nout) {
    int n = 0;
    struct tcase *c = calloc((size_t)(r->nprocs ? r->nprocs : 1), sizeof *c);
    if (!c)
        return NULL;
    for (int i = 0; i < r->nprocs; i++) {
        const struct weft_rproc *p = &r->procs[i];
        if (p->trace != t)
            continue;
        struct tcase *x = &c[n++];
        char *argv0 = NULL;
        x->proc = i;
        x->words = argv_words(r->traces[t].db, p->argv, &argv0);
        const char *prog = base_name(p->exe && *p->exe ? p->exe : argv0);
        x->classname = strdup(prog && *prog ? prog : "process");
        free(argv0);
        if (!x->words || !x->classname) {
            free_cases(c, n);
            return NULL;
        }
        /* Which run of this command line it is in the trace, by start. */
        int rank = 1;
        for (int k = 0; k < n - 1; k++)
            rank += !strcmp(c[k].classname, x->classname) && !strcmp(c[k].words, x->words);
        size_t len = strlen(x->words) + 16;
        if (!(x->name = malloc(len))) {
            free_cases(c, n);
            return NULL;
        }
        snprintf(x->name, len, "%s #%d", x->words, rank);
    }
    *nout = n;
    return c;
}

static double secs(int64_t from, int64_t to) {
    return to > from ? (double)(to - from) / 1e9 : 0.0;
}

/* The failures of the process behind testcase c: one per group it has,
 * in the groups' order, each with its count in this process. first[] and
 * count[] (one per group) are scratch, all -1 and 0 on entry and exit. */
static int failures(const struct weft_report *r, FILE *f, const struct tcase *c, int *first,
                    int *count) {
    for (int i = 0; i < r->nfindings; i++)
        if (r->findings[i].proc == c->proc) {
            int g = r->findings[i].group;
            if (first[g] < 0)
                first[g] = i;
            count[g] += r->findings[i].count;
        }
    int rc = 0;
    for (int g = 0; g < r->ngroups; g++) {
        if (first[g] < 0 || rc)
            goto next;
        const struct weft_rfinding *x = &r->findings[first[g]];
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m) {
            rc = -1;
            goto next;
        }
        weft_report_text_block(r, m, first[g], count[g]);
        if (fclose(m) != 0) {
            free(text);
            rc = -1;
            goto next;
        }
        fputs("      <failure type=\"", f);
        weft_xml_str(f, x->kind);
        fputs("\" message=\"", f);
        weft_xml_str(f, x->message);
        fprintf(f, " (%s, %d finding%s, id %s)\">", x->severity, count[g], count[g] == 1 ? "" : "s",
                x->fp);
        weft_xml_str(f, text);
        fputs("</failure>\n", f);
        free(text);
    next:
        first[g] = -1;
        count[g] = 0;
    }
    if (rc)
        weft_err("report: out of memory");
    return rc;
}

int weft_report_junit(const struct weft_report *r, FILE *f) {
    int tests = 0, failed = 0, errored = 0;
    struct tcase **cs = calloc((size_t)(r->ntraces ? r->ntraces : 1), sizeof *cs);
    int *ncs = calloc((size_t)(r->ntraces ? r->ntraces : 1), sizeof *ncs);
    int *first = malloc((size_t)(r->ngroups + 1) * sizeof *first);
    int *count = calloc((size_t)(r->ngroups + 1), sizeof *count);
    int rc = -1;
    if (!cs || !ncs || !first || !count)
        goto oom;
    for (int g = 0; g < r->ngroups; g++)
        first[g] = -1;
    for (int t = 0; t < r->ntraces; t++) {
        if (!(cs[t] = cases_of(r, t, &ncs[t])))
            goto oom;
        for (int i = 0; i < ncs[t]; i++) {
            for (int k = 0; k < r->nfindings; k++)
                if (r->findings[k].proc == cs[t][i].proc) {
                    cs[t][i].failed = 1;
                    break;
                }
            cs[t][i].errored = r->procs[cs[t][i].proc].has_signal;
            tests++;
            failed += cs[t][i].failed && !cs[t][i].errored;
            errored += cs[t][i].errored;
        }
    }
    /* The first line and the start of the second are what outfile.c
     * knows a weft JUnit file by. */
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"weft report\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n",
            tests, failed, errored);
    for (int t = 0; t < r->ntraces; t++) {
        int sf = 0, se = 0;
        int64_t from = 0, to = 0;
        for (int i = 0; i < ncs[t]; i++) {
            const struct weft_rproc *p = &r->procs[cs[t][i].proc];
            sf += cs[t][i].failed && !cs[t][i].errored;
            se += cs[t][i].errored;
            if (!i || p->start_ns < from)
                from = p->start_ns;
            if (!i || p->end_ns > to)
                to = p->end_ns;
        }
        fputs("  <testsuite name=\"", f);
        weft_xml_str(f, r->traces[t].path);
        fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"0\" time=\"%.3f\">\n",
                ncs[t], sf, se, secs(from, to));
        for (int i = 0; i < ncs[t]; i++) {
            const struct tcase *c = &cs[t][i];
            const struct weft_rproc *p = &r->procs[c->proc];
            fputs("    <testcase classname=\"", f);
            weft_xml_str(f, c->classname);
            fputs("\" name=\"", f);
            weft_xml_str(f, c->name);
            fprintf(f, "\" time=\"%.3f\">\n", secs(p->start_ns, p->end_ns));
            if (c->errored) {
                const char *sig = sigabbrev_np(p->signal);
                fprintf(f, "      <error type=\"signal\" message=\"killed by signal %d%s%s%s\"/>\n",
                        p->signal, sig ? " (SIG" : "", sig ? sig : "", sig ? ")" : "");
            }
            if (failures(r, f, c, first, count) != 0)
                goto fail;
            fputs("      <system-out>trace: ", f);
            weft_xml_str(f, r->traces[t].path);
            fprintf(f, "\npid: %lld\nexit: ", (long long)p->pid);
            if (p->has_code)
                fprintf(f, "%d", p->code);
            else if (p->has_signal)
                fprintf(f, "signal %d", p->signal);
            else
                weft_xml_str(f, p->exit_kind ? p->exit_kind : "?");
            fputs("\n</system-out>\n    </testcase>\n", f);
        }
        fputs("    <system-out>trace: ", f);
        weft_xml_str(f, r->traces[t].path);
        fputs("\n</system-out>\n  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
    rc = 0;
    goto fail;
oom:
    weft_err("report: out of memory");
fail:
    for (int t = 0; cs && t < r->ntraces; t++)
        if (cs[t])
            free_cases(cs[t], ncs[t]);
    free(cs);
    free(ncs);
    free(first);
    free(count);
    return rc;
}
