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
 * with a small header naming its owner thread; records follow. A record (or
 * a record followed by its payload records) is published by a release store
 * of the chunk's committed count, so a reader sees exactly the records
 * written in full: nothing torn, whatever moment the process died.
 *
 * Records are fixed-size (48 bytes). Variable data (stack frames, paths,
 * names, argv) follows its head record as WEFT_K_DATA records, 40 payload
 * bytes each, always in the same chunk and committed in one store with
 * their head.
 *
 * Everything is little-endian native x86_64/aarch64 layout: a log is read on
 * the machine (or at least the architecture) that wrote it.
 */
#ifndef WEFT_HARNESS_LOG_H
#define WEFT_HARNESS_LOG_H

#include <stdint.h>

#define WEFT_LOG_MAGIC "WEFTLOG\0"
#define WEFT_LOG_VERSION 1u
#define WEFT_LOG_HEADER_SIZE 4096u
#define WEFT_LOG_CHUNK_SIZE (64u * 1024u)
#define WEFT_LOG_CHUNK_HDR 64u
#define WEFT_LOG_REC_SIZE 48u
#define WEFT_LOG_RECS_PER_CHUNK ((WEFT_LOG_CHUNK_SIZE - WEFT_LOG_CHUNK_HDR) / WEFT_LOG_REC_SIZE)
#define WEFT_LOG_DATA_BYTES 40u /* payload bytes in one WEFT_K_DATA record */
#define WEFT_LOG_DEFAULT_MB 4096u /* sparse: only written pages use disk */
#define WEFT_LOG_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */

/* Header flags. */
#define WEFT_LOG_F_FINISHED 1u /* the process ended through a path we saw */

/* The file header. Fields written once at creation are plain; the ones that
 * change while threads run are atomics living in the mapping itself, so a
 * crash leaves them as current as the records. */
struct weft_log_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint32_t chunk_size;
    uint32_t rec_size;
    uint64_t capacity_chunks; /* chunks the file has room for */
    int32_t pid;
    int32_t ppid;
    uint64_t start_mono_ns;  /* CLOCK_MONOTONIC at creation */
    uint64_t start_real_ns;  /* CLOCK_REALTIME at the same moment */
    uint32_t parent_tid;     /* trace thread of the parent that forked us, or 0 */
    uint32_t stack_depth;    /* the cap used for recorded stacks */
    /* Changing while the process runs: */
    uint64_t chunks_claimed; /* atomic; may exceed capacity_chunks (then dropped) */
    uint64_t dropped_events; /* atomic: records we could not store */
    uint32_t next_tid;       /* atomic: last trace thread id handed out */
    uint32_t flags;          /* atomic: WEFT_LOG_F_* */
    uint32_t next_stack;     /* atomic: last stack id handed out */
    uint32_t reserved0;
};

/* At the start of each chunk. committed is the number of records of the
 * chunk that are complete; it only grows, with release stores. */
struct weft_log_chunk {
    uint32_t committed; /* atomic */
    uint32_t magic;     /* WEFT_LOG_CHUNK_MAGIC, written before the first commit */
    uint32_t tid;       /* owner trace thread, written before the first commit */
    uint32_t reserved;
    uint64_t claim_ns;  /* when the chunk was claimed */
};

/* One record. For WEFT_K_DATA records the bytes after `kind`/`len` (40 of
 * them, from `ts` on) are payload instead. */
struct weft_rec {
    uint16_t kind;
    uint16_t len;   /* DATA: payload bytes used; head records: number of DATA records that follow */
    uint32_t tid;   /* trace thread id (1 = main thread of the process) */
    uint64_t ts;    /* CLOCK_MONOTONIC ns */
    uint64_t obj;   /* the object: thread handle, mutex address, fd, ... */
    uint64_t arg;
    uint64_t arg2;
    uint32_t stack; /* stack id, 0 = none */
    uint32_t aux;
};

_Static_assert(sizeof(struct weft_rec) == WEFT_LOG_REC_SIZE, "record size");
_Static_assert(sizeof(struct weft_log_header) <= WEFT_LOG_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct weft_log_chunk) <= WEFT_LOG_CHUNK_HDR, "chunk header size");

/* Event kinds. The numbers are part of the log format (append only); the
 * names are the ones ingest writes into the `kinds` table. X-macro so that
 * the enum and the name table cannot drift apart.
 *   X(enum suffix, number, "name", "family", blocking-phase) */
