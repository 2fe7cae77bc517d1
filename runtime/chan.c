/* SPDX-License-Identifier: MIT */
/* chan.c: channels — make, send, receive, close, try ops, len and cap.
 *
 * An unbuffered channel is Go's hchan: a lock and two FIFO queues of
 * blocked waiters. A sender that finds a receiver waiting copies its value
 * straight into the receiver's memory and wakes it (and vice versa).
 *
 * A buffered channel keeps its values in a lock-free ring with a sequence
 * number per slot (Vyukov's bounded MPMC queue), so that a producer and a
 * consumer that keep up with each other never touch the same lock or
 * position word: the producer owns `tail`, the consumer `head`, and they
 * meet only in the slots. The lock and the queues are for blocking and
 * for close. The fast paths step aside to them through flags kept in the
 * position words themselves, so that a flag and a position change in one
 * CAS and no fast path can slip past a flag set under the lock:
 *   - CLOSED (in tail): no send may claim a slot once close has set it;
 *   - SENDW (in tail): senders are queued (the ring was full); a new
 *     sender must queue behind them, so only lock holders fill the ring;
 *   - RECVW (in head): receivers are queued (the ring was empty); only
 *     lock holders take from the ring, to hand values to them in order.
 * A thread that queues itself then marks the slot whose change it waits
 * for (the first empty one for a receiver, the first full one for a
 * sender) with a bit in the slot's sequence; whoever changes that slot
 * does so with an exchange, sees the mark, and takes the lock to serve the
 * queue ("settle"). The mark and the change are atomic operations on the
 * same word, so there is no window in which a wake-up can be lost. A
 * value whose slot is claimed but not yet published counts as sent: a
 * receiver waits for it rather than report the channel empty or closed.
 *
 * Every waiter is claimed with a CAS on its thread's parker before anyone
 * touches it: for a select parked on several channels, only one channel
 * wins; the losers find it claimed and drop it.
 *
 * Happens-before: every edge of Go's memory model for channels is announced
 * through the hb hooks with the channel's `hb` byte as the object and a
 * fresh ticket per release. A thread releases before its counterpart can
 * observe it (a blocked thread releases when it enqueues, since its clock
 * cannot move while it sleeps), and whoever observes acquires that ticket:
 *   - a send happens before the receive that gets its value;
 *   - the k-th receive happens before the (k+cap)-th send completes
 *     (for cap 0: the receive before its own send completes);
 *   - a close happens before a receive or send that sees it closed.
 * Tickets are unique per channel without a shared counter: the send and
 * the receive of the value at ring position p use (p << 2) | 2 and
 * (p << 2) | 3; tickets issued under the lock use (n << 2) | 1.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define REL(ch, t) WEFT__HB_RELEASE(&(ch)->hb, (t))
#define ACQ(ch, t)                                                                                 \
    do {                                                                                           \
        if (t)                                                                                     \
            WEFT__HB_ACQUIRE(&(ch)->hb, (t));                                                      \
    } while (0)

static uint64_t lock_ticket(weft_chan *ch) {
    return (++ch->tickets << 2) | 1;
}
static uint64_t send_ticket(uint64_t pos) {
    return (pos << 2) | 2;
}
static uint64_t recv_ticket(uint64_t pos) {
    return (pos << 2) | 3;
}

/* ---- wait queues ---------------------------------------------------- */

static void waitq_push(weft__waitq *q, weft__waiter *w) {
    w->next = NULL;
    w->prev = q->last;
    if (q->last)
        q->last->next = w;
    else
        q->first = w;
    q->last = w;
    w->queue = q;
}

static void waitq_remove(weft__waiter *w) {
    weft__waitq *q = w->queue;
    if (!q)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->first = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->last = w->prev;
    w->next = w->prev = NULL;
    w->queue = NULL;
}

/* Takes and claims the first waiter whose operation is still open. The
 * others at the head belong to selects that already fired elsewhere (or
 * timed out); they are dropped, and their owners' cleanup sees that. */
static weft__waiter *waitq_take(weft__waitq *q) {
    weft__waiter *w;
    while ((w = q->first)) {
        waitq_remove(w);
        if (weft__parker_claim(w->parker))
            return w;
    }
    return NULL;
}

