/* SPDX-License-Identifier: MIT */
/* stream.h: the records of a trace's logs, one at a time, in global order
 * (time, then process rank, then thread), in memory bounded by what is in
 * flight rather than by the size of the logs.
 *
 * A log is opened in two passes over its file: the chunk headers (the
 * TSC calibration pairs, which chunks hold records), then each chunk's
 * records, validated and cut into runs: the records of one thread, in
 * time order, inside one chunk. The second pass runs on up to 4
 * threads (WEFT_INGEST_THREADS caps them), each over a range of chunks,
 * and their runs are joined in chunk order: the result is one thread's.
 * Only the runs are kept (a few per chunk), never the records. The merge
 * then reads each run's words from the file when the global order
 * reaches it and decodes one record at a time: what it holds is one
 * buffer per run in flight, about as many as threads ran at once.
 * Records of equal time come out by process rank, thread, log, chunk and
 * position: one total order, the same on every read.
 *
 * The file is read with pread, never mapped: a hole reads as zeros and a
 * file that shrinks as a short read (then a counted loss), where a
 * mapping would raise SIGBUS. A damaged chunk is skipped whole and
 * counted; the others are kept. */
#ifndef WEFT_INGEST_STREAM_H
#define WEFT_INGEST_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "log_reader.h"

/* A run: records [word, end) of one chunk, all of thread tid, in time
 * order; the decoder's state before its first record (records are delta
 * coded against the one before them). */
struct weft__run {
    uint64_t chunk;
    uint64_t first_ts;          /* its first record's time, in ns */
    uint64_t prev_ts, prev_obj; /* raw, as the decoder needs them */
    uint32_t word, end, tid, nrecs;
};

struct weft_slog {
    struct weft_log_header hdr; /* a copy, read once at open */
    const char *name;
    int fd;                   /* -1: mem */
    const unsigned char *mem; /* weft_slog_open_mem's buffer */
    size_t size;              /* bytes of the file (or buffer) at open */
    uint64_t nchunks;         /* chunks read (claimed, capped by capacity and by the file) */
    uint64_t bad_chunks, unwritten_chunks, missing_chunks; /* as struct weft_log's */
    char chunk_err[WEFT_LOG_ERR];
    uint64_t nevents; /* records (OWNER records not counted) */
    double rate;      /* ns per TSC tick (0: records carry ns) */
    struct weft__run *runs;
    size_t nruns, capruns;
    char err[WEFT_LOG_ERR];
};

/* 0, or -1 with l->err set ("PATH: what is wrong") when the file is no
 * readable weft log at all. Damaged or missing chunks do not fail it. */
int weft_slog_open(struct weft_slog *l, const char *path);
/* The same over a buffer the caller keeps alive (tests, fuzzing); times
 * stay raw, as weft_log_open_mem leaves them. */
int weft_slog_open_mem(struct weft_slog *l, const void *buf, size_t size, const char *name);
void weft_slog_close(struct weft_slog *l);

/* The merge over n open logs; rank[i] orders log i's records among equal
 * times (the process's rank by pid). NULL when out of memory. */
struct weft_merge;
struct weft_merge *weft_merge_new(struct weft_slog *const *logs, const uint32_t *rank, int n);
/* The next record: 1 with *r (r->data points into a buffer that stays
 * valid until the next call) and *log, the index of its log; 0 at the
 * end; -1 when a run could not be read again (out of memory, or the file
 * changed under us: m's err says so; the records after it are lost). */
int weft_merge_next(struct weft_merge *m, struct weft_rec *r, uint32_t *log);
const char *weft_merge_err(const struct weft_merge *m);
void weft_merge_free(struct weft_merge *m);

#endif
