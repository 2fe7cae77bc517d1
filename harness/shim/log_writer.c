/* SPDX-License-Identifier: MIT */
/* log_writer.c: the writing side of the raw log (see log.h), inside the
 * traced process. Owns the mapping, chunk claiming and recycling, the
 * compact record encoding (only the fields a record uses, time deltas,
 * OWNER records), the append/commit protocol, and the acquire that waits
 * in TLS for this thread's next record (weft__hb_defer_acquire). No locks
 * and no malloc: every path here may run in any thread at any moment,
 * including fatal signal handlers and the child of a fork that happened
 * while another thread was appending. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

__thread struct weft__thread weft__t __attribute__((tls_model("initial-exec")));

static struct weft_log_header *hdr;
static char *base; /* start of chunk 0 */
static size_t map_size;
static uint64_t capacity;    /* chunks that records may claim */
static uint32_t stage_first; /* staging slots (log.h): the first's chunk index */
static int full;             /* set once a claim failed: skip further fetch-adds */

/* Full chunks left by their threads and not yet given back: a bit each
 * (weft__log_sweep below). */
static uint64_t *left_bits; /* a bit per chunk: left, not yet given back */
static uint64_t left_words;
static uint32_t left_n; /* bits set, about (the sweep's hint) */

/* Free chunks that a finished thread left half full: a tagged stack
 * (log.h, weft_log_stack_pop). */
static uint64_t free_head;

/* Chunks [0, prepared) have their disk blocks and pages already: the
 * shim's own thread prepares chunks past the last claim
 * (weft__log_prepare), so that the kernel's zeroing of fresh pages, the
 * bulk of a record's cost otherwise, happens off the program's threads. A
 * claim past that point prepares its chunk itself. The window grows with
 * the chunks claimed so far, from PREPARE_MIN to PREPARE_AHEAD: a
 * program that writes a few chunks in all never holds 4 MiB of log pages
 * it does not use (a 5 ms scenario's RSS under the shim was 6.5 MB, 1.6 MB
 * plain: harness:short_rss), and one that writes fast has the whole
 * window after 64 chunks. */
#define PREPARE_AHEAD 64u
#define PREPARE_MIN 4u
static uint64_t prepared;

/* The window ahead of `claimed` chunks claimed. */
static inline uint64_t prepare_window(uint64_t claimed) {
    return claimed < PREPARE_MIN ? PREPARE_MIN : claimed > PREPARE_AHEAD ? PREPARE_AHEAD : claimed;
}
uint32_t weft__log_kick;

/* TSC timestamps (see log.h): decided once per process at log creation. */
static int use_tsc;
/* Threads with a record held (weft__t.hold), in this process: the thread
 * that ends the process waits for them (weft__log_set_flag). Signed: a
 * raw clone() sharing its parent's TLS can clear one hold twice. */
static int32_t holders;

static inline uint64_t tsc(void) {
#if defined(__x86_64__)
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
#else
    return 0;
#endif
}

/* rdtsc after every instruction before it has completed. A plain rdtsc
 * may run ahead of a load still waiting for a cache line another CPU
 * holds (the lock word a mutex's last owner just released, 100 ns and
 * more across this machine's cores): the record of the lock, stamped
 * then, can get an earlier time than the unlock it waited for, and come
 * before it in the trace (about 1 handoff in 100 of two threads
 * hammering a mutex; none with the fence). The kernel's CLOCK_MONOTONIC
 * fences its rdtsc for the same reason. */
static inline uint64_t tsc_after(void) {
#if defined(__x86_64__)
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return (uint64_t)hi << 32 | lo;
#else
    return 0;
#endif
}

/* Which records take their time after a fence: those of the kinds that
 * observe another thread (log.h, WEFT_KIND_OBSERVES; a record carrying a
 * ticket acquired is fenced by put_inline too). The others (begins,
 * unlocks, posts, signals, closes: written before their effect, which
 * only a store later publishes) take the cheaper plain rdtsc: the fence
 * costs 7 ns alone and about 23 ns a lock+unlock pair in a loop (it
 * waits for the lock's atomic, which waits for the stores before it):
 * 9% of a recorded sqlite3 index build when every record paid it. A lock
 * this thread itself unlocked last (WEFT_EMIT_OWN, most locks of such a
 * program) observed nothing of another thread: no fence either. */
#define FENCE_ENTRY(e, num, name, fam, phase) [num] = WEFT_KIND_OBSERVES(num, phase),
static const uint8_t fenced_kinds[256] = {WEFT_KINDS(FENCE_ENTRY)};
#undef FENCE_ENTRY

static inline int fenced(uint16_t kind) {
    /* what an OWN acquisition observed, this thread did itself */
    return !(kind & WEFT_EMIT_OWN) && fenced_kinds[kind & 0xffu];
}

/* An invariant TSC ticks at one rate on every core, in every power state,
 * and is what CLOCK_MONOTONIC itself reads here: safe to order records of
 * different threads by. WEFT_TSC=0 turns it off. */
static int tsc_usable(void) {
#if defined(__x86_64__)
    const char *e = secure_getenv("WEFT_TSC");
    if (e && *e == '0')
        return 0;
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *flags = strstr(buf, "\nflags");
    if (!flags)
        return 0;
    char *end = strchr(flags + 1, '\n');
    if (end)
        *end = 0;
    return strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc");
#else
    return 0;
#endif
}

uint64_t weft__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t realtime_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct weft_log_chunk *chunk_at(uint64_t idx) {
    return (struct weft_log_chunk *)(base + idx * WEFT_LOG_CHUNK_SIZE);
}

/* What a log is made with, decided once in the first process image (the
 * constructor) and reused by its fork children, which must not read the
 * environment or /proc/cpuinfo while another thread of the parent could
 * have been changing them. */
static uint64_t want_mb;

/* The path of the log: for the self-ingest (shim_core.c) and the
 * fallback of prepare() on kernels without MADV_POPULATE_WRITE. */
static char log_path[4200];

const char *weft__log_path(void) {
    return log_path;
}

/* The largest size our log may have: RLIMIT_FSIZE (a write or truncate
 * past it raises SIGXFSZ in the program). */
static uint64_t fsize_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    return (uint64_t)rl.rlim_cur;
}

/* Under a finite RLIMIT_AS the log's mapping counts against the program's
 * own address space: we take at most 1/16 of the limit, so that the
 * thread stacks and heap the program plans for still fit (a program that
 * ran in 300 MB crashed when a halved-until-it-fits log took 256 MB of
 * it). */
static uint64_t as_share(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    return (uint64_t)rl.rlim_cur / 16;
}

/* The bits of the chunks left (below): anonymous pages, touched only
 * where chunks are; without them each chunk is given back on its own. */
