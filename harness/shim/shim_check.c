/* SPDX-License-Identifier: MIT */
/* shim_check.c: what <weft/check.h> (runtime/check.c) asks the recorder
 * about a thread it found alive: is it one of the recorder's or libweft's
 * own threads, and, for the report of a leak, how it was created and what
 * it is blocked on.
 *
 * The shim keeps no per-thread table besides its raw log, and the log is
 * mapped in this very process: we read it in place. Its mapping is found
 * through /proc/self/maps (a regular file, mapped shared from offset 0,
 * whose header has our magic and our pid), so nothing of log_writer.c's
 * private state is needed. Records are read as a reader of a live log
 * does: each chunk up to its committed count (acquire).
 *
 * The one exported name, weft__check_describe, is looked up by check.c
 * with dlsym: libweft does not depend on the shim. It takes no lock and
 * calls no malloc (raw /proc reads into stack buffers; dladdr for the
 * names; an anonymous mapping for a staging slot's copy), and marks the
 * caller in_shim so that nothing it calls is recorded. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* ---- the log, read in place ---- */

struct logv {
    const char *hdrp;
    const char *base; /* chunk 0 */
    uint64_t nchunks;
    uint64_t room; /* chunks the mapping holds, the staging slots' included */
};

static int parse_hex(const char **s, uint64_t *v) {
    uint64_t x = 0;
    int n = 0;
    for (;; (*s)++, n++) {
        char c = **s;
        if (c >= '0' && c <= '9')
            x = x * 16 + (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x = x * 16 + (uint64_t)(c - 'a' + 10);
        else
            break;
    }
    *v = x;
    return n > 0;
}

/* One line of /proc/self/maps: "lo-hi perms offset dev inode   path". */
static int try_line(const char *line, struct logv *lv) {
    const char *s = line;
    uint64_t lo, hi, off;
    if (!parse_hex(&s, &lo) || *s++ != '-' || !parse_hex(&s, &hi) || *s++ != ' ')
        return 0;
    if (s[0] != 'r' || s[3] != 's') /* readable, shared */
        return 0;
    s += 4;
    if (*s++ != ' ' || !parse_hex(&s, &off) || off != 0)
        return 0;
    const char *path = strchr(s, '/');
    if (!path || hi - lo < WEFT_LOG_HEADER_SIZE)
        return 0;
    /* Touch the pages only if the file covers them (no SIGBUS). A log
     * deleted while mapped is reached through map_files. */
    struct stat st;
    int ok = stat(path, &st) == 0;
    if (!ok) {
        char mf[80];
        snprintf(mf, sizeof mf, "/proc/self/map_files/%llx-%llx", (unsigned long long)lo,
                 (unsigned long long)hi);
        int fd = open(mf, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ok = fstat(fd, &st) == 0;
            close(fd);
        }
    }
    if (!ok || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < hi - lo)
        return 0;
    const struct weft_log_header *h = (const struct weft_log_header *)(uintptr_t)lo;
    if (memcmp(h->magic, WEFT_LOG_MAGIC, 8) != 0 || h->version != WEFT_LOG_VERSION ||
        h->header_size != WEFT_LOG_HEADER_SIZE || h->chunk_size != WEFT_LOG_CHUNK_SIZE ||
        h->word_size != WEFT_LOG_WORD || h->pid != (int32_t)getpid())
        return 0;
    uint64_t room = (hi - lo - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
    uint64_t n = __atomic_load_n(&h->chunks_claimed, __ATOMIC_ACQUIRE);
    if (n > h->capacity_chunks)
        n = h->capacity_chunks;
    if (n > room)
        n = room;
    lv->hdrp = (const char *)h;
    lv->base = (const char *)h + WEFT_LOG_HEADER_SIZE;
    lv->nchunks = n;
    lv->room = room;
    return 1;
}

static int find_log(struct logv *lv) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[8192];
    size_t have = 0;
    int found = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
        if (r <= 0)
            break;
        have += (size_t)r;
        buf[have] = 0;
        char *line = buf;
        char *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = 0;
            if (!found && try_line(line, lv))
                found = 1;
            line = nl + 1;
        }
        size_t rest = have - (size_t)(line - buf);
        if (rest == sizeof buf - 1) /* a line longer than the buffer: drop it */
            rest = 0;
        memmove(buf, line, rest);
        have = rest;
    }
    close(fd);
    return found;
}

