/* SPDX-License-Identifier: MIT */
/* reach.h: which channels each thread may still reach, for the watchdog's
 * check of channel waits no running thread can end (reach.c). The inline
 * hooks here sit in the channel interposers (shim_weft.c) and in thread
 * creation (shim_thread.c): a thread adds each channel it touches to a
 * set of its own (its first few channels listed, and a small Bloom filter
 * of all), which the watchdog reads. An addition the thread made before
 * is a load and a test; a new one takes a compare-and-swap or two: no
 * lock, no malloc. Everything is skipped while the check is off (no
 * deadlock timeout). */
#ifndef WEFT_HARNESS_SHIM_REACH_H
#define WEFT_HARNESS_SHIM_REACH_H

#include <stdint.h>

#include "shim.h"

/* 256 bits, two per channel: a thread that touched a few dozen channels
 * still answers "no" for most others; one that touched hundreds answers
 * "maybe" for all, which only makes the check report less. */
#define WEFT_REACH_WORDS 4
/* Channels a set also lists exactly. A filter's "maybe" is sometimes
 * wrong for a channel it never held (two other channels set its two
 * bits: with a main and a helper holding two channels between them,
 * about 1 run in 4,000 of pitfall_chan_leak_pool, and its leak went
 * unreported for the whole run); while a set holds at most this many
 * channels, the watchdog reads the list, which never is. */
#define WEFT_REACH_FEW 8

/* What a thread, or an object's carry entry (below), may reach. Written
 * by compare-and-swap and or (several threads may push into one carry
 * entry, and a signal handler's channel call may interrupt its thread's
 * own addition); only ever grows until the owner thread ends. */
struct weft__reach_set {
    uint64_t bits[WEFT_REACH_WORDS];
    uint64_t few[WEFT_REACH_FEW]; /* its channels from the first on; 0 ends the list */
    uint32_t many;                /* 1: more than WEFT_REACH_FEW, only bits answers */
    uint32_t pad;
};
/* A select's channels kept for the watchdog while it waits; a select over
 * more counts as able to go on (never reported). */
#define WEFT_REACH_SEL 8
#define WEFT_REACH_SEL_MANY 0xffffffffu

struct weft__reach {
    int32_t ostid; /* owner's kernel thread id; 0: a free slot */
    uint32_t nsel; /* channels in sel (its waiting select's), or WEFT_REACH_SEL_MANY */
    struct weft__reach_set set;
    /* The owner's own shortcuts, never read by the watchdog: the channel
     * it added last; how often its set grew (gen); the object it
     * pushed for last (tagged, see WEFT_REACH_LOCK), at which gen; the
     * object it pulled for last, its two carry entries (packed, one in
     * each half) and their versions then. A thread that keeps sending on
     * one channel and receiving on another, or locking and unlocking one
     * mutex, skips both merges (and the hash). */
    uint64_t last_add, push_obj, pull_obj;
    uint32_t gen, push_gen, pull_at, pull_ver, pull_ver2;
    uint64_t sel[WEFT_REACH_SEL];
} __attribute__((aligned(64)));

extern __thread struct weft__reach *weft__reach_me __attribute__((tls_model("initial-exec")))
WEFT_HIDDEN;

/* Claims this thread's slot (empty set) if it has none: NULL when the
 * table is full (then the watchdog never reports a channel leak). */
struct weft__reach *weft__reach_join(void) WEFT_HIDDEN;
/* A new thread's slot, with the set its creator had (thread start), and
 * its release (thread end); a copy of a set another thread may be adding
 * to (into a zeroed one), for the creator. */
void weft__reach_start(const struct weft__reach_set *inherited) WEFT_HIDDEN;
void weft__reach_end(void) WEFT_HIDDEN;
void weft__reach_copy(struct weft__reach_set *to, const struct weft__reach_set *from) WEFT_HIDDEN;
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
    struct weft__reach_set set;
    uint32_t ver; /* bumped each time a push adds to set */
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
    uint32_t waits; /* the thread's count of waits begun, with this one */
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

/* A multiplicative hash of ch, and its top bits: ch's two bits in a
 * filter. */
static inline uint64_t weft__reach_hash(uint64_t ch) {
    return (ch >> 3) * 0x9e3779b97f4a7c15ull;
}

static inline void weft__reach_bits(uint64_t ch, unsigned *a, unsigned *b) {
    uint64_t h = weft__reach_hash(ch);
    *a = (unsigned)(h >> 56);
    *b = (unsigned)(h >> 48) & 255;
}

static inline struct weft__reach *weft__reach_self(void) {
    struct weft__reach *r = weft__reach_me;
    return r ? r : weft__reach_join();
}

