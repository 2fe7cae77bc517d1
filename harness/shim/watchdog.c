/* SPDX-License-Identifier: MIT */
/* watchdog.c: the deadlock watchdog. Owns the table of what each thread
 * waits on, the count of waiting threads, and the shim's one thread of its
 * own, which ends a process whose every thread is stuck for good: like Go's
 * "all goroutines are asleep - deadlock!". The same thread also prepares
 * log chunks ahead of the program's threads (weft__log_prepare), woken by
 * a futex when a claim nears the end of the prepared window. It starts
 * only once the program needs it (weft__watchdog_need): a program that
 * never makes a second thread nor waits for one stays single-threaded.
 *
 * A thread is "waiting" while it sits in an interposed call that only
 * another thread of the process can end: a channel send/recv/select that
 * had to wait (no timeout), wg/group wait, group go at its limit, future
 * get/free, join, a contended mutex or rwlock, an untimed cond wait, a
 * barrier, sem_wait. Sleeps, I/O, poll and every timed wait are never
 * marked, so a program that is slow, sleeping or waiting for input is left
 * alone. Nor is a wait on a process-shared object (a PTHREAD_PROCESS_SHARED
 * or robust mutex, condvar, rwlock or barrier, a pshared or named
 * semaphore: shim_pshared.h reads that from the object itself): another
 * process may end it (Python's multiprocessing Event, Lock and Queue wait
 * on named semaphores), and a process may only be called deadlocked when
 * no other process could wake it. A thread in such a wait counts as
 * running, and so does any thread that waits, however long, for it.
 *
 * The watchdog compares the number of waiting threads with the number of
 * the process's threads (from /proc/self/task, so that threads we never
 * saw created count as running). When they are equal, with no thread
 * having started or ended a wait in between, for the whole timeout, and
 * the kernel confirms that every waiting thread sleeps in a futex (a
 * thread whose wait another thread has just ended stays marked until it
 * gets a CPU back, which on a loaded machine can take longer than the
 * timeout), it records a `deadlock` event naming every thread's wait,
 * prints one line, finishes the log and ends the process with status 2.
 *
 * A cycle of threads each waiting for a mutex the next one holds is
 * stuck for good too, while the rest of the program may go on: the
 * watchdog follows each mutex wait to the mutex's owner (glibc keeps the
 * owner's kernel thread id in the mutex word of a normal, errorcheck or
 * recursive mutex) and that owner's own wait. A cycle seen the same a
 * whole timeout apart, all its threads asleep in a futex, is recorded as
 * a `deadlock` event with obj = 1 (its threads only: the process is not
 * ended) and one line on stderr, once per cycle; a process whose every
 * thread waits is left to the whole-process check above, which ends it.
 * So is a set of threads all blocked on channels that no running thread
 * can reach (reach.c, which owns that check; obj = 2).
 *
 * Nothing here takes a lock: marks are atomics on a fixed table, and the
 * watchdog reads /proc with raw system calls into stack buffers (no
 * malloc, no stdio), so it cannot wait for a lock a stuck program holds.
 * Its thread blocks every signal (signals go to the program's threads, as
 * before) and is marked in_shim for good, so nothing it calls is recorded. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "livestate.h"
#include "reach.h"
#include "shim.h"

#define SLOTS 4096

struct wslot {
    uint32_t tid;  /* owner's trace tid, 0 = free */
    uint16_t kind; /* the begin kind of its wait, 0 = running */
    uint16_t pad;
    uint64_t obj;
    int32_t ostid;  /* owner's kernel thread id, for /proc */
    uint32_t waits; /* waits begun: the checks tell one wait from the next */
};

/* The table lives in the process's live state file when weft run asked
 * for one (livestate.c: weft reads it for --leak-check and SIGUSR1), else
 * here; a fork child starts on its own copy here. */
static struct wslot own_slots[SLOTS];
static struct wslot *slots = own_slots;
_Static_assert(sizeof(struct wslot) == sizeof(struct weft_live_wait) && SLOTS == WEFT_LIVE_SLOTS &&
                   offsetof(struct wslot, obj) == offsetof(struct weft_live_wait, obj) &&
                   offsetof(struct wslot, ostid) == offsetof(struct weft_live_wait, ostid),
               "the wait table is the live state file's (livestate.h)");
