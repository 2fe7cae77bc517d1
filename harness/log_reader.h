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

struct weft_log {
    const struct weft_log_header *hdr;
    const char *map;     /* whole file */
    size_t size;
    int mapped;          /* 1 when map is our own mmap */
    uint64_t nchunks;    /* chunks to read (claimed, capped by capacity) */
    uint64_t nrecords;   /* decoded records (OWNER records not counted) */
    uint64_t nevents;    /* the same */
    uint32_t *counts;    /* validated committed words per chunk (a live writer may add more) */
    uint64_t *first;     /* per chunk: number of records before it (nchunks + 1) */
    /* Every record, decoded, ts in ns: chunk i's nrec[i] records at
     * chunk[i] (read them with weft_log_chunk), inside one of the arrays
     * of the threads that decoded them (parts), or in a buffer of the
     * chunk's own (own[i]: begun while the process ran, log_tail.c). */
    uint64_t *nrec;
    struct weft_rec **chunk;
    struct weft_rec *parts[WEFT_LOG_READ_PARTS];
    unsigned char *own;
    char err[256];
};

/* Where decoding a chunk got to: the words done, the record before the
 * next one (time and object deltas) and the chunk's owner so far. */
struct weft_log_pos {
    uint32_t done, tid;
    struct weft_rec prev;
};

/* What the reader of a live log (log_tail.c) decoded already: per chunk,
 * its position and the records so far (ts still in TSC ticks when the
 * log says so). weft_log_open_pre takes the buffers over. */
struct weft_log_pre_chunk {
    struct weft_log_pos pos;
    struct weft_rec *recs;
    uint64_t n, cap;
};
struct weft_log_pre {
    uint64_t nchunks;
    struct weft_log_pre_chunk *c;
};

/* 0, or -1 with l->err set ("PATH: what is wrong"). */
int weft_log_open(struct weft_log *l, const char *path);
/* Same, going on from what was decoded while the process ran (pre may be
 * NULL). The result is as if the whole log were read now. */
int weft_log_open_pre(struct weft_log *l, const char *path, struct weft_log_pre *pre);
/* Decodes chunk i of a log from c up to word cnt (see log_reader.c). */
int64_t weft__log_walk(const struct weft_log_header *h, const char *map, const char *name,
                       uint64_t i, uint32_t cnt, struct weft_log_pos *c, struct weft_rec *out,
                       char *err, size_t errlen);
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
