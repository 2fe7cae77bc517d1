/* SPDX-License-Identifier: MIT */
/* perfetto.h: `weft report --format=perfetto`: trace databases as Chrome
 * trace-event JSON (what ui.perfetto.dev and chrome://tracing open),
 * drawn from the timeline model (timeline.h). */
#ifndef WEFT_REPORTS_PERFETTO_H
#define WEFT_REPORTS_PERFETTO_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

struct weft_perfetto_opts {
    long long from_ms, to_ms; /* the window, ms from each trace's start; -1: open */
    long long max_events;     /* the cap on items (slices, instants, flows, samples); 0: none */
};

/* The default cap: a million items make a file of about 150 MB, which
 * ui.perfetto.dev still opens. */
#define WEFT_PERFETTO_MAX_EVENTS 1000000LL

/* Writes the JSON of the ndb traces (paths name them) to f. 0, or -1
 * after one weft_err line. */
int weft_report_perfetto(FILE *f, sqlite3 **db, char **paths, int ndb,
                         const struct weft_perfetto_opts *o);

#endif
