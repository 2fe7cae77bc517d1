/* ingest_sort.h: the records of a trace in global order, for ingest.c:
 * an item per record with its sort key inline (time, then the process's
 * rank by pid, then the thread), and the sort itself (ingest_sort.c). */
#ifndef WEFT_HARNESS_INGEST_SORT_H
#define WEFT_HARNESS_INGEST_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* A record in the global order. Comparing never reaches into the records
 * (millions of them do not fit any cache). */
struct item {
    uint64_t ts;
    uint64_t who; /* the process's rank by pid << 32 | tid */
    const struct weft_rec *r;
    uint32_t proc;
};

/* Sorts items[0..n) by (ts, who) into tmp (room for n items), or in
 * place when tmp is NULL; returns the array that holds the result. */
struct item *weft__sort_items(struct item *items, size_t n, struct item *tmp);

#endif
