/* SPDX-License-Identifier: MIT */
/* answered.c: which blocking calls were already answered when the trace
 * ended. A thread whose partner completed its half of the hand-off (took
 * the value it sent, gave it the value it waited for, took a case of its
 * select), whose WaitGroup counter reached zero or whose join target ended
 * is finishing, not blocked: it only had not written its end record yet
 * when the process exited. The leak detector (d_threads.c) asks here
 * before it calls a thread blocked.
 *
 * The evidence is the trace's own, never the missing end record:
 *   - tickets: a libweft thread that queues itself on a channel releases a
 *     fresh ticket (an hb_release record inside its blocking call), and
 *     the partner that serves it acquires exactly that ticket, in the
 *     partner's completed operation (runtime/chan.c). A ticket released
 *     inside a blocking call and acquired by another thread before that
 *     call ended means the call was matched. A select's losing cases
 *     release tickets no one acquires, so only the case taken counts.
 *     The ticket is tagged with its call (thread, begin event) in the
 *     engine's own clock table, which looks every ticket up anyway
 *     (vc.h, weft__vc_tag): the acquire reads the tag there, and a tag
 *     whose call has ended since names a call that is not the thread's.
 *   - the channel's state at the end, replayed from the completed
 *     operations: closed (every send and receive on it returns), or, for
 *     a buffered channel, values left in the buffer for the blocked
 *     receivers (room left for the blocked senders) to take: libweft
 *     hands queued waiters the ring's values under the channel's lock,
 *     so a waiter and a ready buffer never stay apart;
 *   - a WaitGroup whose replayed counter is zero at the end;
 *   - a join whose target thread ended, or is the thread that ended the
 *     process;
 *   - a mutex no one holds at the end, by the trace's own locks and
 *     unlocks (the waiter gets it: nobody can keep it from it for good),
 *     and a condition variable broadcast since the wait began, or
 *     signalled since then at least once per thread still waiting on it. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "table.h"

/* A channel operation's direction (the harness's own names: libweft's
 * header is not ours to include here). */
enum { OP_SEND = 1, OP_RECV = 2 };

/* A thread handle: (pid, handle) -> the thread it names, in a table.h
 * table (pids start at 1); a handle reused later names its newest. */
struct handle {
    uint64_t pid, obj;
    uint32_t thread;
};
/* The replayed state of one object (by objects.id): a channel's capacity,
 * completed sends and receives and whether it was closed; a mutex's
 * holder count; a condition variable's signals and broadcasts; a
 * WaitGroup's counter. */
struct objst {
    int64_t object;
    int64_t cap, sends, recvs, held, signals, broadcasts, counter;
    int closed;
};

struct weft__answered {
    struct weft__table handles; /* struct handle by (pid, obj) */
    struct weft__table objs;    /* struct objst by object */
};

static struct objst *obj_of(struct weft__answered *a, int64_t object, int add) {
    uint64_t k = (uint64_t)object;
    return object > 0 ? weft__table_get(&a->objs, &k, add) : NULL;
}

int weft__answered_init(struct weft__dctx *c) {
    c->answered = calloc(1, sizeof *c->answered);
    if (!c->answered)
        return -1;
    c->answered->handles = (struct weft__table)WEFT__TABLE(struct handle, 2);
    c->answered->objs = (struct weft__table)WEFT__TABLE(struct objst, 1);
    return 0;
}

void weft__answered_free(struct weft__dctx *c) {
    struct weft__answered *a = c->answered;
    if (!a)
        return;
    weft__table_free(&a->handles);
    weft__table_free(&a->objs);
    free(a);
    c->answered = NULL;
}

/* Whether the blocking kind is a libweft call whose tickets tell a match. */
static int ticketed(int kind) {
    return kind == WEFT_K_CHAN_SEND_BEGIN || kind == WEFT_K_CHAN_RECV_BEGIN ||
           kind == WEFT_K_SELECT_BEGIN;
}

/* The event acquired a ticket tagged (thread, block_event): that call
 * was answered, if the thread is still in it. */
static void acquired(struct weft__dctx *c, const struct weft__ev *e, uint32_t thread,
                     int64_t block_event) {
    if (!thread || thread == e->thread)
        return;
    struct weft__thr *w = weft__thr_of(c, thread);
    if (w && w->call.kind && w->call.event == block_event)
        w->call.answered = block_event;
    else if (w && w->nested && w->outer.event == block_event)
        w->outer.answered = block_event; /* the call a signal handler's interrupted */
}

