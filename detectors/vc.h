/* SPDX-License-Identifier: MIT */
/* vc.h: the happens-before engine: sparse vector clocks replayed over the
 * exact synchronisation edges of a trace (never timing). Internal to the
 * detectors, under its own names (weft__vc_*): libweft's weft__hb_*
 * functions are the hooks through which its calls announce their edges,
 * another thing, and a process may link both.
 *
 * Threads are the trace's threads.id values (1..n). Each thread has a clock
 * made of a shared, immutable, reference-counted snapshot of what it knows
 * about other threads (`base`) plus its own counter (its epoch), kept
 * apart so that a release is O(1): it hands out a reference to the base and
 * the epoch, then the thread's epoch grows. Only an acquire that learns
 * something new builds a new snapshot.
 *
 * A weft__rv ("release value") is such a clock frozen at one moment: the
 * snapshot `s` plus one extra entry (t, c). When t != 0 it is exactly
 * thread t's clock at its epoch c, which gives the cheap test "the acquirer
 * already knows t up to c, so it knows all of it". Values that join several
 * releases have t = 0 (the extra entry folded into s).
 *
 * Event e of thread a (epoch ea) happens before event f of another thread
 * iff f's clock knows a up to at least ea: weft__vc_knows(f's rv, a, ea).
 * Events of one thread are ordered by the trace (callers compare ids). */
#ifndef WEFT_DETECTORS_VC_H
#define WEFT_DETECTORS_VC_H

#include <stdint.h>

struct weft__snap;
typedef struct weft__rv {
    struct weft__snap *s;
    uint32_t t, c;
} weft__rv;

struct weft__vc;

/* nthreads: the largest threads.id. NULL when out of memory. */
struct weft__vc *weft__vc_new(uint32_t nthreads);
/* Room for threads up to nthreads (a live ingest's stream grows): 0, or
 * -1 when out of memory. */
int weft__vc_grow(struct weft__vc *h, uint32_t nthreads);
void weft__vc_free(struct weft__vc *h);

/* Thread t's clock now (a new reference: drop it with weft__rv_drop). */
weft__rv weft__vc_now(struct weft__vc *h, uint32_t t);
void weft__rv_drop(weft__rv *v);
/* Thread t's epoch now. */
uint32_t weft__vc_epoch(const struct weft__vc *h, uint32_t t);

/* A release by t into a stored value: `replace` (a mutex: the next lock
 * acquires this unlock only) or join (semaphores, condvars, libweft's
 * (obj, seq) edges: the acquirer gets every release so far). t's epoch
 * grows afterwards, so that its later events are not covered. */
void weft__vc_release(struct weft__vc *h, uint32_t t, weft__rv *into, int replace);
/* Thread t acquires a stored value (nothing when it is empty). */
void weft__vc_acquire(struct weft__vc *h, uint32_t t, const weft__rv *from);

/* Thread `child` was joined by `joiner`: every clock that knows the joiner
 * at or after this point knows all of the child, so the child's entry need
 * not be copied into them (this keeps clocks small when thousands of
 * threads come and go). Call after the joiner acquired the child's clock. */
void weft__vc_joined(struct weft__vc *h, uint32_t child, uint32_t joiner);

/* Thread t ended and can never be joined (it is detached): nothing it
 * did after its last release can ever be known to another thread, so a
 * clock that knows that release knows all there is to know of t. The
 * first acquirer whose clock then knows it becomes t's summary, as a
 * joiner is (above), and the explicit entries for t drop out of clocks
 * as they are rebuilt: without this, a thread that starts and waits for
 * thousands of detached threads (weft_go in a loop) carries an entry for
 * each of them in its clock and in every snapshot taken from it,
 * quadratic in the number of threads in time and memory. t's own clock
 * is freed. Calling it again for t changes nothing. */
void weft__vc_exited(struct weft__vc *h, uint32_t t);

/* Does clock v know thread a up to epoch ea (a's event at ea happened
 * before the moment v was taken)? */
int weft__vc_knows(const struct weft__vc *h, const weft__rv *v, uint32_t a, uint32_t ea);

/* The (key1, key2, key3) -> value table for libweft's hb_release/acquire
 * (pid, obj, seq) and for per-object clocks (pid, kind, address). mode:
 * 0 join, 1 replace (as weft__vc_release), or WEFT__VC_ONCE: a fresh key
 * that will be acquired at most once, so the entry is dropped at that
 * acquire (channel tickets: this keeps the table at the tickets in
 * flight instead of every ticket of the trace). */
#define WEFT__VC_ONCE 2
void weft__vc_obj_release(struct weft__vc *h, uint32_t t, uint64_t k1, uint64_t k2, uint64_t k3,
                          int replace);
void weft__vc_obj_acquire(struct weft__vc *h, uint32_t t, uint64_t k1, uint64_t k2, uint64_t k3);
/* A tag on a key: two words the caller gives meaning to (answered.c: the
 * thread that released a ticket inside a blocking call, and that call's
 * event), set on a key released before (the last weft__vc_obj_release's
 * without a lookup), kept until the next tag on it or the key's drop, and
 * read back by weft__vc_acquired_tag after the weft__vc_obj_acquire that
 * took the key: one table for the clock and the tag, one lookup each. */
void weft__vc_tag(struct weft__vc *h, uint64_t k1, uint64_t k2, uint64_t k3, uint32_t a, int64_t b);
/* The tag of the key the last weft__vc_obj_acquire found (0, 0: none,
 * or no key). */
void weft__vc_acquired_tag(const struct weft__vc *h, uint32_t *a, int64_t *b);

#endif
