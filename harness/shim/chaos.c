/* SPDX-License-Identifier: MIT */
/* chaos.c: the shim's fault injection, for tests only (WEFT_CHAOS, issue 13
 * item 2). With WEFT_CHAOS=SEED[:RATE] in the environment at start-up,
 * each of the shim's own fallible steps fails about once in RATE tries
 * (default 50), the way the real failure would: the log's file cannot be
 * made (EMFILE), its header or its size cannot be written (ENOSPC: an
 * empty log), its mapping fails (ENOMEM: a smaller log), a chunk cannot
 * be given disk blocks (ENOSPC: the log is full, records dropped and
 * counted), /proc/self/cmdline cannot be opened (EMFILE: no argv); and a
 * signal arrives in the middle of a record (space claimed, not yet
 * committed) whose handler calls interposed functions. The code paths
 * that follow are the real ones: only the cause is made up.
 *
 * WEFT_CHAOS_LATE=MS[:RATE] (alone or beside WEFT_CHAOS) holds about one
 * record in RATE (default 1000) for MS milliseconds between taking its
 * time and committing it, as a thread preempted there would be: the
 * record reaches the log late, which a live reader must say.
 *
 * WEFT_CHAOS_CREATE_LATE=MS (alone or beside the others) holds every
 * pthread_create for MS milliseconds between the thread's creation and
 * the record of it, as a creator preempted there would be: the new
 * thread may end the process before its creation is in the log.
 *
 * WEFT_CHAOS_HOLD_LATE=MS (alone or beside the others) holds every held
 * record (a libweft channel wait's begin, weft__hb_block) for MS
 * milliseconds before it is committed (weft__hb_wait), as a thread
 * preempted while it unwinds its stack there would be: its partner may
 * take the value and end the process meanwhile, and the process's end
 * must wait for the record, or count it lost (harness:exit_held).
 *
 * WEFT_CHAOS_SKEW=TICKS (alone or beside the others) sets the record
 * clock of every thread but the first TICKS behind the first's (TSC
 * ticks, or ns without the TSC), as a vCPU whose TSC lags would: what
 * orders a release before its acquire in the trace must not rely on the
 * clocks of two threads agreeing (harness:fold_skew).
 *
 * Unset (every real run), weft__chaos_on stays 0 and the only cost is one
 * predictable branch on it in the record writer and on the slow paths.
 * Decisions are lock-free and async-signal-safe (a counter and a hash):
 * they run in fork children and in handlers. Not reproducible run for
 * run (threads interleave), but a seed chooses the sequence of decisions,
 * which is what a failure report needs to show its run's character. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

int weft__chaos_on;
static int faults; /* WEFT_CHAOS: the fallible steps fail */
static uint64_t seed;
static uint64_t ctr;
static uint64_t rate = 50;
static uint64_t late_ms, late_rate = 1000, late_ctr; /* WEFT_CHAOS_LATE */
static uint64_t skew;                                /* WEFT_CHAOS_SKEW */
static uint64_t create_late_ms;                      /* WEFT_CHAOS_CREATE_LATE */
static uint64_t hold_late_ms;                        /* WEFT_CHAOS_HOLD_LATE */

/* The chaos signal: the last real-time signal, which the test programs
 * leave alone. Its handler stands for a program's handler that calls
 * interposed functions: a mutex and a semaphore of its own, taken and
 * given back without blocking (async-signal-safe enough: nothing else
 * takes them but the handler, and it never blocks on them). */
static pthread_mutex_t h_mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t h_sem;
static uint64_t h_calls;

static void on_chaos(int sig) {
    (void)sig;
    int e = errno;
    if (pthread_mutex_trylock(&h_mu) == 0)
        pthread_mutex_unlock(&h_mu);
    sem_post(&h_sem);
    sem_trywait(&h_sem);
    __atomic_add_fetch(&h_calls, 1, __ATOMIC_RELAXED);
    errno = e;
}

static uint64_t mix(uint64_t x) {
    /* splitmix64's finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* "N[:R]": N into *n, and R into *r when given and positive. */
static void number_rate(const char *e, uint64_t *n, uint64_t *r) {
    char *end;
    *n = strtoull(e, &end, 10);
    if (*end == ':') {
        unsigned long long x = strtoull(end + 1, NULL, 10);
        if (x > 0)
            *r = x;
    }
}

void weft__chaos_init(void) {
    const char *l = secure_getenv("WEFT_CHAOS_LATE");
    if (l && *l)
        number_rate(l, &late_ms, &late_rate);
    const char *k = secure_getenv("WEFT_CHAOS_SKEW");
    if (k && *k)
        skew = strtoull(k, NULL, 10);
    const char *c = secure_getenv("WEFT_CHAOS_CREATE_LATE");
    if (c && *c)
        create_late_ms = strtoull(c, NULL, 10);
    const char *h = secure_getenv("WEFT_CHAOS_HOLD_LATE");
    if (h && *h)
        hold_late_ms = strtoull(h, NULL, 10);
    const char *e = secure_getenv("WEFT_CHAOS");
    if (!e || !*e) {
        if (late_ms || skew || create_late_ms || hold_late_ms)
            __atomic_store_n(&weft__chaos_on, 1, __ATOMIC_RELEASE);
        return;
    }
    number_rate(e, &seed, &rate);
    faults = 1;
    sem_init(&h_sem, 0, 0);
    /* the real sigaction: the program's view (shim_signal.c) is not ours */
    int (*r_sigaction)(int, const struct sigaction *, struct sigaction *) = NULL;
    WEFT_REAL(void, r_sigaction, "sigaction");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chaos;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    r_sigaction(SIGRTMAX, &sa, NULL);
    __atomic_store_n(&weft__chaos_on, 1, __ATOMIC_RELEASE);
}

void weft__chaos_fork_child(void) {
    /* the child's decisions differ from the parent's, which go on from
     * the same counter, and from its siblings' (a parent that records
     * nothing between two forks leaves the counter where it was) */
    seed = mix(seed + 0x9e3779b97f4a7c15ull * (uint64_t)syscall(SYS_getpid));
}

int weft__chaos_hit_slow(int site) {
    if (!faults)
        return 0;
    uint64_t n = __atomic_fetch_add(&ctr, 1, __ATOMIC_RELAXED);
    return mix(seed ^ mix(n * 8 + (uint64_t)site)) % rate == 0;
}

void weft__chaos_mid_record_slow(void) {
    if (!weft__chaos_hit_slow(WEFT_CHAOS_SIGNAL))
        return;
    int e = errno;
    /* to this very thread, now: delivered as the system call returns,
     * while our caller holds a record claimed but not committed */
    syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), SIGRTMAX);
    errno = e;
}

/* ms milliseconds of sleep, unrecorded (not the interposed nanosleep). */
static void hold(uint64_t ms) {
    int e = errno;
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    syscall(SYS_nanosleep, &t, NULL);
    errno = e;
}

void weft__chaos_after_ts_slow(void) {
    if (!late_ms || __atomic_fetch_add(&late_ctr, 1, __ATOMIC_RELAXED) % late_rate != late_rate - 1)
        return;
    hold(late_ms);
}

void weft__chaos_created_slow(void) {
    if (create_late_ms)
        hold(create_late_ms);
}

void weft__chaos_held_slow(void) {
    if (hold_late_ms)
        hold(hold_late_ms);
}

uint64_t weft__chaos_lag_slow(void) {
    return weft__t.tid == 1 ? 0 : skew;
}
