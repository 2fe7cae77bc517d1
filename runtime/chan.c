/* chan.c: channels — make, send, receive, close, try ops, len and cap.
 *
 * The design is Go's hchan: a lock, a ring buffer, and two FIFO queues of
 * blocked waiters. A sender that finds a receiver waiting copies its value
 * straight into the receiver's memory and wakes it (and vice versa), so a
 * value never passes through the buffer when someone is already waiting.
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
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define REL(ch, t) WEFT__HB_RELEASE(&(ch)->hb, (t))
#define ACQ(ch, t)                                                                                 \
    do {                                                                                           \
        if (t)                                                                                     \
            WEFT__HB_ACQUIRE(&(ch)->hb, (t));                                                      \
    } while (0)

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

void weft__waitq_remove(weft__waiter *w) {
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
        weft__waitq_remove(w);
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
        weft__waitq_remove(w);
    }
    return false;
}

/* Relaxed loads and stores: the lock orders them; the atomics only make
 * the unlocked peeks of a spinning thread well defined. */
static size_t count_of(const weft_chan *ch) {
    return atomic_load_explicit(&ch->count, memory_order_relaxed);
}

static void count_add(weft_chan *ch, size_t d) {
    atomic_store_explicit(&ch->count, count_of(ch) + d, memory_order_relaxed);
}

static bool is_closed(const weft_chan *ch) {
    return atomic_load_explicit(&ch->closed, memory_order_relaxed) != 0;
}

/* ---- make and free -------------------------------------------------- */

/* A buffer slot: the value, and the two tickets that belong to the
 * element passing through it, on the value's own cache line, so that a
 * send or receive touches the channel header and one slot, nothing else. */
struct slot {
    uint64_t send_tk; /* released by the send whose value is here */
    uint64_t back_tk; /* released by the receive that last emptied it */
    unsigned char value[];
};

weft_chan *weft__chan_new(size_t elem_size, size_t capacity) {
    const size_t align = 16;
    size_t head = (sizeof(struct weft_chan) + align - 1) & ~(align - 1);
    if (elem_size > SIZE_MAX / 2)
        return NULL;
    size_t slot = (sizeof(struct slot) + elem_size + 7) & ~(size_t)7;
    if (capacity > (SIZE_MAX - head) / slot)
        return NULL;
    weft_chan *ch = calloc(1, head + capacity * slot);
    if (!ch)
        return NULL;
    weft__lock_init(&ch->lock);
    weft__vg_atomic_word(&ch->count, sizeof ch->count);
    weft__vg_atomic_word(&ch->closed, sizeof ch->closed);
    ch->elem_size = elem_size;
    ch->slot_size = slot;
    ch->cap = capacity;
    if (capacity)
        ch->buf = (unsigned char *)ch + head;
    return ch;
}

void weft__chan_free(weft_chan *ch) { free(ch); }

weft_chan *weft_chan_make(size_t elem_size, size_t capacity) {
    return weft__chan_new(elem_size, capacity);
}

void weft_chan_free(weft_chan *ch) { weft__chan_free(ch); }

size_t weft_chan_cap(const weft_chan *ch) { return ch ? ch->cap : 0; }

size_t weft_chan_len(const weft_chan *ch) {
    if (!ch)
        return 0;
    weft_chan *c = (weft_chan *)ch; /* the lock is the only mutable part */
    weft__lock_acquire(&c->lock);
    size_t n = count_of(c);
    weft__lock_release(&c->lock);
    return n;
}

/* ---- the operations on a locked channel ----------------------------- */

static void copy_elem(const weft_chan *ch, void *dst, const void *src) {
    if (ch->elem_size && dst)
        memcpy(dst, src, ch->elem_size);
}

static void zero_elem(const weft_chan *ch, void *dst) {
    if (ch->elem_size && dst)
        memset(dst, 0, ch->elem_size);
}

static size_t ring_next(const weft_chan *ch, size_t i) { return i + 1 == ch->cap ? 0 : i + 1; }

static struct slot *slot_at(const weft_chan *ch, size_t i) {
    return (struct slot *)(ch->buf + i * ch->slot_size);
}