#define WEFT_KINDS(X)                                                       \
    X(DATA, 1, "data", "log", 0)                                            \
    X(STACK, 2, "stack", "log", 0)          /* obj=id, arg=depth; DATA: pcs */ \
    X(MODULE, 3, "module", "log", 0)        /* obj=bias arg=lo arg2=hi aux=path len stack=build-id len */ \
    X(PROC_START, 10, "proc_start", "process", 0) /* obj=pid arg=ppid; DATA: argv (NUL separated) */ \
    X(PROC_EXE, 11, "proc_exe", "process", 0)     /* DATA: /proc/self/exe */ \
    X(EXIT_CALL, 12, "exit", "process", 0)        /* arg=status */          \
    X(EXIT_NOW, 13, "_exit", "process", 0)        /* arg=status */          \
    X(MAIN_RETURN, 14, "main_return", "process", 0) /* arg=status */        \
    X(SIGNAL_FATAL, 15, "fatal_signal", "process", 0) /* arg=signo arg2=si_code obj=fault addr */ \
    X(FORK, 16, "fork", "process", 0)             /* arg=child pid (or -errno) */ \
    X(FORK_CHILD, 17, "fork_child", "process", 0) /* arg=parent pid arg2=parent tid */ \
    X(EXEC, 18, "exec", "process", 0)             /* arg=-errno on failure; DATA: path */ \
    X(PROC_END, 19, "proc_end", "process", 0)     /* the shim's destructor ran */ \
    X(THREAD_CREATE, 30, "thread_create", "thread", 0) /* obj=handle arg=start routine arg2=arg aux=new tid */ \
    X(THREAD_CREATE_FAIL, 31, "thread_create_failed", "thread", 0) /* arg=error */ \
    X(THREAD_START, 32, "thread_start", "thread", 0) /* obj=handle arg=os tid arg2=creator tid */ \
    X(THREAD_ADOPT, 33, "thread_adopt", "thread", 0) /* a thread we did not see created; obj=handle arg=os tid */ \
    X(THREAD_RETURN, 34, "thread_return", "thread", 0) /* arg=return value */ \
    X(THREAD_EXIT, 35, "pthread_exit", "thread", 0)   /* arg=retval */       \
    X(THREAD_CANCELED, 36, "thread_canceled", "thread", 0)                    \
    X(JOIN_BEGIN, 37, "join_begin", "thread", 1)   /* obj=handle of the target */ \
    X(JOIN_END, 38, "join_end", "thread", 2)       /* obj=handle arg=result */ \
    X(TRYJOIN, 39, "tryjoin", "thread", 0)         /* obj=handle arg=result */ \
    X(DETACH, 40, "detach", "thread", 0)           /* obj=handle arg=result */ \
    X(SETNAME, 41, "setname", "thread", 0)         /* obj=handle arg=result; DATA: name */ \
    X(CANCEL, 42, "cancel", "thread", 0)           /* obj=handle arg=result */ \
    X(MUTEX_LOCK_BEGIN, 60, "mutex_lock_begin", "mutex", 1)                  \
    X(MUTEX_LOCK_END, 61, "mutex_lock_end", "mutex", 2)  /* arg=result */     \
    X(MUTEX_TRYLOCK, 62, "mutex_trylock", "mutex", 0)    /* arg=result */     \
    X(MUTEX_UNLOCK, 63, "mutex_unlock", "mutex", 0)      /* arg=result */     \
    X(MUTEX_INIT, 64, "mutex_init", "mutex", 0)                               \
    X(MUTEX_DESTROY, 65, "mutex_destroy", "mutex", 0)                         \
    X(RW_RDLOCK_BEGIN, 66, "rwlock_rdlock_begin", "rwlock", 1)               \
    X(RW_RDLOCK_END, 67, "rwlock_rdlock_end", "rwlock", 2)                   \
    X(RW_WRLOCK_BEGIN, 68, "rwlock_wrlock_begin", "rwlock", 1)               \
    X(RW_WRLOCK_END, 69, "rwlock_wrlock_end", "rwlock", 2)                   \
    X(RW_TRYLOCK, 70, "rwlock_trylock", "rwlock", 0)  /* arg=result arg2=1 write */ \
    X(RW_UNLOCK, 71, "rwlock_unlock", "rwlock", 0)                           \
    X(COND_WAIT_BEGIN, 72, "cond_wait_begin", "cond", 1) /* arg=mutex */      \
    X(COND_WAIT_END, 73, "cond_wait_end", "cond", 2)     /* arg=result arg2=mutex */ \
    X(COND_SIGNAL, 74, "cond_signal", "cond", 0)                             \
    X(COND_BROADCAST, 75, "cond_broadcast", "cond", 0)                       \
    X(BARRIER_WAIT_BEGIN, 76, "barrier_wait_begin", "barrier", 1)            \
    X(BARRIER_WAIT_END, 77, "barrier_wait_end", "barrier", 2)                \
    X(SEM_WAIT_BEGIN, 78, "sem_wait_begin", "sem", 1)                        \
    X(SEM_WAIT_END, 79, "sem_wait_end", "sem", 2)    /* arg=result (-errno) */ \
    X(SEM_TRYWAIT, 80, "sem_trywait", "sem", 0)                              \
    X(SEM_POST, 81, "sem_post", "sem", 0)                                    \
    X(FD_OPEN, 100, "fd_open", "fd", 0)   /* obj=fd arg=peer fd or -1 aux=how (WEFT_FD_*) */ \
    X(FD_CLOSE, 101, "fd_close", "fd", 0) /* obj=fd arg=result (-errno) */    \
    X(FD_DUP, 102, "fd_dup", "fd", 0)     /* obj=new fd arg=old fd */          \
    X(FD_WRITE_FAIL, 103, "fd_write_failed", "fd", 0) /* obj=fd arg=-errno */ \
    X(HB_RELEASE, 120, "hb_release", "hb", 0) /* obj arg=seq */              \
    X(HB_ACQUIRE, 121, "hb_acquire", "hb", 0)                                \
    X(WEFT_CALL, 130, "weft_call", "weft", 0)      /* aux=WEFT_FN_* obj arg arg2 */ \
    X(WEFT_BEGIN, 131, "weft_begin", "weft", 1)    /* a blocking libweft call starts */ \
    X(WEFT_END, 132, "weft_end", "weft", 2)        /* arg=result */

enum weft_kind {
#define WEFT__KIND_ENUM(name, num, str, fam, blk) WEFT_K_##name = num,
    WEFT_KINDS(WEFT__KIND_ENUM)
#undef WEFT__KIND_ENUM
    WEFT_K_MAX = 256
};

/* How an fd came to be (FD_OPEN aux). */
enum { WEFT_FD_PIPE = 1, WEFT_FD_PIPE2 = 2, WEFT_FD_SOCKETPAIR = 3, WEFT_FD_EVENTFD = 4 };

#endif /* WEFT_HARNESS_LOG_H */
