/* SPDX-License-Identifier: MIT */
/* reach.c: channel leaks while the program runs. Owns the table of what
 * each live thread may still reach (a Bloom filter of channels per
 * thread, reach.h), the filters carried by sends to receivers, the set of
 * timer and context channels, and the watchdog's check built on them: a
 * set of threads all blocked on channels that no running thread can
 * reach will never be woken (what Go 1.26's goroutine leak profile finds
 * by the garbage collector's reachability).
 *
 * C has no garbage collector, so "may reach" is approximated from above:
 * a thread may reach a channel it made or operated on (send, receive, the
 * try forms, close, len, cap, a select over it), any channel its creator
 * could reach when it was created (the start argument may carry it), and
 * any channel a sender on a channel it received from could reach (the
 * value may carry it), and likewise any channel a thread that released a
 * pthread lock, semaphore or barrier it then acquired could reach (the
 * memory they guard may hold it). A set lists its first WEFT_REACH_FEW
 * channels exactly and keeps a Bloom filter of all: once it holds more,
 * only the filter answers, and a filter only ever says "maybe" too often.
 *
 * The check (the watchdog's thread, each interval while some threads
 * wait): R starts as every thread of the table that is not waiting on a
 * channel (a thread in any other wait may be woken and go on), plus the
 * channel waiters whose wait cannot be judged: a select over more than
 * WEFT_REACH_SEL channels, or a wait on a timer or a context's channel
 * (a timer, or whoever holds the context or a parent of it, may end it).
 * A waiter joins R while R's threads may reach one of its channels, to a
 * fixpoint. The channel waiters left are stuck for good, unless the
 * approximation missed a path: each is reported only once it was found
 * stuck at every check for a whole timeout (on its own clock), asleep in
 * a futex and stuck again at that moment, and every thread of /proc/self/task is one of the table
 * (a thread we never saw may hold anything). Once per set, which waits up
 * to one more timeout for its waiters stuck for less; a thread already
 * reported is not reported again.
 *
 * What the approximation cannot see, documented in docs/detectors.md: a
 * channel passed through memory that no channel, lock or thread creation
 * carried (a global written after the reader was created and read
 * without a lock, an atomic, a lock-free queue). */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "reach.h"

#define SLOTS 4096
#define SPECIAL 8192
#define PROBES 64
#define TOMB 1ull /* a freed special entry: never a channel's address */
#define CANDS 256 /* channel waits looked at per check; more: no report */
#define REPORTED 256

__thread struct weft__reach *weft__reach_me __attribute__((tls_model("initial-exec")));
struct weft__carry weft__reach_carry[WEFT_REACH_CARRY];
int weft__reach_chans;
int weft__reach_armed;

static struct weft__reach slots[SLOTS];
static uint32_t hi; /* slots at and above hi were never claimed */
/* The table or the special set was full once: every check gives up. */
static int overflow;
static uint64_t special[SPECIAL];

/* The check's memory: the set of stuck threads seen at every check since
 * `since`, and the threads already reported. */
/* The waiters found stuck at every check since `since` (sorted by tid). */
struct tracked {
    uint32_t tid;
    uint32_t waits; /* its wait: the thread's count of waits begun */
    uint64_t since;
};
static struct tracked track[CANDS];
static int ntrack;
static uint32_t reported[REPORTED];
static int nreported;

