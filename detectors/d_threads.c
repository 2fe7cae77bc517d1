/* SPDX-License-Identifier: MIT */
/* d_threads.c: the thread lifecycle detectors: leaked-thread (alive when
 * its process exited: what it is blocked in, or running), unjoined-thread
 * (TSan's thread leak: finished, joinable, never joined nor detached) and
 * unbounded-threads (peak of live threads over a threshold).
 *
 * The thread that ended the process is never a leak, nor is a thread
 * whose blocking call was already answered (answered.c: a matched channel
 * operation or select case, a WaitGroup at zero, a join of a thread that
 * ended, the exiting one included), nor one caught between such a call's
 * end and its return (below, leaked()).
 *
 * Only processes that ended by returning from main, exit or _exit are
 * judged for leaks: a death by signal or a log that stops says nothing
 * about what the program meant to finish, and a deadlock exit is reported
 * as `deadlock`, which names every thread already. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct pstate {
    int64_t pid;
    uint32_t exit_thread;
    weft__rv exit_rv; /* the ending thread's clock when it ended the process */
    int live, peak;
    uint32_t peak_thread;
};

struct state {
    struct pstate *ps;
    int nps;
    /* per thread: the epoch of its last release, and how many events
     * other than acquires it recorded since; the event id of that
     * release; whether its last event other than an acquire ended a
     * blocking call */
    uint32_t *rel_epoch, *after_rel;
    int64_t *rel_event;
    unsigned char *woke;
    int64_t *woke_mutex; /* the mutex a cond wait's end relocked, until its unlock */
};

static struct pstate *pstate_of(struct state *st, int64_t pid) {
    for (int i = 0; i < st->nps; i++)
        if (st->ps[i].pid == pid)
            return &st->ps[i];
    return NULL;
}

static int init(struct weft__dctx *c, void *self) {
    struct state *st = self;
    size_t n = (size_t)c->nthreads + 1;
    st->nps = c->nprocs;
    st->ps = calloc((size_t)st->nps + 1, sizeof *st->ps);
    st->rel_epoch = calloc(n, sizeof *st->rel_epoch);
    st->after_rel = calloc(n, sizeof *st->after_rel);
    st->rel_event = calloc(n, sizeof *st->rel_event);
    st->woke = calloc(n, sizeof *st->woke);
    st->woke_mutex = calloc(n, sizeof *st->woke_mutex);
    if (!st->ps || !st->rel_epoch || !st->after_rel || !st->rel_event || !st->woke ||
        !st->woke_mutex)
        return -1;
    for (int i = 0; i < st->nps; i++)
        st->ps[i].pid = c->procs[i].pid;
    return 0;
}

static int grow(struct weft__dctx *c, void *self, uint32_t old_n, int old_procs) {
    struct state *st = self;
    uint32_t n = c->nthreads;
    (void)old_procs;
    if (weft__grow_array((void **)&st->rel_epoch, sizeof *st->rel_epoch, old_n, n) ||
        weft__grow_array((void **)&st->after_rel, sizeof *st->after_rel, old_n, n) ||
        weft__grow_array((void **)&st->rel_event, sizeof *st->rel_event, old_n, n) ||
        weft__grow_array((void **)&st->woke, sizeof *st->woke, old_n, n) ||
        weft__grow_array((void **)&st->woke_mutex, sizeof *st->woke_mutex, old_n, n))
        return -1;
    if (c->nprocs > st->nps) {
        struct pstate *ps = realloc(st->ps, ((size_t)c->nprocs + 1) * sizeof *ps);
        if (!ps)
            return -1;
        memset(ps + st->nps, 0, (size_t)(c->nprocs - st->nps) * sizeof *ps);
        for (int i = st->nps; i < c->nprocs; i++)
            ps[i].pid = c->procs[i].pid;
        st->ps = ps;
        st->nps = c->nprocs;
    }
    return 0;
}

