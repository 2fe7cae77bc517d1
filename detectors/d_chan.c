/* SPDX-License-Identifier: MIT */
/* d_chan.c: channel misuse: double-close (libweft close returning
 * WEFT_ECLOSED, or close() failing with EBADF on a channel fd we saw
 * closed), send-on-closed (send, try_send or a select's send case
 * returning WEFT_ECLOSED; write/send failing with EPIPE on a pipe or
 * socket) and close-by-receiver (warning: a channel closed by a thread
 * that only ever received from it while another thread that sends on it
 * was still alive, the Go rule being that the sender closes; once per
 * channel). Each carries the stacks of both sides.
 *
 * close-by-receiver's rule, precisely: the closer made no send on the
 * channel (a send, try_send or a select's send case taken, before or
 * after the close) but received from it, and some other thread made a
 * send on it (at any time of the trace) and had not ended when the close
 * was made. A select's send case that was never taken is not counted: the
 * trace cannot tell whether that thread would select it again. A
 * channel no one ever sends on, closed to wake every receiver (Go's
 * broadcast: `close(done)`), is the idiom, not a misuse: no send can
 * follow. Neither is a close after every sender ended: nothing is left to
 * send. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "table.h"

enum { USE_SEND = 1, USE_RECV = 2 };

/* (k1, k2) -> small record (table.h; k1 == 0 is never a key: object ids
 * and pids start at 1). */
struct ent {
    int64_t k1, k2;
    int64_t close_stack, close_event, create_stack;
    uint32_t closer;
    int closed, uses, peer;
    /* a channel's, in finish(): 1 closed by a receiver, 2 and a sender
     * (that thread) lived on */
    int by_receiver;
    uint32_t sender;
};

/* The call that failed (FD_WRITE_FAIL arg2, WEFT_FDW_* in log.h). */
static const char *fd_call(int64_t how) {
    return weft_fd_call_name(WEFT_K_FD_WRITE_FAIL, (uint64_t)how);
}

struct state {
    struct weft__table chans; /* (object, 0): close state */
    struct weft__table uses;  /* (object, thread): USE_* bits */
    struct weft__table fds;   /* (pid, fd): close state and peer; uses: the image that made it */
    struct weft__table imgs;  /* (pid, 0): uses = the process's image (1, 2... after each exec) */
    /* per thread: the two channels it used last and the USE_* bits it is
     * known to have on each, so that a loop of sends or receives on one
     * channel, or a pipeline stage's receive from one and send to the
     * next, does not look its (object, thread) entry up at every
     * operation */
    struct recent {
        int64_t obj[2];
        int bits[2];
    } * recent;
};

static struct ent *get(struct weft__table *m, int64_t k1, int64_t k2, int create) {
    uint64_t k[2] = {(uint64_t)k1, (uint64_t)k2};
    return weft__table_get(m, k, create);
}

static int image_of(struct state *st, int64_t pid) {
    struct ent *im = get(&st->imgs, pid, 0, 0);
    return im ? im->uses : 0;
}

static int init(struct weft__dctx *c, void *self) {
    struct state *st = self;
    struct weft__table empty = WEFT__TABLE(struct ent, 2);
    st->chans = st->uses = st->fds = st->imgs = empty;
    st->recent = calloc((size_t)c->nthreads + 1, sizeof *st->recent);
    return st->recent ? 0 : -1;
}

static int grow(struct weft__dctx *c, void *self, uint32_t old_n, int old_procs) {
    struct state *st = self;
    (void)old_procs;
    return weft__grow_array((void **)&st->recent, sizeof *st->recent, old_n, c->nthreads);
}

static void use(struct weft__dctx *c, struct state *st, int64_t object, uint32_t thread, int bits) {
    if (!object || thread > c->nthreads)
        return;
    struct recent *r = &st->recent[thread];
    for (int i = 0; i < 2; i++)
        if (r->obj[i] == object && (r->bits[i] & bits) == bits)
            return; /* known already */
    struct ent *u = get(&st->uses, object, thread, 1);
    if (!u)
        return;
    u->uses |= bits;
    if (r->obj[0] != object) { /* the newest in front */
        r->obj[1] = r->obj[0];
        r->bits[1] = r->bits[0];
    }
    r->obj[0] = object;
    r->bits[0] = u->uses;
}

static void send_on_closed(struct weft__dctx *c, struct state *st, const struct weft__ev *e,
                           const char *how) {
    char who[160], closer[160];
    struct ent *ch = get(&st->chans, e->object, 0, 0);
    struct weft__objinfo o;
    int have = weft__object(c, e->object, &o) == 0;
    /* A send that had to wait and was woken by the close has its stack on
     * its begin record, not on the end that failed: the thread's last
     * blocking call, which is this very call (threads are sequential). */
    int64_t send_stack = e->stack;
    struct weft__thr *t = weft__thr_of(c, e->thread);
    if (!send_stack && t && t->call.event && t->call.object == e->object)
        send_stack = t->call.stack;
    struct weft__role roles[] = {{"send", send_stack, 0},
                                 {"close", ch ? ch->close_stack : 0, 0},
                                 {"creation", have ? o.create_stack : 0, 0}};
    weft__report(c, "send-on-closed", "error", e->pid, e->thread, e->object, roles, 3,
                 "%s on closed channel 0x%llx by %s%s%s", how, (unsigned long long)e->obj,
                 weft__thread_name(c, e->thread, who, sizeof who),
                 ch && ch->closer ? "; it was closed by " : "",
                 ch && ch->closer ? weft__thread_name(c, ch->closer, closer, sizeof closer) : "");
}

