/* SPDX-License-Identifier: MIT */
/* modules.c: the module map: every loaded ELF object with its load bias,
 * address range, path and GNU build-id, written to the log at start and
 * again after each dlopen, so that ingest can turn recorded return
 * addresses into module + offset and symbolize them despite ASLR.
 *
 * A fork child needs the map too, but must not walk the loaded objects:
 * dl_iterate_phdr takes the loader's lock, which another thread of the
 * parent may have held at the fork (it is then held forever in the child).
 * So each walk leaves a copy of what it wrote in one of two buffers and
 * publishes it; the child writes the published copy, which no thread was
 * writing. And the loader calls we see (ours, the program's dlopen,
 * dlclose, dl_iterate_phdr: shim_loader.c) are counted while they run: a
 * child forked while one was running knows that the lock may be held and
 * walks nothing more (no module walk, no stack unwinding). */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_object.h"
#include "shim.h"

/* One module in a copy: the record's fields, then path, NUL, build-id,
 * padded to 8 bytes. */
struct mod_rec {
    uint64_t addr, lo, hi;
    uint32_t blen, plen;
};
struct snap {
    uint64_t used;     /* bytes of data in use */
    uint64_t overflow; /* modules that did not fit */
    unsigned char data[];
};
#define SNAP_BYTES (1u << 20)
#define SNAP_ROOM (SNAP_BYTES - sizeof(struct snap))

static struct snap *snaps[2];
static int pub = -1;        /* the copy a fork child may use, -1: none */
static int updating, again; /* one walker at a time; again: walk once more */
static int in_loader;       /* threads inside the loader calls we see */
static int no_walk;         /* fork child of a parent that was inside the loader */
static int (*real_iterate)(int (*)(struct dl_phdr_info *, size_t, void *), void *);

void weft__loader_enter(void) {
    __atomic_add_fetch(&in_loader, 1, __ATOMIC_SEQ_CST);
}
void weft__loader_leave(void) {
    __atomic_sub_fetch(&in_loader, 1, __ATOMIC_SEQ_CST);
}

static void iterate(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data) {
    if (!real_iterate)
        *(void **)&real_iterate = weft__real("dl_iterate_phdr");
    weft__loader_enter();
    real_iterate(cb, data);
    weft__loader_leave();
}

void weft__modules_init(void) {
    *(void **)&real_iterate = weft__real("dl_iterate_phdr");
    for (int i = 0; i < 2; i++) {
        void *m = mmap(NULL, SNAP_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        snaps[i] = m == MAP_FAILED ? NULL : m;
    }
}

static const struct mod_rec *snap_next(const struct snap *s, uint64_t *off) {
    if (*off >= s->used)
        return NULL;
    const struct mod_rec *r = (const void *)(s->data + *off);
    *off += sizeof *r + ((r->plen + 1u + r->blen + 7u) & ~7u);
    return r;
}

struct self_query {
    uintptr_t addr, lo, hi;
};

static int self_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct self_query *q = data;
    uintptr_t lo, hi;
    weft_object_span(info, &lo, &hi);
    if (q->addr >= lo && q->addr < hi) {
        q->lo = lo;
        q->hi = hi;
        return 1;
    }
    return 0;
}

void weft__modules_range_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi) {
    struct self_query q = {addr, 0, 0};
    int p = __atomic_load_n(&pub, __ATOMIC_ACQUIRE);
    if (no_walk && p >= 0 && snaps[p]) {
        /* the loader may be locked for good: the last copy tells */
        uint64_t off = 0;
        for (const struct mod_rec *r; (r = snap_next(snaps[p], &off));)
            if (addr >= r->lo && addr < r->hi) {
                q.lo = r->lo;
                q.hi = r->hi;
            }
    } else if (!no_walk) {
        iterate(self_cb, &q);
    }
    *lo = q.lo;
    *hi = q.hi;
}

void weft__modules_self_range(uintptr_t *lo, uintptr_t *hi) {
    weft__modules_range_of((uintptr_t)&weft__modules_self_range, lo, hi);
}

/* Adds one module to the copy being made. */
static int copy_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct snap *s = data;
    /* path, NUL, then the raw build-id bytes */
    char buf[4096 + 64];
    size_t plen;
    const char *name = info->dlpi_name;
    if (!name || !*name) {
        /* The main program: the loader leaves its name empty. */
        ssize_t r = readlink("/proc/self/exe", buf, 4096);
        plen = r > 0 ? (size_t)r : 0;
    } else {
        plen = strnlen(name, 4095);
        memcpy(buf, name, plen);
    }
    buf[plen] = 0;
    const unsigned char *bid = NULL;
    size_t blen = weft_build_id(info, &bid);
    if (blen > 64)
        blen = 0;
    if (blen)
        memcpy(buf + plen + 1, bid, blen);
    uint64_t need = sizeof(struct mod_rec) + ((plen + 1 + blen + 7) & ~(size_t)7);
    if (s->used + need > SNAP_ROOM) {
        s->overflow++;
        return 0;
    }
    struct mod_rec *r = (void *)(s->data + s->used);
    r->addr = info->dlpi_addr;
    weft_object_span(info, &r->lo, &r->hi);
    r->blen = (uint32_t)blen;
    r->plen = (uint32_t)plen;
    memcpy(r + 1, buf, plen + 1 + blen);
    s->used += need;
    return 0;
}

/* Writes a copy's modules into the log (inside the recorder). */
static void emit_snap(const struct snap *s) {
    uint64_t off = 0;
    for (const struct mod_rec *r; (r = snap_next(s, &off));)
        weft__emit_data(WEFT_K_MODULE, r->addr, r->lo, r->hi, r->blen, r->plen, r + 1,
                        r->plen + 1u + r->blen);
    if (s->overflow)
        weft__log_count_dropped(s->overflow);
}

void weft__modules_emit(void) {
    if (no_walk || !snaps[0] || !snaps[1])
        return;
    /* One walker at a time, without waiting: a thread that finds another
     * walking asks it to walk once more, which covers its own dlopen. */
    for (;;) {
        __atomic_store_n(&again, 1, __ATOMIC_SEQ_CST);
        if (__atomic_exchange_n(&updating, 1, __ATOMIC_ACQUIRE))
            return;
        while (__atomic_exchange_n(&again, 0, __ATOMIC_SEQ_CST)) {
            /* Into the copy that is not published: a fork at any moment
             * finds the published one complete. */
            int w = __atomic_load_n(&pub, __ATOMIC_RELAXED) == 0 ? 1 : 0;
            snaps[w]->used = 0;
            snaps[w]->overflow = 0;
            iterate(copy_cb, snaps[w]);
            __atomic_store_n(&pub, w, __ATOMIC_RELEASE);
            emit_snap(snaps[w]);
        }
        __atomic_store_n(&updating, 0, __ATOMIC_RELEASE);
        if (!__atomic_load_n(&again, __ATOMIC_SEQ_CST))
            return;
    }
}

int weft__modules_emit_child(void) {
    /* Only this thread lives on: nobody is walking any more. */
    __atomic_store_n(&updating, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&again, 0, __ATOMIC_RELAXED);
    int busy = __atomic_exchange_n(&in_loader, 0, __ATOMIC_SEQ_CST) != 0;
    if (busy)
        no_walk = 1;
    int p = __atomic_load_n(&pub, __ATOMIC_ACQUIRE);
    if (p >= 0 && snaps[p])
        emit_snap(snaps[p]);
    return busy;
}