static void event(struct weft__dctx *c, void *self, const struct weft__ev *e) {
    struct state *st = self;
    struct weft__thr *t = weft__thr_of(c, e->thread);
    if (!t)
        return;
    /* Releases grow the epoch after the event, so the release itself
     * was at the epoch before. */
    uint32_t ep = weft__vc_epoch(c->hb, e->thread);
    int kind_releases = e->kind == WEFT_K_HB_RELEASE || e->kind == WEFT_K_MUTEX_UNLOCK ||
                        e->kind == WEFT_K_RW_UNLOCK || e->kind == WEFT_K_COND_WAIT_BEGIN ||
                        e->kind == WEFT_K_COND_SIGNAL || e->kind == WEFT_K_COND_BROADCAST ||
                        e->kind == WEFT_K_BARRIER_WAIT_BEGIN || e->kind == WEFT_K_SEM_POST ||
                        e->kind == WEFT_K_THREAD_CREATE || e->kind == WEFT_K_MUTEX_RELOCKS;
    /* woke: 2 inside a blocking call (after its begin), 1 when that call's
     * end is the last event but acquires (a call that did not wait, an end
     * without a begin of its own, does not count), 0 otherwise. Inside a
     * call only its end changes it: what the thread records meanwhile is
     * libweft's releases queued inside it or a signal handler's (a lock
     * that did not wait, a folded relock, an unlock: call_phase 0), and
     * the end of a handler's own call leaves the thread in the call it
     * interrupted (the engine's state_event ran: call.kind says so). */
    int phase = weft__call_phase(e);
    if (st->woke[e->thread] == 2) {
        if (phase == 2 && !t->call.kind)
            st->woke[e->thread] = 1;
    } else if (phase == 1)
        st->woke[e->thread] = 2;
    else if (e->kind == WEFT_K_MUTEX_UNLOCK && st->woke[e->thread] == 1 &&
             st->woke_mutex[e->thread] == e->obj)
        st->woke_mutex[e->thread] = 0; /* `while (!p) cond_wait; unlock`: still the wake-up */
    else if (e->kind != WEFT_K_HB_ACQUIRE)
        st->woke[e->thread] = 0;
    if (e->kind == WEFT_K_COND_WAIT_END)
        st->woke_mutex[e->thread] = e->arg2;
    if (kind_releases || e->has_rel) {
        st->rel_epoch[e->thread] = ep - 1;
        st->rel_event[e->thread] = e->id;
        /* A release folded into a call's event (events.rel) came before
         * that event, which then counts as one event after it. */
        st->after_rel[e->thread] = !kind_releases;
    } else if (e->kind != WEFT_K_HB_ACQUIRE) {
        st->after_rel[e->thread]++;
    }

    struct pstate *p = pstate_of(st, e->pid);
    if (!p)
        return;
    switch (e->kind) {
    case WEFT_K_THREAD_START:
        if (!t->internal && ++p->live > p->peak) {
            p->peak = p->live;
            p->peak_thread = e->thread;
        }
        break;
    case WEFT_K_THREAD_RETURN:
    case WEFT_K_THREAD_EXIT:
    case WEFT_K_THREAD_CANCELED:
        if (!t->internal && !t->adopted)
            p->live--;
        break;
    case WEFT_K_MAIN_RETURN:
    case WEFT_K_EXIT_CALL:
    case WEFT_K_EXIT_NOW:
        if (!p->exit_thread) {
            p->exit_thread = e->thread;
            p->exit_rv = weft__vc_now(c->hb, e->thread);
        }
        break;
    default:
        break;
    }
}

