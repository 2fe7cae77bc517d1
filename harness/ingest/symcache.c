/* SPDX-License-Identifier: MIT */
/* symcache.c: the symbolizer's answers on disk between ingests
 * (symcache.h): where the cache lives, one file per build id read,
 * checked and written atomically, and the directory kept to its most
 * recently used files.
 *
 * A file (native byte order; the magic names the layout):
 *   header: magic "weftsym1", nent, ninl, strbytes, blen, the fingerprint,
 *           a FNV-1a sum of the body, the build id;
 *   body:   nent entries sorted by offset, ninl inlined frames, strbytes
 *           of NUL-terminated strings.
 * A string is named by its offset + 1 (0: none). Every count, offset and
 * order is checked on reading, and the sum catches a file cut short or
 * written over: a cache that fails any check is not used (and is written
 * again by the next ingest that finds answers). */
#include "symcache.h"
#include "log_reader.h"
#include "room.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_FILE_BYTES = 64 << 20, /* a bigger file is no cache of ours */
    MAX_ENTRIES = 1 << 20,     /* a module's answers kept at most */
    MAX_INL = 64,              /* inlined frames of one answer at most */
    KEEP_FILES = 512,          /* the directory pruned above this ... */
    PRUNE_TO = 384,            /* ... down to this many, least recently used first */
    TOUCH_AFTER_S = 3600       /* a used file's time is renewed at most this often */
};

static const char magic[8] = {'w', 'e', 'f', 't', 's', 'y', 'm', '1'};

struct hdr {
    char magic[8];
    uint32_t nent, ninl, strbytes, blen;
    struct weft__symcache_fp fp; /* five words, no padding */
    uint64_t sum;
    unsigned char bid[64];
};
struct dent {
    uint64_t off;
    int32_t line;
    uint32_t fn, src, inl0, ninl, pad;
};
struct dinl {
    uint32_t fn, call_file;
    int32_t call_line;
};

struct weft__symcache {
    char *body; /* the file's body: the answers' strings point into it */
    struct weft__sym_ans *ans;
    struct weft__sym_inl *inl;
    size_t n;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}
#define FNV0 0xcbf29ce484222325u

/* ---- the directory ---- */

/* mkdir -p of path (0700 for what it makes): 0, or -1. */
static int make_dirs(char *path) {
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = 0;
        int r = mkdir(path, 0700);
        *p = c;
        if (r != 0 && errno != EEXIST)
            return -1;
        if (!c)
            break;
    }
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int weft__symcache_dir(char *buf, size_t n) {
    const char *d = getenv("WEFT_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    int len;
    if (d) /* (relative: to the ingest's directory, as the user said) */
        len = *d && strcmp(d, "off") != 0 ? snprintf(buf, n, "%s/symbols", d) : -1;
    else if (x && x[0] == '/') /* the XDG rule: a relative value is ignored */
        len = snprintf(buf, n, "%s/weft/symbols", x);
    else if (h && h[0] == '/')
        len = snprintf(buf, n, "%s/.cache/weft/symbols", h);
    else
        len = -1;
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

static void file_name(char *buf, size_t n, const char *dir, const unsigned char *bid, size_t blen) {
    int k = snprintf(buf, n, "%s/", dir);
    for (size_t i = 0; i < blen && k > 0 && (size_t)k + 3 < n; i++)
        k += snprintf(buf + k, n - (size_t)k, "%02x", bid[i]);
    if (k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ".sym");
}

/* ---- reading ---- */

/* A string reference of the file (offset + 1, 0: none) as a pointer
 * into strs; ok cleared when it is out of range. */
static const char *str_at(const char *strs, uint32_t strbytes, uint32_t ref, int *ok) {
    if (!ref)
        return NULL;
    if (ref > strbytes) {
        *ok = 0;
        return NULL;
    }
    return strs + ref - 1;
}

/* c->body's entries as answers into c: 0, or -1 when any check fails. */
static int decode(struct weft__symcache *c, const struct hdr *h) {
    const struct dent *de = (const void *)c->body;
    const struct dinl *di = (const void *)(c->body + (size_t)h->nent * sizeof *de);
    const char *strs = (const char *)(di + h->ninl);
    if (h->strbytes && strs[h->strbytes - 1] != 0)
        return -1; /* every string ends inside the file */
    if (!(c->ans = malloc((h->nent ? h->nent : 1) * sizeof *c->ans)) ||
        !(c->inl = malloc((h->ninl ? h->ninl : 1) * sizeof *c->inl)))
        return -1;
    int ok = 1;
    for (uint32_t i = 0; i < h->ninl; i++)
        c->inl[i] = (struct weft__sym_inl){str_at(strs, h->strbytes, di[i].fn, &ok),
                                           str_at(strs, h->strbytes, di[i].call_file, &ok),
                                           di[i].call_line};
    for (uint32_t i = 0; i < h->nent && ok; i++) {
        const struct dent *e = &de[i];
        if ((i && e->off <= de[i - 1].off) || e->ninl > MAX_INL || e->inl0 > h->ninl ||
            e->ninl > h->ninl - e->inl0)
            return -1;
        c->ans[i] = (struct weft__sym_ans){e->off,
                                           e->line,
                                           str_at(strs, h->strbytes, e->fn, &ok),
                                           str_at(strs, h->strbytes, e->src, &ok),
                                           e->ninl ? c->inl + e->inl0 : NULL,
                                           e->ninl};
    }
    c->n = h->nent;
    return ok ? 0 : -1;
}

struct weft__symcache *weft__symcache_load(const char *dir, const unsigned char *bid, size_t blen,
                                           const struct weft__symcache_fp *fp) {
    if (!dir || !blen || blen > sizeof((struct hdr *)0)->bid)
        return NULL;
    char path[4096];
    file_name(path, sizeof path, dir, bid, blen);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    struct hdr h;
    char *body = NULL;
    struct weft__symcache *c = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof h ||
        st.st_size > MAX_FILE_BYTES || weft__log_pread(fd, &h, sizeof h, 0) != sizeof h ||
        memcmp(h.magic, magic, sizeof magic) != 0 || h.blen != blen ||
        memcmp(h.bid, bid, blen) != 0 || memcmp(&h.fp, fp, sizeof *fp) != 0)
        goto out;
    uint64_t size = (uint64_t)h.nent * sizeof(struct dent) +
                    (uint64_t)h.ninl * sizeof(struct dinl) + h.strbytes;
    if (size != (uint64_t)st.st_size - sizeof h || !(body = malloc(size ? size : 1)) ||
        weft__log_pread(fd, body, size, sizeof h) != size || fnv(FNV0, body, size) != h.sum ||
        !(c = calloc(1, sizeof *c)))
        goto out;
    c->body = body;
    body = NULL;
    if (decode(c, &h) != 0) {
        weft__symcache_free(c);
        c = NULL;
        goto out;
    }
    if (time(NULL) - st.st_mtim.tv_sec > TOUCH_AFTER_S)
        (void)futimens(fd, NULL); /* recently used (a read-only cache stays as it is) */
out:
    free(body);
    close(fd);
    return c;
}

int weft__symcache_get(const struct weft__symcache *c, uint64_t off, struct weft__sym_ans *out) {
    if (!c)
        return 0;
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ans[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == c->n || c->ans[lo].off != off)
        return 0;
    *out = c->ans[lo];
    return 1;
}

void weft__symcache_free(struct weft__symcache *c) {
    if (!c)
        return;
    free(c->body);
    free(c->ans);
    free(c->inl);
    free(c);
}

/* ---- writing ---- */

/* A growing byte buffer; err once any growth failed. */
struct buf {
    char *p;
    size_t n, cap;
    int err;
};
static size_t put(struct buf *b, const void *p, size_t n) {
    size_t at = b->n;
    if (b->err)
        return 0;
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->n < n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->err = 1;
            return 0;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + at, p, n);
    b->n += n;
    return at;
}