/* Whether a claimable waiter is queued, without claiming it. */
static bool waitq_ready(weft__waitq *q) {
    weft__waiter *w;
    while ((w = q->first)) {
        if (atomic_load_explicit(&w->parker->claimed, memory_order_acquire) == 0)
            return true;
        waitq_remove(w);
    }
    return false;
}

static void fire(weft__waiter *w, int result, weft__wakes *wl) {
    w->result = result;
    w->parker->fired = w;
    w->next = wl->first;
    wl->first = w;
}

void weft__wake_all(weft__wakes *wl) {
    weft__waiter *w = wl->first;
    wl->first = NULL;
    while (w) {
        weft__waiter *next = w->next; /* read before the wake: w lives on its owner's stack */
        weft__unpark(w->parker);
        w = next;
    }
}

static bool is_closed(const weft_chan *ch) {
    return atomic_load_explicit(&ch->closed, memory_order_relaxed) != 0;
}

/* ---- the ring ------------------------------------------------------- */

/* A buffer slot: its sequence, the two tickets of the element passing
 * through it, and the value, so that a send or receive touches its
 * position word and one slot, nothing else. The sequence says what the
 * slot is waiting for: 2p means "empty, for the send at position p",
 * 2p + 1 "full, with the value of position p" (doubled so that the two
 * differ even with a capacity of 1); MARK means someone is queued until
 * it changes. */
struct slot {
    _Atomic uint64_t seq;
    uint64_t send_tk; /* released by the send whose value is here */
    uint64_t back_tk; /* released by the receive that last emptied it */
    unsigned char value[];
};

/* The slot handoffs are lock-free, so Helgrind and DRD learn of them
 * from annotations: publishing or freeing a slot happens before the claim
 * that sees it. WEFT__VG_BEFORE/AFTER cost one test of a flag outside
 * Valgrind (internal.h). */
#define SLOT_BEFORE(sl) WEFT__VG_BEFORE(sl)
#define SLOT_AFTER(sl) WEFT__VG_AFTER(sl)

#define MARK (UINT64_C(1) << 63)
enum { T_SENDW = 1, T_CLOSED = 2, H_RECVW = 1, POS_SHIFT = 2 };

static uint64_t seq_of(uint64_t s) {
    return s & ~MARK;
}
static uint64_t empty_for(uint64_t pos) {
    return pos << 1;
}
static uint64_t full_with(uint64_t pos) {
    return (pos << 1) | 1;
}

static struct slot *slot_for(const weft_chan *ch, uint64_t pos) {
    size_t i = ch->mask ? (size_t)(pos & ch->mask) : (size_t)(pos % ch->cap);
    return (struct slot *)(ch->buf + i * ch->slot_size);
}

static uint64_t load_tail(const weft_chan *ch) {
    return atomic_load_explicit(&((weft_chan *)ch)->tail, memory_order_acquire);
}

static uint64_t load_head(const weft_chan *ch) {
    return atomic_load_explicit(&((weft_chan *)ch)->head, memory_order_acquire);
}

static uint64_t load_seq(const struct slot *sl) {
    return atomic_load_explicit(&((struct slot *)sl)->seq, memory_order_acquire);
}

enum { RING_OK, RING_FULL, RING_EMPTY, RING_SLOW };

/* Claims the slot of the next send position. Without the lock, CLOSED or
 * SENDW send the caller to the lock (RING_SLOW); a lock holder may fill
 * the ring for queued senders, and checks CLOSED itself. */
static int ring_claim(weft_chan *ch, bool locked, uint64_t *posp, struct slot **slp) {
    uint64_t t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
    for (;;) {
        if (t & (locked ? T_CLOSED : T_CLOSED | T_SENDW))
            return RING_SLOW;
        uint64_t pos = t >> POS_SHIFT;
        struct slot *sl = slot_for(ch, pos);
        int64_t diff = (int64_t)(seq_of(load_seq(sl)) - empty_for(pos));
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&ch->tail, &t, t + (1u << POS_SHIFT),
                                                      memory_order_relaxed, memory_order_relaxed)) {
                SLOT_AFTER(sl);
                *posp = pos;
                *slp = sl;
                return RING_OK;
            }
        } else if (diff < 0) {
            return RING_FULL; /* the slot still holds (or is giving up) an older value */
        } else {
            t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
        }
    }
}

