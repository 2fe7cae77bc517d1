/* SPDX-License-Identifier: MIT */
/* stream.c: the streaming reader of raw logs (stream.h): opening a log
 * (its header, its chunk headers, then its chunks cut into runs) and the
 * lazy k-way merge of the runs of every log into the global order. The
 * validation is log_reader.c's, record for record: a chunk one rejects
 * the other rejects, and the records kept are the same. */
#include "stream.h"
#include "stage.h"

#include "relock.h"
#include "room.h"
#include "thread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failv(char *err, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failv(char *err, const char *name, const char *fmt, ...) {
    int n = snprintf(err, WEFT_LOG_ERR, "%s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, WEFT_LOG_ERR - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Up to n bytes at off of the log into buf, going on after short reads:
 * the bytes read (fewer at the end of the file, or on an error). */
static size_t read_fd(const struct weft_slog *l, int fd, void *buf, size_t n, uint64_t off) {
    if (fd >= 0)
        return weft__log_pread(fd, buf, n, off);
    if (off >= l->size)
        return 0;
    size_t k = l->size - off < n ? (size_t)(l->size - off) : n;
    memcpy(buf, l->mem + off, k);
    return k;
}

static size_t read_at(const struct weft_slog *l, void *buf, size_t n, uint64_t off) {
    return read_fd(l, l->fd, buf, n, off);
}

static uint64_t to_ns(const struct weft_slog *l, uint64_t ts) {
    return weft__log_ns(&l->hdr, l->rate, ts);
}

/* A record's place among records of the same ns (the merge's key below):
 * its raw time, but none for a time past WEFT_TS_MAX (a damaged record's,
 * bounded there): those keep their thread and position order. */
static uint64_t tie_of(uint64_t ns, uint64_t raw) {
    return ns >= WEFT_TS_MAX ? 0 : raw;
}

/* One validating thread's share of the second pass: chunks [lo, hi),
 * their runs in an array of its own. The parts' results are joined in
 * chunk order, so the runs, counts and first error are what one thread
 * walking every chunk would have found. */
struct vpart {
    const struct weft_slog *l;
    const uint32_t *counts;
    uint64_t lo, hi;
    struct weft__run *runs;
    size_t nruns, capruns;
    uint64_t nevents, backs, bad, first_bad;
    uint64_t cut; /* the first chunk that could not be read (UINT64_MAX: none) */
    int oom;      /* no buffer for a chunk's words */
    int fd;       /* the file opened again, or l->fd (-1: a buffer) */
    char err[WEFT_LOG_ERR];
};

/* Appends r to the array *runs (*n of them, room for *cap): the new
 * run, or NULL when out of memory (the array unchanged). The whole
 * reader's parts and a live log's runs grow the same way. */
static struct weft__run *push_run(struct weft__run **runs, size_t *n, size_t *cap,
                                  const struct weft__run *r) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct weft__run *nr = realloc(*runs, nc * sizeof *nr);
        if (!nr)
            return NULL;
        *runs = nr;
        *cap = nc;
    }
    (*runs)[*n] = *r;
    return &(*runs)[(*n)++];
}

/* Raw times in [lo, lo + span] (unsigned: one compare) whose ns are below
 * WEFT_TS_MAX. Between two of them a thread's time went back exactly when
 * the raw time did: to_ns never decreases as the raw time grows (a
 * product by a positive rate and truncation keep order), and records of
 * the same ns are ordered by the raw time (tie_of). So the walk converts
 * only where a run starts, not every record. Outside the zone (a time
 * before the log's start, a damaged one) it converts as the merge does. */
struct zone {
    uint64_t lo, span;
};
static struct zone mono_zone(const struct weft_slog *l) {
    if (!(l->rate > 0))
        return (struct zone){0, WEFT_TS_MAX - 1}; /* ns are the raw times */
    uint64_t lo = l->hdr.start_tsc, room = WEFT_TS_MAX - 1 - l->hdr.start_mono_ns;
    if (l->hdr.start_mono_ns >= WEFT_TS_MAX - 1)
        return (struct zone){lo, 0};
    double est = (double)room / l->rate / 2; /* half: a margin for rounding */
    uint64_t span = est < 0x1p62 ? (uint64_t)est : 1ull << 62;
    while (span && to_ns(l, lo + span) >= WEFT_TS_MAX)
        span /= 2;
    return (struct zone){lo, span};
}

/* Whether a thread's record at raw time raw goes before its one at
 * last_raw in trace order, (ns, tie_of): its time went back, a new run
 * starts. Converted only outside z. */
static int went_back(const struct weft_slog *l, const struct zone *z, uint64_t raw,
                     uint64_t last_raw) {
    if (raw - z->lo <= z->span && last_raw - z->lo <= z->span)
        return raw < last_raw;
    uint64_t ns = to_ns(l, raw), last_ns = to_ns(l, last_raw);
    return ns < last_ns || (ns == last_ns && tie_of(ns, raw) < tie_of(last_ns, last_raw));
}

/* The run that record r starts: word k of chunk i's cnt words, thread
 * tid's, after prev (raw times). */
static struct weft__run run_from(const struct weft_slog *l, uint64_t i, uint32_t k, uint32_t cnt,
                                 uint32_t tid, const struct weft_rec *prev,
                                 const struct weft_rec *r) {
    uint64_t ns = to_ns(l, r->ts);
    return (struct weft__run){.chunk = i,
                              .first_ts = ns,
                              .first_tie = tie_of(ns, r->ts),
                              .prev_ts = prev->ts,
                              .prev_obj = prev->obj,
                              .word = k,
                              .end = cnt,
                              .tid = tid,
                              .lo = k};
}

/* Record r, at word k, joins run cur: 1 when it names an anchor (its
 * words are read from that anchor on: lo). */
static int run_add(struct weft__run *cur, const struct weft_rec *r, uint32_t k) {
    cur->nrecs++;
    cur->relocks += r->relock;
    if (r->back && k - r->back < cur->lo)
        cur->lo = k - r->back;
    return r->back != 0;
}

/* Walks chunk i's cnt words: validates every record (log_reader.h's step,
 * as the whole reader does) and appends its runs to p's, dropped again
 * when a later record fails. 0, or -1 with err. A run ends where its
 * thread's time goes back or another owner takes the chunk over. */
static int walk(struct vpart *p, uint64_t i, const uint64_t *w, uint32_t cnt, char *err) {
    const struct weft_slog *l = p->l;
    uint32_t tid = 0;
    struct weft_rec prev = {0}, r;
    size_t first_run = p->nruns;
    struct weft__run *cur = NULL;
    struct zone z = mono_zone(l);
    uint64_t n = 0;
    for (uint32_t k = 0, used; k < cnt; k += used, prev = r) {
        used = weft__log_step(w, k, cnt, &prev, &r, &tid, l->hdr.next_tid, i, l->name, err);
        if (!used) {
            p->nruns = first_run;
            return -1;
        }
        if (r.kind == WEFT_K_OWNER) {
            if (cur)
                cur->end = k;
            cur = NULL;
            continue;
        }
        /* (with a run open, prev is its last record: raw times) */
        if (!cur || went_back(l, &z, r.ts, prev.ts)) {
            struct weft__run run = run_from(l, i, k, cnt, tid, &prev, &r);
            if (cur)
                cur->end = k;
            if (!(cur = push_run(&p->runs, &p->nruns, &p->capruns, &run))) {
                p->nruns = first_run;
                snprintf(err, WEFT_LOG_ERR, "%s: out of memory for the runs of chunk %llu", l->name,
                         (unsigned long long)i);
                return -1;
            }
        }
        p->backs += (uint64_t)run_add(cur, &r, k);
        n++;
    }
    p->nevents += n;
    return 0;
}