/* The state of object when it is a buffered channel, else NULL: only
 * their sends and receives are counted (an unbuffered channel's matches
 * show in its tickets), which also spares a select's case lookup for
 * every unbuffered one. */
static struct objst *buffered(struct weft__answered *a, int64_t object) {
    struct objst *o = obj_of(a, object, 0);
    return o && o->cap > 0 ? o : NULL;
}

/* A completed send (op OP_SEND) or receive on channel o, counted. */
static void completed(struct objst *o, int op) {
    if (o && op == OP_SEND)
        o->sends++;
    else if (o)
        o->recvs++;
}

void weft__answered_event(struct weft__dctx *c, const struct weft__ev *e) {
    struct weft__answered *a = c->answered;
    struct weft__thr *t = weft__thr_of(c, e->thread);
    if (!a || !t)
        return;
    /* The partner's acquire comes first in its record (it happened inside
     * the call, before the call took effect): the engine read its
     * ticket's tag. */
    acquired(c, e, c->acq_tag_thread, c->acq_tag_event);
    /* A ticket released inside the thread's ticketed call (the call as the
     * engine's state_event left it: a begin's own; the one a signal
     * handler's call interrupted, once that ended) gets the call's tag. */
    if (t->call.kind && ticketed(t->call.kind)) {
        if (e->kind == WEFT_K_HB_RELEASE)
            weft__vc_tag(c->hb, WEFT__HB_KEY(e->pid), (uint64_t)e->obj, (uint64_t)e->arg, e->thread,
                         t->call.event);
        else if (e->has_rel)
            weft__vc_tag(c->hb, WEFT__HB_KEY(e->pid), (uint64_t)e->hb_obj, (uint64_t)e->rel,
                         e->thread, t->call.event);
    }
    switch (e->kind) {
    case WEFT_K_THREAD_CREATE:
        /* The engine found the child of this create (hb_event ran first);
         * a handle reused later maps to its newest thread. */
        if (t->last_child) {
            uint64_t k[2] = {(uint64_t)e->pid, (uint64_t)e->obj};
            struct handle *h = weft__table_get(&a->handles, k, 1);
            if (h)
                h->thread = t->last_child;
        }
        break;
    case WEFT_K_JOIN_BEGIN: {
        uint64_t k[2] = {(uint64_t)e->pid, (uint64_t)e->obj};
        struct handle *h = weft__table_get(&a->handles, k, 0);
        t->call.target = h ? h->thread : 0;
        break;
    }
    case WEFT_K_CHAN_MAKE: {
        struct objst *o = obj_of(a, e->object, 1);
        if (o)
            o->cap = e->arg2;
        break;
    }
    case WEFT_K_CHAN_SEND_END:
    case WEFT_K_CHAN_TRY_SEND:
    case WEFT_K_CHAN_RECV_END:
    case WEFT_K_CHAN_TRY_RECV:
        if (e->arg == 0)
            completed(buffered(a, e->object),
                      e->kind == WEFT_K_CHAN_SEND_END || e->kind == WEFT_K_CHAN_TRY_SEND ? OP_SEND
                                                                                         : OP_RECV);
        break;
    case WEFT_K_SELECT_END:
        /* A case that ran with result 0 moved a value (a receive of a
         * close has result WEFT_ECLOSED). Its cases are on this record
         * when it did not wait, else on the thread's select_begin. */
        if (e->arg >= 0 && e->arg2 == 0 && buffered(a, e->object)) {
            int64_t object = 0;
            int op = weft__select_case(c, e->thread, e->id, e->arg, &object);
            if (op < 0 && t->call.event && t->call.event < e->id)
                op = weft__select_case(c, e->thread, t->call.event, e->arg, &object);
            if (op >= 0)
                completed(obj_of(a, object, 1), op);
        }
        break;
    case WEFT_K_CHAN_CLOSE:
        if (e->arg == 0) {
            struct objst *o = obj_of(a, e->object, 1);
            if (o)
                o->closed = 1;
        }
        break;
    case WEFT_K_MUTEX_LOCK_END:
    case WEFT_K_MUTEX_TRYLOCK:
        if (e->arg == 0) {
            struct objst *o = obj_of(a, e->object, 1);
            if (o)
                o->held++;
        }
        break;
    case WEFT_K_MUTEX_RELOCKS: /* held and given back: known, as free as before */
        obj_of(a, e->object, 1);
        break;
    case WEFT_K_MUTEX_UNLOCK:
        if (e->arg == 0) {
            struct objst *o = obj_of(a, e->object, 1);
            if (o && o->held > 0)
                o->held--;
        }
        break;
    case WEFT_K_COND_SIGNAL:
    case WEFT_K_COND_BROADCAST: {
        struct objst *o = obj_of(a, e->object, 1);
        if (o && e->kind == WEFT_K_COND_SIGNAL)
            o->signals++;
        else if (o)
            o->broadcasts++;
        break;
    }
    case WEFT_K_COND_WAIT_BEGIN: {
        struct objst *o = obj_of(a, e->object, 1);
        t->call.signals = o ? o->signals : 0;
        t->call.broadcasts = o ? o->broadcasts : 0;
        break;
    }
    case WEFT_K_WG_ADD:
    case WEFT_K_WG_DONE:
        if (e->arg2 == 0) {
            struct objst *o = obj_of(a, e->object, 1);
            if (o)
                o->counter += e->kind == WEFT_K_WG_DONE ? -1 : e->arg;
        }
        break;
    default:
        break;
    }
}

