/* SPDX-License-Identifier: MIT */
/* checkpoint.c: an ingest's model as bytes, so that a live ingest that
 * was stopped (weft killed) can be resumed exactly where its last commit
 * left it (live.c saves the state in the same transaction as the rows it
 * goes with). The bytes are only ever read back by the same build of
 * weft: structures are written as they are in memory, each pointer field
 * followed by what it points to, and the sizes of the structures lead,
 * so that a state from another build is refused instead of misread.
 * Strings the model points to (kinds, families, how an object was made)
 * are kept once per text by the resumed ingest. */
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_object.h"
#include "ingest_internal.h"

void weft__ck_put(struct weft__ckbuf *b, const void *v, size_t n) {
    if (b->bad)
        return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->n + n)
            nc *= 2;
        unsigned char *p = realloc(b->p, nc);
        if (!p) {
            b->bad = 1;
            return;
        }
        b->p = p;
        b->cap = nc;
    }
    if (n)
        memcpy(b->p + b->n, v, n);
    b->n += n;
}

void weft__ck_get(struct weft__ckbuf *b, void *v, size_t n) {
    if (b->bad || n > b->n - b->pos) {
        b->bad = 1;
        memset(v, 0, n);
        return;
    }
    if (n)
        memcpy(v, b->p + b->pos, n);
    b->pos += n;
}

void weft__ck_u64(struct weft__ckbuf *b, uint64_t v) {
    weft__ck_put(b, &v, sizeof v);
}

uint64_t weft__ck_get_u64(struct weft__ckbuf *b) {
    uint64_t v;
    weft__ck_get(b, &v, sizeof v);
    return v;
}

void weft__ck_str(struct weft__ckbuf *b, const char *s) {
    weft__ck_u64(b, s ? strlen(s) + 1 : 0);
    if (s)
        weft__ck_put(b, s, strlen(s) + 1);
}

const char *weft__ck_get_str(struct weft__ingest *g, struct weft__ckbuf *b) {
    uint64_t n = weft__ck_get_u64(b);
    if (!n || b->bad)
        return NULL;
    if (n > b->n - b->pos || b->p[b->pos + n - 1]) {
        b->bad = 1;
        return NULL;
    }
    const char *s = (const char *)b->p + b->pos;
    b->pos += n;
    for (size_t i = 0; i < g->nkept; i++)
        if (!strcmp(g->kept[i], s))
            return g->kept[i];
    char *k = strdup(s);
    if (!k || ROOM(g->kept, g->nkept, g->capkept, 16) != 0) {
        free(k);
        b->bad = 1;
        return NULL;
    }
    g->kept[g->nkept++] = k;
    return k;
}

void weft__ck_arr(struct weft__ckbuf *b, const void *arr, size_t n, size_t size) {
    weft__ck_u64(b, n);
    weft__ck_put(b, arr, n * size);
}

void *weft__ck_get_arr(struct weft__ckbuf *b, size_t *n, size_t size) {
    uint64_t k = weft__ck_get_u64(b);
    *n = 0;
    if (b->bad || !k)
        return NULL;
    if (k > (b->n - b->pos) / size) {
        b->bad = 1;
        return NULL;
    }
    void *a = malloc(k * size);
    if (!a) {
        b->bad = 1;
        return NULL;
    }
    weft__ck_get(b, a, k * size);
    *n = k;
    return a;
}

/* A map's entries in use (a map is at most half full), put back one by
 * one on load. */
void weft__ck_map(struct weft__ckbuf *b, const struct map *m) {
    weft__ck_u64(b, m->n);
    for (size_t i = 0; i < m->cap && !b->bad; i++)
        if (m->e[i].used) {
            uint64_t v[3] = {m->e[i].a, m->e[i].b, m->e[i].v};
            weft__ck_put(b, v, sizeof v);
        }
}

void weft__ck_get_map(struct weft__ckbuf *b, struct map *m) {
    *m = (struct map){0};
    uint64_t n = weft__ck_get_u64(b);
    if (b->bad || n > (b->n - b->pos) / (3 * sizeof(uint64_t))) {
        b->bad = 1;
        return;
    }
    for (uint64_t i = 0; i < n && !b->bad; i++) {
        uint64_t v[3];
        weft__ck_get(b, v, sizeof v);
        if (!b->bad && map_put(m, v[0], v[1], v[2]) != 0)
            b->bad = 1;
    }
}

