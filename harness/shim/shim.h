/* SPDX-License-Identifier: MIT */
/* shim.h: what the files of libweft-preload.so share: the per-thread state,
 * the re-entrancy guard, the writer API of the raw log, stacks, and the
 * table of real (next) symbols. Internal to the shim; every non-static name
 * is weft__ prefixed and hidden, so the shim exports only its interposers. */
#ifndef WEFT_HARNESS_SHIM_H
#define WEFT_HARNESS_SHIM_H

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define WEFT_HIDDEN __attribute__((visibility("hidden")))
#define WEFT_EXPORT __attribute__((visibility("default")))

/* Call sites a thread keeps the stack ids of (stack.c). */
#define WEFT_SITE_BITS 5
#define WEFT_SITE_CACHE (1u << WEFT_SITE_BITS)
/* stack.c, the wait stacks a thread found again without unwinding: how
 * many it keeps, and the stack words each may check (a return address a
 * frame and the saved rbp of the few that save it: enough for the 16 + 8
 * frames a stack is unwound to, but in code built with frame pointers). */
#define WEFT_SC_ENTRIES 4
#define WEFT_SC_WORDS 32
/* Lock and site pairs a thread names back to (log_writer.c): sets of two
 * slots by a hash of the pair, WEFT_ANCHORS / 2 (a power of two, at most
 * 32) sets. */
#define WEFT_ANCHORS 32u

/* Per-thread state. Initial-exec TLS: the shim is loaded at startup
 * (LD_PRELOAD), so its TLS lives in the static block and reaching it never
 * calls into the dynamic loader or malloc, even in a signal handler. */