/* Publishes the value of position pos. True if the slot was marked: a
 * receiver is queued for it and the lock must be taken to serve it. */
static bool ring_publish(struct slot *sl, uint64_t pos) {
    SLOT_BEFORE(sl);
    return atomic_exchange_explicit(&sl->seq, full_with(pos), memory_order_acq_rel) & MARK;
}

/* Claims the value of the next receive position. Without the lock, RECVW
 * sends the caller to the lock. RING_EMPTY when that value is not
 * published yet (it may be claimed by a send in flight). */
static int ring_take(weft_chan *ch, bool locked, uint64_t *posp, struct slot **slp) {
    uint64_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
    for (;;) {
        if (!locked && (h & H_RECVW))
            return RING_SLOW;
        uint64_t pos = h >> POS_SHIFT;
        struct slot *sl = slot_for(ch, pos);
        int64_t diff = (int64_t)(seq_of(load_seq(sl)) - full_with(pos));
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&ch->head, &h, h + (1u << POS_SHIFT),
                                                      memory_order_relaxed, memory_order_relaxed)) {
                SLOT_AFTER(sl);
                *posp = pos;
                *slp = sl;
                return RING_OK;
            }
        } else if (diff < 0) {
            return RING_EMPTY;
        } else {
            h = atomic_load_explicit(&ch->head, memory_order_relaxed);
        }
    }
}

/* Frees the slot of position pos for the send cap positions later. True
 * if the slot was marked: a sender is queued for it. */
static bool ring_release(const weft_chan *ch, struct slot *sl, uint64_t pos) {
    SLOT_BEFORE(sl);
    return atomic_exchange_explicit(&sl->seq, empty_for(pos + ch->cap), memory_order_acq_rel) &
           MARK;
}

/* What an empty head means: a send has claimed the next position and will
 * publish it at once (RING_OK: wait for it), the channel is closed and
 * drained (RING_SLOW), or there is nothing (RING_EMPTY). */
static int ring_empty_kind(const weft_chan *ch) {
    uint64_t h = load_head(ch), t = load_tail(ch);
    if ((t >> POS_SHIFT) > (h >> POS_SHIFT))
        return RING_OK;
    return (t & T_CLOSED) ? RING_SLOW : RING_EMPTY;
}

/* Waits for a send in flight to publish its value: it runs no other code
 * between its claim and its publication, so this is short unless it was
 * preempted, hence the yields. */
static void await_publication(void) {
    for (int i = 0; i < 64; i++)
        WEFT__CPU_RELAX();
    sched_yield();
}

/* Puts a value in a claimed slot, released under ticket t, once its sender
 * has acquired the receive that emptied the slot (the k-th receive before
 * the (k+cap)-th send). */
/* Copies a value. The common sizes get a fixed-size memcpy, which the
 * compiler turns into a move or two instead of a call. */
static void copy_value(void *dst, const void *src, size_t n) {
    switch (n) {
    case 0:
        break;
    case 4:
        memcpy(dst, src, 4);
        break;
    case 8:
        memcpy(dst, src, 8);
        break;
    case 16:
        memcpy(dst, src, 16);
        break;
    default:
        memcpy(dst, src, n);
    }
}

static void fill_slot(weft_chan *ch, struct slot *sl, const void *elem, uint64_t t) {
    copy_value(sl->value, elem, ch->elem_size);
    sl->send_tk = t;
}

static void copy_elem(const weft_chan *ch, void *dst, const void *src) {
    if (dst)
        copy_value(dst, src, ch->elem_size);
}

static void zero_elem(const weft_chan *ch, void *dst) {
    if (ch->elem_size && dst)
        memset(dst, 0, ch->elem_size);
}

/* The lock-free send: RING_OK (sent; *marked if receivers must be served
 * under the lock), RING_FULL, or RING_SLOW (closed or senders queued). */
static int ring_send(weft_chan *ch, const void *elem, bool *marked) {
    uint64_t pos;
    struct slot *sl;
    int r = ring_claim(ch, false, &pos, &sl);
    if (r != RING_OK)
        return r;
    ACQ(ch, sl->back_tk);
    uint64_t t = send_ticket(pos);
    REL(ch, t);
    fill_slot(ch, sl, elem, t);
    *marked = ring_publish(sl, pos);
    return RING_OK;
}