/* Asks the kernel to start reading bytes [off, off + len) of the file
 * now, so that the reads that follow find them in memory (a big log is
 * read once to validate it and once more by the merge). A hint only. */
static void readahead_at(const struct weft_slog *l, uint64_t off, uint64_t len) {
    if (l->fd >= 0 && off < l->size)
        (void)posix_fadvise(l->fd, (off_t)off, (off_t)len, POSIX_FADV_WILLNEED);
}

enum {
    MAX_VPARTS = 4,        /* validating threads at most */
    CHUNKS_PER_VPART = 64, /* chunks a thread is worth (4 MiB) */
    RA_CHUNKS = 64         /* readahead window, in chunks (4 MiB) */
};

/* Pass 2 over p's chunks: read, validate, cut into runs. Stops at the
 * first chunk the file no longer holds (p->cut). */
static void *walk_part(void *arg) {
    struct vpart *p = arg;
    const struct weft_slog *l = p->l;
    uint64_t *words = malloc(WEFT_LOG_CHUNK_WORDS * sizeof *words);
    uint64_t ra = p->lo;
    if (!words) {
        p->oom = 1;
        return NULL;
    }
    for (uint64_t i = p->lo; i < p->hi; i++) {
        uint32_t cnt = p->counts[i];
        if (!cnt)
            continue;
        if (i >= ra) { /* the next window, while this one is walked */
            uint64_t end = i + 2 * RA_CHUNKS < p->hi ? i + 2 * RA_CHUNKS : p->hi;
            readahead_at(l, weft_log_chunk_off(i), weft_log_chunk_off(end) - weft_log_chunk_off(i));
            ra = i + RA_CHUNKS;
        }
        size_t want = (size_t)cnt * WEFT_LOG_WORD;
        char err[WEFT_LOG_ERR];
        if (read_fd(l, p->fd, words, want, weft_log_word_off(i, 0)) < want) {
            p->cut = i;
            break;
        } else if (walk(p, i, words, cnt, err) == 0) {
            continue;
        }
        /* skipped whole: its records are not trusted, the others are */
        if (!p->bad++) {
            memcpy(p->err, err, sizeof err);
            p->first_bad = i;
        }
    }
    free(words);
    return NULL;
}

/* The log's file opened once more, for a validating thread of its own:
 * the kernel's readahead is kept per open file, and threads reading
 * different ranges through one would make each other's reads look
 * random to it. Through /proc/self/fd, so it is the file we opened even
 * if its path was replaced since. l->fd when that fails (or for a
 * buffer). */
static int reopen(const struct weft_slog *l) {
    if (l->fd < 0)
        return l->fd;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", l->fd);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    return fd >= 0 ? fd : l->fd;
}

/* Pass 2 on up to MAX_VPARTS threads, each a run of chunks of about as
 * many words, then their results joined in chunk order. 0, or -1 when
 * out of memory for the joined runs. */
static int walk_chunks(struct weft_slog *l, const uint32_t *counts, uint64_t *first_bad) {
    uint64_t n = l->nchunks, words = 0;
    for (uint64_t i = 0; i < n; i++)
        words += counts[i];
    int np = weft__log_nparts(n, CHUNKS_PER_VPART, MAX_VPARTS);
    struct vpart parts[MAX_VPARTS];
    uint64_t lo = 0, acc = 0;
    for (int k = 0; k < np; k++) {
        uint64_t hi = lo, want = words / (uint64_t)np * (uint64_t)(k + 1);
        while (hi < n && (k == np - 1 || acc < want))
            acc += counts[hi++];
        parts[k] = (struct vpart){.l = l,
                                  .counts = counts,
                                  .lo = lo,
                                  .hi = hi,
                                  .first_bad = UINT64_MAX,
                                  .cut = UINT64_MAX,
                                  .fd = k ? reopen(l) : l->fd};
        lo = hi;
    }
    pthread_t th[MAX_VPARTS];
    int started[MAX_VPARTS] = {0};
    for (int k = 1; k < np; k++)
        started[k] = weft_thread_start(&th[k], walk_part, &parts[k]) == 0;
    walk_part(&parts[0]);
    for (int k = 1; k < np; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        else
            walk_part(&parts[k]);
    }
    /* Joined as one walk in chunk order would have left them: a part
     * that hit the end of the file ends the log there, and the parts
     * after it count for nothing. */
    size_t total = 0;
    int last = np - 1, rc = 0;
    for (int k = 0; k < np; k++) {
        total += parts[k].nruns;
        if (parts[k].oom)
            rc = failv(l->err, l->name, "out of memory for a chunk's words");
        if (parts[k].cut != UINT64_MAX) {
            last = k;
            break;
        }
    }
    if (last == 0) { /* one part's runs are the log's as they are */
        l->runs = parts[0].runs;
        parts[0].runs = NULL;
    } else if (!rc && !(l->runs = malloc((total ? total : 1) * sizeof *l->runs))) {
        rc = failv(l->err, l->name, "out of memory for %zu runs", total);
    }
    for (int k = 0; k <= last && !rc; k++) {
        struct vpart *p = &parts[k];
        if (k || last)
            memcpy(l->runs + l->nruns, p->runs, p->nruns * sizeof *p->runs);
        l->nruns += p->nruns;
        l->nevents += p->nevents;
        l->backs += p->backs;
        if (p->bad && (!l->bad_chunks || p->first_bad < *first_bad)) {
            memcpy(l->chunk_err, p->err, sizeof p->err);
            *first_bad = p->first_bad;
        }
        l->bad_chunks += p->bad;
        if (p->cut != UINT64_MAX) {
            l->missing_chunks += n - p->cut;
            l->nchunks = p->cut;
        }
    }
    l->capruns = l->nruns;
    for (int k = 0; k < np; k++) {
        free(parts[k].runs);
        if (parts[k].fd != l->fd)
            close(parts[k].fd);
    }
    return rc;
}

void weft__slog_consumed_path(const char *log, char *buf, size_t n) {
    const char *base = strrchr(log, '/');
    if (base)
        snprintf(buf, n, "%.*s/consumed.%s", (int)(base - log), log, base + 1);
    else
        snprintf(buf, n, "consumed.%s", log);
}

/* Log path's consumed file, as one flag per chunk (n of them); NULL when
 * there is none (or no memory: then the chunks read as holes). */
static unsigned char *read_consumed(const char *path, uint64_t n) {
    char name[4200];
    weft__slog_consumed_path(path, name, sizeof name);
    FILE *f = fopen(name, "re");
    if (!f)
        return NULL;
    unsigned char *gone = calloc(n ? n : 1, 1);
    unsigned long long a, b;
    while (gone && fscanf(f, "%llu %llu", &a, &b) == 2)
        for (uint64_t i = a; i < b && i < n; i++)
            gone[i] = 1;
    fclose(f);
    return gone;
}

/* A staged chunk whose copier was killed is completed before any
 * reading (stage.c); one that cannot be stays unwritten, and is counted
 * so. */
static void heal(struct weft_slog *l, const char *path) {
    uint64_t n;
    char err[WEFT_LOG_ERR];
    if (weft__log_heal(path, &n, err, sizeof err) < 0 && n > l->unhealed_chunks) {
        l->unhealed_chunks = n;
        memcpy(l->heal_err, err, sizeof err);
    }
}

