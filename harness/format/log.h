/* SPDX-License-Identifier: MIT */
/* log.h: the raw log format shared by the shim (writer) and ingest (reader).
 *
 * A log is one file, mapped MAP_SHARED by the traced process, so that every
 * page it wrote survives any death of the process, SIGKILL included. Layout:
 *
 *   [ header: WEFT_LOG_HEADER_SIZE bytes ]
 *   [ chunk 0 ][ chunk 1 ] ...              each WEFT_LOG_CHUNK_SIZE bytes
 *
 * A thread claims a whole chunk with one atomic fetch-add on the header's
 * chunks_claimed counter, then fills it alone, without locks. A chunk starts
 * with a small header; records follow. A record is published by a release
 * store of the chunk's committed count (in 8-byte words), so a reader sees
 * exactly the records written in full: nothing torn, whatever moment the
 * process died.
 *
 * Records have variable size (format version 2): one header word, then only
 * the fields the record uses, so that the common records are 16-40 bytes
 * instead of a fixed 48. The kernel zeroes every fresh page of the file,
 * and that cost is per byte: fewer bytes is what makes recording cheap.
 *
 *   header word: bits 0-7 kind, 8-17 which fields follow (WEFT_W_*),
 *                18 WEFT_H_ONCE, 19 WEFT_H_RELOCK, 20 WEFT_H_BACK, 21-23 zero
 *                (with WEFT_H_BACK: 21-31 its anchor's distance), 24-31 hb
 *                object delta, 32-63 time delta
 *   then, in this order, one word per present field: ts, obj, arg, arg2,
 *   stack|aux (stack in the low half), hb object, acquire ticket, release
 *   ticket; then with WEFT_W_DATA a word with the payload's byte length
 *   and the payload, padded to whole words.
 *
 * Time: a record without WEFT_W_TS is `delta` ticks after the record before
 * it in the chunk; WEFT_W_SAME likewise takes that record's obj (a thread
 * working one channel, mutex or hb object writes it once). Every run of records of one thread in a
 * chunk starts with an OWNER record (arg = its thread id, with the full ts), so a reader walks a
 * chunk from its start knowing the thread and the time of every record. A chunk that a finished
 * thread gave back is continued by another thread after an OWNER record of its own.
 *
 * Happens-before tickets folded into a record (WEFT_W_ACQ, WEFT_W_REL):
 * libweft announces each edge by calling weft__hb_acquire/release(obj,
 * seq) inside its calls; the shim folds them into the record of the call
 * that made them rather than writing records of their own. A record with
 * tickets stands for: acquire (hbobj, acq), then release (hbobj, rel),
 * then the event itself, all at the record's time. hbobj is the record's
 * obj plus the header's delta, or the WEFT_W_HBOBJ word.
 *
 * Everything is little-endian native x86_64/aarch64 layout: a log is read on
 * the machine (or at least the architecture) that wrote it.
 */
#ifndef WEFT_HARNESS_LOG_H
#define WEFT_HARNESS_LOG_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#define WEFT_LOG_MAGIC "WEFTLOG\0"
#define WEFT_LOG_VERSION 2u
#define WEFT_LOG_HEADER_SIZE 4096u
#define WEFT_LOG_CHUNK_SIZE (64u * 1024u)
#define WEFT_LOG_CHUNK_HDR 64u
#define WEFT_LOG_WORD 8u /* records are made of 8-byte words */
#define WEFT_LOG_CHUNK_WORDS ((WEFT_LOG_CHUNK_SIZE - WEFT_LOG_CHUNK_HDR) / WEFT_LOG_WORD)
#define WEFT_LOG_MAX_DATA 16384u         /* payload bytes of one record, at most */
#define WEFT_LOG_DEFAULT_MB 4096u        /* sparse: only written pages use disk */
#define WEFT_LOG_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */
#define WEFT_TS_MAX (1ull << 62)         /* ns: later record times are damage (log_reader.c) */

/* Where chunk i starts in the file (staging slots included: log.h's
 * chunks are numbered on past capacity_chunks). */
static inline uint64_t weft_log_chunk_off(uint64_t i) {
    return WEFT_LOG_HEADER_SIZE + i * (uint64_t)WEFT_LOG_CHUNK_SIZE;
}

/* Where word w of chunk i's records is in the file. */
static inline uint64_t weft_log_word_off(uint64_t i, uint64_t w) {
    return weft_log_chunk_off(i) + WEFT_LOG_CHUNK_HDR + w * WEFT_LOG_WORD;
}

/* The fields a record carries (header bits 8-17), in the order they follow. */
enum {
    WEFT_W_TS = 1u << 0, /* full timestamp (else: header delta from the previous record) */
    WEFT_W_OBJ = 1u << 1,
    WEFT_W_ARG = 1u << 2,
    WEFT_W_ARG2 = 1u << 3,
    WEFT_W_SA = 1u << 4,    /* stack id (low 32 bits) and aux (high 32) */
    WEFT_W_HBOBJ = 1u << 5, /* the hb object, when not obj + header delta */
    WEFT_W_ACQ = 1u << 6,   /* acquire (hbobj, this ticket) before the event */
    WEFT_W_REL = 1u << 7,   /* release (hbobj, this ticket) before the event */
    WEFT_W_DATA = 1u << 8,  /* a length word and that many payload bytes */
    WEFT_W_SAME = 1u << 9,  /* no obj word: the same obj as the record before it */
    WEFT_W_ALL = (1u << 10) - 1
};