/* Finishes a receive of the claimed slot for the thread itself. True if
 * senders must be served under the lock. */
static bool finish_take(weft_chan *ch, struct slot *sl, uint64_t pos, void *elem) {
    copy_elem(ch, elem, sl->value);
    ACQ(ch, sl->send_tk);
    uint64_t t = recv_ticket(pos);
    REL(ch, t);
    sl->back_tk = t;
    return ring_release(ch, sl, pos);
}

/* ---- serving queued waiters of a buffered channel -------------------- */

/* Marks a slot so that whoever changes it next serves the queues. False
 * if the slot changed meanwhile (look again). */
static bool mark_slot(struct slot *sl, uint64_t seen) {
    if (seen & MARK)
        return true;
    return atomic_compare_exchange_strong_explicit(&sl->seq, &seen, seen | MARK,
                                                   memory_order_acq_rel, memory_order_acquire);
}

/* Hands published values to queued receivers, first come first served,
 * and the close to them once the ring is drained; marks the head slot if
 * some are left waiting. Returns whether it fired anyone. Called with the
 * lock held and RECVW set, so no fast receiver takes a value meanwhile. */
static bool serve_receivers(weft_chan *ch, weft__wakes *wl) {
    bool fired = false;
    while (waitq_ready(&ch->recvq)) {
        uint64_t h = load_head(ch), pos = h >> POS_SHIFT;
        struct slot *sl = slot_for(ch, pos);
        uint64_t s = load_seq(sl);
        if (seq_of(s) == full_with(pos)) {
            weft__waiter *w = waitq_take(&ch->recvq);
            if (!w)
                break;
            uint64_t p;
            struct slot *got;
            while (ring_take(ch, true, &p, &got) != RING_OK)
                ; /* only lock holders take while RECVW is set: cannot fail */
            /* The receiver released rel_tk when it blocked: that is its
             * receive's ticket, for the send cap positions later. */
            copy_elem(ch, w->elem, got->value);
            w->acq_tk = got->send_tk;
            got->back_tk = w->rel_tk;
            ring_release(ch, got, p); /* a mark here: senders, served next */
            fire(w, 0, wl);
            fired = true;
            continue;
        }
        uint64_t t = load_tail(ch);
        if ((t & T_CLOSED) && (t >> POS_SHIFT) == pos) {
            weft__waiter *w;
            uint64_t tk = atomic_load_explicit(&ch->close_tk, memory_order_relaxed);
            while ((w = waitq_take(&ch->recvq))) {
                zero_elem(ch, w->elem);
                w->acq_tk = tk;
                fire(w, WEFT_ECLOSED, wl);
                fired = true;
            }
            break;
        }
        if (mark_slot(sl, s))
            break;
    }
    return fired;
}

/* Moves the values of queued senders into the ring, first come first
 * served, while there is room; marks the tail slot if some are left. */
static bool serve_senders(weft_chan *ch, weft__wakes *wl) {
    bool fired = false;
    while (!is_closed(ch) && waitq_ready(&ch->sendq)) {
        uint64_t t = load_tail(ch), pos = t >> POS_SHIFT;
        struct slot *sl = slot_for(ch, pos);
        uint64_t s = load_seq(sl);
        if (seq_of(s) == empty_for(pos)) {
            weft__waiter *w = waitq_take(&ch->sendq);
            if (!w)
                break;
            uint64_t p;
            struct slot *got;
            while (ring_claim(ch, true, &p, &got) != RING_OK)
                ; /* only lock holders fill the ring while SENDW is set */
            /* The sender released rel_tk when it blocked: the receiver of
             * this value acquires it; the sender acquires the receive
             * that emptied the slot. */
            w->acq_tk = got->back_tk;
            fill_slot(ch, got, w->elem, w->rel_tk);
            ring_publish(got, p); /* a mark here: receivers, served next */
            fire(w, 0, wl);
            fired = true;
            continue;
        }
        if (mark_slot(sl, s))
            break;
    }
    return fired;
}

/* Serves both queues until neither moves, then clears the flags of the
 * queues left empty, so that the fast paths open again. Lock held. */
