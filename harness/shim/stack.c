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

static uint32_t fast_threads; /* atomic: places taken for the fast trace (below) */

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
     * whole by the caller: it takes a place for the fast trace again.) */
    __atomic_store_n(&fast_threads, 0, __ATOMIC_RELAXED);
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
static inline __attribute__((always_inline)) uint32_t
capture(int skip_libweft, uint64_t *keep, uint32_t max, uint32_t *nkeep, void **raw, int *nraw);
static uint32_t intern(void *const *pcs, int n);

uint32_t weft__stack(void) {
    return capture(0, NULL, 0, NULL, NULL, NULL);
}

#if defined(__x86_64__)
static uint32_t sc_find(uintptr_t cfa);
static void sc_consider(uintptr_t cfa, uint32_t id, void *const *bt, int nbt);
#endif

/* From inside a libweft call (its hooks): libweft's own frames on top,
 * above the user's call, are dropped too. This is the stack of every
 * channel wait, so on x86-64 a stack this thread waited with before is
 * found again without unwinding (below, "Wait stacks found again"). */
uint32_t weft__stack_user(void) {
#if defined(__x86_64__)
    if (depth_cap == 0)
        return 0;
    /* This function keeps a frame pointer (it asks for it): its CFA, the
     * stack pointer its caller had, is the frame pointer + 16. */
    uintptr_t cfa = (uintptr_t)__builtin_frame_address(0) + 16;
    if (weft__t.sc.busy)
        return capture(1, NULL, 0, NULL, NULL, NULL); /* a signal handler's, inside ours */
    weft__t.sc.busy = 1;
    weft__t.sc.waits++;
    uint32_t id = sc_find(cfa);
    if (!id) {
        void *bt[MAX_DEPTH + EXTRA];
        int nbt = 0;
        id = capture(1, NULL, 0, NULL, bt, &nbt);
        if (id)
            sc_consider(cfa, id, bt, nbt);
    }
    weft__t.sc.busy = 0;
    return id;
#else
    return capture(1, NULL, 0, NULL, NULL, NULL);
#endif
}

/* A thread's creation stack, also as return addresses for the live state
 * file (livestate.c), which weft reads without the log. A thread made by
 * weft_go, weft_group_go or weft_future_start is created inside libweft
 * (its spawn path calls pthread_create): with skip_libweft its stack
 * starts at the user's call, not in libweft's frames above it. */
uint32_t weft__stack_keep(int skip_libweft, uint64_t *pcs, uint32_t max, uint32_t *n) {
    *n = 0;
    return capture(skip_libweft, pcs, max, n, NULL, NULL);
}

/* ---- unwinding: libunwind's fast trace, or its cursor ----
 * unw_backtrace keeps a cache of 2^14 frames for each thread that calls
 * it, 256 KiB, every entry written when the thread first asks: 5,000
 * threads that each waited once held 1.69 GB under the shim, 43 MB
 * without it (t_fault threads 5000). So a thread walks its stack with a
 * cursor (unw_step: libunwind's caches of unwind rules, no frame cache)
 * for its first SLOW_UNWINDS unwinds, and takes the fast trace only once
 * it unwinds often, and only while fewer than FAST_THREADS threads hold
 * a place (a thread's end gives its place back: libunwind frees its
 * cache then too). A walk costs about ten times a cached trace (stack.c's
 * learning measured it so): the price of a thread's first unwinds. The
 * two give the same frames: the learning of wait stacks compares them. */
enum { SLOW_UNWINDS = 16, FAST_THREADS = 64 };

/* The return addresses above this function's caller, as unw_backtrace
 * gives them (the walk's own frame is not one). */
static __attribute__((noinline)) int walk_frames(void **buf, int cap) {
    unw_context_t uc;
    unw_cursor_t cur;
    int n = 0;
    unw_word_t ip;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&cur, &uc) != 0)
        return 0;
    while (n < cap && unw_step(&cur) > 0 && unw_get_reg(&cur, UNW_REG_IP, &ip) == 0)
        buf[n++] = (void *)ip;
    return n;
}