static const uint8_t phase_of[256] = {
#define WEFT__KIND_PHASE(name, num, str, fam, blk) [num] = blk,
    WEFT_KINDS(WEFT__KIND_PHASE)
#undef WEFT__KIND_PHASE
};

/* Calls fn for every record of the log, decoded (log.h). */
typedef void (*visit_fn)(const struct weft_rec *r, void *ctx);

/* Chunk i in the mapping (staging slots included: their indices go on). */
static const struct weft_log_chunk *chunk_of(const struct logv *lv, uint64_t i) {
    return (const struct weft_log_chunk *)(lv->base + i * WEFT_LOG_CHUNK_SIZE);
}

/* The staging slot (log.h) that holds chunk c while the copier has not
 * written all of it there, or NULL: then the chunk itself is whole. */
static const struct weft_log_chunk *slot_of(const struct logv *lv, uint64_t c) {
    const struct weft_log_chunk *ch = chunk_of(lv, c);
    const struct weft_log_header *h = (const struct weft_log_header *)(const void *)lv->hdrp;
    if (!h->stage_n || !__atomic_load_n(&h->stage_copier, __ATOMIC_ACQUIRE))
        return NULL;
    for (uint32_t k = 0; k < h->stage_n && h->stage_first + (uint64_t)k < lv->room; k++) {
        const struct weft_log_chunk *sl = chunk_of(lv, h->stage_first + (uint64_t)k);
        if (__atomic_load_n(&sl->stage_dest1, __ATOMIC_ACQUIRE) == c + 1)
            return __atomic_load_n(&ch->committed, __ATOMIC_ACQUIRE) <
                           __atomic_load_n(&sl->committed, __ATOMIC_ACQUIRE)
                       ? sl
                       : NULL;
    }
    return NULL;
}

/* Chunk c's committed words as they stand, and their count in *n: the
 * chunk's own, or a copy of the slot's in *buf (mapped here on first
 * use: no malloc, and no 64 KiB on the caller's stack). A slot is freed
 * only once its chunk is whole, and the next thread to take it publishes
 * its new destination before it writes a word there (log_writer.c,
 * claim_staged): so a copy made while the slot still names c, and after
 * which it still does, is c's; otherwise the chunk itself is whole by
 * now and is read instead. */
static const uint64_t *chunk_now(const struct logv *lv, uint64_t c, uint64_t **buf, uint32_t *n) {
    const struct weft_log_chunk *ch = chunk_of(lv, c);
    const struct weft_log_chunk *sl = slot_of(lv, c);
    if (sl && !*buf) {
        void *m = mmap(NULL, WEFT_LOG_CHUNK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        *buf = m == MAP_FAILED ? NULL : m;
    }
    if (sl && *buf) {
        uint32_t m = __atomic_load_n(&sl->committed, __ATOMIC_ACQUIRE);
        if (m > WEFT_LOG_CHUNK_WORDS)
            m = WEFT_LOG_CHUNK_WORDS;
        memcpy(*buf, (const char *)sl + WEFT_LOG_CHUNK_HDR, (size_t)m * sizeof **buf);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&sl->stage_dest1, __ATOMIC_RELAXED) == c + 1 &&
            sl->magic == WEFT_LOG_CHUNK_MAGIC) {
            *n = m;
            return *buf;
        }
    }
    uint32_t m = __atomic_load_n(&ch->committed, __ATOMIC_ACQUIRE);
    *n = ch->magic == WEFT_LOG_CHUNK_MAGIC ? m : 0;
    if (*n > WEFT_LOG_CHUNK_WORDS)
        *n = WEFT_LOG_CHUNK_WORDS;
    return (const uint64_t *)((const char *)ch + WEFT_LOG_CHUNK_HDR);
}