static void settle(weft_chan *ch, weft__wakes *wl) {
    for (;;) {
        bool a = serve_receivers(ch, wl);
        bool b = serve_senders(ch, wl);
        if (!a && !b)
            break;
    }
    if (!waitq_ready(&ch->recvq) && (load_head(ch) & H_RECVW))
        atomic_fetch_and_explicit(&ch->head, ~(uint64_t)H_RECVW, memory_order_acq_rel);
    if (!waitq_ready(&ch->sendq) && (load_tail(ch) & T_SENDW))
        atomic_fetch_and_explicit(&ch->tail, ~(uint64_t)T_SENDW, memory_order_acq_rel);
}

/* A fast path found a mark: serve the queues. */
static void settle_unlocked(weft_chan *ch) {
    weft__wakes wl = {NULL};
    weft__lock_acquire(&ch->lock);
    settle(ch, &wl);
    weft__lock_release(&ch->lock);
    weft__wake_all(&wl);
}

/* ---- make and free -------------------------------------------------- */

weft_chan *weft__chan_new(size_t elem_size, size_t capacity) {
    const size_t line = WEFT__CACHE_LINE;
    size_t head = (sizeof(struct weft_chan) + line - 1) & ~(line - 1);
    if (elem_size > SIZE_MAX / 2)
        return NULL;
    size_t slot = (sizeof(struct slot) + elem_size + 7) & ~(size_t)7;
    if (capacity > (SIZE_MAX - head - line) / slot || capacity > (SIZE_MAX >> (POS_SHIFT + 2)))
        return NULL;
    size_t size = (head + capacity * slot + line - 1) & ~(line - 1);
    weft_chan *ch = aligned_alloc(line, size);
    if (!ch)
        return NULL;
    memset(ch, 0, size);
    weft__lock_init(&ch->lock);
    weft__vg_atomic_word(&ch->closed, sizeof ch->closed);
    weft__vg_atomic_word(&ch->close_tk, sizeof ch->close_tk);
    weft__vg_atomic_word(&ch->head, sizeof ch->head);
    weft__vg_atomic_word(&ch->tail, sizeof ch->tail);
    ch->elem_size = elem_size;
    ch->slot_size = slot;
    ch->cap = capacity;
    ch->mask = capacity && (capacity & (capacity - 1)) == 0 ? capacity - 1 : 0;
    if (capacity) {
        ch->buf = (unsigned char *)ch + head;
        for (size_t i = 0; i < capacity; i++) {
            struct slot *sl = slot_for(ch, i);
            atomic_init(&sl->seq, empty_for(i));
            weft__vg_atomic_word(&sl->seq, sizeof sl->seq);
        }
    }
    return ch;
}

void weft__chan_free(weft_chan *ch) {
    /* A weft_after channel: its timer must be off the timer thread before
     * the channel it sends on goes. */
    if (ch && ch->owned_timer)
        weft__timechan_release(ch->owned_timer);
    free(ch);
}

weft_chan *weft_chan_make(size_t elem_size, size_t capacity) {
    return weft__chan_new(elem_size, capacity);
}

void weft_chan_free(weft_chan *ch) {
    weft__chan_free(ch);
}

size_t weft_chan_cap(const weft_chan *ch) {
    return ch ? ch->cap : 0;
}

/* The values claimed by sends and not yet by receives. head is read
 * first, so the difference cannot be negative; it can exceed cap if both
 * moved in between, hence the clamp. */
size_t weft_chan_len(const weft_chan *ch) {
    if (!ch || !ch->cap)
        return 0;
    uint64_t h = load_head(ch) >> POS_SHIFT, t = load_tail(ch) >> POS_SHIFT;
    uint64_t n = t - h;
    return n > ch->cap ? ch->cap : (size_t)n;
}

/* ---- the operations on a locked channel ----------------------------- */

static int unbuf_send_locked(weft_chan *ch, const void *elem, weft__wakes *wl) {
    weft__waiter *w = waitq_take(&ch->recvq);
    if (!w)
        return WEFT_EAGAIN;
    ++ch->sent;
    ++ch->recvd;
    ACQ(ch, w->rel_tk);
    copy_elem(ch, w->elem, elem);
    uint64_t t = lock_ticket(ch);
    REL(ch, t);
    w->acq_tk = t;
    fire(w, 0, wl);
    return 0;
}

