/* SPDX-License-Identifier: MIT */
/* cmd_detect.c: how the weft command runs the detectors in an ingest:
 * over the events ingest holds in memory, on a thread of their own while
 * those events are loaded into the database, so that a big trace is
 * neither read back nor waited for twice. */
#include "cli.h"
#include "detectors.h"

int weft_detect_hook(sqlite3 *db, const struct weft_db_guard *guard, weft_event_next next,
                     void *src, void *user) {
    struct weft_detect_hook *h = user;
    struct weft_detect_opts o = *h->opts;
    o.guard = guard;
    /* A failure of the detectors (already reported in one line) leaves
     * the trace itself good: the ingest goes on. */
    h->ok = weft_detect_events(db, &o, h->res, next, src) == 0;
    return 0;
}

void weft_say_suppressed(const struct weft_detect_result *r) {
    if (!r->suppressed)
        return;
    if (!r->suppressed_default)
        fprintf(stderr, "==weft== %d suppressed\n", r->suppressed);
    else
        fprintf(stderr,
                "==weft== %d suppressed (%d by weft's default suppressions; "
                "--no-default-suppressions shows them)\n",
                r->suppressed, r->suppressed_default);
}