struct weft__thread {
    /* The record path's line (the first 64 bytes): every record reads
     * these, and a lock-heavy program's own data evicts whatever lines
     * the shim touches between two of its records (sqlite3: about 50 ns
     * a record against 18 in a loop of locks alone). */
    uint32_t tid;                 /* trace thread id, 0 until known */
    uint32_t in_shim;             /* re-entrancy guard: set while we record */
    uint32_t pos;                 /* next free word in chunk */
    uint32_t pacq_on;             /* an acquire waits for the next record (below) */
    uint64_t last_ts;             /* strictly increasing per thread: orders a thread's records */
    struct weft_log_chunk *chunk; /* the chunk this thread fills, or NULL */
    uint64_t seg_ts;  /* time of this thread's last record in chunk: the base of the next delta */
    uint64_t seg_obj; /* obj of that record (WEFT_W_SAME) */
    /* shim_sync.c: the mutexes and rwlocks this thread holds by its
     * recorded calls, and whether that count went wrong (an unlock of a
     * lock it did not take): see relock_acquire there */
    uint32_t held, held_bad;
    uint32_t chunk_idx;
    uint16_t exiting; /* set by our pthread_exit before the real one unwinds */
    /* log_writer.c: a record waits for its stack (WEFT_STACK_LATER): this
     * thread's records since are written but not committed */
    uint16_t hold;
    /* The lock path's line. stack.c: the last call site weft__stack_site
     * wrote a stack for (a loop that locks at one site writes it once). */
    uintptr_t pc_last __attribute__((aligned(64)));
    /* log_writer.c: this thread's last anchors in its chunk (log.h,
     * WEFT_H_BACK), in the set of two slots their lock and site hash to:
     * an acquisition of one of these locks from the same site names its
     * anchor instead of carrying both (obj 0: none); eight lines, of
     * which a loop touches those of the pairs it cycles. anchor_mru: bit
     * s, slot 1 of set s was named or made last. */
    uint32_t anchor_mru;
    struct {
        uint64_t obj;
        uint32_t site, pos;
    } anchor[WEFT_ANCHORS] __attribute__((aligned(64)));
    /* log_writer.c: this thread's relock run (log.h, WEFT_K_MUTEX_RUN),
     * open while run.end is pos: its slots' words start at word run.at
     * of the chunk; their mutexes, sites and states are kept here too, so
     * that the lock path reads none of the log's lines. held: 1 + the
     * slot whose lock is held, 0 none. streak: relock pairs written as
     * records one after another, the last of them ending at streak_end;
     * the last relock written as a record spans [rl_at, rl_end). */
    struct {
        uint64_t obj[WEFT_RUN_SLOTS];
        uint32_t site[WEFT_RUN_SLOTS], state[WEFT_RUN_SLOTS];
        uint32_t at, end, epoch, held;
        uint32_t streak, streak_end, rl_at, rl_end;
        uint64_t rl_obj;
    } run __attribute__((aligned(64)));
    /* stack.c: the ids of call sites this thread interned, by a few bits
     * of the pc (found without the shared table's hash and probe), a pc
     * and its id in one line */
    struct {
        uintptr_t pc;
        uint32_t id;
    } site[WEFT_SITE_CACHE];
    /* Folding libweft's happens-before annotations into the record of the
     * call that makes them (shim_weft.c): an acquire waits here (pacq_on)
     * for the next record of this thread; fold says what a release does. */
    uint64_t pacq_obj, pacq_seq;
    uint32_t fold;     /* WEFT_FOLD_*: inside an interposed libweft call */
    uint64_t fold_obj; /* WEFT_FOLD_END: the call's end record, ready but for its tickets */
    uint64_t fold_arg2;
    uint32_t fold_stack;
    uint16_t fold_kind;
    uint16_t fold_done; /* the end record was written by the release */
    uint32_t fold_once; /* a channel operation: its release tickets are acquired at most once */
    /* A blocking channel operation called without a try first: the kind
     * of its begin record, which libweft's weft__hb_block makes us write
     * if it queues the thread (fold_blocked then says it did). */
    uint16_t fold_block, fold_blocked;
    /* A libweft call that starts a thread (weft_go, group go, future start)
     * leaves the user's function here for our pthread_create, which
     * libweft's own spawn reaches: the thread is recorded once, with the
     * user's function and the API that made it. go_tid comes back. */
    uint64_t go_fn, go_arg;
    uint32_t go_via, go_tid;
    /* The watchdog's view of this thread (watchdog.c). */
    uint32_t waiting;   /* inside a blocking call that only another thread can end */
    uint32_t unwinding; /* inside libunwind (stack.c): its pipe is faked */
    /* stack.c: this thread's unwinds so far (up to SLOW_UNWINDS), and
     * whether it took one of the places for libunwind's fast trace */
    uint32_t unwinds, fast_unwind;
    uint32_t wslot; /* 1 + index of this thread's slot in the wait table, 0: none */
    /* log_writer.c: chunk is a staging slot (log.h), not chunk_idx itself */
    uint32_t staged;
    /* log_writer.c: the word of chunk that holds the held record's stack */
    uint32_t hold_at;
    /* stack.c ("Wait stacks found again"): stacks this thread waited with,
     * each by the frame of weft__stack_user it was unwound from (cfa, 0:
     * empty) and the words of the stack that decided the unwinding (at
     * cfa - 16 + off[i], holding val[i]); seen: stacks unwound once, which
     * a second unwind at the same frame makes worth learning; learns and
     * waits: the budget of the learning, which costs about ten unwinds. */
    struct {
        struct {
            uintptr_t cfa;
            uint32_t id, n, epoch;
            uint32_t off[WEFT_SC_WORDS];
            uint64_t val[WEFT_SC_WORDS];
        } e[WEFT_SC_ENTRIES];
        struct {
            uintptr_t cfa;
            uint32_t id;
        } seen[WEFT_SC_ENTRIES];
        uint32_t next, seen_next, learns, waits;
        uint32_t busy; /* in use: a signal handler's wait inside it unwinds */
    } sc;
};
_Static_assert(__builtin_offsetof(struct weft__thread, pc_last) == 64,
               "the record path's fields fill the first line of struct weft__thread");
extern __thread struct weft__thread weft__t __attribute__((tls_model("initial-exec"))) WEFT_HIDDEN;

