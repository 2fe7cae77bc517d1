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

/* Kind name and family for a kind number, or NULL when unknown; whether
 * it begins (1) or ends (2) a blocking call. Inline over log_reader.c's
 * table (log.h's kinds): every record's walk and pass asks. */
struct weft__kind_row {
    const char *name, *family;
    int blocking;
};
extern const struct weft__kind_row weft__kinds[WEFT_K_MAX];
static inline const char *weft_kind_name(unsigned kind) {
    return kind < WEFT_K_MAX ? weft__kinds[kind].name : NULL;
}
static inline const char *weft_kind_family(unsigned kind) {
    return kind < WEFT_K_MAX ? weft__kinds[kind].family : NULL;
}
static inline int weft_kind_blocking(unsigned kind) {
    return kind < WEFT_K_MAX ? weft__kinds[kind].blocking : 0;
}

/* ---- What both readers share ----
 * This whole reader and the streaming one (stream.c) check a log with
 * the same functions, so that they keep and refuse the same chunks and
 * records, and give the same times. */

/* The header's checks: 0, or -1 with err (WEFT_LOG_ERR bytes) set. size:
 * the bytes there are. */
int weft__log_header_ok(const struct weft_log_header *h, size_t size, const char *name, char *err);
/* Chunk i's header, with its committed count read once by the caller: 1
 * when it holds records, 0 when it holds none (*unwritten set when it
 * was never written: a hole, a write that never reached the file), -1
 * when it is damaged (err set). */
int weft__log_chunk_ok(const struct weft_log_chunk *c, uint32_t committed, uint64_t i,
                       const char *name, char *err, int *unwritten);
/* The TSC rate (ns per tick) from the calibration pair farthest from the
 * start: the end pair, or the last claim of a chunk that holds records
 * (counts[i] > 0); chunk i's header is at chunk0 + i * stride. 0 when
 * the records carry ns already. */
double weft__log_tsc_rate(const struct weft_log_header *h, const unsigned char *chunk0,
                          size_t stride, const uint32_t *counts, uint64_t n);
/* How many threads read a log of n chunks in parts: one per per_part
 * chunks, at most max, the CPUs there are and WEFT_INGEST_THREADS (a cap,
 * for tests that compare a split read with one thread). */
int weft__log_nparts(uint64_t n, uint64_t per_part, int max);
/* Up to n bytes at off, going on after short reads and EINTR: the bytes
 * read (fewer at the end of the file, or on an error). */
size_t weft__log_pread(int fd, void *buf, size_t n, uint64_t off);
/* Sets err for a record that fails the checks below; returns 0. */
uint32_t weft__log_bad_record(char *err, const char *name, uint64_t chunk, uint32_t word,
                              const struct weft_rec *r, uint32_t max_tid, int why);

/* d ticks at rate ns a tick, in ns, clamped (a damaged rate or time can
 * make any double, and converting one out of range is undefined). Inline:
 * the merge converts every record's time. */
static inline int64_t weft__log_scaled(int64_t d, double rate) {
    double x = (double)d * rate;
    if (!(x > -9.2e18))
        return x != x ? 0 : INT64_MIN; /* NaN: 0 */
    return x < 9.2e18 ? (int64_t)x : INT64_MAX;
}

/* A record's time in CLOCK_MONOTONIC ns (TSC ticks converted at rate),
 * bounded at WEFT_TS_MAX: a later time is a damaged record's, and bounded
 * differences of two times never overflow downstream. */
static inline uint64_t weft__log_ns(const struct weft_log_header *h, double rate, uint64_t ts) {
    if (rate > 0)
        ts = h->start_mono_ns + (uint64_t)weft__log_scaled((int64_t)(ts - h->start_tsc), rate);
    return ts > WEFT_TS_MAX ? WEFT_TS_MAX : ts;
}

/* One record of a chunk's walk, checked: decodes w[k] (cnt words in the
 * chunk) after prev, follows OWNER records in *tid (max_tid: the
 * header's count). Returns the words it takes, with *r set (r->tid the
 * owner's); 0 when the chunk is damaged there, with err set. */
static inline uint32_t weft__log_step(const uint64_t *w, uint32_t k, uint32_t cnt,
                                      const struct weft_rec *prev, struct weft_rec *r,
                                      uint32_t *tid, uint32_t max_tid, uint64_t chunk,
                                      const char *name, char *err) {
    uint32_t used = weft_log_decode(w + k, k, cnt - k, prev, r);
    int why = !used                                                           ? 1
              : !weft_kind_name(r->kind) || r->kind == WEFT_K_MUTEX_RELOCKS   ? 2
              : r->kind == WEFT_K_MUTEX_RUN && r->dlen != 16 * WEFT_RUN_SLOTS ? 5
              : r->kind != WEFT_K_OWNER                                       ? (*tid ? 0 : 4)
              : r->arg == 0 || r->arg > max_tid || !(r->fields & WEFT_W_TS)   ? 3
                                                                              : 0;
    if (why)
        return weft__log_bad_record(err, name, chunk, k, r, max_tid, why);
    if (r->kind == WEFT_K_OWNER)
        *tid = (uint32_t)r->arg;
    r->tid = *tid;
    return used;
}

#endif
