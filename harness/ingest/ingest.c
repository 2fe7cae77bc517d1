/* SPDX-License-Identifier: MIT */
/* ingest.c: raw logs (one per process) into a new trace database with the
 * schema of schema.sql, in one pass. Every log is opened and validated
 * first (stream.c: its chunks cut into runs); the merge then hands over
 * the records of all logs in time order, and each goes into the model
 * (processes, threads, objects, stacks, modules), into the events table
 * (with prepared statements in large transactions, journaling off) and,
 * with the rows of what it changed, to the detectors' queue. The tables
 * the model made are written at the end, the indexes after them. Memory
 * holds what is in flight, never the trace. The database is built under
 * a temporary name and renamed into place, so a failed ingest never
 * leaves half a trace behind. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stream.h"
#include "symbolize.h"
#include "json.h"
#include "log_reader.h"
#include "weft.h"

/* ---- a small open-addressing map: (a, b) -> v ---- */
struct ment {
    uint64_t a, b, v;
    int used;
};
struct map {
    struct ment *e;
    size_t cap, n;
};

static uint64_t hash2(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9e3779b97f4a7c15u ^ (b + 0x632be59bd9b4e019u);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    return h ^ (h >> 32);
}

static int map_put(struct map *m, uint64_t a, uint64_t b, uint64_t v) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 256;
        struct ment *ne = calloc(ncap, sizeof *ne);
        if (!ne)
            return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->e[i].used) {
                size_t j = hash2(m->e[i].a, m->e[i].b) & (ncap - 1);
                while (ne[j].used)
                    j = (j + 1) & (ncap - 1);
                ne[j] = m->e[i];
            }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    size_t j = hash2(a, b) & (m->cap - 1);
    while (m->e[j].used && (m->e[j].a != a || m->e[j].b != b))
        j = (j + 1) & (m->cap - 1);
    if (!m->e[j].used)
        m->n++;
    m->e[j] = (struct ment){a, b, v, 1};
    return 0;
}

static int map_get(const struct map *m, uint64_t a, uint64_t b, uint64_t *v) {
    if (!m->cap)
        return 0;
    size_t j = hash2(a, b) & (m->cap - 1);
    while (m->e[j].used) {
        if (m->e[j].a == a && m->e[j].b == b) {
            *v = m->e[j].v;
            return 1;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}

/* Removal by marking the value: keys of closed fds and destroyed mutexes
 * map to 0 ("none live"); the next use makes a new generation. */

/* ---- in-memory model ---- */
struct thr {
    int seen, adopted, via, internal;
    uint64_t handle, os_tid, start_routine, arg;
    uint64_t created, started, exited, joined, detached;
    uint64_t exit_value;
    const char *exit_kind;
    uint32_t parent, joined_by, create_stack, exit_stack; /* local ids */
    uint64_t object;                                      /* objects.id */
    char name[68];
};

struct obj {
    uint32_t proc;
    const char *kind;
    uint64_t address, generation;
    uint64_t created, destroyed;
    uint32_t create_stack, destroy_stack; /* local */
    uint64_t thread;                      /* global thread id for kind thread */
    const char *info;
};

struct proc {
    struct weft_slog log;
    const char *path;
    int pid, ppid;
    uint32_t parent_tid;
    uint32_t max_tid, max_stack;
    uint64_t thread_base, stack_base;
    struct thr *thr;
    struct map handles;      /* (handle, 0) -> local tid */
    struct weft_symmap *sym; /* its module map, for stacks and start routines */
    char argv_json[16384];
    char exe[4096];
    uint64_t end_ns, events;
    /* its MODULE and STACK records, in log order: not events, kept apart */
    struct weft_rec *meta; /* copies, with their payloads (owned) */
    size_t nmeta, capmeta;
    const char *exit_kind;
    int has_code, code, signal, finished;
    /* the program this image exec'd last, when that exec did not fail
     * (exec_path[0] == 0: none): it ran untraced unless a later image of
     * the same pid is in the trace */
    char exec_path[4096];
    int complete; /* every record of the image was read */
    /* exec: a later image of the same OS process is merged into the row of
     * the first one (root); its thread tids follow the earlier images'. */
    int root;            /* index of the first image, or its own index */
    uint32_t tid_offset; /* added to its tids in the threads table */
};

static struct proc *procs;
static int nprocs;

/* ---- losses: what could not be read, one row of `losses` each ----
 * what: dropped-events, bad-chunk, unwritten-chunk, truncated,
 * unreadable-log, empty-log, duplicate-log, missing-log, running (docs/schema.md). */
struct loss {
    int pid;         /* 0: unknown */
    const char *log; /* NULL: none */
    const char *what;
    uint64_t count;
    char detail[WEFT_LOG_ERR + 64];
};
static struct loss *losses;
static size_t nlosses, caplosses;

/* Room for one more element in a growable array (n used of *cap, each
 * size bytes), doubling from first: 0, or -1 when out of memory (the
 * array unchanged). ROOM(arr, n, cap, first) for an array arr. */
static int room(void **arr, size_t n, size_t *cap, size_t size, size_t first) {
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : first;
    void *p = realloc(*arr, nc * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}
#define ROOM(arr, n, cap, first) room((void **)&(arr), (n), &(cap), sizeof *(arr), (first))

static void add_loss(int pid, const char *log, const char *what, uint64_t count, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));
static void add_loss(int pid, const char *log, const char *what, uint64_t count, const char *fmt,
                     ...) {
    if (ROOM(losses, nlosses, caplosses, 16) != 0)
        return; /* out of memory: the warning below still counts the others */
    struct loss *x = &losses[nlosses++];
    x->pid = pid;
    x->log = log;
    x->what = what;
    x->count = count;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof x->detail, fmt, ap);
    va_end(ap);
}

/* Whether a process of the trace is still running now (a daemon, or a
 * child that outlived the program weft run waited for): its pid is alive
 * (not a zombie) and began between lo_ns and hi_ns (CLOCK_MONOTONIC, a
 * tick of slack): another start is another process that got the pid
 * again. /proc's start time counts clock ticks since boot, as
 * CLOCK_MONOTONIC does (without suspends). */
static int still_running_since(int pid, uint64_t lo_ns, uint64_t hi_ns) {
    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* the fields after the command name, which may hold anything */
    char *c = strrchr(buf, ')');
    unsigned long long start = 0;
    char state = 0;
    if (!c ||
        sscanf(c + 1,
               " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
               "%*d %*d %*d %llu",
               &state, &start) != 2 ||
        state == 'Z' || state == 'X') /* ended, not yet reaped (weft run's own child) */
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        return 0;
    uint64_t tick = 1000000000ull / (uint64_t)hz, start_ns = (uint64_t)start * tick;
    return start_ns + tick >= lo_ns && start_ns <= hi_ns + tick;
}

/* The process that wrote a log (begun no later than it) is still running. */
static int still_running(int pid, uint64_t log_start_ns) {
    return still_running_since(pid, 0, log_start_ns);
}

static uint64_t mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int has_loss_of(int pid) {
    for (size_t i = 0; i < nlosses; i++)
        if (losses[i].pid == pid)
            return 1;
    return 0;
}

/* The pid in a log's name (".../log.1234", or "log.1234.2" for a later
 * image: the shim names children's logs so): its first all-digit
 * component after a dot; 0 when there is none. What an unreadable log
 * can still tell. */
static int pid_of_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (const char *dot = strchr(base, '.'); dot; dot = strchr(dot + 1, '.')) {
        long v = 0;
        const char *c = dot + 1;
        for (; *c >= '0' && *c <= '9' && v < 100000000; c++)
            v = v * 10 + (*c - '0');
        if (c > dot + 1 && (*c == 0 || *c == '.'))
            return (int)v;
    }
    return 0;
}

/* Children forked by traced processes (FORK records): each should have a
 * log; one without is a missing-log loss. */
/* Children started by posix_spawn (pid, path, when): the ingest notes
 * those that left no log (they ran untraced). */
static struct spawned {
    int pid;
    char path[256];
    int64_t ts;
} * spawns;
static size_t nspawns, capspawns;

static struct forked { int pid, parent; } * forks;
static size_t nforks, capforks;