static void leaked(struct weft__dctx *c, struct state *st, uint32_t id, struct weft__thr *t,
                   struct pstate *p) {
    char who[160], msg[512];
    weft__thread_name(c, id, who, sizeof who);
    if (!t->call.kind) {
        /* Not blocked: a thread whose last release the ending thread had
         * acquired, and that recorded nothing since but acquires and the
         * end of that same call (e.g. Done, or a send main received, then
         * return) is finishing, not leaked: its return just was not
         * recorded before the exit. The price: a leaked thread caught
         * between two calls at that very moment (say a receiver that got
         * main's last value and is about to wait for the next) is missed;
         * the trace cannot tell it from one about to return, and a false
         * report on every Done-then-return would be worse. */
        if (p->exit_thread && p->exit_thread != id && st->rel_epoch[id] && st->after_rel[id] <= 1 &&
            weft__vc_knows(c->hb, &p->exit_rv, id, st->rel_epoch[id]))
            return;
        /* The mirror case: a thread whose last event (but acquires, and
         * the unlock of the mutex a cond wait relocked) ended a blocking
         * call that the ending thread's last release answered
         * (a release made after the call began, which the thread has
         * acquired: main's Done waking a Wait, its signal and unlock
         * waking a cond wait, and main returned at once) is finishing its
         * wake-up: it had only its return left when the process ended.
         * The same price as above: a thread woken by the exit's last
         * release that then runs on without recording anything is missed. */
        uint32_t x = p->exit_thread;
        if (x && x != id && st->woke[id] == 1 && st->rel_epoch[x] &&
            st->rel_event[x] > t->call.event) {
            weft__rv now = weft__vc_now(c->hb, id);
            int finishing = weft__vc_knows(c->hb, &now, x, st->rel_epoch[x]);
            weft__rv_drop(&now);
            if (finishing)
                return;
        }
        struct weft__role roles[] = {{"creation", t->create_stack, 0}};
        weft__report(c, "leaked-thread", "error", t->pid, id, 0, roles, 1,
                     "%s is still running when the process exits", who);
        return;
    }
    /* A call a partner already answered (its value taken or given, its
     * select's case taken, its WaitGroup at zero, its join target ended)
     * is finishing: only its end record was not written before the exit. */
    if (weft__answered_at_exit(c, id, p->exit_thread))
        return;
    struct weft__objinfo o;
    int have = weft__object(c, t->call.object, &o) == 0;
    const char *kn = weft__kind_name(t->call.kind);
    size_t kl = strlen(kn);
    if (kl > 6 && !strcmp(kn + kl - 6, "_begin"))
        kl -= 6;
    if (t->call.kind == WEFT_K_FD_READ_BEGIN || t->call.kind == WEFT_K_FD_WRITE_BEGIN) {
        /* "blocked in read on pipe fd 3": the call, and what the fd is */
        kn = weft_fd_call_name((unsigned)t->call.kind, (uint64_t)t->call.arg2);
        kl = strlen(kn);
        const char *what = !have                           ? "channel"
                           : !strncmp(o.info, "pipe", 4)   ? "pipe"
                           : !strcmp(o.info, "socketpair") ? "socketpair"
                           : !strcmp(o.info, "eventfd")    ? "eventfd"
                                                           : "channel";
        snprintf(msg, sizeof msg, " on %s fd %lld", what, (long long)t->call.obj);
    } else if (have) {
        snprintf(msg, sizeof msg, " on %s 0x%llx", o.kind, (unsigned long long)t->call.obj);
    } else if (t->call.obj) {
        snprintf(msg, sizeof msg, " on 0x%llx", (unsigned long long)t->call.obj);
    } else {
        msg[0] = 0;
    }
    struct weft__role roles[] = {{"blocked", t->call.stack, 0},
                                 {"creation", t->create_stack, 0},
                                 {"object_creation", have ? o.create_stack : 0, 0}};
    weft__report(c, "leaked-thread", "error", t->pid, id, t->call.object, roles, 3,
                 "%s is still alive when the process exits, blocked in %.*s%s", who, (int)kl, kn,
                 msg);
}

static int finish(struct weft__dctx *c, void *self) {
    struct state *st = self;
    for (uint32_t id = 1; id <= c->nthreads; id++) {
        struct weft__thr *t = &c->thr[id];
        if (!t->has_row || t->internal || t->adopted)
            continue;
        const struct weft__proc *pr = weft__proc_of(c, t->pid);
        struct pstate *p = pstate_of(st, t->pid);
        if (!weft__proc_exited_normally(pr) || !p)
            continue;
        if (!t->exited) {
            /* The thread that ended the process (exit, _exit, main's
             * return) did not outlive it: it is the end itself. */
            if (id != p->exit_thread)
                leaked(c, st, id, t, p);
        } else if (!t->joined && !t->detached) {
            char who[160];
            struct weft__role roles[] = {{"creation", t->create_stack, 0},
                                         {"exit", t->exit_stack, 0}};
            weft__report(c, "unjoined-thread", "error", t->pid, id, 0, roles, 2,
                         "%s finished but was never joined nor detached (its resources leak)",
                         weft__thread_name(c, id, who, sizeof who));
        }
    }
    int max = c->opts->max_threads > 0 ? c->opts->max_threads : 1000;
    for (int i = 0; i < st->nps; i++) {
        if (st->ps[i].peak <= max)
            continue;
        struct weft__thr *t = weft__thr_of(c, st->ps[i].peak_thread);
        struct weft__role roles[] = {{"creation", t ? t->create_stack : 0, 0}};
        weft__report(c, "unbounded-threads", "warning", st->ps[i].pid, st->ps[i].peak_thread, 0,
                     roles, 1,
                     "%d threads were alive at once (threshold %d): thread creation is not "
                     "bounded (use a worker pool or a semaphore)",
                     st->ps[i].peak, max);
    }
    return 0;
}

static void drop(void *self) {
    struct state *st = self;
    for (int i = 0; st->ps && i < st->nps; i++)
        weft__rv_drop(&st->ps[i].exit_rv);
    free(st->ps);
    free(st->rel_epoch);
    free(st->after_rel);
    free(st->rel_event);
    free(st->woke);
    free(st->woke_mutex);
}

const struct weft__detector weft__det_threads = {.name = "threads",
                                                 .size = sizeof(struct state),
                                                 .init = init,
                                                 .event = event,
                                                 .finish = finish,
                                                 .drop = drop,
                                                 .grow = grow};