/* (generation << 32) | waiting threads: one atomic add per transition, so
 * that the watchdog can tell "the same threads stuck all along" from
 * "threads that came and went". */
static uint64_t wd_state;
int weft__wd_on;
int weft__main_exited;
static long timeout_ms = 1000;

/* The shim's thread's kernel tid, once it runs (0 before): check.c's
 * weft__check_describe tells it apart from the program's threads, which
 * a baseline taken before it started would otherwise count it among. */
static int32_t own_ostid;
/* The shim's thread, not started yet: 1 while it is owed (lazy start). */
static int thread_owed;

/* Cycles of mutex waits (lock_cycles, below): a cycle's key (a hash of
 * its threads and mutexes, from its thread of the lowest trace tid on)
 * and when it was first seen; the keys of those reported. */
struct cycle {
    uint64_t key;
    uint64_t since;
};
static struct cycle seen_cycles[16];
static uint64_t reported[64];
static int nreported;

static uint32_t nclaimed; /* slots taken */

static struct wslot *my_slot(void) {
    if (weft__t.wslot)
        return &slots[weft__t.wslot - 1];
    uint32_t tid = weft__t.tid ? weft__t.tid : 0xffffffffu;
    for (uint32_t i = 0, s = (tid * 2654435761u) % SLOTS; i < SLOTS; i++, s = (s + 1) % SLOTS) {
        uint32_t expect = 0;
        if (__atomic_load_n(&slots[s].tid, __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(&slots[s].tid, &expect, tid, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            __atomic_store_n(&slots[s].ostid, (int32_t)syscall(SYS_gettid), __ATOMIC_RELAXED);
            weft__live_claim(s, tid);
            __atomic_add_fetch(&nclaimed, 1, __ATOMIC_RELAXED);
            weft__t.wslot = s + 1;
            return &slots[s];
        }
    }
    return NULL; /* more than SLOTS threads wait: counted, not named */
}

void weft__wait_begin_slow(uint16_t kind, uint64_t obj) {
    if (weft__t.waiting)
        return;
    /* The shim's thread is made by the main thread only: a thread made by
     * a raw clone() shares its parent's TLS and thread descriptor, and
     * pthread_create from it hung (harness:raw_clone). Threads made by
     * pthread_create started it already. */
    if (__atomic_load_n(&thread_owed, __ATOMIC_RELAXED) && syscall(SYS_gettid) == getpid())
        weft__watchdog_need();
    struct wslot *s = my_slot();
    if (s) {
        weft__live_mark((uint32_t)(s - slots), 1);
        __atomic_store_n(&s->waits, s->waits + 1, __ATOMIC_RELAXED);
        __atomic_store_n(&s->obj, obj, __ATOMIC_RELAXED);
        __atomic_store_n(&s->kind, kind, __ATOMIC_RELAXED);
        weft__live_mark((uint32_t)(s - slots), 0);
    }
    weft__t.waiting = 1;
    __atomic_fetch_add(&wd_state, (1ull << 32) + 1, __ATOMIC_SEQ_CST);
}

void weft__wait_end_slow(void) {
    weft__t.waiting = 0;
    /* +generation, -1 waiter: the low half never borrows, as this thread's
     * own begin counted it. */
    __atomic_fetch_add(&wd_state, (1ull << 32) - 1, __ATOMIC_SEQ_CST);
    if (weft__t.wslot)
        __atomic_store_n(&slots[weft__t.wslot - 1].kind, 0, __ATOMIC_RELAXED);
}

/* Threads we saw start and not yet end, main included: never more than
 * live (threads we never saw are not in it), so while fewer than this
 * wait, no deadlock is possible and /proc need not be read. Reading it
 * opens an fd, which the program would see in /proc/self/fd at that
 * moment: we do it only when our own count cannot answer. */
static uint32_t known_live = 1;

void weft__wait_thread_start(void) {
    __atomic_add_fetch(&known_live, 1, __ATOMIC_RELAXED);
    /* Every thread is in the live state, waiting or not; but never more
     * than half the table for threads that have not waited: the rest is
     * kept for waits, which the watchdog names. */
    if (slots != own_slots && __atomic_load_n(&nclaimed, __ATOMIC_RELAXED) < SLOTS / 2)
        (void)my_slot();
}

void weft__wait_thread_end(void) {
    __atomic_sub_fetch(&known_live, 1, __ATOMIC_RELAXED);
    weft__wait_end();
    if (weft__t.wslot) {
        struct wslot *s = &slots[weft__t.wslot - 1];
        __atomic_store_n(&s->kind, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->tid, 0, __ATOMIC_RELEASE);
        __atomic_sub_fetch(&nclaimed, 1, __ATOMIC_RELAXED);
        weft__t.wslot = 0;
    }
}

void weft__watchdog_fork_child(void) {
    /* Only the forking thread lives on, and it is inside fork, not waiting.
     * The parent's live state file is the parent's: left untouched. */
    __atomic_store_n(&own_ostid, 0, __ATOMIC_RELAXED);
    slots = own_slots;
    weft__live_forget();
    memset(slots, 0, sizeof own_slots);
    __atomic_store_n(&wd_state, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&known_live, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&nclaimed, 0, __ATOMIC_RELAXED);
    weft__t.waiting = 0;
    weft__t.wslot = 0;
    memset(seen_cycles, 0, sizeof seen_cycles); /* the parent's threads are not ours */
    nreported = 0;
    weft__reach_fork_child();
}

/* ---- the watchdog thread ---- */

/* Sleeps up to ms, or until a log claim kicks us; then prepares chunks
 * and gives full ones back: on a kick only once there are many (long runs
 * of neighbours), after a quiet while all of them. */
static void sleep_ms(long ms) {
    uint32_t k = __atomic_load_n(&weft__log_kick, __ATOMIC_ACQUIRE);
    weft__log_prepare();
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    long r = syscall(SYS_futex, &weft__log_kick, FUTEX_WAIT_PRIVATE, k, &ts, NULL, 0);
    int quiet = r != 0 && errno == ETIMEDOUT;
    weft__log_prepare();
    weft__log_sweep(quiet);
}

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Threads of the process other than us, and not zombies: a main thread
 * that called pthread_exit stays listed as a zombie while others run. */
static long live_tasks(void) {
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long n = 0;
    char buf[4096];
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            if (d->d_name[0] != '.')
                n++;
            off += d->d_reclen;
        }
    }
    close(fd);
    char path[64], st[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)getpid());
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, st, sizeof st - 1);
        close(fd);
        if (r > 0) {
            st[r] = 0;
            char *p = strrchr(st, ')');
            if (p && p[1] == ' ' && p[2] == 'Z')
                n--;
        }
    }
    return n - 1; /* ourselves */
}

