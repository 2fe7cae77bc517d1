/* SPDX-License-Identifier: MIT */
/* reach.h: which channels each thread may still reach, for the watchdog's
 * check of channel waits no running thread can end (reach.c). The inline
 * hooks here sit in the channel interposers (shim_weft.c) and in thread
 * creation (shim_thread.c): a thread adds each channel it touches to a
 * small Bloom filter of its own, which the watchdog reads. Only the owner
 * writes its filter, so an addition is a load, a test and, the first time
 * only, a relaxed store: no lock, no atomic read-modify-write, no malloc.
 * Everything is skipped while the check is off (no deadlock timeout). */
#ifndef WEFT_HARNESS_SHIM_REACH_H
#define WEFT_HARNESS_SHIM_REACH_H

#include <stdint.h>

#include "shim.h"

/* 256 bits, two per channel: a thread that touched a few dozen channels
 * still answers "no" for most others; one that touched hundreds answers
 * "maybe" for all, which only makes the check report less. */
#define WEFT_REACH_WORDS 4
/* A select's channels kept for the watchdog while it waits; a select over
 * more counts as able to go on (never reported). */
#define WEFT_REACH_SEL 8
#define WEFT_REACH_SEL_MANY 0xffffffffu

struct weft__reach {
    int32_t ostid; /* owner's kernel thread id; 0: a free slot */
    uint32_t nsel; /* channels in sel (its waiting select's), or WEFT_REACH_SEL_MANY */
    uint64_t bits[WEFT_REACH_WORDS];
    /* The owner's own shortcuts, never read by the watchdog: the channel
     * it added last; how often its filter grew (gen); the object it
     * pushed for last, at which gen; the object it pulled for last, its
     * two carry entries (packed, one in each half) and their versions
     * then. A thread that keeps sending
     * on one channel and receiving on another, or locking and unlocking
     * one mutex, skips both merges (and the hash). */
    uint64_t last_add, push_obj, pull_obj;
    uint32_t gen, push_gen, pull_at, pull_ver, pull_ver2;
    uint64_t sel[WEFT_REACH_SEL];
} __attribute__((aligned(64)));

extern __thread struct weft__reach *weft__reach_me __attribute__((tls_model("initial-exec")))
WEFT_HIDDEN;

/* Claims this thread's slot (empty filter) if it has none: NULL when the
 * table is full (then the watchdog never reports a channel leak). */
struct weft__reach *weft__reach_join(void) WEFT_HIDDEN;
/* A new thread's slot, with the filter its creator had (thread start),
 * and its release (thread end). */
void weft__reach_start(const uint64_t *inherited) WEFT_HIDDEN;
void weft__reach_end(void) WEFT_HIDDEN;
/* Timer and context channels: a timer or a cancel can end a wait on them
 * whoever holds them, so waits on them are never reported (on: 1 made,
 * 0 freed). */
void weft__reach_special(uint64_t ch, int on) WEFT_HIDDEN;
/* What the senders on a channel could reach, for its receivers: the value
 * sent may carry any of it (a reply channel inside a request). A table of
 * carry filters, each keyed by the one object whose senders fill it: an
 * object takes the first free of its two candidate entries; when both are
 * another's, it shares its first (key WEFT_REACH_SHARED) with whoever else
 * lands there. A key goes only from free to one object to shared, never
 * back, so every filter an object's pushes went into stays keyed by it or
 * shared, and a pull reads exactly those of its two. Objects that share
 * an entry only pass on more (no report); with two choices that takes
 * thousands of objects, not two whose hashes meet (with one filter per
 * bucket, by the hash's odds two channels met in about 1 of 500 runs of a
 * three-channel program, and its leak went unreported). */
#define WEFT_REACH_CARRY 4096
#define WEFT_REACH_SHARED 1ull /* never an object's address */
struct weft__carry {
    uint64_t key; /* 0: free; an object; or WEFT_REACH_SHARED */
    uint64_t bits[WEFT_REACH_WORDS];
    uint32_t ver; /* bumped each time a push adds to bits */
} __attribute__((aligned(64)));
extern struct weft__carry weft__reach_carry[WEFT_REACH_CARRY] WEFT_HIDDEN;
/* Some thread has touched a channel (set once, never cleared). */
extern int weft__reach_chans WEFT_HIDDEN;
/* What the watchdog (watchdog.c) lends the check: its table of waits
 * (copied into w, at most max; returns how many), whether a thread sleeps
 * in a futex, and the report of a set of stuck channel waiters (a
 * `deadlock` event with obj 2 and one line on stderr; the process goes
 * on). */