static int add_meta(struct proc *p, const struct weft_rec *r) {
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

/* WEFT_INGEST_PROFILE=1: the time of each phase on stderr (for tuning). */
static int profile = -1;
static struct timespec phase_t0;
static void phase(const char *what) {
    if (profile < 0) {
        const char *e = getenv("WEFT_INGEST_PROFILE");
        profile = e && *e == '1';
    }
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (profile && what)
        fprintf(stderr, "weft ingest: %-8s %.3f s\n", what,
                (double)(t.tv_sec - phase_t0.tv_sec) + (t.tv_nsec - phase_t0.tv_nsec) / 1e9);
    phase_t0 = t;
}

/* The payload of a record, NUL-terminated, cut to max - 1 bytes. */
static size_t payload(const struct weft_rec *r, char *buf, size_t max) {
    size_t n = r->dlen < max - 1 ? r->dlen : max - 1;
    if (n)
        memcpy(buf, r->data, n);
    buf[n] = 0;
    return n;
}

/* argv as the kernel keeps it (NUL-separated), as a JSON array: always
 * valid JSON, cut with a marker when long (json.c). */
static void argv_to_json(struct proc *p, const char *buf, size_t n) {
    weft_json_argv(p->argv_json, sizeof p->argv_json, buf, n);
}

/* ---- objects ---- */
static struct obj *objs;
static size_t nobjs, capobjs;
static struct map live; /* (proc << 8 | family, address) -> objects.id */

/* What the model changed with the record at hand: the threads and
 * objects whose rows the hook gets before the event (ingest's stream). A
 * record touches a few at most; more would be a bug, and is dropped. */
static struct {
    uint32_t proc[8], tid[8];
    int nthr;
    uint64_t obj[8];
    int nobj;
} touched;

static void touch_thr(uint32_t proc, uint32_t tid) {
    for (int i = 0; i < touched.nthr; i++)
        if (touched.proc[i] == proc && touched.tid[i] == tid)
            return;
    if (touched.nthr < 8) {
        touched.proc[touched.nthr] = proc;
        touched.tid[touched.nthr++] = tid;
    }
}

static void touch_obj(uint64_t id) {
    for (int i = 0; i < touched.nobj; i++)
        if (touched.obj[i] == id)
            return;
    if (id && touched.nobj < 8)
        touched.obj[touched.nobj++] = id;
}

static uint64_t new_obj(uint32_t proc, const char *kind, uint64_t addr, uint64_t ts,
                        uint32_t stack) {
    if (ROOM(objs, nobjs, capobjs, 1024) != 0)
        return 0;
    struct obj *o = &objs[nobjs++];
    memset(o, 0, sizeof *o);
    o->proc = proc;
    o->kind = kind;
    o->address = addr;
    o->created = ts;
    o->create_stack = stack;
    touch_obj(nobjs);
    return nobjs; /* ids start at 1 */
}

static uint64_t family_code(const char *fam) {
    /* Called for almost every record with one of a few static strings:
     * the last answer is kept (the model runs on one thread). */
    static const char *last;
    static uint64_t last_code;
    if (fam == last)
        return last_code;
    last = fam;
    uint64_t h = 0;
    for (; *fam; fam++)
        h = h * 31 + (unsigned char)*fam;
    return last_code = h & 0xffffff;
}

/* The live object of this family at this address, made on first use. */
static uint64_t obj_for(uint32_t proc, const char *fam, uint64_t addr, uint64_t ts,
                        uint32_t stack) {
    uint64_t key = (uint64_t)proc << 24 | family_code(fam), id = 0;
    if (map_get(&live, key, addr, &id) && id)
        return id;
    uint64_t gen = 0;
    map_get(&live, key ^ 0x8000000000000000u, addr, &gen);
    id = new_obj(proc, fam, addr, ts, stack);
    if (id) {
        objs[id - 1].generation = gen;
        map_put(&live, key, addr, id);
        map_put(&live, key ^ 0x8000000000000000u, addr, gen + 1);
    }
    return id;
}

static void obj_end(uint32_t proc, const char *fam, uint64_t addr, uint64_t ts, uint32_t stack) {
    uint64_t key = (uint64_t)proc << 24 | family_code(fam), id = 0;
    if (map_get(&live, key, addr, &id) && id) {
        objs[id - 1].destroyed = ts;
        objs[id - 1].destroy_stack = stack;
        map_put(&live, key, addr, 0);
        touch_obj(id);
    }
}

static struct thr *thread_of(struct proc *p, uint32_t proc, uint32_t tid, uint64_t ts) {
    if (tid == 0 || tid > p->max_tid)
        return NULL;
    struct thr *t = &p->thr[tid];
    if (!t->seen) {
        t->seen = 1;
        touch_thr(proc, tid);
        t->object = new_obj(proc, "thread", 0, ts, 0);
        if (t->object)
            objs[t->object - 1].thread = p->thread_base + tid;
    }
    return t;
}

static uint32_t tid_of_handle(struct proc *p, uint64_t handle) {
    uint64_t v = 0;
    return map_get(&p->handles, handle, 0, &v) ? (uint32_t)v : 0;
}

static void set_handle(struct proc *p, struct thr *t, uint32_t tid, uint64_t handle) {
    t->handle = handle;
    if (t->object) {
        objs[t->object - 1].address = handle;
        touch_obj(t->object);
    }
    map_put(&p->handles, handle, 0, tid);
}

/* Whether records of this kind are about an object of their family (not
 * the process, the log or a thread), from a table made once. */
static int object_family(unsigned kind) {
    static signed char is[WEFT_K_MAX];
    static int made;
    if (!made) {
        for (unsigned k = 0; k < WEFT_K_MAX; k++) {
            const char *f = weft_kind_family(k);
            is[k] = f && strcmp(f, "process") && strcmp(f, "log") && strcmp(f, "thread");
        }
        made = 1;
    }
    return kind < WEFT_K_MAX && is[kind];
}

/* A lock acquisition that did not wait (a lock's end with arg2 = 0, a
 * trylock) and succeeded carries its call site as a one-frame stack, but
 * only when the site differs from the thread's previous such record: the
 * shim leaves the stack out when it is the thread's last site again (a
 * lock in a loop: the stack word would make each lock record twice as
 * long). Each such record without a stack gets the stack of the last one
 * of its thread (and log) that had one, in time order, before anything
 * reads the stacks: last holds (log, thread) -> that stack, one entry per
 * thread. A record whose thread never had one (an older shim, no stacks)
 * stays without. Both passes over the records run it alike. */
static int fill_lock_site(struct map *last, uint32_t proc, struct weft_rec *r) {
    int site;
    switch (r->kind) {
    case WEFT_K_MUTEX_LOCK_END:
    case WEFT_K_RW_RDLOCK_END:
    case WEFT_K_RW_WRLOCK_END:
        site = r->arg == 0 && r->arg2 == 0;
        break;
    case WEFT_K_MUTEX_TRYLOCK:
    case WEFT_K_RW_TRYLOCK:
        site = r->arg == 0;
        break;
    default:
        site = 0;
    }
    if (!site)
        return 0;
    uint64_t v;
    if (r->stack)
        return map_put(last, proc, r->tid, r->stack);
    if (map_get(last, proc, r->tid, &v))
        r->stack = (uint32_t)v;
    return 0;
}

/* Pass 1 for one record: update the model; returns the objects.id the
 * event is about (0: none). */
static uint64_t model(uint32_t pi, const struct weft_rec *r) {
    struct proc *p = &procs[pi];
    struct thr *self = thread_of(p, pi, r->tid, r->ts);
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
            touch_thr(pi, r->tid);
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
            if (ROOM(forks, nforks, capforks, 64) != 0)
                return 0;
            forks[nforks++] = (struct forked){(int)r->arg, p->pid};
        }
        return 0;
    case WEFT_K_SPAWN:
        if (ROOM(spawns, nspawns, capspawns, 64) != 0)
            return 0;
        spawns[nspawns].pid = (int)r->arg;
        spawns[nspawns].ts = (int64_t)r->ts;
        payload(r, spawns[nspawns].path, sizeof spawns[nspawns].path);
        nspawns++;
        return 0;
    case WEFT_K_EXEC:
        /* before the call (arg 0), and again with -errno when it failed */
        if (r->arg == 0)
            payload(r, p->exec_path, sizeof p->exec_path);
        else
            p->exec_path[0] = 0;
        return 0;
    case WEFT_K_THREAD_ADOPT:
        if (self) {
            touch_thr(pi, r->tid);
            self->adopted = 1;
            self->internal = (int)r->aux; /* 2: the watchdog */
            self->os_tid = r->arg;
            if (!self->started)
                self->started = r->ts;
            set_handle(p, self, r->tid, r->obj);
            return self->object;
        }
        return 0;
    case WEFT_K_THREAD_CREATE:
        t = thread_of(p, pi, r->aux & WEFT_TID_MASK, r->ts);
        if (!t)
            return 0;
        t->via = (int)(r->aux >> 28) + 1;
        t->internal = r->aux >> 28 == WEFT_VIA_LIBWEFT;
        t->created = r->ts;
        t->parent = r->tid;
        t->start_routine = r->arg;
        t->arg = r->arg2;
        t->create_stack = r->stack;
        objs[t->object - 1].create_stack = r->stack;
        touch_thr(pi, r->aux & WEFT_TID_MASK);
        touch_obj(t->object);
        if (!t->started || t->started > r->ts)
            objs[t->object - 1].created = r->ts;
        set_handle(p, t, r->aux & WEFT_TID_MASK, r->obj);
        return t->object;
    case WEFT_K_THREAD_START:
        if (!self)
            return 0;
        touch_thr(pi, r->tid);
        self->started = r->ts;
        self->os_tid = r->arg;
        if (!self->parent)
            self->parent = (uint32_t)r->arg2;
        set_handle(p, self, r->tid, r->obj);
        return self->object;
    case WEFT_K_THREAD_RETURN:
    case WEFT_K_THREAD_EXIT:
    case WEFT_K_THREAD_CANCELED:
        if (!self)
            return 0;
        touch_thr(pi, r->tid);
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
        tt = tid_of_handle(p, r->obj);
        t = tt ? thread_of(p, pi, tt, r->ts) : NULL;
        if (!t)
            return 0;
        if (r->kind != WEFT_K_JOIN_BEGIN && r->kind != WEFT_K_CANCEL)
            touch_thr(pi, tt);
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
        uint64_t id = obj_for(pi, "fd", r->obj, r->ts, r->stack);
        static const char *how[] = {"?", "pipe", "pipe2", "socketpair", "eventfd"};
        if (id)
            objs[id - 1].info = how[r->aux < 5 ? r->aux : 0];
        touch_obj(id);
        return id;
    }
    case WEFT_K_FD_DUP: {
        obj_end(pi, "fd", r->obj, r->ts, r->stack); /* dup2 onto an open fd closes it */
        uint64_t id = obj_for(pi, "fd", r->obj, r->ts, r->stack);
        if (id)
            objs[id - 1].info = "dup";
        touch_obj(id);
        return id;
    }
    case WEFT_K_FD_CLOSE: {
        uint64_t id = obj_for(pi, "fd", r->obj, r->ts, r->stack);
        if ((int64_t)r->arg == 0)
            obj_end(pi, "fd", r->obj, r->ts, r->stack);
        return id;
    }
    case WEFT_K_DEADLOCK:
        p->exit_kind = "deadlock";
        p->has_code = 1;
        p->code = 2;
        p->finished = 1;
        return 0;
    case WEFT_K_GO:
        return 0;
    case WEFT_K_SELECT_BEGIN:
    case WEFT_K_SELECT_END:
        return r->obj ? obj_for(pi, "chan", r->obj, r->ts, 0) : 0;
    case WEFT_K_CTX_DONE_CHAN: {
        uint64_t id = obj_for(pi, "chan", r->obj, r->ts, r->stack);
        if (id)
            objs[id - 1].info = "ctx-done";
        touch_obj(id);
        return id;
    }
    case WEFT_K_TIMER_CHAN: {
        uint64_t id = obj_for(pi, "chan", r->obj, r->ts, r->stack);
        static const char *how[] = {"timer", "after", "timer", "ticker"};
        if (id)
            objs[id - 1].info = how[r->aux < 4 ? r->aux : 0];
        touch_obj(id);
        return id;
    }
    case WEFT_K_CHAN_FREE:
    case WEFT_K_CTX_FREE:
    case WEFT_K_GROUP_FREE:
    case WEFT_K_WSEM_FREE:
    case WEFT_K_LIMITER_FREE:
    case WEFT_K_FUTURE_FREE_END:
    case WEFT_K_MUTEX_DESTROY: {
        uint64_t id = obj_for(pi, fam, r->obj, r->ts, r->stack);
        obj_end(pi, fam, r->obj, r->ts, r->stack);
        return id;
    }
    default:
        if (object_family(r->kind))
            return obj_for(pi, fam, r->obj, r->ts, r->stack);
        return 0;
    }
}

