/* SPDX-License-Identifier: MIT */
/* scenario_manifest.h: the scenarios' manifest (scenarios/manifest) read
 * into memory: one record per scenario, with what it must and must not be
 * found to do. The format is defined at the top of the manifest itself;
 * scenario_manifest.c reads it. */
#ifndef WEFT_HARNESS_SCENARIO_MANIFEST_H
#define WEFT_HARNESS_SCENARIO_MANIFEST_H

#include <stddef.h>

struct weft_expect {
    char *kind;
    long count;
};
struct weft_expect_line {
    char *kind;
    char *source; /* a path suffix: "pitfalls/double_close.c" or "double_close.c" */
    long line;
};
struct weft_scenario {
    char *name, *family, *klass, *seed, *fix_of, *summary, *explain;
    char **args; /* split on spaces */
    int nargs;
    struct weft_expect *expect;
    int nexpect;
    struct weft_expect_line *lines;
    int nlines;
    char **output; /* expected stdout lines, in order */
    int noutput;
    int has_output; /* 0: stdout is not compared */
    int status;     /* expected exit status */
    long timeout;   /* seconds (timeout:), default WEFT_SCENARIO_TIMEOUT */
    char *known;    /* known: a gap of weft's this scenario shows (it is
                       expected to mismatch, and to pass is then an error) */
    int where;      /* the line of its scenario: key, for messages */
};
#define WEFT_SCENARIO_TIMEOUT 120

struct weft_manifest {
    struct weft_scenario *s;
    int n;
};

/* Reads path; 0, or -1 after one line "PATH:LINE: what is wrong" (via
 * weft_err, naming cmd). */
int weft_manifest_read(const char *cmd, const char *path, struct weft_manifest *m);
void weft_manifest_free(struct weft_manifest *m);
/* The scenario named name, or NULL. */
const struct weft_scenario *weft_manifest_find(const struct weft_manifest *m, const char *name);
/* The expected count of kind in s (0 if not listed). */
long weft_scenario_expected(const struct weft_scenario *s, const char *kind);

#endif
