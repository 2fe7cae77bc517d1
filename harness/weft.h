/* SPDX-License-Identifier: MIT */
/* weft.h (harness): what the libraries below the `weft` command share:
 * the one-line errors (harness/util/errmsg.c), the ingest, symbolization,
 * the trace database helpers. The command's own declarations (subcommands,
 * options) are in cli/cli.h, the output files in reports/outfile.h, the
 * input check in util/infile.h. The traced process never sees any of
 * this. */
#ifndef WEFT_HARNESS_WEFT_H
#define WEFT_HARNESS_WEFT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#define WEFT_SCHEMA_VERSION 7
#define WEFT_APPLICATION_ID 1466263156 /* 'WEFT' */

extern const char weft__schema_sql[];

/* Prints "weft: " + message + newline on stderr. */
void weft_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ingest: the logs of one trace (one per process) into a new database. */
/* One row of `events` as ingest hands it over (the values it stores). */
struct weft_trace_event {
    int64_t id, pid, thread, ts, kind, object, obj, arg, arg2, stack, hb_obj, acq, rel;
    int has_acq, has_rel;
    int rel_once; /* the release (rel, or a standalone hb_release) is acquired at most once */
    /* The other thread the event is about, as the trace's model saw it
     * then (0: none, or not known): a thread_create's child, a join's or
     * tryjoin's target. Not a column: a database source leaves it 0. */
    int64_t peer;
};

/* The trace as the ingest's model streams it (one pass, in trace order):
 * first one SHAPE item, then events, each preceded by what the model
 * learnt with it that the detectors may ask about: the rows of the
 * threads and objects it made or changed (as they stand after the
 * event), and the cases of a select. Strings point into memory that
 * lives until the ingest ends. */
enum {
    WEFT_ITEM_SHAPE = 1,
    WEFT_ITEM_EVENT = 2,
    WEFT_ITEM_THREAD = 3,
    WEFT_ITEM_OBJECT = 4,
    WEFT_ITEM_CASE = 5
};
struct weft_trace_shape {
    uint32_t nthreads; /* thread ids are 1..nthreads */
    int nprocs;
    const int64_t *pids; /* nprocs pids (an exec'd image shares its process's) */
};
/* A row of `threads`, with `start` the start function's name (else its
 * address as 0x..., "main" or "(adopted)" for adopted threads). */
struct weft_thread_row {
    int64_t id, pid, tid, parent, created_ns, joined_by, joined_ns, create_stack, exit_stack, arg;
    int adopted, internal, joined, detached;
    const char *exit_kind, *start, *name, *created_by; /* NULL: none */
};
/* A row of `objects` (the columns the detectors read). */
struct weft_object_row {
    int64_t id, pid, address, create_stack, destroy_stack;
    const char *kind, *info;
};
/* Case idx of the select on event `event`: its op (1 send, 2 receive)
 * and channel object. */
struct weft_case_row {
    int64_t event, idx, object;
    int op;
};
struct weft_trace_item {
    int type; /* WEFT_ITEM_* */
    union {
        struct weft_trace_shape shape;
        struct weft_trace_event ev;
        struct weft_thread_row th;
        struct weft_object_row ob;
        struct weft_case_row sc;
    } u;
};
/* Points *it at the next item, which stays valid until the next call: 1,
 * or 0 at the end. A pointer, not a copy: the detectors read every item
 * once, and copying each (the size of its largest row) twice between the
 * queue and them was a tenth of their thread's time. */
typedef int (*weft_event_next)(void *src, const struct weft_trace_item **it);

/* The same stream read back from a trace database (dbsource.c), for
 * running the detectors over a trace ingested before: the shape, every
 * thread's and object's row as it stands at the end, then the events in
 * order, each after its select's cases. next() is weft_event_next's
 * (-1 on a database error). open: NULL (+ one line) when out of memory. */
struct weft_db_source;
struct weft_db_source *weft_db_source_open(sqlite3 *db);
int weft_db_source_next(void *src, const struct weft_trace_item **it);
void weft_db_source_close(struct weft_db_source *s);