/* Header word bit 18: the release ticket of this record (its WEFT_W_REL,
 * or a standalone hb_release's arg) will be acquired at most once. The
 * shim sets it for the tickets of channel operations, whose protocol
 * (runtime/chan.c) hands each ticket to exactly one other operation; the
 * detectors then forget the ticket once acquired, which keeps their table
 * small. Closes, WaitGroups and the rest never set it. */
#define WEFT_H_ONCE (1u << 18)

/* Header word bit 19, on a mutex_lock_end or mutex_trylock that took its
 * mutex without waiting: a relock. The thread unlocked this mutex last,
 * no other thread acquired it since (by a call the shim saw), and the
 * thread held no other mutex or rwlock when it took it. Such a lock
 * acquires nothing it did not have, and the unlock before it was acquired
 * by no one: the reader folds runs of them (stream.c, "relock pairs"). */
#define WEFT_H_RELOCK (1u << 19)

/* Header word bit 20, on a lock's record with no fields (an acquisition
 * that took its lock at once, a relock or not): its lock and its stack
 * are those of an earlier record of the same thread in the same chunk,
 * its anchor, which carries both (WEFT_W_OBJ and WEFT_W_SA, no
 * WEFT_H_BACK), bits 21-31 words before it. A thread that cycles a few
 * locks from a few call sites (sqlite3 takes one mutex from two sites and
 * another from a third, over and over; a memcached worker takes the same
 * global mutexes inside each item's lock) writes each of those
 * acquisitions in one word instead of two or three: the log's pages are
 * written and read per byte. Readers hand the record out as the anchor's
 * form: obj and stack set, fields WEFT_W_OBJ | WEFT_W_SA, back = the
 * distance, and its own WEFT_H_RELOCK. */
#define WEFT_H_BACK (1u << 20)
#define WEFT_BACK_MAX 2047u /* words: bits 21-31 */

/* Relock runs (kind MUTEX_RUN). A thread that relocks a few mutexes over
 * and over with nothing else between (sqlite3 cycles two, millions of
 * times) writes one run record and then counts each further pair in it,
 * in place: a lock is one store into its mutex's slot (locks + 1, held),
 * an unlock another (held cleared), no clock read, no new word. Each
 * store is one aligned word, so a process killed at any moment leaves a
 * consistent count and the truth of whether the mutex is held.
 *
 * The record: arg = the epoch it was opened in; DATA = WEFT_RUN_SLOTS
 * slots of two words: the mutex (0: a free slot), then the call site of
 * its latest lock in the low half and the state in the high half:
 * locks << 1 | held. A slot is filled mutex first, state last: a state
 * of 0 is a free slot whatever the mutex word says. Every lock counted there was a
 * flagged relock (WEFT_H_RELOCK) that took its mutex at once, every
 * unlock the unlock of the lock before it; the pairs of a run are in no
 * particular order among its slots, and all come after the records
 * before the run and before the records after it.
 *
 * A run is open while it is its thread's last record in its chunk: the
 * writer updates it only then, and only in the epoch it was opened in or
 * the next (epochs: CLOCK_MONOTONIC in WEFT_RUN_EPOCH_MS steps,
 * weft_run_epoch_of), so that no run stays open for long. A reader of a
 * log still written takes a run as final once a record follows it in its
 * chunk, its chunk is closed, its process ended, or the clock is
 * WEFT_RUN_FINAL epochs past the run's: a writer that would still change
 * it then was held between its look at the clock and its store for more
 * than WEFT_RUN_FINAL - 2 whole epochs. Such a run is read again once one
 * of the other three holds, and what changed is a loss (late-relocks). */
#define WEFT_RUN_SLOTS 4u
#define WEFT_RUN_EPOCH_MS 100u
#define WEFT_RUN_FINAL 5u
#define WEFT_RUN_HELD 1u
#define WEFT_RUN_LOCK 2u /* one more lock in a slot's state */

/* The relock runs' epoch of a CLOCK_MONOTONIC time (never 0): the
 * writer's from the coarse clock, a reader's from the fine one. */
static inline uint32_t weft_run_epoch_of(const struct timespec *t) {
    uint64_t ms = (uint64_t)t->tv_sec * 1000u + (uint64_t)t->tv_nsec / 1000000u;
    return (uint32_t)(ms / WEFT_RUN_EPOCH_MS) + 1;
}

/* Header flags. */
#define WEFT_LOG_F_FINISHED 1u /* the process ended through a path we saw */
/* How long the process's end waits for other threads' held records
 * before it counts them in held_at_exit (log_writer.c, and the ingest's
 * words for that loss). */
#define WEFT_LOG_EXIT_WAIT_MS 100u

/* The file header. Fields written once at creation are plain; the ones that
 * change while threads run are atomics living in the mapping itself, so a
 * crash leaves them as current as the records. */
