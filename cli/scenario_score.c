/* SPDX-License-Identifier: MIT */
/* scenario_score.c: the numbers `weft scenarios run` shows about a suite
 * run, shared by its table (cmd_scenarios.c) and its HTML index
 * (scenario_html.c): what a scenario expected and found in one line, its
 * verdict, and the scoreboard per class (true and false positives, false
 * negatives). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_run.h"

void weft_scenario_expected_str(const struct weft_scenario *s, char *out, size_t max) {
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < s->nexpect && n < max; i++)
        n += (size_t)snprintf(out + n, max - n, "%s%s=%ld", i ? "," : "", s->expect[i].kind,
                              s->expect[i].count);
    if (!s->nexpect)
        snprintf(out, max, "none");
}

void weft_scenario_found_str(const struct weft_srun *r, char *out, size_t max) {
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < r->nfound && n < max; i++)
        n += (size_t)snprintf(out + n, max - n, "%s%s=%ld", i ? "," : "", r->found[i].kind,
                              r->found[i].count);
    if (!r->nfound)
        snprintf(out, max, "none");
}

const struct weft_srun *weft_scenario_shown_run(const struct weft_sresult *r) {
    for (int k = 0; k < r->nruns; k++)
        if (!r->runs[k].pass)
            return &r->runs[k];
    return &r->runs[0];
}

void weft_scenario_verdict(const struct weft_sresult *r, char *out, size_t max) {
    if (r->sc->known)
        snprintf(out, max, r->failed ? "known" : "FAIL");
    else if (!r->failed)
        snprintf(out, max, "pass");
    else if (r->nruns > 1)
        snprintf(out, max, "FAIL %d/%d", r->failed, r->nruns);
    else
        snprintf(out, max, "FAIL");
}

/* A finding expected and found is a true positive, expected and missing a
 * false negative, found beyond what was expected (on any scenario, clean
 * or buggy) a false positive; over every run. */
int weft_scenario_score(const struct weft_sresult *res, int n, struct weft_sclass **out) {
    struct weft_sclass *ks = calloc((size_t)n + 1, sizeof *ks);
    int nk = 0;
    *out = ks;
    if (!ks)
        return -1;
    for (int i = 0; i < n; i++) {
        const struct weft_scenario *s = res[i].sc;
        int k = 0;
        while (k < nk && strcmp(ks[k].name, s->klass))
            k++;
        if (k == nk)
            ks[nk++].name = s->klass;
        ks[k].scenarios++;
        for (int r = 0; r < res[i].nruns; r++) {
            const struct weft_srun *run = &res[i].runs[r];
            for (int e = 0; e < s->nexpect; e++) {
                long got = 0;
                for (int f = 0; f < run->nfound; f++)
                    if (!strcmp(run->found[f].kind, s->expect[e].kind))
                        got = run->found[f].count;
                ks[k].tp += got < s->expect[e].count ? got : s->expect[e].count;
                ks[k].fn += got < s->expect[e].count ? s->expect[e].count - got : 0;
            }
            for (int f = 0; f < run->nfound; f++) {
                long want = weft_scenario_expected(s, run->found[f].kind);
                ks[k].fp += run->found[f].count > want ? run->found[f].count - want : 0;
            }
        }
    }
    /* The last row sums them all. */
    struct weft_sclass *all = &ks[nk];
    all->name = "all";
    for (int k = 0; k < nk; k++) {
        all->scenarios += ks[k].scenarios;
        all->tp += ks[k].tp;
        all->fn += ks[k].fn;
        all->fp += ks[k].fp;
    }
    return nk + 1;
}

void weft_scenario_ratio(char *out, size_t max, long a, long b) {
    if (b == 0)
        snprintf(out, max, "-");
    else
        snprintf(out, max, "%.2f", (double)a / (double)b);
}