static int unbuf_recv_locked(weft_chan *ch, void *elem, weft__wakes *wl) {
    weft__waiter *w = waitq_take(&ch->sendq);
    if (w) {
        ++ch->sent;
        ++ch->recvd;
        copy_elem(ch, elem, w->elem);
        ACQ(ch, w->rel_tk);
        uint64_t t = lock_ticket(ch);
        REL(ch, t);
        w->acq_tk = t;
        fire(w, 0, wl);
        return 0;
    }
    if (is_closed(ch)) {
        zero_elem(ch, elem);
        ACQ(ch, atomic_load_explicit(&ch->close_tk, memory_order_relaxed));
        return WEFT_ECLOSED;
    }
    return WEFT_EAGAIN;
}

int weft__chan_send_locked(weft_chan *ch, const void *elem, weft__wakes *wl) {
    if (is_closed(ch)) {
        ACQ(ch, atomic_load_explicit(&ch->close_tk, memory_order_relaxed));
        return WEFT_ECLOSED;
    }
    if (!ch->cap)
        return unbuf_send_locked(ch, elem, wl);
    settle(ch, wl);
    if (waitq_ready(&ch->sendq))
        return WEFT_EAGAIN; /* queued senders go first */
    uint64_t pos;
    struct slot *sl;
    if (ring_claim(ch, true, &pos, &sl) != RING_OK)
        return WEFT_EAGAIN;
    ACQ(ch, sl->back_tk);
    uint64_t t = send_ticket(pos);
    REL(ch, t);
    fill_slot(ch, sl, elem, t);
    if (ring_publish(sl, pos))
        settle(ch, wl);
    return 0;
}

int weft__chan_recv_locked(weft_chan *ch, void *elem, weft__wakes *wl) {
    if (!ch->cap)
        return unbuf_recv_locked(ch, elem, wl);
    settle(ch, wl);
    if (waitq_ready(&ch->recvq))
        return WEFT_EAGAIN; /* queued receivers go first */
    for (;;) {
        uint64_t pos;
        struct slot *sl;
        if (ring_take(ch, true, &pos, &sl) == RING_OK) {
            if (finish_take(ch, sl, pos, elem))
                settle(ch, wl);
            return 0;
        }
        int k = ring_empty_kind(ch);
        if (k == RING_EMPTY)
            return WEFT_EAGAIN;
        if (k == RING_SLOW) {
            zero_elem(ch, elem);
            ACQ(ch, atomic_load_explicit(&ch->close_tk, memory_order_relaxed));
            return WEFT_ECLOSED;
        }
        await_publication();
    }
}

bool weft__chan_ready(weft_chan *ch, int op) {
    if (!ch->cap) {
        if (op == WEFT_SEND)
            return is_closed(ch) || waitq_ready(&ch->recvq);
        return is_closed(ch) || waitq_ready(&ch->sendq);
    }
    if (op == WEFT_SEND) {
        if (is_closed(ch))
            return true;
        if (waitq_ready(&ch->sendq))
            return false;
        uint64_t pos = load_tail(ch) >> POS_SHIFT;
        return seq_of(load_seq(slot_for(ch, pos))) == empty_for(pos);
    }
    if (waitq_ready(&ch->recvq))
        return false;
    uint64_t h = load_head(ch), t = load_tail(ch);
    return (t >> POS_SHIFT) > (h >> POS_SHIFT) || (t & T_CLOSED);
}

void weft__chan_enqueue(weft_chan *ch, int op, weft__waiter *w, weft__wakes *wl) {
    WEFT__HB_BLOCK(ch);
    uint64_t t = lock_ticket(ch);
    REL(ch, t);
    w->rel_tk = t;
    w->acq_tk = 0;
    w->ch = ch;
    waitq_push(op == WEFT_SEND ? &ch->sendq : &ch->recvq, w);
    if (!ch->cap)
        return;
    /* The flag first, then a look at the ring (settle): a fast path that
     * changed the ring before the flag was set is seen by the look, and
     * one after it finds the flag or the mark. */
    if (op == WEFT_SEND)
        atomic_fetch_or_explicit(&ch->tail, T_SENDW, memory_order_acq_rel);
    else
        atomic_fetch_or_explicit(&ch->head, H_RECVW, memory_order_acq_rel);
    settle(ch, wl);
}

void weft__chan_dequeue(weft__waiter *w) {
    if (!w->queue)
        return;
    waitq_remove(w);
    weft_chan *ch = w->ch;
    if (ch->cap) {
        weft__wakes wl = {NULL};
        settle(ch, &wl); /* nothing to serve: it only clears the flags */
        weft__wake_all(&wl);
    }
}

