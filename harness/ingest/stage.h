/* SPDX-License-Identifier: MIT */
/* stage.h: the logs' staging slots from weft's side (log.h, "Staging
 * slots"): the copier that `weft run` runs beside the program, and the
 * heal that completes a log whose copier was killed. */
#ifndef WEFT_HARNESS_STAGE_H
#define WEFT_HARNESS_STAGE_H

#include <stddef.h>
#include <stdint.h>

struct weft_stager;

/* Starts a thread that attaches to every log named log* that appears in
 * dir (the program's processes make them) and copies their slots to
 * their chunks as they fill. NULL when it cannot start (the program's
 * threads then write their chunks in place, as without it). */
struct weft_stager *weft_stager_start(const char *dir);
/* What a stager did (for WEFT_INGEST_PROFILE and the tests). */
struct weft_stage_stats {
    uint64_t logs;   /* logs attached */
    uint64_t chunks; /* slots freed: chunks copied whole */
    uint64_t words;  /* words written to chunks */
    uint64_t errors; /* logs detached after a failed write (a full disk) */
};
/* After the program: detaches from every log (its processes, if any
 * still run, claim in place from then on), copies what every slot holds,
 * says what it did in *out (when not NULL) and frees the stager. NULL is
 * a no-op. */
void weft_stager_stop(struct weft_stager *s, struct weft_stage_stats *out);

/* Before a log at path is read: what its slots hold that their chunks do
 * not yet is written there, when no copier is alive to do it (one was
 * killed, or its log outlived it). Returns the chunks completed, 0 when
 * there was nothing to do, -1 with err set when some could not be (a
 * read-only file, a full disk): *unhealed says how many, whose records
 * are then missing from the trace, which must say so. */
int weft__log_heal(const char *path, uint64_t *unhealed, char *err, size_t errlen);

#endif