/* ---- SQL ---- */
#define BATCH 50 /* events per INSERT statement */
#define NCOLS 14 /* columns of events */
static sqlite3 *db;

static int exec(const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        weft_err("database: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prep(const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        weft_err("database: %s", sqlite3_errmsg(db));
    return st;
}

static int step(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        weft_err("database: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

#define I64(st, i, v) sqlite3_bind_int64(st, i, (sqlite3_int64)(v))
#define OPT(st, i, v) ((v) ? I64(st, i, v) : sqlite3_bind_null(st, i))
static int TXT(sqlite3_stmt *st, int i, const char *s) {
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* Indexes over events cost more than loading them (about 1 us per row
 * each): only with --index. */
static const char events_index_sql[] = "CREATE INDEX events_thread ON events(thread, id);"
                                       "CREATE INDEX events_object ON events(object, id);";

static const char index_sql[] = "CREATE INDEX threads_pid ON threads(pid, tid);"
                                "CREATE INDEX threads_handle ON threads(pid, handle);"
                                "CREATE INDEX objects_addr ON objects(pid, kind, address);"
                                "CREATE INDEX modules_pid ON modules(pid);";

static int write_kinds(void) {
    sqlite3_stmt *st = prep("INSERT INTO kinds VALUES (?,?,?,?)");
    if (!st)
        return -1;
    for (unsigned k = 0; k < WEFT_K_MAX; k++) {
        if (!weft_kind_name(k))
            continue;
        I64(st, 1, k);
        TXT(st, 2, weft_kind_name(k));
        TXT(st, 3, weft_kind_family(k));
        I64(st, 4, weft_kind_blocking(k));
        if (step(st)) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

static void hex(char *out, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
}

/* One symbol table for the whole ingest: each module file is opened and
 * its DWARF read once, however many processes mapped it (symbolize.h). */
static struct weft_symtab *symtab;

/* Modules and stacks of process pi, symbolized with its module map. */
static int write_modules_stacks(uint32_t pi, uint64_t *nstacks) {
    struct proc *p = &procs[pi];
    sqlite3_stmt *sm = prep("INSERT INTO modules(pid,path,bias,lo,hi,build_id,seen_ns) "
                            "VALUES (?,?,?,?,?,?,?)");
    sqlite3_stmt *ss = prep("INSERT INTO stacks VALUES (?,?,?,?)");
    sqlite3_stmt *sf = prep("INSERT INTO frames VALUES (?,?,?,?,?,?,?,?)");
    int rc = -1;
    struct weft_symmap *sym = NULL;
    struct map seen = {0};
    char buf[4200], bid[200];
    /* the modules reported (MODULE records), for the symbolizer */
    const struct weft_rec **mods = NULL;
    size_t nmods = 0;
    if (!sm || !ss || !sf)
        goto out;
    mods = malloc((p->nmeta ? p->nmeta : 1) * sizeof *mods);
    if (!mods) {
        weft_err("out of memory");
        goto out;
    }
    for (size_t x = 0; x < p->nmeta; x++) {
        const struct weft_rec *r = &p->meta[x];
        if (r->kind != WEFT_K_MODULE)
            continue;
        size_t len = payload(r, buf, sizeof buf);
        uint32_t plen = r->aux < len ? r->aux : (uint32_t)len;
        buf[plen] = 0;
        uint64_t dummy;
        uint64_t ph = 0;
        for (uint32_t i = 0; i < plen; i++)
            ph = ph * 131 + (unsigned char)buf[i];
        if (map_get(&seen, r->obj, ph, &dummy))
            continue;
        map_put(&seen, r->obj, ph, 1);
        size_t blen = r->stack;
        if (blen > 64 || plen + 1 + blen > len)
            blen = 0;
        hex(bid, (const unsigned char *)buf + plen + 1, blen);
        I64(sm, 1, p->pid);
        TXT(sm, 2, buf);
        I64(sm, 3, r->obj);
        I64(sm, 4, r->arg);
        I64(sm, 5, r->arg2);
        TXT(sm, 6, blen ? bid : NULL);
        I64(sm, 7, r->ts);
        if (step(sm))
            goto out;
        mods[nmods++] = r;
    }
    /* The map was made as the MODULE records came (sym_module); a process
     * without any gets an empty one (its frames keep their pcs). */
    if (!p->sym && (!symtab && !(symtab = weft_symtab_new()))) {
        weft_err("out of memory");
        goto out;
    }
    if (!p->sym && !(p->sym = weft_symmap_new(symtab))) {
        weft_err("out of memory");
        goto out;
    }
    sym = p->sym;
    (void)nmods;
    for (size_t x = 0; x < p->nmeta; x++) {
        const struct weft_rec *r = &p->meta[x];
        if (r->kind != WEFT_K_STACK || r->obj == 0 || r->obj > p->max_stack)
            continue;
        uint64_t pcs[130];
        size_t len = payload(r, (char *)pcs, sizeof pcs);
        size_t depth = len / 8;
        if (depth > r->arg)
            depth = r->arg;
        uint64_t id = p->stack_base + r->obj;
        I64(ss, 1, id);
        I64(ss, 2, p->pid);
        I64(ss, 3, r->obj);
        I64(ss, 4, depth);
        if (sqlite3_step(ss) != SQLITE_DONE) {
            /* the same id twice: a corrupt but valid-looking log; keep the first */
            sqlite3_reset(ss);
            continue;
        }
        sqlite3_reset(ss);
        (*nstacks)++;
        for (size_t d = 0; d < depth; d++) {
            struct weft_frame_info fi;
            weft_symmap_lookup(sym, pcs[d], &fi);
            I64(sf, 1, id);
            I64(sf, 2, d);
            I64(sf, 3, pcs[d]);
            TXT(sf, 4, fi.module);
            if (fi.module)
                I64(sf, 5, fi.offset);
            TXT(sf, 6, fi.function);
            TXT(sf, 7, fi.file);
            if (fi.line)
                I64(sf, 8, fi.line);
            if (step(sf))
                goto out;
        }
    }
    rc = 0;
out:
    free(mods);
    free(seen.e);
    sqlite3_finalize(sm);
    sqlite3_finalize(ss);
    sqlite3_finalize(sf);
    return rc;
}

/* How a thread was made (threads.created_by), by struct thr's via. */
static const char *const via_name[] = {
    NULL, "pthread_create", "weft_go", "weft_group_go", "weft_future_start", "libweft"};

static const char *created_by(const struct thr *t) {
    return t->via > 0 && t->via < 6 ? via_name[t->via] : NULL;
}

/* The name of thread t's start function, or NULL. +1: the lookup takes
 * return addresses and steps back one byte. The symbol table keeps its
 * answers: thousands of threads of one start routine cost one lookup. */
static const char *start_function(const struct proc *p, const struct thr *t) {
    if (!t->start_routine || !p->sym)
        return NULL;
    struct weft_frame_info fi;
    weft_symmap_lookup(p->sym, t->start_routine + 1, &fi);
    return fi.function;
}

static int write_processes_threads(const struct weft_ingest_opts *opts, uint64_t *nthreads) {
    sqlite3_stmt *sp = prep("INSERT INTO processes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    sqlite3_stmt *st =
        prep("INSERT INTO threads VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int rc = -1;
    if (!sp || !st)
        goto out;
    for (int i = 0; i < nprocs; i++) {
        struct proc *p = &procs[i];
        /* The end of a process is its last image's. */
        struct proc *last = p;
        uint64_t events = 0, end_ns = 0, dropped = 0;
        int complete = 1, images = 0;
        for (int j = 0; j < nprocs; j++)
            if (procs[j].root == i) {
                events += procs[j].events;
                dropped += procs[j].log.hdr.dropped_events;
                complete &= procs[j].complete;
                images++;
                if (procs[j].end_ns > end_ns)
                    end_ns = procs[j].end_ns;
                if (procs[j].log.hdr.start_mono_ns > last->log.hdr.start_mono_ns)
                    last = &procs[j];
            }
        const char *kind = last->exit_kind;
        int has_code = last->has_code, code = last->code, sig = last->signal;
        if (p->root != i)
            goto threads;
        if (opts && opts->root_pid == p->pid) {
            /* weft run saw how it ended: that is the truth. */
            int ws = opts->root_status;
            if ((ws & 0x7f) == 0) {
                has_code = 1;
                code = (ws >> 8) & 0xff;
                sig = 0;
                if (!kind || !strcmp(kind, "signal"))
                    kind = "exit";
            } else {
                has_code = 0;
                sig = ws & 0x7f;
                kind = "signal";
            }
        }
        if (!kind)
            kind = last->finished ? "exit" : "unknown";
        I64(sp, 1, p->pid);
        I64(sp, 2, p->ppid);
        for (int j = 0; j < nprocs; j++)
            if (p->parent_tid && procs[j].pid == p->ppid && p->parent_tid <= procs[j].max_tid)
                I64(sp, 3, procs[j].thread_base + p->parent_tid);
        /* the image that ran last names the process (a shell's child that
         * exec'd xz is xz); every image is in `images` */
        TXT(sp, 4, last->argv_json[0] ? last->argv_json : "[]");
        TXT(sp, 5, last->exe[0] ? last->exe : NULL);
        I64(sp, 6, p->log.hdr.start_mono_ns);
        I64(sp, 7, p->log.hdr.start_real_ns);
        OPT(sp, 8, end_ns);
        TXT(sp, 9, kind);
        if (has_code)
            I64(sp, 10, code);
        if (!has_code && sig)
            I64(sp, 11, sig);
        I64(sp, 12, last->finished || (opts && opts->root_pid == p->pid));
        I64(sp, 13, events);
        I64(sp, 14, dropped);
        I64(sp, 15, p->log.hdr.stack_depth);
        TXT(sp, 16, last->path);
        I64(sp, 17, complete && !has_loss_of(p->pid));
        I64(sp, 18, images);
        if (step(sp))
            goto out;
    threads:
        for (uint32_t tid = 1; tid <= p->max_tid; tid++) {
            struct thr *t = &p->thr[tid];
            if (!t->seen)
                continue;
            (*nthreads)++;
            uint64_t gid = p->thread_base + tid;
            I64(st, 1, gid);
            I64(st, 2, p->pid);
            I64(st, 3, tid + p->tid_offset);
            OPT(st, 4, t->os_tid);
            OPT(st, 5, t->handle);
            TXT(st, 6, t->name[0] ? t->name : NULL);
            if (t->parent && t->parent <= p->max_tid)
                I64(st, 7, p->thread_base + t->parent);
            OPT(st, 8, t->start_routine);
            if (t->start_routine) {
                TXT(st, 9, start_function(p, t));
                I64(st, 10, t->arg);
            }
            OPT(st, 11, t->created);
            OPT(st, 12, t->started);
            OPT(st, 13, t->exited);
            TXT(st, 14, t->exit_kind);
            if (t->exit_kind)
                I64(st, 15, t->exit_value);
            OPT(st, 16, t->joined);
            if (t->joined_by)
                I64(st, 17, p->thread_base + t->joined_by);
            OPT(st, 18, t->detached);
            if (t->create_stack)
                I64(st, 19, p->stack_base + t->create_stack);
            if (t->exit_stack)
                I64(st, 20, p->stack_base + t->exit_stack);
            I64(st, 21, t->adopted);
            TXT(st, 22, created_by(t));
            I64(st, 23, t->internal);
            if (step(st))
                goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(sp);
    sqlite3_finalize(st);
    return rc;
}

/* One row of `images`; the empty strings and 0 stand for NULL. */
static int image_row(sqlite3_stmt *st, int64_t pid, int seq, const char *exe, const char *argv,
                     int64_t start_ns, int64_t end_ns, const char *exec_path, int untraced,
                     const char *log) {
    I64(st, 1, pid);
    I64(st, 2, seq);
    TXT(st, 3, exe && exe[0] ? exe : NULL);
    TXT(st, 4, argv && argv[0] ? argv : "[]");
    I64(st, 5, start_ns);
    OPT(st, 6, end_ns);
    TXT(st, 7, exec_path && exec_path[0] ? exec_path : NULL);
    I64(st, 8, untraced);
    TXT(st, 9, log);
    return step(st);
}

/* One row per image (log) of each process, in the order they ran. */
static int write_images(void) {
    sqlite3_stmt *st = prep("INSERT INTO images VALUES (?,?,?,?,?,?,?,?,?)");
    int rc = st ? 0 : -1;
    for (int i = 0; i < nprocs && !rc; i++) {
        struct proc *p = &procs[i];
        uint64_t t = p->log.hdr.start_mono_ns;
        int seq = 0, later = 0; /* later: an image after it, so its exec was traced */
        for (int j = 0; j < nprocs; j++)
            if (procs[j].pid == p->pid) {
                seq += procs[j].log.hdr.start_mono_ns < t;
                later |= procs[j].log.hdr.start_mono_ns > t;
            }
        rc = image_row(st, p->pid, seq, p->exe, p->argv_json, (int64_t)t, (int64_t)p->end_ns,
                       p->exec_path, p->exec_path[0] && !later, p->path);
    }
    /* A posix_spawn child with no log of its own ran untraced: a row
     * that says so (no process row: nothing of it was recorded). */
    for (size_t k = 0; k < nspawns && !rc; k++) {
        int have = 0;
        for (int j = 0; j < nprocs && !have; j++)
            have = procs[j].pid == spawns[k].pid;
        for (size_t m = 0; m < k && !have; m++)
            have = spawns[m].pid == spawns[k].pid;
        if (!have)
            rc = image_row(st, spawns[k].pid, 0, NULL, NULL, (int64_t)spawns[k].ts, 0,
                           spawns[k].path, 1, NULL);
    }
    sqlite3_finalize(st);
    return rc;
}

static int write_losses(void) {
    sqlite3_stmt *st = prep("INSERT INTO losses VALUES (?,?,?,?,?)");
    int rc = st ? 0 : -1;
    for (size_t i = 0; i < nlosses && !rc; i++) {
        OPT(st, 1, losses[i].pid);
        TXT(st, 2, losses[i].log);
        TXT(st, 3, losses[i].what);
        I64(st, 4, losses[i].count);
        TXT(st, 5, losses[i].detail);
        rc = step(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* One warning line per kind of loss (stderr), after the ingest. */
static void warn_losses(void) {
    static const char *const kinds[] = {"dropped-events", "bad-chunk",      "unwritten-chunk",
                                        "truncated",      "unreadable-log", "empty-log",
                                        "duplicate-log",  "missing-log",    "running"};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        uint64_t count = 0, rows = 0;
        const struct loss *first = NULL;
        for (size_t i = 0; i < nlosses; i++)
            if (!strcmp(losses[i].what, kinds[k])) {
                count += losses[i].count;
                rows++;
                if (!first)
                    first = &losses[i];
            }
        if (!first)
            continue;
        char more[64] = "";
        if (rows > 1)
            snprintf(more, sizeof more, " (and %llu more like it)", (unsigned long long)(rows - 1));
        switch (k) {
        case 0:
            if (rows == 1)
                weft_err("warning: trace incomplete: %s", first->detail);
            else
                weft_err("warning: trace incomplete: %llu events dropped in %llu processes "
                         "(their logs were full: raise WEFT_LOG_MB; or their disk was full)",
                         (unsigned long long)count, (unsigned long long)rows);
            break;
        case 1:
        case 2:
        case 3:
            weft_err("warning: trace incomplete: %llu chunk%s of records lost: %s%s",
                     (unsigned long long)count, count == 1 ? "" : "s", first->detail, more);
            break;
        case 7:
        case 8:
            weft_err("warning: trace incomplete: %s%s", first->detail, more);
            break;
        default:
            weft_err("warning: trace incomplete: %llu log%s left out: %s", (unsigned long long)rows,
                     rows == 1 ? "" : "s", first->detail);
            break;
        }
    }
}

static int write_objects(void) {
    sqlite3_stmt *so = prep("INSERT INTO objects VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    if (!so)
        return -1;
    for (size_t i = 0; i < nobjs; i++) {
        struct obj *o = &objs[i];
        struct proc *p = &procs[o->proc];
        I64(so, 1, i + 1);
        I64(so, 2, p->pid);
        TXT(so, 3, o->kind);
        I64(so, 4, o->address);
        I64(so, 5, o->generation);
        OPT(so, 6, o->created);
        if (o->create_stack)
            I64(so, 7, p->stack_base + o->create_stack);
        OPT(so, 8, o->destroyed);
        if (o->destroy_stack)
            I64(so, 9, p->stack_base + o->destroy_stack);
        OPT(so, 10, o->thread);
        TXT(so, 11, o->info);
        if (step(so)) {
            sqlite3_finalize(so);
            return -1;
        }
    }
    sqlite3_finalize(so);
    return 0;
}

/* The objects.id live now for a channel (or other family) address. */
static uint64_t live_obj(uint32_t proc, const char *fam, uint64_t addr) {
    uint64_t id = 0;
    map_get(&live, (uint64_t)proc << 24 | family_code(fam), addr, &id);
    return id;
}

/* The payloads some events carry: a select's cases, a deadlock's waits. */
static int has_extra(const struct weft_rec *r) {
    return r->dlen && (r->kind == WEFT_K_SELECT_BEGIN || r->kind == WEFT_K_SELECT_END ||
                       r->kind == WEFT_K_DEADLOCK);
}

static int q_push_item(const struct weft_trace_item *it);

static int write_extra(struct proc *p, uint32_t pi, const struct weft_rec *r, uint64_t id,
                       sqlite3_stmt *sc, sqlite3_stmt *sd) {
    if (!has_extra(r))
        return 0;
    uint64_t words[WEFT_LOG_MAX_DATA / 8 + 1];
    size_t n = payload(r, (char *)words, sizeof words) / 8;
    if (r->kind == WEFT_K_DEADLOCK) {
        for (size_t i = 0; i + 1 < n; i += 2) {
            uint32_t tid = (uint32_t)words[i];
            unsigned kind = (unsigned)(words[i] >> 32) & 0xffff;
            if (!tid || tid > p->max_tid)
                continue;
            const char *fam = weft_kind_family(kind);
            uint64_t o = 0;
            if (fam && !strcmp(fam, "thread")) { /* a join: the target thread */
                uint32_t tt = tid_of_handle(p, words[i + 1]);
                o = tt && tt <= p->max_tid ? p->thr[tt].object : 0;
            } else if (fam) {
                o = live_obj(pi, !strcmp(fam, "select") ? "chan" : fam, words[i + 1]);
            }
            I64(sd, 1, id);
            I64(sd, 2, p->thread_base + tid);
            TXT(sd, 3, weft_kind_name(kind) ? weft_kind_name(kind) : "?");
            I64(sd, 4, words[i + 1]);
            OPT(sd, 5, o);
            if (step(sd))
                return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t ch = words[i] & ~(uint64_t)3;
        uint64_t object = ch ? live_obj(pi, "chan", ch) : 0;
        I64(sc, 1, id);
        I64(sc, 2, i);
        I64(sc, 3, ch);
        TXT(sc, 4, (words[i] & 3) == 1 ? "send" : "recv");
        OPT(sc, 5, object);
        if (step(sc))
            return -1;
    }
    return 0;
}

/* The cases of a select record, for the hook (after write_extra, and
 * never while holding the connection: a full block waits for the hook). */
static int push_cases(uint32_t pi, const struct weft_rec *r, uint64_t id) {
    if (!has_extra(r) || r->kind == WEFT_K_DEADLOCK)
        return 0;
    uint64_t words[WEFT_LOG_MAX_DATA / 8 + 1];
    size_t n = payload(r, (char *)words, sizeof words) / 8;
    for (size_t i = 0; i < n; i++) {
        uint64_t ch = words[i] & ~(uint64_t)3;
        struct weft_trace_item it = {.type = WEFT_ITEM_CASE};
        it.u.sc = (struct weft_case_row){(int64_t)id, (int64_t)i,
                                         (int64_t)(ch ? live_obj(pi, "chan", ch) : 0),
                                         (words[i] & 3) == 1 ? 1 : 2};
        if (q_push_item(&it) != 0)
            return -1;
    }
    return 0;
}

static void cleanup(void) {
    for (int i = 0; i < nprocs; i++) {
        weft_slog_close(&procs[i].log);
        free(procs[i].thr);
        free(procs[i].handles.e);
        for (size_t x = 0; x < procs[i].nmeta; x++)
            free((void *)procs[i].meta[x].data);
        free(procs[i].meta);
        weft_symmap_free(procs[i].sym);
    }
    free(procs);
    weft_symtab_free(symtab);
    symtab = NULL;
    procs = NULL;
    nprocs = 0;
    free(objs);
    objs = NULL;
    nobjs = capobjs = 0;
    free(live.e);
    memset(&live, 0, sizeof live);
    free(losses);
    losses = NULL;
    nlosses = caplosses = 0;
    free(forks);
    forks = NULL;
    nforks = capforks = 0;
    free(spawns);
    spawns = NULL;
    nspawns = capspawns = 0;
}

/* The event of record r (of process pi) as stored in its events row. */
static void row_of(const struct weft_rec *r, uint32_t pi, uint64_t id, uint64_t object,
                   struct weft_trace_event *e) {
    const struct proc *p = &procs[pi];
    int hb = (r->fields & (WEFT_W_ACQ | WEFT_W_REL)) != 0;
    /* every field set (no memset: this runs for every event) */
    e->id = (int64_t)id;
    e->pid = p->pid;
    e->thread = (int64_t)(p->thread_base + r->tid);
    e->ts = (int64_t)r->ts;
    e->kind = r->kind;
    e->object = (int64_t)object;
    e->obj = (int64_t)r->obj;
    e->arg = (int64_t)r->arg;
    e->arg2 = (int64_t)r->arg2;
    e->stack = r->stack && r->stack <= p->max_stack ? (int64_t)(p->stack_base + r->stack) : 0;
    e->rel_once = (int)r->once;
    e->hb_obj = hb ? (int64_t)r->hbobj : 0;
    e->has_acq = hb && (r->fields & WEFT_W_ACQ);
    e->acq = e->has_acq ? (int64_t)r->acq : 0;
    e->has_rel = hb && (r->fields & WEFT_W_REL);
    e->rel = e->has_rel ? (int64_t)r->rel : 0;
}

/* ---- event_counts: high-volume events counted instead of a row each ----
 * A send or receive that completed without error and without waiting, or
 * after a wait shorter than --min-wait (a rendezvous that parked for a
 * few microseconds: the bulk of a busy channel's records), and libweft's
 * standalone happens-before annotations, are counted per (thread, object,
 * kind), with how many waited and for how long in all. Everything else
 * keeps its row: every begin, every longer wait (so blocking is visible
 * row by row), every error (send on closed), closes, selects, WaitGroups,
 * threads, locks. The detectors see every event anyway (from memory).
 * --all-events keeps a row for each. */
struct sum {
    int64_t pid, thread, object, obj, kind, count, first_ns, last_ns, first_id, last_id;
    int64_t waited, wait_ns, max_wait_ns;
};
static struct sum *sums;
static size_t nsums, capsums;
static struct map sum_idx; /* (thread << 8 | kind, object) -> 1 + index */

static int summed(const struct weft_rec *r) {
    return ((r->kind == WEFT_K_CHAN_SEND_END || r->kind == WEFT_K_CHAN_RECV_END) && r->arg == 0 &&
            r->arg2 == 0 && r->stack == 0) ||
           r->kind == WEFT_K_HB_RELEASE || r->kind == WEFT_K_HB_ACQUIRE;
}

/* Counts event e (they come in id order); wait_ns >= 0: it waited that
 * long, and stands for its begin too. */
static int sum_op(const struct weft_trace_event *e, int64_t wait_ns) {
    uint64_t key = (uint64_t)e->thread << 8 | (uint64_t)e->kind, v = 0;
    struct sum *x;
    if (map_get(&sum_idx, key, (uint64_t)e->object, &v)) {
        x = &sums[v - 1];
    } else {
        if (ROOM(sums, nsums, capsums, 64) != 0) {
            weft_err("out of memory");
            return -1;
        }
        x = &sums[nsums++];
        *x = (struct sum){e->pid, e->thread, e->object, e->obj, e->kind, 0, e->ts,
                          0,      e->id,     0,         0,      0,       0};
        if (map_put(&sum_idx, key, (uint64_t)e->object, nsums) != 0) {
            weft_err("out of memory");
            return -1;
        }
    }
    x->count++;
    x->last_ns = e->ts;
    x->last_id = e->id;
    if (wait_ns >= 0) {
        x->waited++;
        x->wait_ns += wait_ns;
        if (wait_ns > x->max_wait_ns)
            x->max_wait_ns = wait_ns;
    }
    return 0;
}

static int write_sums(void) {
    sqlite3_stmt *st = prep("INSERT INTO event_counts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int rc = st ? 0 : -1;
    for (size_t i = 0; i < nsums && !rc; i++) {
        struct sum *x = &sums[i];
        I64(st, 1, x->pid);
        I64(st, 2, x->thread);
        OPT(st, 3, x->object);
        I64(st, 4, x->obj);
        TXT(st, 5, weft_kind_name((unsigned)x->kind));
        I64(st, 6, x->count);
        I64(st, 7, x->first_ns);
        I64(st, 8, x->last_ns);
        I64(st, 9, x->first_id);
        I64(st, 10, x->last_id);
        I64(st, 11, x->waited);
        I64(st, 12, x->wait_ns);
        I64(st, 13, x->max_wait_ns);
        rc = step(st);
    }
    sqlite3_finalize(st);
    free(sums);
    sums = NULL;
    nsums = capsums = 0;
    free(sum_idx.e);
    memset(&sum_idx, 0, sizeof sum_idx);
    return rc;
}

/* ---- the detectors beside the load ----
 * The `loaded` hook runs on a thread of its own while write_events fills
 * the database: the two share the connection through this lock, each
 * side holding it only around its own SQLite calls. The hook needs the
 * database only before the stream (its set-up) and after it (its last
 * steps): the tables are all in by then, since the stream ends only once
 * they are written. */
static struct {
    pthread_mutex_t mu;
    int on; /* the hook's thread is running */
} guard = {PTHREAD_MUTEX_INITIALIZER, 0};

static void guard_enter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&guard.mu);
}

static void guard_leave(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&guard.mu);
}

static const struct weft_db_guard db_guard = {guard_enter, guard_leave, NULL};

/* The loader's side: hold the connection (a no-op without the hook). */
static void db_hold(void) {
    if (guard.on)
        pthread_mutex_lock(&guard.mu);
}

static void db_release(void) {
    if (guard.on)
        pthread_mutex_unlock(&guard.mu);
}

/* ---- the events handed to the hook ----
 * write_events makes every event once, in order, and hands them to the
 * hook's thread in blocks of QBLK through this queue. It holds at most
 * QMAX blocks: the loader waits when the hook is that far behind, so the
 * events in memory are bounded whatever the trace's length. Without a
 * thread for the hook (it runs after the load), the queue keeps every
 * block instead. Never published while the loader holds the connection:
 * a full queue waits for the hook, which may wait for the connection. */
#define QBLK 4096
#define QMAX 8
struct qblk {
    struct qblk *next;
    size_t n;
    struct weft_trace_item e[QBLK];
};
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct qblk *head, *tail; /* published, not yet taken */
    size_t count;             /* blocks published, not yet taken */
    struct qblk *fill;        /* the loader's block being filled */
    struct qblk *read;        /* the hook's block being read */
    size_t rpos;
    int ended, bounded;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, NULL, NULL, 0, 0, 0};

/* Publishes the block being filled (with every event's rows in). */
static void q_publish(void) {
    struct qblk *b = q.fill;
    q.fill = NULL;
    if (!b || !b->n) {
        free(b);
        return;
    }
    pthread_mutex_lock(&q.mu);
    while (q.bounded && q.count >= QMAX)
        pthread_cond_wait(&q.cv, &q.mu);
    b->next = NULL;
    if (q.tail)
        q.tail->next = b;
    else
        q.head = b;
    q.tail = b;
    q.count++;
    pthread_cond_broadcast(&q.cv);
    pthread_mutex_unlock(&q.mu);
}

/* One more item for the hook: 0, or -1 when out of memory. */
static int q_push_item(const struct weft_trace_item *it) {
    if (!q.fill) {
        q.fill = malloc(sizeof *q.fill);
        if (!q.fill)
            return -1;
        q.fill->n = 0;
    }
    q.fill->e[q.fill->n++] = *it;
    if (q.fill->n == QBLK)
        q_publish();
    return 0;
}

/* No more events. */
static void q_end(void) {
    q_publish();
    pthread_mutex_lock(&q.mu);
    q.ended = 1;
    pthread_cond_broadcast(&q.cv);
    pthread_mutex_unlock(&q.mu);
}

static int next_event(void *src, struct weft_trace_item *e) {
    (void)src;
    if (q.read && q.rpos == q.read->n) {
        free(q.read);
        q.read = NULL;
    }
    if (!q.read) {
        pthread_mutex_lock(&q.mu);
        while (!q.head && !q.ended)
            pthread_cond_wait(&q.cv, &q.mu);
        q.read = q.head;
        if (q.head) {
            q.head = q.head->next;
            if (!q.head)
                q.tail = NULL;
            q.count--;
            pthread_cond_broadcast(&q.cv);
        }
        pthread_mutex_unlock(&q.mu);
        q.rpos = 0;
        if (!q.read)
            return 0;
    }
    *e = q.read->e[q.rpos++];
    return 1;
}

static void q_free(void) {
    free(q.fill);
    free(q.read);
    while (q.head) {
        struct qblk *b = q.head;
        q.head = b->next;
        free(b);
    }
    q.tail = NULL;
    q.fill = q.read = NULL;
    q.count = q.rpos = 0;
    q.ended = q.bounded = 0;
}

struct hook_run {
    const struct weft_ingest_opts *o;
    int rc;
    pthread_t th;
};

static void *hook_main(void *arg) {
    struct hook_run *h = arg;
    h->rc = h->o->loaded(db, &db_guard, next_event, NULL, h->o->user);
    return NULL;
}

/* Starts the hook beside the load; without a thread, it runs at join. */
static void hook_start(struct hook_run *h, const struct weft_ingest_opts *o) {
    *h = (struct hook_run){.o = o};
    guard.on = pthread_create(&h->th, NULL, hook_main, h) == 0;
    q.bounded = guard.on;
}

static int hook_join(struct hook_run *h) {
    q_end();
    if (guard.on) {
        pthread_join(h->th, NULL);
        guard.on = 0;
    } else {
        hook_main(h);
    }
    return h->rc;
}

/* blocked_at_exit: per thread, its last blocking event when that is a
 * begin (write_events keeps them). */
static int write_blocked(const struct weft_trace_event *last, uint64_t nthr) {
    sqlite3_stmt *st = prep("INSERT INTO blocked_at_exit VALUES (?,?,?,?,?,?,?)");
    int rc = -1;
    if (!st)
        goto out;
    for (uint64_t t = 1; t <= nthr; t++) {
        const struct weft_trace_event *e = &last[t];
        if (!e->id || weft_kind_blocking((unsigned)e->kind) != 1)
            continue;
        I64(st, 1, t);
        I64(st, 2, e->pid);
        TXT(st, 3, weft_kind_name((unsigned)e->kind));
        I64(st, 4, e->obj);
        OPT(st, 5, e->object);
        OPT(st, 6, e->stack);
        I64(st, 7, e->id);
        if (step(st))
            goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static void bind_row(sqlite3_stmt *t, int o, const struct weft_trace_event *e, int64_t begin_ts) {
    I64(t, o + 1, e->id);
    I64(t, o + 2, e->pid);
    I64(t, o + 3, e->thread);
    I64(t, o + 4, e->ts);
    I64(t, o + 5, e->kind);
    OPT(t, o + 6, e->object);
    I64(t, o + 7, e->obj);
    I64(t, o + 8, e->arg);
    I64(t, o + 9, e->arg2);
    OPT(t, o + 10, e->stack);
    if (e->has_acq || e->has_rel) {
        I64(t, o + 11, e->hb_obj);
        if (e->has_acq)
            I64(t, o + 12, e->acq);
        else
            sqlite3_bind_null(t, o + 12);
        if (e->has_rel)
            I64(t, o + 13, e->rel);
        else
            sqlite3_bind_null(t, o + 13);
    } else {
        sqlite3_bind_null(t, o + 11);
        sqlite3_bind_null(t, o + 12);
        sqlite3_bind_null(t, o + 13);
    }
    OPT(t, o + 14, begin_ts);
}

/* ---- blocking calls: begin_ts, and channel begins folded into their end ----
 * Every end row of a blocking call carries the time of its begin. A send
 * or receive that had to wait was a begin row and an end row; without
 * --all-events it is one row, the end's, with the begin's time and stack
 * (a quarter of a busy channel program's rows). The begin keeps a row of
 * its own when no matching end follows on its thread: a thread blocked at
 * exit is seen waiting. Only channel begins fold: other begins carry
 * meaning of their own (a condvar wait releases its mutex, a select's
 * cases hang off its begin). Kinds pair as end = begin + 1 (log.h). */
struct open_call {
    int64_t ts;                  /* 0: none */
    int folded;                  /* 1: no row written yet */
    struct weft_trace_event row; /* the begin's row, when folded */
};

static int chan_begin(unsigned kind) {
    return kind == WEFT_K_CHAN_SEND_BEGIN || kind == WEFT_K_CHAN_RECV_BEGIN;
}

/* Rows go out BATCH per statement: SQLite's per-statement cost (step,
 * reset, VDBE setup) is most of a one-row insert. The tail of a batch
 * goes one row at a time. */
struct rows {
    sqlite3_stmt *one, *many;
    struct weft_trace_event e[BATCH];
    int64_t begin_ts[BATCH];
    int n;
    uint64_t count;
};

/* The first n rows held, one statement each. */
static int flush_rows(struct rows *w, int n) {
    int rc = 0;
    db_hold();
    for (int k = 0; k < n && !rc; k++) {
        bind_row(w->one, 0, &w->e[k], w->begin_ts[k]);
        rc = step(w->one);
    }
    db_release();
    return rc;
}

static int put_row(struct rows *w, const struct weft_trace_event *e, int64_t begin_ts) {
    w->count++;
    w->e[w->n] = *e;
    w->begin_ts[w->n] = begin_ts;
    if (++w->n < BATCH)
        return 0;
    w->n = 0;
    if (!w->many)
        return flush_rows(w, BATCH);
    db_hold();
    for (int k = 0; k < BATCH; k++)
        bind_row(w->many, k * NCOLS, &w->e[k], w->begin_ts[k]);
    int rc = sqlite3_step(w->many);
    sqlite3_reset(w->many);
    if (rc != SQLITE_DONE)
        weft_err("database: %s", sqlite3_errmsg(db));
    db_release();
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- mutex operations that carry no new happens-before edge ----
 * A mutex locked again, without waiting, by the thread that unlocked it
 * last acquires nothing it did not have: the mutex's clock is that
 * thread's own from its unlock (a mutex release replaces the clock). Such
 * a lock and the unlock before it are counted in event_counts, like the
 * channel operations above, instead of a row each (a lock in a loop is
 * most of a lock-heavy program's records). Whether an unlock carried an
 * edge is known only at the mutex's next acquisition, so each mutex's
 * last unlock waits here, one per live mutex: counted when its own thread
 * takes the mutex again, else written as a row with its own id. A
 * condition wait releases its mutex too. The detectors see every event
 * anyway (the hook's queue); --all-events keeps a row for each. */
struct mtx {
    int64_t releaser; /* thread of the last release (0: none seen) */
    int pending;      /* the last unlock has no row yet */
    struct weft_trace_event unlock;
};
struct mtxs {
    struct mtx *m;
    size_t n, cap;
    struct map idx; /* (process, address) -> 1 + index (0: destroyed) */
};

static struct mtx *mtx_of(struct mtxs *t, uint32_t pi, uint64_t addr, int add) {
    uint64_t v = 0;
    if (map_get(&t->idx, pi, addr, &v) && v)
        return &t->m[v - 1];
    if (!add || ROOM(t->m, t->n, t->cap, 64) != 0 || map_put(&t->idx, pi, addr, t->n + 1) != 0)
        return NULL;
    t->m[t->n] = (struct mtx){0};
    return &t->m[t->n++];
}

/* What write_events does with a mutex event e (record r) when it does
 * not keep every row: 1 when e is counted or deferred (no row now), 0
 * when it gets its row; a pending unlock it settles is counted or
 * written. *bad on a write or memory failure. */
static int mutex_op(struct mtxs *mx, struct rows *w, uint32_t pi, const struct weft_rec *r,
                    const struct weft_trace_event *e, int *bad) {
    struct mtx *m;
    uint64_t addr = r->obj;
    int acquire = 0;
    switch (r->kind) {
    case WEFT_K_MUTEX_UNLOCK:
        if (r->arg != 0 || !(m = mtx_of(mx, pi, addr, 1)))
            return 0; /* a failed unlock keeps its row (so does one out of memory) */
        if (m->pending)
            *bad = put_row(w, &m->unlock, 0);
        m->pending = 1;
        m->unlock = *e;
        m->releaser = e->thread;
        return 1;
    case WEFT_K_COND_WAIT_BEGIN: /* releases its mutex (arg) */
        addr = r->arg;
        if ((m = mtx_of(mx, pi, addr, 1)) != NULL) {
            if (m->pending)
                *bad = put_row(w, &m->unlock, 0);
            m->pending = 0;
            m->releaser = e->thread;
        }
        return 0;
    case WEFT_K_MUTEX_LOCK_END:
        acquire = r->arg == 0 && r->arg2 == 0;
        break;
    case WEFT_K_MUTEX_TRYLOCK:
        if (r->arg != 0)
            return 0; /* not taken: no acquisition */
        acquire = 1;
        break;
    case WEFT_K_COND_WAIT_END: /* takes its mutex (arg2) again */
        addr = r->arg2;
        break;
    case WEFT_K_MUTEX_DESTROY:
        break;
    default:
        return 0;
    }
    m = mtx_of(mx, pi, addr, 0);
    if (!m)
        return 0;
    if (acquire && m->releaser == e->thread) {
        /* taken again by its last releaser: no edge, lock and unlock counted */
        if (m->pending)
            *bad = sum_op(&m->unlock, -1);
        m->pending = 0;
        if (!*bad)
            *bad = sum_op(e, -1);
        return 1;
    }
    if (m->pending) /* another thread's acquisition: that unlock was an edge */
        *bad = put_row(w, &m->unlock, 0);
    m->pending = 0;
    if (r->kind == WEFT_K_MUTEX_DESTROY)
        map_put(&mx->idx, pi, addr, 0);
    return 0;
}

/* ---- the model's stream for the hook ----
 * Strings of the rows handed to the hook (thread names, start functions
 * not found) are copied into this arena, which only grows until the
 * ingest ends: the hook's thread reads them after the queue handed them
 * over, while this one goes on. */
struct arena_blk {
    struct arena_blk *next;
    size_t used;
    char buf[65536 - 2 * sizeof(void *)];
};
static struct arena_blk *arena;
static struct map interned; /* (hash, length) -> the string */

static const char *intern(const char *str) {
    size_t len = strlen(str);
    uint64_t h = 0x811c9dc5u, v;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)str[i]) * 0x100000001b3u;
    if (map_get(&interned, h, len, &v) && !strcmp((const char *)(uintptr_t)v, str))
        return (const char *)(uintptr_t)v;
    if (len + 1 > sizeof arena->buf)
        len = sizeof arena->buf - 1;
    if (!arena || arena->used + len + 1 > sizeof arena->buf) {
        struct arena_blk *b = malloc(sizeof *b);
        if (!b)
            return NULL;
        b->next = arena;
        b->used = 0;
        arena = b;
    }
    char *out = arena->buf + arena->used;
    memcpy(out, str, len);
    out[len] = 0;
    arena->used += len + 1;
    map_put(&interned, h, len, (uint64_t)(uintptr_t)out);
    return out;
}

static void arena_free(void) {
    while (arena) {
        struct arena_blk *b = arena->next;
        free(arena);
        arena = b;
    }
    free(interned.e);
    memset(&interned, 0, sizeof interned);
}

/* The module map of process pi grows with its MODULE records, as they
 * come: a start routine is named with the modules loaded before it ran. */
static int sym_module(uint32_t pi, const struct weft_rec *r) {
    struct proc *p = &procs[pi];
    if (!symtab && !(symtab = weft_symtab_new()))
        return -1;
    if (!p->sym && !(p->sym = weft_symmap_new(symtab)))
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

/* The name of thread t's start function as the detectors print it. */
static const char *start_name(struct proc *p, const struct thr *t, uint32_t tid) {
    if (t->adopted)
        return tid + p->tid_offset == 1 ? "main" : "(adopted)";
    const char *fn = start_function(p, t);
    if (fn)
        return fn; /* lives as long as the symbol table */
    char hexs[32];
    snprintf(hexs, sizeof hexs, "0x%llx", (unsigned long long)t->start_routine);
    return intern(hexs);
}

/* The items of the threads and objects the last record touched. */
static int push_touched(void) {
    for (int i = 0; i < touched.nthr; i++) {
        struct proc *p = &procs[touched.proc[i]];
        uint32_t tid = touched.tid[i];
        if (tid == 0 || tid > p->max_tid)
            continue;
        const struct thr *t = &p->thr[tid];
        struct weft_trace_item it = {.type = WEFT_ITEM_THREAD};
        struct weft_thread_row *row = &it.u.th;
        row->id = (int64_t)(p->thread_base + tid);
        row->pid = p->pid;
        row->tid = tid + p->tid_offset;
        row->parent =
            t->parent && t->parent <= p->max_tid ? (int64_t)(p->thread_base + t->parent) : 0;
        row->created_ns = (int64_t)t->created;
        row->joined = t->joined != 0;
        row->joined_ns = (int64_t)t->joined;
        row->joined_by = t->joined_by ? (int64_t)(p->thread_base + t->joined_by) : 0;
        row->create_stack = t->create_stack ? (int64_t)(p->stack_base + t->create_stack) : 0;
        row->exit_stack = t->exit_stack ? (int64_t)(p->stack_base + t->exit_stack) : 0;
        row->arg = t->start_routine ? (int64_t)t->arg : 0;
        row->adopted = t->adopted;
        row->internal = t->internal;
        row->detached = t->detached != 0;
        row->exit_kind = t->exit_kind;
        row->start = start_name(p, t, tid);
        row->name = t->name[0] ? intern(t->name) : NULL;
        row->created_by = created_by(t);
        if (q_push_item(&it) != 0)
            return -1;
    }
    for (int i = 0; i < touched.nobj; i++) {
        uint64_t id = touched.obj[i];
        if (!id || id > nobjs)
            continue;
        const struct obj *o = &objs[id - 1];
        const struct proc *p = &procs[o->proc];
        struct weft_trace_item it = {.type = WEFT_ITEM_OBJECT};
        it.u.ob = (struct weft_object_row){
            (int64_t)id,
            p->pid,
            (int64_t)o->address,
            o->create_stack ? (int64_t)(p->stack_base + o->create_stack) : 0,
            o->destroy_stack ? (int64_t)(p->stack_base + o->destroy_stack) : 0,
            o->kind,
            o->info};
        if (q_push_item(&it) != 0)
            return -1;
    }
    return 0;
}

/* The other thread of a thread event (weft_trace_event.peer). */
static int64_t peer_of(uint32_t pi, const struct weft_rec *r) {
    struct proc *p = &procs[pi];
    uint32_t tt = 0;
    if (r->kind == WEFT_K_THREAD_CREATE)
        tt = (uint32_t)(r->aux & WEFT_TID_MASK);
    else if ((r->kind == WEFT_K_JOIN_END || r->kind == WEFT_K_TRYJOIN) && r->arg == 0)
        tt = tid_of_handle(p, r->obj);
    return tt && tt <= p->max_tid ? (int64_t)(p->thread_base + tt) : 0;
}

/* The one pass: every record in global order (m) into the model
 * (processes, threads, objects; MODULE and STACK records kept per
 * process), then into the events table (with the folding above), the
 * counts of the counted events, the rows hanging off events
 * (select_cases, deadlock_waits) and blocked_at_exit; with a hook, every
 * event goes to its queue too, after the rows of what it changed. */
static int write_events(const struct weft_ingest_opts *opts, struct weft_merge *m, int hooked,
                        struct weft_ingest_stats *stats) {
    struct rows w = {0};
    sqlite3_stmt *sc = NULL, *sd = NULL;
    struct open_call *open = NULL;
    struct weft_trace_event *last = NULL; /* per thread: its last blocking event */
    struct map sites = {0};
    struct mtxs mx = {0};
    int bad = -1;
    uint64_t nthr = 0;
    for (int i = 0; i < nprocs; i++)
        nthr += procs[i].max_tid;
    open = calloc(nthr + 1, sizeof *open);
    last = calloc(nthr + 1, sizeof *last);
    char *multi = malloc(BATCH * 34 + 64);
    if (!open || !last || !multi) {
        weft_err("out of memory");
        goto out;
    }
    strcpy(multi, "INSERT INTO events VALUES ");
    for (int b = 0; b < BATCH; b++)
        strcat(multi, b ? ",(?,?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    db_hold();
    w.one = prep("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    sc = prep("INSERT INTO select_cases VALUES (?,?,?,?,?)");
    sd = prep("INSERT INTO deadlock_waits VALUES (?,?,?,?,?)");
    w.many = prep(multi);
    db_release();
    if (!w.one || !sc || !sd)
        goto out;
    uint64_t id = 0;
    int all = opts && opts->all_events;
    int64_t min_wait = opts ? opts->min_wait_ns : 0;
    bad = 0;
    struct weft_rec rec;
    uint32_t pi;
    int got;
    while (!bad && (got = weft_merge_next(m, &rec, &pi)) == 1) {
        const struct weft_rec *r = &rec;
        if (r->kind == WEFT_K_STACK || r->kind == WEFT_K_MODULE) {
            if (add_meta(&procs[pi], r) != 0 ||
                (r->kind == WEFT_K_MODULE && sym_module(pi, r) != 0)) {
                weft_err("out of memory");
                bad = -1;
            }
            continue;
        }
        if (fill_lock_site(&sites, pi, &rec) != 0) {
            weft_err("out of memory for the lock sites");
            bad = -1;
            break;
        }
        touched.nthr = touched.nobj = 0;
        uint64_t object = model(pi, r);
        if (hooked && push_touched() != 0) {
            weft_err("out of memory");
            bad = -1;
            break;
        }
        ++id; /* every event has its id, also one counted or folded */
        uint64_t t = procs[pi].thread_base + r->tid;
        struct open_call *oc = t <= nthr ? &open[t] : NULL;
        int blk = weft_kind_blocking(r->kind);
        int sum = !all && summed(r);
        int64_t begin_ts = 0, begin_stack = 0, short_wait = -1;
        struct weft_trace_event e;
        row_of(r, pi, id, object, &e);
        e.peer = peer_of(pi, r);
        if (blk && t <= nthr)
            last[t] = e;
        if (oc && (blk == 1 || blk == 2) && oc->folded) {
            /* This ends the folded begin, or the begin gets its own row. */
            const struct weft_trace_event *be = &oc->row;
            oc->folded = 0;
            if (blk == 2 && !sum && r->kind == (uint64_t)be->kind + 1u &&
                (int64_t)r->obj == be->obj) {
                begin_stack = be->stack;
                /* a short wait that ended well: counted, begin and end */
                int64_t waited = (int64_t)r->ts - be->ts;
                if (r->arg == 0 && waited < min_wait)
                    short_wait = waited > 0 ? waited : 0;
            } else if ((bad = put_row(&w, be, 0)) != 0) {
                break;
            }
        }
        if (oc && blk == 2) {
            begin_ts = oc->ts;
            oc->ts = 0;
        }
        if (!all && !sum && short_wait < 0 && mutex_op(&mx, &w, pi, r, &e, &bad)) {
            if (bad)
                break;
            goto next;
        }
        if (bad)
            break;
        if (sum || short_wait >= 0) {
            bad = sum_op(&e, short_wait);
            goto next;
        }
        {
            struct weft_trace_event row = e;
            if (!row.stack)
                row.stack = begin_stack;
            if (oc && blk == 1) {
                oc->ts = (int64_t)r->ts;
                oc->folded = 0;
                if (!all && chan_begin(r->kind)) {
                    oc->folded = 1;
                    oc->row = row;
                    goto next;
                }
            }
            bad = put_row(&w, &row, begin_ts);
            if (!bad && has_extra(r)) {
                db_hold();
                bad = write_extra(&procs[pi], pi, r, id, sc, sd);
                db_release();
                if (!bad && hooked)
                    bad = push_cases(pi, r, id);
            }
        }
    next:
        if (!bad && hooked) {
            struct weft_trace_item it = {.type = WEFT_ITEM_EVENT};
            it.u.ev = e;
            if (q_push_item(&it) != 0) {
                weft_err("out of memory");
                bad = -1;
            }
        }
    }
    if (!bad && got < 0) {
        weft_err("%s", weft_merge_err(m));
        bad = -1;
    }
    /* Begins that never ended: their threads were blocked at exit. */
    for (uint64_t t = 1; t <= nthr && !bad; t++)
        if (open[t].folded)
            bad = put_row(&w, &open[t].row, 0);
    /* Unlocks no one acquired after: rows. */
    for (size_t k = 0; k < mx.n && !bad; k++)
        if (mx.m[k].pending)
            bad = put_row(&w, &mx.m[k].unlock, 0);
    bad = bad || flush_rows(&w, w.n);
    if (!bad) {
        db_hold();
        bad = write_blocked(last, nthr);
        db_release();
    }
    if (!bad && stats) {
        stats->events = id;
        stats->rows = w.count;
    }
out:
    free(multi);
    free(open);
    free(last);
    free(sites.e);
    free(mx.m);
    free(mx.idx.e);
    db_hold();
    sqlite3_finalize(w.one);
    sqlite3_finalize(w.many);
    sqlite3_finalize(sc);
    sqlite3_finalize(sd);
    db_release();
    return bad ? -1 : 0;
}

int weft_ingest(char *const *logs, int nlogs, const char *db_path,
                const struct weft_ingest_opts *opts, struct weft_ingest_stats *stats) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct weft_merge *merge = NULL;
    struct weft_slog **slogs = NULL;
    uint32_t *rank = NULL;
    int64_t *pids = NULL;
    char tmp[4200];
    int rc = -1;
    db = NULL;
    tmp[0] = 0;
    procs = calloc((size_t)nlogs, sizeof *procs);
    if (!procs) {
        weft_err("out of memory");
        return -1;
    }
    uint64_t tbase = 0, sbase = 0;
    nprocs = 0;
    /* Every log that can be read is kept; what cannot is a loss, counted
     * and reported, never a reason to throw the others away. */
    for (int i = 0; i < nlogs; i++) {
        struct proc *p = &procs[nprocs];
        if (i == 0)
            phase(NULL);
        if (weft_slog_open(&p->log, logs[i]) != 0) {
            /* an all-zero or empty file: a process killed (or out of memory
             * or disk) before it could write its log's header */
            int empty = strstr(p->log.err, "never written") || strstr(p->log.err, "too short");
            int lpid = pid_of_name(logs[i]);
            /* or one still making it: a fork child or an exec'd image that
             * was starting while weft run's program ended (begun before the
             * ingest: no later than now) */
            if (empty && lpid > 0 && still_running_since(lpid, 0, mono_now()))
                add_loss(lpid, logs[i], "running", 1,
                         "process %d was still running when the trace was read (a daemon, or a "
                         "child that outlived the program): its trace stops there",
                         lpid);
            else
                add_loss(lpid, logs[i], empty ? "empty-log" : "unreadable-log", 1, "%s",
                         p->log.err);
            continue;
        }
        int dup = 0;
        for (int j = 0; j < nprocs && !dup; j++)
            dup = procs[j].log.hdr.pid == p->log.hdr.pid &&
                  procs[j].log.hdr.start_mono_ns == p->log.hdr.start_mono_ns;
        if (dup) {
            add_loss(p->log.hdr.pid, logs[i], "duplicate-log", 1,
                     "%s: process %d appears in two logs: this one is left out", logs[i],
                     p->log.hdr.pid);
            weft_slog_close(&p->log);
            continue;
        }
        nprocs++;
        p->path = logs[i];
        p->pid = p->log.hdr.pid;
        p->ppid = p->log.hdr.ppid;
        p->parent_tid = p->log.hdr.parent_tid;
        /* The header's counters size per-process arrays, but a damaged
         * header could claim billions: a thread or stack that matters is
         * named by a record (its own, its creator's, its STACK record), so
         * no more of them than records (and chunk owners) can matter. A
         * record naming one above this is out of range like any other. */
        uint64_t named = p->log.nevents + p->log.nchunks + 1;
        p->max_tid = p->log.hdr.next_tid < named ? p->log.hdr.next_tid : (uint32_t)named;
        p->max_stack = p->log.hdr.next_stack < named ? p->log.hdr.next_stack : (uint32_t)named;
        p->thread_base = tbase;
        p->stack_base = sbase;
        tbase += p->max_tid;
        sbase += p->max_stack;
        p->thr = calloc((size_t)p->max_tid + 1, sizeof *p->thr);
        if (!p->thr) {
            weft_err("out of memory");
            goto out;
        }
        const struct weft_slog *l = &p->log;
        p->complete = 1;
        if (l->hdr.dropped_events) {
            add_loss(p->pid, p->path, "dropped-events", l->hdr.dropped_events,
                     "%llu events dropped in process %d (its log was full: raise WEFT_LOG_MB; "
                     "or its disk was full)",
                     (unsigned long long)l->hdr.dropped_events, p->pid);
            p->complete = 0;
        }
        if (l->bad_chunks) {
            add_loss(p->pid, p->path, "bad-chunk", l->bad_chunks, "%s", l->chunk_err);
            p->complete = 0;
        }
        if (l->unwritten_chunks) {
            add_loss(p->pid, p->path, "unwritten-chunk", l->unwritten_chunks,
                     "%s: %llu chunks were claimed but never written (the process was killed "
                     "as it began one, or a hole: was the disk full?)",
                     p->path, (unsigned long long)l->unwritten_chunks);
            p->complete = 0;
        }
        if (l->missing_chunks) {
            add_loss(p->pid, p->path, "truncated", l->missing_chunks,
                     "%s: the file ends %llu chunks before the last one claimed", p->path,
                     (unsigned long long)l->missing_chunks);
            p->complete = 0;
        }
    }
    /* A process still running (the last image of its pid has no end yet,
     * and the pid is alive, a daemon for instance): its trace stops here,
     * and a chunk it claimed but has not filled yet is not lost. */
    for (int i = 0; i < nprocs; i++) {
        struct proc *p = &procs[i];
        int later = 0;
        for (int j = 0; j < nprocs && !later; j++)
            later = j != i && procs[j].pid == p->pid &&
                    procs[j].log.hdr.start_mono_ns > p->log.hdr.start_mono_ns;
        if (later || (p->log.hdr.flags & WEFT_LOG_F_FINISHED) ||
            !still_running(p->pid, p->log.hdr.start_mono_ns))
            continue;
        size_t k = 0;
        for (size_t m = 0; m < nlosses; m++) {
            if (losses[m].log == p->path && !strcmp(losses[m].what, "unwritten-chunk"))
                continue;
            losses[k++] = losses[m];
        }
        nlosses = k;
        add_loss(p->pid, p->path, "running", 1,
                 "process %d was still running when the trace was read (a daemon, or a child "
                 "that outlived the program): its trace stops there",
                 p->pid);
        p->complete = 0;
    }
    if (nprocs == 0) {
        /* nothing at all: no database (the caller says the trace is lost) */
        if (nlosses)
            weft_err("no readable log: %s%s", losses[0].detail,
                     nlosses > 1 ? " (and the other logs too)" : "");
        else
            weft_err("no log to ingest");
        rc = 1;
        goto out;
    }
    /* Logs of one pid are successive images (exec): order them by start. */
    for (int i = 0; i < nprocs; i++) {
        struct proc *p = &procs[i];
        p->root = i;
        for (int j = 0; j < nprocs; j++) {
            struct proc *o = &procs[j];
            if (j == i || o->pid != p->pid)
                continue;
            if (o->log.hdr.start_mono_ns < p->log.hdr.start_mono_ns) {
                p->tid_offset += o->max_tid;
                if (o->log.hdr.start_mono_ns < procs[p->root].log.hdr.start_mono_ns || p->root == i)
                    p->root = j;
            }
        }
    }
    /* One pass over the records in global order: time, then the
     * process's rank by pid, then the thread. */
    size_t np = (size_t)(nprocs > 0 ? nprocs : 1);
    slogs = malloc(np * sizeof *slogs);
    rank = calloc(np, sizeof *rank);
    pids = calloc(np, sizeof *pids);
    if (!slogs || !rank || !pids) {
        weft_err("out of memory");
        goto out;
    }
    int nroots = 0;
    uint32_t nthr = 0;
    for (int i = 0; i < nprocs; i++) {
        slogs[i] = &procs[i].log;
        for (int j = 0; j < nprocs; j++)
            rank[i] += procs[j].pid < procs[i].pid;
        if (procs[i].root == i)
            pids[nroots++] = procs[i].pid;
        nthr += procs[i].max_tid;
    }
    phase("read");
    /* Two threads share one connection (the detectors beside the load),
     * never at once (the guard above): SQLite's own mutexes are not needed
     * for that, nor memory statistics. */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", db_path, (int)getpid());
    unlink(tmp);
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        weft_err("cannot create %s: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    /* The page cache bounds the ingest's memory as much as anything: 64
     * MiB holds the tables being appended to and the small ones. */
    if (exec("PRAGMA page_size=65536; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
             "PRAGMA locking_mode=EXCLUSIVE;"
             "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;") ||
        exec(weft__schema_sql) || exec("BEGIN"))
        goto out;
    {
        sqlite3_stmt *sm = prep("INSERT INTO meta VALUES (?,?)");
        if (!sm)
            goto out;
        TXT(sm, 1, "weft_version");
        TXT(sm, 2, WEFT_VERSION);
        step(sm);
        TXT(sm, 1, "log_format");
        I64(sm, 2, WEFT_LOG_VERSION);
        step(sm);
        /* 0: plain channel operations and hb annotations are in event_counts. */
        TXT(sm, 1, "all_events");
        I64(sm, 2, opts && opts->all_events);
        step(sm);
        /* waits shorter than this were counted in event_counts */
        TXT(sm, 1, "min_wait_ns");
        I64(sm, 2, opts && !opts->all_events ? opts->min_wait_ns : 0);
        step(sm);
        /* whether an exec'd program could have been traced (the notes) */
        int children = opts && opts->trace_children;
        for (int i = 0; i < nprocs; i++)
            children |= procs[i].root != i;
        TXT(sm, 1, "trace_children");
        I64(sm, 2, children);
        step(sm);
        sqlite3_finalize(sm);
    }
    uint64_t nstacks = 0, nthreads = 0;
    {
        struct hook_run hook;
        int hooked = opts && opts->loaded, bad = 0;
        merge = weft_merge_new(slogs, rank, nprocs);
        if (!merge) {
            weft_err("out of memory");
            goto out;
        }
        if (hooked) {
            hook_start(&hook, opts);
            struct weft_trace_item it = {.type = WEFT_ITEM_SHAPE};
            it.u.shape = (struct weft_trace_shape){nthr, nroots, pids};
            bad = q_push_item(&it);
        }
        bad = bad || write_events(opts, merge, hooked, stats);
        phase("events");
        /* A child forked by a traced process has a log (the fork handler
         * made it) unless it died or failed before: say so (not when each
         * child makes a database of its own). */
        uint64_t first_start = UINT64_MAX;
        for (int j = 0; j < nprocs; j++)
            if (procs[j].log.hdr.start_mono_ns < first_start)
                first_start = procs[j].log.hdr.start_mono_ns;
        for (size_t f = 0; f < nforks && !(opts && opts->children_apart); f++) {
            int have = has_loss_of(forks[f].pid);
            for (int j = 0; j < nprocs && !have; j++)
                have = procs[j].pid == forks[f].pid;
            /* a child that has not made its log yet, still running */
            if (!have && still_running_since(forks[f].pid, first_start, mono_now()))
                add_loss(forks[f].pid, NULL, "running", 1,
                         "process %d was still running when the trace was read (a daemon, or a "
                         "child that outlived the program): its trace stops there",
                         forks[f].pid);
            else if (!have)
                add_loss(forks[f].pid, NULL, "missing-log", 1,
                         "process %d forked process %d, which left no log", forks[f].parent,
                         forks[f].pid);
        }
        /* The tables the model made, in before the stream ends: the
         * detectors' last steps read them. */
        db_hold();
        bad = bad || write_kinds();
        for (int i = 0; i < nprocs && !bad; i++)
            bad = write_modules_stacks((uint32_t)i, &nstacks);
        bad = bad || write_processes_threads(opts, &nthreads) || write_objects() ||
              write_images() || write_losses() || write_sums();
        db_release();
        phase("tables");
        if (hooked && hook_join(&hook))
            bad = 1;
        phase("detect");
        if (bad || exec("COMMIT"))
            goto out;
    }
    if (exec(index_sql) || (opts && opts->index && exec(events_index_sql)) ||
        exec("PRAGMA journal_mode=DELETE"))
        goto out;
    phase("indexes");
    if (sqlite3_close(db) != SQLITE_OK) {
        weft_err("cannot write %s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    db = NULL;
    if (rename(tmp, db_path) != 0) {
        weft_err("cannot write %s: %s", db_path, strerror(errno));
        goto out;
    }
    tmp[0] = 0;
    if (stats) {
        stats->threads = nthreads;
        stats->processes = 0; /* processes, not images: an exec'd image is the same one */
        for (int i = 0; i < nprocs; i++)
            stats->processes += procs[i].root == i;
        stats->stacks = nstacks;
        stats->losses = nlosses;
    }
    warn_losses();
    rc = 0;
out:
    if (db)
        sqlite3_close(db);
    db = NULL;
    if (tmp[0])
        unlink(tmp);
    weft_merge_free(merge);
    free(slogs);
    free(rank);
    free(pids);
    q_free();
    arena_free();
    cleanup();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stats)
        stats->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
