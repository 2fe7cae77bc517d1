/* SPDX-License-Identifier: MIT */
/* log_reader.c: validating reader of raw logs (see log.h). A log may be cut
 * short, come from a crashed process, have holes (a full disk), shrink
 * while we read it, or be any file at all; every offset and count is
 * checked before use so that no input can make us read out of bounds. The
 * file is read with pread into a buffer, never mapped: a hole reads as
 * zeros and a shrunken file as a short read, where a mapping would raise
 * SIGBUS. A damaged chunk is skipped whole and counted; the others are
 * kept. A big log's chunks are decoded by a few threads at once. */
#include "log_reader.h"
#include "stage.h"
#include "thread.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct weft__kind_row weft__kinds[WEFT_K_MAX] = {
#define WEFT__KIND_ROW(name, num, str, fam, blk) [num] = {str, fam, blk},
    WEFT_KINDS(WEFT__KIND_ROW)
#undef WEFT__KIND_ROW
};

/* "NAME: what is wrong" into err (WEFT_LOG_ERR bytes). */
static void failv(char *err, const char *name, const char *fmt, va_list ap) {
    int n = snprintf(err, WEFT_LOG_ERR, "%s: ", name);
    vsnprintf(err + n, WEFT_LOG_ERR - (size_t)n, fmt, ap);
}