static void scan(const struct logv *lv, visit_fn fn, void *ctx) {
    uint64_t *copy = NULL;
    for (uint64_t c = 0; c < lv->nchunks; c++) {
        uint32_t n;
        const uint64_t *w = chunk_now(lv, c, &copy, &n);
        uint32_t tid = 0;
        struct weft_rec prev = {0};
        for (uint32_t i = 0; i < n;) {
            struct weft_rec r;
            uint32_t used = weft_log_decode(w + i, i, n - i, &prev, &r);
            if (!used)
                break;
            prev = r;
            i += used;
            if (r.kind == WEFT_K_OWNER) {
                tid = (uint32_t)r.arg;
                continue;
            }
            if (!tid)
                break;
            r.tid = tid;
            fn(&r, ctx);
        }
    }
    if (copy)
        munmap(copy, WEFT_LOG_CHUNK_SIZE);
}

/* ---- what we look for ---- */

#define MAX_PCS 24
#define MAX_OBJS 6

struct stackwant {
    uint32_t id;
    unsigned n;
    uint64_t pcs[MAX_PCS];
};

struct objwant {
    uint64_t obj;
    uint64_t before_ts; /* the latest creation not after this */
    /* found: */
    uint16_t kind;
    uint64_t ts, arg;
    uint32_t stack;
    int follow;  /* a context's done channel: then its context */
    unsigned op; /* a select case's WEFT_SEND 1 / WEFT_RECV 2 */
};

struct q {
    int32_t ostid;
    /* the thread */
    uint64_t adopt_ts;
    uint32_t ttid, adopt_aux;
    int known, adopted;
    /* its creation */
    int created;
    uint64_t fn, arg;
    uint32_t via, create_stack;
    /* its waits */
    uint64_t last_begin_ts, last_end_ts, last_ts;
    struct weft_rec begin;   /* its data points to begin_data */
    uint64_t begin_data[64]; /* a select's cases (shim_weft.c keeps at most 64) */
    uint16_t last_kind;
    /* objects and stacks */
    struct objwant objs[MAX_OBJS];
    unsigned nobjs;
    struct stackwant stacks[2 + 2 * MAX_OBJS];
    unsigned nstacks;
};

static void v_thread(const struct weft_rec *r, void *p) {
    struct q *q = p;
    if ((r->kind == WEFT_K_THREAD_START || r->kind == WEFT_K_THREAD_ADOPT) &&
        (int32_t)r->arg == q->ostid && (!q->known || r->ts > q->adopt_ts)) {
        q->known = 1;
        q->adopt_ts = r->ts;
        q->ttid = r->tid;
        q->adopted = r->kind == WEFT_K_THREAD_ADOPT;
        q->adopt_aux = r->aux;
    }
}

static void v_life(const struct weft_rec *r, void *p) {
    struct q *q = p;
    if (r->kind == WEFT_K_THREAD_CREATE && (r->aux & WEFT_TID_MASK) == q->ttid) {
        q->created = 1;
        q->fn = r->arg;
        q->arg = r->arg2;
        q->via = r->aux >> 28;
        q->create_stack = r->stack;
    }
    if (r->tid != q->ttid)
        return;
    if (r->ts >= q->last_ts) {
        q->last_ts = r->ts;
        q->last_kind = r->kind;
    }
    uint8_t ph = phase_of[r->kind & 0xff];
    if (ph == 1 && r->ts >= q->last_begin_ts) {
        q->last_begin_ts = r->ts;
        q->begin = *r;
        /* Kept past the scan: a staging slot's words are read from a copy
         * that the scan reuses (chunk_now). */
        uint32_t len = r->dlen < sizeof q->begin_data ? r->dlen : (uint32_t)sizeof q->begin_data;
        if (len)
            memcpy(q->begin_data, r->data, len);
        q->begin.data = (const unsigned char *)q->begin_data;
        q->begin.dlen = len;
    } else if (ph == 2 && r->ts >= q->last_end_ts) {
        q->last_end_ts = r->ts;
    }
}