static int open_common(struct weft_slog *l, int convert) {
    char hbuf[WEFT_LOG_HEADER_SIZE];
    size_t got = read_at(l, hbuf, sizeof hbuf, 0);
    memset(&l->hdr, 0, sizeof l->hdr);
    memcpy(&l->hdr, hbuf, got < sizeof l->hdr ? got : sizeof l->hdr);
    if (weft__log_header_ok(&l->hdr, got, l->name, l->err) != 0)
        return -1;
    uint64_t claimed = l->hdr.chunks_claimed;
    uint64_t n = claimed < l->hdr.capacity_chunks ? claimed : l->hdr.capacity_chunks;
    uint64_t present =
        l->size < WEFT_LOG_HEADER_SIZE ? 0 : (l->size - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
    if (present < n) { /* cut short: keep what is there */
        l->missing_chunks = n - present;
        n = present;
    }
    l->nchunks = n;
    /* Pass 1: the chunk headers, each committed count read once, so that
     * the walk below and the merge agree even if a live writer appends. */
    struct weft_log_chunk *ch = calloc(n ? n : 1, sizeof *ch);
    uint32_t *counts = calloc(n ? n : 1, sizeof *counts);
    int rc = -1;
    if (!ch || !counts) {
        failv(l->err, l->name, "out of memory for %llu chunks", (unsigned long long)n);
        goto out;
    }
    uint64_t first_bad = UINT64_MAX;
    /* the chunks a live ingest that did not finish consumed and gave back */
    unsigned char *gone = l->fd >= 0 ? read_consumed(l->name, n) : NULL;
    for (uint64_t i = 0; i < n; i++) {
        if (gone && gone[i]) {
            l->consumed_chunks++;
            l->trailing_unwritten = 0;
            continue;
        }
        if (read_at(l, &ch[i], sizeof ch[i], weft_log_chunk_off(i)) < sizeof ch[i]) {
            /* the file shrank since: the rest is missing */
            l->missing_chunks += n - i;
            l->nchunks = n = i;
            break;
        }
        char err[WEFT_LOG_ERR];
        int unwritten,
            ok = weft__log_chunk_ok(&ch[i], ch[i].committed, i, l->name, err, &unwritten);
        l->unwritten_chunks += unwritten;
        l->trailing_unwritten = unwritten ? l->trailing_unwritten + 1 : 0;
        if (ok < 0 && !l->bad_chunks++) {
            first_bad = i;
            memcpy(l->chunk_err, err, sizeof err);
        }
        if (ok > 0)
            counts[i] = ch[i].committed;
    }
    l->rate = convert ? weft__log_tsc_rate(&l->hdr, (const unsigned char *)ch, sizeof *ch, counts,
                                           l->nchunks)
                      : 0;
    free(gone);
    /* Pass 2: every chunk's records, validated, cut into runs. */
    rc = walk_chunks(l, counts, &first_bad);
out:
    free(ch);
    free(counts);
    return rc;
}

int weft_slog_open_mem(struct weft_slog *l, const void *buf, size_t size, const char *name) {
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->mem = buf;
    l->size = size;
    l->name = name;
    if (open_common(l, 0) != 0) {
        weft_slog_close(l);
        return -1;
    }
    return 0;
}

int weft_slog_open(struct weft_slog *l, const char *path) {
    memset(l, 0, sizeof *l);
    l->name = path;
    heal(l, path);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
     * refused as not a regular file). */
    l->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (l->fd < 0)
        return failv(l->err, path, "%s", strerror(errno));
    struct stat st;
    if (fstat(l->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        weft_slog_close(l);
        return failv(l->err, path, "not a regular file");
    }
    l->size = (size_t)st.st_size;
    if (open_common(l, 1) != 0) {
        weft_slog_close(l);
        return -1;
    }
    return 0;
}

int weft_slog_resume(struct weft_slog *l, double rate, int ready, struct weft__skip *skip,
                     size_t nskip) {
    if (l->lc) /* before the first refresh only */
        return failv(l->err, l->name, "resumed after its first reading");
    if (ready) {
        l->rate = rate;
        l->ready = 1;
    }
    l->skip = skip;
    l->nskip = nskip;
    l->ngone = l->hdr.capacity_chunks;
    l->gone = read_consumed(l->name, l->ngone);
    if (!l->gone)
        l->ngone = 0;
    return 0;
}

void weft_slog_close(struct weft_slog *l) {
    free(l->skip);
    l->skip = NULL;
    l->nskip = 0;
    free(l->gone);
    l->gone = NULL;
    l->ngone = 0;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    free(l->runs);
    l->runs = NULL;
    l->nruns = l->capruns = 0;
    free(l->lc);
    l->lc = NULL;
    free(l->tids);
    l->tids = NULL;
    free(l->lruns);
    l->lruns = NULL;
    l->nlruns = l->caplruns = 0;
}

/* ---- live reading ---- */

int weft_slog_open_live(struct weft_slog *l, const char *path) {
    memset(l, 0, sizeof *l);
    heal(l, path);
    l->name = l->path = path;
    l->live = 1;
    l->calib_ns = 1000000000ull;
    l->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (l->fd < 0)
        return failv(l->err, path, "%s", strerror(errno));
    struct stat st;
    char hbuf[WEFT_LOG_HEADER_SIZE];
    if (fstat(l->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        weft_slog_close(l);
        return failv(l->err, path, "not a regular file");
    }
    l->size = (size_t)st.st_size;
    size_t got = read_at(l, hbuf, sizeof hbuf, 0);
    memcpy(&l->hdr, hbuf, got < sizeof l->hdr ? got : sizeof l->hdr);
    if (weft__log_header_ok(&l->hdr, got, l->name, l->err) != 0) {
        int fd = l->fd;
        l->fd = -1;
        close(fd);
        weft_slog_close(l);
        return -1;
    }
    return 0;
}

/* The thread's latest chunk, from the OWNER records seen: a chunk whose
 * last owner has gone on to another is never written again unless it
 * has room to be recycled (log_writer.c gives back a chunk with 512 words
 * left or more). */
static int note_owner(struct weft_slog *l, uint32_t tid, uint64_t chunk, uint64_t ts) {
    if (tid >= l->captid) {
        uint32_t nc = l->captid ? l->captid : 64;
        while (nc <= tid)
            nc *= 2;
        struct weft__ltid *t = realloc(l->tids, nc * sizeof *t);
        if (!t)
            return -1;
        memset(t + l->captid, 0, (nc - l->captid) * sizeof *t);
        l->tids = t;
        l->captid = nc;
    }
    if (!l->tids[tid].chunk1 || ts >= l->tids[tid].ts)
        l->tids[tid] = (struct weft__ltid){chunk + 1, ts};
    return 0;
}

static int chunk_closed(const struct weft_slog *l, uint64_t i) {
    const struct weft__lchunk *c = &l->lc[i];
    if (l->ended || c->bad || c->sealed)
        return 1;
    if (WEFT_LOG_CHUNK_WORDS - c->seen >= 512 || !c->tid)
        return 0;
    return c->tid < l->captid && l->tids[c->tid].chunk1 != i + 1;
}

/* Chunk i's words [lc->seen, cnt) cut into new runs, continuing the walk
 * where the last refresh left it. A damaged record stops the chunk: the
 * runs before it stay (they may have been handed out already). */
static int walk_more(struct weft_slog *l, uint64_t i, const uint64_t *w, uint32_t cnt) {
    struct weft__lchunk *lc = &l->lc[i];
    struct weft_rec prev = {.ts = lc->prev_ts, .obj = lc->prev_obj}, r;
    uint32_t tid = lc->tid;
    struct weft__run *cur = NULL;
    struct zone z = mono_zone(l);
    char err[WEFT_LOG_ERR];
    uint32_t k = lc->seen, used;
    size_t sk = 0, hi = l->nskip; /* the first interval of chunk i */
    while (sk < hi) {
        size_t mid = sk + (hi - sk) / 2;
        if (l->skip[mid].chunk < i)
            sk = mid + 1;
        else
            hi = mid;
    }
    for (; k < cnt; k += used, prev = r) {
        used = weft__log_step(w, k, cnt, &prev, &r, &tid, l->hdr.next_tid, i, l->name, err);
        if (!used) {
            if (cur)
                cur->end = k;
            lc->bad = 1;
            if (!l->bad_chunks++)
                memcpy(l->chunk_err, err, sizeof err);
            break;
        }
        if (r.kind == WEFT_K_OWNER) {
            if (cur)
                cur->end = k;
            cur = NULL;
            if (note_owner(l, tid, i, r.ts) != 0)
                return failv(l->err, l->name, "out of memory for the threads");
            continue;
        }
        /* resumed (weft_slog_resume): a record the ingest that was
         * stopped consumed already is walked over, never handed out */
        while (sk < l->nskip && l->skip[sk].chunk == i && l->skip[sk].to <= k)
            sk++;
        if (sk < l->nskip && l->skip[sk].chunk == i && l->skip[sk].from <= k) {
            if (cur)
                cur->end = k;
            cur = NULL;
            l->nevents++;
            continue;
        }
        if (!cur || went_back(l, &z, r.ts, prev.ts)) {
            if (cur)
                cur->end = k;
            struct weft__run run = run_from(l, i, k, cnt, tid, &prev, &r);
            if (!(cur = push_run(&l->runs, &l->nruns, &l->capruns, &run)))
                return failv(l->err, l->name, "out of memory for the runs");
            lc->pending++;
        }
        l->backs += (uint64_t)run_add(cur, &r, k);
        l->nevents++;
    }
    lc->seen = k;
    lc->tid = tid;
    lc->prev_ts = prev.ts;
    lc->prev_obj = prev.obj;
    return 0;
}

/* The locks and unlocks stored into a run's slots between two readings
 * of them (log.h: per slot the mutex, then locks << 1 | held). A slot
 * free at the first reading, or another mutex's since, is new whole. */
static uint64_t run_changes(const unsigned char *then, const unsigned char *now) {
    uint64_t n = 0;
    for (unsigned i = 0; i < WEFT_RUN_SLOTS; i++) {
        uint64_t a[2], b[2];
        memcpy(a, then + 16 * i, sizeof a);
        memcpy(b, now + 16 * i, sizeof b);
        uint32_t s0 = (uint32_t)(a[1] >> 32), s1 = (uint32_t)(b[1] >> 32);
        if (a[0] != b[0])
            s0 = 0;
        uint64_t locks = s1 >> 1 > s0 >> 1 ? (s1 >> 1) - (s0 >> 1) : 0;
        /* the lock held at the first reading and each new one were
         * unlocked, but one held now */
        uint64_t freed = locks + (s0 & WEFT_RUN_HELD), held = s1 & WEFT_RUN_HELD;
        n += locks + (freed > held ? freed - held : 0);
    }
    return n;
}

/* Whether a relock run that ends at word end of chunk may still be
 * counted in by its thread (log.h): no record follows it in its chunk,
 * the chunk is open and the process goes on. */
static int run_open(const struct weft_slog *l, uint64_t chunk, uint32_t end) {
    return !l->ended && chunk < l->nchunks && l->lc[chunk].seen <= end && !chunk_closed(l, chunk);
}

/* The runs taken by the clock alone that are final for sure now: their
 * writer's last store into them, if any, came before what says so. What
 * it stored after they were taken is counted. */
static void recheck_runs(struct weft_slog *l) {
    size_t k = 0;
    for (size_t i = 0; i < l->nlruns; i++) {
        struct weft__lrun *e = &l->lruns[i];
        if (run_open(l, e->chunk, e->end)) {
            l->lruns[k++] = *e;
            continue;
        }
        unsigned char now[sizeof e->slots];
        if (e->chunk < l->nchunks && !l->lc[e->chunk].punched &&
            read_at(l, now, sizeof now, e->off) == sizeof now)
            l->late_relocks += run_changes(e->slots, now);
    }
    l->nlruns = k;
}

int weft_slog_refresh(struct weft_slog *l) {
    struct stat st;
    if (fstat(l->fd, &st) == 0)
        l->size = (size_t)st.st_size;
    /* The header first (how many chunks), the chunks, then the header
     * once more: its thread count is then at least that of every record
     * read in between. */
    struct weft_log_header h;
    if (read_at(l, &h, sizeof h, 0) < sizeof h)
        return 0;
    /* A process that outlived its copier (weft was killed) may still
     * write into slots: their words go to their chunks first. Not while
     * the copier is this process's own (weft run --live). */
    if (h.stage_n && h.stage_copier != (uint32_t)getpid())
        heal(l, l->name);
    uint64_t claimed =
        h.chunks_claimed < l->hdr.capacity_chunks ? h.chunks_claimed : l->hdr.capacity_chunks;
    uint64_t present =
        l->size < WEFT_LOG_HEADER_SIZE ? 0 : (l->size - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
    uint64_t n = claimed < present ? claimed : present;
    if (n > l->caplc) {
        uint64_t nc = l->caplc ? l->caplc : 64;
        while (nc < n)
            nc *= 2;
        struct weft__lchunk *lc = realloc(l->lc, nc * sizeof *lc);
        if (!lc)
            return failv(l->err, l->name, "out of memory for %llu chunks", (unsigned long long)n);
        memset(lc + l->caplc, 0, (nc - l->caplc) * sizeof *lc);
        for (uint64_t i = l->caplc; i < nc && i < l->ngone; i++)
            if (l->gone[i]) { /* given back by the ingest that was stopped */
                lc[i].punched = 1;
                l->punched++;
            }
        l->lc = lc;
        l->caplc = nc;
    }
    if (n > l->nchunks)
        l->nchunks = n;
    uint64_t *w = NULL;
    struct weft_log_chunk *ch = calloc(n ? n : 1, sizeof *ch);
    uint32_t *counts = calloc(n ? n : 1, sizeof *counts);
    int rc = -1;
    if (!ch || !counts)
        goto out;
    /* counted afresh: a chunk claimed is written a moment later */
    l->unwritten_chunks = l->trailing_unwritten = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (l->lc[i].punched || l->lc[i].bad ||
            read_at(l, &ch[i], sizeof ch[i], weft_log_chunk_off(i)) < sizeof ch[i]) {
            l->trailing_unwritten = 0;
            continue;
        }
        char err[WEFT_LOG_ERR];
        int unwritten,
            ok = weft__log_chunk_ok(&ch[i], ch[i].committed, i, l->name, err, &unwritten);
        unwritten = unwritten && !l->lc[i].seen;
        l->unwritten_chunks += unwritten;
        l->trailing_unwritten = unwritten ? l->trailing_unwritten + 1 : 0;
        if (ok < 0) {
            l->lc[i].bad = 1;
            if (!l->bad_chunks++)
                memcpy(l->chunk_err, err, sizeof err);
        }
        if (ok > 0) {
            counts[i] = ch[i].committed;
            l->lc[i].sealed = ch[i].stage_state == WEFT_STAGE_FULL;
        }
    }
    if (read_at(l, &h, sizeof h, 0) == sizeof h) {
        l->hdr.next_tid = h.next_tid;
        l->hdr.next_stack = h.next_stack;
        l->hdr.flags = h.flags;
        l->hdr.dropped_events = h.dropped_events;
        l->hdr.held_at_exit = h.held_at_exit;
        l->hdr.chunks_claimed = h.chunks_claimed;
        l->hdr.end_mono_ns = h.end_mono_ns;
        l->hdr.end_tsc = h.end_tsc;
    }
    /* The TSC rate is fixed once, from the calibration pairs there are
     * when they span a second (or the process ended: its end pair): every
     * record of the log is converted at the one rate, so that a thread's
     * times never go back between two refreshes. Until then no record is
     * cut into runs (weft_slog_ready says 0). */
    if (!l->hdr.ts_tsc) {
        l->ready = 1;
    } else if (!l->ready) {
        uint64_t far = l->hdr.end_mono_ns;
        for (uint64_t i = 0; i < n; i++)
            if (counts[i] && ch[i].claim_ns > far)
                far = ch[i].claim_ns;
        if (l->ended || far >= l->hdr.start_mono_ns + l->calib_ns) {
            l->rate = weft__log_tsc_rate(&l->hdr, (const unsigned char *)ch, sizeof *ch, counts, n);
            l->ready = 1;
        }
    }
    if (!l->ready) {
        rc = 0;
        goto out;
    }
    w = malloc(WEFT_LOG_CHUNK_WORDS * sizeof *w);
    if (!w)
        goto out;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t cnt = counts[i];
        if (cnt <= l->lc[i].seen)
            continue;
        size_t want = (size_t)cnt * WEFT_LOG_WORD;
        if (read_at(l, w, want, weft_log_word_off(i, 0)) < want)
            continue; /* shrunk under us: read again next time */
        if (walk_more(l, i, w, cnt) != 0)
            goto out;
    }
    recheck_runs(l);
    rc = 0;
out:
    if (rc && !l->err[0])
        failv(l->err, l->name, "out of memory");
    free(w);
    free(ch);
    free(counts);
    return rc;
}

int weft_slog_chunk_punched(const struct weft_slog *l, uint64_t i) {
    return l->live && i < l->nchunks && l->lc[i].punched;
}

/* Whether chunk i may be given back: read to its end and closed. */
static int punchable(const struct weft_slog *l, uint64_t i) {
    const struct weft__lchunk *c = &l->lc[i];
    return c->punched || (!c->pending && (c->seen || l->ended) && chunk_closed(l, i));
}

/* The page cache keeps a file's pages in folios of up to 2 MiB: a hole
 * punched inside a folio that stays (another part of it still mapped or
 * dirty) is only zeroed, and its blocks are written again, zeros and
 * all. So holes are punched in whole aligned 2 MiB units of the file,
 * each made of chunks that may all go, and a chunk counts as given back
 * only once every byte of it was punched. */
enum { PUNCH_UNIT = 2u << 20 };

uint64_t weft_slog_punch(struct weft_slog *l) {
    if (!l->live || !l->path)
        return 0;
    int fd = -1;
    uint64_t done = 0;
    for (uint64_t a = 0, b; a < l->nchunks; a = b + 1) {
        b = a;
        if (!punchable(l, a))
            continue;
        while (b < l->nchunks && punchable(l, b))
            b++;
        /* chunks [a, b) may go: the aligned units inside them (at the
         * log's end, once its process ended, all of it) */
        uint64_t lo = weft_log_chunk_off(a), hi = weft_log_chunk_off(b);
        uint64_t alo = a == 0 ? lo : (lo + PUNCH_UNIT - 1) / PUNCH_UNIT * PUNCH_UNIT;
        uint64_t ahi = l->ended && b == l->nchunks ? hi : hi / PUNCH_UNIT * PUNCH_UNIT;
        uint64_t first = a, past = b; /* the chunks wholly inside [alo, ahi) */
        while (first < b && weft_log_chunk_off(first) < alo)
            first++;
        while (past > first && weft_log_chunk_off(past) > ahi)
            past--;
        int todo = 0;
        for (uint64_t i = first; i < past && !todo; i++)
            todo = !l->lc[i].punched;
        if (ahi <= alo || !todo)
            continue;
        if (fd < 0 && (fd = open(l->path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
            break;
        /* said first, punched after: a weft killed between the two leaves
         * chunks said consumed that are still there, never holes unsaid */
        char name[4200], line[64];
        weft__slog_consumed_path(l->path, name, sizeof name);
        int cf = open(name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        /* every chunk the hole reaches into, also the ones at its edges
         * that keep a part: all of [a, b) was consumed */
        uint64_t t0 = (alo - WEFT_LOG_HEADER_SIZE) / WEFT_LOG_CHUNK_SIZE;
        uint64_t t1 = (ahi - WEFT_LOG_HEADER_SIZE + WEFT_LOG_CHUNK_SIZE - 1) / WEFT_LOG_CHUNK_SIZE;
        int len = snprintf(line, sizeof line, "%llu %llu\n", (unsigned long long)t0,
                           (unsigned long long)(t1 < b ? t1 : b));
        int said = cf >= 0 && write(cf, line, (size_t)len) == len;
        if (cf >= 0)
            close(cf);
        if (!said)
            break;
        if (!l->punch_dry && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)alo,
                                       (off_t)(ahi - alo)) != 0)
            break;
        for (uint64_t i = first; i < past; i++)
            if (!l->lc[i].punched) {
                l->lc[i].punched = 1;
                l->punched++;
                done++;
            }
    }
    if (fd >= 0)
        close(fd);
    return done;
}

/* ---- the merge ---- */

/* A run in flight: its words, read from the file, and its next record. */
struct cursor {
    struct weft_rec rec;  /* the next record, ts in ns, tid set */
    uint64_t who;         /* rank << 32 | tid */
    uint32_t log, pos;    /* log index; word after rec within the run's words */
    uint32_t at;          /* word of rec within the run's words */
    struct weft__run run; /* a copy: a live log's runs array grows (and moves) */
    size_t idx;           /* the run's index in its log */
    uint64_t *words;      /* the run's words [run.word, run.end), in buf */
    uint64_t *buf;        /* the words read: [run.lo, run.end) (anchors before the run first) */
    uint32_t n, left;     /* words, records not yet returned */
    uint32_t pre;         /* words of buf before words: run.word - run.lo */
    uint32_t cap;         /* words room in buf (a cursor and its buffer are reused) */
    struct cursor *next;  /* in the merge's free list */
    struct weft_rec prev; /* raw decoder state: only ts and obj are used */
    /* Folding relock pairs (weft_merge_fold): the records decoded ahead,
     * the decoder's word and state, the records rec stands for once
     * handed out (a folded run: two per pair). rec is the head's record
     * and prev.ts its raw time (the key). Without folding (or kept from
     * an earlier run, unused): one record at a time. */
    struct weft__folder *fold;
    int folding;
    uint32_t dpos, out;
    struct weft_rec dprev;
};

struct weft_merge {
    struct weft_slog **logs;
    uint32_t *rank;
    size_t *taken; /* per log: its runs taken in so far */
    int nlogs, caplogs;
    /* every run of every log not started yet, in the order of their
     * first records from next on */
    struct pend {
        uint64_t ts, who, tie, chunk;
        uint32_t log, word;
        size_t idx;
    } * pend;
    size_t npend, cappend, next;
    struct cursor **heap;
    size_t nheap, capheap;
    struct cursor *last; /* the cursor of the record returned last (advanced at the next call) */
    int fold;            /* weft_merge_fold */
    struct cursor *free; /* cursors of finished runs, their buffers kept */
    uint64_t *ra;        /* per log: the chunks below it were asked for already */
    char err[WEFT_LOG_ERR];
};

/* The order: time, then process rank, the process's raw clock (tie_of),
 * thread, then log, chunk and word. The raw clock before the thread:
 * records of one process that convert to the same ns are ordered as they
 * happened, not by thread id, so that the order within a process never
 * depends on the rate its TSC was converted at (a live ingest fixes it
 * from the first second, one after the fact from the whole log: ties fall
 * in other places). Runs are cut where (ns, raw clock) goes back, for the
 * same reason (went_back). */
struct key {
    uint64_t ts, who, tie, log, chunk, word;
};

static int key_less(struct key a, struct key b) {
    if (a.ts != b.ts)
        return a.ts < b.ts;
    if (a.who >> 32 != b.who >> 32)
        return a.who >> 32 < b.who >> 32;
    if (a.tie != b.tie)
        return a.tie < b.tie;
    if (a.who != b.who)
        return a.who < b.who;
    if (a.log != b.log)
        return a.log < b.log;
    if (a.chunk != b.chunk)
        return a.chunk < b.chunk;
    return a.word < b.word;
}

static struct key pend_key(const struct pend *p) {
    return (struct key){p->ts, p->who, p->tie, p->log, p->chunk, p->word};
}

/* A cursor's record is keyed by the word after it: runs of a chunk do not
 * overlap, so that orders them as their first words would. prev.ts is
 * the record's raw time (decode keeps it for the next delta). */
static struct key cur_key(const struct cursor *c) {
    return (struct key){c->rec.ts, c->who,       tie_of(c->rec.ts, c->prev.ts),
                        c->log,    c->run.chunk, (uint64_t)c->run.word + c->pos};
}

/* (the times first, on their own: they differ in all but a few of the
 * heap's comparisons, and the whole keys cost a tie_of each) */
static int cur_less(const struct cursor *a, const struct cursor *b) {
    if (a->rec.ts != b->rec.ts)
        return a->rec.ts < b->rec.ts;
    return key_less(cur_key(a), cur_key(b));
}

/* A pending run before the cursor's record? */
static int pend_before(const struct pend *p, const struct cursor *c) {
    if (p->ts != c->rec.ts)
        return p->ts < c->rec.ts;
    return key_less(pend_key(p), cur_key(c));
}

static void sift_down(struct weft_merge *m, size_t i) {
    struct cursor **h = m->heap;
    for (;;) {
        size_t a = 2 * i + 1, b = a + 1, mn = i;
        if (a < m->nheap && cur_less(h[a], h[mn]))
            mn = a;
        if (b < m->nheap && cur_less(h[b], h[mn]))
            mn = b;
        if (mn == i)
            return;
        struct cursor *t = h[mn];
        h[mn] = h[i];
        h[i] = t;
        i = mn;
    }
}

static void sift_up(struct weft_merge *m, size_t i) {
    struct cursor **h = m->heap;
    while (i && cur_less(h[i], h[(i - 1) / 2])) {
        size_t p = (i - 1) / 2;
        struct cursor *t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

/* ---- folding relock pairs (relock.h) ---- */

/* The run's record at word pos, after prev (the decoder's raw state,
 * moved on to it), into r (time in ns, thread set): the words it takes,
 * or 0 at the run's end. The one decoder of both ways of reading a run. */
static uint32_t decode_at(struct cursor *c, const struct weft_slog *l, uint32_t pos,
                          struct weft_rec *prev, struct weft_rec *r) {
    if (!c->left || pos >= c->n)
        return 0;
    uint32_t used = weft_log_decode(c->words + pos, c->pre + pos, c->n - pos, prev, r);
    if (!used || r->kind == WEFT_K_OWNER)
        return 0;
    prev->ts = r->ts;
    prev->obj = r->obj;
    r->tid = c->run.tid;
    r->ts = to_ns(l, r->ts);
    c->left--;
    return used;
}

/* Decodes the cursor's next record ahead, into a: 1, or 0 at the run's end. */
static int decode_ahead(struct cursor *c, const struct weft_slog *l, struct weft__ahead *a) {
    uint32_t used = decode_at(c, l, c->dpos, &c->dprev, &a->rec);
    if (!used)
        return 0;
    a->raw = c->dprev.ts;
    a->at = c->dpos;
    a->pos = c->dpos += used;
    return 1;
}

/* Decodes ahead until the head is decided (with more: until the window
 * is full or the run ends): 1 while the run has a record. */
static int fold_fill(struct cursor *c, const struct weft_slog *l, int more) {
    struct weft__folder *f = c->fold;
    while (more || !weft__fold_head(f)) {
        if (f->ended) {
            if (!f->n)
                return 0;
            break;
        }
        if (!weft__fold_room(f)) {
            if (!weft__fold_head(f))
                weft__fold_force_head(f);
            break;
        }
        if (decode_ahead(c, l, weft__fold_slot(f)))
            weft__fold_push(f);
        else
            weft__fold_end(f);
    }
    return f->n > 0;
}

/* The cursor's next record, folding: the head of what was decoded ahead. */
static int fold_next(struct cursor *c, const struct weft_slog *l) {
    if (c->out)
        weft__fold_drop(c->fold, c->out);
    c->out = 0;
    if (!fold_fill(c, l, 0))
        return 0;
    const struct weft__ahead *h = weft__fold_at(c->fold, 0);
    c->rec = h->rec;
    c->prev.ts = h->raw;
    c->at = h->at;
    c->pos = h->pos;
    return 1;
}

/* Decodes the cursor's next record: 1, or 0 when the run is done. The
 * words were validated at open; a record that no longer decodes means
 * the file changed under us: the run ends there. Decoded in place (the
 * record before it was consumed already), keeping of the raw record only
 * what the next decode needs. */
static int decode(struct cursor *c, const struct weft_slog *l) {
    if (c->folding)
        return fold_next(c, l);
    uint32_t used = decode_at(c, l, c->pos, &c->prev, &c->rec);
    if (!used)
        return 0;
    c->at = c->pos;
    c->pos += used;
    return 1;
}

static void drop(struct cursor *c) {
    free(c->fold);
    free(c->buf);
    free(c);
}

/* A finished cursor goes to the free list: the next run takes its buffer
 * instead of a malloc and a free per run. The list holds at most as many
 * cursors as were ever in flight at once. A live log's chunk learns that
 * one more of its runs was read to its end. */
static void retire(struct weft_merge *m, struct cursor *c) {
    struct weft_slog *l = m->logs[c->log];
    if (l->live && c->run.chunk < l->nchunks && l->lc[c->run.chunk].pending)
        l->lc[c->run.chunk].pending--;
    c->next = m->free;
    m->free = c;
}

/* A cursor with room for n words, from the free list or new. */
static struct cursor *cursor_for(struct weft_merge *m, uint32_t n) {
    struct cursor *c = m->free;
    if (c)
        m->free = c->next;
    else if (!(c = calloc(1, sizeof *c)))
        return NULL;
    if (c->cap < n || !c->buf) {
        uint64_t *w = realloc(c->buf, (n ? n : 1) * sizeof *w);
        if (!w) {
            drop(c);
            return NULL;
        }
        c->buf = w;
        c->cap = n ? n : 1;
    }
    return c;
}

/* The merge reads the runs about in chunk order: the kernel is asked for
 * the chunks ahead of the one a run starts, RA_CHUNKS at a time, so that
 * the reads of the runs find them in memory. */
static void merge_readahead(struct weft_merge *m, uint32_t log, uint64_t chunk) {
    const struct weft_slog *l = m->logs[log];
    if (l->fd < 0 || chunk + RA_CHUNKS <= m->ra[log])
        return;
    uint64_t from = chunk > m->ra[log] ? chunk : m->ra[log];
    uint64_t to = chunk + 2 * RA_CHUNKS < l->nchunks ? chunk + 2 * RA_CHUNKS : l->nchunks;
    if (to > from)
        readahead_at(l, weft_log_chunk_off(from),
                     weft_log_chunk_off(to) - weft_log_chunk_off(from));
    m->ra[log] = to > m->ra[log] ? to : m->ra[log];
}

/* Starts pending run p: reads its words, decodes its first record. */
static int activate(struct weft_merge *m, const struct pend *p) {
    const struct weft_slog *l = m->logs[p->log];
    const struct weft__run *run = &l->runs[p->idx];
    uint32_t n = run->end - run->word, pre = run->word - run->lo;
    struct cursor *c = cursor_for(m, pre + n);
    if (!c) {
        snprintf(m->err, sizeof m->err, "%s: out of memory for a run of %u words", l->name, n);
        return -1;
    }
    merge_readahead(m, p->log, run->chunk);
    c->run = *run;
    c->idx = p->idx;
    c->log = p->log;
    size_t want = (size_t)(pre + n) * WEFT_LOG_WORD;
    c->pre = pre;
    c->words = c->buf + pre;
    if (read_at(l, c->buf, want, weft_log_word_off(run->chunk, run->lo)) < want) {
        retire(m, c);
        snprintf(m->err, sizeof m->err, "%s: chunk %llu could not be read again", l->name,
                 (unsigned long long)run->chunk);
        return -1;
    }
    c->n = n;
    c->pos = 0;
    c->left = run->nrecs;
    c->who = p->who;
    c->prev.ts = run->prev_ts;
    c->prev.obj = run->prev_obj;
    /* a run with fewer than two relocks has no pair to fold: read as is */
    c->folding = m->fold && run->relocks >= 2;
    if (c->folding && !c->fold && !(c->fold = malloc(sizeof *c->fold))) {
        retire(m, c);
        snprintf(m->err, sizeof m->err, "%s: out of memory", l->name);
        return -1;
    }
    if (c->folding) {
        weft__fold_reset(c->fold);
        c->dpos = 0;
        c->out = 0;
        c->dprev = c->prev;
    }
    if (!decode(c, l)) {
        retire(m, c);
        return 0;
    }
    m->heap[m->nheap] = c;
    sift_up(m, m->nheap++);
    return 0;
}

int weft_merge_add_log(struct weft_merge *m, struct weft_slog *l, uint32_t rank) {
    if (m->nlogs == m->caplogs) {
        int nc = m->caplogs ? m->caplogs * 2 : 8;
        struct weft_slog **nl = realloc(m->logs, (size_t)nc * sizeof *nl);
        if (nl)
            m->logs = nl;
        uint32_t *nr = nl ? realloc(m->rank, (size_t)nc * sizeof *nr) : NULL;
        if (nr)
            m->rank = nr;
        size_t *nt = nr ? realloc(m->taken, (size_t)nc * sizeof *nt) : NULL;
        if (nt)
            m->taken = nt;
        uint64_t *na = nt ? realloc(m->ra, (size_t)nc * sizeof *na) : NULL;
        if (!na)
            return -1;
        m->ra = na;
        m->caplogs = nc;
    }
    m->logs[m->nlogs] = l;
    m->rank[m->nlogs] = rank;
    m->taken[m->nlogs] = 0;
    m->ra[m->nlogs] = 0;
    m->nlogs++;
    return 0;
}

static int cmp_pend(const void *x, const void *y) {
    struct key a = pend_key(x), b = pend_key(y);
    return key_less(a, b) ? -1 : key_less(b, a) ? 1 : 0;
}

int weft_merge_refresh(struct weft_merge *m) {
    size_t add = 0;
    for (int i = 0; i < m->nlogs; i++)
        add += m->logs[i]->nruns - m->taken[i];
    if (!add)
        return 0;
    /* the runs started already leave the front of the array */
    if (m->next) {
        memmove(m->pend, m->pend + m->next, (m->npend - m->next) * sizeof *m->pend);
        m->npend -= m->next;
        m->next = 0;
    }
    size_t want = m->npend + add;
    if (want > m->cappend) {
        struct pend *np = realloc(m->pend, want * sizeof *np);
        if (!np)
            return -1;
        m->pend = np;
        m->cappend = want;
    }
    size_t heap_want = m->nheap + want;
    if (heap_want > m->capheap) {
        struct cursor **nh = realloc(m->heap, heap_want * sizeof *nh);
        if (!nh)
            return -1;
        m->heap = nh;
        m->capheap = heap_want;
    }
    for (int i = 0; i < m->nlogs; i++) {
        const struct weft_slog *l = m->logs[i];
        for (size_t k = m->taken[i]; k < l->nruns; k++) {
            const struct weft__run *r = &l->runs[k];
            if (r->nrecs)
                m->pend[m->npend++] = (struct pend){.ts = r->first_ts,
                                                    .who = (uint64_t)m->rank[i] << 32 | r->tid,
                                                    .tie = r->first_tie,
                                                    .chunk = r->chunk,
                                                    .log = (uint32_t)i,
                                                    .word = r->word,
                                                    .idx = k};
            else if (l->live && l->lc[r->chunk].pending)
                l->lc[r->chunk].pending--;
        }
        m->taken[i] = l->nruns;
    }
    qsort(m->pend, m->npend, sizeof *m->pend, cmp_pend);
    return 0;
}

struct weft_merge *weft_merge_new(struct weft_slog *const *logs, const uint32_t *rank, int n) {
    struct weft_merge *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    for (int i = 0; i < n; i++)
        if (weft_merge_add_log(m, logs[i], rank[i]) != 0) {
            weft_merge_free(m);
            return NULL;
        }
    if (weft_merge_refresh(m) != 0) {
        weft_merge_free(m);
        return NULL;
    }
    return m;
}

/* The key of a record decoded ahead by cursor c. */
static struct key ahead_key(const struct cursor *c, const struct weft__ahead *a) {
    return (struct key){a->rec.ts, c->who,       tie_of(a->rec.ts, a->raw),
                        c->log,    c->run.chunk, (uint64_t)c->run.word + a->pos};
}

/* Hands out the folded pairs at the top cursor's head, as one record: as
 * many in a row as come before every other run's next record (their ids
 * follow one another) and before limit; when not even the first does,
 * that pair's lock alone, plain. */
static int fold_emit(struct weft_merge *m, struct cursor *c, struct weft_rec *r, uint64_t limit) {
    struct weft__folder *f = c->fold;
    /* the next record of any other run */
    struct key bound = {UINT64_MAX, 0, 0, 0, 0, 0};
    for (size_t k = 1; k < 3 && k < m->nheap; k++)
        if (key_less(cur_key(m->heap[k]), bound))
            bound = cur_key(m->heap[k]);
    if (m->next < m->npend && key_less(pend_key(&m->pend[m->next]), bound))
        bound = pend_key(&m->pend[m->next]);
    uint32_t k = 0, np = 0;
    for (;;) {
        int decided;
        np = weft__fold_pairs(f, np, &decided);
        while (k < np) {
            const struct weft__ahead *u = weft__fold_at(f, 2 * k + 1);
            if (u->rec.ts >= limit || !key_less(ahead_key(c, u), bound))
                break;
            k++;
        }
        if (k < np || decided || !weft__fold_room(f))
            break;
        /* the record after the pairs may still fold: read on, as far as
         * the window goes */
        fold_fill(c, m->logs[c->log], 1);
    }
    if (!k) {
        weft__fold_unfold_head(f);
        *r = c->rec;
        c->out = 1;
        return 1;
    }
    k = weft__fold_take(f, k, r, &c->at, &c->pos);
    c->out = 2 * k;
    return 1;
}

/* A relock run (log.h, WEFT_K_MUTEX_RUN) of a log still written, about
 * to be handed out: 1 when it is final, its slots read again from the
 * file into the cursor's copy (the writer counts in place); 0 when its
 * thread may still count in it (the merge waits, as at its watermark).
 * At the last step (no limit) every run is final. The copy is the
 * cursor's buffer, which the record (and a copy decoded ahead for the
 * folds) points into. */
static int run_final(struct cursor *c, struct weft_slog *l, uint64_t limit) {
    const struct weft_rec *r = &c->rec;
    uint64_t chunk = c->run.chunk;
    uint32_t at = c->run.word + c->at, end = c->run.word + c->pos;
    int by_clock = 0;
    if (limit != UINT64_MAX && run_open(l, chunk, end)) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (weft_run_epoch_of(&t) < (uint32_t)r->arg + WEFT_RUN_FINAL)
            return 0;
        by_clock = 1;
    }
    /* (a file cut short under us keeps the copy read with the run) */
    size_t off = (size_t)(r->data - (const unsigned char *)(c->words + c->at));
    uint64_t where = weft_log_word_off(chunk, at) + off;
    unsigned char slots[16 * WEFT_RUN_SLOTS];
    if (r->dlen == sizeof slots && read_at(l, slots, sizeof slots, where) == sizeof slots)
        memcpy((unsigned char *)(uintptr_t)r->data, slots, sizeof slots);
    if (by_clock && r->dlen == sizeof slots) {
        if (ROOM(l->lruns, l->nlruns, l->caplruns, 16) != 0)
            return -1;
        struct weft__lrun *e = &l->lruns[l->nlruns++];
        *e = (struct weft__lrun){.chunk = chunk, .off = where, .end = end};
        memcpy(e->slots, r->data, sizeof e->slots);
    }
    return 1;
}

int weft_merge_next_until(struct weft_merge *m, struct weft_rec *r, uint32_t *log, uint64_t limit) {
    if (m->err[0])
        return -1;
    /* The record returned last is consumed now (its data stayed valid
     * until this call). */
    if (m->last) {
        struct cursor *c = m->last;
        m->last = NULL;
        if (decode(c, m->logs[c->log])) {
            sift_down(m, 0);
        } else {
            m->heap[0] = m->heap[--m->nheap];
            if (m->nheap)
                sift_down(m, 0);
            retire(m, c);
        }
    }
    while (m->next < m->npend && (!m->nheap || pend_before(&m->pend[m->next], m->heap[0]))) {
        if (m->pend[m->next].ts >= limit)
            return 2;
        if (activate(m, &m->pend[m->next++]) != 0)
            return -1;
    }
    if (!m->nheap)
        return m->next < m->npend || limit != UINT64_MAX ? 2 : 0;
    struct cursor *c = m->heap[0];
    if (c->rec.ts >= limit)
        return 2;
    if (c->rec.kind == WEFT_K_MUTEX_RUN && m->logs[c->log]->live) {
        int f = run_final(c, m->logs[c->log], limit);
        if (f < 0) {
            snprintf(m->err, sizeof m->err, "out of memory");
            return -1;
        }
        if (!f)
            return 2;
    }
    *log = c->log;
    m->last = c;
    if (c->folding && weft__fold_head(c->fold) == 2)
        return fold_emit(m, c, r, limit);
    *r = c->rec;
    c->out = 1;
    return 1;
}

void weft_merge_fold(struct weft_merge *m, int on) {
    m->fold = on;
}

int weft_merge_next(struct weft_merge *m, struct weft_rec *r, uint32_t *log) {
    return weft_merge_next_until(m, r, log, UINT64_MAX);
}

static int cmp_skip(const void *x, const void *y) {
    const struct weft__skip *a = x, *b = y;
    if (a->chunk != b->chunk)
        return a->chunk < b->chunk ? -1 : 1;
    return a->from < b->from ? -1 : a->from > b->from;
}

/* Each run taken in is read to its end (retired), started (a cursor in
 * the heap: the words before its record, or through it when it is the
 * record returned last), or not started (pending). */
int weft_merge_consumed(const struct weft_merge *m, uint32_t log, struct weft__skip **out,
                        size_t *nout) {
    const struct weft_slog *l = m->logs[log];
    size_t nr = m->taken[log];
    unsigned char *st = calloc(nr ? nr : 1, 1); /* 0 read, 1 pending, 2 started */
    uint32_t *upto = calloc(nr ? nr : 1, sizeof *upto);
    struct weft__skip *v = malloc((nr ? nr : 1) * sizeof *v);
    size_t n = 0;
    if (!st || !upto || !v) {
        free(st);
        free(upto);
        free(v);
        return -1;
    }
    for (size_t k = m->next; k < m->npend; k++)
        if (m->pend[k].log == log && m->pend[k].idx < nr)
            st[m->pend[k].idx] = 1;
    for (size_t k = 0; k < m->nheap; k++) {
        const struct cursor *c = m->heap[k];
        if (c->log == log && c->idx < nr) {
            st[c->idx] = 2;
            upto[c->idx] = c->run.word + (c == m->last ? c->pos : c->at);
        }
    }
    for (size_t k = 0; k < nr; k++) {
        const struct weft__run *r = &l->runs[k];
        if (!r->nrecs || st[k] == 1 ||
            (l->live && r->chunk < l->nchunks && l->lc[r->chunk].punched))
            continue;
        uint32_t to = st[k] == 2 ? upto[k] : r->end;
        if (to > r->word)
            v[n++] = (struct weft__skip){r->chunk, r->word, to};
    }
    free(st);
    free(upto);
    qsort(v, n, sizeof *v, cmp_skip);
    size_t j = 0; /* adjacent intervals joined: about one per chunk */
    for (size_t k = 0; k < n; k++)
        if (j && v[j - 1].chunk == v[k].chunk && v[j - 1].to == v[k].from)
            v[j - 1].to = v[k].to;
        else
            v[j++] = v[k];
    *out = v;
    *nout = j;
    return 0;
}

const char *weft_merge_err(const struct weft_merge *m) {
    return m->err;
}

void weft_merge_free(struct weft_merge *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->nheap; i++)
        drop(m->heap[i]);
    while (m->free) {
        struct cursor *c = m->free;
        m->free = c->next;
        drop(c);
    }
    free(m->ra);
    free(m->heap);
    free(m->pend);
    free(m->logs);
    free(m->rank);
    free(m->taken);
    free(m);
}
