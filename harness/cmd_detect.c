/* cmd_detect.c: how the weft command runs the detectors at the end of an
 * ingest: over the events ingest still holds in memory, before the
 * database is closed, so that a big trace is not read back. */
#include "detectors.h"
#include "weft.h"

int weft_detect_hook(sqlite3 *db, weft_event_next next, void *src, void *user) {
    struct weft_detect_hook *h = user;
    /* A failure of the detectors (already reported in one line) leaves
     * the trace itself good: the ingest goes on. */
    h->ok = weft_detect_events(db, h->opts, h->res, next, src) == 0;
    return 0;
}