/* The ring indexes advance with the element numbers, also when a value
 * skips the buffer (a hand-off to a blocked receiver, when the buffer is
 * empty and sendx == recvx), so that the s-th value always belongs to slot
 * (s-1) % cap. The k-th receive leaves its ticket in the slot that the
 * (k+cap)-th send will use, which is the edge Go's memory model asks for. */

/* Moves the value at the head of the buffer out to elem. */
static void take_slot(weft_chan *ch, void *elem) {
    struct slot *sl = slot_at(ch, ch->recvx);
    copy_elem(ch, elem, sl->value);
    ACQ(ch, sl->send_tk);
    ++ch->recvd;
    uint64_t t = ++ch->tickets;
    REL(ch, t);
    sl->back_tk = t;
    ch->recvx = ring_next(ch, ch->recvx);
    count_add(ch, (size_t)-1);
}

/* Puts a value at the tail of the buffer, released under ticket t, once
 * its sender has acquired the receive that emptied the slot. */
static void put_slot(weft_chan *ch, const void *elem, uint64_t t) {
    struct slot *sl = slot_at(ch, ch->sendx);
    ++ch->sent;
    copy_elem(ch, sl->value, elem);
    sl->send_tk = t;
    ch->sendx = ring_next(ch, ch->sendx);
    count_add(ch, 1);
}

static void fire(weft__waiter *w, int result) {
    w->result = result;
    w->parker->fired = w;
}

int weft__chan_send_locked(weft_chan *ch, const void *elem, weft__waiter **wake) {
    *wake = NULL;
    if (is_closed(ch)) {
        ACQ(ch, ch->close_tk);
        return WEFT_ECLOSED;
    }
    weft__waiter *w = waitq_take(&ch->recvq);
    if (w) {
        /* Straight into the blocked receiver; the buffer is empty. */
        ++ch->sent;
        ++ch->recvd;
        if (ch->cap == 0) {
            ACQ(ch, w->rel_tk);
        } else {
            struct slot *sl = slot_at(ch, ch->sendx);
            ACQ(ch, sl->back_tk);
            sl->back_tk = w->rel_tk;
            ch->sendx = ch->recvx = ring_next(ch, ch->sendx);
        }
        copy_elem(ch, w->elem, elem);
        uint64_t t = ++ch->tickets;
        REL(ch, t);
        w->acq_tk = t;
        fire(w, 0);
        *wake = w;
        return 0;
    }
    if (count_of(ch) < ch->cap) {
        ACQ(ch, slot_at(ch, ch->sendx)->back_tk);
        uint64_t t = ++ch->tickets;
        REL(ch, t);
        put_slot(ch, elem, t);
        return 0;
    }
    return WEFT_EAGAIN;
}

int weft__chan_recv_locked(weft_chan *ch, void *elem, weft__waiter **wake) {
    *wake = NULL;
    weft__waiter *w = waitq_take(&ch->sendq);
    if (w) {
        if (ch->cap == 0) {
            ++ch->sent;
            ++ch->recvd;
            copy_elem(ch, elem, w->elem);
            ACQ(ch, w->rel_tk);
            uint64_t t = ++ch->tickets;
            REL(ch, t);
            w->acq_tk = t;
        } else {
            /* A sender waits only on a full buffer: take the head, then
             * move the sender's value into the slot that just freed (with
             * the buffer full, sendx was recvx). Its send is numbered
             * k+cap, so it acquires this receive. */
            size_t freed = ch->recvx;
            take_slot(ch, elem);
            w->acq_tk = slot_at(ch, freed)->back_tk;
            put_slot(ch, w->elem, w->rel_tk);
        }
        fire(w, 0);
        *wake = w;
        return 0;
    }
    if (count_of(ch) > 0) {
        take_slot(ch, elem);
        return 0;
    }
    if (is_closed(ch)) {
        zero_elem(ch, elem);
        ACQ(ch, ch->close_tk);
        return WEFT_ECLOSED;
    }
    return WEFT_EAGAIN;
}

bool weft__chan_ready(weft_chan *ch, int op) {
    if (op == WEFT_SEND)
        return is_closed(ch) || count_of(ch) < ch->cap || waitq_ready(&ch->recvq);
    return count_of(ch) > 0 || is_closed(ch) || waitq_ready(&ch->sendq);
}