static int unwind(void **buf, int cap) {
    if (!weft__t.fast_unwind) {
        if (weft__t.unwinds < SLOW_UNWINDS) {
            weft__t.unwinds++;
            return walk_frames(buf, cap);
        }
        uint32_t n = __atomic_load_n(&fast_threads, __ATOMIC_RELAXED);
        while (n < FAST_THREADS && !__atomic_compare_exchange_n(&fast_threads, &n, n + 1, 1,
                                                                __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        if (n >= FAST_THREADS)
            return walk_frames(buf, cap);
        weft__t.fast_unwind = 1;
    }
    return unw_backtrace(buf, cap);
}

void weft__stack_thread_end(void) {
    if (weft__t.fast_unwind) {
        weft__t.fast_unwind = 0;
        __atomic_sub_fetch(&fast_threads, 1, __ATOMIC_RELAXED);
    }
}

/* raw: also the frames as unwound (MAX_DEPTH + EXTRA of room), *nraw of
 * them. */
static inline __attribute__((always_inline)) uint32_t
capture(int skip_libweft, uint64_t *keep, uint32_t max, uint32_t *nkeep, void **raw, int *nraw) {
    if (depth_cap == 0)
        return 0;
    void *buf[MAX_DEPTH + EXTRA];
    weft__t.unwinding = 1; /* libunwind's pipe is ours to fake (above) */
    int n = unwind(buf, (int)depth_cap + EXTRA);
    weft__t.unwinding = 0;
    if (raw && n > 0) {
        memcpy(raw, buf, (size_t)n * sizeof *buf);
        *nraw = n;
    }
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

/* ---- Wait stacks found again (x86-64) ----
 *
 * Every channel wait unwinds its stack (weft__stack_user): about 1,050
 * instructions of libunwind for a dozen frames, the largest part of what
 * weft adds to a channel-heavy program (29%, callgrind, chan_work). A
 * thread that waits in a loop waits with the same stack, at the same
 * place, again and again; this finds such a stack again by reading the
 * few words that decided its unwinding instead of unwinding it.
 *
 * What decides an unwinding: on x86-64 the frames of gcc's and clang's
 * code, at a call, find their caller's stack pointer (the CFA) from their
 * own stack pointer or frame pointer (rbp) plus a constant of their code,
 * read their return address at CFA - 8 and their caller's rbp where they
 * saved it. So the frames above weft__stack_user's are a function of its
 * CFA and of the words at those places: the return address of each frame
 * and each saved rbp. The first time a stack is learned (a slow walk with
 * libunwind's cursor, which tells where each of those words is) the words'
 * places and values are kept with the stack's id; later, the same CFA and
 * the same values at the same places are the same frames, and the id is
 * the same. The words are compared in the order of the walk and the first
 * difference ends it, so every word read is one the real unwinding of the
 * current stack reads too: live stack memory, never a word past it.
 *
 * Not learned: a stack through a signal frame (registers come back from
 * memory there); one whose words libunwind does not find in memory; one
 * that the walk does not see as unw_backtrace saw it. A learning (the
 * cursor's walk) costs about ten unwinds (callgrind, chan_work: ~10,600
 * instructions against ~1,050), so a stack is learned only once it was
 * unwound twice at the same place, once (not again when its words turn
 * out to change), and a thread learns at most 4 + 1 in 256 of its waits:
 * at worst a few percent more than unwinding every time. The stacks
 * found this way drop when code may have moved
 * (weft__stack_code_changed: a dlclose, libweft's range learned). Each
 * thread has its own (TLS), and a signal handler that waits inside ours
 * unwinds (sc.busy). */
#if defined(__x86_64__)
static uint32_t code_epoch = 1;

void weft__stack_code_changed(void) {
    __atomic_add_fetch(&code_epoch, 1, __ATOMIC_RELEASE);
}

static uint32_t sc_find(uintptr_t cfa) {
    uint32_t epoch = __atomic_load_n(&code_epoch, __ATOMIC_ACQUIRE);
    const char *base = (const char *)(cfa - 16);
    for (uint32_t k = 0; k < WEFT_SC_ENTRIES; k++) {
        const __typeof__(weft__t.sc.e[0]) *e = &weft__t.sc.e[k];
        if (e->cfa != cfa || e->epoch != epoch)
            continue;
        uint32_t i = 0;
        while (i < e->n && *(const volatile uint64_t *)(base + e->off[i]) == e->val[i])
            i++;
        if (i == e->n)
            return e->id;
    }
    return 0;
}

/* Appends the word at addr, which must be at or above cfa - 16 (in our
 * frame or our callers'), unless it is *same, the place of the last rbp
 * appended (one saved rbp serves each frame up to the one that saves its
 * own: a word or two for a whole stack of code without frame pointers). */
static int sc_word(__typeof__(weft__t.sc.e[0]) *e, uintptr_t cfa, uintptr_t addr, uint32_t *same) {
    if (addr < cfa - 16 || addr - (cfa - 16) > UINT32_MAX || (addr & 7))
        return -1;
    uint32_t off = (uint32_t)(addr - (cfa - 16));
    if (same && *same == off)
        return 0;
    if (same)
        *same = off;
    if (e->n == WEFT_SC_WORDS)
        return -1;
    e->off[e->n] = off;
    e->val[e->n] = *(const volatile uint64_t *)addr;
    e->n++;
    return 0;
}

/* The slow walk from here up through weft__stack_user (frame 0, bt[0] as
 * unw_backtrace saw it from there) and the frames above it, as far as bt
 * goes, into e: 0, or -1 when this stack is not to be learned. At frame c
 * libunwind says where frame c's ip (bt[c], its callee's return address)
 * and its rbp were found: those are the words, in the order the real
 * unwinding reads them. whole: bt holds the whole stack (unw_backtrace
 * stopped before its limit): the walk must end at the same frame. */
static __attribute__((noinline)) int sc_walk(__typeof__(weft__t.sc.e[0]) *e, uintptr_t cfa,
                                             void *const *bt, int nbt, int whole) {
    unw_context_t uc;
    unw_cursor_t cur;
    unw_word_t w;
    unw_save_loc_t loc;
    uint32_t rbp_at = UINT32_MAX;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&cur, &uc) != 0 || unw_step(&cur) <= 0)
        return -1;
    /* frame 0: weft__stack_user, whose rbp is its own frame's base */
    if (unw_get_reg(&cur, UNW_X86_64_RBP, &w) != 0 || w != cfa - 16)
        return -1;
    for (int c = 1; c < nbt; c++) {
        if (unw_step(&cur) <= 0 || unw_get_reg(&cur, UNW_REG_IP, &w) != 0 || (void *)w != bt[c] ||
            unw_is_signal_frame(&cur) > 0)
            return -1;
        if (unw_get_save_loc(&cur, UNW_X86_64_RIP, &loc) != 0 || loc.type != UNW_SLT_MEMORY ||
            (c == 1 && loc.u.addr != cfa - 8) || sc_word(e, cfa, loc.u.addr, NULL) != 0)
            return -1;
        /* the rbp frame c finds its caller's CFA from, or passes on: not
         * needed for the last frame kept unless its end must be found */
        if (c == nbt - 1 && !whole)
            break;
        if (unw_get_save_loc(&cur, UNW_X86_64_RBP, &loc) != 0 || loc.type != UNW_SLT_MEMORY ||
            sc_word(e, cfa, loc.u.addr, &rbp_at) != 0)
            return -1;
    }
    /* A whole stack ends where the code of its last frame says it does (no
     * return address: clone3's, _start's, __start_context's), which its
     * verified ip makes the same again; an end found by reading a return
     * address of 0 would be a word not kept, and is not told apart. */
    return !whole || unw_step(&cur) == 0 ? 0 : -1;
}

/* A stack just unwound at cfa with id: learned when it was unwound there
 * once before and the thread's budget allows, unless it was learned
 * already: then some of its words change from one wait to the next (an
 * rbp that a frame saved holds the caller's data, not a frame's base, in
 * code built without frame pointers) and learning it again would not
 * help. */
static void sc_consider(uintptr_t cfa, uint32_t id, void *const *bt, int nbt) {
    __typeof__(weft__t.sc) *sc = &weft__t.sc;
    uint32_t epoch = __atomic_load_n(&code_epoch, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < WEFT_SC_ENTRIES; i++)
        if (sc->e[i].cfa == cfa && sc->e[i].id == id && sc->e[i].epoch == epoch)
            return;
    uint32_t k = 0;
    while (k < WEFT_SC_ENTRIES && (sc->seen[k].cfa != cfa || sc->seen[k].id != id))
        k++;
    if (k == WEFT_SC_ENTRIES) {
        sc->seen[sc->seen_next++ % WEFT_SC_ENTRIES] = (__typeof__(sc->seen[0])){cfa, id};
        return;
    }
    if (sc->learns >= 4 + sc->waits / 256)
        return;
    sc->learns++;
    sc->seen[k].cfa = 0;
    /* Learned aside: a stack that cannot be takes no kept one's place. */
    __typeof__(sc->e[0]) e;
    e.n = 0;
    weft__t.unwinding = 1; /* libunwind's pipe, as in capture */
    int r = sc_walk(&e, cfa, bt, nbt, nbt < (int)depth_cap + EXTRA);
    weft__t.unwinding = 0;
    if (r != 0)
        return;
    e.cfa = cfa;
    e.id = id;
    e.epoch = epoch;
    sc->e[sc->next++ % WEFT_SC_ENTRIES] = e;
}
#else
void weft__stack_code_changed(void) {}
#endif