/* 0 until the constructor mapped the log; recording is skipped before. */
extern int weft__ready WEFT_HIDDEN;

/* Enter the recorder: false when we must not record (not ready, or already
 * inside the shim on this thread: a libc function we call that is itself
 * interposed, or a signal handler that interrupted us). The caller saves
 * errno itself around the whole recording. */
static inline int weft__enter(void) {
    if (!__atomic_load_n(&weft__ready, __ATOMIC_ACQUIRE) || weft__t.in_shim)
        return 0;
    weft__t.in_shim = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return 1;
}
static inline void weft__leave(void) {
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    weft__t.in_shim = 0;
}

/* ---- raw log writer (log_writer.c) ---- */
/* Makes the log in fd (a file just created at path, which it closes: the
 * shim holds no fd once the log is mapped). 0, or -errno: then the file
 * is left empty, which says "no trace from this process". */
const char *weft__log_path(void) WEFT_HIDDEN; /* the log weft__log_open opened */
int weft__log_open(int fd, const char *path, int ppid, uint32_t parent_tid,
                   uint32_t depth) WEFT_HIDDEN;
/* Drops the mapping inherited from the parent (in a fork child), without
 * touching the parent's file. */
void weft__log_forget(void) WEFT_HIDDEN;
uint64_t weft__now(void) WEFT_HIDDEN;
/* Or'd into a kind passed to weft__emit: the record is a relock (log.h,
 * WEFT_H_RELOCK). */
#define WEFT_EMIT_RELOCK 0x100u
/* Or'd into the kind of an acquisition that this thread's own release
 * was the last of (a mutex it unlocked, taken again at once): its time
 * needs no fence (log_writer.c, tsc_after). */
#define WEFT_EMIT_OWN 0x200u
/* Append one record / a record with its payload. Only inside enter/leave.
 * The tid must be assigned. */
void weft__emit(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2, uint32_t stack,
                uint32_t aux) WEFT_HIDDEN;
/* The same with a release ticket folded in: the record stands for
 * "release (hbobj, rel), then the event" (log.h). */
void weft__emit_rel(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2, uint32_t stack,
                    uint32_t aux, uint64_t hbobj, uint64_t rel) WEFT_HIDDEN;
/* An acquire that goes into this thread's next record (which acquires it
 * before its own event): only while inside an interposed libweft call,
 * whose end record follows before the call returns. */
void weft__hb_defer_acquire(uint64_t obj, uint64_t seq) WEFT_HIDDEN;
/* Happens-before and time (log_writer.c): after a record that released
 * hbobj, and before one that acquires it, so that an acquire's record
 * never gets an earlier time than its release's. The same for a thread's
 * end and its join (keyed by its handle). */
void weft__clock_released(uint64_t hbobj) WEFT_HIDDEN;
void weft__clock_acquired(uint64_t hbobj) WEFT_HIDDEN;
/* This thread's next record comes after time ts (an acquire's release;
 * for a new thread, its creator's clock at the creation: shim_thread.c). */
static inline void weft__clock_after(uint64_t ts) {
    if (ts > weft__t.last_ts)
        weft__t.last_ts = ts;
}
void weft__emit_data(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2, uint32_t stack,
                     uint32_t aux, const void *data, size_t len) WEFT_HIDDEN;
/* A record's stack that is known only later: passed as the stack of
 * weft__emit or weft__emit_data, it makes the record held. A held record
 * and this thread's records after it are written but not committed, so no
 * reader sees them, until weft__log_unhold writes the stack in and commits
 * them all. Why: a thread about to wait on a channel writes its begin
 * record under the channel's lock (its place among the partner's records
 * must be exact), but unwinding its stack there would hold up the thread
 * that waits for that lock to serve it; libweft's weft__hb_wait comes once
 * the lock is let go. A held record whose stack cannot be had (its chunk
 * is left, another record is held, the thread or process ends first) is
 * committed without one: weft__log_unhold(0). */