int weft__waiter_finish(weft__waiter *w) {
    ACQ(w->ch, w->acq_tk);
    return w->result;
}

/* ---- blocking and non-blocking entry points ------------------------- */

/* The most a thread watches a buffer before it queues itself. */
enum { CHAN_WAIT_NS = 20000 };

static bool send_may_run(const void *p) {
    const weft_chan *ch = p;
    uint64_t t = load_tail(ch), pos = t >> POS_SHIFT;
    return (t & (T_CLOSED | T_SENDW)) || seq_of(load_seq(slot_for(ch, pos))) == empty_for(pos);
}

/* Watches the head slot and the header, not `tail`: the producer writes
 * tail at every send, and a consumer reading it in a loop would pull its
 * cache line away each time. A value in flight shows in the slot soon. */
static bool recv_may_run(const void *p) {
    const weft_chan *ch = p;
    uint64_t h = load_head(ch), pos = h >> POS_SHIFT;
    return (h & H_RECVW) || seq_of(load_seq(slot_for(ch, pos))) == full_with(pos) || is_closed(ch);
}

/* How long this thread's watching of buffers has lately been worth. */
static _Thread_local weft__spin_budget chan_budget;

/* Before a thread queues itself on a buffered channel, it watches the
 * buffer for a moment, first spinning, then yielding its CPU. Producers
 * and consumers at about the same speed then pass values through the
 * buffer instead of paying a futex wake-up per value, and on a machine
 * with more threads than cores, the yield hands the core to the thread
 * that will make room. The watch is adaptive (spin.c), so a thread facing
 * a slow peer soon goes to sleep at once. */
static bool wait_until_ready(const weft_chan *ch, int op) {
    return weft__spin_adaptive(op == WEFT_SEND ? send_may_run : recv_may_run, ch, &chan_budget,
                               CHAN_WAIT_NS, true);
}

/* Go's nil channel: the operation never completes. */
static _Noreturn void block_forever(void) {
    weft__parker *p = weft__parker_self();
    weft__parker_arm(p);
    for (;;)
        weft__park(p);
}

/* The lock-free attempts of a buffered send or receive: 0 or WEFT_ECLOSED
 * when done, WEFT_EAGAIN when the ring has no room (no value), or 1 when
 * the lock must decide. A blocking op watches the ring a few times first:
 * with many competitors a thread that keeps losing should sleep rather
 * than burn a core. */
static int ring_op(weft_chan *ch, int op, void *elem, bool block) {
    int rounds = block ? 4 : 0;
    for (;;) {
        bool marked = false;
        int r;
        if (op == WEFT_SEND) {
            r = ring_send(ch, elem, &marked);
        } else {
            uint64_t pos;
            struct slot *sl;
            r = ring_take(ch, false, &pos, &sl);
            if (r == RING_OK) {
                marked = finish_take(ch, sl, pos, elem);
            } else if (r == RING_EMPTY && (!block || is_closed(ch))) {
                /* Only then does a value in flight matter now (a blocking
                 * receive just waits for it): tail tells. */
                int k = ring_empty_kind(ch);
                if (k == RING_SLOW) {
                    zero_elem(ch, elem);
                    ACQ(ch, atomic_load_explicit(&ch->close_tk, memory_order_relaxed));
                    return WEFT_ECLOSED;
                }
                if (k == RING_OK) {
                    await_publication();
                    continue;
                }
            }
        }
        if (r == RING_OK) {
            if (marked)
                settle_unlocked(ch);
            return 0;
        }
        if (r == RING_SLOW)
            return 1;
        if (rounds-- <= 0)
            return block ? 1 : WEFT_EAGAIN;
        if (!wait_until_ready(ch, op))
            rounds = 0;
    }
}

