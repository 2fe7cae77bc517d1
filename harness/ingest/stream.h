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
    uint64_t first_tie;         /* its place among equal ns (stream.c's tie_of) */
    uint64_t prev_ts, prev_obj; /* raw, as the decoder needs them */
    uint32_t word, end, tid, nrecs;
    uint32_t relocks; /* its records flagged WEFT_H_RELOCK: the merge folds pairs only with two */
    uint32_t lo;      /* its first word, or the first anchor before it its records name (log.h) */
};

/* Words [from, to) of a chunk, consumed by an ingest that was stopped
 * (weft_merge_consumed, weft_slog_resume). */
struct weft__skip {
    uint64_t chunk;
    uint32_t from, to;
};

/* A relock run (log.h, WEFT_K_MUTEX_RUN) that a live reading took as
 * final by the clock alone: where its slots are in the file, and what
 * they said then (stream.c, run_final). */
struct weft__lrun {
    uint64_t chunk, off;
    uint32_t end; /* the word after the run in its chunk */
    unsigned char slots[16 * WEFT_RUN_SLOTS];
};

struct weft_slog {
    struct weft_log_header hdr; /* a copy, read once at open */
    const char *name;
    int fd;                   /* -1: mem */
    const unsigned char *mem; /* weft_slog_open_mem's buffer */
    size_t size;              /* bytes of the file (or buffer) at open */
    uint64_t nchunks;         /* chunks read (claimed, capped by capacity and by the file) */
    uint64_t bad_chunks, unwritten_chunks, missing_chunks; /* as struct weft_log's */
    uint64_t trailing_unwritten; /* of the unwritten, those after the last written chunk */
    /* chunks a live ingest consumed and gave back (its consumed file says
     * which): not read, not counted as unwritten (weft_slog_open) */
    uint64_t consumed_chunks;
    /* chunks staged in the log's slots (log.h) that could not be
     * completed before the reading (stage.c, weft__log_heal), and why */
    uint64_t unhealed_chunks;
    char heal_err[WEFT_LOG_ERR];
    char chunk_err[WEFT_LOG_ERR];
    uint64_t nevents; /* records (OWNER records not counted) */
    uint64_t backs;   /* records that name an anchor (log.h, WEFT_H_BACK) */
    double rate;      /* ns per TSC tick (0: records carry ns) */
    struct weft__run *runs;
    size_t nruns, capruns;
    char err[WEFT_LOG_ERR];
    /* Live reading (weft_slog_open_live): the log is read again and again
     * while its process writes it; per chunk, how far it was walked and
     * the walk's state there, so that each refresh cuts only the words
     * committed since into new runs. */
    int live;
    struct weft__lchunk *lc; /* nchunks of them */
    uint64_t caplc;
    uint64_t punched; /* chunks given back (weft_slog_punch): consumed, not lost */
    struct weft__ltid {
        uint64_t chunk1, ts; /* the chunk of the thread's latest OWNER record + 1, its time */
    } * tids;
    uint32_t captid;
    int ended;         /* set by the caller: the process wrote its last record */
    int ready;         /* its TSC rate is fixed: its records are cut into runs */
    uint64_t calib_ns; /* the calibration span that fixes the rate (open: 1 s) */
    const char *path;  /* for the punching fd */
    int punch_dry;     /* tests: given back in name only (said consumed, not punched) */
    /* Resumed (weft_slog_resume): the records consumed already, sorted
     * by chunk and word; the chunks given back, one flag each. */
    struct weft__skip *skip;
    size_t nskip;
    unsigned char *gone;
    uint64_t ngone;
    /* The runs taken by the clock alone, until they are final for sure;
     * then the locks and unlocks their writer still stored into them
     * after (a thread held longer than the clock rule allows: log.h),
     * which no record can carry any more: a loss (late-relocks). */
    struct weft__lrun *lruns;
    size_t nlruns, caplruns;
    uint64_t late_relocks;
};

/* A chunk of a live log: the words walked so far and the walk's state
 * after them (the owner, the decoder's previous record). */
struct weft__lchunk {
    uint32_t seen, tid;
    uint64_t prev_ts, prev_obj;
    uint32_t pending; /* its runs the merge has not read to their end */
    int bad, punched;
    int sealed; /* its header says no word will follow (stage.c) */
};

/* 0, or -1 with l->err set ("PATH: what is wrong") when the file is no
 * readable weft log at all. Damaged or missing chunks do not fail it. */