/* The misses of the hooks below (reach.c): the hash, the merges. */
void weft__reach_add_slow(struct weft__reach *r, uint64_t ch) WEFT_HIDDEN;
void weft__reach_push_slow(struct weft__reach *r, uint64_t obj, uint64_t key) WEFT_HIDDEN;
void weft__reach_pull_slow(struct weft__reach *r, uint64_t obj, uint64_t key) WEFT_HIDDEN;

/* Each hook below tests its shortcuts inline and leaves the rest to
 * reach.c: a channel call that hits them costs a few loads and compares.
 * The shortcuts of a channel's push or pull are keyed by the channel
 * itself, those of a lock's by its address with the low bit set (never a
 * channel's), so that a push or pull shortcut for ch also says that ch is
 * in the filter: every channel push and pull follows an add of the same
 * channel by the same thread, and a filter only loses bits with its
 * shortcuts (thread end). A pipeline stage that receives on one channel
 * and sends on another then hits every time. */
#define WEFT_REACH_CHAN 0ull
#define WEFT_REACH_LOCK 1ull

/* This thread may reach ch from now on. */
static inline void weft__reach_add(uint64_t ch) {
    struct weft__reach *r = weft__reach_me; /* only ever set while the check is armed */
    if (r) {
        if (r->last_add != ch && r->push_obj != ch && r->pull_obj != ch && ch)
            weft__reach_add_slow(r, ch);
    } else if (ch && weft__reach_on() && (r = weft__reach_join())) {
        weft__reach_add_slow(r, ch);
    }
}

_Static_assert(WEFT_REACH_CARRY <= 65536, "pull_at packs two entries in 16 bits each");

/* The two candidate entries of ch, from other bits of its hash. */
static inline void weft__reach_buckets(uint64_t ch, uint32_t *b1, uint32_t *b2) {
    uint64_t h = weft__reach_hash(ch);
    *b1 = (uint32_t)(h >> 20) % WEFT_REACH_CARRY;
    *b2 = (uint32_t)(h >> 36) % WEFT_REACH_CARRY;
}

/* Before a send on (or a release of) obj: the receivers may get anything
 * this thread can reach. Again for the same object with the same filter:
 * nothing. kind: WEFT_REACH_CHAN or WEFT_REACH_LOCK. */
static inline void weft__reach_push(uint64_t obj, uint64_t kind) {
    struct weft__reach *r = weft__reach_me; /* a slot: the check was armed, and stays so */
    if (!r || !obj)
        return;
    if (r->push_obj != (obj | kind) || r->push_gen != __atomic_load_n(&r->gen, __ATOMIC_RELAXED))
        weft__reach_push_slow(r, obj, obj | kind);
}

/* After a receive on (or an acquire of) obj: this thread may now reach
 * what its senders could: the bits of each of obj's two entries keyed by
 * obj or shared. Again for the same object, both entries unchanged since:
 * nothing. */
static inline void weft__reach_pull(uint64_t obj, uint64_t kind) {
    struct weft__reach *r = weft__reach_me;
    if (!r || !obj)
        return;
    if (r->pull_obj != (obj | kind) ||
        r->pull_ver !=
            __atomic_load_n(&weft__reach_carry[r->pull_at & 0xffff].ver, __ATOMIC_ACQUIRE) ||
        r->pull_ver2 != __atomic_load_n(&weft__reach_carry[r->pull_at >> 16].ver, __ATOMIC_ACQUIRE))
        weft__reach_pull_slow(r, obj, obj | kind);
}

/* The same through a pthread lock, condvar wait, semaphore or barrier:
 * memory they guard may hold a channel (a queue of requests with reply
 * channels). Push before a release (unlock, post), pull after an acquire.
 * Nothing at all until some thread touched a channel: a program without
 * libweft pays one load. */
static inline void weft__reach_sync_push(uint64_t obj) {
    if (__atomic_load_n(&weft__reach_chans, __ATOMIC_RELAXED))
        weft__reach_push(obj, WEFT_REACH_LOCK);
}

static inline void weft__reach_sync_pull(uint64_t obj) {
    if (__atomic_load_n(&weft__reach_chans, __ATOMIC_RELAXED))
        weft__reach_pull(obj, WEFT_REACH_LOCK);
}

/* Whether a filter may hold ch. */
static inline int weft__reach_maybe(const uint64_t *bits, uint64_t ch) {
    unsigned a, b;
    weft__reach_bits(ch, &a, &b);
    return (bits[a >> 6] >> (a & 63) & 1) && (bits[b >> 6] >> (b & 63) & 1);
}

#endif /* WEFT_HARNESS_SHIM_REACH_H */