static int fail_in(char *err, const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    failv(err, name, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail(struct weft_log *l, const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    failv(l->err, name, fmt, ap);
    va_end(ap);
    return -1;
}

/* The committed count of a chunk (in words), read once, so that validation
 * and decoding agree even if a live writer still appends. */
static uint32_t committed_of(const struct weft_log *l, uint64_t i) {
    const struct weft_log_chunk *c =
        (const void *)(l->map + WEFT_LOG_HEADER_SIZE + i * WEFT_LOG_CHUNK_SIZE);
    return __atomic_load_n(&c->committed, __ATOMIC_ACQUIRE);
}

static const uint64_t *words_of(const struct weft_log *l, uint64_t i) {
    return (const void *)(l->map + WEFT_LOG_HEADER_SIZE + i * WEFT_LOG_CHUNK_SIZE +
                          WEFT_LOG_CHUNK_HDR);
}

/* Walks chunk i (cnt words): validates every record and, with out, stores
 * the decoded ones (OWNER records only set the thread). Returns the number
 * of records, or -1 with err set (decoding threads each have their own). */
static int64_t walk(const struct weft_log *l, const char *name, uint64_t i, uint32_t cnt,
                    struct weft_rec *out, char *err) {
    const uint64_t *w = words_of(l, i);
    uint32_t max_tid = l->hdr->next_tid, tid = 0;
    struct weft_rec prev = {0}, r;
    int64_t n = 0;
    for (uint32_t k = 0, used; k < cnt; k += used, prev = r) {
        if (!(used = weft__log_step(w, k, cnt, &prev, &r, &tid, max_tid, i, name, err)))
            return -1;
        if (r.kind == WEFT_K_OWNER)
            continue;
        if (out)
            out[n] = r;
        n++;
    }
    return n;
}

uint32_t weft__log_bad_record(char *err, const char *name, uint64_t chunk, uint32_t word,
                              const struct weft_rec *r, uint32_t max_tid, int why) {
    unsigned long long c = (unsigned long long)chunk;
    if (why == 1)
        fail_in(err, name,
                "corrupt log: chunk %llu word %u: a record runs past the chunk or has unknown "
                "fields",
                c, word);
    else if (why == 2)
        fail_in(err, name, "corrupt log: chunk %llu word %u has kind %u", c, word, r->kind);
    else if (why == 5)
        fail_in(err, name, "corrupt log: chunk %llu word %u: a relock run of %u bytes (want %u)", c,
                word, r->dlen, 16 * WEFT_RUN_SLOTS);
    else if (why == 3)
        fail_in(err, name, "corrupt log: chunk %llu word %u names thread %llu of %u", c, word,
                (unsigned long long)r->arg, max_tid);
    else
        fail_in(err, name, "corrupt log: chunk %llu starts without its owner", c);
    return 0;
}

int weft__log_chunk_ok(const struct weft_log_chunk *c, uint32_t committed, uint64_t i,
                       const char *name, char *err, int *unwritten) {
    *unwritten = 0;
    if (committed == 0) {
        *unwritten = c->magic == 0;
        return 0;
    }
    if (c->magic != WEFT_LOG_CHUNK_MAGIC)
        return fail_in(err, name, "corrupt log: chunk %llu has a bad magic", (unsigned long long)i);
    if (committed > WEFT_LOG_CHUNK_WORDS)
        return fail_in(err, name, "corrupt log: chunk %llu claims %u words (max %u)",
                       (unsigned long long)i, committed, (unsigned)WEFT_LOG_CHUNK_WORDS);
    return 1;
}

double weft__log_tsc_rate(const struct weft_log_header *h, const unsigned char *chunk0,
                          size_t stride, const uint32_t *counts, uint64_t n) {
    if (!h->ts_tsc)
        return 0;
    uint64_t t0 = h->start_tsc, m0 = h->start_mono_ns, bt = 0, bm = 0;
    if (h->end_tsc > t0 && h->end_mono_ns > m0) {
        bt = h->end_tsc;
        bm = h->end_mono_ns;
    }
    for (uint64_t i = 0; i < n; i++) {
        const struct weft_log_chunk *c = (const void *)(chunk0 + i * stride);
        if (counts[i] && c->claim_tsc > bt && c->claim_ns > m0) {
            bt = c->claim_tsc;
            bm = c->claim_ns;
        }
    }
    return bt > t0 ? (double)(bm - m0) / (double)(bt - t0) : 1.0;
}

/* d ticks at rate ns a tick, in ns: clamped to int64_t, since a damaged
 * header's rate or a damaged record's timestamp can make any double (and
 * converting one out of range is undefined). */
/* One decoding thread's share: chunks [lo, hi) into an array of its own
 * (it only grows; big reallocs are remaps, not copies). */
struct part {
    struct weft_log *l;
    const char *name;
    uint64_t lo, hi;
    double rate;
    struct weft_rec *recs;
    uint64_t n, cap, words;
    uint64_t bad;           /* chunks skipped */
    uint64_t first_bad;     /* the first of them (UINT64_MAX: none) */
    char err[WEFT_LOG_ERR]; /* the first one's problem */
};

static void *decode_part(void *arg) {
    struct part *pt = arg;
    struct weft_log *l = pt->l;
    const struct weft_log_header *h = l->hdr;
    for (uint64_t i = pt->lo; i < pt->hi; i++) {
        uint32_t cnt = l->counts[i];
        l->first[i] = pt->n; /* made global after the join */
        if (!cnt)
            continue; /* unwritten or skipped: no records (and maybe no array yet) */
        if (pt->n + cnt > pt->cap) {
            /* A record takes at least one word: the part's words bound
             * its records, so a small log gets a small array. */
            uint64_t ncap = pt->cap ? pt->cap * 2 : (pt->words < 65536 ? pt->words : 65536);
            while (ncap < pt->n + cnt)
                ncap *= 2;
            struct weft_rec *nr = realloc(pt->recs, ncap * sizeof *nr);
            if (!nr) {
                /* the rest of this part is lost, counted as damaged */
                if (!pt->bad) {
                    fail_in(pt->err, pt->name, "out of memory for %llu records",
                            (unsigned long long)ncap);
                    pt->first_bad = i;
                }
                pt->bad += pt->hi - i;
                for (; i < pt->hi; i++)
                    l->first[i] = pt->n;
                return NULL;
            }
            pt->recs = nr;
            pt->cap = ncap;
        }
        char err[WEFT_LOG_ERR];
        int64_t m = walk(l, pt->name, i, cnt, pt->recs + pt->n, err);
        if (m < 0) {
            /* skipped whole: its records are not trusted, the others are */
            if (!pt->bad++) {
                memcpy(pt->err, err, sizeof err);
                pt->first_bad = i;
            }
            continue;
        }
        for (int64_t k = 0; k < m; k++) {
            struct weft_rec *r = &pt->recs[pt->n + (uint64_t)k];
            r->ts = weft__log_ns(h, pt->rate, r->ts);
        }
        pt->n += (uint64_t)m;
    }
    return NULL;
}

enum { MAX_PARTS = WEFT_LOG_READ_PARTS, CHUNKS_PER_PART = 64 };

int weft__log_header_ok(const struct weft_log_header *h, size_t size, const char *name, char *err) {
    if (size < WEFT_LOG_HEADER_SIZE)
        return fail_in(err, name, "not a weft log (too short for a header: %zu bytes)", size);
    if (memcmp(h->magic, WEFT_LOG_MAGIC, 8) != 0) {
        /* The writer stores the magic last: none means a header never
         * (or not yet) written, e.g. a child killed right after fork. */
        static const char zero[8];
        if (!memcmp(h->magic, zero, 8))
            return fail_in(err, name, "not a weft log (its header was never written)");
        return fail_in(err, name, "not a weft log (bad magic)");
    }
    if (h->version != WEFT_LOG_VERSION)
        return fail_in(err, name, "weft log format version %u, this weft reads version %u",
                       h->version, WEFT_LOG_VERSION);
    if (h->header_size != WEFT_LOG_HEADER_SIZE || h->chunk_size != WEFT_LOG_CHUNK_SIZE ||
        h->word_size != WEFT_LOG_WORD)
        return fail_in(err, name, "corrupt log header (sizes %u/%u/%u)", h->header_size,
                       h->chunk_size, h->word_size);
    if (h->capacity_chunks > (UINT64_MAX - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE)
        return fail_in(err, name, "corrupt log header (capacity %llu chunks)",
                       (unsigned long long)h->capacity_chunks);
    return 0;
}

/* The header's checks: 0, or -1 with l->err set when the file is no
 * readable weft log. l->size bytes are there (at least the header). */
static int check_header(struct weft_log *l, const char *name) {
    return weft__log_header_ok(l->hdr, l->size, name, l->err);
}

static int validate(struct weft_log *l, const char *name, int convert) {
    if (check_header(l, name) != 0)
        return -1;
    const struct weft_log_header *h = l->hdr;
    uint64_t claimed = __atomic_load_n(&h->chunks_claimed, __ATOMIC_ACQUIRE);
    uint64_t n = claimed < h->capacity_chunks ? claimed : h->capacity_chunks;
    uint64_t present = (l->size - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
    if (present < n) { /* cut short: keep what is there */
        l->missing_chunks = n - present;
        n = present;
    }
    l->nchunks = n;
    l->counts = calloc(n ? n : 1, sizeof *l->counts);
    l->first = calloc(n + 1, sizeof *l->first);
    l->part_of = calloc(n ? n : 1, 1);
    if (!l->counts || !l->first || !l->part_of)
        return fail(l, name, "out of memory for %llu chunks", (unsigned long long)n);
    /* The chunk headers first, each committed count read once, so that
     * validation and decoding agree even if a live writer still appends.
     * A bad header skips its chunk; an all-zero one was never written. */
    uint64_t words = 0, first_bad = UINT64_MAX;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t cnt = committed_of(l, i);
        const struct weft_log_chunk *c =
            (const void *)(l->map + WEFT_LOG_HEADER_SIZE + i * WEFT_LOG_CHUNK_SIZE);
        char err[WEFT_LOG_ERR];
        int unwritten, ok = weft__log_chunk_ok(c, cnt, i, name, err, &unwritten);
        l->unwritten_chunks += unwritten;
        if (ok < 0 && !l->bad_chunks++) {
            first_bad = i;
            memcpy(l->chunk_err, err, sizeof err);
        }
        if (ok <= 0)
            continue;
        l->counts[i] = cnt;
        words += cnt;
    }
    /* Then the records, decoded in parts of about as many words each by up
     * to MAX_PARTS threads: reading is the bulk of a big ingest, and each
     * chunk decodes alone (its runs start with full timestamps). */
    int nparts = weft__log_nparts(n, CHUNKS_PER_PART, MAX_PARTS);
    struct part parts[MAX_PARTS];
    double rate = convert
                      ? weft__log_tsc_rate(h, (const unsigned char *)l->map + WEFT_LOG_HEADER_SIZE,
                                           WEFT_LOG_CHUNK_SIZE, l->counts, n)
                      : 0;
    uint64_t lo = 0, acc = 0, prev_acc = 0;
    for (int k = 0; k < nparts; k++) {
        uint64_t hi = lo, want = words / (uint64_t)nparts * (uint64_t)(k + 1);
        while (hi < n && (k == nparts - 1 || acc < want))
            acc += l->counts[hi++];
        parts[k] = (struct part){.l = l,
                                 .name = name,
                                 .lo = lo,
                                 .hi = hi,
                                 .rate = rate,
                                 .words = acc - (k ? prev_acc : 0),
                                 .first_bad = UINT64_MAX};
        prev_acc = acc;
        lo = hi;
    }
    pthread_t th[MAX_PARTS];
    int started[MAX_PARTS] = {0};
    for (int k = 1; k < nparts; k++)
        started[k] = weft_thread_start(&th[k], decode_part, &parts[k]) == 0;
    decode_part(&parts[0]);
    for (int k = 1; k < nparts; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            decode_part(&parts[k]);
    }
    for (int k = 0; k < nparts; k++) {
        /* the first error in chunk order: what one reader would have said
         * (a bad chunk header, found above, comes before any record) */
        if (parts[k].bad && parts[k].first_bad < first_bad) {
            memcpy(l->chunk_err, parts[k].err, sizeof l->chunk_err);
            first_bad = parts[k].first_bad;
        }
        l->bad_chunks += parts[k].bad;
        l->parts[k] = parts[k].recs;
        for (uint64_t i = parts[k].lo; i < parts[k].hi; i++) {
            l->part_of[i] = (unsigned char)k;
            l->first[i] += l->nevents;
        }
        l->part_base[k] = l->nevents;
        l->nevents += parts[k].n;
    }
    l->first[n] = l->nevents;
    return 0;
}

int weft_log_open_mem(struct weft_log *l, const void *buf, size_t size, const char *name) {
    memset(l, 0, sizeof *l);
    l->map = buf;
    l->size = size;
    l->hdr = buf;
    if (validate(l, name, 0) != 0) {
        weft_log_close(l);
        return -1;
    }
    return 0;
}

int weft__log_nparts(uint64_t n, uint64_t per_part, int max) {
    uint64_t k = n / per_part + 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (k > (uint64_t)max)
        k = (uint64_t)max;
    if (cpus > 0 && k > (uint64_t)cpus)
        k = (uint64_t)cpus;
    const char *lim = getenv("WEFT_INGEST_THREADS");
    if (lim && atoi(lim) >= 1 && k > (uint64_t)atoi(lim))
        k = (uint64_t)atoi(lim);
    return (int)k;
}

size_t weft__log_pread(int fd, void *buf, size_t n, uint64_t off) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

int weft_log_open(struct weft_log *l, const char *path) {
    memset(l, 0, sizeof *l);
    /* Staged chunks completed first (stage.c), as the ingest's reader
     * does; those that cannot be are missing records this reader, the
     * tests' and fuzzers' oracle, does not count. */
    char herr[WEFT_LOG_ERR];
    uint64_t unhealed;
    (void)weft__log_heal(path, &unhealed, herr, sizeof herr);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
     * refused as not a regular file). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return fail(l, path, "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(l, path, "not a regular file");
    }
    char *buf = malloc(WEFT_LOG_HEADER_SIZE);
    if (!buf) {
        close(fd);
        return fail(l, path, "out of memory");
    }
    size_t got = weft__log_pread(fd, buf, WEFT_LOG_HEADER_SIZE, 0);
    l->map = buf;
    l->hdr = (const void *)buf;
    l->owned = 1;
    l->size = got;
    if (check_header(l, path) != 0) {
        close(fd);
        weft_log_close(l);
        return -1;
    }
    /* Only the claimed chunks that the file holds now are read: a 4 GiB
     * sparse log costs what was written. */
    uint64_t claimed = __atomic_load_n(&l->hdr->chunks_claimed, __ATOMIC_ACQUIRE);
    uint64_t n = claimed < l->hdr->capacity_chunks ? claimed : l->hdr->capacity_chunks;
    uint64_t present = (uint64_t)st.st_size < WEFT_LOG_HEADER_SIZE
                           ? 0
                           : ((uint64_t)st.st_size - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
    if (present < n)
        n = present;
    if (n > (SIZE_MAX - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE) {
        close(fd);
        weft_log_close(l);
        return fail(l, path, "corrupt log header (%llu chunks claimed)", (unsigned long long)n);
    }
    size_t size = WEFT_LOG_HEADER_SIZE + (size_t)n * WEFT_LOG_CHUNK_SIZE;
    char *all = realloc(buf, size);
    if (!all) {
        close(fd);
        weft_log_close(l);
        return fail(l, path, "out of memory for %llu chunks", (unsigned long long)n);
    }
    got = weft__log_pread(fd, all + WEFT_LOG_HEADER_SIZE, size - WEFT_LOG_HEADER_SIZE,
                          WEFT_LOG_HEADER_SIZE);
    close(fd);
    /* A file that shrank since fstat: only whole chunks count, the rest
     * is missing (validate counts it against chunks_claimed). */
    l->map = all;
    l->hdr = (const void *)all;
    l->size = WEFT_LOG_HEADER_SIZE + got / WEFT_LOG_CHUNK_SIZE * WEFT_LOG_CHUNK_SIZE;
    if (validate(l, path, 1) != 0) {
        weft_log_close(l);
        return -1;
    }
    return 0;
}

void weft_log_close(struct weft_log *l) {
    free(l->counts);
    free(l->first);
    free(l->part_of);
    for (int k = 0; k < WEFT_LOG_READ_PARTS; k++) {
        free(l->parts[k]);
        l->parts[k] = NULL;
    }
    l->counts = NULL;
    l->first = NULL;
    l->part_of = NULL;
    if (l->owned)
        free((void *)l->map);
    l->owned = 0;
    l->map = NULL;
    l->hdr = NULL;
}

const struct weft_rec *weft_log_chunk(const struct weft_log *l, uint64_t i, uint32_t *n) {
    *n = (uint32_t)(l->first[i + 1] - l->first[i]);
    int k = l->part_of[i];
    return l->parts[k] ? l->parts[k] + (l->first[i] - l->part_base[k]) : NULL;
}
