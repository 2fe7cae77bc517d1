/* SPDX-License-Identifier: MIT */
/* stage.c: the logs' staging slots from weft's side (log.h, "Staging
 * slots", stage.h): the copier, a thread of `weft run` that writes what
 * the program's threads leave in their slots to the chunks the slots
 * stand for, and the heal that does the same for a log whose copier was
 * killed, before the log is read.
 *
 * The copier maps each log's header page and slots (MAP_SHARED: the very
 * pages the program writes) and, every POLL_US, looks at every slot with
 * a destination (one still written every PARTIAL_EVERY polls): the
 * words committed since its last look go to the
 * chunk with one pwrite, then the chunk's header with the new count with
 * another, so the chunk in the file is always a valid prefix of the
 * slot, whenever weft or the program dies. A slot its thread has left
 * (WEFT_STAGE_FULL) is freed once copied whole, and goes back on the
 * log's free stack for the next claim. pwrite puts the words in the page
 * cache through the kernel's own mapping: no page of the program's is
 * faulted in or out, which is the point (log.h). */
#include "stage.h"
#include "log.h"
#include "log_reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How often the slots are looked at, and the directory (in polls). 32
 * slots of 64 KiB hold 2 MiB: a program writing 100 MB/s of log (a
 * recorded sqlite3 index build) fills them in 20 ms, ten polls. */
enum { POLL_US = 2000, SCAN_EVERY = 25, MAX_SLOTS = 1024 };
/* Slots still written are copied every PARTIAL_EVERY polls (10 ms, well
 * within a live reader's margin): two pwrites each time, for a few
 * words, where a full slot's are 64 KiB. */
enum { PARTIAL_EVERY = 5 };

/* What the copier knows of a slot's current use: where its walk of the
 * records stopped, and the open relock run it copied last (log.h,
 * WEFT_K_MUTEX_RUN: its slot words change in place while it is its
 * thread's last record), copied again while they change. */
struct sslot {
    uint32_t d1;     /* the use: its destination + 1 */
    uint32_t walked; /* records walked up to this word */
    uint32_t run_at; /* the open run's slot words start here; 0: none */
    struct weft_rec prev;
    uint64_t runw[2 * WEFT_RUN_SLOTS];
};

struct slog {
    struct sslot *ss;
    int fd;
    pid_t pid;
    struct weft_log_header *hdr; /* the header page, mapped */
    unsigned char *slots;        /* the slots, mapped */
    uint32_t first, n;
    uint64_t capacity;
    int done; /* detached, copied and unmapped */
};

struct weft_stager {
    char dir[4096];
    pthread_t th;
    int stop; /* atomic */
    /* WEFT_TEST_STAGE_HOLD=1 (tests): slots are taken on and handed out
     * but copied only at the stop, so that readers meet chunks still in
     * their slots and the program finds the slots all taken */
    int hold;
    struct slog *logs;
    size_t nlogs, caplogs;
    /* names looked at for good (attached or not): an open-addressing
     * set, so that a run of thousands of processes (make) costs one
     * lookup a name at each look at the directory */
    char **seen;
    size_t nseen, capseen; /* capseen: a power of two, or 0 */
    struct weft_stage_stats st;
};

/* Whether h, a whole header read from a file of size bytes, is a log
 * this weft reads (the reader's own checks) with its staging slots where
 * log.h puts them, inside the file. */
static int has_slots(const struct weft_log_header *h, uint64_t size) {
    char err[WEFT_LOG_ERR];
    return weft__log_header_ok(h, WEFT_LOG_HEADER_SIZE, "", err) == 0 && h->stage_n &&
           h->stage_n <= MAX_SLOTS && h->stage_first == h->capacity_chunks &&
           size >= weft_log_chunk_off((uint64_t)h->stage_first + h->stage_n);
}