struct weft_log_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint32_t chunk_size;
    uint32_t word_size;       /* WEFT_LOG_WORD */
    uint64_t capacity_chunks; /* chunks the file has room for */
    int32_t pid;
    int32_t ppid;
    uint64_t start_mono_ns; /* CLOCK_MONOTONIC at creation */
    uint64_t start_real_ns; /* CLOCK_REALTIME at the same moment */
    uint32_t parent_tid;    /* trace thread of the parent that forked us, or 0 */
    uint32_t stack_depth;   /* the cap used for recorded stacks */
    /* Changing while the process runs: */
    uint64_t chunks_claimed; /* atomic; may exceed capacity_chunks (then dropped) */
    uint64_t dropped_events; /* atomic: records we could not store */
    uint32_t next_tid;       /* atomic: last trace thread id handed out */
    uint32_t flags;          /* atomic: WEFT_LOG_F_* */
    uint32_t next_stack;     /* atomic: last stack id handed out */
    /* Of dropped_events, the records still held (a channel wait's begin,
     * before its stack is in) by threads when the process ended and its
     * end had waited for them long enough (log_writer.c). */
    uint32_t held_at_exit;
    /* Timestamps: with ts_tsc = 1, records carry raw TSC ticks (x86 with an
     * invariant TSC: constant_tsc + nonstop_tsc), which cost a fraction of
     * a clock_gettime. The reader turns them into CLOCK_MONOTONIC ns with
     * the pairs (monotonic, tsc) taken at start, at each chunk claim
     * (claim_ns, claim_tsc) and at the end: crash-safe calibration. */
    uint32_t ts_tsc;
    uint32_t reserved1;
    uint64_t start_tsc;
    uint64_t end_mono_ns; /* 0 until the process ends through a path we saw */
    uint64_t end_tsc;
    /* Staging (below, "Staging slots"): stage_n slots from chunk
     * stage_first on, past capacity_chunks; 0 slots: none. */
    uint32_t stage_first;
    uint32_t stage_n;
    uint64_t stage_free;   /* atomic: free slots, a stack (tag << 32 | slot + 1) */
    uint32_t stage_copier; /* atomic: the copier's pid while one is attached */
    uint32_t reserved2;
};

/* At the start of each chunk. committed is the number of record words of
 * the chunk that are complete; it only grows, with release stores. */
struct weft_log_chunk {
    uint32_t committed; /* atomic, in words */
    uint32_t magic;     /* WEFT_LOG_CHUNK_MAGIC, written before the first commit */
    uint32_t tid;       /* first owner trace thread (informational: OWNER records decide) */
    uint32_t reserved;  /* a free stack's link while it waits (weft_log_stack_pop) */
    uint64_t claim_ns;  /* when the chunk was claimed (CLOCK_MONOTONIC) */
    uint64_t claim_tsc; /* the TSC at the same moment (header ts_tsc = 1) */
    /* A staging slot's (0 in every other chunk): */
    uint32_t stage_dest1;  /* atomic: the chunk it stands for + 1; 0: free */
    uint32_t stage_state;  /* atomic: WEFT_STAGE_* */
    uint32_t stage_copied; /* words of it the copier has written to its chunk */
};

/* Staging slots. A page of a log touched for the first time costs the
 * program a fault and, once the chunk is full, an unmapping: on a VM
 * whose page tables are shadowed, 12-18 us a page, 7% of a recorded
 * memcached's time (docs/harness.md). So while `weft run` is there to
 * copy (harness/ingest/stage.c, the copier), a thread claims a chunk
 * index as always but writes its records into one of a few slots at the
 * end of the file, mapped once and written over and over; the copier
 * writes what each slot holds to the slot's chunk with pwrite (words
 * first, the chunk's header last, so the chunk is always a valid prefix
 * of the slot), and frees the slot once its thread has left it
 * (WEFT_STAGE_FULL) and all of it is copied. A reader reads chunks only:
 * what a slot holds that its chunk does not yet (the copier was killed)
 * is copied there by weft__log_heal (stage.c) before any reading of a
 * log whose writer is gone. Without a copier attached, or with no slot
 * free, a thread claims and writes its chunk in place. */
enum { WEFT_STAGE_FREE = 0, WEFT_STAGE_WRITING = 1, WEFT_STAGE_FULL = 2 };
#define WEFT_STAGE_SLOTS 32u

/* A log's free stacks of chunks: the half-used chunks that finished
 * threads gave back (the writer's own head) and the staging slots (the
 * header's stage_free, shared by the writer and weft's copier). head is
 * tag << 32 | (k + 1) for entry k, the chunk at first + k chunks, 0 when
 * empty; each entry links to the next through its `reserved`. Every
 * change bumps the tag, so that a pop that raced another pop and a push
 * of the same entry fails its compare. */
