/* SPDX-License-Identifier: MIT */
/* log_reader.h: reading and validating a raw log (log.h) after the fact.
 * Used by ingest and by the tests; never by the shim. A log is untrusted
 * input: weft_log_open validates all of it before anyone reads a record.
 * A log whose header is bad is refused with one line; a chunk that is
 * damaged, not written (a hole) or cut off is skipped and counted, and the
 * other chunks are kept: a partial trace beats none. The file is read
 * with pread, never mapped, so that a hole or a file that shrinks under
 * us reads as zeros or ends early instead of raising SIGBUS. */
#ifndef WEFT_HARNESS_LOG_READER_H
#define WEFT_HARNESS_LOG_READER_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define WEFT_LOG_READ_PARTS 4
#define WEFT_LOG_ERR 256 /* bytes of an error message */

struct weft_log {
    const struct weft_log_header *hdr;
    const char *map; /* header + the chunks read (a copy, or the caller's buffer) */
    size_t size;
    int owned;        /* 1 when map is our own buffer */
    uint64_t nchunks; /* chunks read (claimed, capped by capacity and by the file) */
    /* What could not be read (the rest was): */
    uint64_t bad_chunks;          /* failed validation: skipped whole */
    uint64_t unwritten_chunks;    /* claimed, but their header is all zeros (a hole, a write
                                   * that never reached the file) */
    uint64_t missing_chunks;      /* claimed, but past the end of the file (truncated) */
    char chunk_err[WEFT_LOG_ERR]; /* the first bad chunk's problem ("" when none) */
    uint64_t nevents;             /* decoded records (OWNER records not counted) */
    uint32_t *counts; /* validated committed words per chunk (a live writer may add more) */
    uint64_t *first;  /* per chunk: number of records before it (nchunks + 1) */
    /* Every record, decoded, chunk by chunk, ts in ns, in up to
     * WEFT_LOG_READ_PARTS arrays (decoded by as many threads): chunk i's
     * are in parts[part_of[i]], part k's first being record part_base[k].
     * Read them with weft_log_chunk. */
    struct weft_rec *parts[WEFT_LOG_READ_PARTS];
    uint64_t part_base[WEFT_LOG_READ_PARTS];
    unsigned char *part_of;
    char err[WEFT_LOG_ERR];
};

/* 0, or -1 with l->err set ("PATH: what is wrong") when the file is no
 * readable weft log at all (no header, bad magic or sizes). Damaged or
 * missing chunks do not fail the open: see bad_chunks and the others. */
int weft_log_open(struct weft_log *l, const char *path);
/* Same validation over a buffer the caller keeps alive (tests, fuzzing). */
int weft_log_open_mem(struct weft_log *l, const void *buf, size_t size, const char *name);
void weft_log_close(struct weft_log *l);

/* The decoded records of chunk i, and their number (a thread's records
 * within a chunk are in order; OWNER records are consumed). */
const struct weft_rec *weft_log_chunk(const struct weft_log *l, uint64_t i, uint32_t *n);

/* The header checks shared with the streaming reader (stream.c): 0, or
 * -1 with err (WEFT_LOG_ERR bytes) set. size: the bytes there are. */
int weft__log_header_ok(const struct weft_log_header *h, size_t size, const char *name, char *err);
/* d ticks at rate ns a tick, in ns, clamped (a damaged rate or time can
 * make any double, and converting one out of range is undefined). */
int64_t weft__log_scaled(int64_t d, double rate);

/* Kind name and family for a kind number, or NULL when unknown. */
const char *weft_kind_name(unsigned kind);
const char *weft_kind_family(unsigned kind);
int weft_kind_blocking(unsigned kind);

#endif