#define WEFT_STACK_LATER UINT32_MAX
void weft__log_unhold(uint32_t stack) WEFT_HIDDEN;
/* The record of an acquisition of lock obj taken at once from call site
 * pc (kind has WEFT_EMIT_RELOCK when it is a relock): a relock is a store
 * into this thread's relock run (log.h, WEFT_K_MUTEX_RUN) when it can be,
 * which leaves the thread's last lock site (pc_last) as it was; else
 * every such acquisition is one word naming an anchor of the same lock
 * and site when this thread's chunk has one near enough, else an anchor
 * itself (log.h, WEFT_H_BACK). */
void weft__emit_taken(uint16_t kind, uint64_t obj, uintptr_t pc) WEFT_HIDDEN;
/* The record of an unlock of mutex obj: nothing but a store into this
 * thread's relock run when the lock it ends was counted there. */
void weft__emit_unlock(uint64_t obj, uint32_t stack) WEFT_HIDDEN;
/* WEFT_SHIM_RUNS=0: no relock runs (log.h, WEFT_K_MUTEX_RUN). */
void weft__log_runs_off(void) WEFT_HIDDEN;
void weft__log_run_stall(int ms) WEFT_HIDDEN; /* tests: WEFT_TEST_RUN_STALL_MS */
/* For a fatal signal handler: a record in a fresh chunk of its own, so that
 * a record the interrupted code was writing cannot be torn. */
void weft__emit_oob(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2) WEFT_HIDDEN;
/* Give this thread's chunk back for another thread to continue (thread end). */
void weft__log_release_chunk(void) WEFT_HIDDEN;
void weft__log_set_flag(uint32_t flag) WEFT_HIDDEN;
uint32_t weft__log_new_tid(void) WEFT_HIDDEN;
uint32_t weft__log_new_stack(void) WEFT_HIDDEN;
void weft__log_count_dropped(uint64_t n) WEFT_HIDDEN;
/* Run by the shim's thread: prepares log chunks ahead of the claims. It
 * sleeps on weft__log_kick, which a claim bumps and wakes. */
void weft__log_prepare(void) WEFT_HIDDEN;
/* Gives back the pages of the chunks threads left full (log_writer.c):
 * all of them, or only once there are enough for long runs. The shim's
 * thread calls it when it wakes; while that thread does not run
 * (weft__watchdog_ostid 0), the threads that leave chunks do. */
void weft__log_sweep(int all) WEFT_HIDDEN;
extern uint32_t weft__log_kick WEFT_HIDDEN;

/* ---- fault injection for tests (chaos.c; WEFT_CHAOS=SEED[:RATE]) ---- */
/* Sites: each of the shim's fallible steps that chaos can make fail. */
enum {
    WEFT_CHAOS_LOG_OPEN = 1, /* the log's file: EMFILE */
    WEFT_CHAOS_LOG_HEADER,   /* its header: ENOSPC (an empty log) */
    WEFT_CHAOS_LOG_MMAP,     /* its mapping: ENOMEM (a smaller log) */
    WEFT_CHAOS_PREPARE,      /* a chunk's disk blocks: ENOSPC (the log is full) */
    WEFT_CHAOS_SIGNAL,       /* a signal in the middle of a record */
    WEFT_CHAOS_LOG_SIZE,     /* the log's sparse size (ftruncate): ENOSPC (an empty log) */
    WEFT_CHAOS_PROC_FILE     /* /proc/self/cmdline: EMFILE (no argv in the trace) */
};
extern int weft__chaos_on WEFT_HIDDEN;   /* 0 unless a WEFT_CHAOS* variable was set at start */
void weft__chaos_init(void) WEFT_HIDDEN; /* constructor: reads WEFT_CHAOS */
void weft__chaos_fork_child(void) WEFT_HIDDEN;  /* a fork child decides differently */
void weft__relock_fork_child(void) WEFT_HIDDEN; /* shim_sync.c: forget the parent's unlocks */
void weft__relock_init(void) WEFT_HIDDEN;       /* shim_sync.c: WEFT_SHIM_RELOCKS */
void weft__exec_note_user(void) WEFT_HIDDEN;    /* shim_process.c: the euid an exec compares */
int weft__chaos_hit_slow(int site) WEFT_HIDDEN;
void weft__chaos_mid_record_slow(void) WEFT_HIDDEN;
void weft__chaos_after_ts_slow(void) WEFT_HIDDEN; /* WEFT_CHAOS_LATE's hold */
uint64_t weft__chaos_lag_slow(void) WEFT_HIDDEN;  /* WEFT_CHAOS_SKEW: this thread's clock lag */
void weft__chaos_created_slow(void) WEFT_HIDDEN;  /* WEFT_CHAOS_CREATE_LATE's hold */
void weft__chaos_held_slow(void) WEFT_HIDDEN;     /* WEFT_CHAOS_HOLD_LATE's hold */
/* Should this try at site fail? Always 0 without WEFT_CHAOS. */
static inline int weft__chaos_hit(int site) {
    return __builtin_expect(weft__chaos_on, 0) && weft__chaos_hit_slow(site);
}