static int chan_op(weft_chan *ch, int op, void *elem, bool block) {
    if (ch->cap) {
        int r = ring_op(ch, op, elem, block);
        if (r <= 0)
            return r;
    }
    weft__wakes wl = {NULL};
    weft__lock_acquire(&ch->lock);
    int r = op == WEFT_SEND ? weft__chan_send_locked(ch, elem, &wl)
                            : weft__chan_recv_locked(ch, elem, &wl);
    if (r != WEFT_EAGAIN || !block) {
        weft__lock_release(&ch->lock);
        weft__wake_all(&wl);
        return r;
    }
    weft__parker *p = weft__parker_self();
    weft__parker_arm(p);
    weft__waiter w = {.parker = p, .elem = elem};
    weft__chan_enqueue(ch, op, &w, &wl);
    weft__lock_release(&ch->lock);
    weft__wake_all(&wl); /* perhaps w itself, served at once */
    WEFT__HB_WAIT(ch);
    weft__park(p);
    return weft__waiter_finish(&w);
}

/* A receive that would fail or block on a timer's empty channel first
 * takes a due timer's value itself (Go 1.23 runs an expired timer on
 * receive, so the value is there at the deadline, not when the timer
 * thread gets to it). Only on that path: other channels pay nothing
 * more. */
static int try_op(weft_chan *ch, int op, void *elem) {
    int r = chan_op(ch, op, elem, false);
    if (r == WEFT_EAGAIN && op == WEFT_RECV && ch->src_timer) {
        int due = weft__timechan_take_due(ch->src_timer, elem);
        /* 2: the timer thread sent the value meanwhile: it is in the
         * channel (a receive from an expired timer never finds it empty,
         * as the unit test's timer_new(0) then try_recv did under load) */
        if (due == 1)
            r = 0;
        else if (due == 2)
            r = chan_op(ch, op, elem, false);
    }
    return r;
}

int weft__chan_try(weft_chan *ch, int op, void *elem) {
    return try_op(ch, op, elem);
}

int weft_chan_send(weft_chan *ch, const void *elem) {
    if (!ch)
        block_forever();
    return chan_op(ch, WEFT_SEND, (void *)elem, true);
}

int weft_chan_recv(weft_chan *ch, void *elem) {
    if (!ch)
        block_forever();
    if (ch->src_timer) {
        int r = try_op(ch, WEFT_RECV, elem);
        if (r != WEFT_EAGAIN)
            return r;
    }
    return chan_op(ch, WEFT_RECV, elem, true);
}

int weft_chan_try_send(weft_chan *ch, const void *elem) {
    return ch ? chan_op(ch, WEFT_SEND, (void *)elem, false) : WEFT_EAGAIN;
}

int weft_chan_try_recv(weft_chan *ch, void *elem) {
    return ch ? try_op(ch, WEFT_RECV, elem) : WEFT_EAGAIN;
}

int weft__chan_close(weft_chan *ch) {
    if (!ch)
        return WEFT_EINVAL;
    weft__lock_acquire(&ch->lock);
    if (is_closed(ch)) {
        weft__lock_release(&ch->lock);
        return WEFT_ECLOSED;
    }
    uint64_t tk = lock_ticket(ch);
    REL(ch, tk);
    atomic_store_explicit(&ch->close_tk, tk, memory_order_relaxed);
    atomic_store_explicit(&ch->closed, 1, memory_order_relaxed);
    /* From here no send claims a slot; the ones that did before are sent,
     * and receivers get their values before they see the close. */
    if (ch->cap)
        atomic_fetch_or_explicit(&ch->tail, T_CLOSED, memory_order_acq_rel);
    /* Claim the waiters under the lock, wake them after it: the woken
     * threads would only contend for it. */
    weft__wakes wl = {NULL};
    weft__waiter *w;
    while ((w = waitq_take(&ch->sendq))) {
        w->acq_tk = tk;
        fire(w, WEFT_ECLOSED, &wl);
    }
    if (ch->cap) {
        settle(ch, &wl);
    } else {
        while ((w = waitq_take(&ch->recvq))) {
            zero_elem(ch, w->elem);
            w->acq_tk = tk;
            fire(w, WEFT_ECLOSED, &wl);
        }
    }
    weft__lock_release(&ch->lock);
    weft__wake_all(&wl);
    return 0;
}

int weft_chan_close(weft_chan *ch) {
    return weft__chan_close(ch);
}

int weft__chan_wait_until(weft_chan *ch, int64_t deadline_ns) {
    weft_case c = {.ch = ch, .op = WEFT_RECV};
    int r = weft__select_until(&c, 1, 0, deadline_ns);
    return r == WEFT_ETIMEDOUT ? r : 0;
}
