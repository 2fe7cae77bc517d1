/* SPDX-License-Identifier: MIT */
/* model.c: the ingest's model of the trace, built from its records in
 * trace order: the processes (one struct proc per image), their threads,
 * the objects with their generations (a closed fd or a destroyed mutex
 * at the same address is a new object the next time), the handles, the
 * MODULE and STACK records kept for the tables at the end, and each
 * process's module map as its modules come. It also notes what each
 * record changed (g->touched) for the detectors' feed, and the children
 * forked and spawned for the losses. Everything lives in the ingest's
 * struct weft__ingest (ingest_internal.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ingest_internal.h"
#include "relock.h"

int weft__ingest_add_meta(struct proc *p, const struct weft_rec *r) {
    if (ROOM(p->meta, p->nmeta, p->capmeta, 64) != 0) {
        weft_err("out of memory");
        return -1;
    }
    struct weft_rec *m = &p->meta[p->nmeta];
    *m = *r;
    m->data = NULL;
    if (r->dlen) {
        unsigned char *d = malloc(r->dlen);
        if (!d) {
            weft_err("out of memory");
            return -1;
        }
        memcpy(d, r->data, r->dlen);
        m->data = d;
    }
    p->nmeta++;
    return 0;
}

/* argv as the kernel keeps it (NUL-separated), as a JSON array: always
 * valid JSON, cut with a marker when long (json.c). */
static void argv_to_json(struct proc *p, const char *buf, size_t n) {
    weft_json_argv(p->argv_json, sizeof p->argv_json, buf, n);
}

static void touch_thr(struct weft__ingest *g, uint32_t proc, uint32_t tid) {
    for (int i = 0; i < g->touched.nthr; i++)
        if (g->touched.proc[i] == proc && g->touched.tid[i] == tid)
            return;
    if (g->touched.nthr < 8) {
        g->touched.proc[g->touched.nthr] = proc;
        g->touched.tid[g->touched.nthr++] = tid;
    }
}

static void touch_obj(struct weft__ingest *g, uint64_t id) {
    for (int i = 0; i < g->touched.nobj; i++)
        if (g->touched.obj[i] == id)
            return;
    if (id && g->touched.nobj < 8)
        g->touched.obj[g->touched.nobj++] = id;
}

static uint64_t new_obj(struct weft__ingest *g, uint32_t proc, const char *kind, uint64_t addr,
                        uint64_t ts, uint32_t stack) {
    if (ROOM(g->objs, g->nobjs, g->capobjs, 1024) != 0)
        return 0;
    struct obj *o = &g->objs[g->nobjs++];
    memset(o, 0, sizeof *o);
    o->proc = proc;
    o->kind = kind;
    o->address = addr;
    o->created = ts;
    o->create_stack = stack;
    touch_obj(g, g->nobjs);
    return g->nobjs; /* ids start at 1 */
}

static uint64_t family_code(struct weft__ingest *g, const char *fam) {
    /* Called for almost every record with one of a few static strings
     * (log_reader.c's table), several in turn: the answers are kept by
     * the string's address (the model runs on one thread). */
    unsigned k = (unsigned)((uintptr_t)fam >> 3) & 15;
    if (fam == g->fam_seen[k])
        return g->fam_code[k];
    uint64_t h = 0;
    for (const char *s = fam; *s; s++)
        h = h * 31 + (unsigned char)*s;
    g->fam_seen[k] = fam;
    return g->fam_code[k] = h & 0xffffff;
}

/* The live object of this family at this address, made on first use. */
static uint64_t obj_for(struct weft__ingest *g, uint32_t proc, const char *fam, uint64_t addr,
                        uint64_t ts, uint32_t stack) {
    uint64_t key = (uint64_t)proc << 24 | family_code(g, fam), id = 0;
    if (map_get(&g->live, key, addr, &id) && id)
        return id;
    uint64_t gen = 0;
    map_get(&g->live, key ^ 0x8000000000000000u, addr, &gen);
    id = new_obj(g, proc, fam, addr, ts, stack);
    if (id) {
        g->objs[id - 1].generation = gen;
        map_put(&g->live, key, addr, id);
        map_put(&g->live, key ^ 0x8000000000000000u, addr, gen + 1);
    }
    return id;
}