/* ---- stacks (stack.c) and the module map (modules.c) ---- */
void weft__stack_init(unsigned depth) WEFT_HIDDEN;
void weft__stack_reset(void) WEFT_HIDDEN;      /* fork child: stacks go to the new log again */
void weft__stack_thread_end(void) WEFT_HIDDEN; /* the thread's place for the fast trace freed */
uint32_t weft__stack(void) WEFT_HIDDEN;        /* the caller's stack id (our frames skipped) */
uint32_t weft__stack_user(void) WEFT_HIDDEN;   /* the same from a libweft hook: libweft's skipped */
/* libunwind's memory-validation pipe, without fds (stack.c): while
 * weft__t.unwinding, pipe2 gives these two numbers, which no kernel hands
 * out (they are above fs.nr_open's ceiling), and close of them does
 * nothing. */
#define WEFT_UNWIND_FD 0x7ffffffd
void weft__unwind_pipe2(int fds[2]) WEFT_HIDDEN;
/* A one-frame stack: the call site pc (a return address), interned without
 * unwinding; lock-free, no malloc. 0 when stacks are off, and when pc is
 * the thread's last site again (ingest fills that in: only for the lock
 * acquisitions of shim_sync.c). */
uint32_t weft__stack_site(uintptr_t pc) WEFT_HIDDEN;
/* The same, but the id also when pc is the thread's last site (which it
 * becomes). */
uint32_t weft__stack_site_id(uintptr_t pc) WEFT_HIDDEN;
void weft__modules_init(void) WEFT_HIDDEN; /* constructor: resolves what a fork child needs */
void weft__modules_emit(void) WEFT_HIDDEN; /* walks the loaded objects: not in a fork child */
/* Fork child: the parent's module map from the copy its last walk left,
 * without the loader (another thread may have held its lock at fork).
 * Returns whether a thread of the parent was inside the loader at fork:
 * then the child must not walk the loaded objects (nor unwind stacks). */
int weft__modules_emit_child(void) WEFT_HIDDEN;
void weft__loader_enter(void) WEFT_HIDDEN; /* around our calls into the dynamic loader */
void weft__loader_leave(void) WEFT_HIDDEN;
void weft__stack_disable(void) WEFT_HIDDEN; /* no more stacks in this process */
/* Code may have moved (a dlclose; libweft's range learned): the stacks
 * every thread found again must be unwound anew. */
void weft__stack_code_changed(void) WEFT_HIDDEN;
void weft__modules_self_range(uintptr_t *lo, uintptr_t *hi) WEFT_HIDDEN;
void weft__modules_range_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi) WEFT_HIDDEN;