/* When another thread writes through the same connection while the
 * detectors run (ingest loads the trace beside them), every use of the
 * connection by the detectors is bracketed by enter and leave, which
 * hold it; they use it before the stream and once it has ended, when
 * every table is in. The detectors then write into the caller's open
 * transaction instead of one of their own. */
struct weft_db_guard {
    void (*enter)(void *arg);
    void (*leave)(void *arg);
    void *arg;
};

struct weft_symtab; /* harness/ingest/symbolize.h */
struct weft_ingest_opts {
    int root_pid;    /* >0: the process whose exit status weft run saw */
    int root_status; /* its wait status */
    int quiet;
    int index;      /* also index events by thread and by object (--index) */
    int all_events; /* a row for every event: no event_counts (--all-events) */
    /* 1: exec'd programs were traced (weft run --trace-children): an exec
     * with no later image then is not "use --trace-children" but a
     * program that left no log (static, setuid, still starting). Stored
     * in meta trace_children (also 1 when the trace holds an exec'd
     * image). */
    int trace_children;
    /* 1: each forked child ingests its own log into a database of its own
     * (plain LD_PRELOAD's self-ingest: `weft ingest` run with
     * WEFT_SELF_INGEST=1), so a fork without the child's log here is no
     * loss of this trace. */
    int children_apart;
    /* A channel send or receive that waited less than this (ns) and ended
     * without error is counted in event_counts, not a row (--min-wait);
     * 0: every wait is a row. The commands default to WEFT_MIN_WAIT_NS. */
    int64_t min_wait_ns;
    /* >0: keep only the event rows (and their select_cases) of the last
     * keep_rows_ns of the trace, trimmed by id as the pass goes on
     * (--keep-rows); findings, objects, threads and event_counts stay
     * whole: the detectors see every event. meta says what was dropped. */
    int64_t keep_rows_ns;
    /* Called on a thread of its own while the trace is being loaded
     * beside it, with the model's stream (items above, from memory: no
     * re-read): the detectors run here. It uses db only through guard
     * (detectors.h); once the stream has ended, every table is in. A
     * non-zero return fails the ingest. */
    int (*loaded)(sqlite3 *db, const struct weft_db_guard *guard, weft_event_next next, void *src,
                  void *user);
    void *user;
    /* NULL, or the symbol table to use, the caller's to free after the
     * ingest (weft run's, warmed while the program ran: cli/prewarm.c) */
    struct weft_symtab *symtab;
};
#define WEFT_MIN_WAIT_NS 100000 /* 100 us */
/* --min-wait=DURATION: a number with ns, us, ms or s (bare: us), into *ns.
 * 0, or -1 after a one-line error naming cmd. */
int weft_parse_min_wait(const char *cmd, const char *s, int64_t *ns);
/* --keep-rows=DURATION (cli/weft_main.c): 0, or -1 with one line. */
int weft_parse_keep_rows(const char *cmd, const char *s, int64_t *ns);
struct weft_ingest_stats {
    uint64_t events, rows, threads, stacks; /* rows: of events */
    uint64_t processes; /* distinct pids (an exec'd image is the same process) */
    uint64_t losses;    /* rows of `losses`: what could not be read (0: a whole trace) */
    double seconds;
};
/* The `loaded` hook of weft run and weft ingest: runs the detectors over
 * the events from memory (user: a struct weft_detect_hook). cmd_detect.c. */
struct weft_detect_opts;
struct weft_detect_result;
struct weft_detect_hook {
    const struct weft_detect_opts *opts;
    struct weft_detect_result *res;
    int ok; /* 1 when the detectors ran */
};
int weft_detect_hook(sqlite3 *db, const struct weft_db_guard *guard, weft_event_next next,
                     void *src, void *user);