/* Whether the thread with kernel id ostid sleeps in a futex wait, as every
 * wait we mark does once it really blocks (libweft's parker and lock,
 * pthread mutexes, rwlocks, conds, joins, barriers, sem_wait). A thread
 * still marked may be doing something else: woken by the thread that
 * ended its wait but not back in our interposer yet to unmark itself (on
 * a loaded machine it can wait for a CPU longer than the timeout), or
 * running a signal handler, or asleep inside one in another call. The
 * kernel knows: /proc/self/task/TID/syscall says "running" for a thread
 * on a CPU or in a run queue, else which system call it sleeps in. A
 * kernel without that file: assumed asleep, as the marks say. */
static int asleep_in_futex(int32_t ostid) {
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)ostid);
    size_t dir = strlen(path);
    snprintf(path + dir, sizeof path - dir, "/syscall");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        path[dir] = 0;
        return access(path, F_OK) == 0; /* no such file here; a gone thread is not asleep */
    }
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0)
        return 1;
    buf[r] = 0;
    if (buf[0] < '0' || buf[0] > '9')
        return 0; /* "running", or -1: blocked outside any system call */
    long nr = strtol(buf, NULL, 10);
#ifdef SYS_futex_time64
    if (nr == SYS_futex_time64)
        return 1;
#endif
    return nr == SYS_futex;
}

/* Whether every marked thread sleeps in a futex (see above). */
static int all_asleep(void) {
    for (int i = 0; i < SLOTS; i++) {
        if (!__atomic_load_n(&slots[i].tid, __ATOMIC_ACQUIRE) ||
            !__atomic_load_n(&slots[i].kind, __ATOMIC_RELAXED))
            continue;
        if (!asleep_in_futex(__atomic_load_n(&slots[i].ostid, __ATOMIC_RELAXED)))
            return 0;
    }
    return 1;
}