/* ---- libweft (shim_weft.c) ---- */
/* What libweft's hb annotations do inside an interposed call (weft__t.fold):
 * NONE: each is a record of its own, written at once (outside our calls);
 * ACQ: acquires wait for the call's next record, releases are written at
 * once (a release must be on record before another thread can see it);
 * END: as ACQ, but the first release completes the call: it writes the
 * call's end record (fold_kind, fold_obj, result 0) with the tickets. Only
 * for calls where a release means the call took effect (channel ops that
 * have not waited, close). A channel operation that queues its thread
 * turns END into ACQ first (weft__hb_block), so that the release of its
 * waiter ticket is a record of its own. */
enum { WEFT_FOLD_NONE = 0, WEFT_FOLD_ACQ = 1, WEFT_FOLD_END = 2 };
int weft__from_libweft(uintptr_t pc) WEFT_HIDDEN; /* pc lies in libweft's code */

/* ---- the deadlock watchdog (watchdog.c) ---- */
/* The constructor reads the watchdog's and the live state's settings from
 * the environment once, before it may take them out of it; the watchdog's
 * starts (constructor and fork children) use what it read. */
void weft__watchdog_settings(void) WEFT_HIDDEN;
void weft__watchdog_start(void) WEFT_HIDDEN;      /* constructor and fork child */
void weft__watchdog_need(void) WEFT_HIDDEN;       /* starts the shim's thread if owed */
int32_t weft__watchdog_ostid(void) WEFT_HIDDEN;   /* its kernel tid once it runs, else 0 */
void weft__watchdog_fork_child(void) WEFT_HIDDEN; /* forget the parent's waiters */
extern int weft__wd_on WEFT_HIDDEN;
extern int weft__main_exited WEFT_HIDDEN; /* the main thread called pthread_exit */
void weft__wait_begin_slow(uint16_t kind, uint64_t obj) WEFT_HIDDEN;
void weft__wait_end_slow(void) WEFT_HIDDEN;
void weft__wait_thread_start(void) WEFT_HIDDEN; /* a thread we created starts */
void weft__wait_thread_end(void) WEFT_HIDDEN;   /* it ends: its slot is free */
/* Around a call that blocks until another thread acts (untimed): the
 * watchdog counts such threads. Lock-free, errno untouched. Only for
 * threads that record (not inside the shim). */
static inline void weft__wait_begin(uint16_t kind, uint64_t obj) {
    if (__atomic_load_n(&weft__wd_on, __ATOMIC_RELAXED) && !weft__t.in_shim)
        weft__wait_begin_slow(kind, obj);
}
static inline void weft__wait_end(void) {
    if (weft__t.waiting)
        weft__wait_end_slow();
}

/* ---- the live state file (livestate.c, ../format/livestate.h) ---- */
/* Under weft run (WEFT_LIVE_STATE=1): makes state.PID beside the log and
 * returns its wait table for the watchdog; NULL otherwise. */
void *weft__live_open(void) WEFT_HIDDEN;
void weft__live_settings(void) WEFT_HIDDEN; /* reads WEFT_LIVE_STATE (constructor) */
void weft__live_forget(void) WEFT_HIDDEN;   /* fork child: drop the parent's mapping */
void weft__live_remove(void) WEFT_HIDDEN;   /* a normal exit: the file goes */
/* The process took signal sig (si: from whom), in the header: what weft
 * run reads before passing a signal on. Async-signal-safe; a no-op
 * without the file. */
void weft__live_took_signal(int sig, const siginfo_t *si) WEFT_HIDDEN;
/* Whether the live state file is on (weft run): the signals it passes on
 * are then watched in the program's handlers (shim_signal.c). */
int weft__live_is_on(void) WEFT_HIDDEN;
/* Around a change of slot idx's wait: opening 1 before (its start time is
 * taken), 0 after. No-ops without the file. */
void weft__live_mark(uint32_t idx, int opening) WEFT_HIDDEN;
void weft__live_claim(uint32_t idx, uint32_t tid) WEFT_HIDDEN; /* slot idx is tid's now */
/* This thread's creation stack (pthread_create's, given to its start). */
void weft__live_thread_pcs(const uint64_t *pcs, uint32_t n) WEFT_HIDDEN;
/* The caller's stack id, as weft__stack (skip_libweft: libweft's leading frames too),
 * with up to max of its return addresses copied into pcs (*n of them). */