static inline struct weft_log_chunk *weft_log_stack_pop(uint64_t *head, unsigned char *first,
                                                        uint32_t n, uint32_t *k) {
    uint64_t h = __atomic_load_n(head, __ATOMIC_ACQUIRE);
    for (;;) {
        uint32_t e = (uint32_t)h;
        if (e == 0 || e > n)
            return NULL;
        struct weft_log_chunk *c =
            (struct weft_log_chunk *)(void *)(first + (size_t)(e - 1) * WEFT_LOG_CHUNK_SIZE);
        uint64_t next = (h & 0xffffffff00000000u) + (1ull << 32) +
                        __atomic_load_n(&c->reserved, __ATOMIC_RELAXED);
        if (__atomic_compare_exchange_n(head, &h, next, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *k = e - 1;
            return c;
        }
    }
}

static inline void weft_log_stack_push(uint64_t *head, unsigned char *first, uint32_t k) {
    struct weft_log_chunk *c =
        (struct weft_log_chunk *)(void *)(first + (size_t)k * WEFT_LOG_CHUNK_SIZE);
    uint64_t h = __atomic_load_n(head, __ATOMIC_RELAXED);
    for (;;) {
        __atomic_store_n(&c->reserved, (uint32_t)h, __ATOMIC_RELAXED);
        uint64_t next = (h & 0xffffffff00000000u) + (1ull << 32) + k + 1;
        if (__atomic_compare_exchange_n(head, &h, next, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            return;
    }
}

/* One record, decoded (the reader's and the in-process checker's view; the
 * file holds the compact form above). Fields a record does not carry are 0. */
struct weft_rec {
    uint16_t kind;
    uint16_t fields; /* WEFT_W_* the record carried (ACQ/REL say whether tickets are set) */
    uint32_t tid;    /* trace thread id (1 = main thread of the process) */
    uint64_t ts;     /* CLOCK_MONOTONIC ns, or TSC ticks (header ts_tsc) until read */
    uint64_t obj;    /* the object: thread handle, mutex address, fd, ... */
    uint64_t arg;
    uint64_t arg2;
    uint32_t stack; /* stack id, 0 = none */
    uint32_t aux;
    uint64_t hbobj, acq, rel;  /* folded happens-before tickets (see above) */
    const unsigned char *data; /* payload inside the log, dlen bytes */
    uint32_t dlen;
    uint8_t once;   /* WEFT_H_ONCE was set */
    uint8_t relock; /* WEFT_H_RELOCK was set */
    uint16_t back;  /* WEFT_H_BACK: its anchor is this many words before it, else 0 */
};

_Static_assert(sizeof(struct weft_log_header) <= WEFT_LOG_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct weft_log_chunk) <= WEFT_LOG_CHUNK_HDR, "chunk header size");

/* The lock and stack of the anchor at a[0] of a WEFT_H_BACK record: 1,
 * or 0 when a[0] is no anchor (a record carrying both, not a WEFT_H_BACK
 * itself) or runs past the record that names it (n words). */
static inline int weft__log_anchor(const uint64_t *a, uint32_t n, uint64_t *obj, uint64_t *sa) {
    uint64_t h = a[0];
    uint32_t f = (uint32_t)(h >> 8) & 0x3ffu;
    if ((h & WEFT_H_BACK) || !(f & WEFT_W_OBJ) || !(f & WEFT_W_SA))
        return 0;
    uint32_t o = 1 + !!(f & WEFT_W_TS), s = o + 1 + !!(f & WEFT_W_ARG) + !!(f & WEFT_W_ARG2);
    if (s >= n)
        return 0;
    *obj = a[o];
    *sa = a[s];
    return 1;
}

/* Decodes the record at w[0], with n words left in the chunk, back words
 * of it readable before w (w[-back] .. w[-1]), and prev, the record
 * before it in the chunk (its ts and obj). Returns the words it takes, or
 * 0 when it is malformed (fields past the end, unknown field bits, an
 * anchor out of reach). Does not check the kind. Shared by the reader and
 * the in-process checker, so that both walk chunks the same way. */
static inline uint32_t weft_log_decode(const uint64_t *w, uint32_t back, uint32_t n,
                                       const struct weft_rec *prev, struct weft_rec *r) {
    if (n < 1)
        return 0;
    uint64_t h = w[0];
    uint32_t f = (uint32_t)(h >> 8) & 0x3ffu;
    /* Every field is assigned once at the end, from locals: clearing the
     * whole record first (a memset) took a third of perf's samples in the
     * merge's decoding loop, and an ingest decodes every record twice. */
    uint64_t ts = prev->ts + (h >> 32), obj = 0, arg = 0, arg2 = 0, sa = 0, hbobj, acq = 0, rel = 0;
    const unsigned char *data = NULL;
    uint32_t dlen = 0, k = 1, d = 0;
    if (h & WEFT_H_BACK) {
        /* a record that names its anchor: handed out in the anchor's form */
        d = (uint32_t)(h >> 21) & WEFT_BACK_MAX;
        if (f || (h & WEFT_H_ONCE) || d == 0 || d > back || !weft__log_anchor(w - d, d, &obj, &sa))
            return 0;
        f = WEFT_W_OBJ | WEFT_W_SA;
        hbobj = obj;
        goto done;
    }
    if ((f & ~WEFT_W_ALL) || (h >> 21 & 0x7) || ((f & WEFT_W_SAME) && (f & WEFT_W_OBJ)))
        return 0;
    if (f & WEFT_W_SAME)
        obj = prev->obj;
#define WEFT__TAKE(bit, dst)                                                                       \
    if (f & (bit)) {                                                                               \
        if (k >= n)                                                                                \
            return 0;                                                                              \
        dst = w[k++];                                                                              \
    }
    WEFT__TAKE(WEFT_W_TS, ts)
    WEFT__TAKE(WEFT_W_OBJ, obj)
    WEFT__TAKE(WEFT_W_ARG, arg)
    WEFT__TAKE(WEFT_W_ARG2, arg2)
    WEFT__TAKE(WEFT_W_SA, sa)
    hbobj = obj + (h >> 24 & 0xff);
    WEFT__TAKE(WEFT_W_HBOBJ, hbobj)
    WEFT__TAKE(WEFT_W_ACQ, acq)
    WEFT__TAKE(WEFT_W_REL, rel)
#undef WEFT__TAKE
    if (f & WEFT_W_DATA) {
        if (k >= n || w[k] > WEFT_LOG_MAX_DATA)
            return 0;
        dlen = (uint32_t)w[k++];
        uint32_t dw = (dlen + 7) / 8;
        if (dw > n - k)
            return 0;
        data = (const unsigned char *)&w[k];
        k += dw;
    }
done:
    r->kind = (uint16_t)(h & 0xff);
    r->fields = (uint16_t)f;
    r->tid = 0;
    r->ts = ts;
    r->obj = obj;
    r->arg = arg;
    r->arg2 = arg2;
    r->stack = (uint32_t)sa;
    r->aux = (uint32_t)(sa >> 32);
    r->hbobj = hbobj;
    r->acq = acq;
    r->rel = rel;
    r->data = data;
    r->dlen = dlen;
    r->once = !!(h & WEFT_H_ONCE);
    r->relock = !!(h & WEFT_H_RELOCK);
    r->back = (uint16_t)d;
    return k;
}

/* Event kinds. The numbers are part of the log format (append only); the
 * names are the ones ingest writes into the `kinds` table. X-macro so that
 * the enum and the name table cannot drift apart.
 *   X(enum suffix, number, "name", "family", blocking-phase) */
#define WEFT_KINDS(X)                                                                              \
    X(OWNER, 1, "owner", "log", 0)   /* arg=tid: the records after it are that thread's */         \
    X(STACK, 2, "stack", "log", 0)   /* obj=id, arg=depth; DATA: pcs */                            \
    X(MODULE, 3, "module", "log", 0) /* obj=bias arg=lo arg2=hi aux=path len stack=build-id len */ \
    X(PROC_START, 10, "proc_start", "process",                                                     \
      0)                                      /* obj=pid arg=ppid; DATA: argv (NUL separated) */   \
    X(PROC_EXE, 11, "proc_exe", "process", 0) /* DATA: /proc/self/exe */                           \
    X(EXIT_CALL, 12, "exit", "process", 0)    /* arg=status */                                     \
    X(EXIT_NOW, 13, "_exit", "process", 0)    /* arg=status */                                     \
    X(MAIN_RETURN, 14, "main_return", "process", 0)   /* arg=status */                             \
    X(SIGNAL_FATAL, 15, "fatal_signal", "process", 0) /* arg=signo arg2=si_code obj=fault addr */  \
    X(FORK, 16, "fork", "process", 0)                 /* arg=child pid (or -errno) */              \
    X(FORK_CHILD, 17, "fork_child", "process", 0)     /* arg=parent pid arg2=parent tid */         \
    X(EXEC, 18, "exec", "process", 0)                 /* arg=-errno on failure; DATA: path */      \
    X(PROC_END, 19, "proc_end", "process", 0)         /* the shim's destructor ran */              \
    X(SPAWN, 20, "spawn", "process", 0) /* posix_spawn[p] succeeded: arg=child pid; DATA: path */  \
    X(THREAD_CREATE, 30, "thread_create", "thread",                                                \
      0) /* obj=handle arg=start routine arg2=arg aux=new tid */                                   \
    X(THREAD_CREATE_FAIL, 31, "thread_create_failed", "thread", 0) /* arg=error */                 \
    X(THREAD_ARG, 221, "thread_arg", "thread",                                                     \
      0) /* right after thread_create when its arg points into the creator's stack: obj=arg        \
            arg=the bytes there at creation */                                                     \
    X(THREAD_START, 32, "thread_start", "thread",                                                  \
      0) /* obj=handle arg=os tid arg2=creator tid aux=WEFT_START_*; DATA: its start routine and   \
            argument as thread_create names them (two words), also when that record never came */  \
    X(THREAD_ADOPT, 33, "thread_adopt", "thread",                                                  \
      0) /* a thread we did not see created; obj=handle arg=os tid */                              \
    X(THREAD_RETURN, 34, "thread_return", "thread", 0) /* arg=return value */                      \
    X(THREAD_EXIT, 35, "pthread_exit", "thread", 0)    /* arg=retval */                            \
    X(THREAD_CANCELED, 36, "thread_canceled", "thread", 0)                                         \
    X(JOIN_BEGIN, 37, "join_begin", "thread", 1) /* obj=handle of the target */                    \
    X(JOIN_END, 38, "join_end", "thread", 2)     /* obj=handle arg=result */                       \
    X(TRYJOIN, 39, "tryjoin", "thread", 0)       /* obj=handle arg=result */                       \
    X(DETACH, 40, "detach", "thread", 0)         /* obj=handle arg=0, then result if failed */     \
    X(SETNAME, 41, "setname", "thread", 0)       /* obj=handle arg=result; DATA: name */           \
    X(CANCEL, 42, "cancel", "thread", 0)         /* obj=handle arg=result */                       \
    X(MUTEX_LOCK_BEGIN, 60, "mutex_lock_begin", "mutex", 1)                                        \
    X(MUTEX_LOCK_END, 61, "mutex_lock_end", "mutex", 2) /* arg=result; stack: see below */         \
    X(MUTEX_TRYLOCK, 62, "mutex_trylock", "mutex", 0)   /* arg=result */                           \
    X(MUTEX_UNLOCK, 63, "mutex_unlock", "mutex", 0)     /* arg=result */                           \
    X(MUTEX_INIT, 64, "mutex_init", "mutex", 0)                                                    \
    X(MUTEX_DESTROY, 65, "mutex_destroy", "mutex", 0)                                              \
    /* Never in a log: made by the reader from a run of relock pairs                               \
     * (harness/ingest/relock.h): obj=the last pair's mutex arg=pairs */                           \
    X(MUTEX_RELOCKS, 222, "mutex_relocks", "mutex", 0)                                             \
    /* arg=epoch; DATA: WEFT_RUN_SLOTS slots (above, "Relock runs") */                             \
    X(MUTEX_RUN, 223, "mutex_run", "mutex", 0)                                                     \
    X(RW_RDLOCK_BEGIN, 66, "rwlock_rdlock_begin", "rwlock", 1)                                     \
    X(RW_RDLOCK_END, 67, "rwlock_rdlock_end", "rwlock", 2)                                         \
    X(RW_WRLOCK_BEGIN, 68, "rwlock_wrlock_begin", "rwlock", 1)                                     \
    X(RW_WRLOCK_END, 69, "rwlock_wrlock_end", "rwlock", 2)                                         \
    X(RW_TRYLOCK, 70, "rwlock_trylock", "rwlock", 0) /* arg=result arg2=1 write */                 \
    X(RW_UNLOCK, 71, "rwlock_unlock", "rwlock", 0)                                                 \
    X(COND_WAIT_BEGIN, 72, "cond_wait_begin", "cond", 1) /* arg=mutex */                           \
    X(COND_WAIT_END, 73, "cond_wait_end", "cond", 2)     /* arg=result arg2=mutex */               \
    X(COND_SIGNAL, 74, "cond_signal", "cond", 0)                                                   \
    X(COND_BROADCAST, 75, "cond_broadcast", "cond", 0)                                             \
    X(BARRIER_WAIT_BEGIN, 76, "barrier_wait_begin", "barrier", 1)                                  \
    X(BARRIER_WAIT_END, 77, "barrier_wait_end", "barrier", 2)                                      \
    X(SEM_WAIT_BEGIN, 78, "sem_wait_begin", "sem", 1)                                              \
    X(SEM_WAIT_END, 79, "sem_wait_end", "sem", 2) /* arg=result (-errno) */                        \
    X(SEM_TRYWAIT, 80, "sem_trywait", "sem", 0)                                                    \
    X(SEM_POST, 81, "sem_post", "sem", 0)                                                          \
    X(FD_OPEN, 100, "fd_open", "fd", 0)   /* obj=fd arg=peer fd or -1 aux=how (WEFT_FD_*) */       \
    X(FD_CLOSE, 101, "fd_close", "fd", 0) /* obj=fd arg=result (-errno) */                         \
    X(FD_DUP, 102, "fd_dup", "fd", 0)     /* obj=new fd arg=old fd */                              \
    X(FD_WRITE_FAIL, 103, "fd_write_failed", "fd", 0) /* obj=fd arg=-errno arg2=WEFT_FDW_* */      \
    /* A read/write-side call on a channel fd that would block (shim_fd_io.c):                     \
     * begin obj=fd arg=bytes asked arg2=the call (WEFT_FDR_* / WEFT_FDW_*),                       \
     * with the stack; end obj=fd arg=result (bytes, or -errno) arg2=the call */                   \
    X(FD_READ_BEGIN, 104, "fd_read_begin", "fd", 1)                                                \
    X(FD_READ_END, 105, "fd_read_end", "fd", 2)                                                    \
    X(FD_WRITE_BEGIN, 106, "fd_write_begin", "fd", 1)                                              \
    X(FD_WRITE_END, 107, "fd_write_end", "fd", 2)                                                  \
    X(HB_RELEASE, 120, "hb_release", "hb", 0) /* obj arg=seq */                                    \
    X(HB_ACQUIRE, 121, "hb_acquire", "hb", 0)                                                      \
    /* libweft's public calls (shim_weft.c). Blocking calls try first where                        \
     * that cannot change their meaning: a call that did not wait is one end                       \
     * record with arg2 = 0; one that waits gets a begin with the stack too,                       \
     * and its end has arg2 = 1. Results are libweft's codes (<= 0). */                            \
    X(CHAN_MAKE, 140, "chan_make", "chan", 0) /* obj=ch arg=elem size arg2=cap */                  \
    X(CHAN_SEND_BEGIN, 141, "chan_send_begin", "chan", 1)                                          \
    X(CHAN_SEND_END, 142, "chan_send_end", "chan", 2) /* arg=result arg2=waited */                 \
    X(CHAN_RECV_BEGIN, 143, "chan_recv_begin", "chan", 1)                                          \
    X(CHAN_RECV_END, 144, "chan_recv_end", "chan", 2) /* arg=result arg2=waited */                 \
    X(CHAN_TRY_SEND, 145, "chan_try_send", "chan", 0) /* arg=result */                             \
    X(CHAN_TRY_RECV, 146, "chan_try_recv", "chan", 0) /* arg=result */                             \
    X(CHAN_CLOSE, 147, "chan_close", "chan", 0)       /* arg=result */                             \
    X(CHAN_FREE, 148, "chan_free", "chan", 0)                                                      \
    X(CHAN_LEN, 149, "chan_len", "chan", 0) /* arg=len */                                          \
    X(CHAN_CAP, 150, "chan_cap", "chan", 0) /* arg=cap */                                          \
    X(CTX_DONE_CHAN, 151, "ctx_done_chan", "chan",                                                 \
      0) /* obj=ch arg=ctx: a context's done channel */                                            \
    X(TIMER_CHAN, 152, "timer_chan", "chan",                                                       \
      0) /* obj=ch arg=timer/ticker (0: weft_after) arg2=ns aux=WEFT_TIMER_*: a timer's channel */ \
    X(SELECT_BEGIN, 155, "select_begin", "select", 1) /* arg=n arg2=flags; DATA: cases */          \
    X(SELECT_END, 156, "select_end", "select",                                                     \
      2) /* obj=chosen ch arg=index or error arg2=case result aux=waited; DATA: cases when no      \
            begin */                                                                               \
    X(GO, 160, "weft_go", "go", 0)      /* obj=fn arg=arg arg2=result aux=new tid */               \
    X(WG_ADD, 165, "wg_add", "wg", 0)   /* obj=wg arg=delta arg2=result */                         \
    X(WG_DONE, 166, "wg_done", "wg", 0) /* arg2=result (WEFT_ERANGE: negative) */                  \
    X(WG_WAIT_BEGIN, 167, "wg_wait_begin", "wg", 1)                                                \
    X(WG_WAIT_END, 168, "wg_wait_end", "wg", 2)                                                    \
    X(CTX_NEW, 170, "ctx_new", "ctx", 0)       /* obj=ctx arg=parent arg2=ns aux=WEFT_CTX_* */     \
    X(CTX_CANCEL, 171, "ctx_cancel", "ctx", 0) /* arg2=done chan */                                \
    X(CTX_FREE, 172, "ctx_free", "ctx", 0)                                                         \
    X(GROUP_NEW, 175, "group_new", "group", 0)           /* obj=g arg=parent ctx arg2=group ctx */ \
    X(GROUP_GO_BEGIN, 176, "group_go_begin", "group", 1) /* arg=fn arg2=arg */                     \
    X(GROUP_GO_END, 177, "group_go_end", "group", 2)     /* arg=result aux=new tid */              \
    X(GROUP_TRY_GO, 178, "group_try_go", "group", 0)     /* arg=1 started arg2=fn aux=new tid */   \
    X(GROUP_WAIT_BEGIN, 179, "group_wait_begin", "group", 1)                                       \
    X(GROUP_WAIT_END, 180, "group_wait_end", "group", 2)   /* arg=result */                        \
    X(GROUP_SET_LIMIT, 181, "group_set_limit", "group", 0) /* arg=n arg2=result */                 \
    X(GROUP_FREE, 182, "group_free", "group", 0)                                                   \
    X(WSEM_NEW, 185, "weft_sem_new", "weft_sem", 0)                     /* arg=size */             \
    X(WSEM_ACQUIRE_BEGIN, 186, "weft_sem_acquire_begin", "weft_sem", 1) /* arg=n arg2=ctx */       \
    X(WSEM_ACQUIRE_END, 187, "weft_sem_acquire_end", "weft_sem", 2)     /* arg=result */           \
    X(WSEM_TRY_ACQUIRE, 188, "weft_sem_try_acquire", "weft_sem", 0) /* arg=n arg2=1 acquired */    \
    X(WSEM_RELEASE, 189, "weft_sem_release", "weft_sem", 0)         /* arg=n arg2=result */        \
    X(WSEM_FREE, 190, "weft_sem_free", "weft_sem", 0)                                              \
    X(LIMITER_NEW, 195, "limiter_new", "limiter", 0) /* arg=rate (double bits) arg2=burst */       \
    X(LIMITER_WAIT_BEGIN, 196, "limiter_wait_begin", "limiter", 1) /* arg2=ctx */                  \
    X(LIMITER_WAIT_END, 197, "limiter_wait_end", "limiter", 2)     /* arg=result */                \
    X(LIMITER_ALLOW, 198, "limiter_allow", "limiter", 0)           /* arg=1 allowed */             \
    X(LIMITER_FREE, 199, "limiter_free", "limiter", 0)                                             \
    X(FUTURE_START, 205, "future_start", "future", 0) /* obj=f arg=fn arg2=arg aux=new tid */      \
    X(FUTURE_GET_BEGIN, 206, "future_get_begin", "future", 1) /* arg2=timeout ns or -1 */          \
    X(FUTURE_GET_END, 207, "future_get_end", "future", 2)     /* arg=result */                     \
    X(FUTURE_FREE_BEGIN, 208, "future_free_begin", "future", 1)                                    \
    X(FUTURE_FREE_END, 209, "future_free_end", "future", 2)                                        \
    /* The watchdog (watchdog.c): every thread blocked for good, or with obj=1 a cycle             \
     * of mutex waits (the process goes on). arg=threads arg2=timeout ms;                          \
     * DATA: per thread {u32 tid, u16 kind, u16 0, u64 obj} */                                     \
    X(DEADLOCK, 220, "deadlock", "process", 0)

enum weft_kind {
#define WEFT__KIND_ENUM(name, num, str, fam, blk) WEFT_K_##name = num,
    WEFT_KINDS(WEFT__KIND_ENUM)
#undef WEFT__KIND_ENUM
        WEFT_K_MAX = 256
};

/* The kinds whose record stands for an effect this thread observed of
 * another (a lock taken, a value received, a thread joined or started):
 * the end of every blocking call, the try-operations, the acquires, a
 * thread's and a fork child's first record. The writer takes their time
 * only after what they observed (harness/shim/log_writer.c, tsc_after).
 * A new kind of that sort is added here as well as to the table. */
#define WEFT_KIND_OBSERVES(num, phase)                                                             \
    ((phase) == 2 || (num) == WEFT_K_TRYJOIN || (num) == WEFT_K_MUTEX_TRYLOCK ||                   \
     (num) == WEFT_K_RW_TRYLOCK || (num) == WEFT_K_SEM_TRYWAIT || (num) == WEFT_K_HB_ACQUIRE ||    \
     (num) == WEFT_K_CHAN_TRY_SEND || (num) == WEFT_K_CHAN_TRY_RECV ||                             \
     (num) == WEFT_K_WSEM_TRY_ACQUIRE || (num) == WEFT_K_THREAD_START ||                           \
     (num) == WEFT_K_THREAD_ADOPT || (num) == WEFT_K_FORK_CHILD)

/* Stacks of lock acquisitions: a *_LOCK_END / RW_*LOCK_END with arg2 = 0
 * (did not wait) or a *_TRYLOCK, that succeeded, carries its call site as
 * a one-frame stack, except when the site is the thread's previous such
 * record's: then no stack, and the reader gives it that record's
 * (harness/ingest/model.c, weft__ingest_fill_lock_site). With
 * WEFT_SYNC_STACKS=1 every one has its full stack. */

/* Whether a record of blocking phase 2 (an end) was written without a
 * begin of its own: a mutex or rwlock lock whose try took the lock or
 * failed at once (the shim's try-first, arg2 = 0; one that waited has
 * arg2 = 1) and a libweft channel send or receive that did not wait
 * (arg2 = waited = 0). Such a record ends no blocking call: met inside an
 * open one, it comes from a signal handler that ran while the thread
 * waited (a handler that locks a mutex in a thread blocked in sem_wait),
 * and the thread is still in that call. A select that did not wait says
 * so only in its header's aux, which no reader keeps: its end is taken
 * for the end of an open call (libweft's calls are no signal handler's).
 * MUTEX_RELOCKS, the reader's folded pairs, are such locks too. */
static inline int weft_kind_lone_end(unsigned kind, uint64_t arg2) {
    return arg2 == 0 && (kind == WEFT_K_MUTEX_LOCK_END || kind == WEFT_K_RW_RDLOCK_END ||
                         kind == WEFT_K_RW_WRLOCK_END || kind == WEFT_K_CHAN_SEND_END ||
                         kind == WEFT_K_CHAN_RECV_END);
}

/* How an fd came to be (FD_OPEN aux). */
/* How a context was made (CTX_NEW aux). */
enum { WEFT_CTX_CANCEL = 1, WEFT_CTX_TIMEOUT = 2, WEFT_CTX_DEADLINE = 3, WEFT_CTX_GROUP = 4 };
/* Which call made a timer channel (TIMER_CHAN aux). */
enum { WEFT_TIMER_AFTER = 1, WEFT_TIMER_TIMER = 2, WEFT_TIMER_TICKER = 3 };

/* THREAD_CREATE aux: the new trace tid in the low 28 bits, and in the top
 * 4 the API that made the thread (libweft's calls reach pthread_create
 * through libweft's own spawn; the record names the user's function). */
#define WEFT_TID_MASK 0x0fffffffu
enum {
    WEFT_VIA_PTHREAD = 0,
    WEFT_VIA_GO = 1,
    WEFT_VIA_GROUP = 2,
    WEFT_VIA_FUTURE = 3,
    WEFT_VIA_LIBWEFT = 4 /* libweft's own thread (its timer) */
};

/* THREAD_START aux: what the new thread itself knows of how it was made
 * (the shim's start block), so that the reader need not wait for its
 * creator's THREAD_CREATE, which a process ending just as the thread
 * starts may never write. */
#define WEFT_START_INTERNAL 1u /* libweft's own thread (WEFT_VIA_LIBWEFT): never a finding */

/* SELECT DATA: one 8-byte word per case, the channel pointer with the op
 * (WEFT_SEND 1 / WEFT_RECV 2) in its low 2 bits (channels are malloc'd,
 * so those bits are free). */

/* Which call failed (FD_WRITE_FAIL arg2), or waited (FD_WRITE_BEGIN/END arg2). */
enum {
    WEFT_FDW_WRITE = 0,
    WEFT_FDW_SEND = 1,
    WEFT_FDW_WRITEV = 2,
    WEFT_FDW_SENDTO = 3,
    WEFT_FDW_SENDMSG = 4
};
/* Which call waited (FD_READ_BEGIN/END arg2). */
enum {
    WEFT_FDR_READ = 0,
    WEFT_FDR_RECV = 1,
    WEFT_FDR_READV = 2,
    WEFT_FDR_RECVFROM = 3,
    WEFT_FDR_RECVMSG = 4
};

/* The call of an fd wait (FD_READ_* / FD_WRITE_* arg2), by name. */
static inline const char *weft_fd_call_name(unsigned kind, uint64_t how) {
    static const char *const rd[] = {"read", "recv", "readv", "recvfrom", "recvmsg"};
    static const char *const wr[] = {"write", "send", "writev", "sendto", "sendmsg"};
    int w = kind == WEFT_K_FD_WRITE_BEGIN || kind == WEFT_K_FD_WRITE_END ||
            kind == WEFT_K_FD_WRITE_FAIL;
    return how < 5 ? (w ? wr : rd)[how] : w ? "write" : "read";
}

enum { WEFT_FD_PIPE = 1, WEFT_FD_PIPE2 = 2, WEFT_FD_SOCKETPAIR = 3, WEFT_FD_EVENTFD = 4 };

#endif /* WEFT_HARNESS_LOG_H */
