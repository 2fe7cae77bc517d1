/* SPDX-License-Identifier: MIT */
/* stack.c: capturing the caller's stack and deduplicating it, so that each
 * distinct stack is written to the log once (a WEFT_K_STACK record with its
 * return addresses) and events carry only its id.
 *
 * The table is fixed-size open addressing over mmap'd memory, filled with
 * CAS: no lock, no malloc, so any thread (and a fork child) may use it at
 * any moment. A slot holds the 64-bit hash of the frames and the id; equal
 * hashes are taken as equal stacks (64 bits over at most a few thousand
 * distinct stacks: a collision is not a practical concern). When the table
 * is full, stacks are written again with fresh ids: more log, no loss.
 *
 * Also libunwind's memory validation without a file descriptor (below):
 * the program must never see an fd of ours. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"
#include "shim_fd.h"

#define TABLE_BITS 16
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_DEPTH 128
#define EXTRA 8 /* our own frames, skipped */

struct slot {
    uint64_t hash; /* 0 = empty */
    uint32_t id;   /* 0 = being written by the thread that claimed the slot */
    uint32_t pad;
};

static struct slot *table;
static unsigned depth_cap = 16;
static uintptr_t self_lo, self_hi;

/* libunwind checks that an address is readable before it reads it by
 * writing one byte from it into a pipe of its own (a raw
 * syscall(SYS_write)), which it opens at its first call and opens again,
 * closing the old numbers, whenever a read of it fails. A pipe is two fds
 * the program would see (in /proc/self/fd, or as the numbers its next open
 * gets), and after a daemon closed every fd, libunwind's writes and closes
 * hit the program's own files. So while we unwind, our pipe2 and close
 * (shim_fd.c) and syscall (below) give libunwind two fd numbers no kernel
 * hands out (above fs.nr_open's ceiling), and answer its one-byte write by
 * asking the kernel whether that byte is readable: process_vm_readv on
 * ourselves, a copy that fails with EFAULT, never a fault. Its read of the
 * read end fails with EBADF, so it "opens the pipe again" each time it
 * validates, which costs our pipe2 and two closes without a system call;
 * it validates only pages it has not checked lately. */
void weft__unwind_pipe2(int fds[2]) {
    fds[0] = WEFT_UNWIND_FD;
    fds[1] = WEFT_UNWIND_FD + 1;
}

/* The system call itself, as glibc's syscall() makes it (a result in
 * [-4095, -1] is -errno). Made here rather than through the next
 * definition: programs and libraries (jemalloc, before any constructor of
 * ours ran) call syscall() at any moment, signal handlers and fork
 * children included, where looking a symbol up could take locks or
 * allocate. */
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long r;
    __asm__ __volatile__("syscall"
                         : "=a"(r)
                         : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
    if ((unsigned long)r > -4096ul) {
        errno = (int)-r;
        return -1;
    }
    return r;
#else
    static long (*next)(long, ...);
    WEFT_REAL(void, next, "syscall");
    return next(n, a, b, c, d, e, f);
#endif
}

static long readable(const void *addr) {
    char byte;
    struct iovec mine = {&byte, 1}, at = {(void *)(uintptr_t)addr, 1};
    long r = sys6(SYS_process_vm_readv, (long)getpid(), (long)&mine, 1, (long)&at, 1, 0);
    if (r < 0 && errno != EFAULT)
        return 1; /* not allowed here: trust the mincore check libunwind made first */
    return r;
}

/* syscall() forwarded as it came (glibc's own takes six words whatever the
 * call), but for libunwind's validation write into its faked pipe. A raw
 * close or close_range that succeeded also leaves the channel-fd bitmap
 * (shim_fd.c): a number it closed may come back as a file or a socket. */
WEFT_EXPORT long syscall(long n, ...) {
    va_list ap;
    va_start(ap, n);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (n == SYS_write && a[0] == WEFT_UNWIND_FD + 1 && weft__t.unwinding)
        return readable((const void *)a[1]);
    long r = sys6(n, a[0], a[1], a[2], a[3], a[4], a[5]);
#ifdef SYS_close_range
    if (n == SYS_close_range && r == 0)
        weft__fd_closed_range((unsigned)a[0], (unsigned)a[1], (unsigned)a[2]);
#endif
    if (n == SYS_close && r == 0)
        weft__fd_closed_range((unsigned)a[0], (unsigned)a[0], 0);
    return r;
}