uint32_t weft__stack_keep(int skip_libweft, uint64_t *pcs, uint32_t max, uint32_t *n) WEFT_HIDDEN;

/* ---- process end (shim_core.c, selfingest.c) ---- */
/* Plain LD_PRELOAD (no weft run): ingest the log into ./weft-PID.db by a
 * forked `weft ingest`, detached from us. No-op under weft run. */
void weft__self_ingest(void) WEFT_HIDDEN;
void weft__self_ingest_prepare(const char *log_path) WEFT_HIDDEN;
int weft__self_ingest_elsewhere(void) WEFT_HIDDEN;
const char *weft__self_ingest_inherit(char *dir, size_t n) WEFT_HIDDEN;
char *const *weft__self_ingest_exec_env(char *const envp[], size_t *mapped) WEFT_HIDDEN;
int weft__signal_is_ours(void (*h)(int, siginfo_t *, void *)) WEFT_HIDDEN;

/* ---- core (shim_core.c) ---- */
void weft__thread_ensure(void) WEFT_HIDDEN; /* gives an unknown thread a tid */
void *weft__real(const char *name) WEFT_HIDDEN;
void *weft__real_v(const char *name, const char *version) WEFT_HIDDEN;
void weft__process_exit_hook(void) WEFT_HIDDEN; /* last chance before the process ends */
void weft__signals_install(void) WEFT_HIDDEN;
void weft__env_drop_self(int self)
    WEFT_HIDDEN; /* shim_env.c: our entry (self) and WEFT_PRELOAD_LEAD leave LD_PRELOAD */
/* weft run --trace-children: the constructor copies weft run's entries;
 * an exec or spawn whose envp preloads the shim without WEFT_LOG gets
 * them back (a mapping of *mapped bytes to unmap if the exec fails). */
void weft__env_keep_traced(void) WEFT_HIDDEN;
char *const *weft__env_traced_exec(char *const envp[], size_t *mapped) WEFT_HIDDEN;

/* Resolve the next definition of a symbol once, lazily; the cast through
 * a union keeps -Wpedantic quiet about object/function pointer casts. */
#define WEFT_REAL(type, var, name)                                                                 \
    do {                                                                                           \
        if (!(var))                                                                                \
            *(void **)(&(var)) = weft__real(name);                                                 \
    } while (0)
#define WEFT_REAL_V(type, var, name, ver)                                                          \
    do {                                                                                           \
        if (!(var))                                                                                \
            *(void **)(&(var)) = weft__real_v(name, ver);                                          \
    } while (0)

/* Recording helpers for interposers. WEFT_RECORD_LITE: enter, record,
 * leave, without saving errno, for records that can only reach put()
 * (log_writer.c keeps errno itself on the rare paths that may touch it:
 * claiming a chunk); the happens-before hooks, our hottest path, use it.
 * WEFT_RECORD: the same, errno saved and restored around it. */
#define WEFT_RECORD_LITE(stmt)                                                                     \
    do {                                                                                           \
        if (weft__enter()) {                                                                       \
            if (!weft__t.tid)                                                                      \
                weft__thread_ensure();                                                             \
            stmt;                                                                                  \
            weft__leave();                                                                         \
        }                                                                                          \
    } while (0)
#define WEFT_RECORD(stmt)                                                                          \
    do {                                                                                           \
        int weft__saved_errno = errno;                                                             \
        WEFT_RECORD_LITE(stmt);                                                                    \
        errno = weft__saved_errno;                                                                 \
    } while (0)

/* The name of a record kind ("chan_send_begin", ...), for the shim's own
 * messages (watchdog, check). */
WEFT_HIDDEN const char *weft__kind_name(unsigned kind);

#endif /* WEFT_HARNESS_SHIM_H */
