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
void weft_buf_printf(struct weft_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void weft_buf_free(struct weft_buf *b);

/* Findings of one kind in one run. */
struct weft_found {
    char *kind;
    long count;
};

struct weft_srun {
    const struct weft_scenario *sc;
    int rep;            /* 0..repeat-1 */
    char dir[4096];     /* its private directory: trace.db, stdout, stderr */
    int wstatus;        /* weft run's wait status */
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
/* Writes the JUnit file path (checked before the runs): 0, or -1 after
 * one line. */
int weft_scenario_junit(const char *path, const struct weft_sresult *res, int n, double wall);

#endif