void weft__stack_init(unsigned depth) {
    /* Per-thread caches: libunwind's global cache takes a lock, which a
     * fork child could find held by a thread that no longer exists. This
     * is also libunwind's first call, where it makes its pipe (above). */
    weft__t.unwinding = 1;
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    weft__t.unwinding = 0;
    depth_cap = depth > MAX_DEPTH ? MAX_DEPTH : depth;
    void *m = mmap(NULL, TABLE_SIZE * sizeof(struct slot), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    table = m == MAP_FAILED ? NULL : m;
    weft__modules_self_range(&self_lo, &self_hi);
}

void weft__stack_reset(void) {
    /* In a fork child: the ids known here live in the parent's log. Fresh
     * zero pages instead of a memset keep the child's memory untouched.
     * (The forking thread's own state, its sites with it, is cleared
     * whole by the caller.) */
    if (table) {
        void *m = mmap(table, TABLE_SIZE * sizeof(struct slot), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        if (m == MAP_FAILED)
            table = NULL;
    }
}

void weft__stack_disable(void) {
    depth_cap = 0;
}

static uint64_t mix(uint64_t h, uint64_t v) {
    /* A multiply-xorshift step (splitmix64 finaliser over the running
     * hash): fast and well spread for pointer-like values. */
    h ^= v + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return h;
}

static uint32_t write_stack(void *const *pcs, int n) {
    uint32_t id = weft__log_new_stack();
    weft__emit_data(WEFT_K_STACK, id, (uint64_t)n, 0, 0, 0, pcs, (size_t)n * sizeof(void *));
    return id;
}

/* Inlined into each of its callers: every frame between the program's
 * call and libunwind's is one more that the unwinder steps through (about
 * 100 instructions each) only for us to drop it. */
static inline __attribute__((always_inline)) uint32_t capture(int skip_libweft, uint64_t *keep,
                                                              uint32_t max, uint32_t *nkeep);
static uint32_t intern(void *const *pcs, int n);

uint32_t weft__stack(void) {
    return capture(0, NULL, 0, NULL);
}

/* From inside a libweft call (its hooks): libweft's own frames on top,
 * above the user's call, are dropped too. */
uint32_t weft__stack_user(void) {
    return capture(1, NULL, 0, NULL);
}

/* A thread's creation stack, also as return addresses for the live state
 * file (livestate.c), which weft reads without the log. A thread made by
 * weft_go, weft_group_go or weft_future_start is created inside libweft
 * (its spawn path calls pthread_create): with skip_libweft its stack
 * starts at the user's call, not in libweft's frames above it. */
uint32_t weft__stack_keep(int skip_libweft, uint64_t *pcs, uint32_t max, uint32_t *n) {
    *n = 0;
    return capture(skip_libweft, pcs, max, n);
}

static inline __attribute__((always_inline)) uint32_t capture(int skip_libweft, uint64_t *keep,
                                                              uint32_t max, uint32_t *nkeep) {
    if (depth_cap == 0)
        return 0;
    void *buf[MAX_DEPTH + EXTRA];
    weft__t.unwinding = 1; /* libunwind's pipe is ours to fake (above) */
    int n = unw_backtrace(buf, (int)depth_cap + EXTRA);
    weft__t.unwinding = 0;
    /* Drop our own frames: the recorder's at the top, and the wrappers
     * (main's, a thread's start) further down: users care for theirs. */
    int m = 0;
    for (int i = 0; i < n; i++)
        if ((uintptr_t)buf[i] < self_lo || (uintptr_t)buf[i] >= self_hi)
            buf[m++] = buf[i];
    void **pcs = buf;
    n = m;
    int lead = 0;
    while (skip_libweft && lead < n && weft__from_libweft((uintptr_t)pcs[lead]))
        lead++;
    if (lead < n) { /* never drop every frame */
        pcs += lead;
        n -= lead;
    }
    if (n > (int)depth_cap)
        n = (int)depth_cap;
    if (n <= 0)
        return 0;
    for (uint32_t i = 0; keep && i < max && i < (uint32_t)n; i++)
        keep[(*nkeep)++] = (uint64_t)(uintptr_t)pcs[i];
    return intern(pcs, n);
}

/* A stack of one frame, the return address pc, without unwinding: the
 * call site of an interposed call that is too hot to unwind (every lock
 * acquisition). Interned like any stack, so the same call site gives the
 * same id; symbolized as any frame (at pc - 1, the call itself). 0 when
 * pc is this thread's last site again: the record then goes without a
 * stack and ingest gives it the one of the thread's last record that had
 * one (ingest.c, fill_lock_sites), which saves a word per record. */
uint32_t weft__stack_site(uintptr_t pc) {
    if (pc == weft__t.pc_last)
        return 0;
    return weft__stack_site_id(pc);
}

uint32_t weft__stack_site_id(uintptr_t pc) {
    if (depth_cap == 0 || pc == 0)
        return 0;
    /* A lock-heavy loop cycles a few sites: the thread keeps their ids,
     * by the top bits of a multiplicative hash of the pc, which spares
     * the shared table's hash and probe (about 45 instructions, and a
     * cache miss in a big program) on every lock. */
    unsigned k = (unsigned)((pc * 0x9e3779b97f4a7c15ull) >> (64 - WEFT_SITE_BITS));
    uint32_t id;
    if (weft__t.site[k].pc == pc) {
        id = weft__t.site[k].id;
    } else {
        void *one = (void *)pc;
        id = intern(&one, 1);
        weft__t.site[k].pc = id ? pc : 0;
        weft__t.site[k].id = id;
    }
    weft__t.pc_last = id ? pc : 0;
    return id;
}

/* The id of the stack pcs[0..n): found in the table by its hash, or
 * written to the log and entered there. */
static uint32_t intern(void *const *pcs, int n) {
    uint64_t h = (uint64_t)n;
    for (int i = 0; i < n; i++)
        h = mix(h, (uint64_t)(uintptr_t)pcs[i]);
    if (h == 0)
        h = 1;
    if (!table)
        return write_stack(pcs, n);
    for (uint32_t i = 0, s = (uint32_t)h & (TABLE_SIZE - 1); i < TABLE_SIZE / 4;
         i++, s = (s + 1) & (TABLE_SIZE - 1)) {
        struct slot *sl = &table[s];
        uint64_t cur = __atomic_load_n(&sl->hash, __ATOMIC_ACQUIRE);
        if (cur == 0) {
            uint64_t expect = 0;
            if (__atomic_compare_exchange_n(&sl->hash, &expect, h, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                uint32_t id = write_stack(pcs, n);
                __atomic_store_n(&sl->id, id, __ATOMIC_RELEASE);
                return id;
            }
            cur = expect;
        }
        if (cur == h) {
            /* Another thread may still be writing it (or we interrupted
             * ourselves from a signal handler): do not wait, write our own
             * copy under a new id. */
            uint32_t id = __atomic_load_n(&sl->id, __ATOMIC_ACQUIRE);
            return id ? id : write_stack(pcs, n);
        }
    }
    return write_stack(pcs, n);
}