static void left_bits_unmap(void) {
    if (left_bits)
        munmap(left_bits, left_words * sizeof *left_bits);
    left_bits = NULL;
    left_words = 0;
    left_n = 0;
}

static void left_bits_map(void) {
    left_bits_unmap();
    uint64_t words = (capacity + 63) / 64;
    void *m = mmap(NULL, words * sizeof *left_bits, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m != MAP_FAILED) {
        left_bits = m;
        left_words = words;
    }
}

int weft__log_open(int fd, const char *path, int ppid, uint32_t parent_tid, uint32_t depth) {
    /* We own fd until we return: it is closed on every path. The mapping
     * is all we keep, so no later close(), dup2() or close_range() of the
     * program can make us write into a file of its own (issue 9). */
    int err = 0;
    if (!want_mb) {
        want_mb = WEFT_LOG_DEFAULT_MB;
        const char *e = secure_getenv("WEFT_LOG_MB");
        if (e && atoll(e) > 0)
            want_mb = (uint64_t)atoll(e);
        use_tsc = tsc_usable();
    }
    snprintf(log_path, sizeof log_path, "%s", path);
    __atomic_store_n(&holders, 0, __ATOMIC_RELAXED); /* a fork child's: its parent's threads' */
    uint64_t bytes = want_mb * 1024u * 1024u, lim = fsize_limit(), as = as_share();
    if (bytes > lim)
        bytes = lim;
    if (bytes > as)
        bytes = as;
    if (bytes < WEFT_LOG_HEADER_SIZE + WEFT_LOG_CHUNK_SIZE) {
        close(fd);
        return -EFBIG; /* a zero-length log: no trace from this process */
    }
    capacity = (bytes - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
    /* The mapping first (nothing is touched yet): under a small RLIMIT_AS
     * a 4 GiB mapping fails, so halve it down to 1 MiB of chunks; the
     * header says what we got (capacity_chunks). */
    void *m;
    for (;;) {
        map_size = WEFT_LOG_HEADER_SIZE + capacity * WEFT_LOG_CHUNK_SIZE;
        if (weft__chaos_hit(WEFT_CHAOS_LOG_MMAP)) {
            m = MAP_FAILED;
            errno = ENOMEM;
        } else {
            m = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
        }
        if (m != MAP_FAILED)
            break;
        err = errno;
        if (err != ENOMEM || capacity <= 16) {
            close(fd);
            return -err;
        }
        capacity /= 2;
    }
    /* The staging slots take the last chunks of the file, when it has
     * room for many more than them (they cost no disk until a copier
     * attaches: the file is sparse). */
    uint64_t slots = capacity >= 8u * WEFT_STAGE_SLOTS ? WEFT_STAGE_SLOTS : 0;
    /* The header goes to the file with pwrite, before the file grows: a
     * full disk is then an error here, never a SIGBUS later; and a process
     * killed at any moment leaves either an empty file or a valid header,
     * never 4 GiB of zeros. An empty log means "this process could not
     * write its trace" (docs/harness.md). */
    static union {
        struct weft_log_header h;
        char page[WEFT_LOG_HEADER_SIZE];
    } init;
    memset(&init, 0, sizeof init);
    struct weft_log_header *h = &init.h;
    h->version = WEFT_LOG_VERSION;
    h->header_size = WEFT_LOG_HEADER_SIZE;
    h->chunk_size = WEFT_LOG_CHUNK_SIZE;
    h->word_size = WEFT_LOG_WORD;
    h->capacity_chunks = capacity - slots;
    h->stage_first = (uint32_t)(capacity - slots);
    h->stage_n = (uint32_t)slots;
    h->pid = getpid();
    h->ppid = ppid;
    if (use_tsc) {
        /* The monotonic reading between two TSC readings: their middle. */
        uint64_t t0 = tsc();
        h->start_mono_ns = weft__now();
        uint64_t t1 = tsc();
        h->start_tsc = t0 + (t1 - t0) / 2;
        h->ts_tsc = 1;
    } else {
        h->start_mono_ns = weft__now();
    }
    h->start_real_ns = realtime_now();
    h->parent_tid = parent_tid;
    h->stack_depth = depth;
    memcpy(h->magic, WEFT_LOG_MAGIC, 8);
    ssize_t w = -1;
    if (weft__chaos_hit(WEFT_CHAOS_LOG_HEADER))
        errno = ENOSPC;
    else
        while ((w = pwrite(fd, &init, sizeof init, 0)) < 0 && errno == EINTR)
            ;
    if (w != (ssize_t)sizeof init) {
        err = w < 0 ? errno : ENOSPC;
        goto fail;
    }
    /* A sparse file: only the pages we reserve (prepare) take disk space. */
    if (weft__chaos_hit(WEFT_CHAOS_LOG_SIZE)) {
        err = ENOSPC;
        goto fail;
    }
    if (ftruncate(fd, (off_t)map_size) != 0) {
        err = errno;
        goto fail;
    }
    close(fd);
    hdr = m;
    base = (char *)m + WEFT_LOG_HEADER_SIZE;
    capacity -= slots;
    stage_first = (uint32_t)capacity;
    full = 0;
    free_head = 0;
    prepared = 0;
    left_bits_map();
    return 0;
fail:
    munmap(m, map_size);
    if (ftruncate(fd, 0) != 0) {
        /* nothing more we can do: the reader rejects a short header */
    }
    close(fd);
    return -err;
}

void weft__log_forget(void) {
    /* The parent's mapping stays valid in the child (we could still write
     * into it), so unmap it: nothing the child does may reach the parent's
     * log. We hold no fd. */
    if (hdr)
        munmap(hdr, map_size);
    hdr = NULL;
    base = NULL;
    weft__t.chunk = NULL;
    weft__t.pos = 0;
    left_bits_unmap(); /* the parent's chunks, unmapped now */
    weft__t.staged = 0;
    /* and the run counted in one of them */
    memset(&weft__t.run, 0, sizeof weft__t.run);
}

/* Reserves chunk idx's disk blocks and faults its pages in, with one
 * call and no fd: MADV_POPULATE_WRITE (Linux 5.14+) write-faults every
 * page of the shared mapping, which makes the filesystem allocate its
 * blocks (ext4's delayed allocation reserves them, tmpfs its pages), and
 * says EFAULT where a write would have raised SIGBUS (the disk is full).
 * Older kernels say EINVAL: there we reserve with fallocate on an fd
 * opened for the moment by path (O_CLOEXEC, closed at once), and a
 * filesystem without fallocate goes on unprotected. -1: no room. */
static int prepare(uint64_t idx) {
    if (weft__chaos_hit(WEFT_CHAOS_PREPARE))
        return -1; /* as MADV_POPULATE_WRITE's EFAULT on a full disk */
    int e = errno, r = 0;
    if (madvise(chunk_at(idx), WEFT_LOG_CHUNK_SIZE, 23 /* MADV_POPULATE_WRITE */) != 0) {
        if (errno == EINVAL || errno == ENOSYS) {
            off_t off = (off_t)(WEFT_LOG_HEADER_SIZE + idx * WEFT_LOG_CHUNK_SIZE);
            int fd = open(log_path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd < 0 || (fallocate(fd, 0, off, WEFT_LOG_CHUNK_SIZE) != 0 && errno != EOPNOTSUPP))
                r = -1;
            if (fd >= 0)
                close(fd);
        } else {
            r = -1;
        }
    }
    errno = e;
    return r;
}

void weft__log_prepare(void) {
    /* With a copier attached the program's threads write into staging
     * slots: pages faulted in ahead would only cost it memory. */
    if (!hdr || __atomic_load_n(&hdr->stage_copier, __ATOMIC_RELAXED))
        return;
    for (;;) {
        uint64_t claimed = __atomic_load_n(&hdr->chunks_claimed, __ATOMIC_RELAXED);
        if (claimed > capacity)
            claimed = capacity;
        uint64_t want = claimed + prepare_window(claimed);
        if (want > capacity)
            want = capacity;
        uint64_t p = __atomic_load_n(&prepared, __ATOMIC_RELAXED);
        /* Chunks claimed past the window (before this thread started, or
         * while it lagged) were prepared by their claimers, and may be
         * full and given back already (reserve_slow): preparing them
         * again would fault their pages back into the program for good
         * (a single-threaded sqlite3 index build that starts its sort
         * threads late: 107 MB of RSS instead of 24). Skipping them is
         * safe: a claim reads `prepared` (acquire) before it takes its
         * index, and this load comes before the store (release), so a
         * claimer whose index is below this claimed count saw the window
         * before this store and prepared its chunk itself. */
        if (p < claimed) {
            p = claimed;
            __atomic_store_n(&prepared, p, __ATOMIC_RELEASE);
        }
        if (p >= want || prepare(p) != 0)
            return;
        __atomic_store_n(&prepared, p + 1, __ATOMIC_RELEASE);
    }
}

/* Chunk c starts as this thread's chunk idx (its own, or the staging
 * slot that stands for it): its header, its first word at *pos. */
static struct weft_log_chunk *chunk_begin(struct weft_log_chunk *c, uint64_t idx, uint32_t *pos) {
    c->magic = WEFT_LOG_CHUNK_MAGIC;
    c->tid = weft__t.tid;
    c->claim_tsc = use_tsc ? tsc() : 0;
    c->claim_ns = weft__now();
    weft__t.chunk_idx = (uint32_t)idx;
    *pos = 0;
    return c;
}

/* Staging (log.h, "Staging slots"): a free slot for a fresh chunk index,
 * while a copier is attached; NULL otherwise (the chunk is then claimed
 * in place). The slot's fields are reset before its destination is
 * published: the copier looks only at slots with one. */
static struct weft_log_chunk *claim_staged(uint32_t *pos) {
    if (!hdr->stage_n || !__atomic_load_n(&hdr->stage_copier, __ATOMIC_ACQUIRE))
        return NULL;
    uint32_t k;
    struct weft_log_chunk *c = weft_log_stack_pop(
        &hdr->stage_free, (unsigned char *)chunk_at(stage_first), hdr->stage_n, &k);
    if (!c)
        return NULL;
    uint64_t idx = __atomic_fetch_add(&hdr->chunks_claimed, 1, __ATOMIC_RELAXED);
    if (idx >= capacity) {
        /* the log is full: the slot stays out of use, as the chunks do */
        __atomic_store_n(&full, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    __atomic_store_n(&c->committed, 0, __ATOMIC_RELAXED);
    c->stage_copied = 0;
    chunk_begin(c, idx, pos);
    __atomic_store_n(&c->stage_state, WEFT_STAGE_WRITING, __ATOMIC_RELAXED);
    __atomic_store_n(&c->stage_dest1, (uint32_t)idx + 1, __ATOMIC_RELEASE);
    weft__t.staged = 1;
    return c;
}

/* This thread leaves its staging slot: the copier copies the rest and
 * frees it. */
static void stage_leave(struct weft_log_chunk *c) {
    __atomic_store_n(&c->stage_state, WEFT_STAGE_FULL, __ATOMIC_RELEASE);
    weft__t.staged = 0;
}

/* Claims a chunk for this thread: a recycled one or a fresh one, and in
 * *pos the first free word in it. NULL when the log is full or the disk
 * is. */
static struct weft_log_chunk *claim(int allow_recycled, uint32_t *pos) {
    if (!hdr)
        return NULL;
    if (allow_recycled) {
        uint32_t k;
        struct weft_log_chunk *c =
            weft_log_stack_pop(&free_head, (unsigned char *)base, (uint32_t)capacity, &k);
        if (c) {
            weft__t.chunk_idx = k;
            *pos = __atomic_load_n(&c->committed, __ATOMIC_ACQUIRE);
            return c;
        }
    }
    if (__atomic_load_n(&full, __ATOMIC_RELAXED))
        return NULL;
    struct weft_log_chunk *s = claim_staged(pos);
    if (s)
        return s;
    /* The window read before the index is taken (weft__log_prepare
     * skips the chunks claimed before it looks). */
    uint64_t ready = __atomic_load_n(&prepared, __ATOMIC_ACQUIRE);
    uint64_t idx = __atomic_fetch_add(&hdr->chunks_claimed, 1, __ATOMIC_RELAXED);
    if (idx >= capacity) {
        __atomic_store_n(&full, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    if (idx >= ready && prepare(idx) != 0) {
        __atomic_store_n(&full, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    /* Half way through the prepared window: wake the shim's thread. */
    if (idx + prepare_window(idx) / 2 >= __atomic_load_n(&prepared, __ATOMIC_RELAXED)) {
        int e = errno; /* the hot path of the hb hooks leaves errno to us */
        __atomic_add_fetch(&weft__log_kick, 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, &weft__log_kick, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        errno = e;
    }
    return chunk_begin(chunk_at(idx), idx, pos);
}

static inline __attribute__((always_inline)) uint64_t next_ts(int fence, uint64_t lag) {
    /* Strictly increasing per thread. In TSC ticks by at least 8, so that
     * the times stay distinct once turned into ns (any TSC up to 8 GHz).
     * fence: see tsc_after (clock_gettime fences by itself). lag: a clock
     * made to run behind, for tests (WEFT_CHAOS_SKEW). */
    uint64_t ts, step = use_tsc ? 8 : 1;
    ts = (use_tsc ? fence ? tsc_after() : tsc() : weft__now()) - lag;
    if (ts < weft__t.last_ts + step)
        ts = weft__t.last_ts + step;
    weft__t.last_ts = ts;
    return ts;
}

/* Causality across CPUs. Under a hypervisor one vCPU's TSC can run tens
 * or hundreds of ns ahead of another's: enough for the record of an
 * acquire to get an earlier time than the release it acquired, and so to
 * come first in the trace (harness:fold caught it under load). The time
 * of a release's record is left here, by hb object; an acquire moves its
 * thread's clock past it, so its own record comes after. Releases of one
 * object are ordered by libweft's lock, which also makes the time visible
 * to the acquirer. A slot keeps the latest time left in it: two objects
 * sharing one only move a clock forward a little. Called by the hb hooks
 * (shim_weft.c) after the record: kept out of put(), where the extra
 * store cost ~10 ns per record (measured). */
enum { REL_SLOTS = 4096 };
static uint64_t rel_ts[REL_SLOTS];

static inline uint64_t *rel_slot(uint64_t hbobj) {
    return &rel_ts[(uint32_t)((hbobj >> 3) * 0x9e3779b1u) % REL_SLOTS];
}

void weft__clock_released(uint64_t hbobj) {
    /* Never backwards: the next release of the object may come from a
     * thread whose clock lags this one's, and overwriting would let an
     * acquire of this ticket, made after that release, be stamped before
     * this release's record (harness:fold, once in 25 runs). Two objects
     * of one slot race on it without a lock: hence the CAS. */
    uint64_t *s = rel_slot(hbobj), cur = __atomic_load_n(s, __ATOMIC_RELAXED);
    while (cur < weft__t.last_ts &&
           !__atomic_compare_exchange_n(s, &cur, weft__t.last_ts, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        ;
}

void weft__clock_acquired(uint64_t hbobj) {
    weft__clock_after(__atomic_load_n(rel_slot(hbobj), __ATOMIC_RELAXED));
}

static inline uint64_t *chunk_words(struct weft_log_chunk *c) {
    return (uint64_t *)((char *)c + WEFT_LOG_CHUNK_HDR);
}

/* Every record is written through local copies of this thread's chunk
 * and position, read from TLS once and bounds-checked: a thread made by a
 * raw clone() without CLONE_SETTLS shares its parent's TLS, and the two
 * then change weft__t.chunk and weft__t.pos under each other. Their chunk
 * holds a mix of both (the reader skips it as damaged), but neither can
 * write through NULL or past the end of a chunk (t_rawclone crashed so:
 * harness:raw_clone). */
static void commit(struct weft_log_chunk *c, uint32_t end) {
    weft__t.pos = end;
    /* Release: the record bytes are visible before the count that covers
     * them, to a reader of the file after any death of this process. A
     * held record (weft__log_unhold) keeps the count where it is. */
    if (__builtin_expect(!weft__t.hold, 1))
        __atomic_store_n(&c->committed, end, __ATOMIC_RELEASE);
}

/* A held record and those after it are in this thread's chunk (reserve
 * leaves no chunk with a record held: see HOLD_ROOM). Its stack word is
 * written whole, so that an unhold(0) from a signal handler that came
 * in the middle of one leaves no mix of two ids. */
void weft__log_unhold(uint32_t stack) {
    struct weft_log_chunk *c = weft__t.chunk;
    if (!weft__t.hold)
        return;
    if (!c) { /* (a raw clone sharing our TLS: see above) */
        weft__t.hold = 0;
        __atomic_sub_fetch(&holders, 1, __ATOMIC_RELEASE);
        return;
    }
    uint64_t *w = chunk_words(c) + weft__t.hold_at;
    *w = (*w & ~(uint64_t)UINT32_MAX) | stack;
    weft__t.hold = 0;
    __atomic_store_n(&c->committed, weft__t.pos, __ATOMIC_RELEASE);
    __atomic_sub_fetch(&holders, 1, __ATOMIC_RELEASE);
}

/* Starts this thread's run of records in chunk c (fresh or recycled): an
 * OWNER record naming the thread, whose full timestamp is the base of the
 * deltas that follow. It is committed at once, on its own: harmless if
 * nothing follows. */
static void own(struct weft_log_chunk *c, uint32_t pos) {
    weft__t.chunk = c;
    uint64_t *w = chunk_words(c) + pos;
    w[0] = WEFT_K_OWNER | (uint64_t)(WEFT_W_TS | WEFT_W_ARG) << 8;
    w[1] = weft__t.last_ts;
    w[2] = weft__t.tid;
    weft__t.seg_ts = weft__t.last_ts;
    weft__t.seg_obj = 0; /* the OWNER record's obj */
    /* a record names anchors of its own run only: a reader may start here */
    memset(weft__t.anchor, 0, sizeof weft__t.anchor);
    weft__t.anchor_mru = 0;
    /* and its relock run, streak and last relock are in the chunk left */
    memset(&weft__t.run, 0, sizeof weft__t.run);
    commit(c, pos + 3);
}

/* A chunk left full is never written again: its pages leave the
 * program's memory (MADV_DONTNEED on a shared file mapping only unmaps
 * them: what was written stays in the page cache and the file). Without
 * this the program's RSS grows with its log, 64 KiB a chunk, for as long
 * as it runs.
 *
 * Each such call flushes the TLB of every other CPU the program's threads
 * run on, and on a VM the interrupt costs a hypervisor exit on both
 * sides: 180 us a call on our 2-vCPU test machine, during which the other
 * thread stalls too. A thread that gave back its own chunks in runs of
 * neighbours lost that batching as soon as two threads wrote (their
 * chunks interleave: every run was one chunk long), and a ping-pong of
 * two threads spent 18% of its time there. So the thread that leaves a
 * chunk only marks it (a bit per chunk, left_bits), and the shim's thread
 * gives the marked chunks back in runs of neighbours across all threads
 * (weft__log_sweep): once SWEEP_AT are marked (it wakes every
 * PREPARE_AHEAD / 2 chunks claimed), and every 100 ms whatever is marked.
 * Without that thread (a process of one thread, whose chunks are
 * neighbours anyway, or WEFT_SHIM_THREAD=0) the thread that marks the
 * DROP_BATCH-th chunk sweeps itself. So does one that finds SWEEP_LATE
 * marked while the shim's thread runs: that thread may get no CPU for a
 * while (a loaded machine, the program's threads on every core), and the
 * program's memory must not wait for it. */
#define DROP_BATCH 16u
#define SWEEP_AT 64u
#define SWEEP_LATE 128u

static void give_back(uint64_t lo, uint64_t n) {
    int e = errno; /* the program's errno is never ours to change */
    madvise(chunk_at(lo), (size_t)n * WEFT_LOG_CHUNK_SIZE, MADV_DONTNEED);
    errno = e;
}

void weft__log_sweep(int all) {
    uint64_t *bits = left_bits;
    uint32_t pending = __atomic_load_n(&left_n, __ATOMIC_RELAXED);
    if (!bits || !pending || (!all && pending < SWEEP_AT))
        return;
    uint64_t lo = 0, n = 0;
    uint32_t taken = 0;
    for (uint64_t w = 0; w < left_words; w++) {
        if (!__atomic_load_n(&bits[w], __ATOMIC_RELAXED))
            continue;
        /* Taken whole: a bit set after this is the next sweep's. Two
         * sweeps at once (a thread of the program's before the shim's
         * thread started) take disjoint bits. */
        uint64_t b = __atomic_exchange_n(&bits[w], 0, __ATOMIC_ACQUIRE);
        for (; b; b &= b - 1, taken++) {
            uint64_t idx = w * 64 + (uint64_t)__builtin_ctzll(b);
            if (n && lo + n == idx) {
                n++;
                continue;
            }
            if (n)
                give_back(lo, n);
            lo = idx;
            n = 1;
        }
    }
    if (n)
        give_back(lo, n);
    __atomic_sub_fetch(&left_n, taken, __ATOMIC_RELAXED);
}

/* idx < capacity: the bitmap covers every chunk a thread can leave. */
static void drop_later(uint32_t idx) {
    if (!left_bits) {
        give_back(idx, 1); /* no room for the bits: one call a chunk */
        return;
    }
    __atomic_fetch_or(&left_bits[idx / 64], 1ull << (idx % 64), __ATOMIC_RELEASE);
    uint32_t pending = __atomic_add_fetch(&left_n, 1, __ATOMIC_RELAXED);
    if (pending >= SWEEP_LATE || (pending >= DROP_BATCH && !weft__watchdog_ostid()))
        weft__log_sweep(1);
}

/* reserve() when this thread's chunk has no room for n words, or it has
 * no chunk yet. */
static __attribute__((noinline)) uint64_t *reserve_slow(uint32_t n, struct weft_log_chunk **cp,
                                                        uint32_t *posp) {
    if (n + 3 > WEFT_LOG_CHUNK_WORDS) {
        weft__log_count_dropped(1);
        return NULL;
    }
    struct weft_log_chunk *c = weft__t.chunk;
    uint32_t pos;
    weft__log_unhold(0); /* records past a held one's room: see HOLD_ROOM */
    if (c && weft__t.staged)
        stage_leave(c);
    else if (c)
        drop_later(weft__t.chunk_idx);
    weft__t.chunk = NULL;
    c = claim(1, &pos);
    if (c && pos > WEFT_LOG_CHUNK_WORDS - 3 - n)
        c = claim(0, &pos); /* a recycled chunk without room: take a fresh one */
    if (!c) {
        weft__log_count_dropped(1);
        return NULL;
    }
    own(c, pos);
    pos += 3;
    *cp = c;
    *posp = pos;
    return chunk_words(c) + pos;
}

/* A held record is written only where its chunk has this many words more
 * of room: enough for the records its thread writes before the stack is
 * known (the release of its waiter ticket, under the channel's lock) and
 * for the stack's own record (at most MAX_DEPTH frames: stack.c), so
 * that the chunk need not be left before that. Only records of a signal
 * handler that came in between can fill it: the held record then goes
 * without its stack (reserve_slow). */
#define HOLD_ROOM 160u

/* Room for n consecutive words: the chunk in *cp, the first word at *posp;
 * NULL when there is none (the record is counted as dropped then). The
 * common case, room in this thread's chunk, inlined into the record
 * writer: a call less per record (with the clock inlined too, 39 fewer
 * instructions of a record's ~300: callgrind, a lock/unlock mix). */
static inline __attribute__((always_inline)) uint64_t *
reserve(uint32_t n, struct weft_log_chunk **cp, uint32_t *posp) {
    struct weft_log_chunk *c = weft__t.chunk;
    uint32_t pos = weft__t.pos;
    if (__builtin_expect(!c || pos + n > WEFT_LOG_CHUNK_WORDS, 0))
        return reserve_slow(n, cp, posp);
    *cp = c;
    *posp = pos;
    return chunk_words(c) + pos;
}

/* Writes one record: the fields that are non-zero, the tickets asked for,
 * the payload; hold: stack is WEFT_STACK_LATER (shim.h). Every record goes
 * through here: put() below, or inlined (the common record of weft__emit,
 * with the ticket arguments and hold constant; GCC stopped inlining it
 * there by itself once the chaos branch made it a little longer, which
 * cost ~15 ns a record: bench_rec_cost). */
static inline __attribute__((always_inline)) uint32_t
put_inline(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2, uint32_t stack, uint32_t aux,
           int acq_on, uint64_t acq, int rel_on, uint64_t rel, uint64_t hbobj, const void *data,
           size_t len, int hold) {
    if (len > WEFT_LOG_MAX_DATA)
        len = WEFT_LOG_MAX_DATA;
    uint32_t f = 0, n = 2; /* header, and room for a full ts */
    uint64_t sa = (uint64_t)aux << 32 | stack, hbd = 0;
    f |= obj ? WEFT_W_OBJ : 0;
    n += !!obj + !!arg + !!arg2 + !!sa + acq_on + rel_on;
    f |= arg ? WEFT_W_ARG : 0;
    f |= arg2 ? WEFT_W_ARG2 : 0;
    f |= sa ? WEFT_W_SA : 0;
    if (acq_on || rel_on) {
        f |= (acq_on ? WEFT_W_ACQ : 0) | (rel_on ? WEFT_W_REL : 0);
        if (hbobj - obj < 256) {
            hbd = hbobj - obj;
        } else {
            f |= WEFT_W_HBOBJ;
            n++;
        }
    }
    if (data)
        n += 1 + (uint32_t)((len + 7) / 8);
    struct weft_log_chunk *c;
    uint32_t pos;
    if (hold) {
        weft__log_unhold(0);      /* one held record at a time */
        sa = (uint64_t)aux << 32; /* the stack comes in this word */
    }
    uint64_t *w = reserve(hold ? n + HOLD_ROOM : n, &c, &pos);
    if (!w)
        return UINT32_MAX;
    /* Tests only (chaos.c), one branch on the way: a signal now, with
     * this record claimed but not committed; a clock behind the others';
     * then this thread held once its time is taken. */
    uint64_t ts;
    int fence = acq_on || fenced(kind);
    if (__builtin_expect(weft__chaos_on, 0)) {
        weft__chaos_mid_record_slow();
        ts = next_ts(fence, weft__chaos_lag_slow());
        weft__chaos_after_ts_slow();
    } else {
        ts = next_ts(fence, 0);
    }
    uint64_t d = ts - weft__t.seg_ts;
    uint32_t k = 1;
    if (d > 0xffffffffu) {
        f |= WEFT_W_TS;
        w[k++] = ts;
        d = 0;
    }
    weft__t.seg_ts = ts;
    if (data)
        f |= WEFT_W_DATA;
    if (obj && obj == weft__t.seg_obj)
        f ^= WEFT_W_OBJ | WEFT_W_SAME;
    weft__t.seg_obj = obj;
    /* A release inside one of libweft's channel operations (shim_weft.c). */
    uint64_t once = (rel_on || kind == WEFT_K_HB_RELEASE) && weft__t.fold && weft__t.fold_once
                        ? WEFT_H_ONCE
                        : 0;
    uint64_t relock = kind & WEFT_EMIT_RELOCK ? WEFT_H_RELOCK : 0;
    w[0] = (kind & 0xffu) | (uint64_t)f << 8 | once | relock | hbd << 24 | d << 32;
    if (f & WEFT_W_OBJ)
        w[k++] = obj;
    if (arg)
        w[k++] = arg;
    if (arg2)
        w[k++] = arg2;
    if (hold) {
        weft__t.hold = 1;
        __atomic_add_fetch(&holders, 1, __ATOMIC_RELAXED);
        weft__t.hold_at = pos + k;
    }
    if (f & WEFT_W_SA)
        w[k++] = sa;
    if (f & WEFT_W_HBOBJ)
        w[k++] = hbobj;
    if (acq_on)
        w[k++] = acq;
    if (rel_on)
        w[k++] = rel;
    if (data) {
        w[k++] = len;
        if (len) {
            w[k + (len - 1) / 8] = 0; /* the padding of the last word */
            memcpy(&w[k], data, len);
            k += (uint32_t)((len + 7) / 8);
        }
    }
    commit(c, pos + k);
    return pos;
}

static __attribute__((noinline)) uint32_t put(uint16_t kind, uint64_t obj, uint64_t arg,
                                              uint64_t arg2, uint32_t stack, uint32_t aux,
                                              int acq_on, uint64_t acq, int rel_on, uint64_t rel,
                                              uint64_t hbobj, const void *data, size_t len) {
    return put_inline(kind, obj, arg, arg2, stack, aux, acq_on, acq, rel_on, rel, hbobj, data, len,
                      stack == WEFT_STACK_LATER);
}

/* The acquire libweft announced inside the current call, if any, goes into
 * the next record this thread writes (see weft__hb_defer_acquire). */
static inline int take_acq(uint64_t *obj, uint64_t *seq) {
    if (!weft__t.pacq_on)
        return 0;
    weft__t.pacq_on = 0;
    *obj = weft__t.pacq_obj;
    *seq = weft__t.pacq_seq;
    return 1;
}

void weft__emit(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2, uint32_t stack,
                uint32_t aux) {
    uint64_t ao = 0, as = 0;
    /* two calls: the common one, without an acquire or a held record,
     * inlines with the ticket arguments constant and no hold code */
    int acq = take_acq(&ao, &as);
    if (acq || stack == WEFT_STACK_LATER)
        put(kind, obj, arg, arg2, stack, aux, acq, as, 0, 0, ao, NULL, 0);
    else
        put_inline(kind, obj, arg, arg2, stack, aux, 0, 0, 0, 0, 0, NULL, 0, 0);
}

void weft__emit_rel(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2, uint32_t stack,
                    uint32_t aux, uint64_t hbobj, uint64_t rel) {
    uint64_t ao = 0, as = 0;
    int acq = take_acq(&ao, &as);
    if (acq && ao != hbobj) {
        /* One hb object per record: this acquire gets a record of its own. */
        put(WEFT_K_HB_ACQUIRE, ao, as, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0);
        acq = 0;
    }
    put(kind, obj, arg, arg2, stack, aux, acq, as, 1, rel, hbobj, NULL, 0);
}

_Static_assert(WEFT_ANCHORS >= 2 && WEFT_ANCHORS / 2 <= 32 && !(WEFT_ANCHORS & (WEFT_ANCHORS - 1)),
               "anchor_mru has a bit per set of two anchors");

static inline int anchor_is(uint32_t i, uint64_t obj, uint32_t site) {
    return weft__t.anchor[i].obj == obj && weft__t.anchor[i].site == site;
}

/* An acquisition taken at once (kind with WEFT_EMIT_RELOCK when it is a
 * relock) of obj from site, written as a record: one word naming its
 * anchor (log.h, WEFT_H_BACK), an anchor, or, for a lock that is no
 * relock from the thread's last site again (same_site: a loop over many
 * mutexes from one call), the record without its site that names no
 * anchor and takes no anchor's place. */
static void anchored_record(uint16_t kind, uint64_t obj, uint32_t site, int same_site) {
    if (__builtin_expect(weft__chaos_on, 0)) {
        weft__emit(kind, obj, 0, 0, site, 0);
        return;
    }
    /* The pair's set of two slots, by a hash of it (one multiply: the
     * high bits of the product); in the set, the slot that holds the
     * pair, or else the one named less recently (bit s of anchor_mru:
     * slot 1 of set s was named or made last). */
    uint32_t pos = weft__t.pos;
    uint32_t set = (uint32_t)(((obj >> 3) ^ (uint64_t)site << 32) * 0x9e3779b97f4a7c15ull >>
                              (64 - __builtin_ctz(WEFT_ANCHORS / 2)));
    uint32_t i = 2 * set;
    int hit = anchor_is(i, obj, site) || anchor_is(++i, obj, site);
    if (!hit)
        i = 2 * set + !(weft__t.anchor_mru >> set & 1);
    uint32_t mru = (weft__t.anchor_mru & ~(1u << set)) | (i & 1u) << set;
    /* One word naming its anchor, when the anchor is near enough in this
     * chunk (own() forgets them all), the word fits, and so does the time
     * since the record before. */
    struct weft_log_chunk *c = weft__t.chunk;
    if (hit && c && pos < WEFT_LOG_CHUNK_WORDS && pos - weft__t.anchor[i].pos <= WEFT_BACK_MAX) {
        uint64_t ts = next_ts(fenced(kind), 0), d = ts - weft__t.seg_ts;
        if (d <= 0xffffffffu) {
            chunk_words(c)[pos] = (kind & 0xffu) | (kind & WEFT_EMIT_RELOCK ? WEFT_H_RELOCK : 0) |
                                  WEFT_H_BACK | (uint64_t)(pos - weft__t.anchor[i].pos) << 21 |
                                  d << 32;
            weft__t.seg_ts = ts;
            weft__t.seg_obj = obj;
            weft__t.anchor_mru = mru;
            commit(c, pos + 1);
            return;
        }
    }
    if (same_site && !(kind & WEFT_EMIT_RELOCK)) {
        weft__emit(kind, obj, 0, 0, 0, 0);
        return;
    }
    /* Else an anchor: the record with its mutex and site words, the mutex
     * written even when the record before named it (no WEFT_W_SAME), in
     * the slot of its set named less recently. Sets by hash, not a list
     * of the last few: a loop that cycles more pairs than such a list
     * holds (memcached's LRU maintainer takes some 13 in turn) finds few
     * of them there (memcached: 219k locks named with a list of 8, 980k
     * with these sets); two slots a set, so that two pairs of a loop
     * that hash alike do not push each other out. */
    weft__t.seg_obj = 0;
    uint32_t at = put(kind, obj, 0, 0, site, 0, 0, 0, 0, 0, 0, NULL, 0);
    if (at == UINT32_MAX)
        return;
    weft__t.anchor[i].obj = obj;
    weft__t.anchor[i].site = site;
    weft__t.anchor[i].pos = at;
    weft__t.anchor_mru = mru;
}

/* ---- relock runs (log.h, WEFT_K_MUTEX_RUN) ----
 * A thread starts a run at its RUN_AFTER-th relock pair in a row (each
 * lock right after the unlock of the pair before, nothing else between):
 * the run record (11 words) costs what 5 pairs of records do, so a thread
 * that relocks once or twice between other calls keeps writing records. */
#define RUN_AFTER 3u
#define RUN_MAX_LOCKS 0x7fffffffu /* a slot's state holds locks << 1 in 32 bits */

static int runs_off;

void weft__log_runs_off(void) {
    runs_off = 1;
}

/* tests (WEFT_TEST_RUN_STALL_MS, harness:runs_late): the first lock
 * counted into an open run after its look at the clock sleeps this long
 * before its store, as a thread preempted there would. */
static int run_stall_ms;

void weft__log_run_stall(int ms) {
    run_stall_ms = ms;
}

static void run_stall(void) {
    int ms = __atomic_exchange_n(&run_stall_ms, 0, __ATOMIC_RELAXED), saved = errno;
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (ms > 0 && nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
    errno = saved;
}

/* The relock runs' epoch now (log.h): the coarse monotonic clock, a few
 * loads from the vDSO's page (3.6 ns here, a third of an rdtsc); 0 when
 * runs are off. Read only where a run is open or would start. */
static inline uint32_t run_epoch(void) {
    struct timespec t;
    if (runs_off || clock_gettime(CLOCK_MONOTONIC_COARSE, &t) != 0)
        return 0;
    return weft_run_epoch_of(&t);
}

/* This thread's run's slot words, while it is open: its last record, in
 * the epoch it was opened in or the next. */
static inline uint64_t *run_words(void) {
    struct weft_log_chunk *c = weft__t.chunk;
    if (!c || weft__t.run.end != weft__t.pos ||
        weft__t.run.at + 2 * WEFT_RUN_SLOTS > WEFT_LOG_CHUNK_WORDS)
        return NULL;
    uint32_t ep = run_epoch();
    return ep && ep <= weft__t.run.epoch + 1 ? chunk_words(c) + weft__t.run.at : NULL;
}

/* One slot's state word: the site of its latest lock and its state,
 * stored at once. */
static inline void run_store(uint64_t *w, uint32_t i, uint32_t state, uint32_t site) {
    weft__t.run.state[i] = state;
    weft__t.run.site[i] = site;
    __atomic_store_n(&w[2 * i + 1], (uint64_t)state << 32 | site, __ATOMIC_RELAXED);
}

/* A flagged relock of obj from site into this thread's open run: 1, or 0
 * (no run open, no slot for it: a record then). A slot is one mutex,
 * whatever the sites it is locked from (memcached takes an item's lock
 * from half a dozen): it keeps its latest lock's site, the one a lock
 * still held was taken at. */
static int run_lock(uint64_t obj, uint32_t site) {
    uint64_t *w = run_words();
    if (!w)
        return 0;
    for (uint32_t i = 0; i < WEFT_RUN_SLOTS; i++) {
        uint32_t st = weft__t.run.state[i];
        if (!st) {
            /* a free slot: the mutex first, its state last (log.h) */
            weft__t.run.obj[i] = obj;
            __atomic_store_n(&w[2 * i], obj, __ATOMIC_RELAXED);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
        } else if (weft__t.run.obj[i] != obj) {
            continue;
        } else if ((st & WEFT_RUN_HELD) || st >> 1 >= RUN_MAX_LOCKS) {
            return 0;
        }
        if (__builtin_expect(run_stall_ms != 0, 0))
            run_stall();
        run_store(w, i, (st + WEFT_RUN_LOCK) | WEFT_RUN_HELD, site);
        weft__t.run.held = i + 1;
        return 1;
    }
    return 0;
}

/* A new run, its first slot the relock of obj from site: 1, or 0 (runs
 * are off: the relock goes on as a record). */
static int run_start(uint64_t obj, uint32_t site) {
    uint32_t ep = run_epoch();
    if (!ep)
        return 0;
    uint64_t slots[2 * WEFT_RUN_SLOTS] = {obj,
                                          (uint64_t)(WEFT_RUN_LOCK | WEFT_RUN_HELD) << 32 | site};
    uint32_t at = put(WEFT_K_MUTEX_RUN, 0, ep, 0, 0, 0, 0, 0, 0, 0, 0, slots, sizeof slots);
    if (at == UINT32_MAX)
        return 1; /* dropped (and counted) like any record */
    memset(&weft__t.run, 0, sizeof weft__t.run);
    weft__t.run.at = weft__t.pos - 2 * WEFT_RUN_SLOTS;
    weft__t.run.end = weft__t.pos;
    weft__t.run.epoch = ep;
    weft__t.run.obj[0] = obj;
    weft__t.run.site[0] = site;
    weft__t.run.state[0] = WEFT_RUN_LOCK | WEFT_RUN_HELD;
    weft__t.run.held = 1;
    return 1;
}

void weft__emit_unlock(uint64_t obj, uint32_t stack) {
    uint32_t h = weft__t.run.held;
    uint64_t *w;
    /* (an acquire waiting for the thread's next record is put into a
     * record: the unlock's) */
    if (h && h <= WEFT_RUN_SLOTS && weft__t.run.obj[h - 1] == obj && !weft__t.pacq_on &&
        (w = run_words())) {
        run_store(w, h - 1, weft__t.run.state[h - 1] & ~WEFT_RUN_HELD, weft__t.run.site[h - 1]);
        weft__t.run.held = 0;
        return;
    }
    struct weft_log_chunk *c = weft__t.chunk;
    uint32_t before = weft__t.pos;
    weft__emit(WEFT_K_MUTEX_UNLOCK, obj, 0, 0, stack, 0);
    /* the unlock right after its relock: one more pair in a row, or the
     * first */
    if (c && c == weft__t.chunk && before == weft__t.run.rl_end && obj == weft__t.run.rl_obj) {
        weft__t.run.streak =
            weft__t.run.rl_at == weft__t.run.streak_end ? weft__t.run.streak + 1 : 1;
        weft__t.run.streak_end = weft__t.pos;
    }
}

void weft__emit_taken(uint16_t kind, uint64_t obj, uintptr_t pc) {
    uintptr_t last = weft__t.pc_last;
    uint32_t site = weft__stack_site_id(pc);
    int same_site = pc == last;
    if (!site || weft__t.pacq_on) {
        weft__emit(kind, obj, 0, 0, same_site ? 0 : site, 0);
        return;
    }
    if (!(kind & WEFT_EMIT_RELOCK)) {
        anchored_record(kind, obj, site, same_site);
        return;
    }
    if ((kind & 0xffu) == WEFT_K_MUTEX_LOCK_END &&
        (run_lock(obj, site) || (weft__t.run.streak >= RUN_AFTER && weft__t.chunk &&
                                 weft__t.pos == weft__t.run.streak_end && run_start(obj, site)))) {
        /* A lock counted in a run leaves the thread's last lock site as it
         * was: the reader cannot tell which of a run's locks came last
         * (ingest.c, pass_run). */
        weft__t.pc_last = last;
        return;
    }
    struct weft_log_chunk *was = weft__t.chunk;
    uint32_t before = weft__t.pos;
    anchored_record(kind, obj, site, same_site);
    if (was && was == weft__t.chunk) {
        weft__t.run.rl_at = before;
        weft__t.run.rl_end = weft__t.pos;
        weft__t.run.rl_obj = obj;
    }
}

void weft__hb_defer_acquire(uint64_t obj, uint64_t seq) {
    if (weft__t.pacq_on) /* a second one: the first gets its own record */
        put(WEFT_K_HB_ACQUIRE, weft__t.pacq_obj, weft__t.pacq_seq, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0);
    weft__t.pacq_on = 1;
    weft__t.pacq_obj = obj;
    weft__t.pacq_seq = seq;
}

void weft__emit_data(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2, uint32_t stack,
                     uint32_t aux, const void *data, size_t len) {
    uint64_t ao = 0, as = 0;
    int acq = take_acq(&ao, &as);
    put(kind, obj, arg, arg2, stack, aux, acq, as, 0, 0, ao, data ? data : "", len);
}

void weft__emit_oob(uint16_t kind, uint64_t obj, uint64_t arg, uint64_t arg2) {
    /* The interrupted code may hold a half-written record in its chunk: we
     * write into a chunk of our own, so that one stays untouched. A
     * deferred acquire stays with the interrupted code. */
    weft__log_unhold(0); /* what the thread wrote before, whole */
    struct weft_log_chunk *saved = weft__t.chunk;
    uint32_t saved_pos = weft__t.pos, saved_idx = weft__t.chunk_idx;
    uint64_t saved_seg = weft__t.seg_ts, saved_obj = weft__t.seg_obj;
    uint32_t pos;
    struct weft_log_chunk *c = claim(0, &pos);
    if (c) {
        own(c, pos);
        put(kind, obj, arg, arg2, 0, 0, 0, 0, 0, 0, 0, NULL, 0);
    } else {
        weft__log_count_dropped(1);
    }
    weft__t.chunk = saved;
    weft__t.pos = saved_pos;
    weft__t.chunk_idx = saved_idx;
    weft__t.seg_ts = saved_seg;
    weft__t.seg_obj = saved_obj;
}

void weft__log_release_chunk(void) {
    weft__log_unhold(0);
    struct weft_log_chunk *c = weft__t.chunk;
    weft__t.chunk = NULL;
    if (c && weft__t.staged) {
        stage_leave(c);
        return;
    }
    if (!c || !hdr)
        return;
    /* Only worth recycling when a fair part of it is left. */
    if (weft__t.pos + 512 > WEFT_LOG_CHUNK_WORDS) {
        drop_later(weft__t.chunk_idx);
        return;
    }
    weft_log_stack_push(&free_head, (unsigned char *)base, weft__t.chunk_idx);
}

void weft__log_set_flag(uint32_t flag) {
    if (!hdr)
        return;
    if (flag & WEFT_LOG_F_FINISHED) {
        weft__log_unhold(0); /* the process ends from a signal handler */
        /* Another thread's held record (a channel wait's begin and the
         * release of its ticket) is committed once that thread has its
         * stack, a few microseconds after it let go of the channel's lock:
         * enough for the partner to take the value, return and end the
         * process (a worker's one send answered by main's last receive:
         * under load, its begin was lost and the worker, still finishing,
         * looked leaked: scenario:pitfall_double_send_fixed). Such a thread
         * does not block before it commits, so it gets up to
         * WEFT_LOG_EXIT_WAIT_MS;
         * whatever is still held then is counted as lost, a record a
         * thread at least. */
        struct timespec t = {0, 100000};
        int e = errno;
        for (uint64_t end = weft__now() + WEFT_LOG_EXIT_WAIT_MS * 1000000ull;
             __atomic_load_n(&holders, __ATOMIC_ACQUIRE) > 0 && weft__now() < end;)
            nanosleep(&t, NULL);
        int32_t left = __atomic_load_n(&holders, __ATOMIC_ACQUIRE);
        if (left > 0) {
            __atomic_fetch_add(&hdr->held_at_exit, (uint32_t)left, __ATOMIC_RELAXED);
            weft__log_count_dropped((uint64_t)left);
        }
        errno = e;
        if (use_tsc && !hdr->end_mono_ns) {
            /* The last calibration pair: the whole life of the process. */
            hdr->end_tsc = tsc();
            hdr->end_mono_ns = weft__now();
        }
    }
    __atomic_fetch_or(&hdr->flags, flag, __ATOMIC_RELEASE);
}

uint32_t weft__log_new_tid(void) {
    return hdr ? __atomic_add_fetch(&hdr->next_tid, 1, __ATOMIC_RELAXED) : 0;
}

uint32_t weft__log_new_stack(void) {
    return hdr ? __atomic_add_fetch(&hdr->next_stack, 1, __ATOMIC_RELAXED) : 0;
}

void weft__log_count_dropped(uint64_t n) {
    if (hdr)
        __atomic_fetch_add(&hdr->dropped_events, n, __ATOMIC_RELAXED);
}
