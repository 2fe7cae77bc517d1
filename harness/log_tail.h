/* log_tail.h: decoding a run's raw logs while the traced programs still
 * run (log_tail.c), for `weft run`: at the end only the tail is left. */
#ifndef WEFT_HARNESS_LOG_TAIL_H
#define WEFT_HARNESS_LOG_TAIL_H

#include "log_reader.h"

struct weft_tail;

/* Starts reading every log that appears in dir ("log*"); NULL when out of
 * memory (then nothing is read early: the ingest reads it all). */
struct weft_tail *weft_tail_start(const char *dir);
/* Once the traced processes are gone: stops reading. */
void weft_tail_stop(struct weft_tail *t);
/* After stop: what was decoded of the log at path (NULL: nothing), for
 * weft_log_open_pre, which takes its buffers over. */
struct weft_log_pre *weft_tail_take(struct weft_tail *t, const char *path);
/* Stops if needed, and frees what nobody took. */
void weft_tail_free(struct weft_tail *t);

#endif