/* The op of case `idx` of a select: its cases are on the select_end
 * itself when it did not wait, else on the thread's select_begin. */
static int select_op(struct weft__dctx *c, const struct weft__ev *e, int64_t idx) {
    int64_t evs[2] = {e->id, 0};
    struct weft__thr *t = weft__thr_of(c, e->thread);
    if (t && t->call.event && t->call.event < e->id)
        evs[1] = t->call.event;
    int op = 0;
    for (int i = 0; i < 2 && !op; i++) {
        int64_t object;
        int r = evs[i] ? weft__select_case(c, e->thread, evs[i], idx, &object) : -1;
        if (r > 0)
            op = r == 1 ? USE_SEND : USE_RECV;
    }
    return op;
}

static void event(struct weft__dctx *c, void *self, const struct weft__ev *e) {
    struct state *st = self;
    switch (e->kind) {
    case WEFT_K_CHAN_MAKE: {
        struct ent *ch = get(&st->chans, e->object, 0, 1);
        if (ch)
            ch->create_stack = e->stack;
        break;
    }
    case WEFT_K_CHAN_SEND_BEGIN:
        use(c, st, e->object, e->thread, USE_SEND);
        break;
    case WEFT_K_CHAN_RECV_BEGIN:
    case WEFT_K_CHAN_RECV_END:
    case WEFT_K_CHAN_TRY_RECV:
        use(c, st, e->object, e->thread, USE_RECV);
        break;
    case WEFT_K_CHAN_SEND_END:
    case WEFT_K_CHAN_TRY_SEND:
        use(c, st, e->object, e->thread, USE_SEND);
        if (e->arg == -32)
            send_on_closed(c, st, e, e->kind == WEFT_K_CHAN_TRY_SEND ? "try_send" : "send");
        break;
    case WEFT_K_SELECT_END:
        if (e->arg >= 0 && e->object) {
            int op = select_op(c, e, e->arg);
            use(c, st, e->object, e->thread, op ? op : USE_RECV);
            if (op == USE_SEND && e->arg2 == -32)
                send_on_closed(c, st, e, "select send case");
        }
        break;
    case WEFT_K_CHAN_CLOSE: {
        struct ent *ch = get(&st->chans, e->object, 0, 1);
        if (!ch)
            break;
        if (e->arg == 0 && !ch->closed) {
            ch->closed = 1;
            ch->close_stack = e->stack;
            ch->close_event = e->id;
            ch->closer = e->thread;
        } else if (e->arg == -32) {
            char who[160], first[160];
            struct weft__objinfo o;
            int have = weft__object(c, e->object, &o) == 0;
            struct weft__role roles[] = {{"close", e->stack, 0},
                                         {"first_close", ch->close_stack, 0},
                                         {"creation", have ? o.create_stack : 0, 0}};
            weft__report(
                c, "double-close", "error", e->pid, e->thread, e->object, roles, 3,
                "channel 0x%llx closed again by %s; first closed by %s", (unsigned long long)e->obj,
                weft__thread_name(c, e->thread, who, sizeof who),
                ch->closer ? weft__thread_name(c, ch->closer, first, sizeof first) : "(unknown)");
        }
        break;
    }
    case WEFT_K_PROC_START: {
        struct ent *im = get(&st->imgs, e->pid, 0, 1);
        if (im)
            im->uses++;
        break;
    }
    case WEFT_K_FD_OPEN:
    case WEFT_K_FD_DUP: {
        struct ent *f = get(&st->fds, e->pid, e->obj, 1);
        if (f) {
            f->closed = 0;
            f->close_stack = 0;
            f->peer = e->kind == WEFT_K_FD_OPEN ? (int)e->arg : -1;
            f->uses = image_of(st, e->pid);
        }
        if (e->kind == WEFT_K_FD_OPEN && e->arg >= 0) {
            struct ent *g = get(&st->fds, e->pid, e->arg, 1);
            if (g) {
                g->closed = 0;
                g->peer = (int)e->obj;
                g->uses = image_of(st, e->pid);
            }
        }
        break;
    }
    case WEFT_K_FD_CLOSE: {
        struct ent *f = get(&st->fds, e->pid, e->obj, e->arg == 0);
        if (e->arg == 0 && f) {
            f->closed = 1;
            f->close_stack = e->stack;
            f->closer = e->thread;
        } else if (e->arg == -9 && f && f->closed) {
            /* EBADF on an fd we saw used as a channel and closed: the
             * second close of the same pipe/socket end. A bare EBADF on an
             * fd we never saw is left alone (closing every fd "just in
             * case" is a common, harmless idiom). */
            char who[160], first[160];
            struct weft__role roles[] = {{"close", e->stack, 0},
                                         {"first_close", f->close_stack, 0}};
            weft__report(c, "double-close", "error", e->pid, e->thread, e->object, roles, 2,
                         "fd %lld closed again by %s (EBADF); first closed by %s",
                         (long long)e->obj, weft__thread_name(c, e->thread, who, sizeof who),
                         weft__thread_name(c, f->closer, first, sizeof first));
        }
        break;
    }
    case WEFT_K_FD_WRITE_FAIL:
        /* EPIPE on stdin, stdout or stderr that this program (this image)
         * did not make a channel itself: a shell wired it, the reader is
         * another program, and `xz | head` ending early is the pipeline's
         * protocol, not a send on a closed channel of this program. As
         * for a bare EBADF on close, it is left alone. */
        if (e->arg == -32) {
            struct ent *f = get(&st->fds, e->pid, e->obj, 0);
            if (e->obj <= 2 && !(f && f->uses == image_of(st, e->pid)))
                break;
            struct ent *peer = f && f->peer >= 0 ? get(&st->fds, e->pid, f->peer, 0) : NULL;
            char who[160], closer[160];
            struct weft__role roles[] = {
                {"send", e->stack, 0}, {"close", peer && peer->closed ? peer->close_stack : 0, 0}};
            weft__report(
                c, "send-on-closed", "error", e->pid, e->thread, e->object, roles, 2,
                "%s on fd %lld by %s failed with EPIPE: its reader is gone%s%s", fd_call(e->arg2),
                (long long)e->obj, weft__thread_name(c, e->thread, who, sizeof who),
                peer && peer->closed ? "; the other end was closed by " : "",
                peer && peer->closed ? weft__thread_name(c, peer->closer, closer, sizeof closer)
                                     : "");
        }
        break;
    default:
        break;
    }
}