int weft_slog_open(struct weft_slog *l, const char *path);
/* The same over a buffer the caller keeps alive (tests, fuzzing); times
 * stay raw, as weft_log_open_mem leaves them. */
int weft_slog_open_mem(struct weft_slog *l, const void *buf, size_t size, const char *name);
void weft_slog_close(struct weft_slog *l);

/* A log still being written: the header checked, no chunk read yet. Each
 * weft_slog_refresh then reads the header again, polls the chunk headers
 * and cuts the words committed since the last refresh into new runs
 * (appended to l->runs; a new run starts at every refresh, which changes
 * nothing of the merge's order). Times are converted at the TSC rate
 * known at the refresh. 0, or -1 with l->err. */
int weft_slog_open_live(struct weft_slog *l, const char *path);
/* 0, or -1 when out of memory (l->err). Damaged chunks are counted as at
 * open and stop being read. */
int weft_slog_refresh(struct weft_slog *l);
/* l->ready: 0 while a live log's records wait for its TSC rate to be
 * known well enough (a second of calibration, or the process's end):
 * none of its records is handed out before, so a caller's watermark must
 * stay below the log's start (hdr.start_mono_ns) until then. */
/* Gives the chunks that are wholly consumed (closed: their writer moved
 * on, or the process ended; every run of theirs read to its end by the
 * merge) back to the file system: fallocate(PUNCH_HOLE | KEEP_SIZE)
 * through a writable fd opened for it. They read as consumed from then
 * on, never as damage. Only for a caller whose use of every record handed
 * out so far is durable. Returns the chunks punched by this call. */
uint64_t weft_slog_punch(struct weft_slog *l);
/* Before punching, weft_slog_punch appends each range to the log's
 * consumed file: "consumed.NAME" beside log NAME, lines "FIRST PAST" of
 * chunks [FIRST, PAST). An ingest of the log after a live ingest that
 * did not finish (weft killed) reads it, and counts those chunks as
 * consumed (a loss it names) instead of as holes. */
void weft__slog_consumed_path(const char *log, char *buf, size_t n);
/* A live log opened again to resume an ingest that was stopped (weft
 * killed), before its first refresh: its TSC rate as that ingest fixed
 * it (when ready), the words it consumed (skip, nskip: taken, freed
 * with l), and the chunks its consumed file names as given back. 0, or
 * -1 (l->err). */
int weft_slog_resume(struct weft_slog *l, double rate, int ready, struct weft__skip *skip,
                     size_t nskip);
/* Whether chunk i of l is given back (punched by weft_slog_punch). */
int weft_slog_chunk_punched(const struct weft_slog *l, uint64_t i);

/* The merge over n open logs; rank[i] orders log i's records among equal
 * times (the process's rank by pid). NULL when out of memory. */
struct weft_merge;
struct weft_merge *weft_merge_new(struct weft_slog *const *logs, const uint32_t *rank, int n);
/* The next record: 1 with *r (r->data points into a buffer that stays
 * valid until the next call) and *log, the index of its log; 0 at the
 * end; -1 when a run could not be read again (out of memory, or the file
 * changed under us: m's err says so; the records after it are lost). */
int weft_merge_next(struct weft_merge *m, struct weft_rec *r, uint32_t *log);
/* Live merging: a log more (its index is the next one; rank as above),
 * the runs the logs gained since the last call taken in, and the next
 * record only when its time is below limit (2 when it is not: call again
 * after the next refresh). 0 or -1 for the first two (out of memory). */
int weft_merge_add_log(struct weft_merge *m, struct weft_slog *l, uint32_t rank);
int weft_merge_refresh(struct weft_merge *m);
int weft_merge_next_until(struct weft_merge *m, struct weft_rec *r, uint32_t *log, uint64_t limit);
/* Folding relock pairs (relock.h) on or off, before the first record:
 * runs of them come out as single WEFT_K_MUTEX_RELOCKS records. */
void weft_merge_fold(struct weft_merge *m, int on);
/* The words of log (an index) whose records the merge handed out so
 * far, outside the chunks given back: sorted, adjacent ones joined, in
 * *out (malloc'd, n of them). 0, or -1 when out of memory. */
int weft_merge_consumed(const struct weft_merge *m, uint32_t log, struct weft__skip **out,
                        size_t *nout);
const char *weft_merge_err(const struct weft_merge *m);
void weft_merge_free(struct weft_merge *m);

#endif