/* Keeps every log and chunk it can read; what it cannot (a damaged chunk,
 * an all-zero or unreadable log, dropped events, a forked child without
 * a log) goes into the `losses` table, marks the process incomplete, and
 * is printed as one "weft: warning: trace incomplete: ..." line per kind.
 * Returns:
 *   0  the database is written, with stats->processes >= 1 (a partial
 *      trace when stats->losses > 0);
 *   1  nothing could be read (no log was readable): no database is
 *      written, one line is printed ("the trace is lost");
 *  -1  another failure (the database could not be written, out of
 *      memory): no database, one line printed. */
int weft_ingest(char *const *logs, int nlogs, const char *db_path,
                const struct weft_ingest_opts *opts, struct weft_ingest_stats *stats);

/* The live ingest (live.c): the logs of dir (the files named log*) read
 * while the program writing them runs, into the trace at db_path as
 * weft_ingest makes it; returns when *done is set (the caller saw the
 * program's tree end) and every record is in. The same return values
 * as weft_ingest. */
struct weft_live_opts {
    const char *dir;
    volatile int *done; /* set by weft_live_done once the program has ended */
    int root_pid;       /* the program: its CPU use makes the ingest back off (0: never) */
    double interval_s;  /* between steps (0: 0.25) */
    double margin_s;    /* the watermark trails the time by this (0: 1) */
    int punch; /* give the chunks consumed back to the file system (2: tests: in name only) */
    uint64_t backlog_mb; /* consume even when the program is busy past this much log (0: 256) */
    uint64_t start_mb;   /* read nothing until the logs take this much disk (0: at once) */
    double checkpoint_s; /* between commits that a weft killed resumes from (0: 1) */
    /* When set: called once the reading starts, it makes the database
     * and returns its path (db_path is then not used); NULL fails. */
    const char *(*begin)(void *arg);
    void *begin_arg;
};
/* Returns 2 when the program ended before the logs reached start_mb:
 * nothing was made, the logs are whole for weft_ingest. */
int weft_ingest_live(const char *db_path, const struct weft_ingest_opts *opts,
                     const struct weft_live_opts *lo, struct weft_ingest_stats *stats);
/* Sets *done (the program ended) and wakes the live ingest waiting on it
 * between its steps, so that it goes on at once, not at its next step. */
void weft_live_done(volatile int *done);

/* A live ingest commits its rows and the state that continues them
 * every checkpoint_s, and names its database in DIR/live-trace; chunks
 * are given back only after a commit. When weft was killed while it read
 * live, weft_ingest_resume_file says whether the log directory dir has
 * such a database (its path in db_file, of size n): 1, or 0. Then
 * weft_ingest_resume goes on from its last commit over the logs of dir
 * (as they are named now), ends the trace as the live ingest would have
 * (without the detectors: run them over db_path after), and renames the
 * database to db_path (same file system). 0, 1 (no log), 3 (db_file
 * holds no state to resume: left alone), or -1 (the checkpoint is left
 * as it was, to resume again). */
int weft_ingest_resume_file(const char *dir, char *db_file, size_t n);
int weft_ingest_resume(const char *db_file, const char *dir, const char *db_path,
                       const struct weft_ingest_opts *opts, struct weft_ingest_stats *stats);

/* Error lines (errmsg.c). While held (weft run around its ingest),
 * each weft_err line is printed only when the next one comes, and the
 * last one stays in buf (size n) instead: weft run then either prints it
 * or makes it the reason of its one "no trace" line. */
void weft_err_hold(char *buf, size_t n);
/* Stops holding; 1 if a line is in buf (printed first when print). */
int weft_err_release(int print);

/* Database helpers (db.c). */
int weft_db_check_output(const char *path);   /* may we (over)write it? 0 or -1 + message */
sqlite3 *weft_db_open_read(const char *path); /* NULL + message */
/* The number of processes in the trace just written at path (a trace with
 * none is no trace: weft's status 124), or -1 with a message that starts
 * with who ("ingest: " or ""). */
long weft_db_count_processes(const char *path, const char *who);

#endif