static int is_creation(uint16_t k) {
    switch (k) {
    case WEFT_K_CHAN_MAKE:
    case WEFT_K_CTX_DONE_CHAN:
    case WEFT_K_TIMER_CHAN:
    case WEFT_K_CTX_NEW:
    case WEFT_K_GROUP_NEW:
    case WEFT_K_WSEM_NEW:
    case WEFT_K_LIMITER_NEW:
    case WEFT_K_FUTURE_START:
    case WEFT_K_MUTEX_INIT:
    case WEFT_K_THREAD_CREATE:
        return 1;
    }
    return 0;
}

static void v_objs(const struct weft_rec *r, void *p) {
    struct q *q = p;
    if (!is_creation(r->kind))
        return;
    for (unsigned i = 0; i < q->nobjs; i++) {
        struct objwant *o = &q->objs[i];
        if (r->obj != o->obj || r->ts > o->before_ts || (o->kind && r->ts < o->ts))
            continue;
        /* A context's done channel: its ctx_done_chan names the context
         * and follows the chan_make; prefer it. */
        if (o->kind == WEFT_K_CTX_DONE_CHAN && r->kind == WEFT_K_CHAN_MAKE && r->ts <= o->ts)
            continue;
        o->kind = r->kind;
        o->ts = r->ts;
        o->arg = r->arg;
        o->stack = r->stack;
    }
}

static void v_stacks(const struct weft_rec *r, void *p) {
    struct q *q = p;
    if (r->kind != WEFT_K_STACK)
        return;
    for (unsigned i = 0; i < q->nstacks; i++) {
        struct stackwant *s = &q->stacks[i];
        if (s->id != (uint32_t)r->obj || s->n)
            continue;
        unsigned n = 0;
        for (unsigned b = 0; b + 8 <= r->dlen && n < MAX_PCS; b += 8)
            memcpy(&s->pcs[n++], r->data + b, 8);
        if (n > r->arg)
            n = (unsigned)r->arg;
        s->n = n;
    }
}

static void want_stack(struct q *q, uint32_t id) {
    if (!id)
        return;
    for (unsigned i = 0; i < q->nstacks; i++)
        if (q->stacks[i].id == id)
            return;
    if (q->nstacks < sizeof q->stacks / sizeof q->stacks[0])
        q->stacks[q->nstacks++] = (struct stackwant){.id = id};
}

static const struct stackwant *get_stack(const struct q *q, uint32_t id) {
    for (unsigned i = 0; id && i < q->nstacks; i++)
        if (q->stacks[i].id == id && q->stacks[i].n)
            return &q->stacks[i];
    return NULL;
}

static struct objwant *want_obj(struct q *q, uint64_t obj, uint64_t before) {
    if (!obj || q->nobjs >= MAX_OBJS)
        return NULL;
    struct objwant *o = &q->objs[q->nobjs++];
    *o = (struct objwant){.obj = obj, .before_ts = before};
    return o;
}

/* ---- the text ---- */

