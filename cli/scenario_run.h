/* SPDX-License-Identifier: MIT */
/* scenario_run.h: what the parts of `weft scenarios run` share: one run
 * of one scenario (cmd_scenarios.c starts and times it), its comparison
 * with the manifest (scenario_check.c) and the JUnit file
 * (scenario_junit.c). */
#ifndef WEFT_HARNESS_SCENARIO_RUN_H
#define WEFT_HARNESS_SCENARIO_RUN_H

#include <stdio.h>

#include "scenario_manifest.h"

/* A growing string (the reasons of a mismatch, the findings found). */
struct weft_buf {
    char *s;
    size_t len, cap;
};
void weft_buf_printf(struct weft_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void weft_buf_free(struct weft_buf *b);

/* Findings of one kind in one run. */
struct weft_found {
    char *kind;
    long count;
};

struct weft_srun {
    const struct weft_scenario *sc;
    int rep;        /* 0..repeat-1 */
    char dir[4096]; /* its private directory: trace.db, stdout, stderr */
    int wstatus;    /* weft run's wait status */
    int timed_out;
    double secs;
    /* filled by weft_scenario_check: */
    int pass;
    struct weft_found *found;
    int nfound;
    struct weft_buf why;      /* one mismatch a line; empty when it passed */
    struct weft_buf findings; /* "kind: func file:line; ..." one finding a line */
};

/* Compares a finished run with its scenario's manifest record: fills
 * pass, found, why and findings. */
void weft_scenario_check(struct weft_srun *r);
void weft_srun_free(struct weft_srun *r);

/* Per scenario, over its runs (repeat of them). */
struct weft_sresult {
    const struct weft_scenario *sc;
    struct weft_srun *runs; /* repeat of them */
    int nruns, failed;
    double secs; /* summed */
};
/* scenario_score.c: a scenario's expected and found findings in one
 * line ("kind=N,..." or "none"), the run shown for it (its first failing
 * run, else its first), its verdict ("pass", "FAIL", "FAIL 2/5",
 * "known"), and the scoreboard: one row per class in order of first
 * appearance, then a row "all" summing them, into *out (freed by the
 * caller); their number (classes + 1), or -1. weft_scenario_ratio: a/b
 * as "0.95", or "-" when b is 0 (precision, recall). */
void weft_scenario_expected_str(const struct weft_scenario *s, char *out, size_t max);
void weft_scenario_found_str(const struct weft_srun *r, char *out, size_t max);
const struct weft_srun *weft_scenario_shown_run(const struct weft_sresult *r);
void weft_scenario_verdict(const struct weft_sresult *r, char *out, size_t max);
struct weft_sclass {
    const char *name;
    int scenarios;
    long tp, fn, fp;
};
int weft_scenario_score(const struct weft_sresult *res, int n, struct weft_sclass **out);
void weft_scenario_ratio(char *out, size_t max, long a, long b);

/* scenario_html.c: the HTML report of each scenario's shown run (its
 * trace must still be there) as DIR/NAME.html and DIR/index.html linking
 * them with verdicts and the scoreboard. DIR exists (checked before the
 * runs). 0, or -1 after one line per failure. */
int weft_scenario_html(const char *dir, const struct weft_sresult *res, int n, int repeat,
                       double wall);

/* Writes the JUnit file path (checked before the runs): 0, or -1 after
 * one line. */
int weft_scenario_junit(const char *path, const struct weft_sresult *res, int n, double wall);

#endif