/* The strings written once each: an open-addressing set of (hash,
 * reference) over the string buffer. */
struct strtab {
    struct buf s;
    uint64_t *h;
    uint32_t *ref;
    size_t cap, used;
};
static uint32_t str_ref(struct strtab *t, const char *s) {
    if (!s)
        return 0;
    if (t->used * 2 >= t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        uint64_t *nh = calloc(ncap, sizeof *nh);
        uint32_t *nr = calloc(ncap, sizeof *nr);
        if (!nh || !nr) {
            free(nh);
            free(nr);
            t->s.err = 1;
            return 0;
        }
        for (size_t i = 0; i < t->cap; i++)
            if (t->h[i]) {
                size_t j = t->h[i] & (ncap - 1);
                while (nh[j])
                    j = (j + 1) & (ncap - 1);
                nh[j] = t->h[i];
                nr[j] = t->ref[i];
            }
        free(t->h);
        free(t->ref);
        t->h = nh;
        t->ref = nr;
        t->cap = ncap;
    }
    size_t len = strlen(s);
    uint64_t h = fnv(FNV0, s, len) | 1;
    size_t j = h & (t->cap - 1);
    for (; t->h[j]; j = (j + 1) & (t->cap - 1))
        if (t->h[j] == h && !strcmp(t->s.p + t->ref[j] - 1, s))
            return t->ref[j];
    size_t at = put(&t->s, s, len + 1);
    if (t->s.err || at + 1 > UINT32_MAX - len) {
        t->s.err = 1;
        return 0;
    }
    t->h[j] = h;
    t->ref[j] = (uint32_t)at + 1;
    t->used++;
    return t->ref[j];
}

static int by_off(const void *x, const void *y) {
    const struct weft__sym_ans *a = *(const struct weft__sym_ans *const *)x,
                               *b = *(const struct weft__sym_ans *const *)y;
    return (a->off > b->off) - (a->off < b->off);
}

/* n bytes at p to f (none: nothing, p may be NULL): 1, or 0. */
static int put_file(FILE *f, const void *p, size_t n) {
    return !n || fwrite(p, 1, n, f) == n;
}