static struct weft_log_chunk *slot_at(const struct slog *g, uint32_t k) {
    return (struct weft_log_chunk *)(void *)(g->slots + (size_t)k * WEFT_LOG_CHUNK_SIZE);
}

/* All n bytes at off, written (wr) or read: 0, or -1 (a short read is
 * the end of the file: a hole past it). */
static int io_all(int fd, void *p, size_t n, uint64_t off, int wr) {
    char *b = p;
    while (n) {
        ssize_t r = wr ? pwrite(fd, b, n, (off_t)off) : pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *p, size_t n, uint64_t off) {
    return io_all(fd, (void *)(uintptr_t)p, n, off, 1);
}

static int read_all(int fd, void *p, size_t n, uint64_t off) {
    return io_all(fd, p, n, off, 0);
}

/* Words [from, to) of a slot (its words at w) to chunk dest, then the
 * chunk's header saying `to`, from the slot's header c; sealed: its
 * thread left it, no word will follow (a live reader may take the chunk
 * as final: stream.c, chunk_closed). */
static int copy_words(int fd, const struct weft_log_chunk *c, const uint64_t *w, uint64_t dest,
                      uint32_t from, uint32_t to, int sealed) {
    uint64_t off = weft_log_chunk_off(dest);
    if (to > from && write_all(fd, w + from, (size_t)(to - from) * WEFT_LOG_WORD,
                               weft_log_word_off(dest, from)) != 0)
        return -1;
    union {
        struct weft_log_chunk h;
        char bytes[WEFT_LOG_CHUNK_HDR];
    } h;
    memset(&h, 0, sizeof h);
    h.h.committed = to;
    h.h.magic = WEFT_LOG_CHUNK_MAGIC;
    h.h.tid = c->tid;
    h.h.claim_ns = c->claim_ns;
    h.h.claim_tsc = c->claim_tsc;
    h.h.stage_state = sealed ? WEFT_STAGE_FULL : WEFT_STAGE_FREE;
    return write_all(fd, &h, sizeof h, off);
}

/* The copy of an open run's slot words (run_at) made current: the words
 * written again when they changed. Called with the slot's count read
 * (acquire) after the thread's last stores: a record after the run, or
 * the slot left, makes it final. */
static int run_again(struct slog *g, struct sslot *x, const uint64_t *w, uint32_t cnt,
                     uint32_t state) {
    uint32_t n = 2 * WEFT_RUN_SLOTS;
    uint64_t now[2 * WEFT_RUN_SLOTS];
    for (uint32_t i = 0; i < n; i++)
        now[i] = __atomic_load_n(&w[x->run_at + i], __ATOMIC_RELAXED);
    if (memcmp(now, x->runw, sizeof now) != 0) {
        uint64_t off = weft_log_word_off(x->d1 - 1, x->run_at);
        if (write_all(g->fd, now, sizeof now, off) != 0)
            return -1;
        memcpy(x->runw, now, sizeof now);
    }
    if (cnt > x->run_at + n || state == WEFT_STAGE_FULL)
        x->run_at = 0; /* closed: final */
    return 0;
}

/* Walks the records of words [x->walked, cnt): the last one a relock run
 * is kept as open (run_at). A record the walk cannot read stops it: the
 * words are still copied, and the reader judges them. */
static void walk(struct sslot *x, const uint64_t *w, uint32_t cnt) {
    while (x->walked < cnt) {
        struct weft_rec r;
        uint32_t used = weft_log_decode(w + x->walked, x->walked, cnt - x->walked, &x->prev, &r);
        if (!used) {
            x->walked = WEFT_LOG_CHUNK_WORDS; /* damaged: no more runs looked for */
            x->run_at = 0;
            return;
        }
        x->run_at = r.kind == WEFT_K_MUTEX_RUN && r.dlen == 16 * WEFT_RUN_SLOTS
                        ? (uint32_t)((const uint64_t *)(const void *)r.data - w)
                        : 0;
        /* copied with the words, maybe before a later store: unknown,
         * so written again at the next pass */
        if (x->run_at)
            memset(x->runw, 0xff, sizeof x->runw);
        x->prev = r;
        x->walked += used;
    }
}

/* One pass over g's slots: the words committed since the last copied,
 * then the slots their threads have left freed (with all, every slot:
 * its process is gone). A live reader takes a thread's chunk as final
 * once a later chunk of the thread has records (stream.c, chunk_closed),
 * so no chunk may reach the file before the ones its thread wrote
 * earlier are whole there. The counts are read twice: a slot that had
 * records at the first reading was claimed after its thread left its
 * previous slot, so the second reading of that one sees it full and its
 * count final; a slot is copied this pass only if it had records at the
 * first reading, and the chunks go out in the order they were claimed
 * (a thread's in the order it wrote them). 0, or -1 when a write failed. */
struct snap {
    uint32_t k, d1, first;
};

static int by_dest(const void *a, const void *b) {
    const struct snap *x = a, *y = b;
    return (x->d1 > y->d1) - (x->d1 < y->d1);
}

static int pass(struct weft_stager *s, struct slog *g, int all, int partial) {
    struct snap sn[MAX_SLOTS];
    uint32_t n = 0;
    for (uint32_t k = 0; k < g->n; k++) {
        struct weft_log_chunk *c = slot_at(g, k);
        uint32_t d1 = __atomic_load_n(&c->stage_dest1, __ATOMIC_ACQUIRE);
        if (d1)
            sn[n++] = (struct snap){k, d1, __atomic_load_n(&c->committed, __ATOMIC_ACQUIRE)};
    }
    qsort(sn, n, sizeof *sn, by_dest);
    for (uint32_t i = 0; i < n; i++) {
        struct weft_log_chunk *c = slot_at(g, sn[i].k);
        /* The state before the count: a thread marks its slot full after
         * its last commit, so a full slot's count read now is final. */
        uint32_t state = __atomic_load_n(&c->stage_state, __ATOMIC_ACQUIRE);
        uint32_t cnt = __atomic_load_n(&c->committed, __ATOMIC_ACQUIRE);
        uint32_t done = c->stage_copied;
        if (sn[i].d1 - 1 >= g->capacity || cnt > WEFT_LOG_CHUNK_WORDS || done > cnt)
            continue; /* not ours to understand: the reader decides */
        if (!sn[i].first && !all)
            continue;
        struct sslot *x = &g->ss[sn[i].k];
        if (x->d1 != sn[i].d1) /* a new use of the slot */
            *x = (struct sslot){.d1 = sn[i].d1};
        const uint64_t *w = (const uint64_t *)(const void *)((const char *)c + WEFT_LOG_CHUNK_HDR);
        if (x->run_at && run_again(g, x, w, cnt, all ? WEFT_STAGE_FULL : state) != 0)
            return -1;
        int last = state == WEFT_STAGE_FULL || all;
        if (!last && !partial)
            continue;
        if (cnt > done || last) {
            if (copy_words(g->fd, c, w, sn[i].d1 - 1, done, cnt, last) != 0)
                return -1;
            c->stage_copied = cnt;
            __atomic_add_fetch(&s->st.words, cnt - done, __ATOMIC_RELAXED);
            walk(x, w, cnt);
        }
        if (last) {
            __atomic_store_n(&c->stage_state, WEFT_STAGE_FREE, __ATOMIC_RELAXED);
            __atomic_store_n(&c->stage_dest1, 0, __ATOMIC_RELEASE);
            weft_log_stack_push(&g->hdr->stage_free, g->slots, sn[i].k);
            __atomic_add_fetch(&s->st.chunks, 1, __ATOMIC_RELAXED);
        }
    }
    return 0;
}

static void unmap_log(struct slog *g) {
    free(g->ss);
    g->ss = NULL;
    munmap(g->hdr, WEFT_LOG_HEADER_SIZE);
    munmap(g->slots, (size_t)g->n * WEFT_LOG_CHUNK_SIZE);
    close(g->fd);
    g->done = 1;
}

/* Detach (no new claims of slots), copy everything, let go of the log. */
static void finish_log(struct weft_stager *s, struct slog *g, int process_gone) {
    __atomic_store_n(&g->hdr->stage_copier, 0, __ATOMIC_RELEASE);
    if (pass(s, g, process_gone, 1) != 0 || (!process_gone && pass(s, g, 0, 1) != 0))
        __atomic_add_fetch(&s->st.errors, 1, __ATOMIC_RELAXED);
    else if (process_gone)
        /* every word is in its chunk and nobody writes the slots again:
         * their 2 MiB of disk given back (a live ingest's logs stay
         * small; a kept log keeps what it holds) */
        (void)fallocate(g->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        (off_t)weft_log_chunk_off(g->first), (off_t)g->n * WEFT_LOG_CHUNK_SIZE);
    unmap_log(g);
}

/* Takes on the log at path when it has slots, no copier and a second
 * chunk claimed: its slots'
 * disk reserved, mapped, all of them on its free stack, then the
 * copier's pid published (the program's threads claim slots from then
 * on). 1 when that is decided, 0 when the log is not made yet (its
 * process writes the header, then sizes the file): looked at again. */
static int attach(struct weft_stager *s, const char *path) {
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 1;
    struct stat st;
    struct weft_log_header h;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 1;
    }
    if (read_all(fd, &h, sizeof h, 0) != 0 || memcmp(h.magic, WEFT_LOG_MAGIC, 8) != 0 ||
        (uint64_t)st.st_size < weft_log_chunk_off((uint64_t)h.stage_first + h.stage_n)) {
        close(fd);
        return 0;
    }
    /* A process that has filled no chunk yet is left alone until it has
     * (most of a make's are gone by then): the slots' disk is reserved
     * at attaching, 2 MiB a log. */
    if (h.chunks_claimed < 2) {
        close(fd);
        return (h.flags & WEFT_LOG_F_FINISHED) || (kill(h.pid, 0) != 0 && errno == ESRCH);
    }
    if (!has_slots(&h, (uint64_t)st.st_size) || h.stage_copier != 0) {
        close(fd);
        return 1;
    }
    /* The slots' blocks now, so that the program's first write of a slot
     * page can never meet a full disk (a SIGBUS in the program). */
    size_t len = (size_t)h.stage_n * WEFT_LOG_CHUNK_SIZE;
    if (fallocate(fd, 0, (off_t)weft_log_chunk_off(h.stage_first), (off_t)len) != 0 &&
        errno != EOPNOTSUPP) {
        close(fd);
        return 1;
    }
    struct slog g = {.fd = fd, .first = h.stage_first, .n = h.stage_n, .pid = h.pid};
    g.capacity = h.capacity_chunks;
    void *hp = mmap(NULL, WEFT_LOG_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void *sp = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                    (off_t)weft_log_chunk_off(h.stage_first));
    if (hp == MAP_FAILED || sp == MAP_FAILED) {
        if (hp != MAP_FAILED)
            munmap(hp, WEFT_LOG_HEADER_SIZE);
        if (sp != MAP_FAILED)
            munmap(sp, len);
        close(fd);
        return 1;
    }
    g.hdr = hp;
    g.slots = sp;
    if (!(g.ss = calloc(g.n, sizeof *g.ss))) {
        unmap_log(&g);
        return 1;
    }
    if (s->nlogs == s->caplogs) {
        size_t nc = s->caplogs ? s->caplogs * 2 : 16;
        struct slog *n = realloc(s->logs, nc * sizeof *n);
        if (!n) {
            unmap_log(&g);
            return 1;
        }
        s->logs = n;
        s->caplogs = nc;
    }
    /* every slot free, on the stack in order (log.h, weft_log_stack_pop) */
    for (uint32_t k = 0; k < g.n; k++) {
        struct weft_log_chunk *c = slot_at(&g, k);
        c->reserved = k + 1 < g.n ? k + 2 : 0;
        c->stage_dest1 = 0;
        c->stage_state = WEFT_STAGE_FREE;
    }
    __atomic_store_n(&g.hdr->stage_free, 1, __ATOMIC_RELEASE);
    uint32_t none = 0;
    if (!__atomic_compare_exchange_n(&g.hdr->stage_copier, &none, (uint32_t)getpid(), 0,
                                     __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
        unmap_log(&g); /* another copier came first */
        return 1;
    }
    s->logs[s->nlogs++] = g;
    __atomic_add_fetch(&s->st.logs, 1, __ATOMIC_RELAXED);
    return 1;
}

static size_t name_slot(char *const *set, size_t cap, const char *name) {
    uint64_t h = 1469598103934665603ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    size_t i = (size_t)h & (cap - 1);
    while (set[i] && strcmp(set[i], name))
        i = (i + 1) & (cap - 1);
    return i;
}

static int seen(const struct weft_stager *s, const char *name) {
    return s->capseen && s->seen[name_slot(s->seen, s->capseen, name)];
}

/* name looked at for good (when out of memory it is looked at again:
 * attach refuses a log it has a copier for already) */
static void see(struct weft_stager *s, const char *name) {
    if ((s->nseen + 1) * 2 > s->capseen) {
        size_t nc = s->capseen ? s->capseen * 2 : 64;
        char **n = calloc(nc, sizeof *n);
        if (!n)
            return;
        for (size_t i = 0; i < s->capseen; i++)
            if (s->seen[i])
                n[name_slot(n, nc, s->seen[i])] = s->seen[i];
        free(s->seen);
        s->seen = n;
        s->capseen = nc;
    }
    char *d = strdup(name);
    if (d) {
        s->seen[name_slot(s->seen, s->capseen, name)] = d;
        s->nseen++;
    }
}

static void scan(struct weft_stager *s) {
    DIR *d = opendir(s->dir);
    if (!d)
        return;
    struct dirent *de;
    char path[8192];
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "log", 3) && !seen(s, de->d_name)) {
            snprintf(path, sizeof path, "%s/%s", s->dir, de->d_name);
            if (attach(s, path))
                see(s, de->d_name);
        }
    closedir(d);
}