/* A sem_wait may be ended by a signal handler's sem_post (sem_post is
 * async-signal-safe, and that is a common way to wait for a signal): with
 * a handler of the program's installed, such waits do not count as stuck. */
static int program_has_handlers(void) {
    for (int sig = 1; sig < 65; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) != 0)
            continue;
        if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN &&
            !weft__signal_is_ours(sa.sa_sigaction))
            return 1;
    }
    return 0;
}

struct wait_rec {
    uint32_t tid;
    uint16_t kind, pad;
    uint64_t obj;
};

/* The watchdog writes into the trace only when it finds a deadlock, as a
 * thread of its own marked internal (aux 2 of its adopt record), adopted
 * once. */
static void become_traced(void) {
    if (weft__t.tid)
        return;
    weft__t.tid = weft__log_new_tid();
    weft__emit(WEFT_K_THREAD_ADOPT, (uint64_t)pthread_self(), (uint64_t)syscall(SYS_gettid), 0, 0,
               2);
}

/* main called pthread_exit and the last other thread is gone: glibc would
 * now have that last thread call exit(0), but our thread still counts as
 * one of the program's. We do what it would have done. */
static __attribute__((noreturn)) void last_thread_exit(void) {
    become_traced();
    weft__t.in_shim = 0; /* exit's records (our destructor) are written */
    exit(0);
}

/* A deadlock event with its threads' waits, written by the watchdog's
 * own traced thread: obj 0 for the whole process (ended next), 1 for a
 * cycle of mutex waits, 2 for channel waits no running thread can reach
 * (the process goes on). */
static void record_deadlock(uint64_t cycle, long nwait, const struct wait_rec *w, int n) {
    become_traced();
    weft__emit_data(WEFT_K_DEADLOCK, cycle, (uint64_t)nwait, (uint64_t)timeout_ms, 0, 0, w,
                    (size_t)n * sizeof w[0]);
}

/* Ends line (len bytes of size) with a newline, cut if need be, and
 * writes it to stderr in one write. */
static void say(char *line, size_t len, size_t size) {
    if (len > size - 2)
        len = size - 2;
    line[len++] = '\n';
    ssize_t wr = write(2, line, len);
    (void)wr;
}

/* Line (len bytes so far, of size) with each wait of w (n) added, then
 * written: each call named as the finding names it (chan_send, not its
 * record's chan_send_begin). */
static void say_waits(char *line, size_t len, size_t size, const struct wait_rec *w, int n) {
    for (int i = 0; i < n && len < size - 80; i++) {
        const char *k = weft__kind_name(w[i].kind);
        size_t kl = strlen(k);
        if (kl > 6 && !strcmp(k + kl - 6, "_begin"))
            kl -= 6;
        len += (size_t)snprintf(line + len, size - len, "%s thread %u in %.*s 0x%llx", i ? ";" : "",
                                w[i].tid, (int)kl, k, (unsigned long long)w[i].obj);
    }
    say(line, len, size);
}

static __attribute__((noreturn)) void fire(long nwait) {
    struct wait_rec w[128];
    int n = 0;
    for (int i = 0; i < SLOTS && n < 128; i++) {
        uint32_t tid = __atomic_load_n(&slots[i].tid, __ATOMIC_ACQUIRE);
        uint16_t kind = __atomic_load_n(&slots[i].kind, __ATOMIC_RELAXED);
        if (tid && kind)
            w[n++] =
                (struct wait_rec){tid, kind, 0, __atomic_load_n(&slots[i].obj, __ATOMIC_RELAXED)};
    }
    record_deadlock(0, nwait, w, n);
    weft__log_set_flag(WEFT_LOG_F_FINISHED);

    char line[2048];
    size_t len = (size_t)snprintf(
        line, sizeof line, "==weft== deadlock: all %ld threads are blocked for %ld ms:", nwait,
        timeout_ms);
    say_waits(line, len, sizeof line, w, n);
    weft__self_ingest();
    /* No atexit handlers, no flushing of the program's stdio: its threads
     * are stuck in the middle of whatever they did (as Go's runtime ends a
     * deadlocked program). */
    syscall(SYS_exit_group, 2);
    __builtin_unreachable();
}