struct aged {
    struct timespec t;
    char name[256];
};
static int older(const void *x, const void *y) {
    const struct aged *a = x, *b = y;
    if (a->t.tv_sec != b->t.tv_sec)
        return a->t.tv_sec < b->t.tv_sec ? -1 : 1;
    return (a->t.tv_nsec > b->t.tv_nsec) - (a->t.tv_nsec < b->t.tv_nsec);
}

/* Keeps dir to its KEEP_FILES most recently used caches (down to
 * PRUNE_TO once above), and removes what a killed writer left (a
 * temporary file an hour old). Only our names are touched. */
static void prune(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct aged *all = NULL;
    size_t n = 0, cap = 0;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        int tmp = e->d_name[0] == '.' && strstr(e->d_name, ".sym.") != NULL;
        int sym = len > 4 && len < sizeof all->name && !strcmp(e->d_name + len - 4, ".sym");
        struct stat st;
        if ((!tmp && !sym) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (tmp) {
            if (now - st.st_mtim.tv_sec > 3600)
                (void)unlinkat(dirfd(d), e->d_name, 0);
            continue;
        }
        if (ROOM(all, n, cap, 64) != 0)
            break;
        all[n].t = st.st_mtim;
        memcpy(all[n].name, e->d_name, len + 1);
        n++;
    }
    if (n > KEEP_FILES) {
        qsort(all, n, sizeof *all, older);
        for (size_t i = 0; i < n - PRUNE_TO; i++)
            (void)unlinkat(dirfd(d), all[i].name, 0);
    }
    free(all);
    closedir(d);
}

int weft__symcache_save(const char *dir, const unsigned char *bid, size_t blen,
                        const struct weft__symcache_fp *fp, const struct weft__symcache *old,
                        const struct weft__sym_ans *ans, size_t n) {
    if (!dir || !blen || blen > sizeof((struct hdr *)0)->bid)
        return -1;
    /* the answers to write, new ones first (they win a cap), sorted */
    size_t total = n + (old ? old->n : 0), k = 0;
    char dirbuf[4096];
    if (snprintf(dirbuf, sizeof dirbuf, "%s", dir) >= (int)sizeof dirbuf || make_dirs(dirbuf) != 0)
        return -1;
    const struct weft__sym_ans **all = malloc((total ? total : 1) * sizeof *all);
    if (!all)
        return -1;
    for (size_t i = 0; i < n && k < MAX_ENTRIES; i++)
        all[k++] = &ans[i];
    qsort(all, k, sizeof *all, by_off);
    size_t fresh = k;
    for (size_t i = 0; old && i < old->n && k < MAX_ENTRIES; i++) {
        struct weft__sym_ans probe = {.off = old->ans[i].off};
        const struct weft__sym_ans *pp = &probe;
        if (!bsearch(&pp, all, fresh, sizeof *all, by_off))
            all[k++] = &old->ans[i];
    }
    qsort(all, k, sizeof *all, by_off);
    struct buf ents = {0}, inls = {0};
    struct strtab st = {0};
    uint32_t ninl = 0;
    for (size_t i = 0; i < k; i++) {
        const struct weft__sym_ans *a = all[i];
        uint32_t m = a->ninl < MAX_INL ? a->ninl : MAX_INL;
        struct dent de = {a->off, a->line, str_ref(&st, a->fn), str_ref(&st, a->src), ninl, m, 0};
        for (uint32_t j = 0; j < m; j++) {
            struct dinl di = {str_ref(&st, a->inl[j].fn), str_ref(&st, a->inl[j].call_file),
                              a->inl[j].call_line};
            put(&inls, &di, sizeof di);
        }
        ninl += m;
        put(&ents, &de, sizeof de);
    }
    free(all);
    int rc = -1;
    char path[4096], tmp[4200];
    if (ents.err || inls.err || st.s.err || st.s.n > UINT32_MAX)
        goto out;
    struct hdr h = {
        .nent = (uint32_t)k, .ninl = ninl, .strbytes = (uint32_t)st.s.n, .blen = (uint32_t)blen};
    memcpy(h.magic, magic, sizeof magic);
    h.fp = *fp;
    memcpy(h.bid, bid, blen);
    h.sum = fnv(fnv(fnv(FNV0, ents.p, ents.n), inls.p, inls.n), st.s.p, st.s.n);
    file_name(path, sizeof path, dir, bid, blen);
    const char *base = strrchr(path, '/') + 1;
    snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", (int)(base - path), path, base);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        if (fd >= 0) {
            close(fd);
            (void)unlink(tmp);
        }
        goto out;
    }
    int wrote = put_file(f, &h, sizeof h) && put_file(f, ents.p, ents.n) &&
                put_file(f, inls.p, inls.n) && put_file(f, st.s.p, st.s.n);
    /* (fclose reports a write that failed at the flush, a full disk: a
     * file that did not close whole never replaces the cache) */
    if (fclose(f) == 0 && wrote && rename(tmp, path) == 0)
        rc = 0;
    else
        (void)unlink(tmp);
    if (rc == 0)
        prune(dir);
out:
    free(ents.p);
    free(inls.p);
    free(st.s.p);
    free(st.h);
    free(st.ref);
    return rc;
}
