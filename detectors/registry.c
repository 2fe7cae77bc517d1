/* SPDX-License-Identifier: MIT */
/* registry.c: the one table of detector families, run in this order by
 * engine.c. A new family is a d_*.c unit exporting one weft__detector and
 * a line here (and its kinds in kinds.c and docs/detectors.md). */
#include "internal.h"

extern const struct weft__detector weft__det_threads, weft__det_chan, weft__det_wg, weft__det_locks,
    weft__det_sem, weft__det_deadlock, weft__det_args, weft__det_lockorder;

const struct weft__detector *const weft__detectors[] = {
    &weft__det_threads,  /* leaked-thread, unjoined-thread, unbounded-threads */
    &weft__det_chan,     /* double-close, send-on-closed, close-by-receiver */
    &weft__det_wg,       /* wg-add-concurrent-with-wait, wg-negative-counter,
                            wg-reused-before-wait-returned */
    &weft__det_locks,    /* lock-held-at-exit */
    &weft__det_sem,      /* semaphore-over-release */
    &weft__det_deadlock, /* deadlock */
    &weft__det_args,     /* loop-variable-capture */
    &weft__det_lockorder /* lock-order-inversion */
};
const int weft__ndetectors = sizeof weft__detectors / sizeof weft__detectors[0];
_Static_assert(sizeof weft__detectors / sizeof weft__detectors[0] <= WEFT__MAX_DETECTORS,
               "raise WEFT__MAX_DETECTORS");