/* ---- cycles of mutex waits while the program runs ---- */

/* The kernel thread id that owns mutex m (glibc's __data.__owner, kept
 * for normal, errorcheck and recursive mutexes), 0 when unknown. Read
 * with process_vm_readv: a mutex freed since its waiter's mark was read
 * gives an error, never a fault in our thread. */
static int32_t mutex_owner(uint64_t m) {
    int32_t owner = 0;
    struct iovec here = {&owner, sizeof owner};
    struct iovec there = {(void *)(uintptr_t)(m + offsetof(pthread_mutex_t, __data.__owner)),
                          sizeof owner};
    if (syscall(SYS_process_vm_readv, (long)getpid(), &here, 1L, &there, 1L, 0L) !=
        (long)sizeof owner)
        return 0;
    return owner & 0x3fffffff; /* FUTEX_TID_MASK: a robust mutex's flag bits off */
}

#define CYCLE_MAX 32 /* threads in one cycle looked at; a longer one is not reported */
#define MWAITS 256   /* mutex waits looked at per check */

struct mwait {
    uint32_t tid;
    int32_t ostid, owner;
    uint64_t obj;
};

static uint64_t cycle_key(const struct mwait *w, const int *c, int n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++) {
        h = (h ^ w[c[i]].tid) * 0x100000001b3ull;
        h = (h ^ w[c[i]].obj) * 0x100000001b3ull;
    }
    return h ? h : 1;
}

static void report_cycle(const struct mwait *w, const int *c, int n, uint64_t key) {
    struct wait_rec r[CYCLE_MAX];
    for (int i = 0; i < n; i++)
        r[i] = (struct wait_rec){w[c[i]].tid, WEFT_K_MUTEX_LOCK_BEGIN, 0, w[c[i]].obj};
    record_deadlock(1, n, r, n);
    if (nreported < (int)(sizeof reported / sizeof reported[0]))
        reported[nreported++] = key;
    char line[2048];
    size_t len = (size_t)snprintf(line, sizeof line,
                                  "==weft== deadlock: %d threads wait for each other's mutexes "
                                  "(the program goes on):",
                                  n);
    for (int i = 0; i < n && len < sizeof line - 80; i++)
        len += (size_t)snprintf(
            line + len, sizeof line - len, "%s thread %u in mutex_lock 0x%llx held by thread %u",
            i ? ";" : "", w[c[i]].tid, (unsigned long long)w[c[i]].obj, w[c[(i + 1) % n]].tid);
    say(line, len, sizeof line);
}

/* Looks for cycles of mutex waits; reports each one seen the same for a
 * whole timeout (its threads cannot have moved: each waits for the
 * next), all its threads asleep in a futex, once. */
static void lock_cycles(uint64_t now) {
    struct mwait w[MWAITS];
    int n = 0;
    for (int i = 0; i < SLOTS && n < MWAITS; i++) {
        uint32_t tid = __atomic_load_n(&slots[i].tid, __ATOMIC_ACQUIRE);
        if (!tid || __atomic_load_n(&slots[i].kind, __ATOMIC_RELAXED) != WEFT_K_MUTEX_LOCK_BEGIN)
            continue;
        uint64_t obj = __atomic_load_n(&slots[i].obj, __ATOMIC_RELAXED);
        w[n++] = (struct mwait){tid, __atomic_load_n(&slots[i].ostid, __ATOMIC_RELAXED),
                                mutex_owner(obj), obj};
    }
    struct cycle still[16];
    int nstill = 0;
    for (int s = 0; s < n; s++) {
        /* Follow s's wait to the owner's wait, and on: a cycle back to s
         * whose lowest trace tid is s's is s's to report. */
        int c[CYCLE_MAX], len = 0, cur = s, back = 0;
        while (len < CYCLE_MAX) {
            c[len++] = cur;
            int next = -1;
            for (int j = 0; j < n && next < 0; j++)
                if (w[cur].owner && w[j].ostid == w[cur].owner)
                    next = j;
            if (next < 0 || w[next].tid < w[s].tid)
                break;
            if (next == s) {
                back = 1;
                break;
            }
            int again = 0;
            for (int k = 0; k < len; k++)
                again |= c[k] == next;
            if (again)
                break; /* a cycle s only leads into: its lowest thread reports it */
            cur = next;
        }
        if (!back || len < 2)
            continue;
        uint64_t key = cycle_key(w, c, len), since = now;
        int done = 0;
        for (int k = 0; k < nreported; k++)
            done |= reported[k] == key;
        if (done)
            continue;
        for (int k = 0; k < 16; k++)
            if (seen_cycles[k].key == key)
                since = seen_cycles[k].since;
        if (now - since >= (uint64_t)timeout_ms) {
            int asleep = 1;
            for (int k = 0; k < len && asleep; k++)
                asleep = asleep_in_futex(w[c[k]].ostid);
            if (asleep) {
                report_cycle(w, c, len, key);
                continue;
            }
        }
        if (nstill < 16)
            still[nstill++] = (struct cycle){key, since};
    }
    memset(seen_cycles, 0, sizeof seen_cycles);
    memcpy(seen_cycles, still, (size_t)nstill * sizeof still[0]);
}