/* The GNU build id of the object this code was linked into (weft, or a
 * program that links the ingest); none when it has no such note. */
struct build_id {
    uintptr_t addr; /* an address of this code */
    unsigned char id[32];
    size_t n;
};

static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg) {
    struct build_id *b = arg;
    (void)size;
    uintptr_t lo, hi;
    weft_object_span(info, &lo, &hi);
    int mine = b->addr >= lo && b->addr < hi;
    const unsigned char *id = NULL;
    size_t n = mine ? weft_build_id(info, &id) : 0;
    b->n = n < sizeof b->id ? n : sizeof b->id;
    if (b->n)
        memcpy(b->id, id, b->n);
    return mine; /* (stops at this code's object, with or without an id) */
}

/* What a state's bytes depend on, written first: the sizes of what is
 * written raw, and the build id. A state from another build of weft is
 * refused, also one whose structures kept their sizes but changed their
 * meaning (a field renamed or reordered); a build without an id has only
 * the sizes to go by. */
static void sizes(struct weft__ckbuf *b) {
    weft__ck_u64(b, sizeof(struct proc));
    weft__ck_u64(b, sizeof(struct thr));
    weft__ck_u64(b, sizeof(struct obj));
    weft__ck_u64(b, sizeof(struct loss));
    weft__ck_u64(b, sizeof(struct sum));
    weft__ck_u64(b, sizeof(struct weft_rec));
    weft__ck_u64(b, sizeof(struct mtx));
    weft__ck_u64(b, weft__ingest_pass_size());
    struct build_id id = {.addr = (uintptr_t)(void *)sizes};
    dl_iterate_phdr(find_build_id, &id);
    weft__ck_u64(b, id.n);
    weft__ck_put(b, id.id, sizeof id.id);
}

void weft__ingest_ck_save(struct weft__ingest *g, struct weft__ckbuf *b) {
    sizes(b);
    weft__ck_u64(b, (uint64_t)g->nprocs);
    for (int i = 0; i < g->nprocs; i++) {
        const struct proc *p = &g->procs[i];
        weft__ck_put(b, p, sizeof *p);
        weft__ck_str(b, p->path);
        weft__ck_u64(b, p->gid != NULL);
        if (p->gid)
            weft__ck_arr(b, p->gid, (size_t)p->max_tid + 1, sizeof *p->gid);
        weft__ck_arr(b, p->thr, (size_t)p->max_tid + 1, sizeof *p->thr);
        for (uint32_t t = 0; t <= p->max_tid; t++)
            weft__ck_str(b, p->thr[t].exit_kind);
        weft__ck_map(b, &p->handles);
        weft__ck_u64(b, p->nmeta);
        for (size_t k = 0; k < p->nmeta; k++) {
            weft__ck_put(b, &p->meta[k], sizeof p->meta[k]);
            weft__ck_put(b, p->meta[k].data, p->meta[k].dlen);
        }
        weft__ck_str(b, p->exit_kind);
    }
    weft__ck_arr(b, g->objs, g->nobjs, sizeof *g->objs);
    for (size_t k = 0; k < g->nobjs; k++) {
        weft__ck_str(b, g->objs[k].kind);
        weft__ck_str(b, g->objs[k].info);
    }
    weft__ck_map(b, &g->live);
    weft__ck_arr(b, g->losses, g->nlosses, sizeof *g->losses);
    for (size_t k = 0; k < g->nlosses; k++) {
        weft__ck_str(b, g->losses[k].log);
        weft__ck_str(b, g->losses[k].what);
    }
    weft__ck_arr(b, g->spawns, g->nspawns, sizeof *g->spawns);
    weft__ck_arr(b, g->forks, g->nforks, sizeof *g->forks);
    weft__ck_arr(b, g->sums, g->nsums, sizeof *g->sums);
    weft__ck_map(b, &g->sum_idx);
    weft__ingest_pass_save(g, b);
}