struct weft__reach *weft__reach_join(void) {
    if (weft__reach_me)
        return weft__reach_me;
    if (!weft__reach_on())
        return NULL;
    int32_t me = (int32_t)syscall(SYS_gettid);
    for (uint32_t i = 0; i < SLOTS; i++) {
        int32_t expect = 0;
        if (__atomic_load_n(&slots[i].ostid, __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(&slots[i].ostid, &expect, me, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            uint32_t h = __atomic_load_n(&hi, __ATOMIC_RELAXED);
            while (h < i + 1 && !__atomic_compare_exchange_n(&hi, &h, i + 1, 0, __ATOMIC_RELEASE,
                                                             __ATOMIC_RELAXED))
                ;
            weft__reach_me = &slots[i];
            return &slots[i];
        }
    }
    __atomic_store_n(&overflow, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* Adds ch to s's list (a set that holds more gives up the list): 1 when s
 * changed. A compare-and-swap into the first free entry: entries fill in
 * order, and two threads adding at once (pushes into one carry entry)
 * each take their own. */
static int few_add(struct weft__reach_set *s, uint64_t ch) {
    if (__atomic_load_n(&s->many, __ATOMIC_RELAXED))
        return 0;
    for (int i = 0; i < WEFT_REACH_FEW; i++) {
        uint64_t e = __atomic_load_n(&s->few[i], __ATOMIC_RELAXED);
        if (!e &&
            __atomic_compare_exchange_n(&s->few[i], &e, ch, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return 1;
        if (e == ch) /* there, or just put there by another */
            return 0;
    }
    return !__atomic_exchange_n(&s->many, 1, __ATOMIC_RELAXED);
}

/* to takes in all of from: 1 when to changed. */
static int set_merge(struct weft__reach_set *to, const struct weft__reach_set *from) {
    int grew = 0;
    for (int i = 0; i < WEFT_REACH_WORDS; i++) {
        uint64_t theirs = __atomic_load_n(&from->bits[i], __ATOMIC_RELAXED);
        if (theirs & ~__atomic_load_n(&to->bits[i], __ATOMIC_RELAXED)) {
            __atomic_fetch_or(&to->bits[i], theirs, __ATOMIC_RELAXED);
            grew = 1;
        }
    }
    if (__atomic_load_n(&from->many, __ATOMIC_RELAXED)) {
        if (!__atomic_load_n(&to->many, __ATOMIC_RELAXED))
            grew |= !__atomic_exchange_n(&to->many, 1, __ATOMIC_RELAXED);
        return grew;
    }
    for (int i = 0; i < WEFT_REACH_FEW; i++) {
        uint64_t ch = __atomic_load_n(&from->few[i], __ATOMIC_RELAXED);
        if (!ch)
            break;
        grew |= few_add(to, ch);
    }
    return grew;
}

void weft__reach_copy(struct weft__reach_set *to, const struct weft__reach_set *from) {
    (void)set_merge(to, from);
}

void weft__reach_add_slow(struct weft__reach *r, uint64_t ch) {
    unsigned a, b;
    weft__reach_bits(ch, &a, &b);
    uint64_t ma = 1ull << (a & 63), mb = 1ull << (b & 63);
    /* The stores are read-modify-writes only so that a signal handler's
     * channel call between our load and store cannot lose its bit; they
     * happen once per thread and channel. */
    int grew = 0;
    if (!(__atomic_load_n(&r->set.bits[a >> 6], __ATOMIC_RELAXED) & ma)) {
        __atomic_fetch_or(&r->set.bits[a >> 6], ma, __ATOMIC_RELAXED);
        grew = 1;
    }
    if (!(__atomic_load_n(&r->set.bits[b >> 6], __ATOMIC_RELAXED) & mb)) {
        __atomic_fetch_or(&r->set.bits[b >> 6], mb, __ATOMIC_RELAXED);
        grew = 1;
    }
    /* Its bits may all be set already (other channels'): the list is
     * what tells ch from them. */
    grew |= few_add(&r->set, ch);
    if (grew) {
        __atomic_fetch_add(&r->gen, 1, __ATOMIC_RELAXED);
        if (!__atomic_load_n(&weft__reach_chans, __ATOMIC_RELAXED))
            __atomic_store_n(&weft__reach_chans, 1, __ATOMIC_RELAXED);
    }
    r->last_add = ch;
}

/* The entry obj's pushes fill: the one keyed by it, else the first free
 * one (claimed), else its first, shared from now on. */
static struct weft__carry *home(uint64_t obj) {
    uint32_t b[2];
    weft__reach_buckets(obj, &b[0], &b[1]);
    for (int i = 0; i < 2; i++)
        if (__atomic_load_n(&weft__reach_carry[b[i]].key, __ATOMIC_ACQUIRE) == obj)
            return &weft__reach_carry[b[i]];
    for (int i = 0; i < 2; i++) {
        uint64_t free_key = 0;
        if (__atomic_compare_exchange_n(&weft__reach_carry[b[i]].key, &free_key, obj, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
            free_key == obj)
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

void weft__reach_push_slow(struct weft__reach *r, uint64_t obj, uint64_t key) {
    uint32_t gen = __atomic_load_n(&r->gen, __ATOMIC_RELAXED);
    struct weft__carry *c = home(obj);
    if (set_merge(&c->set, &r->set)) /* after the set: a pull that sees the new version sees it */
        __atomic_fetch_add(&c->ver, 1, __ATOMIC_RELEASE);
    r->push_obj = key;
    r->push_gen = gen;
}

void weft__reach_pull_slow(struct weft__reach *r, uint64_t obj, uint64_t key) {
    uint32_t b[2];
    weft__reach_buckets(obj, &b[0], &b[1]);
    uint32_t ver[2];
    for (int i = 0; i < 2; i++)
        ver[i] = __atomic_load_n(&weft__reach_carry[b[i]].ver, __ATOMIC_ACQUIRE);
    int grew = 0;
    for (int j = 0; j < 2; j++) {
        const struct weft__carry *c = &weft__reach_carry[b[j]];
        uint64_t k = __atomic_load_n(&c->key, __ATOMIC_ACQUIRE);
        if (k != obj && k != WEFT_REACH_SHARED)
            continue; /* another object's: nothing of obj's senders */
        grew |= set_merge(&r->set, &c->set);
    }
    if (grew)
        __atomic_fetch_add(&r->gen, 1, __ATOMIC_RELAXED);
    r->pull_obj = key;
    r->pull_at = b[0] | b[1] << 16;
    r->pull_ver = ver[0];
    r->pull_ver2 = ver[1];
}

void weft__reach_start(const struct weft__reach_set *inherited) {
    struct weft__reach *r = weft__reach_join();
    if (!r)
        return;
    (void)set_merge(&r->set, inherited);
    __atomic_fetch_add(&r->gen, 1, __ATOMIC_RELAXED);
}

void weft__reach_end(void) {
    struct weft__reach *r = weft__reach_me;
    if (!r)
        return;
    weft__reach_me = NULL;
    for (int i = 0; i < WEFT_REACH_WORDS; i++)
        __atomic_store_n(&r->set.bits[i], 0, __ATOMIC_RELAXED);
    for (int i = 0; i < WEFT_REACH_FEW; i++)
        __atomic_store_n(&r->set.few[i], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->set.many, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->nsel, 0, __ATOMIC_RELAXED);
    r->last_add = r->push_obj = r->pull_obj = 0; /* the next owner's shortcuts start empty */
    r->gen = r->push_gen = r->pull_at = r->pull_ver = r->pull_ver2 = 0;
    __atomic_store_n(&r->ostid, 0, __ATOMIC_RELEASE);
}

void weft__reach_fork_child(void) {
    /* Only the forking thread lives on: it keeps what it could reach, under
     * its new kernel thread id. */
    struct weft__reach_set mine = {0};
    if (weft__reach_me)
        mine = weft__reach_me->set;
    memset(slots, 0,
           hi * sizeof slots[0]); /* only what was ever claimed: no page touched in vain */
    hi = 0;
    weft__reach_me = NULL;
    ntrack = 0;
    nreported = 0;
    weft__reach_start(&mine);
}

static size_t special_at(uint64_t ch) {
    return (size_t)(weft__reach_hash(ch) >> 40) % SPECIAL;
}

void weft__reach_special(uint64_t ch, int on) {
    if (!ch || !weft__reach_on())
        return;
    size_t s = special_at(ch);
    for (int i = 0; i < PROBES; i++, s = (s + 1) % SPECIAL) {
        uint64_t e = __atomic_load_n(&special[s], __ATOMIC_RELAXED);
        if (on && (e == 0 || e == TOMB) &&
            __atomic_compare_exchange_n(&special[s], &e, ch, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            return;
        if (!on && e == ch) {
            __atomic_compare_exchange_n(&special[s], &e, TOMB, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED);
            return;
        }
        if (!on && e == 0)
            return;
    }
    if (on)
        __atomic_store_n(&overflow, 1, __ATOMIC_RELAXED);
}

/* Whether ch may be a timer's or a context's channel. */
static int is_special(uint64_t ch) {
    size_t s = special_at(ch);
    for (int i = 0; i < PROBES; i++, s = (s + 1) % SPECIAL) {
        uint64_t e = __atomic_load_n(&special[s], __ATOMIC_ACQUIRE);
        if (e == ch)
            return 1;
        if (e == 0)
            return 0;
    }
    return 1;
}

/* ---- the check ---- */

struct cand {
    struct weft__wd_wait w;
    struct weft__reach_set set;
    uint64_t ch[WEFT_REACH_SEL];
    int nch;
    int in_r;
};

static struct weft__reach *slot_of(int32_t ostid) {
    uint32_t h = __atomic_load_n(&hi, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < h; i++)
        if (__atomic_load_n(&slots[i].ostid, __ATOMIC_ACQUIRE) == ostid)
            return &slots[i];
    return NULL;
}

static int is_chan_wait(uint16_t kind) {
    return kind == WEFT_K_CHAN_SEND_BEGIN || kind == WEFT_K_CHAN_RECV_BEGIN ||
           kind == WEFT_K_SELECT_BEGIN;
}

/* The channels a waiter waits on, into c; 0 when its wait cannot be
 * judged (a timer's or context's channel, a big select, no slot). */
static int channels_of(const struct weft__wd_wait *w, const struct weft__reach *r, struct cand *c) {
    c->nch = 0;
    if (w->kind == WEFT_K_SELECT_BEGIN) {
        uint32_t n = __atomic_load_n(&r->nsel, __ATOMIC_RELAXED);
        if (n > WEFT_REACH_SEL)
            return 0;
        for (uint32_t i = 0; i < n; i++)
            c->ch[c->nch++] = __atomic_load_n(&r->sel[i], __ATOMIC_RELAXED);
    } else if (w->obj) {
        c->ch[c->nch++] = w->obj; /* a nil channel's wait has none: nobody can end it */
    }
    for (int i = 0; i < c->nch; i++)
        if (is_special(c->ch[i]))
            return 0;
    return 1;
}

/* What the threads of R may reach, together: the channels of the sets
 * that list theirs, exactly (a table: open addressing, at most half
 * full), and the filters of the others (a set that holds more, or that
 * no longer fits in the table). */
#define RFEW 1024
struct rset {
    uint64_t bits[WEFT_REACH_WORDS];
    int n;
    uint64_t at[2 * RFEW];
};

static size_t rset_at(uint64_t ch) {
    return (size_t)(weft__reach_hash(ch) >> 32) & (2 * RFEW - 1);
}

static void r_take(struct rset *rs, const struct weft__reach_set *s) {
    uint64_t ch[WEFT_REACH_FEW];
    int n = 0;
    int listed = !__atomic_load_n(&s->many, __ATOMIC_RELAXED);
    while (listed && n < WEFT_REACH_FEW && (ch[n] = __atomic_load_n(&s->few[n], __ATOMIC_RELAXED)))
        n++;
    if (listed && rs->n + n <= RFEW) {
        for (int i = 0; i < n; i++) {
            size_t k = rset_at(ch[i]);
            while (rs->at[k] && rs->at[k] != ch[i])
                k = (k + 1) & (2 * RFEW - 1);
            if (!rs->at[k]) {
                rs->at[k] = ch[i];
                rs->n++;
            }
        }
        return;
    }
    for (int k = 0; k < WEFT_REACH_WORDS; k++)
        rs->bits[k] |= __atomic_load_n(&s->bits[k], __ATOMIC_RELAXED);
}

static int r_maybe(const struct rset *rs, uint64_t ch) {
    if (weft__reach_maybe(rs->bits, ch))
        return 1;
    for (size_t k = rset_at(ch); rs->at[k]; k = (k + 1) & (2 * RFEW - 1))
        if (rs->at[k] == ch)
            return 1;
    return 0;
}

/* The stuck channel waiters not reported yet, sorted by trace tid, into
 * out; their number (-1: the check cannot judge now), and their key. */
static int analyze(struct cand *cand, int *out, uint64_t *key) {
    struct weft__wd_wait w[CANDS];
    int nw = weft__wd_waits(w, CANDS);
    if (nw >= CANDS)
        return -1;
    int nc = 0;
    for (int i = 0; i < nw; i++) {
        if (!is_chan_wait(w[i].kind))
            continue;
        struct weft__reach *r = slot_of(w[i].ostid);
        if (!r)
            return -1; /* a channel waiter we cannot see into: it may hold anything */
        struct cand *c = &cand[nc];
        c->w = w[i];
        if (!channels_of(&w[i], r, c))
            continue; /* may be woken: a thread of R, found below by its slot */
        memset(&c->set, 0, sizeof c->set);
        (void)set_merge(&c->set, &r->set);
        c->in_r = 0;
        nc++;
    }
    if (nc == 0)
        return 0;
    /* What R may reach: every thread of the table but the judged waiters. */
    static struct rset rs;
    memset(&rs, 0, sizeof rs);
    uint32_t h = __atomic_load_n(&hi, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < h; i++) {
        int32_t os = __atomic_load_n(&slots[i].ostid, __ATOMIC_ACQUIRE);
        if (!os)
            continue;
        int judged = 0;
        for (int k = 0; k < nc && !judged; k++)
            judged = cand[k].w.ostid == os;
        if (judged)
            continue;
        r_take(&rs, &slots[i].set);
    }
    for (int more = 1; more;) {
        more = 0;
        for (int i = 0; i < nc; i++) {
            if (cand[i].in_r)
                continue;
            int reach = 0;
            for (int k = 0; k < cand[i].nch && !reach; k++)
                reach = r_maybe(&rs, cand[i].ch[k]);
            if (reach) {
                cand[i].in_r = more = 1;
                r_take(&rs, &cand[i].set);
            }
        }
    }
    int n = 0;
    for (int i = 0; i < nc; i++) {
        if (cand[i].in_r)
            continue;
        int done = 0;
        for (int k = 0; k < nreported && !done; k++)
            done = reported[k] == cand[i].w.tid;
        if (done)
            continue;
        int j = n++;
        for (; j > 0 && cand[out[j - 1]].w.tid > cand[i].w.tid; j--)
            out[j] = out[j - 1];
        out[j] = i;
    }
    uint64_t k = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++) {
        const struct cand *c = &cand[out[i]];
        k = (k ^ c->w.tid) * 0x100000001b3ull;
        k = (k ^ c->w.kind) * 0x100000001b3ull;
        for (int j = 0; j < c->nch; j++)
            k = (k ^ c->ch[j]) * 0x100000001b3ull;
    }
    *key = k ? k : 1;
    return n;
}

/* Whether every thread of the process but ours has a slot: a thread we
 * never saw (made before us, or by a raw clone) may hold any channel. */
static int all_known(void) {
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int32_t self = (int32_t)syscall(SYS_gettid);
    int known = 1;
    char buf[4096];
    while (known) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got && known;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] == '.')
                continue;
            int32_t t = (int32_t)strtol(d->d_name, NULL, 10);
            known = t == self || slot_of(t) != NULL;
        }
    }
    close(fd);
    return known;
}

/* Whether thread tid, still in its wait number `waits`, is among the n
 * stuck waiters of out. */
static int stuck_has(const struct cand *cand, const int *out, int n, uint32_t tid, uint32_t waits) {
    for (int i = 0; i < n; i++)
        if (cand[out[i]].w.tid == tid && cand[out[i]].w.waits == waits)
            return 1;
    return 0;
}

void weft__reach_check(uint64_t now, long timeout_ms) {
    static struct cand cand[CANDS];
    int out[CANDS];
    uint64_t key = 0;
    int n = __atomic_load_n(&overflow, __ATOMIC_RELAXED) ? -1 : analyze(cand, out, &key);
    if (n <= 0) {
        ntrack = 0;
        return;
    }
    /* Each waiter's own clock: found stuck at every check since when, in
     * the same wait (a busy pipeline's waiters, caught waiting at every
     * check, wait each time anew: not stuck, however often seen). A
     * check that also finds threads stuck for a moment (a thread woken
     * but not yet back on a CPU still looks like a waiter, and can make
     * its partner look unreachable) restarts nobody else's clock, so a
     * loaded machine does not put off the report of the others. */
    struct tracked now_track[CANDS];
    int ready = 0;
    uint64_t oldest = 0;
    for (int i = 0; i < n; i++) {
        uint32_t tid = cand[out[i]].w.tid, waits = cand[out[i]].w.waits;
        uint64_t since = now;
        for (int k = 0; k < ntrack; k++)
            if (track[k].tid == tid && track[k].waits == waits)
                since = track[k].since;
        now_track[i] = (struct tracked){tid, waits, since};
        ready += now - since >= (uint64_t)timeout_ms;
        oldest = now - since > oldest ? now - since : oldest;
    }
    memcpy(track, now_track, (size_t)n * sizeof *track);
    ntrack = n;
    /* Some are ready, others stuck for less (a worker of the same pool
     * that a loaded machine put back in its receive a little later): the
     * set waits for them up to one more timeout, so that it is said in
     * one line, not in one now and one for the late ones after it. */
    if (!ready || (ready < n && oldest < 2 * (uint64_t)timeout_ms))
        return;
    /* Stuck at every check for a whole timeout. Confirm: no thread
     * unknown to the table, every one asleep in a futex, and each found
     * stuck again after that (a thread that started meanwhile counts). */
    if (!all_known())
        return;
    for (int i = 0; i < n; i++)
        if (now - track[i].since >= (uint64_t)timeout_ms && !weft__wd_asleep(cand[out[i]].w.ostid))
            return;
    static struct cand again[CANDS];
    int out2[CANDS];
    uint64_t key2 = 0;
    int n2 = analyze(again, out2, &key2);
    struct weft__wd_wait w[CANDS];
    int nw = 0;
    for (int i = 0; i < n; i++) {
        if (now - track[i].since < (uint64_t)timeout_ms)
            continue;
        if (n2 <= 0 || !stuck_has(again, out2, n2, track[i].tid, track[i].waits))
            return;
        w[nw++] = cand[out[i]].w;
    }
    if (nreported + nw > REPORTED)
        return; /* "once per set" could no longer hold */
    for (int i = 0; i < nw; i++)
        reported[nreported++] = w[i].tid;
    weft__wd_report_chans(w, nw);
}