/* How many threads of pid are still in a blocking call of kind on
 * object at the end. */
static int64_t waiting_on(struct weft__dctx *c, int64_t pid, int kind, int64_t object) {
    int64_t n = 0;
    for (uint32_t i = 1; i <= c->nthreads; i++) {
        struct weft__thr *w = &c->thr[i];
        if (w->has_row && w->pid == pid && !w->exited && w->call.kind == kind &&
            w->call.object == object)
            n++;
    }
    return n;
}

/* Whether a channel op is sure to complete: the channel is closed, or
 * its buffer holds a value for each of `queued` receivers (room for each
 * of `queued` senders). */
static int chan_ready(const struct objst *o, int op, int64_t queued) {
    if (!o)
        return 0;
    if (o->closed)
        return 1;
    if (o->cap <= 0)
        return 0; /* unbuffered: only the tickets tell */
    int64_t in = o->sends - o->recvs;
    return op == OP_SEND ? o->cap - in >= queued : in >= queued;
}

int weft__answered_at_exit(struct weft__dctx *c, uint32_t id, uint32_t exit_thread) {
    struct weft__thr *t = weft__thr_of(c, id);
    struct weft__answered *a = c->answered;
    if (!t || !t->call.kind || !a)
        return 0;
    if (t->call.answered && t->call.answered == t->call.event)
        return 1;
    if (t->call.kind == WEFT_K_JOIN_BEGIN && t->call.target) {
        struct weft__thr *g = weft__thr_of(c, t->call.target);
        return t->call.target == exit_thread || (g && g->exited);
    }
    if (t->call.kind == WEFT_K_CHAN_SEND_BEGIN || t->call.kind == WEFT_K_CHAN_RECV_BEGIN) {
        int op = t->call.kind == WEFT_K_CHAN_SEND_BEGIN ? OP_SEND : OP_RECV;
        return chan_ready(obj_of(a, t->call.object, 0), op,
                          waiting_on(c, t->pid, t->call.kind, t->call.object));
    }
    if (t->call.kind == WEFT_K_SELECT_BEGIN) {
        int64_t object;
        int op;
        for (int64_t i = 0; (op = weft__select_case(c, id, t->call.event, i, &object)) >= 0; i++)
            if (chan_ready(obj_of(a, object, 0), op, 1))
                return 1;
        return 0;
    }
    if (t->call.kind == WEFT_K_MUTEX_LOCK_BEGIN) {
        struct objst *o = obj_of(a, t->call.object, 0);
        return o && o->held == 0;
    }
    if (t->call.kind == WEFT_K_COND_WAIT_BEGIN) {
        struct objst *o = obj_of(a, t->call.object, 0);
        return o && (o->broadcasts > t->call.broadcasts ||
                     o->signals - t->call.signals >=
                         waiting_on(c, t->pid, t->call.kind, t->call.object));
    }
    if (t->call.kind == WEFT_K_WG_WAIT_BEGIN) {
        struct objst *o = obj_of(a, t->call.object, 0);
        return !o || o->counter == 0;
    }
    return 0;
}
