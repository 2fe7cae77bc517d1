/* SPDX-License-Identifier: MIT */
/* steps.h: where and when each stack of a finding happened: the thread
 * that made the call the stack was taken at, and the time of that event,
 * so that a report can tell a finding's story thread by thread and in the
 * order it happened (SARIF's code flows). steps.c says how a stack is
 * matched to its event. */
#ifndef WEFT_REPORTS_STEPS_H
#define WEFT_REPORTS_STEPS_H

#include <stdint.h>

#include "report.h"

struct weft_rstep {
    int finding;    /* index into weft_report.findings */
    int stack;      /* index into that finding's stacks */
    int64_t thread; /* threads.id of the thread that made the call; 0: not known */
    int64_t ts;     /* its time (the finding's when the event is not found) */
};

/* The steps of the n findings listed in which[] (indexes), in that order
 * and each finding's in its stacks' order: sum of their nstacks entries,
 * malloc'ed (free it), *nout set. NULL after one line on stderr. */
struct weft_rstep *weft_report_steps(const struct weft_report *r, const int *which, int n,
                                     int *nout);

#endif