/* The live object record r makes of its family at r->obj, described by
 * info (how an fd or a channel was made), and handed to the detectors. */
static uint64_t obj_made(struct weft__ingest *g, uint32_t proc, const char *fam,
                         const struct weft_rec *r, const char *info) {
    uint64_t id = obj_for(g, proc, fam, r->obj, r->ts, r->stack);
    if (id)
        g->objs[id - 1].info = info;
    touch_obj(g, id);
    return id;
}

static void obj_end(struct weft__ingest *g, uint32_t proc, const char *fam, uint64_t addr,
                    uint64_t ts, uint32_t stack) {
    uint64_t key = (uint64_t)proc << 24 | family_code(g, fam), id = 0;
    if (map_get(&g->live, key, addr, &id) && id) {
        g->objs[id - 1].destroyed = ts;
        g->objs[id - 1].destroy_stack = stack;
        map_put(&g->live, key, addr, 0);
        touch_obj(g, id);
    }
}

/* A thread's first record: its object. Apart from thread_of, which runs
 * for every record and is inlined into the model. */
static void first_seen(struct weft__ingest *g, struct proc *p, struct thr *t, uint32_t proc,
                       uint32_t tid, uint64_t ts) {
    t->seen = 1;
    touch_thr(g, proc, tid);
    t->object = new_obj(g, proc, "thread", 0, ts, 0);
    if (t->object)
        g->objs[t->object - 1].thread = weft__ingest_gtid(p, tid);
}

static inline struct thr *thread_of(struct weft__ingest *g, struct proc *p, uint32_t proc,
                                    uint32_t tid, uint64_t ts) {
    if (tid == 0 || tid > p->max_tid)
        return NULL;
    struct thr *t = &p->thr[tid];
    if (!t->seen)
        first_seen(g, p, t, proc, tid, ts);
    return t;
}

static void set_handle(struct weft__ingest *g, struct proc *p, struct thr *t, uint32_t tid,
                       uint64_t handle) {
    t->handle = handle;
    if (t->object) {
        g->objs[t->object - 1].address = handle;
        touch_obj(g, t->object);
    }
    map_put(&p->handles, handle, 0, tid);
}

/* Whether records of this kind are about an object of their family (not
 * the process, the log or a thread), from a table made once. */
static int object_family(struct weft__ingest *g, unsigned kind) {
    signed char *is = g->is_obj_family;
    if (!g->is_obj_family_made) {
        for (unsigned k = 0; k < WEFT_K_MAX; k++) {
            const char *f = weft_kind_family(k);
            is[k] = f && strcmp(f, "process") && strcmp(f, "log") && strcmp(f, "thread");
        }
        g->is_obj_family_made = 1;
    }
    return kind < WEFT_K_MAX && is[kind];
}

/* Pass 1 for one record: update the model; returns the objects.id the
 * event is about (0: none). */
