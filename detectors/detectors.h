/* detectors.h: the detectors as the `weft` command sees them: run every
 * detector over a trace database (filling its findings table), load
 * suppressions, print findings as text or JSON. */
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
};

struct weft_detect_result {
    int findings, errors, warnings, suppressed;
    double seconds;
    unsigned long long events;
};

/* Runs every detector over the database (opened read-write), replacing
 * its findings. 0, or -1 after one line on stderr. */
int weft_detect(sqlite3 *db, const struct weft_detect_opts *o, struct weft_detect_result *r);
/* Same over events handed in by ingest from memory (struct
 * weft_trace_event, weft.h), in trace order, as stored in the database:
 * what `weft run` and `weft ingest` do, saving a re-read of the events. */
struct weft_trace_event;
int weft_detect_events(sqlite3 *db, const struct weft_detect_opts *o,
                       struct weft_detect_result *r,
                       int (*next)(void *src, struct weft_trace_event *e), void *src);
/* Same, opening the file itself. */
int weft_detect_file(const char *path, const struct weft_detect_opts *o,
                     struct weft_detect_result *r);

/* Suppressions: "kind:pattern" lines, '#' comments (docs/detectors.md).
 * NULL after one line on stderr when the file is bad. */
struct weft_supp_list *weft_supp_load(const char *path);
void weft_supp_free(struct weft_supp_list *s);

/* The findings of a database as the text summary (==weft== blocks, the
 * "trace incomplete" and untraced-exec lines, a count line at the end) and as the members of the JSON "findings" array
 * (*first: no comma before the first one yet). */
void weft_findings_text(sqlite3 *db, FILE *f);
int weft_findings_json(sqlite3 *db, FILE *f, int *first);
/* The rows of `losses` as members of the JSON "losses" array (same
 * convention), for `weft report --format=json`. */
int weft_losses_json(sqlite3 *db, FILE *f, int *first);

#endif
