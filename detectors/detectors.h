/* SPDX-License-Identifier: MIT */
/* detectors.h: the detectors as the `weft` command sees them: run every
 * detector over a trace database (filling its findings table), load
 * suppressions, the catalogue of finding kinds. */
#ifndef WEFT_DETECTORS_H
#define WEFT_DETECTORS_H

#include <sqlite3.h>
#include <stdio.h>

struct weft_supp_list; /* parsed suppressions file */

struct weft_db_guard; /* weft.h: sharing the connection with a writer */

struct weft_detect_opts {
    const struct weft_supp_list *supp; /* may be NULL */
    int max_threads;                   /* unbounded-threads threshold; 0: default 1000 */
    const struct weft_db_guard *guard; /* NULL: the connection is ours alone */
    int no_default_supp;               /* 1: without weft's default suppressions */
};

struct weft_detect_result {
    int findings, errors, warnings, suppressed;
    int suppressed_default; /* of them, by weft's default suppressions */
    double seconds;
    unsigned long long events;
};

/* Runs every detector over the database (opened read-write), replacing
 * its findings. 0, or -1 after one line on stderr. */
int weft_detect(sqlite3 *db, const struct weft_detect_opts *o, struct weft_detect_result *r);
/* Same over the ingest's stream (struct weft_trace_item, weft.h: the
 * shape, then every event in trace order with the rows of the threads
 * and objects it changed), as the ingest loads the database beside it:
 * what `weft run` and `weft ingest` do, in one pass over the trace. The
 * detectors read the database only once the stream has ended (the
 * processes, the frames for the suppressions, the deadlock waits). */
struct weft_trace_item;
int weft_detect_events(sqlite3 *db, const struct weft_detect_opts *o, struct weft_detect_result *r,
                       int (*next)(void *src, const struct weft_trace_item **it), void *src);
/* Same, opening the file itself. */
int weft_detect_file(const char *path, const struct weft_detect_opts *o,
                     struct weft_detect_result *r);

/* The finding kinds (kinds.c): every kind a detector reports, with the
 * words reports show. precision: "exact" (happens-before, or an error the
 * call returned) or "heuristic". */
struct weft_kind_info {
    const char *name, *severity, *precision, *title, *explain, *fix;
};
const struct weft_kind_info *weft_kinds(int *n);
const struct weft_kind_info *weft_kind_info(const char *name); /* NULL: unknown */

/* Suppressions: "kind:pattern" lines, '#' comments (docs/detectors.md).
 * NULL after one line on stderr when the file is bad. */
struct weft_supp_list *weft_supp_load(const char *path);
void weft_supp_free(struct weft_supp_list *s);

#endif