/* ---- what reach.c's check of channel waits needs from here ---- */

int weft__wd_waits(struct weft__wd_wait *w, int max) {
    int n = 0;
    for (int i = 0; i < SLOTS && n < max; i++) {
        uint32_t tid = __atomic_load_n(&slots[i].tid, __ATOMIC_ACQUIRE);
        uint16_t kind = __atomic_load_n(&slots[i].kind, __ATOMIC_RELAXED);
        if (tid && kind)
            w[n++] = (struct weft__wd_wait){tid,
                                            kind,
                                            0,
                                            __atomic_load_n(&slots[i].ostid, __ATOMIC_RELAXED),
                                            __atomic_load_n(&slots[i].waits, __ATOMIC_RELAXED),
                                            __atomic_load_n(&slots[i].obj, __ATOMIC_RELAXED)};
    }
    return n;
}

int weft__wd_asleep(int32_t ostid) {
    return asleep_in_futex(ostid);
}

void weft__wd_report_chans(const struct weft__wd_wait *w, int n) {
    struct wait_rec r[256] = {{0}};
    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++)
        r[i] = (struct wait_rec){w[i].tid, w[i].kind, 0, w[i].obj};
    record_deadlock(2, n, r, n);
    char line[2048];
    size_t len = (size_t)snprintf(line, sizeof line,
                                  "==weft== deadlock: %d thread%s on channels no running "
                                  "thread can reach (the program goes on):",
                                  n, n == 1 ? " waits" : "s wait");
    say_waits(line, len, sizeof line, r, n);
}

int32_t weft__watchdog_ostid(void) {
    return __atomic_load_n(&own_ostid, __ATOMIC_ACQUIRE);
}

