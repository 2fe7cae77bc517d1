/* log_reader.h: reading and validating a raw log (log.h) after the fact.
 * Used by ingest and by the tests; never by the shim. A log is untrusted
 * input: weft_log_open validates all of it before anyone reads a record,
 * and reports the first problem in one line. */
#ifndef WEFT_HARNESS_LOG_READER_H
#define WEFT_HARNESS_LOG_READER_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define WEFT_LOG_READ_PARTS 4
#define WEFT_LOG_ERR 256 /* bytes of an error message */

struct weft_log {
    const struct weft_log_header *hdr;
    const char *map;     /* whole file */
    size_t size;
    int mapped;          /* 1 when map is our own mmap */
    uint64_t nchunks;    /* chunks to read (claimed, capped by capacity) */
    uint64_t nevents;    /* decoded records (OWNER records not counted) */
    uint32_t *counts;    /* validated committed words per chunk (a live writer may add more) */
    uint64_t *first;     /* per chunk: number of records before it (nchunks + 1) */
    /* Every record, decoded, chunk by chunk, ts in ns, in up to
     * WEFT_LOG_READ_PARTS arrays (decoded by as many threads): chunk i's
     * are in parts[part_of[i]], part k's first being record part_base[k].
     * Read them with weft_log_chunk. */
    struct weft_rec *parts[WEFT_LOG_READ_PARTS];
    uint64_t part_base[WEFT_LOG_READ_PARTS];
    unsigned char *part_of;
    char err[WEFT_LOG_ERR];
};

/* 0, or -1 with l->err set ("PATH: what is wrong"). */
int weft_log_open(struct weft_log *l, const char *path);
/* Same validation over a buffer the caller keeps alive (tests, fuzzing). */
int weft_log_open_mem(struct weft_log *l, const void *buf, size_t size, const char *name);
void weft_log_close(struct weft_log *l);

/* The decoded records of chunk i, and their number (a thread's records
 * within a chunk are in order; OWNER records are consumed). */
const struct weft_rec *weft_log_chunk(const struct weft_log *l, uint64_t i, uint32_t *n);

/* Kind name and family for a kind number, or NULL when unknown. */
const char *weft_kind_name(unsigned kind);
const char *weft_kind_family(unsigned kind);
int weft_kind_blocking(unsigned kind);

#endif