/* Whether the process that writes g is gone: its log says it ended, or
 * no process has its pid (one that took the pid since is taken for it:
 * its slots then stay for the final pass). */
static int gone(const struct slog *g) {
    if (__atomic_load_n(&g->hdr->flags, __ATOMIC_ACQUIRE) & WEFT_LOG_F_FINISHED)
        return 1;
    return g->pid > 0 && kill(g->pid, 0) != 0 && errno == ESRCH;
}

static void *stager_main(void *arg) {
    struct weft_stager *s = arg;
    for (unsigned poll = 0; !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE); poll++) {
        /* the root's log appears as the program starts: looked for at
         * every poll for the first 50 */
        if (poll < 50 || poll % SCAN_EVERY == 0)
            scan(s);
        for (size_t i = 0; i < s->nlogs; i++) {
            struct slog *g = &s->logs[i];
            if (g->done) { /* let go of: its place to the last */
                s->logs[i--] = s->logs[--s->nlogs];
                continue;
            }
            if (!s->hold && poll % SCAN_EVERY == 0 && gone(g)) {
                finish_log(s, g, 1);
                continue;
            }
            if (!s->hold && pass(s, g, 0, poll % PARTIAL_EVERY == 0) != 0) {
                /* a full disk: the program claims in place from now on,
                 * and meets it there, counting what it drops */
                __atomic_add_fetch(&s->st.errors, 1, __ATOMIC_RELAXED);
                __atomic_store_n(&g->hdr->stage_copier, 0, __ATOMIC_RELEASE);
                unmap_log(g);
            }
        }
        struct timespec ts = {0, POLL_US * 1000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

struct weft_stager *weft_stager_start(const char *dir) {
    struct weft_stager *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    const char *hold = getenv("WEFT_TEST_STAGE_HOLD");
    s->hold = hold && !strcmp(hold, "1");
    /* weft's signals stay the main thread's (cmd_run.c passes them on) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = pthread_create(&s->th, NULL, stager_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void weft_stager_stop(struct weft_stager *s, struct weft_stage_stats *out) {
    if (out)
        memset(out, 0, sizeof *out);
    if (!s)
        return;
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    pthread_join(s->th, NULL);
    for (size_t i = 0; i < s->nlogs; i++)
        if (!s->logs[i].done)
            finish_log(s, &s->logs[i], gone(&s->logs[i]));
    if (out)
        *out = s->st;
    for (size_t i = 0; i < s->capseen; i++)
        free(s->seen[i]);
    free(s->seen);
    free(s->logs);
    free(s);
}

/* ---- the heal ---- */

int weft__log_heal(const char *path, uint64_t *unhealed, char *err, size_t errlen) {
    *unhealed = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0; /* the reader says why */
    struct weft_log_header h;
    struct stat st;
    int n = 0, wfd = -1;
    uint64_t *sw = NULL, *dw = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || read_all(fd, &h, sizeof h, 0) != 0 ||
        !has_slots(&h, (uint64_t)st.st_size))
        goto out; /* no slots, or not a log the reader takes: it says so */
    /* A live copier (this process's, or another weft's) does the work. */
    pid_t cp = (pid_t)h.stage_copier;
    if (cp && (cp == getpid() || kill(cp, 0) == 0 || errno != ESRCH))
        goto out;
    size_t cw = (size_t)WEFT_LOG_CHUNK_WORDS * WEFT_LOG_WORD;
    if (!(sw = malloc(cw)) || !(dw = malloc(cw))) {
        snprintf(err, errlen, "%s: out of memory", path);
        n = -1;
        goto out;
    }
    for (uint32_t k = 0; k < h.stage_n; k++) {
        struct weft_log_chunk c, d;
        uint64_t so = weft_log_chunk_off((uint64_t)h.stage_first + k);
        if (read_all(fd, &c, sizeof c, so) != 0)
            break;
        if (!c.stage_dest1 || c.stage_dest1 - 1 >= h.capacity_chunks ||
            c.magic != WEFT_LOG_CHUNK_MAGIC || c.committed > WEFT_LOG_CHUNK_WORDS)
            continue;
        /* The whole slot against its chunk (a hole reads as zeros): what
         * differs is written again, a relock run changed in place too. */
        uint64_t dest = c.stage_dest1 - 1;
        size_t len = (size_t)c.committed * WEFT_LOG_WORD;
        ssize_t got = pread(fd, &d, sizeof d, (off_t)weft_log_chunk_off(dest));
        if (got != (ssize_t)sizeof d)
            memset(&d, 0, sizeof d);
        memset(dw, 0, len);
        if (read_all(fd, sw, len, so + WEFT_LOG_CHUNK_HDR) != 0)
            continue;
        if (pread(fd, dw, len, (off_t)weft_log_word_off(dest, 0)) < 0)
            memset(dw, 0, len);
        if (d.magic == WEFT_LOG_CHUNK_MAGIC && d.committed == c.committed && !memcmp(sw, dw, len))
            continue;
        if ((wfd < 0 && (wfd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) ||
            copy_words(wfd, &c, sw, dest, 0, c.committed, 0) != 0) {
            if (!*unhealed)
                snprintf(err, errlen, "%s", strerror(errno));
            ++*unhealed;
            n = -1;
            continue;
        }
        if (n >= 0)
            n++;
    }
out:
    if (wfd >= 0)
        close(wfd);
    free(sw);
    free(dw);
    close(fd);
    return n;
}