struct weft__wd_wait {
    uint32_t tid; /* trace tid */
    uint16_t kind;
    uint16_t pad;
    int32_t ostid;
    uint32_t pad2;
    uint64_t obj;
};
int weft__wd_waits(struct weft__wd_wait *w, int max) WEFT_HIDDEN;
int weft__wd_asleep(int32_t ostid) WEFT_HIDDEN;
void weft__wd_report_chans(const struct weft__wd_wait *w, int n) WEFT_HIDDEN;
/* The watchdog's check (its thread, every interval while some threads
 * wait and some do not), and the fork child's reset. */
void weft__reach_check(uint64_t now_ms, long timeout_ms) WEFT_HIDDEN;
void weft__reach_fork_child(void) WEFT_HIDDEN;

/* The check is on (the watchdog runs with a deadlock timeout). Not the
 * watchdog's own flag: under `weft run` the watchdog also runs with
 * --deadlock-timeout=0, for the live state file alone, and then no
 * thread should pay for filters nobody reads. */
extern int weft__reach_armed WEFT_HIDDEN;
static inline int weft__reach_on(void) {
    return __atomic_load_n(&weft__reach_armed, __ATOMIC_RELAXED);
}

/* The two bits of ch: a multiplicative hash's top bits. */
static inline uint64_t weft__reach_hash(uint64_t ch) {
    return (ch >> 3) * 0x9e3779b97f4a7c15ull;
}

static inline struct weft__reach *weft__reach_self(void) {
    struct weft__reach *r = weft__reach_me;
    return r ? r : weft__reach_join();
}

/* This thread may reach ch from now on. */
static inline void weft__reach_add(uint64_t ch) {
    if (!ch || !weft__reach_on())
        return;
    struct weft__reach *r = weft__reach_self();
    if (!r || r->last_add == ch)
        return;
    uint64_t h = weft__reach_hash(ch);
    unsigned a = (unsigned)(h >> 56), b = (unsigned)(h >> 48) & 255;
    uint64_t ma = 1ull << (a & 63), mb = 1ull << (b & 63);
    /* The stores are read-modify-writes only so that a signal handler's
     * channel call between our load and store cannot lose its bit; they
     * happen once per thread and channel. */
    int grew = 0;
    if (!(__atomic_load_n(&r->bits[a >> 6], __ATOMIC_RELAXED) & ma)) {
        __atomic_fetch_or(&r->bits[a >> 6], ma, __ATOMIC_RELAXED);
        grew = 1;
    }
    if (!(__atomic_load_n(&r->bits[b >> 6], __ATOMIC_RELAXED) & mb)) {
        __atomic_fetch_or(&r->bits[b >> 6], mb, __ATOMIC_RELAXED);
        grew = 1;
    }
    if (grew) {
        __atomic_fetch_add(&r->gen, 1, __ATOMIC_RELAXED);
        if (!__atomic_load_n(&weft__reach_chans, __ATOMIC_RELAXED))
            __atomic_store_n(&weft__reach_chans, 1, __ATOMIC_RELAXED);
    }
    r->last_add = ch;
}

_Static_assert(WEFT_REACH_CARRY <= 65536, "pull_at packs two entries in 16 bits each");

/* The two candidate entries of ch, from other bits of its hash. */
static inline void weft__reach_buckets(uint64_t ch, uint32_t *b1, uint32_t *b2) {
    uint64_t h = weft__reach_hash(ch);
    *b1 = (uint32_t)(h >> 20) % WEFT_REACH_CARRY;
    *b2 = (uint32_t)(h >> 36) % WEFT_REACH_CARRY;
}

/* The entry ch's pushes fill: the one keyed by it, else the first free
 * one (claimed), else its first, shared from now on. */