/* Whether the use u (object, thread) is a send that could follow the
 * close of ch by a receiver: another thread's, one that sends on the
 * channel and had not ended when the close was made (the engine's
 * weft__thr.ended: the id of its end event). */
static int live_sender(struct weft__dctx *c, const struct ent *u, const struct ent *ch) {
    uint32_t th = (uint32_t)u->k2;
    const struct weft__thr *t = weft__thr_of(c, th);
    return (u->uses & USE_SEND) && th != ch->closer && t &&
           (!t->ended || t->ended > ch->close_event);
}

static int finish(struct weft__dctx *c, void *self) {
    struct state *st = self;
    /* Mark the channels closed by a thread that only received from them
     * (by_receiver = 1), then those of them with a sender still alive at
     * the close (2): one pass over the uses, whatever the number of
     * channels. */
    for (size_t i = 0; i < st->chans.cap; i++) {
        struct ent *ch = weft__table_at(&st->chans, i);
        if (!ch || !ch->closed || !ch->closer)
            continue;
        struct ent *u = get(&st->uses, ch->k1, ch->closer, 0);
        ch->by_receiver = u && u->uses == USE_RECV;
    }
    for (size_t i = 0; i < st->uses.cap; i++) {
        struct ent *u = weft__table_at(&st->uses, i);
        struct ent *ch = u && (u->uses & USE_SEND) ? get(&st->chans, u->k1, 0, 0) : NULL;
        if (ch && ch->by_receiver && u->k2 >= 0 && (uint64_t)u->k2 <= c->nthreads &&
            live_sender(c, u, ch) && (ch->by_receiver == 1 || (uint32_t)u->k2 < ch->sender)) {
            ch->by_receiver = 2;
            ch->sender = (uint32_t)u->k2; /* the first thread: the same on every run */
        }
    }
    for (size_t i = 0; i < st->chans.cap; i++) {
        struct ent *ch = weft__table_at(&st->chans, i);
        if (!ch || ch->by_receiver != 2)
            continue;
        struct weft__objinfo o;
        int have = weft__object(c, ch->k1, &o) == 0;
        struct weft__thr *t = weft__thr_of(c, ch->closer);
        char who[160], sender[160];
        struct weft__role roles[] = {{"close", ch->close_stack, 0},
                                     {"creation", have ? o.create_stack : 0, 0}};
        weft__report(c, "close-by-receiver", "warning", t ? t->pid : 0, ch->closer, ch->k1, roles,
                     2,
                     "channel 0x%llx was closed by %s, which only received from it, while %s, "
                     "which sends on it, was still running: the sender should close (its next "
                     "send fails)",
                     (unsigned long long)(have ? o.address : 0),
                     weft__thread_name(c, ch->closer, who, sizeof who),
                     weft__thread_name(c, ch->sender, sender, sizeof sender));
    }
    return 0;
}

static void drop(void *self) {
    struct state *st = self;
    weft__table_free(&st->chans);
    weft__table_free(&st->uses);
    weft__table_free(&st->fds);
    weft__table_free(&st->imgs);
    free(st->recent);
}

const struct weft__detector weft__det_chan = {.name = "channels",
                                              .size = sizeof(struct state),
                                              .init = init,
                                              .event = event,
                                              .finish = finish,
                                              .drop = drop,
                                              .grow = grow};