uint64_t weft__ingest_model(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r) {
    struct proc *p = &g->procs[pi];
    struct thr *self = thread_of(g, p, pi, r->tid, r->ts);
    struct thr *t;
    uint32_t tt;
    char buf[256];
    const char *fam = weft_kind_family(r->kind);
    p->events++;
    if (r->ts > p->end_ns)
        p->end_ns = r->ts;
    switch (r->kind) {
    case WEFT_K_PROC_START: {
        char *argv = malloc(65536);
        if (argv) {
            size_t n = payload(r, argv, 65536);
            argv_to_json(p, argv, n);
            free(argv);
        }
        return 0;
    }
    case WEFT_K_PROC_EXE:
        payload(r, p->exe, sizeof p->exe);
        return 0;
    case WEFT_K_MAIN_RETURN:
        if (!p->exit_kind) {
            p->exit_kind = "return";
            p->has_code = 1;
            p->code = (int)(int64_t)r->arg;
        }
        if (self && !self->exited) {
            self->exited = r->ts;
            self->exit_kind = "return";
            self->exit_value = r->arg;
            touch_thr(g, pi, r->tid);
        }
        return 0;
    case WEFT_K_EXIT_CALL:
        if (!p->exit_kind || !strcmp(p->exit_kind, "return")) {
            p->exit_kind = "exit";
            p->has_code = 1;
            p->code = (int)(int64_t)r->arg;
        }
        return 0;
    case WEFT_K_EXIT_NOW:
        p->exit_kind = "_exit";
        p->has_code = 1;
        p->code = (int)(int64_t)r->arg;
        p->finished = 1;
        return 0;
    case WEFT_K_SIGNAL_FATAL:
        p->exit_kind = "signal";
        p->has_code = 0;
        p->signal = (int)r->arg;
        p->finished = 1;
        return 0;
    case WEFT_K_PROC_END:
        p->finished = 1;
        return 0;
    case WEFT_K_FORK:
        if ((int64_t)r->arg > 0 && (int64_t)r->arg < INT32_MAX) {
            if (ROOM(g->forks, g->nforks, g->capforks, 64) != 0)
                return 0;
            g->forks[g->nforks++] = (struct forked){(int)r->arg, p->pid};
        }
        return 0;
    case WEFT_K_SPAWN:
        if (ROOM(g->spawns, g->nspawns, g->capspawns, 64) != 0)
            return 0;
        g->spawns[g->nspawns].pid = (int)r->arg;
        g->spawns[g->nspawns].ts = (int64_t)r->ts;
        payload(r, g->spawns[g->nspawns].path, sizeof g->spawns[g->nspawns].path);
        g->nspawns++;
        return 0;
    case WEFT_K_EXEC:
        /* before the call (arg 0), and again with -errno when it failed */
        if (r->arg == 0) {
            payload(r, p->exec_path, sizeof p->exec_path);
            p->exec_as_other = r->arg2 != 0; /* (the shim: its user changed since) */
        } else {
            p->exec_path[0] = 0;
        }
        return 0;
    case WEFT_K_THREAD_ADOPT:
        if (self) {
            touch_thr(g, pi, r->tid);
            self->adopted = 1;
            self->internal = (int)r->aux; /* 2: the watchdog */
            self->os_tid = r->arg;
            if (!self->started)
                self->started = r->ts;
            set_handle(g, p, self, r->tid, r->obj);
            return self->object;
        }
        return 0;
    case WEFT_K_THREAD_CREATE:
        t = thread_of(g, p, pi, r->aux & WEFT_TID_MASK, r->ts);
        if (!t)
            return 0;
        t->via = (int)(r->aux >> 28) + 1;
        /* (or its start record said so already: WEFT_START_INTERNAL) */
        t->internal = t->internal || r->aux >> 28 == WEFT_VIA_LIBWEFT;
        t->created = r->ts;
        t->parent = r->tid;
        t->start_routine = r->arg;
        t->arg = r->arg2;
        t->create_stack = r->stack;
        g->objs[t->object - 1].create_stack = r->stack;
        touch_thr(g, pi, r->aux & WEFT_TID_MASK);
        touch_obj(g, t->object);
        if (!t->started || t->started > r->ts)
            g->objs[t->object - 1].created = r->ts;
        set_handle(g, p, t, r->aux & WEFT_TID_MASK, r->obj);
        return t->object;
    case WEFT_K_THREAD_START:
        if (!self)
            return 0;
        touch_thr(g, pi, r->tid);
        self->started = r->ts;
        self->os_tid = r->arg;
        /* its start routine, from its own record when its creator's is
         * not in (yet, or ever: the thread ended the process first) */
        if (!self->start_routine && r->dlen == 2 * sizeof(uint64_t)) {
            memcpy(&self->start_routine, r->data, sizeof(uint64_t));
            memcpy(&self->arg, r->data + sizeof(uint64_t), sizeof(uint64_t));
        }
        /* libweft's own thread, known without its creator's record */
        if (r->aux & WEFT_START_INTERNAL)
            self->internal = 1;
        if (!self->parent)
            self->parent = (uint32_t)r->arg2;
        set_handle(g, p, self, r->tid, r->obj);
        return self->object;
    case WEFT_K_THREAD_RETURN:
    case WEFT_K_THREAD_EXIT:
    case WEFT_K_THREAD_CANCELED:
        if (!self)
            return 0;
        touch_thr(g, pi, r->tid);
        self->exited = r->ts;
        self->exit_kind = r->kind == WEFT_K_THREAD_RETURN ? "return"
                          : r->kind == WEFT_K_THREAD_EXIT ? "pthread_exit"
                                                          : "canceled";
        self->exit_value = r->arg;
        self->exit_stack = r->stack;
        return self->object;
    case WEFT_K_JOIN_BEGIN:
    case WEFT_K_JOIN_END:
    case WEFT_K_TRYJOIN:
    case WEFT_K_DETACH:
    case WEFT_K_CANCEL:
    case WEFT_K_SETNAME:
        tt = weft__ingest_join_target(p, r);
        t = tt ? thread_of(g, p, pi, tt, r->ts) : NULL;
        if (!t)
            return 0;
        if (r->kind == WEFT_K_JOIN_BEGIN && self) {
            self->join_handle = r->obj;
            self->join_tid = tt;
        }
        if (r->kind != WEFT_K_JOIN_BEGIN && r->kind != WEFT_K_CANCEL)
            touch_thr(g, pi, tt);
        if ((r->kind == WEFT_K_JOIN_END || r->kind == WEFT_K_TRYJOIN) && r->arg == 0) {
            t->joined = r->ts;
            t->joined_by = r->tid;
        } else if (r->kind == WEFT_K_DETACH && r->arg == 0) {
            t->detached = r->ts;
        } else if (r->kind == WEFT_K_SETNAME && r->arg == 0) {
            size_t len = payload(r, buf, sizeof buf);
            if (len >= sizeof t->name)
                len = sizeof t->name - 1;
            memcpy(t->name, buf, len);
            t->name[len] = 0;
        }
        return t->object;
    case WEFT_K_FD_OPEN: {
        static const char *const how[] = {"?", "pipe", "pipe2", "socketpair", "eventfd"};
        return obj_made(g, pi, "fd", r, how[r->aux < 5 ? r->aux : 0]);
    }
    case WEFT_K_FD_DUP:
        obj_end(g, pi, "fd", r->obj, r->ts, r->stack); /* dup2 onto an open fd closes it */
        return obj_made(g, pi, "fd", r, "dup");
    case WEFT_K_FD_CLOSE: {
        uint64_t id = obj_for(g, pi, "fd", r->obj, r->ts, r->stack);
        if ((int64_t)r->arg == 0)
            obj_end(g, pi, "fd", r->obj, r->ts, r->stack);
        return id;
    }
    case WEFT_K_DEADLOCK:
        if (r->obj != 0)
            return 0; /* a cycle of lock waits (1) or stuck channel waits (2): the process went on
                       */
        p->exit_kind = "deadlock";
        p->has_code = 1;
        p->code = 2;
        p->finished = 1;
        return 0;
    case WEFT_K_GO:
        return 0;
    case WEFT_K_MUTEX_RELOCKS: {
        /* arg pairs of locks and unlocks (relock.h), of mutexes each
         * unlocked before (live objects: the calls find them) */
        const struct weft_relocks *x = (const struct weft_relocks *)(const void *)r->data;
        p->events += 2 * r->arg - 1;
        for (uint64_t k = 0; k < r->arg2; k++)
            obj_for(g, pi, "mutex", x[k].obj, x[k].first_lock_ns, 0);
        return obj_for(g, pi, "mutex", r->obj, r->ts, 0);
    }
    case WEFT_K_SELECT_BEGIN:
    case WEFT_K_SELECT_END:
        return r->obj ? obj_for(g, pi, "chan", r->obj, r->ts, 0) : 0;
    case WEFT_K_CTX_DONE_CHAN:
        return obj_made(g, pi, "chan", r, "ctx-done");
    case WEFT_K_TIMER_CHAN: {
        static const char *const how[] = {"timer", "after", "timer", "ticker"};
        return obj_made(g, pi, "chan", r, how[r->aux < 4 ? r->aux : 0]);
    }
    case WEFT_K_CHAN_FREE:
    case WEFT_K_CTX_FREE:
    case WEFT_K_GROUP_FREE:
    case WEFT_K_WSEM_FREE:
    case WEFT_K_LIMITER_FREE:
    case WEFT_K_FUTURE_FREE_END:
    case WEFT_K_MUTEX_DESTROY: {
        uint64_t id = obj_for(g, pi, fam, r->obj, r->ts, r->stack);
        obj_end(g, pi, fam, r->obj, r->ts, r->stack);
        return id;
    }
    default:
        if (object_family(g, r->kind))
            return obj_for(g, pi, fam, r->obj, r->ts, r->stack);
        return 0;
    }
}