static inline struct weft__carry *weft__reach_home(uint64_t ch) {
    uint32_t b[2];
    weft__reach_buckets(ch, &b[0], &b[1]);
    for (int i = 0; i < 2; i++)
        if (__atomic_load_n(&weft__reach_carry[b[i]].key, __ATOMIC_ACQUIRE) == ch)
            return &weft__reach_carry[b[i]];
    for (int i = 0; i < 2; i++) {
        uint64_t free_key = 0;
        if (__atomic_compare_exchange_n(&weft__reach_carry[b[i]].key, &free_key, ch, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
            free_key == ch)
            return &weft__reach_carry[b[i]];
    }
    /* Made shared, a version more: the pulls that skipped it as another
     * object's look at it again (bits already there count from now on). */
    struct weft__carry *c = &weft__reach_carry[b[0]];
    if (__atomic_load_n(&c->key, __ATOMIC_RELAXED) != WEFT_REACH_SHARED &&
        __atomic_exchange_n(&c->key, WEFT_REACH_SHARED, __ATOMIC_ACQ_REL) != WEFT_REACH_SHARED)
        __atomic_fetch_add(&c->ver, 1, __ATOMIC_RELEASE);
    return c;
}

/* Before a send on ch: the receivers may get anything this thread can
 * reach. Again for the same object with the same filter: nothing. */
static inline void weft__reach_push(uint64_t ch) {
    struct weft__reach *r = weft__reach_me; /* a slot: the check was armed, and stays so */
    if (!r || !ch)
        return;
    uint32_t gen = __atomic_load_n(&r->gen, __ATOMIC_RELAXED);
    if (r->push_obj == ch && r->push_gen == gen)
        return;
    struct weft__carry *c = weft__reach_home(ch);
    int added = 0;
    for (int i = 0; i < WEFT_REACH_WORDS; i++) {
        uint64_t mine = __atomic_load_n(&r->bits[i], __ATOMIC_RELAXED);
        if (mine & ~__atomic_load_n(&c->bits[i], __ATOMIC_RELAXED)) {
            __atomic_fetch_or(&c->bits[i], mine, __ATOMIC_RELAXED);
            added = 1;
        }
    }
    if (added) /* after the bits: a pull that sees the new version sees them */
        __atomic_fetch_add(&c->ver, 1, __ATOMIC_RELEASE);
    r->push_obj = ch;
    r->push_gen = gen;
}

/* After a receive on ch: this thread may now reach what its senders
 * could: the bits of each of ch's two entries keyed by ch or shared.
 * Again for the same object, both entries unchanged since: nothing. */
static inline void weft__reach_pull(uint64_t ch) {
    struct weft__reach *r = weft__reach_me;
    if (!r || !ch)
        return;
    uint32_t b[2];
    if (r->pull_obj == ch) {
        b[0] = r->pull_at & 0xffff;
        b[1] = r->pull_at >> 16;
    } else {
        weft__reach_buckets(ch, &b[0], &b[1]);
    }
    uint32_t ver[2];
    for (int i = 0; i < 2; i++)
        ver[i] = __atomic_load_n(&weft__reach_carry[b[i]].ver, __ATOMIC_ACQUIRE);
    if (r->pull_obj == ch && r->pull_ver == ver[0] && r->pull_ver2 == ver[1])
        return;
    int grew = 0;
    for (int j = 0; j < 2; j++) {
        const struct weft__carry *c = &weft__reach_carry[b[j]];
        uint64_t key = __atomic_load_n(&c->key, __ATOMIC_ACQUIRE);
        if (key != ch && key != WEFT_REACH_SHARED)
            continue; /* another object's: nothing of ch's senders */
        for (int i = 0; i < WEFT_REACH_WORDS; i++) {
            uint64_t theirs = __atomic_load_n(&c->bits[i], __ATOMIC_RELAXED);
            if (theirs & ~__atomic_load_n(&r->bits[i], __ATOMIC_RELAXED)) {
                __atomic_fetch_or(&r->bits[i], theirs, __ATOMIC_RELAXED);
                grew = 1;
            }
        }
    }
    if (grew)
        __atomic_fetch_add(&r->gen, 1, __ATOMIC_RELAXED);
    r->pull_obj = ch;
    r->pull_at = b[0] | b[1] << 16;
    r->pull_ver = ver[0];
    r->pull_ver2 = ver[1];
}

/* The same through a pthread lock, condvar wait, semaphore or barrier:
 * memory they guard may hold a channel (a queue of requests with reply
 * channels). Push before a release (unlock, post), pull after an acquire.
 * Nothing at all until some thread touched a channel: a program without
 * libweft pays one load. */
static inline void weft__reach_sync_push(uint64_t obj) {
    if (__atomic_load_n(&weft__reach_chans, __ATOMIC_RELAXED))
        weft__reach_push(obj);
}

static inline void weft__reach_sync_pull(uint64_t obj) {
    if (__atomic_load_n(&weft__reach_chans, __ATOMIC_RELAXED))
        weft__reach_pull(obj);
}

/* Whether a filter may hold ch. */
static inline int weft__reach_maybe(const uint64_t *bits, uint64_t ch) {
    uint64_t h = weft__reach_hash(ch);
    unsigned a = (unsigned)(h >> 56), b = (unsigned)(h >> 48) & 255;
    return (bits[a >> 6] >> (a & 63) & 1) && (bits[b >> 6] >> (b & 63) & 1);
}

#endif /* WEFT_HARNESS_SHIM_REACH_H */