void weft__chan_enqueue(weft_chan *ch, int op, weft__waiter *w) {
    uint64_t t = ++ch->tickets;
    REL(ch, t);
    w->rel_tk = t;
    w->acq_tk = 0;
    w->ch = ch;
    waitq_push(op == WEFT_SEND ? &ch->sendq : &ch->recvq, w);
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
    return is_closed(ch) || count_of(ch) < ch->cap;
}

static bool recv_may_run(const void *p) {
    const weft_chan *ch = p;
    return is_closed(ch) || count_of(ch) > 0;
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
                               CHAN_WAIT_NS);
}

/* Go's nil channel: the operation never completes. */
static _Noreturn void block_forever(void) {
    weft__parker *p = weft__parker_self();
    weft__parker_arm(p);
    for (;;)
        weft__park(p);
}

static int chan_op(weft_chan *ch, int op, void *elem, bool block) {
    weft__waiter *wake;
    /* A few rounds of spinning at most: with many competitors a thread
     * that keeps losing the race should sleep rather than burn a core. */
    int rounds = block && ch->cap ? 4 : 0;
    weft__lock_acquire(&ch->lock);
    int r;
    while ((r = op == WEFT_SEND ? weft__chan_send_locked(ch, elem, &wake)
                                : weft__chan_recv_locked(ch, elem, &wake)) == WEFT_EAGAIN &&
           rounds-- > 0) {
        weft__lock_release(&ch->lock);
        if (!wait_until_ready(ch, op))
            rounds = 0;
        weft__lock_acquire(&ch->lock);
    }
    if (r != WEFT_EAGAIN || !block) {
        weft__lock_release(&ch->lock);
        if (wake)
            weft__unpark(wake->parker);
        return r;
    }
    weft__parker *p = weft__parker_self();
    weft__parker_arm(p);
    weft__waiter w = {.parker = p, .elem = elem};
    weft__chan_enqueue(ch, op, &w);
    weft__lock_release(&ch->lock);
    weft__park(p);
    return weft__waiter_finish(&w);
}

int weft_chan_send(weft_chan *ch, const void *elem) {
    if (!ch)
        block_forever();
    return chan_op(ch, WEFT_SEND, (void *)elem, true);
}

int weft_chan_recv(weft_chan *ch, void *elem) {
    if (!ch)
        block_forever();
    return chan_op(ch, WEFT_RECV, elem, true);
}

int weft_chan_try_send(weft_chan *ch, const void *elem) {
    return ch ? chan_op(ch, WEFT_SEND, (void *)elem, false) : WEFT_EAGAIN;
}

int weft_chan_try_recv(weft_chan *ch, void *elem) {
    return ch ? chan_op(ch, WEFT_RECV, elem, false) : WEFT_EAGAIN;
}

int weft__chan_close(weft_chan *ch) {
    if (!ch)
        return WEFT_EINVAL;
    weft__lock_acquire(&ch->lock);
    if (is_closed(ch)) {
        weft__lock_release(&ch->lock);
        return WEFT_ECLOSED;
    }
    atomic_store_explicit(&ch->closed, 1, memory_order_relaxed);
    ch->close_tk = ++ch->tickets;
    REL(ch, ch->close_tk);
    /* Claim every waiter under the lock, wake them after it: the woken
     * threads would only contend for it. */
    weft__waiter *woken = NULL, *w;
    while ((w = waitq_take(&ch->recvq))) {
        zero_elem(ch, w->elem);
        w->acq_tk = ch->close_tk;
        fire(w, WEFT_ECLOSED);
        w->next = woken;
        woken = w;
    }
    while ((w = waitq_take(&ch->sendq))) {
        w->acq_tk = ch->close_tk;
        fire(w, WEFT_ECLOSED);
        w->next = woken;
        woken = w;
    }
    weft__lock_release(&ch->lock);
    while (woken) {
        w = woken;
        woken = w->next; /* read before the wake: w lives on its owner's stack */
        weft__unpark(w->parker);
    }
    return 0;
}

int weft_chan_close(weft_chan *ch) { return weft__chan_close(ch); }

int weft__chan_wait_until(weft_chan *ch, int64_t deadline_ns) {
    weft_case c = {.ch = ch, .op = WEFT_RECV};
    int r = weft__select_until(&c, 1, 0, deadline_ns);
    return r == WEFT_ETIMEDOUT ? r : 0;
}