struct out {
    char *p;
    size_t len, pos;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...) {
    if (!o->p || o->pos + 1 >= o->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->pos, o->len - o->pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->pos += (size_t)n;
    if (o->pos >= o->len)
        o->pos = o->len - 1;
}

static const char *base_name(const char *path) {
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "?";
}

/* "name+0xoff (module)" for a code address; ret: a return address (look
 * up the call instruction before it). */
static void put_pc(struct out *o, uint64_t pc, int ret) {
    Dl_info di;
    memset(&di, 0, sizeof di);
    uintptr_t look = (uintptr_t)pc - (ret && pc ? 1 : 0);
    if (dladdr((void *)look, &di) && di.dli_fname) {
        if (di.dli_sname && di.dli_saddr)
            put(o, "%s+0x%llx (%s)", di.dli_sname,
                (unsigned long long)(pc - (uint64_t)(uintptr_t)di.dli_saddr),
                base_name(di.dli_fname));
        else
            put(o, "0x%llx (%s+0x%llx)", (unsigned long long)pc, base_name(di.dli_fname),
                (unsigned long long)(pc - (uint64_t)(uintptr_t)di.dli_fbase));
    } else {
        put(o, "0x%llx", (unsigned long long)pc);
    }
}

/* A function's address: its name when it has one. */
static void put_fn(struct out *o, uint64_t fn) {
    Dl_info di;
    memset(&di, 0, sizeof di);
    if (dladdr((void *)(uintptr_t)fn, &di) && di.dli_sname &&
        (uint64_t)(uintptr_t)di.dli_saddr == fn)
        put(o, "%s (%s)", di.dli_sname, base_name(di.dli_fname));
    else
        put_pc(o, fn, 0);
}

static void put_stack(struct out *o, const struct q *q, uint32_t id, const char *indent,
                      unsigned maxn) {
    const struct stackwant *s = get_stack(q, id);
    if (!s) {
        put(o, "%s(no stack recorded%s)\n", indent,
            id ? "" : ": WEFT_SYNC_STACKS=1 records them for lock and condvar waits");
        return;
    }
    for (unsigned i = 0; i < s->n && i < maxn; i++) {
        put(o, "%s#%u ", indent, i);
        put_pc(o, s->pcs[i], 1);
        put(o, "\n");
    }
}

static const char *via_str(uint32_t via) {
    switch (via) {
    case WEFT_VIA_GO:
        return "weft_go";
    case WEFT_VIA_GROUP:
        return "weft_group_go";
    case WEFT_VIA_FUTURE:
        return "weft_future_start";
    case WEFT_VIA_LIBWEFT:
        return "libweft itself";
    }
    return "pthread_create";
}

/* The call a begin record stands for, and the noun for its object. */
static const char *wait_call(const struct weft_rec *b, const char **noun) {
    *noun = "object";
    switch (b->kind) {
    case WEFT_K_CHAN_SEND_BEGIN:
        *noun = "channel";
        return "weft_chan_send";
    case WEFT_K_CHAN_RECV_BEGIN:
        *noun = "channel";
        return "weft_chan_recv";
    case WEFT_K_SELECT_BEGIN:
        *noun = "channels";
        return "weft_select";
    case WEFT_K_WG_WAIT_BEGIN:
        *noun = "WaitGroup";
        return "weft_wg_wait";
    case WEFT_K_GROUP_GO_BEGIN:
        *noun = "group";
        return "weft_group_go (at its limit)";
    case WEFT_K_GROUP_WAIT_BEGIN:
        *noun = "group";
        return "weft_group_wait";
    case WEFT_K_WSEM_ACQUIRE_BEGIN:
        *noun = "semaphore";
        return "weft_sem_acquire";
    case WEFT_K_LIMITER_WAIT_BEGIN:
        *noun = "limiter";
        return "weft_limiter_wait";
    case WEFT_K_FUTURE_GET_BEGIN:
        *noun = "future";
        return "weft_future_get";
    case WEFT_K_FUTURE_FREE_BEGIN:
        *noun = "future";
        return "weft_future_free";
    case WEFT_K_JOIN_BEGIN:
        *noun = "thread";
        return b->arg2 ? "pthread_timedjoin_np" : "pthread_join";
    case WEFT_K_MUTEX_LOCK_BEGIN:
        *noun = "mutex";
        return "pthread_mutex_lock";
    case WEFT_K_RW_RDLOCK_BEGIN:
        *noun = "rwlock";
        return "pthread_rwlock_rdlock";
    case WEFT_K_RW_WRLOCK_BEGIN:
        *noun = "rwlock";
        return "pthread_rwlock_wrlock";
    case WEFT_K_COND_WAIT_BEGIN:
        *noun = "condition variable";
        return "pthread_cond_wait";
    case WEFT_K_BARRIER_WAIT_BEGIN:
        *noun = "barrier";
        return "pthread_barrier_wait";
    case WEFT_K_SEM_WAIT_BEGIN:
        *noun = "semaphore";
        return "sem_wait";
    case WEFT_K_FD_READ_BEGIN:
    case WEFT_K_FD_WRITE_BEGIN:
        *noun = "fd";
        return weft_fd_call_name(b->kind, b->arg2);
    }
    return weft__kind_name(b->kind);
}

static void put_creation(struct out *o, const struct q *q, const struct objwant *w,
                         const char *indent) {
    if (!w || !w->kind) {
        put(o, "created where the recorder did not see (a static initializer?)\n");
        return;
    }
    const struct objwant *ctx = NULL;
    if (w->kind == WEFT_K_CTX_DONE_CHAN) {
        for (unsigned i = 0; i < q->nobjs; i++)
            if (q->objs[i].obj == w->arg && q->objs[i].follow)
                ctx = &q->objs[i];
        put(o, "the done channel of context 0x%llx, created at:\n", (unsigned long long)w->arg);
        if (ctx && ctx->kind)
            put_stack(o, q, ctx->stack, indent, MAX_PCS);
        else
            put(o, "%s(its creation was not recorded)\n", indent);
        return;
    }
    put(o, "created (%s) at:\n", weft__kind_name(w->kind));
    put_stack(o, q, w->stack, indent, MAX_PCS);
}

static void describe(const struct logv *lv, struct q *q, struct out *o) {
    int blocked = q->last_begin_ts && q->last_begin_ts > q->last_end_ts;
    /* Which objects: the wait's (for a select, its channels), then
     * contexts behind done channels. */
    if (blocked) {
        if (q->begin.kind == WEFT_K_SELECT_BEGIN) {
            for (unsigned b = 0; b + 8 <= q->begin.dlen; b += 8) {
                uint64_t w;
                memcpy(&w, q->begin.data + b, 8);
                struct objwant *ow = want_obj(q, w & ~(uint64_t)3, q->begin.ts);
                if (ow)
                    ow->op = (unsigned)(w & 3);
            }
        } else if (q->begin.obj) {
            want_obj(q, q->begin.obj, q->begin.ts);
        }
        scan(lv, v_objs, q);
        unsigned n = q->nobjs;
        for (unsigned i = 0; i < n; i++)
            if (q->objs[i].kind == WEFT_K_CTX_DONE_CHAN) {
                struct objwant *c = want_obj(q, q->objs[i].arg, q->begin.ts);
                if (c)
                    c->follow = 1;
            }
        if (q->nobjs > n) {
            /* Only the contexts: leave the channels found as they are. */
            struct q tmp = *q;
            tmp.nobjs = 0;
            for (unsigned i = n; i < q->nobjs; i++)
                tmp.objs[tmp.nobjs++] = q->objs[i];
            scan(lv, v_objs, &tmp);
            for (unsigned i = n; i < q->nobjs; i++)
                q->objs[i] = tmp.objs[i - n];
        }
    }
    want_stack(q, q->create_stack);
    if (blocked)
        want_stack(q, q->begin.stack);
    for (unsigned i = 0; i < q->nobjs; i++)
        want_stack(q, q->objs[i].stack);
    scan(lv, v_stacks, q);

    if (q->created) {
        put(o, "  started in ");
        put_fn(o, q->fn);
        put(o, " by %s, created at:\n", via_str(q->via));
        put_stack(o, q, q->create_stack, "    ", MAX_PCS);
    } else if (q->adopted && q->ttid == 1) {
        put(o, "  the process's first thread\n");
    } else {
        put(o, "  not seen created by the recorder (trace thread %u)\n", q->ttid);
    }
    if (!blocked) {
        put(o, "  running, or waiting outside what the recorder sees (last recorded: %s)\n",
            q->last_ts ? weft__kind_name(q->last_kind) : "nothing");
        return;
    }
    const char *noun;
    const char *call = wait_call(&q->begin, &noun);
    if (q->begin.kind == WEFT_K_SELECT_BEGIN) {
        put(o, "  blocked in %s on %u case(s), called at:\n", call, (unsigned)q->begin.arg);
        put_stack(o, q, q->begin.stack, "    ", MAX_PCS);
        for (unsigned i = 0; i < q->nobjs; i++) {
            if (q->objs[i].follow)
                continue;
            put(o, "  case %s channel 0x%llx: ",
                q->objs[i].op == 1   ? "send on"
                : q->objs[i].op == 2 ? "recv on"
                                     : "on",
                (unsigned long long)q->objs[i].obj);
            put_creation(o, q, &q->objs[i], "    ");
        }
        return;
    }
    put(o, "  blocked in %s on %s 0x%llx, called at:\n", call, noun,
        (unsigned long long)q->begin.obj);
    put_stack(o, q, q->begin.stack, "    ", MAX_PCS);
    if (q->begin.kind == WEFT_K_COND_WAIT_BEGIN)
        put(o, "  (with mutex 0x%llx)\n", (unsigned long long)q->begin.arg);
    if (q->nobjs && !q->objs[0].follow) {
        put(o, "  the %s was ", noun);
        put_creation(o, q, &q->objs[0], "    ");
    }
}

/* For check.c. Returns -1: the recorder has no log in this process; 0: it
 * never saw this OS thread (or saw it start but not yet its creation: ask
 * again); 1: a thread of the program; 2: one of its own or libweft's
 * internal threads. With buf, the description of the thread
 * (indented lines) goes there, NUL-terminated. */
WEFT_EXPORT int weft__check_describe(int32_t ostid, char *buf, size_t len);
WEFT_EXPORT int weft__check_describe(int32_t ostid, char *buf, size_t len) {
    if (buf && len)
        buf[0] = 0;
    int saved = errno;
    uint32_t was = weft__t.in_shim;
    weft__t.in_shim = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    int rc = -1;
    struct logv lv = {0};
    static struct q zero;
    struct q q = zero;
    q.ostid = ostid;
    struct out o = {buf, buf ? len : 0, 0};
    if (!__atomic_load_n(&weft__ready, __ATOMIC_ACQUIRE) || !find_log(&lv))
        goto out;
    if (ostid && ostid == weft__watchdog_ostid()) {
        /* the shim's own thread (watchdog.c), which may start after a
         * baseline was taken: never the program's */
        rc = 2;
        put(&o, "  an internal thread of the recorder\n");
        goto out;
    }
    scan(&lv, v_thread, &q);
    if (!q.known) {
        rc = 0;
        put(&o, "  not seen by the recorder (started before it, or by a raw clone)\n");
        goto out;
    }
    scan(&lv, v_life, &q);
    if ((q.adopted && q.adopt_aux == 2) || (q.created && q.via == WEFT_VIA_LIBWEFT) ||
        (!q.adopted && (q.adopt_aux & WEFT_START_INTERNAL))) {
        rc = 2;
        put(&o, "  an internal thread of %s\n", q.adopted ? "the recorder" : "libweft");
        goto out;
    }
    /* A thread whose start we saw before its creator's record: not sure
     * yet what it is (check.c asks again). */
    rc = q.created || q.adopted ? 1 : 0;
    if (buf && len)
        describe(&lv, &q, &o);
out:
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    weft__t.in_shim = was;
    errno = saved;
    return rc;
}