/* The objects.id live now for a channel (or other family) address. */
uint64_t weft__ingest_live_obj(struct weft__ingest *g, uint32_t proc, const char *fam,
                               uint64_t addr) {
    uint64_t id = 0;
    map_get(&g->live, (uint64_t)proc << 24 | family_code(g, fam), addr, &id);
    return id;
}

/* The module map of process pi grows with its MODULE records, as they
 * come: a start routine is named with the modules loaded before it ran. */
int weft__ingest_sym_module(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r) {
    struct proc *p = &g->procs[pi];
    if (!g->symtab && !(g->symtab = weft_symtab_new()))
        return -1;
    if (!p->sym && !(p->sym = weft_symmap_new(g->symtab)))
        return -1;
    char buf[4200];
    size_t len = payload(r, buf, sizeof buf);
    uint32_t plen = r->aux < len ? r->aux : (uint32_t)len;
    buf[plen] = 0;
    size_t blen = r->stack;
    if (blen > 64 || plen + 1 + blen > len)
        blen = 0;
    weft_symmap_add(p->sym, buf, r->obj, r->arg, r->arg2,
                    blen ? (const unsigned char *)buf + plen + 1 : NULL, blen);
    return 0;
}

/* A stack of process pi (a STACK record) will be named at the end: the
 * debug information of its frames' files loads meanwhile. */
void weft__ingest_sym_stack(struct weft__ingest *g, uint32_t pi, const struct weft_rec *r) {
    struct proc *p = &g->procs[pi];
    uint64_t pcs[WEFT__STACK_MAX + 1];
    size_t depth = stack_pcs(r, pcs);
    for (size_t d = 0; p->sym && d < depth; d++)
        weft_symmap_warm(p->sym, pcs[d]);
}

/* How a thread was made (threads.created_by), by struct thr's via. */
static const char *const via_name[] = {
    NULL, "pthread_create", "weft_go", "weft_group_go", "weft_future_start", "libweft"};

const char *weft__ingest_created_by(const struct thr *t) {
    return t->via > 0 && t->via < 6 ? via_name[t->via] : NULL;
}

/* The name of thread t's start function, or NULL. +1: the lookup takes
 * return addresses and steps back one byte. The symbol table keeps its
 * answers: thousands of threads of one start routine cost one lookup. */
const char *weft__ingest_start_function(const struct proc *p, const struct thr *t) {
    if (!t->start_routine || !p->sym)
        return NULL;
    struct weft_frame_info fi;
    weft_symmap_lookup(p->sym, t->start_routine + 1, &fi);
    return fi.function;
}