static void *watchdog_main(void *unused) {
    (void)unused;
    weft__t.in_shim = 1; /* nothing we call is recorded */
    __atomic_store_n(&own_ostid, (int32_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    long interval = timeout_ms > 0 ? timeout_ms / 10 : 100;
    if (interval < 1)
        interval = 1;
    if (interval > 100)
        interval = 100;
    uint64_t since = 0, since_state = 0;
    int checks = timeout_ms > 0;
    for (;;) {
        /* After main's pthread_exit, look often: the process must end as
         * soon as its last thread does. */
        int main_gone = __atomic_load_n(&weft__main_exited, __ATOMIC_RELAXED);
        sleep_ms(main_gone ? 2 : interval);
        /* main is in known_live until the process ends (its pthread_exit
         * does not end its count) */
        long known = (long)__atomic_load_n(&known_live, __ATOMIC_RELAXED) - main_gone;
        if (main_gone && known <= 0 && live_tasks() == 0)
            last_thread_exit();
        if (!checks)
            continue;
        uint64_t st = __atomic_load_n(&wd_state, __ATOMIC_SEQ_CST);
        long waiting = (long)(uint32_t)st;
        /* /proc is read only when as many wait as we know of (below). */
        long tasks = waiting && waiting >= known ? live_tasks() : -1;
        /* Some threads wait, not all: a cycle among them is a deadlock of
         * its own (when all wait, the check below ends the process). */
        if (waiting >= 2 && (waiting < known || waiting < tasks))
            lock_cycles(mono_ms());
        else
            memset(seen_cycles, 0, sizeof seen_cycles); /* watched without a break only */
        /* Some wait, not all: channel waits no running thread can reach. */
        if (waiting >= 1 && (waiting < known || waiting < tasks))
            weft__reach_check(mono_ms(), timeout_ms);
        if (waiting == 0 || waiting < known) {
            since = 0;
            continue;
        }
        if (tasks < 0 || waiting < tasks) {
            since = 0;
            continue;
        }
        uint64_t now = mono_ms();
        if (!since || st != since_state) {
            since = now;
            since_state = st;
            continue;
        }
        if ((long)(now - since) < timeout_ms)
            continue;
        /* Same waiters, nobody moved, for the whole timeout. A sem_wait
         * that a signal handler could end is not stuck. */
        int sem = 0;
        for (int i = 0; i < SLOTS && !sem; i++)
            sem = __atomic_load_n(&slots[i].tid, __ATOMIC_RELAXED) &&
                  __atomic_load_n(&slots[i].kind, __ATOMIC_RELAXED) == WEFT_K_SEM_WAIT_BEGIN;
        if (sem && program_has_handlers()) {
            since = 0;
            continue;
        }
        /* Marked is not blocked: a thread whose wait was already ended
         * may not have run since. Wait a whole timeout again. */
        if (!all_asleep()) {
            since = now;
            continue;
        }
        if (__atomic_load_n(&wd_state, __ATOMIC_SEQ_CST) != st)
            continue;
        fire(waiting);
    }
    return NULL;
}

void weft__watchdog_settings(void) {
    const char *e = getenv("WEFT_DEADLOCK_TIMEOUT_MS");
    if (e && *e)
        timeout_ms = strtol(e, NULL, 10);
    weft__live_settings();
}

/* Starts the shim's thread (its creation blocks every signal, which the
 * new thread inherits); 0, or -1 when it could not be made. */
static int start_thread(void) {
    typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    static create_fn real_create;
    WEFT_REAL_V(create_fn, real_create, "pthread_create", "GLIBC_2.34");
    if (!real_create)
        return -1;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 * 1024);
    pthread_t th;
    uint32_t was = weft__t.in_shim;
    weft__t.in_shim = 1;
    int r = real_create(&th, &a, watchdog_main, NULL);
    weft__t.in_shim = was;
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r == 0 ? 0 : -1;
}

/* The shim's thread starts when the process needs it: before its first
 * thread of the program's, or at the first wait that only another thread
 * could end (which, in a process of one thread, the watchdog must judge).
 * Until then a single-threaded program stays single-threaded: the kernel
 * refuses unshare(CLONE_NEWUSER) and setns into a user namespace to a
 * process of several threads (`unshare -U` failed under weft), and
 * /proc/self/status counts them. The log's chunks are prepared by the
 * claims themselves meanwhile. */
void weft__watchdog_need(void) {
    if (__atomic_load_n(&thread_owed, __ATOMIC_RELAXED) &&
        __atomic_exchange_n(&thread_owed, 0, __ATOMIC_ACQ_REL))
        (void)start_thread();
}

void weft__watchdog_start(void) {
    struct wslot *shared = weft__live_open();
    if (shared)
        slots = shared;
    /* With the timeout 0 (no deadlock checks) the thread still prepares
     * the log; WEFT_SHIM_THREAD=0 does without it altogether. */
    const char *th_env = getenv("WEFT_SHIM_THREAD");
    if (th_env && *th_env == '0')
        return;
    __atomic_store_n(&thread_owed, 1, __ATOMIC_RELEASE);
    if (timeout_ms > 0 || shared) {
        __atomic_store_n(&weft__wd_on, 1, __ATOMIC_RELAXED);
        if (shared)
            (void)my_slot(); /* this thread (main, or a fork child's) is listed too */
        if (timeout_ms > 0) {
            __atomic_store_n(&weft__reach_armed, 1, __ATOMIC_RELAXED);
            weft__reach_join(); /* the starting thread (main, or a fork child's) is known */
        }
    }
}