/* One process back (its log zeroed, for the caller to open). */
static int load_proc(struct weft__ingest *g, struct weft__ckbuf *b, int i) {
    struct proc *p = &g->procs[i];
    weft__ck_get(b, p, sizeof *p);
    memset(&p->log, 0, sizeof p->log);
    p->log.fd = -1;
    p->gid = NULL;
    p->thr = NULL;
    p->meta = NULL;
    p->sym = NULL;
    p->handles = (struct map){0};
    p->nmeta = p->capmeta = 0;
    p->path = weft__ck_get_str(g, b);
    size_t n;
    if (weft__ck_get_u64(b))
        p->gid = weft__ck_get_arr(b, &n, sizeof *p->gid);
    p->thr = weft__ck_get_arr(b, &n, sizeof *p->thr);
    if (b->bad || n != (size_t)p->max_tid + 1)
        return -1;
    for (uint32_t t = 0; t <= p->max_tid; t++)
        p->thr[t].exit_kind = weft__ck_get_str(g, b);
    weft__ck_get_map(b, &p->handles);
    uint64_t nm = weft__ck_get_u64(b);
    if (b->bad || nm > b->n / sizeof *p->meta)
        return -1;
    p->meta = calloc(nm ? nm : 1, sizeof *p->meta);
    if (!p->meta)
        return -1;
    p->capmeta = nm;
    for (uint64_t k = 0; k < nm && !b->bad; k++) {
        struct weft_rec *r = &p->meta[k];
        weft__ck_get(b, r, sizeof *r);
        unsigned char *d = r->dlen && !b->bad ? malloc(r->dlen) : NULL;
        if (r->dlen && !d)
            return -1;
        r->data = d;
        p->nmeta++;
        if (d)
            weft__ck_get(b, d, r->dlen);
        /* the module map as the records built it */
        if (!b->bad && r->kind == WEFT_K_MODULE && weft__ingest_sym_module(g, (uint32_t)i, r) != 0)
            return -1;
    }
    p->exit_kind = weft__ck_get_str(g, b);
    return b->bad ? -1 : 0;
}

int weft__ingest_ck_load(struct weft__ingest *g, struct weft__ckbuf *b) {
    struct weft__ckbuf want = {0};
    sizes(&want);
    unsigned char got[256];
    int same = !want.bad && want.n <= sizeof got;
    if (same)
        weft__ck_get(b, got, want.n);
    same = same && !b->bad && !memcmp(want.p, got, want.n);
    free(want.p);
    if (!same)
        return -1;
    uint64_t np = weft__ck_get_u64(b);
    if (b->bad || np > (uint64_t)g->nprocs)
        return -1; /* g->nprocs: the room the caller made */
    g->nprocs = 0;
    for (uint64_t i = 0; i < np; i++) {
        int bad = load_proc(g, b, (int)i);
        g->nprocs++; /* what it holds is freed with the others */
        if (bad)
            return -1;
    }
    g->objs = weft__ck_get_arr(b, &g->nobjs, sizeof *g->objs);
    g->capobjs = g->nobjs;
    for (size_t k = 0; k < g->nobjs && !b->bad; k++) {
        g->objs[k].kind = weft__ck_get_str(g, b);
        g->objs[k].info = weft__ck_get_str(g, b);
    }
    weft__ck_get_map(b, &g->live);
    g->losses = weft__ck_get_arr(b, &g->nlosses, sizeof *g->losses);
    g->caplosses = g->nlosses;
    for (size_t k = 0; k < g->nlosses && !b->bad; k++) {
        g->losses[k].log = weft__ck_get_str(g, b);
        g->losses[k].what = weft__ck_get_str(g, b);
    }
    g->spawns = weft__ck_get_arr(b, &g->nspawns, sizeof *g->spawns);
    g->capspawns = g->nspawns;
    g->forks = weft__ck_get_arr(b, &g->nforks, sizeof *g->forks);
    g->capforks = g->nforks;
    g->sums = weft__ck_get_arr(b, &g->nsums, sizeof *g->sums);
    g->capsums = g->nsums;
    weft__ck_get_map(b, &g->sum_idx);
    if (b->bad)
        return -1;
    return weft__ingest_pass_load(g, b);
}
